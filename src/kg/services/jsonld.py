"""Compact JSON-LD with the published context (``ontology/context.jsonld``), without pyld.

Every document sets ``"@base": <base IRI>``, so that the data's own IRIs read as in the
data files (``"method/ddpm"``). Dumps and exports are self-contained: they carry the
context itself, and any JSON-LD reader (rdflib, pyoxigraph, pyld) reads them without
fetching anything::

    {"@context": {"@version": 1.1, "@base": "https://w3id.org/rmkg/",
                  "kg": "https://w3id.org/rmkg/ontology#", …,
                  "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"}, …},
     "@graph": [{"@id": "method/ddpm", "@type": "Method",
                 "prefLabel": {"en": "DDPM", "ja": "DDPM"}, "field": "field/deep-learning", …}]}

Documents the web service answers (a resource, the dataset, a comparison) name the context
by the URL the serving instance answers it at (``/ontology/context.jsonld`` on the
request's own host), with the base as a local object::

    {"@context": ["http://127.0.0.1:8000/ontology/context.jsonld",
                  {"@base": "https://w3id.org/rmkg/"}], "@graph": […]}

The writer picks a term of the context for a property when every value it puts there fits
the term's definition (language maps take plain and language-tagged strings, ``"@type":
"@id"`` terms take IRIs, typed terms take literals of their datatype, ``@list`` terms take
well-formed lists); any other value goes under the property's compact IRI
(``"skos:prefLabel": [{"@id": …}]``) as an explicit node or value object, so the document
always expands to exactly the graph it was written from (the tests check that with pyld).

Two modes: ``graph_document`` embeds blank nodes referenced once and folds RDF lists (small
graphs: resource descriptions); ``NodeWriter`` writes one subject at a time (dumps, streamed).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.config import Settings

CONTEXT_FILE = "context.jsonld"
CONTEXT_MEDIA_TYPE = "application/ld+json"
JsonObject = dict[str, Any]


def context_path(settings: Settings) -> Path:
    return Path(settings.ontology_dir) / CONTEXT_FILE


def context_url(settings: Settings) -> str:
    """The stable URL of the published context: ``<base IRI>ontology/context.jsonld``."""
    return f"{settings.base_iri}ontology/{CONTEXT_FILE}"


@cache
def _load_context(path: Path, mtime: float) -> JsonObject:
    del mtime  # part of the cache key only
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def context_document(settings: Settings) -> JsonObject:
    path = context_path(settings)
    return _load_context(path, path.stat().st_mtime)


def document_context(settings: Settings, url: str | None = None) -> object:
    """The ``@context`` of a document we write: with ``url`` (where the context is served),
    that URL and our base; without, the context itself, with our base, inline."""
    if url is not None:
        return [url, {"@base": settings.base_iri}]
    context = dict(context_document(settings)["@context"])
    inline: JsonObject = {k: context.pop(k) for k in ("@version",) if k in context}
    return {**inline, "@base": settings.base_iri, **context}


def document_loader(settings: Settings) -> Callable[[str, dict[str, Any]], JsonObject]:
    """A pyld document loader that serves our context at its stable URL (``<base
    IRI>ontology/context.jsonld``, for documents that name it) and refuses every other URL."""

    def load(url: str, options: dict[str, Any]) -> JsonObject:
        del options
        if url != context_url(settings):
            from pyld.jsonld import JsonLdError  # type: ignore[import-untyped]

            raise JsonLdError(
                f"refusing to fetch remote context {url}",
                "jsonld.LoadDocumentError",
                {"url": url},
                code="loading remote context failed",
            )
        return {
            "contentType": CONTEXT_MEDIA_TYPE,
            "contextUrl": None,
            "documentUrl": url,
            "document": context_document(settings),
        }

    return load


# --- the context as term definitions ---------------------------------------------------------


@dataclass(frozen=True)
class Term:
    name: str
    iri: str
    kind: str  # "plain", "id", "typed", "lang", "list"
    datatype: str | None = None
    item_kind: str = "plain"  # for lists: "id" or "plain"


@dataclass(frozen=True)
class Vocabulary:
    prefixes: tuple[tuple[str, str], ...]  # (prefix, namespace), longest namespace first
    terms: dict[str, Term]  # by property IRI
    types: dict[str, str]  # class IRI -> term
    order: dict[str, int]  # property IRI -> position in the context


def vocabulary(settings: Settings) -> Vocabulary:
    return _vocabulary(json.dumps(context_document(settings)["@context"]))


@cache
def _vocabulary(context_json: str) -> Vocabulary:
    context: JsonObject = json.loads(context_json)
    prefixes: dict[str, str] = {}
    for name, value in context.items():
        if isinstance(value, str) and not name.startswith("@") and value[-1:] in "/#":
            prefixes[name] = value

    def expand(value: str) -> str:
        prefix, sep, rest = value.partition(":")
        return prefixes[prefix] + rest if sep and prefix in prefixes else value

    terms: dict[str, Term] = {}
    types: dict[str, str] = {}
    order: dict[str, int] = {}
    for name, value in context.items():
        if name.startswith("@") or name in prefixes:
            continue
        definition = {"@id": value} if isinstance(value, str) else dict(value)
        iri = expand(definition["@id"])
        container, type_ = definition.get("@container"), definition.get("@type")
        if name[:1].isupper() and isinstance(value, str):
            types[iri] = name
            continue
        if container == "@language":
            term = Term(name, iri, "lang")
        elif container == "@list":
            term = Term(name, iri, "list", item_kind="id" if type_ == "@id" else "plain")
        elif type_ == "@id":
            term = Term(name, iri, "id")
        elif type_:
            term = Term(name, iri, "typed", datatype=expand(type_))
        else:
            term = Term(name, iri, "plain")
        terms[iri] = term
        order[iri] = len(order)
    ordered = tuple(sorted(prefixes.items(), key=lambda item: -len(item[1])))
    return Vocabulary(ordered, terms, types, order)


# --- writing node objects ------------------------------------------------------------------------

_SCHEME_LIKE = re.compile(r"^[^/?#]*:")
_TYPE = str(RDF.type)
_STRING = str(XSD.string)


class Compactor:
    """Turns RDF terms into compact JSON-LD values under our context and base."""

    def __init__(self, settings: Settings) -> None:
        self.vocab = vocabulary(settings)
        self.base = settings.base_iri
        self.list_terms = frozenset(t.name for t in self.vocab.terms.values() if t.kind == "list")
        self._keys: dict[str, str] = {}  # predicates and datatypes: a few dozen in a dump

    def iri(self, iri: str, *, relative: bool = True) -> str:
        """An IRI as a relative reference (data IRIs), a compact IRI, or in full."""
        if relative and iri.startswith(self.base):
            rest = iri[len(self.base) :]
            if rest and not rest.startswith(("/", "?", "#")) and not _SCHEME_LIKE.match(rest):
                return rest
        for prefix, namespace in self.vocab.prefixes:
            if iri.startswith(namespace):
                rest = iri[len(namespace) :]
                if rest and not rest.startswith("//") and not iri.startswith(self.base):
                    return f"{prefix}:{rest}"
        return iri

    def reference(self, node: Node) -> str:
        if isinstance(node, BNode):
            return f"_:{node}"
        return self.iri(str(node))

    def key(self, predicate: str) -> str:
        key = self._keys.get(predicate)
        if key is None:
            key = self._keys[predicate] = self.iri(predicate, relative=False)
        return key

    def type_name(self, node: Node) -> str | dict[str, str]:
        if isinstance(node, BNode):
            return f"_:{node}"
        iri = str(node)
        return self.vocab.types.get(iri) or self.iri(iri, relative=False)

    def generic(self, node: Node) -> object:
        """A value under a key without coercion: node reference or value object."""
        if isinstance(node, URIRef | BNode):
            return {"@id": self.reference(node)}
        assert isinstance(node, Literal)
        if node.language:
            return {"@value": str(node), "@language": node.language}
        if node.datatype is None or str(node.datatype) == _STRING:
            return str(node)
        return {"@value": str(node), "@type": self.key(str(node.datatype))}

    def fits(self, term: Term, node: Node) -> bool:
        if term.kind == "id":
            return isinstance(node, URIRef | BNode)
        if term.kind == "typed":
            return isinstance(node, Literal) and str(node.datatype) == term.datatype
        if term.kind == "lang":
            return isinstance(node, Literal) and (
                node.language is not None or node.datatype is None or str(node.datatype) == _STRING
            )
        return term.kind == "plain"


Embedder = Callable[[Node], "JsonObject | list[Node] | None"]


def node_object(
    compactor: Compactor,
    subject: Node | None,
    properties: dict[str, list[Node]],
    embed: Embedder | None = None,
) -> JsonObject:
    """One node object; ``embed`` returns a node object to inline or the items of a list."""
    vocab = compactor.vocab
    result: JsonObject = {}
    if subject is not None:
        result["@id"] = compactor.reference(subject)
    types = properties.get(_TYPE, [])
    leftover_types = [t for t in types if isinstance(t, Literal)]
    named_types = [compactor.type_name(t) for t in types if not isinstance(t, Literal)]
    if named_types:
        result["@type"] = named_types[0] if len(named_types) == 1 else named_types
    keyed: dict[str, list[object]] = defaultdict(list)
    language_maps: dict[str, dict[str, list[str]]] = {}
    predicates = sorted(
        (p for p in properties if p != _TYPE or leftover_types),
        key=lambda p: (vocab.order.get(p, len(vocab.order)), p),
    )
    for predicate in predicates:
        values = leftover_types if predicate == _TYPE else properties[predicate]
        term = vocab.terms.get(predicate)
        fallback = compactor.key(predicate)
        for node in values:
            embedded = embed(node) if embed is not None and isinstance(node, BNode) else None
            if isinstance(embedded, list):  # a well-formed RDF list
                if term is not None and term.kind == "list":
                    keyed[term.name].append(
                        [_list_item(compactor, term, item, embed) for item in embedded]
                    )
                else:
                    items = [_list_item(compactor, None, item, embed) for item in embedded]
                    keyed[fallback].append({"@list": items})
            elif term is not None and term.kind == "lang" and compactor.fits(term, node):
                assert isinstance(node, Literal)
                language_maps.setdefault(term.name, {}).setdefault(
                    node.language or "@none", []
                ).append(str(node))
            elif term is not None and term.kind in ("id", "typed") and compactor.fits(term, node):
                if embedded is not None:
                    keyed[term.name].append(embedded)
                elif term.kind == "id":
                    keyed[term.name].append(compactor.reference(node))
                else:
                    keyed[term.name].append(str(node))
            elif term is not None and term.kind == "plain":
                keyed[term.name].append(
                    embedded if embedded is not None else compactor.generic(node)
                )
            else:
                keyed[fallback].append(
                    embedded if embedded is not None else compactor.generic(node)
                )
    for name, by_language in language_maps.items():
        result[name] = {lang: v[0] if len(v) == 1 else v for lang, v in sorted(by_language.items())}
    for name, items in keyed.items():
        if name in result:  # a language-map term whose key also has other values: merge safely
            raise AssertionError(f"term {name} used twice")
        if name in compactor.list_terms:
            # one list: the array itself; several lists: explicit list objects
            result[name] = items[0] if len(items) == 1 else [{"@list": i} for i in items]
        else:
            result[name] = items[0] if len(items) == 1 else items
    return result


def _list_item(
    compactor: Compactor, term: Term | None, node: Node, embed: Embedder | None
) -> object:
    embedded = embed(node) if embed is not None and isinstance(node, BNode) else None
    if isinstance(embedded, dict):
        return embedded
    if isinstance(embedded, list):
        return {"@list": [_list_item(compactor, None, item, embed) for item in embedded]}
    if term is not None and term.item_kind == "id" and isinstance(node, URIRef | BNode):
        return compactor.reference(node)
    return compactor.generic(node)


# --- a whole (small) graph, with blank nodes embedded and lists folded -------------------------


def graph_document(
    settings: Settings,
    graph: Graph,
    *,
    first: Iterable[str] = (),
    context_url: str | None = None,
) -> JsonObject:
    """The graph as one compact document; the subjects in ``first`` come first. The context
    is named by ``context_url`` when given, else inline (:func:`document_context`)."""
    compactor = Compactor(settings)
    properties: dict[Node, dict[str, list[Node]]] = defaultdict(lambda: defaultdict(list))
    references: dict[Node, int] = defaultdict(int)
    for s, p, o in graph:
        properties[s][str(p)].append(o)
        if isinstance(o, BNode):
            references[o] += 1
    for values in properties.values():
        for objects in values.values():
            objects.sort(key=_sort_key)

    lists: dict[Node, list[Node]] = {}
    for head in [n for n in properties if isinstance(n, BNode) and references[n] == 1]:
        items = _list_items(head, properties, references)
        if items is not None:
            lists[head] = items
    in_lists = {cell for head in lists for cell in _list_cells(head, properties) if cell != head}
    embeddable = {
        n for n in properties if isinstance(n, BNode) and references[n] == 1 and n not in in_lists
    }
    used: set[Node] = set()

    def embed(node: Node) -> JsonObject | list[Node] | None:
        if node in used or node not in embeddable:
            return None
        used.add(node)
        if node in lists:
            return lists[node]
        return node_object(compactor, None, properties[node], embed)

    priority = {iri: i for i, iri in enumerate(first)}
    subjects = sorted(
        (s for s in properties if s not in in_lists),
        key=lambda s: (priority.get(str(s), len(priority)), isinstance(s, BNode), str(s)),
    )
    nodes: list[JsonObject] = []
    # Write IRIs first so that blank nodes referenced from them get embedded there.
    for subject in subjects:
        if subject in embeddable:
            continue
        nodes.append(node_object(compactor, subject, properties[subject], embed))
    for subject in subjects:  # embeddable nodes nobody embedded (cycles)
        if subject in embeddable and subject not in used:
            used.add(subject)
            nodes.append(node_object(compactor, subject, properties[subject], embed))
    return {"@context": document_context(settings, context_url), "@graph": nodes}


def _sort_key(node: Node) -> tuple[int, str, str]:
    if isinstance(node, Literal):
        return (1, node.language or "", str(node))
    return (0, "", str(node))


def _list_cells(head: Node, properties: dict[Node, dict[str, list[Node]]]) -> Iterator[Node]:
    node: Node = head
    seen: set[Node] = set()
    while node != RDF.nil and node not in seen:
        seen.add(node)
        yield node
        node = properties[node][str(RDF.rest)][0]


def _list_items(
    head: Node, properties: dict[Node, dict[str, list[Node]]], references: dict[Node, int]
) -> list[Node] | None:
    items: list[Node] = []
    node: Node = head
    seen: set[Node] = set()
    while node != RDF.nil:
        if not isinstance(node, BNode) or node in seen or node not in properties:
            return None
        cell = properties[node]
        if set(cell) != {str(RDF.first), str(RDF.rest)}:
            return None
        if len(cell[str(RDF.first)]) != 1 or len(cell[str(RDF.rest)]) != 1:
            return None
        if node != head and references[node] != 1:
            return None
        seen.add(node)
        items.append(cell[str(RDF.first)][0])
        node = cell[str(RDF.rest)][0]
    return items


def dumps(document: JsonObject) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
