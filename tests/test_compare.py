"""Comparison on the curated catalogue: the seed pairs marked exactly as the seeds mark."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from kg.namespaces import KG
from kg.services.compare import CompareError, UnknownMethodsError, compare
from kg.services.compare_export import cell_text, comparison_markdown
from kg.services.context import Context
from tests.conftest import shared_path
from tests.html_tables import read_compare_page
from tests.seed_tables import read_seed

TLDM = "transfer-learning-with-diffusion-models"
FTDM = "fine-tuned-diffusion-model"
SSDM = "self-supervised-diffusion-model"
PAIRS = {
    "000_9a2261afb79dbc4d.txt": ((TLDM, FTDM), "th"),
    "001_e25f6b441270cb72.txt": ((TLDM, SSDM), "ja"),
}
MARKED = {
    (TLDM, FTDM): {KG.attribution, KG.methodType, KG.originalSource, KG.summary},
    (TLDM, SSDM): {KG.yearOfOrigin, KG.attribution, KG.methodType, KG.relatedMethod, KG.summary},
}


@pytest.mark.parametrize("pair", list(MARKED))
@pytest.mark.parametrize("lang", ["en", "th", "ja"])
def test_seed_pairs_mark_exactly_the_seed_rows(
    catalogue_ctx: Context, pair: tuple[str, str], lang: str
) -> None:
    comparison = compare(catalogue_ctx, pair, lang=lang)
    assert {row.definition.property for row in comparison.rows if row.differs} == {
        str(p) for p in MARKED[pair]
    }


@pytest.mark.parametrize("seed_file", list(PAIRS))
def test_catalogue_facts_match_the_seed_pages(catalogue_ctx: Context, seed_file: str) -> None:
    """Every cell of the seed table but the summaries (ours are in our own words)."""
    seed = read_seed(shared_path("seeds", seed_file))
    ids, lang = PAIRS[seed_file]
    comparison = compare(catalogue_ctx, ids, lang=lang)
    assert [m.label for m in comparison.methods] == seed.headers
    ours = [
        (row.definition.label, row.differs, [cell_text(c) for c in row.cells])
        for row in comparison.rows
    ]
    assert [(label, marked) for label, marked, _ in ours] == [
        (label, marked) for label, marked, _ in seed.rows
    ]
    summary = str(KG.summary)
    for row, (_, _, seed_cells) in zip(comparison.rows, seed.rows, strict=True):
        if row.definition.property != summary:
            assert [cell_text(c) for c in row.cells] == seed_cells


def test_markdown_export_has_the_seed_shape(catalogue_ctx: Context) -> None:
    comparison = compare(catalogue_ctx, [TLDM, SSDM], lang="ja")
    text = comparison_markdown(comparison, title="T", subtitle="S", dataset_link="X dataset")
    lines = text.split("\n")
    assert lines[2] == "| 拡散モデルを用いた転移学習× | 自己教師あり拡散モデル× | |"
    assert lines[3] == "|---|---|---|"
    assert lines[6] == "| 提唱年≠ | 2020–2023 | 2020–2022 |"
    assert lines[-3:] == ["| X dataset ↗ |", "|", "|"]


def test_sources_link_their_doi_or_landing_page(catalogue_ctx: Context) -> None:
    comparison = compare(catalogue_ctx, [TLDM, FTDM], lang="en")
    row = next(r for r in comparison.rows if r.definition.property == str(KG.originalSource))
    links = [c.values[0].link for c in row.cells]
    assert links[0] is not None and links[0].kind == "link"
    assert links[1] is not None and links[1].kind == "doi"
    assert links[1].href == "https://doi.org/10.1109/CVPR52729.2023.02155"


def test_related_row_counts_and_lists_the_methods(catalogue_ctx: Context) -> None:
    comparison = compare(catalogue_ctx, [TLDM, SSDM], lang="en")
    row = next(r for r in comparison.rows if r.definition.property == str(KG.relatedMethod))
    assert [c.count for c in row.cells] == [5, 2]
    assert {v.method_id for v in row.cells[1].values} == {"ddpm", "simclr"}


def test_untranslated_texts_fall_back_to_english_and_say_so(catalogue_ctx: Context) -> None:
    comparison = compare(catalogue_ctx, [TLDM, FTDM], lang="th")
    row = next(r for r in comparison.rows if r.definition.property == str(KG.methodType))
    value = row.cells[0].values[0]
    assert (value.lang, value.fallback) == ("en", True)


@pytest.mark.parametrize("ids", [[TLDM], [TLDM] * 3, [f"m{i}" for i in range(9)], ["UPPER", TLDM]])
def test_wrong_number_or_malformed_ids_are_refused(catalogue_ctx: Context, ids: list[str]) -> None:
    with pytest.raises(CompareError):
        compare(catalogue_ctx, ids, lang="en")


def test_unknown_ids_are_named(catalogue_ctx: Context) -> None:
    with pytest.raises(UnknownMethodsError) as caught:
        compare(catalogue_ctx, [TLDM, "no-such-method"], lang="en")
    assert caught.value.ids == ("no-such-method",)


@pytest.mark.parametrize("seed_file", list(PAIRS))
def test_the_html_page_shows_the_seed_table(client: FlaskClient, seed_file: str) -> None:
    """The rendered page (not the service) against the seed: all but our own summaries."""
    seed = read_seed(shared_path("seeds", seed_file))
    (first, second), lang = PAIRS[seed_file]
    page = read_compare_page(
        client.get(f"/compare?m={first}&m={second}&lang={lang}").get_data(as_text=True)
    )
    assert (page.title, page.subtitle) == (seed.title, seed.subtitle)
    assert page.headers == seed.headers
    summary_label = seed.rows[-1][0]
    assert [r for r in page.rows if r[0] != summary_label] == [
        r for r in seed.rows if r[0] != summary_label
    ]
    assert [r[1] for r in page.rows] == [r[1] for r in seed.rows]


def test_a_comparison_page_is_revalidated_without_being_made_again(
    curated_copy: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page carries validators of its store version, address, language and site build:
    a client that has it gets 304 before anything is read or rendered; another language,
    another comparison or a write gives the page again."""
    from kg.web import create_app, pages

    client = create_app(curated_copy.settings, context=curated_copy).test_client()
    page = "/compare?m=ddpm&m=ddim&m=lora"
    first = client.get(page)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Last-Modified"]

    def not_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the comparison was made again")

    monkeypatch.setattr(pages, "compare", not_again)
    again = client.get(page, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert "Accept-Language" in again.headers["Vary"]
    monkeypatch.undo()

    assert client.get(page + "&lang=th", headers={"If-None-Match": etag}).status_code == 200
    other = client.get("/compare?m=ddpm&m=lora", headers={"If-None-Match": etag})
    assert other.status_code == 200
    curated_copy.store.update(
        "INSERT DATA { GRAPH <https://w3id.org/rmkg/graph/x> { "
        "<https://w3id.org/rmkg/method/ddpm> <http://www.w3.org/2004/02/skos/core#altLabel> "
        '"Changed"@en } }'
    )
    after = client.get(page, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


def test_a_method_page_is_revalidated_too(curated_copy: Context) -> None:
    from kg.web import create_app

    client = create_app(curated_copy.settings, context=curated_copy).test_client()
    first = client.get("/methods/ddpm")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/methods/ddpm", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/methods/ddim", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200
    missing = client.get("/methods/no-such-method")
    assert missing.status_code == 404 and "ETag" not in missing.headers
