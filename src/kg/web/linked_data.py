"""Linked Data: every IRI we mint dereferences here, as HTML or RDF by content negotiation.

Request paths map onto the base IRI (``/person/x`` is ``<base>person/x``); the ontology
namespace maps onto ``/ontology``. Responses carry ``Vary: Accept``, an ``ETag`` (store
version, path, query, representation and UI language) and ``Last-Modified``; conditional
requests get 304. Dumps stream from the store (``kg.services.dumps``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from rdflib import Graph
from werkzeug.wrappers import Response as BaseResponse

from kg.namespaces import ONTOLOGY_IRI
from kg.services import publication
from kg.services.compare import CompareError, UnknownMethodsError, compare
from kg.services.dumps import DUMP_BY_SUFFIX, stream_dump, stream_store
from kg.services.jsonld import context_path
from kg.web.conneg import (
    BY_SUFFIX,
    RDF_OFFER,
    REPRESENTATIONS,
    NotAcceptable,
    mark_negotiated,
    negotiate,
    split_suffix,
    vary_on_accept,
)
from kg.web.context import services
from kg.web.i18n import ui_language
from kg.web.resources import ENDPOINTS as PAGE_ENDPOINTS

blueprint = Blueprint("linked_data", __name__)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_~-]{0,199}\Z")
_GRAPH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.~/-]{0,299}\Z")
_first_seen: dict[str, datetime] = {}
_seen_lock = threading.Lock()
RESOURCE_KINDS = (
    "person,source,field,family,scheme,method,system,dataset,organization,venue,domain,approach"
)


def property_labels() -> dict[str, str]:
    """Names of the standard terms pages show (kg terms are named by the ontology)."""
    skos = "http://www.w3.org/2004/02/skos/core#"
    dcterms = "http://purl.org/dc/terms/"
    bibo = "http://purl.org/ontology/bibo/"
    return {
        f"{skos}prefLabel": _("Name"),
        f"{skos}altLabel": _("Alternative name"),
        "http://xmlns.com/foaf/0.1/name": _("Name"),
        f"{dcterms}title": _("Title"),
        "http://www.w3.org/2000/01/rdf-schema#label": _("Label"),
        f"{skos}broader": _("Broader"),
        f"{skos}narrower": _("Narrower"),
        f"{skos}inScheme": _("In scheme"),
        f"{skos}topConceptOf": _("Top concept of"),
        f"{skos}hasTopConcept": _("Top concepts"),
        f"{dcterms}creator": _("Creator"),
        f"{dcterms}issued": _("Year"),
        f"{dcterms}license": _("Licence"),
        f"{dcterms}bibliographicCitation": _("Citation"),
        f"{bibo}authorList": _("Authors"),
        f"{bibo}volume": _("Volume"),
        f"{bibo}issue": _("Issue"),
        f"{bibo}pages": _("Pages"),
        f"{bibo}doi": "DOI",
        "http://prismstandard.org/namespaces/basic/2.0/publicationName": _("Published in"),
        "https://schema.org/url": _("Web page"),
    }


def kind_labels() -> dict[str, str]:
    return {
        "person": _("Person"),
        "source": _("Bibliographic source"),
        "field": _("Field"),
        "family": _("Family"),
        "scheme": _("Concept scheme"),
        "domain": _("Domain"),
        "approach": _("Approach"),
        "genid": _("Resource"),
    }


# --- conditional requests and representations ------------------------------------------------


def _negotiate(offered: tuple[str, ...], suffix: str | None) -> str:
    mark_negotiated()
    try:
        return negotiate(request.headers.get("Accept"), offered, suffix=suffix)
    except NotAcceptable as exc:
        if suffix is not None:  # the URL names a representation that does not exist
            abort(404, description=_("Unknown download format."))
        abort(406, description=_("Cannot give any of the types you accept. Available: %(types)s.",
                                 types=", ".join(REPRESENTATIONS[n].media_type
                                                 for n in exc.offered)))  # fmt: skip


def _last_modified(version: str) -> datetime:
    with _seen_lock:
        if version not in _first_seen:
            _first_seen[version] = datetime.now(UTC).replace(microsecond=0)
        return _first_seen[version]


def _validators(fmt: str, *, extra: str = "") -> tuple[str, datetime]:
    version = services().store.version()
    key = "\n".join((version, request.path, request.query_string.decode("latin-1"), fmt,
                     ui_language() if fmt == "html" else "",
                     request.host_url if fmt == "jsonld" else "", extra))  # fmt: skip
    return hashlib.sha256(key.encode()).hexdigest()[:32], _last_modified(version)


def _not_modified(etag: str, modified: datetime) -> BaseResponse | None:
    if request.if_none_match:
        if request.if_none_match.contains_weak(etag):
            return _finish(Response(status=304), etag, modified, "html")
        return None
    since = request.if_modified_since
    if since is not None and modified <= since:
        return _finish(Response(status=304), etag, modified, "html")
    return None


def _finish(response: BaseResponse, etag: str, modified: datetime, fmt: str) -> BaseResponse:
    response.set_etag(etag)
    response.last_modified = modified
    response.vary.add("Accept")
    if fmt != "html":
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _represent(
    fmt: str,
    body: str | Iterator[bytes],
    *,
    download: str | None = None,
    extra: str = "",
) -> BaseResponse:
    etag, modified = _validators(fmt, extra=extra)
    mimetype = REPRESENTATIONS[fmt].media_type
    response = Response(body, mimetype=mimetype)
    if fmt in ("turtle", "nt", "nquads", "html") and "charset" not in response.content_type:
        response.content_type = f"{mimetype}; charset=utf-8"
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    return _finish(response, etag, modified, fmt)


def _context_url() -> str:
    """Where this instance serves the JSON-LD context, on the request's own host: the URL
    JSON-LD answers name (dumps and downloads carry the context inline instead)."""
    return url_for("linked_data.jsonld_context", _external=True)


def _see_other(location: str, fmt: str) -> BaseResponse:
    response = redirect(location, code=303)
    response.vary.add("Accept")
    return response


# --- resources ---------------------------------------------------------------------------------


@blueprint.get(f"/<any({RESOURCE_KINDS}):kind>/<name>")
def resource(kind: str, name: str) -> BaseResponse:
    """A method, person, source, field, family or concept scheme."""
    stem, suffix = split_suffix(name)
    if not _NAME_RE.match(stem):
        abort(404, description=_("Not a valid identifier."))
    fmt = _negotiate(RDF_OFFER, suffix)
    if kind == "method" and fmt == "html":
        return _see_other(url_for("pages.method_page", method_id=stem), fmt)
    if kind in PAGE_ENDPOINTS and fmt == "html":
        return _see_other(url_for(PAGE_ENDPOINTS[kind], slug=stem), fmt)
    return _describe(kind, f"{services().settings.base_iri}{kind}/{stem}", fmt)


@blueprint.get("/.well-known/genid/<name>")
def genid(name: str) -> BaseResponse:
    """Skolem IRIs (import provenance records)."""
    stem, suffix = split_suffix(name)
    if not _NAME_RE.match(stem):
        abort(404, description=_("Not a valid identifier."))
    fmt = _negotiate(RDF_OFFER, suffix)
    return _describe("genid", f"{services().settings.base_iri}.well-known/genid/{stem}", fmt)


def _describe(kind: str, iri: str, fmt: str) -> BaseResponse:
    etag, modified = _validators(fmt)
    unchanged = _not_modified(etag, modified)
    if unchanged is not None:
        return unchanged
    ctx = services()
    graph = publication.describe(ctx, iri, kind=kind)
    if len(graph) == 0:
        abort(404, description=_("Nothing is known about %(iri)s.", iri=iri))
    if fmt != "html":
        return _represent(
            fmt, publication.serialize(ctx, graph, fmt, first=[iri], context_url=_context_url())
        )
    view = publication.resource_view(
        ctx, graph, iri, kind=kind, lang=ui_language(), property_labels=property_labels()
    )
    page = render_template(
        "resource.html",
        view=view,
        kind_label=kind_labels().get(kind, kind),
        alternates=_alternates(request.path),
    )
    return _represent("html", page)


def _alternates(path: str) -> list[tuple[str, str, str]]:
    """(label, media type, URL) of the RDF representations of the page at ``path``."""
    labels = {"turtle": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples", "rdfxml": "RDF/XML"}
    return [
        (labels[name], REPRESENTATIONS[name].media_type, f"{path}.{REPRESENTATIONS[name].suffix}")
        for name in RDF_OFFER
        if name != "html"
    ]


# --- named graphs and dumps ----------------------------------------------------------------------


@blueprint.get("/graph/<path:name>")
def named_graph(name: str) -> BaseResponse:
    """A named graph: its content (streamed) as RDF; HTML is its entry on the dataset page."""
    stem, suffix = split_suffix(name)
    ctx = services()
    iri = ctx.graph_iri(stem)
    if not _GRAPH_RE.match(stem) or iri not in ctx.store.named_graphs():
        abort(404, description=_("No such graph."))
    fmt = _negotiate(RDF_OFFER, suffix)
    if fmt == "html":
        return _see_other(url_for("linked_data.dataset", _anchor=f"graph-{stem}"), fmt)
    etag, modified = _validators(fmt)
    unchanged = _not_modified(etag, modified)
    if unchanged is not None:
        return unchanged
    if fmt == "rdfxml":
        body = stream_store(ctx, "rdfxml", graph=iri)
    else:
        body = stream_dump(ctx, fmt, graph=iri)  # type: ignore[arg-type]
    return _represent(fmt, body)


@blueprint.get("/dumps/catalogue.<suffix>")
def dump(suffix: str) -> BaseResponse:
    """The whole store, streamed: Turtle, N-Triples, N-Quads (named graphs) or JSON-LD."""
    kind = DUMP_BY_SUFFIX.get(suffix)
    if kind is None:
        abort(404, description=_("Unknown download format."))
    fmt = BY_SUFFIX[suffix]
    etag, modified = _validators(fmt)
    unchanged = _not_modified(etag, modified)
    if unchanged is not None:
        return unchanged
    name = f"{services().settings.site_name}.{suffix}"
    return _represent(fmt, stream_dump(services(), kind.format), download=name)


# --- the dataset, the ontology, the context ------------------------------------------------------


@blueprint.get("/dataset")
@blueprint.get("/dataset.<suffix>")
def dataset(suffix: str | None = None) -> BaseResponse:
    """VoID + DCAT: graphs with licence and credit, statistics, examples, SPARQL, dumps."""
    fmt = _negotiate(RDF_OFFER, suffix)
    etag, modified = _validators(fmt)
    unchanged = _not_modified(etag, modified)
    if unchanged is not None:
        return unchanged
    ctx = services()
    view = publication.dataset_view(ctx, lang=ui_language())
    if fmt != "html":
        graph = publication.dataset_graph(ctx, view)
        return _represent(
            fmt,
            publication.serialize(ctx, graph, fmt, first=[view.iri], context_url=_context_url()),
        )
    page = render_template(
        "dataset.html",
        view=view,
        sparql_url="/sparql",
        alternates=_alternates("/dataset"),
        dumps=[
            (d.label, d.media_type, "/" + d.url.removeprefix(ctx.settings.base_iri))
            for d in view.dumps
        ],  # fmt: skip
    )
    return _represent("html", page)


@blueprint.get("/ontology")
@blueprint.get("/ontology.<suffix>")
def ontology(suffix: str | None = None) -> BaseResponse:
    """The ontology: documentation in the UI language, or kg.ttl's graph as RDF."""
    fmt = _negotiate(RDF_OFFER, suffix)
    etag, modified = _validators(fmt)
    unchanged = _not_modified(etag, modified)
    if unchanged is not None:
        return unchanged
    ctx = services()
    if fmt != "html":
        graph: Graph = publication.describe_ontology(ctx)
        if len(graph) == 0:
            abort(404, description=_("The ontology is not loaded."))
        body = publication.serialize(
            ctx, graph, fmt, first=[ONTOLOGY_IRI], context_url=_context_url()
        )
        return _represent(fmt, body)
    doc = publication.ontology_doc(ctx, lang=ui_language())
    page = render_template(
        "ontology.html",
        doc=doc,
        alternates=_alternates("/ontology"),
        ontology_graph=ctx.graph_iri("ontology"),
        section_titles={
            "class": _("Classes"),
            "object": _("Object properties"),
            "datatype": _("Datatype properties"),
            "annotation": _("Annotation properties"),
            "individual": _("Individuals"),
        },
        characteristic_labels={
            "symmetric": _("symmetric"),
            "functional": _("functional"),
            "transitive": _("transitive"),
        },
    )
    return _represent("html", page)


