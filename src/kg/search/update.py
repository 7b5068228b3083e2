"""Updating a snapshot's search index into the next snapshot's, for the methods a write changed.

Two ways, both atomic (a temporary file renamed into place; readers keep the previous file
until then), both making the changed methods' rows with the code of a full build
(``build._Writer``) from the rows ``search-documents-of.rq`` gives for them:

- a layer (``update(..., layered=True)``): a small file over the last full index, holding
  the rows of every method and person changed since that index (``hidden`` names the full
  index's rows they replace or remove) and whole copies of the small tables (concepts with
  their counts, facet codes, vocabulary, meta). The next update copies the layer, not the
  full index: at a million methods an update writes a few megabytes instead of 4 GB.
  ``SearchIndex`` reads the two as one.
- a full index (``update``): the full index copied and changed in place: when a layer would
  hold more than ``LAYER_METHODS`` changes, the full index with every change since (the
  layer's ``changed``) becomes the next full index.

What differs from a full build of the same snapshot, by design:

- a method new to the index is numbered after every other (a full build numbers methods
  shortest label first), so among equally good matches it comes last until ``kg reindex``;
- ``fts_words`` keeps the words no text holds any more (a query word found there is still
  looked for in the texts, which then confirm nothing);
- the facet codes of values no method has any more stay in ``facet_values``;
- under a layer, the full index's trigram counts (``grams``, which only plan a search) still
  count the methods the layer hides.

Fields and families take new labels and aliases here, and new ones join; a write that moves
one in the hierarchy or removes one rebuilds the index (every method under it would change).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from kg.search.build import (
    _KIND_NUMBER,
    MATCHED_KINDS,
    BuildReport,
    _Concept,
    _Writer,
    publish,
    read_concepts,
    short_id,
)
from kg.search.schema import (
    ALIAS,
    INDEXES,
    LABEL,
    LAYER_SCHEMA,
    SCHEMA,
    SCHEMA_VERSION,
    match_key,
    name_keys,
    unpack,
)
from kg.search.text import edits1, latin_words, trigrams

LAYER_METHODS = 2_000
"""Methods and people changed since the last full index that a layer holds at most; an update
beyond writes a full index again."""
LAYER_COPIED = ("meta", "facet_values", "concepts", "vocab", "vocab_del")
"""The small tables a layer holds whole (the others: only the rows of what changed)."""


class IndexUpdateError(RuntimeError):
    """The previous index cannot be updated (another schema, no documents yet): build anew."""


@dataclass(frozen=True)
class Layering:
    """What a file is: a full index (``base`` None) or a layer over the full index ``base``
    (a file name in the same directory), with the methods, people and concepts changed since."""

    base: str | None
    methods: frozenset[str] = frozenset()
    concepts: frozenset[str] = frozenset()


def layering(path: Path) -> Layering:
    """Whether ``path`` is a layer, over which full index, and what changed since it."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        found = conn.execute("SELECT value FROM meta WHERE key = 'base'").fetchone()
        if found is None:
            return Layering(None)
        changed = conn.execute("SELECT iri, concept FROM changed").fetchall()
        return Layering(
            str(found[0]),
            frozenset(iri for iri, concept in changed if not concept),
            frozenset(iri for iri, concept in changed if concept),
        )
    finally:
        conn.close()


def _grams_of(indexed: Sequence[str], codes: str) -> list[tuple[str, int]]:
    """The terms of a method's row in ``fts_names`` (0: labels, aliases, codes) and in
    ``fts_text`` (1: all four columns), each once (the counts in ``grams`` are of methods)."""
    names = trigrams(indexed[0]) | trigrams(indexed[1]) | trigrams(codes)
    text = names | trigrams(indexed[2])
    return [(g, 0) for g in names] + [(g, 1) for g in text]


