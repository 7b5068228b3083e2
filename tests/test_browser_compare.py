"""The comparison page in headless Chromium, as a reader uses it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import ARTIFACTS, WAIT_MS, browser, live_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

TLDM = "transfer-learning-with-diffusion-models"
FTDM = "fine-tuned-diffusion-model"


def test_remove_add_toggle_and_switch_language(browser: Any, live_server: str) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{live_server}compare?m={TLDM}&m={FTDM}&m=ddpm&lang=en")
    assert page.locator("table.compare thead th.method").count() == 3
    page.screenshot(path=str(ARTIFACTS / "1-three-methods.png"), full_page=True)

    page.get_by_role("link", name=re.compile(r"Remove DDPM|Remove Denoising")).click()
    page.wait_for_url(re.compile(r"/compare\?m=[^&]+&m=[^&]+$"))
    assert page.locator("table.compare thead th.method").count() == 2

    box = page.get_by_label("Add a method")
    box.press_sequentially("LoR", delay=50)
    page.wait_for_function(
        "document.querySelectorAll('#add-method-options option').length > 0", timeout=WAIT_MS
    )
    suggestion = page.locator("#add-method-options option").first.get_attribute("value")
    assert suggestion == "Low-Rank Adaptation"  # found through its alias LoRA
    box.fill(suggestion)
    box.press("Enter")
    page.wait_for_url(re.compile(r"m=lora"))
    assert page.locator("table.compare thead th.method").count() == 3
    page.screenshot(path=str(ARTIFACTS / "2-added-lora.png"), full_page=True)

    rows_before = page.locator("table.compare tbody tr").count()
    page.get_by_role("link", name="Show only differing rows").click()
    page.wait_for_url(re.compile(r"only=differing"))
    differing = page.locator("table.compare tbody tr.differs").count()
    assert page.locator("table.compare tbody tr").count() == differing < rows_before
    page.screenshot(path=str(ARTIFACTS / "3-only-differing.png"), full_page=True)

    page.get_by_role("link", name="ไทย").click()
    page.wait_for_url(re.compile(r"lang=th"))
    assert page.locator("h1").inner_text() == "เปรียบเทียบวิธี"
    assert page.locator("html").get_attribute("lang") == "th"
    page.screenshot(path=str(ARTIFACTS / "4-thai.png"), full_page=True)


def test_narrow_screen_keeps_row_labels_in_view(browser: Any, live_server: str) -> None:  # noqa: F811
    ids = [TLDM, FTDM, "ddpm", "lora", "dreambooth", "latent-diffusion-model", "textual-inversion",
           "self-supervised-diffusion-model"]  # fmt: skip
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{live_server}compare?" + "&".join(f"m={i}" for i in ids) + "&lang=ja")
    assert page.locator("table.compare thead th.method").count() == 8
    region = page.locator(".table-scroll")
    region.evaluate("el => el.scrollLeft = 2000")
    label = page.locator("table.compare tbody th[scope=row]").first
    box = label.bounding_box()
    assert box is not None and box["x"] < 40  # sticky: still at the left edge
    page.screenshot(path=str(ARTIFACTS / "5-eight-columns-narrow.png"), full_page=False)
