"""Issue 15: real Papers with Code records (copied from the shipped dump, unchanged) imported
into the curated catalogue, then read back through the library queries, the method and data
set pages, and the method's Turtle and JSON-LD exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

from kg.config import PROJECT_ROOT, Settings
from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports import import_files
from kg.services.imports.model import ImportFailed
from kg.services.imports.service import ImportReport
from kg.services.loading import load_files
from tests.graphs import named_graph

DUMP = PROJECT_ROOT / "data" / "external" / "pwc_methods_2025-03.json"
PICKED = ("densenet", "dense-block", "gpt-3", "resnet", "adam", "spatial-feature-transform")
"""DenseNet, Dense Block and GPT-3 are new; ResNet and Adam merge into curated methods;
Spatial Feature Transform's code_snippet_url is "20" (not an address)."""
BASE = Settings().base_iri
SCHEMA = "https://schema.org/"
PWC = "https://paperswithcode.com/method/"
GRAPH = f"{BASE}graph/import-pwc_methods_2025-03"
DATASET = f"{BASE}dataset/pwc-methods-2025-03"


def iri(kind: str, slug: str) -> str:
    return f"{BASE}{kind}/{slug}"


def real_records(*slugs: str) -> list[dict[str, object]]:
    records = json.loads(DUMP.read_text(encoding="utf-8"))
    by_slug = {str(r["url"]).rsplit("/", 1)[-1]: r for r in records}
    return [by_slug[slug] for slug in slugs]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Context, ImportReport]]:
    folder = tmp_path_factory.mktemp("pwc")
    dump = folder / DUMP.name
    dump.write_text(json.dumps(real_records(*PICKED)), encoding="utf-8")
    context = Context.from_settings(Settings.from_env({}, store=str(folder / "store")))
    load_files(context, [Path(context.settings.data_dir)])
    yield context, import_files(context, [dump])
    context.store.close()


@pytest.fixture(scope="module")
def pwc_app(imported: tuple[Context, ImportReport]) -> Flask:
    from kg.web import create_app

    ctx, _ = imported
    application = create_app(ctx.settings, context=ctx)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def web(pwc_app: Flask) -> FlaskClient:
    return pwc_app.test_client()


def run(ctx: Context, name: str, **params: object) -> list[dict[str, str]]:
    result = ctx.store.select(ctx.queries[name].bind(params))
    return [{k: str(v) for k, v in row.items()} for row in result.rows]


def test_the_summary_counts_every_record_and_says_what_was_left_out(
    imported: tuple[Context, ImportReport],
) -> None:
    _, report = imported
    (summary,) = report.summaries
    assert (summary.read, summary.created, summary.merged, summary.skipped) == (6, 4, 2, 0)
    assert {iri("method", s) for s in ("densenet", "dense-block", "gpt-3")} <= set(report.created)
    assert {m for _, m in report.merged} == {iri("method", "resnet"), iri("method", "adam")}
    notes = [n.reason for n in report.notes]
    assert any("code_snippet_url '20'" in n and "not a web address" in n for n in notes)
    assert report.counts["usage observations"] == 6
    assert report.counts["code links"] == 5
    assert report.counts["families with a field"] == report.counts["families"] > 0


