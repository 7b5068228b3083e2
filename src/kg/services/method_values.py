"""What the comparison and method pages show of some methods, read cheaply.

``queries/method-rows.rq`` states the table in one query, and it is the query the pages
offer in the SPARQL editor. Run on a large store it costs tens of milliseconds: each of its
OPTIONAL lookups runs for every value. The pages instead read

1. ``method-values.rq``: the methods' own statements and symmetric statements pointing at
   them, each with the named graph stating it (the pages' provenance markers), and the
   statements of structured values (year ranges, list cells) — patterns that all start from
   the bound methods;
2. ``value-details.rq``: labels, names, citations, DOIs and links of the resources those
   statements point to, only for resources not already in a cache that is kept per store
   version (fields and families repeat on every page, persons and sources often);

and build here the very rows ``method-rows.rq`` returns (same variables, same language
fallback), so that the rest of the comparison does not know which way they came. A test
checks both ways give the same rows for every curated method in every language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.term import Node

from kg.namespaces import KG
from kg.services.context import Context

ValueRow = dict[str, Node]
"""One row as ``method-rows.rq`` gives it: ``value``, ``text``, ``textLang``, ``start``,
``end``, ``doi``, ``url``, ``cell``, ``next`` (absent when unbound)."""

DETAILS_CACHE_SIZE = 50_000
"""Resources whose details are kept in memory per context (an LRU)."""
METHOD_ROWS_CACHE_SIZE = 2_048
"""Methods whose ``method-values.rq`` rows are kept in memory per context (an LRU): a
method compared again, or shown on its page after a comparison, is not read again until
the store's version changes. A worker's memory grew by 25 KB a method compared (its rows,
links and the details of what it points to; 10k catalogue): 50 MB when full."""
_BATCH = 100  # the query library binds at most 100 values per parameter


@dataclass(frozen=True)
class MethodHeader:
    """An existing method's label in the chosen language and its reported related count."""

    label: str | None
    label_lang: str
    related_count: Node | None


@dataclass(frozen=True)
class MethodValues:
    headers: dict[str, MethodHeader]
    """Methods that exist (typed ``kg:Method``), by IRI."""
    rows: dict[tuple[str, str], list[ValueRow]]
    """(method IRI, property IRI) -> rows of that property's values."""
    graphs: dict[tuple[str, str], dict[str, set[str]]]
    """(method IRI, property IRI) -> named graph -> the values it states (IRIs, or the
    literals' text): every statement of the methods, shown or not (their provenance)."""


def read_method_values(
    ctx: Context, iris: Sequence[str], properties: Iterable[str], *, lang: str
) -> MethodValues:
    """Headers and displayed rows of the methods ``iris`` for the ``properties`` shown."""
    lang = lang.lower()
    shown = set(properties)
    # A dict per property keeps each value once, in the engine's order.
    statements: dict[str, dict[str, dict[Node, None]]] = defaultdict(lambda: defaultdict(dict))
    structures: dict[str, list[tuple[str, Node]]] = defaultdict(list)
    graphs: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in _method_rows(ctx, iris):
        method, prop, value = str(row["method"]), str(row["property"]), row["value"]
        if "detail" in row:
            subject = row.get("node", value)
            structures[str(subject)].append((str(row["detail"]), row["detailValue"]))
        elif "graph" in row:
            graphs[(method, prop)][str(row["graph"])].add(str(value))
        else:
            statements[method][prop][value] = None

    headers = {
        iri: _header(statements[iri], lang)
        for iri in iris
        if KG.Method in statements[iri].get(str(RDF.type), {})
    }
    kept: dict[tuple[str, str], list[Node]] = {}
    for iri in headers:
        for prop, values in statements[iri].items():
            if prop in shown:
                kept[(iri, prop)] = _in_language(list(values), lang)
    resources = {
        str(v)
        for values in kept.values()
        for v in values
        if isinstance(v, URIRef) and str(v) not in structures
    }
    described = _details(ctx, sorted(resources))
    rows = {
        key: [r for value in values for r in _rows(value, described, structures, lang)]
        for key, values in kept.items()
    }
    return MethodValues(headers, rows, {k: dict(v) for k, v in graphs.items()})


# --- the rules of method-rows.rq --------------------------------------------------------------


def _lang_of(node: Node) -> str:
    return (node.language or "").lower() if isinstance(node, Literal) else ""


def _is_english(tag: str) -> bool:
    """SPARQL ``langMatches(tag, "en")``."""
    return tag == "en" or tag.startswith("en-")


def _in_language(values: list[Node], lang: str) -> list[Node]:
    """Non-literals, untagged literals, literals in ``lang``, and English ones when no
    value is in ``lang`` (the FILTER of method-rows.rq)."""
    tagged = [(v, (v.language or "").lower() if isinstance(v, Literal) else "") for v in values]
    translated = any(tag == lang for _, tag in tagged)
    return [
        value
        for value, tag in tagged
        if not tag or tag == lang or (not translated and _is_english(tag))
    ]


def _pick_label(labels: Sequence[Node], lang: str) -> Node | None:
    """COALESCE(label in ``lang``, English label, another label)."""
    for wanted in (lambda t: t == lang, _is_english, lambda t: True):
        for label in labels:
            if wanted(_lang_of(label)):
                return label
    return None


def _header(statements: Mapping[str, Mapping[Node, None]], lang: str) -> MethodHeader:
    label = _pick_label(list(statements.get(str(SKOS.prefLabel), {})), lang)
    counts = list(statements.get(str(KG.relatedCount), {}))
    return MethodHeader(
        str(label) if label is not None else None,
        _lang_of(label) if label is not None else "",
        counts[0] if counts else None,
    )


