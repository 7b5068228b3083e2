"""Lists that scale: the home list is sorted, filtered and paged by the store (keyset
paging in page-methods.rq), and lists submit methods to a comparison directly."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from kg.services.catalogue import list_methods, page_methods
from kg.services.context import Context


def test_pages_follow_one_another_by_key(catalogue_ctx: Context) -> None:
    every = [m.iri for m in list_methods(catalogue_ctx, lang="en")]
    first = page_methods(catalogue_ctx, lang="en")
    assert [m.iri for m in first.methods] == every[: len(first.methods)]
    middle = page_methods(catalogue_ctx, lang="en", after=first.methods[9].label.lower())
    assert middle.methods[0].iri in every[9:11]


def test_filters_are_applied_by_the_query(catalogue_ctx: Context) -> None:
    base = catalogue_ctx.settings.base_iri
    in_field = page_methods(catalogue_ctx, lang="en", field=f"{base}field/deep-learning")
    assert in_field.methods and all(
        m.field_iri == f"{base}field/deep-learning" for m in in_field.methods
    )
    in_decade = page_methods(catalogue_ctx, lang="en", decade=2010)
    assert in_decade.methods and all(m.decade == 2010 for m in in_decade.methods)


def test_compare_button_comes_before_the_list(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert page.index('class="compare-bar"') < page.index('type="checkbox"')
    assert 'action="/compare"' in page


def test_search_results_and_concept_pages_pick_methods(client: FlaskClient) -> None:
    for path in ("/search?q=diffusion", "/families/diffusion-models"):
        page = client.get(path).get_data(as_text=True)
        form = re.search(
            r'<form method="get" action="/compare" class="pick">.*?</form>', page, re.S
        )
        assert form is not None, path
        assert 'name="m"' in form.group(0) and 'class="compare-bar"' in form.group(0)


def test_a_bad_decade_is_a_400(client: FlaskClient) -> None:
    assert client.get("/?decade=19x0").status_code == 400
