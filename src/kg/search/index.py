"""The search index: one SQLite file (FTS5, trigram tokenizer) per store snapshot.

Only this package talks to SQLite. The file is written once, to a temporary name, and
renamed into place when complete; after that it never changes, so readers open it
read-only and ``immutable`` (no locks, no journal). Tables:

``methods``   one row per method: rowid (the order of labels, shortest first), id, a JSON
              document with every original text (what results show and highlight)
``fts``       FTS5 (trigram, case-sensitive: texts are normalised before) with columns
              ``labels``, ``aliases`` and ``other`` (summary, attribution, type,
              originator names, source title), normalised, all languages; and
              ``fts_labels``, ``fts_aliases`` with labels or aliases alone (a word
              common in summaries costs nothing when only labels are searched)
``grams``     the first two characters of every word of labels and aliases (every two
              characters of Japanese and Chinese runs): queries of words shorter than
              three characters, which trigrams cannot find
``names``     every label (kind 0) and alias (kind 1) collapsed, for exact and prefix
              matches through a B-tree
``facets``    (facet, value, method): field and family (each with its broader concepts),
              type, decade
``concepts``  every field and family: labels in every language, broader concepts, number
              of methods (directly and with the narrower concepts)
``vocab``     Latin words of labels and aliases with their frequency, and ``vocab_del``
              their one-deletion neighbours (spelling correction)
``meta``      the store snapshot the index was built for, build time, counts
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby, islice
from pathlib import Path
from typing import Any

from kg.search.text import (
    MIN_INDEXED,
    distance,
    edits1,
    is_latin_word,
    latin_words,
    normalise,
    phrase,
    word_grams,
)

SCHEMA_VERSION = "3"
BATCH = 20_000
FACETS = ("field", "family", "type", "decade")
TEXT_KINDS = ("summary", "attribution", "type", "originator", "source")
TIERS = ("exact", "prefix", "label", "alias-exact", "alias-prefix", "alias", "text", "concept")
"""Ranking, best first: exact label, label prefix, all words in a label, exact alias, alias
prefix, all words in an alias, all words anywhere (labels, aliases, other texts), and the
methods of a field or family whose label holds all words."""
SUGGEST_TIERS = ("exact", "prefix", "label", "alias-exact", "alias-prefix", "alias")
_MAX_CHAR = "\U0010ffff"
_SEP, _PAIR = "\x1f", "\x1e"

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE methods(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, facets TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE VIRTUAL TABLE fts USING fts5(labels, aliases, other, facets,
    tokenize = 'trigram case_sensitive 1', detail = 'full');
CREATE VIRTUAL TABLE fts_labels USING fts5(labels, tokenize = 'trigram case_sensitive 1');
CREATE VIRTUAL TABLE fts_aliases USING fts5(aliases, tokenize = 'trigram case_sensitive 1');
CREATE TABLE grams(gram TEXT NOT NULL, kind INTEGER NOT NULL, method INTEGER NOT NULL,
    PRIMARY KEY (gram, kind, method)) WITHOUT ROWID;
CREATE TABLE names(norm TEXT NOT NULL, kind INTEGER NOT NULL, method INTEGER NOT NULL,
    PRIMARY KEY (norm, kind, method)) WITHOUT ROWID;
CREATE TABLE facets(facet TEXT NOT NULL, value TEXT NOT NULL, method INTEGER NOT NULL,
    PRIMARY KEY (facet, value, method)) WITHOUT ROWID;
CREATE TABLE concepts(iri TEXT PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL,
    labels TEXT NOT NULL, broader TEXT NOT NULL, direct INTEGER NOT NULL,
    total INTEGER NOT NULL);
CREATE TABLE facet_codes(facet TEXT NOT NULL, value TEXT NOT NULL, code TEXT NOT NULL,
    PRIMARY KEY (facet, value)) WITHOUT ROWID;
CREATE TABLE vocab(word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE vocab_del(del TEXT NOT NULL, word TEXT NOT NULL);
"""
_INDEXES = """
CREATE INDEX methods_id ON methods(id);
CREATE INDEX vocab_del_del ON vocab_del(del);
"""


