"""Server-side render time of /compare on the curated catalogue, and store round trips.

    .venv/bin/python benchmarks/compare_render.py [--methods 5] [--runs 200]

Loads the catalogue into a temporary store, renders the comparison page through Flask's
test client (no network), and prints the median and p95 of the render time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from kg.config import Settings
from kg.services.context import Context
from kg.services.loading import load_files
from kg.web import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context.from_settings(Settings.from_env({}, store=str(Path(tmp) / "store")))
        load_files(ctx, [Path(ctx.settings.data_dir)])
        ids = [r.split("/")[-1] for r in _method_iris(ctx)]
        client = create_app(ctx.settings, context=ctx).test_client()
        rng = random.Random(7)
        selected = [rng.sample(ids, args.methods) for _ in range(args.runs)]
        client.get("/compare", query_string=[("m", i) for i in selected[0]])  # warm up
        timings = []
        for chosen in selected:
            start = time.perf_counter()
            response = client.get("/compare", query_string=[("m", i) for i in chosen])
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200
        timings.sort()
        print(f"/compare with {args.methods} methods, {args.runs} renders, {len(ids)} methods")
        print(f"median {statistics.median(timings) * 1000:.1f} ms, "
              f"p95 {timings[int(0.95 * len(timings)) - 1] * 1000:.1f} ms")  # fmt: skip
        ctx.store.close()


def _method_iris(ctx: Context) -> list[str]:
    return [str(r["method"]) for r in ctx.store.select(ctx.queries["list-methods"].bind()).rows]


if __name__ == "__main__":
    main()
