"""SPARQL over HTTP: the Protocol at /sparql, the Graph Store at /store, the editor at /query
and the canned queries at /queries. The logic is in kg.services.sparql."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.blueprints import BlueprintSetupState

from kg.config import Settings, asset_dir
from kg.namespaces import PREFIXES, data_prefixes
from kg.services.context import Context
from kg.services.pictures import bar_chart
from kg.services.sparql import (
    FORMAT_PARAMETER,
    ProtocolError,
    ProtocolRequest,
    ProtocolResponse,
    bind_library_query,
    canned_result,
    display_term,
    handle_sparql,
    handle_store,
    query_pool,
    run_canned,
)
from kg.web.conneg import mark_negotiated
from kg.web.context import services
from kg.web.navigation import query_text

blueprint = Blueprint("sparql", __name__)
YASGUI_BUILD = asset_dir("yasgui")
EXPOSED = "KG-Query-Timeout, KG-Max-Rows, KG-Results-Truncated, Location"
DOWNLOAD_FORMATS = ("json", "xml", "csv", "tsv", "turtle", "nt", "jsonld", "rdfxml")


@blueprint.record_once
def start_query_workers(state: BlueprintSetupState) -> None:
    """Start the process's query workers with the app, so the first query finds them warm."""
    context = state.app.extensions["kg.context"]
    if isinstance(context, Context):
        query_pool(context)


def max_request_target(settings: Settings) -> int:
    """The longest URL path and query string (bytes) the service reads: room for a query of
    ``KG_MAX_QUERY_LENGTH`` characters sent by GET, percent-encoded at worst (12 bytes a
    character: 4 UTF-8 bytes of 3 each), and 64 KiB for the path and other parameters.
    gunicorn itself sets no limit (kg.web.server)."""
    return 12 * settings.max_query_length + 64 * 1024


@blueprint.before_app_request
def request_line_limit() -> None:
    """414 with a message for a request target longer than :func:`max_request_target`."""
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(target, str):
        length = len(target)
    else:
        length = len(request.path.encode()) + 1 + len(environ.get("QUERY_STRING", ""))
    settings = services().settings
    limit = max_request_target(settings)
    if length > limit:
        abort(
            414,
            description=f"The URL is {length:,} bytes long; this service reads at most "
            f"{limit:,} (room for a query of {settings.max_query_length:,} characters). "
            "Send long queries by POST.",
        )


@blueprint.after_request
def cors(response: Response) -> Response:
    """Browser tools on other sites may query and read the graph (writes need the token)."""
    if request.path.startswith(("/sparql", "/store")):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _protocol_request(endpoint_url: str) -> ProtocolRequest:
    form = request.mimetype == "application/x-www-form-urlencoded"
    if request.mimetype == "multipart/form-data":
        documents = [(f.mimetype, f.read()) for _, f in request.files.items(multi=True)]
    else:
        documents = [(request.mimetype, request.get_data())]
    return ProtocolRequest(
        method=request.method,
        endpoint_url=endpoint_url,
        args=request.args.to_dict(flat=False),
        form=request.form.to_dict(flat=False) if form else {},
        content_type=request.mimetype,
        charset=request.mimetype_params.get("charset"),
        body=b"" if form else request.get_data(),
        accept=request.headers.get("Accept", ""),
        authorization=request.headers.get("Authorization", ""),
        documents=documents,
    )


def _response(answer: ProtocolResponse) -> Response:
    return Response(
        answer.body, status=answer.status, content_type=answer.content_type, headers=answer.headers
    )


@blueprint.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """The SPARQL 1.1 Protocol: queries, updates (with the token), service description."""
    mark_negotiated()
    return _response(handle_sparql(services(), _protocol_request(request.base_url)))


@blueprint.route("/store", methods=["GET", "PUT", "POST", "DELETE"])
@blueprint.route("/store/<path:graph_path>", methods=["GET", "PUT", "POST", "DELETE"])
def graph_store(graph_path: str | None = None) -> Response:
    """The Graph Store HTTP Protocol: ?graph=IRI, ?default, or the URL itself names a graph."""
    mark_negotiated()
    store_url = url_for("sparql.graph_store", _external=True)
    direct = request.base_url if graph_path is not None else None
    return _response(handle_store(services(), _protocol_request(store_url), direct))


@blueprint.get("/assets/yasgui/<path:filename>")
def yasgui_asset(filename: str) -> Response:
    """YASGUI's build, from npm (node_modules/ of a checkout, or bundled in the wheel)."""
    if not YASGUI_BUILD.is_dir():
        abort(503, description="YASGUI is not installed: run `npm ci` (or `make install`).")
    return send_from_directory(YASGUI_BUILD, filename, max_age=3600)


@blueprint.get("/query")
def query_editor() -> str:
    """YASGUI on /sparql, pre-filled with ?query=TEXT or a library query ?name=… (+params)."""
    ctx = services()
    text = request.args.get("query", "")
    name = request.args.get("name", "")
    if name and not text:
        try:
            _, _, text = bind_library_query(ctx, name, request.args.to_dict(flat=False))
        except ProtocolError as exc:
            abort(exc.status, description=exc.message)
    examples = [
        {"name": q.name, "summary": query_text(q.summary), "text": q.text}
        for q in ctx.queries
        if q.kind != "update" and q.path.parent.name != "checks"
    ]
    return render_template(
        "query.html",
        query=text,
        examples=examples,
        prefixes={**PREFIXES, **data_prefixes(ctx.settings.base_iri)},
        endpoint=url_for("sparql.endpoint", _external=True),
        settings=ctx.settings,
        base_iri=ctx.settings.base_iri,
    )


@blueprint.get("/queries")
def queries() -> str:
    ctx = services()
    library = [q for q in ctx.queries if q.path.parent.name != "checks"]
    research = [q for q in library if q.audience == "research"]
    internal = [q for q in library if q.audience == "internal"]
    return render_template("queries.html", research=research, internal=internal)


@blueprint.get("/queries/<name>")
def canned_query(name: str) -> tuple[str, int]:
    """A library query's parameters as a form; with ?run, its results as a table."""
    ctx = services()
    raw = request.args.to_dict(flat=False)
    run, error = None, None
    try:
        if "run" in request.args:
            run = run_canned(ctx, name, raw)
            query, values, text = run.query, run.values, run.text
        else:
            query, values, text = bind_library_query(ctx, name, raw)
    except ProtocolError as exc:
        if exc.status != 400:
            abort(exc.status, description=exc.message)
        error = exc.message
        query, values, text = bind_library_query(ctx, name, {})
    args: dict[str, Any] = {k: v for k, v in raw.items() if k != "run"}
    return render_template(
        "canned_query.html",
        query=query,
        values=values,
        text=text,
        run=run,
        chart=bar_chart(run.variables, run.rows) if run and run.rows else None,
        error=error,
        show=lambda term: display_term(ctx, term),
        formats=[
            (fmt, url_for("sparql.canned_download", name=name, fmt=fmt, **args))
            for fmt in DOWNLOAD_FORMATS
        ],
        editor_url=url_for("sparql.query_editor", name=name, **args),
    ), (400 if error else 200)


@blueprint.get("/queries/<name>/results.<fmt>")
def canned_download(name: str, fmt: str) -> Response:
    if fmt not in FORMAT_PARAMETER:
        abort(404, description=f"unknown result format {fmt[:20]!r}")
    try:
        answer = canned_result(services(), name, fmt, request.args.to_dict(flat=False))
    except ProtocolError as exc:
        return _response(ProtocolResponse(exc.status, (exc.message + "\n").encode()))
    return _response(answer)