def update(
    source: Path,
    target: Path,
    *,
    version: str,
    base_iri: str,
    methods: Iterable[str],
    documents: Iterable[Sequence[str]],
    concepts: Iterable[str] = (),
    concept_rows: Iterable[Sequence[str]] = (),
    layered: bool = False,
) -> BuildReport:
    """Write to ``target`` the index ``source`` with the rows of ``methods`` (IRIs of
    methods and people) replaced by those of ``documents`` (rows of
    ``search-documents-of.rq`` for exactly those; a method without a "method" row leaves the
    index), and the fields and families ``concepts`` by ``concept_rows``
    (``search-concepts-of.rq``), atomically. A concept that moved in the hierarchy or is
    gone raises IndexUpdateError (build anew). ``layered``: a layer over the full index
    under ``source`` (``source`` itself, or the full index of the layer ``source``), with
    ``source``'s changes and these; else a copy of ``source``, a full index, changed."""
    changed = _Changed(set(methods), documents, set(concepts), concept_rows)
    if not layered:
        return _written(target, version, base_iri, changed, partial(shutil.copyfile, source))
    base_name = layering(source).base
    base = source if base_name is None else source.with_name(base_name)

    def start(tmp: Path) -> None:
        if base_name is None:
            _new_layer(tmp, base)
        else:
            shutil.copyfile(source, tmp)

    return _written(target, version, base_iri, changed, start, full=base)


def _written(
    target: Path,
    version: str,
    base_iri: str,
    changed: _Changed,
    start: Callable[[Path], object],
    *,
    full: Path | None = None,
) -> BuildReport:
    """``target`` made by ``start`` (into a temporary file) and ``_apply``, renamed into
    place when complete."""
    started = time.perf_counter()
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    tmp.unlink(missing_ok=True)
    phases: dict[str, float] = {}
    try:
        start(tmp)
        phases["copy"] = round(time.perf_counter() - started, 2)
        count = _apply(tmp, version, base_iri, changed, full=full)
        phases["update"] = round(time.perf_counter() - started - phases["copy"], 2)
        publish(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return BuildReport(
        target, version, count, time.perf_counter() - started, target.stat().st_size, phases,
        updated=len(changed.methods),
    )  # fmt: skip


def _new_layer(path: Path, base: Path) -> None:
    """An empty layer over the full index ``base``: its small tables copied whole."""
    conn = sqlite3.connect(path.resolve().as_uri(), uri=True, isolation_level=None)
    try:
        conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        conn.executescript(SCHEMA + LAYER_SCHEMA)
        conn.execute("ATTACH DATABASE ? AS base", (f"{base.resolve().as_uri()}?mode=ro",))
        meta = dict(conn.execute("SELECT key, value FROM base.meta").fetchall())
        if meta.get("schema") != SCHEMA_VERSION or "base" in meta:
            raise IndexUpdateError(f"{base.name}: not a full index of schema {SCHEMA_VERSION}")
        conn.execute("BEGIN")
        for table in LAYER_COPIED:
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM base.{table}")
        for statement in INDEXES:
            conn.execute(statement)
        conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("base", base.name), ("base_version", meta["version"]),
             ("base_built", meta["built"]), ("base_methods", meta["methods"]), ("words", "0")],
        )  # fmt: skip
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE base")
    finally:
        conn.close()


def _stored_concepts(conn: sqlite3.Connection) -> dict[str, _Concept]:
    concepts: dict[str, _Concept] = {}
    for iri, kind, cid, broader in conn.execute("SELECT iri, kind, id, broader FROM concepts"):
        concepts[iri] = _Concept(kind, cid, broader=set(json.loads(broader)))
    return concepts


class _Removal:
    """What the removed rows held: to subtract from the counts."""

    def __init__(
        self, facet_of: dict[str, tuple[str, str]], concept_iri: dict[tuple[str, str], str]
    ) -> None:
        self.facet_of = facet_of
        self.concept_iri = concept_iri
        self.direct: Counter[str] = Counter()
        self.totals: Counter[tuple[str, str]] = Counter()
        self.vocab: Counter[str] = Counter()
        self.grams: Counter[tuple[str, int]] = Counter()
        """(trigram, 0 for fts_names or 1 for fts_text) -> methods that no longer have it."""

    def count_out(self, codes: str, doc: dict[str, object]) -> None:
        """A method's fields, families and facet values, no longer counted."""
        for kind in ("field", "family"):
            ids = doc.get(kind)
            for cid in ids if isinstance(ids, list) else []:
                iri = self.concept_iri.get((kind, str(cid)))
                if iri is not None:
                    self.direct[iri] += 1
        for code in codes.split():
            self.totals[self.facet_of[code]] += 1


