"""Writes of named graphs (``/store``, ``kg import``) update the search index from the
previous one for the methods they changed: the result holds what a full build of the new
snapshot holds, and says it was updated. A write without a record of what it changed (a
SPARQL update) is indexed anew."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from kg.search.build import build
from kg.search.index import read_meta
from kg.services import search, search_changes
from kg.services.context import Context
from kg.services.imports.service import import_files
from kg.services.search import build_index, current_index, index_dir, index_path
from kg.services.search_changes import tracking
from kg.web import create_app
from tests.test_search_incremental import _content

TOKEN = "incremental-token"
BASE = "https://w3id.org/rmkg/"
EXAMPLE_CSV = Path(__file__).parent.parent / "examples" / "lab-methods.csv"
EXAMPLE_MAPPING = EXAMPLE_CSV.with_suffix(".toml")
QUOKKA = """
@prefix kg: <https://w3id.org/rmkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://w3id.org/rmkg/method/quokka-sampling> a kg:Method ;
    skos:prefLabel "{label}"@en, "การสุ่มควอกกา"@th ;
    kg:field <https://w3id.org/rmkg/field/statistics> ;
    kg:originator <https://w3id.org/rmkg/person/quokka-lab> .
<https://w3id.org/rmkg/person/quokka-lab> a foaf:Person ; foaf:name "Quinn Okka" .
"""


def _client(ctx: Context) -> FlaskClient:
    settings = dataclasses.replace(ctx.settings, write_token=TOKEN, rate_limit=0)
    app = create_app(settings, context=Context(settings, ctx.store, ctx.queries))
    app.config["TESTING"] = True
    return app.test_client()


def _put(client: FlaskClient, graph: str, turtle: str) -> None:
    response = client.put(
        f"/store?graph={graph}",
        data=turtle.encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"},
    )
    assert response.status_code in (201, 204), response.get_data(as_text=True)


def _index_of_now(ctx: Context, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The current snapshot's index (waiting for its build) and a full build beside it."""
    index = current_index(ctx, wait=None, previous=False)
    assert index is not None and index.version == ctx.store.version()
    full = tmp_path / f"full-{index.version}.sqlite"
    build(
        full,
        version=index.version,
        base_iri=ctx.settings.base_iri,
        documents=ctx.store.select_rows(ctx.queries["search-documents"].bind(), languages=True),
        concepts=ctx.store.select_rows(ctx.queries["search-concepts"].bind(), languages=True),
    )
    return read_meta(index.path), full


def _same_as_full(ctx: Context, tmp_path: Path) -> dict[str, object]:
    meta, full = _index_of_now(ctx, tmp_path)
    assert _content(index_path(ctx, meta["version"])) == _content(full)
    return json.loads(meta["updated"]) if "updated" in meta else {}


def _found(ctx: Context, text: str) -> set[str]:
    index = current_index(ctx, wait=None, previous=False)
    assert index is not None
    found = index.candidates(text.lower().split(), cap=100)
    return {str(doc["id"]) for doc in index.documents([rid for rid, _ in found.hits]).values()}


