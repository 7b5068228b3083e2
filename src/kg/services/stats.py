"""Counts per class and per named graph, and of the store's quads and distinct triples."""

from __future__ import annotations

from dataclasses import dataclass

from kg.services.context import Context


@dataclass(frozen=True)
class Stats:
    quads: int
    """Statements of every graph: a triple two graphs state counts twice."""
    triples: int
    """Distinct triples (the union of the graphs as a set): such a triple counts once."""
    classes: list[tuple[str, int]]
    graphs: list[tuple[str, int]]


def collect_stats(ctx: Context) -> Stats:
    classes = ctx.store.select(ctx.queries["stats-classes"].bind())
    graphs = ctx.store.select(ctx.queries["stats-graphs"].bind())
    return Stats(
        quads=ctx.store.quad_count(),
        triples=count_triples(ctx),
        classes=[(str(r["class"]), int(str(r["resources"]))) for r in classes.rows],
        graphs=[(str(r["graph"]), int(str(r["triples"]))) for r in graphs.rows],
    )


def count_triples(ctx: Context) -> int:
    """Distinct triples: the size of the union default graph read as a set."""
    rows = ctx.store.select(ctx.queries["stats-triples"].bind()).rows
    return int(str(rows[0]["triples"])) if rows else 0
