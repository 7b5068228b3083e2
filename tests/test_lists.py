"""Lists that scale: the home list is sorted, filtered and paged by the store (keyset
paging in page-methods.rq), and lists submit methods to a comparison directly."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from kg.services.catalogue import (
    ListInputError,
    count_listed_methods,
    list_methods,
    page_methods,
)
from kg.services.context import Context
from kg.services.listings import list_resources


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


def test_methods_sort_by_year_both_ways_and_page_by_key(catalogue_ctx: Context) -> None:
    oldest = page_methods(catalogue_ctx, lang="en", sort="year")
    years = [m.start_year for m in oldest.methods if m.start_year is not None]
    assert years and years == sorted(years)
    newest = page_methods(catalogue_ctx, lang="en", sort="newest")
    years = [m.start_year for m in newest.methods if m.start_year is not None]
    assert years and years == sorted(years, reverse=True)
    assert newest.next_after is not None
    following = page_methods(catalogue_ctx, lang="en", sort="newest", after=newest.next_after)
    assert following.methods and not {m.iri for m in following.methods} & {
        m.iri for m in newest.methods
    }
    later = [m.start_year for m in following.methods if m.start_year is not None]
    assert not later or max(later) <= min(years)


def test_a_text_filter_and_its_count_come_from_the_store(catalogue_ctx: Context) -> None:
    found = page_methods(catalogue_ctx, lang="en", text="Diffusion")
    assert found.methods and found.next_after is None
    assert count_listed_methods(catalogue_ctx, text="diffusion") == len(found.methods)
    every = list_methods(catalogue_ctx, lang="en")
    assert count_listed_methods(catalogue_ctx) == len(every)
    japanese = page_methods(catalogue_ctx, lang="ja", text="拡散")
    assert {m.iri for m in japanese.methods} & {m.iri for m in found.methods}


def test_under_a_concept_takes_narrower_concepts_too(catalogue_ctx: Context) -> None:
    base = catalogue_ctx.settings.base_iri
    direct = page_methods(catalogue_ctx, lang="en", field=f"{base}field/machine-learning")
    under = count_listed_methods(catalogue_ctx, under=f"{base}field/machine-learning")
    assert under > len(direct.methods)


def test_bad_list_parameters_are_refused(catalogue_ctx: Context) -> None:
    with pytest.raises(ListInputError):
        page_methods(catalogue_ctx, lang="en", sort="cheapest")
    with pytest.raises(ListInputError):
        list_resources(catalogue_ctx, "venue", lang="en", sort="newest")


@pytest.mark.parametrize(
    "path",
    ["/?sort=cheapest", "/systems?sort=x", "/venues?sort=newest",
     "/families/diffusion-models?sort=1", "/?text=" + "x" * 201, "/systems?after=" + "k" * 700],
)  # fmt: skip
def test_bad_sort_filter_or_key_is_a_400_with_a_message(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert (
        "sort" in response.get_data(as_text=True)
        or "200" in response.get_data(as_text=True)
        or ("after" in response.get_data(as_text=True))
    )


def test_resource_listings_page_by_key_in_the_chosen_order(catalogue_ctx: Context) -> None:
    first = list_resources(catalogue_ctx, "venue", lang="en")
    labels = [item.label.lower() for item in first.items]
    assert labels == sorted(labels) and first.total >= len(first.items)
    if first.next_after is not None:
        second = list_resources(catalogue_ctx, "system", lang="en", after=first.next_after)
        assert second.items and second.items[0].label.lower() >= labels[-1]
    some = list_resources(catalogue_ctx, "venue", lang="en", text=labels[0][:4])
    assert some.items and some.total == len(some.items) or some.next_after


def test_list_forms_work_without_javascript(client: FlaskClient) -> None:
    for path in ("/", "/venues", "/families/diffusion-models"):
        page = client.get(path).get_data(as_text=True)
        form = re.search(
            r'<form method="get" action="[^"]*" class="list-controls".*?</form>', page, re.S
        )
        assert form is not None, path
        assert 'name="text"' in form.group(0) and 'type="submit"' in form.group(0)
    page = client.get("/?text=diffusion&sort=newest").get_data(as_text=True)
    assert "methods match" in page and 'value="newest" selected' in page
    page = client.get("/families/diffusion-models?text=ddpm").get_data(as_text=True)
    assert 'href="/methods/ddpm"' in page


def test_the_field_tree_is_filtered_by_name_and_sorted(client: FlaskClient) -> None:
    """/fields?text= keeps the matching fields (marked) and the broader ones leading to
    them; sort= orders every level; bad parameters are a 400 with a message."""
    page = client.get("/fields?text=deep+learning").get_data(as_text=True)
    assert "<mark>Deep learning</mark>" in page
    assert 'class="context"' in page and "Machine learning</a>" in page  # the way there
    assert "Statistics" not in page and "Biology" not in page
    japanese = client.get("/fields?text=統計", headers={"Accept-Language": "ja"})
    assert "<mark>統計学</mark>" in japanese.get_data(as_text=True)
    by_name = client.get("/fields?sort=name").get_data(as_text=True)
    nested = re.findall(r'href="/fields/([a-z-]+)"', by_name)
    assert nested.index("biology") < nested.index("computer-science") < nested.index("mathematics")
    by_methods = client.get("/fields").get_data(as_text=True)
    nested = re.findall(r'href="/fields/([a-z-]+)"', by_methods)
    assert nested.index("computer-science") < nested.index("biology")  # most methods first
    none = client.get("/fields?text=zzqqxx").get_data(as_text=True)
    assert "No field or family matches" in none
    assert client.get("/families?sort=year").status_code == 400
    assert client.get("/fields?text=" + "x" * 201).status_code == 400
