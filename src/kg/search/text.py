"""Text for the search index: normalisation, query terms, highlighted fragments.

Normalisation folds case everywhere and strips diacritics from Latin letters (``é`` →
``e``, full-width ``Ａ`` → ``a``) one character for one character, so that a match found
in the normalised text has the same offsets in the original and can be highlighted there.
Thai and Japanese are left alone: their combining marks (Thai vowels and tones, Japanese
voiced marks) are part of the letter, not decoration.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TERMS = 8
MAX_TERM_LENGTH = 64
MIN_INDEXED = 3
"""The trigram index finds substrings of at least three characters."""

_PRIVATE = re.compile("[\ue000-\uf8ff]")
"""Private-use characters: the index codes facet values with them; never in a query."""
_STRIP = "\"'“”‘’«»„,.;:!?()[]{}"
_LATIN_WORD = re.compile(r"[a-z\u00df-\u024f]{4,}")


def _is_latin(cp: int) -> bool:
    return cp < 0x250 or 0x1E00 <= cp < 0x1F00 or 0xFF01 <= cp < 0xFF5F


def _build_table() -> dict[int, int]:
    table: dict[int, int] = {cp: 0x20 for cp in (*range(0x20), 0x7F, 0x85, 0xA0, 0x2028, 0x2029)}
    ranges = (range(0x41, 0x5B), range(0xC0, 0x250), range(0x1E00, 0x1F00), range(0x370, 0x530),
              range(0xFF01, 0xFF5F))  # fmt: skip
    for block in ranges:
        for cp in block:
            char = chr(cp)
            if _is_latin(cp):
                base = "".join(
                    c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
                )
            else:
                base = char
            folded = base.lower()
            if len(folded) != 1:
                folded = char.lower()
            if len(folded) == 1 and folded != char:
                table[cp] = ord(folded)
    for cp in range(0x2010, 0x2016):  # hyphens and dashes
        table[cp] = ord("-")
    table.update({0x2018: ord("'"), 0x2019: ord("'")})
    return table


_TABLE = _build_table()


def normalise(text: str) -> str:
    """Case-folded, Latin diacritics removed; exactly as long as ``text``."""
    return text.translate(_TABLE)


def collapse(text: str) -> str:
    """Normalised, with runs of white space made one space (for exact and prefix matches)."""
    return " ".join(normalise(text).split())


def phrase(normalised: str) -> str:
    """A normalised name as the words of a query compare with it: surrounding punctuation
    of each word removed, one space between words (exact and prefix matches)."""
    return " ".join([w for w in [word.strip(_STRIP) for word in normalised.split()] if w])


WORD_BREAKS = " \n-_/.,;:()[]{}'\"“”‘’«»!?"
"""What separates words in a phrase (``phrase``: white space is one space or a line break)."""
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_ALL_CJK = re.compile(f"[{_CJK_CHARS}]+")


def is_cjk(term: str) -> bool:
    """Japanese or Chinese only: such a short word matches anywhere, not at word starts."""
    return bool(_ALL_CJK.fullmatch(term))


def terms_of(query: str) -> list[str]:
    """The distinct normalised words of a query, surrounding punctuation removed."""
    terms: list[str] = []
    for word in _PRIVATE.sub(" ", normalise(query)).split():
        word = word.strip(_STRIP)[:MAX_TERM_LENGTH]
        if word and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def latin_words(normalised: str) -> list[str]:
    """Words of four or more Latin letters (the vocabulary spelling correction uses)."""
    return _LATIN_WORD.findall(normalised)


def is_latin_word(term: str) -> bool:
    return bool(_LATIN_WORD.fullmatch(term))


def edits1(word: str) -> set[str]:
    """``word`` with one character left out, each way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


@dataclass(frozen=True)
class Fragment:
    """A piece of text; ``match`` pieces are the parts the query found. Plain text: the
    templates escape each piece."""

    text: str
    match: bool


def spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the terms occur in ``text`` (normalised comparison), merged, in order."""
    normal = normalise(text)
    found: list[tuple[int, int]] = []
    for term in terms:
        start = normal.find(term)
        while start >= 0:
            found.append((start, start + len(term)))
            start = normal.find(term, start + len(term))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def terms_found(text: str, terms: list[str]) -> int:
    normal = normalise(text)
    return sum(1 for term in terms if term in normal)


def fragments(text: str, terms: list[str], *, width: int = 160) -> list[Fragment]:
    """``text`` cut into plain and matched pieces; a long text is shortened around its
    first match, with an ellipsis where it was cut."""
    found = spans(text, terms)
    start, end = 0, len(text)
    if len(text) > width:
        first = found[0][0] if found else 0
        start = max(0, first - width // 3)
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if start > 0 and space >= 0 and start - space < 20 else start
        end = min(len(text), start + width)
        space = text.find(" ", end)
        end = space if end < len(text) and 0 <= space - end < 20 else end
    pieces: list[Fragment] = []
    if start > 0:
        pieces.append(Fragment("…", False))
    position = start
    for match_start, match_end in found:
        if match_end <= start or match_start >= end:
            continue
        match_start, match_end = max(match_start, start), min(match_end, end)
        if match_start > position:
            pieces.append(Fragment(text[position:match_start], False))
        pieces.append(Fragment(text[match_start:match_end], True))
        position = match_end
    if position < end:
        pieces.append(Fragment(text[position:end], False))
    if end < len(text):
        pieces.append(Fragment("…", False))
    return pieces


def trigrams(text: str) -> set[str]:
    """The terms SQLite's trigram tokenizer (case sensitive) makes of ``text``."""
    return {text[i : i + 3] for i in range(len(text) - 2)}
