"""Killing an import at any moment leaves the old content or the new one, never a mix."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import shared_path

RUNS = 10
RECORDS = 500
"""The first records of the Papers with Code file: enough for an import with every stage
(parsing, matching, validation, the new snapshot), short enough for ten kills."""


def kg(store: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KG_STORE": str(store)}
    return subprocess.Popen(
        [sys.executable, "-m", "kg.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def graph_sizes(lines: list[str]) -> Counter[str]:
    """Triples per named graph of an N-Quads dump."""
    return Counter(line.rsplit(" ", 2)[-2] for line in lines if line)


def nquads(store: Path) -> list[str]:
    env = {**os.environ, "KG_STORE": str(store)}
    dump = subprocess.run(
        [sys.executable, "-m", "kg.cli", "export", "--format", "nquads"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return sorted(dump.splitlines())


def test_sigkill_during_an_import_leaves_old_or_new_content(tmp_path: Path) -> None:
    whole = shared_path("data", "pwc_methods_2025-03.json")
    source = tmp_path / whole.name
    source.write_text(json.dumps(json.loads(whole.read_text(encoding="utf-8"))[:RECORDS]))
    pristine = tmp_path / "pristine"
    assert kg(pristine, "load", "--curated").wait() == 0
    old = nquads(pristine)

    reference = tmp_path / "reference"
    shutil.copytree(pristine, reference, symlinks=True)
    started = time.monotonic()
    assert kg(reference, "import", str(source)).wait() == 0
    duration = time.monotonic() - started
    new_sizes = graph_sizes(nquads(reference))
    assert new_sizes != graph_sizes(old)

    rng = random.Random(20261122)
    outcomes = Counter[str]()
    for run in range(RUNS):
        store = tmp_path / f"run-{run}"
        shutil.copytree(pristine, store, symlinks=True)
        process = kg(store, "import", str(source))
        # Half the kills anywhere, half around the end, where the new snapshot is published.
        window = (0.05, duration) if run % 2 == 0 else (duration * 0.85, duration * 1.2)
        time.sleep(rng.uniform(*window))
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = nquads(store)  # opens without error in a fresh process
        if after == old:
            outcomes["old"] += 1
        else:
            assert graph_sizes(after) == new_sizes, f"run {run}: a mix of old and new content"
            outcomes["new"] += 1
    assert sum(outcomes.values()) == RUNS
    print(f"after SIGKILL: {dict(outcomes)} (import takes {duration:.1f} s)")


@pytest.mark.parametrize("moment", [0.0])
def test_a_store_with_leftovers_of_a_killed_write_takes_the_next_write(
    tmp_path: Path, moment: float
) -> None:
    store = tmp_path / "store"
    assert kg(store, "load", "--curated").wait() == 0
    process = kg(store, "load", "--curated")
    time.sleep(moment + 0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert kg(store, "load", "--curated").wait() == 0
    snapshots = sorted(p.name for p in (store / "snapshots").iterdir())
    assert os.readlink(store / "current") == f"snapshots/{snapshots[-1]}"