def _take_out(
    conn: sqlite3.Connection, rid: int, codes: str, doc: dict[str, object], removed: _Removal,
    *, hide: bool = False,
) -> None:  # fmt: skip
    """Take method ``rid``'s rows out of the index and its counts; with ``hide`` (a layer,
    the full index attached as ``base``) hide the full index's rows instead (their trigrams
    stay counted in the full index's ``grams``: they only plan searches)."""
    labels, aliases, other = conn.execute(
        f"SELECT labels, aliases, other FROM {'base.' if hide else ''}texts WHERE rowid = ?",
        (rid,),
    ).fetchone()
    for kind_number, column in ((LABEL, labels), (ALIAS, aliases)):
        for name in filter(None, column.split("\n")):
            removed.vocab.update(latin_words(name))
            if not hide:
                conn.executemany(
                    "DELETE FROM names WHERE key = ? AND method = ?",
                    [(key, rid) for key in name_keys(kind_number, name)],
                )
    removed.count_out(codes, doc)
    if hide:
        conn.execute("INSERT INTO hidden VALUES (?)", (rid,))
        return
    indexed = [t + "\n" if t else t for t in (labels, aliases, other)]
    joined = codes.replace(" ", "")
    conn.execute(
        "INSERT INTO fts_names(fts_names, rowid, labels, aliases, codes) "
        "VALUES ('delete', ?, ?, ?, ?)",
        (rid, indexed[0], indexed[1], joined),
    )
    conn.execute(
        "INSERT INTO fts_text(fts_text, rowid, labels, aliases, other, codes) "
        "VALUES ('delete', ?, ?, ?, ?, ?)",
        (rid, *indexed, joined),
    )
    removed.grams.update(_grams_of(indexed, joined))
    for table, column in (("match_names", "method"), ("listing", "method"),
                          ("methods", "rowid"), ("texts", "rowid")):  # fmt: skip
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (rid,))


@dataclass
class _Changed:
    methods: set[str]
    documents: Iterable[Sequence[str]]
    concepts: set[str]
    concept_rows: Iterable[Sequence[str]]


def _update_concepts(
    conn: sqlite3.Connection, stored: dict[str, _Concept], changed: _Changed, base: str
) -> None:
    """New labels of fields and families, and new ones (their counts follow the methods)."""
    fresh = read_concepts(changed.concept_rows, base)
    for iri in sorted(changed.concepts):
        new, old = fresh.get(iri), stored.get(iri)
        if new is None:
            if old is None:
                continue
            raise IndexUpdateError(f"the concept {iri} is gone")
        if old is not None and (old.kind != new.kind or old.broader != new.broader):
            raise IndexUpdateError(f"the concept {iri} moved in the hierarchy")
        labels = json.dumps({"label": new.labels, "alias": new.aliases}, ensure_ascii=False)
        if old is None:
            conn.execute(
                "INSERT INTO concepts VALUES (?, ?, ?, ?, ?, 0, 0)",
                (iri, new.kind, new.id, labels, json.dumps(sorted(new.broader))),
            )
            stored[iri] = new
        else:
            conn.execute("UPDATE concepts SET labels = ? WHERE iri = ?", (labels, iri))


