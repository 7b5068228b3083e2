"""What the index builder and its readers agree on: tables, facet codes, name keys and the
compressed documents.

One SQLite file per store snapshot, never changed once it is in place: a full build writes
it from the store; an update (``kg.search.update``) writes a layer over the last full index
(the rows of what changed since, ``LAYER_SCHEMA``'s tables naming the full index's rows they
hide, whole copies of the small tables) or, past a number of changes, a copy of the full
index changed. Tables:

``methods``      one row per method: rowid (the order of labels, shortest first), id, the
                 codes of its facet values (space-separated), and its document (every
                 original text, what results show and highlight) as zlib-compressed JSON
                 with a dictionary kept in ``meta``
``texts``        the normalised texts of each method (``labels``, ``aliases``, ``other``:
                 summary, attribution, type, originator names, source title), one text a
                 line, each column starting and ending with a line break: what every
                 match is checked against
``fts_names``    FTS5, trigram tokenizer, contentless, ``detail=column``: labels, aliases
                 and the facet codes (the label and alias tiers, short words, filters)
``fts_text``     the same with the other texts too, ``detail=none`` (every word anywhere);
                 both only propose candidates (an AND of the rarest trigram of each
                 word), ``texts`` confirms them
``fts_words``    every distinct word (run without spaces) of every text, trigram index with
                 positions: a query word that is part of none matches nothing (found
                 without walking the lists of ``fts_text``)
``grams``        every trigram with its number of methods in ``fts_names`` and in
                 ``fts_text`` (to pick each word's rarest trigrams, and the trigrams that
                 start a short word)
``names``        a 64-bit key of every label (kind 0) and alias (kind 1) phrase and of its
                 first 3, 6, 12 and 24 characters: exact and prefix matches through a B-tree,
                 in index order
``facet_values`` (code, facet, value): field and family (a method has the codes of its
                 concepts and of every broader one), type, decade
``concepts``     every field and family: labels in every language, broader concepts,
                 number of methods (directly and with the narrower concepts)
``vocab``        Latin words of labels and aliases with their frequency, and ``vocab_del``
                 their one-deletion neighbours (spelling correction)
``match_names``  every label, alias (skos:altLabel: alias-list members and synonyms) and
                 hidden label of every method in the form importers
                 compare names in (``kg.services.imports.text.normalise``) with the method's
                 rowid: an import finds the stored methods its records may name without
                 reading every name of the catalogue (and confirms them in the store)
``person_names`` every ``foaf:name`` of every ``kg:Person`` in the importers' form, with the
                 person's IRI: an import finds the people its records name without the
                 engine comparing every name (and confirms them in the store)
``listing``      every method with an English label, with the keys the method lists sort
                 and page by (``page-methods.rq``'s ``?key``: the lower-cased English label
                 and the IRI, after the zero-padded shifted start year for the oldest and
                 newest first orders, or the largest paper count counted down for the most
                 used first), each with a B-tree: a page of any size of catalogue is one
                 range read
``meta``         the store snapshot the index was built for, build time, counts (methods,
                 ``fts_words`` rows), the documents' compression dictionary, and after an
                 update ``updated``: the snapshot it was made from, methods and concepts
                 re-indexed

Three more B-trees serve updates: ``methods(id)`` (a changed method's rows),
``match_names(method)`` (its names' keys) and ``person_names(person)``.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from typing import Any

SCHEMA_VERSION = "10"
FACETS = ("field", "family", "type", "decade")
TEXT_KINDS = ("summary", "attribution", "type", "originator", "source")
TIERS = ("exact", "prefix", "label", "alias-exact", "alias-prefix", "alias", "text", "concept")
"""Ranking, best first: exact label, label prefix, all words in a label, exact alias, alias
prefix, all words in an alias, all words anywhere (labels, aliases, other texts), and the
methods of a field or family whose label holds all words."""
SUGGEST_TIERS = ("exact", "prefix", "label", "alias-exact", "alias-prefix", "alias")
LABEL, ALIAS = 0, 1
"""The kinds of names."""

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE methods(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, codes TEXT NOT NULL,
    doc BLOB NOT NULL);
CREATE TABLE texts(rowid INTEGER PRIMARY KEY, labels TEXT NOT NULL, aliases TEXT NOT NULL,
    other TEXT NOT NULL);
CREATE VIRTUAL TABLE fts_names USING fts5(labels, aliases, codes, content = '',
    columnsize = 0, detail = 'column', tokenize = 'trigram case_sensitive 1');
CREATE VIRTUAL TABLE fts_text USING fts5(labels, aliases, other, codes, content = '',
    columnsize = 0, detail = 'none', tokenize = 'trigram case_sensitive 1');
CREATE VIRTUAL TABLE fts_words USING fts5(word, content = '', columnsize = 0,
    detail = 'full', tokenize = 'trigram case_sensitive 1');
CREATE TABLE grams(gram TEXT PRIMARY KEY, names INTEGER NOT NULL, texts INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE names(key INTEGER NOT NULL, method INTEGER NOT NULL,
    PRIMARY KEY (key, method)) WITHOUT ROWID;
CREATE TABLE match_names(key TEXT NOT NULL, method INTEGER NOT NULL,
    PRIMARY KEY (key, method)) WITHOUT ROWID;
CREATE TABLE person_names(key TEXT NOT NULL, person TEXT NOT NULL,
    PRIMARY KEY (key, person)) WITHOUT ROWID;
CREATE TABLE facet_values(code TEXT PRIMARY KEY, facet TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE concepts(iri TEXT PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL,
    labels TEXT NOT NULL, broader TEXT NOT NULL, direct INTEGER NOT NULL,
    total INTEGER NOT NULL);
CREATE TABLE listing(method INTEGER PRIMARY KEY, by_name TEXT NOT NULL,
    by_year TEXT NOT NULL, by_newest TEXT NOT NULL, by_usage TEXT NOT NULL);
CREATE TABLE vocab(word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE vocab_del(del TEXT NOT NULL, word TEXT NOT NULL);
"""

