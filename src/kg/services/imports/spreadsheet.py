"""A lab's own method table: CSV (UTF-8, a header row) or JSON (an array of objects), read
with a small declarative mapping file (TOML) that says which column holds what.

The mapping (``docs/spreadsheets.md`` documents it with a worked example)::

    language = "en"                       # language of text cells (default "en")
    licence = "https://creativecommons.org/licenses/by/4.0/"
    attribution = "Methods table of the X lab"

    [columns]
    id = "id"                             # the method's slug
    Name = "label"                        # skos:prefLabel in the default language
    "Name (ja)" = "label@ja"
    "Also known as" = { target = "alias", separator = ";" }
    Years = { target = "year", parser = "year-range" }

Every row becomes one :class:`~kg.services.imports.model.MethodRecord`, so rows are merged
with the store, built, validated and written exactly like the other importers' records.
Related methods (ids or names) and originators (names) are linked after the build by
:func:`attach_links`, because they may name methods and people already in the store.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import FOAF

from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports.build import BuildResult, GraphBuilder
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
from kg.services.imports.pwc import arxiv_id
from kg.services.imports.text import (
    ValueProblem,
    normalise,
    parse_citation,
    parse_year_range,
    slugify,
)

DEFAULT_LANGUAGE = "en"
DEFAULT_SEPARATOR = ";"
DEFAULT_EMPTY = ("", "—", "–", "-")
MAX_FIELD = 1024 * 1024
TABLE_FORMATS = ("csv", "json")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
_BARE_ARXIV = re.compile(
    r"^(?:arxiv:\s*)?(?P<id>\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$",
    re.IGNORECASE,
)
_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_YEAR = re.compile(r"^\d{4}$")
_MAPPING_KEYS = ("format", "language", "licence", "attribution", "empty", "columns")
_COLUMN_KEYS = ("target", "lang", "separator", "parser")


@dataclass(frozen=True)
class Target:
    """What a column can be mapped to."""

    property: str
    """The ontology term it fills (documentation and messages)."""
    parsers: tuple[str, ...] = ("text",)
    """Value parsers it accepts, the default first."""
    multiple: bool = False
    """Whether a cell holds a list (split on the column's separator)."""
    language: bool = False
    """Whether its values are text in a language (``target@lang``)."""


TARGETS: dict[str, Target] = {
    "id": Target("the method IRI method/<slug>", parsers=("slug", "slugify")),
    "label": Target("skos:prefLabel", language=True),
    "alias": Target("kg:aliases and skos:altLabel", multiple=True, language=True),
    "field": Target("kg:field (a kg:Field, matched by label)", multiple=True, language=True),
    "family": Target("kg:family (a kg:Family, matched by label)", multiple=True, language=True),
    "year": Target("kg:yearOfOrigin", parsers=("year-range", "year")),
    "attribution": Target("kg:attribution", language=True),
    "type": Target("kg:methodType", language=True),
    "summary": Target("kg:summary", language=True),
    "citation": Target("kg:originalSource (a formatted citation)", ("citation",), language=True),
    "source-title": Target("kg:originalSource / dcterms:title", language=True),
    "doi": Target("kg:originalSource / bibo:doi", parsers=("doi",)),
    "url": Target("kg:originalSource / schema:url", parsers=("url",)),
    "arxiv": Target("kg:originalSource / kg:arxivId", parsers=("arxiv",)),
    "related": Target("kg:relatedMethod (ids or names)", parsers=("reference",), multiple=True),
    "originators": Target("kg:originator (kg:Person names)", parsers=("name",), multiple=True),
    "ignore": Target("nothing: the column is read and left out", parsers=("ignore",)),
}


@dataclass(frozen=True)
class Column:
    """One column of the mapping."""

    name: str
    target: str
    parser: str
    lang: str
    separator: str | None
    line: int | None


@dataclass(frozen=True)
class Mapping:
    path: Path
    columns: tuple[Column, ...]
    language: str
    licence: str | None
    attribution: str | None
    format: str | None
    empty: frozenset[str]

    def where(self, line: int | None) -> str:
        return f"{self.path}:{line}" if line is not None else str(self.path)

    def by_target(self, target: str) -> list[Column]:
        return [c for c in self.columns if c.target == target]


@dataclass
class SheetRecord(MethodRecord):
    """A row: a method record, and the links resolved after the build."""

    related: list[str] = field(default_factory=list)
    originators: list[str] = field(default_factory=list)


# --- the mapping file ------------------------------------------------------------------------


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; :class:`ImportFailed` with ``file:line`` when wrong."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read the mapping: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ImportFailed(f"{path}: the mapping is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # the message ends "(at line L, column C)"
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{path}:{found[1]}" if found else str(path)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ImportFailed(f"{where}: the mapping is not valid TOML ({reason})") from None
    lines = _KeyLines(text)

    def fail(line: int | None, reason: str) -> ImportFailed:
        return ImportFailed(f"{path if line is None else f'{path}:{line}'}: {reason}")

    for key in data:
        if key not in _MAPPING_KEYS:
            raise fail(
                lines.top(key),
                f"unknown setting {key!r} (known: {', '.join(_MAPPING_KEYS)})",
            )
    language = _string(data, "language", DEFAULT_LANGUAGE, lines, fail)
    if not _LANGUAGE_TAG.match(language):
        raise fail(lines.top("language"), f"{language!r} is not a language tag such as 'en'")
    licence = _string(data, "licence", None, lines, fail)
    if licence is not None and not _URL.match(licence):
        raise fail(lines.top("licence"), f"the licence must be an IRI (http…), not {licence!r}")
    attribution = _string(data, "attribution", None, lines, fail)
    fmt = _string(data, "format", None, lines, fail)
    if fmt is not None and fmt not in TABLE_FORMATS:
        raise fail(lines.top("format"), f"format {fmt!r}: expected one of {TABLE_FORMATS}")
    empty_values = data.get("empty", list(DEFAULT_EMPTY))
    if not isinstance(empty_values, list) or not all(isinstance(v, str) for v in empty_values):
        raise fail(lines.top("empty"), "'empty' must be a list of strings, e.g. ['', 'n/a']")

    columns_table = data.get("columns")
    if not isinstance(columns_table, dict) or not columns_table:
        raise fail(
            lines.top("columns"),
            "the mapping needs a [columns] table: column name = target (see docs/spreadsheets.md)",
        )
    columns: list[Column] = []
    for name, spec in columns_table.items():
        line = lines.column(name)
        columns.append(_column(name, spec, line, language, lines, fail))

    seen: dict[tuple[str, str], Column] = {}
    for column in columns:
        target = TARGETS[column.target]
        if target.multiple or column.target == "ignore":
            continue
        slot = (column.target, column.lang if target.language else "")
        if slot in seen:
            what = f"{column.target}@{column.lang}" if target.language else column.target
            raise fail(
                column.line,
                f"column {column.name!r}: {what} is already the target of column "
                f"{seen[slot].name!r}; a method has one",
            )
        seen[slot] = column
    if not any(c.target in ("id", "label") for c in columns):
        raise fail(
            lines.top("columns"),
            "the mapping names no id column and no label column: one of them must say "
            "which method a row describes",
        )
    return Mapping(
        path=path,
        columns=tuple(columns),
        language=language.lower(),
        licence=licence,
        attribution=attribution,
        format=fmt,
        empty=frozenset(v.strip() for v in empty_values) | {""},
    )


Fail = Callable[[int | None, str], ImportFailed]


def _string(
    data: dict[str, Any], key: str, default: str | None, lines: _KeyLines, fail: Fail
) -> Any:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise fail(lines.top(key), f"{key!r} must be a string, not {_toml_type(value)}")
    return value


def _column(
    name: str, spec: object, line: int | None, language: str, lines: _KeyLines, fail: Fail
) -> Column:
    if isinstance(spec, str):
        spec = {"target": spec}
    if not isinstance(spec, dict):
        raise fail(
            line,
            f'column {name!r}: expected a target such as "label" or a table '
            f'{{ target = "alias", separator = ";" }}, not {_toml_type(spec)}',
        )
    for key in spec:
        if key not in _COLUMN_KEYS:
            raise fail(
                lines.inside(name, key) or line,
                f"column {name!r}: unknown key {key!r} (known: {', '.join(_COLUMN_KEYS)})",
            )
    target_text = spec.get("target")
    if not isinstance(target_text, str):
        raise fail(line, f"column {name!r}: 'target' must be a string such as \"label@en\"")
    target_name, _, tagged = target_text.partition("@")
    target = TARGETS.get(target_name.strip())
    if target is None:
        raise fail(
            lines.inside(name, "target") or line,
            f"column {name!r}: unknown target {target_text!r} (known: {', '.join(TARGETS)})",
        )
    lang_value = spec.get("lang")
    if lang_value is not None and not isinstance(lang_value, str):
        raise fail(line, f"column {name!r}: 'lang' must be a string, not {_toml_type(lang_value)}")
    if tagged and lang_value and tagged != lang_value:
        raise fail(line, f"column {name!r}: {target_text!r} and lang = {lang_value!r} disagree")
    lang = tagged or lang_value
    if lang and not target.language:
        raise fail(line, f"column {name!r}: target {target_name!r} takes no language")
    if lang and not _LANGUAGE_TAG.match(lang):
        raise fail(line, f"column {name!r}: {lang!r} is not a language tag such as 'ja'")
    separator = spec.get("separator")
    if "separator" in spec:
        if not isinstance(separator, str) or not separator:
            raise fail(
                lines.inside(name, "separator") or line,
                f'column {name!r}: the separator must be a non-empty string such as ";", '
                f"not {_toml_type(separator)}",
            )
        if not target.multiple:
            raise fail(
                lines.inside(name, "separator") or line,
                f"column {name!r}: target {target_name!r} takes one value per cell, so no "
                "separator (list targets: "
                + ", ".join(t for t, spec_ in TARGETS.items() if spec_.multiple)
                + ")",
            )
    elif target.multiple:
        separator = DEFAULT_SEPARATOR
    parser = spec.get("parser", target.parsers[0])
    if not isinstance(parser, str) or parser not in target.parsers:
        raise fail(
            lines.inside(name, "parser") or line,
            f"column {name!r}: parser {parser!r} does not read target {target_name!r} "
            f"(it takes: {', '.join(target.parsers)})",
        )
    return Column(
        name=name,
        target=target_name.strip(),
        parser=parser,
        lang=(lang or language).lower(),
        separator=separator if isinstance(separator, str) else None,
        line=line,
    )


def _toml_type(value: object) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    for kind, text in names.items():
        if type(value) is kind:
            return f"{text} ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


class _KeyLines:
    """Finds the line of a key in the mapping's text (tomllib gives lines only for syntax
    errors), so that a message about a column can point at it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    @staticmethod
    def _key(name: str) -> str:
        return "(?:" + "|".join(re.escape(k) for k in (f'"{name}"', f"'{name}'", name)) + ")"

    def _find(self, pattern: re.Pattern[str], start: int = 0) -> int | None:
        for number in range(start, len(self.lines)):
            if pattern.match(self.lines[number]):
                return number + 1
        return None

    def top(self, key: str) -> int | None:
        return self._find(re.compile(rf"^\s*(?:\[\s*{self._key(key)}\s*\]|{self._key(key)}\s*=)"))

    def _section(self) -> int:
        found = self._find(re.compile(r"^\s*\[\s*columns\s*\]"))
        return found or 0

    def column(self, name: str) -> int | None:
        key = self._key(name)
        table = self._find(re.compile(rf"^\s*\[\s*columns\s*\.\s*{key}\s*\]"))
        if table is not None:
            return table
        return self._find(re.compile(rf"^\s*{key}\s*="), self._section())

    def inside(self, name: str, key: str) -> int | None:
        line = self.column(name)
        if line is None:
            return None
        if re.search(rf"\b{re.escape(key)}\s*=", self.lines[line - 1]):
            return line
        found = self._find(re.compile(rf"^\s*{self._key(key)}\s*="), line)
        return found


# --- the table -------------------------------------------------------------------------------


Row = dict[str, Any]


def table_format(path: Path, mapping: Mapping) -> str:
    if mapping.format is not None:
        return mapping.format
    return "json" if path.suffix.lower() == ".json" else "csv"


def parse_spreadsheet(path: Path, graph: str, text: str, mapping: Mapping) -> ParsedFile:
    fmt = table_format(path, mapping)
    reader, columns = _json_rows(path, text) if fmt == "json" else _csv_rows(path, text)
    rows = list(reader)
    unknown = [c for c in mapping.columns if c.name not in columns]
    if unknown:
        first = unknown[0]
        shown = ", ".join(repr(c) for c in columns[:20]) or "none"
        raise ImportFailed(
            f"{mapping.where(first.line)}: column {first.name!r} is not a column of {path} "
            f"(its columns: {shown})"
        )
    mapped = {c.name for c in mapping.columns}
    notes = [
        Skipped(str(path), f"column {name!r} is not in the mapping {mapping.path.name}; left out")
        for name in columns
        if name not in mapped
    ]
    records: list[MethodRecord] = []
    ids: dict[str, Where] = {}
    for where, row in rows:
        record = _record(where, graph, row, mapping)
        if record.identifier is not None:
            if record.identifier in ids:
                raise ImportFailed(
                    f"{where}: id {record.identifier!r} repeats {ids[record.identifier]}"
                )
            ids[record.identifier] = where
        records.append(record)
    return ParsedFile(
        path=path,
        graph=graph,
        format="spreadsheet",
        records=records,
        records_read=len(records),
        notes=notes,
        licence=mapping.licence,
        attribution=mapping.attribution,
        language=mapping.language,
    )


def _csv_rows(path: Path, text: str) -> tuple[Iterator[tuple[Where, Row]], list[str]]:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except csv.Error as exc:
        raise ImportFailed(f"{path}:1: not valid CSV ({exc})") from None
    except StopIteration:
        raise ImportFailed(f"{path}: the file is empty") from None
    for i, name in enumerate(header):
        if not name:
            raise ImportFailed(f"{path}:1: column {i + 1} of the header row has no name")
        if name in header[:i]:
            raise ImportFailed(f"{path}:1: the header names column {name!r} twice")

    def rows() -> Iterator[tuple[Where, Row]]:
        end = reader.line_num
        while True:
            start = end + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFailed(f"{path}:{start}: not valid CSV ({exc})") from None
            end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            where = Where(path, line=start)
            if len(cells) > len(header):
                raise ImportFailed(
                    f"{where}: {len(cells)} cells, but the header has {len(header)} columns"
                )
            yield where, dict(zip(header, cells, strict=False))

    return rows(), header


def _json_rows(path: Path, text: str) -> tuple[Iterator[tuple[Where, Row]], list[str]]:
    data = json_array(path, text, of="objects (one per method)")
    columns: dict[str, None] = {}
    rows: list[tuple[Where, Row]] = []
    for number, item in enumerate(data, start=1):
        where = Where(path, record=number)
        if not isinstance(item, dict):
            raise ImportFailed(f"{where}: expected an object, got {type(item).__name__}")
        columns.update(dict.fromkeys(item))
        rows.append((where, item))
    return iter(rows), list(columns)


def _values(where: Where, column: Column, raw: object, empty: frozenset[str]) -> list[str]:
    """A cell's values: one (or none) for a single-valued target, the split list otherwise."""
    target = TARGETS[column.target]
    if raw is None:
        return []
    if isinstance(raw, list):
        if not target.multiple:
            raise ImportFailed(
                f"{where}: column {column.name!r} holds a list, but target "
                f"{column.target!r} takes one value"
            )
        items = [_scalar(where, column, item) for item in raw]
    else:
        text = _scalar(where, column, raw)
        if target.multiple and column.separator is not None:
            items = text.split(column.separator)
        else:
            items = [text]
    stripped = [item.strip() for item in items]
    return [item for item in stripped if item not in empty]


def _scalar(where: Where, column: Column, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ImportFailed(
        f"{where}: column {column.name!r} holds {type(value).__name__} {str(value)[:40]!r}; "
        "expected text or a whole number"
    )


def _record(where: Where, graph: str, row: Row, mapping: Mapping) -> SheetRecord:
    record = SheetRecord(where=where, graph=graph)
    source = SourceRecord()
    source_columns: list[str] = []
    for column in mapping.columns:
        values = _values(where, column, row.get(column.name), mapping.empty)
        if not values or column.target == "ignore":
            continue
        try:
            _apply(record, source, column, values)
        except ValueProblem as exc:
            raise ImportFailed(f"{where}: column {column.name!r}: {exc}") from None
        if column.target in ("citation", "source-title", "doi", "url", "arxiv"):
            source_columns.append(column.name)
    if mapping.by_target("id") and record.identifier is None:
        raise ImportFailed(
            f"{where}: no id: column {mapping.by_target('id')[0].name!r} is empty, and the id "
            "names the method"
        )
    if record.identifier is None and not record.labels:
        names = ", ".join(repr(c.name) for c in mapping.by_target("label"))
        raise ImportFailed(f"{where}: no label: the row names no method (empty: {names})")
    if source_columns:
        if source.title is None:
            raise ImportFailed(
                f"{where}: the source ({', '.join(source_columns)}) needs a title: "
                "map a citation or a source-title column"
            )
        record.source = source
    return record


def _apply(record: SheetRecord, source: SourceRecord, column: Column, values: list[str]) -> None:
    target, lang = column.target, column.lang
    value = values[0]
    if target == "id":
        slug = slugify(value) if column.parser == "slugify" else value
        if not _SLUG.match(slug):
            raise ValueProblem(
                f"{value[:80]!r} is not a slug (lower-case a-z, 0-9 and '-'; "
                'parser = "slugify" makes one)'
            )
        record.identifier = record.slug_hint = record.key = slug
    elif target == "label":
        record.labels.append(Literal(value, lang=lang))
    elif target == "alias":
        record.aliases.extend(Literal(v, lang=lang) for v in dict.fromkeys(values))
    elif target == "field":
        record.fields.extend(ConceptName(Literal(v, lang=lang)) for v in values)
    elif target == "family":
        record.families.extend(ConceptName(Literal(v, lang=lang)) for v in values)
    elif target == "year":
        if column.parser == "year" and not _YEAR.match(value):
            raise ValueProblem(f"not a year: {value[:80]!r} (expected four digits, e.g. 1979)")
        record.years = parse_year_range(value)
    elif target == "attribution":
        record.attribution.append(Literal(value, lang=lang))
    elif target == "type":
        record.method_type.append(Literal(value, lang=lang))
    elif target == "summary":
        record.summary.append(Literal(value, lang=lang))
    elif target == "citation":
        citation = parse_citation(value)
        source.citation = citation
        source.year = citation.year
        if source.title is None:
            source.title = Literal(citation.title, lang=lang)
    elif target == "source-title":
        source.title = Literal(value, lang=lang)
    elif target == "doi":
        doi = _DOI_PREFIX.sub("", value).strip()
        if not _DOI.match(doi):
            raise ValueProblem(f"not a DOI: {value[:80]!r} (expected e.g. 10.1214/aos/1176344552)")
        source.doi = doi
    elif target == "url":
        if not _URL.match(value):
            raise ValueProblem(f"not a web address: {value[:80]!r} (expected http:// or https://)")
        source.url = value
    elif target == "arxiv":
        bare = _BARE_ARXIV.match(value)
        identifier = bare["id"] if bare else arxiv_id(value)
        if identifier is None:
            raise ValueProblem(
                f"not an arXiv id or link: {value[:80]!r} (expected e.g. 2006.11239)"
            )
        source.arxiv_id = identifier
    elif target == "related":
        record.related.extend(values)
    elif target == "originators":
        record.originators.extend(values)


# --- after the build: related methods and originators -----------------------------------------


def attach_links(
    ctx: Context,
    builder: GraphBuilder,
    parsed: ParsedFile,
    records: list[MethodRecord],
    built: BuildResult,
) -> list[Skipped]:
    """Link the file's rows to their related methods and originators (in its graph), and
    refuse a new method without a label; returns the references left out."""
    skipped: list[Skipped] = []
    mine = [r for r in records if isinstance(r, SheetRecord) and r.graph == parsed.graph]
    created = set(built.created)
    for record in mine:
        iri = built.record_iris.get(id(record))
        if iri in created and not record.labels:
            raise ImportFailed(
                f"{record.where}: no label: {record.identifier!r} is not a method in the store, "
                "and a new method needs a label (map a label column)"
            )
    by_name: dict[str, set[str]] = {}
    for any_record in records:
        iri = built.record_iris.get(id(any_record))
        if iri is not None:
            for name in any_record.names():
                by_name.setdefault(normalise(str(name)), set()).add(iri)
    ids = {
        r.identifier: built.record_iris[id(r)]
        for r in mine
        if r.identifier is not None and id(r) in built.record_iris
    }
    g = builder.graph(parsed.graph)
    references = {reference for r in mine for reference in r.related}
    builder.index.prefetch_names(normalise(reference) for reference in references)
    builder.index.prefetch_methods(
        f"{builder.base}method/{reference}" for reference in references if _SLUG.match(reference)
    )
    people = _people(builder, [name for r in mine for name in r.originators])
    for record in mine:
        iri = built.record_iris.get(id(record))
        if iri is None:
            continue
        for reference in dict.fromkeys(record.related):
            other, reason = _resolve(reference, ids, by_name, builder)
            if other is None:
                skipped.append(Skipped(str(record.where), f"related {reference!r}: {reason}"))
                continue
            if other == iri:
                skipped.append(Skipped(str(record.where), f"related {reference!r} is the method"))
                continue
            low, high = sorted((iri, other))
            g.add((URIRef(low), KG.relatedMethod, URIRef(high)))
        for person_name in dict.fromkeys(record.originators):
            key = normalise(person_name)
            if key not in people:
                people[key] = (builder.mint("person", slugify(person_name), person_name), True)
            person, restate = people[key]
            if restate:
                g.add((URIRef(person), RDF.type, KG.Person))
                g.add((URIRef(person), FOAF.name, Literal(person_name)))
            g.add((URIRef(iri), KG.originator, URIRef(person)))
    return skipped


def _resolve(
    reference: str, ids: dict[str, str], by_name: dict[str, set[str]], builder: GraphBuilder
) -> tuple[str | None, str]:
    """A related method by id (this file's, then the store's slugs), else by name."""
    if reference in ids:
        return ids[reference], ""
    stored = f"{builder.base}method/{reference}"
    if _SLUG.match(reference) and builder.index.is_method(stored):
        return stored, ""
    key = normalise(reference)
    found = by_name.get(key) or builder.index.methods_named(key)
    if len(found) == 1:
        return next(iter(found)), ""
    if found:
        return None, "names several methods (" + ", ".join(sorted(found)) + "); not linked"
    return None, "is no method of this file or the store (by id or name); not linked"


def _people(builder: GraphBuilder, names: list[str]) -> dict[str, tuple[str, bool]]:
    """Person by normalised name -> (IRI, whether this graph restates it): the store's person
    of that name (a curated one first), restated when only imports state them."""
    people: dict[str, tuple[str, bool]] = {}
    keys = sorted({normalise(name) for name in names} - {""})
    builder.index.prefetch_people(keys)
    for key in keys:
        found = builder.index.people(key)
        if found:
            people[key] = found[0]
    return people
