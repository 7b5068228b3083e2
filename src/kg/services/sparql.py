"""The SPARQL 1.1 Protocol, the Graph Store Protocol and the canned-query pages, without HTTP.

The web layer turns a request into a :class:`ProtocolRequest` and a
:class:`ProtocolResponse` back into a response; everything else is here. Queries run in
killable worker processes (:mod:`kg.store.sandbox`) with the configured timeout and row cap;
updates and graph writes go through the store's snapshot mechanism and need the write token.
Every query, update and JSON-LD upload is measured by :mod:`kg.services.guards` before any
engine reads it; updates on the embedded store run in a query worker too (cut off the
network unless KG_ALLOW_REMOTE=true), so that one the engine cannot survive kills a worker,
never the web process, and one the guard let through still cannot fetch a URL.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.config import Settings
from kg.namespaces import PREFIXES
from kg.queries import BindingError, Query, UnknownQueryError, _code_only, term_for
from kg.services.context import Context
from kg.services.guards import InputRejected, Limits, check_json_nesting, check_sparql
from kg.services.querying import compact, expand_iri
from kg.services.search import refresh_in_background
from kg.services.search_changes import tracking
from kg.services.turtle import FORMAT as TURTLE
from kg.store import QuerySyntaxError, RdfFormatName, RdfSyntaxError, StoreError, iri_problem
from kg.store.base import (
    NotAcceptableError,
    QueryDataset,
    ResultKind,
    SerializedResults,
)
from kg.store.sandbox import (
    QueryCrashedError,
    QueryJob,
    QueryTimeoutError,
    SandboxBusyError,
    SandboxPool,
    network_isolation,
)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")

MEDIA_TYPES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "nt": "N-Triples", "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
}  # fmt: skip
# What a client may accept, per kind of result, in our order of preference.
OFFERS: dict[ResultKind, list[tuple[str, str]]] = {
    "tabular": [
        ("application/sparql-results+json", "json"), ("application/json", "json"),
        ("application/sparql-results+xml", "xml"), ("application/xml", "xml"),
        ("text/xml", "xml"), ("text/csv", "csv"), ("text/tab-separated-values", "tsv"),
    ],
    "boolean": [
        ("application/sparql-results+json", "json"), ("application/json", "json"),
        ("application/sparql-results+xml", "xml"), ("application/xml", "xml"),
        ("text/xml", "xml"),
    ],
    "graph": [
        ("text/turtle", "turtle"), ("application/x-turtle", "turtle"),
        ("application/turtle", "turtle"), ("text/n3", "turtle"),
        ("application/n-triples", "nt"), ("text/plain", "nt"),
        ("application/ld+json", "jsonld"), ("application/x-json+ld", "jsonld"),
        ("application/json", "jsonld"), ("application/rdf+xml", "rdfxml"),
        ("application/xml", "rdfxml"), ("text/xml", "rdfxml"),
    ],
}  # fmt: skip
# The `format` (or `output`) parameter: a short name, per kind of result.
FORMAT_PARAMETER: dict[str, dict[ResultKind, str]] = {
    "json": {"tabular": "json", "boolean": "json", "graph": "jsonld"},
    "xml": {"tabular": "xml", "boolean": "xml", "graph": "rdfxml"},
    "csv": {"tabular": "csv"},
    "tsv": {"tabular": "tsv"},
    "turtle": {"graph": "turtle"}, "ttl": {"graph": "turtle"}, "n3": {"graph": "turtle"},
    "nt": {"graph": "nt"}, "ntriples": {"graph": "nt"}, "n-triples": {"graph": "nt"},
    "jsonld": {"graph": "jsonld"}, "json-ld": {"graph": "jsonld"},
    "rdfxml": {"graph": "rdfxml"}, "rdf": {"graph": "rdfxml"}, "rdf+xml": {"graph": "rdfxml"},
}  # fmt: skip
RDF_UPLOAD_TYPES: dict[str, RdfFormatName] = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/turtle": "turtle",
    "application/n-triples": "nt", "text/plain": "nt", "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}  # fmt: skip
QUERY_RESULT_KINDS: dict[str, ResultKind] = {
    "select": "tabular", "ask": "boolean", "construct": "graph", "describe": "graph",
}  # fmt: skip
GRAPH_OFFERS = [(m, f) for m, f in OFFERS["graph"] if f != "jsonld" or m != "application/json"]
HTML_TYPES = ("text/html", "application/xhtml+xml")


class ProtocolError(Exception):
    """A request the protocol rejects: an HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, dict(headers or {})


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    endpoint_url: str
    """The URL of the endpoint without query string (the base IRI of queries and updates)."""
    args: Mapping[str, Sequence[str]] = field(default_factory=dict)
    form: Mapping[str, Sequence[str]] = field(default_factory=dict)
    content_type: str = ""
    charset: str | None = None
    body: bytes = b""
    accept: str = ""
    authorization: str = ""
    documents: Sequence[tuple[str, bytes]] = ()
    """Graph Store uploads as (media type, bytes); several for multipart/form-data."""


