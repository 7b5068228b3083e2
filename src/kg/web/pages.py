"""HTML pages: home, comparison, method; KaTeX's build for the math of summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from kg.config import asset_dir
from kg.services.catalogue import (
    METHOD_SORTS,
    ListInputError,
    browse_concepts,
    count_listed_methods,
    count_methods,
    filter_text,
    find_methods,
    methods_per_decade,
    page_methods,
)
from kg.services.citations import (
    method_citation,
    method_citations,
    to_bibtex,
    to_bibtex_entries,
    to_csl_json,
    to_csl_json_items,
)
from kg.services.compare import (
    MAX_METHODS,
    METHOD_ID_RE,
    MIN_METHODS,
    CompareError,
    UnknownMethodsError,
    check_ids,
    compare,
)
from kg.services.compare_export import (
    comparison_csv,
    comparison_digest,
    comparison_json,
    comparison_markdown,
)
from kg.services.depth import method_depth
from kg.services.pictures import completeness, method_graph, timeline
from kg.services.provenance import provenance_of
from kg.services.sparql import query_isolation
from kg.web import search as search_views
from kg.web.context import services
from kg.web.i18n import ui_language
from kg.web.lists import list_args

blueprint = Blueprint("pages", __name__)

KATEX_BUILD = asset_dir("katex")
CYTOSCAPE_BUILD = asset_dir("cytoscape")
DOWNLOADS = {"csv": "text/csv", "md": "text/markdown", "ttl": "text/turtle",
             "jsonld": "application/ld+json", "json": "application/json"}  # fmt: skip
CITATIONS = {"bib": "application/x-bibtex", "json": "application/vnd.citationstyles.csl+json"}


@blueprint.get("/")
def home() -> str:
    """The catalogue, browsable by field, family and decade (each a filter with counts),
    filtered by name and sorted by name or year, one page of 50 at a time (keyset paging in
    the query: ``?after=<key>``; the store filters, sorts, cuts and counts)."""
    ctx, lang = services(), ui_language()
    args = list_args(METHOD_SORTS)
    total = count_methods(ctx)
    chosen = {k: request.args.get(k, "")[:200] for k in ("field", "family", "decade")}
    decade = chosen["decade"]
    if decade and not (decade.isdigit() and len(decade) == 4):
        abort(400, description=_("decade: a year such as 1990"))
    base = ctx.settings.base_iri
    filters: dict[str, Any] = {
        "field": f"{base}field/{chosen['field']}" if chosen["field"] else "",
        "family": f"{base}family/{chosen['family']}" if chosen["family"] else "",
        "decade": int(decade or 0),
        "text": args.text,
    }
    try:
        page = page_methods(ctx, lang=lang, after=args.after, sort=args.sort, **filters)
        listed = count_listed_methods(ctx, **filters)
    except ListInputError as exc:
        abort(400, description=str(exc))
    facets = []
    if total <= ctx.settings.home_list_limit:  # counting per concept over millions takes long
        fields = browse_concepts(ctx, "field", lang=lang)
        families = browse_concepts(ctx, "family", lang=lang)
        decades = [(str(d), f"{d}s", n) for d, n in methods_per_decade(ctx)]
        kept = args.kept()
        facets = [
            _facet(_("Fields"), "field", [(f.id, f.label, f.methods) for f in fields if f.methods],
                   chosen, kept),
            _facet(_("Families"), "family",
                   [(f.id, f.label, f.methods) for f in families if f.methods], chosen, kept),
            _facet(_("Decade of origin"), "decade", decades, chosen, kept),
        ]  # fmt: skip
    shown: dict[str, Any] = {k: v for k, v in chosen.items() if v} | args.kept()
    return render_template(
        "home.html",
        methods=page.methods,
        total=total,
        listed=listed,
        args=args,
        facets=facets,
        chosen=chosen,
        query_params=_query_params(lang, args.after, args.sort, filters),
        first_url=url_for("pages.home", **shown) if args.after else None,
        next_url=url_for("pages.home", after=page.next_after, **shown) if page.next_after else None,
    )


def _query_params(lang: str, after: str, sort: str, filters: dict[str, Any]) -> dict[str, Any]:
    """The parameters of page-methods.rq behind a list, for "Open the query"."""
    bound = {"after": after, "sort": sort, "text": filter_text(filters.get("text", "")),
             "inField": filters.get("field"), "inFamily": filters.get("family"),
             "inDecade": filters.get("decade")}  # fmt: skip
    return {"lang": lang, **{k: v for k, v in bound.items() if v}}


@dataclass(frozen=True)
class FacetItem:
    value: str
    label: str
    count: int
    url: str
    clear_url: str


@dataclass(frozen=True)
class Facet:
    title: str
    name: str
    entries: tuple[FacetItem, ...]


def _facet(
    title: str,
    name: str,
    items: list[tuple[str, str, int]],
    chosen: dict[str, str],
    kept: dict[str, str],
) -> Facet:
    def url(value: str) -> str:
        args: dict[str, Any] = {**chosen, **kept, name: value}
        return url_for("pages.home", **args)

    entries = tuple(FacetItem(v, label, n, url(v), url("")) for v, label, n in items)
    return Facet(title, name, entries)


@blueprint.get("/search")
def search() -> str | BaseResponse:
    """Full-text search with facets and paging (kg.web.search)."""
    return search_views.search_page()


@blueprint.get("/search.json")
def search_json() -> BaseResponse:
    return search_views.search_json()


@blueprint.get("/health")
def health() -> dict[str, object]:
    ctx = services()
    return {
        "status": "ok",
        "store_version": ctx.store.version(),
        # False: SERVICE and LOAD are stopped by the query guard alone (see kg serve's log).
        "query_isolation": query_isolation(ctx.settings),
    }


def _compare_url(ids: list[str], **extra: Any) -> str:
    return url_for("pages.compare_page", m=ids, **extra)


@blueprint.get("/compare")
def compare_page() -> str | BaseResponse:
    ctx, lang = services(), ui_language()
    ids = request.args.getlist("m")
    added = request.args.get("add", "").strip()
    if added:  # the "add a method" box, submitted with or without JavaScript
        matches = find_methods(ctx, added, lang=lang, limit=1)
        if not matches:
            abort(404, description=_("No method matches “%(text)s”.", text=added[:80]))
        return redirect(_compare_url([*ids, matches[0].id], lang=request.args.get("lang")))
    only_differing = request.args.get("only") == "differing"
    comparison = _comparison_or_error(ids, lang)
    return render_template(
        "compare.html",
        comparison=comparison,
        sources=provenance_of(ctx, comparison.statement_graphs),
        graph=method_graph(ctx, [m.iri for m in comparison.methods], lang=lang),
        timeline=timeline(comparison),
        completeness=completeness(comparison),
        only_differing=only_differing,
        remove_urls=[
            _compare_url([i for i in comparison_ids(comparison) if i != m.id])
            for m in comparison.methods
        ],
        permalink=_permalink(comparison, lang),
        cited=_cited_version(comparison),
        citation_urls={
            fmt: url_for("pages.compare_citations", fmt=fmt, m=comparison_ids(comparison))
            for fmt in CITATIONS
        },
        toggle_url=_compare_url(
            comparison_ids(comparison), **({} if only_differing else {"only": "differing"})
        ),
        download_urls={
            fmt: url_for("pages.compare_download", fmt=fmt, m=comparison_ids(comparison), lang=lang)
            for fmt in (*DOWNLOADS, "nt", "rdf")
        },  # fmt: skip
        query_url=url_for(
            "sparql.query_editor",
            name="method-rows",
            method=[m.iri for m in comparison.methods],
            lang=lang,
        ),
        dataset_url=url_for("linked_data.dataset"),
        can_add=len(comparison.methods) < 8,
    )


@blueprint.get("/compare.<fmt>")
def compare_download(fmt: str) -> Response:
    if fmt not in DOWNLOADS:
        abort(404, description=_("Unknown download format."))
    ctx, lang = services(), ui_language()
    comparison = _comparison_or_error(request.args.getlist("m"), lang)
    if fmt == "csv":
        body = comparison_csv(comparison)
    elif fmt == "json":
        body = comparison_json(
            comparison, version=ctx.store.version(), permalink=_permalink(comparison, lang)
        )
    elif fmt == "md":
        body = comparison_markdown(
            comparison,
            title=_("Compare methods"),
            subtitle=_("View the selected methods side by side. Rows that differ are highlighted."),
            dataset_link=_("%(site)s dataset", site=ctx.settings.site_name),
        )
    else:  # RDF downloads are answered by the linked-data blueprint before this view runs
        abort(404, description=_("Unknown download format."))
    name = "comparison-" + "-".join(comparison_ids(comparison))[:120]
    return Response(
        body,
        mimetype=DOWNLOADS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@blueprint.get("/compare/citations.<fmt>")
def compare_citations(fmt: str) -> Response:
    """BibTeX or CSL-JSON of the original source of every compared method."""
    if fmt not in CITATIONS:
        abort(404, description=_("Unknown download format."))
    ctx = services()
    comparison = _comparison_or_error(request.args.getlist("m"), ui_language())
    citations = method_citations(ctx, [m.iri for m in comparison.methods])
    body = to_bibtex_entries(citations) if fmt == "bib" else to_csl_json_items(citations)
    name = "comparison-" + "-".join(comparison_ids(comparison))[:120]
    return Response(
        body,
        mimetype=CITATIONS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@dataclass(frozen=True)
class CitedVersion:
    version: str
    current: str
    changed: bool
    """Whether what these methods show differs from what the permalink was made from."""


def _permalink(comparison: Any, lang: str) -> str:
    """The comparison's address naming the data version it shows and a digest of it."""
    ctx = services()
    return _compare_url(
        comparison_ids(comparison),
        lang=lang,
        v=ctx.store.version(),
        d=comparison_digest(comparison),
        _external=True,
    )


