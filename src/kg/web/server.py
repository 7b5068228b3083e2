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
            # gunicorn's largest: a SPARQL query sent by GET is in the request line, and
            # the default 4094 bytes hold little more than the library's method-rows.rq.
            "limit_request_line": 8190,
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