@dataclass
class ProtocolResponse:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


# --- content negotiation ------------------------------------------------------------------


def _parse_accept(accept: str) -> list[tuple[str, str, float]]:
    entries = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media, _, sub = pieces[0].lower().partition("/")
        if not media or not sub:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        entries.append((media, sub, q))
    return entries


def negotiate(accept: str, offers: Sequence[tuple[str, str]]) -> str | None:
    """The offer (media type, value) the Accept header likes best, honouring q-values and
    precedence of specific ranges; the first offer when there is no Accept header."""
    entries = _parse_accept(accept)
    if not entries:
        return offers[0][1] if offers else None
    best, best_q = None, 0.0
    for media_type, value in offers:
        media, _, sub = media_type.partition("/")
        q, specificity = 0.0, -1
        for e_media, e_sub, e_q in entries:
            level = (
                2
                if (e_media, e_sub) == (media, sub)
                else 1
                if (e_media == media and e_sub == "*")
                else 0
                if (e_media, e_sub) == ("*", "*")
                else -1
            )
            if level > specificity:
                q, specificity = e_q, level
        if specificity >= 0 and q > best_q:
            best, best_q = value, q
    return best


def result_formats(accept: str, format_values: Sequence[str] = ()) -> dict[ResultKind, str | None]:
    """The format for each kind of result: from `format` parameters when given (a short name
    such as ``csv`` or a list of media types; SPARQLWrapper sends both), else from Accept."""
    if not format_values:
        return {kind: negotiate(accept, offers) for kind, offers in OFFERS.items()}
    chosen: dict[ResultKind, str | None] = {kind: None for kind in OFFERS}
    for value in format_values:
        name = value.strip().lower()
        if name in FORMAT_PARAMETER:
            named: Mapping[ResultKind, str | None] = FORMAT_PARAMETER[name]
        elif "/" in name:
            named = {kind: negotiate(name, offers) for kind, offers in OFFERS.items()}
        else:
            raise ProtocolError(
                400, f"unknown format {value[:40]!r}; use one of " + ", ".join(FORMAT_PARAMETER)
            )
        for kind in OFFERS:
            chosen[kind] = chosen[kind] or named.get(kind)
    return chosen


# --- the query workers --------------------------------------------------------------------

_POOLS: dict[tuple[str, int], SandboxPool] = {}
_POOLS_LOCK = threading.Lock()


@runtime_checkable
class QueryRunner(Protocol):
    def run(self, job: QueryJob, timeout: float) -> SerializedResults: ...


def query_pool(ctx: Context) -> QueryRunner:
    """What runs public queries with their time limit: on the embedded store, this
    process's pool of query workers; a remote store runs them on its engine itself."""
    if isinstance(ctx.store, QueryRunner):
        return ctx.store
    key = (os.path.abspath(ctx.settings.store), os.getpid())
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = SandboxPool(
                ctx.settings.store,
                size=ctx.settings.max_queries,
                warm=ctx.settings.max_queries,  # every slot started: no query waits for one
                isolate=not ctx.settings.allow_remote,
            )
        return pool


