"""Search (issue 7): the per-snapshot index, ranking, highlighting, pages, CLI, browsing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from kg.cli import main
from kg.config import PROJECT_ROOT, Settings
from kg.search.text import fragments, normalise, terms_of
from kg.search.update import layering
from kg.services.context import Context
from kg.services.imports.service import import_files
from kg.services.loading import load_files
from kg.services.search import (
    SearchInputError,
    current_index,
    index_dir,
    index_path,
    parse_filters,
    parse_page,
    search,
    suggest,
)

TLDM = "transfer-learning-with-diffusion-models"
EXTRA = """@prefix kg: <https://w3id.org/rmkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<method/zyxwv-resampling> a kg:Method ;
    skos:prefLabel "Zyxwv Resampling"@en , "ズィクスウ再標本化"@ja ;
    skos:altLabel "ZXR"@en ;
    kg:field <field/statistics> .
"""


def ids(ctx: Context, text: str, **kwargs: object) -> list[str]:
    return [hit.id for hit in search(ctx, text, **kwargs).hits]  # type: ignore[arg-type]


# --- acceptance ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "diffusion transfer",
        "TL-DM",
        "การเรียนรู้แบบถ่ายโอนด้วยแบบจำลองการแพร่กระจาย",
        "拡散モデル",
        "การเรียนรู้เชิงลึก",  # its field's Thai label
        "transfer learning with DIFFUSION models",
        "Trânsfer Léarning",  # diacritics and case do not matter in Latin scripts
        "ｔｌ-ｄｍ",  # full-width forms
    ],
)
def test_the_seed_method_is_found(catalogue_ctx: Context, text: str) -> None:
    assert TLDM in ids(catalogue_ctx, text, per_page=100)


def test_each_hit_says_which_field_matched(catalogue_ctx: Context) -> None:
    def matched(text: str) -> tuple[str, str, str]:
        (hit,) = [h for h in search(catalogue_ctx, text, per_page=100).hits if h.id == TLDM]
        assert hit.matched is not None
        marked = "".join(f"[{f.text}]" if f.match else f.text for f in hit.matched.fragments)
        return hit.matched.kind, hit.matched.lang, marked

    assert matched("TL-DM") == ("alias", "en", "[TL-DM]")
    assert matched("拡散モデル") == ("label", "ja", "[拡散モデル]を用いた転移学習")
    assert matched("diffusion transfer")[2] == "[Transfer] Learning with [Diffusion] Models"
    assert matched("การเรียนรู้เชิงลึก") == ("field", "th", "[การเรียนรู้เชิงลึก]")
    kind, _, text = matched("Rombach")
    assert kind in ("attribution", "originator") and "[Rombach]" in text


def test_ranking_exact_label_then_prefix_then_alias_then_other(catalogue_ctx: Context) -> None:
    hits = search(catalogue_ctx, "latent diffusion model", per_page=100).hits
    assert hits[0].id == "latent-diffusion-model" and hits[0].tier == "exact"
    tiers = [h.tier for h in search(catalogue_ctx, "diffusion", per_page=100).hits]
    order = ["exact", "prefix", "label", "alias-exact", "alias-prefix", "alias", "text", "concept"]
    assert tiers == sorted(tiers, key=order.index)
    assert {"label", "alias", "text"} <= set(tiers) or {"label", "text"} <= set(tiers)
    # An exact alias ranks above a label that merely contains the word elsewhere.
    ddpm = search(catalogue_ctx, "DDPM", per_page=100).hits
    assert ddpm[0].id == "ddpm" and ddpm[0].tier == "alias-exact"


def test_script_finds_nothing_and_the_page_stays_well_formed(client: FlaskClient) -> None:
    response = client.get("/search?q=<script>alert(1)</script>")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "0 methods match" in page
    Balanced().check(page)


class Balanced(HTMLParser):
    """Open and close tags pair up (void elements aside)."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def check(self, page: str) -> None:
        self.feed(page)
        self.close()
        assert self.stack == []


def test_graph_text_is_escaped_piece_by_piece() -> None:
    pieces = fragments("a <b>Diffusion</b> & co", terms_of("diffusion"))
    assert [(f.text, f.match) for f in pieces] == [
        ("a <b>", False), ("Diffusion", True), ("</b> & co", False)
    ]  # fmt: skip
    assert len(normalise("ÀÉÎõü ß İ ＡＢ")) == len("ÀÉÎõü ß İ ＡＢ")
    assert normalise("ÀÉÎõü ＡＢ") == "aeiou ab"
    assert normalise("การแพร่กระจาย") == "การแพร่กระจาย"  # Thai marks are kept


# --- the pages ----------------------------------------------------------------------------


def test_search_page_highlights_and_links(client: FlaskClient) -> None:
    page = client.get("/search?q=TL-DM").get_data(as_text=True)
    assert f'href="/methods/{TLDM}"' in page
    assert "<mark>TL-DM</mark>" in page and "Also known as" in page


