"""Load test of the production server (issue 9): 60 s at 32 concurrent clients on /compare
and /sparql against `kg serve` (gunicorn, the README's settings), errors and p50/p99.

    .venv/bin/python -m benchmarks.load                 # 60 s, 32 clients, the curated catalogue
    .venv/bin/python -m benchmarks.load --seconds 10 --store var/store --json out.json

Half the clients ask comparison pages (pairs of curated methods, in turn), half ask small
SPARQL queries at /sparql (through the sandbox, so query workers and the KG_MAX_QUERIES
bound are in the measurement). Load comes from Debian's `wrk` (one process per endpoint,
keep-alive connections), else from Python threads. Every client shares 127.0.0.1, so the
per-client rate limit is switched off for the run (KG_RATE_LIMIT=0); all other settings are
the defaults, or KG_* from the environment. An error is any answer other than 200 or a
connection or timeout error (wrk's --timeout is 30 s, so slow answers count as latency).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KG = [sys.executable, "-m", "kg.cli"]
WRK = shutil.which("wrk")
PAIRS = [
    ("ddpm", "lora"), ("dreambooth", "textual-inversion"), ("ddim", "latent-diffusion-model"),
    ("simclr", "moco"), ("gan", "ddpm"), ("classifier-free-guidance", "classifier-guidance"),
    ("transfer-learning-with-diffusion-models", "fine-tuned-diffusion-model"),
]  # fmt: skip
QUERIES = [
    "PREFIX kg: <https://w3id.org/rmkg/ontology#>\n"
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "SELECT ?m ?label WHERE { ?m a kg:Method ; skos:prefLabel ?label "
    'FILTER(lang(?label) = "en") } ORDER BY ?label LIMIT 20',
    "ASK { <https://w3id.org/rmkg/method/ddpm> ?p ?o }",
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type",
]
LUA = """
local paths = {}
for line in io.lines(os.getenv("KG_LOAD_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept"] = os.getenv("KG_LOAD_ACCEPT") })
end
"""


def paths(endpoint: str) -> list[str]:
    if endpoint == "compare":
        return [f"/compare?m={a}&m={b}" for a, b in PAIRS]
    return ["/sparql?" + urllib.parse.urlencode({"query": q}) for q in QUERIES]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(store: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], str, Any]:
    env = {**os.environ, "KG_STORE": str(store), "KG_PORT": str(free_port()), "KG_RATE_LIMIT": "0"}
    if not (store / "current").exists():
        print(f"building the store {store} (kg load) …", flush=True)
        subprocess.run([*KG, "load", "--curated"], env=env, check=True, capture_output=True)
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen([*KG, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['KG_PORT']}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/health", timeout=2).close()
            return server, url, log
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"the server did not start; see {workdir}/server.log") from None
            time.sleep(0.2)


def _seconds(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def parse_wrk(text: str) -> dict[str, Any]:
    """Requests, errors and latency percentiles (seconds) from `wrk --latency` output."""
    result: dict[str, Any] = {"requests": 0, "errors": 0}
    match = re.search(r"(\d+) requests in", text)
    if match:
        result["requests"] = int(match[1])
    for kind in ("connect", "read", "write", "timeout"):
        found = re.search(rf"{kind} (\d+)", text.split("Socket errors:", 1)[-1]) if (
            "Socket errors:" in text
        ) else None  # fmt: skip
        result["errors"] += int(found[1]) if found else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    result["errors"] += int(non_2xx[1]) if non_2xx else 0
    for percent in ("50", "75", "90", "99"):
        found = re.search(rf"^\s+{percent}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        if found:
            result[f"p{percent}"] = _seconds(found[1], found[2])
    return result


def run_wrk(url: str, endpoint: str, clients: int, seconds: int, workdir: Path) -> Any:
    listed = workdir / f"{endpoint}.paths"
    listed.write_text("\n".join(paths(endpoint)) + "\n")
    script = workdir / "load.lua"
    script.write_text(LUA)
    accept = "text/html" if endpoint == "compare" else "application/sparql-results+json"
    env = {**os.environ, "KG_LOAD_PATHS": str(listed), "KG_LOAD_ACCEPT": accept}
    command = [WRK or "wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency",
               "--timeout", "30s", "-s", str(script), url]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip


def thread_load(url: str, endpoint: str, clients: int, seconds: int) -> dict[str, Any]:
    """The fallback without wrk: ``clients`` threads asking in turn, one request at a time."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    accept = "text/html" if endpoint == "compare" else "application/sparql-results+json"

    def client(offset: int) -> None:
        listed, i = paths(endpoint), offset
        while time.monotonic() < stop:
            i += 1
            started = time.monotonic()
            request = urllib.request.Request(url + listed[i % len(listed)],
                                             headers={"Accept": accept})  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except (urllib.error.URLError, OSError):
                ok = False
            with lock:
                latencies.append(time.monotonic() - started)
                errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    return {"requests": len(latencies), "errors": errors[0], "p50": pct(0.50),
            "p75": pct(0.75), "p90": pct(0.90), "p99": pct(0.99)}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=32, help="split evenly over the two")
    parser.add_argument("--store", type=Path, default=ROOT / "var" / "bench" / "load" / "store")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    args.store.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kg-load-") as tmp:
        workdir = Path(tmp)
        server, url, log = start_server(args.store.resolve(), workdir)
        try:
            for endpoint in ("compare", "sparql"):  # warm: workers, caches, search index
                for path in paths(endpoint):
                    urllib.request.urlopen(url + path, timeout=60).read()
            half = args.clients // 2
            results: dict[str, Any] = {}
            if WRK:
                running = {e: run_wrk(url, e, half, args.seconds, workdir)
                           for e in ("compare", "sparql")}  # fmt: skip
                for endpoint, process in running.items():
                    output, _ = process.communicate()
                    results[endpoint] = parse_wrk(output)
                    results[endpoint]["raw"] = output
            else:
                outcome: dict[str, dict[str, Any]] = {}
                threads = [
                    threading.Thread(
                        target=lambda e=e: outcome.update({e: thread_load(url, e, half,
                                                                          args.seconds)})
                    )
                    for e in ("compare", "sparql")
                ]  # fmt: skip
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                results = outcome
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        server_errors = (workdir / "server.log").read_text().count("Traceback")
    report = {
        "tool": "wrk" if WRK else "python-threads",
        "seconds": args.seconds,
        "clients": half * 2,
        "server": "kg serve (gunicorn gthread), KG_RATE_LIMIT=0, other settings as configured",
        "workers": os.environ.get("KG_WORKERS", "1"),
        "threads": os.environ.get("KG_THREADS", "8"),
        "tracebacks_in_server_log": server_errors,
        "endpoints": {e: {k: v for k, v in r.items() if k != "raw"} for e, r in results.items()},
    }
    print(f"\n{report['tool']}, {args.seconds} s, {half} clients on each endpoint, "
          f"KG_WORKERS={report['workers']} KG_THREADS={report['threads']}\n")  # fmt: skip
    print("| endpoint | requests | requests/s | errors | p50 | p99 |")
    print("|---|---|---|---|---|---|")
    for endpoint, figures in report["endpoints"].items():
        print(f"| /{endpoint} | {figures['requests']} | {figures['requests'] / args.seconds:.1f} "
              f"| {figures['errors']} | {figures.get('p50', 0) * 1000:.1f} ms "
              f"| {figures.get('p99', 0) * 1000:.1f} ms |")  # fmt: skip
    print(f"\ntracebacks in the server log: {server_errors}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    errors = sum(f["errors"] for f in report["endpoints"].values()) + server_errors
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
