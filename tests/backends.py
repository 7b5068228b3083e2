"""The three store backends the store-facing tests run on: the embedded pyoxigraph store, an
Oxigraph server and Virtuoso 7, each server started once per session on 127.0.0.1 (free
ports, a temporary directory) and stopped by its PID.

A missing server binary skips the tests that need it locally and fails them in CI
(``CI=true``), which must run every backend. ``benchmarks/remote_backends.py`` starts the
servers the same way.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

import pytest

from kg.config import Settings
from tests.served import free_port

BACKENDS = ("embedded", "oxigraph", "virtuoso")
REMOTE_BACKENDS = ("oxigraph", "virtuoso")
VIRTUOSO_INI = (
    Path("/etc/virtuoso-opensource-7/virtuoso.ini"),
    Path("/usr/share/virtuoso-opensource-7/virtuoso.ini"),
)
VIRTUOSO_QUERY_SECONDS = 30
"""Virtuoso's own limit on a query ([SPARQL] MaxQueryExecutionTime)."""
OXIGRAPH_QUERY_SECONDS = 30


class BackendMissing(RuntimeError):
    """A server binary is not installed."""


def missing(what: str) -> None:
    raise BackendMissing(
        f"{what} is not installed (scripts/install-system-packages.sh, make install)"
    )


def skip_or_fail(exc: BackendMissing) -> NoReturn:
    """Skip (locally) or fail (in CI) a test whose backend is not installed."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{exc}, and CI must run every backend")
    pytest.skip(str(exc))


@dataclass
class Backend:
    """How to reach one backend; ``settings`` gives each caller a namespace of its own."""

    name: str
    options: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    @property
    def remote(self) -> bool:
        return self.name != "embedded"

    def settings(self, tmp_path: Path, *, base_iri: str | None = None, **extra: object) -> Settings:
        """Settings on this backend. Remote backends are shared by the whole session, so
        each caller gets its own base IRI (kg's graphs and metadata live under it) unless
        it asks for one."""
        base = base_iri or f"https://kg.test/{uuid.uuid4().hex[:12]}/"
        options: dict[str, object] = {"base_iri": base, "search_dir": str(tmp_path / "search")}
        if self.remote:
            options.update(self.options)
        else:
            options["store"] = str(tmp_path / "store")
        options.update(extra)
        return Settings.from_env({}, **options)

    def stop(self) -> None:
        """SIGTERM to the server we started (by its PID), SIGKILL after 30 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    request = urllib.request.Request(
        url + "?" + urllib.parse.urlencode({"query": "ASK {}"}),
        headers={"Accept": "application/sparql-results+json"},
    )
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start-up; see {log}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the server did not answer within {seconds:g} s; see {log}")
        time.sleep(0.2)


def oxigraph_binary() -> str | None:
    return shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )


def start_oxigraph(directory: Path) -> Backend:
    binary = oxigraph_binary()
    if binary is None:
        missing("the Oxigraph server (PyPI package `oxigraph`)")
    assert binary is not None
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "oxigraph.log"
    output = log.open("wb")
    process = subprocess.Popen(
        [binary, "serve", "--location", str(directory / "db"), "--bind", f"127.0.0.1:{port}",
         "--timeout-s", str(OXIGRAPH_QUERY_SECONDS)],
        stdout=output, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(process, f"{url}/query", log, 180)
    return Backend(
        "oxigraph",
        {
            "store": f"{url}/query",
            "store_update": f"{url}/update",
            "store_graph_store": f"{url}/store",
        },
        process,
        output,
    )


def virtuoso_ini(
    template: str, directory: Path, sql_port: int, http_port: int, *, max_rows: int | None = None
) -> str:
    """Debian's virtuoso.ini with its files in ``directory`` and loopback ports (and, with
    ``max_rows``, another cap on result rows than Debian's 10,000)."""
    values = {
        ("Database", "DatabaseFile"): directory / "virtuoso.db",
        ("Database", "ErrorLogFile"): directory / "virtuoso.log",
        ("Database", "LockFile"): directory / "virtuoso.lck",
        ("Database", "TransactionFile"): directory / "virtuoso.trx",
        ("Database", "xa_persistent_file"): directory / "virtuoso.pxa",
        ("TempDatabase", "DatabaseFile"): directory / "virtuoso-temp.db",
        ("TempDatabase", "TransactionFile"): directory / "virtuoso-temp.trx",
        ("Parameters", "ServerPort"): f"127.0.0.1:{sql_port}",
        ("Parameters", "DirsAllowed"): f"., {directory}",
        ("Parameters", "NumberOfBuffers"): "10000",
        ("Parameters", "MaxDirtyBuffers"): "6000",
        ("HTTPServer", "ServerPort"): f"127.0.0.1:{http_port}",
        ("HTTPServer", "ServerRoot"): directory / "vsp",
        ("SPARQL", "MaxQueryExecutionTime"): str(VIRTUOSO_QUERY_SECONDS),
    }
    if max_rows is not None:
        values[("SPARQL", "ResultSetMaxRows")] = str(max_rows)
    section = ""
    lines = []
    for line in template.splitlines():
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            section = header[1].strip()
        key = re.match(r"^\s*([A-Za-z_]+)\s*=", line)
        if key and (section, key[1]) in values:
            line = f"{key[1]} = {values[(section, key[1])]}"
        if key and (section, key[1]) == ("SPARQL", "MaxQueryCostEstimationTime"):
            # OpenLink: for debugging only; it refuses kg's comparison query on a guess.
            line = ";" + line
        lines.append(line)
    return "\n".join(lines) + "\n"


def start_virtuoso(directory: Path, *, max_rows: int | None = None) -> Backend:
    binary = shutil.which("virtuoso-t")
    template = next((p for p in VIRTUOSO_INI if p.exists()), None)
    if binary is None or template is None:
        missing("Virtuoso 7 (Debian package `virtuoso-opensource`)")
    assert binary is not None and template is not None
    (directory / "vsp").mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    ini = directory / "virtuoso.ini"
    text = virtuoso_ini(template.read_text(), directory, free_port(), http_port, max_rows=max_rows)
    ini.write_text(text)
    log = directory / "virtuoso.out"
    output = log.open("wb")
    process = subprocess.Popen(
        [binary, "+configfile", str(ini), "+foreground"],
        cwd=directory, stdout=output, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{http_port}"
    _wait_until_up(process, f"{url}/sparql", log, 300)
    return Backend(
        "virtuoso",
        {
            "store": f"{url}/sparql",
            "store_update": f"{url}/sparql-auth",
            "store_graph_store": f"{url}/sparql-graph-crud-auth",
            "store_user": "dba",
            "store_password": "dba",
            "store_auth": "digest",
        },
        process,
        output,
    )
