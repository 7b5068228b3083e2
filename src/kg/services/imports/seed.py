"""The comparison-page export (Markdown, the format of ``../shared/seeds/*.txt``).

A title line, a subtitle, then a Markdown table: a header with one column per method (its
name followed by ``×``) and an empty last column, a separator, one row per property (the
row label in the page's language, ``≠`` appended when the values differ), a last row with
the dataset link (``<catalogue> dataset ↗``) and possibly empty ``|`` lines.

Row labels are recognised with the ontology's ``rdfs:label`` values (any language it has),
which also tells the page's language. A cell is tagged with the page's language only when
it is written in that language's script; otherwise it is an untranslated fallback and is
tagged ``@en`` (pages fall back to English).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef

from kg.namespaces import KG
from kg.services.imports.model import (
    ConceptName,
    ImportFailed,
    MethodRecord,
    ParsedFile,
    Skipped,
    SourceRecord,
    Where,
)
from kg.services.imports.text import (
    ValueProblem,
    normalise,
    parse_citation,
    parse_year_range,
    scripts_of,
)

FALLBACK_LANGUAGE = "en"
REMOVE_MARK = "×"
DIFFERS_MARK = "≠"
LINK_MARK = "↗"
_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_EMPTY_VALUES = {"", "—", "–", "-"}


@dataclass(frozen=True)
class PageVocabulary:
    """What reading a page needs from the ontology: row labels per language and scripts."""

    row_labels: dict[str, dict[str, URIRef]]
    """language -> normalised row label -> property."""
    scripts: dict[str, set[str]]
    """language -> the scripts that set its text apart from English."""

    def tag(self, text: str, language: str) -> Literal:
        """``text`` tagged with ``language`` if written in its script, else ``@en``."""
        if language != FALLBACK_LANGUAGE and scripts_of(text) & self.scripts.get(language, set()):
            return Literal(text, lang=language)
        return Literal(text, lang=FALLBACK_LANGUAGE)


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [cell.strip().replace("\\|", "|") for cell in _UNESCAPED_PIPE.split(inner)]


def _strip_mark(label: str, mark: str) -> str:
    label = label.strip()
    return label[: -len(mark)].rstrip() if label.endswith(mark) else label


def detect_language(labels: list[str], vocab: PageVocabulary) -> str | None:
    """The language whose row labels match most of ``labels`` (None when none matches)."""
    scores: Counter[str] = Counter()
    for label in labels:
        for language, known in vocab.row_labels.items():
            if normalise(label) in known:
                scores[language] += 1
    if not scores:
        return None
    best = max(scores.values())
    winners = sorted(lang for lang, score in scores.items() if score == best)
    # an English page shares no label with the others; a tie is broken deterministically
    return winners[0]


def parse_seed(path: Path, graph: str, text: str, vocab: PageVocabulary) -> ParsedFile:
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.lstrip().startswith("|")), None)
    if header_index is None:
        raise ImportFailed(f"{path}: no Markdown table found (a comparison page export?)")
    header_line = header_index + 1
    header = _cells(lines[header_index])
    if header and header[-1] == "":
        header = header[:-1]  # the "add a method" slot
    names = [_strip_mark(cell, REMOVE_MARK) for cell in header]
    if not names or any(not name for name in names):
        raise ImportFailed(f"{path}:{header_line}: the header row names no methods")
    if header_index + 1 >= len(lines) or not _SEPARATOR.match(lines[header_index + 1].strip()):
        raise ImportFailed(f"{path}:{header_line + 1}: expected the table's separator row |---|")

    rows: list[tuple[int, str, list[str]]] = []
    publisher: str | None = None
    for index in range(header_index + 2, len(lines)):
        lineno = index + 1
        line = lines[index].strip()
        if line in ("", "|"):
            continue
        if not line.startswith("|") or not line.endswith("|") or len(line) < 2:
            raise ImportFailed(
                f"{path}:{lineno}: a table row must start and end with '|' (is the row cut short?)"
            )
        cells = _cells(line)
        if len(cells) == 1 and cells[0].endswith(LINK_MARK):
            publisher = _strip_mark(cells[0], LINK_MARK)
            continue
        label = _strip_mark(cells[0], DIFFERS_MARK)
        if len(cells) != len(names) + 1:
            raise ImportFailed(
                f"{path}:{lineno}: row {label!r} has {len(cells) - 1} value(s), "
                f"expected {len(names)} (one per method in the header)"
            )
        rows.append((lineno, label, cells[1:]))

    language = detect_language([label for _, label, _ in rows], vocab)
    if language is None:
        known = ", ".join(sorted(vocab.row_labels)) or "none: is the ontology loaded?"
        raise ImportFailed(
            f"{path}: no row label is a row label of the ontology (languages known: {known})"
        )
    labels_in_language = vocab.row_labels[language]

    records = [
        MethodRecord(where=Where(path, header_line), graph=graph, labels=[vocab.tag(n, language)])
        for n in names
    ]
    skipped: list[Skipped] = []
    seen: dict[URIRef, int] = {}
    for lineno, label, values in rows:
        prop = labels_in_language.get(normalise(label))
        if prop is None:
            raise ImportFailed(
                f"{path}:{lineno}: {label!r} is not a row label of the ontology in "
                f"{language!r} (the page's language)"
            )
        if prop in seen:
            raise ImportFailed(f"{path}:{lineno}: row {label!r} repeats line {seen[prop]}")
        seen[prop] = lineno
        handler = _HANDLERS.get(prop)
        if handler is None:
            skipped.append(Skipped(f"{path}:{lineno}", f"row {label!r} ({prop}) is not imported"))
            continue
        for record, value in zip(records, values, strict=True):
            if value.strip() in _EMPTY_VALUES:
                continue
            try:
                handler(record, value.strip(), language, vocab)
            except ValueProblem as exc:
                raise ImportFailed(f"{path}:{lineno}: row {label!r}: {exc}") from None
    return ParsedFile(
        path=path,
        graph=graph,
        format="seed",
        records=records,
        records_read=len(records),
        skipped=skipped,
        publisher=_publisher_name(publisher, language, vocab) if publisher else None,
        language=language,
    )


def _publisher_name(text: str, language: str, vocab: PageVocabulary) -> str:
    """The catalogue's name from ``ScholarGateชุดข้อมูล``: the part before the page's script."""
    scripts = vocab.scripts.get(language, set())
    if language == FALLBACK_LANGUAGE or not scripts:
        return text
    for i, char in enumerate(text):
        if scripts_of(char) & scripts:
            return text[:i].strip() or text
    return text


# --- one handler per property ------------------------------------------------------------------


def _list(value: str) -> list[str]:
    """A comma-separated list of names as pages show them (aliases, several fields)."""
    return [item.strip() for item in value.split(",") if item.strip()]


Handler = Callable[[MethodRecord, str, str, PageVocabulary], None]


def _field(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    record.fields.extend(ConceptName(vocab.tag(v, lang)) for v in _list(value))


def _family(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    record.families.extend(ConceptName(vocab.tag(v, lang)) for v in _list(value))


def _years(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    record.years = parse_year_range(value)


def _attribution(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    record.attribution.append(vocab.tag(value, lang))


def _type(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    record.method_type.append(vocab.tag(value, lang))


def _source(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    citation = parse_citation(value)
    record.source = SourceRecord(
        citation=citation, title=vocab.tag(citation.title, lang), year=citation.year
    )


def _aliases(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    record.aliases = [vocab.tag(a, lang) for a in _list(value)]


def _related(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    if not value.isdigit():
        raise ValueProblem(f"expected the number of related methods, got {value[:80]!r}")
    record.related_count = int(value)


def _summary(record: MethodRecord, value: str, lang: str, vocab: PageVocabulary) -> None:
    record.summary.append(vocab.tag(value, lang))


_HANDLERS: dict[URIRef, Handler] = {
    KG.field: _field,
    KG.family: _family,
    KG.yearOfOrigin: _years,
    KG.attribution: _attribution,
    KG.methodType: _type,
    KG.originalSource: _source,
    KG.aliases: _aliases,
    KG.relatedMethod: _related,
    KG.summary: _summary,
}
