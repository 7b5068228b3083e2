"""Comparison pages on each store backend: the embedded store, an Oxigraph server, Virtuoso 7.

    make bench-remote                                   # the curated catalogue
    .venv/bin/python -m benchmarks.remote_backends --size 10k --duration 20
    .venv/bin/python -m benchmarks.remote_backends --table benchmarks/results/<file>.json

For each backend, in one run and on the same catalogue: start the engine (Oxigraph server
and Virtuoso on 127.0.0.1, free ports, a fresh directory under ``--workdir``), ``kg load``
into it (wall time), start ``kg serve`` (gunicorn, KG_WORKERS x KG_THREADS) on it, check
that the comparison pages of the two seed pairs are byte for byte the embedded store's,
then measure ``/compare`` with two random methods: sequential latency p50/p95 (one request
at a time over keep-alive) and throughput at concurrency 8 (wrk, else a thread pool). Every
loop is bounded by a request count and a time; servers are stopped by PID. Writes
``benchmarks/results/<date>-remote-<size>.json`` and prints a Markdown table.

All of it shares the machine's cores: the engine, gunicorn and the load generator compete,
so the figures compare backends with each other, not with a deployment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.backends import Backend, start_oxigraph, start_virtuoso

from benchmarks.generate import method_slugs, parse_size
from benchmarks.run import (
    KG,
    ROOT,
    Server,
    free_port,
    machine_info,
    sequential,
    throughput,
)

BACKENDS = ("embedded", "oxigraph", "virtuoso")
TLDM = "transfer-learning-with-diffusion-models"
SEED_PAGES = [
    f"/compare?m={TLDM}&m=fine-tuned-diffusion-model&lang=th",
    f"/compare?m={TLDM}&m=self-supervised-diffusion-model&lang=ja",
]


def kg_env(backend: Backend, workdir: Path) -> dict[str, str]:
    """The environment of `kg load` and `kg serve` on one backend."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    if backend.remote:
        env.update({f"KG_{k.upper()}": v for k, v in backend.options.items()})
    else:
        env["KG_STORE"] = str(workdir / "store")
    env["KG_SEARCH_DIR"] = str(workdir / "search")
    return env


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def compare_paths(ids: Sequence[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        pair = rng.sample(list(ids), 2)
        paths.append("/compare?" + urllib.parse.urlencode([("m", i) for i in pair]))
    return paths


def start(name: str, directory: Path) -> Backend:
    if name == "oxigraph":
        return start_oxigraph(directory)
    if name == "virtuoso":
        # Above the largest result kg reads (the search index rows), as docs/deploy.md says.
        return start_virtuoso(directory, max_rows=5_000_000)
    return Backend("embedded")


def measure(name: str, args: argparse.Namespace, data: list[Path], ids: list[str],
            reference: dict[str, bytes]) -> dict[str, Any]:  # fmt: skip
    directory = args.workdir / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    result: dict[str, Any] = {"backend": name}
    backend = start(name, directory / "engine")
    server = None
    try:
        env = kg_env(backend, directory)
        started = time.perf_counter()
        load = subprocess.run([KG, "load", *map(str, data)], env=env, capture_output=True,
                              text=True, timeout=args.max_load_seconds)  # fmt: skip
        result["load_s"] = time.perf_counter() - started
        if load.returncode != 0:
            raise RuntimeError(f"kg load failed on {name}: {load.stderr[-800:]}")
        port = free_port()
        server = Server(f"kg serve ({name})", [KG, "serve"], {**env, "KG_PORT": str(port)}, port,
                        directory / "serve.log")  # fmt: skip
        result["start_s"] = server.wait_for("/health")
        if args.size == "curated":  # the pages without the server's own address (permalinks)
            pages = {
                path: (status, body.replace(f"127.0.0.1:{port}".encode(), b"HOST"))
                for path, (status, body) in ((p, get(port, p)) for p in SEED_PAGES)
            }
            result["seed_pages_identical"] = all(
                status == 200 and body == reference.get(path, body)
                for path, (status, body) in pages.items()
            )
            if name == "embedded":
                reference.update({path: body for path, (_, body) in pages.items()})
        paths = compare_paths(ids, args.requests * 4, args.seed)
        sequential(port, paths[:10], max_requests=10, max_seconds=60)  # warm-up
        result["sequential"] = sequential(port, paths, max_requests=args.requests,
                                          max_seconds=args.max_seconds)  # fmt: skip
        result["throughput"] = throughput(port, paths, seconds=args.duration, workdir=directory)
    finally:
        if server is not None:
            server.stop()
        backend.stop()
    return result


def table(results: dict[str, Any]) -> str:
    lines = [
        f"Comparison pages (`/compare`, two random methods) on the {results['size']} catalogue; "
        f"{results['machine']['cores']} cores shared by engine, kg serve and load generator.",
        "",
        "| backend | kg load (s) | p50 (ms) | p95 (ms) | req/s at c=8 | p50 at c=8 (ms) "
        "| p95 at c=8 (ms) | errors | vs embedded | seed pages identical |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = next((r for r in results["backends"] if r["backend"] == "embedded"), None)
    for r in results["backends"]:
        if "error" in r:
            lines.append(f"| {r['backend']} | failed: {r['error'][:80]} |||||||||")
            continue
        seq, thr = r["sequential"], r["throughput"]
        ratio = thr["rps"] / base["throughput"]["rps"] if base and "throughput" in base else None
        identical = r.get("seed_pages_identical")
        lines.append(
            f"| {r['backend']} | {r['load_s']:.1f} | {seq['p50_ms']:.1f} | {seq['p95_ms']:.1f} "
            f"| {thr['rps']:.1f} | {thr['p50_ms']:.1f} | {thr['p95_ms']:.1f} "
            f"| {seq['errors'] + thr['errors']} | {'—' if ratio is None else f'{ratio:.2f}×'} "
            f"| {'—' if identical is None else ('yes' if identical else 'NO')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="curated", help="curated (data/), or 10k, 100k, …")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per backend")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests")
    parser.add_argument("--max-seconds", type=float, default=60, help="cap of the sequential run")
    parser.add_argument("--max-load-seconds", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench" / "remote")
    parser.add_argument("--table", type=Path, help="reprint the table of a results file")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.size == "curated":
        data = [ROOT / "data"]
        ids = curated_ids_from_files()
    else:
        methods = parse_size(args.size)
        catalogue = args.workdir / f"catalogue-{args.size}.ttl"
        if not catalogue.exists():
            with catalogue.open("w") as out:
                subprocess.run([sys.executable, "-m", "benchmarks.generate", "--size", args.size],
                               stdout=out, check=True)  # fmt: skip
        data = [catalogue]
        ids = list(method_slugs(methods))
    reference: dict[str, bytes] = {}
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "size": args.size,
        "machine": machine_info(),
        "settings": {"duration_s": args.duration, "requests": args.requests},
        "backends": [],
    }
    for name in args.backends.split(","):
        print(f"== {name}", file=sys.stderr, flush=True)
        try:
            results["backends"].append(measure(name, args, data, ids, reference))
        except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
            results["backends"].append({"backend": name, "error": f"{type(exc).__name__}: {exc}"})
    out = ROOT / "benchmarks" / "results" / f"{results['date']}-remote-{args.size}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten to {out.relative_to(ROOT)}", file=sys.stderr)


def curated_ids_from_files() -> list[str]:
    """The method ids of the curated catalogue (data/), read from its files."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF

    from kg.config import Settings

    base = Settings().base_iri
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle", publicID=base)
    method = URIRef("https://w3id.org/rmkg/ontology#Method")
    prefix = f"{base}method/"
    return sorted(str(s)[len(prefix) :] for s in graph.subjects(RDF.type, method))


if __name__ == "__main__":
    main()
