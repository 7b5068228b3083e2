"""Search and browsing: the per-snapshot search index, kept in step with the store.

The index of a store snapshot is the file ``KG_STORE/search/<snapshot>.sqlite``, built from
the library queries ``search-documents.rq`` and ``search-concepts.rq`` run on exactly that
snapshot, written to a temporary file and renamed into place. So:

- a write (``kg load``, ``kg import``) builds the index of the snapshot it published right
  after publishing it (``refresh_after_write``), a write through ``/store`` starts that in
  the background (``refresh_in_background``); ``kg reindex`` rebuilds it;
- a write of named graphs that recorded what it changed (``kg.services.search_changes``)
  gets an index made from the previous one for those methods only (``kg.search.update``):
  a layer over the last full index, which is kept while a kept index is a layer over it;
- a reader uses the index named after ``store.version()``; when it is missing (a write
  through ``/sparql`` or ``/store``, a process killed between publishing and indexing, an
  index deleted by hand) it is built on first use, in a background thread. Meanwhile
  searches are answered from the previous snapshot's index this process had open (the
  results say so: ``SearchResults.previous``; a process that had none open takes the newest
  index on disk), so a write never makes search answer 503; with no index at all (a store
  never indexed) a request waits up to a few seconds (then 503). Lists of methods
  (``built_index``) never read another snapshot's index: the store answers them instead;
- a process killed while building leaves a temporary file, removed by the next build; the
  previous snapshot and its index stay in place until a newer index is complete, and the
  index before it stays one build longer (readers may still have it open).

Builds take a file lock (``search/build.lock``), so processes never build twice at once.
"""

from __future__ import annotations

import fcntl
import logging
import math
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kg.namespaces import KG
from kg.queries import MAX_VALUES_PER_PARAMETER
from kg.search.build import BuildReport, build
from kg.search.index import (
    FACETS,
    SUGGEST_TIERS,
    TEXT_KINDS,
    Concept,
    SearchIndex,
    SearchIndexError,
)
from kg.search.text import Fragment, fragments, normalise, terms_found, terms_of
from kg.search.update import (
    LAYER_METHODS,
    IndexUpdateError,
    layering,
    update,
)
from kg.services.context import Context
from kg.services.rich_text import plain_text
from kg.services.search_changes import (
    LOCK,
    Change,
    await_record,
    incremental_source,
    kept_records,
    settled,
)

log = logging.getLogger(__name__)

SEARCH_DIR = "search"
PER_PAGE = 20
BROWSE_PER_PAGE = 50
MAX_RESULTS = 1000
"""Most matches a search ranks, pages and counts facets over; beyond it: "more than"."""
MAX_QUERY_LENGTH = 500
MAX_PAGE = 100_000
SEARCH_BUDGET = 1.0
SUGGEST_BUDGET = 0.25
WAIT_FOR_BUILD = 5.0
"""Seconds a web request waits for a missing index before answering 503."""
CONCEPT_KINDS = ("field", "family")
SEARCH_SORTS = ("relevance", "name", "year", "newest")
"""The orders of search results: best match first (the index's ranking), by name in the
UI language, oldest first, newest first (the ranked matches, at most MAX_RESULTS, reordered)."""
KIND_PROPERTIES = {"summary": str(KG.summary), "attribution": str(KG.attribution),
                   "type": str(KG.methodType)}  # fmt: skip
"""The literal properties behind kinds of ``search-documents.rq``: a hit's excerpt of a
property the ontology declares ``kg:MarkdownText`` is shown without its Markdown."""
_DECADE_RE = re.compile(r"^-?\d{1,5}$")


class SearchUnavailable(RuntimeError):
    """The index of the current snapshot is being built; try again shortly."""


class SearchInputError(ValueError):
    """A search parameter is malformed; the message is safe to show."""


# --- the index of the current snapshot -------------------------------------------------------


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    index: SearchIndex | None = None
    building: dict[str, threading.Thread] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


_slots: dict[str, _Slot] = {}
_slots_lock = threading.Lock()


def _slot(ctx: Context) -> _Slot:
    key = str(ctx.settings.search_path.resolve())
    with _slots_lock:
        return _slots.setdefault(key, _Slot())


