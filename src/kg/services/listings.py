"""Paged lists of the resources that have pages of their own: AI systems, data sets,
organisations and venues (``list-resources.rq``; read once per store version and language)."""

from __future__ import annotations

from dataclasses import dataclass

from kg.services.context import Context
from kg.services.depth import PAGE_KINDS

PAGE_SIZE = 50
_CACHE = "listings.resources"


@dataclass(frozen=True)
class ListedResource:
    slug: str
    iri: str
    label: str
    label_lang: str | None


@dataclass(frozen=True)
class ResourceList:
    kind: str
    items: tuple[ListedResource, ...]
    total: int
    page: int
    pages: int


def list_resources(ctx: Context, kind: str, *, lang: str, page: int = 1) -> ResourceList:
    """Page ``page`` (from 1) of the resources of ``kind`` (a key of ``PAGE_KINDS``), by label.
    A page past the last gives the last page."""
    cache = ctx.version_cache(_CACHE)
    key = f"{kind}\n{lang}"
    every = cache.get(key)
    if not isinstance(every, tuple):
        prefix = f"{ctx.settings.base_iri}{kind}/"
        query = ctx.queries["list-resources"].bind({"class": str(PAGE_KINDS[kind]), "lang": lang})
        found: dict[str, ListedResource] = {}
        for row in ctx.store.select(query).rows:
            iri = str(row["resource"])
            slug = iri.removeprefix(prefix)
            if iri in found or not iri.startswith(prefix) or not slug or "/" in slug:
                continue
            label, label_lang = row.get("label"), row.get("labelLang")
            found[iri] = ListedResource(
                slug=slug,
                iri=iri,
                label=str(label) if label is not None else slug,
                label_lang=str(label_lang) if label_lang else None,
            )
        every = tuple(found.values())
        cache[key] = every
    pages = max(1, -(-len(every) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    return ResourceList(kind, every[start : start + PAGE_SIZE], len(every), page, pages)
