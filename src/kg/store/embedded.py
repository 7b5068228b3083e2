"""The embedded store: pyoxigraph on disk, as immutable snapshots.

Layout of the store directory::

    current -> snapshots/00000007     a symlink, switched atomically
    snapshots/00000006/               older snapshots, kept a little for readers
    snapshots/00000007/               a complete pyoxigraph (RocksDB) database
    quads/00000007                    its number of quads, once known
    write.lock                        serialises writers across processes

A write makes a checkpoint of the current snapshot (hard links, milliseconds), changes
the copy, flushes and closes it, and only then points ``current`` at it. Readers open
snapshots read-only and never see a half-done write; a crash or SIGKILL at any moment
leaves ``current`` on the old, complete snapshot. A published snapshot is never opened
for writing again (RocksDB does not allow a read-only open beside a writer).

A backup is a RocksDB checkpoint of the current snapshot (hard links on the same file
system, copies elsewhere), taken under a shared lock so that no write prunes the snapshot
meanwhile; it is itself a pyoxigraph database (``oxigraph serve --location`` opens it). A
restore checkpoints the backup into a new snapshot and publishes it like any write.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox
from rdflib.term import Node

from kg.store.base import (
    QUAD_FORMATS,
    GraphSource,
    NotAcceptableError,
    QueryDataset,
    QuerySyntaxError,
    RdfFormatName,
    RdfSyntaxError,
    ResultKind,
    SelectResult,
    SerializedResults,
    Store,
    StoreError,
)
from kg.store.terms import to_rdflib

OX_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
KEEP_SNAPSHOTS = 3
RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


class EmbeddedStore(Store):
    """pyoxigraph on disk. Safe to share between threads; many processes may read."""

    keeps_old_versions = True

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._reader: ox.Store | None = None
        self._reader_name: str | None = None
        self._written = threading.local()

    # --- reading ---------------------------------------------------------------------------

    @property
    def _current_link(self) -> Path:
        return self.path / "current"

    def version(self, *, fresh: bool = False) -> str:
        try:
            return os.readlink(self._current_link).rsplit("/", 1)[-1]
        except FileNotFoundError:
            return "empty"

    def _store(self) -> ox.Store:
        name = self.version()
        reader = self._reader
        if reader is not None and name == self._reader_name:
            return reader
        with self._lock:
            if self._reader is None or name != self._reader_name:
                if name == "empty":
                    self._reader = ox.Store()
                else:
                    try:
                        self._reader = ox.Store.read_only(str(self.path / "snapshots" / name))
                    except OSError as exc:
                        raise StoreError(f"cannot open store snapshot {name}: {exc}") from exc
                self._reader_name = name
            return self._reader

    def _query(self, query: str) -> object:
        try:
            return self._store().query(query, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None

    def select(self, query: str) -> SelectResult:
        solutions = self._query(query)
        if not isinstance(solutions, ox.QuerySolutions):
            raise QuerySyntaxError("not a SELECT query")
        names = tuple(v.value for v in solutions.variables)
        rows: list[dict[str, Node]] = []
        for solution in solutions:
            terms = zip(names, solution, strict=True)
            rows.append({name: to_rdflib(term) for name, term in terms if term is not None})
        return SelectResult(names, rows)

    def select_rows(
        self, query: str, *, version: str | None = None, languages: bool = False
    ) -> Iterator[tuple[str, ...]]:
        """Rows serialized by pyoxigraph into a temporary file (SPARQL CSV, or TSV when the
        language tags are wanted) and read back while it is written: memory stays flat
        whatever the number of rows, and the engine (which releases the GIL when it writes
        to a path) evaluates and serializes on one core while the caller reads the rows on
        another."""
        with self._lock:
            reader, name = self._reader, self._reader_name
        if version is None or version != name:
            name = version or self.version()
            reader = None
        if reader is None:
            if name == "empty":
                reader = ox.Store()
            else:
                try:
                    reader = ox.Store.read_only(str(self.path / "snapshots" / name))
                except OSError as exc:
                    raise StoreError(f"cannot open store snapshot {name}: {exc}") from exc
        results_format = ox.QueryResultsFormat.TSV if languages else ox.QueryResultsFormat.CSV
        lines = _serialized_lines(reader, query, results_format)
        try:
            if languages:
                yield from _tsv_rows(lines)
                return
            rows = csv.reader(lines)
            next(rows, None)  # the header
            for row in rows:
                yield tuple(row)
        finally:
            lines.close()

    def ask(self, query: str) -> bool:
        answer = self._query(query)
        if not isinstance(answer, ox.QueryBoolean):
            raise QuerySyntaxError("not an ASK query")
        return bool(answer)

    def construct_triples(self, query: str) -> Iterator[tuple[Node, Node, Node]]:
        triples = self._query(query)
        if not isinstance(triples, ox.QueryTriples):
            raise QuerySyntaxError("not a CONSTRUCT or DESCRIBE query")
        for triple in triples:
            yield to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)

    def query_serialized(
        self,
        query: str,
        formats: Mapping[ResultKind, str | None],
        *,
        dataset: QueryDataset | None = None,
        base_iri: str | None = None,
        max_rows: int | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> SerializedResults:
        options: dict[str, Any] = {"base_iri": base_iri}
        if dataset is None:
            options["use_default_graph_as_union"] = True
        else:
            if dataset.default_graphs is not None:
                options["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
            if dataset.named_graphs is not None:
                options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
        try:
            answer = self._store().query(query, **options)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        kind: ResultKind = (
            "boolean"
            if isinstance(answer, ox.QueryBoolean)
            else "tabular"
            if isinstance(answer, ox.QuerySolutions)
            else "graph"
        )
        fmt = formats.get(kind)
        if fmt is None:
            raise NotAcceptableError(kind)
        if isinstance(answer, ox.QueryBoolean):
            return SerializedResults(
                kind, fmt, answer.serialize(format=RESULTS_FORMATS[fmt]) or b""
            )
        if isinstance(answer, ox.QuerySolutions):
            variables = [v.value for v in answer.variables]
            rows = list(answer if max_rows is None else islice(answer, max_rows + 1))
            truncated = max_rows is not None and len(rows) > max_rows
            # pyoxigraph serializes whole result iterators only: the kept rows go through
            # SPARQL JSON and pyoxigraph's parser, then pyoxigraph's serializer.
            document = {
                "head": {"vars": variables},
                "results": {
                    "bindings": [
                        {v: _json_term(row[v]) for v in variables if row[v] is not None}
                        for row in rows[:max_rows]
                    ]
                },
            }
            kept = ox.parse_query_results(
                json.dumps(document).encode(), format=ox.QueryResultsFormat.JSON
            )
            assert isinstance(kept, ox.QuerySolutions)
            return SerializedResults(
                kind, fmt, kept.serialize(format=RESULTS_FORMATS[fmt]) or b"", truncated
            )
        triples = list(answer if max_rows is None else islice(answer, max_rows + 1))
        truncated = max_rows is not None and len(triples) > max_rows
        body = ox.serialize(
            triples[:max_rows], format=OX_FORMATS[fmt], prefixes=dict(prefixes or {})
        )
        return SerializedResults(kind, fmt, body or b"", truncated)

    def graph_serialized(
        self, graph: str | None, format: RdfFormatName, prefixes: Mapping[str, str] | None = None
    ) -> bytes | None:
        store = self._store()
        name = _graph_name(graph)
        if isinstance(name, ox.NamedNode) and not store.contains_named_graph(name):
            return None
        triples = [q.triple for q in store.quads_for_pattern(None, None, None, name)]
        return ox.serialize(triples, format=OX_FORMATS[format], prefixes=dict(prefixes or {}))

    def quad_count(self) -> int:
        """The quads of the current snapshot: counted once per snapshot (seconds at a
        million methods) and kept in ``quads/<snapshot>``, or worked out by the write that
        made it from the graphs it changed."""
        name = self.version()
        if name == "empty":
            return 0
        known = self._known_count(name)
        if known is not None:
            return known
        try:
            count = len(ox.Store.read_only(str(self.path / "snapshots" / name)))
        except OSError as exc:
            raise StoreError(f"cannot open store snapshot {name}: {exc}") from exc
        self._keep_count(name, count)
        return count

    def _known_count(self, name: str) -> int | None:
        try:
            return int((self.path / "quads" / name).read_text())
        except (OSError, ValueError):
            return None

    def _keep_count(self, name: str, count: int) -> None:
        directory = self.path / "quads"
        try:
            directory.mkdir(exist_ok=True)
            tmp = directory / f"{name}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_text(str(count))
            os.replace(tmp, directory / name)
        except OSError:
            pass  # counted again next time

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store().named_graphs() if isinstance(g, ox.NamedNode))

    def dump(self, output: BinaryIO, format: RdfFormatName, *, graph: str | None = None) -> None:
        store = self._store()
        ox_format = OX_FORMATS[format]
        if graph is not None:
            store.dump(output, ox_format, from_graph=ox.NamedNode(graph))
        elif format in QUAD_FORMATS:
            store.dump(output, ox_format)
        else:
            # A triples format for the whole store: the union of the graphs as a set (RDF
            # merge), graph by graph, each triple with the first graph that holds it (the
            # default graph, then the named graphs by name); streamed, nothing held.
            if format == "rdfxml":
                raise StoreError("RDF/XML dumps of the whole store need one graph at a time")
            ox.serialize(_union_triples(store), output, ox_format)

    # --- writing ---------------------------------------------------------------------------

    def replace_graphs(self, sources: Sequence[GraphSource], *, drop: Sequence[str] = ()) -> None:
        touched = [ox.NamedNode(name) for name in {*drop, *(s.graph for s in sources)}]
        with self._writable(graphs=touched) as store:
            for name in drop:
                node = ox.NamedNode(name)
                if store.contains_named_graph(node):
                    store.remove_graph(node)
            for source in sources:
                node = ox.NamedNode(source.graph)
                if store.contains_named_graph(node):
                    store.remove_graph(node)
                try:
                    store.bulk_load(
                        path=str(source.path),
                        format=OX_FORMATS[source.format],
                        base_iri=source.base_iri,
                        to_graph=node,
                    )
                except SyntaxError as exc:
                    raise RdfSyntaxError(
                        str(source.path), exc.lineno, exc.offset, _parser_message(exc)
                    ) from None

    def update(self, update: str, *, base_iri: str | None = None) -> None:
        with self._writable() as store:
            try:
                store.update(update, base_iri=base_iri)
            except SyntaxError as exc:
                raise QuerySyntaxError(str(exc)) from None

    def write_graph(
        self,
        graph: str | None,
        documents: Sequence[tuple[bytes, RdfFormatName]],
        *,
        base_iri: str,
        replace: bool,
    ) -> bool:
        name = _graph_name(graph)
        triples = list(document_triples(documents, base_iri=base_iri))
        with self._writable(graphs=[name]) as store:
            created = isinstance(name, ox.NamedNode) and not store.contains_named_graph(name)
            if replace:
                store.clear_graph(name)
            if isinstance(name, ox.NamedNode):
                store.add_graph(name)
            store.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
        return created

    def drop_graph(self, graph: str | None) -> bool:
        name = _graph_name(graph)
        if isinstance(name, ox.NamedNode) and not self._store().contains_named_graph(name):
            return False
        with self._writable(graphs=[name]) as store:
            if isinstance(name, ox.NamedNode):
                store.remove_graph(name)
            else:
                store.clear_graph(name)
        return True

    def last_write(self) -> tuple[str, str] | None:
        versions: tuple[str, str] | None = getattr(self._written, "versions", None)
        return versions

    def backup(self, destination: Path) -> str:
        destination = Path(destination)
        if destination.exists():
            raise StoreError(f"{destination} already exists; give the backup a new directory")
        if not destination.parent.is_dir():
            raise StoreError(f"{destination.parent} is not a directory")
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / "write.lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_SH)  # writers wait: nothing is pruned meanwhile
            name = self.version()
            if name == "empty":
                raise StoreError(f"the store {self.path} is empty: nothing to back up")
            try:
                ox.Store.read_only(str(self.path / "snapshots" / name)).backup(str(destination))
            except (OSError, RuntimeError) as exc:
                shutil.rmtree(destination, ignore_errors=True)
                raise StoreError(f"cannot write the backup to {destination}: {exc}") from exc
        return name

    def restore(self, source: Path) -> str:
        source = Path(source)
        if (source / "current").is_symlink():  # a whole kg store directory: its current one
            source = (source / "current").resolve()
        if not source.is_dir():
            raise StoreError(f"{source}: no such backup directory")
        try:
            ox.Store.read_only(str(source))
        except (OSError, RuntimeError) as exc:  # RuntimeError: RocksDB reports corruption
            raise StoreError(f"{source} is not a store backup (kg backup): {exc}") from None
        with self._writable(copy_from=source):
            pass
        return self.version()

    @contextmanager
    def _writable(
        self,
        *,
        copy_from: Path | None = None,
        graphs: Sequence[ox.NamedNode | ox.DefaultGraph] | None = None,
    ) -> Iterator[ox.Store]:
        """A fresh snapshot to change (a copy of the current one, or of ``copy_from``);
        published only if the block ends without error. With ``graphs``, the only graphs
        the block changes, the new snapshot's quad count is worked out from the current
        one's when that is known and the graphs are small."""
        snapshots = self.path / "snapshots"
        snapshots.mkdir(parents=True, exist_ok=True)
        with open(self.path / "write.lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            current = self.version()
            self._remove_unpublished(current)
            number = int(current) + 1 if current != "empty" else 1
            new_name = f"{number:08d}"
            new_dir = snapshots / new_name
            (self.path / "quads" / new_name).unlink(missing_ok=True)  # of a failed write
            if copy_from is not None:
                ox.Store.read_only(str(copy_from)).backup(str(new_dir))
            elif current != "empty":
                ox.Store.read_only(str(snapshots / current)).backup(str(new_dir))
            store = ox.Store(str(new_dir))
            try:
                known: int | None = None  # the count the new one is worked out from
                if graphs and copy_from is None:
                    known = 0 if current == "empty" else self._known_count(current)
                sizes = None if known is None else _graph_sizes(store, graphs or [])
                yield store
                store.flush()
                if sizes is not None and known is not None:
                    after = _graph_sizes(store, graphs or [])
                    if after is not None:
                        self._keep_count(new_name, known - sizes + after)
            except BaseException:
                del store
                shutil.rmtree(new_dir, ignore_errors=True)
                (self.path / "quads" / new_name).unlink(missing_ok=True)
                raise
            del store  # closes the database before it is published
            self._publish(new_name)
            self._written.versions = (
                (current, new_name) if copy_from is None and current != "empty" else None
            )
            self._prune(new_name)

    def _publish(self, name: str) -> None:
        tmp = self.path / f"current.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(f"snapshots/{name}", tmp)
        os.replace(tmp, self._current_link)
        fd = os.open(self.path, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _remove_unpublished(self, current: str) -> None:
        """Snapshots newer than ``current`` are leftovers of an interrupted write."""
        for entry in (self.path / "snapshots").iterdir():
            if current == "empty" or entry.name > current:
                shutil.rmtree(entry, ignore_errors=True)

    def _prune(self, current: str) -> None:
        names = sorted(p.name for p in (self.path / "snapshots").iterdir())
        for name in names[: max(0, len(names) - KEEP_SNAPSHOTS)]:
            if name != current:
                shutil.rmtree(self.path / "snapshots" / name, ignore_errors=True)
        counts = self.path / "quads"
        if counts.is_dir():
            for entry in counts.iterdir():
                if not (self.path / "snapshots" / entry.name).is_dir():
                    entry.unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            self._reader = None
            self._reader_name = None


COUNTED_GRAPH_QUADS = 200_000
"""A write works out the new quad count from graphs up to this size (it counts them before
and after); beyond, the count is made again when asked for."""


def _graph_sizes(store: ox.Store, graphs: Sequence[ox.NamedNode | ox.DefaultGraph]) -> int | None:
    """The quads of ``graphs`` in ``store`` together, or None beyond COUNTED_GRAPH_QUADS."""
    total = 0
    for graph in graphs:
        for _ in store.quads_for_pattern(None, None, None, graph):
            total += 1
            if total > COUNTED_GRAPH_QUADS:
                return None
    return total


def _union_triples(store: ox.Store) -> Iterator[ox.Triple]:
    """Every triple of the store once, though two graphs state it."""
    named = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
    graphs: list[ox.NamedNode | ox.DefaultGraph] = [
        ox.DefaultGraph(),
        *sorted(named, key=lambda g: g.value),
    ]
    earlier: set[ox.NamedNode | ox.DefaultGraph] = set()
    for graph in graphs:
        for quad in store.quads_for_pattern(None, None, None, graph):
            if earlier and any(
                other.graph_name in earlier
                for other in store.quads_for_pattern(quad.subject, quad.predicate, quad.object)
            ):
                continue
            yield quad.triple
        earlier.add(graph)


def _graph_name(graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if graph is None else ox.NamedNode(graph)


def _json_term(term: Any) -> dict[str, Any]:
    """A pyoxigraph term as a SPARQL 1.1 JSON results term."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def document_triples(
    documents: Sequence[tuple[bytes, RdfFormatName]], *, base_iri: str
) -> Iterator[ox.Triple]:
    """The triples of uploaded documents (graph names dropped, blank nodes of each document
    its own); RdfSyntaxError names the document by its position, with line and column."""
    for number, (data, format) in enumerate(documents, start=1):
        try:
            quads = ox.parse(
                data,
                format=OX_FORMATS[format],
                base_iri=base_iri,
                without_named_graphs=True,
                rename_blank_nodes=True,
            )
            for quad in quads:
                yield quad.triple
        except SyntaxError as exc:
            raise RdfSyntaxError(
                f"document {number}", exc.lineno, exc.offset, _parser_message(exc)
            ) from None


def _parser_message(exc: SyntaxError) -> str:
    """pyoxigraph's message without the location prefix, which RdfSyntaxError adds back."""
    message = re.sub(r"^Parser error at line \d+ column \d+: ", "", str(exc))
    return re.sub(r" \([^()]*, line \d+\)$", "", message)


_TSV_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_TSV_CHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}


def _tsv_unescape(match: re.Match[str]) -> str:
    short, long, char = match.groups()
    if char is not None:
        return _TSV_CHARS.get(char, char)
    return chr(int(short or long, 16))


def _tsv_cell(cell: str) -> tuple[str, str]:
    """A SPARQL TSV term (N-Triples syntax) as (value, language)."""
    if not cell:
        return "", ""
    first = cell[0]
    if first == "<" and cell[-1] == ">":
        return cell[1:-1], ""
    if first != '"':
        return cell, ""  # numbers, booleans, blank nodes
    end = cell.rindex('"')
    value = cell[1:end]
    if "\\" in value:
        value = _TSV_ESCAPE.sub(_tsv_unescape, value)
    return value, cell[end + 2 :] if cell[end + 1 : end + 2] == "@" else ""


def _tsv_rows(lines: Iterator[str]) -> Iterator[tuple[str, ...]]:
    """SPARQL TSV rows as (value, …, language, …)."""
    width = len(next(lines, "").rstrip("\n").split("\t"))
    for line in lines:
        cells = line.rstrip("\n").split("\t")
        cells.extend([""] * (width - len(cells)))
        pairs = [_tsv_cell(cell) for cell in cells[:width]]
        yield tuple([value for value, _ in pairs] + [lang for _, lang in pairs])


READ_SIZE = 1 << 20
SERIALIZED_POLL = 0.02
"""Seconds a reader waits for more of a file being serialized before it looks again."""


def _serialized_lines(
    reader: ox.Store, query: str, fmt: ox.QueryResultsFormat
) -> Generator[str, None, None]:
    """The lines (with their "\\n") of the results of the SELECT ``query`` on ``reader``,
    evaluated and serialized in ``fmt`` by a thread into a temporary file (pyoxigraph's
    results stay on the thread that made them), yielded as soon as they are complete. An
    error of the engine is raised here, after the lines written before it."""
    handle, name = tempfile.mkstemp(prefix="kg-rows-")
    os.close(handle)
    done = threading.Event()
    failures: list[BaseException] = []

    def serialize() -> None:
        try:
            try:
                solutions = reader.query(query, use_default_graph_as_union=True)
            except SyntaxError as exc:
                raise QuerySyntaxError(str(exc)) from None
            if not isinstance(solutions, ox.QuerySolutions):
                raise QuerySyntaxError("not a SELECT query")
            solutions.serialize(name, format=fmt)
        except BaseException as exc:  # noqa: BLE001 - raised again by the reader
            failures.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=serialize, name="kg-select-rows", daemon=True)
    try:
        with open(name, "rb") as source:
            writer.start()
            partial: list[bytes] = []  # the line being read, in pieces (a value can be long)
            while True:
                finished = done.is_set()  # before reading: then nothing is left unread
                chunk = source.read(READ_SIZE)
                if chunk:
                    cut = chunk.rfind(b"\n") + 1
                    if cut:
                        text = b"".join([*partial, chunk[:cut]]).decode("utf-8")
                        partial = [chunk[cut:]]
                        yield from io.StringIO(text, newline="\n")
                    else:
                        partial.append(chunk)
                elif finished:
                    break
                else:
                    done.wait(SERIALIZED_POLL)
            if failures:
                raise failures[0]
            rest = b"".join(partial)
            if rest:
                yield rest.decode("utf-8")
    finally:
        # A reader that stops early leaves the thread to finish on an unlinked file.
        os.unlink(name)