class SearchIndexError(RuntimeError):
    """The index file is missing, damaged or of another schema."""


@dataclass(frozen=True)
class BuildReport:
    path: Path
    version: str
    methods: int
    seconds: float
    size: int


@dataclass
class _Concept:
    kind: str
    id: str
    labels: list[list[str]] = field(default_factory=list)
    aliases: list[list[str]] = field(default_factory=list)
    broader: set[str] = field(default_factory=set)


def _short(iri: str, base: str, kind: str) -> str:
    prefix = f"{base}{kind}/"
    return iri[len(prefix) :] if iri.startswith(prefix) else iri


def build(
    target: Path,
    *,
    version: str,
    base_iri: str,
    documents: Iterable[Sequence[str]],
    concepts: Iterable[Sequence[str]],
) -> BuildReport:
    """Write the index of ``documents`` (method, kind, lang, value rows of
    ``search-documents.rq``) and ``concepts`` (concept, kind, property, lang, value rows of
    ``search-concepts.rq``) to ``target``, atomically."""
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp-{os.getpid()}-{threading.get_ident()}"
    tmp = target.with_name(target.name + suffix)
    stage = target.with_name(target.name + suffix + "-stage")
    for leftover in (tmp, stage):
        leftover.unlink(missing_ok=True)
    try:
        methods = _write(tmp, stage, version, base_iri, documents, concepts)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fd = os.open(target.parent, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        tmp.unlink(missing_ok=True)
        stage.unlink(missing_ok=True)
    return BuildReport(
        target, version, methods, time.perf_counter() - started, target.stat().st_size
    )


def _batches(rows: Iterable[Sequence[str]], width: int) -> Iterator[list[tuple[str, ...]]]:
    iterator = iter(rows)
    while batch := [tuple(r[:width]) for r in islice(iterator, BATCH)]:
        yield batch


def _write(
    tmp: Path,
    stage: Path,
    version: str,
    base: str,
    documents: Iterable[Sequence[str]],
    concept_rows: Iterable[Sequence[str]],
) -> int:
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.executescript(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;"
            "PRAGMA temp_store = FILE;"
        )
        conn.execute("ATTACH DATABASE ? AS stage", (str(stage),))
        conn.execute("PRAGMA stage.journal_mode = OFF")
        conn.execute("PRAGMA stage.synchronous = OFF")
        conn.executescript(_SCHEMA)
        conn.execute("BEGIN")
        concepts = _read_concepts(concept_rows, base)
        conn.execute("CREATE TABLE stage.raw(method TEXT, kind TEXT, lang TEXT, value TEXT)")
        for batch in _batches(documents, 4):
            conn.executemany("INSERT INTO stage.raw VALUES (?, ?, ?, ?)", batch)
        conn.execute("CREATE INDEX stage.raw_method ON raw(method)")
        conn.execute(
            "CREATE TABLE stage.seq(rid INTEGER PRIMARY KEY, method TEXT NOT NULL, sort TEXT)"
        )
        conn.execute(
            "INSERT INTO stage.seq(method, sort) "
            "SELECT method, (SELECT value FROM stage.raw r WHERE r.method = m.method "
            "  AND r.kind = 'label' ORDER BY r.lang != 'en', r.value LIMIT 1) AS label "
            "FROM (SELECT DISTINCT method FROM stage.raw WHERE kind = 'method') m "
            "ORDER BY length(coalesce(label, method)), lower(coalesce(label, method)), method"
        )
        count = _write_methods(conn, base, concepts)
        for statement in filter(str.strip, _INDEXES.split(";")):
            conn.execute(statement)
        _write_concepts(conn, concepts)
        for table in ("fts", "fts_labels", "fts_aliases"):
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("schema", SCHEMA_VERSION), ("version", version), ("methods", str(count)),
             ("built", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))],
        )  # fmt: skip
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE stage")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return count