def _apply(
    path: Path, version: str, base: str, changed: _Changed, *, full: Path | None = None
) -> int:
    """Change the index (or, with ``full``, the layer over the full index ``full``) at
    ``path`` for ``changed``; the number of methods it (with ``full``) has after."""
    methods, documents = changed.methods, changed.documents
    conn = sqlite3.connect(path.resolve().as_uri(), uri=True, isolation_level=None)
    try:
        # A failed update throws the copy away: no journal, no syncs until it is complete.
        conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        if full is not None:
            conn.execute("ATTACH DATABASE ? AS base", (f"{full.resolve().as_uri()}?mode=ro",))
        conn.execute("BEGIN")
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        dictionary = bytes(meta.get("dictionary") or b"")
        if meta.get("schema") != SCHEMA_VERSION or not dictionary or "words" not in meta:
            raise IndexUpdateError(f"{path.name}: index schema {meta.get('schema')}")
        if full is not None:
            under = dict(conn.execute("SELECT key, value FROM base.meta").fetchall())
            if (under.get("version"), under.get("built")) != (
                meta["base_version"],
                meta["base_built"],
            ):
                raise IndexUpdateError(f"{full.name} is not the full index the layer is over")
        concepts = _stored_concepts(conn)
        _update_concepts(conn, concepts, changed, base)
        concept_iri = {(c.kind, c.id): iri for iri, c in concepts.items()}
        writer = _Writer(conn, base, concepts, names_table="names")
        writer.resume(dictionary, conn.execute("SELECT code, facet, value FROM facet_values"))
        facet_of = {code: pair for pair, code in writer.codes.items()}
        known_codes = set(facet_of)

        removed = _Removal(facet_of, concept_iri)
        numbers: dict[str, int] = {}
        # A changed method's rows: in the index (or layer), else (in a layer) the full
        # index's, unless an earlier layer hid them already.
        lookups = [("methods WHERE", False)]
        if full is not None:
            lookups.append(("base.methods WHERE rowid NOT IN (SELECT rowid FROM hidden) AND", True))
        for iri in sorted(methods):
            for source, hide in lookups:
                found = conn.execute(
                    f"SELECT rowid, codes, doc FROM {source} id = ?",
                    (short_id(iri, base, "method"),),
                ).fetchone()
                if found is not None:
                    rid, codes, blob = found
                    numbers[iri] = rid
                    _take_out(conn, rid, codes, unpack(blob, dictionary), removed, hide=hide)
                    break

        conn.executemany(
            "DELETE FROM person_names WHERE person = ?", [(iri,) for iri in sorted(methods)]
        )
        if full is not None:
            conn.executemany(
                "INSERT OR IGNORE INTO hidden_people VALUES (?)",
                [(iri,) for iri in sorted(methods)],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO changed VALUES (?, ?)",
                [*((iri, 0) for iri in sorted(methods)),
                 *((iri, 1) for iri in sorted(changed.concepts))],
            )  # fmt: skip
        rows_of: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        is_method: set[str] = set()
        people: set[tuple[str, str]] = set()
        for row in documents:
            iri, kind, value, lang = row[0], row[1], row[2], row[-1]
            if iri not in methods:
                continue
            if kind == "method":
                is_method.add(iri)
            elif kind == "person" and value:
                people.add((match_key(value), iri))
            elif value and (kind in _KIND_NUMBER or kind in MATCHED_KINDS):
                rows_of[iri].append((kind, lang, value))
        conn.executemany("INSERT OR IGNORE INTO person_names VALUES (?, ?)", sorted(people))
        # After every changed method kept its number (the highest may be among them).
        last = max([conn.execute("SELECT max(rowid) FROM methods").fetchone()[0] or 0,
                    *numbers.values()])  # fmt: skip
        if full is not None:
            last = max(last, conn.execute("SELECT max(rowid) FROM base.methods").fetchone()[0] or 0)
        following = last + 1
        added: list[int] = []
        for iri in sorted(is_method):
            rid = numbers.get(iri)
            if rid is None:
                rid, following = following, following + 1
            rows = sorted(rows_of.get(iri, []))
            conn.executemany(
                "INSERT OR IGNORE INTO match_names VALUES (?, ?)",
                sorted({(match_key(v), rid) for kind, _, v in rows if kind in MATCHED_KINDS}),
            )
            writer.add(
                rid,
                short_id(iri, base, "method"),
                iri,
                iter([(rid, _KIND_NUMBER[k], lang, v) for k, lang, v in rows if k in _KIND_NUMBER]),
            )
            added.append(rid)
        writer.flush()
        _update_counts(conn, writer, removed, known_codes, concept_iri, int(meta["words"]))
        grams: Counter[tuple[str, int]] = Counter()
        for start in range(0, len(added), 500):
            for labels, aliases, other, codes in conn.execute(
                "SELECT t.labels, t.aliases, t.other, m.codes FROM texts t JOIN methods m "
                "ON m.rowid = t.rowid WHERE t.rowid IN (SELECT value FROM json_each(?))",
                (json.dumps(added[start : start + 500]),),
            ):
                indexed = [t + "\n" if t else t for t in (labels, aliases, other)]
                grams.update(_grams_of(indexed, codes.replace(" ", "")))
        grams.subtract(removed.grams)
        _update_grams(conn, grams)
        count = conn.execute("SELECT count(*) FROM methods").fetchone()[0]
        if full is not None:
            hidden = conn.execute("SELECT count(*) FROM hidden").fetchone()[0]
            count += int(meta["base_methods"]) - hidden
        conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("version", version), ("methods", str(count)),
             ("built", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
             ("updated", json.dumps({"from": meta.get("version"), "methods": len(methods),
                                     "concepts": len(changed.concepts)}))],
        )  # fmt: skip
        conn.execute("COMMIT")
    finally:
        conn.close()
    return int(count)


