"""The query editor in headless Chromium: YASGUI loads, runs an example, shows a table
(each test drives its own Chromium in a thread of its own: ``tests.browser.in_browser``)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import ARTIFACTS, WAIT_MS, in_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_editor_runs_an_example_query(live_server: str) -> None:  # noqa: F811
    def check(page: Any) -> None:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server}query")
        page.wait_for_selector(".yasqe .CodeMirror", timeout=WAIT_MS)
        page.select_option("#example", "list-methods")
        editor_text = page.evaluate("window.kgYasgui.getTab().getQuery()")
        assert "#+ name: list-methods" in editor_text
        page.locator(".yasqe_queryButton").click()
        page.wait_for_selector(".yasr table tbody tr", timeout=WAIT_MS)
        assert page.locator(".yasr table tbody tr").count() >= 10
        assert "Denoising Diffusion" in page.locator(".yasr table").inner_text()
        page.screenshot(path=str(ARTIFACTS / "sparql-1-editor-results.png"), full_page=True)
        assert errors == []

    in_browser(check)


def test_open_the_query_from_the_comparison_lands_prefilled(live_server: str) -> None:  # noqa: F811
    def check(page: Any) -> None:
        page.goto(f"{live_server}compare?m=ddpm&m=lora&lang=en")
        page.get_by_role("link", name="Open the query").click()
        page.wait_for_url(re.compile(r"/query\?"))
        page.wait_for_selector(".yasqe .CodeMirror", timeout=WAIT_MS)
        text = page.evaluate("window.kgYasgui.getTab().getQuery()")
        assert "<https://w3id.org/rmkg/method/ddpm>" in text
        assert "<https://w3id.org/rmkg/method/lora>" in text
        page.locator(".yasqe_queryButton").click()
        page.wait_for_selector(".yasr table tbody tr", timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "sparql-2-open-the-query.png"), full_page=True)

    in_browser(check)
