"""Finding the methods that match a query, best first (``SearchIndex.candidates``).

The FTS indexes only propose candidates: an AND of a few rare trigrams of the words of three
or more characters (their counts are in ``grams``: the rarest, and another word's rarest
when what it saves in confirming exceeds the cost of walking its list), confirmed by
``instr`` on the methods' normalised texts in the same statement. Words of one or two
characters are found by the trigrams that start them (a word break, then the word:
``" tl"``, ``"-tl"``, …; Japanese and Chinese anywhere), which needs no confirmation.
Facet filters are one more AND term each (their codes). Exact labels and aliases, and
their beginnings, have name keys (a B-tree, in index order).

When the trigram counts promise few candidates, one statement fetches the first
``cap + 1`` methods in index order (shortest label first) matching every word anywhere,
each with its tier worked out in SQL; when there are no more, that is the whole answer.
Otherwise (or when there are more) each tier is asked for its own first methods, best tier
first, until ``cap + 1`` are known: common words fill the best tiers after a few rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kg.search.schema import ALIAS, HEADS, LABEL, TIERS, head_key, name_key
from kg.search.text import MIN_INDEXED, WORD_BREAKS, is_cjk, trigrams

MAX_CHAR = "\U0010ffff"
RAREST = 3
"""Trigrams that the FTS expression asks for (the rarest ones)."""
COMMONER = 4
"""How much commoner than the rarest trigram another of the same word may be and still be
asked for (each costs a walk through its list of methods)."""
CONFIRM_COST = 50
"""Confirming a candidate costs about as much as walking this many entries of a list."""
PREFIX_RAREST = 2
"""Trigrams of the whole query beside the one that starts a label (a common first letter
pair starts many labels)."""
HEAD_SLACK = 4
"""Characters a query may go on past the beginning of a name key and still be looked up by
that key whatever the number of names that share it."""
MANY_NAMES = 2000
"""Names sharing a key beyond which a much longer query is looked up by its trigrams."""
MAX_ALTERNATIVES = 5000
"""Most trigrams a short word expands to (beyond: it matches nothing, rather than slowly)."""
_COLUMNS = {
    "label": ("labels",),
    "alias": ("aliases",),
    "names": ("labels", "aliases"),
    "text": ("labels", "aliases", "other"),
}
_TABLES = {"label": "fts_names", "alias": "fts_names", "names": "fts_names", "text": "fts_text"}
_RANK = {tier: number for number, tier in enumerate(TIERS)}


@dataclass(frozen=True)
class Candidates:
    """Matching methods (rowids) with their tier, best first, at most ``cap``."""

    hits: list[tuple[int, str]]
    complete: bool
    """False when the time budget ran out before every tier was asked."""
    capped: bool
    """True when there are more matches than ``cap``."""


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class _Sql:
    """A statement under construction: text and its parameters, in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[object] = []

    def add(self, text: str, *args: object) -> _Sql:
        self.parts.append(text)
        self.args.extend(args)
        return self

    @property
    def text(self) -> str:
        return " ".join(self.parts)


