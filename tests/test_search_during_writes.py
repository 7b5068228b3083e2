"""A write never makes search answer 503: until the index of the new snapshot is built,
search answers from the previous one (and says so), then from the new one. On every backend
(the new method's IRIs are relative to the store's base IRI)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import kg.services.search as search_service
from kg.services.context import Context
from kg.services.loading import load_files
from kg.services.search import current_index, index_dir, search
from tests.test_search_after_writes import QUOKKA, _client, _put

NEW_METHOD = """
PREFIX kg: <https://w3id.org/rmkg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
INSERT DATA { GRAPH <graph/quokka> {
  <method/quokka-sampling> a kg:Method ;
      skos:prefLabel "Quokka sampling"@en .
} }
"""


def ids(ctx: Context, text: str) -> tuple[list[str], bool]:
    results = search(ctx, text)
    return [hit.id for hit in results.hits], results.previous


def test_search_answers_from_the_previous_index_until_the_new_one_is_built(
    store_ctx: Context,
) -> None:
    load_files(store_ctx, [Path(store_ctx.settings.data_dir)])
    before, previous = ids(store_ctx, "diffusion")
    assert before and not previous
    assert ids(store_ctx, "quokka") == ([], False)
    old_version = store_ctx.store.version()

    store_ctx.store.update(
        NEW_METHOD, base_iri=store_ctx.settings.base_iri
    )  # as /sparql and /store write: no index is built
    assert store_ctx.store.version() != old_version
    # Answered at once, without waiting for the build it starts: the previous results.
    assert ids(store_ctx, "quokka") == ([], True)
    assert ids(store_ctx, "diffusion") == (before, True)

    new = current_index(store_ctx, wait=None, previous=False)
    assert new is not None and new.version == store_ctx.store.version()
    assert ids(store_ctx, "quokka") == (["quokka-sampling"], False)
    # The index before stays one build longer (a reader may still have it open).
    files = sorted(p.name for p in index_dir(store_ctx).glob("*.sqlite"))
    assert files == sorted({f"{old_version}.sqlite", f"{new.version}.sqlite"})


def test_the_search_page_says_its_results_are_from_before_the_change(
    store_ctx: Context,
) -> None:
    from kg.web import create_app

    load_files(store_ctx, [Path(store_ctx.settings.data_dir)])
    app = create_app(store_ctx.settings, context=store_ctx)
    client = app.test_client()
    first = client.get("/search?q=diffusion")
    assert first.status_code == 200 and b"version before the change" not in first.data
    store_ctx.store.update(NEW_METHOD, base_iri=store_ctx.settings.base_iri)
    during = client.get("/search?q=diffusion")
    assert during.status_code == 200 and b"version before the change" in during.data
    current_index(store_ctx, wait=None, previous=False)
    after = client.get("/search?q=quokka")
    assert after.status_code == 200 and b"Quokka sampling" in after.data
    assert b"version before the change" not in after.data


def test_a_process_that_had_no_index_open_answers_from_the_newest_on_disk(
    curated_copy: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = curated_copy
    assert current_index(ctx, wait=None) is not None
    ctx.store.update(NEW_METHOD, base_iri=ctx.settings.base_iri)
    monkeypatch.setattr(search_service, "_slots", {})  # as a process started after the write
    # At once, without waiting for the build it starts: the previous snapshot's results.
    assert ids(ctx, "quokka") == ([], True)
    new = current_index(ctx, wait=None, previous=False)
    assert new is not None and new.version == ctx.store.version()
    assert ids(ctx, "quokka") == (["quokka-sampling"], False)


def _new_method(name: str) -> str:
    return (
        NEW_METHOD.replace("quokka-sampling", f"{name}-sampling")
        .replace("Quokka sampling", f"{name.title()} sampling")
        .replace("graph/quokka", f"graph/{name}")
    )


def test_a_process_whose_index_was_removed_since_answers_from_the_newest_on_disk(
    curated_copy: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web worker opened an index; other workers then wrote twice and built both indexes,
    which removes the one it has open. During the next write it answers at once from the
    newest index on disk, not 503 after waiting for the build."""
    ctx = curated_copy
    opened = current_index(ctx, wait=None)
    assert opened is not None
    this_worker = search_service._slots
    monkeypatch.setattr(search_service, "_slots", {})  # the other workers
    for name in ("quokka", "wombat"):
        ctx.store.update(_new_method(name), base_iri=ctx.settings.base_iri)
        assert current_index(ctx, wait=None, previous=False) is not None
    assert not opened.path.exists()
    ctx.store.update(_new_method("numbat"), base_iri=ctx.settings.base_iri)
    monkeypatch.setattr(search_service, "_slots", this_worker)
    assert ids(ctx, "quokka") == (["quokka-sampling"], True)
    assert ids(ctx, "numbat") == ([], True)
    new = current_index(ctx, wait=None, previous=False)
    assert new is not None and new.version == ctx.store.version()
    assert ids(ctx, "numbat") == (["numbat-sampling"], False)


def test_a_process_whose_layer_lost_its_full_index_does_not_answer_from_it(
    curated_copy: Context,
) -> None:
    """A web worker has a layer open (kg.search.update) whose full index other
    workers' builds have since removed: a thread of it that had not read the full index yet
    takes the newest usable index rather than failing on the missing file."""
    ctx = curated_copy
    client = _client(ctx)
    current_index(ctx, wait=None)
    _put(client, f"{ctx.settings.base_iri}graph/quokka", QUOKKA.replace("{label}", "Quokka"))
    opened = current_index(ctx, wait=None, previous=False)
    assert opened is not None and opened.base is not None
    opened.base.unlink()
    ctx.store.update(_new_method("numbat"), base_iri=ctx.settings.base_iri)
    found: list[tuple[list[str], bool]] = []
    thread = threading.Thread(target=lambda: found.append(ids(ctx, "quokka")))
    thread.start()
    thread.join()
    assert found == [(["quokka-sampling"], False)]
