"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from kg.services.catalogue import list_methods
from kg.web.context import services

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def home() -> str:
    return render_template("home.html", methods=list_methods(services(), lang="en"))


@blueprint.get("/health")
def health() -> dict[str, object]:
    ctx = services()
    return {"status": "ok", "store_version": ctx.store.version()}
