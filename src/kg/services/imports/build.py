"""From method records to one RDF graph per input file, merged with what the store holds.

Merge rule
    A record that carries an identifier of its own (``skos:exactMatch``: a Papers with Code
    page, an EDAM operation) is the stored method that already has that identifier, if
    one does. Otherwise records whose names (label or alias, any language, compared case-
    and width-insensitively) overlap describe one method, within the batch and against the
    store (ignoring the graphs the import replaces); a stored method is matched by the same
    kind of names (labels, alias-list members and hidden labels; not an ontology's bare
    ``skos:altLabel`` synonyms, which records are not matched by either). A group matching
    exactly one stored method merges into it; matching none, it becomes a new method;
    matching several, it is skipped (ambiguous). Records of the same file that carry
    different identifiers of their own (Papers with Code slugs) are never merged with each
    other, nor by name with a stored method that has another identifier of the same kind
    (namespace): two sources' names do not outweigh what one source says is two methods.

    Every name of a merged record is written in its graph, as a label or alias, else (when
    the method's first-known label or alias list wins) as ``skos:hiddenLabel``: so each
    graph keeps the names it was matched by, and re-importing any file, in any order, finds
    the same methods and writes the same graph.

Single-valued facts
    Year range, original source, related count and alias list, and one label, attribution,
    type and summary per language: the first value known wins (the store's, then the
    batch's in file order); a differing later value is not written and is reported.

Node identity
    Year ranges, alias lists and authors are skolem IRIs (``.well-known/genid/<hash>``) made
    from the method (or source) and the value, so two files stating the same fact write the
    same triples, and two files stating different years make two nodes, which the shapes
    then refuse (at most one year of origin).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports.model import (
    ConceptName,
    ConceptRecord,
    DatasetRecord,
    MethodRecord,
    Skipped,
    SourceRecord,
)
from kg.services.imports.resolution import Resolver
from kg.services.imports.store_index import StoreIndex, TakenIris, source_keys
from kg.services.imports.text import gyear, normalise, scripts_of, short_hash, slugify
from kg.services.imports.venues import venue_of_address

BIBO = Namespace("http://purl.org/ontology/bibo/")
PRISM = Namespace("http://prismstandard.org/namespaces/basic/2.0/")
SCHEMA = Namespace("https://schema.org/")
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")
"""DCAT 3 (rdflib's DCAT namespace predates it)."""
FALLBACK_LANGUAGE = "en"
PER_LANGUAGE = {
    "label": SKOS.prefLabel,
    "attribution": KG.attribution,
    "type": KG.methodType,
    "summary": KG.summary,
}


# --- what the store holds ------------------------------------------------------------------------


@dataclass
class KnownFacts:
    """Single-valued facts of a method: value, and the node the store states it with
    ("" for a literal or IRI value; None when the value comes from the batch)."""

    values: dict[str, tuple[object, str | None]] = field(default_factory=dict)


def load_method_facts(
    ctx: Context, methods: Iterable[str], replaced: set[str]
) -> dict[str, KnownFacts]:
    facts: dict[str, KnownFacts] = defaultdict(KnownFacts)
    wanted = sorted(set(methods))
    aliases: dict[str, set[str]] = defaultdict(set)
    alias_nodes: dict[str, str] = {}
    query = ctx.queries["import-method-facts"]
    for start in range(0, len(wanted), 100):
        result = ctx.store.select(query.bind(method=wanted[start : start + 100]))
        for row in result.rows:
            if str(row["graph"]) in replaced:
                continue
            method, prop, value = str(row["method"]), row["property"], row["value"]
            known = facts[method].values
            if prop == KG.yearOfOrigin:
                years = (int(str(value)), int(str(row["extra"])))
                known.setdefault("years", (years, str(row["node"])))
            elif prop == KG.originalSource:
                known.setdefault("source", (str(value), ""))
            elif prop == KG.relatedCount:
                known.setdefault("related", (int(str(value)), ""))
            elif prop == KG.aliases:
                aliases[method].add(str(value))
                alias_nodes.setdefault(method, str(row["node"]))
            elif isinstance(value, Literal) and value.language:
                for name, predicate in PER_LANGUAGE.items():
                    if prop == predicate:
                        known.setdefault(f"{name}@{value.language}", (str(value), ""))
    for method, names in aliases.items():
        facts[method].values.setdefault("aliases", (frozenset(names), alias_nodes[method]))
    return facts


# --- the outcome ---------------------------------------------------------------------------------


@dataclass
class BuildResult:
    graphs: dict[str, Graph]
    """graph name (``import-<stem>``) -> its triples."""
    created: list[str]
    merged: list[tuple[str, str]]
    """(where, method IRI) of every record merged into a stored or earlier method."""
    skipped: list[Skipped]
    methods: dict[str, set[str]]
    """graph name -> the methods it describes."""
    notes: list[Skipped]
    """Facts not written because another value was known first."""
    record_iris: dict[int, str] = field(default_factory=dict)
    """id(record) -> the method it was written to."""
    outcomes: dict[int, str] = field(default_factory=dict)
    """id(record) -> "created" (the first record of a new method), "merged" or "skipped"."""


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class GraphBuilder:
    def __init__(self, ctx: Context, index: StoreIndex, replaced: set[str]) -> None:
        self.ctx = ctx
        self.base = ctx.settings.base_iri
        self.index = index
        self.replaced = replaced
        self.taken = TakenIris(ctx, replaced)
        self.batch_concepts: dict[tuple[str, str], str] = {}
        self.batch_sources: dict[str, str] = {}
        self.graphs: dict[str, Graph] = {}
        self.notes: list[Skipped] = []
        self.sources_with_venue: set[tuple[str, str]] = set()
        self.venue_iris: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        """Printed venue name -> (the stored venue, or None; the venues it matched when several)."""
        self.unlinked_venues: Counter[tuple[str, str]] = Counter()
        """(file, printed venue name) -> how many sources name it that no one venue has."""

    # --- IRIs --------------------------------------------------------------------------------

    def genid(self, *parts: str) -> URIRef:
        return URIRef(f"{self.base}.well-known/genid/{short_hash(*parts, length=24)}")

    def mint(self, kind: str, slug: str, fallback: str) -> str:
        slug = slug or f"{kind}-{short_hash(fallback)}"
        iri = f"{self.base}{kind}/{slug}"
        number = 2
        while iri in self.taken:
            iri = f"{self.base}{kind}/{slug}-{number}"
            number += 1
        self.taken.add(iri)
        return iri

    def graph(self, name: str) -> Graph:
        if name not in self.graphs:
            self.graphs[name] = Graph()
        return self.graphs[name]

    # --- venues ------------------------------------------------------------------------------

    def resolve_venues(self, names: Iterable[str | None]) -> None:
        """Match printed venue names with the stored venues (one lookup for all)."""
        wanted = {name for name in names if name} - self.venue_iris.keys()
        if wanted:
            self.venue_iris.update(Resolver(self.ctx, self.replaced).venues(wanted))

    def venue(self, name: str | None, where: str) -> URIRef | None:
        """The stored venue of a printed venue name (a citation's, or the one a source's
        address names: ``venue_name``), else None: noted, never minted."""
        if not name:
            return None
        if name not in self.venue_iris:
            self.resolve_venues([name])
        found, _ = self.venue_iris[name]
        if found is None:
            self.unlinked_venues[(where, name)] += 1
            return None
        return URIRef(found)

    def venue_notes(self) -> list[Skipped]:
        """One note per file and venue name left unlinked (then forgotten)."""
        notes: list[Skipped] = []
        for (where, name), count in sorted(self.unlinked_venues.items()):
            _, candidates = self.venue_iris[name]
            why = (
                "matches several venues: " + ", ".join(candidates)
                if candidates
                else "is no venue of the store"
            )
            text = f"{count} × source names the venue {name!r}, which {why}"
            notes.append(Skipped(where, f"{text}: left unlinked"))
        self.unlinked_venues.clear()
        return notes

    # --- grouping ----------------------------------------------------------------------------

    def group(self, records: list[MethodRecord]) -> list[list[int]]:
        uf = _UnionFind(len(records))
        owner: dict[str, int] = {}
        for i, record in enumerate(records):
            for name in record.names():
                key = normalise(str(name))
                if not key:
                    continue
                j = owner.get(key)
                if j is None:
                    owner[key] = i
                elif not _distinct_by_key(records[uf.find(j)], record):
                    uf.union(i, j)
        groups: dict[int, list[int]] = defaultdict(list)
        for i in range(len(records)):
            groups[uf.find(i)].append(i)
        return [groups[root] for root in sorted(groups)]

    # --- building ----------------------------------------------------------------------------

    def build(self, records: list[MethodRecord]) -> BuildResult:
        created: list[str] = []
        merged: list[tuple[str, str]] = []
        skipped: list[Skipped] = []
        methods: dict[str, set[str]] = defaultdict(set)
        assignments: list[tuple[list[MethodRecord], str, bool]] = []
        outcomes: dict[int, str] = {}
        groups = [[records[i] for i in group] for group in self.group(records)]
        slugs = [("method", self._method_slug(m)) for m in groups]
        for record in records:
            if record.source is not None:
                slugs.append(("source", _source_slug(record.source)))
            for kind, names in (("field", record.fields), ("family", record.families)):
                slugs.extend((kind, slugify(str(name.label))) for name in names)
        self.taken.prefetch(f"{self.base}{kind}/{slug}" for kind, slug in slugs if slug)
        for members in groups:
            matches = self._matches(members)
            if len(matches) > 1:
                for record in members:
                    outcomes[id(record)] = "skipped"
                    skipped.append(
                        Skipped(
                            str(record.where),
                            f"{_label_of(record)!r} matches several methods: "
                            + ", ".join(sorted(matches)),
                            records=1,
                        )
                    )
                continue
            if matches:
                iri = matches.pop()
                assignments.append((members, iri, True))
                merged.extend((str(r.where), iri) for r in members)
                outcomes.update((id(r), "merged") for r in members)
            else:
                iri = self.mint("method", self._method_slug(members), str(members[0].where))
                assignments.append((members, iri, False))
                created.append(iri)
                merged.extend((str(r.where), iri) for r in members[1:])
                outcomes.update((id(r), "merged") for r in members[1:])
                outcomes[id(members[0])] = "created"
        self.resolve_venues(venue_name(r.source) for r in records if r.source is not None)
        stored = [iri for _, iri, in_store in assignments if in_store]
        facts = load_method_facts(self.ctx, stored, self.replaced) if stored else {}
        key_to_iri = {
            r.key: iri for members, iri, _ in assignments for r in members if r.key is not None
        }
        for members, iri, _ in assignments:
            known = facts.get(iri, KnownFacts())
            # A page in Thai or Japanese gives no English name, and none is made up: the method
            # keeps the names it has (the shapes warn), and pages fall back to them.
            for record in members:
                self._method(URIRef(iri), record, known, key_to_iri)
                methods[record.graph].add(iri)
        record_iris = {id(r): iri for members, iri, _ in assignments for r in members}
        self.notes.extend(self.venue_notes())
        return BuildResult(
            self.graphs, created, merged, skipped, methods, self.notes, record_iris, outcomes
        )

    def _matches(self, members: list[MethodRecord]) -> set[str]:
        """The stored methods a group describes: those with one of its own identifiers,
        else those sharing a name (less those with another identifier of the kind of the
        group's own), and the spreadsheet's ``method/<identifier>``."""
        index = self.index
        own = {match for record in members for match in record.exact_matches}
        matches = {method for match in own for method in index.methods_identified(match)}
        if not matches:
            kinds = {_kind(match) for match in own}
            for record in members:
                for name in record.names():
                    for method in index.methods_named(normalise(str(name))):
                        theirs = index.identifiers_of(method)
                        if not any(_kind(m) in kinds for m in theirs - own):
                            matches.add(method)
        for record in members:
            if record.identifier is not None:
                stated = f"{self.base}method/{record.identifier}"
                if index.is_method(stated):
                    matches.add(stated)
        return matches

    def _method_slug(self, members: list[MethodRecord]) -> str:
        for record in members:
            if record.slug_hint:
                return slugify(record.slug_hint)
        for record in members:
            for label in record.labels:
                if label.language == FALLBACK_LANGUAGE and slugify(str(label)):
                    return slugify(str(label))
        # An identifier, not a name: the first English alias gives a readable one.
        english = _first_english_alias(members)
        if english is not None and slugify(str(english)):
            return slugify(str(english))
        for record in members:
            for name in record.names():
                if slugify(str(name)):
                    return slugify(str(name))
        return ""

    def _first_known(
        self,
        known: KnownFacts,
        key: str,
        value: object,
        record: MethodRecord,
        what: str,
        node: str = "",
    ) -> bool:
        """Whether to state ``value``: yes if it is new, or equal to the known value and
        stated with the same node (restating it then adds nothing to the union, and keeps
        every file's graph the same whatever was imported before); no if a different value
        is known (reported), or the store states the same value with another node (a blank
        year range or list of the curated catalogue)."""
        previous = known.values.get(key)
        if previous is None:
            known.values[key] = (value, None)
            return True
        old, stored_node = previous
        if old == value:
            return stored_node is None or stored_node == node
        self.notes.append(
            Skipped(
                str(record.where),
                f"{what} of {_label_of(record)!r} not written: {_show(value)} differs from "
                f"the {'stored' if stored_node is not None else 'earlier'} {_show(old)}",
            )
        )
        return False

    def _method(
        self,
        method: URIRef,
        record: MethodRecord,
        known: KnownFacts,
        key_to_iri: dict[str, str],
    ) -> None:
        g = self.graph(record.graph)
        g.add((method, RDF.type, KG.Method))
        labels = list(record.labels)
        unwritten: list[Literal] = []
        for name, predicate, values in (
            ("label", SKOS.prefLabel, labels),
            ("attribution", KG.attribution, record.attribution),
            ("type", KG.methodType, record.method_type),
            ("summary", KG.summary, record.summary),
        ):
            for value in values:
                key = f"{name}@{value.language}"
                if self._first_known(known, key, str(value), record, name):
                    g.add((method, predicate, value))
                elif name == "label":
                    unwritten.append(value)
        if record.aliases:
            names = frozenset(str(a) for a in record.aliases)
            head = self._list_nodes(method, KG.aliases, record.aliases)[0]
            if self._first_known(known, "aliases", names, record, "aliases", str(head)):
                self._list(g, method, KG.aliases, record.aliases)
                for alias in record.aliases:
                    g.add((method, SKOS.altLabel, alias))
            else:
                unwritten.extend(record.aliases)
        # The names the record was matched by that the method's first-known label or alias
        # list left out: hidden labels, so that this graph still names the method by them.
        stated = _names_of(known)
        for value in unwritten:
            if str(value) not in stated:
                g.add((method, SKOS.hiddenLabel, value))
        if record.years is not None:
            start, end = record.years
            node = self.genid(str(method), "yearOfOrigin", str(start), str(end))
            if self._first_known(known, "years", record.years, record, "year of origin", str(node)):
                g.add((method, KG.yearOfOrigin, node))
                g.add((node, RDF.type, KG.YearRange))
                g.add((node, KG.startYear, Literal(gyear(start), datatype=XSD.gYear)))
                g.add((node, KG.endYear, Literal(gyear(end), datatype=XSD.gYear)))
        if record.related_count is not None and self._first_known(
            known, "related", record.related_count, record, "related count"
        ):
            g.add(
                (
                    method,
                    KG.relatedCount,
                    # xsd:integer, the term pyoxigraph keeps (it stores the derived type
                    # xsd:nonNegativeInteger as xsd:integer): a re-import then writes the same
                    # term instead of a second count. The value is in the ontology's range.
                    Literal(str(record.related_count), datatype=XSD.integer),
                )
            )
        for concept in record.fields:
            g.add((method, KG.field, self._concept(g, KG.Field, concept)))
        for concept in record.families:
            g.add((method, KG.family, self._concept(g, KG.Family, concept)))
        if record.source is not None:
            source = self._source(g, record.source, str(record.where.path))
            if self._first_known(known, "source", str(source), record, "original source"):
                g.add((method, KG.originalSource, source))
        for key in record.related_keys:
            other = key_to_iri.get(key)
            if other is not None and other != str(method):
                low, high = sorted((str(method), other))
                g.add((URIRef(low), KG.relatedMethod, URIRef(high)))
        for key in record.broader_keys:
            other = key_to_iri.get(key)
            if other is not None and other != str(method):
                g.add((method, KG.broaderMethod, URIRef(other)))
        for match in record.exact_matches:
            g.add((method, SKOS.exactMatch, URIRef(match)))
        for alt in record.alt_labels:
            g.add((method, SKOS.altLabel, alt))
        self._usage_and_code(g, method, record)

    def _usage_and_code(self, g: Graph, method: URIRef, record: MethodRecord) -> None:
        """Dated counts (skolem nodes named by method, measure, date, data set and count)
        and code (named by method and address): the same facts make the same triples."""
        for obs in record.observations:
            dataset = self._dataset(g, obs.dataset)
            node = self.genid(
                str(method), "observation", str(obs.measure), obs.date, str(dataset), str(obs.count)
            )
            kind = XSD.date if len(obs.date) == 10 else XSD.gYearMonth
            g.add((node, RDF.type, KG.UsageObservation))
            g.add((node, KG.observationOf, method))
            g.add((node, KG.measure, obs.measure))
            # xsd:integer, as pyoxigraph stores xsd:nonNegativeInteger (see kg:relatedCount)
            g.add((node, KG.observedCount, Literal(str(obs.count), datatype=XSD.integer)))
            g.add((node, KG.observationDate, Literal(obs.date, datatype=kind)))
            g.add((node, KG.observedIn, dataset))
        for code in record.implementations:
            node = self.genid(str(method), "implementation", code.url)
            g.add((method, KG.implementation, node))
            g.add((node, RDF.type, KG.CodeRepository))
            g.add((node, SCHEMA.url, URIRef(code.url)))
            if code.repository:
                g.add((node, SCHEMA.codeRepository, URIRef(code.repository)))

    def _dataset(self, g: Graph, dataset: DatasetRecord) -> URIRef:
        node = URIRef(f"{self.base}dataset/{dataset.slug}")
        g.add((node, RDF.type, KG.Dataset))
        g.add((node, SKOS.prefLabel, dataset.label))
        if dataset.version:
            g.add((node, DCAT_VERSION, Literal(dataset.version)))
        if dataset.licence:
            g.add((node, DCTERMS.license, URIRef(dataset.licence)))
        if dataset.url:
            g.add((node, SCHEMA.url, URIRef(dataset.url)))
        return node

    def _list_nodes(self, subject: URIRef, predicate: URIRef, items: list[Literal]) -> list[URIRef]:
        content = [f"{item}@{item.language}" for item in items]
        return [
            self.genid(str(subject), str(predicate), *content, str(i)) for i in range(len(items))
        ]

    def _list(self, g: Graph, subject: URIRef, predicate: URIRef, items: list[Literal]) -> None:
        nodes = self._list_nodes(subject, predicate, items)
        g.add((subject, predicate, nodes[0]))
        for i, (node, item) in enumerate(zip(nodes, items, strict=True)):
            g.add((node, RDF.first, item))
            g.add((node, RDF.rest, nodes[i + 1] if i + 1 < len(nodes) else RDF.nil))

    def _concept(self, g: Graph, cls: URIRef, name: ConceptName) -> URIRef:
        iri = self._concept_iri(g, cls, name.label)
        for broader in name.broader:
            parent = self._concept_iri(g, cls, broader)
            g.add((URIRef(iri), SKOS.broader, URIRef(parent)))
            g.add((URIRef(parent), SKOS.narrower, URIRef(iri)))
        if name.area is not None:
            # A family's field is in another concept scheme: a SKOS mapping, not skos:broader
            # (the shapes keep skos:broader within families).
            area = self._concept_iri(g, KG.Field, name.area)
            g.add((URIRef(iri), SKOS.broadMatch, URIRef(area)))
        return URIRef(iri)

    def _concept_iri(self, g: Graph, cls: URIRef, label: Literal) -> str:
        stored = self.index.concept(cls, str(label))
        if stored is not None and not self.index.is_imported(stored):
            return stored
        key = (str(cls), normalise(str(label)))
        iri = stored or self.batch_concepts.get(key)
        if iri is None:
            kind = "field" if cls == KG.Field else "family"
            iri = self.mint(kind, slugify(str(label)), str(label))
            self.batch_concepts[key] = iri
        scheme = URIRef(f"{self.base}scheme/{'fields' if cls == KG.Field else 'families'}")
        node = URIRef(iri)
        g.add((node, RDF.type, cls))
        g.add((node, SKOS.prefLabel, label))
        g.add((node, SKOS.inScheme, scheme))
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        return iri

    def concepts(self, graph: str, records: list[ConceptRecord]) -> dict[str, str]:
        """Write concepts with their own identifiers (AIO classes, EDAM topics) into
        ``graph``: a concept with the label of a stored field or family is that concept,
        else a new one; returns key -> concept IRI."""
        g = self.graph(graph)
        iris: dict[str, str] = {}
        self.taken.prefetch(
            f"{self.base}{'field' if r.cls == KG.Field else 'family'}/{slugify(str(r.label))}"
            for r in records
        )
        for record in records:
            iri = self._concept_iri(g, record.cls, record.label)
            iris.setdefault(record.key, iri)
        for record in records:
            node = URIRef(iris[record.key])
            g.add((node, SKOS.exactMatch, URIRef(record.key)))
            for alt in record.alt_labels:
                g.add((node, SKOS.altLabel, alt))
            if record.definition is not None:
                g.add((node, SKOS.definition, record.definition))
            for address in record.definition_sources:
                g.add((node, DCTERMS.source, URIRef(address)))
            if record.scheme:
                scheme = URIRef(f"{self.base}scheme/{record.scheme}")
                g.add((node, SKOS.inScheme, scheme))
                g.add((scheme, RDF.type, SKOS.ConceptScheme))
            for key in record.broader_keys:
                parent = iris.get(key)
                if parent is not None and parent != str(node):
                    g.add((node, SKOS.broader, URIRef(parent)))
                    g.add((URIRef(parent), SKOS.narrower, node))
        return iris

    def _source(self, g: Graph, source: SourceRecord, where: str) -> URIRef:
        stored = None
        for kind, text in source_keys(source):
            stored = self.index.source(kind, text)
            if stored is not None:
                break
        if stored is not None and not self.index.is_imported(stored):
            return URIRef(stored)
        key = source.key()
        iri = stored or self.batch_sources.get(key)
        if iri is None:
            iri = self.mint("source", _source_slug(source), key)
            self.batch_sources[key] = iri
        node = URIRef(iri)
        g.add((node, RDF.type, KG.Source))
        if source.title is not None:
            g.add((node, DCTERMS.title, source.title))
        if source.year is not None:
            g.add((node, DCTERMS.issued, Literal(gyear(source.year), datatype=XSD.gYear)))
        if source.arxiv_id:
            g.add((node, KG.arxivId, Literal(source.arxiv_id)))
        if source.doi:
            g.add((node, BIBO.doi, Literal(source.doi)))
        if source.url:
            g.add((node, SCHEMA.url, URIRef(source.url)))
        if source.see_also:
            g.add((node, RDFS.seeAlso, URIRef(source.see_also)))
        if (where, iri) not in self.sources_with_venue:  # once per source and file
            self.sources_with_venue.add((where, iri))
            venue = self.venue(venue_name(source), where)
            if venue is not None:
                g.add((node, KG.venue, venue))
        citation = source.citation
        if citation is not None:
            g.add((node, DCTERMS.bibliographicCitation, Literal(citation.text)))
            lang = source.title.language if source.title is not None else FALLBACK_LANGUAGE
            if citation.venue:
                g.add((node, PRISM.publicationName, Literal(citation.venue, lang=lang)))
            if citation.volume:
                g.add((node, BIBO.volume, Literal(citation.volume)))
            if citation.issue:
                g.add((node, BIBO.issue, Literal(citation.issue)))
            if citation.pages:
                g.add((node, BIBO.pages, Literal(citation.pages)))
            if citation.authors:
                people: list[URIRef] = []
                for i, author in enumerate(citation.authors):
                    person = self.genid(iri, "author", str(i), author)
                    g.add((person, RDF.type, KG.Person))
                    g.add((person, FOAF.name, Literal(author)))
                    g.add((node, DCTERMS.creator, person))
                    people.append(person)
                nodes = [
                    self.genid(iri, "authorList", *citation.authors, str(i))
                    for i in range(len(people))
                ]
                g.add((node, BIBO.authorList, nodes[0]))
                for i, (list_node, member) in enumerate(zip(nodes, people, strict=True)):
                    g.add((list_node, RDF.first, member))
                    g.add((list_node, RDF.rest, nodes[i + 1] if i + 1 < len(nodes) else RDF.nil))
        return node


def _names_of(known: KnownFacts) -> set[str]:
    """The labels (any language) and aliases known for a method."""
    names: set[str] = set()
    for key, (value, _) in known.values.items():
        if key.startswith("label@") and isinstance(value, str):
            names.add(value)
        elif key == "aliases" and isinstance(value, frozenset):
            names.update(str(v) for v in value)
    return names


def _kind(identifier: str) -> str:
    """The kind of an external identifier: its namespace, up to the last ``/`` or ``#``
    (``https://paperswithcode.com/method/``, ``http://edamontology.org/``)."""
    cut = max(identifier.rfind("/"), identifier.rfind("#"))
    return identifier[: cut + 1]


def _distinct_by_key(a: MethodRecord, b: MethodRecord) -> bool:
    return a.graph == b.graph and a.key is not None and b.key is not None and a.key != b.key


def _label_of(record: MethodRecord) -> str:
    return str(record.labels[0]) if record.labels else str(record.where)


def _show(value: object) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}–{value[1]}"
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(str(v) for v in value)) + "}"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "…")
    return str(value)


def _first_english_alias(members: list[MethodRecord]) -> Literal | None:
    for record in members:
        for alias in record.aliases:
            if alias.language == FALLBACK_LANGUAGE and "LATIN" in scripts_of(str(alias)):
                return Literal(str(alias), lang=FALLBACK_LANGUAGE)
    return None


def venue_name(source: SourceRecord) -> str | None:
    """The venue a source record names: its citation's printed venue, else the one its
    address names (``venues.py``)."""
    if source.citation is not None and source.citation.venue:
        return source.citation.venue
    return venue_of_address(source.url)


def _source_slug(source: SourceRecord) -> str:
    citation = source.citation
    if citation is not None:
        first = slugify(citation.authors[0].split(",")[0]) if citation.authors else ""
        words = [w for w in slugify(citation.title).split("-") if len(w) > 3][:2]
        return "-".join(p for p in (first, str(citation.year), *words) if p)
    if source.arxiv_id:
        return "arxiv-" + slugify(source.arxiv_id)
    return slugify(str(source.title or ""))
