"""Tests for kg.validate and ontology/shapes.ttl.

Fixtures:
- tests/data/valid/*.ttl together form a small catalogue that conforms.
- tests/data/invalid/<name>.ttl each add ONE defect; they are loaded on top of the valid
  catalogue (so they can refer to its fields, families and people) and must produce
  violations on exactly one focus node.
All data files use relative IRIs and are parsed against BASE, as the loader does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg.validate import ValidationReport, Violation, load_shapes, validate_graph

ROOT = Path(__file__).parents[1]
SHAPES_PATH = ROOT / "ontology" / "shapes.ttl"
ONTOLOGY_PATH = ROOT / "ontology" / "kg.ttl"
FIXTURES = Path(__file__).parent / "data"
DATA_DIR = ROOT / "data"
BASE = "https://w3id.org/rmkg/"

PREFIXES = """
@prefix kg:     <https://w3id.org/rmkg/ontology#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix method: <method/> .
@prefix field:  <field/> .
"""


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return load_shapes(SHAPES_PATH)


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_PATH, format="turtle")


def parse_files(paths: list[Path], graph: Graph | None = None) -> Graph:
    graph = Graph() if graph is None else graph
    for path in paths:
        graph.parse(path, format="turtle", publicID=BASE)
    return graph


def valid_catalogue() -> Graph:
    files = sorted((FIXTURES / "valid").glob("*.ttl"))
    assert files, "tests/data/valid holds no .ttl files"
    return parse_files(files)


def with_turtle(text: str) -> Graph:
    """The valid catalogue plus a Turtle snippet (PREFIXES are prepended)."""
    graph = valid_catalogue()
    graph.parse(data=PREFIXES + text, format="turtle", publicID=BASE)
    return graph


# ------------------------------------------------------------------------------------------
# The shapes and the ontology themselves


def test_ontology_parses() -> None:
    graph = Graph().parse(ONTOLOGY_PATH, format="turtle")
    assert (URIRef("https://w3id.org/rmkg/ontology"), RDF.type, OWL.Ontology) in graph
    assert len(graph) > 100


def test_shapes_parse_and_every_shape_is_documented(shapes: Graph) -> None:
    from rdflib.namespace import SH

    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.objects(None, SH.property))
    assert len(node_shapes) >= 6
    for shape in node_shapes | property_shapes:
        assert shapes.value(shape, SH.name) is not None, f"{shape} has no sh:name"
        assert shapes.value(shape, SH.description) is not None, f"{shape} has no sh:description"
    for shape in property_shapes | set(shapes.subjects(RDF.type, SH.SPARQLConstraint)):
        messages = list(shapes.objects(shape, SH.message))
        assert any(getattr(m, "language", None) == "en" for m in messages), shape


# ------------------------------------------------------------------------------------------
# Valid data


def test_valid_catalogue_conforms(shapes: Graph, ontology: Graph) -> None:
    report = validate_graph(valid_catalogue(), shapes=shapes, ontology=ontology)
    assert report.violations == (), report.to_text()
    assert report.conforms
    assert report.to_text() == ""


def test_valid_catalogue_conforms_without_ontology(shapes: Graph) -> None:
    report = validate_graph(valid_catalogue(), shapes=shapes)
    assert report.conforms, report.to_text()


def test_validation_does_not_modify_the_data(shapes: Graph, ontology: Graph) -> None:
    data = with_turtle("method:x a kg:Method ; kg:field field:statistics .")
    before = set(data)
    validate_graph(data, shapes=shapes)
    validate_graph(data, shapes=shapes, ontology=ontology)
    assert set(data) == before


def test_dataset_is_validated_as_the_union_of_its_graphs(shapes: Graph) -> None:
    # Methods in one named graph refer to fields and families in another, as data/*.ttl do.
    dataset = Dataset()
    for path in sorted((FIXTURES / "valid").glob("*.ttl")):
        dataset.graph(URIRef(BASE + "graph/" + path.stem)).parse(
            path, format="turtle", publicID=BASE
        )
    report = validate_graph(dataset, shapes=shapes)
    assert report.conforms, report.to_text()


def test_bce_year_ranges_are_compared_as_numbers(shapes: Graph) -> None:
    # Lexically "-0300" > "-0200", numerically -300 < -200: this range is valid.
    report = validate_graph(
        with_turtle(
            """
            method:exhaustion a kg:Method ;
                skos:prefLabel "Method of exhaustion"@en ;
                kg:field field:statistics ;
                kg:yearOfOrigin [ kg:startYear "-0370"^^xsd:gYear ;
                                  kg:endYear "-0250"^^xsd:gYear ] .
            method:long-ago a kg:Method ;
                skos:prefLabel "Long ago"@en ;
                kg:field field:statistics ;
                kg:yearOfOrigin [ kg:startYear "0999"^^xsd:gYear ;
                                  kg:endYear "10000"^^xsd:gYear ] .
            """
        ),
        shapes=shapes,
    )
    assert report.conforms, report.to_text()

    report = validate_graph(
        with_turtle(
            """
            method:exhaustion a kg:Method ;
                skos:prefLabel "Method of exhaustion"@en ;
                kg:field field:statistics ;
                kg:yearOfOrigin [ kg:startYear "-0100"^^xsd:gYear ;
                                  kg:endYear "-0300"^^xsd:gYear ] .
            """
        ),
        shapes=shapes,
    )
    assert [v.constraint for v in report.violations] == ["StartYearNotAfterEndYear"]
    assert "start -0100 > end -0300" in report.violations[0].message


# ------------------------------------------------------------------------------------------
# Invalid fixtures: one defect each

M = BASE + "method/"
S = BASE + "source/"

# Defects reported as warnings: a method known only by a Thai or Japanese name (as imported
# from a comparison page) is kept, and `kg validate` still fails on it.
WARNINGS = {"method-without-english-label"}

# fixture stem -> (focus node, path, constraint, fragment of the message)
EXPECTED: dict[str, tuple[str, str | None, str, str]] = {
    "method-without-english-label": (
        M + "permutation-test",
        "skos:prefLabel",
        "QualifiedMinCountConstraintComponent",
        "A method needs an English label (skos:prefLabel with @en)",
    ),
    "method-without-any-name": (
        M + "permutation-test",
        "skos:prefLabel",
        "MinCountConstraintComponent",
        "A method needs a name (skos:prefLabel)",
    ),
    "year-range-start-after-end": (
        M + "cross-validation",
        "kg:yearOfOrigin",
        "StartYearNotAfterEndYear",
        "starts after it ends (start 1958 > end 1949)",
    ),
    "related-to-non-method": (
        M + "permutation-test",
        "kg:relatedMethod",
        "ClassConstraintComponent",
        "must itself be a method",
    ),
    "source-without-title": (
        S + "quenouille-1949",
        "dcterms:title",
        "MinCountConstraintComponent",
        "A source needs a title",
    ),
    "malformed-doi": (
        S + "tukey-1958",
        "bibo:doi",
        "PatternConstraintComponent",
        "bare DOI",
    ),
    "alias-not-altlabel": (
        M + "permutation-test",
        "kg:aliases",
        "AliasIsAltLabel",
        '"exact test" is not',
    ),
    "person-without-name": (
        BASE + "person/anonymous",
        "foaf:name",
        "MinCountConstraintComponent",
        "A person needs exactly one name",
    ),
    "field-without-english-label": (
        BASE + "field/bioinformatics",
        "skos:prefLabel",
        "QualifiedMinCountConstraintComponent",
        "A field needs an English label",
    ),
    "method-related-to-itself": (
        M + "permutation-test",
        "kg:relatedMethod",
        "NotRelatedToItself",
        "cannot be related to itself",
    ),
    "year-not-gyear": (
        M + "cross-validation",
        "kg:yearOfOrigin/kg:startYear",
        "DatatypeConstraintComponent",
        "start year (kg:startYear) typed xsd:gYear",
    ),
    "year-malformed-gyear": (
        M + "cross-validation",
        "kg:yearOfOrigin/kg:endYear",
        "PatternConstraintComponent",
        "end year (kg:endYear) typed xsd:gYear",
    ),
    "two-english-labels": (
        M + "permutation-test",
        "skos:prefLabel",
        "UniqueLangConstraintComponent",
        "at most one label (skos:prefLabel) per language",
    ),
    "method-without-field": (
        M + "permutation-test",
        "kg:field",
        "MinCountConstraintComponent",
        "A method needs at least one field",
    ),
    "summary-without-language": (
        M + "permutation-test",
        "kg:summary",
        "DatatypeConstraintComponent",
        "language tag",
    ),
    "arxiv-id-with-version": (
        S + "ho-2020-ddpm-v2",
        "kg:arxivId",
        "PatternConstraintComponent",
        "version suffix",
    ),
    "url-not-http": (
        S + "tukey-1958",
        "schema:url",
        "NodeKindConstraintComponent",
        "web address",
    ),
    "author-not-person": (
        S + "tukey-1958",
        "bibo:authorList/rdf:rest*/rdf:first",
        "ClassConstraintComponent",
        "must be a person",
    ),
    "family-broader-not-family": (
        BASE + "family/score-based-models",
        "skos:broader",
        "ClassConstraintComponent",
        "must itself be a family",
    ),
}


def test_every_invalid_fixture_has_an_expectation() -> None:
    stems = {path.stem for path in (FIXTURES / "invalid").glob("*.ttl")}
    assert stems == set(EXPECTED)
    assert len(stems) >= 8


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_invalid_fixture_fails_on_its_focus_node(stem: str, shapes: Graph, ontology: Graph) -> None:
    focus, path, constraint, fragment = EXPECTED[stem]
    data = parse_files([FIXTURES / "invalid" / f"{stem}.ttl"], valid_catalogue())

    report = validate_graph(data, shapes=shapes, ontology=ontology)

    assert not report.conforms
    assert {v.focus_node for v in report.violations} == {focus}, report.to_text()
    matching = [
        v
        for v in report.violations
        if v.constraint == constraint and v.path == path and fragment in v.message
    ]
    assert matching, report.to_text()
    if stem in WARNINGS:
        assert all(v.severity == "Warning" for v in report.violations)
    else:
        assert all(v.severity == "Violation" for v in matching)


# ------------------------------------------------------------------------------------------
# Report format


def test_report_text_and_order(shapes: Graph) -> None:
    data = parse_files(
        [
            FIXTURES / "invalid" / "person-without-name.ttl",
            FIXTURES / "invalid" / "malformed-doi.ttl",
        ],
        valid_catalogue(),
    )
    report = validate_graph(data, shapes=shapes)
    assert isinstance(report, ValidationReport)
    assert [v.focus_node for v in report.violations] == sorted(
        v.focus_node for v in report.violations
    )
    lines = report.to_text().splitlines()
    assert lines == [v.to_text() for v in report.violations]
    assert lines[0] == (
        f"{BASE}person/anonymous foaf:name: A person needs exactly one name (foaf:name) "
        "given as text. [MinCountConstraintComponent]"
    )
    # the same input gives the same report
    assert validate_graph(data, shapes=shapes) == report


def test_violation_without_path_renders_without_it() -> None:
    violation = Violation(
        focus_node="https://w3id.org/rmkg/method/x",
        path=None,
        message="Something is wrong.",
        severity="Violation",
        constraint="ExampleShape",
    )
    assert (
        violation.to_text() == "https://w3id.org/rmkg/method/x: Something is wrong. [ExampleShape]"
    )


# ------------------------------------------------------------------------------------------
# The project's own data

DATA_FILES = sorted(DATA_DIR.glob("*.ttl")) if DATA_DIR.is_dir() else []


@pytest.mark.skipif(
    not DATA_FILES, reason=f"no data files yet: {DATA_DIR}/*.ttl does not exist or is empty"
)
def test_project_data_conforms(shapes: Graph, ontology: Graph) -> None:
    data = parse_files(DATA_FILES)
    report = validate_graph(data, shapes=shapes, ontology=ontology)
    assert report.conforms, "\n" + report.to_text()
