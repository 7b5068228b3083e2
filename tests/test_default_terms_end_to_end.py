"""Issue 15 (b): each new term proved end to end on one real record of each source in the
default catalogue (``kg load``: import → store → library query → page → Turtle and JSON-LD):
an AIO class as a family with its CSO close match, an EDAM operation as a method with its
broader method and synonyms, a Papers with Code usage count and code, and Epoch AI's
systems, lineage, data sets, organisations and source venues. The Turtle and the JSON-LD of
a resource are the same graph (``rdflib.compare.isomorphic``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

from kg.config import Settings
from kg.namespaces import KG
from kg.services.context import Context

BASE = Settings().base_iri
AIO = "https://w3id.org/aio/"
CSO = "https://cso.kmi.open.ac.uk/topics/"
EDAM = "http://edamontology.org/"
PWC = "https://paperswithcode.com/method/"
SCHEMA = "https://schema.org/"
Rows = list[dict[str, str]]


def iri(kind: str, slug: str) -> URIRef:
    return URIRef(f"{BASE}{kind}/{slug}")


@pytest.fixture(scope="module")
def built(default_catalogue: tuple[Context, object]) -> Context:
    return default_catalogue[0]


@pytest.fixture(scope="module")
def web(built: Context) -> Iterator[FlaskClient]:
    from kg.web import create_app

    application = create_app(built.settings, context=built)
    application.config["TESTING"] = True
    yield application.test_client()


def run(ctx: Context, name: str, **params: object) -> Rows:
    result = ctx.store.select(ctx.queries[name].bind(params))
    return [{k: str(v) for k, v in row.items()} for row in result.rows]


def page(web: FlaskClient, path: str) -> str:
    response = web.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def exports(web: FlaskClient, path: str) -> Graph:
    """The resource's Turtle, after checking that its JSON-LD is the same graph."""
    turtle = Graph().parse(data=web.get(f"{path}.ttl").get_data(), format="turtle")
    document = json.loads(web.get(f"{path}.jsonld").get_data())
    served = json.loads(web.get("/ontology/context.jsonld").get_data())["@context"]
    contexts = document["@context"]
    contexts = contexts if isinstance(contexts, list) else [contexts]
    # the context named where this instance serves it, given inline (no network)
    document["@context"] = [served if isinstance(c, str) else c for c in contexts]
    jsonld = Graph().parse(data=json.dumps(document), format="json-ld")
    assert len(turtle) > 0 and isomorphic(turtle, jsonld), path
    return turtle


def test_an_aio_class_is_a_family_with_its_cso_close_match(
    built: Context, web: FlaskClient
) -> None:
    """AIO ``ArtificialNeuralNetwork`` (EXACT synonym ANN, is_a Network) and its SSSOM row."""
    ann = iri("family", "artificial-neural-network")
    identifiers = run(built, "external-identifiers", resource=str(ann))
    assert {(r["match"], r["identifier"], r["graph"]) for r in identifiers} >= {
        (str(SKOS.exactMatch), AIO + "ArtificialNeuralNetwork",
         f"{BASE}graph/import-aio_2026-07-22"),
        (str(SKOS.closeMatch), CSO + "artificial_neural_network",
         f"{BASE}graph/import-aio-to-cso.sssom"),
    }  # fmt: skip
    concepts = [r for r in run(built, "methods-per-aio-concept") if r["concept"] == str(ann)]
    assert {r["aio"] for r in concepts} == {AIO + "ArtificialNeuralNetwork"}
    assert CSO + "artificial_neural_network" in {r.get("cso") for r in concepts}
    html = page(web, "/family/artificial-neural-network?lang=en")
    assert "<h1>Artificial Neural Network</h1>" in html
    assert f'<a href="{AIO}ArtificialNeuralNetwork">' in html
    assert f'<a href="{CSO}artificial_neural_network">' in html
    g = exports(web, "/family/artificial-neural-network")
    assert (ann, RDF.type, KG.Family) in g
    assert (ann, SKOS.exactMatch, URIRef(AIO + "ArtificialNeuralNetwork")) in g
    assert (ann, SKOS.closeMatch, URIRef(CSO + "artificial_neural_network")) in g
    assert (ann, SKOS.broader, iri("family", "network")) in g
    assert (ann, SKOS.altLabel, Literal("ANN", lang="en")) in g
    assert (ann, SKOS.inScheme, iri("scheme", "aio")) in g
    wikipedia = URIRef("https://en.wikipedia.org/wiki/Artificial_neural_network")
    assert (ann, DCTERMS.source, wikipedia) in g


def test_an_edam_operation_is_a_method_with_its_broader_method_and_synonyms(
    built: Context, web: FlaskClient
) -> None:
    """EDAM ``operation_0495`` "Local alignment" (synonyms "Local sequence alignment",
    "Sequence alignment (local)"), under ``operation_0292`` "Sequence alignment"."""
    local, alignment = iri("method", "local-alignment"), iri("method", "sequence-alignment")
    narrower = run(built, "narrower-methods-with-synonyms", method=str(alignment))
    rows = [r for r in narrower if r["narrower"] == str(local)]
    assert {r["synonym"] for r in rows} == {
        "Local sequence alignment",
        "Sequence alignment (local)",
    }
    assert {r["edam"] for r in rows} == {EDAM + "operation_0495"}
    assert {r["label"] for r in run(built, "broader-methods", method=str(local))} >= {
        "Sequence alignment"
    }
    html = page(web, "/methods/local-alignment?lang=en")
    assert '<h2>Broader methods</h2><p><a href="/methods/sequence-alignment">' in html
    assert "<h2>Synonyms</h2>" in html and "<span>Local sequence alignment</span>" in html
    assert f'<a href="{EDAM}operation_0495">' in html
    g = exports(web, "/method/local-alignment")
    assert (local, RDF.type, KG.Method) in g
    assert (local, KG.broaderMethod, alignment) in g
    assert (local, SKOS.exactMatch, URIRef(EDAM + "operation_0495")) in g
    assert (local, SKOS.altLabel, Literal("Sequence alignment (local)", lang="en")) in g


