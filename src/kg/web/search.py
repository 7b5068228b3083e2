"""Search pages (``/search``, ``/search.json``, the autocomplete JSON) and the browse pages
of fields and families (``/fields``, ``/fields/<id>``, ``/families``, ``/families/<id>``).

The endpoints ``pages.search``, ``pages.search_json`` and ``pages.autocomplete`` are
registered by ``kg.web.pages`` (templates link to them) and call the views here. Graph text
is never marked safe: highlighted matches are lists of fragments the templates escape.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from kg.services.catalogue import (
    METHOD_SORTS,
    ListInputError,
    count_listed_methods,
    filter_text,
    page_methods,
)
from kg.services.search import (
    CONCEPT_KINDS,
    CONCEPT_SORTS,
    MAX_RESULTS,
    SEARCH_SORTS,
    SearchInputError,
    SearchResults,
    SearchUnavailable,
    concept_page,
    concept_tree,
    parse_filters,
    parse_page,
    search,
    suggest,
)
from kg.web.context import services
from kg.web.i18n import ui_language
from kg.web.lists import list_args, sort_names
from kg.web.navigation import rdf_alternates

blueprint = Blueprint("browse", __name__)
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\Z")
KINDS_BY_PATH = {"fields": "field", "families": "family"}


def field_names() -> dict[str, str]:
    """What matched, as a reader calls it (row labels of the ontology, in the UI language)."""
    return {
        "label": _("Name"),
        "alias": _("Also known as"),
        "summary": _("Summary"),
        "attribution": _("Originators"),
        "type": _("Type"),
        "originator": _("Originator"),
        "source": _("Original source"),
        "field": _("Field"),
        "family": _("Family"),
    }


def facet_titles() -> dict[str, str]:
    return {
        "field": _("Fields"),
        "family": _("Families"),
        "type": _("Type"),
        "decade": _("Decade of origin"),
    }


def _unavailable(exc: SearchUnavailable) -> BaseResponse:
    message = _("The search index is being rebuilt. Try again in a moment.")
    if request.path.endswith(".json") or request.path.startswith("/api/"):
        response = jsonify({"error": message, "detail": str(exc)})
    else:
        response = Response(
            render_template("error.html", status=503, title=_("Search unavailable"),
                            message=message, request_id=None),
            mimetype="text/html",
        )  # fmt: skip
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


def _results() -> SearchResults:
    args = request.args
    return search(
        services(),
        args.get("q", ""),
        filters=parse_filters(args),
        page=parse_page(args.get("page")),
        lang=ui_language(),
        sort=args.get("sort") or "relevance",
    )


def _sort() -> str:
    """The order asked for, if not the default (carried by the page's links)."""
    sort = request.args.get("sort", "")
    return "" if sort == "relevance" else sort


def _url(results: SearchResults, **changes: Any) -> str:
    args: dict[str, Any] = {"q": results.text, **results.filters, "sort": _sort()}
    args.update(changes)
    return url_for("pages.search", **{k: v for k, v in args.items() if v not in (None, "")})


def search_page() -> str | BaseResponse:
    try:
        results = _results()
    except SearchInputError as exc:
        abort(400, description=str(exc))
    except SearchUnavailable as exc:
        return _unavailable(exc)
    facets = [
        (
            facet,
            facet_titles()[facet],
            [
                (v, _url(results, **{facet: "" if v.selected else v.value}, page=None))
                for v in values[:12]
            ],
        )  # fmt: skip
        for facet, values in results.facets.items()
        if values
    ]
    return render_template(
        "search.html",
        results=results,
        facets=facets,
        field_names=field_names(),
        max_results=MAX_RESULTS,
        clear_urls={f: _url(results, **{f: None}, page=None) for f in results.filters},
        previous_url=_url(results, page=results.page - 1) if results.page > 1 else None,
        next_url=_url(results, page=results.page + 1) if results.page < results.pages else None,
        corrected_url=url_for("pages.search", q=results.corrected) if results.corrected else None,
        sorts=[(s, sort_names()[s]) for s in SEARCH_SORTS],
        sort=_sort() or "relevance",
    )


def search_json() -> BaseResponse:
    try:
        results = _results()
    except SearchInputError as exc:
        response = jsonify({"error": str(exc)})
        response.status_code = 400
        return response
    except SearchUnavailable as exc:
        return _unavailable(exc)
    return jsonify(
        {
            "query": results.text,
            "terms": list(results.terms),
            "corrected": results.corrected,
            "filters": results.filters,
            "total": results.total,
            "more": results.more,
            "complete": results.complete,
            "page": results.page,
            "pages": results.pages,
            "results": [
                {
                    "id": hit.id,
                    "url": url_for("pages.method_page", method_id=hit.id, _external=True),
                    "label": hit.label,
                    "label_lang": hit.label_lang,
                    "start_year": hit.start_year,
                    "fields": [{"id": f[0], "label": f[1]} for f in hit.fields],
                    "rank": hit.tier,
                    "matched": asdict(hit.matched) if hit.matched else None,
                }
                for hit in results.hits
            ],
            "facets": {
                facet: [
                    {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                    for v in values
                ]  # fmt: skip
                for facet, values in results.facets.items()
            },
        }
    )


def autocomplete() -> BaseResponse:
    try:
        hits = suggest(services(), request.args.get("q", ""), lang=ui_language())
    except SearchInputError as exc:
        response = jsonify({"error": str(exc), "methods": []})
        response.status_code = 400
        return response
    except SearchUnavailable as exc:
        return _unavailable(exc)
    return jsonify(
        {
            "methods": [
                {
                    "id": hit.id,
                    "label": hit.label,
                    "matched": asdict(hit.matched) if hit.matched else None,
                }
                for hit in hits
            ]
        }
    )


# --- browsing ----------------------------------------------------------------------------------


def _kind_titles() -> dict[str, tuple[str, str]]:
    return {"field": (_("Fields"), _("Field")), "family": (_("Families"), _("Family"))}


@blueprint.get("/<any(fields, families):path>")
def concepts(path: str) -> str | BaseResponse:
    """The tree of fields or families, filtered by name (``text=``: the matching concepts
    and the broader ones leading to them) and ordered by ``sort=`` at every level."""
    kind = KINDS_BY_PATH[path]
    args = list_args(CONCEPT_SORTS)
    try:
        roots = concept_tree(services(), kind, lang=ui_language(), text=args.text, sort=args.sort)
    except SearchInputError as exc:
        abort(400, description=str(exc))
    except SearchUnavailable as exc:
        return _unavailable(exc)
    return render_template(
        "concepts.html", kind=kind, path=path, roots=roots, title=_kind_titles()[kind][0],
        other=[(p, _kind_titles()[k][0]) for p, k in KINDS_BY_PATH.items() if k != kind],
        args=args,
    )  # fmt: skip


@blueprint.get("/<any(fields, families):path>/<concept_id>")
def concept(path: str, concept_id: str) -> str | BaseResponse:
    """A field or family: its narrower ones and its methods (and those of narrower ones),
    filtered by name, sorted by name or year and paged by the store (``page-methods.rq``)."""
    kind = KINDS_BY_PATH[path]
    if not _ID_RE.match(concept_id):
        abort(404, description=_("Not a valid identifier."))
    args = list_args(METHOD_SORTS)
    ctx, lang = services(), ui_language()
    try:
        view = concept_page(ctx, kind, concept_id, lang=lang, methods=False)
    except SearchUnavailable as exc:
        return _unavailable(exc)
    if view is None:
        abort(404, description=_("No such field.") if kind == "field" else _("No such family."))
    iri = f"{ctx.settings.base_iri}{kind}/{concept_id}"
    try:
        listed = page_methods(ctx, lang=lang, after=args.after, sort=args.sort, text=args.text,
                              under=iri)  # fmt: skip
        total = count_listed_methods(ctx, text=args.text, under=iri) if args.text else None
        query_params = {"concept": iri, "lang": lang, "sort": args.sort,
                        "text": filter_text(args.text), "after": args.after}  # fmt: skip
    except ListInputError as exc:
        abort(400, description=str(exc))
    kept = args.kept()
    here: dict[str, Any] = {"path": path, "concept_id": concept_id}
    return render_template(
        "concept.html",
        view=view,
        query_params={k: v for k, v in query_params.items() if v},
        methods=listed.methods,
        matching=total,
        args=args,
        kind=kind,
        path=path,
        kind_titles=_kind_titles()[kind],
        resource_url=url_for("linked_data.resource", kind=kind, name=concept_id),
        concept_iri=iri,
        alternates=rdf_alternates(f"/{kind}/{concept_id}"),
        search_url=url_for("pages.search", field=concept_id)
        if kind == "field"
        else url_for("pages.search", family=concept_id),
        first_url=url_for("browse.concept", **here, **kept) if args.after else None,
        next_url=url_for("browse.concept", **here, after=listed.next_after, **kept)
        if listed.next_after
        else None,
    )


__all__ = ["CONCEPT_KINDS", "autocomplete", "blueprint", "search_json", "search_page"]