def _text_row(row: ValueRow, text: Node | None) -> ValueRow:
    if text is not None:
        row["text"] = text
        tag = _lang_of(text)
        if tag:
            row["textLang"] = Literal(tag)
    return row


def _rows(
    value: Node,
    described: Mapping[str, Mapping[str, tuple[Node, ...]]],
    structures: Mapping[str, list[tuple[str, Node]]],
    lang: str,
) -> list[ValueRow]:
    if isinstance(value, Literal):
        return [_text_row({"value": value}, value)]
    if str(value) in structures:
        return _structure_rows(value, structures, lang)
    if isinstance(value, BNode):
        return [{"value": value}]
    roles = described.get(str(value), {})
    text = next(iter(roles.get("citation", ())), None) or _pick_label(roles.get("label", ()), lang)
    if text is None:
        text = next(iter(roles.get("name", ())), None)
    row: ValueRow = {"value": value}
    for role in ("doi", "url"):
        if roles.get(role):
            row[role] = roles[role][0]
    return [_text_row(row, text)]


def _structure_rows(
    value: Node, structures: Mapping[str, list[tuple[str, Node]]], lang: str
) -> list[ValueRow]:
    own = _by_predicate(structures.get(str(value), []))
    if str(KG.startYear) in own:
        row: ValueRow = {"value": value, "start": own[str(KG.startYear)][0]}
        if str(KG.endYear) in own:
            row["end"] = own[str(KG.endYear)][0]
        return [row]
    if str(RDF.first) not in own:
        return [{"value": value}]
    rows: list[ValueRow] = []
    node: Node = value
    seen: set[str] = set()
    while str(node) in structures and str(node) not in seen:
        seen.add(str(node))
        cell = _by_predicate(structures.get(str(node), []))
        if str(RDF.first) not in cell:
            break
        cell_row: ValueRow = {"value": value, "cell": node}
        rest = cell.get(str(RDF.rest), [])
        if rest:
            cell_row["next"] = rest[0]
        rows.append(_text_row(cell_row, cell[str(RDF.first)][0]))
        node = rest[0] if rest else RDF.nil
    return rows


def _by_predicate(statements: Iterable[tuple[str, Node]]) -> dict[str, list[Node]]:
    grouped: dict[str, list[Node]] = defaultdict(list)
    for predicate, obj in statements:
        grouped[predicate].append(obj)
    return grouped


# --- rows of methods and details of resources, cached per store version ----------------------


_DETAILS_CACHE = "method-values.details"
_ROWS_CACHE = "method-values.rows"


def _method_rows(ctx: Context, iris: Sequence[str]) -> list[ValueRow]:
    """The rows of ``method-values.rq`` for the methods ``iris``: read from the store only
    for methods not in the cache of this store version. A row belongs to the method bound
    to ``?method``, so the rows of several methods are those of each one."""
    cache = ctx.version_lru(_ROWS_CACHE, METHOD_ROWS_CACHE_SIZE)
    found: dict[str, tuple[ValueRow, ...]] = cache.get(iris)
    missing = [iri for iri in dict.fromkeys(iris) if iri not in found]
    fetched: dict[str, list[ValueRow]] = {iri: [] for iri in missing}
    for start in range(0, len(missing), _BATCH):
        batch = missing[start : start + _BATCH]
        for row in ctx.store.select(ctx.queries["method-values"].bind(method=batch)).rows:
            fetched[str(row["method"])].append(row)
    new = {iri: tuple(rows) for iri, rows in fetched.items()}
    cache.put(new)
    rows = {**found, **new}
    return [row for iri in dict.fromkeys(iris) for row in rows[iri]]


def resource_details(ctx: Context, iris: Sequence[str]) -> dict[str, dict[str, tuple[Node, ...]]]:
    """role -> values (``label``, ``name``, ``citation``, ``doi``, ``url``) of resources,
    kept per store version (``value-details.rq``)."""
    return _details(ctx, sorted(set(iris)))


def method_label(iri: str, details: Mapping[str, Sequence[Node]], lang: str) -> str:
    """A method's label as the tables show it: in ``lang``, else English, else another
    language (``details`` from ``resource_details``); the IRI's last segment when it has
    none."""
    label = _pick_label(details.get("label", ()), lang)
    return str(label) if label is not None else iri.rsplit("/", 1)[-1]


def _details(ctx: Context, iris: Sequence[str]) -> dict[str, dict[str, tuple[Node, ...]]]:
    """role -> values (``label``, ``name``, ``citation``, ``doi``, ``url``) per resource."""
    if not iris:
        return {}
    cache = ctx.version_lru(_DETAILS_CACHE, DETAILS_CACHE_SIZE)
    found = cache.get(iris)
    missing = [iri for iri in iris if iri not in found]
    fetched: dict[str, dict[str, list[Node]]] = {iri: defaultdict(list) for iri in missing}
    for start in range(0, len(missing), _BATCH):
        batch = missing[start : start + _BATCH]
        result = ctx.store.select(ctx.queries["value-details"].bind(value=batch))
        for row in result.rows:
            fetched[str(row["value"])][str(row["role"])].append(row["text"])
    # Sorted, so that a choice among several values never depends on the engine's order.
    new = {
        iri: {role: tuple(sorted(values, key=_sort_key)) for role, values in roles.items()}
        for iri, roles in fetched.items()
    }
    cache.put(new)
    return {**found, **new}


def _sort_key(node: Node) -> tuple[str, str]:
    return (_lang_of(node), str(node))
