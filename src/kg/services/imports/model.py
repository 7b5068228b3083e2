"""What every importer produces: format-neutral method records, and the errors it raises."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from kg.services.imports.text import Citation


class ImportFailed(ValueError):
    """An input cannot be imported; nothing was written. The message says where and why."""


def json_array(path: Path, text: str, *, of: str) -> list[Any]:
    """``text`` read as a JSON array (of ``of``, for the message), else ImportFailed with
    the line and column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); truncated?"
        ) from None
    except RecursionError:
        raise ImportFailed(f"{path}: JSON nested too deeply to be a table of records") from None
    if not isinstance(data, list):
        raise ImportFailed(f"{path}: expected a JSON array of {of}")
    return data


@dataclass(frozen=True)
class Where:
    """A place in an input file: ``file:line`` (a line, or a record number for JSON)."""

    path: Path
    line: int | None = None
    record: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        if self.record is not None:
            return f"{self.path}: record {self.record}"
        return str(self.path)


@dataclass
class SourceRecord:
    """A bibliographic source as an input describes it."""

    citation: Citation | None = None
    title: Literal | None = None
    arxiv_id: str | None = None
    url: str | None = None
    year: int | None = None
    see_also: str | None = None
    doi: str | None = None
    """The bare DOI (``10.…``), written as ``bibo:doi``."""

    def key(self) -> str:
        """Sources with the same key are one kg:Source (citation text, else DOI, else arXiv id,
        else URL)."""
        if self.citation is not None:
            return "citation:" + self.citation.text
        if self.doi:
            return "doi:" + self.doi.casefold()
        if self.arxiv_id:
            return "arxiv:" + self.arxiv_id
        return "url:" + (self.url or "") + "|" + (str(self.title) if self.title else "")


@dataclass(frozen=True)
class ConceptName:
    """A field or family as an input names it."""

    label: Literal
    broader: tuple[Literal, ...] = ()
    area: Literal | None = None
    """A family's field (the Papers with Code area of a collection): ``skos:broadMatch``."""


@dataclass
class MethodRecord:
    """One method as one input (a page column, a JSON record, a CSV row) describes it."""

    where: Where
    graph: str
    """Name of the named graph the record's facts go to (``import-<stem>``)."""
    labels: list[Literal] = field(default_factory=list)
    aliases: list[Literal] = field(default_factory=list)
    fields: list[ConceptName] = field(default_factory=list)
    families: list[ConceptName] = field(default_factory=list)
    years: tuple[int, int] | None = None
    attribution: list[Literal] = field(default_factory=list)
    method_type: list[Literal] = field(default_factory=list)
    source: SourceRecord | None = None
    related_count: int | None = None
    related_keys: list[str] = field(default_factory=list)
    """Keys (``key``) of other records this one links to as related methods."""
    summary: list[Literal] = field(default_factory=list)
    key: str | None = None
    """An identifier of the record within its input format (Papers with Code slug)."""
    slug_hint: str | None = None
    """A preferred slug for a new method (the input's own identifier)."""
    identifier: str | None = None
    """The method's slug as the input states it (a spreadsheet's id column): the record
    describes ``method/<identifier>``, merged into it when the store has that method."""
    broader_keys: list[str] = field(default_factory=list)
    """Keys of records of the same input this one specialises (``kg:broaderMethod``)."""
    exact_matches: list[str] = field(default_factory=list)
    """IRIs the input gives as the same method elsewhere (``skos:exactMatch``)."""
    alt_labels: list[Literal] = field(default_factory=list)
    """Other names written as ``skos:altLabel`` only: neither an ordered alias list nor used
    to match the record with stored methods (an ontology's synonyms, which name the
    operation rather than a method of the catalogue)."""
    observations: list[Observation] = field(default_factory=list)
    """Dated counts about the method (Papers with Code ``num_papers``)."""
    implementations: list[Implementation] = field(default_factory=list)
    """Source code implementing the method (Papers with Code ``code_snippet_url``)."""

    def names(self) -> list[Literal]:
        return [*self.labels, *self.aliases]


