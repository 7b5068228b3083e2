"""Checks on untrusted text before any engine reads it.

pyoxigraph 0.5.13 parses SPARQL and JSON-LD recursively and overflows its stack on deep
nesting (a query with about 3,000 nested ``{``, 5,000 nested ``(`` or 500 nested list
``(``; JSON-LD objects nested 4,000–5,000 deep): the process dies with SIGSEGV, whatever
Python does. ``SERVICE`` in a query and ``LOAD`` in an update make the engine fetch URLs.
So every query, update and JSON-LD document from outside is measured here first, by
scanners that never recurse, and refused with a message when it is too long, nested too
deeply or asks for a remote fetch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.config import Settings

# Comments, strings (long ones first), IRIs, variables and prefixed names are read whole,
# so that brackets and words inside them do not count; everything else is scanned for
# brackets and for the words SERVICE and LOAD. pyoxigraph's parser takes those words as
# keywords right after any other token (`?o.SERVICE`, `1SERVICE`, `SERVICE:x` all fetch),
# so a bare occurrence anywhere outside a variable or a local name counts.
_NAME_CHARS = r"\w.\-\u00B7\u0300-\u036F\u203F-\u2040"
_SPARQL_TOKENS = re.compile(
    r"""
      \#[^\n]*
    | \"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*\"\"\"
    | '''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''
    | "[^"\\\n]*(?:\\.[^"\\\n]*)*"
    | '[^'\\\n]*(?:\\.[^'\\\n]*)*'
    | <[^<>"{}|^`\\\x00-\x20]*>
    | [?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+
    | (?P<prefix>[^\W\d][NAME]*)?:(?:[NAME:%]|\\.)*
    | (?P<open>[{(\[])
    | (?P<close>[})\]])
    | (?P<remote>SERVICE|LOAD)
    """.replace("NAME", _NAME_CHARS),
    re.VERBOSE | re.IGNORECASE,
)
_REMOTE_WORD = re.compile(r"SERVICE|LOAD", re.IGNORECASE)
_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|(?P<open>[\[{])|(?P<close>[\]}])', re.DOTALL)


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


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def check_sparql(text: str, limits: Limits, *, update: bool = False) -> None:
    """Refuse a query (or, with ``update``, an update) that is too long, nested deeper than
    the limit, or that would fetch a URL (``SERVICE``, ``LOAD``) when that is not allowed.

    The length limit is for queries only; updates are bounded by the request size.
    """
    what = "update" if update else "query"
    if not update and len(text) > limits.max_query_length:
        raise InputRejected(
            f"the query has {len(text):,} characters; at most {limits.max_query_length:,} "
            "are accepted here"
        )
    depth = 0
    for match in _SPARQL_TOKENS.finditer(text):
        if match["open"]:
            depth += 1
            if depth > limits.max_nesting:
                raise InputRejected(
                    f"the {what} nests brackets more than {limits.max_nesting} deep "
                    f"({_where(text, match.start())}); flatten it"
                )
        elif match["close"]:
            depth = max(0, depth - 1)
        elif limits.allow_remote:
            continue
        elif match["remote"] or (match["prefix"] and _REMOTE_WORD.search(match["prefix"])):
            word = (match["remote"] or _REMOTE_WORD.findall(match["prefix"])[0]).upper()
            raise InputRejected(
                f"{word} ({_where(text, match.start())}) would make this server fetch a URL, "
                "and it does not fetch anything on a client's behalf"
            )


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