class Matcher:
    """One query (normalised words and facet codes) against one connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        terms: list[str],
        codes: Sequence[str],
        methods: int,
        *,
        hidden: bool = False,
    ):
        self.conn = conn
        self.hidden = hidden
        """The connection is to the full index under a layer, attached as ``layer``: the rows
        it hides (``layer.hidden``) are no match."""
        self.methods = max(1, methods)
        self.terms = terms
        self.long = [t for t in terms if len(t) >= MIN_INDEXED]
        self.short = [t for t in terms if len(t) < MIN_INDEXED]
        self.joined = " ".join(terms)
        self.codes = list(codes)
        wanted = {g for t in [*self.long, self.joined] for g in trigrams(t)} | set(self.codes)
        if len(self.joined) >= 2:
            wanted.add("\n" + self.joined[:2])
        for term in self.short:
            if len(term) == 2 and not is_cjk(term):
                wanted.update(b + term for b in WORD_BREAKS)
        self.freq = self._frequencies(wanted)
        self._known: str | None = None

    def _frequencies(self, grams: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(methods in fts_names, in fts_text) of each trigram that occurs anywhere."""
        rows = self.conn.execute(
            "SELECT gram, names, texts FROM grams WHERE gram IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(grams), ensure_ascii=False),),
        )
        return {gram: (names, texts) for gram, names, texts in rows}

    def _in_names(self, gram: str) -> bool:
        return self.freq.get(gram, (0, 0))[0] > 0

    def _range(self, start: str) -> list[str]:
        """The trigrams of labels and aliases that start with ``start``."""
        rows = self.conn.execute(
            "SELECT gram FROM grams WHERE gram >= ? AND gram < ? AND names > 0 LIMIT ?",
            (start, start + MAX_CHAR, MAX_ALTERNATIVES + 1),
        )
        return [gram for (gram,) in rows]

    # --- FTS expressions ---

    def rarest(self, text: str, scope: str, count: int) -> str | None:
        """An AND of the rarest trigrams of ``text`` in the FTS table of ``scope`` (None:
        some trigram is nowhere)."""
        return self._and(self._choose([text], scope, count))

    def _choose(self, words: Sequence[str], scope: str, count: int) -> list[str] | None:
        """The trigrams worth asking the FTS index for, to find the methods holding every
        word: the rarest one; more of its word while at most COMMONER times as common (the
        trigrams of a Thai or Japanese fragment, or of a number, cut each other's
        candidates); the rarest of another word while what it saves in confirming exceeds
        the cost of walking its list (words counted as independent)."""
        column = 1 if _TABLES[scope] == "fts_text" else 0
        per_word: list[list[tuple[int, str]]] = []
        for word in words:
            counted = sorted((self.freq.get(g, (0, 0))[column], g) for g in trigrams(word))
            if counted and counted[0][0] == 0:
                return None  # this word is in no text of the scope
            if counted:
                per_word.append(counted)
        if not per_word:
            return []
        per_word.sort()
        first = per_word[0]
        chosen = [g for f, g in first[:count] if f <= COMMONER * first[0][0]]
        candidates = float(first[0][0])
        for counted in per_word[1:]:
            found, gram = counted[0]
            if candidates * (1 - found / self.methods) * CONFIRM_COST > found:
                chosen.append(gram)
                candidates *= found / self.methods
        return sorted(set(chosen))

    @staticmethod
    def _and(grams: list[str] | None) -> str | None:
        if grams is None:
            return None
        return "(" + " AND ".join(quote(g) for g in grams) + ")" if grams else ""

    def starts(self, term: str) -> str | None:
        """An OR of the trigrams that start ``term`` where it starts a word (Japanese and
        Chinese: anywhere)."""
        if is_cjk(term):
            alternatives = self._range(term)
        elif len(term) == 2:
            alternatives = [b + term for b in WORD_BREAKS if self._in_names(b + term)]
        else:
            alternatives = [g for b in WORD_BREAKS for g in self._range(b + term)]
        if not alternatives or len(alternatives) > MAX_ALTERNATIVES:
            return None
        return "(" + " OR ".join(quote(g) for g in alternatives) + ")"

    def line_start(self) -> str | None:
        """The trigrams of a label or alias that starts with the whole query."""
        if len(self.joined) >= 2:
            first = "\n" + self.joined[:2]
            return quote(first) if self._in_names(first) else None
        alternatives = self._range("\n" + self.joined)
        if not alternatives or len(alternatives) > MAX_ALTERNATIVES:
            return None
        return "(" + " OR ".join(quote(g) for g in alternatives) + ")"

    def expression(self, scope: str, parts: Sequence[str | None]) -> str | None:
        if any(p is None for p in parts):
            return None
        body = " AND ".join(p for p in parts if p)
        if not body:
            return None
        columns = "" if scope in ("text", "names") else "{" + " ".join(_COLUMNS[scope]) + "} : "
        filters = "".join(f" AND {quote(code)}" for code in self.codes)
        return f"{columns}({body}){filters}"

    def word_parts(self, scope: str) -> list[str | None]:
        """The words' part of the expression: the rarest trigrams of the long words
        (those of a word the others rule out need not be asked: confirming checks every
        word), or, when every word is short, the trigrams that start each word."""
        if self.long:
            return [self._and(self._choose(self.long, scope, RAREST))]
        return [self.starts(t) for t in self.short]

    # --- confirming in SQL ---

    def confirm(self, sql: _Sql, columns: Sequence[str], terms: Sequence[str]) -> None:
        """Every term occurs in one of ``columns`` of ``texts`` (alias ``t``)."""
        for term in terms:
            sql.add("AND (" + " OR ".join(f"instr(t.{c}, ?) > 0" for c in columns) + ")")
            sql.args.extend([term] * len(columns))

    def _all_in(self, column: str) -> tuple[str, list[object]]:
        return " AND ".join(f"instr(t.{column}, ?) > 0" for _ in self.terms), list(self.terms)

    # --- planning ---

    def absent(self) -> bool:
        """Some long word is part of no word of any text (a misspelling, mostly): nothing
        matches, and no FTS list need be walked to find that out."""
        for term in self.long:
            found = self.conn.execute(
                "SELECT 1 FROM fts_words WHERE fts_words MATCH ? LIMIT 1", (quote(term),)
            ).fetchone()
            if found is None:
                return True
        return False

    def estimate(self, scope: str) -> float:
        """At most how many candidates an FTS statement of ``scope`` proposes (filters
        counted as independent of the words)."""
        column = 1 if _TABLES[scope] == "fts_text" else 0
        # The trigrams of a word go together; different words and filters are counted as
        # independent.
        estimate = float(self.methods)
        for term in self.long:
            found = min(self.freq.get(g, (0, 0))[column] for g in trigrams(term))
            estimate *= found / self.methods
        for code in self.codes:
            estimate *= self.freq.get(code, (0, 0))[column] / self.methods
        return estimate

    # --- every match of a scope, tiers worked out in SQL ---

    def classified(self, scope: str, limit: int | None) -> list[tuple[int, str]]:
        """The first ``limit`` (None: all) matches of ``scope`` ("text" for every word
        anywhere, "names" for every word in a label or every word in an alias) with their
        tiers, in index order. Needs a long word."""
        expression = self.expression(scope, self.word_parts(scope))
        if expression is None:
            return []
        exact, prefix = f"\n{self.joined}\n", f"\n{self.joined}"
        in_labels, label_args = self._all_in("labels")
        in_aliases, alias_args = self._all_in("aliases")
        sql = _Sql().add(
            "SELECT f.rowid, CASE WHEN instr(t.labels, ?) > 0 THEN 0"
            " WHEN instr(t.labels, ?) > 0 THEN 1"
            f" WHEN {in_labels} THEN 2"
            " WHEN instr(t.aliases, ?) > 0 THEN 3"
            " WHEN instr(t.aliases, ?) > 0 THEN 4"
            f" WHEN {in_aliases} THEN 5 ELSE 6 END",
            exact, prefix, *label_args, exact, prefix, *alias_args,
        )  # fmt: skip
        table = _TABLES[scope]
        sql.add(f"FROM {table} f JOIN texts t ON t.rowid = f.rowid WHERE {table} MATCH ?")
        sql.args.append(expression)
        self._unhidden(sql, "f.rowid")
        if scope == "text":
            self.confirm(sql, _COLUMNS["text"], self.terms)
        else:
            sql.add(f"AND (({in_labels}) OR ({in_aliases}))", *label_args, *alias_args)
        sql.add("ORDER BY f.rowid")
        if limit is not None:
            sql.add("LIMIT ?", limit)
        return [(rid, TIERS[tier]) for rid, tier in self.conn.execute(sql.text, sql.args)]

    # --- one tier ---

    def tier(
        self,
        tier: str,
        after: int,
        concept_codes: Sequence[str] = (),
        known: Sequence[int] = (),
    ) -> Iterable[int]:
        """Methods of ``tier`` with a rowid above ``after``, in index order (rows of a
        better tier included, but none of ``known``: they need no confirming)."""
        self._known = json.dumps(list(known)) if known else None
        if tier in ("exact", "alias-exact"):
            return self._exact(LABEL if tier == "exact" else ALIAS, after)
        if tier == "concept":
            if not concept_codes:
                return []
            either = "(" + " OR ".join(quote(c) for c in concept_codes) + ")"
            filters = "".join(f" AND {quote(code)}" for code in self.codes)
            return self._fts("names", either + filters, _Sql(), after)
        if tier in ("prefix", "alias-prefix"):
            kind = LABEL if tier == "prefix" else ALIAS
            head = max((h for h in HEADS if h <= len(self.joined)), default=0)
            if head and (len(self.joined) >= HEADS[1] or not self.codes):
                key = head_key(kind, self.joined[:head])
                # A query much longer than the beginning its key stands for may share that
                # beginning with many names that go on otherwise ("conditional " of
                # "conditional survival"): then the trigrams of the whole query do better.
                if len(self.joined) - head <= HEAD_SLACK or self._few(key):
                    return self._names(kind, key, after, False)
            column = "labels" if tier == "prefix" else "aliases"
            scope = "label" if tier == "prefix" else "alias"
            expression = self.expression(
                scope, [self.line_start(), self.rarest(self.joined, scope, PREFIX_RAREST)]
            )
            check = _Sql().add(f"AND instr(t.{column}, ?) > 0", "\n" + self.joined)
            return self._fts(scope, expression, check, after)
        scope = {"label": "label", "alias": "alias", "text": "text"}[tier]
        if not self.long:
            scope = "names" if scope == "text" else scope
        expression = self.expression(scope, self.word_parts(scope))
        check = _Sql()
        if self.long:
            self.confirm(check, _COLUMNS[scope], self.terms)
        return self._fts(scope, expression, check, after)

    def _fts(self, scope: str, expression: str | None, check: _Sql, after: int) -> Iterable[int]:
        if expression is None:
            return []
        table = _TABLES[scope]
        join = "JOIN texts t ON t.rowid = f.rowid " if check.parts else ""
        sql = _Sql().add(f"SELECT f.rowid FROM {table} f {join}WHERE {table} MATCH ?", expression)
        sql.add("AND f.rowid > ?", after)
        self._unhidden(sql, "f.rowid")
        if self._known is not None:
            sql.add("AND f.rowid NOT IN (SELECT value FROM json_each(?))", self._known)
        sql.add(check.text, *check.args).add("ORDER BY f.rowid")
        return (rid for (rid,) in self.conn.execute(sql.text, sql.args))

    def _unhidden(self, sql: _Sql, rowid: str) -> None:
        if self.hidden:
            sql.add(f"AND {rowid} NOT IN layer.hidden")

    def _few(self, key: int) -> bool:
        """At most MANY_NAMES names have the key."""
        rows = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM names WHERE key = ? LIMIT ?)", (key, MANY_NAMES)
        )
        return bool(rows.fetchone()[0] < MANY_NAMES)

    def _exact(self, kind: int, after: int) -> Iterable[int]:
        return self._names(kind, name_key(kind, self.joined), after, True)

    def _names(self, kind: int, key: int, after: int, exact: bool) -> Iterable[int]:
        """Methods with the name key ``key``, confirmed to have a label (or alias) that is
        (or starts with) the query."""
        column = "labels" if kind == LABEL else "aliases"
        sql = _Sql().add(
            "SELECT n.method FROM names n JOIN texts t ON t.rowid = n.method",
        )
        if self.codes:
            sql.add("JOIN methods m ON m.rowid = n.method")
        sql.add(
            f"WHERE n.key = ? AND n.method > ? AND instr(t.{column}, ?) > 0",
            key, after, f"\n{self.joined}\n" if exact else f"\n{self.joined}",
        )  # fmt: skip
        self._unhidden(sql, "n.method")
        if self._known is not None:
            sql.add("AND n.method NOT IN (SELECT value FROM json_each(?))", self._known)
        for code in self.codes:
            sql.add("AND instr(m.codes, ?) > 0", code)
        sql.add("ORDER BY n.method")
        return (rid for (rid,) in self.conn.execute(sql.text, sql.args))

    def filtered(self, cap: int) -> list[int]:
        """Without words: the methods of every filter, in index order."""
        expression = " AND ".join(quote(code) for code in self.codes)
        sql = _Sql().add("SELECT rowid FROM fts_names WHERE fts_names MATCH ?", expression)
        self._unhidden(sql, "rowid")
        sql.add("ORDER BY rowid LIMIT ?", cap + 1)
        return [rid for (rid,) in self.conn.execute(sql.text, sql.args)]


def rank(hits: dict[int, str]) -> list[tuple[int, str]]:
    """Hits in tier order; within a tier in the order they were found (index order)."""
    ordered = list(hits.items())
    ordered.sort(key=lambda item: _RANK.get(item[1], len(_RANK)))
    return ordered
