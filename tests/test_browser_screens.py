"""Every page kind in headless Chromium, in English, Thai and Japanese, on a desktop (1280
px) and a phone (390 px): the document never scrolls sideways, the console stays free of
errors, and a screenshot of each is kept under ``test-artifacts/screens/``.

The service runs on the curated catalogue, the issue 15 fixture (AI systems, data sets,
organisations, venues) and a Papers with Code import of two methods (GELU, Adam: a licensed
source with its provenance graph).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from kg.config import PROJECT_ROOT
from tests.browser import ARTIFACTS, WAIT_MS, in_browser
from tests.served import KG, kg_env, serve

pytestmark = pytest.mark.browser

SCREENS = ARTIFACTS.parent / "screens"  # beside browser/, which its session fixture empties
FIXTURES = [PROJECT_ROOT / "data", PROJECT_ROOT / "tests" / "data" / "issue15"]
PWC_SAMPLE = PROJECT_ROOT / "tests" / "data" / "front" / "pwc-two-methods.json"
EIGHT = ["transfer-learning-with-diffusion-models", "fine-tuned-diffusion-model", "ddpm", "lora",
         "dreambooth", "latent-diffusion-model", "textual-inversion",
         "self-supervised-diffusion-model"]  # fmt: skip
PAGES = {
    "home": "",
    "search": "search?q=diffusion",
    "fields": "fields",
    "field": "fields/deep-learning",
    "families": "families",
    "systems": "systems",
    "system": "systems/dit-xl-2",
    "datasets": "datasets",
    "data-set": "datasets/pwc-methods-2025-03",
    "organizations": "organizations",
    "organization": "organizations/runway",
    "venues": "venues",
    "venue": "venues/neurips",
    "method": "methods/ddpm",
    "method-pwc": "methods/gelu",
    "compare": "compare?" + "&".join(f"m={m}" for m in EIGHT),
    "person": "person/jonathan-ho",
    "source": "source/ho-2020-ddpm",
    "concept-rdf": "field/deep-learning",
    "dataset": "dataset",
    "ontology": "ontology",
    "queries": "queries",
    "canned-query": "queries/most-used-methods?run=1",
    "query-editor": "query?name=method-rows&method=https://w3id.org/rmkg/method/ddpm",
    "not-found": "no-such-page",
}
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def screens_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("screens") / "store"
    env = kg_env(store)
    subprocess.run([*KG, "load", *map(str, FIXTURES)], env=env, check=True, capture_output=True)
    subprocess.run([*KG, "import", str(PWC_SAMPLE)], env=env, check=True, capture_output=True)
    with serve(store, load=False) as served:
        yield served.url


def listen(page: Any, errors: list[str]) -> None:
    """Collect the page's console errors and uncaught exceptions into ``errors``."""
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def _visit(page: Any, url: str, errors: list[str]) -> None:
    errors.clear()
    page.goto(url, wait_until="load")
    if "/query" in url:  # the editor draws itself after load
        page.wait_for_selector(".yasqe .CodeMirror", timeout=WAIT_MS)


@pytest.mark.parametrize("lang", ["en", "th", "ja"])
def test_every_page_fits_the_screen_without_console_errors(screens_server: str, lang: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    in_browser(lambda page: _every_page(page, screens_server, lang, problems))
    assert not problems, "\n".join(problems)


def _every_page(page: Any, screens_server: str, lang: str, problems: list[str]) -> None:
    """One browser page, resized for each device, visits every page kind."""
    errors: list[str] = []
    listen(page, errors)
    for device, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in PAGES.items():
            separator = "&" if "?" in path else "?"
            _visit(page, f"{screens_server}{path}{separator}lang={lang}", errors)
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                problems.append(f"{name} {device}: the document is {scroll} px wide in {inner}")
            # A 404 page logs its own status in the console; nothing else may.
            real = [e for e in errors if not (name == "not-found" and "404" in e)]
            if real:
                problems.append(f"{name} {device}: console errors {real}")
            page.screenshot(path=str(SCREENS / f"{name}-{lang}-{device}.png"))


def test_the_comparison_prints_on_a4_landscape_without_navigation(screens_server: str) -> None:
    in_browser(lambda page: _prints(page, screens_server))


def _prints(page: Any, screens_server: str) -> None:
    page.goto(f"{screens_server}compare?m=ddpm&m=lora&m=dreambooth&lang=ja")
    page.emulate_media(media="print")
    assert page.locator("header.site nav.site-nav").is_hidden()
    assert page.locator("table.compare").is_visible()
    assert page.locator("details.prov").first.is_hidden()
    SCREENS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(SCREENS / "compare-print-ja.pdf"), prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    # A4 landscape: 842 x 595 points (the page's own size, from the print stylesheet)
    assert b"/MediaBox [0 0 841.91998 595.91998]" in pdf or b"841.9" in pdf


def test_dark_mode_and_keyboard(screens_server: str) -> None:
    in_browser(lambda page: _dark_and_keyboard(page, screens_server))


def _dark_and_keyboard(page: Any, screens_server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.goto(f"{screens_server}methods/gelu?lang=th")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    page.keyboard.press("Tab")  # the skip link comes first and shows itself
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    marker = page.locator("details.prov > summary").first
    marker.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus visible
    page.keyboard.press("Enter")  # a <details>: opened from the keyboard, no script needed
    assert page.locator("details.prov").first.get_attribute("open") is not None
    assert page.locator("details.prov ul.prov-list").first.is_visible()
    page.screenshot(path=str(SCREENS / "method-pwc-th-dark-provenance.png"), full_page=True)


def test_query_editor_results_link_to_local_pages(screens_server: str) -> None:
    in_browser(lambda page: _editor_links(page, screens_server))


def _editor_links(page: Any, screens_server: str) -> None:
    page.goto(f"{screens_server}query?name=most-used-methods")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=WAIT_MS)
    page.locator(".yasqe_queryButton").click()
    page.wait_for_selector(".yasr table.dataTable a.iri", timeout=WAIT_MS)
    hrefs = page.eval_on_selector_all(".yasr a.iri", "els => els.map(e => e.getAttribute('href'))")
    ours = [h for h in hrefs if h.startswith("/")]
    assert "/methods/dropout" in ours
    assert not [h for h in hrefs if h.startswith("https://w3id.org/")]
    page.screenshot(path=str(SCREENS / "query-editor-results.png"))
