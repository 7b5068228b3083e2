"""Pictures beside the tables, as plain data the templates draw (inline SVG, or a list that
``static/graph.js`` turns into a Cytoscape.js graph): the links between methods, a timeline
of their origin years, how complete a comparison is, and bar charts of counts.

Every picture has its text alternative in the data: the links are a list, the timeline and
the bars keep their labels and numbers, completeness is a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kg.services.catalogue import method_id
from kg.services.compare import Comparison
from kg.services.context import Context
from kg.services.method_values import method_label, resource_details

MAX_BARS = 60
MAX_LINKS = 500
"""Links of a graph at most (method-links.rq's LIMIT), so that a hub stays drawable."""
LINKS_CACHE_SIZE = 2_048
"""Methods whose links are kept per store version (an LRU)."""
_LINKS_CACHE = "pictures.method-links"


# --- the links between methods (method-links.rq) -------------------------------------------


@dataclass(frozen=True)
class Node:
    iri: str
    label: str
    id: str | None
    """The method's id when it is one of ours (a local page), else None."""
    focus: bool


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str
    """``related`` (symmetric) or ``broader`` (from the specific method to the general one)."""


@dataclass(frozen=True)
class MethodGraph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, iri: str) -> Node:
        return next(n for n in self.nodes if n.iri == iri)


def method_graph(ctx: Context, iris: Sequence[str], *, lang: str) -> MethodGraph:
    """The related and broader links of the methods ``iris`` (the focus) to any method,
    each end labelled in ``lang`` (else English, else another language: as the tables)."""
    links: dict[tuple[str, str, str], Edge] = {}
    for source, kind, target in _links(ctx, iris)[:MAX_LINKS]:
        if source == target:
            continue
        if kind == "related":  # stated once in either direction: one undirected edge
            source, target = sorted((source, target))
        links.setdefault((source, target, kind), Edge(source, target, kind))
    ends = sorted({end for edge in links.values() for end in (edge.source, edge.target)})
    described = resource_details(ctx, ends)
    labels = {iri: method_label(iri, described.get(iri, {}), lang) for iri in ends}
    focus = set(iris)
    prefix = ctx.method_iri("")
    nodes = tuple(
        Node(iri, label, method_id(ctx, iri) if iri.startswith(prefix) else None, iri in focus)
        for iri, label in sorted(labels.items(), key=lambda i: (i[0] not in focus, i[1], i[0]))
    )

    # The engine's order of equal or case-folded labels is its own (Virtuoso 7 sorts LCASE
    # differently): the edges are ordered here, by kind, then both ends' labels and IRIs.
    def order(edge: Edge) -> tuple[str, str, str, str, str]:
        source, target = labels[edge.source], labels[edge.target]
        return edge.kind, source.casefold(), target.casefold(), edge.source, edge.target

    return MethodGraph(nodes, tuple(sorted(links.values(), key=order)))


def _links(ctx: Context, iris: Sequence[str]) -> list[tuple[str, str, str]]:
    """(from, link, to) of ``method-link-ends.rq`` for ``iris``: from the store only for
    methods whose links are not kept for this store version. A link belongs to each focus
    method at one of its ends; a method's links are kept only when the query stayed under
    its limit (so they are all of them)."""
    cache = ctx.version_lru(_LINKS_CACHE, LINKS_CACHE_SIZE)
    unique = list(dict.fromkeys(iris))
    found = cache.get(unique)
    missing = [iri for iri in unique if iri not in found]
    fetched: dict[str, list[tuple[str, str, str]]] = {iri: [] for iri in missing}
    if missing:
        rows = ctx.store.select(ctx.queries["method-link-ends"].bind(method=missing)).rows
        for row in rows:
            link = (str(row["from"]), str(row["link"]), str(row["to"]))
            for end in dict.fromkeys((link[0], link[2])):
                if end in fetched:
                    fetched[end].append(link)
        if len(rows) < MAX_LINKS:
            cache.put({iri: tuple(kept) for iri, kept in fetched.items()})
    held = {**found, **fetched}
    # A link between two focus methods is one row of the query: once here too.
    return list(dict.fromkeys(link for iri in unique for link in held[iri]))


# --- a timeline of origin years -------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    label: str
    text: str
    """The years as the table shows them (``2019–2021``)."""
    x: float
    width: float


