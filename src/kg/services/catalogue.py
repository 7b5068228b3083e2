"""Browsing the catalogue: methods and their labels, as plain data for pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    papers: int | None = None
    """The largest number of papers using the method observed (kg:PaperCount), in lists."""

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
            start_year=_leading_integer(start),
            field_iri=str(row["field"]) if "field" in row else None,
            family_iri=str(row["family"]) if "family" in row else None,
        )
    # The query's order, made here too: engines sort strings differently (Virtuoso).
    return sorted(methods.values(), key=lambda m: (m.label.lower(), m.iri))


def _leading_integer(node: object) -> int | None:
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
METHOD_SORTS = ("name", "year", "newest", "usage")
"""The orders of method lists: by English name, oldest first, newest first, most used first
(the largest paper count observed; methods never counted last)."""
MAX_FILTER_TEXT = 200


class ListInputError(ValueError):
    """A list's sort, filter or page parameter is malformed; the message is safe to show."""


@dataclass(frozen=True)
class MethodPage:
    methods: tuple[MethodSummary, ...]
    next_after: str | None
    """The key the next page starts after, or None on the last page."""


def filter_text(text: str) -> str:
    """The text filter of a list as the queries compare it: lower case, spaces collapsed."""
    text = " ".join(text.split()).lower()
    if len(text) > MAX_FILTER_TEXT:
        raise ListInputError(f"the filter text has at most {MAX_FILTER_TEXT} characters")
    return text


def page_methods(
    ctx: Context,
    *,
    lang: str,
    after: str = "",
    sort: str = "name",
    text: str = "",
    field: str = "",
    family: str = "",
    under: str = "",
    decade: int = 0,
) -> MethodPage:
    """Up to ``PAGE_SIZE`` methods in the order ``sort`` (one of ``METHOD_SORTS``) after the
    key ``after``, optionally only those whose name or alias contains ``text``, of one field
    or family (IRIs) or of one decade (``page-methods.rq``), or filed ``under`` a concept or
    a narrower one (an IRI: ``page-concept-methods.rq``): the store filters, sorts and cuts."""
    if sort not in METHOD_SORTS:
        raise ListInputError(f"sort: one of {', '.join(METHOD_SORTS)}")
    if not (field or family or decade):
        from_index = _page_from_index(
            ctx, lang=lang, after=after, sort=sort, under=under, text=filter_text(text)
        )
        if from_index is not None:
            return from_index
    return _page_from_store(
        ctx, lang=lang, after=after, sort=sort, text=text, field=field, family=family,
        under=under, decade=decade,
    )  # fmt: skip


def _page_from_store(
    ctx: Context,
    *,
    lang: str,
    after: str,
    sort: str,
    text: str,
    field: str,
    family: str,
    under: str,
    decade: int,
) -> MethodPage:
    if under:
        query = ctx.queries["page-concept-methods"].bind(
            concept=under, after=after, sort=sort, text=filter_text(text), lang=lang
        )
    else:
        query = ctx.queries["page-methods"].bind(
            after=after, sort=sort, text=filter_text(text), inField=field, inFamily=family,
            inDecade=decade, lang=lang,
        )  # fmt: skip
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
                start_year=_leading_integer(row.get("startYear")),
                field_iri=str(row["field"]) if "field" in row else None,
                papers=_leading_integer(row.get("papers")),
            ),
        )
    ordered = sorted(methods.values(), key=lambda pair: pair[0])
    shown = ordered[:PAGE_SIZE]
    more = len(ordered) > PAGE_SIZE
    return MethodPage(tuple(m for _, m in shown), shown[-1][0] if more else None)


def _page_from_index(
    ctx: Context, *, lang: str, after: str, sort: str, under: str, text: str = ""
) -> MethodPage | None:
    """The page from the search index's ``listing`` (one range read of its keys, the same
    keys and order as the queries'), or None when the index of the store's snapshot is
    not built (or does not know the concept ``under``): then the store answers. A name
    ``text`` is compared as search compares (``kg.search.index.listed_text``: case and
    Latin accents folded, punctuation around words ignored), where the store's query
    compares lower-cased names as they are."""
    from kg.services.search import built_index

    index = built_index(ctx)
    if index is None:
        return None
    concept = None
    if under:
        concept = index.concept_by_iri(under)
        if concept is None:
            return None
    keys = index.listed(
        sort,
        after,
        limit=PAGE_SIZE + 1,
        under=(concept.kind, concept.id) if concept else None,
        text=text,
    )
    shown = keys[:PAGE_SIZE]
    docs = index.documents([rid for _, rid in shown])
    base = ctx.settings.base_iri
    methods = []
    for key, rid in shown:
        doc = docs[rid]
        iri = key.rsplit(" ", 1)[-1]
        label, label_lang = _in_language(doc.get("label", []), lang)
        field_iri = field_label = field_lang = None
        if doc.get("field"):
            field_id = doc["field"][0]
            field_iri = field_id if ":" in field_id else f"{base}field/{field_id}"
            known = index.concept("field", field_id)
            if known is not None:
                field_label, field_lang = _in_language(list(known.labels), lang)
        methods.append(
            MethodSummary(
                id=method_id(ctx, iri),
                iri=iri,
                label=label if label is not None else iri,
                label_lang=label_lang or "",
                field=field_label,
                field_lang=field_lang if field_label is not None else None,
                start_year=doc.get("start"),
                field_iri=field_iri,
                papers=doc.get("papers"),
            )
        )
    more = len(keys) > PAGE_SIZE
    return MethodPage(tuple(methods), shown[-1][0] if more else None)


def _in_language(labels: Sequence[Sequence[str]], lang: str) -> tuple[str | None, str | None]:
    """(label, its language): the first in ``lang``, else the first English one (as the
    list queries choose)."""
    for tag, text in labels:
        if tag == lang:
            return text, tag
    for tag, text in labels:
        if tag.lower() == "en" or tag.lower().startswith("en-"):
            return text, tag
    return None, None


def count_listed_methods(
    ctx: Context,
    *,
    text: str = "",
    field: str = "",
    family: str = "",
    under: str = "",
    decade: int = 0,
) -> int:
    """How many methods ``page_methods`` lists with these filters (``count-listed-methods.rq``,
    ``count-concept-methods.rq``; counted once per store version and filters)."""
    text = filter_text(text)
    if not (text or field or family or under or decade):
        return count_methods(ctx)
    held = ctx.version_cache("catalogue.count.listed")
    key = "\n".join((text, field, family, under, str(decade)))
    if key not in held and not (field or family or decade):
        from kg.services.search import built_index

        index = built_index(ctx)
        concept = index.concept_by_iri(under) if index is not None and under else None
        if index is not None and (concept is not None or not under):
            held[key] = index.listed_count(
                (concept.kind, concept.id) if concept is not None else None, text
            )
    if key not in held:
        if len(held) > 1000:  # any text can be a filter: keep the cache small
            held.clear()
        if under:
            query = ctx.queries["count-concept-methods"].bind(concept=under, text=text)
        else:
            query = ctx.queries["count-listed-methods"].bind(
                text=text, inField=field, inFamily=family, inDecade=decade
            )
        rows = ctx.store.select(query).rows
        held[key] = int(str(rows[0]["methods"])) if rows else 0
    return int(held[key])
