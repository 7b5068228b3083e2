"""Paged lists of the resources that have pages of their own: AI systems, data sets,
organisations and venues. The store filters, sorts and cuts each page (``page-resources.rq``,
keyset paging) and counts the list (``count-resources.rq``); no page reads the whole list."""

from __future__ import annotations

from dataclasses import dataclass

from kg.services.catalogue import ListInputError, filter_text
from kg.services.context import Context
from kg.services.depth import PAGE_KINDS

PAGE_SIZE = 50
RESOURCE_SORTS: dict[str, tuple[str, ...]] = {
    "system": ("name", "newest"),
    "dataset": ("name",),
    "organization": ("name",),
    "venue": ("name",),
}
"""The orders each kind's list offers: by label; AI systems also newest first (by date)."""
_COUNTS = "listings.counts"


@dataclass(frozen=True)
class ListedResource:
    slug: str
    iri: str
    label: str
    label_lang: str | None
    date: str | None = None


@dataclass(frozen=True)
class ResourceList:
    kind: str
    items: tuple[ListedResource, ...]
    total: int
    """How many resources the list holds with its filter (every page)."""
    next_after: str | None
    """The key the next page starts after, or None on the last page."""


def list_resources(
    ctx: Context, kind: str, *, lang: str, after: str = "", sort: str = "name", text: str = ""
) -> ResourceList:
    """Up to ``PAGE_SIZE`` resources of ``kind`` (a key of ``PAGE_KINDS``) after the key
    ``after``, in the order ``sort`` (one of ``RESOURCE_SORTS[kind]``), optionally only those
    whose label or name contains ``text``."""
    if sort not in RESOURCE_SORTS[kind]:
        raise ListInputError(f"sort: one of {', '.join(RESOURCE_SORTS[kind])}")
    text = filter_text(text)
    prefix = f"{ctx.settings.base_iri}{kind}/"
    query = ctx.queries["page-resources"].bind(
        {"class": str(PAGE_KINDS[kind]), "prefix": prefix, "after": after, "sort": sort,
         "text": text, "lang": lang}
    )  # fmt: skip
    found: dict[str, tuple[str, ListedResource]] = {}
    for row in ctx.store.select(query).rows:
        iri = str(row["resource"])
        if iri in found:
            continue
        label, label_lang, date = row.get("label"), row.get("labelLang"), row.get("date")
        found[iri] = (
            str(row["key"]),
            ListedResource(
                slug=iri.removeprefix(prefix),
                iri=iri,
                label=str(label) if label is not None else iri.removeprefix(prefix),
                label_lang=str(label_lang) if label_lang else None,
                date=str(date) if date is not None else None,
            ),
        )
    ordered = sorted(found.values(), key=lambda pair: pair[0])
    shown = ordered[:PAGE_SIZE]
    more = len(ordered) > PAGE_SIZE
    return ResourceList(
        kind,
        tuple(item for _, item in shown),
        count_resources(ctx, kind, text=text),
        shown[-1][0] if more else None,
    )


def count_resources(ctx: Context, kind: str, *, text: str = "") -> int:
    """How many resources of ``kind`` have a page of their own (and contain ``text``),
    counted once per store version."""
    held = ctx.version_cache(_COUNTS)
    key = f"{kind}\n{text}"
    if key not in held:
        if len(held) > 1000:  # any text can be a filter: keep the cache small
            held.clear()
        query = ctx.queries["count-resources"].bind(
            {"class": str(PAGE_KINDS[kind]), "prefix": f"{ctx.settings.base_iri}{kind}/",
             "text": text}
        )  # fmt: skip
        rows = ctx.store.select(query).rows
        held[key] = int(str(rows[0]["resources"])) if rows else 0
    return int(held[key])


__all__ = ["PAGE_SIZE", "RESOURCE_SORTS", "ListInputError", "ResourceList", "list_resources"]
