"""Markdown summaries in headless Chromium: KaTeX (served from node_modules) typesets the
math as MathML under the pages' Content-Security-Policy, with no console error and no
policy violation; TeX it cannot parse, and every formula without JavaScript, stays
visible as its source (tests/data/markdown/markdown.ttl)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from kg.config import PROJECT_ROOT
from tests.browser import ARTIFACTS, WAIT_MS, in_browser
from tests.served import KG, Served, kg_env, serve

pytestmark = pytest.mark.browser
MARKDOWN_DATA = PROJECT_ROOT / "tests" / "data" / "markdown" / "markdown.ttl"
METHOD_PAGE = "methods/markdown-method?lang=en"
COMPARE_PAGE = "compare?m=markdown-method&m=ddpm&lang=en"
FORMULAS = 7  # five typeset, two that KaTeX cannot parse
MATH_STATE = """() => [...document.querySelectorAll('.rich-text .math')].map((element) => ({
  classes: element.className,
  typeset: element.querySelector('math') !== null,
  tex: element.querySelector('annotation') ? element.querySelector('annotation').textContent
                                            : element.textContent,
  styled: element.querySelectorAll('[style]').length,
}))"""


@pytest.fixture(scope="module")
def markdown_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = tmp_path_factory.mktemp("markdown") / "store"
    env = kg_env(store)
    subprocess.run([*KG, "load", str(PROJECT_ROOT / "data"), str(MARKDOWN_DATA)], env=env,
                   check=True, capture_output=True)  # fmt: skip
    with serve(store, load=False, rate_limit="0") as served:
        yield served


def _watch(page: Any) -> list[str]:
    """Console errors, uncaught exceptions and policy violations of ``page``."""
    problems: list[str] = []

    def console(message: Any) -> None:
        where = str(message.location.get("url", ""))
        if where.endswith("/favicon.ico"):
            return  # the site has no icon; browsers ask for one anyway
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(f"{message.text} ({where})")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_katex_typesets_the_math_of_a_summary(markdown_server: Served) -> None:
    def check(page: Any) -> None:
        problems = _watch(page)
        response = page.goto(markdown_server.url + METHOD_PAGE)
        assert response is not None and response.status == 200
        policy = response.headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "script-src 'self'" in policy
        page.wait_for_selector(".rich-text .math math", timeout=WAIT_MS)
        page.wait_for_timeout(300)
        state = page.evaluate(MATH_STATE)
        assert len(state) == FORMULAS
        assert [s["typeset"] for s in state] == [True] * (FORMULAS - 2) + [False, False]
        assert [s["tex"] for s in state][:3] == ["x_1", "x_2", "y_{1} = x_{1} + F(x_{2})"]
        assert all(s["styled"] == 0 for s in state)  # MathML: nothing the policy forbids
        display = [s for s in state if "display" in s["classes"]]
        assert len(display) == 1 and display[0]["typeset"]
        assert page.locator(".rich-text .math.display math[display='block']").count() == 1
        # an unknown command and a parse error: the source stays, marked (KaTeX's own error
        # display would set a style attribute, which the policy blocks)
        assert [(s["tex"], "math-error" in s["classes"]) for s in state[-2:]] == [
            ("\\notamacro{x}", True),
            ("\\frac{a", True),
        ]
        assert "\\notamacro{x} and \\frac{a." in page.inner_text(".rich-text")
        assert page.locator(".rich-text strong").first.inner_text() == (
            "Reversible Residual Network"
        )
        links = page.eval_on_selector_all(
            ".rich-text a", "(links) => links.map((a) => [a.textContent, a.href, a.rel])"
        )
        assert links == [
            ["ResNet", "https://paperswithcode.com/method/resnet", "noopener nofollow"]
        ]
        assert "Transformer" in page.inner_text(".rich-text")  # its relative link dropped
        page.screenshot(path=str(ARTIFACTS / "math-method-page.png"), full_page=True)
        assert problems == [], problems[:5]

        page.goto(markdown_server.url + COMPARE_PAGE)
        page.wait_for_selector("table.compare .rich-text .math math", timeout=WAIT_MS)
        assert page.locator("table.compare .rich-text .math math").count() == FORMULAS - 2
        page.screenshot(path=str(ARTIFACTS / "math-compare-page.png"), full_page=True)
        assert problems == [], problems[:5]

    in_browser(check)


def test_without_javascript_the_tex_source_stays(markdown_server: Served) -> None:
    def check(page: Any) -> None:
        context = page.context.browser.new_context(java_script_enabled=False)
        try:
            quiet = context.new_page()
            quiet.goto(markdown_server.url + METHOD_PAGE)
            texts = quiet.locator(".rich-text .math").all_inner_texts()
            assert texts[:3] == ["x_1", "x_2", "y_{1} = x_{1} + F(x_{2})"]
            assert quiet.locator(".rich-text math").count() == 0
        finally:
            context.close()

    in_browser(check)
