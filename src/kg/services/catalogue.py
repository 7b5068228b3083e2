"""Browsing the catalogue: methods and their labels, as plain data for pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.services.context import Context


@dataclass(frozen=True)
class MethodSummary:
    id: str
    iri: str
    label: str
    label_lang: str
    field: str | None
    field_lang: str | None
    start_year: int | None
    field_iri: str | None = None
    family_iri: str | None = None

    @property
    def decade(self) -> int | None:
        return None if self.start_year is None else self.start_year // 10 * 10


def method_id(ctx: Context, iri: str) -> str:
    """The id of a method IRI under the base IRI (``method/<id>``), else the IRI itself."""
    prefix = f"{ctx.settings.base_iri}method/"
    return iri[len(prefix) :] if iri.startswith(prefix) else iri


def count_methods(ctx: Context) -> int:
    """The number of methods, counted once per store version."""
    held = ctx.version_cache("catalogue.count")
    if "methods" not in held:
        rows = ctx.store.select(ctx.queries["count-methods"].bind()).rows
        held["methods"] = int(str(rows[0]["methods"])) if rows else 0
    return int(held["methods"])


def list_methods(ctx: Context, *, lang: str) -> list[MethodSummary]:
    result = ctx.store.select(ctx.queries["list-methods"].bind(lang=lang))
    methods: dict[str, MethodSummary] = {}
    for row in result.rows:
        iri = str(row["method"])
        if iri in methods:
            continue  # a second field or family: the list shows the first
        start = row.get("startYear")
        methods[iri] = MethodSummary(
            id=method_id(ctx, iri),
            iri=iri,
            label=str(row.get("label", iri)),
            label_lang=str(row.get("labelLang", "")),
            field=str(row["fieldLabel"]) if "fieldLabel" in row else None,
            field_lang=str(row["fieldLabelLang"]) if "fieldLabelLang" in row else None,
            start_year=_year(start),
            field_iri=str(row["field"]) if "field" in row else None,
            family_iri=str(row["family"]) if "family" in row else None,
        )
    # The query's order, made here too: engines sort strings differently (Virtuoso).
    return sorted(methods.values(), key=lambda m: (m.label.lower(), m.iri))


def _year(node: object) -> int | None:
    match = re.match(r"^-?\d+", str(node)) if node is not None else None
    return int(match.group(0)) if match else None


@dataclass(frozen=True)
class ConceptCount:
    id: str
    iri: str
    label: str
    broader: str | None
    methods: int


def browse_concepts(ctx: Context, kind: str, *, lang: str) -> list[ConceptCount]:
    """Fields (``kind="field"``) or families (``"family"``) with their method counts."""
    query = {"field": "browse-fields", "family": "browse-families"}[kind]
    result = ctx.store.select(ctx.queries[query].bind(lang=lang))
    prefix = f"{ctx.settings.base_iri}{kind}/"
    concepts = [
        ConceptCount(
            id=str(r["concept"]).removeprefix(prefix),
            iri=str(r["concept"]),
            label=str(r.get("label", r["concept"])),
            broader=str(r["broader"]) if "broader" in r else None,
            methods=int(str(r["methods"])),
        )
        for r in result.rows
    ]
    # The query's order, made here too: engines sort strings differently (Virtuoso).
    return sorted(concepts, key=lambda c: (-c.methods, c.label.lower()))


def methods_per_decade(ctx: Context) -> list[tuple[int, int]]:
    result = ctx.store.select(ctx.queries["methods-per-decade"].bind())
    return [(int(str(r["decade"])), int(str(r["methods"]))) for r in result.rows]


@dataclass(frozen=True)
class MethodMatch:
    id: str
    label: str


def find_methods(ctx: Context, text: str, *, lang: str, limit: int = 10) -> list[MethodMatch]:
    """Methods whose label or alias matches ``text``, best first (from the search index)."""
    from kg.services.search import suggest

    text = " ".join(text.split())[:200]
    if not text:
        return []
    return [MethodMatch(hit.id, hit.label) for hit in suggest(ctx, text, lang=lang, limit=limit)]


PAGE_SIZE = 50


@dataclass(frozen=True)
class MethodPage:
    methods: tuple[MethodSummary, ...]
    next_after: str | None
    """The key the next page starts after, or None on the last page."""


def page_methods(
    ctx: Context,
    *,
    lang: str,
    after: str = "",
    field: str = "",
    family: str = "",
    decade: int = 0,
) -> MethodPage:
    """Up to ``PAGE_SIZE`` methods by English name after the key ``after``, optionally of one
    field or family (IRIs) or decade (``page-methods.rq``: the store sorts and cuts)."""
    query = ctx.queries["page-methods"].bind(
        after=after, inField=field, inFamily=family, inDecade=decade, lang=lang
    )
    methods: dict[str, tuple[str, MethodSummary]] = {}
    for row in ctx.store.select(query).rows:
        iri = str(row["method"])
        if iri in methods:
            continue
        methods[iri] = (
            str(row["key"]),
            MethodSummary(
                id=method_id(ctx, iri),
                iri=iri,
                label=str(row.get("label", iri)),
                label_lang=str(row.get("labelLang", "")),
                field=str(row["fieldLabel"]) if "fieldLabel" in row else None,
                field_lang=str(row["fieldLabelLang"]) if "fieldLabelLang" in row else None,
                start_year=_year(row.get("startYear")),
                field_iri=str(row["field"]) if "field" in row else None,
            ),
        )
    ordered = sorted(methods.values(), key=lambda pair: pair[0])
    shown = ordered[:PAGE_SIZE]
    more = len(ordered) > PAGE_SIZE
    return MethodPage(tuple(m for _, m in shown), shown[-1][0] if more else None)