def index_dir(ctx: Context) -> Path:
    """``KG_SEARCH_DIR``: by default ``KG_STORE/search`` (embedded) or ``var/search`` (remote)."""
    return ctx.settings.search_path


def index_path(ctx: Context, version: str) -> Path:
    return index_dir(ctx) / f"{version}.sqlite"


def build_index(ctx: Context, *, force: bool = False) -> BuildReport | None:
    """Build the index of the current snapshot (unless it exists and ``force`` is false);
    remove the indexes of other snapshots and leftovers of interrupted builds."""
    directory = index_dir(ctx)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with settled(ctx):  # a write that publishes a snapshot has recorded its change
            version = ctx.store.version()
            path = index_path(ctx, version)
            fresh = version != "empty" and not force and not path.exists()
            change = incremental_source(ctx, version) if fresh else None
        if version == "empty":
            return None
        report = None
        if change is not None:
            report = _update(ctx, change)
        if report is None and (force or not path.exists()):
            report = build(
                path,
                version=version,
                base_iri=ctx.settings.base_iri,
                concepts=ctx.store.select_rows(
                    ctx.queries["search-concepts"].bind(), version=version, languages=True
                ),
                documents=ctx.store.select_rows(
                    ctx.queries["search-documents"].bind(), version=version, languages=True
                ),
            )
        others = sorted(
            (e for e in directory.glob("*.sqlite") if e.name != path.name),
            key=lambda e: e.stat().st_mtime,
        )
        kept = {path.name, *(e.name for e in others[-1:])}
        kept |= {base for name in kept if (base := _base_of(directory / name)) is not None}
        kept |= {"build.lock", LOCK, *kept_records(directory)}
        for entry in directory.iterdir():
            # Under the lock no other build runs: every temporary file is a leftover.
            if entry.name not in kept:
                entry.unlink(missing_ok=True)
    return report


def _base_of(path: Path) -> str | None:
    """The name of the full index under the layer ``path`` (None: none, or no such file)."""
    try:
        return layering(path).base
    except (OSError, sqlite3.Error):
        return None


def _update(ctx: Context, change: Change) -> BuildReport | None:
    """The index of ``change.after`` made from that of ``change.before``
    (``kg.search.update``): a layer over the last full index; past ``LAYER_METHODS`` methods
    changed since that index, once the layer is in place (readers see the write), a full
    index again for the same snapshot, renamed over it; a write of more methods than that,
    a full index at once. None when that cannot be done (the caller builds it anew)."""
    version = change.after
    source, target = index_path(ctx, change.before), index_path(ctx, version)

    def rows(name: str, param: str, values: frozenset[str]) -> Iterator[tuple[str, ...]]:
        ordered = sorted(values)
        for start in range(0, len(ordered), MAX_VALUES_PER_PARAMETER):
            query = ctx.queries[name].bind(
                {param: ordered[start : start + MAX_VALUES_PER_PARAMETER]}
            )
            yield from ctx.store.select_rows(query, version=version, languages=True)

    def write(
        layered: bool, source: Path, methods: frozenset[str], concepts: frozenset[str]
    ) -> BuildReport:
        return update(
            source,
            target,
            version=version,
            base_iri=ctx.settings.base_iri,
            methods=methods,
            documents=rows("search-documents-of", "method", methods),
            concepts=concepts,
            concept_rows=rows("search-concepts-of", "concept", concepts),
            layered=layered,
        )

    try:
        before = layering(source)
        methods, concepts = before.methods | change.methods, before.concepts | change.concepts
        if len(change.methods) <= LAYER_METHODS:
            report = write(True, source, change.methods, change.concepts)
            if len(methods) <= LAYER_METHODS:
                return report
        # Every change since the full index, into a copy of it.
        full = source if before.base is None else source.with_name(before.base)
        return write(False, full, methods, concepts)
    except (IndexUpdateError, OSError, sqlite3.Error) as exc:
        log.warning("the search index of %s is built anew: %s", version, exc)
        return None


