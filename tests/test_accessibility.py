"""Accessibility, measured: axe-core (from npm, node_modules/axe-core) on every page kind of
tests/test_browser_screens.py, in English, Thai and Japanese, on a desktop and a 390 px
phone: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest

from kg.config import PROJECT_ROOT
from tests.browser import WAIT_MS, in_browser
from tests.test_browser_screens import PAGES, WIDTHS, screens_server  # noqa: F401

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = {"serious", "critical"}
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.mark.parametrize("lang", ["en", "th", "ja"])
def test_no_serious_or_critical_violations(
    screens_server: str,  # noqa: F811
    lang: str,
) -> None:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `npm ci` (or `make install`)")
    problems: list[str] = []
    in_browser(lambda page: _every_page(page, screens_server, lang, problems), bypass_csp=True)
    assert not problems, "\n".join(problems)


def _every_page(page: Any, base: str, lang: str, problems: list[str]) -> None:
    for device, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in PAGES.items():
            separator = "&" if "?" in path else "?"
            page.goto(f"{base}{path}{separator}lang={lang}", wait_until="load")
            if "/query" in page.url:  # the editor draws itself after load
                page.wait_for_selector(".yasqe .CodeMirror", timeout=WAIT_MS)
            page.add_script_tag(path=str(AXE))
            for v in page.evaluate(RUN):
                if v["impact"] in SEVERE:
                    problems.append(
                        f"{name} {lang} {device}: {v['id']} ({v['impact']}) {v['targets']}"
                    )
