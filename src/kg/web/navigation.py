"""What every page shares: the site's header, local links for our IRIs, "open the query",
and the translation of the query library's texts.

* ``local_page`` (a Jinja filter): where an IRI is shown on this site. IRIs under
  ``KG_BASE_IRI`` and the ontology's are pages here (fields and families their browse
  pages), so a local install never sends readers to ``https://w3id.org/…``; other http(s)
  IRIs stay as they are; anything else is None (shown as text).
* ``query_url(name, **params)``: the library query ``name`` in the editor, parameters bound.
* ``method_href(id)``: a method's page (``url_for('pages.method_page', …)``; a comparison
  names dozens of methods, so the link's prefix is built once per request).
* ``query_text(text)``: a summary or parameter hint of ``queries/*.rq`` in the UI language,
  from the message catalogue (the catalogue is filled by ``kg.web.query_messages``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, g, url_for
from flask_babel import gettext

from kg.services.compare import METHOD_ID_RE
from kg.services.publication import local_href
from kg.web.conneg import REPRESENTATIONS
from kg.web.context import services

BROWSE_PATHS = {"field": "fields", "family": "families"}
"""Concept kinds shown on their browse page (methods, narrower concepts) rather than as RDF."""


def local_page(iri: object) -> str | None:
    if not isinstance(iri, str) or not iri:
        return None
    if iri.startswith("/") and not iri.startswith("//"):
        return iri
    ctx = services()
    base = ctx.settings.base_iri
    if iri.startswith(base):
        kind, _, slug = iri[len(base) :].partition("/")
        if kind in BROWSE_PATHS and slug and "/" not in slug and "#" not in slug:
            return f"/{BROWSE_PATHS[kind]}/{slug}"
    return local_href(ctx, iri)


RDF_LABELS = {"turtle": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples", "rdfxml": "RDF/XML"}


def rdf_alternates(path: str) -> list[tuple[str, str, str]]:
    """(label, media type, URL) of the RDF representations of the resource at ``path``."""
    return [
        (label, REPRESENTATIONS[name].media_type, f"{path}.{REPRESENTATIONS[name].suffix}")
        for name, label in RDF_LABELS.items()
    ]


def method_href(method_id: str) -> str:
    """The page of the method ``method_id``, as ``url_for`` builds it (a well-formed id has
    no character to quote)."""
    if not METHOD_ID_RE.match(method_id):
        return url_for("pages.method_page", method_id=method_id)
    prefix = g.get("kg_method_href")
    if prefix is None:
        prefix = g.kg_method_href = url_for("pages.method_page", method_id="0")[:-1]
    return f"{prefix}{method_id}"


def query_url(name: str, **params: Any) -> str:
    """The library query ``name`` in the editor (``/query?name=…``) with ``params`` bound."""
    return url_for("sparql.query_editor", name=name, **params)


def query_text(text: str | None) -> str:
    """A text of the query library in the UI language (English when not translated)."""
    return gettext(text) if text else ""


_CC = re.compile(r"^https?://creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/([0-9.]+)/?")


def licence_name(iri: str) -> str:
    """A Creative Commons licence by its usual name (``CC BY-SA 4.0``), else the IRI."""
    match = _CC.match(iri)
    if match is None:
        return iri
    kind = match.group(2)
    name = "CC0" if kind == "zero" else "CC " + kind.upper()
    return f"{name} {match.group(3)}"


def stated_in(values: Iterable[Any], source: Any) -> list[str]:
    """The texts of a cell's ``values`` that the graph of ``source`` (a ``CellSource``) states."""
    return [v.text for v in values if (v.iri or v.text) in source.values]


def init_app(app: Flask) -> None:
    app.jinja_env.filters["licence_name"] = licence_name
    app.jinja_env.filters["stated_in"] = stated_in
    app.jinja_env.filters["local_page"] = local_page
    app.jinja_env.filters["query_text"] = query_text
    app.jinja_env.globals["query_url"] = query_url
    app.jinja_env.globals["method_href"] = method_href
