"""From Epoch AI rows (``SystemRecord``) to AI systems in the file's graph, with their
organisations, people, data sets and sources matched with the store first
(``resolution.py``): nothing the store already holds is created again.

Rows with the same model name describe one system when their publication date, parameters
and training compute agree (a later row is then merged); otherwise each is a system of its
own (``system/<slug>-2``). IRIs: ``system/<slug>``, ``organization/<slug>``,
``dataset/<slug>``, ``person/<slug>``, ``source/<slug>`` (``source/arxiv-<id>`` for an
arXiv paper), ``domain/<slug>`` and ``approach/<slug>`` (concepts of
``scheme/epoch-domains`` and ``scheme/epoch-approaches``), and the Epoch data set itself
``dataset/epoch-ai-models-<version>``.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from kg.namespaces import KG
from kg.queries import BindingError, term_for
from kg.services.context import Context
from kg.services.imports.build import BIBO, SCHEMA, GraphBuilder
from kg.services.imports.epoch import split_list
from kg.services.imports.model import ParsedFile, Skipped, SystemRecord, Where
from kg.services.imports.resolution import (
    Ambiguous,
    PersonName,
    Resolved,
    Resolver,
    StoredPerson,
    aliases_of,
    family_keys,
    name_key,
    parse_person,
    resolve_person,
    title_key,
)
from kg.services.imports.text import normalise, slugify
from kg.services.imports.venues import venue_of_address

_NO_EVIDENCE = "initials only or several candidates, and no shared co-author"
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")
EPOCH_REPOSITORY = "https://github.com/simsharmaa/INFSCI1520"
SCHEMES = {
    "domain": ("epoch-domains", "Epoch AI domains"),
    "approach": ("epoch-approaches", "Epoch AI learning approaches"),
}


@dataclass
class _Cluster:
    """Names of one organisation or data set within the file."""

    names: list[str]
    keys: set[str] = field(default_factory=set)
    iri: str = ""

    def label(self, counts: Counter[str]) -> str:
        return max(self.names, key=lambda n: (bool(aliases_of(n)), counts[n], -self.names.index(n)))


class SystemBuilder:
    def __init__(self, ctx: Context, builder: GraphBuilder, pf: ParsedFile) -> None:
        self.ctx = ctx
        self.builder = builder
        self.pf = pf
        self.base = ctx.settings.base_iri
        self.g: Graph = builder.graph(pf.graph)
        self.resolver = Resolver(ctx, builder.replaced)
        self.resolved: list[Resolved] = []
        self.ambiguous: list[Ambiguous] = []
        self.notes: Counter[str] = Counter()

    # --- IRIs ------------------------------------------------------------------------------

    def _mint_all(self, kind: str, slugs: Sequence[tuple[str, str]]) -> list[str]:
        """New IRIs ``kind/<slug>`` for (slug, fallback) pairs, stepping past the IRIs the
        store (outside the replaced graphs) or this import already uses."""
        wanted = [f"{self.base}{kind}/{slug}" for slug, _ in slugs if slug]
        self.builder.taken.prefetch(wanted, described=True)
        return [self.builder.mint(kind, slug, fallback) for slug, fallback in slugs]

    # --- the whole file ----------------------------------------------------------------------

    def build(self) -> list[Skipped]:
        records = self.pf.systems
        systems = self._systems(records)
        organizations = self._named(
            KG.Organization, "organization", [n for r in records for n in r.organizations]
        )
        datasets = self._named(KG.Dataset, "dataset", [n for r in records for n in r.datasets])
        people = self._people(records)
        self.builder.resolve_venues(venue_of_address(r.url) for r in records)
        sources, methods = self._sources(records, people)
        by_name: dict[str, list[str]] = defaultdict(list)
        for record in records:
            iri = systems[record.where]
            if iri not in by_name[normalise(record.name)]:
                by_name[normalise(record.name)].append(iri)
        observed_in = self._epoch_dataset()
        cited: set[str] = set()
        g = self.g
        for record in records:
            iri = systems[record.where]
            node = URIRef(iri)
            g.add((node, RDF.type, KG.AISystem))
            g.add((node, SKOS.prefLabel, Literal(record.name, lang="en")))
            for name, country in zip(record.organizations, record.countries or [], strict=False):
                g.add((URIRef(organizations[name]), KG.country, Literal(country, lang="en")))
            for name in record.organizations:
                g.add((node, KG.developer, URIRef(organizations[name])))
            for author in record.authors:
                if author in people.get(record.where, {}):
                    g.add((node, KG.author, URIRef(people[record.where][author])))
            if record.date:
                g.add((node, KG.publicationDate, Literal(record.date, datatype=XSD.date)))
            for kind, values, predicate in (
                ("domain", record.domains, KG.applicationDomain),
                ("approach", record.approaches, KG.learningApproach),
            ):
                for value in values:
                    g.add((node, predicate, self._concept(kind, value)))
            if record.parameters is not None:
                g.add((node, KG.parameterCount, Literal(record.parameters, datatype=XSD.decimal)))
            if record.compute is not None:
                g.add(
                    (node, KG.trainingCompute, Literal(repr(record.compute), datatype=XSD.double))
                )
            for name in record.datasets:
                g.add((node, KG.trainingDataset, URIRef(datasets[name])))
            for base in self._bases(record, by_name, iri):
                g.add((node, KG.baseModel, URIRef(base)))
            if record.accessibility:
                g.add((node, KG.accessibility, Literal(record.accessibility, lang="en")))
            source = sources.get(record.where)
            if source is not None:
                g.add((node, KG.introducedIn, URIRef(source)))
            for method in sorted(methods.get(record.where, set())):
                g.add((node, KG.introducedWith, URIRef(method)))
                for person in sorted(set(people.get(record.where, {}).values())):
                    g.add((URIRef(method), KG.originator, URIRef(person)))
            if record.citations is not None and self.pf.version and iri not in cited:
                cited.add(iri)
                self._citations(node, record.citations, observed_in)
        self.pf.resolved = [*self.resolved, *self.ambiguous]
        self.pf.notes.extend(self.builder.venue_notes())
        self.pf.notes.extend(
            Skipped(str(self.pf.path), f"{n} × {why}") for why, n in sorted(self.notes.items())
        )
        return []

    # --- systems -----------------------------------------------------------------------------

    def _systems(self, records: list[SystemRecord]) -> dict[Where, str]:
        """record -> its system; the first record of each system counts as created."""
        groups: list[list[SystemRecord]] = []
        by_name: dict[str, list[list[SystemRecord]]] = defaultdict(list)
        for record in records:
            for group in by_name[normalise(record.name)]:
                if all(_agree(record, other) for other in group):
                    group.append(record)
                    break
            else:
                group = [record]
                by_name[normalise(record.name)].append(group)
                groups.append(group)
        iris = self._mint_all("system", [(slugify(g[0].name), g[0].name) for g in groups])
        result: dict[Where, str] = {}
        for group, iri in zip(groups, iris, strict=True):
            for record in group:
                result[record.where] = iri
            self.pf.systems_created += 1
            self.pf.merged_rows += len(group) - 1
            for record in group[1:]:
                self.resolved.append(
                    Resolved(
                        "system",
                        record.name,
                        iri,
                        "same name and facts in the file",
                        str(record.where),
                    )
                )
        return result

    def _bases(self, record: SystemRecord, by_name: dict[str, list[str]], own: str) -> list[str]:
        bases: list[str] = []
        for cell in record.base_models:
            names = [cell] if normalise(cell) in by_name else split_list(cell)
            for name in names:
                found = [iri for iri in by_name.get(normalise(name), []) if iri != own]
                if len(found) == 1:
                    bases.append(found[0])
                elif found:
                    self.notes["base models naming several systems of the file (left out)"] += 1
                    self.ambiguous.append(
                        Ambiguous("base model", name, tuple(found), str(record.where))
                    )
                else:
                    self.notes["base models not in the file (left out)"] += 1
        return bases

    # --- organisations and data sets --------------------------------------------------------

    def _named(self, cls: URIRef, kind: str, names: list[str]) -> dict[str, str]:
        """name -> resource: names of one thing within the file grouped, then matched with
        the store by name and alias keys; new ones minted."""
        counts = Counter(names)
        order = list(dict.fromkeys(names))
        full = {n: name_key(n) for n in order}
        claims: dict[str, set[str]] = defaultdict(set)
        for n in order:
            for alias in aliases_of(n):
                claims[name_key(alias)].add(full[n])
        clusters: dict[str, _Cluster] = {}
        parent: dict[str, str] = {}

        def find(key: str) -> str:
            while parent.get(key, key) != key:
                key = parent[key]
            return key

        keys_of: dict[str, set[str]] = {n: {full[n]} for n in order}
        for key, owners in claims.items():
            if len(owners) == 1:
                owner = next(iter(owners))
                parent.setdefault(key, key)
                parent.setdefault(owner, owner)
                parent[find(key)] = find(owner)
            else:
                self.ambiguous.append(Ambiguous(kind, key, tuple(sorted(owners))))
        for n in order:
            keys_of[n] |= {name_key(a) for a in aliases_of(n) if len(claims[name_key(a)]) == 1}
            root = find(full[n])
            cluster = clusters.setdefault(root, _Cluster([]))
            cluster.names.append(n)
            cluster.keys |= keys_of[n]
        stored = self.resolver.labels(str(cls), {k for c in clusters.values() for k in c.keys})
        fresh: list[_Cluster] = []
        for cluster in clusters.values():
            found = set().union(*(stored.get(k, set()) for k in cluster.keys))
            label = cluster.label(counts)
            if len(found) == 1:
                cluster.iri = next(iter(found))
                self.resolved.append(
                    Resolved(kind, label, cluster.iri, "same name or alias as a stored one")
                )
            else:
                if found:
                    self.ambiguous.append(Ambiguous(kind, label, tuple(sorted(found))))
                fresh.append(cluster)
            for other in cluster.names:
                if other != label and cluster.iri:
                    self.resolved.append(
                        Resolved(kind, other, cluster.iri, "alias or name variant in the file")
                    )
        labels = [c.label(counts) for c in fresh]
        for cluster, label, iri in zip(
            fresh,
            labels,
            self._mint_all(kind, [(slugify(name), name) for name in labels]),
            strict=True,
        ):
            cluster.iri = iri
            node = URIRef(iri)
            self.g.add((node, RDF.type, cls))
            self.g.add((node, SKOS.prefLabel, Literal(label, lang="en")))
            alternatives = {a for n in cluster.names for a in (n, *aliases_of(n))} - {label}
            for alt in sorted(alternatives):
                self.g.add((node, SKOS.altLabel, Literal(alt, lang="en")))
            for other in cluster.names:
                if other != label:
                    self.resolved.append(
                        Resolved(kind, other, iri, "alias or name variant in the file")
                    )
        return {n: cluster.iri for cluster in clusters.values() for n in cluster.names}

    # --- people ------------------------------------------------------------------------------

    def _people(self, records: list[SystemRecord]) -> dict[Where, dict[str, str]]:
        """row (its ``where``) -> author name -> person."""
        parsed: dict[str, PersonName] = {}
        for record in records:
            for author in record.authors:
                name = parse_person(author)
                if name is not None:
                    parsed.setdefault(author, name)
        groups: dict[str, list[str]] = defaultdict(list)
        for author, name in parsed.items():
            groups[name.key].append(author)
        families = {k for author in parsed for k in family_keys(author)}
        stored = self.resolver.persons(families)
        person_of: dict[str, str] = {}
        pending: dict[str, list[str]] = {}
        for key, authors in groups.items():
            candidates = _candidates(stored, authors)
            iri, rule, ambiguous = resolve_person(parsed[authors[0]], candidates)
            if iri is not None:
                person_of[key] = iri
                self.resolved.extend(Resolved("person", a, iri, rule) for a in authors)
            elif ambiguous:
                pending[key] = list(ambiguous)
        if pending:
            self._by_coauthors(records, parsed, stored, groups, pending, person_of)
        new_keys = [k for k in groups if k not in person_of]
        iris = self._mint_all("person", [(slugify(groups[k][0]), groups[k][0]) for k in new_keys])
        for key, iri in zip(new_keys, iris, strict=True):
            person_of[key] = iri
            self.g.add((URIRef(iri), RDF.type, KG.Person))
            self.g.add((URIRef(iri), FOAF.name, Literal(groups[key][0])))
        return {
            record.where: {a: person_of[parsed[a].key] for a in record.authors if a in parsed}
            for record in records
        }

    def _by_coauthors(
        self,
        records: list[SystemRecord],
        parsed: dict[str, PersonName],
        stored: dict[str, list[StoredPerson]],
        groups: dict[str, list[str]],
        pending: dict[str, list[str]],
        person_of: dict[str, str],
    ) -> None:
        coauthors = self.resolver.coauthors({c for cands in pending.values() for c in cands})
        matched_with: dict[str, set[str]] = defaultdict(set)
        for record in records:
            keys = [parsed[a].key for a in record.authors if a in parsed]
            found = {person_of[k] for k in keys if k in person_of}
            for key in keys:
                if key in pending:
                    matched_with[key] |= found
        for key, candidates in pending.items():
            evidence = {c for c in candidates if coauthors.get(c, set()) & matched_with[key]}
            authors = groups[key]
            iri, rule, ambiguous = resolve_person(
                parsed[authors[0]], _candidates(stored, authors), evidence
            )
            if iri is not None:
                person_of[key] = iri
                self.resolved.extend(Resolved("person", a, iri, rule) for a in authors)
            else:
                self.ambiguous.append(Ambiguous("person", authors[0], ambiguous, why=_NO_EVIDENCE))

    # --- sources -----------------------------------------------------------------------------

    def _sources(
        self, records: list[SystemRecord], people: dict[Where, dict[str, str]]
    ) -> tuple[dict[Where, str], dict[Where, set[str]]]:
        """row -> the source that introduced its system; row -> the methods of that paper."""
        found = self.resolver.sources(
            [r.arxiv_id for r in records if r.arxiv_id],
            [r.doi for r in records if r.doi],
            [k for r in records if r.title and (k := title_key(r.title))],
        )
        source_of: dict[Where, str] = {}
        matches: dict[Where, set[str]] = {}
        new: dict[str, list[SystemRecord]] = defaultdict(list)
        for record in records:
            keys = _source_keys(record)
            hits = [(kind, sorted(found.get((kind, key), set()))) for kind, key in keys]
            hits = [(kind, h) for kind, h in hits if h]
            if hits:
                kind, best = hits[0]
                source_of[record.where] = best[0][1]
                matches[record.where] = {s for _, h in hits for _, s in h}
                rule = {"arxiv": "same arXiv id", "doi": "same DOI", "title": "same title"}[kind]
                self.resolved.append(
                    Resolved(
                        "source",
                        record.title or record.url or "",
                        best[0][1],
                        rule,
                        str(record.where),
                    )
                )
            elif keys and record.title:
                new[keys[0][0] + ":" + keys[0][1]].append(record)
        slugs = [
            (
                "arxiv-" + slugify(rs[0].arxiv_id)
                if rs[0].arxiv_id
                else slugify(rs[0].title or ""),
                key,
            )
            for key, rs in new.items()
        ]
        for rows, iri in zip(new.values(), self._mint_all("source", slugs), strict=True):
            self._new_source(iri, rows, people)
            for record in rows:
                source_of[record.where] = iri
            for record in rows[1:]:
                self.resolved.append(
                    Resolved(
                        "source",
                        record.title or "",
                        iri,
                        "same paper in the file",
                        str(record.where),
                    )
                )
        methods = self.resolver.source_methods({s for m in matches.values() for s in m})
        return source_of, {
            where: set().union(*(methods.get(s, set()) for s in sources))
            for where, sources in matches.items()
        }

    def _new_source(
        self, iri: str, rows: list[SystemRecord], people: dict[Where, dict[str, str]]
    ) -> None:
        node, first = URIRef(iri), rows[0]
        self.g.add((node, RDF.type, KG.Source))
        self.g.add((node, DCTERMS.title, Literal(first.title or "", lang="en")))
        if first.arxiv_id:
            self.g.add((node, KG.arxivId, Literal(first.arxiv_id)))
        if first.doi:
            self.g.add((node, BIBO.doi, Literal(first.doi)))
        if first.url and _valid_iri(first.url):
            self.g.add((node, SCHEMA.url, URIRef(first.url)))
            venue = self.builder.venue(venue_of_address(first.url), str(self.pf.path))
            if venue is not None:
                self.g.add((node, KG.venue, venue))
        for person in people.get(first.where, {}).values():
            self.g.add((node, DCTERMS.creator, URIRef(person)))

    # --- concepts, the data set, citations -------------------------------------------------

    def _concept(self, kind: str, label: str) -> URIRef:
        slug, title = SCHEMES[kind]
        node = URIRef(f"{self.base}{kind}/{slugify(label) or 'x-' + name_key(label)}")
        scheme = URIRef(f"{self.base}scheme/{slug}")
        self.g.add((node, RDF.type, SKOS.Concept))
        self.g.add((node, SKOS.prefLabel, Literal(label, lang="en")))
        self.g.add((node, SKOS.inScheme, scheme))
        self.g.add((scheme, RDF.type, SKOS.ConceptScheme))
        self.g.add((scheme, SKOS.prefLabel, Literal(title, lang="en")))
        return node

    def _epoch_dataset(self) -> URIRef:
        version = self.pf.version
        slug = f"epoch-ai-models-{version}" if version else "epoch-ai-models"
        node = URIRef(f"{self.base}dataset/{slug}")
        label = "Epoch AI, All AI models"
        if version:
            year, month = version.split("-")
            label += f" ({calendar.month_name[int(month)]} {year})"
            self.g.add((node, DCAT_VERSION, Literal(version)))
        self.g.add((node, RDF.type, KG.Dataset))
        self.g.add((node, SKOS.prefLabel, Literal(label, lang="en")))
        if self.pf.licence:
            self.g.add((node, DCTERMS.license, URIRef(self.pf.licence)))
        self.g.add((node, SCHEMA.url, URIRef(EPOCH_REPOSITORY)))
        return node

    def _citations(self, system: URIRef, count: int, dataset: URIRef) -> None:
        version = self.pf.version or ""
        node = self.builder.genid(str(system), str(KG.CitationCount), version)
        self.g.add((node, RDF.type, KG.UsageObservation))
        self.g.add((node, KG.observationOf, system))
        self.g.add((node, KG.measure, KG.CitationCount))
        # xsd:integer, as the store keeps an xsd:nonNegativeInteger: a second import of the
        # same file then states exactly what the store holds (and writes nothing)
        self.g.add((node, KG.observedCount, Literal(count, datatype=XSD.integer)))
        self.g.add((node, KG.observationDate, Literal(version, datatype=XSD.gYearMonth)))
        self.g.add((node, KG.observedIn, dataset))


def _agree(a: SystemRecord, b: SystemRecord) -> bool:
    return all(
        x is None or y is None or x == y
        for x, y in ((a.date, b.date), (a.parameters, b.parameters), (a.compute, b.compute))
    )


def _candidates(stored: dict[str, list[StoredPerson]], authors: list[str]) -> list[StoredPerson]:
    seen: dict[str, StoredPerson] = {}
    for author in authors:
        for key in family_keys(author):
            for person in stored.get(key, []):
                seen.setdefault(person.iri, person)
    return list(seen.values())


def _source_keys(record: SystemRecord) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    if record.arxiv_id:
        keys.append(("arxiv", record.arxiv_id))
    if record.doi:
        keys.append(("doi", record.doi.lower()))
    if record.title and (key := title_key(record.title)):
        keys.append(("title", key))
    return keys


def _valid_iri(url: str) -> bool:
    try:
        term_for("iri", url)
    except BindingError:
        return False
    return True


def build_systems(ctx: Context, builder: GraphBuilder, pf: ParsedFile) -> list[Skipped]:
    """Write the file's AI systems into its graph (see the module)."""
    if not pf.systems:
        return []
    return SystemBuilder(ctx, builder, pf).build()