def test_a_papers_with_code_record_keeps_its_usage_count_and_code(
    built: Context, web: FlaskClient
) -> None:
    """Papers with Code ``dense-block``: 454 papers in March 2025, code in torchvision."""
    block = iri("method", "dense-block")
    dataset = iri("dataset", "pwc-methods-2025-03")
    usage = run(built, "usage-observations", resource=str(block))
    assert [(r["count"], r["date"], r["dataset"]) for r in usage] == [
        ("454", "2025-03", str(dataset))
    ]
    code = next(r for r in run(built, "methods-with-code") if r["method"] == str(block))
    assert code["repository"] == "https://github.com/pytorch/vision"
    html = page(web, "/methods/dense-block?lang=en")
    assert "<strong>454</strong>" in html and '<a href="/datasets/pwc-methods-2025-03">' in html
    assert 'href="https://github.com/pytorch/vision"' in html
    g = exports(web, "/method/dense-block")
    (observation,) = g.subjects(KG.observationOf, block)
    assert (observation, KG.observedCount, Literal("454", datatype=XSD.integer)) in g
    assert (observation, KG.observationDate, Literal("2025-03", datatype=XSD.gYearMonth)) in g
    assert (observation, KG.observedIn, dataset) in g
    (implementation,) = g.objects(block, KG.implementation)
    assert (implementation, RDF.type, KG.CodeRepository) in g
    assert (block, SKOS.exactMatch, URIRef(PWC + "dense-block")) in g


def test_an_epoch_system_with_its_lineage_data_set_and_parameters(
    built: Context, web: FlaskClient
) -> None:
    """Epoch AI ``DiT-XL/2 + CADS``, built on ``DiT-XL/2`` (675M parameters, ImageNet)."""
    cads, dit = iri("system", "dit-xl-2-cads"), iri("system", "dit-xl-2")
    lineage = run(built, "system-lineage", system=str(cads))
    assert str(dit) in {r["base"] for r in lineage}
    html = page(web, "/systems/dit-xl-2?lang=en")
    assert "<h1>DiT-XL/2</h1>" in html and '<a href="/datasets/imagenet">ImageNet</a>' in html
    g = exports(web, "/system/dit-xl-2")
    assert (dit, RDF.type, KG.AISystem) in g
    assert (dit, KG.parameterCount, Literal("675000000", datatype=XSD.decimal)) in g
    assert (dit, KG.trainingDataset, iri("dataset", "imagenet")) in g
    assert (cads, KG.baseModel, dit) in exports(web, "/system/dit-xl-2-cads")


def test_an_epoch_data_set_and_organisation(built: Context, web: FlaskClient) -> None:
    """Epoch AI's training data set ImageNet and the organisation OpenAI (United States)."""
    imagenet, openai = iri("dataset", "imagenet"), iri("organization", "openai")
    trained = run(built, "systems-trained-on-dataset", dataset=str(imagenet))
    assert str(iri("system", "dit-xl-2")) in {r["system"] for r in trained}
    datasets = run(built, "datasets-of-organization", organization=str(openai))
    assert datasets[0]["dataset"] == str(iri("dataset", "common-crawl"))
    assert '<a href="/systems/dit-xl-2">DiT-XL/2</a>' in page(web, "/datasets/imagenet?lang=en")
    assert "United States of America" in page(web, "/organizations/openai?lang=en")
    g = exports(web, "/dataset/imagenet")
    assert (imagenet, RDF.type, KG.Dataset) in g
    assert (iri("system", "dit-xl-2"), KG.trainingDataset, imagenet) in g
    g = exports(web, "/organization/openai")
    assert (openai, RDF.type, KG.Organization) in g
    assert (openai, KG.country, Literal("United States of America", lang="en")) in g


def test_an_imported_source_links_to_its_venue(built: Context, web: FlaskClient) -> None:
    """Papers with Code ``double-q-learning``: its paper at papers.nips.cc is NeurIPS's."""
    method, neurips = iri("method", "double-q-learning"), iri("venue", "neurips")
    venues = {r["venue"]: r for r in run(built, "venues-by-methods")}
    assert int(venues[str(neurips)]["methods"]) > 6  # the curated catalogue's NeurIPS methods
    assert str(method) in {r["method"] for r in run(built, "methods-in-venue", venue=str(neurips))}
    g = exports(web, "/method/double-q-learning")
    source = g.value(method, KG.originalSource)
    assert source is not None
    assert (source, KG.venue, neurips) in exports(web, str(source).removeprefix(BASE[:-1]))
    assert '<a href="/methods/double-q-learning">' in page(web, "/venues/neurips?lang=en")
