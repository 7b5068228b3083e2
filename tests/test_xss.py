"""XSS: labels, summaries and IRIs carrying <script>, event handlers and javascript: IRIs
(tests/data/xss/xss.ttl) are shown as text on every page, in headless Chromium: no dialog
opens, no element has an event-handler attribute or a javascript: link, the hostile text is
visible as text, and every response carries the Content-Security-Policy. The summary is
Markdown with TeX math (rendered, sanitized, typeset by KaTeX): its payloads aim at the
renderer, the sanitizer and KaTeX too.
"""

from __future__ import annotations

import subprocess
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from kg.config import PROJECT_ROOT
from tests.browser import WAIT_MS, in_browser
from tests.served import KG, Served, kg_env, serve

pytestmark = pytest.mark.browser
XSS_DATA = PROJECT_ROOT / "tests" / "data" / "xss" / "xss.ttl"
METHOD = "https://w3id.org/rmkg/method/xss-method"
PAGES = [
    "",
    "?field=xss-field",
    "compare?m=xss-method&m=ddpm",
    "compare?m=xss-method&m=ddpm&lang=th",
    "compare?m=xss-method&m=ddpm&only=differing",
    "methods/xss-method",
    "methods/xss-method?lang=ja",
    "person/xss-person",
    "source/xss-source",
    "field/xss-field",
    "fields",
    "fields/xss-field",
    "families/machine-learning",
    "search?q=xss",
    "search?q=script",
    "search?q=alert",
    "dataset",
    "ontology",
    "queries",
    "queries/describe-resource?run=1&resource=" + urllib.parse.quote(METHOD),
    "queries/describe-resource?run=1&resource=" + urllib.parse.quote("javascript:alert('p')"),
    "queries/list-methods?run=1",
    "query?query=" + urllib.parse.quote("</script><script>alert('editor')</script>"),
    "query?name=describe-resource&resource=" + urllib.parse.quote("javascript:alert('q')"),
    "methods/" + urllib.parse.quote("<script>alert('404')</script>"),
    "compare?m=" + urllib.parse.quote("<img src=x onerror=alert('400')>") + "&m=ddpm",
    "compare?m=ddpm&m=lora&add=" + urllib.parse.quote("<script>alert('add')</script>"),
    "sparql?query=" + urllib.parse.quote("<script>alert('sparql')</script>"),
    "api/methods?q=" + urllib.parse.quote("<script>"),
    "search.json?q=" + urllib.parse.quote("<script>alert('json')</script>"),
    "method/xss-method.ttl",
    "method/xss-method.jsonld",
]
SHOWN_AS_TEXT = {
    "methods/xss-method": "<style>*{display:none}</style>",
    "": "<script>alert('label')</script>XSS method",
    "compare?m=xss-method&m=ddpm": "<img src=x onerror=alert('summary')>",
    "person/xss-person": "<script>alert('person')</script>",
    "dataset": "<img src=x onerror=alert('credit')>",
}
FIND_HOSTILE_DOM = """() => {
  const found = [];
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.trim().toLowerCase();
      if (name.startsWith('on')) found.push(element.tagName + ' ' + name);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name)
          && (value.startsWith('javascript:') || value.startsWith('data:text/html')))
        found.push(element.tagName + ' ' + name + '=' + value);
    }
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED'].includes(element.tagName) && !element.src
        && element.type !== 'application/json')
      found.push('inline ' + element.tagName + ': ' + element.textContent.slice(0, 80));
  }
  return found;
}"""


