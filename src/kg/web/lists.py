"""What the sortable, filterable, paged lists share: reading ``sort``, ``text`` and ``after``
from the request (a bad value is a 400 with a message) and the names of the orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort, request
from flask_babel import gettext as _

MAX_KEY = 600
"""The longest ``after`` key a request may carry (a label and an IRI)."""


def sort_names() -> dict[str, str]:
    return {
        "relevance": _("Best match"),
        "name": _("Name (A–Z)"),
        "year": _("Oldest first"),
        "newest": _("Newest first"),
        "methods": _("Most methods first"),
        "usage": _("Most used first"),
    }


@dataclass(frozen=True)
class ListArgs:
    sort: str
    text: str
    after: str
    sorts: tuple[tuple[str, str], ...]
    """(value, name) of the orders this list offers, for the form."""
    default: str

    def kept(self) -> dict[str, Any]:
        """The list's own parameters to carry into other addresses of the list."""
        sort = "" if self.sort == self.default else self.sort
        return {k: v for k, v in (("sort", sort), ("text", self.text)) if v}


def list_args(sorts: Sequence[str], *, default: str | None = None) -> ListArgs:
    """``sort`` (one of ``sorts``; missing: ``default`` or the first), ``text`` (the name
    filter) and ``after`` (the key the page starts after) of the request."""
    default = default or sorts[0]
    sort = request.args.get("sort", "") or default
    if sort not in sorts:
        abort(400, description=_("sort: one of %(values)s", values=", ".join(sorts)))
    text = " ".join(request.args.get("text", "").split())
    if len(text) > 200:
        abort(400, description=_("The filter text has at most %(num)d characters.", num=200))
    after = request.args.get("after", "")
    if len(after) > MAX_KEY:
        abort(400, description=_("after: not a key of this list"))
    names = sort_names()
    return ListArgs(sort, text, after, tuple((s, names[s]) for s in sorts), default)
