"""What every request and response goes through: a request id, security headers, the size
limit of request bodies and a per-client rate limit on the query endpoints.

Headers on every response:

* ``Content-Security-Policy``: scripts, styles, fonts, images and fetches from this site
  only, no inline scripts and no inline event handlers; nothing may frame the pages. The
  query editor (``/query``) also allows inline *styles*, which YASGUI's editor sets.
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``,
  ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``).
* ``X-Request-Id``: the id the log and the error pages use for this request.

The rate limit is a token bucket per client address (``request.remote_addr``; behind a
reverse proxy that is the proxy, so put the limit there instead) and per web worker
process: with ``KG_WORKERS=4`` a client may send up to four times ``KG_RATE_LIMIT``.
"""

from __future__ import annotations

import math
import threading
import time
import urllib.parse
import uuid

from flask import Flask, Response, g, request

from kg.config import Settings

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
EDITOR_POLICY = {**POLICY, "style-src": "'self' 'unsafe-inline'"}
"""/query: YASGUI and CodeMirror position and size their parts with inline styles."""

RATE_LIMITED_PREFIXES = ("/sparql", "/queries/")


def content_security_policy(path: str) -> str:
    policy = EDITOR_POLICY if path == "/query" else POLICY
    return "; ".join(f"{name} {value}" for name, value in policy.items())


class TokenBuckets:
    """Per-key token buckets: ``per_minute`` tokens a minute, at most ``burst`` saved up."""

    MAX_KEYS = 10_000

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(1, burst))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """0 when ``key`` may go ahead (a token is taken), else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.MAX_KEYS:
                self._forget_full(now)
            return wait

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have filled up again: they hold no information."""
        full = [
            key
            for key, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]


def init_app(app: Flask, settings: Settings) -> None:
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = settings.max_request_bytes  # a form's update field
    buckets = None
    if settings.rate_limit:
        buckets = TokenBuckets(settings.rate_limit, max(1, settings.rate_limit // 10))

    @app.before_request
    def start_request() -> Response | None:
        g.request_id = uuid.uuid4().hex[:16]
        problem = _not_utf8()
        if problem:
            return Response(
                f"The request's {problem} is not valid UTF-8 (percent-encode UTF-8 bytes).\n",
                status=400,
                mimetype="text/plain",
            )
        if buckets is None or not request.path.startswith(RATE_LIMITED_PREFIXES):
            return None
        if request.method == "OPTIONS":
            return None
        wait = buckets.take(request.remote_addr or "unknown")
        if not wait:
            return None
        seconds = max(1, math.ceil(wait))
        return Response(
            f"Too many requests from your address: at most {settings.rate_limit} a minute "
            f"here. Try again in {seconds} s.\n",
            status=429,
            mimetype="text/plain",
            headers={"Retry-After": str(seconds)},
        )

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(request.path)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["X-Request-Id"] = request_id()
        return response


DRAIN_AT_MOST = 256 * 1024 * 1024
"""Bytes of a too-large body read and dropped so that the client, still sending, gets to
read the 413 instead of a broken connection."""


def drain_body() -> None:
    """Read and drop the rest of the request body (up to DRAIN_AT_MOST bytes)."""
    stream = request.environ.get("wsgi.input")
    left = min(request.content_length or 0, DRAIN_AT_MOST)
    if stream is None or not left:
        return
    try:
        while left > 0:
            chunk = stream.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
    except (OSError, ValueError):
        pass


def _not_utf8() -> str | None:
    """Which part of the request (path, query string, form) is not UTF-8, if any: Werkzeug
    would pass such bytes on as replacement characters or percent escapes, silently."""
    try:
        request.environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    except UnicodeError:
        return "path"
    parts = [("query string", request.query_string)]
    if request.mimetype == "application/x-www-form-urlencoded":
        parts.append(("form", request.get_data(cache=True)))
    for name, raw in parts:
        try:
            urllib.parse.unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeError:
            return name
    return None


def request_id() -> str:
    """This request's id (a fresh one outside a request's before_request)."""
    rid = getattr(g, "request_id", None)
    if not isinstance(rid, str):
        rid = g.request_id = uuid.uuid4().hex[:16]
    return rid


def is_http_link(value: object) -> bool:
    """The Jinja test ``is http_link``: an absolute http(s) IRI, or a path on this site
    (``/x``, not ``//x``). Anything else (``javascript:``, ``data:``, …) is shown as text."""
    if not isinstance(value, str):
        return False
    if value.startswith("/"):
        return not value.startswith(("//", "/\\"))
    scheme, sep, rest = value.partition(":")
    return bool(sep) and scheme.lower() in ("http", "https") and rest.startswith("//")
