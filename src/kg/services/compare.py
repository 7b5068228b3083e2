"""Comparing methods side by side: rows from the ontology, values from the graph.

Which rows exist, in which order, under which label and whether they take part in
difference highlighting all come from the ontology (``display-rows.rq``). A row differs
when the compared *values* differ: IRIs for resources (fields, families, sources),
normalised ranges for years, sets for multi-valued properties, and counts for rows whose
difference basis is ``kg:CompareCount`` (related methods). The literal values of a row whose
value format is ``kg:MarkdownText`` (summaries) also carry their sanitized HTML
(``kg.services.rich_text``); their text, which downloads show and differences compare,
stays the literal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal as TypingLiteral

from markupsafe import Markup
from rdflib import URIRef
from rdflib.term import Node

from kg.namespaces import KG
from kg.services.catalogue import method_id
from kg.services.context import Context
from kg.services.method_values import read_method_values
from kg.services.rich_text import MARKDOWN_TEXT, PLAIN_TEXT, render_markdown
from kg.services.rich_text import has_math as html_has_math

MIN_METHODS, MAX_METHODS = 2, 8
METHOD_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}\Z")
CellKind = TypingLiteral["text", "resource", "years", "source", "list", "count", "empty"]


class CompareError(ValueError):
    """The request cannot be compared (wrong number of methods, malformed id)."""


class UnknownMethodsError(LookupError):
    """Some requested methods do not exist."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = tuple(ids)
        super().__init__(f"unknown method(s): {', '.join(ids)}")


@dataclass(frozen=True)
class RowDefinition:
    property: str
    order: int
    label: str
    label_lang: str
    in_comparison: bool
    highlight: bool
    by_count: bool
    symmetric: bool
    value_format: str = PLAIN_TEXT
    """``kg:PlainText`` or ``kg:MarkdownText`` (the ontology's ``kg:valueFormat``)."""
    markdown: bool = False
    """``value_format`` is ``kg:MarkdownText``: literals are rendered (``rich_text``)."""


@dataclass(frozen=True)
class Link:
    kind: TypingLiteral["doi", "link"]
    href: str


@dataclass(frozen=True)
class Value:
    text: str
    lang: str | None = None
    fallback: bool = False
    method_id: str | None = None
    iri: str | None = None
    link: Link | None = None
    html: Markup | None = None
    """A Markdown literal rendered and sanitized (``rich_text.render_markdown``), else None."""


@dataclass(frozen=True)
class Cell:
    kind: CellKind
    values: tuple[Value, ...] = ()
    count: int | None = None
    key: object = None

    @property
    def text(self) -> str:
        """The cell as the seed pages print it (links excluded)."""
        if self.kind == "count":
            return str(self.count)
        separator = ", " if self.kind == "list" else "; "
        return separator.join(v.text for v in self.values)


@dataclass(frozen=True)
class Row:
    definition: RowDefinition
    cells: tuple[Cell, ...]
    differs: bool


@dataclass(frozen=True)
class MethodColumn:
    id: str
    iri: str
    label: str
    label_lang: str
    fallback: bool