def reindex(ctx: Context, *, adopt: bool = False) -> tuple[BuildReport | None, list[str]]:
    """Rebuild the index after changes kg did not make: a remote store first takes a new
    version (every process then rebuilds its index) and, with ``adopt``, takes the engine's
    graphs under ``<KG_BASE_IRI>graph/`` as kg's (after a bulk load). Returns the report and
    the graphs adopted."""
    adopted = ctx.store.mark_changed(adopt_prefix=ctx.graph_iri("") if adopt else None)
    return build_index(ctx, force=True), adopted


def refresh_after_write(ctx: Context) -> BuildReport | None:
    """Index the snapshot a write has just published. A failure is logged, not raised: the
    write stands, and the index is built on first use."""
    try:
        return build_index(ctx)
    except Exception:  # noqa: BLE001 - the data is written; searching rebuilds later
        log.exception("could not build the search index; it is built on first use")
        return None


def built_index(ctx: Context) -> SearchIndex | None:
    """The index of the store's current snapshot if it is built, else None (never builds)."""
    version = ctx.store.version()
    if version == "empty":
        return None
    slot = _slot(ctx)
    with slot.lock:
        if slot.index is not None and slot.index.version == version:
            return slot.index
    return _open(index_path(ctx, version))


def current_index(
    ctx: Context, *, wait: float | None = WAIT_FOR_BUILD, previous: bool = True
) -> SearchIndex | None:
    """The index of the store's current snapshot (None for an empty store), built first if
    missing: meanwhile (with ``previous``) the index of an earlier snapshot this process
    has open, or else the newest one on disk; without one, ``wait`` seconds at most (None:
    as long as it takes), then SearchUnavailable."""
    version = ctx.store.version()
    if version == "empty":
        return None
    slot = _slot(ctx)
    path = index_path(ctx, version)
    with slot.lock:
        if slot.index is not None and slot.index.version == version:
            return slot.index
        opened = _open(path)
        if opened is not None:
            slot.index = opened
            return opened
        thread = _start_build(ctx, slot, version)
        earlier = slot.index
        if previous and earlier is not None and earlier.path.exists():
            if earlier.base is None or earlier.base.exists():
                return earlier
        if previous:
            # A process that had none open, or whose index other processes' builds have
            # removed since (two writes ago): the newest on disk.
            newest = _newest_other(ctx, path)
            if newest is not None:
                slot.index = newest
                return newest
    thread.join(wait)
    with slot.lock:
        opened = _open(path)
        if opened is not None:
            slot.index = opened
            return opened
        if version in slot.errors:
            raise SearchUnavailable(slot.errors[version])
    raise SearchUnavailable("the search index is being built; try again in a moment")


def _newest_other(ctx: Context, path: Path) -> SearchIndex | None:
    """The most recently written complete index of another snapshot, if any is usable."""
    others = [p for p in index_dir(ctx).glob("*.sqlite") if p != path]
    for other in sorted(others, key=_mtime, reverse=True):
        opened = _open(other)
        if opened is not None:
            return opened
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile
        return 0.0


def refresh_in_background(ctx: Context) -> None:
    """Start building the index of the current snapshot in this process, unless it exists
    (after a write through ``/store`` or ``/sparql``: made from the previous index when
    the write left a change record, ``kg.services.search_changes``)."""
    version = ctx.store.version()
    if version == "empty" or index_path(ctx, version).exists():
        return
    slot = _slot(ctx)
    with slot.lock:
        _start_build(ctx, slot, version)


def _start_build(ctx: Context, slot: _Slot, version: str) -> threading.Thread:
    """The thread building the index of ``version``, started unless running (``slot.lock``
    held)."""
    thread = slot.building.get(version)
    if thread is None or not thread.is_alive():
        slot.errors.pop(version, None)
        thread = threading.Thread(
            target=_build_in_background, args=(ctx, slot, version), daemon=True
        )
        slot.building = {version: thread}
        thread.start()
    return thread


def _open(path: Path) -> SearchIndex | None:
    if not path.exists():
        return None
    try:
        return SearchIndex(path)
    except (SearchIndexError, Exception) as exc:  # noqa: BLE001 - a damaged file is rebuilt
        log.warning("search index %s unusable (%s); rebuilding", path, exc)
        path.unlink(missing_ok=True)
        return None


