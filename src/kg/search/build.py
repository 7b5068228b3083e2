"""Building the search index of one store snapshot (tables: ``kg.search.schema``).

The rows of ``search-documents.rq`` arrive grouped by kind, not by method. They are
appended to a staging database beside the target (method numbers, not IRIs), while the
label each method sorts by is kept in memory; the methods are then numbered in index order
(shortest label first) and the staged rows read back sorted by that number, so that every
table and the FTS index are written once, in rowid order. From ``PROCESS_SINK_METHODS`` on,
the tables are written by a second process (``kg.search.sink``) while this one makes the
documents: on two cores the build takes two thirds of the time. The file is written to a
temporary name and renamed into place when complete; a killed build leaves only temporary
files, which the next build removes. The same rows always give the same tables, row for row
(facet codes are numbered in a fixed order; only the build time in ``meta`` differs).
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
from operator import itemgetter
from pathlib import Path
from typing import Any

from kg.search.schema import (
    ALIAS,
    FACETS,
    INDEXES,
    LABEL,
    SCHEMA,
    SCHEMA_VERSION,
    TEXT_KINDS,
    Packer,
    facet_code,
    lines,
    list_keys,
    make_dictionary,
    match_key,
    name_keys,
)
from kg.search.sink import ProcessSink, SinkError
from kg.search.text import edits1, latin_words, normalise, phrase

BATCH = 20_000
PHRASE_CACHED_LENGTH = 200
PHRASES_CACHED = 200_000
PROCESS_SINK_METHODS = 10_000
"""From this many methods on, a full build writes the index's tables from a second process
(``kg.search.sink``) while it reads the staged rows and makes the documents."""
SETUP = (
    "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -131072;"
    "PRAGMA temp_store = FILE; PRAGMA threads = 2;"
)
DICTIONARY_SAMPLES = 400
"""Documents the compression dictionary is made from (the first ones, in index order)."""
KINDS = ("label", "alias", *TEXT_KINDS, "field", "family", "start", "papers")
MATCHED_KINDS = frozenset({"label", "alias", "hidden"})
"""The names importers match records by (``hidden``: skos:hiddenLabel, in no search text;
the members of alias lists are ``alias`` rows, each being a skos:altLabel too)."""
_KIND_NUMBER = {kind: number for number, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class BuildReport:
    path: Path
    version: str
    methods: int
    seconds: float
    size: int
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per step: reading the store's rows (``read``, with staging them), sorting
    them, writing the tables, merging the FTS indexes (``optimize``); after an update,
    copying the previous index (``copy``) and changing the copy (``update``)."""
    updated: int | None = None
    """The methods an update re-indexed (None: a full build)."""


@dataclass
class _Concept:
    kind: str
    id: str
    labels: list[list[str]] = field(default_factory=list)
    aliases: list[list[str]] = field(default_factory=list)
    broader: set[str] = field(default_factory=set)


def short_id(iri: str, base: str, kind: str) -> str:
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
    """Write the index of ``documents`` (method, kind, value, …, language rows of
    ``search-documents.rq``) and ``concepts`` (concept, kind, property, value, …,
    language rows of ``search-concepts.rq``) to ``target``, atomically."""
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp-{os.getpid()}-{threading.get_ident()}"
    tmp = target.with_name(target.name + suffix)
    stage = target.with_name(target.name + suffix + "-stage")
    names = target.with_name(target.name + suffix + "-names")
    for leftover in (tmp, stage, names):
        leftover.unlink(missing_ok=True)
    phases: dict[str, float] = {}
    try:
        methods = _write(tmp, stage, names, version, base_iri, documents, concepts, phases)
        publish(tmp, target)
    finally:
        for temporary in (tmp, stage, names):
            temporary.unlink(missing_ok=True)
    return BuildReport(
        target, version, methods, time.perf_counter() - started, target.stat().st_size, phases
    )


