"""The default catalogue (`kg load` without arguments): the curated files and the shipped
sources of data/external/ (and EDAM from its package); re-imports add nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg.config import PROJECT_ROOT
from kg.namespaces import KG
from kg.services.context import Context
from kg.services.default_catalogue import SOURCES, DefaultReport, import_sources
from kg.services.imports import import_files
from kg.services.loading import collect_files
from kg.services.validation import validate_store
from tests.graphs import dump, named_graph, union

EXTERNAL = PROJECT_ROOT / "data" / "external"
AIO = "https://w3id.org/aio/"
EDAM = "http://edamontology.org/"


@pytest.fixture(scope="module")
def built(default_catalogue: tuple[Context, DefaultReport]) -> tuple[Context, DefaultReport]:
    return default_catalogue


def test_the_shipped_sources_are_there_and_never_loaded_as_rdf() -> None:
    for file, fmt, _ in SOURCES:
        if fmt != "edam":
            assert (EXTERNAL / file).is_file(), file
    files = collect_files([PROJECT_ROOT / "data"])
    assert files and all(path.parent == PROJECT_ROOT / "data" for path in files)
    assert all(path.suffix == ".ttl" for path in files)


def test_every_source_is_imported_with_its_licence_and_version(
    built: tuple[Context, DefaultReport],
) -> None:
    ctx, report = built
    assert not report.missing
    assert [s.name for s in report.sources] == [name for _, _, name in SOURCES]
    for source in report.sources:
        prov = named_graph(ctx, f"provenance/import-{source.path.stem}")
        licences = {str(o) for o in prov.objects(None, DCTERMS.license)}
        assert licences and all(x.startswith("https://creativecommons.org/") for x in licences)
    aio = named_graph(ctx, "provenance/import-aio_2026-07-22")
    assert Literal("2026-07-22", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")) in set(
        aio.objects(None, DCTERMS.issued)
    )
    edam = named_graph(ctx, "provenance/import-EDAM")
    versions = {str(o) for o in edam.objects(None, URIRef("http://www.w3.org/ns/dcat#version"))}
    assert versions == {"edam-ontology 1.25.3"}


def test_the_default_catalogue_has_the_sources_facts(built: tuple[Context, DefaultReport]) -> None:
    ctx, report = built
    graph = union(ctx)
    methods = set(graph.subjects(RDF.type, KG.Method))
    assert len(methods) > 2_800  # 56 curated, ~2,270 PwC, ~530 EDAM operations
    # AIO: families with their AIO IRI, is_a as skos:broader, EXACT synonyms
    ann = next(graph.subjects(SKOS.exactMatch, URIRef(AIO + "ArtificialNeuralNetwork")))
    assert (ann, RDF.type, KG.Family) in graph
    active = next(graph.subjects(SKOS.exactMatch, URIRef(AIO + "ActiveLearning")))
    task = next(graph.subjects(SKOS.exactMatch, URIRef(AIO + "MachineLearningTask")))
    assert (active, SKOS.broader, task) in graph
    assert Literal("Query Learning", lang="en") in set(graph.objects(active, SKOS.altLabel))
    # SSSOM: the CSO topic as a close match of the AIO concept
    cso = URIRef("https://cso.kmi.open.ac.uk/topics/artificial_neural_network")
    assert (ann, SKOS.closeMatch, cso) in graph
    # EDAM: operations are methods with a directed hierarchy, topics are fields
    query = next(graph.subjects(SKOS.exactMatch, URIRef(EDAM + "operation_0224")))
    assert (query, RDF.type, KG.Method) in graph
    parent = next(graph.subjects(SKOS.exactMatch, URIRef(EDAM + "operation_2409")))
    assert (query, KG.broaderMethod, parent) in graph
    assert (query, KG.relatedMethod, parent) not in graph
    nucleic = next(graph.subjects(SKOS.exactMatch, URIRef(EDAM + "topic_0077")))
    assert (nucleic, RDF.type, KG.Field) in graph
    edam = next(s for s in report.sources if s.path.name == "EDAM.tsv")
    reasons = edam.skipped_by_reason()
    assert reasons["obsolete operation"] > 0 and reasons["obsolete topic"] > 0


def test_sources_with_identifiers_of_their_own_meet_by_identifier_and_name(
    built: tuple[Context, DefaultReport],
) -> None:
    ctx, _ = built
    graph = union(ctx)
    pwc = "https://paperswithcode.com/method/"
    # PwC's "Feature Selection" and EDAM's "Feature selection": one method, both identifiers,
    # and the name the method's label left out is a hidden label of EDAM's graph
    selection = next(graph.subjects(SKOS.exactMatch, URIRef(pwc + "feature-selection")))
    assert (selection, SKOS.exactMatch, URIRef(EDAM + "operation_3936")) in graph
    edam = named_graph(ctx, "import-EDAM")
    assert (selection, SKOS.hiddenLabel, Literal("Feature selection", lang="en")) in edam
    # EDAM's synonym "PCA" of "Essential dynamics" is no name PwC's PCA is matched by
    pca = next(graph.subjects(SKOS.exactMatch, URIRef(pwc + "pca")))
    dynamics = next(graph.subjects(SKOS.exactMatch, URIRef(EDAM + "operation_3891")))
    assert pca != dynamics
    # every PwC record is a method with its page, its dated paper count and its data set
    pages = {o for o in graph.objects(None, SKOS.exactMatch) if str(o).startswith(pwc)}
    assert len(pages) == 2275
    observations = set(graph.subjects(KG.measure, KG.PaperCount))
    assert len(observations) == 2275
    assert {graph.value(o, KG.observedIn) for o in observations} == {
        URIRef(ctx.settings.base_iri + "dataset/pwc-methods-2025-03")
    }
    families = set(graph.subjects(RDF.type, KG.Family))
    assert sum(1 for f in families if (f, SKOS.broadMatch, None) in graph) >= 354


def test_the_default_store_conforms(built: tuple[Context, DefaultReport]) -> None:
    ctx, _ = built
    report = validate_store(ctx)
    assert report.conforms, report.to_text()[:2000]


def test_importing_every_default_source_again_in_any_order_adds_nothing(
    built: tuple[Context, DefaultReport],
) -> None:
    ctx, _ = built
    before = dump(ctx)
    forward = [fmt for _, fmt, _ in SOURCES if fmt]
    for order in (forward, list(reversed(forward))):
        reports = import_sources(ctx, order)
        assert all(r.unchanged for r in reports)
        assert dump(ctx) == before


def test_a_re_import_of_a_changed_source_is_written(tmp_path: Path, ctx: Context) -> None:
    from kg.services.loading import load_files

    load_files(ctx, [Path(ctx.settings.data_dir) / "concepts.ttl"])
    obo = tmp_path / "aio_2026-07-22.obo"
    obo.write_bytes((EXTERNAL / obo.name).read_bytes())
    first = import_files(ctx, [obo])
    assert not first.unchanged and first.quads_after > first.quads_before
    assert import_files(ctx, [obo]).unchanged
    obo.write_text(obo.read_text(encoding="utf-8").replace("Query Learning", "Query learning"))
    again = import_files(ctx, [obo])
    assert not again.unchanged
    labels = set(named_graph(ctx, "import-aio_2026-07-22").objects(None, SKOS.altLabel))
    assert Literal("Query learning", lang="en") in labels
    assert Literal("Query Learning", lang="en") not in labels
    assert isinstance(named_graph(ctx, "import-aio_2026-07-22"), Graph)
