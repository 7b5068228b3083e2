"""What `kg import` says it did: every record read is created, merged or skipped (with its
reason), and a file that yields nothing writes no graph at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.config import PROJECT_ROOT
from kg.services.context import Context
from kg.services.imports import ImportReport, import_files
from tests.conftest import RealImports, shared_path

EXAMPLE = PROJECT_ROOT / "examples" / "lab-methods.csv"
MAPPING = PROJECT_ROOT / "examples" / "lab-methods.toml"
EPOCH_HEADER = "Model,Authors,Link\n"


@pytest.fixture
def catalogue(curated_copy: Context) -> Context:
    """The curated catalogue, in a store of the test's own."""
    return curated_copy


def assert_accounted(report: ImportReport) -> None:
    for summary in report.summaries:
        assert summary.read == summary.created + summary.merged + summary.skipped, summary
    assert report.records_read == sum(s.read for s in report.summaries)
    assert report.records_skipped == sum(s.skipped for s in report.summaries)


def test_the_example_spreadsheet_is_accounted_for(catalogue: Context) -> None:
    report = import_files(catalogue, [EXAMPLE], mapping=MAPPING)
    assert_accounted(report)
    (summary,) = report.summaries
    assert (summary.read, summary.created, summary.merged, summary.skipped) == (5, 4, 1, 0)


def test_epoch_rows_left_out_are_counted_with_their_reasons(
    catalogue: Context, tmp_path: Path
) -> None:
    table = tmp_path / "systems.csv"
    table.write_text(
        EPOCH_HEADER
        + 'DDPM,"Jonathan Ho, Ajay Jain",https://arxiv.org/abs/2006.11239\n'
        + 'Other,"A. Person",https://arxiv.org/abs/1901.00001\n'
        + 'No link,"B. Person",https://example.org/paper\n'
        + 'Also no link,"C. Person",\n'
        + "No authors,,https://arxiv.org/abs/2006.11239\n"
        + ',"D. Person",https://arxiv.org/abs/2006.11239\n'
        + "DDPM,,\n",
        encoding="utf-8",
    )
    report = import_files(catalogue, [table], format="epoch")
    assert_accounted(report)
    (summary,) = report.summaries
    assert (summary.read, summary.created, summary.merged, summary.skipped) == (7, 5, 1, 1)
    assert summary.systems == 5
    reasons = {s.reason: s.records for s in report.skipped}
    assert reasons == {"1 row(s): no model name": 1}
    result = CliRunner().invoke(
        main,
        ["import", "--format", "epoch", str(table)],
        env={"KG_STORE": catalogue.settings.store},
    )
    assert result.exit_code == 0, result.output
    assert (
        "records read: 7; methods created: 0, systems created: 5, merged: 1, skipped: 1"
        in result.output
    )


def test_an_import_that_yields_nothing_writes_no_graph(catalogue: Context, tmp_path: Path) -> None:
    table = tmp_path / "unmatched.csv"
    table.write_text(EPOCH_HEADER + ',"A. Person",https://arxiv.org/abs/1901.00001\n')
    graphs = catalogue.store.named_graphs()
    report = import_files(catalogue, [table], format="epoch")
    assert report.graphs == [] and report.triples == 0
    assert catalogue.store.named_graphs() == graphs
    # a file that yielded data once and nothing now: its graphs are dropped, none is left empty
    table.write_text(EPOCH_HEADER + 'DDPM,"Jonathan Ho",https://arxiv.org/abs/2006.11239\n')
    report = import_files(catalogue, [table], format="epoch")
    graph = catalogue.graph_iri("import-unmatched")
    provenance = catalogue.graph_iri("provenance/import-unmatched")
    assert report.graphs == [graph]
    assert {graph, provenance} <= set(catalogue.store.named_graphs())
    table.write_text(EPOCH_HEADER + ',"A. Person",https://arxiv.org/abs/1901.00001\n')
    import_files(catalogue, [table], format="epoch")
    assert catalogue.store.named_graphs() == graphs


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "fmt"),
    [("pwc_methods_2025-03.json", "pwc"), ("epoch_all_ai_models_2025-04.csv", "epoch")],
)
def test_the_real_files_are_accounted_for(real_imports: RealImports, name: str, fmt: str) -> None:
    """Each real file imported into the curated catalogue (Epoch AI's after Papers with
    Code's: the originators go to methods the Papers with Code import made)."""
    path = shared_path("data", name)
    report = real_imports.pwc if fmt == "pwc" else real_imports.epoch
    assert [p.name for p in report.files] == [name]
    assert_accounted(report)
    (summary,) = report.summaries
    if fmt == "pwc":
        assert summary.read == 2275 and summary.skipped == 0
    else:
        rows = len(re.findall(r"\n", path.read_text(encoding="utf-8-sig"))) - 1
        assert summary.read == 2228 <= rows  # a quoted cell may span lines
        assert summary.created == summary.systems > 2200 and summary.skipped == 3
