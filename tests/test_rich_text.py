"""Markdown values (kg.services.rich_text): CommonMark with TeX math to sanitized HTML, the
plain text of search excerpts, and the pages that show summaries."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from markupsafe import Markup
from rdflib import Graph

from kg.config import PROJECT_ROOT
from kg.namespaces import KG
from kg.services.compare import compare, display_rows
from kg.services.context import Context
from kg.services.rich_text import MAX_MARKDOWN_LENGTH, plain_text, render_markdown, sanitize

TLDM = "transfer-learning-with-diffusion-models"


class _Elements(HTMLParser):
    """Every element as (tag, attributes, text inside it), in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), []))
        if tag not in ("br",):
            self.open.append(len(self.elements) - 1)

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for index in self.open:
            self.elements[index][2].append(data)


def elements(html: str) -> list[tuple[str, dict[str, str | None], str]]:
    parser = _Elements()
    parser.feed(html)
    return [(tag, attrs, "".join(text)) for tag, attrs, text in parser.elements]


def tags(html: str) -> list[str]:
    return [tag for tag, _, _ in elements(html)]


# --- Markdown ---------------------------------------------------------------------------------


def test_bold_emphasis_links_and_lists() -> None:
    html = render_markdown(
        "A **Reversible Residual Network** is *a variant* of a "
        "[ResNet](https://paperswithcode.com/method/resnet).\n\n- one\n- two\n\n1. first\n2. second"
    )
    assert isinstance(html, Markup)
    found = elements(html)
    assert ("strong", {}, "Reversible Residual Network") in found
    assert ("em", {}, "a variant") in found
    links = [(attrs, text) for tag, attrs, text in found if tag == "a"]
    assert links == [
        ({"href": "https://paperswithcode.com/method/resnet", "rel": "noopener nofollow"}, "ResNet")
    ]
    assert tags(html) == ["p", "strong", "em", "a", "ul", "li", "li", "ol", "li", "li"]


def test_inline_math_is_one_element_holding_its_tex() -> None:
    html = render_markdown("Units $x_1$ and $x_2 * y_2 * z$ with *emphasis*")
    math = [(attrs, text) for tag, attrs, text in elements(html) if tag == "span"]
    assert math == [({"class": "math inline"}, "x_1"), ({"class": "math inline"}, "x_2 * y_2 * z")]
    assert tags(html).count("em") == 1  # only the one outside the math


def test_display_math_and_escaped_tex() -> None:
    html = render_markdown("Before\n\n$$\na_1 < b^{2}\n$$\n\nand inline $$x$$ too")
    found = elements(html)
    assert ("div", {"class": "math display"}, "a_1 < b^{2}") in found
    assert ("span", {"class": "math display"}, "x") in found
    assert "a_1 &lt; b^{2}" in html


def test_a_dollar_beside_a_digit_is_money_not_math() -> None:
    assert render_markdown("It costs $5 and $10.") == "<p>It costs $5 and $10.</p>"


def test_a_plain_sentence_is_one_paragraph_of_the_same_text() -> None:
    text = "Fine-tunes a model on 3–5 images (p < 0.05) & keeps “quotes”."
    assert elements(render_markdown(text)) == [("p", {}, text)]
    assert (
        render_markdown(text)
        == "<p>Fine-tunes a model on 3–5 images (p &lt; 0.05) &amp; keeps “quotes”.</p>"
    )


def test_the_curated_summaries_render_as_one_paragraph_of_their_own_text() -> None:
    """The catalogue's summaries are plain sentences: Markdown changes nothing in them."""
    data = Graph()
    for path in sorted((PROJECT_ROOT / "data").glob("*.ttl")):
        data.parse(path, format="turtle", publicID="https://w3id.org/rmkg/")
    summaries = [str(s) for s in data.objects(None, KG.summary)]
    assert len(summaries) > 40
    for summary in summaries:
        assert elements(render_markdown(summary)) == [("p", {}, summary)], summary
        assert plain_text(summary) == " ".join(summary.split())


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=https://example.org></iframe>",
    '<p style="color:red">styled</p>',
    "<b onmouseover=alert(1)>b</b>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![pixel](https://example.org/p.png)",
    '[x](https://e.org/" onclick="alert(1))',
    '[x](<https://e.org/" onclick="alert(1)>)',
    "$</span><script>alert(1)</script>$",
    "$$\n</div><img src=x onerror=alert(1)>\n$$",
    "```\n<script>alert(1)</script>\n```",
    "<!-- comment --><style>*{display:none}</style>",
    "$\\href{javascript:alert(1)}{x}$",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markup_is_gone_or_escaped(source: str) -> None:
    html = render_markdown(source)
    for tag, attrs, _ in elements(html):
        assert tag in {"p", "a", "span", "div", "pre", "code"}, html
        for name, value in attrs.items():
            assert name in {"href", "rel", "class"}, html
            if name == "href":
                assert value is not None and value.startswith("https://e.org/"), html
    for raw in ("<script", "<img", "<iframe", "<style", "<b ", "<!--"):
        assert raw not in html, html