def _cited_version(comparison: Any) -> CitedVersion | None:
    """For a permalink opened after the data changed: from which version, and whether these
    methods' data differs now."""
    version, digest = request.args.get("v", "")[:100], request.args.get("d", "")[:100]
    current = services().store.version()
    if not version or version == current:
        return None
    return CitedVersion(version, current, bool(digest) and digest != comparison_digest(comparison))


def comparison_ids(comparison: Any) -> list[str]:
    return [m.id for m in comparison.methods]


def _comparison_or_error(ids: list[str], lang: str) -> Any:
    ctx = services()
    try:
        return compare(ctx, ids, lang=lang)
    except CompareError:
        abort(400, description=compare_problem(ids))
    except UnknownMethodsError as exc:
        suggestions = [
            m for i in exc.ids for m in find_methods(ctx, i.replace("-", " "), lang=lang)
        ]
        abort(
            Response(
                render_template("not_found.html", ids=exc.ids, suggestions=suggestions[:10]),
                status=404,
            )
        )


@blueprint.get("/methods/<method_id>")
def method_page(method_id: str) -> str:
    ctx, lang = services(), ui_language()
    try:
        check_ids([method_id], minimum=1)
        described = compare(ctx, [method_id], lang=lang, minimum=1, all_rows=True)
    except CompareError:
        abort(400, description=compare_problem([method_id], minimum=1))
    except UnknownMethodsError:
        suggestions = find_methods(ctx, method_id.replace("-", " "), lang=lang)
        abort(Response(render_template("not_found.html", ids=[method_id],
                                       suggestions=suggestions), status=404))  # fmt: skip
    method = described.methods[0]
    sources = provenance_of(ctx, described.statement_graphs)
    return render_template(
        "method.html",
        method=method,
        sources=sources,
        graphs=sources.graphs.get(method.iri, ()),
        rdf_path=f"/method/{method.id}",
        rows=described.rows,
        has_math=described.has_math,
        depth=method_depth(ctx, method.iri, lang=lang),
        graph=method_graph(ctx, [method.iri], lang=lang),
    )


