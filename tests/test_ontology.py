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


SHAPES = PROJECT_ROOT / "ontology" / "shapes.ttl"
SH = "http://www.w3.org/ns/shacl#"


def test_shapes_parse_and_name_only_declared_kg_terms(ontology: Graph) -> None:
    shapes = Graph().parse(SHAPES, format="turtle")
    assert len(list(ox.parse(path=str(SHAPES), format=ox.RdfFormat.TURTLE))) == len(shapes)
    used = {
        node
        for triple in shapes
        for node in triple
        if isinstance(node, URIRef) and str(node).startswith(str(KG._NS))
    }
    assert used - declared_terms(ontology) == set()


def test_new_resource_kinds_have_shapes_and_align_with_standard_terms(ontology: Graph) -> None:
    shapes = Graph().parse(SHAPES, format="turtle")
    targeted = set(shapes.objects(None, URIRef(SH + "targetClass")))
    kinds = {
        KG.AISystem: "https://schema.org/SoftwareApplication",
        KG.Dataset: "http://www.w3.org/ns/dcat#Dataset",
        KG.Organization: "https://schema.org/Organization",
        KG.Venue: "https://schema.org/CreativeWorkSeries",
        KG.CodeRepository: "https://schema.org/SoftwareSourceCode",
        KG.UsageObservation: "https://schema.org/Observation",
    }
    for kind, standard in kinds.items():
        assert kind in targeted, kind
        assert URIRef(standard) in set(ontology.objects(kind, RDFS.subClassOf)), kind


def test_method_hierarchy_is_directed_and_apart_from_related_methods(ontology: Graph) -> None:
    assert (KG.broaderMethod, RDF.type, OWL.SymmetricProperty) not in ontology
    assert (KG.relatedMethod, RDF.type, OWL.SymmetricProperty) in ontology
    assert (KG.broaderMethod, RDFS.subPropertyOf, KG.relatedMethod) not in ontology
    assert ontology.value(KG.broaderMethod, RDFS.range) == KG.Method


def test_new_terms_are_not_comparison_rows(ontology: Graph) -> None:
    rows = set(ontology.subjects(KG.displayOrder, None))
    new = {
        KG.broaderMethod, KG.implementation, KG.observationOf, KG.observedCount,
        KG.developer, KG.trainingDataset, KG.baseModel, KG.introducedWith, KG.venue,
    }  # fmt: skip
    assert not rows & new


def test_every_english_comment_has_thai_and_japanese_ones(ontology: Graph) -> None:
    missing = []
    for term in sorted(declared_terms(ontology)):
        comments = {lit.language for lit in ontology.objects(term, RDFS.comment)}
        if "en" in comments and not {"th", "ja"} <= comments:
            missing.append((term, comments))
    assert not missing