def start_query_workers(ctx: Context) -> None:
    """Start this process's query workers now (each gunicorn worker does as it boots), so
    that its first public query does not wait for them to start within its time limit."""
    if not isinstance(ctx.store, QueryRunner) and (Path(ctx.settings.store) / "current").exists():
        query_pool(ctx)


BUSY_RETRY_AFTER = "2"
"""Seconds a client refused because every query worker is busy is asked to wait."""


def limit_headers(ctx: Context) -> dict[str, str]:
    return {
        "KG-Query-Timeout": str(ctx.settings.query_timeout),
        "KG-Max-Rows": str(ctx.settings.max_rows),
    }


def run_query(
    ctx: Context,
    query: str,
    formats: Mapping[ResultKind, str | None],
    *,
    dataset: QueryDataset | None = None,
    base_iri: str | None = None,
) -> SerializedResults:
    """Run a query in a worker with the timeout and row cap; ProtocolError on failure."""
    _guard(ctx, query, update=False)
    job = QueryJob(
        query, dict(formats), dataset, base_iri, ctx.settings.max_rows, dict(PREFIXES)
    )  # fmt: skip
    try:
        return query_pool(ctx).run(job, ctx.settings.query_timeout)
    except QuerySyntaxError as exc:
        raise ProtocolError(400, f"Query syntax error: {syntax_message(str(exc))}") from None
    except NotAcceptableError as exc:
        wanted = ", ".join(sorted({m for m, _ in OFFERS[exc.kind]}))
        raise ProtocolError(
            406, f"This query gives {exc.kind} results, available as: {wanted}"
        ) from None
    except StoreError as exc:
        raise _sandbox_error(ctx, exc) from None


def _guard(ctx: Context, text: str, *, update: bool) -> None:
    try:
        check_sparql(text, Limits.of(ctx.settings), update=update)
    except InputRejected as exc:
        raise ProtocolError(exc.status, f"Refused: {exc.message}") from None


def _sandbox_error(ctx: Context, exc: StoreError) -> ProtocolError:
    """The status for each way a sandboxed query can fail."""
    if isinstance(exc, QueryTimeoutError):
        return ProtocolError(
            503,
            f"{exc}. Queries may run {ctx.settings.query_timeout} s here; "
            "narrow the query or add a LIMIT.",
        )
    if isinstance(exc, SandboxBusyError):
        return ProtocolError(503, f"{exc}.", {"Retry-After": BUSY_RETRY_AFTER})
    if isinstance(exc, QueryCrashedError):
        return ProtocolError(400, f"The request was not run to the end: {exc}.")
    return ProtocolError(503, f"The query could not be run: {exc}")


def syntax_message(message: str) -> str:
    """pyoxigraph's "error at L:C: …" as "line L, column C: …", the expected list shortened."""
    match = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if match:
        message = f"line {match[1]}, column {match[2]}: {match[3]}"
    return message if len(message) <= 400 else message[:400] + " …"


# --- /sparql ------------------------------------------------------------------------------


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise ProtocolError(400, f"give one '{name}' parameter, not {len(values)}")
    return values[0] if values else None


def _iris(params: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...] | None:
    values = params.get(name, [])
    if not values:
        return None
    try:
        for value in values:
            term_for("iri", value, name=name)
    except BindingError as exc:
        raise ProtocolError(400, str(exc)) from None
    for value in values:
        problem = iri_problem(value)
        if problem:
            raise ProtocolError(400, f"{name}: not a valid IRI: {value[:200]!r} ({problem})")
    return tuple(values)


def _body_text(request: ProtocolRequest) -> str:
    if request.charset and request.charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"send the body as UTF-8, not {request.charset[:40]}")
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "the body is not valid UTF-8") from None


