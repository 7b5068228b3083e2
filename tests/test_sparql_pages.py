"""The query editor page, the query library pages and docs/sparql.md."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from rdflib import Graph

from kg.config import PROJECT_ROOT
from kg.namespaces import PREFIXES
from kg.services.context import Context
from kg.web.sparql import YASGUI_BUILD

DOCS = PROJECT_ROOT / "docs" / "sparql.md"


def test_editor_offers_every_library_query_and_the_prefixes(
    client: FlaskClient, catalogue_ctx: Context
) -> None:
    page = client.get("/query").data.decode()
    for query in catalogue_ctx.queries:
        if query.kind != "update" and query.path.parent.name != "checks":
            assert f'<option value="{query.name}"' in page
    for prefix, namespace in PREFIXES.items():
        assert f'"{prefix}": "{namespace}"' in page
    scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert "/assets/yasgui/yasgui.min.js" in scripts
    assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))]  # no CDN


def test_editor_is_prefilled_by_text_or_by_library_name(client: FlaskClient) -> None:
    by_text = client.get("/query", query_string={"query": "ASK { ?s ?p <x> }"}).data.decode()
    assert '"query": "ASK { ?s ?p \\u003cx\\u003e }"' in by_text
    by_name = client.get(
        "/query", query_string={"name": "method-headers", "method": "method:lora"}
    ).data.decode()
    assert "\\u003chttps://w3id.org/rmkg/method/lora\\u003e" in by_name
    assert client.get("/query?name=no-such-query").status_code == 404


def test_open_the_query_link_of_the_comparison_page(client: FlaskClient) -> None:
    page = client.get("/compare?m=ddpm&m=lora&lang=en").data.decode()
    href = re.search(r'<a href="([^"]+)">Open the query</a>', page)
    assert href is not None
    url = urlsplit(href.group(1).replace("&amp;", "&"))
    assert url.path == "/query"
    args = parse_qs(url.query)
    assert args["name"] == ["method-rows"]
    assert args["method"] == [
        "https://w3id.org/rmkg/method/ddpm",
        "https://w3id.org/rmkg/method/lora",
    ]
    editor = client.get(href.group(1).replace("&amp;", "&"))
    assert editor.status_code == 200
    assert b"\\u003chttps://w3id.org/rmkg/method/ddpm\\u003e" in editor.data


def test_yasgui_is_served_from_node_modules(client: FlaskClient) -> None:
    if not YASGUI_BUILD.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("node_modules is missing: `make install` runs npm ci")
        pytest.skip("node_modules is missing: run `npm ci`")
    with client.get("/assets/yasgui/yasgui.min.js") as script:
        assert script.status_code == 200 and b"Yasgui" in script.data
    with client.get("/assets/yasgui/yasgui.min.css") as style:
        assert style.status_code == 200 and style.mimetype == "text/css"
    with client.get("/assets/yasgui/../../../../package.json") as outside:
        assert outside.status_code == 404


def test_library_lists_every_query_with_its_header(
    client: FlaskClient, catalogue_ctx: Context
) -> None:
    page = client.get("/queries").data.decode()
    for query in catalogue_ctx.queries:
        if query.path.parent.name != "checks":
            assert f"<code>{query.name}</code>" in page
    assert "<code>year</code> (integer)" in page


def test_canned_query_form_runs_with_typed_parameters(client: FlaskClient) -> None:
    form = client.get("/queries/methods-in-field-since").data.decode()
    for name in ("field", "year", "lang"):
        assert f'name="{name}"' in form
    assert 'pattern="-?[0-9]+"' in form  # the integer parameter
    run = client.get(
        "/queries/methods-in-field-since",
        query_string={"field": "field:deep-learning", "year": "2020", "lang": "ja", "run": "1"},
    )
    assert run.status_code == 200
    page = run.data.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.DOTALL)
    assert rows and all(int(re.findall(r"<td>(\d{4})</td>", r)[0]) > 2020 for r in rows)
    assert "潜在拡散モデル" in page or "ja" in page
    for fmt in ("json", "xml", "csv", "tsv"):
        assert f"/queries/methods-in-field-since/results.{fmt}?" in page


def test_canned_query_rejects_bad_values_with_400(client: FlaskClient) -> None:
    bad_year = client.get("/queries/methods-in-field-since?year=soon&run=1")
    assert bad_year.status_code == 400 and b"not an integer" in bad_year.data
    bad_iri = client.get("/queries/methods-in-field-since?field=x%20y&run=1")
    assert bad_iri.status_code == 400 and b"not a valid IRI" in bad_iri.data
    bad_lang = client.get("/queries/list-methods?lang=e%22n&run=1")
    assert bad_lang.status_code == 400
    assert client.get("/queries/no-such-query").status_code == 404


def test_canned_results_download_in_every_format(client: FlaskClient) -> None:
    csv = client.get("/queries/methods-of-originator/results.csv?person=person:kaiming-he")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "https://w3id.org/rmkg/method/resnet" in csv.data.decode()
    turtle = client.get("/queries/related-network/results.turtle")
    assert turtle.mimetype == "text/turtle"
    assert len(Graph().parse(data=turtle.data, format="turtle")) > 10
    # A URL naming a format the query's results do not come in names nothing: 404.
    assert client.get("/queries/related-network/results.csv").status_code == 404
    assert client.get("/queries/related-network/results.png").status_code == 404


def test_construct_query_page_shows_turtle(client: FlaskClient) -> None:
    page = client.get("/queries/related-network?run=1").data.decode()
    assert "kg:relatedMethod" in page


def test_docs_have_at_least_twelve_example_queries_that_are_library_files() -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```sparql\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 12
    files = {p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "queries").glob("*.rq")}
    assert [b for b in blocks if b not in files] == []
    assert "```mermaid" in text


def test_docs_examples_return_rows_on_the_catalogue(client: FlaskClient) -> None:
    names = re.findall(r"run it at `/queries/([a-z0-9-]+)`", DOCS.read_text(encoding="utf-8"))
    assert len(names) >= 12
    for name in names:
        response = client.get(f"/queries/{name}/results.json")
        assert response.status_code == 200, name


@pytest.mark.parametrize(
    ("lang", "title", "results"),
    [("ja", "SPARQL クエリエディタ", "結果"), ("th", "ตัวแก้ไขคิวรี SPARQL", "ผลลัพธ์")],
)
def test_pages_are_translated(client: FlaskClient, lang: str, title: str, results: str) -> None:
    assert title in client.get(f"/query?lang={lang}").data.decode()
    assert results in client.get(f"/queries/method-types?run=1&lang={lang}").data.decode()