def _build_in_background(ctx: Context, slot: _Slot, version: str) -> None:
    try:
        if any(index_dir(ctx).glob("*.sqlite")):  # an index to update, given the record
            await_record(ctx, version)
        build_index(ctx)
    except Exception as exc:  # noqa: BLE001 - reported to the waiting requests
        log.exception("building the search index failed")
        with slot.lock:
            slot.errors[version] = f"the search index could not be built: {exc}"


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchedField:
    """Where a method matched: the kind of field (``label``, ``alias``, ``summary``,
    ``attribution``, ``type``, ``originator``, ``source``, ``field``, ``family``), the text's
    language and the text cut into plain and matched pieces."""

    kind: str
    lang: str
    fragments: tuple[Fragment, ...]


@dataclass(frozen=True)
class Hit:
    id: str
    label: str
    label_lang: str
    tier: str
    matched: MatchedField | None
    fields: tuple[tuple[str, str, str], ...]
    """(id, label, label language) of the method's fields."""
    start_year: int | None


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    label_lang: str
    count: int
    selected: bool


@dataclass(frozen=True)
class SearchResults:
    text: str
    terms: tuple[str, ...]
    corrected: str | None
    """The query actually run when the given one found nothing and a spelling did."""
    filters: dict[str, str]
    total: int
    more: bool
    """There are more than ``total`` matches (only the best MAX_RESULTS are ranked)."""
    complete: bool
    page: int
    pages: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetValue, ...]]
    previous: bool = False
    """Answered from an earlier snapshot's index while the current one is being built."""


def parse_filters(args: Mapping[str, str]) -> dict[str, str]:
    """The facet filters of a request (``field``, ``family``, ``type``, ``decade``)."""
    chosen: dict[str, str] = {}
    for facet in FACETS:
        value = (args.get(facet) or "").strip()
        if not value:
            continue
        if len(value) > 300:
            raise SearchInputError(f"{facet}: at most 300 characters")
        if facet == "decade" and not _DECADE_RE.match(value):
            raise SearchInputError("decade: a year such as 1990")
        chosen[facet] = value
    return chosen


def parse_page(value: str | None) -> int:
    if value in (None, ""):
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise SearchInputError(f"page: a number from 1 to {MAX_PAGE}")
    return int(value)


def _check_text(text: str) -> str:
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchInputError(f"the search text has at most {MAX_QUERY_LENGTH} characters")
    return text.strip()


def search(
    ctx: Context,
    text: str,
    *,
    filters: Mapping[str, str] | None = None,
    page: int = 1,
    lang: str = "en",
    per_page: int = PER_PAGE,
    wait: float | None = WAIT_FOR_BUILD,
    sort: str = "relevance",
) -> SearchResults:
    """Methods matching every word of ``text`` (and the filters), best first (or in the
    order ``sort``, one of ``SEARCH_SORTS``), one page."""
    if sort not in SEARCH_SORTS:
        raise SearchInputError(f"sort: one of {', '.join(SEARCH_SORTS)}")
    text = _check_text(text)
    chosen = dict(filters or {})
    terms = terms_of(text)
    index = current_index(ctx, wait=wait)
    previous = index is not None and index.version != ctx.store.version()
    empty = SearchResults(
        text, tuple(terms), None, chosen, 0, False, True, page, 0, (), {}, previous
    )
    if index is None or (not terms and not chosen):
        return empty
    pairs = [(facet, value) for facet, value in chosen.items()]
    found = index.candidates(terms, pairs, cap=MAX_RESULTS, budget=SEARCH_BUDGET)
    corrected = None
    if not found.hits and terms:
        better = index.correct(terms)
        if better is not None:
            found = index.candidates(better, pairs, cap=MAX_RESULTS, budget=SEARCH_BUDGET)
            if found.hits:
                corrected, terms = " ".join(better), better
    total = len(found.hits)
    pages = max(1, math.ceil(total / per_page)) if total else 0
    ranked = found.hits if sort == "relevance" else _sorted(index, found.hits, sort, lang)
    chunk = ranked[(page - 1) * per_page : page * per_page]
    hits = _hits(index, chunk, terms, lang, markdown=markdown_kinds(ctx, lang))
    counts = index.facet_counts([rid for rid, _ in found.hits])
    facets = {facet: _facet_values(index, facet, counts[facet], chosen, lang) for facet in FACETS}
    return SearchResults(
        text, tuple(terms), corrected, chosen, total, found.capped, found.complete, page, pages,
        tuple(hits), facets, previous,
    )  # fmt: skip


