"""`kg import` judges what it touches as `kg validate --store` judges the whole store.

Every input the project has is imported in turn (the example spreadsheet, and — marked
``shared`` — the seed pages and the real Papers with Code and Epoch AI files), and after
each import the SHACL results the import reported (problems already in the store on the
nodes it touches, warnings on the nodes it describes) are compared with what
``validate_store`` finds: all of them are real, nothing new went unreported, and every
result on a node the import touches was reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from kg.config import PROJECT_ROOT, Settings
from kg.services.context import Context
from kg.services.imports import ImportReport, import_files
from kg.services.loading import load_files
from kg.services.validation import validate_store
from kg.validate import Violation
from tests.conftest import shared_path
from tests.graphs import named_graph

EXAMPLE = PROJECT_ROOT / "examples" / "lab-methods.csv"
MAPPING = PROJECT_ROOT / "examples" / "lab-methods.toml"
Key = tuple[str, str | None, str, str]


def key(v: Violation) -> Key:
    return (v.focus_node, v.path, v.constraint, v.severity)


def store_results(ctx: Context) -> set[Key]:
    return {key(v) for v in validate_store(ctx).violations}


def touched(ctx: Context, report: ImportReport) -> set[str]:
    nodes: set[str] = set()
    for graph in report.graphs:
        g: Graph = named_graph(ctx, graph.removeprefix(ctx.graph_iri("")))
        for s, _, o in g:
            nodes.update(str(n) for n in (s, o) if isinstance(n, URIRef))
    return nodes


def check_agrees(ctx: Context, report: ImportReport, before: set[Key]) -> set[Key]:
    after = store_results(ctx)
    reported = {key(v) for v in [*report.preexisting, *report.warnings]}
    assert reported <= after, reported - after  # everything reported is real
    assert after <= before | reported, (after - before) - reported  # nothing new unreported
    near = {r for r in after if r[0] in touched(ctx, report)}
    assert near <= reported, near - reported  # the store's own problems it touches: reported
    return after


@pytest.fixture
def catalogue(curated_copy: Context) -> Context:
    """The curated catalogue, in a store of the test's own."""
    return curated_copy


def test_the_example_spreadsheet_on_the_catalogue(catalogue: Context) -> None:
    before = store_results(catalogue)
    assert before == set()  # the curated catalogue conforms
    report = import_files(catalogue, [EXAMPLE], mapping=MAPPING)
    assert check_agrees(catalogue, report, before) == set()
    assert report.preexisting == [] and report.warnings == []


def test_the_test_data_then_the_example_spreadsheet(tmp_path: Path) -> None:
    ctx = Context.from_settings(Settings.from_env({}, store=str(tmp_path / "store")))
    load_files(ctx, [PROJECT_ROOT / "tests" / "data" / "valid"])
    before = store_results(ctx)
    report = import_files(ctx, [EXAMPLE], mapping=MAPPING)
    check_agrees(ctx, report, before)
    ctx.store.close()


def test_a_problem_already_in_the_store_is_reported_as_validate_reports_it(
    catalogue: Context, tmp_path: Path
) -> None:
    """A field without its concept scheme, which an imported method points to: the import
    goes ahead, and reports the field's result as ``kg validate --store`` does."""
    broken = tmp_path / "broken-field.ttl"
    broken.write_text(
        "@prefix kg: <https://w3id.org/rmkg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/rmkg/field/orchard-science> a kg:Field ;\n"
        '    skos:prefLabel "Orchard science"@en .\n',
        encoding="utf-8",
    )
    load_files(catalogue, [Path(catalogue.settings.data_dir), broken])
    before = store_results(catalogue)
    field = "https://w3id.org/rmkg/field/orchard-science"
    assert before == {(field, "skos:inScheme", "MinCountConstraintComponent", "Violation")}
    table = tmp_path / "orchard.csv"
    table.write_text("id,Name,Field\ngrafting-trial,Grafting trial,Orchard science\n")
    mapping = tmp_path / "orchard.toml"
    mapping.write_text('language = "en"\n[columns]\nid = "id"\nName = "label"\nField = "field"\n')
    report = import_files(catalogue, [table], mapping=mapping)
    assert {key(v) for v in report.preexisting} == before
    assert check_agrees(catalogue, report, before) == before


@pytest.mark.shared
def test_every_real_input_in_turn(catalogue: Context) -> None:
    seeds = sorted(shared_path("seeds").glob("*.txt"))
    inputs: list[tuple[Path, str | None, Path | None]] = [
        (EXAMPLE, None, MAPPING),
        *[(seed, "seed", None) for seed in seeds],
        (shared_path("data", "pwc_methods_2025-03.json"), "pwc", None),
        (shared_path("data", "epoch_all_ai_models_2025-04.csv"), "epoch", None),
    ]
    before = store_results(catalogue)
    for path, fmt, mapping in inputs:
        report = import_files(catalogue, [path], format=fmt, mapping=mapping)
        before = check_agrees(catalogue, report, before)
    # the catalogue and all of it conform, and no import said otherwise
    assert before == set()
