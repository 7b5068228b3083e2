"""Issue 16, navigation: one header on every page, every named resource a local link,
RDF formats and "open the query" on every page about a resource, local result links."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from kg.config import Settings
from tests.test_untranslated import front  # noqa: F401 - fixture

BASE = Settings().base_iri
HEADER_LINKS = ["/search", "/fields", "/families", "/systems", "/datasets", "/organizations",
                "/venues", "/query", "/queries", "/dataset", "/ontology"]  # fmt: skip
EVERY_KIND = ["/", "/search?q=lora", "/fields", "/fields/deep-learning", "/systems",
              "/systems/dit-xl-2", "/datasets/pwc-methods-2025-03", "/organizations/runway",
              "/venues/neurips", "/methods/ddpm", "/compare?m=ddpm&m=lora", "/person/jonathan-ho",
              "/dataset", "/ontology", "/queries", "/queries/list-methods", "/query",
              "/no-such-page"]  # fmt: skip


@pytest.mark.parametrize("path", EVERY_KIND)
def test_every_page_has_the_site_header(front: FlaskClient, path: str) -> None:  # noqa: F811
    page = front.get(path).get_data(as_text=True)
    header = page.split('<header class="site">', 1)[1].split("</header>", 1)[0]
    for link in HEADER_LINKS:
        assert f'href="{link}"' in header, link
    assert 'href="/#compare-pick"' in header and 'hreflang="th"' in header


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/systems", "systems"), ("/datasets", "datasets"), ("/organizations", "organizations"),
     ("/venues", "venues")],
)  # fmt: skip
def test_listing_pages_link_every_resource_of_their_kind(
    front: FlaskClient,  # noqa: F811
    path: str,
    kind: str,
) -> None:
    page = front.get(path).get_data(as_text=True)
    links = re.findall(rf'href="/{kind}/([a-z0-9-]+)"', page)
    assert links
    for slug in links[:3]:
        assert front.get(f"/{kind}/{slug}").status_code == 200
    assert "/query?name=page-resources" in page
    assert front.get(f"{path}?sort=x").status_code == 400
    assert front.get(f"{path}?after=zzzz").status_code == 200  # past the end: an empty page


def test_method_page_links_field_family_originators_and_source(front: FlaskClient) -> None:  # noqa: F811
    page = front.get("/methods/ddpm").get_data(as_text=True)
    assert 'href="/fields/deep-learning"' in page
    assert re.search(r'href="/families/[a-z0-9-]+"', page)
    assert 'href="/source/ho-2020-ddpm"' in page
    assert f'href="{BASE}' not in page.split("<main", 1)[1].split('<p class="iri">')[0]
    for fmt in ("ttl", "jsonld", "nt", "rdf"):
        assert f'href="/method/ddpm.{fmt}"' in page
    assert "/query?name=method-rows&amp;method=https" in page


def test_comparison_offers_rdf_and_the_query(front: FlaskClient) -> None:  # noqa: F811
    page = front.get("/compare?m=ddpm&m=lora").get_data(as_text=True)
    for fmt in ("ttl", "jsonld", "nt", "rdf"):
        assert f"/compare.{fmt}?m=ddpm&amp;m=lora" in page
    assert front.get("/compare.nt?m=ddpm&m=lora").status_code == 200
    assert "/query?name=method-rows" in page
    assert 'href="/fields/deep-learning"' in page


@pytest.mark.parametrize(
    ("path", "query"),
    [("/systems/dit-xl-2", "resource-facts"), ("/person/jonathan-ho", "describe-resource"),
     ("/fields/deep-learning", "page-concept-methods"), ("/fields", "browse-fields"),
     ("/dataset", "dataset-graphs"), ("/ontology", "ontology-terms"), ("/", "page-methods")],
)  # fmt: skip
def test_pages_open_their_query_in_the_editor(
    front: FlaskClient,  # noqa: F811
    path: str,
    query: str,
) -> None:
    page = front.get(path).get_data(as_text=True)
    found = re.search(rf'href="(/query\?name={query}[^"]*)"', page)
    assert found, query
    editor = front.get(found.group(1).replace("&amp;", "&"))
    assert editor.status_code == 200


def test_canned_query_results_link_local_pages(front: FlaskClient) -> None:  # noqa: F811
    page = front.get("/queries/most-used-methods?run=1").get_data(as_text=True)
    assert 'href="/methods/dropout"' in page
    assert f'href="{BASE}' not in page


def test_the_editor_knows_the_base_iri_to_localise_result_links(front: FlaskClient) -> None:  # noqa: F811
    page = front.get("/query").get_data(as_text=True)
    assert f'"base": "{BASE}"' in page