def test_graph_store_writes_update_the_index_from_the_previous_one(
    curated_copy: Context, tmp_path: Path
) -> None:
    ctx = curated_copy
    client = _client(ctx)
    current_index(ctx, wait=None)
    graph = f"{BASE}graph/quokka"

    _put(client, graph, QUOKKA.replace("{label}", "Quokka sampling"))
    updated = _same_as_full(ctx, tmp_path)
    assert updated["methods"] == 1
    assert _found(ctx, "quokka") == {"quokka-sampling"}

    _put(client, graph, QUOKKA.replace("{label}", "Wombat sampling"))
    assert _same_as_full(ctx, tmp_path)["methods"] == 1
    assert _found(ctx, "quokka") == set()
    assert _found(ctx, "wombat") == {"quokka-sampling"}

    response = client.delete(f"/store?graph={graph}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 204
    assert _same_as_full(ctx, tmp_path)["methods"] == 1
    assert _found(ctx, "wombat") == set()


def test_past_the_layer_limit_a_write_is_seen_at_once_then_the_index_is_full_again(
    curated_copy: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = curated_copy
    monkeypatch.setattr(search, "LAYER_METHODS", 1)
    client = _client(ctx)
    current_index(ctx, wait=None)
    full = index_path(ctx, ctx.store.version()).name
    _put(client, f"{BASE}graph/quokka", QUOKKA.replace("{label}", "Quokka sampling"))
    index = current_index(ctx, wait=None, previous=False)
    assert index is not None and index.base == index_dir(ctx) / full
    assert _same_as_full(ctx, tmp_path)["methods"] == 1
    second = QUOKKA.replace("quokka-sampling", "wombat-sampling")
    _put(client, f"{BASE}graph/wombat", second.replace("{label}", "Wombat sampling"))
    index = current_index(ctx, wait=None, previous=False)
    assert index is not None and index.base is None  # both changes, in a copy of the full one
    assert _same_as_full(ctx, tmp_path)["methods"] == 2
    assert _found(ctx, "quokka") == {"quokka-sampling"}
    assert _found(ctx, "wombat") == {"wombat-sampling"}


def test_a_changed_name_reindexes_the_methods_of_that_person(
    curated_copy: Context, tmp_path: Path
) -> None:
    ctx = curated_copy
    current_index(ctx, wait=None)
    person = f"{BASE}person/jonathan-ho"
    _put(
        _client(ctx),
        f"{BASE}graph/renamed",
        f'<{person}> <http://xmlns.com/foaf/0.1/name> "Zebulon Quixote" .',
    )
    updated = _same_as_full(ctx, tmp_path)
    assert updated["methods"] >= 1
    assert "ddpm" in _found(ctx, "zebulon quixote")


def test_a_sparql_update_is_indexed_anew(curated_copy: Context, tmp_path: Path) -> None:
    ctx = curated_copy
    current_index(ctx, wait=None)
    ctx.store.update(
        "INSERT DATA { GRAPH <https://w3id.org/rmkg/graph/x> { "
        "<https://w3id.org/rmkg/method/ddpm> <http://www.w3.org/2004/02/skos/core#altLabel> "
        '"Xylophone diffusion"@en } }'
    )
    assert _same_as_full(ctx, tmp_path) == {}
    assert "ddpm" in _found(ctx, "xylophone")


def test_an_import_updates_the_index_from_the_previous_one(
    curated_copy: Context, tmp_path: Path
) -> None:
    ctx = curated_copy
    current_index(ctx, wait=None)
    import_files(ctx, [EXAMPLE_CSV], mapping=EXAMPLE_MAPPING)
    updated = _same_as_full(ctx, tmp_path)
    assert updated["methods"] >= 4
    assert "permutation-test" in _found(ctx, "permutation test")


def test_a_field_renamed_is_updated_and_a_field_moved_is_indexed_anew(
    curated_copy: Context, tmp_path: Path
) -> None:
    ctx = curated_copy
    client = _client(ctx)
    current_index(ctx, wait=None)
    statistics = f"{BASE}field/statistics"
    _put(
        client,
        f"{BASE}graph/field-alias",
        f'<{statistics}> <http://www.w3.org/2004/02/skos/core#altLabel> "Stadistika"@en .',
    )
    assert _same_as_full(ctx, tmp_path) == {"from": _previous(ctx), "methods": 0, "concepts": 1}
    index = current_index(ctx, wait=None, previous=False)
    assert index is not None
    assert [c.id for c in index.matching_concepts(["stadistika"])] == ["statistics"]

    _put(
        client,
        f"{BASE}graph/field-moved",
        f"<{statistics}> <http://www.w3.org/2004/02/skos/core#broader> <{BASE}field/biology> .",
    )
    assert _same_as_full(ctx, tmp_path) == {}


def _previous(ctx: Context) -> str:
    return f"{int(ctx.store.version()) - 1:08d}"


def test_writes_whose_index_was_never_built_are_joined(
    curated_copy: Context, tmp_path: Path
) -> None:
    """Two writes before any index build: the index of the second is made from the last
    built one, for the methods of both (the records are followed back)."""
    ctx = curated_copy
    first = current_index(ctx, wait=None)
    assert first is not None
    for number, label in enumerate(("Quokka sampling", "Numbat sampling")):
        graph = f"{BASE}graph/chain-{number}"
        turtle = QUOKKA.replace("{label}", label).replace("quokka-sampling", f"m{number}")
        with tracking(ctx, [graph]):
            ctx.store.write_graph(graph, [(turtle.encode(), "turtle")], base_iri=BASE, replace=True)
    assert not index_path(ctx, f"{int(ctx.store.version()) - 1:08d}").exists()
    updated = _same_as_full(ctx, tmp_path)
    assert updated["from"] == first.version and updated["methods"] == 2
    assert _found(ctx, "numbat") == {"m1"} and _found(ctx, "quokka") == {"m0"}


def test_a_build_waits_for_the_record_of_a_write_it_sees(
    curated_copy: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker's build that starts between a write's publishing and its record waits
    for the record (``records.lock``), then updates rather than building anew."""
    ctx = curated_copy
    assert current_index(ctx, wait=None) is not None
    recording, release = threading.Event(), threading.Event()
    real_touched = search_changes.touched

    def paused(*args: Any, **kwargs: Any) -> tuple[set[str], set[str]]:
        recording.set()
        release.wait(60)
        return real_touched(*args, **kwargs)

    monkeypatch.setattr(search_changes, "touched", paused)
    graph = f"{BASE}graph/paused"
    turtle = QUOKKA.replace("{label}", "Quokka sampling").encode()

    def write() -> None:
        with tracking(ctx, [graph]):
            ctx.store.write_graph(graph, [(turtle, "turtle")], base_iri=BASE, replace=True)

    writer = threading.Thread(target=write)
    writer.start()
    assert recording.wait(60)  # published, its record not written yet
    builder = threading.Thread(target=build_index, args=(ctx,))
    builder.start()
    builder.join(1.0)
    assert builder.is_alive()  # waiting for the record
    release.set()
    writer.join(60)
    builder.join(60)
    meta = read_meta(index_path(ctx, ctx.store.version()))
    assert json.loads(meta["updated"])["methods"] == 1
