"""How long one method written through ``/store`` takes to show in search (issue 18).

``kg serve`` runs on a copy of a store (its table files hard-linked, so the store stays as
it was) with a write token; each round PUTs a named graph holding one new method with a
made-up label, then asks ``/search.json`` for that label every 50 ms until the method is
among the results. Reported per round: the PUT's own time, the seconds from sending the PUT
until search finds the method, the status of every search answer meanwhile (a 503 would
mean search was down), and whether the method's page answered right after the PUT.

    .venv/bin/python -m benchmarks.write_visibility --store var/bench/store-10k
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KG = str(ROOT / ".venv" / "bin" / "kg")
POLL = 0.05


def _link_tree(source: Path, destination: Path) -> None:
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, destination, copy_function=link)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_for(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kg serve exited with {proc.returncode}")
        try:
            if _request(port, "GET", path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"kg serve did not answer {path} within {timeout} s")


def _method_graph(base: str, word: str) -> bytes:
    return (
        f"<{base}method/{word}-sampling> a <https://w3id.org/rmkg/ontology#Method> ;\n"
        f'  <http://www.w3.org/2004/02/skos/core#prefLabel> "{word.capitalize()} sampling"@en .\n'
    ).encode()


def measure(
    store_dir: Path,
    env: dict[str, str],
    workdir: Path,
    *,
    base: str,
    rounds: int = 5,
    timeout: float = 1800,
) -> dict[str, Any]:
    """The figures of ``rounds`` one-method writes into a copy of ``store_dir``."""
    copy = workdir / "write-copy"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    version = os.readlink(store_dir / "current").rsplit("/", 1)[-1]
    _link_tree(store_dir / "snapshots" / version, copy / "snapshots" / version)
    if (store_dir / "search" / f"{version}.sqlite").exists():
        (copy / "search").mkdir()
        os.link(store_dir / "search" / f"{version}.sqlite", copy / "search" / f"{version}.sqlite")
    os.symlink(f"snapshots/{version}", copy / "current")
    token = secrets.token_hex(16)
    port = _free_port()
    server_env = {**env, "KG_STORE": str(copy), "KG_WRITE_TOKEN": token, "KG_BASE_IRI": base}
    with open(workdir / "kg-serve-writes.log", "ab") as log:
        proc = subprocess.Popen(
            [KG, "serve", "--port", str(port)], env=server_env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    figures: list[dict[str, Any]] = []
    try:
        _wait_for(port, "/health", proc, 300)
        _wait_for(port, "/search.json?q=method", proc, timeout)  # the index is open
        for number in range(rounds):
            word = "zq" + "".join(secrets.choice("bcdfghjklmnpvwx") for _ in range(8))
            method_id = f"{word}-sampling"
            started = time.perf_counter()
            graph = urllib.parse.urlencode({"graph": f"{base}graph/bench-write-{number}"})
            status, body = _request(
                port, "PUT", f"/store?{graph}",
                _method_graph(base, word),
                {"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"},
            )  # fmt: skip
            put_s = time.perf_counter() - started
            if status not in (201, 204):
                raise RuntimeError(f"PUT answered {status}: {body[:200]!r}")
            page = _request(port, "GET", f"/methods/{method_id}")[0]
            answers: Counter[int] = Counter()
            visible = None
            while time.perf_counter() - started < timeout:
                status, body = _request(port, "GET", f"/search.json?q={word}")
                answers[status] += 1
                if status == 200 and method_id in {r["id"] for r in json.loads(body)["results"]}:
                    visible = time.perf_counter() - started
                    break
                time.sleep(POLL)
            figures.append({"put_s": round(put_s, 3), "visible_s": visible and round(visible, 3),
                            "page_status": page, "search_answers": dict(answers)})  # fmt: skip
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait(timeout=60)
        shutil.rmtree(copy, ignore_errors=True)
    seen = [f["visible_s"] for f in figures if f["visible_s"] is not None]
    return {
        "rounds": figures,
        "visible_p50_s": statistics.median(seen) if seen else None,
        "visible_max_s": max(seen) if seen else None,
        "never_visible": len(figures) - len(seen),
        "search_503": sum(f["search_answers"].get(503, 0) for f in figures),
        "search_non_200": sum(
            n for f in figures for s, n in f["search_answers"].items() if s != 200
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="a kg store directory (left unchanged)")
    parser.add_argument("--base", default="https://w3id.org/rmkg/", help="the store's base IRI")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", default=str(ROOT / "var" / "bench"))
    args = parser.parse_args(argv)
    if not Path(KG).exists():
        sys.exit(f"{KG} not found: run `make install` first")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    result = measure(
        Path(args.store), dict(os.environ), workdir, base=args.base, rounds=args.rounds
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