def _read_concepts(rows: Iterable[Sequence[str]], base: str) -> dict[str, _Concept]:
    concepts: dict[str, _Concept] = {}
    for iri, kind, prop, lang, value in (tuple(r[:5]) for r in rows):
        concept = concepts.setdefault(iri, _Concept(kind, _short(iri, base, kind)))
        if prop == "label":
            concept.labels.append([lang, value])
        elif prop == "alias":
            concept.aliases.append([lang, value])
        elif prop == "broader" and value != iri:
            concept.broader.add(value)
    for concept in concepts.values():
        concept.labels.sort(key=lambda lv: (lv[0] != "en", lv[0], lv[1]))
    return concepts


class _Codes(dict[tuple[str, str], "str | None"]):
    """Facet values' codes: three private-use characters each, so one trigram of the FTS
    index whose doclist is exactly the value's methods (a filter is one more AND term)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def code(self, pair: tuple[str, str]) -> str | None:
        if pair not in self:
            number = self.counts[pair[0]]
            self.counts[pair[0]] += 1
            kind = FACETS.index(pair[0])
            self[pair] = (
                chr(0xE000 + kind) + chr(0xE100 + number // 256) + chr(0xE200 + number % 256)
                if number < 65536
                else None  # beyond: the filter goes through the facets table
            )
        return self[pair]


def _ancestors(iri: str, concepts: dict[str, _Concept], cache: dict[str, set[str]]) -> set[str]:
    """``iri`` and every concept above it (cycles are cut)."""
    if iri in cache:
        return cache[iri]
    seen: set[str] = set()
    todo = [iri]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        concept = concepts.get(node)
        if concept is not None:
            todo.extend(concept.broader - seen)
    cache[iri] = seen
    return seen


def _write_methods(conn: sqlite3.Connection, base: str, concepts: dict[str, _Concept]) -> int:
    rows = conn.execute(
        "SELECT s.rid, s.method, r.kind, r.lang, r.value FROM stage.seq s "
        "JOIN stage.raw r ON r.method = s.method ORDER BY s.rid"
    )
    methods: list[tuple[int, str, str, str]] = []
    grams: list[tuple[str, int, int]] = []
    fts: list[tuple[int, str, str, str, str]] = []
    codes = _Codes()
    names: list[tuple[str, int, int]] = []
    facets: list[tuple[str, str, int]] = []
    vocab: Counter[str] = Counter()
    direct: Counter[str] = Counter()
    cache: dict[str, set[str]] = {}
    count = 0

    def flush() -> None:
        conn.executemany("INSERT INTO methods VALUES (?, ?, ?, ?)", methods)
        conn.executemany(
            "INSERT INTO fts(rowid, labels, aliases, other, facets) VALUES (?,?,?,?,?)", fts
        )
        conn.executemany(
            "INSERT INTO fts_labels(rowid, labels) VALUES (?, ?)", [(r[0], r[1]) for r in fts]
        )
        conn.executemany(
            "INSERT INTO fts_aliases(rowid, aliases) VALUES (?, ?)",
            [(r[0], r[2]) for r in fts if r[2]],
        )
        conn.executemany("INSERT OR IGNORE INTO grams VALUES (?, ?, ?)", grams)
        conn.executemany("INSERT OR IGNORE INTO names VALUES (?, ?, ?)", names)
        conn.executemany("INSERT OR IGNORE INTO facets VALUES (?, ?, ?)", facets)
        for batch in (methods, fts, names, facets, grams):
            batch.clear()

    for (rid, iri), group in groupby(rows, key=lambda r: (r[0], r[1])):
        doc: dict[str, Any] = defaultdict(list)
        starts: list[int] = []
        for _, _, kind, lang, value in group:
            if kind in ("field", "family"):
                if value not in doc[kind]:
                    doc[kind].append(value)
            elif kind == "start":
                year = _year(value)
                if year is not None:
                    starts.append(year)
            elif kind != "method" and value:
                entry = [lang, value]
                if entry not in doc[kind]:
                    doc[kind].append(entry)
        method_facets: set[tuple[str, str]] = set()
        for kind in ("field", "family"):
            ids = []
            for concept_iri in doc.pop(kind, []):
                direct[concept_iri] += 1
                ids.append(_short(concept_iri, base, kind))
                for above in _ancestors(concept_iri, concepts, cache):
                    method_facets.add((kind, _short(above, base, kind)))
            if ids:
                doc[kind] = ids
        for _, type_text in doc.get("type", [])[:3]:
            method_facets.add(("type", type_text[:200]))
        if starts:
            doc["start"] = min(starts)
            method_facets.add(("decade", str(min(starts) // 10 * 10)))
        for key in ("label", "alias"):
            if key in doc:
                doc[key].sort(key=lambda lv: (lv[0] != "en", lv[0], lv[1]))
        labels = [normalise(v) for _, v in doc.get("label", [])]
        aliases = [normalise(v) for _, v in doc.get("alias", [])]
        other = [normalise(v) for kind in TEXT_KINDS for _, v in doc.get(kind, [])]
        method_id = _short(iri, base, "method")
        doc["id"] = method_id
        packed = _SEP.join(f"{facet}{_PAIR}{value}" for facet, value in sorted(method_facets))
        methods.append((rid, method_id, packed, json.dumps(doc, ensure_ascii=False)))
        method_codes = " ".join(
            code for pair in sorted(method_facets) if (code := codes.code(pair)) is not None
        )
        fts.append((rid, "\n".join(labels), "\n".join(aliases), "\n".join(other), method_codes))
        for kind_number, texts in ((0, labels), (1, aliases)):
            grams.extend((g, kind_number, rid) for g in {g for t in texts for g in word_grams(t)})
            for text in {phrase(t) for t in texts}:
                if text:
                    names.append((text, kind_number, rid))
                    vocab.update(latin_words(text))
        facets.extend((facet, value, rid) for facet, value in method_facets)
        count += 1
        if len(fts) >= BATCH:
            flush()
    flush()
    conn.executemany(
        "INSERT INTO facet_codes VALUES (?, ?, ?)",
        [(facet, value, code) for (facet, value), code in codes.items() if code is not None],
    )
    conn.executemany("INSERT INTO vocab VALUES (?, ?)", vocab.items())
    conn.executemany(
        "INSERT INTO vocab_del VALUES (?, ?)",
        ((deleted, word) for word in vocab for deleted in edits1(word)),
    )
    conn.execute("CREATE TEMP TABLE direct(iri TEXT PRIMARY KEY, n INTEGER)")
    conn.executemany("INSERT INTO direct VALUES (?, ?)", direct.items())
    return count


def _write_concepts(conn: sqlite3.Connection, concepts: dict[str, _Concept]) -> None:
    direct = dict(conn.execute("SELECT iri, n FROM direct").fetchall())
    totals = {
        (facet, value): n
        for facet, value, n in conn.execute(
            "SELECT facet, value, count(*) FROM facets WHERE facet IN ('field', 'family') "
            "GROUP BY facet, value"
        )
    }
    conn.executemany(
        "INSERT INTO concepts VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                iri,
                c.kind,
                c.id,
                json.dumps({"label": c.labels, "alias": c.aliases}, ensure_ascii=False),
                json.dumps(sorted(c.broader)),
                direct.get(iri, 0),
                totals.get((c.kind, c.id), 0),
            )
            for iri, c in concepts.items()
        ],
    )


def _year(text: str) -> int | None:
    digits = text[1:] if text.startswith("-") else text
    digits = digits.split("-", 1)[0]
    if not digits.isdigit():
        return None
    return -int(digits) if text.startswith("-") else int(digits)


# --- reading -----------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Candidates:
    """Matching methods (rowids) with their tier, best first, at most ``cap``."""

    hits: list[tuple[int, str]]
    complete: bool
    """False when the time budget ran out before every tier was asked."""
    capped: bool
    """True when there are more matches than ``cap``."""


class _Budget:
    def __init__(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.perf_counter() + seconds
        self.exhausted = False

    def __call__(self) -> int:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.exhausted = True
            return 1
        return 0


class SearchIndex:
    """A built index, opened read-only; safe to share between threads (one connection
    per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._concepts: dict[tuple[str, str], Concept] | None = None
        self._concept_list: list[Concept] = []
        self._by_iri: dict[str, Concept] = {}
        self._concept_texts: list[tuple[Concept, list[str]]] = []
        self._concepts_lock = threading.Lock()
        meta = dict(self._conn().execute("SELECT key, value FROM meta").fetchall())
        if meta.get("schema") != SCHEMA_VERSION:
            raise SearchIndexError(
                f"{path}: index schema {meta.get('schema')}, not {SCHEMA_VERSION}"
            )
        self.version = meta["version"]
        self.methods = int(meta["methods"])

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False
                )
            except sqlite3.Error as exc:
                raise SearchIndexError(f"{self.path}: {exc}") from exc
            self._local.conn = conn
        return conn

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
        conn = self._conn()
        clock = _Budget(budget)
        conn.set_progress_handler(clock, 2000)
        hits: dict[int, str] = {}
        capped = False
        try:
            if filters and tiers == TIERS and any(len(t) >= MIN_INDEXED for t in terms):
                # With a filter, one FTS scan (the filter is one more AND term) finds the
                # first cap + 1 matches, ranked here from their labels and aliases.
                hits, capped = self._classified(conn, terms, filters, cap)
                tiers = ("concept",)
            for tier in tiers if terms else ("filter",):
                if clock.exhausted or (clock.deadline and time.perf_counter() > clock.deadline):
                    clock.exhausted = True
                    break
                found: list[int] = []
                try:
                    for (rid,) in self._tier(conn, tier, terms, filters, cap + 1):
                        found.append(rid)
                except sqlite3.OperationalError as exc:
                    if not clock.exhausted:
                        raise
                    del exc
                if len(found) > cap:
                    capped = True
                for rid in sorted(found[:cap]):
                    hits.setdefault(rid, tier)
                if len(hits) >= cap:
                    capped = capped or len(hits) > cap or tier != tiers[-1]
                    break
        finally:
            conn.set_progress_handler(None, 0)
        ordered = list(hits.items())
        rank = {t: i for i, t in enumerate((*TIERS, "filter"))}
        ordered.sort(key=lambda item: rank[item[1]])
        return Candidates(ordered[:cap], not clock.exhausted, capped or len(ordered) > cap)

    def _classified(
        self,
        conn: sqlite3.Connection,
        terms: list[str],
        filters: Sequence[tuple[str, str]],
        cap: int,
    ) -> tuple[dict[int, str], bool]:
        """The first ``cap`` matches (in index order: shortest labels first) with their
        tier worked out from their labels and aliases; and whether there are more."""
        long = [t for t in terms if len(t) >= MIN_INDEXED]
        short = [t for t in terms if len(t) < MIN_INDEXED]
        codes, uncoded = self._coded(filters)
        where, args = _filters("fts.rowid", uncoded)
        expression = (
            "{labels aliases other} : ("
            + " AND ".join('"' + t.replace('"', '""') + '"' for t in long)
            + ")"
            + _code_match(codes)
        )
        conditions = ["fts MATCH ?"]
        params: list[object] = [expression]
        for term in short:
            conditions.append(
                "(instr(labels, ?) > 0 OR instr(aliases, ?) > 0 OR instr(other, ?) > 0)"
            )
            params.extend([term] * 3)
        rows = conn.execute(
            f"SELECT rowid, labels, aliases FROM fts WHERE {' AND '.join(conditions)}{where} "
            "LIMIT ?",
            [*params, *args, cap + 1],
        ).fetchall()
        capped = len(rows) > cap
        joined = " ".join(terms)
        ranked: list[tuple[int, int, str]] = []
        order = {t: i for i, t in enumerate(TIERS)}
        for rid, labels, aliases in rows:
            tier = "text"
            for names, exact, prefix, within in (
                (labels, "exact", "prefix", "label"),
                (aliases, "alias-exact", "alias-prefix", "alias"),
            ):
                phrases = [phrase(name) for name in names.split("\n")] if names else []
                if joined in phrases:
                    tier = exact
                elif any(p.startswith(joined) for p in phrases):
                    tier = prefix
                elif names and all(t in names for t in terms):
                    tier = within
                else:
                    continue
                break
            ranked.append((order[tier], rid, tier))
        ranked.sort()
        return {rid: tier for _, rid, tier in ranked[:cap]}, capped

    def _coded(self, filters: Sequence[tuple[str, str]]) -> tuple[list[str], list[tuple[str, str]]]:
        """The filters' codes in the FTS index, and the filters without one."""
        codes, uncoded = [], []
        conn = self._conn()
        for facet, value in filters:
            row = conn.execute(
                "SELECT code FROM facet_codes WHERE facet = ? AND value = ?", (facet, value)
            ).fetchone()
            if row is not None:
                codes.append(row[0])
            else:
                uncoded.append((facet, value))
        return codes, uncoded

    def _tier(
        self,
        conn: sqlite3.Connection,
        tier: str,
        terms: list[str],
        filters: Sequence[tuple[str, str]],
        limit: int,
    ) -> Iterable[tuple[int]]:
        joined = " ".join(terms)
        if tier == "filter":
            if not filters:
                return []
            codes, uncoded = self._coded(filters)
            if codes:
                where, args = _filters("fts.rowid", uncoded)
                return conn.execute(
                    f"SELECT rowid FROM fts WHERE fts MATCH ?{where} LIMIT ?",
                    [_code_match(codes).removeprefix(" AND "), *args, limit],
                )
            (facet, value), rest = filters[0], filters[1:]
            where, args = _filters("f0.method", rest)
            return conn.execute(
                f"SELECT f0.method FROM facets f0 WHERE f0.facet = ? AND f0.value = ?{where} "
                "ORDER BY f0.method LIMIT ?",
                [facet, value, *args, limit],
            )
        if tier in ("exact", "prefix", "alias-exact", "alias-prefix"):
            kind = 0 if tier in ("exact", "prefix") else 1
            where, args = _filters("n.method", filters)
            if tier in ("exact", "alias-exact"):
                condition, bounds = "norm = ?", [joined]
            else:
                condition, bounds = "norm > ? AND norm < ?", [joined, joined + _MAX_CHAR]
            return conn.execute(
                f"SELECT n.method FROM names n WHERE {condition} AND n.kind = ?{where} LIMIT ?",
                [*bounds, kind, *args, limit],
            )
        if tier == "concept":
            return self._concept_tier(conn, terms, filters, limit)
        long = [t for t in terms if len(t) >= MIN_INDEXED]
        short = [t for t in terms if len(t) < MIN_INDEXED]
        if not long:
            return self._gram_tier(conn, tier, short, filters, limit)
        table, cols = {
            "label": ("fts_labels", ["labels"]),
            "alias": ("fts_aliases", ["aliases"]),
            "text": ("fts", ["labels", "aliases", "other"]),
        }[tier]
        where, args = _filters(f"{table}.rowid", filters)
        expression = " AND ".join('"' + t.replace('"', '""') + '"' for t in long)
        if table == "fts":
            expression = "{labels aliases other} : (" + expression + ")"
        conditions = [f"{table} MATCH ?"]
        params: list[object] = [expression]
        for term in short:
            conditions.append("(" + " OR ".join(f"instr({c}, ?) > 0" for c in cols) + ")")
            params.extend([term] * len(cols))
        return conn.execute(
            f"SELECT rowid FROM {table} WHERE {' AND '.join(conditions)}{where} LIMIT ?",
            [*params, *args, limit],
        )

    def _gram_tier(
        self,
        conn: sqlite3.Connection,
        tier: str,
        short: list[str],
        filters: Sequence[tuple[str, str]],
        limit: int,
    ) -> Iterable[tuple[int]]:
        """Words shorter than three characters: a word of a label or alias starts with the
        first (two characters of Japanese or Chinese: anywhere); the label or alias text
        holds the others."""
        kinds = {"label": "(0)", "alias": "(1)", "text": "(0, 1)"}[tier]
        codes, uncoded = self._coded(filters)
        if codes:
            # A filter's methods are fewer than a short word's: scan them (substrings).
            columns = {"label": ["labels"], "alias": ["aliases"], "text": ["labels", "aliases"]}
            cols = columns[tier]
            where, args = _filters("fts.rowid", uncoded)
            for _ in short:
                where += " AND (" + " OR ".join(f"instr({c}, ?) > 0" for c in cols) + ")"
            return conn.execute(
                f"SELECT rowid FROM fts WHERE fts MATCH ?{where} LIMIT ?",
                [_code_match(codes).removeprefix(" AND "), *args,
                 *[t for t in short for _ in cols], limit],
            )  # fmt: skip
        first, rest = short[0], short[1:]
        where, args = _filters("g.method", filters)
        condition, bounds = (
            ("g.gram = ?", [first]) if len(first) == 2
            else ("g.gram >= ? AND g.gram < ?", [first, first + _MAX_CHAR])
        )  # fmt: skip
        for _ in rest:
            where += (
                " AND (instr(coalesce((SELECT labels FROM fts_labels WHERE rowid = g.method), ''),"
                " ?) > 0 OR instr(coalesce((SELECT aliases FROM fts_aliases"
                " WHERE rowid = g.method), ''), ?) > 0)"
            )
        extra = [t for t in rest for _ in (0, 1)]
        return conn.execute(
            f"SELECT DISTINCT g.method FROM grams g WHERE {condition} AND g.kind IN {kinds}"
            f"{where} LIMIT ?",
            [*bounds, *extra, *args, limit],
        )

    def _concept_tier(
        self,
        conn: sqlite3.Connection,
        terms: list[str],
        filters: Sequence[tuple[str, str]],
        limit: int,
    ) -> Iterable[tuple[int]]:
        matching = self.matching_concepts(terms)
        codes, uncoded = self._coded(filters)
        concept_codes, _ = self._coded([(c.kind, c.id) for c in matching])
        if matching and len(concept_codes) == len(matching):
            where, args = _filters("fts.rowid", uncoded)
            either = " OR ".join(f'"{code}"' for code in concept_codes)
            return conn.execute(
                f"SELECT rowid FROM fts WHERE fts MATCH ?{where} LIMIT ?",
                ["{facets} : (" + either + ")" + _code_match(codes), *args, limit],
            ).fetchall()
        rows: list[tuple[int]] = []
        for kind in ("field", "family"):
            ids = [c.id for c in matching if c.kind == kind]
            if not ids:
                continue
            where, args = _filters("f0.method", filters)
            marks = ",".join("?" * len(ids))
            rows.extend(
                conn.execute(
                    f"SELECT DISTINCT f0.method FROM facets f0 WHERE f0.facet = ? "
                    f"AND f0.value IN ({marks}){where} ORDER BY f0.method LIMIT ?",
                    [kind, *ids, *args, limit],
                )
            )
        return rows

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
        if not rids:
            return {}
        rows = self._conn().execute(
            "SELECT rowid, doc FROM methods WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(list(rids)),),
        )
        return {rid: json.loads(doc) for rid, doc in rows}

    def facet_counts(self, rids: Sequence[int]) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = {facet: Counter() for facet in FACETS}
        if not rids:
            return counts
        rows = self._conn().execute(
            "SELECT facets FROM methods WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(list(rids)),),
        )
        pairs: Counter[str] = Counter()
        for (packed,) in rows:
            if packed:
                pairs.update(packed.split(_SEP))
        for pair, n in pairs.items():
            facet, _, value = pair.partition(_PAIR)
            if facet in counts:
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
        rows = self._conn().execute(
            "SELECT method FROM facets WHERE facet = ? AND value = ? ORDER BY method "
            "LIMIT ? OFFSET ?",
            (kind, concept_id, limit, offset),
        )
        return [rid for (rid,) in rows]

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

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _code_match(codes: Sequence[str]) -> str:
    """An FTS expression part: `` AND {facets} : ("c1" AND "c2")``, or nothing."""
    if not codes:
        return ""
    return " AND {facets} : (" + " AND ".join(f'"{code}"' for code in codes) + ")"


def _filters(column: str, filters: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    sql, args = "", []
    for i, (facet, value) in enumerate(filters, start=1):
        sql += (
            f" AND EXISTS (SELECT 1 FROM facets x{i} WHERE x{i}.method = {column} "
            f"AND x{i}.facet = ? AND x{i}.value = ?)"
        )
        args.extend([facet, value])
    return sql, args


def read_meta(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()