def handle_sparql(ctx: Context, request: ProtocolRequest) -> ProtocolResponse:
    """One SPARQL 1.1 Protocol request (query, update or service description)."""
    try:
        response = _dispatch(ctx, request)
    except ProtocolError as exc:
        response = ProtocolResponse(exc.status, (exc.message + "\n").encode(), headers=exc.headers)
    response.headers.update(limit_headers(ctx))
    return response


def _dispatch(ctx: Context, request: ProtocolRequest) -> ProtocolResponse:
    params: dict[str, list[str]] = {k: list(v) for k, v in request.args.items()}
    query: str | None
    update: str | None
    if request.method in ("GET", "HEAD"):
        if "update" in params:
            raise ProtocolError(
                400, "send updates with POST (application/sparql-update or a form)"
            )  # fmt: skip
        query, update = _single(params, "query"), None
        if query is None:
            return service_description(ctx, request)
    elif request.method == "POST":
        if request.content_type == "application/x-www-form-urlencoded":
            for key, values in request.form.items():
                params.setdefault(key, []).extend(values)
            query, update = _single(params, "query"), _single(params, "update")
            if query is not None and update is not None:
                raise ProtocolError(400, "give either 'query' or 'update', not both")
            if query is None and update is None:
                raise ProtocolError(400, "the form has neither a 'query' nor an 'update' field")
        elif request.content_type == "application/sparql-query":
            query, update = _body_text(request), None
        elif request.content_type == "application/sparql-update":
            query, update = None, _body_text(request)
        else:
            raise ProtocolError(
                415,
                f"unsupported content type {request.content_type[:60] or '(none)'!r}: POST a "
                "query as application/sparql-query, an update as application/sparql-update, "
                "or either as application/x-www-form-urlencoded",
            )
    else:
        raise ProtocolError(405, "use GET or POST", {"Allow": "GET, POST, OPTIONS"})
    if update is not None:
        return _update(ctx, request, update, params)
    assert query is not None
    return _query(ctx, request, query, params)


def _query(
    ctx: Context, request: ProtocolRequest, query: str, params: Mapping[str, Sequence[str]]
) -> ProtocolResponse:
    default, named = _iris(params, "default-graph-uri"), _iris(params, "named-graph-uri")
    dataset = None
    if default is not None or named is not None:
        dataset = QueryDataset(default or (), named or ())
    asked = [*params.get("format", []), *params.get("output", [])]
    formats = result_formats(request.accept, asked)
    if not any(formats.values()):
        if asked:
            raise ProtocolError(400, f"format={asked[0][:40]!r} names no result format")
        raise ProtocolError(406, "none of the accepted media types can carry query results")
    try:
        result = run_query(ctx, query, formats, dataset=dataset, base_iri=request.endpoint_url)
    except ProtocolError as exc:
        if exc.status == 406 and asked:  # a parameter, not the Accept header, asked for it
            raise ProtocolError(400, f"{exc.message} (not format={asked[0][:40]!r})") from None
        raise
    headers = {}
    if result.truncated:
        headers["KG-Results-Truncated"] = f"max-rows={ctx.settings.max_rows}"
    return ProtocolResponse(200, result.body, MEDIA_TYPES[result.format], headers)


def authorize_write(ctx: Context, authorization: str) -> None:
    """Writes need the configured token as ``Authorization: Bearer …``."""
    token = ctx.settings.write_token
    if not token:
        raise ProtocolError(403, "this service is read-only (no KG_WRITE_TOKEN is configured)")
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        raise ProtocolError(
            401, "writes need the write token as 'Authorization: Bearer …'",
            {"WWW-Authenticate": 'Bearer realm="kg"'},
        )  # fmt: skip