@dataclass(frozen=True)
class Timeline:
    start: int
    end: int
    spans: tuple[Span, ...]
    ticks: tuple[tuple[int, float], ...]
    width: int = 600


def timeline(comparison: Comparison, *, width: int = 600) -> Timeline | None:
    """The compared methods' year ranges on one axis, or None when fewer than one has one."""
    ranges: list[tuple[str, str, int, int]] = []
    for method, cell in _year_cells(comparison):
        if cell.kind != "years" or not isinstance(cell.key, frozenset) or not cell.key:
            continue
        years = [y for pair in cell.key for y in pair]
        ranges.append((method, cell.text, min(years), max(years)))
    if not ranges:
        return None
    first = min(r[2] for r in ranges)
    last = max(r[3] for r in ranges)
    low, high = first - 1, last + 1
    scale = width / (high - low + 1)
    spans = tuple(
        Span(label, text, (s - low) * scale, max(scale * (e - s + 1), 4.0))
        for label, text, s, e in ranges
    )
    step = max(1, _nice_step((high - low) // 6 or 1))
    ticks = tuple(
        (year, (year - low) * scale) for year in range(_ceil_to(low, step), high + 1, step)
    )
    return Timeline(first, last, spans, ticks, width)


def _year_cells(comparison: Comparison) -> list[tuple[str, Any]]:
    for row in comparison.rows:
        if any(c.kind == "years" for c in row.cells):
            return [(m.label, c) for m, c in zip(comparison.methods, row.cells, strict=True)]
    return []


def _nice_step(raw: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if step >= raw:
            return step
    return raw


def _ceil_to(value: int, step: int) -> int:
    return -(-value // step) * step


# --- completeness -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowGap:
    label: str
    missing: tuple[str, ...]
    """The labels of the compared methods without a value in this row."""


@dataclass(frozen=True)
class MethodFill:
    label: str
    filled: int
    rows: int

    @property
    def percent(self) -> int:
        return round(100 * self.filled / self.rows) if self.rows else 100


@dataclass(frozen=True)
class Completeness:
    rows: tuple[RowGap, ...]
    """Only the rows some method lacks."""
    methods: tuple[MethodFill, ...]


def completeness(comparison: Comparison) -> Completeness:
    gaps = []
    filled = [0] * len(comparison.methods)
    for row in comparison.rows:
        missing = []
        for i, (method, cell) in enumerate(zip(comparison.methods, row.cells, strict=True)):
            if cell.kind == "empty" or (cell.kind == "count" and not cell.count):
                missing.append(method.label)
            else:
                filled[i] += 1
        if missing:
            gaps.append(RowGap(row.definition.label, tuple(missing)))
    methods = tuple(
        MethodFill(m.label, n, len(comparison.rows))
        for m, n in zip(comparison.methods, filled, strict=True)
    )
    return Completeness(tuple(gaps), methods)


# --- bar charts of counts (canned queries) ----------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float


@dataclass(frozen=True)
class BarChart:
    category: str
    measure: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    bar_height: int = 18


def bar_chart(
    variables: Sequence[str], rows: Sequence[Mapping[str, Mapping[str, str]]], *, width: int = 640
) -> BarChart | None:
    """A horizontal bar chart when the results are counts over categories or years: two
    columns, the second a non-negative integer in every row, at most ``MAX_BARS`` rows."""
    if len(variables) != 2 or not 2 <= len(rows) <= MAX_BARS:
        return None
    category, measure = variables
    pairs: list[tuple[str, int]] = []
    for row in rows:
        term = row.get(measure)
        label = row.get(category)
        if term is None or label is None or not term.get("datatype", "").endswith("#integer"):
            return None
        try:
            value = int(term["value"])
        except ValueError:
            return None
        if value < 0:
            return None
        pairs.append((_short(label), value))
    label_width = min(220, 8 * max(len(label) for label, _ in pairs) + 8)
    plot = width - label_width - 60
    top = max(value for _, value in pairs) or 1
    step = 22
    bars = tuple(
        Bar(label, value, i * step, plot * value / top) for i, (label, value) in enumerate(pairs)
    )
    return BarChart(category, measure, bars, width, step * len(bars), label_width)


def _short(term: Mapping[str, str]) -> str:
    value = term.get("value", "")
    if term.get("type") == "uri":
        value = value.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return value if len(value) <= 28 else value[:27] + "…"
