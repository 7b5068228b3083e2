"""RDF documents made ready for the Graph Store Protocol: parsed completely (so that a syntax
error stops a write before anything is sent), kept as N-Triples in a temporary file, and cut
into batches that never split a blank node's triples.

Each upload request is its own scope of blank node labels, so a blank node whose triples
went out in two requests would become two nodes. While parsing, the triples that share
blank nodes are joined into groups (union–find over the labels) and counted; while cutting,
a group's triples are held back until the last of them has been read, and a group always
goes out in one batch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

import pyoxigraph as ox

from kg.store.base import GraphSource, RdfFormatName, RdfSyntaxError
from kg.store.embedded import OX_FORMATS, _parser_message, document_triples

_WRITE_EVERY = 10_000


class Upload:
    """One graph's triples, ready to be sent in batches."""

    def __init__(self, graph: str) -> None:
        self.graph = graph
        self.triples = 0
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="kg-upload-")
        self._parent: dict[str, str] = {}
        self._size: dict[str, int] = {}
        self._pending: list[ox.Triple] = []

    # --- filling --------------------------------------------------------------------------

    def add_all(self, triples: Iterable[ox.Triple]) -> None:
        for triple in triples:
            self.triples += 1
            labels = _labels(triple)
            if labels:
                root = self._find(labels[0])
                for other in labels[1:]:
                    root = self._union(root, self._find(other))
                self._size[root] = self._size.get(root, 0) + 1
            self._pending.append(triple)
            if len(self._pending) >= _WRITE_EVERY:
                self._flush()
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            ox.serialize(self._pending, self._file, ox.RdfFormat.N_TRIPLES)
            self._pending = []

    def _find(self, label: str) -> str:
        parent = self._parent.setdefault(label, label)
        while parent != self._parent[parent]:
            self._parent[parent] = self._parent[self._parent[parent]]
            parent = self._parent[parent]
        self._parent[label] = parent
        return parent

    def _union(self, a: str, b: str) -> str:
        if a == b:
            return a
        if self._size.get(a, 0) < self._size.get(b, 0):
            a, b = b, a
        self._parent[b] = a
        self._size[a] = self._size.get(a, 0) + self._size.pop(b, 0)
        return a

    # --- sending --------------------------------------------------------------------------

    def batches(self, size: int) -> Iterator[bytes]:
        """N-Triples documents of about ``size`` triples (more when a blank node group is
        larger); every blank node's triples in one of them."""
        self._file.seek(0)
        ready: list[ox.Triple] = []
        held: dict[str, list[ox.Triple]] = {}
        for quad in ox.parse(self._file, format=ox.RdfFormat.N_TRIPLES):
            triple = quad.triple
            labels = _labels(triple)
            if not labels:
                ready.append(triple)
            else:
                root = self._find(labels[0])
                group = held.setdefault(root, [])
                group.append(triple)
                if len(group) == self._size[root]:
                    ready.extend(held.pop(root))
            if len(ready) >= size:
                yield ox.serialize(ready, format=ox.RdfFormat.N_TRIPLES) or b""
                ready = []
        assert not held, "every blank node group is complete at the end"
        if ready:
            yield ox.serialize(ready, format=ox.RdfFormat.N_TRIPLES) or b""

    def close(self) -> None:
        self._file.close()


def _labels(triple: ox.Triple) -> list[str]:
    return [t.value for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]


def parse_source(source: GraphSource) -> Upload:
    """The triples of a file (graph names dropped); RdfSyntaxError with file, line, column."""
    upload = Upload(source.graph)
    try:
        quads = ox.parse(
            path=str(source.path), format=OX_FORMATS[source.format], base_iri=source.base_iri
        )
        upload.add_all(q.triple for q in quads)
    except SyntaxError as exc:
        upload.close()
        raise RdfSyntaxError(
            str(source.path), exc.lineno, exc.offset, _parser_message(exc)
        ) from None
    except UnicodeDecodeError as exc:
        upload.close()
        message = f"not UTF-8 text ({exc.reason})"
        raise RdfSyntaxError(str(source.path), None, None, message) from None
    return upload


def parse_documents(
    graph: str, documents: Sequence[tuple[bytes, RdfFormatName]], *, base_iri: str
) -> Upload:
    """Graph Store uploads (several for multipart requests) as one graph's triples."""
    upload = Upload(graph)
    try:
        upload.add_all(document_triples(documents, base_iri=base_iri))
    except RdfSyntaxError:
        upload.close()
        raise
    return upload
