"""Reading a search index file (tables: ``kg.search.schema``; built by ``kg.search.build``).

Only this package talks to SQLite. An index file never changes once renamed into place, so
readers open it read-only and ``immutable`` (no locks, no journal). A layer
(``kg.search.update``) is read together with the full index under it: every method
statement runs on both, the full index's without the rows the layer hides, and the answers
are merged in index order; the small tables (concepts, facet codes, vocabulary) are the
layer's.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from kg.search.matching import Candidates, Matcher, rank
from kg.search.schema import (
    FACETS,
    LIST_ORDERS,
    SCHEMA_VERSION,
    SUGGEST_TIERS,
    TEXT_KINDS,
    TIERS,
    unpack,
)
from kg.search.text import distance, edits1, is_latin_word, normalise, phrase

__all__ = [
    "FACETS",
    "SUGGEST_TIERS",
    "TEXT_KINDS",
    "TIERS",
    "Candidates",
    "Concept",
    "SearchIndex",
    "SearchIndexError",
    "read_meta",
]


MMAP_BYTES = 1 << 36
FEW = 2000
LIST_FILTER_GRAMS = 4
"""Trigrams of a list's name filter that must all be in a label or alias (a proposal)."""
"""Candidates below which one statement classifies every match (rather than one per tier)."""


def listed_text(text: str) -> str:
    """A list's name filter as the index compares it with the names: folded as search
    folds them (case, Latin accents), punctuation around words dropped, one space between
    words."""
    return phrase(normalise(text))


class SearchIndexError(RuntimeError):
    """The index file is missing, damaged or of another schema."""


@dataclass(frozen=True)
class Concept:
    iri: str
    kind: str
    id: str
    labels: tuple[tuple[str, str], ...]
    aliases: tuple[tuple[str, str], ...]
    broader: tuple[str, ...]
    direct: int
    total: int


