"""Counts per class and per named graph."""

from __future__ import annotations

from dataclasses import dataclass

from kg.services.context import Context


@dataclass(frozen=True)
class Stats:
    quads: int
    classes: list[tuple[str, int]]
    graphs: list[tuple[str, int]]


def collect_stats(ctx: Context) -> Stats:
    classes = ctx.store.select(ctx.queries["stats-classes"].bind())
    graphs = ctx.store.select(ctx.queries["stats-graphs"].bind())
    return Stats(
        quads=ctx.store.quad_count(),
        classes=[(str(r["class"]), int(str(r["resources"]))) for r in classes.rows],
        graphs=[(str(r["graph"]), int(str(r["triples"]))) for r in graphs.rows],
    )
