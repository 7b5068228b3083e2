"""A full build of the search index written by a second process (``kg.search.sink``) is the
build written in one; the sink reports its errors and commits nothing after one."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import kg.search.build as building
from kg.search.build import build
from kg.search.sink import ProcessSink, SinkError
from kg.services.context import Context

BASE = "https://w3id.org/rmkg/"
Row = tuple[str, ...]


@pytest.fixture(scope="module")
def rows(catalogue_ctx: Context) -> tuple[list[Row], list[Row]]:
    store, queries = catalogue_ctx.store, catalogue_ctx.queries
    documents = list(store.select_rows(queries["search-documents"].bind(), languages=True))
    concepts = list(store.select_rows(queries["search-concepts"].bind(), languages=True))
    return documents, concepts


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, FTS5's own tables included, in rowid order (the build's
    time left out)."""
    conn = sqlite3.connect(path)
    try:
        names = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,))
            .fetchone()[0]
            .startswith("CREATE VIRTUAL")
        ]
        tables = {name: conn.execute(f'SELECT * FROM "{name}"').fetchall() for name in names}
    finally:
        conn.close()
    tables["meta"] = [row for row in tables["meta"] if row[0] != "built"]
    return tables


def test_the_sink_process_writes_the_index_one_process_writes(
    rows: tuple[list[Row], list[Row]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents, concepts = rows
    monkeypatch.setattr(building, "BATCH", 7)  # many batches, in both processes
    monkeypatch.setattr(building, "DICTIONARY_SAMPLES", 5)
    here, again, there = (tmp_path / f"{name}.sqlite" for name in ("here", "again", "there"))
    for target in (here, again):
        build(target, version="v1", base_iri=BASE, documents=documents, concepts=concepts)
    started: list[ProcessSink] = []

    class Recorded(ProcessSink):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            started.append(self)

    monkeypatch.setattr(building, "ProcessSink", Recorded)
    monkeypatch.setattr(building, "PROCESS_SINK_METHODS", 1)
    report = build(there, version="v1", base_iri=BASE, documents=documents, concepts=concepts)
    assert len(started) == 1
    assert report.methods > 50
    expected = _tables(here)
    assert len(expected["methods"]) == report.methods
    assert len(expected["names"]) > report.methods
    assert _tables(again) == expected  # a build is reproducible, row for row
    assert _tables(there) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "again.sqlite",
        "here.sqlite",
        "there.sqlite",
    ]


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])
    finally:
        conn.close()


def test_the_sinks_first_error_is_raised_and_nothing_after_it_is_committed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t(x INTEGER NOT NULL)").connection.close()
    sink = ProcessSink(path, "PRAGMA journal_mode = OFF;")
    sink.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    sink.sync()
    sink.execute("INSERT INTO nowhere VALUES (?)", (3,))
    sink.executemany("INSERT INTO t VALUES (?)", [(4,)])
    with pytest.raises(SinkError, match="INSERT INTO nowhere.*no such table"):
        sink.sync()
    with pytest.raises(SinkError, match="no such table"):
        sink.close(commit=True)
    assert _count(path) == 0

    sink = ProcessSink(path, "")
    sink.executemany("INSERT INTO t VALUES (?)", [(5,)])
    sink.close(commit=True)
    assert _count(path) == 1


def test_a_sink_whose_process_is_gone_says_so(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t(x)").connection.close()
    sink = ProcessSink(path, "")
    sink.executemany("INSERT INTO t VALUES (?)", [(1,)])
    sink._process.kill()
    sink._process.join()
    with pytest.raises(SinkError, match="stopped"):
        for _ in range(1000):  # sends succeed while the pipe still has room
            sink.executemany("INSERT INTO t VALUES (?)", [(2,)] * 100)
        sink.sync()
    with pytest.raises(SinkError):
        sink.close(commit=True)
    assert _count(path) == 0


def test_a_build_that_fails_while_the_sink_writes_stops_it_and_leaves_no_file(
    rows: tuple[list[Row], list[Row]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents, concepts = rows
    monkeypatch.setattr(building, "BATCH", 7)
    monkeypatch.setattr(building, "DICTIONARY_SAMPLES", 5)
    monkeypatch.setattr(building, "PROCESS_SINK_METHODS", 1)
    started: list[ProcessSink] = []

    class Recorded(ProcessSink):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            started.append(self)

    add = building._Writer.add
    calls = 0

    def failing_add(self: building._Writer, *args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 30:  # after a few batches went to the sink
            raise RuntimeError("the builder fails")
        add(self, *args)

    monkeypatch.setattr(building, "ProcessSink", Recorded)
    monkeypatch.setattr(building._Writer, "add", failing_add)
    target = tmp_path / "index.sqlite"
    with pytest.raises(RuntimeError, match="the builder fails"):
        build(target, version="v1", base_iri=BASE, documents=documents, concepts=concepts)
    assert len(started) == 1
    assert not started[0]._process.is_alive()
    assert list(tmp_path.iterdir()) == []