def test_facets_filter_and_paging(client: FlaskClient, catalogue_ctx: Context) -> None:
    everything = search(catalogue_ctx, "", filters={"field": "deep-learning"})
    assert everything.total == 21 and everything.pages == 2 and len(everything.hits) == 20
    assert len(search(catalogue_ctx, "", filters={"field": "deep-learning"}, page=2).hits) == 1
    narrowed = search(catalogue_ctx, "diffusion", filters={"decade": "2020"}, per_page=100)
    assert narrowed.hits and all(
        h.start_year is not None and 2020 <= h.start_year < 2030 for h in narrowed.hits
    )
    fields = {v.value: v.count for v in narrowed.facets["field"]}
    assert fields["deep-learning"] >= 1
    page = client.get("/search?q=diffusion&field=deep-learning&lang=ja").get_data(as_text=True)
    assert "深層学習" in page and "family=" in page and "decade=" in page
    second = client.get("/search?field=deep-learning&page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and "2 / 2" not in second


def test_search_json(client: FlaskClient) -> None:
    data = client.get("/search.json?q=拡散モデル&lang=th").get_json()
    assert data["total"] >= 1 and data["results"][0]["id"] == TLDM
    first = data["results"][0]
    assert first["matched"]["kind"] == "label" and first["matched"]["lang"] == "ja"
    assert {"text": "拡散モデル", "match": True} in first["matched"]["fragments"]
    assert set(data["facets"]) == {"field", "family", "type", "decade"}
    assert client.get("/search.json?q=x&page=0").status_code == 400
    assert "error" in client.get("/search.json?decade=199x").get_json()


@pytest.mark.parametrize(
    "query",
    ["q=" + "x" * 501, "q=a&page=0", "q=a&page=abc", "decade=nineties", "field=" + "f" * 301],
)
def test_bad_search_input_is_a_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/search?{query}")
    assert response.status_code == 400


def test_autocomplete_is_ranked_and_forgives_a_typo(client: FlaskClient) -> None:
    data = client.get("/api/methods?q=Latent Diffusion Model").get_json()
    assert data["methods"][0] == {
        "id": "latent-diffusion-model",
        "label": "Latent Diffusion Model",
        "matched": data["methods"][0]["matched"],
    }
    typo = [m["id"] for m in client.get("/api/methods?q=difusion").get_json()["methods"]]
    assert "latent-diffusion-model" in typo
    assert client.get("/api/methods?q=TL").get_json()["methods"][0]["id"] == TLDM
    assert client.get("/api/methods?q=").get_json() == {"methods": []}


def test_suggestions_in_the_ui_language(catalogue_ctx: Context) -> None:
    hits = suggest(catalogue_ctx, "TL-DM", lang="th")
    assert hits[0].label == "การเรียนรู้แบบถ่ายโอนด้วยแบบจำลองการแพร่กระจาย"


def test_browse_fields_and_families(client: FlaskClient) -> None:
    fields = client.get("/fields?lang=th").get_data(as_text=True)
    assert "การเรียนรู้เชิงลึก" in fields and 'href="/fields/deep-learning' in fields
    page = client.get("/fields/deep-learning?lang=en").get_data(as_text=True)
    assert 'href="/field/deep-learning"' in page  # the Linked Data description
    assert "21 methods" in page and f'href="/methods/{TLDM}"' in page
    assert 'href="/fields/machine-learning' in page  # broader
    broad = client.get("/fields/computer-science?lang=en").get_data(as_text=True)
    assert "Narrower" in broad
    families = client.get("/families?lang=en").get_data(as_text=True)
    assert 'href="/families/machine-learning' in families
    assert client.get("/families/machine-learning").status_code == 200
    assert client.get("/fields/no-such-field").status_code == 404
    assert client.get("/fields/deep-learning?sort=x").status_code == 400
    resource = client.get("/field/deep-learning?lang=en").get_data(as_text=True)
    assert 'href="/fields/deep-learning"' in resource


def test_parsers() -> None:
    assert parse_filters({"field": " x ", "decade": "1990", "other": "y"}) == {
        "field": "x", "decade": "1990"
    }  # fmt: skip
    assert parse_page(None) == 1 and parse_page("3") == 3
    with pytest.raises(SearchInputError):
        parse_page("-1")


# --- consistency with the store -----------------------------------------------------------


def test_load_builds_the_index_of_the_new_snapshot(store_ctx: Context, tmp_path: Path) -> None:
    load_files(store_ctx, [Path(store_ctx.settings.data_dir)])
    first = store_ctx.store.version()
    assert index_path(store_ctx, first).exists()
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA, encoding="utf-8")
    load_files(store_ctx, [Path(store_ctx.settings.data_dir), extra])
    second = store_ctx.store.version()
    assert second != first and index_path(store_ctx, second).exists()
    assert ids(store_ctx, "zyxwv") == ["zyxwv-resampling"]
    assert ids(store_ctx, "ズィクスウ") == ["zyxwv-resampling"]
    assert "zyxwv-resampling" in ids(store_ctx, "ZXR")
    # The current snapshot's index and the one before (readers may still have it open).
    assert index_path(store_ctx, first).exists()
    load_files(store_ctx, [Path(store_ctx.settings.data_dir)])
    third = store_ctx.store.version()
    kept = {p.name for p in index_dir(store_ctx).glob("*.sqlite")}
    # ... and the full index under them when they are layers (kg.search.update).
    under = {layering(index_path(store_ctx, v)).base for v in (second, third)}
    assert under == {index_path(store_ctx, first).name}
    assert kept == {index_path(store_ctx, v).name for v in (first, second, third)}