def _sorted(
    index: SearchIndex, hits: Sequence[tuple[int, str]], sort: str, lang: str
) -> list[tuple[int, str]]:
    """The ranked matches (at most MAX_RESULTS) by name, oldest or newest first; methods
    without a year come last, ties by name."""
    docs = index.documents([rid for rid, _ in hits])

    def key(hit: tuple[int, str]) -> tuple[int, int, str]:
        doc = docs.get(hit[0], {})
        label = normalise((_pick(doc.get("label", []), lang) or (str(doc.get("id", "")), ""))[0])
        start = doc.get("start")
        if sort == "name" or not isinstance(start, int):
            return (1 if sort != "name" else 0, 0, label)
        return (0, start if sort == "year" else -start, label)

    return sorted(hits, key=key)


def suggest(
    ctx: Context, text: str, *, lang: str, limit: int = 10, wait: float | None = WAIT_FOR_BUILD
) -> list[Hit]:
    """Methods for the "add a method" box: labels and aliases only, ranked, with one
    spelling correction for Latin words when nothing matches."""
    terms = terms_of(_check_text(text)[:200])
    index = current_index(ctx, wait=wait)
    if index is None or not terms:
        return []
    found = index.candidates(terms, cap=limit, tiers=SUGGEST_TIERS, budget=SUGGEST_BUDGET)
    if not found.hits:
        better = index.correct(terms)
        if better is not None:
            terms = better
            found = index.candidates(terms, cap=limit, tiers=SUGGEST_TIERS, budget=SUGGEST_BUDGET)
    return _hits(index, found.hits, terms, lang)


def _pick(values: Sequence[Sequence[str]], lang: str) -> tuple[str, str] | None:
    """(text, language) in ``lang``, else English, else the first."""
    for wanted in (lang, "en"):
        for value_lang, text in values:
            if value_lang == wanted:
                return text, value_lang
    if values:
        return values[0][1], values[0][0]
    return None


def _concept_label(concept: Concept | None, lang: str, fallback: str) -> tuple[str, str]:
    if concept is None:
        return fallback, ""
    return _pick(concept.labels, lang) or (concept.id, "")


def markdown_kinds(ctx: Context, lang: str) -> frozenset[str]:
    """The kinds of text whose property is Markdown by the ontology (``display-rows.rq``)."""
    from kg.services.compare import display_rows  # compare does not import search

    markdown = {row.property for row in display_rows(ctx, lang) if row.markdown}
    return frozenset(kind for kind, prop in KIND_PROPERTIES.items() if prop in markdown)


def _hits(
    index: SearchIndex,
    chunk: Sequence[tuple[int, str]],
    terms: list[str],
    lang: str,
    *,
    markdown: frozenset[str] = frozenset(),
) -> list[Hit]:
    docs = index.documents([rid for rid, _ in chunk])
    hits = []
    for rid, tier in chunk:
        doc = docs.get(rid)
        if doc is None:
            continue
        label, label_lang = _pick(doc.get("label", []), lang) or (doc["id"], "")
        fields = []
        for field_id in doc.get("field", []):
            shown, shown_lang = _concept_label(index.concept("field", field_id), lang, field_id)
            fields.append((field_id, shown, shown_lang))
        hits.append(
            Hit(
                doc["id"], label, label_lang, tier,
                _matched(index, doc, tier, terms, lang, markdown=markdown),
                tuple(fields), doc.get("start"),
            )
        )  # fmt: skip
    return hits


_TIER_KINDS: dict[str, tuple[str, ...]] = {
    "exact": ("label",),
    "prefix": ("label",),
    "label": ("label",),
    "alias-exact": ("alias",),
    "alias-prefix": ("alias",),
    "alias": ("alias",),
    "text": ("label", "alias", *TEXT_KINDS),
}


