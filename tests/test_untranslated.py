"""No UI string stays English in Thai or Japanese.

1. The catalogues have no empty or fuzzy translation, and every message the templates,
   the views (Babel's extraction, as ``pybabel extract`` runs it) and the query library's
   headers (``kg.web.query_messages``) use is translated.
2. Every page kind, rendered in th and ja, shows no catalogue msgid as it is: visible text
   outside data values (which carry their own ``lang`` when they fall back to another
   language), code and the query text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from kg.config import PROJECT_ROOT, Settings
from kg.services.context import Context
from kg.services.imports import import_files
from kg.services.loading import load_files
from kg.web.query_messages import extract_query_headers
from tests.test_browser_screens import PAGES, PWC_SAMPLE

WEB = PROJECT_ROOT / "src" / "kg" / "web"
LANGS = ["th", "ja"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def catalogue(lang: str) -> Catalog:
    with (WEB / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def msgid(message: object) -> str:
    return message[0] if isinstance(message, tuple | list) else str(message)


def used_messages() -> set[str]:
    methods = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
    found = {msgid(m) for _, _, m, _, _ in extract_from_dir(str(WEB), methods)}
    queries = [("*.rq", extract_query_headers)]
    found |= {
        msgid(m) for _, _, m, _, _ in extract_from_dir(str(PROJECT_ROOT / "queries"), queries)
    }
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_the_catalogue_has_no_empty_or_fuzzy_entry(lang: str) -> None:
    entries = [m for m in catalogue(lang) if m.id]
    assert [
        m.id for m in entries if not m.string or (isinstance(m.string, tuple) and not all(m.string))
    ] == []
    assert [m.id for m in entries if m.fuzzy] == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_used_message_and_query_text_is_translated(lang: str) -> None:
    translated = {msgid(m.id) for m in catalogue(lang) if m.id and m.string}
    used = used_messages()
    assert len(used) > 300  # UI strings, query summaries and parameter hints
    assert sorted(used - translated) == []


def test_query_texts_are_extracted_from_the_headers() -> None:
    methods = [("*.rq", extract_query_headers)]
    found = extract_from_dir(str(PROJECT_ROOT / "queries"), methods)
    texts = {msgid(m) for _, _, m, _, _ in found}
    assert "the methods to show" in texts  # a parameter hint of method-rows.rq
    assert any(t.startswith("Every displayed property value") for t in texts)


# --- rendered pages ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    from kg.web import create_app

    store = tmp_path_factory.mktemp("front") / "store"
    ctx = Context.from_settings(Settings.from_env({}, store=str(store), rate_limit=0))
    load_files(ctx, [Path(ctx.settings.data_dir), PROJECT_ROOT / "tests" / "data" / "issue15"])
    import_files(ctx, [PWC_SAMPLE])
    app = create_app(ctx.settings, context=ctx)
    app.config["TESTING"] = True
    yield app.test_client()
    ctx.store.close()


class VisibleText(HTMLParser):
    """Text nodes a reader sees as UI: not in <script>, <style>, <code>, <pre>, <textarea>,
    nor inside an element marked as another language than the page's (data values)."""

    SKIP = {"script", "style", "code", "pre", "textarea", "datalist", "option"}
    VOID = {"br", "img", "input", "link", "meta", "hr", "wbr", "source", "col", "area", "base"}

    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[bool] = []
        self.texts: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("title", "aria-label", "placeholder"):
            if values.get(name):
                self.attributes.append(str(values[name]))
        if tag in self.VOID:
            return
        lang = values.get("lang")
        foreign = tag in self.SKIP or (
            lang is not None and tag != "html" and lang != self.page_lang
        )
        self.stack.append(foreign or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(" ".join(data.split()))


def untranslated(html: str, lang: str, messages: dict[str, str]) -> list[str]:
    reader = VisibleText(lang)
    reader.feed(html)
    nodes = set(reader.texts) | set(reader.attributes)
    text = "\n".join(reader.texts + reader.attributes)
    found = []
    for english, translation in messages.items():
        if english == translation:
            continue
        if english in nodes:
            found.append(english)
        elif PLACEHOLDER.search(english) is None and len(english.split()) >= 3 and english in text:
            found.append(english)
        elif PLACEHOLDER.search(english):
            pieces = [p.strip() for p in PLACEHOLDER.split(english) if len(p.strip().split()) >= 3]
            found.extend(english for p in pieces if p in text)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_no_page_shows_an_untranslated_ui_string(front: FlaskClient, lang: str) -> None:
    messages = {msgid(m.id): msgid(m.string) for m in catalogue(lang) if m.id and m.string}
    ui = used_messages()
    messages = {k: v for k, v in messages.items() if k in ui}
    problems = {}
    for name, path in PAGES.items():
        separator = "&" if "?" in path else "?"
        response = front.get(f"/{path}{separator}lang={lang}")
        assert response.status_code in (200, 404), name
        found = untranslated(response.get_data(as_text=True), lang, messages)
        if found:
            problems[name] = found
    assert problems == {}


@pytest.mark.parametrize("lang", LANGS)
def test_error_pages_speak_the_ui_language(front: FlaskClient, lang: str) -> None:
    page = front.get(f"/no-such-page?lang={lang}").get_data(as_text=True)
    title = {"th": "ไม่พบหน้า", "ja": "見つかりません"}[lang]
    assert f"404 {title}" in page
    page = front.get(f"/compare?m=ddpm&lang={lang}").get_data(as_text=True)
    assert {"th": "เลือกวิธีที่ต่างกัน", "ja": "異なる手法を"}[lang] in page


@pytest.mark.parametrize(("lang", "label"), [("ja", "深層学習"), ("th", "การเรียนรู้เชิงลึก")])
def test_the_home_list_shows_field_labels_in_the_ui_language(
    front: FlaskClient, lang: str, label: str
) -> None:
    page = front.get(f"/?lang={lang}").get_data(as_text=True)
    assert f'<a href="/fields/deep-learning">{label}</a>' in page
    assert ">Deep learning</a>" not in page


@pytest.mark.parametrize("lang", LANGS)
def test_query_summaries_are_shown_in_the_ui_language(front: FlaskClient, lang: str) -> None:
    translations = {msgid(m.id): msgid(m.string) for m in catalogue(lang) if m.id}
    summary = next(t for t in translations if t.startswith("Every displayed property value"))
    page = front.get(f"/queries/method-rows?lang={lang}").get_data(as_text=True)
    assert f'<p class="subtitle">{translations[summary]}</p>' in page  # the query text keeps
    assert translations["the methods to show"] in page  # its English header, as written
    library = front.get(f"/queries?lang={lang}").get_data(as_text=True)
    assert translations[summary] in library and summary not in library