def publish(tmp: Path, target: Path) -> None:
    """Sync the complete file ``tmp`` and rename it to ``target`` (durably)."""
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    fd = os.open(target.parent, os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(
    tmp: Path,
    stage: Path,
    names: Path,
    version: str,
    base: str,
    documents: Iterable[Sequence[str]],
    concept_rows: Iterable[Sequence[str]],
    phases: dict[str, float],
) -> int:
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = round(phases.get(name, 0.0) + now - clock, 2)
        clock = now

    conn = sqlite3.connect(tmp, isolation_level=None)
    reader = conn
    sink: ProcessSink | None = None
    try:
        # Nothing to recover: a failed build is thrown away, so no journal and no syncs
        # until the file is complete (``build`` syncs it before the rename).
        conn.executescript(SETUP)
        conn.execute("ATTACH DATABASE ? AS stage", (str(stage),))
        conn.execute("PRAGMA stage.journal_mode = OFF")
        conn.execute("PRAGMA stage.synchronous = OFF")
        conn.executescript(SCHEMA)
        conn.execute("BEGIN")
        concepts = read_concepts(concept_rows, base)
        ids, sort_labels, under_base = _stage(conn, documents, base)
        lap("read")
        ranks = _number(conn, ids, sort_labels)
        del sort_labels
        out: sqlite3.Connection | ProcessSink = conn
        names_table = "stage.names"
        if len(ranks) >= PROCESS_SINK_METHODS:
            # The staged rows are read here, the tables written by a second process (which
            # reads the staged names too: nothing writes the staging file any more).
            conn.execute("COMMIT")
            conn.close()
            reader = sqlite3.connect(":memory:", isolation_level=None)
            reader.executescript(SETUP)
            reader.execute("ATTACH DATABASE ? AS stage", (str(stage),))
            out = sink = ProcessSink(tmp, SETUP, {"stage": stage, "names_stage": names})
            names_table = "names_stage.names"
        out.execute(
            "INSERT INTO match_names SELECT DISTINCT m.key, k.rid FROM stage.match m "
            "JOIN stage.ranks k ON k.mid = m.mid ORDER BY 1, 2"
        )
        writer = _Writer(out, base, concepts, names_table=names_table)
        rows = reader.execute(
            "SELECT k.rid, r.kind, r.lang, r.value FROM stage.raw r "
            "JOIN stage.ranks k ON k.mid = r.mid ORDER BY k.rid, r.kind, r.lang, r.value"
        )
        lap("sort")
        following = 1

        def iri(rid: int) -> str:
            mid = ranks[rid - 1]
            return f"{base}method/{ids[mid]}" if under_base[mid] else ids[mid]

        for rid, group in groupby(rows, key=itemgetter(0)):
            for textless in range(following, rid):  # a method without any text or facet
                writer.add(textless, ids[ranks[textless - 1]], iri(textless), iter(()))
            writer.add(rid, ids[ranks[rid - 1]], iri(rid), group)
            following = rid + 1
        for textless in range(following, len(ranks) + 1):
            writer.add(textless, ids[ranks[textless - 1]], iri(textless), iter(()))
        writer.finish()
        _sync(out)
        lap("write")
        for table in ("fts_names", "fts_text"):
            out.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        _sync(out)
        lap("optimize")
        for table in ("fts_names", "fts_text"):
            out.execute(
                f"CREATE VIRTUAL TABLE temp.{table}_vocab USING fts5vocab(main, {table}, row)"
            )
        out.execute(
            "INSERT INTO grams SELECT t.term, coalesce(n.doc, 0), t.doc FROM temp.fts_text_vocab t "
            "LEFT JOIN temp.fts_names_vocab n ON n.term = t.term ORDER BY t.term"
        )
        _sync(out)
        lap("grams")
        out.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("schema", SCHEMA_VERSION), ("version", version), ("methods", str(writer.count)),
             ("built", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
             ("dictionary", writer.dictionary), ("words", str(writer.words))],
        )  # fmt: skip
        if sink is not None:
            sink.close(commit=True)
        else:
            conn.execute("COMMIT")
            conn.execute("DETACH DATABASE stage")
    finally:
        if sink is not None:
            try:
                sink.close(commit=False)
            except SinkError:
                pass  # the build's own error is the one to report
        reader.close()
        conn.close()
    return writer.count


def _sync(out: sqlite3.Connection | ProcessSink) -> None:
    if isinstance(out, ProcessSink):
        out.sync()


