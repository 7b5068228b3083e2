"""The pages' cheap reading of methods gives exactly the rows of ``method-rows.rq``."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, URIRef
from rdflib.term import Node

from kg.services.compare import display_rows
from kg.services.context import Context
from kg.services.imports import import_files
from kg.services.method_values import read_method_values
from tests.conftest import shared_path

Comparable = tuple[str, str, str, str, str, str, str, str, tuple[str, ...]]


def _term(node: Node | None) -> str:
    if node is None:
        return ""
    return "_:" if isinstance(node, BNode) else node.n3()


def _list_texts(rows: list[dict[str, Node]], head: str) -> tuple[str, ...]:
    """The members of the list starting at ``head``, in order (blank cells have no name
    that survives two queries, so lists are compared by their walk)."""
    cells = {str(r["cell"]): r for r in rows if "cell" in r and str(r["value"]) == head}
    texts, node = [], head
    while node in cells and len(texts) <= len(cells):
        texts.append(_term(cells[node].get("text")))
        node = str(cells[node].get("next", ""))
    return tuple(texts)


def _comparable(rows: list[dict[str, Node]]) -> set[Comparable]:
    """Rows as a set of comparable tuples (how often OPTIONALs repeat a row does not matter to
    the table), list cells folded into their list."""
    out: set[Comparable] = set()
    for r in rows:
        if "cell" in r and str(r["cell"]) != str(r["value"]):
            continue
        value = r["value"]
        members = _list_texts(rows, str(value)) if "cell" in r else ()
        out.add(
            (
                str(r["method"]),
                str(r["property"]),
                _term(value),
                "" if members else _term(r.get("text")),
                str(r.get("textLang", "")),
                _term(r.get("start")),
                _term(r.get("end")),
                _term(r.get("doi")) + _term(r.get("url")),
                members,
            )
        )
    return out


def _both_ways(ctx: Context, iris: list[str], lang: str) -> tuple[set[Comparable], ...]:
    query = ctx.queries["method-rows"].bind(method=iris, lang=lang)
    expected = _comparable(ctx.store.select(query).rows)
    shown = [d.property for d in display_rows(ctx, lang)]
    read = read_method_values(ctx, iris, shown, lang=lang)
    got = [
        {**row, "method": URIRef(method), "property": URIRef(prop)}
        for (method, prop), rows in read.rows.items()
        for row in rows
    ]
    return _comparable(got), expected


def _methods(ctx: Context) -> list[str]:
    return [str(r["method"]) for r in ctx.store.select(ctx.queries["list-methods"].bind()).rows]


@pytest.mark.parametrize("lang", ["en", "th", "ja", "de"])
def test_the_curated_catalogue_reads_the_same_both_ways(catalogue_ctx: Context, lang: str) -> None:
    methods = _methods(catalogue_ctx)
    assert len(methods) > 40
    for start in range(0, len(methods), 8):
        got, expected = _both_ways(catalogue_ctx, methods[start : start + 8], lang)
        assert got == expected


@pytest.mark.shared
@pytest.mark.parametrize("lang", ["en", "th", "ja"])
def test_imported_seed_pages_read_the_same_both_ways(vocab_ctx: Context, lang: str) -> None:
    """Imports name year ranges and list cells with IRIs (skolem), not blank nodes."""
    seeds = sorted(Path(shared_path("seeds")).glob("*.txt"))
    import_files(vocab_ctx, seeds)
    methods = _methods(vocab_ctx)
    assert methods
    got, expected = _both_ways(vocab_ctx, methods, lang)
    assert got == expected
    assert any(key[5] for key in got), "year ranges were read"
    assert any(key[8] for key in got), "alias lists were read"


def test_unknown_methods_have_no_header(catalogue_ctx: Context) -> None:
    iri = catalogue_ctx.method_iri("no-such-method")
    read = read_method_values(catalogue_ctx, [iri, catalogue_ctx.method_iri("ddpm")], [], lang="en")
    assert list(read.headers) == [catalogue_ctx.method_iri("ddpm")]


def test_statements_in_the_stores_own_default_graph_are_shown(tmp_path: Path) -> None:
    """The pages read each statement once as the default graph has it and once per named
    graph stating it: what only the store's own default graph holds (an update without GRAPH,
    a Graph Store write to ?default) is still shown, with no graph to credit."""
    from kg.config import Settings
    from kg.services.compare import compare
    from kg.services.provenance import provenance_of

    ctx = Context.from_settings(Settings.from_env({}, store=str(tmp_path / "store")))
    iri = ctx.method_iri("default-graph-method")
    ctx.store.update(
        "INSERT DATA { <" + iri + "> a <https://w3id.org/rmkg/ontology#Method> ; "
        '<http://www.w3.org/2004/02/skos/core#prefLabel> "Default graph method"@en . }'
    )
    try:
        shown = compare(ctx, ["default-graph-method"], lang="en", minimum=1, all_rows=True)
        assert shown.methods[0].label == "Default graph method"
        assert provenance_of(ctx, shown.statement_graphs).graphs == {}
    finally:
        ctx.store.close()


def test_rows_kept_between_pages_are_those_of_a_fresh_read(catalogue_ctx: Context) -> None:
    """Rows of methods read before (alone, or with others) are kept per store version: a
    page of those methods, in any order and with an unknown one, reads what a fresh read
    does."""
    ctx = catalogue_ctx
    methods = _methods(ctx)[:12]
    shown = [d.property for d in display_rows(ctx, "ja")]
    ctx.caches.pop("method-values.rows", None)
    fresh = read_method_values(ctx, methods, shown, lang="ja")
    for iri in methods[::3]:
        read_method_values(ctx, [iri], shown, lang="ja")
    unknown = ctx.method_iri("no-such-method")
    again = read_method_values(ctx, [unknown, *methods[::-1]], shown, lang="ja")
    assert again.headers == fresh.headers
    assert again.rows == fresh.rows
    assert again.graphs == fresh.graphs


def test_a_write_is_read_on_the_next_page(tmp_path: Path) -> None:
    """The kept rows belong to one store version: the page after a write reads it."""
    from kg.config import Settings

    ctx = Context.from_settings(Settings.from_env({}, store=str(tmp_path / "store")))
    iri = ctx.method_iri("kept-method")
    label = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    ctx.store.update(
        "INSERT DATA { <"
        + iri
        + "> a <https://w3id.org/rmkg/ontology#Method> ; "
        + label.n3()
        + ' "Before"@en . }'
    )
    try:
        assert read_method_values(ctx, [iri], [], lang="en").headers[iri].label == "Before"
        assert read_method_values(ctx, [iri], [], lang="en").headers[iri].label == "Before"
        ctx.store.update(
            "DELETE WHERE { <" + iri + "> " + label.n3() + " ?old } ; "
            "INSERT DATA { <" + iri + "> " + label.n3() + ' "After"@en . }'
        )
        assert read_method_values(ctx, [iri], [], lang="en").headers[iri].label == "After"
    finally:
        ctx.store.close()
