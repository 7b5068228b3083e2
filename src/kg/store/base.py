"""The store interface: what services may ask of a graph store, whatever the engine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
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


class Store(ABC):
    """A graph store. Reads see the union of all named graphs as the default graph."""

    @abstractmethod
    def select(self, query: str) -> SelectResult:
        """Run a SELECT query; unbound variables are absent from a row."""

    @abstractmethod
    def ask(self, query: str) -> bool: ...

    @abstractmethod
    def construct(self, query: str) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query."""

    @abstractmethod
    def replace_graphs(self, sources: Sequence[GraphSource], *, drop: Sequence[str] = ()) -> None:
        """Replace each source's named graph with the document's content, and drop the graphs
        in ``drop``; all of it or nothing (a parse error anywhere leaves the store as it was).
        """

    @abstractmethod
    def dump(self, output: BinaryIO, format: RdfFormatName, *, graph: str | None = None) -> None:
        """Stream the store (or one named graph) to ``output`` without building it in memory."""

    @abstractmethod
    def quad_count(self) -> int: ...

    @abstractmethod
    def named_graphs(self) -> list[str]: ...

    @abstractmethod
    def version(self) -> str:
        """An opaque token that changes whenever the content changes (for caches, ETags)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""