def _update(
    ctx: Context, request: ProtocolRequest, update: str, params: Mapping[str, Sequence[str]]
) -> ProtocolResponse:
    authorize_write(ctx, request.authorization)
    _guard(ctx, update, update=True)
    using = _iris(params, "using-graph-uri") or ()
    using_named = _iris(params, "using-named-graph-uri") or ()
    text = with_using(update, using, using_named)
    runner = query_pool(ctx)
    try:
        if isinstance(runner, SandboxPool):  # the engine would be in this process: not here
            runner.update(text, UPDATE_TIMEOUT, base_iri=request.endpoint_url)
        else:
            ctx.store.update(text, base_iri=request.endpoint_url)
    except QuerySyntaxError as exc:
        raise ProtocolError(400, f"Update syntax error: {syntax_message(str(exc))}") from None
    except (QueryTimeoutError, SandboxBusyError, QueryCrashedError) as exc:
        raise _sandbox_error(ctx, exc) from None
    except (StoreError, OSError) as exc:
        raise ProtocolError(400, f"The update failed: {exc}") from None
    return ProtocolResponse(204)


UPDATE_TIMEOUT = 600
"""Seconds an update (with the write token) may run in its worker before it is stopped."""


def query_isolation(settings: Settings) -> bool:
    """Whether public queries and updates run where nothing can be fetched: in query
    workers cut off the network. False with KG_ALLOW_REMOTE=true, when the kernel refuses
    the workers a network namespace, and for a remote store (its engine is its own)."""
    return not settings.remote_store and not settings.allow_remote and network_isolation()


def isolation_warning(settings: Settings) -> str | None:
    """What to tell whoever starts the service when its workers cannot be isolated."""
    if settings.remote_store or settings.allow_remote or network_isolation():
        return None
    return (
        "kg: WARNING: the kernel refuses query workers a network namespace, so queries and "
        "updates here are not cut off the network; only the query guard stops SERVICE and "
        "LOAD (/health reports query_isolation: false)"
    )


_UPDATE_WORDS = re.compile(r"(?<![:\w?$])(WITH|USING|WHERE|DELETE|INSERT)\b", re.IGNORECASE)


def with_using(update: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """The update with the protocol's using-graph-uri / using-named-graph-uri as USING
    clauses before the WHERE of each DELETE/INSERT operation (SPARQL 1.1 Protocol 2.2.3)."""
    if not using and not using_named:
        return update
    code = _code_only(update)
    depth, previous = 0, ""
    inserts: list[int] = []
    position = 0
    for match in _UPDATE_WORDS.finditer(code):
        depth += code.count("{", position, match.start()) - code.count("}", position, match.start())
        position = match.start()
        if depth:
            continue
        word = match[1].upper()
        if word in ("WITH", "USING"):
            raise ProtocolError(
                400,
                "an update with using-graph-uri or using-named-graph-uri must not have "
                "its own USING or WITH clause",
            )
        if word == "WHERE" and previous != "DELETE":
            inserts.append(match.start())
        previous = word
    clause = "".join(" USING " + term_for("iri", g) for g in using) + "".join(
        " USING NAMED " + term_for("iri", g) for g in using_named
    )
    for offset in reversed(inserts):
        update = update[:offset] + clause.strip() + "\n" + update[offset:]
    return update


# --- the service description --------------------------------------------------------------


def service_description_graph(ctx: Context, endpoint: str) -> Graph:
    settings = ctx.settings
    limits = Namespace(f"{settings.base_iri}service#")
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("kgs", limits)
    service, node = URIRef(endpoint), URIRef(endpoint)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, node))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if settings.write_token:
        graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for name in FORMAT_IRIS.values():
        graph.add((service, SD.resultFormat, FORMATS_NS[name]))
    timeout = Literal(settings.query_timeout, datatype=XSD.integer)
    graph.add((service, limits.queryTimeoutSeconds, timeout))
    graph.add((service, limits.maxResultRows, Literal(settings.max_rows, datatype=XSD.integer)))
    graph.add(
        (
            service,
            RDFS.comment,
            Literal(
                f"Read-only unless a write token is configured. A query is stopped after "
                f"{settings.query_timeout} s (HTTP 503); at most {settings.max_rows} rows or "
                "triples are returned, and a cut result has the header KG-Results-Truncated. "
                "Without a protocol dataset, the default graph is the union of all graphs.",
                lang="en",
            ),
        )
    )
    dataset, default = BNode(), BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    for name in ctx.store.named_graphs():
        named = BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, SD.name, URIRef(name)))
    return graph


