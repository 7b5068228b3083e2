"""Error pages: a clear message and the right status, never a stack trace."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from kg.store import StoreError

log = logging.getLogger("kg.web")


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        status = exc.code or 500
        return render_template(
            "error.html", status=status, title=exc.name, message=exc.description, request_id=None
        ), status

    @app.errorhandler(StoreError)
    def store_unavailable(exc: StoreError) -> tuple[str, int, dict[str, str]]:
        log.warning("store error: %s", exc)
        return (
            render_template(
                "error.html",
                status=503,
                title="Service unavailable",
                message=f"The catalogue's store cannot answer right now: {exc}",
                request_id=None,
            ),
            503,
            {"Retry-After": "10"},
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        request_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error, request id %s", request_id)
        return render_template(
            "error.html",
            status=500,
            title="Internal error",
            message="Something went wrong on our side.",
            request_id=request_id,
        ), 500
