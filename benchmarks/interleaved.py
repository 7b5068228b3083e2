"""The ratio of ``/compare`` to ``oxigraph serve``, measured so that it means something.

Both servers are up at once on the same store snapshot (kg serve, the README's production
server, and ``oxigraph serve-read-only --union-default-graph``); the same client loads them
in short alternating rounds (kg then oxigraph, oxigraph then kg, ...), so that whatever else
the machine does falls on both alike; every round asks for comparisons that no earlier
request of the run asked for (a page cache, were there one, could not answer them), and
oxigraph gets the very query behind the table (``queries/method-rows.rq``) for the very
same methods. Each figure is reported with its spread over the rounds.

Run by ``benchmarks/run.py`` (``--rounds``, ``--round-seconds``; ``--rounds 0`` skips it).
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONCURRENCY = 8
ACCEPT_RESULTS = "application/sparql-results+json"

# Each wrk thread takes every n-th path from its own offset, so no path is requested twice
# until the list is used up (then ``repeated`` counts the requests beyond it).
WRK_STRIDED = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  if args[2] ~= nil and args[2] ~= "" then wrk.headers["Accept"] = args[2] end
  step = tonumber(args[3])
  idx = id + 1 - step
end
function request()
  idx = idx + step
  return wrk.format("GET", paths[(idx - 1) % #paths + 1])
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors_status": %d, "errors_other": %d, ' ..
    '"p50_us": %d, "p95_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95)))
end
"""


@dataclass(frozen=True)
class Side:
    """One of the two servers: where it listens and how a comparison becomes a request."""

    name: str
    port: int
    path_for: Callable[[Sequence[str]], str]
    accept: str | None = None


def fresh_comparisons(draw: Callable[[], list[str]]) -> Iterator[list[str]]:
    """Comparisons (lists of method ids) never drawn before in this run, in any order."""
    seen: set[tuple[str, ...]] = set()
    while True:
        ids = draw()
        key = tuple(sorted(ids))
        if key in seen:
            continue
        seen.add(key)
        yield ids