def service_description(ctx: Context, request: ProtocolRequest) -> ProtocolResponse:
    chosen = negotiate(request.accept, [*GRAPH_OFFERS, *((t, "html") for t in HTML_TYPES)])
    if chosen is None:
        raise ProtocolError(406, "the service description is available as Turtle or JSON-LD")
    if chosen == "html":
        editor = request.endpoint_url.rsplit("/", 1)[0] + "/query"
        return ProtocolResponse(303, headers={"Location": editor})
    graph = service_description_graph(ctx, request.endpoint_url)
    fmt = {"turtle": TURTLE, "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}[chosen]
    return ProtocolResponse(200, graph.serialize(format=fmt).encode(), MEDIA_TYPES[chosen])


# --- the Graph Store Protocol at /store ---------------------------------------------------


def handle_store(ctx: Context, request: ProtocolRequest, direct: str | None) -> ProtocolResponse:
    """One Graph Store HTTP Protocol request; ``direct`` is the request URL when the graph
    is named by the path (direct identification)."""
    try:
        return _store(ctx, request, direct)
    except ProtocolError as exc:
        return ProtocolResponse(exc.status, (exc.message + "\n").encode(), headers=exc.headers)


def _store(ctx: Context, request: ProtocolRequest, direct: str | None) -> ProtocolResponse:
    graph_param = _single(request.args, "graph")
    is_default = "default" in request.args
    if sum([graph_param is not None, is_default, direct is not None]) > 1:
        raise ProtocolError(400, "name the graph once: by the path, ?graph=IRI or ?default")
    graph: str | None = graph_param or direct
    if graph is not None:
        _iris({"graph": [graph]}, "graph")
    named = graph is not None or is_default
    if request.method in ("GET", "HEAD"):
        if not named:
            raise ProtocolError(400, "name a graph with ?graph=IRI or ?default")
        chosen = negotiate(request.accept, GRAPH_OFFERS)
        if chosen is None:
            raise ProtocolError(406, "graphs are available as Turtle, N-Triples, JSON-LD, RDF/XML")
        body = ctx.store.graph_serialized(graph, chosen, PREFIXES)  # type: ignore[arg-type]
        if body is None:
            raise ProtocolError(404, f"there is no graph {graph}")
        return ProtocolResponse(200, body, MEDIA_TYPES[chosen])
    if request.method not in ("PUT", "POST", "DELETE"):
        raise ProtocolError(405, "use GET, HEAD, PUT, POST or DELETE")
    authorize_write(ctx, request.authorization)
    location = None
    if request.method == "POST" and not named:
        graph = location = f"{request.endpoint_url.rstrip('/')}/{uuid.uuid4().hex}"
    elif not named:
        raise ProtocolError(400, "name a graph with ?graph=IRI or ?default")
    if request.method == "DELETE":
        try:
            with tracking(ctx, [graph] if graph else []):
                dropped = ctx.store.drop_graph(graph)
        except (StoreError, OSError) as exc:
            raise ProtocolError(503, f"The graph could not be dropped: {exc}") from None
        if not dropped:
            raise ProtocolError(404, f"there is no graph {graph}")
        refresh_in_background(ctx)
        return ProtocolResponse(204)
    documents: list[tuple[bytes, RdfFormatName]] = []
    for media_type, data in request.documents:
        fmt = RDF_UPLOAD_TYPES.get(media_type)
        if fmt is None:
            raise ProtocolError(
                415, f"unsupported RDF media type {media_type[:60] or '(none)'!r}; send one of "
                + ", ".join(RDF_UPLOAD_TYPES)
            )  # fmt: skip
        if fmt == "jsonld":
            try:
                check_json_nesting(data, ctx.settings.max_nesting, f"document {len(documents) + 1}")
            except InputRejected as exc:
                raise ProtocolError(exc.status, f"Refused: {exc.message}") from None
        documents.append((data, fmt))
    try:
        base = graph or request.endpoint_url
        replace = request.method == "PUT"
        with tracking(ctx, [graph] if graph else []):
            created = ctx.store.write_graph(graph, documents, base_iri=base, replace=replace)
    except RdfSyntaxError as exc:
        raise ProtocolError(400, f"RDF syntax error in {exc}") from None
    except (StoreError, OSError) as exc:
        raise ProtocolError(503, f"The graph could not be written: {exc}") from None
    refresh_in_background(ctx)
    if location:
        return ProtocolResponse(201, headers={"Location": location})
    return ProtocolResponse(201 if created else 204)


# --- canned queries -----------------------------------------------------------------------


@dataclass
class CannedRun:
    query: Query
    values: dict[str, list[str]]
    text: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, dict[str, str]]] = field(default_factory=list)
    boolean: bool | None = None
    graph: str | None = None
    truncated: bool = False


