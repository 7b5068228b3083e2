"""Shared fixtures: settings on a temporary store, the services' context, the Flask app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.config import PROJECT_ROOT, Settings
from kg.services.context import Context
from kg.services.loading import load_files

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


@pytest.fixture(scope="session")
def app(catalogue_ctx: Context) -> Flask:
    from kg.web import create_app

    application = create_app(catalogue_ctx.settings, context=catalogue_ctx)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
