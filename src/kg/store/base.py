"""The store interface: what services may ask of a graph store, whatever the engine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from rdflib import Graph
from rdflib.term import Node

RdfFormatName = Literal["turtle", "nt", "nquads", "trig", "jsonld", "rdfxml"]
QUAD_FORMATS: frozenset[str] = frozenset({"nquads", "trig", "jsonld"})
"""Formats that carry named graphs (JSON-LD: a named graph is an ``@graph`` object)."""

FORMAT_SUFFIXES: dict[str, RdfFormatName] = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
}


class StoreError(RuntimeError):
    """The store could not do what was asked (engine down, store missing, …)."""


class RdfSyntaxError(ValueError):
    """An RDF document does not parse; says where."""

    def __init__(self, source: str, line: int | None, column: int | None, message: str) -> None:
        self.source, self.line, self.column, self.message = source, line, column, message
        where = source
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message}")


class QuerySyntaxError(ValueError):
    """A SPARQL query does not parse; the message carries line and column."""


@dataclass(frozen=True)
class GraphSource:
    """One RDF document to load into one named graph."""

    graph: str
    path: Path
    format: RdfFormatName
    base_iri: str


@dataclass(frozen=True)
class SelectResult:
    variables: tuple[str, ...]
    rows: list[dict[str, Node]]


ResultKind = Literal["tabular", "boolean", "graph"]
RESULT_FORMATS: dict[ResultKind, tuple[str, ...]] = {
    "tabular": ("json", "xml", "csv", "tsv"),
    "boolean": ("json", "xml"),
    "graph": ("turtle", "nt", "jsonld", "rdfxml"),
}
"""Serializations of query results per kind (SELECT, ASK, CONSTRUCT/DESCRIBE)."""


class NotAcceptableError(ValueError):
    """The query's kind of result has none of the formats the client accepts."""

    def __init__(self, kind: ResultKind) -> None:
        self.kind = kind
        super().__init__(f"no acceptable format for {kind} results")


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset of a query given by the protocol; ``None`` parts mean "the store's"."""

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SerializedResults:
    kind: ResultKind
    format: str
    body: bytes
    truncated: bool = False
    """True when ``max_rows`` cut the results."""


class Store(ABC):
    """A graph store. Reads see the union of all named graphs as the default graph."""

    @abstractmethod
    def select(self, query: str) -> SelectResult:
        """Run a SELECT query; unbound variables are absent from a row."""

    def select_rows(
        self, query: str, *, version: str | None = None, languages: bool = False
    ) -> Iterator[tuple[str, ...]]:
        """A SELECT query's rows as plain strings (lexical forms, IRIs; "" when unbound),
        streamed without building them in memory, in the order of the projection.

        With ``version`` the query runs on that snapshot (``version()``) or fails with
        StoreError, so that several queries can read one and the same content. With
        ``languages`` each row has, after its values, the language tag of each value (""
        for IRIs and literals without one): cheaper than ``BIND(LANG(?v) AS ?lang)``.
        """
        if version is not None and version != self.version():
            raise StoreError(f"store version {version} is no longer available")
        result = self.select(query)
        for row in result.rows:
            values = tuple(str(row[v]) if v in row else "" for v in result.variables)
            if languages:
                values += tuple(
                    str(getattr(row.get(v), "language", None) or "") for v in result.variables
                )
            yield values

    @abstractmethod
    def ask(self, query: str) -> bool: ...

    def construct(self, query: str) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query."""
        graph = Graph()
        for triple in self.construct_triples(query):
            graph.add(triple)
        return graph

    @abstractmethod
    def construct_triples(self, query: str) -> Iterator[tuple[Node, Node, Node]]:
        """The triples of a CONSTRUCT or DESCRIBE query as they come (a triple the query
        makes twice may come twice): for comparing or counting them without the cost of
        an rdflib graph."""

    @abstractmethod
    def replace_graphs(self, sources: Sequence[GraphSource], *, drop: Sequence[str] = ()) -> None:
        """Replace each source's named graph with the document's content, and drop the graphs
        in ``drop``; all of it or nothing (a parse error anywhere leaves the store as it was).
        """

    @abstractmethod
    def dump(self, output: BinaryIO, format: RdfFormatName, *, graph: str | None = None) -> None:
        """Stream the store (or one named graph) to ``output`` without building it in memory."""

    @abstractmethod
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
        """Run any query and serialize its results in the format given for their kind.

        Without ``dataset`` the default graph is the union of all graphs. At most
        ``max_rows`` solutions or triples are kept. Raises QuerySyntaxError, and
        NotAcceptableError when ``formats`` has no format for the query's kind.
        """

    def update(self, update: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update, all of it or nothing."""
        raise StoreError("this store does not take updates")

    def graph_serialized(
        self, graph: str | None, format: RdfFormatName, prefixes: Mapping[str, str] | None = None
    ) -> bytes | None:
        """One graph (``None``: the default graph) serialized, or None if there is no such graph."""
        raise StoreError("this store does not serve graphs")

    def write_graph(
        self,
        graph: str | None,
        documents: Sequence[tuple[bytes, RdfFormatName]],
        *,
        base_iri: str,
        replace: bool,
    ) -> bool:
        """Replace (or add to) a graph with parsed documents; True if the graph is new."""
        raise StoreError("this store does not take writes")

    def drop_graph(self, graph: str | None) -> bool:
        """Remove a named graph (or empty the default graph); False if there was none."""
        raise StoreError("this store does not take writes")

    def backup(self, destination: Path) -> str:
        """Write a consistent copy of the current content into the new directory
        ``destination``; returns the version copied."""
        raise StoreError("this store cannot be backed up by kg")

    def restore(self, source: Path) -> str:
        """Publish the content of a backup as the store's new version, all at once (readers
        see the old content or the restored one); returns the new version."""
        raise StoreError("this store cannot be restored by kg")

    def mark_changed(self, *, adopt_prefix: str | None = None) -> list[str]:
        """Record that the content changed outside kg (a bulk loader, an update sent to the
        engine itself): a remote store takes a new version, so that every process's caches
        and search indexes follow, and with ``adopt_prefix`` also takes the engine's graphs
        whose names start with it as its own. Returns the graphs it adopted. The embedded
        store's snapshots only change through kg: nothing to do."""
        return []

    def last_write(self) -> tuple[str, str] | None:
        """(the version it changed, the version it published) of this thread's last write,
        when the store knows that the one is the other with that write applied (the
        embedded store's snapshots, not a restore; a remote engine's swap, by its receipt);
        None otherwise."""
        return None

    keeps_old_versions = False
    """Whether a read may name a version that a later write replaced (``select_rows``'s
    ``version``): the embedded store's snapshots, kept a while; not a remote engine."""

    keeps_change_records = False
    """Whether the store keeps the search index's change records (``put_record``,
    ``record``) for every machine that serves it: a remote engine. Otherwise they are
    files beside the index (``kg.services.search_changes``)."""

    def put_record(self, name: str, fields: Mapping[str, Sequence[str]]) -> None:
        """Keep a small record (field -> values) under ``name``, replacing one of that name."""
        raise StoreError("this store keeps no records")

    def record(self, name: str) -> dict[str, list[str]] | None:
        """The record ``name`` written completely by ``put_record``, else None."""
        return None

    @abstractmethod
    def quad_count(self) -> int: ...

    @abstractmethod
    def named_graphs(self) -> list[str]: ...

    @abstractmethod
    def version(self, *, fresh: bool = False) -> str:
        """An opaque token that changes whenever the content changes (for caches, ETags);
        ``fresh``: as it is now, not as a remote engine said it a moment ago."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""
