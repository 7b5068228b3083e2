"""While an import runs (a `kg load` of 200,000 triples, a few seconds), the running service
keeps answering from the last good snapshot: every request gets 200, and each sees either
the old content or the whole new one. An import killed half-way leaves the service on the
old content."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from tests.served import KG, Served, eventually, fetch, kg_env, serve

TRIPLES = 200_000
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/rmkg/graph/bulk> { ?s ?p ?o } }"


def bulk_file(tmp_path: Path) -> Path:
    path = tmp_path / "bulk.nt"
    with path.open("w", encoding="utf-8") as out:
        for i in range(TRIPLES):
            out.write(f'<urn:x-bulk:s{i}> <urn:x-bulk:p> "value {i}" .\n')
    return path


def watch(
    server: Served,
    stop: threading.Event,
    seen: list[tuple[float, float, str]],
    failures: list[str],
) -> None:
    """Ask the three kinds of request in a loop; note the bulk graph's size each count saw,
    with when it was asked and when it was answered."""
    count_url = server.url + "sparql?" + urllib.parse.urlencode({"query": COUNT, "format": "csv"})
    while not stop.is_set():
        for url in (server.url + "health", server.url + "compare?m=ddpm&m=lora", count_url):
            asked = time.monotonic()
            answer = fetch(url, timeout=120)
            if answer.status != 200:
                failures.append(f"{url}: {answer.status}")
            elif url == count_url:
                seen.append((asked, time.monotonic(), answer.body.decode().split()[-1]))


def test_the_service_answers_from_the_last_good_snapshot_during_an_import(
    tmp_path: Path,
) -> None:
    data = bulk_file(tmp_path)
    with serve(tmp_path / "store", rate_limit="0") as server:
        seen: list[tuple[float, float, str]] = []
        failures: list[str] = []
        stop = threading.Event()
        watchers = [
            threading.Thread(target=watch, args=(server, stop, seen, failures)) for _ in range(3)
        ]
        for watcher in watchers:
            watcher.start()
        eventually(lambda: len(seen) > 0, "a count answered before the load")
        started = time.monotonic()
        load = subprocess.run(
            [*KG, "load", str(data)], env=kg_env(server.store), capture_output=True, text=True
        )
        ended = time.monotonic()
        eventually(
            lambda: any(asked > ended for asked, _, _ in seen), "a count asked after the load"
        )
        stop.set()
        for watcher in watchers:
            watcher.join()
    assert load.returncode == 0, load.stderr
    assert failures == []
    sizes = Counter(size for _, _, size in seen)
    assert set(sizes) == {"0", str(TRIPLES)}, sizes  # old or new, never part of it
    # answered while the load ran (asked after it started, answered before it ended)
    during = [size for asked, answered, size in seen if started < asked and answered < ended]
    assert during and set(during) <= {"0", str(TRIPLES)}, (sizes, ended - started)


def test_an_import_killed_half_way_leaves_the_service_on_the_old_content(
    tmp_path: Path,
) -> None:
    data = bulk_file(tmp_path)
    with serve(tmp_path / "store", rate_limit="0") as server:
        version = fetch(server.url + "health").body
        load = subprocess.Popen([*KG, "load", str(data)], env=kg_env(server.store))
        time.sleep(1.0)
        if load.poll() is not None:
            pytest.fail("the load finished before it could be killed; make the file larger")
        load.send_signal(signal.SIGKILL)
        load.wait()
        health = fetch(server.url + "health")
        assert health.status == 200 and health.body == version
        url = server.url + "sparql?" + urllib.parse.urlencode({"query": COUNT, "format": "csv"})
        assert fetch(url).body.split()[-1] == b"0"
        assert fetch(server.url + "compare?m=ddpm&m=lora").status == 200
