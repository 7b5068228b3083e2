"""Where the values of method and comparison pages come from (``value-provenance.rq``,
``graph-sources.rq``).

Each statement of a method sits in a named graph: a file of the curated catalogue
(``graph/methods-seed`` …, CC BY 4.0), or an import (``graph/import-<stem>``) whose
provenance graph (``graph/provenance/import-<stem>``) records its title, licence, credit
line, the file it was read from and when. The pages show, per cell, which graphs its values
come from, and per method the licences and credit lines of all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

from kg.services.context import Context
from kg.services.publication import CC_BY, curated_graphs

_GRAPH_CACHE = "provenance.graphs"


@dataclass(frozen=True)
class GraphSource:
    """A named graph that states some values, and what is recorded about it."""

    iri: str
    name: str
    """The graph's path under ``graph/`` (``methods-seed``, ``import-pwc``)."""
    title: str | None
    licence: str | None
    credit: str | None
    file: str | None
    """The file an import read (its name, from the provenance graph)."""
    imported: str | None
    """When the import wrote the graph (``xsd:dateTime``)."""
    curated: bool
    """A graph of the curated catalogue (``data/``): CC BY 4.0, credited to the site."""


@dataclass(frozen=True)
class CellSource:
    graph: GraphSource
    values: frozenset[str]
    """The values this graph states (IRIs, or the literals' text)."""


@dataclass(frozen=True)
class MethodProvenance:
    cells: dict[tuple[str, str], tuple[CellSource, ...]]
    """(method IRI, property IRI) -> the graphs stating that property's values."""
    graphs: dict[str, tuple[GraphSource, ...]]
    """method IRI -> every graph stating something about it (curated first, then by name)."""

    def cell(self, method: str, prop: str) -> tuple[CellSource, ...]:
        return self.cells.get((method, prop), ())


def value_provenance(ctx: Context, methods: Sequence[str]) -> MethodProvenance:
    """The graphs behind every statement of ``methods`` (at most 100: one binding), read by
    ``value-provenance.rq``. The pages take the same from their comparison instead
    (``provenance_of``: ``method-values.rq`` reads each statement with its graph)."""
    if not methods:
        return MethodProvenance({}, {})
    values: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    result = ctx.store.select(ctx.queries["value-provenance"].bind(method=list(methods)))
    for row in result.rows:
        key = (str(row["method"]), str(row["property"]))
        values[key][str(row["graph"])].add(str(row["value"]))
    return provenance_of(ctx, values)


def provenance_of(
    ctx: Context, statement_graphs: Mapping[tuple[str, str], Mapping[str, Set[str]]]
) -> MethodProvenance:
    """The provenance of statements given as (method, property) -> graph -> values, with
    what is recorded about each graph (``graph_sources``)."""
    per_method: dict[str, set[str]] = defaultdict(set)
    for (method, _), by_graph in statement_graphs.items():
        per_method[method].update(by_graph)
    graphs = graph_sources(ctx, {g for found in per_method.values() for g in found})

    def order(iri: str) -> tuple[bool, str]:
        return (not graphs[iri].curated, graphs[iri].name)

    cells = {
        key: tuple(
            CellSource(graphs[g], frozenset(found)) for g, found in sorted(by_graph.items(),
                                                                          key=lambda i: order(i[0]))
        )
        for key, by_graph in statement_graphs.items()
    }  # fmt: skip
    return MethodProvenance(
        cells,
        {m: tuple(graphs[g] for g in sorted(found, key=order)) for m, found in per_method.items()},
    )


def graph_sources(ctx: Context, iris: Iterable[str]) -> dict[str, GraphSource]:
    """What is recorded about each of the named graphs ``iris`` (``graph-sources.rq``), read
    once per store version: a page asks again only for graphs it has not seen yet."""
    cache = ctx.version_cache(_GRAPH_CACHE)
    wanted = set(iris)
    missing = sorted(wanted - cache.keys())
    if missing:
        curated = curated_graphs(ctx)
        prefix = ctx.graph_iri("")
        found: dict[str, GraphSource] = {}
        rows = ctx.store.select(ctx.queries["graph-sources"].bind(graph=missing)).rows
        recorded_by_graph = {
            str(row["graph"]): {
                k: str(row[k])
                for k in ("title", "licence", "credit", "file", "imported")
                if row.get(k) is not None
            }
            for row in rows
        }
        for graph in missing:
            is_curated = graph in curated
            recorded = recorded_by_graph.get(graph, {})
            found[graph] = GraphSource(
                iri=graph,
                name=graph.removeprefix(prefix),
                title=recorded.get("title"),
                licence=recorded.get("licence") or (CC_BY if is_curated else None),
                credit=recorded.get("credit"),
                file=recorded.get("file"),
                imported=recorded.get("imported"),
                curated=is_curated,
            )
        cache.update(found)
    return {g: cache[g] for g in wanted}
