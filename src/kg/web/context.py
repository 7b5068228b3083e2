"""Access to the services' context from a request."""

from __future__ import annotations

from flask import current_app

from kg.services.context import Context


def services() -> Context:
    ctx = current_app.extensions["kg.context"]
    assert isinstance(ctx, Context)
    return ctx