INDEXES = (
    "CREATE INDEX vocab_del_del ON vocab_del(del)",
    "CREATE INDEX methods_id ON methods(id)",
    "CREATE INDEX match_names_method ON match_names(method)",
    "CREATE INDEX person_names_person ON person_names(person)",
    "CREATE INDEX listing_by_name ON listing(by_name)",
    "CREATE INDEX listing_by_year ON listing(by_year)",
    "CREATE INDEX listing_by_newest ON listing(by_newest)",
    "CREATE INDEX listing_by_usage ON listing(by_usage)",
)
"""The B-trees a full build makes once its tables are written (a layer, at once)."""

LAYER_SCHEMA = """
CREATE TABLE hidden(rowid INTEGER PRIMARY KEY);
CREATE TABLE hidden_people(person TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE changed(iri TEXT PRIMARY KEY, concept INTEGER NOT NULL) WITHOUT ROWID;
"""
"""A layer's own tables: the rowids of the full index's methods it replaces or removes, the
people whose names it replaces, and every method, person (0) and concept (1) changed since
the full index."""

# --- facet codes ---------------------------------------------------------------------------
#
# A facet value's code is three private-use characters, so exactly one trigram of the FTS
# index, whose methods are exactly the value's: a filter is one more AND term. The first
# character says the facet and comes from a range the other two never use, so the trigrams
# that straddle two codes of a method never equal a code.

_KIND_BASE = 0xE000
_DIGIT_BASE = 0xE010
_DIGITS = 0x1800
MAX_CODES = _DIGITS * _DIGITS


def facet_code(facet: str, number: int) -> str:
    """The code of the ``number``-th value of ``facet``."""
    if number >= MAX_CODES:
        raise ValueError(f"more than {MAX_CODES} values of the facet {facet}")
    high, low = divmod(number, _DIGITS)
    return chr(_KIND_BASE + FACETS.index(facet)) + chr(_DIGIT_BASE + high) + chr(_DIGIT_BASE + low)


# --- names -----------------------------------------------------------------------------------


HEADS = (3, 6, 12, 24)
"""Lengths of the beginnings of labels and aliases that have a name key too (prefixes)."""


