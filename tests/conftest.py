"""Shared fixtures: settings on a temporary store, the services' context, the Flask app."""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.config import PROJECT_ROOT, Settings
from kg.services.context import Context
from kg.services.default_catalogue import DefaultReport
from kg.services.imports import ImportReport, import_files
from kg.services.loading import load_files
from tests.backends import (
    BACKENDS,
    Backend,
    BackendMissing,
    skip_or_fail,
    start_oxigraph,
    start_virtuoso,
)
from tests.stores import copy_store, open_copy

SHARED = PROJECT_ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test when absent, fails it in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing, and CI must run every test")
        pytest.skip(f"{path} is absent (the shared folder sits beside the checkout)")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, store=str(tmp_path / "store"))


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Context]:
    context = Context.from_settings(settings)
    yield context
    context.store.close()


@pytest.fixture
def vocab_ctx(ctx: Context) -> Context:
    """A store with the ontology and the concept schemes (fields, families), no methods."""
    load_files(ctx, [Path(ctx.settings.data_dir) / "concepts.ttl"])
    return ctx


@pytest.fixture(scope="session")
def catalogue_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    """The curated catalogue (ontology + data/), loaded once for the session. Read-only!

    No rate limit: every test of the session is one client (127.0.0.1) of the same app;
    tests/test_web_hardening.py checks the limit on an app of its own."""
    store_dir = tmp_path_factory.mktemp("catalogue") / "store"
    context = Context.from_settings(Settings.from_env({}, store=str(store_dir), rate_limit=0))
    load_files(context, [Path(context.settings.data_dir)])
    yield context
    context.store.close()


STAGED_SOURCES = 2
"""The default catalogue's build is copied aside after its first two sources (Papers with
Code, then Epoch AI): the store that tests of those two real files read."""


@pytest.fixture(scope="session")
def default_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Context, DefaultReport, Path]]:
    """The default catalogue (``kg load`` without arguments: the curated files and the
    shipped sources), built once for the session, with the build's report, and a copy of the
    store as it stood after the first ``STAGED_SOURCES`` imports (absent when the build
    imported fewer)."""
    from kg.services.default_catalogue import build_default

    root = tmp_path_factory.mktemp("default")
    store_dir, staged = root / "store", root / "staged"
    context = Context.from_settings(Settings.from_env({}, store=str(store_dir), rate_limit=0))
    started = 0

    def progress(message: str) -> None:
        nonlocal started
        if message.startswith("importing "):  # said before each source's import
            if started == STAGED_SOURCES:
                copy_store(store_dir, staged)
            started += 1

    report = build_default(context, progress)
    yield context, report, staged
    context.store.close()


@pytest.fixture(scope="session")
def default_catalogue(
    default_build: tuple[Context, DefaultReport, Path],
) -> tuple[Context, DefaultReport]:
    """The default catalogue and its build's report. Read-only, but for re-imports that
    leave it as it was."""
    context, report, _ = default_build
    return context, report


@dataclass(frozen=True)
class RealImports:
    """The curated catalogue, then ../shared/data's Papers with Code file and Epoch AI file
    imported in that order: the store (read it through a copy, ``tests.stores.open_copy``)
    and the report of each import."""

    store: Path
    pwc: ImportReport
    epoch: ImportReport


REAL_FILES = ("pwc_methods_2025-03.json", "epoch_all_ai_models_2025-04.csv")


@pytest.fixture(scope="session")
def real_imports(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RealImports:
    """Built once: taken from the default catalogue's build when data/external/ ships the
    same files as ../shared/data (that build imports them first, in this order, into the
    curated catalogue), imported here otherwise."""
    pwc, epoch = (shared_path("data", name) for name in REAL_FILES)
    shipped = PROJECT_ROOT / "data" / "external"
    if all((shipped / p.name).is_file() and filecmp.cmp(shipped / p.name, p, shallow=False)
           for p in (pwc, epoch)):  # fmt: skip
        _, report, staged = request.getfixturevalue("default_build")
        names = [source.path.name for source in report.sources[:STAGED_SOURCES]]
        if staged.is_dir() and names == list(REAL_FILES):
            return RealImports(staged, report.sources[0].report, report.sources[1].report)
    store = tmp_path_factory.mktemp("real-imports") / "store"
    ctx = Context.from_settings(Settings.from_env({}, store=str(store)))
    load_files(ctx, [Path(ctx.settings.data_dir)])
    first = import_files(ctx, [pwc], format="pwc")
    second = import_files(ctx, [epoch], format="epoch")
    ctx.store.close()
    return RealImports(store, first, second)


@pytest.fixture
def curated_copy(catalogue_ctx: Context, tmp_path: Path) -> Iterator[Context]:
    """A store of the test's own holding the curated catalogue (a copy of the session's, so
    nothing is loaded again): for tests that write."""
    context = open_copy(Path(catalogue_ctx.settings.store), tmp_path / "store")
    yield context
    context.store.close()


@pytest.fixture(scope="session")
def app(catalogue_ctx: Context) -> Flask:
    from kg.web import create_app

    application = create_app(catalogue_ctx.settings, context=catalogue_ctx)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- the store backends (tests/backends.py) ----------------------------------------------------


@contextmanager
def _server_directory(name: str) -> Iterator[Path]:
    """A directory of its own for a server's database, outside pytest's numbered temporary
    directories: other pytest sessions on the machine remove those (all but the newest
    three), and a server must keep its files for the whole session."""
    directory = Path(tempfile.mkdtemp(prefix=f"kg-{name}-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[Backend]:
    with _server_directory("oxigraph") as directory:
        try:
            backend = start_oxigraph(directory)
        except BackendMissing as exc:
            skip_or_fail(exc)
        yield backend
        backend.stop()


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[Backend]:
    with _server_directory("virtuoso") as directory:
        try:
            backend = start_virtuoso(directory)
        except BackendMissing as exc:
            skip_or_fail(exc)
        yield backend
        backend.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each store backend in turn; servers start on first use, once per session."""
    if request.param == "embedded":
        return Backend("embedded")
    server = request.getfixturevalue(f"{request.param}_server")
    assert isinstance(server, Backend)
    return server


@pytest.fixture
def store_ctx(backend: Backend, tmp_path: Path) -> Iterator[Context]:
    """An empty store of its own on each backend (on a server: its own base IRI)."""
    context = Context.from_settings(backend.settings(tmp_path))
    yield context
    context.store.close()


@pytest.fixture(scope="session")
def backend_catalogue(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Context:
    """The curated catalogue loaded into each backend, with the standard base IRI. Read-only!"""
    settings = backend.settings(
        tmp_path_factory.mktemp(f"catalogue-{backend.name}"), base_iri=Settings().base_iri
    )
    context = Context.from_settings(settings)
    load_files(context, [Path(context.settings.data_dir)])
    return context
