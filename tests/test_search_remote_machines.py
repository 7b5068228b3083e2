"""Several machines serving one remote engine (issue 18, point 3): a write through one of
them leaves its change record on the engine, and every other machine updates its own
search index from it instead of building it anew; the index it makes holds what a full
build holds. A write's swap is conditional on the version it replaces, so concurrent
writers on several machines all land and a record describes exactly its write (a write
that lost a race says its change is not known); so does a SPARQL update, and the others
then build anew at once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.services.context import Context
from kg.services.loading import load_files
from kg.services.search import build_index, index_path
from kg.services.search_changes import read_record
from tests.backends import Backend
from tests.test_search_after_writes import _client, _found, _put
from tests.test_search_incremental import _content

REMOTE = ["oxigraph", "virtuoso"]
METHOD = """
@prefix kg: <https://w3id.org/rmkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{base}method/{slug}> a kg:Method ;
    skos:prefLabel "{label}"@en ;
    kg:field <{base}field/statistics> .
"""


def _method(base: str, slug: str, label: str) -> str:
    return METHOD.format(base=base, slug=slug, label=label)


@pytest.fixture(params=REMOTE)
def machines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Context]]:
    """Three machines (their own search directories) on one engine and base IRI, the curated
    catalogue loaded through the first."""
    server = request.getfixturevalue(f"{request.param}_server")
    assert isinstance(server, Backend)
    base = f"https://kg.test/{uuid.uuid4().hex[:12]}/"
    contexts = [
        Context.from_settings(server.settings(tmp_path / name, base_iri=base))
        for name in ("a", "b", "c")
    ]
    load_files(contexts[0], [Path(contexts[0].settings.data_dir)])
    yield contexts
    for ctx in contexts:
        ctx.store.close()


def _full_build_equals(ctx: Context, tmp_path: Path) -> None:
    """The machine's index of the current version holds what a full build of it holds."""
    from kg.search.build import build

    version = ctx.store.version()
    full = tmp_path / f"full-{uuid.uuid4().hex}.sqlite"
    build(
        full,
        version=version,
        base_iri=ctx.settings.base_iri,
        documents=ctx.store.select_rows(ctx.queries["search-documents"].bind(), languages=True),
        concepts=ctx.store.select_rows(ctx.queries["search-concepts"].bind(), languages=True),
    )
    assert _content(index_path(ctx, version)) == _content(full)


def test_another_machine_updates_its_index_from_the_record_on_the_engine(
    machines: list[Context], tmp_path: Path
) -> None:
    writer, reader, _ = machines
    # A machine reads the version at most once a second (METADATA_TTL); the reader here
    # asks for it fresh, as it would have it a second later.
    first = build_index(reader)
    assert first is not None and first.updated is None  # its first index: built
    before = reader.store.version(fresh=True)
    base = writer.settings.base_iri

    _put(_client(writer), f"{base}graph/quokka", _method(base, "quokka", "Quokka sampling"))
    after = reader.store.version(fresh=True)
    assert after != before
    record = read_record(reader, after)
    assert record is not None and record.before == before
    assert f"{base}method/quokka" in record.methods

    report = build_index(reader)
    assert report is not None and report.updated == 1, report
    assert _found(reader, "quokka") == {"quokka"}
    _full_build_equals(reader, tmp_path)


def test_writers_on_several_machines_all_land_and_each_record_is_its_write(
    machines: list[Context], tmp_path: Path
) -> None:
    one, reader, two = machines
    build_index(reader)
    base = one.settings.base_iri
    clients = {"one": _client(one), "two": _client(two)}
    rounds = 4

    failed: list[BaseException] = []

    def write(name: str) -> None:
        try:
            for number in range(rounds):
                slug = f"{name}-{number}"
                _put(clients[name], f"{base}graph/{slug}", _method(base, slug, f"Wallaby {slug}"))
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread
            failed.append(exc)

    threads = [threading.Thread(target=write, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed, failed

    # No write was lost. Each record describes exactly its write (one method); a write whose
    # prior read lost the race to another write says its change is not known instead.
    expected = {f"{name}-{n}" for name in clients for n in range(rounds)}
    version, recorded = reader.store.version(fresh=True), 0
    graphs = set(reader.store.named_graphs())
    assert {f"{base}graph/{slug}" for slug in expected} <= graphs
    while (record := read_record(reader, version)) is not None:
        assert len(record.methods) == 1
        assert record.methods <= {f"{base}method/{slug}" for slug in expected}
        recorded += 1
        version = record.before
    assert recorded <= 2 * rounds
    build_index(reader)
    assert _found(reader, "wallaby") == expected
    _full_build_equals(reader, tmp_path)


def test_a_sparql_update_tells_the_other_machines_to_build_anew(
    machines: list[Context], tmp_path: Path
) -> None:
    writer, reader, _ = machines
    build_index(reader)
    base = writer.settings.base_iri
    writer.store.update(
        f"INSERT DATA {{ GRAPH <{base}graph/x> {{ <{base}method/ddpm> "
        '<http://www.w3.org/2004/02/skos/core#altLabel> "Xylophone diffusion"@en } }'
    )
    version = reader.store.version(fresh=True)
    assert reader.store.record(version) == {}  # said: the change is not known
    assert read_record(reader, version) is None
    report = build_index(reader)
    assert report is not None and report.updated is None
    assert "ddpm" in _found(reader, "xylophone")