def test_a_very_long_value_is_shown_as_plain_text() -> None:
    source = "**not bold** <b>x</b> " + "[" * MAX_MARKDOWN_LENGTH
    html = render_markdown(source)
    assert html.startswith("<p>**not bold** &lt;b&gt;x&lt;/b&gt; [[[") and html.endswith("[</p>")
    assert plain_text(source) == source.strip()


def test_raw_html_is_shown_as_text() -> None:
    html = render_markdown("<img src=x onerror=alert(1)> and <script>x</script>")
    assert html == "<p>&lt;img src=x onerror=alert(1)&gt; and &lt;script&gt;x&lt;/script&gt;</p>"


def test_links_only_to_absolute_http_iris() -> None:
    html = render_markdown(
        "[ResNet](/method/resnet), [top](#top), [proto](//evil.example/x), "
        "[mail](mailto:a@example.org), [ok](HTTP://example.org/a?b=1&c=2), <https://example.org/>"
    )
    links = [(attrs.get("href"), text) for tag, attrs, text in elements(html) if tag == "a"]
    assert links == [
        ("HTTP://example.org/a?b=1&c=2", "ok"),
        ("https://example.org/", "https://example.org/"),
    ]
    # relative links keep their text and lose the link (never a link into this site)
    assert html.startswith("<p>ResNet, top, proto, mail, <a ")


def test_headings_are_bold_paragraphs_and_images_their_alt_text() -> None:
    html = render_markdown("# Title\n\nSee ![the figure](https://example.org/f.png).\n\n---")
    assert html == "<p><strong>Title</strong></p>\n<p>See the figure.</p>"


def test_code_and_quotes() -> None:
    html = render_markdown("Use `a_b*c`:\n\n```python\nx = <y>\n```\n\n> quoted")
    assert tags(html) == ["p", "code", "pre", "code", "blockquote", "p"]
    assert "x = &lt;y&gt;" in html
    assert "class=" not in html  # the fence's language class is not on the allow-list


def test_the_sanitizer_keeps_only_the_math_classes() -> None:
    html = sanitize(
        '<span class="math inline evil">x</span><div class="math display x">y</div>'
        '<p class="math">z</p><span id="a" data-x="1">w</span>'
    )
    assert html == (
        '<span class="math inline">x</span><div class="math display">y</div><p>z</p><span>w</span>'
    )


def test_plain_text_drops_markup_keeps_texts_and_math() -> None:
    source = (
        "A **RevNet** is a variant of a [ResNet](https://paperswithcode.com/method/resnet):\r\n"
        "\r\n- units $x\\_{1}$ and\n- $$y$$\n\n$$\nz = 1\n$$"
    )
    assert (
        plain_text(source)
        == "A RevNet is a variant of a ResNet: units $x\\_{1}$ and $$y$$ $$z = 1$$"
    )
    assert plain_text("<b>kept as text</b>") == "<b>kept as text</b>"


# --- the ontology says which rows are Markdown -------------------------------------------------


def test_the_summary_row_is_markdown_by_the_ontology(catalogue_ctx: Context) -> None:
    rows = {r.property: r for r in display_rows(catalogue_ctx, "en")}
    assert rows[str(KG.summary)].markdown
    assert rows[str(KG.summary)].value_format == str(KG.MarkdownText)
    assert all(not r.markdown for p, r in rows.items() if p != str(KG.summary))
    assert {r.value_format for p, r in rows.items() if p != str(KG.summary)} == {str(KG.PlainText)}


def test_summaries_carry_html_and_keep_their_literal(catalogue_ctx: Context) -> None:
    comparison = compare(catalogue_ctx, [TLDM, "ddpm"], lang="en")
    summary = next(r for r in comparison.rows if r.definition.property == str(KG.summary))
    for cell in summary.cells:
        (value,) = cell.values
        assert value.html is not None and elements(value.html) == [("p", {}, value.text)]
    other = [v for r in comparison.rows if r is not summary for c in r.cells for v in c.values]
    assert other and all(v.html is None for v in other)
    assert not comparison.has_math


