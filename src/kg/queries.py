"""The query library: SPARQL files in ``queries/`` with a ``#+`` header, bound safely.

A query file starts with a header of ``#+ key: value`` comment lines::

    #+ name: method-rows
    #+ summary: Every display row of the given methods.
    #+ param: method (iri, multiple): the methods to show
    #+ param: lang (language): the UI language; labels fall back to English

An optional ``#+ audience: internal`` marks a query written for the service's own pages and
importers; the others (``research``, the default) answer researchers' questions, and
``/queries`` lists the two apart.

Each parameter ``p`` has exactly one ``VALUES ?p { … }`` block in the body, holding an
example value so that the file runs as-is in any SPARQL editor. Binding replaces the
content of that block with the given values, each validated for its type and written as
an escaped SPARQL term; nothing else in the text changes. The same bound text runs on the
embedded store and on any remote SPARQL 1.1 engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal as TypingLiteral

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

ParamType = TypingLiteral["iri", "literal", "language", "integer"]
QueryKind = TypingLiteral["select", "construct", "ask", "describe", "update"]
Audience = TypingLiteral["research", "internal"]

PARAM_TYPES: tuple[ParamType, ...] = ("iri", "literal", "language", "integer")
AUDIENCES: tuple[Audience, ...] = ("research", "internal")
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAM_RE = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>[a-z]+)(?P<multi>\s*,\s*multiple)?\)"
    r"\s*:\s*(?P<doc>.+)$"
)
# RFC 3987 forbids these in an IRI; pyoxigraph and rdflib accept a few of them.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`]')
_IRI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*\Z")
_KEYWORD_RE = re.compile(
    r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE|INSERT|DELETE|LOAD|CLEAR|DROP|CREATE)\b", re.IGNORECASE
)
MAX_VALUES_PER_PARAMETER = 100


class QueryFileError(ValueError):
    """A file in the query library is malformed (bad header, missing VALUES block)."""


class BindingError(ValueError):
    """A parameter value is missing or not of its declared type; safe to show to users."""


class UnknownQueryError(KeyError):
    """No query of that name in the library."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: ParamType
    multiple: bool
    description: str


@dataclass(frozen=True)
class Query:
    name: str
    summary: str
    parameters: tuple[Parameter, ...]
    text: str
    path: Path
    kind: QueryKind
    audience: Audience = "research"
    """``internal``: written for the service's own pages and importers (``#+ audience:``)."""

    def parameter(self, name: str) -> Parameter:
        for param in self.parameters:
            if param.name == name:
                return param
        raise BindingError(f"query {self.name!r} has no parameter {name!r}")

    def bind(self, values: Mapping[str, object] | None = None, /, **kwargs: object) -> str:
        """The query text with every parameter's VALUES block holding the given values.

        A parameter left out keeps its example value. A multiple parameter takes a list.
        """
        given = {**(values or {}), **kwargs}
        for name in given:
            self.parameter(name)  # unknown names fail loudly
        text = self.text
        # From the last block to the first, so that the offsets found once stay valid.
        for param in sorted(self.parameters, key=lambda p: -self._blocks[p.name][0]):
            if param.name not in given:
                continue
            terms = _terms_for(param, given[param.name])
            start, end = self._blocks[param.name]
            text = text[:start] + " " + " ".join(terms) + " " + text[end:]
        return text

    @cached_property
    def _blocks(self) -> dict[str, tuple[int, int]]:
        """Offsets of each parameter's VALUES block content in ``text`` (found once)."""
        return {param.name: _values_block(self.text, param.name) for param in self.parameters}


def _terms_for(param: Parameter, value: object) -> list[str]:
    if param.multiple:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise BindingError(f"parameter {param.name!r} takes a list of values")
        items = list(value)
        if not items:
            raise BindingError(f"parameter {param.name!r} needs at least one value")
        if len(items) > MAX_VALUES_PER_PARAMETER:
            raise BindingError(
                f"parameter {param.name!r} takes at most {MAX_VALUES_PER_PARAMETER} values"
            )
    else:
        items = [value]
    return [term_for(param.type, item, name=param.name) for item in items]


def term_for(param_type: ParamType, value: object, *, name: str = "value") -> str:
    """``value`` as a SPARQL term of ``param_type``, validated and escaped."""
    if param_type == "iri":
        iri = str(value)
        if not _IRI_SCHEME.match(iri) or _IRI_FORBIDDEN.search(iri):
            raise BindingError(f"{name}: not a valid IRI: {iri[:200]!r}")
        return URIRef(iri).n3()
    if param_type == "language":
        tag = str(value)
        if not _LANGUAGE_RE.match(tag):
            raise BindingError(f"{name}: not a language tag: {tag[:50]!r}")
        return Literal(tag.lower()).n3()
    if param_type == "integer":
        if isinstance(value, bool):
            raise BindingError(f"{name}: not an integer: {value!r}")
        try:
            number = int(str(value), 10)
        except ValueError:
            raise BindingError(f"{name}: not an integer: {str(value)[:50]!r}") from None
        return Literal(number, datatype=XSD.integer).n3()
    if param_type == "literal":
        return Literal(str(value)).n3()
    raise BindingError(f"{name}: unknown parameter type {param_type!r}")