def _update_counts(
    conn: sqlite3.Connection,
    writer: _Writer,
    removed: _Removal,
    known_codes: set[str],
    concept_iri: dict[tuple[str, str], str],
    words: int,
) -> None:
    """Facet codes, words, vocabulary and the concepts' method counts after the change."""
    conn.executemany(
        "INSERT INTO facet_values VALUES (?, ?, ?)",
        sorted((code, *pair) for pair, code in writer.codes.items() if code not in known_codes),
    )
    new_words = sorted(writer.words_seen)
    conn.executemany(
        "INSERT INTO fts_words(rowid, word) VALUES (?, ?)", enumerate(new_words, words + 1)
    )
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('words', ?)", (str(words + len(new_words)),))
    for word in sorted(set(writer.vocab) | set(removed.vocab)):
        change = writer.vocab[word] - removed.vocab[word]
        if not change:
            continue
        found = conn.execute("SELECT freq FROM vocab WHERE word = ?", (word,)).fetchone()
        freq = (found[0] if found else 0) + change
        if freq > 0 and found:
            conn.execute("UPDATE vocab SET freq = ? WHERE word = ?", (freq, word))
        elif freq > 0:
            conn.execute("INSERT INTO vocab VALUES (?, ?)", (word, freq))
            conn.executemany(
                "INSERT INTO vocab_del VALUES (?, ?)", [(d, word) for d in sorted(edits1(word))]
            )
        elif found:
            conn.execute("DELETE FROM vocab WHERE word = ?", (word,))
            conn.executemany(
                "DELETE FROM vocab_del WHERE del = ? AND word = ?",
                [(d, word) for d in sorted(edits1(word))],
            )
    direct = Counter(writer.direct)
    direct.subtract(removed.direct)
    totals = Counter(writer.totals)
    totals.subtract(removed.totals)
    changes: Counter[tuple[str, str]] = Counter()
    for iri, change in direct.items():
        changes[(iri, "direct")] += change
    for pair, change in totals.items():
        concept = concept_iri.get(pair)
        if concept is not None:
            changes[(concept, "total")] += change
    for (iri, column), change in sorted(changes.items()):
        if change:
            conn.execute(
                f"UPDATE concepts SET {column} = {column} + ? WHERE iri = ?", (change, iri)
            )


def _update_grams(conn: sqlite3.Connection, changes: Counter[tuple[str, int]]) -> None:
    """Add the changes of each trigram's numbers of methods in both FTS tables."""
    for gram in sorted({g for (g, _), change in changes.items() if change}):
        found = conn.execute("SELECT names, texts FROM grams WHERE gram = ?", (gram,)).fetchone()
        names, texts = found or (0, 0)
        names += changes[(gram, 0)]
        texts += changes[(gram, 1)]
        if texts > 0:
            conn.execute("INSERT OR REPLACE INTO grams VALUES (?, ?, ?)", (gram, names, texts))
        elif found:
            conn.execute("DELETE FROM grams WHERE gram = ?", (gram,))
