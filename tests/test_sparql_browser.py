"""The query editor in headless Chromium: YASGUI loads, runs an example, shows a table.

Playwright's sync API allows one instance per thread, and tests/browser.py's session
fixture may already hold the main thread's; so these tests drive their own Chromium in a
thread of their own.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def _in_browser(test: Callable[[Any], None]) -> None:
    """Run ``test(page)`` with a fresh headless Chromium page, in a thread of its own."""
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
                    test(browser.new_page(viewport={"width": 1280, "height": 1000}))
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def test_editor_runs_an_example_query(live_server: str) -> None:  # noqa: F811
    def check(page: Any) -> None:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server}query")
        page.wait_for_selector(".yasqe .CodeMirror", timeout=10000)
        page.select_option("#example", "list-methods")
        editor_text = page.evaluate("window.kgYasgui.getTab().getQuery()")
        assert "#+ name: list-methods" in editor_text
        page.locator(".yasqe_queryButton").click()
        page.wait_for_selector(".yasr table tbody tr", timeout=15000)
        assert page.locator(".yasr table tbody tr").count() >= 10
        assert "Denoising Diffusion" in page.locator(".yasr table").inner_text()
        page.screenshot(path=str(ARTIFACTS / "sparql-1-editor-results.png"), full_page=True)
        assert errors == []

    _in_browser(check)


def test_open_the_query_from_the_comparison_lands_prefilled(live_server: str) -> None:  # noqa: F811
    def check(page: Any) -> None:
        page.goto(f"{live_server}compare?m=ddpm&m=lora&lang=en")
        page.get_by_role("link", name="Open the query").click()
        page.wait_for_url(re.compile(r"/query\?"))
        page.wait_for_selector(".yasqe .CodeMirror", timeout=10000)
        text = page.evaluate("window.kgYasgui.getTab().getQuery()")
        assert "<https://w3id.org/rmkg/method/ddpm>" in text
        assert "<https://w3id.org/rmkg/method/lora>" in text
        page.locator(".yasqe_queryButton").click()
        page.wait_for_selector(".yasr table tbody tr", timeout=15000)
        page.screenshot(path=str(ARTIFACTS / "sparql-2-open-the-query.png"), full_page=True)

    _in_browser(check)
