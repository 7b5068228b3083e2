"""The curated catalogue and every library query run against it."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from kg.config import PROJECT_ROOT
from kg.services.context import Context

BASE = "https://w3id.org/rmkg/"
SEEDS = {
    "transfer-learning-with-diffusion-models": 5,
    "fine-tuned-diffusion-model": 5,
    "self-supervised-diffusion-model": 2,
}
# What each library query must return on the curated catalogue (beyond running at all).
EXPECTATIONS = {
    "stats-classes": lambda rows: (
        {r["class"].split("#")[-1]: int(r["resources"]) for r in rows}["Method"] >= 43
    ),
    "stats-graphs": lambda rows: f"{BASE}graph/ontology" in {r["graph"] for r in rows},
    "stats-triples": lambda rows: int(rows[0]["triples"]) > 1000,
    "list-methods": lambda rows: len(rows) >= 43 and all("label" in r for r in rows),
    "count-methods": lambda rows: int(rows[0]["methods"]) >= 43,
    "count-listed-methods": lambda rows: int(rows[0]["methods"]) >= 43,
    "count-concept-methods": lambda rows: int(rows[0]["methods"]) >= 5,
    "page-concept-methods": lambda rows: (
        f"{BASE}method/ddpm" in {r["method"] for r in rows}
        and [r["key"] for r in rows] == sorted(r["key"] for r in rows)
    ),
    "display-rows": lambda rows: (
        [int(r["order"]) for r in rows] == sorted(int(r["order"]) for r in rows)
        and {r["property"].split("#")[-1] for r in rows if r["format"].endswith("#MarkdownText")}
        == {"summary"}
        and all(r["format"].endswith(("#MarkdownText", "#PlainText")) for r in rows)
    ),
    "method-rows": lambda rows: len({r["property"] for r in rows}) >= 9,
    "method-headers": lambda rows: rows[0]["label"] == "Transfer Learning with Diffusion Models",
    "method-values": lambda rows: (
        {r["detail"].split("#")[-1] for r in rows if "detail" in r}
        >= {"startYear", "endYear", "first", "rest"}
        and any("node" in r for r in rows)
    ),
    "value-details": lambda rows: {r["role"] for r in rows} >= {"label", "citation", "doi"},
    "search-documents": lambda rows: (
        {
            r["kind"]
            for r in rows
            if r["method"].endswith("/transfer-learning-with-diffusion-models")
        }
        >= {
            "method",
            "label",
            "alias",
            "summary",
            "originator",
            "source",
            "field",
            "family",
            "start",
        }
        and "拡散モデルを用いた転移学習" in {r.get("value") for r in rows}
    ),
    "search-concepts": lambda rows: (
        "การเรียนรู้เชิงลึก" in {r["value"] for r in rows if r["concept"].endswith("/deep-learning")}
        and any(r["property"] == "broader" and r["kind"] == "family" for r in rows)
    ),
    "describe-methods": lambda rows: len(rows) > 20,
    # the researchers' examples of docs/sparql.md
    "methods-in-field-since": lambda rows: (
        len(rows) >= 10 and all(int(r["startYear"]) > 2015 for r in rows)
    ),
    "shared-originators": lambda rows: any(
        r["name"] == "Kaiming He" and r["otherMethod"].endswith("/moco") for r in rows
    ),
    "methods-of-originator": lambda rows: (
        {r["method"].rsplit("/", 1)[-1] for r in rows} >= {"resnet", "mask-r-cnn", "moco"}
    ),
    "methods-with-doi": lambda rows: (
        len(rows) >= 10 and all(r["link"] == "https://doi.org/" + r["doi"] for r in rows)
    ),
    "arxiv-sources": lambda rows: any(
        r["abstract"] == "https://arxiv.org/abs/2006.11239" for r in rows
    ),
    "related-neighbourhood": lambda rows: (
        {r["distance"] for r in rows} == {"1", "2"}
        and f"{BASE}method/ddim" in {r["neighbour"] for r in rows if r["distance"] == "1"}
    ),
    "page-methods": lambda rows: (
        43 <= len({r["method"] for r in rows}) <= 51
        and [r["key"] for r in rows] == sorted(r["key"] for r in rows)
    ),
    "method-link-ends": lambda rows: (
        {r["link"] for r in rows} <= {"related", "broader"}
        and f"{BASE}method/ddim" in {r["from"] for r in rows} | {r["to"] for r in rows}
    ),
    "method-links": lambda rows: (
        {r["link"] for r in rows} <= {"related", "broader"}
        and f"{BASE}method/ddim" in {r["from"] for r in rows} | {r["to"] for r in rows}
        and all("fromLabel" in r and "toLabel" in r for r in rows)
    ),
    "related-network": lambda rows: any(
        r["p"].endswith("#relatedMethod") and r["s"] == f"{BASE}method/ddpm" for r in rows
    ),
    "families-per-decade": lambda rows: any(
        r["family"].endswith("/diffusion-models")
        and r["decade"] == "2020"
        and int(r["methods"]) >= 3
        for r in rows
    ),
    "missing-translations": lambda rows: (
        {r["missing"] for r in rows} <= {"th", "ja"} and len(rows) > 0
    ),
    "method-types": lambda rows: sum(int(r["methods"]) for r in rows) >= 43,
    "methods-per-field-tree": lambda rows: (
        {r["field"].rsplit("/", 1)[-1]: int(r["methods"]) for r in rows}["computer-science"]
        >= {r["field"].rsplit("/", 1)[-1]: int(r["methods"]) for r in rows}["deep-learning"]
        > 0
    ),
    "earliest-per-field": lambda rows: len({r["field"] for r in rows}) >= 4,
    "sources-by-venue": lambda rows: all(int(r["sources"]) >= 1 for r in rows) and len(rows) > 5,
    "methods-without-source": lambda rows: rows == [],
    "browse-fields": lambda rows: (
        {r["concept"].rsplit("/", 1)[-1]: int(r["methods"]) for r in rows}["deep-learning"] == 21
    ),
    "browse-families": lambda rows: sum(int(r["methods"]) for r in rows) >= 56,
    "methods-per-decade": lambda rows: {r["decade"]: int(r["methods"]) for r in rows}["2020"] == 15,
    "import-row-labels": lambda rows: len({r["term"] for r in rows if "order" in r}) == 10,
    "import-language-labels": lambda rows: len(rows) > 50,
    # "ddpm" finds DDPM; the names the engine cannot normalise (Thai with SARA AM, en
    # dashes) come back whatever the key, for kg to compare itself
    "import-method-names": lambda rows: (
        {r["method"] for r in rows if r["name"].casefold() == "ddpm"} == {f"{BASE}method/ddpm"}
        and all(r["name"].casefold() == "ddpm" or not r["name"].isascii() for r in rows)
    ),
    "import-method-facts": lambda rows: len(rows) > 0,
    "import-method-names-of": lambda rows: (
        {r["method"] for r in rows} == {f"{BASE}method/ddpm"}
        and {"DDPM", "Denoising Diffusion Probabilistic Model"} <= {r["name"] for r in rows}
    ),
    "import-people-of": lambda rows: (
        {(r["person"], r["name"]) for r in rows} == {(f"{BASE}person/jonathan-ho", "Jonathan Ho")}
        and all(r["graph"].startswith(f"{BASE}graph/") for r in rows)
    ),
    "search-documents-of": lambda rows: (
        {r["method"] for r in rows} == {f"{BASE}method/ddpm"}
        and {r["kind"] for r in rows} >= {"method", "label", "alias", "originator", "field"}
    ),
    "search-concepts-of": lambda rows: (
        {r["concept"] for r in rows} == {f"{BASE}field/statistics"}
        and {r["property"] for r in rows} >= {"label"}
    ),
    "search-graph-subjects": lambda rows: (
        f"{BASE}method/bootstrap" in {r["subject"] for r in rows}
        and f"{BASE}method/ddpm" not in {r["subject"] for r in rows}
    ),
    # The example person: the methods they originated, the person, no field or family.
    "search-affected": lambda rows: (
        not any(r.get("concept") for r in rows)
        and f"{BASE}method/ddpm" in {r.get("method") for r in rows}
        and {r["person"] for r in rows if "person" in r} == {f"{BASE}person/jonathan-ho"}
    ),
    "import-method-identifiers": lambda rows: rows == [],  # no curated method has one
    "import-identified-methods": lambda rows: rows == [],
    "import-typed": lambda rows: (
        rows == [{"resource": f"{BASE}method/ddpm", "graph": f"{BASE}graph/methods-deep-learning"}]
    ),
    "import-known-methods": lambda rows: (
        rows
        == [{"method": f"{BASE}method/ddpm", "typeGraph": f"{BASE}graph/methods-deep-learning"}]
    ),
    "import-concepts": lambda rows: (
        {r["concept"] for r in rows if r["label"] == "Deep learning"}
        == {f"{BASE}field/deep-learning"}
    ),
    "import-sources": lambda rows: (
        [(r["source"], r["kind"]) for r in rows] == [(f"{BASE}source/ho-2020-ddpm", "arxiv")]
    ),
    "import-neighbourhood": lambda rows: (
        {r["p"].rsplit("#", 1)[-1] for r in rows} >= {"type", "prefLabel", "yearOfOrigin"}
    ),
    "import-neighbourhood-nodes": lambda rows: (
        {r["p"].rsplit("#", 1)[-1] for r in rows} >= {"startYear", "endYear", "first", "rest"}
    ),
    "import-neighbourhood-classes": lambda rows: (
        {r["o"].rsplit("#", 1)[-1] for r in rows} >= {"Field", "Source", "Person"}
    ),
    "import-class-hierarchy": lambda rows: (
        {r["s"].rsplit("#", 1)[-1] for r in rows} >= {"Field", "Family", "Method"}
    ),
    "import-people": lambda rows: (
        {r["person"] for r in rows if r["name"] == "Jonathan Ho"} == {f"{BASE}person/jonathan-ho"}
    ),
    "import-arxiv-methods": lambda rows: len({r["method"] for r in rows}) == 34,
    "describe-resource": lambda rows: (
        {r["o"] for r in rows if r["p"].endswith("#first")}
        >= {f"{BASE}person/jonathan-ho", f"{BASE}person/pieter-abbeel"}
        and "Denoising Diffusion Probabilistic Models" in {r["o"] for r in rows}
    ),
    "describe-references": lambda rows: (
        {r["s"] for r in rows if r["p"].endswith("#originator")} >= {f"{BASE}method/ddpm"}
        and "Jonathan Ho" not in {r["o"] for r in rows}
    ),
    "ontology-terms": lambda rows: (
        {r["valueLabel"] for r in rows if r["term"].endswith("#field") and "valueLabel" in r}
        >= {"Method", "Field"}
    ),
    "graph-triples": lambda rows: (
        len(rows) > 200 and all(r["s"].startswith("https://w3id.org/rmkg/ontology") for r in rows)
    ),
    "dataset-graphs": lambda rows: (
        {r["graph"].rsplit("/", 1)[-1]: int(r["triples"]) for r in rows}["ontology"] > 200
        and all(int(r["subjects"]) > 0 for r in rows)
    ),
    "example-resources": lambda rows: (
        {r["class"].split("#")[-1] for r in rows}
        == {"Method", "Person", "Source", "Field", "Family"}
    ),
    # The curated catalogue names no external identifiers; the SSSOM import finds AIO's
    # concepts through this query (test_default_catalogue checks the mappings it makes).
    "import-exact-matches": lambda rows: rows == [],
    # ddpm's statements, each with the curated file's graph; relatedMethod links stated the
    # other way round (symmetric) come with the graph that states them
    "value-provenance": lambda rows: (
        {r["graph"].rsplit("/", 1)[-1] for r in rows} == {"methods-deep-learning", "methods-seed"}
        and {"DDPM", "denoising diffusion model"} <= {r["value"] for r in rows}
        and any(r["property"].endswith("#relatedMethod") for r in rows)
    ),
    # nothing is recorded about a curated graph (its licence is the catalogue's, CC BY 4.0)
    "graph-sources": lambda rows: rows == [{"graph": f"{BASE}graph/methods-seed"}],
    "resolve-existing": lambda rows: (
        [r["resource"] for r in rows] == [f"{BASE}person/robin-rombach"]
    ),
    "resolve-labels": lambda rows: {r["resource"] for r in rows} == {f"{BASE}venue/neurips"},
    "resolve-persons": lambda rows: {r["person"] for r in rows} == {f"{BASE}person/robin-rombach"},
    "resolve-coauthors": lambda rows: f"{BASE}person/bjorn-ommer" in {r["coauthor"] for r in rows},
    "resolve-sources": lambda rows: (
        {r["source"] for r in rows} == {f"{BASE}source/ho-2020-ddpm"}
        and {r["kind"] for r in rows} == {"arxiv", "title"}
    ),
    "resolve-source-methods": lambda rows: f"{BASE}method/ddpm" in {r["method"] for r in rows},
    "method-source": lambda rows: (
        rows[0]["doi"] == "10.1109/CVPR52729.2023.02155" and len({r["name"] for r in rows}) == 6
    ),
}


def _rows(ctx: Context, name: str) -> list[dict[str, str]]:
    query = ctx.queries[name]
    if query.kind == "construct":
        graph = ctx.store.construct(query.bind())
        return [{"s": str(s), "p": str(p), "o": str(o)} for s, p, o in graph]
    result = ctx.store.select(query.bind())
    return [{k: str(v) for k, v in row.items()} for row in result.rows]


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_library_query_returns_what_it_promises(catalogue_ctx: Context, name: str) -> None:
    assert EXPECTATIONS[name](_rows(catalogue_ctx, name))


def test_every_library_query_has_an_expectation(catalogue_ctx: Context) -> None:
    """Here on the curated catalogue, or in test_research_queries on the deeper graph."""
    from tests.test_research_queries import EXPECTED

    names = {q.name for q in catalogue_ctx.queries if q.path.parent.name != "checks"}
    assert sorted(names - set(EXPECTATIONS) - set(EXPECTED)) == []


def _related(ctx: Context) -> dict[str, set[str]]:
    rows = ctx.store.select(ctx.queries["method-rows"].bind(method=_all_methods(ctx)))
    links: dict[str, set[str]] = defaultdict(set)
    for row in rows.rows:
        if str(row["property"]).endswith("#relatedMethod"):
            links[str(row["method"])].add(str(row["value"]))
    return links


def _all_methods(ctx: Context) -> list[str]:
    rows = ctx.store.select(ctx.queries["list-methods"].bind()).rows
    return [str(r["method"]) for r in rows]


def test_seed_methods_have_the_seed_related_counts(catalogue_ctx: Context) -> None:
    links = _related(catalogue_ctx)
    assert {m: len(links[f"{BASE}method/{m}"]) for m in SEEDS} == SEEDS


def test_related_links_form_one_connected_graph(catalogue_ctx: Context) -> None:
    methods = _all_methods(catalogue_ctx)
    links = _related(catalogue_ctx)
    seen, todo = set(), [methods[0]]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(links[node] - seen)
    assert seen == set(methods)


def test_catalogue_spans_at_least_four_fields(catalogue_ctx: Context) -> None:
    rows = catalogue_ctx.store.select(catalogue_ctx.queries["list-methods"].bind()).rows
    assert len({str(r["field"]) for r in rows if "field" in r}) >= 4


SPARQL_IN_PYTHON = re.compile(
    r"""["']\s*((SELECT|CONSTRUCT|ASK|DESCRIBE|INSERT|DELETE)\b[^"']*(\{|WHERE|DATA)"""
    r"""|PREFIX\s+[A-Za-z0-9_-]*:)""",
    re.IGNORECASE,
)


def test_no_python_file_under_src_contains_sparql() -> None:
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{n}"
        for path in (PROJECT_ROOT / "src").rglob("*.py")
        # kg.search is the SQLite search index: its SQL is not SPARQL.
        if path.parent != PROJECT_ROOT / "src" / "kg" / "search"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SPARQL_IN_PYTHON.search(line)
    ]
    assert offenders == []
