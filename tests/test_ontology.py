"""The ontology: parses everywhere, is complete in three languages, matches the namespace."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef

from kg.config import PROJECT_ROOT
from kg.namespaces import KG, ONTOLOGY_IRI

ONTOLOGY = PROJECT_ROOT / "ontology" / "kg.ttl"
TERM_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def declared_terms(graph: Graph) -> set[URIRef]:
    terms = {s for t in TERM_TYPES for s in graph.subjects(RDF.type, t)}
    return {t for t in terms if isinstance(t, URIRef) and str(t).startswith(str(KG._NS))}


def test_parses_in_rdflib_and_pyoxigraph(ontology: Graph) -> None:
    quads = list(ox.parse(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE))
    assert len(quads) == len(ontology) > 100


def test_every_term_has_labels_in_en_th_ja_and_an_english_comment(ontology: Graph) -> None:
    missing = []
    for term in sorted(declared_terms(ontology)):
        languages = {lit.language for lit in ontology.objects(term, RDFS.label)}
        comments = {lit.language for lit in ontology.objects(term, RDFS.comment)}
        if not {"en", "th", "ja"} <= languages or "en" not in comments:
            missing.append((term, languages, comments))
    assert not missing


def test_closed_namespace_and_ontology_declare_the_same_terms(ontology: Graph) -> None:
    in_python = {KG[name] for name in KG.__annotations__}
    assert in_python == declared_terms(ontology)
    with pytest.raises(AttributeError):
        _ = KG.misspeltTerm


def test_version_and_licence_metadata(ontology: Graph) -> None:
    node = URIRef(ONTOLOGY_IRI)
    assert (node, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(node, OWL.versionInfo) is not None
    assert ontology.value(node, OWL.versionIRI) is not None
    assert ontology.value(node, URIRef("http://purl.org/dc/terms/license")) is not None


def test_display_rows_follow_the_seed_order(ontology: Graph) -> None:
    rows = sorted(
        (int(order), prop)
        for prop, order in ontology.subject_objects(KG.displayOrder)
        if ontology.value(prop, KG.shownInComparison) is not False
        and str(ontology.value(prop, KG.shownInComparison)) != "false"
    )
    assert [prop for _, prop in rows] == [
        KG.field, KG.family, KG.yearOfOrigin, KG.attribution, KG.methodType,
        KG.originalSource, KG.aliases, KG.relatedMethod, KG.summary,
    ]  # fmt: skip
    assert str(ontology.value(KG.aliases, KG.highlightDifferences)) == "false"
