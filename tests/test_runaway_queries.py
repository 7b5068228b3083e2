"""Runaway queries on a real `kg serve`: stopped at the deadline, others keep answering, no
process left behind; and a bounded number of queries at once, the rest refused quickly.

What is asserted is what a client and the machine see: the runaway's answer says it was
stopped at its deadline (the query itself would run for hours), a simple query sent
meanwhile answers 200 within its own time limit, and no process is left over. Nothing
depends on how fast a loaded machine is or on the state a process is in at one instant:
conditions that take a moment (a killed worker reaped, its replacement started) are waited
for with a generous deadline. The time bounds left are generous ones that only a query
that was not stopped would exceed.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.served import Answer, Served, eventually, fetch, serve

TIMEOUT = 1  # KG_QUERY_TIMEOUT of the served instance, seconds
RUNS = 20
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ORDER = (
    "SELECT ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
    "FILTER(STRLEN(STR(?c)) + STRLEN(STR(?f)) + STRLEN(STR(?i)) < 0) } ORDER BY ?c ?f"
)
"""A sorted runaway whose sort never fills: no row passes the filter, so its memory stays
flat and only the deadline stops it (a sorted twofold join filled the worker's 2 GiB within
the second on a quiet machine, and got the memory cap's 400 instead of the deadline's 503)."""
SIMPLE = "ASK { ?s a ?type }"
"""A query that answers at its first match: within its 1 s limit even on a busy machine."""
SETTLE = 300  # seconds a busy machine may take to (re)start the query workers
MARGIN = 60  # seconds a loaded machine may add to a stopped query's answer (unstopped: hours)


def ask(server: Served, query: str) -> Answer:
    return fetch(server.url + "sparql?" + urllib.parse.urlencode({"query": query}))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = tmp_path_factory.mktemp("runaway") / "store"
    with serve(store, query_timeout=str(TIMEOUT), rate_limit="0") as served:
        yield served


def warm_up(server: Served, workers: int = 4) -> None:
    """Wait until ``workers`` simple queries sent at once all answer 200: every query slot
    has a worker again."""

    def all_answer() -> bool:
        answers: list[Answer] = []
        threads = [
            threading.Thread(target=lambda: answers.append(ask(server, SIMPLE)))
            for _ in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return all(a.status == 200 for a in answers)

    eventually(all_answer, f"{workers} query workers answering at once", seconds=SETTLE)


def settled(server: Served, size: int = 4) -> list[tuple[int, str]]:
    """The query workers once none is a zombie and there are no more than ``size``."""
    eventually(
        lambda: (
            0 < len(workers := server.sandbox_workers()) <= size
            and all(state != "Z" for _, state in workers)
        ),
        f"at most {size} live query workers and no zombie",
        seconds=SETTLE,
    )
    return server.sandbox_workers()


def test_runaway_queries_end_at_the_deadline_and_simple_ones_answer(server: Served) -> None:
    runaway: list[tuple[str, Answer]] = []
    simple: list[Answer] = []
    for _ in range(RUNS):
        warm_up(server)  # the two workers killed in the previous run are replaced
        before = {pid for pid, _ in settled(server)}
        threads = [
            threading.Thread(target=lambda q=q: runaway.append((q, ask(server, q))))
            for q in (COUNT, ORDER)
        ]
        for thread in threads:
            thread.start()
        simple.append(ask(server, SIMPLE))  # sent while the runaways run (or queue)
        for thread in threads:
            thread.join()
        # The two workers that ran the runaways are gone: killed and reaped, not even a
        # zombie is left of them, and the pool is back to its size.
        eventually(
            lambda before=before: len(before - {p for p, _ in server.sandbox_workers()}) >= 2,
            "the workers of both runaways gone",
            seconds=SETTLE,
        )
        settled(server)
    assert len(runaway) == 2 * RUNS
    for query, answer in runaway:
        assert answer.status == 503, (query, answer.status)
        assert b"did not finish within 1 s" in answer.body
        assert answer.seconds < TIMEOUT + MARGIN, (query, answer.seconds)
    # Each ran within its own 1 s limit beside the runaways (a 200 is an answer in time).
    late = [(a.status, round(a.seconds, 2), a.body[:120]) for a in simple if a.status != 200]
    assert not late, f"{len(late)} of {len(simple)} simple queries did not answer: {late}"


def test_no_query_worker_outlives_the_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    store = tmp_path_factory.mktemp("outlive") / "store"
    with serve(store, query_timeout=str(TIMEOUT), rate_limit="0") as server:
        eventually(lambda: bool(server.sandbox_workers()), "the query workers started")
        thread = threading.Thread(target=lambda: ask(server, COUNT))
        thread.start()
    thread.join()
    eventually(lambda: server.sandbox_workers() == [], "no query worker left", seconds=SETTLE)


def test_queries_beyond_the_bound_are_refused_fast_with_retry_after(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    store = tmp_path_factory.mktemp("bounded") / "store"
    limit = 10  # the busy wait (about 1 s) is far below it, and so are all six requests
    with serve(store, query_timeout=str(limit), max_queries="2", rate_limit="0") as server:
        warm_up(server, workers=2)
        answered: list[tuple[float, Answer]] = []  # (when the answer came, the answer)

        def count() -> None:
            answer = ask(server, COUNT)
            answered.append((time.monotonic(), answer))

        threads = [threading.Thread(target=count) for _ in range(6)]
        for thread in threads:
            thread.start()
            time.sleep(0.05)
        for thread in threads:
            thread.join()
        answers = [a for _, a in answered]
        stopped = [(t, a) for t, a in answered if b"did not finish" in a.body]
        refused = [(t, a) for t, a in answered if b"busy" in a.body]
        assert len(stopped) == 2 and len(refused) == 4, [a.body[:80] for a in answers]
        first_stopped = min(t for t, _ in stopped)
        for when, answer in refused:
            assert answer.status == 503
            assert answer.headers["Retry-After"] == "2"
            # refused while both slots ran their query: it waited for a slot briefly, not
            # for a query's deadline (an order of events, not a speed)
            assert when < first_stopped
        for _, answer in stopped:
            assert answer.status == 503 and answer.seconds < limit + MARGIN
        eventually(lambda: ask(server, SIMPLE).status == 200, "a query answered again")