@blueprint.get("/ontology/context.jsonld")
def jsonld_context() -> BaseResponse:
    """The published JSON-LD context (``ontology/context.jsonld``)."""
    body = context_path(services().settings).read_bytes()
    etag = hashlib.sha256(body).hexdigest()[:32]
    modified = datetime.fromtimestamp(
        int(context_path(services().settings).stat().st_mtime), tz=UTC
    )
    unchanged = _not_modified(etag, modified)
    if unchanged is not None:
        return unchanged
    response = Response(body, mimetype="application/ld+json")
    return _finish(response, etag, modified, "jsonld")


# --- comparisons: /compare by content negotiation, /compare.{ttl,jsonld,nt,rdf} -------------------


@blueprint.before_app_request
def compare_as_rdf() -> BaseResponse | None:
    """RDF of a comparison: ``/compare`` with an RDF ``Accept``, or an RDF suffix."""
    if request.endpoint == "pages.compare_page" and not request.args.get("add"):
        fmt = _negotiate(RDF_OFFER, None)
        return None if fmt == "html" else _compare_rdf(fmt, download=False)
    if request.endpoint == "pages.compare_download":
        suffix = (request.view_args or {}).get("fmt")
        if suffix in ("ttl", "jsonld", "nt", "rdf"):
            return _compare_rdf(BY_SUFFIX[suffix], download=True)
    return None