def _matched(
    index: SearchIndex,
    doc: dict[str, Any],
    tier: str,
    terms: list[str],
    lang: str,
    *,
    markdown: frozenset[str] = frozenset(),
) -> MatchedField | None:
    if not terms:
        return None
    if tier == "concept":
        for kind in CONCEPT_KINDS:
            for concept_id in doc.get(kind, []):
                concept = index.concept(kind, concept_id)
                for concept_tier in _concept_chain(index, concept):
                    texts = (*concept_tier.labels, *concept_tier.aliases)
                    ranked = sorted(texts, key=lambda lt: (lt[0] != lang, lt[0] != "en"))
                    for text_lang, text in ranked:
                        if terms_found(text, terms) == len(terms):
                            return MatchedField(kind, text_lang, tuple(fragments(text, terms)))
        return None
    best: tuple[tuple[int, int, int], str, str, str] | None = None
    for order, kind in enumerate(_TIER_KINDS.get(tier, ())):
        for text_lang, text in doc.get(kind, []):
            found = terms_found(text, terms)
            if not found:
                continue
            key = (-found, order, 0 if text_lang == lang else 1 if text_lang == "en" else 2)
            if best is None or key < best[0]:
                best = (key, kind, text_lang, text)
    if best is None:
        return None
    (rank, *_), kind, text_lang, text = best
    if kind in markdown:  # the excerpt without Markdown, unless the words matched in markup
        shown = plain_text(text)
        text = shown if terms_found(shown, terms) >= -rank else text
    return MatchedField(kind, text_lang, tuple(fragments(text, terms)))


def _concept_chain(index: SearchIndex, concept: Concept | None) -> list[Concept]:
    """A concept and the concepts above it (a method of a narrower field matches a broader
    field's label)."""
    chain: list[Concept] = []
    todo = [concept] if concept is not None else []
    while todo:
        node = todo.pop(0)
        if node in chain:
            continue
        chain.append(node)
        for iri in node.broader:
            above = index.concept_by_iri(iri)
            if above is not None:
                todo.append(above)
    return chain


def _facet_values(
    index: SearchIndex, facet: str, counts: Mapping[str, int], chosen: Mapping[str, str],
    lang: str,
) -> tuple[FacetValue, ...]:  # fmt: skip
    labels: dict[tuple[str, str, str], tuple[str, str, str]] = index.memo.setdefault(
        "facet labels", {}
    )
    values = []
    for value, count in counts.items():
        shown = labels.get((facet, value, lang))
        if shown is None:
            if facet in CONCEPT_KINDS:
                label, label_lang = _concept_label(index.concept(facet, value), lang, value)
            elif facet == "decade":
                label, label_lang = f"{value}s", ""
            else:
                label, label_lang = value, "en"
            shown = labels[(facet, value, lang)] = (label, label_lang, normalise(label))
        values.append(
            (FacetValue(value, shown[0], shown[1], count, chosen.get(facet) == value), shown[2])
        )
    if facet == "decade":
        values.sort(key=lambda v: int(v[0].value))
    else:
        values.sort(key=lambda v: (-v[0].count, v[1]))
    return tuple(v for v, _ in values)


# --- browsing fields and families ------------------------------------------------------------


@dataclass(frozen=True)
class ConceptNode:
    kind: str
    id: str
    iri: str
    label: str
    label_lang: str
    direct: int
    total: int
    children: tuple[ConceptNode, ...]
    matched: bool = True
    """False for a broader concept shown only because a narrower one matches a filter."""


@dataclass(frozen=True)
class ConceptPage:
    node: ConceptNode
    labels: tuple[tuple[str, str], ...]
    """Every label, (language, text)."""
    trail: tuple[tuple[ConceptNode, ...], ...]
    """The chains of broader concepts, from the top down to the concept's parent."""
    methods: tuple[Hit, ...]
    page: int
    pages: int