def test_every_field_of_a_record_is_in_the_graph(imported: tuple[Context, ImportReport]) -> None:
    ctx, _ = imported
    g = named_graph(ctx, "import-pwc_methods_2025-03")
    block = URIRef(iri("method", "dense-block"))
    densenet = URIRef(iri("method", "densenet"))
    # url -> skos:exactMatch; name -> label
    assert (block, SKOS.exactMatch, URIRef(PWC + "dense-block")) in g
    assert (block, SKOS.prefLabel, Literal("Dense Block", lang="en")) in g
    # num_papers -> a dated observation in the PwC data set, which the import describes
    (observation,) = g.subjects(KG.observationOf, block)
    assert (observation, RDF.type, KG.UsageObservation) in g
    assert (observation, KG.measure, KG.PaperCount) in g
    assert int(g.value(observation, KG.observedCount)) == 454
    assert (observation, KG.observationDate, Literal("2025-03", datatype=XSD.gYearMonth)) in g
    assert (observation, KG.observedIn, URIRef(DATASET)) in g
    dataset = URIRef(DATASET)
    assert (dataset, RDF.type, KG.Dataset) in g
    assert (
        dataset,
        SKOS.prefLabel,
        Literal("Papers with Code methods (March 2025)", lang="en"),
    ) in g
    assert (dataset, URIRef("http://www.w3.org/ns/dcat#version"), Literal("2025-03")) in g
    licence = URIRef("https://creativecommons.org/licenses/by-sa/4.0/")
    assert (dataset, DCTERMS.license, licence) in g
    # code_snippet_url -> code with its repository
    (code,) = g.objects(block, KG.implementation)
    assert (code, RDF.type, KG.CodeRepository) in g
    assert str(g.value(code, URIRef(SCHEMA + "url"))).endswith(
        "/torchvision/models/densenet.py#L93"
    )
    assert g.value(code, URIRef(SCHEMA + "codeRepository")) == URIRef(
        "https://github.com/pytorch/vision"
    )
    # collections -> families, each broadMatch its area, which is the method's field
    cnn = URIRef(iri("family", "convolutional-neural-networks"))
    vision = URIRef(iri("field", "computer-vision"))
    assert (densenet, KG.family, cnn) in g and (densenet, KG.field, vision) in g
    assert (cnn, SKOS.broadMatch, vision) in g
    assert (URIRef(iri("family", "skip-connection-blocks")), SKOS.broadMatch, None) in g
    # source_url/source_title/paper -> the source with its arXiv id and pages
    source = g.value(densenet, KG.originalSource)
    assert source == g.value(block, KG.originalSource)
    assert (source, KG.arxivId, Literal("1608.06993")) in g
    assert (source, URIRef(SCHEMA + "url"), URIRef("https://arxiv.org/abs/1608.06993")) in g
    assert (
        source,
        DCTERMS.title,
        Literal("Densely Connected Convolutional Networks", lang="en"),
    ) in g
    paper = URIRef("https://paperswithcode.com/paper/densely-connected-convolutional-networks")
    assert (source, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"), paper) in g
    # /method/<slug> links of the description -> related methods (either direction)
    assert {(densenet, KG.relatedMethod, block), (block, KG.relatedMethod, densenet)} & set(g)
    # a merged record keeps the curated label; its own name is a hidden label only if different
    resnet = URIRef(iri("method", "resnet"))
    assert (resnet, SKOS.exactMatch, URIRef(PWC + "resnet")) in g
    assert (resnet, SKOS.prefLabel, None) not in g


def test_the_library_queries_answer_from_the_import(
    imported: tuple[Context, ImportReport],
) -> None:
    ctx, _ = imported
    used = run(ctx, "most-used-methods")
    assert [int(r["papers"]) for r in used] == sorted(
        (int(r["papers"]) for r in used), reverse=True
    )
    gpt = next(r for r in used if r["method"] == iri("method", "gpt-3"))
    assert (gpt["papers"], gpt["date"], gpt["dataset"]) == ("1645", "2025-03", DATASET)
    assert gpt["datasetLabel"] == "Papers with Code methods (March 2025)"
    assert gpt["page"] == PWC + "gpt-3"
    assert gpt["sourceTitle"] == "Language Models are Few-Shot Learners"
    assert len(used) == 6

    code = run(ctx, "methods-with-code")
    block = next(r for r in code if r["method"] == iri("method", "dense-block"))
    assert block["repository"] == "https://github.com/pytorch/vision"
    assert block["graph"] == GRAPH
    assert iri("method", "spatial-feature-transform") not in {r["method"] for r in code}
    repositories = {r["repository"]: r["methods"] for r in run(ctx, "code-repositories")}
    assert repositories["https://github.com/pytorch/vision"] == "3"  # ResNet, DenseNet, block

    assert run(ctx, "external-identifiers", resource=iri("method", "densenet")) == [
        {"match": str(SKOS.exactMatch), "identifier": PWC + "densenet", "graph": GRAPH}
    ]

    family = run(ctx, "methods-under-concept", concept=iri("family", "image-model-blocks"))
    assert {r["method"] for r in family} == {
        iri("method", "dense-block"),
        iri("method", "spatial-feature-transform"),
    }
    vision = run(ctx, "methods-under-concept", concept=iri("field", "computer-vision"))
    densenet = next(r for r in vision if r["method"] == iri("method", "densenet"))
    assert (densenet["filedUnderLabel"], densenet["start"]) == (
        "Computer vision",
        "2016",
    )  # the curated field

    usage = run(ctx, "usage-observations", resource=iri("method", "adam"))
    assert [(r["count"], r["date"], r["dataset"]) for r in usage] == [("19981", "2025-03", DATASET)]


def test_the_method_page_shows_usage_code_and_identifiers(web: FlaskClient) -> None:
    page = web.get("/methods/densenet?lang=en").get_data(as_text=True)
    assert "<strong>303</strong>" in page and "2025-03" in page
    assert '<a href="/datasets/pwc-methods-2025-03">' in page
    assert 'href="https://github.com/pytorch/vision"' in page
    assert "torchvision/models/densenet.py#L126" in page
    assert f'<a href="{PWC}densenet">' in page
    dataset = web.get("/datasets/pwc-methods-2025-03?lang=en").get_data(as_text=True)
    assert '<a href="https://creativecommons.org/licenses/by-sa/4.0/">' in dataset


def test_the_method_exports_carry_the_code_and_identifiers(web: FlaskClient) -> None:
    turtle = Graph().parse(data=web.get("/method/dense-block.ttl").get_data(), format="turtle")
    block = URIRef(iri("method", "dense-block"))
    assert (block, SKOS.exactMatch, URIRef(PWC + "dense-block")) in turtle
    (code,) = turtle.objects(block, KG.implementation)
    assert (code, RDF.type, KG.CodeRepository) in turtle
    vision = URIRef("https://github.com/pytorch/vision")
    assert (code, URIRef(SCHEMA + "codeRepository"), vision) in turtle
    (observation,) = turtle.subjects(KG.observationOf, block)
    assert int(turtle.value(observation, KG.observedCount)) == 454
    assert (observation, KG.observedIn, URIRef(DATASET)) in turtle
    document = json.loads(web.get("/method/dense-block.jsonld").get_data())
    context = json.loads(web.get("/ontology/context.jsonld").get_data())
    document["@context"] = [
        context["@context"] if isinstance(c, str) else c for c in document["@context"]
    ]
    jsonld = Graph().parse(data=json.dumps(document), format="json-ld")
    assert (block, SKOS.exactMatch, URIRef(PWC + "dense-block")) in jsonld
    assert (observation, KG.observationDate, Literal("2025-03", datatype=XSD.gYearMonth)) in jsonld
    assert isomorphic(jsonld, turtle)


def test_importing_the_same_records_again_writes_nothing(
    imported: tuple[Context, ImportReport], tmp_path: Path
) -> None:
    ctx, _ = imported
    dump = tmp_path / DUMP.name
    dump.write_text(json.dumps(real_records(*PICKED)), encoding="utf-8")
    assert import_files(ctx, [dump]).unchanged


def test_a_dump_without_a_month_has_no_dated_counts(ctx: Context, tmp_path: Path) -> None:
    load_files(ctx, [Path(ctx.settings.data_dir) / "concepts.ttl"])
    dump = tmp_path / "methods.json"
    dump.write_text(json.dumps(real_records("gpt-3")), encoding="utf-8")
    report = import_files(ctx, [dump])
    assert report.counts["usage observations"] == 0 and report.counts["code links"] == 1
    assert any("no month in the file name" in n.reason for n in report.notes)


def test_a_record_that_is_not_an_object_is_refused(ctx: Context, tmp_path: Path) -> None:
    dump = tmp_path / "pwc_methods_2025-03.json"
    dump.write_text("[1]", encoding="utf-8")
    with pytest.raises(ImportFailed, match="record 1: expected an object"):
        import_files(ctx, [dump])
