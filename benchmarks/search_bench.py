"""Search and autocomplete latency on a large catalogue (issue 7), run by hand.

    KG_STORE=var/bench/store-100k .venv/bin/kg load var/bench/catalogue-100k.ttl
    .venv/bin/python -m benchmarks.search_bench --store var/bench/store-100k [--reindex]

The store must hold a catalogue (``benchmarks/generate.py``). The script builds the search
index of the current snapshot when it is missing (or always, with ``--reindex``) and reports
build time, peak memory and size; then it draws queries from the catalogue itself (random
methods' labels, label prefixes, single and paired words, aliases, Japanese and Thai label
parts, originator names, misspellings, facet filters) and times, one at a time after a
warm-up:

- ``search``: ``kg.services.search.search`` (ranking, facets, one page, highlighting), and
  ``/search`` and ``/search.json`` through Flask's test client (adds page rendering);
- ``autocomplete``: ``kg.services.search.suggest`` and ``/api/methods``.

Figures are server-side times (no network). Writes ``benchmarks/results/search-<N>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kg.config import Settings
from kg.services.context import Context
from kg.services.search import build_index, current_index, index_path, search, suggest


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def summary(times: list[float]) -> dict[str, float]:
    ms = [t * 1000 for t in times]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def queries(ctx: Context, count: int, seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    """(search requests, autocomplete texts) drawn from random methods of the index."""
    index = current_index(ctx, wait=None)
    assert index is not None
    rng = random.Random(seed)
    docs = index.documents(rng.sample(range(1, index.methods + 1), min(index.methods, count)))
    searches: list[dict[str, Any]] = []
    prefixes: list[str] = []
    for doc in docs.values():
        labels = {lang: text for lang, text in doc.get("label", [])}
        en = labels.get("en", doc["id"])
        words = en.split()
        aliases = [text for _, text in doc.get("alias", [])]
        people = [text for _, text in doc.get("originator", [])]
        kind = rng.randrange(10)
        if kind == 0:
            text = en
        elif kind == 1:
            text = " ".join(words[:2])
        elif kind == 2:
            text = rng.choice(words)
        elif kind == 3:
            text = " ".join(rng.sample(words, min(2, len(words))))
        elif kind == 4 and aliases:
            text = rng.choice(aliases)
        elif kind == 5 and "ja" in labels:
            ja = labels["ja"]
            start = rng.randrange(max(1, len(ja) - 4))
            text = ja[start : start + rng.randint(3, 6)]
        elif kind == 6 and "th" in labels:
            th = labels["th"].split()[0]
            start = rng.randrange(max(1, len(th) - 6))
            text = th[start : start + rng.randint(4, 9)]
        elif kind == 7 and people:
            text = rng.choice(people).split()[-1]
        elif kind == 8:
            word = max(words, key=len)
            cut = rng.randrange(1, len(word) - 1) if len(word) > 3 else 0
            text = word[:cut] + word[cut + 1 :]
        else:
            text = rng.choice(words)
        request: dict[str, Any] = {"text": text, "filters": {}}
        if rng.random() < 0.2 and doc.get("field"):
            request["filters"] = {"field": doc["field"][0]}
        elif rng.random() < 0.1 and doc.get("start") is not None:
            request["filters"] = {"decade": str(doc["start"] // 10 * 10)}
        searches.append(request)
        source = rng.choice([en, en, en, *aliases, labels.get("ja", en)])
        length = rng.randint(2, min(12, max(2, len(source))))
        typed = source[:length]
        if rng.random() < 0.1 and len(typed) > 4:
            typed = typed[:2] + typed[3:]  # a typo
        prefixes.append(typed)
    return searches, prefixes


def timed(call: Callable[[], object], times: list[float]) -> None:
    started = time.perf_counter()
    call()
    times.append(time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="KG_STORE directory with a catalogue")
    parser.add_argument("--reindex", action="store_true", help="rebuild the index first")
    parser.add_argument("--queries", type=int, default=500, help="requests per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    ctx = Context.from_settings(Settings.from_env({}, store=args.store))
    version = ctx.store.version()
    path = index_path(ctx, version)
    result: dict[str, Any] = {"store": args.store, "snapshot": version}
    if args.reindex or not path.exists():
        started = time.perf_counter()
        report = build_index(ctx, force=args.reindex)
        result["build"] = {
            "seconds": round(time.perf_counter() - started, 1),
            "methods": report.methods if report else None,
            "phases": report.phases if report else None,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        }
    index = current_index(ctx, wait=None)
    assert index is not None
    result["methods"] = index.methods
    result["index_bytes"] = path.stat().st_size
    print(f"{index.methods} methods, index {path} {path.stat().st_size / 1e6:.0f} MB", flush=True)

    searches, prefixes = queries(ctx, args.queries, args.seed)
    from kg.web import create_app

    client = create_app(ctx.settings, context=ctx).test_client()
    for request in searches[:20]:  # warm-up: page cache, connections, templates
        search(ctx, request["text"], filters=request["filters"])
        client.get("/search", query_string={"q": request["text"], **request["filters"]})
    for text in prefixes[:20]:
        suggest(ctx, text, lang="en")
    runs: dict[str, list[float]] = {
        k: [] for k in ("search", "/search", "/search.json", "suggest", "/api/methods")
    }
    slowest: list[tuple[float, str]] = []
    for request in searches:
        started = time.perf_counter()
        search(ctx, request["text"], filters=request["filters"], lang="en")
        elapsed = time.perf_counter() - started
        runs["search"].append(elapsed)
        slowest.append((elapsed, f"{request['text']!r} {request['filters']}"))
        args_ = {"q": request["text"], **request["filters"], "lang": "en"}
        timed(lambda a=args_: client.get("/search", query_string=a), runs["/search"])
        timed(lambda a=args_: client.get("/search.json", query_string=a), runs["/search.json"])
    for text in prefixes:
        timed(lambda t=text: suggest(ctx, t, lang="en"), runs["suggest"])
        timed(
            lambda t=text: client.get("/api/methods", query_string={"q": t, "lang": "en"}),
            runs["/api/methods"],
        )
    result["latency"] = {name: summary(times) for name, times in runs.items()}
    result["slowest_searches"] = [
        (round(t * 1000, 1), q) for t, q in sorted(slowest, reverse=True)[:10]
    ]
    print(json.dumps(result, indent=2, ensure_ascii=False))
    output = args.output or Path(__file__).parent / "results" / f"search-{index.methods}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
