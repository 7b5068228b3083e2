"""The query library's texts as messages of the UI catalogue.

A query's ``#+ summary:`` and the hint of each ``#+ param:`` line (``queries/*.rq``) are
shown on ``/queries``, on each canned query's page and in the editor's examples. They are
msgids of ``translations/{th,ja}/LC_MESSAGES/messages.po`` like any UI string; this is
Babel's extraction method for them (``pybabel extract`` with the mapping
``[kg.web.query_messages:extract_query_headers: queries/*.rq]``, or
``babel.messages.extract`` as ``tests/test_untranslated.py`` calls it).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

_SUMMARY = re.compile(r"^#\+\s*summary:\s*(?P<text>.+?)\s*$")
_PARAM = re.compile(r"^#\+\s*param:\s*[A-Za-z0-9_]+\s*\([^)]*\):\s*(?P<text>.+?)\s*$")


def extract_query_headers(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """(line, None, text, []) for the summary and each parameter hint of a query file."""
    for number, raw in enumerate(fileobj, start=1):
        line = raw.decode("utf-8")
        if not line.startswith("#+"):
            if line.strip():
                break  # the header is the file's first run of "#+" lines
            continue
        match = _SUMMARY.match(line) or _PARAM.match(line)
        if match:
            yield number, None, match.group("text"), []
