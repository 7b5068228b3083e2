"""Issue 15 (a): imported sources link to the venue their address names (a venue's own
proceedings site), matched with the curated venues and their aliases; a venue the store
does not hold stays unlinked and is noted, never minted. Real records of the shipped
Papers with Code and Epoch AI files, unchanged."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import RDF, URIRef

from kg.config import PROJECT_ROOT, Settings
from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports import import_files
from kg.services.imports.service import ImportReport
from kg.services.imports.venues import venue_of_address
from kg.services.loading import load_files
from tests.graphs import union

EXTERNAL = PROJECT_ROOT / "data" / "external"
PWC_DUMP = EXTERNAL / "pwc_methods_2025-03.json"
EPOCH = EXTERNAL / "epoch_all_ai_models_2025-04.csv"
PICKED = ("double-q-learning", "xception", "depthwise-separable-convolution", "psanet", "densenet")
"""Double Q-learning (papers.nips.cc), Xception and its depthwise separable convolution (one
CVPR paper at openaccess.thecvf.com), PSANet (ECCV at the CVF), DenseNet (arXiv)."""
ROWS = ("Projected GAN", "GSM")
"""Epoch AI rows with a NeurIPS proceedings link and an ACL Anthology link."""
BASE = Settings().base_iri


def iri(kind: str, slug: str) -> str:
    return f"{BASE}{kind}/{slug}"


def pwc_file(folder: Path, *slugs: str) -> Path:
    records = json.loads(PWC_DUMP.read_text(encoding="utf-8"))
    by_slug = {str(r["url"]).rsplit("/", 1)[-1]: r for r in records}
    path = folder / PWC_DUMP.name
    path.write_text(json.dumps([by_slug[s] for s in slugs]), encoding="utf-8")
    return path


def epoch_file(folder: Path, *models: str) -> Path:
    text = EPOCH.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(row for row in reader if row["Model"] in models)
    path = folder / EPOCH.name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def run(ctx: Context, name: str, **params: object) -> list[dict[str, str]]:
    result = ctx.store.select(ctx.queries[name].bind(params))
    return [{k: str(v) for k, v in row.items()} for row in result.rows]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Context, ImportReport]]:
    """The curated catalogue with the picked records imported (read-only)."""
    folder = tmp_path_factory.mktemp("venues")
    files = [pwc_file(folder, *PICKED), epoch_file(folder, *ROWS)]
    ctx = Context.from_settings(Settings.from_env({}, store=str(folder / "store")))
    load_files(ctx, [Path(ctx.settings.data_dir)])
    yield ctx, import_files(ctx, files)
    ctx.store.close()


@pytest.mark.parametrize(
    ("address", "venue"),
    [
        ("http://papers.nips.cc/paper/3964-double-q-learning", "NeurIPS"),
        ("https://proceedings.neurips.cc/paper/2021/hash/9219adc5c4-Abstract.html", "NeurIPS"),
        ("http://openaccess.thecvf.com/content_cvpr_2017/html/Chollet_Xception.html", "CVPR"),
        ("https://openaccess.thecvf.com/content/ICCV2021/html/Ye_Auxiliary.html", "ICCV"),
        ("https://www.ecva.net/papers/eccv_2020/papers_ECCV/html/7039_ECCV_2020.php", "ECCV"),
        ("https://aclanthology.org/2020.acl-main.362", "ACL"),
        ("https://aclanthology.org/D14-1162", "EMNLP"),
        ("https://aclanthology.org/K16-1006", "CoNLL"),
        ("https://icml.cc/2011/papers/438_icmlpaper.pdf", "ICML"),
        ("https://ojs.aaai.org/index.php/AAAI/article/view/28044", "AAAI"),
        ("http://jmlr.org/papers/v15/srivastava14a.html", "JMLR"),
        ("https://www.kdd.org/kdd2016/papers/files/rfp0191-wangAemb.pdf", "KDD"),
        # preprints, landing pages, series of many conferences, workshops, Findings: none
        ("https://arxiv.org/abs/1608.06993", None),
        ("https://openreview.net/forum?id=YicbFdNTTy", None),
        ("https://proceedings.mlr.press/v162/li22c.html", None),
        ("https://openaccess.thecvf.com/content_cvpr_2017_workshops/w4/html/x.html", None),
        ("https://openaccess.thecvf.com/content/CVPR2021W/html/x.html", None),
        ("https://aclanthology.org/2021.findings-emnlp.311", None),
        ("https://aclanthology.org/2022.fnp-1.9", None),
        ("https://doi.org/10.1038/nature14539", None),
        ("not an address", None),
        (None, None),
    ],
)
def test_the_address_names_the_venue_of_its_proceedings_site(
    address: str | None, venue: str | None
) -> None:
    assert venue_of_address(address) == venue


def test_imported_sources_link_to_the_curated_venues(
    imported: tuple[Context, ImportReport],
) -> None:
    ctx, report = imported
    graph = union(ctx)

    def venues_of(method: str) -> set[str]:
        source = graph.value(URIRef(iri("method", method)), KG.originalSource)
        assert source is not None, method
        return {str(v) for v in graph.objects(source, KG.venue)}

    assert venues_of("double-q-learning") == {iri("venue", "neurips")}  # "NeurIPS" = alias
    assert venues_of("xception") == {iri("venue", "cvpr")}
    assert venues_of("depthwise-separable-convolution") == {iri("venue", "cvpr")}
    assert venues_of("psanet") == {iri("venue", "eccv")}
    assert venues_of("densenet") == set()  # arXiv: a preprint's address, no venue
    projected = graph.value(URIRef(iri("system", "projected-gan")), KG.introducedIn)
    assert set(graph.objects(projected, KG.venue)) == {URIRef(iri("venue", "neurips"))}
    gsm = graph.value(URIRef(iri("system", "gsm")), KG.introducedIn)
    assert set(graph.objects(gsm, KG.venue)) == {URIRef(iri("venue", "acl"))}
    # no venue is minted: the 31 venues are the curated ones
    assert len(set(graph.subjects(RDF.type, KG.Venue))) == 31
    assert not [n for n in report.notes if "venue" in n.reason]


def test_venues_by_methods_counts_the_imported_methods(
    imported: tuple[Context, ImportReport],
) -> None:
    ctx, _ = imported
    rows = {r["venue"]: r for r in run(ctx, "venues-by-methods")}
    eccv = rows[iri("venue", "eccv")]
    assert (eccv["label"], eccv["methods"], eccv["sources"]) == (
        "European Conference on Computer Vision",
        "1",
        "1",
    )
    cvpr = {r["method"] for r in run(ctx, "methods-in-venue", venue=iri("venue", "cvpr"))}
    assert {iri("method", "xception"), iri("method", "depthwise-separable-convolution")} <= cvpr
    assert iri("method", "resnet") in cvpr  # curated
    neurips = {r["method"] for r in run(ctx, "methods-in-venue", venue=iri("venue", "neurips"))}
    assert iri("method", "double-q-learning") in neurips
    assert int(rows[iri("venue", "cvpr")]["methods"]) == len(cvpr)


def test_a_venue_the_store_lacks_stays_unlinked_and_is_noted(
    vocab_ctx: Context, tmp_path: Path
) -> None:
    report = import_files(vocab_ctx, [pwc_file(tmp_path, "double-q-learning", "psanet")])
    graph = union(vocab_ctx)
    assert not set(graph.subjects(RDF.type, KG.Venue))
    assert not set(graph.triples((None, KG.venue, None)))
    notes = sorted(n.reason for n in report.notes if "venue" in n.reason)
    assert notes == [
        "1 × source names the venue 'ECCV', which is no venue of the store: left unlinked",
        "1 × source names the venue 'NeurIPS', which is no venue of the store: left unlinked",
    ]


def test_importing_them_again_adds_nothing(imported: tuple[Context, ImportReport]) -> None:
    ctx, _ = imported
    before = ctx.store.quad_count()
    folder = Path(ctx.settings.store).parent
    again = import_files(ctx, [folder / PWC_DUMP.name, folder / EPOCH.name])
    assert again.unchanged and ctx.store.quad_count() == before
