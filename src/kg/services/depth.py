"""What the graph says beyond the comparison rows, as plain data for pages (issue 15).

The method page's depth (broader and narrower methods, dated usage counts with their data
set, code, identifiers elsewhere, AI systems introduced with it) and the pages of AI
systems, data sets, organisations and venues. Every value is a :class:`Link` whose
``href`` is the resource's page on this site (or the external address); everything comes
from the query library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from rdflib.term import Node

from kg.namespaces import KG
from kg.services.context import Context
from kg.services.publication import SCHEMA, local_href

Row = Mapping[str, Node]
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")  # DCAT 3; not in rdflib's DCAT
PAGE_KINDS: dict[str, URIRef] = {
    "system": KG.AISystem,
    "dataset": KG.Dataset,
    "organization": KG.Organization,
    "venue": KG.Venue,
}
"""The path kinds with a page of their own (``/systems/<slug>`` …), and their classes."""

FACTS: dict[str, tuple[URIRef, ...]] = {
    "system": (
        SKOS.altLabel, KG.developer, KG.author, KG.publicationDate, KG.applicationDomain,
        KG.learningApproach, KG.parameterCount, KG.trainingCompute, KG.trainingDataset,
        KG.baseModel, KG.accessibility, KG.introducedIn, KG.introducedWith,
    ),
    "dataset": (SKOS.altLabel, DCAT_VERSION, DCTERMS.publisher, DCTERMS.license, SCHEMA.url),
    "organization": (SKOS.altLabel, KG.country, SCHEMA.url),
    "venue": (SKOS.altLabel, SCHEMA.url),
}  # fmt: skip
"""The rows of each page, in order (the ontology's labels name the kg: ones)."""


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Usage:
    """A dated count with the data set it comes from."""

    measure: Link
    count: int
    date: str
    dataset: Link


@dataclass(frozen=True)
class Identifier:
    """An identifier another source gives (``close``: skos:closeMatch), and who says so."""

    href: str
    close: bool
    stated_in: Link


@dataclass(frozen=True)
class Code:
    href: str
    repository: str | None


@dataclass(frozen=True)
class Entry:
    """A resource in a listing, with its date and the resources it is shown with."""

    link: Link
    date: str | None = None
    related: tuple[Link, ...] = ()
    source: Link | None = None


@dataclass(frozen=True)
class Synonym:
    """A name an ontology gives a method (``skos:altLabel``), and who says so."""

    text: str
    lang: str | None
    stated_in: Link


@dataclass(frozen=True)
class MethodDepth:
    broader: tuple[Link, ...]
    narrower: tuple[Link, ...]
    usage: tuple[Usage, ...]
    code: tuple[Code, ...]
    identifiers: tuple[Identifier, ...]
    systems: tuple[Entry, ...]
    synonyms: tuple[Synonym, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.broader or self.narrower or self.usage or self.code
                    or self.identifiers or self.systems or self.synonyms)  # fmt: skip


@dataclass(frozen=True)
class Fact:
    label: str
    label_lang: str | None
    values: tuple[Link, ...]


@dataclass(frozen=True)
class ResourcePage:
    kind: str
    iri: str
    label: str
    label_lang: str | None
    facts: tuple[Fact, ...]
    usage: tuple[Usage, ...]
    identifiers: tuple[Identifier, ...]
    sections: dict[str, tuple[Entry, ...]]
    """Listings by key: ``lineage``, ``derived`` (systems), ``systems`` (data sets,
    organisations), ``methods`` (venues), ``counts`` (data sets: usage counts supplied)."""


# --- helpers ---------------------------------------------------------------------------------


def _text(row: Row, name: str) -> str | None:
    value = row.get(name)
    return None if value is None else str(value)


def _lang(row: Row, name: str) -> str | None:
    value = row.get(name)
    return value.language if isinstance(value, Literal) and value.language else None


def _link(ctx: Context, row: Row, iri_name: str, label_name: str) -> Link:
    iri = str(row[iri_name])
    label = row.get(label_name)
    text = str(label) if label is not None else iri.rstrip("/").rsplit("/", 1)[-1]
    return Link(text, local_href(ctx, iri), _lang(row, label_name))


def _select(ctx: Context, name: str, **params: object) -> list[Row]:
    return list(ctx.store.select(ctx.queries[name].bind(params)).rows)


def _unique(items: Sequence[Link]) -> tuple[Link, ...]:
    seen: dict[str | None, Link] = {}
    for item in items:
        seen.setdefault(item.href or item.text, item)
    return tuple(seen.values())


def usage(ctx: Context, iri: str, *, lang: str) -> tuple[Usage, ...]:
    """Every dated count about a method or system (``usage-observations.rq``)."""
    found = []
    for row in _select(ctx, "usage-observations", resource=iri, lang=lang):
        try:
            count = int(str(row["count"]))
        except ValueError:
            continue
        found.append(
            Usage(
                measure=_link(ctx, row, "measure", "measureLabel"),
                count=count,
                date=str(row["date"]),
                dataset=_link(ctx, row, "dataset", "datasetLabel"),
            )
        )
    return tuple(found)


def identifiers(ctx: Context, iri: str) -> tuple[Identifier, ...]:
    """Exact and close matches with the graph stating each (``external-identifiers.rq``)."""
    prefix = ctx.graph_iri("")
    return tuple(
        Identifier(
            href=str(row["identifier"]),
            close=str(row["match"]) == str(SKOS.closeMatch),
            stated_in=Link(
                str(row["graph"]).removeprefix(prefix), local_href(ctx, str(row["graph"]))
            ),
        )  # fmt: skip
        for row in _select(ctx, "external-identifiers", resource=iri)
        if isinstance(row.get("identifier"), URIRef)
    )


# --- the method page -----------------------------------------------------------------------------


def method_depth(ctx: Context, iri: str, *, lang: str) -> MethodDepth:
    broader: list[Link] = []
    narrower: list[Link] = []
    for row in _select(ctx, "method-hierarchy", method=iri, lang=lang):
        link = _link(ctx, row, "other", "label")
        (broader if str(row.get("broader")) in ("true", "1") else narrower).append(link)
    code = tuple(
        Code(str(row["code"]), _text(row, "repository"))
        for row in _select(ctx, "method-code", method=iri)
    )
    systems = tuple(
        Entry(_link(ctx, row, "system", "label"), _text(row, "date"))
        for row in _select(ctx, "method-systems", method=iri, lang=lang)
    )
    return MethodDepth(
        broader=tuple(sorted(_unique(broader), key=lambda link: link.text.lower())),
        narrower=tuple(sorted(_unique(narrower), key=lambda link: link.text.lower())),
        usage=usage(ctx, iri, lang=lang),
        code=code,
        identifiers=identifiers(ctx, iri),
        systems=systems,
        synonyms=synonyms(ctx, iri),
    )


def synonyms(ctx: Context, iri: str) -> tuple[Synonym, ...]:
    """The method's synonyms outside its alias lists, with the graph stating each
    (``method-synonyms.rq``)."""
    prefix = ctx.graph_iri("")
    return tuple(
        Synonym(
            str(row["synonym"]),
            _lang(row, "synonym"),
            Link(graph.removeprefix(prefix), local_href(ctx, graph)),
        )
        for row in _select(ctx, "method-synonyms", method=iri)
        for graph in sorted(set(str(row.get("graphs", "")).split()))
    )


# --- pages of AI systems, data sets, organisations and venues -------------------------------------


def _number(value: Node) -> str:
    """Parameter counts with thousands separators; other values as the source gives them."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number:,.0f}" if number == number.to_integral_value() else str(value)


def resource_page(
    ctx: Context, kind: str, slug: str, *, lang: str, property_labels: Mapping[str, str]
) -> ResourcePage | None:
    """The page of ``<base>kind/slug``; None when the store has no such resource of that
    kind. ``property_labels`` names the standard (non-kg) properties in the UI language."""
    iri = f"{ctx.settings.base_iri}{kind}/{slug}"
    rows = _select(ctx, "resource-facts", resource=iri, lang=lang)
    types = {str(r["value"]) for r in rows if str(r["property"]) == str(RDF.type)}
    if str(PAGE_KINDS[kind]) not in types:
        return None
    names = [r["value"] for r in rows if str(r["property"]) == str(SKOS.prefLabel)]
    label = _pick(names, lang)
    facts = []
    for prop in FACTS[kind]:
        found = [r for r in rows if str(r["property"]) == str(prop)]
        if not found:
            continue
        values = []
        for r in found:
            value = r["value"]
            if isinstance(value, Literal):
                text = _number(value) if prop == KG.parameterCount else str(value)
                values.append(Link(text, None, value.language))
            else:
                values.append(_link(ctx, r, "value", "valueLabel"))
        heading = property_labels.get(str(prop))
        own = found[0].get("propertyLabel")
        facts.append(
            Fact(
                label=heading or (str(own) if own is not None else str(prop)),
                label_lang=lang if heading else _lang(found[0], "propertyLabel"),
                values=tuple(sorted(_unique(values), key=lambda v: v.text.lower())),
            )
        )
    return ResourcePage(
        kind=kind,
        iri=iri,
        label=str(label) if label is not None else slug,
        label_lang=label.language if isinstance(label, Literal) else None,
        facts=tuple(facts),
        usage=usage(ctx, iri, lang=lang) if kind == "system" else (),
        identifiers=identifiers(ctx, iri),
        sections=_sections(ctx, kind, iri, lang=lang),
    )


def _pick(labels: Sequence[Node], lang: str) -> Node | None:
    for wanted in (lang, "en"):
        for label in labels:
            if isinstance(label, Literal) and label.language == wanted:
                return label
    return labels[0] if labels else None


def _grouped(
    ctx: Context, rows: Sequence[Row], key: str, label: str, *, related: tuple[str, str] | None,
    source: tuple[str, str] | None = None,
) -> tuple[Entry, ...]:  # fmt: skip
    """One entry per ``key`` in the rows' order, its related resources gathered."""
    entries: dict[str, Entry] = {}
    for row in rows:
        iri = str(row[key])
        entry = entries.get(iri) or Entry(
            _link(ctx, row, key, label),
            _text(row, "date") or _text(row, "year"),
            (),
            _link(ctx, row, *source) if source and row.get(source[0]) is not None else None,
        )
        if related and row.get(related[0]) is not None:
            more = _unique([*entry.related, _link(ctx, row, *related)])
            entry = Entry(entry.link, entry.date, more, entry.source)
        entries[iri] = entry
    return tuple(entries.values())


def _sections(ctx: Context, kind: str, iri: str, *, lang: str) -> dict[str, tuple[Entry, ...]]:
    if kind == "system":
        lineage = _select(ctx, "system-lineage", system=iri, lang=lang)
        derived = _select(ctx, "systems-built-on", system=iri, lang=lang)
        return {
            "lineage": _grouped(ctx, lineage, "base", "label", related=("builtOn", "builtOnLabel"),
                                source=("source", "sourceTitle")),
            "derived": _grouped(ctx, derived, "derived", "label",
                                related=("builtOn", "builtOnLabel")),
        }  # fmt: skip
    if kind == "dataset":
        trained = _select(ctx, "systems-trained-on-dataset", dataset=iri, lang=lang)
        counts = tuple(
            Entry(Link(f"{row['observations']} × {row.get('label', row['measure'])}"),
                  date=" – ".join(dict.fromkeys([str(row["first"]), str(row["last"])])))
            for row in _select(ctx, "dataset-observations", dataset=iri, lang=lang)
        )  # fmt: skip
        return {
            "systems": _grouped(ctx, trained, "system", "label",
                                related=("developer", "developerLabel"),
                                source=("source", "sourceTitle")),
            "counts": counts,
        }  # fmt: skip
    if kind == "organization":
        systems = _select(ctx, "systems-of-organization", organization=iri, lang=lang)
        return {"systems": _grouped(ctx, systems, "system", "label", related=("base", "baseLabel"),
                                    source=("source", "sourceTitle"))}  # fmt: skip
    methods = _select(ctx, "methods-in-venue", venue=iri, lang=lang)
    return {"methods": _grouped(ctx, methods, "method", "label", related=None,
                                source=("source", "title"))}  # fmt: skip
