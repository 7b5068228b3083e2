"""Papers with Code "methods" dump (JSON array; ``../shared/data/pwc_methods_2025-03.json``).

Each record: ``{url, name, full_name, description, paper{title,url}, introduced_year,
source_url, source_title, code_snippet_url, num_papers, collections[{collection, area_id,
area}]}``. Mapping:

- ``name`` is the English label; ``full_name`` an alias when it differs;
- the method's slug (``url`` ``/method/<slug>``) is its key and the slug of a new method;
- ``collections[].collection`` are families, ``collections[].area`` fields (SKOS concepts,
  matched with the store by label, else created);
- the source paper (``source_url``/``source_title``, else ``paper``) is a ``kg:Source`` with
  its arXiv id and landing page, and the PwC paper page as ``rdfs:seeAlso``;
- the year: ``introduced_year`` (2000 is the dump's placeholder for unknown) and the year of
  the arXiv id in ``source_url`` (a range when they differ);
- related methods: ``/method/<slug>`` links in the description, and methods introduced by
  the same source paper;
- the description (Markdown with TeX between dollars) is kept as the summary, with the
  Markdown escapes the dump has inside its TeX (``x\\_{1}``, ``\\left\\(``, ``G^{\\*}``; about
  300 records) undone: in TeX they mean something else (a literal underscore).

Licence CC BY-SA 4.0, credited in the import's provenance.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from rdflib import Literal

from kg.services.imports.model import (
    ConceptName,
    ImportFailed,
    MethodRecord,
    ParsedFile,
    Skipped,
    SourceRecord,
    Where,
    json_array,
)
from kg.services.rich_text import math_sources

LICENCE = "https://creativecommons.org/licenses/by-sa/4.0/"
ATTRIBUTION = "Papers with Code (paperswithcode.com), methods dump, CC BY-SA 4.0"
PLACEHOLDER_YEAR = 2000
DEFAULT_FIELD = "Machine learning"
"""The field of a record without an area: Papers with Code catalogues machine learning."""
REQUIRED_KEYS = ("url", "name")
_METHOD_LINK = re.compile(r"(?:paperswithcode\.com)?/method/([A-Za-z0-9_.-]+)")
_ARXIV = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})"
    r"(?:v\d+)?",
    re.IGNORECASE,
)
_SAFE_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_LINE_END = re.compile(r"\r\n?")
_MARKDOWN_ESCAPE_IN_TEX = re.compile(r"(?<!\\)\\([_*()])")


def arxiv_id(url: str | None) -> str | None:
    match = _ARXIV.search(url or "")
    return match["id"] if match else None


def arxiv_year(identifier: str) -> int:
    """The year an arXiv id was assigned: ``2006.11239`` -> 2020, ``hep-th/9901001`` -> 1999."""
    yy = int(identifier.rsplit("/", 1)[-1][:2])
    return 1900 + yy if yy >= 91 else 2000 + yy


def unescape_tex(description: str) -> str:
    """``description`` with the Markdown escapes of ``_ * ( )`` removed from the math the
    summary renderer typesets (the dump escaped them for a Markdown renderer that ran before
    the TeX one); code, prices and other text keep theirs. Line ends become ``\\n``, as
    the renderer reads them (the dump has CRLF)."""
    fixed = description = _LINE_END.sub("\n", description)
    for delimiter, tex in math_sources(description):
        clean = _MARKDOWN_ESCAPE_IN_TEX.sub(r"\1", tex)
        if clean != tex:
            fixed = fixed.replace(f"{delimiter}{tex}{delimiter}", f"{delimiter}{clean}{delimiter}")
    return fixed


def _text(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise ImportFailed(f"{key!r} is not text")
    text = str(value).strip()
    return text or None


def parse_pwc(path: Path, graph: str, text: str) -> ParsedFile:
    data = json_array(path, text, of="method records")
    records: list[MethodRecord] = []
    notes: list[Skipped] = []
    by_source: dict[str, list[MethodRecord]] = defaultdict(list)
    for number, item in enumerate(data, start=1):
        where = Where(path, record=number)
        if not isinstance(item, dict):
            raise ImportFailed(f"{where}: expected an object, got {type(item).__name__}")
        missing = [key for key in REQUIRED_KEYS if not item.get(key)]
        if missing:
            raise ImportFailed(
                f"{where}: missing {', '.join(map(repr, missing))} "
                f"(is this a Papers with Code methods dump?)"
            )
        try:
            record = _record(item, where, graph)
        except ImportFailed as exc:
            raise ImportFailed(f"{where}: {exc}") from None
        if not record.fields:
            record.fields.append(ConceptName(Literal(DEFAULT_FIELD, lang="en")))
            notes.append(
                Skipped(str(where), f"{item['name']!r} has no area: field {DEFAULT_FIELD!r}")
            )
        records.append(record)
        if record.source is not None:
            by_source[record.source.key()].append(record)
    known = {record.key for record in records}
    for record in records:
        record.related_keys = [k for k in dict.fromkeys(record.related_keys) if k in known]
    for group in by_source.values():
        if len(group) > 1:
            for record in group:
                record.related_keys.extend(
                    other.key for other in group if other is not record and other.key
                )
    return ParsedFile(
        path=path,
        graph=graph,
        format="pwc",
        records=records,
        records_read=len(data),
        skipped=[],
        notes=notes,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        publisher="Papers with Code",
        language="en",
    )


def _record(item: dict[str, Any], where: Where, graph: str) -> MethodRecord:
    url = _text(item, "url") or ""
    key = url.rstrip("/").rsplit("/method/", 1)[-1]
    name = _text(item, "name") or key
    record = MethodRecord(where=where, graph=graph, key=key, slug_hint=key)
    record.labels.append(Literal(name, lang="en"))
    full_name = _text(item, "full_name")
    if full_name and full_name != name:
        record.aliases.append(Literal(full_name, lang="en"))
    collections = item.get("collections") or []
    if not isinstance(collections, list):
        raise ImportFailed("'collections' is not a list")
    for collection in collections:
        if not isinstance(collection, dict):
            raise ImportFailed("a collection is not an object")
        family = _text(collection, "collection")
        area = _text(collection, "area")
        if family:
            concept = ConceptName(Literal(family, lang="en"))
            if concept not in record.families:
                record.families.append(concept)
        if area:
            concept = ConceptName(Literal(area, lang="en"))
            if concept not in record.fields:
                record.fields.append(concept)
    description = _text(item, "description")
    if description:
        record.summary.append(Literal(unescape_tex(description), lang="en"))
        record.related_keys = [slug for slug in _METHOD_LINK.findall(description) if slug != key]
    source_url = _text(item, "source_url")
    paper = item.get("paper") if isinstance(item.get("paper"), dict) else None
    title = _text(item, "source_title") or (_text(paper, "title") if paper else None)
    identifier = arxiv_id(source_url)
    years: list[int] = []
    introduced = item.get("introduced_year")
    if isinstance(introduced, int) and introduced != PLACEHOLDER_YEAR and introduced > 0:
        years.append(introduced)
    if identifier:
        years.append(arxiv_year(identifier))
    if years:
        record.years = (min(years), max(years))
    if title:
        landing = (
            f"https://arxiv.org/abs/{identifier}"
            if identifier
            else (source_url if source_url and _SAFE_URL.match(source_url) else None)
        )
        record.source = SourceRecord(
            title=Literal(title, lang="en"), arxiv_id=identifier, url=landing
        )
        if paper is not None:
            page = _text(paper, "url")
            if page and _SAFE_URL.match(page):
                record.source.see_also = page
    return record