def _stage(
    conn: sqlite3.Connection,
    documents: Iterable[Sequence[str]],
    base: str,
) -> tuple[list[str], list[tuple[bool, str] | None], bytearray]:
    """Append the rows to ``stage.raw`` (method number, kind number, language, value), the
    match keys of names to ``stage.match`` and people's names to ``person_names``; return
    the method ids by number, the label each method sorts by (English first) — None for
    subjects that are not methods — and whether each id is short (the IRI under the base's
    ``method/``)."""
    conn.execute("CREATE TABLE stage.raw(mid INTEGER, kind INTEGER, lang TEXT, value TEXT)")
    conn.execute("CREATE TABLE stage.match(key TEXT, mid INTEGER)")
    numbers: dict[str, int] = {}
    ids: list[str] = []
    sort_labels: list[tuple[bool, str] | None] = []
    is_method: list[bool] = []
    under_base = bytearray()
    rows = iter(documents)
    while chunk := list(islice(rows, BATCH)):
        batch = []
        matches = []
        people = []
        for row in chunk:
            iri, kind, value, lang = row[0], row[1], row[2], row[-1]
            if kind == "person":
                if value:
                    people.append((match_key(value), iri))
                continue
            mid = numbers.get(iri)
            if mid is None:
                mid = numbers[iri] = len(ids)
                ids.append(short_id(iri, base, "method"))
                under_base.append(ids[-1] != iri)
                sort_labels.append(None)
                is_method.append(False)
            if kind == "method":
                is_method[mid] = True
                continue
            if kind in MATCHED_KINDS and value:
                matches.append((match_key(value), mid))
            number = _KIND_NUMBER.get(kind)
            if number is None or not value:
                continue
            if kind == "label":
                key = (lang != "en", value)
                current = sort_labels[mid]
                if current is None or key < current:
                    sort_labels[mid] = key
            batch.append((mid, number, lang, value))
        conn.executemany("INSERT INTO stage.raw VALUES (?, ?, ?, ?)", batch)
        conn.executemany("INSERT INTO stage.match VALUES (?, ?)", matches)
        conn.executemany("INSERT OR IGNORE INTO person_names VALUES (?, ?)", people)
    del numbers
    for mid, method in enumerate(is_method):
        if not method:
            sort_labels[mid] = None
        elif sort_labels[mid] is None:
            sort_labels[mid] = (True, ids[mid])
    return ids, sort_labels, under_base


def _number(
    conn: sqlite3.Connection, ids: list[str], sort_labels: list[tuple[bool, str] | None]
) -> list[int]:
    """Number the methods in index order (shortest label first, then alphabetically);
    ``stage.ranks`` maps method numbers to rowids. Returns the method number of each
    rowid."""

    def key(mid: int) -> tuple[int, str, str]:
        label = sort_labels[mid]
        assert label is not None
        return (len(label[1]), label[1].lower(), ids[mid])

    order = sorted((mid for mid, label in enumerate(sort_labels) if label is not None), key=key)
    conn.execute("CREATE TABLE stage.ranks(mid INTEGER PRIMARY KEY, rid INTEGER NOT NULL)")
    conn.executemany(
        "INSERT INTO stage.ranks VALUES (?, ?)",
        sorted((mid, rid) for rid, mid in enumerate(order, start=1)),
    )
    return order


def read_concepts(rows: Iterable[Sequence[str]], base: str) -> dict[str, _Concept]:
    concepts: dict[str, _Concept] = {}
    for row in rows:
        iri, kind, prop, value, lang = row[0], row[1], row[2], row[3], row[-1]
        concept = concepts.setdefault(iri, _Concept(kind, short_id(iri, base, kind)))
        if prop == "label":
            concept.labels.append([lang, value])
        elif prop == "alias":
            concept.aliases.append([lang, value])
        elif prop == "broader" and value != iri:
            concept.broader.add(value)
    for concept in concepts.values():
        concept.labels.sort(key=lambda lv: (lv[0] != "en", lv[0], lv[1]))
        concept.aliases.sort(key=lambda lv: (lv[0] != "en", lv[0], lv[1]))
    return concepts


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


def _is_english(lang: str) -> bool:
    """SPARQL's ``langMatches(lang, "en")``."""
    lang = lang.lower()
    return lang == "en" or lang.startswith("en-")


def _year(text: str) -> int | None:
    digits = text[1:] if text.startswith("-") else text
    digits = digits.split("-", 1)[0]
    if not digits.isdigit():
        return None
    return -int(digits) if text.startswith("-") else int(digits)