def wrk_round(
    wrk: str, side: Side, paths: Sequence[str], *, seconds: float, workdir: Path
) -> dict[str, Any]:
    """Requests/s of one side at concurrency 8 for ``seconds``, over ``paths`` in order."""
    script = workdir / "wrk-strided.lua"
    script.write_text(WRK_STRIDED)
    paths_file = workdir / f"wrk-{side.name}.txt"
    paths_file.write_text("".join(p + "\n" for p in paths))
    threads = 2
    cmd = [wrk, f"-t{threads}", f"-c{CONCURRENCY}", f"-d{max(1, round(seconds))}s",
           "--timeout", "60s", "-s", str(script), f"http://127.0.0.1:{side.port}",
           "--", str(paths_file), side.accept or "", str(threads)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    match = re.search(r"WRKJSON (\{.*\})", out.stdout)
    if not match:
        raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    data = json.loads(match.group(1))
    errors = data["errors_status"] + data["errors_other"]
    elapsed = data["duration_us"] / 1e6
    return {
        "requests": data["requests"],
        "errors": errors,
        "repeated": max(0, data["requests"] - len(paths)),
        "rps": max(0, data["requests"] - errors) / elapsed,
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
    }


def interleave(
    kg: Side,
    oxigraph: Side,
    comparisons: Iterator[list[str]],
    *,
    rounds: int,
    round_seconds: float,
    per_round: int,
    wrk: str,
    workdir: Path,
    sequential: Callable[..., dict[str, Any]],
    sequential_per_round: int = 20,
) -> dict[str, Any]:
    """``rounds`` alternating rounds; in each, both sides get the same fresh comparisons:
    first one request at a time (latency), then concurrency 8 (requests/s)."""
    per_round_results: list[dict[str, Any]] = []
    latencies: dict[str, list[float]] = {kg.name: [], oxigraph.name: []}
    for number in range(rounds):
        order = (kg, oxigraph) if number % 2 == 0 else (oxigraph, kg)
        one_at_a_time = [next(comparisons) for _ in range(sequential_per_round)]
        loaded = [next(comparisons) for _ in range(per_round)]
        entry: dict[str, Any] = {"first": order[0].name}
        for side in order:
            seq = sequential(
                side.port,
                [side.path_for(ids) for ids in one_at_a_time],
                max_requests=sequential_per_round,
                max_seconds=round_seconds * 5,
                accept=side.accept,
            )
            latencies[side.name] += seq.pop("timings_ms", [])
            entry[side.name] = {
                "sequential": seq,
                "load": wrk_round(
                    wrk,
                    side,
                    [side.path_for(ids) for ids in loaded],
                    seconds=round_seconds,
                    workdir=workdir,
                ),
            }
        kg_rps, ox_rps = entry[kg.name]["load"]["rps"], entry[oxigraph.name]["load"]["rps"]
        entry["ratio"] = kg_rps / ox_rps if ox_rps else None
        per_round_results.append(entry)
    return {
        "rounds": per_round_results,
        "round_seconds": round_seconds,
        "comparisons_per_round": per_round,
        "summary": summarise(per_round_results, latencies, kg.name, oxigraph.name),
    }


def spread(values: Sequence[float]) -> dict[str, float] | None:
    """Median, quartiles and extremes of ``values`` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [ordered[0]] * 3
    return {
        "median": statistics.median(ordered),
        "q1": quartiles[0],
        "q3": quartiles[2],
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def summarise(
    rounds: Sequence[dict[str, Any]],
    latencies: dict[str, list[float]],
    kg_name: str,
    ox_name: str,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ratio": spread([r["ratio"] for r in rounds if r["ratio"] is not None]),
        "errors": sum(
            r[n]["load"]["errors"] + r[n]["sequential"]["errors"]
            for r in rounds
            for n in (kg_name, ox_name)
        ),  # fmt: skip
        "repeated": sum(r[n]["load"]["repeated"] for r in rounds for n in (kg_name, ox_name)),
    }
    for name in (kg_name, ox_name):
        out[name] = {
            "rps": spread([r[name]["load"]["rps"] for r in rounds]),
            "p50_ms_per_round": spread([r[name]["sequential"]["p50_ms"] for r in rounds]),
            "p95_ms_per_round": spread([r[name]["sequential"]["p95_ms"] for r in rounds]),
        }
        pooled = sorted(latencies.get(name, []))
        if pooled:
            out[name]["pooled_p50_ms"] = statistics.median(pooled)
            out[name]["pooled_p95_ms"] = pooled[max(0, round(0.95 * len(pooled)) - 1)]
    return out


def sparql_path(query_text: str) -> str:
    return "/query?" + urllib.parse.urlencode({"query": query_text})


def _range(s: dict[str, float] | None, fmt: str) -> str:
    if not s:
        return "—"
    return (f"{fmt.format(s['median'])} (quartiles {fmt.format(s['q1'])}–{fmt.format(s['q3'])}, "
            f"range {fmt.format(s['min'])}–{fmt.format(s['max'])}, {s['n']} rounds)")  # fmt: skip


def table_rows(result: dict[str, Any], target_ratio: float) -> list[tuple[str, str, str]]:
    """Rows for run.py's table: the interleaved ratio and both sides' figures."""
    summary = result.get("summary") or {}
    ratio = summary.get("ratio")
    rows: list[tuple[str, str, str]] = []
    if ratio:
        mark = " ✓" if ratio["median"] >= target_ratio else " ✗"
        rows.append((
            "`/compare` (3) ÷ `oxigraph serve` (method-rows.rq), interleaved, fresh comparisons",
            _range(ratio, "{:.2f}×") + mark,
            f">= {target_ratio:.1f}×",
        ))  # fmt: skip
    for name, label in (("kg", "`/compare` (3)"), ("oxigraph", "`oxigraph serve` method-rows")):
        side = summary.get(name)
        if not side:
            continue
        rps = _range(side["rps"], "{:.1f}")
        rows.append((f"{label}, interleaved: req/s at c{CONCURRENCY}", rps, "—"))
        if "pooled_p50_ms" in side:
            rows.append((
                f"{label}, interleaved: p50 / p95 ms, one request at a time (pooled)",
                f"{side['pooled_p50_ms']:.1f} / {side['pooled_p95_ms']:.1f}",
                "—",
            ))  # fmt: skip
    if summary:
        rows.append((
            "interleaved rounds: errors / requests beyond the fresh comparisons",
            f"{summary['errors']} / {summary['repeated']}",
            "0 / 0",
        ))  # fmt: skip
    return rows
