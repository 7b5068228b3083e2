"""Parsing RDF documents into rdflib graphs with pyoxigraph's fast, precise parser."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg.store.base import RdfFormatName, RdfSyntaxError
from kg.store.embedded import OX_FORMATS, _parser_message
from kg.store.terms import to_rdflib


def read_graph(
    path: Path, format: RdfFormatName, *, base_iri: str, into: Graph | None = None
) -> Graph:
    """The triples of ``path`` (graph names dropped) added to ``into`` or a new graph.

    Raises ``RdfSyntaxError`` with file, line and column when the document does not parse.
    """
    graph = Graph() if into is None else into
    try:
        for quad in ox.parse(path=str(path), format=OX_FORMATS[format], base_iri=base_iri):
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    except SyntaxError as exc:
        raise RdfSyntaxError(str(path), exc.lineno, exc.offset, _parser_message(exc)) from None
    except UnicodeDecodeError as exc:
        raise RdfSyntaxError(str(path), None, None, f"not UTF-8 text ({exc.reason})") from None
    return graph
