"""A real `kg serve` (gunicorn) on 127.0.0.1 with chosen settings, for the SPARQL tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser import free_port

KG = [sys.executable, "-m", "kg.cli"]


@contextmanager
def running_server(
    store: Path, *, load: bool, log_name: str = "server.log", **settings: str
) -> Iterator[str]:
    """Serve ``store`` (loaded with the catalogue when ``load``); yields the base URL."""
    env = {**os.environ, "KG_STORE": str(store), "KG_PORT": str(free_port()), "KG_WORKERS": "1"}
    env.update({f"KG_{k.upper()}": v for k, v in settings.items()})
    if load:
        subprocess.run([*KG, "load"], env=env, check=True, capture_output=True)
    log = (store.parent / log_name).open("w")
    server = subprocess.Popen([*KG, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['KG_PORT']}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the service did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
