"""Seed round trip: import the two seed exports, render them, get the seeds back.

The store starts with the ontology and the shared vocabularies only (fields and families,
people, sources), not the curated methods: what the pages show comes from the imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.config import Settings
from kg.services.catalogue import find_methods
from kg.services.context import Context
from kg.services.imports import import_files
from kg.services.loading import load_files
from tests.conftest import shared_path
from tests.html_tables import read_compare_page
from tests.seed_tables import read_seed

SEEDS = {
    # file: (UI language, the two methods by their names on that page)
    "000_9a2261afb79dbc4d.txt": (
        "th",
        ("การเรียนรู้แบบถ่ายโอนด้วยแบบจำลองการแพร่กระจาย", "โมเดลการแพร่กระจายที่ปรับละเอียด"),
    ),
    "001_e25f6b441270cb72.txt": ("ja", ("拡散モデルを用いた転移学習", "自己教師あり拡散モデル")),
}
VOCABULARIES = ("concepts.ttl", "people.ttl", "sources.ttl")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    files = [shared_path("seeds", name) for name in SEEDS]
    store = tmp_path_factory.mktemp("roundtrip") / "store"
    ctx = Context.from_settings(Settings.from_env({}, store=str(store), site_name="ScholarGate"))
    load_files(ctx, [Path(ctx.settings.data_dir) / name for name in VOCABULARIES])
    report = import_files(ctx, files)
    assert (len(report.created), len(report.merged), report.skipped) == (3, 1, [])
    yield ctx
    ctx.store.close()


@pytest.fixture(scope="module")
def seed_client(imported: Context) -> FlaskClient:
    from kg.web import create_app

    app: Flask = create_app(imported.settings, context=imported)
    return app.test_client()


def method_ids(ctx: Context, names: tuple[str, str], lang: str) -> list[str]:
    ids = []
    for name in names:
        (match,) = [m for m in find_methods(ctx, name, lang=lang) if m.label == name]
        ids.append(match.id)
    return ids


@pytest.mark.parametrize("seed_file", list(SEEDS))
def test_the_page_reproduces_the_seed_table(
    imported: Context, seed_client: FlaskClient, seed_file: str
) -> None:
    lang, names = SEEDS[seed_file]
    seed = read_seed(shared_path("seeds", seed_file))
    ids = method_ids(imported, names, lang)
    html = seed_client.get(f"/compare?m={ids[0]}&m={ids[1]}&lang={lang}").get_data(as_text=True)
    page = read_compare_page(html)
    assert (page.title, page.subtitle) == (seed.title, seed.subtitle)
    assert page.headers == seed.headers
    assert page.rows == seed.rows  # labels, ≠ marks and every cell, summaries included


@pytest.mark.parametrize("seed_file", list(SEEDS))
def test_the_markdown_export_reproduces_the_file(
    imported: Context, seed_client: FlaskClient, seed_file: str
) -> None:
    lang, names = SEEDS[seed_file]
    ids = method_ids(imported, names, lang)
    exported = seed_client.get(f"/compare.md?m={ids[0]}&m={ids[1]}&lang={lang}")
    assert exported.get_data(as_text=True) == shared_path("seeds", seed_file).read_text("utf-8")
