"""Error pages: a clear message and the right status, never a stack trace.

An unexpected exception is logged with its stack trace and the request id
(``kg.web.security``); the client gets 500 with only that id, as an HTML page, JSON
(``{"error": …, "request_id": …}``) for JSON clients, or plain text on the SPARQL and
Graph Store endpoints. Every response carries the id as ``X-Request-Id``.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from kg.store import StoreError
from kg.web.security import drain_body, request_id

log = logging.getLogger("kg.web")
PLAIN_PREFIXES = ("/sparql", "/store")


def _wants_json() -> bool:
    if request.path.endswith(".json") or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > (request.accept_mimetypes["text/html"])
    )


def error_response(status: int, title: str, message: str, *, with_id: bool) -> Response:
    """The error in the form the client reads: plain text, JSON or an HTML page."""
    rid = request_id()
    headers = {}
    if status == 429 or status == 503:
        headers["Retry-After"] = "5"
    if request.path.startswith(PLAIN_PREFIXES):
        text = f"{message}\n" + (f"Request id: {rid}\n" if with_id else "")
        return Response(text, status=status, mimetype="text/plain", headers=headers)
    if _wants_json():
        body = {"error": message, "status": status, "request_id": rid}
        return Response(
            json.dumps(body, ensure_ascii=False),
            status=status,
            mimetype="application/json",
            headers=headers,
        )
    page = render_template(
        "error.html",
        status=status,
        title=title,
        message=message,
        request_id=rid if with_id else None,
    )
    return Response(page, status=status, mimetype="text/html", headers=headers)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if exc.response is not None:  # abort(Response(...)): already a finished answer
            return exc.response  # type: ignore[return-value]
        status = exc.code or 500
        if status == 413:
            drain_body()
        response = error_response(
            status, exc.name, exc.description or exc.name, with_id=status >= 500
        )
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(StoreError)
    def store_unavailable(exc: StoreError) -> Response:
        log.warning("store error, request id %s: %s", request_id(), exc)
        response = error_response(
            503,
            "Service unavailable",
            "The catalogue's store cannot answer right now; try again in a moment.",
            with_id=True,
        )
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error, request id %s", request_id())
        return error_response(
            500,
            "Internal error",
            "Something went wrong on our side. The log has the details under the request id below.",
            with_id=True,
        )
