"""Text values in a markup format: sanitized HTML for the pages, plain text for excerpts.

Which properties hold Markdown is the ontology's word (``kg:valueFormat kg:MarkdownText``,
read by ``queries/display-rows.rq``); today that is ``kg:summary``. Such a value is
CommonMark with TeX math between ``$`` (inline) and ``$$`` (display):

1. markdown-it-py (CommonMark preset, **raw HTML off**: ``<script>``, ``<img onerror>`` in the
   source are text, escaped) makes HTML; mdit-py-plugins' dollarmath reads the math first,
   so ``_`` and ``*`` inside ``$…$`` are not emphasis. Math becomes
   ``<span class="math inline">`` or ``<span|div class="math display">`` holding the escaped
   TeX, which the browser typesets with KaTeX (``web/static/math.js``) or, without
   JavaScript, shows as it is. A ``$`` next to a digit does not open or close math
   (``$5 and $10`` stays text).
2. Links stay links only for absolute http(s) IRIs. markdown-it already refuses
   ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` (the text stays as written); a
   relative link such as Papers with Code's ``[ResNet](/method/resnet)`` loses its link and
   keeps its text: a literal does not record the site it was written for, and kept as it is
   it would point into this site. Images show as their alt text (the pages' policy loads no
   images from elsewhere), headings as bold paragraphs (a summary sits in a table cell or a
   definition, where headings would break the page's outline).
3. nh3 cleans the HTML with a small allow-list (``ALLOWED_TAGS``, ``href`` on links, ``start``
   on ordered lists, only the math classes on ``span``/``div``; http(s) URLs only, relative
   ones denied, ``rel="noopener nofollow"`` on every link).

A value longer than ``MAX_MARKDOWN_LENGTH`` characters is shown as plain text instead.

``render_markdown`` returns ``markupsafe.Markup`` of nh3's output: the only graph text the
templates print unescaped, and nowhere else made. ``plain_text`` is the same source without
its markup (link texts, math as ``$TeX$``), for search excerpts. Exports and SPARQL keep the
literal as it is; comparisons compare the literals.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Sequence
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererProtocol
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup
from mdit_py_plugins.dollarmath import dollarmath_plugin

from kg.namespaces import KG

MARKDOWN_TEXT = str(KG.MarkdownText)
PLAIN_TEXT = str(KG.PlainText)

ALLOWED_TAGS = frozenset(
    {"p", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote", "br", "sub",
     "sup", "span", "div"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": frozenset({"href"}), "ol": frozenset({"start"})}
ALLOWED_CLASSES = {
    "span": frozenset({"math", "inline", "display"}),
    "div": frozenset({"math", "display"}),
}
URL_SCHEMES = frozenset({"http", "https"})
LINK_REL = "noopener nofollow"
MAX_MARKDOWN_LENGTH = 20_000
"""Longer values are shown as plain text (escaped, one paragraph, through nh3 all the
same): Markdown costs up to ~25 µs a character on hostile input (``[[[…``), and the longest
Papers with Code description has 9,007 characters."""
RENDER_CACHE_SIZE = 4096
"""Rendered values (and plain texts) kept in memory: pages and searches show the same
summaries again and again; one costs about 0.3 ms (a Papers with Code description)."""


def is_web_link(href: str | None) -> bool:
    """An absolute http(s) IRI with a host."""
    if not href:
        return False
    parts = urllib.parse.urlsplit(href)
    return parts.scheme.lower() in URL_SCHEMES and bool(parts.netloc)


def _links_and_images(state: StateCore) -> None:
    """Core rule: unwrap links that are not absolute http(s), images to their alt text."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        kept: list[bool] = []
        for token in block.children:
            if token.type == "link_open":
                kept.append(is_web_link(_attr(token, "href")))
                if kept[-1]:
                    children.append(token)
            elif token.type == "link_close":
                if not kept or kept.pop():
                    children.append(token)
            elif token.type == "image":
                text = Token("text", "", 0)
                text.content = _inline_text(token.children or [])
                children.append(text)
            else:
                children.append(token)
        block.children = children


def _attr(token: Token, name: str) -> str | None:
    value = token.attrGet(name)
    return None if value is None else str(value)


def _math(tag: str, classes: str) -> Callable[..., str]:
    def render(
        self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict,
        env: EnvType,
    ) -> str:  # fmt: skip
        tex = escapeHtml(tokens[idx].content.strip())
        return f'<{tag} class="{classes}">{tex}</{tag}>' + ("\n" if tag == "div" else "")

    return render


def _fixed(html: str) -> Callable[..., str]:
    def render(
        self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict,
        env: EnvType,
    ) -> str:  # fmt: skip
        return html

    return render


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.use(dollarmath_plugin, allow_labels=False, allow_digits=False, double_inline=True)
    md.core.ruler.push("kg_links_and_images", _links_and_images)
    md.add_render_rule("math_inline", _math("span", "math inline"))
    md.add_render_rule("math_inline_double", _math("span", "math display"))
    md.add_render_rule("math_block", _math("div", "math display"))
    md.add_render_rule("heading_open", _fixed("<p><strong>"))
    md.add_render_rule("heading_close", _fixed("</strong></p>\n"))
    md.add_render_rule("hr", _fixed(""))
    return md


def sanitize(html: str) -> str:
    """``html`` through the allow-list (the last step of ``render_markdown``)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def render_markdown(source: str) -> Markup:
    """``source`` (CommonMark with TeX math) as sanitized HTML, safe to print unescaped."""
    if len(source) > MAX_MARKDOWN_LENGTH:
        html = f"<p>{escapeHtml(source)}</p>"
    else:
        html = _markdown().render(source)
    return Markup(sanitize(html).strip())


def has_math(html: str) -> bool:
    """Whether rendered ``html`` holds a math element (only ``render_markdown`` makes the
    class, nh3 keeps no other)."""
    return 'class="math ' in html


_SPACES = re.compile(r"\s+")


def math_sources(source: str) -> list[tuple[str, str]]:
    """The TeX of ``source``'s math as written, with the delimiters it was written between:
    ``("$", tex)`` inline, ``("$$", tex)`` displayed in a line, ``("", tex)`` a block. The
    math that ``render_markdown`` typesets, no more (not in code, not ``$5``)."""
    found: list[tuple[str, str]] = []
    for token in _markdown().parse(source):
        if token.type == "math_block":
            found.append(("", token.content))
        for child in token.children or []:
            if child.type in ("math_inline", "math_inline_double"):
                found.append((child.markup, child.content))
    return found


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def plain_text(source: str) -> str:
    """``source`` without its Markdown markup: the texts of paragraphs, list items and
    links (not their URLs), code as written, math as ``$TeX$`` / ``$$TeX$$``; one line."""
    if len(source) > MAX_MARKDOWN_LENGTH:
        return _SPACES.sub(" ", source).strip()
    parts: list[str] = []
    for token in _markdown().parse(source):
        if token.type == "inline":
            parts.append(_inline_text(token.children or []))
        elif token.type == "math_block":
            parts.append(f"$${token.content.strip()}$$")
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
    return _SPACES.sub(" ", " ".join(parts)).strip()


def _inline_text(tokens: Sequence[Token]) -> str:
    out: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            out.append(token.content)
        elif token.type == "math_inline":
            out.append(f"${token.content.strip()}$")
        elif token.type == "math_inline_double":
            out.append(f"$${token.content.strip()}$$")
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif token.type == "image":
            out.append(_inline_text(token.children or []))
    return "".join(out)
