"""Full dumps of the store, streamed: never the whole dataset in memory.

``store.dump`` writes to a file object; ``stream_dump`` runs it in a thread that writes into
a small bounded queue and yields the chunks as they come, so a web response (or anything
iterating) pulls the dump through at the client's pace. The JSON-LD dump reads the store's
N-Quads stream line by line and writes compact node objects (``kg.services.jsonld``), one
subject at a time, inside one ``@graph`` object per named graph; its ``@context`` is the
context itself, inline, so that it reads anywhere without fetching anything.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal as TypingLiteral

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.services.context import Context
from kg.services.jsonld import Compactor, document_context, node_object

DumpFormat = TypingLiteral["turtle", "nt", "nquads", "jsonld"]


@dataclass(frozen=True)
class DumpKind:
    format: DumpFormat
    suffix: str
    media_type: str
    label: str


DUMPS: tuple[DumpKind, ...] = (
    DumpKind("turtle", "ttl", "text/turtle", "Turtle"),
    DumpKind("nt", "nt", "application/n-triples", "N-Triples"),
    DumpKind("nquads", "nq", "application/n-quads", "N-Quads"),
    DumpKind("jsonld", "jsonld", "application/ld+json", "JSON-LD"),
)
DUMP_BY_SUFFIX = {d.suffix: d for d in DUMPS}
CHUNK = 64 * 1024
_QUEUE_CHUNKS = 16


class _Cancelled(Exception):
    pass


class _QueueWriter:
    """A binary file object whose writes go into a bounded queue, in chunks."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | None]) -> None:
        self.chunks = chunks
        self.buffer = bytearray()
        self.cancelled = threading.Event()

    def write(self, data: bytes) -> int:
        self.buffer.extend(data)
        if len(self.buffer) >= CHUNK:
            self._put(bytes(self.buffer))
            self.buffer.clear()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self._put(bytes(self.buffer))
            self.buffer.clear()

    def _put(self, item: bytes | BaseException | None) -> None:
        while True:
            if self.cancelled.is_set():
                raise _Cancelled
            try:
                self.chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def writable(self) -> bool:
        return True


def stream_store(ctx: Context, format: str, *, graph: str | None = None) -> Iterator[bytes]:
    """The store's own serialization (``store.dump``), as chunks, from a producer thread."""
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=_QUEUE_CHUNKS)
    writer = _QueueWriter(chunks)

    def produce() -> None:
        try:
            ctx.store.dump(writer, format, graph=graph)  # type: ignore[arg-type]
            writer.flush()
            writer._put(None)
        except _Cancelled:
            return
        except BaseException as exc:  # handed to the consumer
            try:
                writer._put(exc)
            except _Cancelled:
                return

    thread = threading.Thread(target=produce, name="kg-dump", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        writer.cancelled.set()
        thread.join(timeout=5)


def stream_dump(ctx: Context, format: DumpFormat, *, graph: str | None = None) -> Iterator[bytes]:
    """A full dump (or one named graph) in ``format``, as chunks."""
    if format == "jsonld":
        return _stream_jsonld(ctx, graph=graph)
    return stream_store(ctx, format, graph=graph)


# --- JSON-LD, compact, from the N-Quads stream ----------------------------------------------------

_IRI = r"<([^>]*)>"
_BNODE = r"_:(\S+)"
_LITERAL = r'"((?:[^"\\]|\\.)*)"(?:\^\^<([^>]*)>|@([A-Za-z0-9-]+))?'
_TERM = f"(?:{_IRI}|{_BNODE}|{_LITERAL})"
_SUBJECT = f"(?:{_IRI}|{_BNODE})"
_LINE = re.compile(rf"^\s*{_SUBJECT}\s+{_IRI}\s+{_TERM}\s*(?:{_SUBJECT})?\s*\.\s*$")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
                   "\\": "\\"}  # fmt: skip
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            return chr(int(code, 16))
        return _SIMPLE_ESCAPES.get(match.group(3), match.group(3))

    return _ESCAPE.sub(replace, text) if "\\" in text else text


