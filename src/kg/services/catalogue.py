"""Browsing the catalogue: methods and their labels, as plain data for pages."""

from __future__ import annotations

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


def method_id(ctx: Context, iri: str) -> str:
    """The id of a method IRI under the base IRI (``method/<id>``), else the IRI itself."""
    prefix = f"{ctx.settings.base_iri}method/"
    return iri[len(prefix) :] if iri.startswith(prefix) else iri


def list_methods(ctx: Context, *, lang: str) -> list[MethodSummary]:
    result = ctx.store.select(ctx.queries["list-methods"].bind(lang=lang))
    methods = []
    for row in result.rows:
        iri = str(row["method"])
        start = row.get("startYear")
        methods.append(
            MethodSummary(
                id=method_id(ctx, iri),
                iri=iri,
                label=str(row.get("label", iri)),
                label_lang=str(row.get("labelLang", "")),
                field=str(row["fieldLabel"]) if "fieldLabel" in row else None,
                field_lang=str(row["fieldLabelLang"]) if "fieldLabelLang" in row else None,
                start_year=int(str(start)[:4]) if start is not None else None,
            )
        )
    return methods


@dataclass(frozen=True)
class MethodMatch:
    id: str
    label: str


def find_methods(ctx: Context, text: str, *, lang: str, limit: int = 10) -> list[MethodMatch]:
    """Methods whose label or alias contains ``text``, best first."""
    text = " ".join(text.split())[:200]
    if not text:
        return []
    result = ctx.store.select(ctx.queries["find-methods"].bind(q=text, lang=lang))
    return [
        MethodMatch(method_id(ctx, str(r["method"])), str(r.get("label", "")))
        for r in result.rows[:limit]
    ]
