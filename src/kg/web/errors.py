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
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, default_exceptions

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


def status_titles() -> dict[int, str]:
    """The titles of the error pages, in the UI language."""
    return {
        400: _("Bad request"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        408: _("Request timeout"),
        413: _("Request too large"),
        414: _("Address too long"),
        415: _("Unsupported media type"),
        429: _("Too many requests"),
        431: _("Request headers too large"),
        500: _("Internal error"),
        503: _("Service unavailable"),
    }


def default_messages() -> dict[int, str]:
    """What an error means, when the view gave no message of its own."""
    return {
        400: _("The request cannot be answered as it is."),
        403: _("This address is not open to you."),
        404: _(
            "There is nothing at this address. Search the catalogue, or start from the home page."
        ),
        405: _("This address does not answer that kind of request."),
        406: _("This address cannot answer in any of the formats you accept."),
        408: _("The request took too long to arrive."),
        413: _("The request is larger than the service accepts."),
        414: _("The address is longer than the service accepts."),
        415: _("The service does not read this type of content."),
        429: _("Too many requests in a short time; wait a moment and try again."),
        431: _("The request's headers are larger than the service accepts."),
    }


def _translated(exc: HTTPException, status: int) -> tuple[str, str]:
    """The title and message of an HTTP error, in the UI language where we know them."""
    title = status_titles().get(status, exc.name)
    message = exc.description or exc.name
    standard = default_exceptions.get(status)
    if standard is not None and message == standard.description:
        message = default_messages().get(status, message)
    return title, message


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
        title, message = _translated(exc, status)
        if request.path.startswith(PLAIN_PREFIXES) or _wants_json():
            title, message = exc.name, exc.description or exc.name  # clients parse these
        response = error_response(status, title, message, with_id=status >= 500)
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(StoreError)
    def store_unavailable(exc: StoreError) -> Response:
        log.warning("store error, request id %s: %s", request_id(), exc)
        response = error_response(
            503,
            _("Service unavailable"),
            _("The catalogue's store cannot answer right now; try again in a moment."),
            with_id=True,
        )
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error, request id %s", request_id())
        return error_response(
            500,
            _("Internal error"),
            _(
                "Something went wrong on our side. "
                "The log has the details under the request id below."
            ),
            with_id=True,
        )