REVALIDATED_PAGES = frozenset({"pages.compare_page", "pages.method_page"})
"""HTML pages made from the store alone: validators of their store version, address,
language and site build, and 304 to a client that has them."""


@blueprint.before_app_request
def page_unchanged() -> BaseResponse | None:
    """304 for a page of ``REVALIDATED_PAGES`` that the client has, before anything is read
    or rendered (a comparison asked as RDF was answered by ``compare_as_rdf``, before)."""
    if request.endpoint not in REVALIDATED_PAGES:
        return None
    g.kg_page_validators = _validators("html", extra=pages_build())
    return _not_modified(*g.kg_page_validators)


@blueprint.after_app_request
def vary(response: BaseResponse) -> BaseResponse:
    """``Vary: Accept`` on every response that depends on it, whatever view gave it; the
    validators of a page of ``REVALIDATED_PAGES``."""
    validators: tuple[str, datetime] | None = g.get("kg_page_validators")
    if validators is not None and response.status_code == 200:
        _finish(response, *validators, "html")
    return vary_on_accept(response)


@functools.cache
def pages_build() -> str:
    """A digest of the code, templates and message catalogues that make the pages: a
    page's validators change with a new build of the site, not only with the data."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".html", ".mo") and path.is_file():
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _compare_rdf(fmt: str, *, download: bool) -> BaseResponse:
    ctx = services()
    try:
        comparison = compare(ctx, request.args.getlist("m"), lang=ui_language())
    except CompareError as exc:
        abort(400, description=str(exc))
    except UnknownMethodsError as exc:
        abort(404, description=str(exc))
    etag, modified = _validators(fmt)
    unchanged = _not_modified(etag, modified)
    if unchanged is not None:
        return unchanged
    iris = [m.iri for m in comparison.methods]
    graph = ctx.store.construct(ctx.queries["describe-methods"].bind(method=iris))
    name = None
    if download:
        ids = "-".join(m.id for m in comparison.methods)[:120]
        name = f"comparison-{ids}.{REPRESENTATIONS[fmt].suffix}"
    # a download is a file of its own: its context inline; an answer names the served one
    context_url = None if download else _context_url()
    body = publication.serialize(ctx, graph, fmt, first=iris, context_url=context_url)
    return _represent(fmt, body, download=name)