POKE_EVERYTHING = """() => {
  for (const element of document.querySelectorAll('body *'))
    for (const type of ['mouseover', 'focus', 'click'])
      if (type !== 'click' || element.tagName !== 'A') element.dispatchEvent(new Event(type));
}"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = tmp_path_factory.mktemp("xss") / "store"
    env = kg_env(store)
    data = PROJECT_ROOT / "data"
    subprocess.run([*KG, "load", str(data), str(XSS_DATA)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    with serve(store, load=False, rate_limit="0") as served:
        yield served


def test_no_script_runs_on_any_page(hostile_server: Served) -> None:
    def check(page: Any) -> None:
        dialogs: list[str] = []
        violations: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        for path in PAGES:
            response = page.goto(hostile_server.url + path)
            assert response is not None, path
            assert response.status in (200, 400, 404), (path, response.status)
            headers = response.headers
            policy = dict(
                d.strip().split(" ", 1) for d in headers["content-security-policy"].split(";")
            )
            assert policy["script-src"] == "'self'", path
            assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"], path
            page.wait_for_timeout(150)
            if response.headers.get("content-type", "").startswith("text/html"):
                assert page.evaluate(FIND_HOSTILE_DOM) == [], path
                page.evaluate(POKE_EVERYTHING)
            if path in SHOWN_AS_TEXT:
                assert SHOWN_AS_TEXT[path] in page.inner_text("body"), path
        assert dialogs == []
        # Our own pages need nothing the policy forbids (so it costs no feature).
        assert violations == [], violations[:5]

    in_browser(check)


def test_the_query_editor_works_under_the_policy(hostile_server: Served) -> None:
    """YASGUI loads, runs queries and shows results with the CSP on; on hostile results it
    shows the markup as text. (YASR's table hands cell values to DataTables, which parses
    them as HTML in a detached element to build its search index: an ``onerror`` there would
    run without the policy. The policy blocks it and says so on the console; nothing runs.)"""

    def run(page: Any, query: str) -> None:
        page.evaluate("(text) => { window.kgYasgui.getTab().setQuery(text); }", query)
        page.evaluate("() => { window.kgYasgui.getTab().query(); }")
        page.wait_for_selector(".yasr_response_chip", timeout=WAIT_MS)
        page.wait_for_timeout(500)

    def check(page: Any) -> None:
        dialogs: list[str] = []
        errors: list[str] = []
        violations: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(hostile_server.url + "query")
        page.wait_for_selector(".yasqe .CodeMirror", timeout=WAIT_MS)
        run(page, 'SELECT ?x WHERE { BIND("plain text" AS ?x) }')
        assert "plain text" in page.inner_text(".yasr")
        assert violations == [], violations[:3]  # the editor needs nothing the policy forbids
        run(page, (
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            f"SELECT ?label ?also WHERE {{ <{METHOD}> skos:prefLabel ?label ;"
            " <http://www.w3.org/2000/01/rdf-schema#seeAlso> ?also }"
        ))  # fmt: skip
        assert "alert('label')" in page.inner_text(".yasr")
        assert page.evaluate(FIND_HOSTILE_DOM) == []
        page.evaluate(POKE_EVERYTHING)
        assert dialogs == [] and errors == []
        assert all("inline event handler" in v for v in violations), violations[:3]

    in_browser(check)


MARKDOWN_STATE = """() => {
  const box = document.querySelector('.rich-text');
  return {
    bold: [...box.querySelectorAll('strong')].map((e) => e.textContent),
    links: [...box.querySelectorAll('a')].map((a) => a.getAttribute('href')),
    elements: [...new Set([...box.querySelectorAll('*')].filter((e) => !e.closest('math'))
      .map((e) => e.tagName.toLowerCase()))].sort(),
    typeset: box.querySelectorAll('.math math').length,
    mathLinks: box.querySelectorAll('math [href], math a').length,
    errors: [...box.querySelectorAll('.math-error')].map((e) => e.textContent),
    styled: box.querySelectorAll('[style]').length,
  };
}"""


@pytest.mark.parametrize("path", ["methods/xss-method", "compare?m=xss-method&m=ddpm"])
def test_markdown_summary_payloads_run_nothing(hostile_server: Served, path: str) -> None:
    """The hostile summary is Markdown with TeX: its raw HTML, javascript:/data: links and
    KaTeX's \\href, \\url, \\htmlId and \\includegraphics (trust stays false) give no
    dialog, no link out of http(s), no element beyond the allow-list, no policy violation."""

    def check(page: Any) -> None:
        dialogs: list[str] = []
        violations: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: violations.append(str(error)))
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        response = page.goto(hostile_server.url + path)
        assert response is not None and response.status == 200
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy
        page.wait_for_selector(".rich-text .math math", timeout=WAIT_MS)
        page.wait_for_timeout(200)
        state = page.evaluate(MARKDOWN_STATE)
        assert state["bold"] == ["bold"]
        assert state["links"] == []  # javascript:, data: and relative links are no links
        assert set(state["elements"]) <= {"p", "strong", "span", "div"}, state["elements"]
        assert state["typeset"] >= 4 and state["mathLinks"] == 0
        assert state["errors"] == ["\\alert{x}"]
        assert state["styled"] == 0
        assert page.evaluate(FIND_HOSTILE_DOM) == []
        page.evaluate(POKE_EVERYTHING)
        page.wait_for_timeout(150)
        text = page.inner_text(".rich-text")
        assert "<img src=x onerror=alert('summary')>" in text
        assert "[x](javascript:alert(1))" in text
        assert dialogs == []
        assert violations == [], violations[:5]

    in_browser(check)