@blueprint.get("/methods/<method_id>/citation.<fmt>")
def method_citation_download(method_id: str, fmt: str) -> Response:
    if fmt not in ("bib", "json"):
        abort(404, description=_("Unknown download format."))
    ctx = services()
    try:
        check_ids([method_id], minimum=1)
    except CompareError:
        abort(400, description=compare_problem([method_id], minimum=1))
    citation = method_citation(ctx, ctx.method_iri(method_id))
    if citation is None:
        abort(404, description=_("This method has no recorded source."))
    if fmt == "bib":
        body, mimetype = to_bibtex(citation), "application/x-bibtex"
    else:
        body, mimetype = to_csl_json(citation), "application/vnd.citationstyles.csl+json"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{method_id}.{fmt}"'},
    )


def compare_problem(ids: list[str], *, minimum: int = MIN_METHODS) -> str:
    """Why ``check_ids`` refuses ``ids``, in the UI language."""
    unique = list(dict.fromkeys(ids))
    bad = [i for i in unique if not METHOD_ID_RE.match(i)]
    if bad:
        return str(_("Not a method id: %(id)s", id=repr(bad[0][:80])))
    return str(
        _(
            "Choose between %(minimum)d and %(maximum)d different methods (got %(num)d).",
            minimum=minimum,
            maximum=MAX_METHODS,
            num=len(unique),
        )
    )


@blueprint.get("/assets/katex/<path:filename>")
def katex_asset(filename: str) -> Response:
    """KaTeX's build, from npm (node_modules/ of a checkout, or bundled in the wheel):
    static/math.js typesets the math of summaries with it."""
    if not KATEX_BUILD.is_dir():
        abort(503, description="KaTeX is not installed: run `npm ci` (or `make install`).")
    return send_from_directory(KATEX_BUILD, filename, max_age=3600)


@blueprint.get("/assets/cytoscape/<path:filename>")
def cytoscape_asset(filename: str) -> Response:
    """Cytoscape.js's build, from npm: static/graph.js draws the links between methods."""
    if not CYTOSCAPE_BUILD.is_dir():
        abort(503, description="Cytoscape.js is not installed: run `npm ci` (or `make install`).")
    return send_from_directory(CYTOSCAPE_BUILD, filename, max_age=3600)


@blueprint.get("/api/methods")
def autocomplete() -> BaseResponse:
    """Suggestions for the "add a method" boxes, from the search index."""
    return search_views.autocomplete()