def with_base(text: str, base_iri: str) -> str:
    """The query or update with a ``BASE`` declaration for ``base_iri`` before it (relative
    IRIs in it then resolve against that IRI on any engine); the IRI is validated and
    escaped as a bound value is."""
    return f"BASE {term_for('iri', base_iri, name='base IRI')}\n{text}"


# --- scanning SPARQL text ------------------------------------------------------------------


def _segments(text: str) -> Iterator[tuple[str, int, int]]:
    """Split SPARQL text into ('code'|'string'|'iri'|'comment', start, end) segments."""
    i, n, code_start = 0, len(text), 0
    while i < n:
        c = text[i]
        kind, j = "", i
        if c == "#":
            kind, j = "comment", text.find("\n", i)
            j = n if j < 0 else j
        elif c in "\"'":
            kind = "string"
            quote = text[i : i + 3] if text[i : i + 3] in ('"""', "'''") else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + len(quote))
        elif c == "<":
            close = re.compile(r'[^<>"{}|^`\\\x00-\x20]*>').match(text, i + 1)
            if close:
                kind, j = "iri", close.end()
        if kind:
            if code_start < i:
                yield ("code", code_start, i)
            yield (kind, i, j)
            i = code_start = j
        else:
            i += 1
    if code_start < n:
        yield ("code", code_start, n)


def _code_only(text: str) -> str:
    """The text with comments, strings and IRIs blanked out (same length, same offsets)."""
    chars = list(text)
    for kind, start, end in _segments(text):
        if kind != "code":
            for k in range(start, end):
                if chars[k] != "\n":
                    chars[k] = " "
    return "".join(chars)


def _values_block(text: str, var: str) -> tuple[int, int]:
    """Offsets of the content of the single ``VALUES ?var { … }`` block."""
    code = _code_only(text)
    pattern = re.compile(r"\bVALUES\s+[?$]" + re.escape(var) + r"\s*\{", re.IGNORECASE)
    matches = list(pattern.finditer(code))
    if len(matches) != 1:
        raise QueryFileError(
            f"expected exactly one 'VALUES ?{var} {{ … }}' block, found {len(matches)}"
        )
    start = matches[0].end()
    end = code.find("}", start)
    if end < 0:
        raise QueryFileError(f"unclosed 'VALUES ?{var}' block")
    return start, end


def query_kind(text: str) -> QueryKind:
    match = _KEYWORD_RE.search(_code_only(text))
    if not match:
        raise QueryFileError("no SELECT, CONSTRUCT, ASK, DESCRIBE or update operation found")
    word = match.group(1).upper()
    if word in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE"):
        return word.lower()  # type: ignore[return-value]
    return "update"


# --- the library ---------------------------------------------------------------------------


def parse_query_file(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    params: list[Parameter] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            continue
        key, sep, value = line[2:].partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise QueryFileError(f"{path}:{lineno}: header lines read '#+ key: value'")
        if key == "param":
            match = _PARAM_RE.match(value)
            if not match or match["type"] not in PARAM_TYPES:
                raise QueryFileError(
                    f"{path}:{lineno}: a parameter reads 'name (type[, multiple]): what it is' "
                    f"with type one of {', '.join(PARAM_TYPES)}"
                )
            params.append(
                Parameter(match["name"], match["type"], bool(match["multi"]), match["doc"])
            )
        elif key in ("name", "summary"):
            header[key] = value
        elif key == "audience":
            if value not in AUDIENCES:
                raise QueryFileError(
                    f"{path}:{lineno}: the audience is one of {', '.join(AUDIENCES)}"
                )
            header[key] = value
        else:
            raise QueryFileError(f"{path}:{lineno}: unknown header key {key!r}")
    for key in ("name", "summary"):
        if key not in header:
            raise QueryFileError(f"{path}: the header needs '#+ {key}: …'")
    if header["name"] != path.stem or not _NAME_RE.match(header["name"]):
        raise QueryFileError(f"{path}: '#+ name:' must equal the file name, in [a-z0-9-]")
    try:
        for param in params:
            _values_block(text, param.name)
        kind = query_kind(text)
    except QueryFileError as exc:
        raise QueryFileError(f"{path}: {exc}") from None
    audience: Audience = "internal" if header.get("audience") == "internal" else "research"
    return Query(header["name"], header["summary"], tuple(params), text, path, kind, audience)


class QueryLibrary:
    """Every ``*.rq`` file of a directory (and its ``checks/`` folder), by name."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._queries: dict[str, Query] = {}
        for path in sorted(directory.glob("*.rq")) + sorted(directory.glob("checks/*.rq")):
            query = parse_query_file(path)
            key = f"checks/{query.name}" if path.parent.name == "checks" else query.name
            if key in self._queries:
                raise QueryFileError(f"{path}: duplicate query name {key!r}")
            self._queries[key] = query

    def __getitem__(self, name: str) -> Query:
        try:
            return self._queries[name]
        except KeyError:
            raise UnknownQueryError(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._queries

    def __iter__(self) -> Iterator[Query]:
        return iter(self._queries.values())

    def names(self) -> list[str]:
        return list(self._queries)

    def checks(self) -> list[Query]:
        return [q for key, q in self._queries.items() if key.startswith("checks/")]