def _key(text: str) -> int:
    """CRC-32 and Adler-32 side by side: cheap, stable across processes, and what a key
    finds is confirmed anyway (a collision costs one more row read)."""
    data = text.encode()
    key = zlib.crc32(data) << 32 | zlib.adler32(data)
    return key - (1 << 64) if key >= 1 << 63 else key


def name_key(kind: int, phrase: str) -> int:
    """A signed 64-bit key of a label (kind 0) or alias (kind 1) phrase; matches found by
    it are confirmed against ``texts``."""
    return _key(f"{kind}\x1f{phrase}")


def head_key(kind: int, head: str) -> int:
    """The key of the first ``len(head)`` characters (one of ``HEADS``) of a phrase."""
    return _key(f"{kind}\x1e{len(head)}\x1f{head}")


def name_keys(kind: int, phrase: str) -> list[int]:
    """Every key of a phrase: itself, and its beginnings."""
    return [name_key(kind, phrase)] + [
        head_key(kind, phrase[:h]) for h in HEADS if h <= len(phrase)
    ]


def lines(phrases: list[str]) -> str:
    """A ``texts`` column: one phrase a line, with a line break before the first and after
    the last (so ``\\n<phrase>\\n`` is an exact match, ``\\n<start>`` a prefix)."""
    kept = [p for p in phrases if p]
    return "\n" + "\n".join(kept) + "\n" if kept else ""


_DASHES = re.compile(r"[‐‑‒–—―−]")
_SPACES = re.compile(r"\s+")


def match_key(name: str) -> str:
    """A name in the form importers compare names in (``match_names``): Unicode NFKC,
    case-folded, dashes unified, white space collapsed."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return _SPACES.sub(" ", _DASHES.sub("-", text)).strip()


# --- documents -------------------------------------------------------------------------------

DICTIONARY_BYTES = 8192
"""A larger dictionary compresses a little better and costs much more per document."""


def make_dictionary(samples: list[bytes]) -> bytes:
    """A zlib preset dictionary from sample documents (the strings they share come out
    cheap in every other document)."""
    return b"".join(samples)[-DICTIONARY_BYTES:]


class Packer:
    """Documents to compressed JSON with one dictionary (a primed compressor is copied for
    each document: setting the dictionary costs more than compressing)."""

    def __init__(self, dictionary: bytes) -> None:
        self._primed = zlib.compressobj(6, zdict=dictionary) if dictionary else None

    def __call__(self, doc: dict[str, Any]) -> bytes:
        compressor = self._primed.copy() if self._primed else zlib.compressobj(6)
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        return compressor.compress(data) + compressor.flush()


def unpack(blob: bytes, dictionary: bytes) -> dict[str, Any]:
    decompressor = zlib.decompressobj(zdict=dictionary) if dictionary else zlib.decompressobj()
    data = decompressor.decompress(blob) + decompressor.flush()
    loaded: dict[str, Any] = json.loads(data.decode())
    return loaded


# --- list keys -------------------------------------------------------------------------------

LIST_ORDERS = {"name": "by_name", "year": "by_year", "newest": "by_newest", "usage": "by_usage"}
"""The method lists' orders and the ``listing`` column of each."""


def list_keys(
    iri: str, english_labels: list[str], start: int | None, papers: int | None = None
) -> dict[str, str] | None:
    """The key of a method in each order of the method lists, exactly as ``page-methods.rq``
    makes it (``LCASE`` is ``str.lower``); None for a method without an English label,
    which those lists leave out."""
    if not english_labels:
        return None
    lower = min(label.lower() for label in english_labels)

    def year_key(shifted: int | None) -> str:
        return "999999" if shifted is None else ("000000" + str(shifted))[-6:]

    oldest = year_key(None if start is None else start + 100000)
    newest = year_key(None if start is None else 100000 - start)
    used = "9999999999" if papers is None else ("0000000000" + str(1000000000 - papers))[-10:]
    return {
        "usage": f"{used} {lower} {iri}",
        "name": f"{lower} {iri}",
        "year": f"{oldest} {lower} {iri}",
        "newest": f"{newest} {lower} {iri}",
    }
