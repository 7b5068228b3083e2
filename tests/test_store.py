"""Loads into named graphs, atomic and idempotent, on every backend (``store_ctx``); the
embedded store's snapshots for readers (``ctx``)."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.services.context import Context
from kg.services.loading import LoadError, load_files
from kg.store import QuerySyntaxError, RdfSyntaxError, embedded

GOOD = """\
@prefix kg: <https://w3id.org/rmkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix method: <method/> .
method:alpha a kg:Method ; skos:prefLabel "Alpha"@en ;
    kg:yearOfOrigin [ kg:startYear "2001"^^<http://www.w3.org/2001/XMLSchema#gYear> ] .
method:beta a kg:Method ; skos:prefLabel "Beta"@en .
"""


def sorted_nquads(ctx: Context) -> list[str]:
    buffer = io.BytesIO()
    ctx.store.dump(buffer, "nquads")
    return sorted(buffer.getvalue().decode().splitlines())


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_each_file_gets_its_own_named_graph_with_iris_under_the_base(
    store_ctx: Context, tmp_path: Path
) -> None:
    report = load_files(store_ctx, [write(tmp_path / "lab.ttl", GOOD)])
    base = store_ctx.settings.base_iri
    assert set(store_ctx.store.named_graphs()) == {f"{base}graph/ontology", f"{base}graph/lab"}
    assert report.quads_after > report.quads_before == 0
    assert any(f"<{base}method/alpha>" in line for line in sorted_nquads(store_ctx))


def test_loading_twice_gives_the_same_content(store_ctx: Context, tmp_path: Path) -> None:
    path = write(tmp_path / "lab.ttl", GOOD)
    load_files(store_ctx, [path])
    first = store_ctx.store.quad_count()
    load_files(store_ctx, [path])
    assert store_ctx.store.quad_count() == first


def test_reloading_a_source_replaces_its_graph(store_ctx: Context, tmp_path: Path) -> None:
    path = write(tmp_path / "lab.ttl", GOOD)
    load_files(store_ctx, [path])
    write(path, GOOD.split("method:beta")[0])
    load_files(store_ctx, [path])
    assert not any("method/beta" in line for line in sorted_nquads(store_ctx))


def test_a_syntax_error_names_file_line_column_and_changes_nothing(
    store_ctx: Context, tmp_path: Path
) -> None:
    load_files(store_ctx, [write(tmp_path / "lab.ttl", GOOD)])
    before, version = sorted_nquads(store_ctx), store_ctx.store.version()
    good = write(tmp_path / "other.ttl", GOOD.replace("alpha", "gamma"))
    broken = write(tmp_path / "zeta.ttl", GOOD + "method:delta kg:summary .\n")
    with pytest.raises(RdfSyntaxError) as caught:
        load_files(store_ctx, [good, broken])
    error = caught.value
    assert (error.source, error.line, error.column) == (str(broken), 7, 25)
    assert str(error).startswith(f"{broken}:7:25: ")
    assert sorted_nquads(store_ctx) == before
    assert store_ctx.store.version() == version


def test_an_unknown_format_or_missing_file_is_refused(store_ctx: Context, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="unknown RDF format"):
        load_files(store_ctx, [write(tmp_path / "x.csv", "a,b\n")])
    with pytest.raises(LoadError, match="no such file"):
        load_files(store_ctx, [tmp_path / "missing.ttl"])


def test_readers_keep_their_snapshot_until_a_write_is_published(
    ctx: Context, tmp_path: Path
) -> None:
    load_files(ctx, [write(tmp_path / "lab.ttl", GOOD)])
    old_version, old_count = ctx.store.version(), ctx.store.quad_count()
    load_files(ctx, [write(tmp_path / "more.ttl", GOOD.replace("alpha", "omega"))])
    assert ctx.store.version() != old_version
    assert ctx.store.quad_count() > old_count
    snapshots = sorted(p.name for p in (Path(ctx.settings.store) / "snapshots").iterdir())
    assert snapshots[-1] == ctx.store.version()


def test_leftovers_of_an_interrupted_write_are_cleared(ctx: Context, tmp_path: Path) -> None:
    load_files(ctx, [write(tmp_path / "lab.ttl", GOOD)])
    before = sorted_nquads(ctx)
    leftover = Path(ctx.settings.store) / "snapshots" / "99999999"
    leftover.mkdir()
    (leftover / "garbage").write_text("half a database")
    assert sorted_nquads(ctx) == before  # readers ignore it
    load_files(ctx, [write(tmp_path / "lab.ttl", GOOD)])
    assert not leftover.exists()


def test_rows_with_language_tags_keep_every_character(ctx: Context, tmp_path: Path) -> None:
    data = tmp_path / "texts.ttl"
    data.write_text(
        '<thing/a> <https://w3id.org/rmkg/p> "tab\\there \\"q\\" \\\\ nl\\nend é 拡 \\u00e9"@en ,'
        ' "บท"@th , "plain" , 1997 , <thing/b> .\n',
        encoding="utf-8",
    )
    load_files(ctx, [data], with_ontology=False)
    query = "SELECT ?s ?o WHERE { ?s <https://w3id.org/rmkg/p> ?o }"
    rows = set(ctx.store.select_rows(query, languages=True))
    s = "https://w3id.org/rmkg/thing/a"
    assert rows == {
        (s, 'tab\there "q" \\ nl\nend é 拡 é', "", "en"),
        (s, "บท", "", "th"),
        (s, "plain", "", ""),
        (s, "1997", "", ""),
        (s, "https://w3id.org/rmkg/thing/b", "", ""),
    }
    assert {row[1] for row in ctx.store.select_rows(query)} == {r[1] for r in rows}


P = "https://w3id.org/rmkg/p"


def _many_texts(ctx: Context, tmp_path: Path) -> str:
    """Load 300 literals, some long and with multi-byte characters; the query reading them."""
    lines = [
        f'<thing/{n}> <{P}> "{"拡é " * (n % 7) * n}\\n{n}"@{("en", "ja")[n % 2]} .'
        for n in range(300)
    ]
    data = tmp_path / "many.ttl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_files(ctx, [data], with_ontology=False)
    return f"SELECT ?s ?o WHERE {{ ?s <{P}> ?o }}"


def test_rows_are_read_whole_whatever_the_reads_of_the_file_being_written(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine serializes into a file on a thread while the rows are read from it: reads
    that end anywhere in a row or inside a character lose and split nothing."""
    query = _many_texts(ctx, tmp_path)
    expected = sorted(ctx.store.select_rows(query, languages=True))
    assert len(expected) == 300
    assert ("https://w3id.org/rmkg/thing/299", "拡é " * 5 * 299 + "\n299", "", "ja") in expected
    for size in (1, 5, 4093):
        monkeypatch.setattr(embedded, "READ_SIZE", size)
        assert sorted(ctx.store.select_rows(query, languages=True)) == expected
        assert sorted(ctx.store.select_rows(query)) == sorted(r[:2] for r in expected)


def test_a_reader_that_stops_early_or_a_bad_query_leaves_no_file(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = _many_texts(ctx, tmp_path)
    files = tmp_path / "tmp"
    files.mkdir()
    monkeypatch.setattr(embedded.tempfile, "tempdir", str(files))
    rows = ctx.store.select_rows(query, languages=True)
    assert len(next(rows)) == 4
    rows.close()
    with pytest.raises(QuerySyntaxError):
        list(ctx.store.select_rows("SELECT ?s WHERE { ?s", languages=True))
    with pytest.raises(QuerySyntaxError, match="not a SELECT"):
        list(ctx.store.select_rows("ASK { ?s ?p ?o }"))
    assert list(files.iterdir()) == []


def _counted(ctx: Context) -> int:
    """The current snapshot's quads, counted by the engine itself."""
    snapshot = Path(ctx.settings.store) / "snapshots" / ctx.store.version()
    return len(ox.Store.read_only(str(snapshot)))


def test_the_quad_count_follows_every_kind_of_write_without_counting_again(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write of known graphs works the new count out from the graphs it changed (small
    ones: counting the store takes seconds at a million methods); other writes leave it to
    be counted once when asked for. Either way it is the engine's own count."""
    store = ctx.store
    assert store.quad_count() == 0
    kept = Path(ctx.settings.store) / "quads"
    load_files(ctx, [write(tmp_path / "lab.ttl", GOOD)], with_ontology=False)
    assert (kept / store.version()).is_file()  # worked out by the write
    assert store.quad_count() == _counted(ctx) > 0
    load_files(ctx, [write(tmp_path / "more.ttl", GOOD.replace("alpha", "omega"))])
    assert (kept / store.version()).is_file()
    assert store.quad_count() == _counted(ctx)
    base = ctx.settings.base_iri
    turtle = b'<method/gamma> <https://w3id.org/rmkg/p> "x", "y" .'
    store.write_graph(f"{base}graph/extra", [(turtle, "turtle")], base_iri=base, replace=False)
    store.write_graph(None, [(turtle, "turtle")], base_iri=base, replace=True)
    store.write_graph(f"{base}graph/extra", [(turtle, "turtle")], base_iri=base, replace=True)
    assert (kept / store.version()).is_file()
    assert store.quad_count() == _counted(ctx)
    assert store.drop_graph(f"{base}graph/extra")
    assert store.quad_count() == _counted(ctx)
    store.update(f"INSERT DATA {{ GRAPH <{base}graph/u> {{ <a:b> <a:c> 1 }} }}")
    assert not (kept / store.version()).exists()  # not known: counted when asked
    assert store.quad_count() == _counted(ctx)
    assert (kept / store.version()).is_file()
    monkeypatch.setattr(embedded, "COUNTED_GRAPH_QUADS", 2)  # graphs too large to count
    more = b'<method/delta> <https://w3id.org/rmkg/p> "x", "y", "z" .'
    store.write_graph(f"{base}graph/extra", [(more, "turtle")], base_iri=base, replace=True)
    assert not (kept / store.version()).exists()
    assert store.quad_count() == _counted(ctx)
    load_files(ctx, [write(tmp_path / "lab.ttl", GOOD.replace("Beta", "Bêta"))])
    assert store.quad_count() == _counted(ctx)
    snapshots = sorted(p.name for p in (Path(ctx.settings.store) / "snapshots").iterdir())
    assert set(p.name for p in kept.iterdir()) <= set(snapshots)  # pruned with them
