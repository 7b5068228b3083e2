"""Reading a store's content back as rdflib graphs, for tests that compare graphs."""

from __future__ import annotations

import io

from rdflib import Dataset, Graph

from kg.services.context import Context


def dump(ctx: Context) -> list[str]:
    """The store as sorted N-Quads lines (equal lists: equal content)."""
    buffer = io.BytesIO()
    ctx.store.dump(buffer, "nquads")
    return sorted(buffer.getvalue().decode("utf-8").splitlines())


def union(ctx: Context) -> Graph:
    """Every triple of every graph, as one graph."""
    dataset = Dataset()
    dataset.parse(data="\n".join(dump(ctx)), format="nquads")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def named_graph(ctx: Context, name: str) -> Graph:
    """The triples of the named graph ``graph/<name>``."""
    buffer = io.BytesIO()
    ctx.store.dump(buffer, "nt", graph=ctx.graph_iri(name))
    return Graph().parse(data=buffer.getvalue().decode("utf-8"), format="nt")