class _Budget:
    def __init__(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.perf_counter() + seconds
        self.exhausted = False

    def over(self) -> bool:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.exhausted = True
        return self.exhausted

    def __call__(self) -> int:
        return 1 if self.over() else 0


def _uri(path: Path) -> str:
    """An index file read-only and immutable (no locks, no journal)."""
    return f"{path.resolve().as_uri()}?mode=ro&immutable=1"


def _connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(_uri(path), uri=True, check_same_thread=False)
        # The file never changes: map it rather than copy pages into every connection. (The
        # first statement opens the file.)
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    except sqlite3.Error as exc:
        raise SearchIndexError(f"{path}: {exc}") from exc
    return conn


class SearchIndex:
    """A built index, opened read-only; safe to share between threads (one connection
    per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.base: Path | None = None
        """The full index under this layer (None: this is a full index)."""
        self._hidden_count = 0
        self._layer_rids: frozenset[int] = frozenset()
        self._layer_methods = 0
        self._concepts: dict[tuple[str, str], Concept] | None = None
        self._concept_list: list[Concept] = []
        self._by_iri: dict[str, Concept] = {}
        self._concept_texts: list[tuple[Concept, list[str]]] = []
        self._concepts_lock = threading.Lock()
        self.memo: dict[str, Any] = {}
        """What callers derive from this index and keep while it is current."""
        conn = self._conn()
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise SearchIndexError(f"{path}: {exc}") from exc
        if meta.get("schema") != SCHEMA_VERSION:
            raise SearchIndexError(
                f"{path}: index schema {meta.get('schema')}, not {SCHEMA_VERSION}"
            )
        self.version = str(meta["version"])
        self.methods = int(meta["methods"])
        self._dictionary = bytes(meta.get("dictionary") or b"")
        if "base" in meta:
            self._open_base(meta)
        self._values: dict[str, tuple[str, str]] = {}
        self._codes: dict[tuple[str, str], str] = {}
        for code, facet, value in conn.execute("SELECT code, facet, value FROM facet_values"):
            self._values[code] = (facet, value)
            self._codes[(facet, value)] = code

    def _open_base(self, meta: dict[str, Any]) -> None:
        """Check the full index under this layer: the one the layer was made over."""
        self.base = self.path.with_name(str(meta["base"]))
        if not self.base.exists():
            raise SearchIndexError(f"{self.path}: its full index {self.base.name} is gone")
        try:
            base_meta = dict(self._base_conn().execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise SearchIndexError(f"{self.base}: {exc}") from exc
        if (base_meta.get("version"), base_meta.get("built")) != (
            meta["base_version"],
            meta["base_built"],
        ):
            raise SearchIndexError(f"{self.path}: {self.base.name} is another build now")
        conn = self._conn()
        self._hidden_count = int(conn.execute("SELECT count(*) FROM hidden").fetchone()[0])
        self._layer_rids = frozenset(rid for (rid,) in conn.execute("SELECT rowid FROM methods"))
        self._layer_methods = len(self._layer_rids)

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection to the file (a layer's, for a layer)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect(self.path)
        return conn

    def _base_conn(self) -> sqlite3.Connection:
        """This thread's connection to the full index under the layer, with the layer
        attached as ``layer`` (its ``hidden`` rows)."""
        conn: sqlite3.Connection | None = getattr(self._local, "base", None)
        if conn is None:
            assert self.base is not None
            conn = _connect(self.base)
            conn.execute("ATTACH DATABASE ? AS layer", (_uri(self.path),))
            self._local.base = conn
        return conn

    def _parts(self) -> list[tuple[sqlite3.Connection, int, bool]]:
        """(connection, methods, whether the layer hides some of its rows) of the full index
        and of the layer, or of the one full index."""
        if self.base is None:
            return [(self._conn(), self.methods, False)]
        base_methods = self.methods - self._layer_methods + self._hidden_count
        return [(self._base_conn(), base_methods, True), (self._conn(), self._layer_methods, False)]

    def _split(self, rids: Sequence[int]) -> list[tuple[sqlite3.Connection, list[int]]]:
        """The rowids each file holds the rows of."""
        if self.base is None:
            return [(self._conn(), list(rids))]
        layer = [rid for rid in rids if rid in self._layer_rids]
        full = [rid for rid in rids if rid not in self._layer_rids]
        return [(self._base_conn(), full), (self._conn(), layer)]

    # --- matching ---

    def candidates(
        self,
        terms: list[str],
        filters: Sequence[tuple[str, str]] = (),
        *,
        cap: int,
        tiers: Sequence[str] = TIERS,
        budget: float | None = None,
    ) -> Candidates:
        """Methods matching every term (or, without terms, every filter), best first."""
        codes = [self._codes.get(pair) for pair in filters]
        if None in codes or (not terms and not codes):
            return Candidates([], True, False)
        clock = _Budget(budget)
        found: list[tuple[int, str]] = []
        for conn, methods, hidden in self._parts():
            conn.set_progress_handler(clock, 2000)
            hits: dict[int, str] = {}
            try:
                matcher = Matcher(
                    conn, terms, [c for c in codes if c is not None], methods, hidden=hidden
                )
                if not terms:
                    for rid in matcher.filtered(cap):
                        hits[rid] = "filter"
                else:
                    self._match(matcher, hits, cap, tiers, clock)
            except sqlite3.OperationalError:
                if not clock.exhausted:
                    raise
            finally:
                conn.set_progress_handler(None, 0)
            found.extend(hits.items())
        # Within a tier, each file's matches come in index order: so do both files' merged.
        ordered = rank(dict(sorted(found, key=itemgetter(0)))) if self.base else rank(dict(found))
        return Candidates(ordered[:cap], not clock.exhausted, len(ordered) > cap)

    def _match(
        self,
        matcher: Matcher,
        hits: dict[int, str],
        cap: int,
        tiers: Sequence[str],
        clock: _Budget,
    ) -> None:
        scope = "text" if "text" in tiers else "names"
        after = 0
        seen: dict[str, list[int]] = defaultdict(list)
        remaining = list(tiers)
        if matcher.long and matcher.absent():
            remaining = [t for t in tiers if t == "concept"]
        elif matcher.long and matcher.estimate(scope) <= FEW:
            first = matcher.classified(scope, cap + 1)
            if len(first) <= cap:
                # Every match is known: ranked here; only the concepts' methods may add some.
                for rid, tier in sorted(first, key=lambda hit: (TIERS.index(hit[1]), hit[0])):
                    hits[rid] = tier
                remaining = [t for t in tiers if t == "concept"]
            else:
                # More than cap: each tier's matches up to the last one are known; the tiers
                # are asked for theirs after it.
                after = first[-1][0]
                for rid, tier in first:
                    seen[tier].append(rid)
        elif matcher.long and scope == "text" and matcher.estimate("names") <= FEW:
            # Few labels and aliases hold the words: all of them at once, then the rest.
            names = matcher.classified("names", None)
            for rid, tier in sorted(names, key=lambda hit: (TIERS.index(hit[1]), hit[0])):
                hits[rid] = tier
            remaining = [t for t in tiers if t in ("text", "concept")]
        for tier in remaining:
            if len(hits) > cap or clock.over():
                return
            for rid in seen.get(tier, []):
                hits.setdefault(rid, tier)
            concept_codes: list[str] = []
            if tier == "concept":
                concept_codes = [
                    code
                    for c in self.matching_concepts(matcher.terms)
                    if (code := self._codes.get((c.kind, c.id))) is not None
                ]
            start = 0 if tier == "concept" else after
            for rid in matcher.tier(tier, start, concept_codes, known=list(hits)):
                if rid not in hits:
                    hits[rid] = tier
                    if len(hits) > cap:
                        return

    def matching_concepts(self, terms: list[str]) -> list[Concept]:
        """Fields and families one of whose labels (any language) holds every term."""
        if not terms:
            return []
        self.concepts()
        return [
            c
            for c, texts in self._concept_texts
            if any(all(t in text for t in terms) for text in texts)
        ]

    # --- details ---

    def documents(self, rids: Sequence[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for conn, part in self._split(rids):
            if part:
                rows = conn.execute(
                    "SELECT rowid, doc FROM methods "
                    "WHERE rowid IN (SELECT value FROM json_each(?))",
                    (json.dumps(part),),
                )
                found.update((rid, unpack(doc, self._dictionary)) for rid, doc in rows)
        return {rid: found[rid] for rid in rids if rid in found}

    def facet_counts(self, rids: Sequence[int]) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = {facet: Counter() for facet in FACETS}
        if not rids:
            return counts
        by_code: Counter[str] = Counter()
        for conn, part in self._split(rids):
            if part:
                rows = conn.execute(
                    "SELECT codes FROM methods WHERE rowid IN (SELECT value FROM json_each(?))",
                    (json.dumps(part),),
                )
                by_code.update(" ".join([codes for (codes,) in rows]).split())
        for code, n in by_code.items():
            facet, value = self._values[code]
            counts[facet][value] = n
        return counts

    def concepts(self) -> list[Concept]:
        with self._concepts_lock:
            if self._concepts is None:
                loaded: dict[tuple[str, str], Concept] = {}
                for iri, kind, cid, labels, broader, direct, total in self._conn().execute(
                    "SELECT iri, kind, id, labels, broader, direct, total FROM concepts "
                    "ORDER BY kind, id"
                ):
                    texts = json.loads(labels)
                    loaded[(kind, cid)] = Concept(
                        iri,
                        kind,
                        cid,
                        tuple((lang, text) for lang, text in texts["label"]),
                        tuple((lang, text) for lang, text in texts["alias"]),
                        tuple(json.loads(broader)),
                        direct,
                        total,
                    )
                self._concepts = loaded
                self._concept_list = list(loaded.values())
                self._by_iri = {c.iri: c for c in self._concept_list}
                self._concept_texts = [
                    (c, [normalise(text) for _, text in (*c.labels, *c.aliases)])
                    for c in self._concept_list
                ]
            return self._concept_list

    def concept(self, kind: str, concept_id: str) -> Concept | None:
        if self._concepts is None:
            self.concepts()
        assert self._concepts is not None
        return self._concepts.get((kind, concept_id))

    def concept_by_iri(self, iri: str) -> Concept | None:
        if self._concepts is None:
            self.concepts()
        return self._by_iri.get(iri)

    def methods_of(self, kind: str, concept_id: str, *, offset: int, limit: int) -> list[int]:
        """Methods of a field or family (or of a narrower one), in index order."""
        code = self._codes.get((kind, concept_id))
        if code is None:
            return []
        if self.base is None:
            rows = self._conn().execute(
                "SELECT rowid FROM fts_names WHERE fts_names MATCH ? ORDER BY rowid "
                "LIMIT ? OFFSET ?",
                ('"' + code + '"', limit, offset),
            )
            return [rid for (rid,) in rows]
        streams = [
            (
                rid
                for (rid,) in conn.execute(
                    "SELECT rowid FROM fts_names WHERE fts_names MATCH ?"
                    + (" AND rowid NOT IN layer.hidden" if hidden else "")
                    + " ORDER BY rowid",
                    ('"' + code + '"',),
                )
            )
            for conn, _, hidden in self._parts()
        ]
        return list(islice(heapq.merge(*streams), offset, offset + limit))

    # --- method lists ---

    def listed(
        self,
        sort: str,
        after: str,
        *,
        limit: int,
        under: tuple[str, str] | None = None,
        text: str = "",
    ) -> list[tuple[str, int]]:
        """(key, rowid) of the first ``limit`` listed methods (those with an English label)
        after the key ``after`` in the order ``sort`` (a key of ``LIST_ORDERS``), optionally
        only the methods of a field or family ``under`` (kind, id) or of a narrower one, and
        those with a label or alias containing ``text`` (compared as search compares:
        ``listed_text``)."""
        column = LIST_ORDERS[sort]
        where, params = self._list_filter(under, text)
        if where is None:
            return []
        found: list[tuple[str, int]] = []
        for conn, _, hidden in self._parts():
            rows = conn.execute(
                f"SELECT l.{column}, l.method FROM listing l WHERE l.{column} > ?{where}"
                + (" AND l.method NOT IN layer.hidden" if hidden else "")
                + f" ORDER BY l.{column} LIMIT ?",
                (after, *params, limit),
            )
            found.extend((str(key), int(rid)) for key, rid in rows)
        return sorted(found)[:limit] if self.base else found

    def listed_count(self, under: tuple[str, str] | None = None, text: str = "") -> int:
        """How many methods ``listed`` has, with the same ``under`` and ``text``."""
        where, params = self._list_filter(under, text)
        if where is None:
            return 0
        total = 0
        for conn, _, hidden in self._parts():
            row = conn.execute(f"SELECT count(*) FROM listing l WHERE 1{where}", params)
            total += int(row.fetchone()[0])
            if hidden:  # fewer than the rows counted: the hidden ones counted apart
                row = conn.execute(
                    "SELECT count(*) FROM layer.hidden h "
                    f"CROSS JOIN listing l ON l.method = h.rowid WHERE 1{where}",
                    params,
                )
                total -= int(row.fetchone()[0])
        return total

    def _list_filter(
        self, under: tuple[str, str] | None, text: str
    ) -> tuple[str | None, list[str]]:
        """The conditions (each starting with `` AND``) and their parameters of a list's
        filters; None when nothing can match."""
        where, params = "", []
        if under is not None:
            code = self._codes.get(under)
            if code is None:
                return None, []
            where += " AND l.method IN (SELECT rowid FROM fts_names WHERE fts_names MATCH ?)"
            params.append('"' + code + '"')
        needle = listed_text(text)
        if text and not needle:
            return None, []
        if len(needle) >= 3:  # some of its trigrams propose, the texts confirm
            grams = sorted({needle[i : i + 3] for i in range(len(needle) - 2)})
            chosen = grams[:: max(1, len(grams) // LIST_FILTER_GRAMS)][:LIST_FILTER_GRAMS]
            terms = " AND ".join('"' + g.replace('"', '""') + '"' for g in chosen)
            where += " AND l.method IN (SELECT rowid FROM fts_names WHERE fts_names MATCH ?)"
            params.append("{labels aliases} : (" + terms + ")")
        if needle:
            where += (
                " AND EXISTS (SELECT 1 FROM texts t WHERE t.rowid = l.method AND "
                "(instr(t.labels, ?) > 0 OR instr(t.aliases, ?) > 0))"
            )
            params.extend([needle, needle])
        return where, params

    # --- spelling ---

    def correct(self, terms: list[str]) -> list[str] | None:
        """The terms with unknown Latin words replaced by the nearest known word (one or two
        edits, the most frequent), or None when nothing changes."""
        conn = self._conn()
        corrected, changed = [], False
        for term in terms:
            if (
                not is_latin_word(term)
                or conn.execute("SELECT 1 FROM vocab WHERE word = ?", (term,)).fetchone()
            ):
                corrected.append(term)
                continue
            keys = json.dumps(sorted({term, *edits1(term)}))
            rows = conn.execute(
                "SELECT word, freq FROM vocab WHERE word IN (SELECT value FROM json_each(?1)) "
                "UNION SELECT v.word, v.freq FROM vocab_del d JOIN vocab v ON v.word = d.word "
                "WHERE d.del IN (SELECT value FROM json_each(?1))",
                (keys,),
            ).fetchall()
            limit = 1 if len(term) < 7 else 2
            scored = [(distance(term, w), -f, w) for w, f in rows]
            scored = [s for s in scored if s[0] <= limit]
            if scored:
                corrected.append(min(scored)[2])
                changed = True
            else:
                corrected.append(term)
        return corrected if changed else None

    def methods_named(self, keys: Sequence[str]) -> dict[str, set[str]]:
        """Match key (``match_names``) -> the ids of the methods with a name of that key."""
        return self._by_key(
            "SELECT n.key, m.id FROM match_names n JOIN methods m ON m.rowid = n.method "
            "WHERE n.key IN ({marks})",
            " AND n.method NOT IN layer.hidden",
            keys,
        )

    def people_named(self, keys: Sequence[str]) -> dict[str, set[str]]:
        """Match key -> the IRIs of the people (``kg:Person``) with a name of that key."""
        return self._by_key(
            "SELECT key, person FROM person_names WHERE key IN ({marks})",
            " AND person NOT IN layer.hidden_people",
            keys,
        )

    def _by_key(self, sql: str, unhidden: str, keys: Sequence[str]) -> dict[str, set[str]]:
        """(key, value) rows of ``sql`` for the keys, 500 a statement, gathered by key (in the
        full index under a layer, with the condition ``unhidden``)."""
        found: dict[str, set[str]] = {}
        for conn, _, hidden in self._parts():
            for start in range(0, len(keys), 500):
                batch = list(keys[start : start + 500])
                statement = sql.format(marks=", ".join("?" * len(batch)))
                for key, value in conn.execute(statement + (unhidden if hidden else ""), batch):
                    found.setdefault(key, set()).add(value)
        return found

    def close(self) -> None:
        for name in ("conn", "base"):
            conn = getattr(self._local, name, None)
            if conn is not None:
                conn.close()
                setattr(self._local, name, None)


def read_meta(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        rows = conn.execute("SELECT key, value FROM meta WHERE key != 'dictionary'")
        return {key: str(value) for key, value in rows}
    finally:
        conn.close()
