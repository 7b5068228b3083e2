"""Epoch AI "All AI models" (CSV; ``data/external/epoch_all_ai_models_2025-04.csv``).

Each row with a model name is an AI system (``kg:AISystem``, ``system/<slug>``) with what
the row says that the ontology holds: developers (organisations with their country),
authors (people), publication date, domains and approaches (SKOS concepts of their own
schemes), parameters, training compute, training data sets, base models (systems of the
same file), accessibility, its citation count (a dated ``kg:UsageObservation`` observed in
the Epoch data set) and the paper that introduced it (``kg:introducedIn``), with the
methods introduced in the same paper (``kg:introducedWith``; the paper's authors become
their originators). Every column is mapped or deliberately left out: the table is in
``data/external/README.md``. Building the graph is ``systems.py``; matching people,
sources, organisations and data sets with the store is ``resolution.py``. Licence CC BY 4.0
("Data: Epoch AI").
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kg.services.imports.model import ImportFailed, ParsedFile, Skipped, SystemRecord, Where
from kg.services.imports.pwc import arxiv_id
from kg.services.imports.text import canonical_decimal

LICENCE = "https://creativecommons.org/licenses/by/4.0/"
ATTRIBUTION = "Data: Epoch AI, 'All AI models' database (epoch.ai), CC BY 4.0"
REQUIRED_COLUMNS = ("Model", "Authors", "Link")
MAX_FIELD = 1024 * 1024
MAX_AUTHORS = 200
NOT_A_DATASET = {"unspecified unreleased"}
_VERSION = re.compile(r"(?<!\d)(\d{4}-\d{2})(?!\d)")
_DOI = re.compile(r"(?:doi\.org/|/doi/(?:abs/|full/|pdf/)?|/doi/)(?P<doi>10\.\d{4,9}/[^\s?#]+)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GROUP_WORDS = re.compile(
    r"\b(team|contributors?|group|lab|research|lead|program|core|and|et al|others|"
    r"authors?|members?)\b",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.\-]*$")


def split_list(cell: str | None) -> list[str]:
    """Comma-separated values, commas inside brackets kept ("BookCorpus (BooksCorpus,
    Toronto Book Corpus)" is one value)."""
    values: list[str] = []
    depth, current = 0, list[str]()
    for char in cell or "":
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    values.append("".join(current))
    return [v for v in (" ".join(v.split()) for v in values) if v]


def person_names(cell: str | None) -> tuple[list[str], int]:
    """The people of an Authors cell (commas and line breaks separate them), and how many
    entries were not a person's name (a team, a heading of a pasted contributor list)."""
    names: list[str] = []
    rejected = 0
    for part in re.split(r"[,\n;]", cell or ""):
        name = " ".join(part.split())
        if not name:
            continue
        words = name.split()
        if (
            len(words) < 2
            or len(words) > 6
            or len(name) > 80
            or _GROUP_WORDS.search(name)
            or not all(_NAME_WORD.match(w) for w in words)
        ):
            rejected += 1
            continue
        names.append(name)
    return list(dict.fromkeys(names))[:MAX_AUTHORS], rejected


def doi_of(url: str | None) -> str | None:
    match = _DOI.search(url or "")
    return match["doi"].rstrip(".") if match else None


def _number(text: str | None) -> Decimal | None:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def _date(text: str | None) -> str | None:
    value = (text or "").strip()
    if not _DATE.match(value):
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        return None
    return value


def parse_epoch(path: Path, graph: str, text: str) -> ParsedFile:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFailed(
            f"{path}:1: missing column(s) {', '.join(map(repr, missing))}; an Epoch AI "
            f"export has {', '.join(REQUIRED_COLUMNS)} (found: {', '.join(columns[:10])})"
        )
    systems: list[SystemRecord] = []
    reasons: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    rows = 0
    latest = ""
    try:
        for row in reader:
            rows += 1
            where = Where(path, line=reader.line_num)
            if None in row:
                raise ImportFailed(f"{where}: more cells than columns")
            latest = max(latest, (row.get("Last modified") or "")[:7])
            record = _system(row, where, notes)
            if record is None:
                reasons["no model name"] += 1
            else:
                systems.append(record)
    except csv.Error as exc:
        raise ImportFailed(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    version_match = _VERSION.search(path.stem)
    version = version_match[1] if version_match else (latest if _VERSION.match(latest) else None)
    return ParsedFile(
        path=path,
        graph=graph,
        format="epoch",
        records=[],
        records_read=rows,
        skipped=[
            Skipped(str(path), f"{n} row(s): {why}", records=n)
            for why, n in sorted(reasons.items())
        ],
        notes=[Skipped(str(path), f"{n} × {why}") for why, n in sorted(notes.items())],
        licence=LICENCE,
        attribution=ATTRIBUTION,
        publisher="Epoch AI",
        language="en",
        version=version,
        issued=version,
        systems=systems,
    )


def _system(row: dict[str, str], where: Where, notes: Counter[str]) -> SystemRecord | None:
    name = " ".join((row.get("Model") or "").split())
    if not name:
        return None
    organizations = list(dict.fromkeys(split_list(row.get("Organization"))))
    countries = [c.strip() for c in (row.get("Country (from Organization)") or "").split(",")]
    countries = [c for c in countries if c]
    paired = len(countries) == len(organizations) and len(organizations) == len(
        split_list(row.get("Organization"))
    )
    if countries and not paired:
        notes["countries not paired with organisations (left out)"] += 1
    authors, rejected = person_names(row.get("Authors"))
    if rejected:
        notes["author entries that are not a person's name (a team, a heading; left out)"] += (
            rejected
        )
    parameters = _number(row.get("Parameters"))
    compute = _number(row.get("Training compute (FLOP)"))
    citations = _number(row.get("Citations"))
    link = (row.get("Link") or "").strip()
    url = link if re.match(r"^https?://\S+$", link) else None
    title = " ".join((row.get("Reference") or "").split()) or None
    datasets = [
        d for d in split_list(row.get("Training dataset")) if d.lower() not in NOT_A_DATASET
    ]
    return SystemRecord(
        where=where,
        name=name,
        organizations=organizations,
        countries=countries if paired else [],
        authors=authors,
        date=_date(row.get("Publication date")),
        domains=split_list(row.get("Domain")),
        approaches=split_list(row.get("Approach")),
        # a whole number (the file's floats carry noise: "247000000.00000003"), canonical
        parameters=canonical_decimal(parameters.to_integral_value())
        if parameters is not None
        else None,
        compute=float(compute) if compute is not None else None,
        datasets=list(dict.fromkeys(datasets)),
        base_models=[b for b in [(row.get("Base model") or "").strip()] if b],
        accessibility=(row.get("Model accessibility") or "").strip() or None,
        citations=int(citations) if citations is not None else None,
        title=title,
        url=url,
        arxiv_id=arxiv_id(link),
        doi=doi_of(link),
    )
