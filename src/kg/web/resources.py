"""Pages of AI systems, data sets, organisations and venues (``/systems/<slug>`` …).

Their IRIs (``/system/<slug>`` …) negotiate like every other (``kg.web.linked_data``): RDF
there, and a browser is sent here (303), as ``/method/<slug>`` is sent to ``/methods/``.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _

from kg.services.catalogue import ListInputError, filter_text
from kg.services.depth import PAGE_KINDS, resource_page
from kg.services.listings import RESOURCE_SORTS, list_resources
from kg.web.context import services
from kg.web.i18n import ui_language
from kg.web.lists import list_args

blueprint = Blueprint("resources", __name__)

ENDPOINTS = {
    "system": "resources.system_page",
    "dataset": "resources.dataset_page",
    "organization": "resources.organization_page",
    "venue": "resources.venue_page",
}
"""The view of each path kind's HTML page (``kg.web.linked_data`` redirects to it)."""

KINDS_BY_PATH = {
    "systems": "system",
    "datasets": "dataset",
    "organizations": "organization",
    "venues": "venue",
}
"""The listing page of each kind (``/systems`` …), paged by label."""

_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_~-]{0,199}\Z")


def page_labels() -> dict[str, str]:
    """Names of the standard properties these pages show (kg terms: the ontology's labels)."""
    return {
        "http://www.w3.org/2004/02/skos/core#altLabel": _("Alternative name"),
        "http://www.w3.org/ns/dcat#version": _("Version"),
        "http://purl.org/dc/terms/publisher": _("Publisher"),
        "http://purl.org/dc/terms/license": _("Licence"),
        "https://schema.org/url": _("Web page"),
    }


def _page(kind: str, slug: str, template: str) -> str:
    if not _SLUG_RE.match(slug):
        abort(404, description=_("Not a valid identifier."))
    ctx = services()
    page = resource_page(ctx, kind, slug, lang=ui_language(), property_labels=page_labels())
    if page is None:
        iri = f"{ctx.settings.base_iri}{kind}/{slug}"
        abort(404, description=_("Nothing is known about %(iri)s.", iri=iri))
    return render_template(template, page=page, rdf_path=f"/{kind}/{slug}")


@blueprint.get("/systems/<slug>")
def system_page(slug: str) -> str:
    return _page("system", slug, "system.html")


@blueprint.get("/datasets/<slug>")
def dataset_page(slug: str) -> str:
    return _page("dataset", slug, "data_set.html")


@blueprint.get("/organizations/<slug>")
def organization_page(slug: str) -> str:
    return _page("organization", slug, "organization.html")


@blueprint.get("/venues/<slug>")
def venue_page(slug: str) -> str:
    return _page("venue", slug, "venue.html")


def listing_titles() -> dict[str, str]:
    return {
        "system": _("AI systems"),
        "dataset": _("Datasets"),
        "organization": _("Organisations"),
        "venue": _("Venues"),
    }


@blueprint.get("/<any(systems, datasets, organizations, venues):path>")
def listing(path: str) -> str:
    """Every AI system, data set, organisation or venue, 50 a page, filtered by name and
    sorted by label (AI systems also newest first): the store filters, sorts and cuts."""
    kind = KINDS_BY_PATH[path]
    args = list_args(RESOURCE_SORTS[kind])
    ctx = services()
    try:
        found = list_resources(
            ctx, kind, lang=ui_language(), after=args.after, sort=args.sort, text=args.text
        )
    except ListInputError as exc:
        abort(400, description=str(exc))
    kept = args.kept()
    query_params = {"class": str(PAGE_KINDS[kind]), "prefix": f"{ctx.settings.base_iri}{kind}/",
                    "lang": ui_language(), "sort": args.sort, "text": filter_text(args.text),
                    "after": args.after}  # fmt: skip
    return render_template(
        "listing.html",
        listing=found,
        args=args,
        path=path,
        title=listing_titles()[kind],
        endpoint=ENDPOINTS[kind],
        query_params={k: v for k, v in query_params.items() if v},
        first_url=url_for("resources.listing", path=path, **kept) if args.after else None,
        next_url=url_for("resources.listing", path=path, after=found.next_after, **kept)
        if found.next_after
        else None,
    )