def library_query(ctx: Context, name: str) -> Query:
    try:
        query = ctx.queries[name]
    except UnknownQueryError:
        raise ProtocolError(404, f"no query named {name!r} in the library") from None
    return query


def bind_library_query(
    ctx: Context, name: str, raw: Mapping[str, Sequence[str]]
) -> tuple[Query, dict[str, list[str]], str]:
    """The library query bound with the given form values (blank values: the example)."""
    query = library_query(ctx, name)
    given: dict[str, object] = {}
    values: dict[str, list[str]] = {}
    for param in query.parameters:
        items = [v.strip() for v in raw.get(param.name, []) if v.strip()]
        if param.type == "iri":
            items = [expand_iri(ctx, v) for v in items]
        values[param.name] = items
        if not items:
            continue
        if not param.multiple and len(items) > 1:
            raise ProtocolError(400, f"parameter {param.name!r} takes one value")
        given[param.name] = items if param.multiple else items[0]
    try:
        return query, values, query.bind(given)
    except BindingError as exc:
        raise ProtocolError(400, str(exc)) from None


def run_canned(ctx: Context, name: str, raw: Mapping[str, Sequence[str]]) -> CannedRun:
    query, values, text = bind_library_query(ctx, name, raw)
    run = CannedRun(query, values, text)
    result = run_query(ctx, text, {"tabular": "json", "boolean": "json", "graph": "turtle"})
    run.truncated = result.truncated
    if result.kind == "graph":
        run.graph = result.body.decode("utf-8")
        return run
    document = json.loads(result.body)
    if result.kind == "boolean":
        run.boolean = bool(document["boolean"])
        return run
    run.variables = list(document["head"]["vars"])
    run.rows = list(document["results"]["bindings"])
    return run


def canned_result(
    ctx: Context, name: str, fmt: str, raw: Mapping[str, Sequence[str]]
) -> ProtocolResponse:
    """A library query's results as a download in one format (``json``, ``csv``, …)."""
    if fmt not in FORMAT_PARAMETER:
        raise ProtocolError(404, f"unknown result format {fmt[:20]!r}")
    query, _, text = bind_library_query(ctx, name, raw)
    kind = QUERY_RESULT_KINDS.get(query.kind)
    if kind is None or kind not in FORMAT_PARAMETER[fmt]:
        raise ProtocolError(404, f"the results of {name} are not available as {fmt}")
    result = run_query(ctx, text, result_formats("", [fmt]))
    headers = {"Content-Disposition": f'inline; filename="{name}.{fmt}"'}
    if result.truncated:
        headers["KG-Results-Truncated"] = f"max-rows={ctx.settings.max_rows}"
    headers.update(limit_headers(ctx))
    return ProtocolResponse(200, result.body, MEDIA_TYPES[result.format], headers)


def display_term(ctx: Context, term: Mapping[str, object]) -> str:
    """A SPARQL JSON results term for people: prefixed names for known namespaces."""
    if term.get("type") == "uri":
        return compact(ctx, URIRef(str(term["value"])))
    if term.get("type") == "bnode":
        return f"_:{term['value']}"
    return str(term.get("value", ""))