_IRIS: dict[str, URIRef] = {}
_IRIS_KEPT = 50_000


def _iri(text: str) -> URIRef:
    """The URIRef of an IRI as written in N-Quads. Predicates, graphs, datatypes and each
    subject (its statements are consecutive) repeat: a bounded memo spares rdflib's check."""
    iri = _IRIS.get(text)
    if iri is None:
        if len(_IRIS) >= _IRIS_KEPT:
            _IRIS.clear()
        iri = _IRIS[text] = URIRef(_unescape(text))
    return iri


def parse_nquads_line(line: str) -> tuple[Node, URIRef, Node, Node | None] | None:
    """One N-Quads statement as rdflib terms (graph None: the default graph); None if blank."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    match = _LINE.match(line)
    if match is None:
        raise ValueError(f"not an N-Quads statement: {line[:200]!r}")
    g = match.groups()
    subject: Node = _iri(g[0]) if g[0] is not None else BNode(g[1])
    predicate = _iri(g[2])
    obj: Node
    if g[3] is not None:
        obj = _iri(g[3])
    elif g[4] is not None:
        obj = BNode(g[4])
    else:
        value, datatype, lang = _unescape(g[5]), g[6], g[7]
        if lang:
            obj = Literal(value, lang=lang)
        elif datatype and datatype != _XSD_STRING:
            obj = Literal(value, datatype=_iri(datatype))
        else:
            obj = Literal(value)
    graph: Node | None = None
    if g[8] is not None:
        graph = _iri(g[8])
    elif g[9] is not None:
        graph = BNode(g[9])
    return subject, predicate, obj, graph


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    rest = b""
    for chunk in chunks:
        data = rest + chunk
        lines = data.split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line.decode("utf-8")
    if rest:
        yield rest.decode("utf-8")


def _stream_jsonld(ctx: Context, *, graph: str | None) -> Iterator[bytes]:
    compactor = Compactor(ctx.settings)
    source = stream_store(ctx, "nquads" if graph is None else "nt", graph=graph)
    head = json.dumps({"@context": document_context(ctx.settings)}, ensure_ascii=False)
    out: list[str] = [head[:-1], ', "@graph": [']
    size = 0
    first_in_top = True
    first_in_graph = True
    open_graph: Node | None = None
    subject: Node | None = None
    subject_graph: Node | None = None
    properties: dict[str, list[Node]] = defaultdict(list)

    def emit(text: str) -> Iterator[bytes]:
        nonlocal size
        out.append(text)
        size += len(text)
        if size >= CHUNK:
            yield "".join(out).encode("utf-8")
            out.clear()
            size = 0

    def flush_subject() -> Iterator[bytes]:
        nonlocal first_in_top, first_in_graph, open_graph
        if subject is None:
            return
        if subject_graph != open_graph:
            if open_graph is not None:
                yield from emit("]}")
            open_graph = subject_graph
            if open_graph is not None:
                yield from emit(("" if first_in_top else ",\n") + json.dumps(
                    {"@id": compactor.reference(open_graph)}, ensure_ascii=False
                )[:-1] + ', "@graph": [\n')  # fmt: skip
                first_in_top = False
                first_in_graph = True
        node = node_object(compactor, subject, dict(properties))
        text = json.dumps(node, ensure_ascii=False)
        if open_graph is None:
            yield from emit(("" if first_in_top else ",\n") + text)
            first_in_top = False
        else:
            yield from emit(("" if first_in_graph else ",\n") + text)
            first_in_graph = False

    yield from emit("\n")
    for line in _lines(source):
        quad = parse_nquads_line(line)
        if quad is None:
            continue
        s, p, o, g = quad
        if (s is not subject and s != subject) or (g is not subject_graph and g != subject_graph):
            yield from flush_subject()
            subject, subject_graph = s, g
            properties = defaultdict(list)
        properties[str(p)].append(o)
    yield from flush_subject()
    if open_graph is not None:
        yield from emit("]}")
    yield from emit("\n]}\n")
    if out:
        yield "".join(out).encode("utf-8")