@dataclass(frozen=True)
class DatasetRecord:
    """A published data set facts come from (``dataset/<slug>``, a ``kg:Dataset``)."""

    slug: str
    label: Literal
    version: str | None = None
    licence: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Observation:
    """A dated count of ``measure`` (a ``kg:UsageMeasure`` IRI) as ``dataset`` reports it;
    ``date`` is ``YYYY-MM`` or ``YYYY-MM-DD``."""

    measure: URIRef
    count: int
    date: str
    dataset: DatasetRecord


@dataclass(frozen=True)
class Implementation:
    """Source code: the address a source gives, and the repository it is in when known."""

    url: str
    repository: str | None = None


@dataclass
class ConceptRecord:
    """A concept (a field or a family) as an ontology describes it, with its own identifier:
    AIO classes, EDAM topics."""

    where: Where
    cls: URIRef
    """``kg:Field`` or ``kg:Family``."""
    key: str
    """The concept's IRI in its ontology; written as ``skos:exactMatch``."""
    label: Literal
    alt_labels: list[Literal] = field(default_factory=list)
    definition: Literal | None = None
    definition_sources: list[str] = field(default_factory=list)
    """http(s) addresses the definition cites (``dcterms:source``)."""
    broader_keys: list[str] = field(default_factory=list)
    """Keys of broader concepts of the same input."""
    scheme: str | None = None
    """Slug of the input's own concept scheme (``scheme/<slug>``), besides fields or families."""


@dataclass(frozen=True)
class Mapping:
    """One row of a mapping table (SSSOM): ``subject`` ``predicate`` ``object``, IRIs."""

    where: Where
    subject: str
    predicate: URIRef
    object: str


@dataclass(frozen=True)
class Skipped:
    """Something left out (or noted), where and why. ``records``: how many input records
    (rows, JSON records, page columns) it stands for: one for a record left out, more for
    a group of rows left out for one reason, none for a part of a record (a page row, a
    related-method reference) or a note."""

    where: str
    reason: str
    records: int = 0


@dataclass
class SystemRecord:
    """One AI system as one row of Epoch AI's table describes it (see ``epoch.py``)."""

    where: Where
    name: str
    organizations: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    """One country per organisation, in order, when the row pairs them unambiguously."""
    authors: list[str] = field(default_factory=list)
    date: str | None = None
    domains: list[str] = field(default_factory=list)
    approaches: list[str] = field(default_factory=list)
    parameters: str | None = None
    """A whole number as text (``xsd:decimal``)."""
    compute: float | None = None
    datasets: list[str] = field(default_factory=list)
    base_models: list[str] = field(default_factory=list)
    accessibility: str | None = None
    citations: int | None = None
    title: str | None = None
    url: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None


@dataclass
class ParsedFile:
    """What a parser read from one file."""

    path: Path
    graph: str
    format: str
    records: list[MethodRecord]
    records_read: int
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Skipped] = field(default_factory=list)
    """Things the reader decided that the summary should mention."""
    licence: str | None = None
    attribution: str | None = None
    publisher: str | None = None
    language: str | None = None
    concepts: list[ConceptRecord] = field(default_factory=list)
    mappings: list[Mapping] = field(default_factory=list)
    version: str | None = None
    """The source's own version or release (recorded in the provenance graph)."""
    issued: str | None = None
    """The source's release date or month (``YYYY-MM-DD`` or ``YYYY-MM``), when known."""
    merged_rows: int = 0
    """Rows without method records of their own merged after the build (Epoch AI rows
    describing a system an earlier row made)."""
    systems: list[SystemRecord] = field(default_factory=list)
    """Epoch AI: the AI systems of the rows read."""
    systems_created: int = 0
    """Rows that made a new AI system (counted as created)."""
    resolved: list[Any] = field(default_factory=list)
    """What entity resolution merged or found ambiguous (``resolution.Resolved`` and
    ``resolution.Ambiguous``), for the report."""

    def holds(self, where: str) -> bool:
        """Whether ``where`` (a ``Where`` as text) is a place in this file."""
        return where == str(self.path) or where.startswith(f"{self.path}:")
