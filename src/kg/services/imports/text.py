"""Text helpers shared by the importers: slugs, scripts, years, citations, hashing."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from kg.search.schema import match_key

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    """The form names are matched in: NFKC, case-folded, dashes unified, spaces collapsed
    (the search index keeps every method name in this form too)."""
    return match_key(name)


def slugify(text: str, *, max_length: int = 60) -> str:
    """Lower-case ASCII ``[a-z0-9-]+`` from ``text`` (accents folded); '' when nothing is left."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub("-", folded.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-")


def canonical_decimal(value: Decimal) -> str:
    """The canonical lexical form of an ``xsd:decimal`` (XSD 1.1), the form the store keeps:
    no exponent, no leading zeros before the point but one, no trailing zeros after it, and
    no point at all for a whole number (``"675000000"``, ``"2.5"``, ``"0.25"``). Written so,
    a re-import states the very term the store holds, and every serialization agrees."""
    if not value.is_finite():
        raise ValueError(f"not a decimal: {value}")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def short_hash(*parts: str, length: int = 10) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def scripts_of(text: str) -> set[str]:
    """The scripts of the letters in ``text``, named by the first word of their Unicode name
    (``LATIN``, ``THAI``, ``CJK``, ``HIRAGANA``, ``KATAKANA``, ``CYRILLIC``, …)."""
    found: set[str] = set()
    for char in text:
        if not unicodedata.category(char).startswith("L"):
            continue
        name = unicodedata.name(char, "")
        if name:
            found.add(name.split(" ", 1)[0])
    return found


def language_scripts(samples: Mapping[str, Iterable[str]], fallback: str) -> dict[str, set[str]]:
    """For each language, the scripts that set its text apart from the fallback language's.

    Learnt from labels in that language (the ontology's and the store's), so no language is
    hard-coded: Thai labels are written in THAI letters, Japanese ones in CJK, HIRAGANA and
    KATAKANA; Latin letters in a Japanese label ("arXiv 識別子") are not Japanese.
    """
    seen = {lang: set().union(*(scripts_of(s) for s in texts)) for lang, texts in samples.items()}
    base = seen.get(fallback, set()) | {"LATIN"}
    result: dict[str, set[str]] = {}
    for lang, scripts in seen.items():
        result[lang] = set(scripts) if lang == fallback else scripts - base
    return result


# --- year ranges -----------------------------------------------------------------------------

_YEAR_RANGE = re.compile(r"^(?P<start>\d{1,4})(?:\s*[-‐‑‒–—]\s*(?P<end>\d{1,4}))?$")


class ValueProblem(ValueError):
    """A cell or field does not hold what its row or column promises; the text says why."""


def parse_year_range(text: str) -> tuple[int, int]:
    """``2020–2023`` (en dash), ``2020-2023`` (hyphen), ``2020`` (a single year)."""
    match = _YEAR_RANGE.match(text.strip())
    if not match:
        raise ValueProblem(
            f"not a year or year range: {text[:80]!r} (expected e.g. 2020–2023 or 2020)"
        )
    start = int(match["start"])
    end = int(match["end"]) if match["end"] else start
    if start > end:
        raise ValueProblem(f"the year range {text!r} starts after it ends")
    return start, end


def gyear(year: int) -> str:
    return f"{year:04d}" if year >= 0 else f"-{-year:04d}"


# --- citations -------------------------------------------------------------------------------

LINK_MARKERS = {"link ↗": "link", "DOI ↗": "doi"}
_CITATION = re.compile(
    r"^(?P<authors>.+?)\s*\((?P<year>\d{4})[a-z]?\)\.\s*(?P<title>.+?[.?!])(?:\s+(?P<rest>.*))?$"
)
_AUTHOR = re.compile(r"(?P<family>[^,&]+?),\s*(?P<initials>(?:[A-Z][a-z]?\.(?:\s*-?\s*)?)+)")
_PAGES = re.compile(r"^(?:pp?\.\s*)?\d+\s*[-–]\s*\d+$|^\d+$")
_VOLUME = re.compile(r"^(?P<volume>\d+)(?:\s*\((?P<issue>[^)]+)\))?$")


@dataclass(frozen=True)
class Citation:
    """A formatted citation as a page shows it, and what can be read from it."""

    text: str
    authors: tuple[str, ...]
    year: int
    title: str
    venue: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    link_kind: str | None


def split_link_marker(text: str) -> tuple[str, str | None]:
    """The citation without its trailing ``link ↗`` / ``DOI ↗``, and which marker it had."""
    stripped = text.strip()
    for marker, kind in LINK_MARKERS.items():
        if stripped.endswith(marker):
            return stripped[: -len(marker)].rstrip(), kind
    return stripped, None


def parse_citation(cell: str) -> Citation:
    """An APA-like citation: ``Authors (Year). Title. Venue, volume(issue), pages.``"""
    text, link_kind = split_link_marker(cell)
    match = _CITATION.match(text)
    if not match:
        raise ValueProblem(
            f"cannot read the citation {text[:80]!r} "
            "(expected 'Authors (Year). Title. Venue, volume, pages.')"
        )
    authors = tuple(
        f"{m['family'].strip()}, {_SPACES.sub(' ', m['initials'].strip())}"
        for m in _AUTHOR.finditer(match["authors"].replace("&", ","))
    )
    if not authors:
        authors = tuple(a.strip() for a in re.split(r",|&| and ", match["authors"]) if a.strip())
    title = match["title"].strip()
    if title.endswith("."):
        title = title[:-1].rstrip()
    venue = volume = issue = pages = None
    rest = (match["rest"] or "").strip().rstrip(".").strip()
    if rest:
        parts = [p.strip() for p in rest.split(",")]
        if len(parts) > 1 and _PAGES.match(parts[-1]):
            pages = parts.pop()
        if len(parts) > 1 and (volume_match := _VOLUME.match(parts[-1])):
            parts.pop()
            volume, issue = volume_match["volume"], volume_match["issue"]
        venue = ", ".join(parts) or None
    return Citation(
        text=text,
        authors=authors,
        year=int(match["year"]),
        title=title,
        venue=venue,
        volume=volume,
        issue=issue,
        pages=pages,
        link_kind=link_kind,
    )
