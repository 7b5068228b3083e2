"""HTML pages: home, comparison, method."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from kg.services.catalogue import find_methods, list_methods
from kg.services.compare import CompareError, UnknownMethodsError, check_ids, compare
from kg.services.compare_export import comparison_csv, comparison_markdown
from kg.web.context import services
from kg.web.i18n import ui_language

blueprint = Blueprint("pages", __name__)

DOWNLOADS = {"csv": "text/csv", "md": "text/markdown", "ttl": "text/turtle",
             "jsonld": "application/ld+json"}  # fmt: skip


@blueprint.get("/")
def home() -> str:
    return render_template("home.html", methods=list_methods(services(), lang=ui_language()))


@blueprint.get("/health")
def health() -> dict[str, object]:
    return {"status": "ok", "store_version": services().store.version()}


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
        only_differing=only_differing,
        remove_urls=[
            _compare_url([i for i in comparison_ids(comparison) if i != m.id])
            for m in comparison.methods
        ],
        permalink=_compare_url(comparison_ids(comparison), lang=lang, _external=True),
        toggle_url=_compare_url(
            comparison_ids(comparison), **({} if only_differing else {"only": "differing"})
        ),
        download_urls={
            fmt: url_for("pages.compare_download", fmt=fmt, m=comparison_ids(comparison), lang=lang)
            for fmt in DOWNLOADS
        },  # fmt: skip
        query_url=url_for("pages.query_editor", query=comparison.query),
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
    elif fmt == "md":
        body = comparison_markdown(
            comparison,
            title=_("Compare methods"),
            subtitle=_("View the selected methods side by side. Rows that differ are highlighted."),
            dataset_link=_("%(site)s dataset", site=ctx.settings.site_name),
        )
    else:
        from kg.services.linked_data import describe_methods

        body = describe_methods(ctx, [m.iri for m in comparison.methods], fmt=fmt)
    name = "comparison-" + "-".join(comparison_ids(comparison))[:120]
    return Response(
        body,
        mimetype=DOWNLOADS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def comparison_ids(comparison: Any) -> list[str]:
    return [m.id for m in comparison.methods]


def _comparison_or_error(ids: list[str], lang: str) -> Any:
    ctx = services()
    try:
        return compare(ctx, ids, lang=lang)
    except CompareError as exc:
        abort(400, description=str(exc))
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
    except CompareError as exc:
        abort(400, description=str(exc))
    except UnknownMethodsError:
        suggestions = find_methods(ctx, method_id.replace("-", " "), lang=lang)
        abort(Response(render_template("not_found.html", ids=[method_id],
                                       suggestions=suggestions), status=404))  # fmt: skip
    return render_template("method.html", method=described.methods[0], rows=described.rows)


@blueprint.get("/api/methods")
def autocomplete() -> dict[str, object]:
    matches = find_methods(services(), request.args.get("q", ""), lang=ui_language())
    return {"methods": [{"id": m.id, "label": m.label} for m in matches]}


@blueprint.get("/query")
def query_editor() -> str:
    """Placeholder target of "Open the query" until the SPARQL workbench lands."""
    return render_template("query.html", query=request.args.get("query", ""))
