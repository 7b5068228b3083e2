"""Pictures beside the tables: the links graph (a list Cytoscape.js draws), the timeline,
completeness and bar charts of counts, each with its text alternative and no inline style."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from kg.services.compare import compare
from kg.services.context import Context
from kg.services.pictures import bar_chart, completeness, method_graph, timeline

COMPARED = "/compare?m=ddpm&m=ddim&m=lora"


def test_the_graph_of_compared_methods_links_them_both_ways(catalogue_ctx: Context) -> None:
    ddpm, ddim = catalogue_ctx.method_iri("ddpm"), catalogue_ctx.method_iri("ddim")
    graph = method_graph(catalogue_ctx, [ddpm, ddim], lang="en")
    pairs = {frozenset((e.source, e.target)) for e in graph.edges if e.kind == "related"}
    assert frozenset((ddpm, ddim)) in pairs
    assert len(pairs) == len([e for e in graph.edges if e.kind == "related"])  # no duplicates
    assert {n.iri for n in graph.nodes if n.focus} == {ddpm, ddim}


def test_links_kept_between_pages_draw_the_graph_a_fresh_read_draws(
    catalogue_ctx: Context,
) -> None:
    """Each method's links are kept per store version and language: a graph drawn from
    links read before (alone, or with other methods) is the one a fresh read draws."""
    ctx = catalogue_ctx
    iris = [ctx.method_iri(i) for i in ("ddpm", "ddim", "lora", "dreambooth")]
    for lang in ("en", "ja"):
        ctx.caches.pop("pictures.method-links", None)
        fresh = method_graph(ctx, iris, lang=lang)
        assert fresh.edges
        ctx.caches.pop("pictures.method-links", None)
        method_graph(ctx, iris[:1], lang=lang)
        method_graph(ctx, iris[2:], lang=lang)
        assert method_graph(ctx, iris, lang=lang) == fresh
        assert method_graph(ctx, iris, lang=lang) == fresh
    english = method_graph(ctx, iris, lang="en")
    japanese = method_graph(ctx, iris, lang="ja")
    assert {n.label for n in english.nodes} != {n.label for n in japanese.nodes}


@pytest.mark.parametrize("lang", ["en", "th", "ja"])
def test_the_graph_draws_what_method_links_rq_answers(catalogue_ctx: Context, lang: str) -> None:
    """The pages read the links without labels and label both ends from the resources'
    details: the same links and labels as the library's ``method-links.rq`` (every curated
    method has an English label, so the two fallbacks agree)."""
    ctx = catalogue_ctx
    methods = [str(r["method"]) for r in ctx.store.select(ctx.queries["list-methods"].bind()).rows]
    for start in range(0, len(methods), 5):
        iris = methods[start : start + 5]
        rows = ctx.store.select(ctx.queries["method-links"].bind(method=iris, lang=lang)).rows
        labels = {}
        expected = set()
        for r in rows:
            source, target = str(r["from"]), str(r["to"])
            labels[source], labels[target] = str(r["fromLabel"]), str(r["toLabel"])
            if str(r["link"]) == "related":
                source, target = sorted((source, target))
            expected.add((source, target, str(r["link"])))
        graph = method_graph(ctx, iris, lang=lang)
        assert {(e.source, e.target, e.kind) for e in graph.edges} == expected
        assert {n.iri: n.label for n in graph.nodes} == labels


def test_timeline_and_completeness_follow_the_table(catalogue_ctx: Context) -> None:
    comparison = compare(catalogue_ctx, ["ddpm", "ddim", "lora"], lang="en")
    drawn = timeline(comparison)
    assert drawn is not None
    assert [s.label for s in drawn.spans] == [m.label for m in comparison.methods]
    assert all(0 <= s.x and s.x + s.width <= drawn.width for s in drawn.spans)
    filled = completeness(comparison)
    assert [m.rows for m in filled.methods] == [len(comparison.rows)] * 3
    for gap in filled.rows:
        assert set(gap.missing) <= {m.label for m in comparison.methods}


def test_bar_chart_only_for_counts_over_categories() -> None:
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    rows = [
        {"decade": {"type": "literal", "value": str(d), "datatype": integer},
         "methods": {"type": "literal", "value": str(n), "datatype": integer}}
        for d, n in ((1990, 2), (2000, 5), (2010, 10))
    ]  # fmt: skip
    chart = bar_chart(["decade", "methods"], rows)
    assert chart is not None and [b.value for b in chart.bars] == [2, 5, 10]
    assert chart.bars[-1].width > chart.bars[0].width
    text_rows = [
        {"a": {"type": "literal", "value": "x"}, "b": {"type": "literal", "value": "y"}}
    ] * 3
    assert bar_chart(["a", "b"], text_rows) is None
    assert bar_chart(["decade", "methods", "x"], rows) is None


def test_comparison_page_has_pictures_with_text_alternatives(client: FlaskClient) -> None:
    page = client.get(COMPARED).get_data(as_text=True)
    assert 'class="chart timeline"' in page and '<desc id="timeline-svg-desc">' in page
    assert 'class="completeness"' in page
    assert 'data-kind="related"' in page and "/assets/cytoscape/cytoscape.min.js" in page
    assert not re.search(r"\sstyle\s*=", page)  # the CSP allows no inline style


def test_method_page_draws_its_neighbourhood(client: FlaskClient) -> None:
    page = client.get("/methods/ddpm").get_data(as_text=True)
    assert 'class="graph-edges"' in page and "/static/graph.js" in page


def test_canned_count_query_has_a_bar_chart(client: FlaskClient) -> None:
    page = client.get("/queries/methods-per-decade?run=1").get_data(as_text=True)
    assert 'class="chart bars"' in page and '<title id="bars-title">' in page
    table_page = client.get("/queries/list-methods?run=1").get_data(as_text=True)
    assert 'class="chart bars"' not in table_page


def test_cytoscape_is_served_locally(client: FlaskClient) -> None:
    with client.get("/assets/cytoscape/cytoscape.min.js") as answer:
        assert answer.status_code == 200 and b"cytoscape" in answer.data[:2000]
