"""Papers with Code "methods" dump (JSON array; ``data/external/pwc_methods_2025-03.json``).

Each record: ``{url, name, full_name, description, paper{title,url}, introduced_year,
source_url, source_title, code_snippet_url, num_papers, collections[{collection, area_id,
area}]}``. Every field is mapped (the table in ``data/external/README.md`` says to what):

- ``url`` (``…/method/<slug>``) is the method's ``skos:exactMatch``, its identity in the
  dump (records are matched with stored methods by it first) and the slug of a new method;
- ``name`` is the English label; ``full_name`` an alias when it differs;
- ``collections[].collection`` are families, each ``skos:broadMatch`` its
  ``collections[].area``, and the areas are the method's fields (SKOS concepts, matched
  with the store by label, else created; ``area_id`` is the area's slug again);
- the source paper (``source_url``/``source_title``, else ``paper``) is a ``kg:Source`` with
  its arXiv id and landing page, and the PwC paper page (``paper.url``) as ``rdfs:seeAlso``;
- the year: ``introduced_year`` (2000 is the dump's placeholder for unknown) and the year of
  the arXiv id in ``source_url`` (a range when they differ);
- related methods: ``/method/<slug>`` links in the description, and methods introduced by
  the same source paper;
- ``num_papers`` is a ``kg:UsageObservation`` (``kg:PaperCount``) dated with the dump's
  month (from the file name, ``…_YYYY-MM.json``) and observed in the dump's ``kg:Dataset``
  (``dataset/pwc-methods-YYYY-MM``); a file without a month in its name has no dated
  counts (noted);
- ``code_snippet_url`` is a ``kg:CodeRepository`` (``kg:implementation``), with the GitHub
  repository it is in; a value that is no web address (the dump has nine) is noted;
- the description (Markdown with TeX between dollars) is kept as the summary, with the
  Markdown escapes the dump has inside its TeX (``x\\_{1}``, ``\\left\\(``, ``G^{\\*}``; about
  300 records) undone: in TeX they mean something else (a literal underscore).

Licence CC BY-SA 4.0, credited in the import's provenance and on the data set node.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from rdflib import Literal

from kg.namespaces import KG
from kg.services.imports.model import (
    ConceptName,
    DatasetRecord,
    Implementation,
    ImportFailed,
    MethodRecord,
    Observation,
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
DATASET_URL = "https://github.com/kuefmz/pow_categories"
"""Where the dump the catalogue ships was published (``data/external/README.md``)."""
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
_MONTH_IN_NAME = re.compile(r"(?:^|[_-])(\d{4})-(0[1-9]|1[0-2])$")
_GITHUB_REPOSITORY = re.compile(
    r"^https?://(?:www\.)?(?:github\.com|raw\.githubusercontent\.com)/([^/?#]+)/([^/?#]+)"
)
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


def dump_month(path: Path) -> str | None:
    """The month of a dump, from its file name (``pwc_methods_2025-03.json`` -> ``2025-03``)."""
    match = _MONTH_IN_NAME.search(path.stem)
    return f"{match[1]}-{match[2]}" if match else None


def dataset_of(month: str) -> DatasetRecord:
    year, number = month.split("-")
    return DatasetRecord(
        slug=f"pwc-methods-{month}",
        label=Literal(f"Papers with Code methods ({MONTHS[int(number) - 1]} {year})", lang="en"),
        version=month,
        licence=LICENCE,
        url=DATASET_URL,
    )


def repository_of(url: str) -> str | None:
    """The GitHub repository a code link is in (``https://github.com/<owner>/<name>``)."""
    match = _GITHUB_REPOSITORY.match(url)
    if not match:
        return None
    name = match[2].removesuffix(".git")
    return f"https://github.com/{match[1]}/{name}" if name else None


def parse_pwc(path: Path, graph: str, text: str) -> ParsedFile:
    data = json_array(path, text, of="method records")
    records: list[MethodRecord] = []
    notes: list[Skipped] = []
    month = dump_month(path)
    dataset = dataset_of(month) if month else None
    if dataset is None:
        notes.append(
            Skipped(
                str(path),
                "no month in the file name (…_YYYY-MM.json): the paper counts (num_papers) "
                "have no date and are not imported",
            )
        )
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
            record = _record(item, where, graph, dataset, notes)
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
        version=month,
        issued=month,
    )


def _record(
    item: dict[str, Any],
    where: Where,
    graph: str,
    dataset: DatasetRecord | None,
    notes: list[Skipped],
) -> MethodRecord:
    url = _text(item, "url") or ""
    key = url.rstrip("/").rsplit("/method/", 1)[-1]
    name = _text(item, "name") or key
    record = MethodRecord(where=where, graph=graph, key=key, slug_hint=key)
    if _SAFE_URL.match(url):
        record.exact_matches.append(url)
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
        area_label = Literal(area, lang="en") if area else None
        if family:
            concept = ConceptName(Literal(family, lang="en"), area=area_label)
            if concept not in record.families:
                record.families.append(concept)
        if area_label is not None:
            concept = ConceptName(area_label)
            if concept not in record.fields:
                record.fields.append(concept)
    description = _text(item, "description")
    if description:
        record.summary.append(Literal(unescape_tex(description), lang="en"))
        record.related_keys = [slug for slug in _METHOD_LINK.findall(description) if slug != key]
    _usage_and_code(item, record, dataset, notes)
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


def _usage_and_code(
    item: dict[str, Any],
    record: MethodRecord,
    dataset: DatasetRecord | None,
    notes: list[Skipped],
) -> None:
    papers = item.get("num_papers")
    if papers is not None:
        if isinstance(papers, bool) or not isinstance(papers, int) or papers < 0:
            notes.append(
                Skipped(str(record.where), f"num_papers {papers!r} is not a count: not imported")
            )
        elif dataset is not None and dataset.version is not None:
            record.observations.append(Observation(KG.PaperCount, papers, dataset.version, dataset))
    code = _text(item, "code_snippet_url")
    if code is None:
        return
    if not _SAFE_URL.match(code):
        shown = code if len(code) <= 40 else code[:37] + "…"
        notes.append(
            Skipped(
                str(record.where),
                f"code_snippet_url {shown!r} of {item['name']!r} is not a web address: "
                "not imported",
            )
        )
        return
    record.implementations.append(Implementation(code, repository_of(code)))
