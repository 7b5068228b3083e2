"""The pages over HTTP: status codes, languages, errors that never become 500s."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.services.context import Context

TLDM = "transfer-learning-with-diffusion-models"
FTDM = "fine-tuned-diffusion-model"
PAIR = f"/compare?m={TLDM}&m={FTDM}"


def test_home_lists_methods(client: FlaskClient) -> None:
    """Page after page (``rel="next"``, keyset paging) until the method shows up."""
    url: str | None = "/"
    seen = ""
    while url and "Transfer Learning with Diffusion Models" not in seen:
        seen = client.get(url).get_data(as_text=True)
        found = re.search(r'<a href="([^"]+)" rel="next">', seen)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert f'href="/methods/{TLDM}"' in seen


def test_every_page_names_an_icon_that_is_served(client: FlaskClient) -> None:
    for path in ("/", PAIR, f"/methods/{TLDM}", "/query", "/no-such-page"):
        page = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in page, path
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).startswith("<svg")


@pytest.mark.parametrize(
    ("lang", "title"), [("en", "Compare methods"), ("th", "เปรียบเทียบวิธี"), ("ja", "手法を比較")]
)
def test_compare_title_in_the_ui_language(client: FlaskClient, lang: str, title: str) -> None:
    page = client.get(f"{PAIR}&lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{title}</h1>" in page


def test_language_from_cookie_then_accept_language(client: FlaskClient) -> None:
    client.get(f"{PAIR}&lang=ja")  # sets the cookie
    assert "手法を比較" in client.get(PAIR).get_data(as_text=True)
    fresh = client.application.test_client()
    page = fresh.get(PAIR, headers={"Accept-Language": "th,en;q=0.5"}).get_data(as_text=True)
    assert "เปรียบเทียบวิธี" in page
    assert "Compare methods" in fresh.get(PAIR).get_data(as_text=True)


def test_differing_rows_carry_a_text_marker_for_screen_readers(client: FlaskClient) -> None:
    page = client.get(f"{PAIR}&lang=en").get_data(as_text=True)
    assert page.count('<tr class="differs">') == 4
    assert page.count('<span class="visually-hidden"> (differs)</span>') == 4


def test_only_differing_rows(client: FlaskClient) -> None:
    page = client.get(f"{PAIR}&only=differing&lang=en").get_data(as_text=True)
    assert page.count('<tr class="same">') == 0
    assert page.count('<tr class="differs">') == 4


def test_remove_links_drop_one_method(client: FlaskClient) -> None:
    page = client.get(f"/compare?m={TLDM}&m={FTDM}&m=ddpm").get_data(as_text=True)
    assert f'href="/compare?m={FTDM}&amp;m=ddpm"' in page


def test_adding_a_method_by_label_without_javascript(client: FlaskClient) -> None:
    response = client.get(f"{PAIR}&add=LoRA")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"m={TLDM}&m={FTDM}&m=lora")


def test_downloads(client: FlaskClient) -> None:
    query = urlencode([("m", TLDM), ("m", FTDM), ("lang", "th")])
    markdown = client.get(f"/compare.md?{query}")
    assert markdown.mimetype == "text/markdown"
    assert markdown.get_data(as_text=True).startswith("เปรียบเทียบวิธี\n")
    assert client.get(f"/compare.csv?{query}").mimetype == "text/csv"
    turtle = client.get(f"/compare.ttl?{query}")
    assert turtle.mimetype == "text/turtle"
    jsonld = client.get(f"/compare.jsonld?{query}")
    assert jsonld.json is not None


def test_method_page(client: FlaskClient) -> None:
    page = client.get("/methods/dreambooth").get_data(as_text=True)
    assert "https://doi.org/10.1109/CVPR52729.2023.02155" in page


def test_unknown_method_gives_404_with_suggestions(client: FlaskClient) -> None:
    response = client.get(f"/compare?m={TLDM}&m=diffusion")
    assert response.status_code == 404
    assert f'href="/methods/{TLDM}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [f"m={TLDM}", "", "&".join(f"m=x{i}" for i in range(9))])
def test_wrong_number_of_methods_gives_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/compare?{query}")
    assert response.status_code == 400
    assert "between 2 and 8" in response.get_data(as_text=True)


PAGES = ["/", "/compare", "/compare.md", "/compare.csv", "/compare.ttl", "/methods/ddpm",
         "/methods/", "/api/methods", "/query", "/health", "/search", "/search.json",
         "/fields", "/fields/deep-learning", "/families", "/families/machine-learning"]  # fmt: skip
PARAMS = ["m", "lang", "add", "only", "q", "query", "x", "page", "field", "family", "type",
          "decade"]  # fmt: skip


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    page=st.sampled_from(PAGES),
    params=st.lists(
        st.tuples(st.sampled_from(PARAMS), st.text()),
        max_size=6,
    ),
)
def test_no_query_string_makes_a_500(
    client: FlaskClient, page: str, params: list[tuple[str, str]]
) -> None:
    response = client.get(page, query_string=params)
    assert response.status_code < 500


def test_home_browses_by_field_family_and_decade_with_counts(client: FlaskClient) -> None:
    page = client.get("/?lang=ja").get_data(as_text=True)
    assert "深層学習" in page and "2020s" in page
    only_dl = client.get("/?field=deep-learning").get_data(as_text=True)
    assert only_dl.count('type="checkbox"') == 21
    assert client.get("/?decade=1970").get_data(as_text=True).count('type="checkbox"') == 5


def test_search_finds_by_alias_and_escapes(client: FlaskClient) -> None:
    page = client.get("/search?q=TL-DM").get_data(as_text=True)
    assert f'href="/methods/{TLDM}"' in page
    nothing = client.get("/search?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert" not in nothing and "&lt;script&gt;" in nothing


def test_dataset_page_lists_the_named_graphs(client: FlaskClient) -> None:
    page = client.get("/dataset").get_data(as_text=True)
    assert "https://w3id.org/rmkg/graph/methods-seed" in page


def test_home_of_a_large_catalogue_links_to_search_and_browsing(catalogue_ctx: Context) -> None:
    """Above KG_HOME_LIST_LIMIT methods the home page counts per field, family and decade no
    more (at 1M that took minutes): it links to the field and family pages and still lists
    its first page of methods (the store sorts and cuts it), in every language."""
    from kg.web import create_app

    small = dataclasses.replace(catalogue_ctx.settings, home_list_limit=10)
    context = Context(small, catalogue_ctx.store, catalogue_ctx.queries)
    client = create_app(small, context=context).test_client()
    for lang in ("en", "th", "ja"):
        response = client.get(f"/?lang={lang}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'class="facets"' not in page and 'type="checkbox"' in page
        assert 'href="/fields"' in page and 'href="/families"' in page
        assert 'role="search"' in page
