"""Issue 15 (c): an AI system's parameter count is one RDF term in the store, its Turtle and
its JSON-LD (canonical ``xsd:decimal`` at import; Turtle keeps every literal's lexical form),
and a second import of the same rows writes nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import XSD, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.config import PROJECT_ROOT
from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports import import_files
from kg.services.imports.text import canonical_decimal
from kg.services.turtle import FORMAT
from tests.graphs import union
from tests.test_imported_venues import epoch_file

EPOCH = PROJECT_ROOT / "data" / "external" / "epoch_all_ai_models_2025-04.csv"
ROWS = ("DiT-XL/2", "S4")
"""Parameters "675000000.0" (compute 6e+20) and "249000000.00000003" (float noise)."""


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("675000000.0", "675000000"),
        ("675000000", "675000000"),
        ("1.5E+9", "1500000000"),
        ("2.50", "2.5"),
        ("0.250", "0.25"),
        ("-0.0", "0"),
        ("007", "7"),
        ("-1.10", "-1.1"),
    ],
)
def test_the_canonical_decimal(value: str, canonical: str) -> None:
    assert canonical_decimal(Decimal(value)) == canonical


def test_turtle_keeps_the_lexical_form_of_numbers() -> None:
    subject, predicate = URIRef("https://example.org/s"), URIRef("https://example.org/p")
    graph = Graph()
    for value in (
        Literal("675000000", datatype=XSD.decimal),
        Literal("2.5", datatype=XSD.decimal),
        Literal("120000000.0", datatype=XSD.double),
        Literal("42", datatype=XSD.integer),
        Literal("true", datatype=XSD.boolean),
    ):
        graph.add((subject, predicate, value))
    back = Graph().parse(data=graph.serialize(format=FORMAT), format="turtle")
    assert set(back) == set(graph)  # the same terms, not only equal values


def test_parameter_counts_are_one_term_in_store_turtle_and_json_ld(
    vocab_ctx: Context, tmp_path: Path
) -> None:
    from kg.web import create_app

    path = epoch_file(tmp_path, *ROWS)
    import_files(vocab_ctx, [path])
    base = vocab_ctx.settings.base_iri
    dit, s4 = URIRef(f"{base}system/dit-xl-2"), URIRef(f"{base}system/s4")
    stored = union(vocab_ctx)
    assert set(stored.objects(dit, KG.parameterCount)) == {
        Literal("675000000", datatype=XSD.decimal)
    }
    assert set(stored.objects(s4, KG.parameterCount)) == {
        Literal("249000000", datatype=XSD.decimal)
    }
    again = import_files(vocab_ctx, [path])
    assert again.unchanged

    app = create_app(vocab_ctx.settings, context=vocab_ctx)
    app.config["TESTING"] = True
    web = app.test_client()
    turtle = Graph().parse(data=web.get("/system/dit-xl-2.ttl").get_data(), format="turtle")
    document = json.loads(web.get("/system/dit-xl-2.jsonld").get_data())
    context = json.loads(web.get("/ontology/context.jsonld").get_data())["@context"]
    contexts = document["@context"]
    contexts = contexts if isinstance(contexts, list) else [contexts]
    document["@context"] = [context if isinstance(c, str) else c for c in contexts]
    jsonld = Graph().parse(data=json.dumps(document), format="json-ld")
    assert (dit, KG.parameterCount, Literal("675000000", datatype=XSD.decimal)) in turtle
    assert (dit, KG.parameterCount, Literal("675000000", datatype=XSD.decimal)) in jsonld
    assert set(turtle.objects(dit, KG.trainingCompute)) == set(
        jsonld.objects(dit, KG.trainingCompute)
    )
    assert isomorphic(turtle, jsonld)
