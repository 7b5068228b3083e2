"""A researcher's path through the site in headless Chromium, without typing a URL after the
home page: switch to Japanese, search "拡散", tick two results, compare them, open a value's
provenance, look at the related graph, open the query behind the table and run it, follow a
result IRI to its page here, come back and download the comparison's BibTeX."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import ARTIFACTS, in_browser, live_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"walkthrough-{name}.png"), full_page=True)


def _in_view(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height


def test_a_researcher_walks_from_search_to_citations(live_server: str) -> None:  # noqa: F811
    def walk(page: Any) -> None:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live_server)  # the only address typed

        # Japanese, from the header's language switch
        page.locator("nav.languages").get_by_role("link", name="日本語").click()
        page.wait_for_function("document.documentElement.lang === 'ja'")
        _shot(page, "1-home-ja")

        # search "拡散" from the home page's box
        page.locator("form.search input[name=q]").fill("拡散")
        page.locator("form.search button[type=submit]").click()
        page.wait_for_url(re.compile(r"/search\?"))
        picks = page.locator("form.pick input[type=checkbox][name=m]")
        assert picks.count() >= 2
        assert "拡散" in page.locator("section.results").inner_text()

        # tick two results; the Compare button is in view without scrolling past the list
        picks.nth(0).check()
        picks.nth(1).check()
        chosen = [picks.nth(i).get_attribute("value") for i in (0, 1)]
        button = page.locator("form.pick .compare-bar button[type=submit]")
        assert _in_view(page, button)
        _shot(page, "2-search-ticked")
        button.click()
        page.wait_for_url(re.compile(r"/compare\?"))
        assert page.locator("table.compare thead th.method").count() == 2
        assert all(f"m={m}" in page.url for m in chosen)

        # a value's provenance: the named graph and its licence
        marker = page.locator("table.compare details.prov").first
        marker.locator("summary").click()
        sources = marker.locator(".prov-list")
        sources.wait_for(state="visible")
        shown = sources.inner_text()
        assert marker.locator(".prov-list code").count() >= 1  # the graph's name
        assert "グラフ" in shown and "ライセンス" in shown
        assert sources.locator("a[rel=license]").count() >= 1
        _shot(page, "3-provenance")

        # the related graph: Cytoscape.js draws it, its list of links is the text alternative
        graph = page.locator("section.method-graph")
        graph.scroll_into_view_if_needed()
        assert graph.locator(".graph-edges li").count() >= 1
        page.wait_for_selector("section.method-graph .graph-canvas canvas", timeout=15000)
        assert graph.locator(".graph-canvas").is_visible()
        _shot(page, "4-related-graph")

        # the query behind the table, in the editor with the methods bound; run it
        page.locator("a.open-query, main a[href^='/query?']").first.click()
        page.wait_for_url(re.compile(r"/query\?"))
        page.wait_for_selector(".yasqe .CodeMirror", timeout=15000)
        text = page.evaluate("window.kgYasgui.getTab().getQuery()")
        assert "#+ name: method-rows" in text
        assert all(f"<https://w3id.org/rmkg/method/{m}>" in text for m in chosen)
        page.locator(".yasqe_queryButton").click()
        page.wait_for_selector(".yasr table tbody tr", timeout=20000)
        assert page.locator(".yasr table tbody tr").count() >= 2
        _shot(page, "5-query-results")

        # a result IRI opens its page on this site
        local = page.locator(".yasr table tbody a[href^='/methods/']").first
        target = local.get_attribute("href")
        local.click(position={"x": 12, "y": 8})  # its start: the cell cuts the rest (…)
        page.wait_for_url(re.compile(re.escape(target) + r"$"))
        assert page.url.startswith(live_server)
        assert page.locator("main h1").inner_text().strip()
        _shot(page, "6-local-page")

        # back to the comparison (the browser's Back button) and its BibTeX
        for _ in range(6):
            if "/compare?" in page.url:
                break
            page.go_back()
        assert "/compare?" in page.url
        with page.expect_download() as download_info:
            page.locator("a[href^='/compare/citations.bib']").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".bib")
        saved = ARTIFACTS / "walkthrough-7-comparison.bib"
        download.save_as(str(saved))
        body = saved.read_text(encoding="utf-8")
        assert re.search(r"^@[a-z]+\{[^,]+,", body, re.M)
        assert body.count("@") >= 1 and "title" in body
        assert errors == []

    in_browser(walk)


def test_a_phone_folds_the_header_and_keeps_the_lists_usable(live_server: str) -> None:  # noqa: F811
    def walk(page: Any) -> None:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server}?lang=en")
        header = page.locator("header.site")
        editor = header.locator("li.narrow a[href='/query']")
        assert not header.locator("li.wide a[href='/query']").is_visible()
        assert editor.count() == 1 and not editor.is_visible()  # folded away
        header.locator("li.narrow summary").click()
        assert editor.is_visible()
        box = header.locator("li.narrow ul").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        _shot(page, "8-phone-header-menu")
        header.locator("li.narrow summary").click()
        assert not editor.is_visible()
        # the list's sort and filter form, used at 390 px without scrolling sideways
        page.locator("form.list-controls input[name=text]").fill("diffusion")
        page.locator("form.list-controls select[name=sort]").select_option("newest")
        page.locator("form.list-controls button[type=submit]").click()
        page.wait_for_url(re.compile(r"sort=newest"))
        years = [
            int(y)
            for y in page.locator("table.listing tbody td:nth-child(4)").all_inner_texts()
            if y
        ]
        assert years and years == sorted(years, reverse=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # ticking a box far down the list, the Compare button stays in view (sticky)
        picks = page.locator("#compare-pick input[name=m]")
        picks.nth(0).check()
        picks.last.scroll_into_view_if_needed()
        picks.last.check()
        assert _in_view(page, page.locator("#compare-pick .compare-bar button"))
        _shot(page, "9-phone-home-filtered")

    in_browser(walk)
