"""Content negotiation: which representation a request gets.

An explicit suffix (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``, ``.nq``) wins; otherwise the
``Accept`` header decides, with q-values and wildcards (``text/*``, ``*/*``) honoured and the
most specific matching range giving a type its quality; among equally good types the server's
order decides, HTML first, so a browser's header (``text/html,…,*/*;q=0.8``), ``*/*`` and no
header at all give HTML. Nothing acceptable: ``NotAcceptable`` (406).

HTTP caches must know which answers depend on ``Accept``: a view that negotiates calls
:func:`mark_negotiated`, and :func:`vary_on_accept` (run after every request) then adds
``Accept`` to the response's ``Vary``, as it does for every error (error bodies are HTML,
JSON or plain text by ``Accept``, ``kg.web.errors``). It adds to the header, never replaces
it: pages also vary on ``Accept-Language`` and ``Cookie`` (``kg.web.i18n``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import g
from werkzeug.wrappers import Response as BaseResponse

_NEGOTIATED = "kg_accept_negotiated"


@dataclass(frozen=True)
class Representation:
    name: str
    media_type: str
    suffix: str | None
    also: tuple[str, ...] = ()

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.also)


REPRESENTATIONS: dict[str, Representation] = {
    r.name: r
    for r in (
        Representation("html", "text/html", None, ("application/xhtml+xml",)),
        Representation("turtle", "text/turtle", "ttl", ("application/x-turtle",)),
        Representation("jsonld", "application/ld+json", "jsonld", ("application/json",)),
        Representation("nt", "application/n-triples", "nt"),
        Representation("rdfxml", "application/rdf+xml", "rdf"),
        Representation("nquads", "application/n-quads", "nq"),
    )
}
BY_SUFFIX = {r.suffix: r.name for r in REPRESENTATIONS.values() if r.suffix}
RDF_OFFER = ("html", "turtle", "jsonld", "nt", "rdfxml")


class NotAcceptable(Exception):
    """No offered representation is acceptable; carries what could be given."""

    def __init__(self, offered: Sequence[str]) -> None:
        self.offered = tuple(offered)
        types = ", ".join(REPRESENTATIONS[name].media_type for name in offered)
        super().__init__(f"none of the acceptable types can be given; available: {types}")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """3 exact, 2 ``type/*``, 1 ``*/*``, 0 no match."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == main and self.subtype == "*":
            return 2
        if self.type == main and self.subtype == sub:
            return 3
        return 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed parts are skipped."""
    ranges: list[MediaRange] = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if media == "*":
            media = "*/*"
        main, slash, sub = media.partition("/")
        if not slash or not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append(MediaRange(main, sub, q))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    best, best_q = 0, 0.0
    for media_range in ranges:
        specificity = media_range.specificity(media_type)
        if specificity > best or (specificity == best and specificity and media_range.q > best_q):
            best, best_q = specificity, media_range.q
    return best_q if best else 0.0


def negotiate(
    accept: str | None, offered: Sequence[str] = RDF_OFFER, *, suffix: str | None = None
) -> str:
    """The name of the representation to give (see the module docstring)."""
    if suffix is not None:
        name = BY_SUFFIX.get(suffix)
        if name is None or name not in offered:
            raise NotAcceptable(offered)
        return name
    ranges = parse_accept(accept)
    if not ranges:
        if accept and accept.strip():  # a header, but nothing we could read: as if absent
            return offered[0]
        return offered[0]
    best_name, best_q = None, 0.0
    for name in offered:
        q = max(quality(ranges, t) for t in REPRESENTATIONS[name].media_types)
        if q > best_q:
            best_name, best_q = name, q
    if best_name is None:
        raise NotAcceptable(offered)
    return best_name


def split_suffix(name: str) -> tuple[str, str | None]:
    """``ddpm.ttl`` → (``ddpm``, ``ttl``); names without a known suffix are returned whole."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in BY_SUFFIX:
        return stem, suffix
    return name, None


def mark_negotiated() -> None:
    """This request's answer depends on its ``Accept`` header (see :func:`vary_on_accept`)."""
    setattr(g, _NEGOTIATED, True)


def vary_on_accept(response: BaseResponse) -> BaseResponse:
    """``Vary: Accept`` added to a negotiated answer and to every error, merged with what the
    response varies on already."""
    if getattr(g, _NEGOTIATED, False) or response.status_code >= 400:
        response.vary.add("Accept")
    return response
