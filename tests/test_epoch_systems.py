"""The shipped Epoch AI file imported end to end: rows become AI systems with their
organisations, people, data sets, lineage, citations and sources, matched with the curated
catalogue; the library queries and the pages read them; a second import adds nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import FOAF, SKOS

from kg.config import PROJECT_ROOT, Settings
from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports import ImportReport, import_files
from kg.services.loading import load_files
from tests.graphs import union

EPOCH = PROJECT_ROOT / "data" / "external" / "epoch_all_ai_models_2025-04.csv"
FIXTURE = PROJECT_ROOT / "tests" / "data" / "issue15" / "epoch-systems.ttl"
BASE = Settings().base_iri


def iri(kind: str, slug: str) -> str:
    return f"{BASE}{kind}/{slug}"


@pytest.fixture(scope="module")
def epoch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Context, ImportReport]]:
    """The curated catalogue with the Epoch AI file imported (read-only)."""
    store = tmp_path_factory.mktemp("epoch") / "store"
    ctx = Context.from_settings(Settings.from_env({}, store=str(store), rate_limit=0))
    load_files(ctx, [Path(ctx.settings.data_dir)])
    report = import_files(ctx, [EPOCH], format="epoch")
    yield ctx, report
    ctx.store.close()


@pytest.fixture(scope="module")
def graph(epoch: tuple[Context, ImportReport]) -> Graph:
    return union(epoch[0])


@pytest.fixture
def web(epoch: tuple[Context, ImportReport]) -> FlaskClient:
    from kg.web import create_app

    application = create_app(epoch[0].settings, context=epoch[0])
    application.config["TESTING"] = True
    return application.test_client()


def rows(ctx: Context, name: str, **params: object) -> list[dict[str, str]]:
    result = ctx.store.select(ctx.queries[name].bind(params))
    return [{k: str(v) for k, v in row.items()} for row in result.rows]


def test_every_row_is_a_system_created_merged_or_skipped(
    epoch: tuple[Context, ImportReport],
) -> None:
    _, report = epoch
    (summary,) = report.summaries
    assert summary.read == 2228 == summary.created + summary.merged + summary.skipped
    assert summary.systems == summary.created > 2200
    assert {s.reason: s.records for s in report.skipped} == {"3 row(s): no model name": 3}


def test_the_fixture_transcribed_from_the_file_is_what_the_import_states(graph: Graph) -> None:
    """Every statement of the hand-transcribed fixture about systems, organisations, data
    sets and concepts is in the store (its observations as blank nodes: compared by value;
    links to Papers with Code methods and sources, not imported here, left aside)."""
    fixture = Graph().parse(FIXTURE, format="turtle", publicID=BASE)
    for s, p, o in fixture:
        if isinstance(s, URIRef) and not isinstance(o, URIRef | Literal):
            continue
        if not isinstance(s, URIRef):
            continue
        if str(o).startswith(BASE) and p != RDF.type and (o, None, None) not in graph:
            # a method or source of the Papers with Code fixture, not imported here
            assert "/method/" in str(o) or "/source/" in str(o), (s, p, o)
            continue
        assert (s, p, o) in graph, (s, p, o)
    for observation in fixture.subjects(RDF.type, KG.UsageObservation):
        system = fixture.value(observation, KG.observationOf)
        count = fixture.value(observation, KG.observedCount)
        found = [
            n
            for n in graph.subjects(KG.observationOf, system)
            if str(graph.value(n, KG.observedCount)) == str(count)
            and graph.value(n, KG.observationDate) == Literal("2025-04", datatype=XSD.gYearMonth)
            and graph.value(n, KG.observedIn) == URIRef(iri("dataset", "epoch-ai-models-2025-04"))
        ]
        assert found, system


def test_curated_people_and_sources_are_reused_not_copied(graph: Graph) -> None:
    ldm = URIRef(iri("system", "stable-diffusion-ldm-kl-8-g"))
    assert (ldm, KG.author, URIRef(iri("person", "robin-rombach"))) in graph
    assert (ldm, KG.author, URIRef(iri("person", "bjorn-ommer"))) in graph  # "Björn Ommer"
    assert len(set(graph.subjects(FOAF.name, Literal("Robin Rombach")))) == 1
    assert (ldm, KG.introducedIn, URIRef(iri("source", "rombach-2022-ldm"))) in graph
    assert (ldm, KG.introducedWith, URIRef(iri("method", "latent-diffusion-model"))) in graph
    transformer = URIRef(iri("system", "transformer"))
    assert (transformer, KG.author, URIRef(iri("person", "aidan-gomez"))) in graph
    for system in graph.subjects(RDF.type, KG.AISystem):
        assert len(set(graph.objects(system, SKOS.prefLabel))) == 1


def test_library_queries_answer_on_the_imported_systems(
    epoch: tuple[Context, ImportReport],
) -> None:
    ctx, _ = epoch
    lineage = rows(ctx, "system-lineage", system=iri("system", "dit-xl-2-cads"))
    assert {iri("system", "dit-xl-2"), iri("system", "stable-diffusion-ldm-kl-8-g")} <= {
        r["base"] for r in lineage
    }
    trained = rows(ctx, "systems-trained-on-dataset", dataset=iri("dataset", "imagenet"))
    assert iri("system", "dit-xl-2") in {r["system"] for r in trained}
    assert len({r["system"] for r in trained}) > 30
    countries = rows(ctx, "organizations-by-country")
    assert ("United States of America", iri("organization", "openai")) in {
        (r["country"], r["organization"]) for r in countries
    }
    cited = rows(ctx, "most-cited-systems")
    top = {r["system"]: r for r in cited}
    resnet = top[iri("system", "resnet-152-imagenet")]
    assert resnet["citations"] == "175697" and resnet["date"] == "2025-04"
    assert resnet["dataset"] == iri("dataset", "epoch-ai-models-2025-04")


def test_pages_and_downloads_of_a_system(web: FlaskClient) -> None:
    page = web.get("/systems/dit-xl-2?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>DiT-XL/2</h1>" in text
    assert '<a href="/datasets/imagenet">ImageNet</a>' in text
    assert '<a href="/organizations/new-york-university-nyu">New York University (NYU)</a>' in text
    imagenet = web.get("/datasets/imagenet").get_data(as_text=True)
    assert '<a href="/systems/dit-xl-2">DiT-XL/2</a>' in imagenet
    openai = web.get("/organizations/openai").get_data(as_text=True)
    assert "United States of America" in openai and "GPT-3 175B (davinci)" in openai
    system = URIRef(iri("system", "dit-xl-2"))
    turtle = web.get("/system/dit-xl-2", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    g = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert (system, RDF.type, KG.AISystem) in g
    assert (system, KG.baseModel, URIRef(iri("system", "stable-diffusion-ldm-kl-8-g"))) in g
    jsonld = web.get("/system/dit-xl-2.jsonld")
    assert jsonld.mimetype == "application/ld+json"
    document = json.loads(jsonld.get_data(as_text=True))
    served = json.loads(web.get("/ontology/context.jsonld").get_data(as_text=True))["@context"]
    contexts = (
        document["@context"] if isinstance(document["@context"], list) else [document["@context"]]
    )
    # the context named where this instance serves it, given inline to rdflib (no network)
    document["@context"] = [served if isinstance(c, str) else c for c in contexts]
    from_jsonld = Graph().parse(data=json.dumps(document), format="json-ld")
    assert (system, KG.parameterCount, Literal("675000000", datatype=XSD.decimal)) in from_jsonld
    assert (system, KG.baseModel, URIRef(iri("system", "stable-diffusion-ldm-kl-8-g"))) in (
        from_jsonld
    )
    assert {p for _, p, _ in from_jsonld} == {p for _, p, _ in g}


def test_importing_the_file_again_adds_nothing(epoch: tuple[Context, ImportReport]) -> None:
    ctx, _ = epoch
    before = ctx.store.quad_count()
    report = import_files(ctx, [EPOCH], format="epoch")
    assert report.unchanged and ctx.store.quad_count() == before
