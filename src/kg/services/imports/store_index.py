"""What the store holds, looked up for the names, identifiers and citations an import
brings: targeted queries, never the whole catalogue in memory.

Every lookup ignores the graphs the import replaces, and is answered once per key (found
or not) and kept for the rest of the import. ``prefetch`` sends the keys of a whole batch
in groups of ``MAX_VALUES_PER_PARAMETER``; a key asked for later is looked up on its own.

Names are compared in the form of ``text.normalise`` (NFKC, case-folded, dashes unified,
white space collapsed). SPARQL has no Unicode normalisation: the name queries
(``import-method-names.rq``, ``import-concepts.rq``, ``import-people.rq``) compare the
engine's ``LCASE`` of a name with the keys, which is the same for a name made only of
characters NFKC and case folding leave as ``LCASE`` does, and give every other name the
key ``" "``; those few come back for every lookup and are compared here, by ``normalise``.
So a lookup finds exactly what a comparison of every stored name would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rdflib import URIRef

from kg.queries import MAX_VALUES_PER_PARAMETER
from kg.services.context import Context
from kg.services.imports.model import MethodRecord, SourceRecord
from kg.services.imports.resolution import Resolver
from kg.services.imports.text import normalise
from kg.services.search import built_index

T = TypeVar("T")
OTHER_NAMES = " "
"""The key the name queries give a name the engine cannot normalise (no key is a space)."""


def _batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), MAX_VALUES_PER_PARAMETER - 1):
        yield items[start : start + MAX_VALUES_PER_PARAMETER - 1]


@dataclass(frozen=True)
class StoredConcept:
    iri: str
    cls: str
    preferred: bool


class StoreIndex:
    """Methods, concepts, sources and people in the store, outside the graphs an import
    replaces, by the keys the import asks about."""

    def __init__(self, ctx: Context, replaced: Iterable[str], *, search_index: bool = True) -> None:
        self.ctx = ctx
        self.replaced = set(replaced)
        self._search = built_index(ctx) if search_index else None
        """The search index of the store's current snapshot, when built: it proposes the
        methods of a name (``match_names``), which the store then confirms."""
        self.import_prefix = ctx.graph_iri("import-")
        self._named: dict[str, set[str]] = {}
        """Normalised name -> the methods with that name."""
        self._method_graphs: dict[str, bool] = {}
        """Method IRI -> whether a graph outside the replaced ones types it."""
        self._identified: dict[str, set[str]] = {}
        """External identifier -> the methods stated with it."""
        self._identifiers: dict[str, set[str]] = {}
        """Method -> its external identifiers."""
        self._concepts: dict[str, list[StoredConcept]] = {}
        """Normalised label -> the fields and families with that label."""
        self._sources: dict[tuple[str, str], str | None] = {}
        """("citation" | "arxiv", text) -> the source stating it."""
        self._people: dict[str, list[tuple[str, bool]]] = {}
        """Normalised name -> (person, whether only imports state them)."""
        self._imported: set[str] = set()
        self._curated: set[str] = set()

    # --- lookups -----------------------------------------------------------------------------

    def methods_named(self, name: str) -> set[str]:
        """The methods with a label, alias or hidden label of this (normalised) name."""
        self._load_names([name])
        return self._named[name]

    def is_method(self, iri: str) -> bool:
        self._load_methods([iri])
        return self._method_graphs[iri]

    def methods_identified(self, identifier: str) -> set[str]:
        self._load_identified([identifier])
        return self._identified[identifier]

    def identifiers_of(self, method: str) -> set[str]:
        self._load_identifiers([method])
        return self._identifiers[method]

    def concept(self, cls: URIRef, label: str) -> str | None:
        """The stored field or family of ``cls`` with this label (preferred labels first,
        then the first IRI)."""
        key = normalise(label)
        self._load_concepts([key])
        found = sorted((not c.preferred, c.iri) for c in self._concepts[key] if c.cls == str(cls))
        return found[0][1] if found else None

    def source(self, kind: str, text: str) -> str | None:
        """The stored source with this citation (``kind`` "citation") or arXiv id ("arxiv")."""
        self._load_sources([(kind, text)])
        return self._sources[(kind, text)]

    def people(self, name: str) -> list[tuple[str, bool]]:
        """(person, whether only imports state them) for the people of this normalised name,
        curated ones first."""
        self._load_people([name])
        return sorted(self._people[name], key=lambda p: (p[1], p[0]))

    def is_imported(self, iri: str) -> bool:
        """Whether only imports (no curated graph) state a concept or source looked up."""
        return iri in self._imported and iri not in self._curated

    # --- a batch at once ---------------------------------------------------------------------

    def prefetch(self, records: Iterable[MethodRecord], concept_labels: Iterable[str]) -> None:
        """Look up every key the records will ask about, a group of keys a query."""
        names: set[str] = set()
        identifiers: set[str] = set()
        concepts: set[str] = {normalise(label) for label in concept_labels}
        sources: set[tuple[str, str]] = set()
        for record in records:
            names.update(normalise(str(name)) for name in record.names())
            identifiers.update(record.exact_matches)
            for concept in (*record.fields, *record.families):
                concepts.add(normalise(str(concept.label)))
                concepts.update(normalise(str(b)) for b in concept.broader)
                if concept.area is not None:
                    concepts.add(normalise(str(concept.area)))
            if record.source is not None:
                sources.update(source_keys(record.source))
        self._load_names(sorted(names - {""}))
        self._load_identified(sorted(identifiers))
        candidates = set().union(*(self._named[n] for n in names if n), *self._identified.values())
        self._load_identifiers(sorted(candidates))
        self._load_concepts(sorted(concepts - {""}))
        self._load_sources(sorted(sources))

    def prefetch_people(self, names: Iterable[str]) -> None:
        self._load_people(names)

    def prefetch_names(self, names: Iterable[str]) -> None:
        self._load_names({n for n in names if n})

    def prefetch_methods(self, iris: Iterable[str]) -> None:
        self._load_methods(iris)

    # --- the queries -------------------------------------------------------------------------

    def _rows(self, query: str, **params: object) -> list[dict[str, str]]:
        result = self.ctx.store.select(self.ctx.queries[query].bind(**params))
        return [{k: str(v) for k, v in row.items()} for row in result.rows]

    def _kept(self, graph: str) -> bool:
        return graph not in self.replaced

    def _note_graph(self, iri: str, graph: str) -> None:
        if not self._kept(graph):
            return
        (self._imported if graph.startswith(self.import_prefix) else self._curated).add(iri)

    @staticmethod
    def _missing(cache: Container[str], keys: Iterable[str]) -> list[str]:
        return sorted({k for k in keys if k not in cache})

    def _by_name(
        self,
        query: str,
        keys: Iterable[str],
        name_var: str,
        take: Callable[[dict[str, str]], T | None],
    ) -> Iterator[tuple[str, T]]:
        """(key, what ``take`` makes of a row) for every stored name of one of ``keys``."""
        for batch in _batches(list(keys)):
            wanted = set(batch)
            for row in self._rows(query, key=[OTHER_NAMES, *batch]):
                key = normalise(row[name_var])
                if key in wanted:
                    taken = take(row)
                    if taken is not None:
                        yield key, taken

    def _load_names(self, names: Iterable[str]) -> None:
        missing = self._missing(self._named, names)
        for key in missing:
            self._named[key] = set()
        if not missing:
            return
        if self._search is not None and self._search.version == self.ctx.store.version():
            self._confirm_names(missing, self._search.methods_named(missing))
            return

        def take(row: dict[str, str]) -> str | None:
            kept = self._kept(row["typeGraph"]) and self._kept(row["nameGraph"])
            return row["method"] if kept else None

        for key, method in self._by_name("import-method-names", missing, "name", take):
            self._named[key].add(method)

    def _confirm_names(self, keys: list[str], proposed: dict[str, set[str]]) -> None:
        """Keep the proposed methods whose names in the store (outside the replaced graphs)
        have one of ``keys``."""
        base = f"{self.ctx.settings.base_iri}method/"
        wanted = set(keys)
        methods = sorted({i if ":" in i else base + i for ids in proposed.values() for i in ids})
        for batch in _batches(methods):
            for row in self._rows("import-method-names-of", method=list(batch)):
                key = normalise(row["name"])
                if key in wanted and self._kept(row["typeGraph"]) and self._kept(row["nameGraph"]):
                    self._named[key].add(row["method"])

    def _load_methods(self, iris: Iterable[str]) -> None:
        missing = self._missing(self._method_graphs, iris)
        for batch in _batches(missing):
            for iri in batch:
                self._method_graphs[iri] = False
            for row in self._rows("import-known-methods", method=list(batch)):
                if self._kept(row["typeGraph"]):
                    self._method_graphs[row["method"]] = True

    def _load_identified(self, identifiers: Iterable[str]) -> None:
        self._load_sets(self._identified, identifiers, "import-identified-methods", "identifier")

    def _load_identifiers(self, methods: Iterable[str]) -> None:
        self._load_sets(self._identifiers, methods, "import-method-identifiers", "method")

    def _load_sets(
        self, cache: dict[str, set[str]], keys: Iterable[str], query: str, by: str
    ) -> None:
        """Fill ``cache`` (method <-> identifier, by ``by``) for the keys not looked up yet."""
        other = "method" if by == "identifier" else "identifier"
        for batch in _batches(self._missing(cache, keys)):
            for key in batch:
                cache[key] = set()
            for row in self._rows(query, **{by: list(batch)}):
                if self._kept(row["graph"]):
                    cache[row[by]].add(row[other])

    def _load_concepts(self, labels: Iterable[str]) -> None:
        missing = self._missing(self._concepts, labels)
        for key in missing:
            self._concepts[key] = []

        def take(row: dict[str, str]) -> StoredConcept | None:
            self._note_graph(row["concept"], row["labelGraph"])
            if not self._kept(row["graph"]):
                return None
            preferred = row["preferred"] == "true"
            return StoredConcept(row["concept"], row["class"], preferred)

        found: dict[str, set[StoredConcept]] = defaultdict(set)
        for key, concept in self._by_name("import-concepts", missing, "label", take):
            found[key].add(concept)
        for key, concepts in found.items():
            self._concepts[key] = sorted(concepts, key=lambda c: (c.iri, c.cls, c.preferred))

    def _load_sources(self, keys: Iterable[tuple[str, str]]) -> None:
        missing = sorted({k for k in keys if k not in self._sources})
        texts = sorted({text for _, text in missing})
        found: dict[tuple[str, str], set[str]] = defaultdict(set)
        for batch in _batches(texts):
            for row in self._rows("import-sources", text=list(batch)):
                self._note_graph(row["source"], row["typeGraph"])
                if self._kept(row["graph"]):
                    found[(row["kind"], row["text"])].add(row["source"])
        for key in missing:
            sources = sorted(found.get(key, ()))
            self._sources[key] = sources[0] if sources else None

    def _load_people(self, names: Iterable[str]) -> None:
        missing = self._missing(self._people, names)
        for key in missing:
            self._people[key] = []

        def take(row: dict[str, str]) -> tuple[str, str] | None:
            return (row["person"], row["graph"]) if self._kept(row["graph"]) else None

        graphs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        if self._search is not None and self._search.version == self.ctx.store.version():
            # The index proposes (its names are read over the union of the graphs), the
            # store confirms each name with its graph, as import-people.rq would find it.
            wanted = set(missing)
            proposed = sorted({p for people in self._search.people_named(missing).values()
                               for p in people})  # fmt: skip
            for batch in _batches(proposed):
                for row in self._rows("import-people-of", person=list(batch)):
                    key = normalise(row["name"])
                    found = take(row) if key in wanted else None
                    if found is not None:
                        graphs[key][found[0]].add(found[1])
        else:
            for key, found in self._by_name("import-people", missing, "name", take):
                person, graph = found
                graphs[key][person].add(graph)
        for key, people in graphs.items():
            self._people[key] = [
                (person, all(g.startswith(self.import_prefix) for g in stated))
                for person, stated in sorted(people.items())
            ]


def source_keys(source: SourceRecord) -> list[tuple[str, str]]:
    """The lookups a source is matched by: its citation, then its arXiv id."""
    keys: list[tuple[str, str]] = []
    if source.citation is not None:
        keys.append(("citation", source.citation.text))
    if source.arxiv_id:
        keys.append(("arxiv", source.arxiv_id))
    return keys


class TakenIris:
    """The IRIs an import may not mint: those it made itself, and those a graph outside the
    replaced ones types (``import-typed.rq``; another graph may state things about an IRI
    it does not type, such as Epoch's originators of a Papers with Code method, and a
    re-import mints that IRI again). ``prefetch`` asks for many at once; with ``described``
    an IRI any such graph states something about is taken too (Epoch's systems, people,
    organisations and data sets: ``resolve-existing.rq``)."""

    def __init__(self, ctx: Context, replaced: Iterable[str]) -> None:
        self._ctx = ctx
        self._replaced = set(replaced)
        self._resolver = Resolver(ctx, replaced)
        self._mine: set[str] = set()
        self._stored: dict[str, bool] = {}

    def __contains__(self, iri: object) -> bool:
        if not isinstance(iri, str):
            return False
        if iri in self._mine:
            return True
        if iri not in self._stored:
            self.prefetch([iri])
        return self._stored[iri]

    def add(self, iri: str) -> None:
        self._mine.add(iri)

    def prefetch(self, iris: Iterable[str], *, described: bool = False) -> None:
        missing = sorted({i for i in iris if i not in self._stored and i not in self._mine})
        if not missing:
            return
        found: set[str] = set()
        query = self._ctx.queries["import-typed"]
        for batch in _batches(missing):
            result = self._ctx.store.select(query.bind(resource=list(batch)))
            found.update(
                str(row["resource"])
                for row in result.rows
                if str(row["graph"]) not in self._replaced
            )
        if described:
            found |= self._resolver.existing(missing)
        self._stored.update((iri, iri in found) for iri in missing)