@dataclass(frozen=True)
class Comparison:
    lang: str
    methods: tuple[MethodColumn, ...]
    rows: tuple[Row, ...]
    statement_graphs: Mapping[tuple[str, str], Mapping[str, set[str]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """(method IRI, property IRI) -> named graph -> values it states: where every statement
    of the compared methods comes from (``kg.services.provenance.provenance_of``)."""

    @property
    def differing_rows(self) -> int:
        return sum(1 for row in self.rows if row.differs)

    @property
    def has_math(self) -> bool:
        """Whether a Markdown value holds math (the pages then load KaTeX)."""
        values = (v for row in self.rows for cell in row.cells for v in cell.values)
        return any(html_has_math(v.html) for v in values if v.html)


# --- rows from the ontology, cached per store version and language ------------------------

_ROWS_CACHE = "compare.display-rows"


def display_rows(ctx: Context, lang: str) -> tuple[RowDefinition, ...]:
    """The ontology's rows in ``lang`` (read once per store version and language)."""
    cache = ctx.version_cache(_ROWS_CACHE)
    cached = cache.get(lang)
    if isinstance(cached, tuple):
        return cached
    result = ctx.store.select(ctx.queries["display-rows"].bind(lang=lang))
    rows = tuple(
        RowDefinition(
            property=str(r["property"]),
            order=int(str(r["order"])),
            label=str(r["label"]),
            label_lang=str(r.get("labelLang", "")),
            in_comparison=str(r["inComparison"]) == "true",
            highlight=str(r["highlight"]) == "true",
            by_count=str(r["basis"]) == str(KG.CompareCount),
            symmetric=str(r["symmetric"]) == "true",
            value_format=str(r.get("format", PLAIN_TEXT)),
            markdown=str(r.get("format", PLAIN_TEXT)) == MARKDOWN_TEXT,
        )
        for r in result.rows
    )
    cache[lang] = rows
    return rows


# --- the comparison ---------------------------------------------------------------------------


def check_ids(ids: Sequence[str], *, minimum: int = MIN_METHODS) -> list[str]:
    """Distinct, well-formed ids in the order given."""
    unique = list(dict.fromkeys(ids))
    bad = [i for i in unique if not METHOD_ID_RE.match(i)]
    if bad:
        raise CompareError(f"not a method id: {bad[0][:80]!r}")
    if not minimum <= len(unique) <= MAX_METHODS:
        raise CompareError(
            f"choose between {minimum} and {MAX_METHODS} different methods (got {len(unique)})"
        )
    return unique


def compare(
    ctx: Context,
    ids: Sequence[str],
    *,
    lang: str,
    minimum: int = MIN_METHODS,
    all_rows: bool = False,
) -> Comparison:
    """Compare the methods ``ids``; ``all_rows`` adds the method-page-only rows."""
    unique = check_ids(ids, minimum=minimum)
    iris = [ctx.method_iri(i) for i in unique]
    definitions = display_rows(ctx, lang)
    shown = [d.property for d in definitions if d.in_comparison or all_rows]
    values = read_method_values(ctx, iris, shown, lang=lang)
    found = values.headers
    missing = [i for i, iri in zip(unique, iris, strict=True) if iri not in found]
    if missing:
        raise UnknownMethodsError(missing)

    columns = tuple(
        MethodColumn(
            id=i,
            iri=iri,
            label=found[iri].label or i,
            label_lang=found[iri].label_lang,
            fallback=found[iri].label_lang != lang,
        )
        for i, iri in zip(unique, iris, strict=True)
    )
    rows = []
    for definition in definitions:
        if not (definition.in_comparison or all_rows):
            continue
        cells = tuple(
            _cell(ctx, definition, values.rows.get((iri, definition.property), []), lang,
                  reported_count=found[iri].related_count)
            for iri in iris
        )  # fmt: skip
        differs = definition.highlight and len({c.key for c in cells}) > 1
        rows.append(Row(definition, cells, differs))
    return Comparison(lang, columns, tuple(rows), values.graphs)


def _cell(
    ctx: Context,
    definition: RowDefinition,
    rows: list[dict[str, Node]],
    lang: str,
    *,
    reported_count: Node | None,
) -> Cell:
    if definition.by_count:
        related = _distinct_values(ctx, rows, lang)
        count = len(related) if related else int(str(reported_count or 0))
        return Cell("count", tuple(related), count=count, key=count)
    if not rows:
        return Cell("empty", key=frozenset())
    if any("cell" in r for r in rows):
        members = _list_members(rows, lang)
        return Cell("list", _rendered(definition, members), key=tuple(v.text for v in members))
    if any("start" in r for r in rows):
        ranges = sorted(
            {(_year(r["start"]), _year(r.get("end", r["start"]))) for r in rows if "start" in r}
        )
        shown = tuple(Value(f"{s}–{e}" if s != e else str(s)) for s, e in ranges)
        return Cell("years", shown, key=frozenset(ranges))
    distinct = _distinct_values(ctx, rows, lang)
    kind: CellKind = "text"
    if any(v.link is not None for v in distinct) or any("doi" in r or "url" in r for r in rows):
        kind = "source"
    elif any(v.iri for v in distinct):
        kind = "resource"
    key = frozenset(v.iri or v.text for v in distinct)
    return Cell(kind, _rendered(definition, distinct), key=key)


def _rendered(definition: RowDefinition, values: Sequence[Value]) -> tuple[Value, ...]:
    """The values, literals of a Markdown row with their sanitized HTML."""
    if not definition.markdown:
        return tuple(values)
    return tuple(v if v.iri else replace(v, html=render_markdown(v.text)) for v in values)


def _distinct_values(ctx: Context, rows: list[dict[str, Node]], lang: str) -> list[Value]:
    values: dict[str, Value] = {}
    for r in rows:
        node = r["value"]
        identity = str(node) if isinstance(node, URIRef) else f"{node!r}"
        if identity in values or "text" not in r:
            continue
        text = r["text"]
        text_lang = str(r.get("textLang", "")) or None
        link = None
        if "doi" in r:
            link = Link("doi", f"https://doi.org/{r['doi']}")
        elif "url" in r:
            link = Link("link", str(r["url"]))
        iri = str(node) if isinstance(node, URIRef) else None
        mid = method_id(ctx, iri) if iri and iri.startswith(ctx.method_iri("")) else None
        values[identity] = Value(
            text=str(text),
            lang=text_lang,
            fallback=text_lang is not None and text_lang != lang,
            method_id=mid,
            iri=iri,
            link=link,
        )
    return (
        sorted(values.values(), key=lambda v: v.text.casefold())
        if len(values) > 1
        else list(values.values())
    )


def _list_members(rows: list[dict[str, Node]], lang: str) -> tuple[Value, ...]:
    """Walk each RDF list from its head (the property's value) in order."""
    cells = {str(r["cell"]): r for r in rows if "cell" in r}
    members: list[Value] = []
    for head in dict.fromkeys(str(r["value"]) for r in rows):
        node, seen = head, set()
        while node in cells and node not in seen:
            seen.add(node)
            r = cells[node]
            text_lang = str(r.get("textLang", "")) or None
            members.append(
                Value(str(r["text"]), text_lang, text_lang is not None and text_lang != lang)
            )
            node = str(r.get("next", ""))
    return tuple(members)


def _year(node: Node) -> int:
    match = re.match(r"^-?\d{4,}", str(node))
    return int(match.group(0)) if match else 0
