"""The `kg` command as a user runs it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kg.cli import main
from kg.config import PROJECT_ROOT, Settings
from kg.services.jsonld import context_document


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KG_STORE", str(tmp_path / "store"))

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def quads_line(stdout: str) -> int:
    line = next(line for line in stdout.splitlines() if "quads in the store" in line)
    return int(line.split()[0])


def test_loading_the_catalogue_twice_gives_the_same_count(run) -> None:  # type: ignore[no-untyped-def]
    code, first, _ = run("load", "--curated")
    assert code == 0
    code, second, _ = run("load", str(PROJECT_ROOT / "data"))
    assert code == 0 and quads_line(first) == quads_line(second) > 1000


def test_a_broken_file_exits_1_with_file_line_column_and_changes_nothing(
    run,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    run("load", "--curated")
    _, before, _ = run("export", "--format", "nquads")
    broken = tmp_path / "broken.ttl"
    broken.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "c" .\nex:d ex:e .\n')
    code, _, stderr = run("load", "data", str(broken))
    assert code == 1
    assert f"{broken}:3:11:" in stderr
    _, after, _ = run("export", "--format", "nquads")
    assert sorted(after.splitlines()) == sorted(before.splitlines())


def test_stats_counts_per_class_and_graph(run) -> None:  # type: ignore[no-untyped-def]
    run("load", "--curated")
    code, stdout, _ = run("stats")
    assert code == 0
    assert "https://w3id.org/rmkg/ontology#Method" in stdout
    assert "https://w3id.org/rmkg/graph/methods-seed" in stdout


def test_query_by_name_with_parameters_in_every_format(run) -> None:  # type: ignore[no-untyped-def]
    run("load", "--curated")
    args = ["query", "method-headers", "-p", "method=method:ddpm", "-p", "method=method:lora",
            "-p", "lang=ja"]  # fmt: skip
    code, stdout, _ = run(*args, "--format", "json")
    assert code == 0
    bindings = json.loads(stdout)["results"]["bindings"]
    assert {b["method"]["value"].rsplit("/", 1)[-1] for b in bindings} == {"ddpm", "lora"}
    assert run(*args, "--format", "csv")[1].startswith("method,label,labelLang,relatedCount")
    assert run(*args, "--format", "tsv")[1].startswith("?method\t?label")
    assert "ddpm" in run(*args)[1]


def test_query_errors_are_one_clear_line(run) -> None:  # type: ignore[no-untyped-def]
    code, _, stderr = run("query", "method-headers", "-p", "lang=not a tag")
    assert code == 1 and stderr.startswith("error: lang: not a language tag")
    code, _, stderr = run("query", "no-such-query")
    assert code == 1 and "no query named 'no-such-query'" in stderr


@pytest.mark.parametrize("fmt", ["turtle", "nt", "nquads", "trig", "jsonld"])
def test_exports_are_isomorphic_to_the_store(run, fmt: str) -> None:  # type: ignore[no-untyped-def]
    run("load", "--curated")
    _, nquads, _ = run("export", "--format", "nquads")
    store = Dataset()
    store.parse(data=nquads, format="nquads")
    _, exported, _ = run("export", "--format", fmt)
    if fmt == "jsonld":  # compact and self-contained: the context inline, nothing to fetch
        context = json.loads(exported)["@context"]
        inline = context_document(Settings.from_env())["@context"]
        assert context == {"@base": Settings.from_env().base_iri, **inline}
    rdflib_format = {"nt": "nt", "turtle": "turtle", "nquads": "nquads", "trig": "trig",
                     "jsonld": "json-ld"}[fmt]  # fmt: skip
    if fmt in ("nquads", "trig", "jsonld"):
        dump = Dataset()
        dump.parse(data=exported, format=rdflib_format)
        for graph in store.graphs():
            assert isomorphic(graph, dump.graph(graph.identifier))
    else:
        union = Graph()
        for s, p, o, _ in store.quads():
            union.add((s, p, o))
        assert isomorphic(union, Graph().parse(data=exported, format=rdflib_format))
    ox_format = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                 "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
                 "jsonld": ox.RdfFormat.JSON_LD}[fmt]  # fmt: skip
    assert list(ox.parse(io.BytesIO(exported.encode()), ox_format))


def test_settings_are_all_listed_in_the_readme(run) -> None:  # type: ignore[no-untyped-def]
    from kg.config import describe_settings

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name, _, _ in describe_settings() if f"`{name}`" not in readme] == []


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert [c for c in main.commands if f"`kg {c}" not in readme] == []


def test_validate_passes_on_the_catalogue(run) -> None:  # type: ignore[no-untyped-def]
    code, stdout, _ = run("validate")
    assert (code, stdout.strip()) == (0, "conforms: no violations")


INVALID = sorted((PROJECT_ROOT / "tests" / "data" / "invalid").glob("*.ttl"))


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_validate_names_focus_node_and_constraint(run, fixture: Path) -> None:  # type: ignore[no-untyped-def]
    valid = PROJECT_ROOT / "tests" / "data" / "valid"
    code, stdout, stderr = run("validate", str(valid), str(fixture))
    assert code == 1
    assert "violation(s)" in stderr
    for line in stdout.strip().splitlines():
        focus, _, rest = line.partition(" ")
        assert focus.startswith("https://w3id.org/rmkg/")
        assert rest.rstrip().endswith("]") and "[" in rest  # [the violated constraint]


def test_validate_the_store_after_loading(run) -> None:  # type: ignore[no-untyped-def]
    run("load", "--curated")
    code, stdout, _ = run("validate", "--store")
    assert (code, stdout.strip()) == (0, "conforms: no violations")
