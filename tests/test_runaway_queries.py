"""Runaway queries on a real `kg serve`: stopped at the deadline, others keep answering, no
process left behind; and a bounded number of queries at once, the rest refused quickly.

The bounds here are correctness bounds of the sandbox (the deadline is a kill, not a
hope), with margins for a loaded two-core machine.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.served import Answer, Served, fetch, serve

TIMEOUT = 1  # KG_QUERY_TIMEOUT of the served instance, seconds
RUNS = 20
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ORDER = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
SIMPLE = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"


def ask(server: Served, query: str) -> Answer:
    return fetch(server.url + "sparql?" + urllib.parse.urlencode({"query": query}))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = tmp_path_factory.mktemp("runaway") / "store"
    with serve(store, query_timeout=str(TIMEOUT), rate_limit="0") as served:
        yield served


def warm_up(server: Served, workers: int = 4) -> None:
    """Wait until ``workers`` query workers answer at once (all started and idle): the
    bound on a simple query is about a running service, not one still starting up."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answers: list[Answer] = []

        def one(into: list[Answer] = answers) -> None:
            into.append(ask(server, SIMPLE))

        threads = [threading.Thread(target=one) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if all(a.status == 200 and a.seconds < 0.5 for a in answers):
            return
        time.sleep(0.5)
    pytest.fail("the query workers did not start within 60 s")


def test_runaway_queries_end_at_the_deadline_and_simple_ones_answer(server: Served) -> None:
    runaway: list[tuple[str, Answer]] = []
    simple: list[Answer] = []
    running: set[int] = set()  # the workers seen computing the runaways
    for _ in range(RUNS):
        warm_up(server)  # the two workers killed in the previous run are replaced
        threads = [
            threading.Thread(target=lambda q=q: runaway.append((q, ask(server, q))))
            for q in (COUNT, ORDER)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        running |= {pid for pid, state in server.sandbox_workers() if state == "R"}
        simple.append(ask(server, SIMPLE))  # sent while both runaways run
        for thread in threads:
            thread.join()
    assert len(runaway) == 2 * RUNS
    for query, answer in runaway:
        assert answer.status >= 400, (query, answer.status)
        assert answer.seconds < TIMEOUT + 0.5, (query, answer.seconds)
        assert b"did not finish within 1 s" in answer.body
    slowest = max(a.seconds for a in simple)
    assert all(a.status == 200 for a in simple)
    assert slowest < 1.0, slowest
    # Every worker that ran a runaway is gone (killed and reaped: not even a zombie), and
    # what is left is the pool, idle, no more than its size.
    assert len(running) >= RUNS, running
    warm_up(server)
    workers = server.sandbox_workers()
    assert not running & {pid for pid, _ in workers}, workers
    assert 0 < len(workers) <= 4, workers
    assert all(state == "S" for _, state in workers), workers


def test_no_query_worker_outlives_the_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    store = tmp_path_factory.mktemp("outlive") / "store"
    with serve(store, query_timeout=str(TIMEOUT), rate_limit="0") as server:
        thread = threading.Thread(target=lambda: ask(server, COUNT))
        thread.start()
        time.sleep(0.3)
        assert server.sandbox_workers()
    thread.join()
    deadline = time.monotonic() + 10
    while server.sandbox_workers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.sandbox_workers() == []


def test_queries_beyond_the_bound_are_refused_fast_with_retry_after(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    store = tmp_path_factory.mktemp("bounded") / "store"
    with serve(store, query_timeout="4", max_queries="2", rate_limit="0") as server:
        warm_up(server, workers=2)
        answers: list[Answer] = []
        threads = [
            threading.Thread(target=lambda: answers.append(ask(server, COUNT))) for _ in range(6)
        ]
        for thread in threads:
            thread.start()
            time.sleep(0.05)
        for thread in threads:
            thread.join()
        stopped = [a for a in answers if b"did not finish" in a.body]
        refused = [a for a in answers if b"busy" in a.body]
        assert len(stopped) == 2 and len(refused) == 4, [a.body[:80] for a in answers]
        for answer in refused:
            assert answer.status == 503
            assert answer.headers["Retry-After"] == "2"
            assert answer.seconds < 2.5  # waited about a second for a slot, not the timeout
        for answer in stopped:
            assert answer.status == 503 and answer.seconds < 4.5
        time.sleep(1.0)
        assert ask(server, SIMPLE).status == 200
