"""A real `kg serve` (gunicorn) whose processes the hardening tests watch, a canary HTTP
listener, and small HTTP helpers that never raise on an error status."""

from __future__ import annotations

import atexit
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.stores import copy_store

KG = [sys.executable, "-m", "kg.cli"]
START_WITHIN = 180
"""Seconds a service may take to answer /health after it starts: a loaded machine starts
gunicorn and its query workers slowly, so the bound only catches a service that never comes."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    store: Path
    log: Path

    def web_workers(self) -> list[int]:
        """PIDs of gunicorn's workers (the master's children); a crashed one is replaced
        by a new PID."""
        return children(self.process.pid)

    def sandbox_workers(self) -> list[tuple[int, str]]:
        """(PID, state) of every query worker process on this store."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if b"kg.store.sandbox" in cmdline and str(self.store).encode() in cmdline:
                found.append((int(entry.name), state))
        return found


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def kg_env(store: Path, **settings: str) -> dict[str, str]:
    env = {**os.environ, "KG_STORE": str(store)}
    env.update({f"KG_{k.upper()}": v for k, v in settings.items()})
    return env


SERVING_ONLY = {
    "host", "port", "workers", "threads", "site_name", "query_timeout", "max_rows",
    "write_token", "max_queries", "max_query_length", "max_nesting", "max_request_bytes",
    "home_list_limit", "rate_limit", "allow_remote",
}  # fmt: skip
"""Settings that change how a service answers, not what `kg load --curated` writes."""
_curated: list[Path] = []


def load_curated(store: Path, env: Mapping[str, str], settings: Mapping[str, str]) -> None:
    """`kg load --curated` into ``store``. Done once per session: a new store directory
    (with only serving settings) gets a copy of that first store (tests/stores.py)."""
    if store.exists() or not set(settings) <= SERVING_ONLY:
        subprocess.run([*KG, "load", "--curated"], env=env, check=True, capture_output=True)
        return
    if not _curated:
        # outside pytest's numbered directories, which other sessions on the machine prune
        directory = Path(tempfile.mkdtemp(prefix="kg-curated-"))
        atexit.register(shutil.rmtree, directory, True)
        first = directory / "store"
        subprocess.run(
            [*KG, "load", "--curated"], env={**env, "KG_STORE": str(first)},
            check=True, capture_output=True,
        )  # fmt: skip
        _curated.append(first)
    copy_store(_curated[0], store)


@contextmanager
def serve(store: Path, *, load: bool = True, **settings: str) -> Iterator[Served]:
    """`kg serve` on a free 127.0.0.1 port over ``store`` (loaded with the curated catalogue when
    ``load``), one web worker; stopped by PID afterwards."""
    env = kg_env(store, port=str(free_port()), workers="1", **settings)
    if load:
        load_curated(store, env, settings)
    log = store.parent / f"server-{env['KG_PORT']}.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [*KG, "serve"], env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{env['KG_PORT']}/"
    try:
        deadline = time.monotonic() + START_WITHIN
        while True:
            try:
                urllib.request.urlopen(url + "health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the service did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield Served(url, process, store, log)
    finally:
        process.terminate()
        process.wait(timeout=60)


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes
    seconds: float


def eventually(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Wait until ``condition()`` holds; fail after ``seconds`` (a generous bound: what is
    waited for is a condition, never a speed)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.2)


def fetch(
    url: str,
    *,
    data: bytes | None = None,
    method: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return Answer(response.status, response.headers, body, time.monotonic() - started)
    except urllib.error.HTTPError as error:
        body = error.read()
        return Answer(error.code, error.headers, body, time.monotonic() - started)


class Canary:
    """An HTTP listener on 127.0.0.1 that counts every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                canary.requests.append(f"{self.command} {self.path}")
                body = b'{"@context": {"name": "http://schema.org/name"}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