def _nodes(index: SearchIndex, kind: str, lang: str) -> dict[str, ConceptNode]:
    concepts = {c.iri: c for c in index.concepts() if c.kind == kind}
    children: dict[str, list[str]] = {iri: [] for iri in concepts}
    for concept in concepts.values():
        for above in concept.broader:
            if above in children:
                children[above].append(concept.iri)
    built: dict[str, ConceptNode] = {}

    def node(iri: str, path: frozenset[str]) -> ConceptNode:
        if iri in built:
            return built[iri]
        concept = concepts[iri]
        label, label_lang = _concept_label(concept, lang, concept.id)
        kids = [node(k, path | {iri}) for k in children[iri] if k not in path | {iri}]
        kids.sort(key=lambda n: (-n.total, normalise(n.label)))
        made = ConceptNode(kind, concept.id, iri, label, label_lang, concept.direct,
                           concept.total, tuple(kids))  # fmt: skip
        built[iri] = made
        return made

    for iri in concepts:
        node(iri, frozenset())
    return built


CONCEPT_SORTS = ("methods", "name")
"""The orders of the field and family trees: most methods first (narrower ones included),
or by name; each level of the tree in that order."""


def concept_tree(
    ctx: Context, kind: str, *, lang: str, text: str = "", sort: str = "methods"
) -> list[ConceptNode]:
    """The fields (or families) without a broader one, each with its narrower ones; with a
    ``text``, only the concepts one of whose labels or aliases (any language) holds every
    word of it, and the broader ones that lead to them (``matched`` false)."""
    if sort not in CONCEPT_SORTS:
        raise SearchInputError(f"sort: one of {', '.join(CONCEPT_SORTS)}")
    index = current_index(ctx)
    if index is None:
        return []
    nodes = _nodes(index, kind, lang)
    roots = [
        n
        for iri, n in nodes.items()
        if not any(b in nodes for b in (index.concept(kind, n.id) or _none()).broader)
    ]
    terms = terms_of(_check_text(text))
    if terms:
        found = {c.iri for c in index.matching_concepts(terms) if c.kind == kind}
        roots = [kept for n in roots if (kept := _pruned(n, found, frozenset())) is not None]
    return _ordered(roots, sort)


def _pruned(node: ConceptNode, found: set[str], path: frozenset[str]) -> ConceptNode | None:
    """The node with only the branches that lead to a concept in ``found``, or None."""
    kids = [
        kept
        for child in node.children
        if child.iri not in path and (kept := _pruned(child, found, path | {node.iri})) is not None
    ]
    if node.iri not in found and not kids:
        return None
    return replace(node, children=tuple(kids), matched=node.iri in found)


def _ordered(nodes: Sequence[ConceptNode], sort: str) -> list[ConceptNode]:
    def key(n: ConceptNode) -> tuple[int, str]:
        return (0 if sort == "name" else -n.total, normalise(n.label))

    return [replace(n, children=tuple(_ordered(n.children, sort))) for n in sorted(nodes, key=key)]


def _none() -> Concept:
    return Concept("", "", "", (), (), (), 0, 0)


def concept_page(
    ctx: Context, kind: str, concept_id: str, *, lang: str, page: int = 1, methods: bool = True
) -> ConceptPage | None:
    """A field's or family's page: its labels, broader and narrower concepts and (unless
    ``methods`` is false: the web page lists them with ``page_methods``) one page of its
    methods, in index order."""
    index = current_index(ctx)
    concept = index.concept(kind, concept_id) if index is not None else None
    if index is None or concept is None:
        return None
    nodes = _nodes(index, kind, lang)
    node = nodes[concept.iri]
    trails: list[tuple[ConceptNode, ...]] = []

    def climb(iri: str, below: tuple[ConceptNode, ...], seen: frozenset[str]) -> None:
        current = index.concept(kind, nodes[iri].id) if iri in nodes else None
        above = [b for b in (current.broader if current else ()) if b in nodes and b not in seen]
        if not above:
            if below:
                trails.append(below)
            return
        for b in above:
            climb(b, (nodes[b], *below), seen | {b})

    climb(concept.iri, (), frozenset({concept.iri}))
    pages = max(1, math.ceil(concept.total / BROWSE_PER_PAGE))
    offset = (page - 1) * BROWSE_PER_PAGE
    rids = (
        index.methods_of(kind, concept_id, offset=offset, limit=BROWSE_PER_PAGE) if methods else []
    )
    hits = _hits(index, [(rid, "filter") for rid in rids], [], lang)
    return ConceptPage(node, concept.labels, tuple(trails), tuple(hits), page, pages)
