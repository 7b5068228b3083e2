"""Fixtures for browser tests: the real service (gunicorn) and headless Debian Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.config import PROJECT_ROOT
from tests.served import serve

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 120_000
"""Milliseconds a page may take to show what a test waits for (Playwright's waits; its
default is 30 s): generous, as a busy machine renders slowly, and only a page that never
shows it takes longer."""
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kg serve` (gunicorn) on 127.0.0.1 over a freshly loaded catalogue; stopped after."""
    with serve(tmp_path_factory.mktemp("live") / "store") as served:
        yield served.url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (scripts/install-system-packages.sh installs it)")
        pytest.skip(f"{CHROMIUM} is absent: run scripts/install-system-packages.sh")
    from playwright.sync_api import sync_playwright

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def in_browser(test: Callable[[Any], None], *, bypass_csp: bool = False) -> None:
    """Run ``test(page)`` with a fresh headless Chromium page in a thread of its own
    (Playwright's sync API allows one instance per thread; the session fixture above may
    hold the main thread's). ``bypass_csp``: the page may take a script tag the test adds
    (axe-core in tests/test_accessibility.py)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (scripts/install-system-packages.sh installs it)")
        pytest.skip(f"{CHROMIUM} is absent: run scripts/install-system-packages.sh")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    viewport = {"width": 1280, "height": 1000}
                    page = browser.new_page(viewport=viewport, bypass_csp=bypass_csp)
                    page.set_default_timeout(WAIT_MS)
                    test(page)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