def test_import_builds_the_index_of_the_new_snapshot(store_ctx: Context) -> None:
    load_files(store_ctx, [Path(store_ctx.settings.data_dir)])
    assert ids(store_ctx, "permutation test") == []
    import_files(
        store_ctx,
        [PROJECT_ROOT / "examples" / "lab-methods.csv"],
        mapping=PROJECT_ROOT / "examples" / "lab-methods.toml",
    )
    assert index_path(store_ctx, store_ctx.store.version()).exists()
    assert "permutation-test" in ids(store_ctx, "permutation test")
    assert "mann-whitney-u-test" in ids(store_ctx, "Mann–Whitney")
    assert "kernel-density-estimation" in ids(store_ctx, "KDE")


def test_cli_load_import_search_and_reindex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_STORE", str(tmp_path / "store"))

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    run("load", "--curated")
    assert TLDM in run("search", "TL-DM", "--format", "json")
    examples = PROJECT_ROOT / "examples"
    run(
        "import", str(examples / "lab-methods.csv"), "--mapping", str(examples / "lab-methods.toml")
    )
    assert "permutation-test" in run("search", "permutation", "--format", "json")
    assert "indexed" in run("reindex")
    bad = CliRunner().invoke(main, ["search", "x", "--decade", "abc"])
    assert bad.exit_code == 1 and "decade" in bad.stderr


def test_a_missing_index_is_built_on_first_use(store_ctx: Context) -> None:
    load_files(store_ctx, [Path(store_ctx.settings.data_dir)])
    path = index_path(store_ctx, store_ctx.store.version())
    path.unlink()  # as if the process died between publishing and indexing
    leftover = index_dir(store_ctx) / f"{path.name}.tmp-999999-1"
    leftover.write_bytes(b"half an index")
    stage = index_dir(store_ctx) / f"{path.name}.tmp-999999-1-stage"
    stage.write_bytes(b"rows of a killed build")
    assert TLDM in ids(store_ctx, "TL-DM", wait=None)  # however long the build takes
    assert path.exists() and not leftover.exists() and not stage.exists()


def _kg(store: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KG_STORE": str(store)}
    return subprocess.Popen(
        [sys.executable, "-m", "kg.cli", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_a_killed_write_leaves_a_usable_index_for_the_current_snapshot(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert _kg(store, "load", "--curated").wait() == 0
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA, encoding="utf-8")
    data = str(PROJECT_ROOT / "data")
    started = time.monotonic()
    assert _kg(store, "load", data, str(extra)).wait() == 0
    full = time.monotonic() - started
    rng = random.Random(7)
    for run in range(4):
        # Alternate between the catalogue with and without the extra method, so that every
        # write changes what the index must hold.
        args = ("load", data) if run % 2 == 0 else ("load", data, str(extra))
        process = _kg(store, *args)
        time.sleep(rng.uniform(0.2, full))
        process.send_signal(signal.SIGKILL)
        process.wait()
        ctx = Context.from_settings(Settings.from_env({}, store=str(store)))
        index = current_index(ctx, wait=None, previous=False)
        assert index is not None and index.version == ctx.store.version()
        assert TLDM in ids(ctx, "TL-DM")
        has_extra = bool(
            ctx.store.select(
                ctx.queries["method-headers"].bind(
                    method=[f"{ctx.settings.base_iri}method/zyxwv-resampling"]
                )
            ).rows
        )
        assert (ids(ctx, "zyxwv") == ["zyxwv-resampling"]) == has_extra
        ctx.store.close()


def test_a_filter_keeps_exactly_the_methods_counted_for_it(catalogue_ctx: Context) -> None:
    everything = search(catalogue_ctx, "model", per_page=1000)
    assert everything.total > 10
    for facet in ("field", "family", "decade", "type"):
        for value in everything.facets[facet][:3]:
            narrowed = search(catalogue_ctx, "model", filters={facet: value.value}, per_page=1000)
            assert narrowed.total == value.count, (facet, value.value)
            assert {h.id for h in narrowed.hits} <= {h.id for h in everything.hits}
    assert search(catalogue_ctx, "model", filters={"field": "no-such-field"}).total == 0
    assert search(catalogue_ctx, "\ue000\ue100\ue200").total == 0  # facet codes stay private


def test_short_words_with_a_filter(catalogue_ctx: Context) -> None:
    assert TLDM in ids(catalogue_ctx, "TL", filters={"field": "deep-learning"})
    assert TLDM not in ids(catalogue_ctx, "TL", filters={"field": "statistics"})
    assert TLDM in ids(catalogue_ctx, "拡散", filters={"decade": "2020"}, per_page=100)