def test_a_markdown_summary_on_the_pages(tmp_path: Path) -> None:
    from kg.config import Settings
    from kg.services.loading import load_files
    from kg.web import create_app

    data = tmp_path / "markdown.ttl"
    data.write_text(
        "@prefix kg: <https://w3id.org/rmkg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        '<method/md> a kg:Method ; skos:prefLabel "Markdown method"@en ;\n'
        "  kg:field <field/deep-learning> ;\n"
        '  kg:summary "A **bold** claim about $x_1$ [ResNet](/method/resnet) and '
        '[a paper](https://arxiv.org/abs/zebra)."@en .\n',
        encoding="utf-8",
    )
    ctx = Context.from_settings(Settings.from_env({}, store=str(tmp_path / "store"), rate_limit=0))
    try:
        load_files(ctx, [Path(ctx.settings.data_dir), data])
        client: FlaskClient = create_app(ctx.settings, context=ctx).test_client()
        page = client.get("/methods/md?lang=ja").get_data(as_text=True)
        assert (
            '<div class="rich-text fallback" lang="en" title="未翻訳のため原語で表示">'
            '<p>A <strong>bold</strong> claim about <span class="math inline">x_1</span> '
            'ResNet and <a href="https://arxiv.org/abs/zebra" rel="noopener nofollow">a paper</a>.'
            "</p></div>"
        ) in page
        assert "**" not in page
        assert "/assets/katex/katex.min.js" in page and "math.js" in page
        compared = client.get("/compare?m=md&m=ddpm&lang=en").get_data(as_text=True)
        assert "<strong>bold</strong>" in compared and "katex.min.js" in compared
        # a page without math loads no KaTeX
        assert "katex" not in client.get(f"/methods/{TLDM}").get_data(as_text=True)
        # downloads keep the source text: it is data
        csv = client.get("/compare.csv?m=md&m=ddpm&lang=en").get_data(as_text=True)
        source = (
            "A **bold** claim about $x_1$ [ResNet](/method/resnet) and "
            "[a paper](https://arxiv.org/abs/zebra)."
        )
        assert source in csv
        md = client.get("/compare.md?m=md&m=ddpm&lang=en").get_data(as_text=True)
        assert source in md
        # search shows the excerpt without its Markdown, escaped
        found = client.get("/search?q=claim").get_data(as_text=True)
        assert "A bold <mark>claim</mark> about $x_1$ ResNet and a paper." in found
        # ... unless the words matched only in the markup: then the source, escaped
        found = client.get("/search?q=zebra").get_data(as_text=True)
        assert "[a paper](https://arxiv.org/abs/<mark>zebra</mark>)." in found
        hits = client.get("/search.json?q=claim").get_json()["results"]
        assert "".join(f["text"] for f in hits[0]["matched"]["fragments"]).startswith("A bold")
    finally:
        ctx.store.close()


def test_katex_is_served_from_node_modules(client: FlaskClient) -> None:
    with client.get("/assets/katex/katex.min.js") as script:
        assert script.status_code == 200
        assert b"katex" in script.data[:2000].lower()
    with client.get("/assets/katex/../../package.json") as outside:
        assert outside.status_code == 404
    with client.get("/static/math.js") as ours:
        assert ours.status_code == 200


@pytest.mark.parametrize(
    ("description", "tex"),
    [
        (r"the input is split as $x\_{1}$ and $x\_{2}$.", [r"x_{1}", r"x_{2}"]),
        (
            r"$$ G^{\*} = \arg \min\_{G} \left\(G\right\) $$",
            [r"G^{*} = \arg \min_{G} \left(G\right)"],
        ),
        (
            r"a line break $$\begin{aligned} a \\ b \end{aligned}$$",
            [r"\begin{aligned} a \\ b \end{aligned}"],
        ),
        # an unclosed dollar does not pair with the next paragraph's math
        ("no close: $G\\_{k}:\r\n\r\n$$\r\nx\\_{1}\r\n$$\r\n", [r"x_{1}"]),
    ],
)
def test_papers_with_code_markdown_escapes_inside_tex_are_undone(
    description: str, tex: list[str]
) -> None:
    """The dump escaped ``_ * ( )`` inside its TeX for a Markdown renderer; kept, KaTeX would
    show a literal underscore. Outside the dollars the escapes stay Markdown's."""
    from kg.services.imports.pwc import unescape_tex

    outside = r" Not math: \*a\*, `$HOME\_DIR`, from $5 to \*all\* for $10."
    fixed = unescape_tex(description + outside)
    html = str(render_markdown(fixed))
    spans = [text for _, attrs, text in elements(html) if "math" in (attrs.get("class") or "")]
    assert [text.strip() for text in spans] == tex
    assert fixed.endswith(outside) and "<em>" not in html
