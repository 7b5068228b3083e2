"""kg backup and kg restore: the round trip gives back isomorphic graphs, a restore is one
new snapshot that a running service switches to, and mistakes change nothing."""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path

from rdflib import Dataset
from rdflib.compare import isomorphic

from kg.config import PROJECT_ROOT
from tests.served import KG, fetch, kg_env, serve


def kg(store: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KG, *args], env=kg_env(store), capture_output=True, text=True, check=check
    )


def content(store: Path) -> Dataset:
    dataset = Dataset()
    dataset.parse(data=kg(store, "export", "--format", "nquads").stdout, format="nquads")
    return dataset


def same_content(a: Dataset, b: Dataset) -> bool:
    names_a = {g.identifier for g in a.graphs() if len(g)}
    names_b = {g.identifier for g in b.graphs() if len(g)}
    return names_a == names_b and all(isomorphic(a.graph(name), b.graph(name)) for name in names_a)


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    store, backup, fresh = tmp_path / "store", tmp_path / "backup", tmp_path / "fresh"
    kg(store, "load", "--curated")
    original = content(store)
    assert len(original) > 1000
    made = kg(store, "backup", str(backup))
    assert "backed up snapshot 00000001" in made.stdout
    # The backup restores into an empty store ...
    kg(fresh, "restore", str(backup))
    assert same_content(content(fresh), original)
    # ... and over a store that changed since.
    kg(store, "load", str(PROJECT_ROOT / "tests" / "data" / "valid" / "methods.ttl"))
    assert not same_content(content(store), original)
    restored = kg(store, "restore", str(backup))
    assert "as snapshot 00000003" in restored.stdout
    assert same_content(content(store), original)
    # The restored store is whole: it validates and searches like the original.
    assert kg(store, "search", "diffusion", "--format", "json").returncode == 0


def test_mistakes_are_clear_errors_and_change_nothing(tmp_path: Path) -> None:
    store, backup = tmp_path / "store", tmp_path / "backup"
    kg(store, "load", "--curated")
    before = content(store)
    kg(store, "backup", str(backup))
    again = kg(store, "backup", str(backup), check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    empty = kg(tmp_path / "empty", "backup", str(tmp_path / "b2"), check=False)
    assert empty.returncode == 1 and "empty" in empty.stderr
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "CURRENT").write_text("not a database\n")
    for source in (tmp_path / "junk", tmp_path / "missing"):
        bad = kg(store, "restore", str(source), check=False)
        assert bad.returncode == 1 and "Traceback" not in bad.stderr, bad.stderr
    assert (store / "current").resolve().name == "00000001"
    assert same_content(content(store), before)


def test_a_running_service_switches_to_the_restored_snapshot(tmp_path: Path) -> None:
    store, backup = tmp_path / "store", tmp_path / "backup"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    url_query = "sparql?" + urllib.parse.urlencode({"query": count, "format": "csv"})
    with serve(store, rate_limit="0") as server:
        kg(store, "backup", str(backup))
        original = fetch(server.url + url_query).body
        kg(store, "load", str(PROJECT_ROOT / "tests" / "data" / "valid" / "methods.ttl"))
        assert fetch(server.url + url_query).body != original
        kg(store, "restore", str(backup))
        assert fetch(server.url + url_query).body == original
        health = fetch(server.url + "health")
        assert health.status == 200 and b'"store_version":"00000003"' in health.body