class _Writer:
    """Turns each method's staged rows into its rows of every table, in rowid order."""

    def __init__(
        self,
        conn: sqlite3.Connection | ProcessSink,
        base: str,
        concepts: dict[str, _Concept],
        *,
        names_table: str = "stage.names",
    ):
        self.conn = conn
        self.base = base
        self.concepts = concepts
        self.count = 0
        self.words = 0
        self.dictionary = b""
        self._codes: dict[tuple[str, str], str] = {}
        self._per_facet: Counter[str] = Counter()
        self._direct: Counter[str] = Counter()
        self._totals: Counter[tuple[str, str]] = Counter()
        self._vocab: Counter[str] = Counter()
        self._words: set[str] = set()
        self._ancestors: dict[str, set[str]] = {}
        self._concept_facets: dict[str, set[tuple[str, str]]] = {}
        self._pending: list[tuple[int, str, str, dict[str, Any]]] = []
        self._texts: list[tuple[int, str, str, str, str]] = []
        self._phrases: dict[str, str] = {}
        self._listing: list[tuple[int, str, str, str, str]] = []
        self._names_table = names_table
        if names_table in ("stage.names", "names_stage.names"):
            conn.execute(f"CREATE TABLE {names_table}(key INTEGER, method INTEGER)")

    def resume(self, dictionary: bytes, codes: Iterable[tuple[str, str, str]]) -> None:
        """Go on from an index built before: its documents' dictionary and its facet codes
        (code, facet, value) — an incremental update."""
        self.dictionary = dictionary
        for code, facet, value in codes:
            self._codes[(facet, value)] = code
            self._per_facet[facet] += 1

    @property
    def codes(self) -> dict[tuple[str, str], str]:
        return self._codes

    @property
    def words_seen(self) -> set[str]:
        return self._words

    @property
    def vocab(self) -> Counter[str]:
        return self._vocab

    @property
    def direct(self) -> Counter[str]:
        return self._direct

    @property
    def totals(self) -> Counter[tuple[str, str]]:
        return self._totals

    def flush(self) -> None:
        self._flush()

    def _facets_of(self, kind: str, iri: str) -> set[tuple[str, str]]:
        """The facet values of a method of the concept ``iri``: it and every broader one."""
        found = self._concept_facets.get(iri)
        if found is None:
            found = self._concept_facets[iri] = {
                (kind, short_id(above, self.base, kind))
                for above in _ancestors(iri, self.concepts, self._ancestors)
            }
        return found

    def _phrase(self, text: str) -> str:
        """``phrase(normalise(text))``, remembered for short texts (types, names and
        titles recur across methods)."""
        if len(text) > PHRASE_CACHED_LENGTH:
            return phrase(normalise(text))
        found = self._phrases.get(text)
        if found is None:
            if len(self._phrases) >= PHRASES_CACHED:
                self._phrases.clear()
            found = self._phrases[text] = phrase(normalise(text))
        return found

    def code(self, pair: tuple[str, str]) -> str:
        found = self._codes.get(pair)
        if found is None:
            found = self._codes[pair] = facet_code(pair[0], self._per_facet[pair[0]])
            self._per_facet[pair[0]] += 1
        return found

    def add(
        self, rid: int, method_id: str, method_iri: str, rows: Iterator[tuple[int, int, str, str]]
    ) -> None:
        doc: dict[str, Any] = defaultdict(list)
        starts: list[int] = []
        # In a fixed order (the store gives rows in any): a document, its texts and the
        # first types, which are facets, do not depend on it.
        previous = None
        for row in sorted(rows):  # already sorted by a full build: then one comparison a row
            if row == previous:
                continue
            previous = row
            _, number, lang, value = row
            kind = KINDS[number]
            if kind in ("field", "family"):
                doc[kind].append(value)
            elif kind == "start":
                year = _year(value)
                if year is not None:
                    starts.append(year)
            elif kind == "papers":
                if value.isdigit() and int(value) > doc.get("papers", -1):
                    doc["papers"] = int(value)
            else:
                doc[kind].append([lang, value])
        facets: set[tuple[str, str]] = set()
        for kind in ("field", "family"):
            ids = []
            for iri in doc.pop(kind, []):
                self._direct[iri] += 1
                ids.append(short_id(iri, self.base, kind))
                facets.update(self._facets_of(kind, iri))
            if ids:
                doc[kind] = ids
        for _, type_text in doc.get("type", [])[:3]:
            facets.add(("type", type_text[:200]))
        if starts:
            doc["start"] = min(starts)
            facets.add(("decade", str(min(starts) // 10 * 10)))
        for key in ("label", "alias"):
            if key in doc:
                doc[key].sort(key=lambda lv: (lv[0] != "en", lv[0], lv[1]))
        doc["id"] = method_id
        english = [v for lang, v in doc.get("label", []) if _is_english(lang)]
        keys = list_keys(method_iri, english, doc.get("start"), doc.get("papers"))
        if keys is not None:
            self._listing.append((rid, keys["name"], keys["year"], keys["newest"], keys["usage"]))
        self._totals.update(facets)
        method_codes = sorted(self.code(pair) for pair in sorted(facets))
        codes = "".join(method_codes)
        labels = sorted({phrase(normalise(v)) for _, v in doc.get("label", [])} - {""})
        aliases = sorted({phrase(normalise(v)) for _, v in doc.get("alias", [])} - {""})
        other = [self._phrase(v) for kind in TEXT_KINDS for _, v in doc.get(kind, [])]
        texts = (lines(labels), lines(aliases), lines(other))
        for text in texts:
            self._words.update(text.split())
        self._texts.append((rid, *texts, codes))
        for names in (labels, aliases):
            for name in names:
                self._vocab.update(latin_words(name))
        self._pending.append((rid, method_id, " ".join(method_codes), doc))
        self.count += 1
        if len(self._pending) >= (DICTIONARY_SAMPLES if not self.dictionary else BATCH):
            self._flush()

    def _flush(self) -> None:
        if not self.dictionary and self._pending:
            self.dictionary = (
                make_dictionary(
                    [json.dumps(d, ensure_ascii=False).encode() for *_, d in self._pending]
                )
                or b"{}"
            )
        batch = _Batch(
            self.dictionary, self._names_table, self._pending, self._texts, self._listing
        )
        if isinstance(self.conn, ProcessSink):
            self.conn.call(_insert_batch, batch)
        else:
            _insert_batch(self.conn, batch)
        self._pending, self._texts, self._listing = [], [], []

    def finish(self) -> None:
        self._flush()
        conn = self.conn
        conn.execute(
            f"INSERT INTO main.names SELECT DISTINCT key, method FROM {self._names_table} "
            "ORDER BY key, method"
        )
        conn.executemany(
            "INSERT INTO facet_values VALUES (?, ?, ?)",
            sorted((code, facet, value) for (facet, value), code in self._codes.items()),
        )
        conn.executemany(
            "INSERT INTO fts_words(rowid, word) VALUES (?, ?)", enumerate(sorted(self._words), 1)
        )
        self.words = len(self._words)
        self._words.clear()
        conn.execute("INSERT INTO fts_words(fts_words) VALUES ('optimize')")
        conn.executemany("INSERT INTO vocab VALUES (?, ?)", sorted(self._vocab.items()))
        conn.executemany(
            "INSERT INTO vocab_del VALUES (?, ?)",
            sorted((deleted, word) for word in self._vocab for deleted in edits1(word)),
        )
        for statement in INDEXES:
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO concepts VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    iri,
                    c.kind,
                    c.id,
                    json.dumps({"label": c.labels, "alias": c.aliases}, ensure_ascii=False),
                    json.dumps(sorted(c.broader)),
                    self._direct.get(iri, 0),
                    self._totals.get((c.kind, c.id), 0),
                )
                for iri, c in self.concepts.items()
            ],
        )


