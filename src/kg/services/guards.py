"""Checks on untrusted text before any engine reads it.

pyoxigraph 0.5.13 parses SPARQL and JSON-LD recursively and overflows its stack on deep
nesting (a query with about 2,100 nested ``{``, 4,500 nested ``(`` or 2,500 nested list
``(``; about 6,300 chained operators such as ``UNION`` or ``+``, which it builds into
left-deep trees; JSON-LD objects nested 4,000–5,000 deep): the process dies with SIGSEGV,
whatever Python does. ``SERVICE`` in a query and ``LOAD`` in an update make the engine
fetch URLs. So every query, update and JSON-LD document from outside is measured here
first, by scanners that never recurse, and refused with a message when it is too long,
nested too deeply, chains too many operators or asks for a remote fetch.

The SPARQL scanner reads the text as the engine does (tests/test_guard_differential.py
checks it against the engine): the terminals of the SPARQL 1.1 grammar (section 19.8),
where a comment runs to the next ``\\r`` or ``\\n``; ``\\u`` escapes only inside strings and
IRIs (pyoxigraph does not decode them before it tokenises); keywords in any case and right
after any other token or keyword (``?o.SERVICE``, ``1SERVICE``, ``SERVICESILENT`` and
``SERVICE:x`` are all SERVICE); ``<`` the comparison operator right after an operand in an
expression and the start of an IRI everywhere else. Past the first place where the
engine's parser fails the verdict does not matter (the engine runs nothing), so the
scanner just reads on there, which can only add refusals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.config import Settings

_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS = _BASE + "_\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ESCAPE = r"\\[tbnrf\"'\\]|" + _UCHAR
_TOKEN = re.compile(
    "|".join(
        (
            r"(?P<space>[\x20\t\r\n]+)",
            r"(?P<comment>\#[^\r\n]*)",
            rf'(?P<string>"""(?:(?:"|"")?(?:[^"\\]|{_ESCAPE}))*+"""'
            rf"|'''(?:(?:'|'')?(?:[^'\\]|{_ESCAPE}))*+'''"
            rf'|"(?:[^"\\\r\n]|{_ESCAPE})*+"'
            rf"|'(?:[^'\\\r\n]|{_ESCAPE})*+')",
            rf"(?P<var>[?$][{_BASE}_0-9][{_BASE}_0-9\u00b7\u0300-\u036f\u203f-\u2040]*)",
            rf"(?P<bnode>_:[{_BASE}_0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
            rf"(?P<pname>(?P<prefix>[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?)?:"
            rf"(?:(?:[{_BASE}_:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?)?)",
            r"(?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+"
            r"|[0-9]*\.[0-9]+|[0-9]+)",
            rf"(?P<word>[{_BASE}_][{_BASE}_0-9]*)",
            r"(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)",
            r"(?P<open><<\(|<<|[{(\[])",
            r"(?P<close>>>|[})\]])",
            r"(?P<operator>\|\||&&|[|/!^*+\-])",
            r"(?P<other>[\s\S])",
        )
    )
)
_IRI = re.compile(rf"<(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*+>")
_COMPARISON = re.compile(r"<=?")
_LINE_END = re.compile(r"\r\n?|\n")
_REMOTE_WORD = re.compile(r"SERVICE|LOAD", re.IGNORECASE)
_CHAIN_WORD = re.compile(r"UNION|OPTIONAL|MINUS", re.IGNORECASE)
_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|(?P<open>[\[{])|(?P<close>[\]}])', re.DOTALL)

MAX_OPERATORS = 2000
"""Most operators (``+ - * / | || && ! ^``, UNION, OPTIONAL, MINUS) in a query or update;
the engine overflows at about 6,300 in one chain, brackets or not."""

# What "(" opens (an expression, or a list of terms: a collection, a path group, a VALUES
# row) depends on where it stands: after FILTER or BIND (and a function name after FILTER),
# inside another expression, and anywhere in the projection and the solution modifiers it
# opens an expression. Keywords switch the clause they start at their level of braces.
_CLAUSES = (
    ("SELECT", "expressions"), ("ORDER", "expressions"), ("GROUP", "expressions"),
    ("HAVING", "expressions"), ("LIMIT", "expressions"), ("OFFSET", "expressions"),
    ("CONSTRUCT", "patterns"), ("DESCRIBE", "patterns"), ("ASK", "patterns"),
    ("INSERT", "patterns"), ("DELETE", "patterns"), ("WHERE", "patterns"),
)  # fmt: skip
_EXPRESSION, _TERMS, _GROUP, _VALUES, _BLANK, _QUOTED = "(e", "(", "{", "{v", "[", "<<"
_OPENS = {")": (_EXPRESSION, _TERMS), "}": (_GROUP, _VALUES), "]": (_BLANK,), ">>": (_QUOTED,)}


class InputRejected(ValueError):
    """Input refused before any engine read it; safe to show. ``status`` is for HTTP."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Limits:
    max_query_length: int
    max_nesting: int
    allow_remote: bool

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.max_query_length, settings.max_nesting, settings.allow_remote)


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column) of ``offset``, both from 1; a line ends at "\\r\\n", "\\r" or "\\n"."""
    line = 1 + sum(1 for _ in _LINE_END.finditer(text, 0, offset))
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return line, offset - start + 1


def _where(text: str, offset: int) -> str:
    line, column = position(text, offset)
    return f"line {line}, column {column}"


def check_sparql(text: str, limits: Limits, *, update: bool = False) -> None:
    """Refuse a query (or, with ``update``, an update) that is too long, nested deeper than
    the limit, chains more than MAX_OPERATORS operators, or that would fetch a URL
    (``SERVICE``, ``LOAD``) when that is not allowed.

    The length limit is for queries only; updates are bounded by the request size.
    """
    what = "update" if update else "query"
    if not update and len(text) > limits.max_query_length:
        raise InputRejected(
            f"the query has {len(text):,} characters; at most {limits.max_query_length:,} "
            "are accepted here"
        )
    _Scanner(text, limits, what).run()


class _Scanner:
    def __init__(self, text: str, limits: Limits, what: str) -> None:
        self.text, self.limits, self.what = text, limits, what
        self.frames: list[str] = []  # the open brackets, innermost last
        self.clauses = ["patterns"]  # the clause at each level of braces
        self.pending = ""  # "expression" after FILTER/BIND, "values" after VALUES
        self.operand = False  # the last token ends an operand
        self.operators = 0

    def run(self) -> None:
        text, position = self.text, 0
        while position < len(text):
            if text.startswith("<", position):
                if self.operand and self.frames and self.frames[-1] == _EXPRESSION:
                    match = _COMPARISON.match(text, position)
                    assert match is not None
                    self.operand, position = False, match.end()
                    continue
                iri = _IRI.match(text, position)
                if iri:
                    self.operand, position = True, iri.end()
                    continue
            match = _TOKEN.match(text, position)
            assert match is not None
            getattr(self, "_" + str(match.lastgroup))(match)
            position = match.end()

    def _space(self, match: re.Match[str]) -> None:
        pass

    _comment = _space

    def _string(self, match: re.Match[str]) -> None:
        self.operand = True

    _var = _bnode = _number = _langtag = _string

    def _pname(self, match: re.Match[str]) -> None:
        if match["prefix"]:
            self._keyword(match["prefix"], match.start())
        self.operand = True

    def _word(self, match: re.Match[str]) -> None:
        self._keyword(match[0], match.start())
        self.operand = match[0] in ("true", "false")

    def _keyword(self, word: str, offset: int) -> None:
        """Letters outside names: keywords, glued together as the engine reads them."""
        remote = _REMOTE_WORD.search(word)
        if remote and not self.limits.allow_remote:
            raise InputRejected(
                f"{remote[0].upper()} ({_where(self.text, offset + remote.start())}) would "
                "make this server fetch a URL, and it does not fetch anything on a "
                "client's behalf"
            )
        for chained in _CHAIN_WORD.finditer(word):
            self._count_operator(offset + chained.start())
        if self.frames and self.frames[-1] == _EXPRESSION:
            return
        upper = word.upper()
        if upper.startswith(("FILTER", "BIND")):
            self.pending = "expression"
        elif upper.startswith("VALUES"):
            self.pending = "values"
        else:
            for keyword, clause in _CLAUSES:
                if upper.startswith(keyword):
                    self.clauses[-1] = clause

    def _open(self, match: re.Match[str]) -> None:
        token, top = match[0], self.frames[-1] if self.frames else ""
        if token == "{":
            self.frames.append(_VALUES if self.pending == "values" else _GROUP)
            self.clauses.append("patterns")
            self.pending = ""
        elif token == "[":
            self.frames.append(_BLANK)
        elif token.startswith("<<"):
            self.frames.append(_QUOTED)
            if token == "<<(":
                self.frames.append(_TERMS)
        elif self.pending == "values" or top in (_TERMS, _VALUES, _QUOTED):
            self.frames.append(_TERMS)
        elif top == _EXPRESSION or self.pending == "expression":
            self.frames.append(_EXPRESSION)
            self.pending = ""
        elif self.clauses[-1] == "expressions" and top != _BLANK:
            self.frames.append(_EXPRESSION)
        else:
            self.frames.append(_TERMS)
        self.operand = False
        if len(self.frames) > self.limits.max_nesting:
            raise InputRejected(
                f"the {self.what} nests brackets more than {self.limits.max_nesting} deep "
                f"({_where(self.text, match.start())}); flatten it"
            )

    def _close(self, match: re.Match[str]) -> None:
        token = match[0]
        # A bracket that closes nothing open stops the engine's parser: nothing after it
        # runs, so the depth may stay where it is.
        if self.frames and self.frames[-1] in _OPENS[token]:
            if self.frames.pop() in (_GROUP, _VALUES):
                self.clauses.pop()
        self.operand = token != "}"

    def _operator(self, match: re.Match[str]) -> None:
        self._count_operator(match.start())
        self.operand = False

    def _count_operator(self, offset: int) -> None:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise InputRejected(
                f"the {self.what} has more than {MAX_OPERATORS:,} operators "
                f"({_where(self.text, offset)}); split it"
            )

    def _other(self, match: re.Match[str]) -> None:
        self.operand = False


def check_json_nesting(data: bytes, limit: int, source: str) -> None:
    """Refuse a JSON (JSON-LD) document whose objects and arrays nest deeper than ``limit``."""
    depth = 0
    for match in _JSON_TOKENS.finditer(data):
        if match["open"]:
            depth += 1
            if depth > limit:
                offset = match.start()
                line = data.count(b"\n", 0, offset) + 1
                column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
                raise InputRejected(
                    f"{source}:{line}:{column}: JSON objects and arrays nested more than "
                    f"{limit} deep are not accepted"
                )
        elif match["close"]:
            depth = max(0, depth - 1)
