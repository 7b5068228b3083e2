"""Running the web service: gunicorn in production, Flask's server only for debugging."""

from __future__ import annotations

import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from kg.config import Settings
from kg.services.sparql import isolation_warning, start_query_workers
from kg.web import CONTEXT_KEY, create_app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": self.settings.workers,
            "threads": self.settings.threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "timeout": 60,
            # A SPARQL query sent by GET is in the request line: kg's limits apply to it,
            # KG_MAX_QUERY_LENGTH and a 414 with a message on longer URLs
            # (kg.web.sparql.request_line_limit); gunicorn's own, at twice that, only stops
            # reading an absurd line (see _raise_gunicorn_line_cap).
            "limit_request_line": _raise_gunicorn_line_cap(self.settings),
        }
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25.1
            # Its control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl): a
            # second service on the machine would take it over, and kg has no use for it.
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """The app of one web worker (loaded after the fork), its query workers started."""
        app = create_app(self.settings)
        start_query_workers(app.extensions[CONTEXT_KEY])
        return app


def _raise_gunicorn_line_cap(settings: Settings) -> int:
    """gunicorn's request-line limit: twice kg's (``max_request_target``). gunicorn takes
    at most its ``MAX_REQUEST_LINE`` (8190 bytes, a query of a few thousand characters) or
    0, no limit at all, where it would read a line of any length into memory before kg saw
    it; so its maximum is raised to this (versions 22 to 27 read it on every request)."""
    from gunicorn.http import message

    from kg.web.sparql import max_request_target

    cap = 2 * max_request_target(settings)
    if isinstance(getattr(message, "MAX_REQUEST_LINE", None), int):
        message.MAX_REQUEST_LINE = max(message.MAX_REQUEST_LINE, cap)
        return cap
    return 0  # a gunicorn without the constant: no limit of its own, kg's applies


def url_of(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}/"


def serve(settings: Settings, *, debug: bool = False) -> None:
    print(f"Serving the catalogue at {url_of(settings)}  (Ctrl-C stops)", flush=True)
    warning = isolation_warning(settings)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if debug:
        create_app(settings).run(host=settings.host, port=settings.port, debug=True)
    else:
        _Gunicorn(settings).run()