@dataclass(frozen=True)
class _Batch:
    """The rows of some methods, as ``_insert_batch`` writes them (in this process or in
    the sink's)."""

    dictionary: bytes
    names_table: str
    documents: list[tuple[int, str, str, dict[str, Any]]]
    """rowid, method id, facet codes, document"""
    texts: list[tuple[int, str, str, str, str]]
    """rowid, labels, aliases, other texts (``lines``), facet codes"""
    listing: list[tuple[int, str, str, str, str]]


def _insert_batch(conn: sqlite3.Connection, batch: _Batch) -> None:
    packer = Packer(batch.dictionary)  # once a batch: priming it costs microseconds
    conn.executemany(
        "INSERT INTO methods VALUES (?, ?, ?, ?)",
        [(rid, method_id, codes, packer(doc)) for rid, method_id, codes, doc in batch.documents],
    )
    conn.executemany(
        "INSERT INTO texts VALUES (?, ?, ?, ?)",
        [(rid, labels, aliases, other) for rid, labels, aliases, other, _ in batch.texts],
    )
    # One more line break: the last character of a text starts a trigram too (words of
    # one character are looked up by the trigrams they start).
    indexed = [
        (rid, *(text + "\n" if text else text for text in (labels, aliases, other)), codes)
        for rid, labels, aliases, other, codes in batch.texts
    ]
    conn.executemany(
        "INSERT INTO fts_names(rowid, labels, aliases, codes) VALUES (?, ?, ?, ?)",
        [(rid, labels, aliases, codes) for rid, labels, aliases, _, codes in indexed],
    )
    conn.executemany(
        "INSERT INTO fts_text(rowid, labels, aliases, other, codes) VALUES (?, ?, ?, ?, ?)",
        indexed,
    )
    conn.executemany(
        f"INSERT OR IGNORE INTO {batch.names_table} VALUES (?, ?)",
        (
            (key, rid)
            for rid, labels, aliases, _, _ in batch.texts
            for kind_number, names in ((LABEL, labels), (ALIAS, aliases))
            for name in names[1:-1].split("\n")
            if name
            for key in name_keys(kind_number, name)
        ),
    )
    conn.executemany("INSERT INTO listing VALUES (?, ?, ?, ?, ?)", batch.listing)


__all__ = ["FACETS", "BuildReport", "build"]
