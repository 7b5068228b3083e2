"""UI languages: gettext catalogs (Flask-Babel) and the choice of language per request.

The language comes from ``?lang=``, then the cookie the language switch sets, then
``Accept-Language``, then English. Catalogs are kept as ``.po`` files and compiled to
``.mo`` when the app starts (only when a ``.po`` is newer), so every way of starting the
service has them; a wheel carries them compiled (hatch_build.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, g, request, url_for
from flask_babel import Babel, get_translations
from jinja2.runtime import Context as TemplateContext
from jinja2.utils import pass_context
from markupsafe import Markup

LANGUAGES: dict[str, str] = {"en": "English", "th": "ไทย", "ja": "日本語"}
DEFAULT_LANGUAGE = "en"
COOKIE = "kg_lang"
TRANSLATIONS = Path(__file__).parent / "translations"


def compile_catalogs(directory: Path = TRANSLATIONS) -> None:
    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        tmp = mo_path.with_suffix(".mo.tmp")
        try:
            with tmp.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            tmp.replace(mo_path)
        except OSError:
            # An installed wheel carries compiled catalogs and may be read-only.
            if not mo_path.exists():
                raise


def ui_language() -> str:
    """The request's UI language (cached on ``g``)."""
    cached = getattr(g, "ui_lang", None)
    if isinstance(cached, str):
        return cached
    asked = request.args.get("lang", "")
    if asked not in LANGUAGES:
        asked = request.cookies.get(COOKIE, "")
    if asked not in LANGUAGES:
        asked = request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE
    g.ui_lang = asked
    return asked


def init_app(app: Flask) -> None:
    compile_catalogs()
    Babel(
        app,
        locale_selector=ui_language,
        default_translation_directories=str(TRANSLATIONS),
    )
    # Flask-Babel looks the catalogue up again for every string a template translates (a
    # page has hundreds); the request's catalogue is looked up once and kept on ``g``.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )
    # ``_()`` and ``gettext()`` of the templates: what Jinja's newstyle gettext returns, with
    # the strings that take no variables kept per catalogue once translated.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = _template_gettext

    @app.context_processor
    def language_context() -> dict[str, object]:
        return {"ui_lang": ui_language(), "languages": LANGUAGES, "language_url": language_url}

    @app.after_request
    def remember_language(response):  # type: ignore[no-untyped-def]
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response


def _request_translations() -> NullTranslations:
    """The catalogue of the request's language, looked up once per request."""
    found = g.get("kg_translations")
    if found is None:
        found = get_translations()
        g.kg_translations = found
    return found  # type: ignore[no-any-return]


_translated: WeakKeyDictionary[NullTranslations, dict[tuple[bool, str], str]] = WeakKeyDictionary()
"""Per catalogue: (autoescape, message) -> the text a template prints for ``_(message)``."""


@pass_context
def _template_gettext(context: TemplateContext, message: str, **variables: Any) -> str:
    """Jinja's newstyle ``gettext`` (translated, marked safe when the template escapes, then
    ``%``-formatted with the variables), once per catalogue for messages without variables:
    a page prints a hundred of them or more, most of them on every page."""
    translations = _request_translations()
    autoescape = bool(context.eval_ctx.autoescape)
    if variables:
        return _newstyle(translations.ugettext(message), autoescape) % variables
    known = _translated.get(translations)
    if known is None:
        known = _translated.setdefault(translations, {})
    text = known.get((autoescape, message))
    if text is None:
        text = known[(autoescape, message)] = (
            _newstyle(translations.ugettext(message), autoescape) % {}
        )
    return text


def _newstyle(text: str, autoescape: bool) -> str:
    return Markup(text) if autoescape else text


def language_url(code: str) -> str:
    """The current page in another UI language."""
    args: dict[str, Any] = {k: v for k, v in request.args.lists() if k != "lang"}
    args.update(request.view_args or {})
    return url_for(request.endpoint or "pages.home", **args, lang=code)
