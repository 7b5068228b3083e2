"""Content negotiation: suffix, then Accept (q-values, wildcards), then HTML; else 406."""

from __future__ import annotations

import pytest

from kg.web.conneg import NotAcceptable, negotiate, parse_accept, split_suffix

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "html"),
        ("", "html"),
        ("*/*", "html"),
        (BROWSER, "html"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "jsonld"),
        ('application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"', "jsonld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "rdfxml"),
        ("text/html;q=0.5, text/turtle", "turtle"),
        ("text/turtle;q=0.2, application/ld+json;q=0.9", "jsonld"),
        ("text/*", "html"),
        ("text/*, text/html;q=0", "turtle"),
        ("application/rdf+xml, */*;q=0.1", "rdfxml"),
        ("TEXT/TURTLE", "turtle"),
        ("garbage, text/turtle;q=0.5", "turtle"),
    ],
)
def test_accept_header_decides(accept: str | None, expected: str) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize("accept", ["image/png", "text/html;q=0, */*;q=0", "text/csv"])
def test_nothing_acceptable_raises(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        negotiate(accept)


def test_suffix_wins_over_accept() -> None:
    assert negotiate("text/html", suffix="ttl") == "turtle"
    assert negotiate(BROWSER, suffix="rdf") == "rdfxml"
    with pytest.raises(NotAcceptable):
        negotiate(None, ("html", "turtle"), suffix="nq")


def test_only_offered_types_are_given() -> None:
    assert negotiate("application/n-quads, */*;q=0.1", ("turtle", "nquads")) == "nquads"
    assert negotiate("*/*", ("turtle", "nt")) == "turtle"


def test_parse_accept_skips_malformed_ranges() -> None:
    ranges = parse_accept("text/turtle;q=x, /, a, */html, text/html;q=0.3")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "html", 0.3)]


def test_split_suffix() -> None:
    assert split_suffix("ddpm.ttl") == ("ddpm", "ttl")
    assert split_suffix("ddpm") == ("ddpm", None)
    assert split_suffix("v1.2") == ("v1.2", None)
