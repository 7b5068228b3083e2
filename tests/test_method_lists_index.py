"""The method lists from the search index give the store's pages: the same methods, keys,
order, labels, fields and years, page after page, in every order, for the whole catalogue
and for each field and family (with their narrower ones)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.services.catalogue import (
    PAGE_SIZE,
    MethodPage,
    _page_from_index,
    _page_from_store,
    browse_concepts,
    page_methods,
)
from kg.services.context import Context
from kg.services.default_catalogue import DefaultReport
from kg.services.search import built_index, current_index

SORTS = ("name", "year", "newest")


def from_store(ctx: Context, *, lang: str, after: str, sort: str, under: str = "") -> MethodPage:
    return _page_from_store(
        ctx, lang=lang, after=after, sort=sort, text="", field="", family="", under=under,
        decade=0,
    )  # fmt: skip


def from_index(ctx: Context, *, lang: str, after: str, sort: str, under: str = "") -> MethodPage:
    page = _page_from_index(ctx, lang=lang, after=after, sort=sort, under=under)
    assert page is not None, "the index was built: it answers"
    return page


def rows(page: MethodPage) -> list[tuple[object, ...]]:
    """What a list shows of each method. A method with several labels in one language or
    several fields shows one of them, which the store picks as it meets them: only the
    choice is compared then (that it is one of the method's own)."""
    return [(m.iri, m.id, m.label_lang, m.start_year) for m in page.methods]


def pages(ctx: Context, fetch: object, **args: str) -> Iterator[MethodPage]:
    after = ""
    while True:
        page = fetch(ctx, after=after, **args)  # type: ignore[operator]
        yield page
        if page.next_after is None:
            return
        after = page.next_after


def agree(ctx: Context, *, lang: str, sort: str, after: str = "", under: str = "") -> MethodPage:
    store = from_store(ctx, lang=lang, after=after, sort=sort, under=under)
    index = from_index(ctx, lang=lang, after=after, sort=sort, under=under)
    assert rows(index) == rows(store)
    assert index.next_after == store.next_after
    for ours, theirs in zip(index.methods, store.methods, strict=True):
        if ours.label != theirs.label:  # several labels in the language: one of the method's
            assert ours.label_lang == theirs.label_lang
        if ours.field_iri != theirs.field_iri:
            assert ours.field_iri and theirs.field_iri  # several fields: one of them
        elif ours.field != theirs.field:
            assert ours.field_lang == theirs.field_lang
    return index


@pytest.fixture(scope="module")
def curated(catalogue_ctx: Context) -> Context:
    assert current_index(catalogue_ctx, wait=None) is not None
    return catalogue_ctx


@pytest.mark.parametrize("lang", ["en", "th", "ja"])
@pytest.mark.parametrize("sort", SORTS)
def test_the_curated_catalogue_page_after_page(curated: Context, sort: str, lang: str) -> None:
    seen = 0
    after = ""
    while True:
        page = agree(curated, lang=lang, sort=sort, after=after)
        seen += len(page.methods)
        if page.next_after is None:
            break
        after = page.next_after
    index = built_index(curated)
    assert index is not None and seen == index.listed_count() > 0


@pytest.mark.parametrize("kind", ["field", "family"])
def test_every_concept_of_the_curated_catalogue(curated: Context, kind: str) -> None:
    concepts = browse_concepts(curated, kind, lang="en")
    assert concepts
    for concept in concepts:
        for sort in SORTS:
            index_pages = list(pages(curated, from_index, lang="ja", sort=sort, under=concept.iri))
            store_pages = list(pages(curated, from_store, lang="ja", sort=sort, under=concept.iri))
            assert [rows(p) for p in index_pages] == [rows(p) for p in store_pages], concept.iri
        index = built_index(curated)
        assert index is not None
        listed = sum(len(p.methods) for p in index_pages)
        assert index.listed_count((kind, concept.id)) == listed


def test_page_methods_reads_the_index_only_for_what_it_holds(curated: Context) -> None:
    """The unfiltered list comes from the index, a list filtered by a name text from the
    store; both are the store's pages."""
    first = page_methods(curated, lang="en")
    assert rows(first) == rows(from_store(curated, lang="en", after="", sort="name"))
    filtered = page_methods(curated, lang="en", text="diffusion")
    store = _page_from_store(
        curated, lang="en", after="", sort="name", text="diffusion", field="", family="",
        under="", decade=0,
    )  # fmt: skip
    assert filtered.methods and rows(filtered) == rows(store)


def test_without_an_index_the_store_answers(tmp_path: Path) -> None:
    """A snapshot whose index is not built (yet): no index is built for a list, and the
    store's page is the answer."""
    from kg.config import Settings
    from kg.services.loading import load_files

    settings = Settings.from_env({}, store=str(tmp_path / "store"), rate_limit=0)
    writer = Context.from_settings(settings)
    load_files(writer, [Path(settings.data_dir)])
    writer.store.close()
    unindexed = Settings.from_env(
        {}, store=str(tmp_path / "store"), search_dir=str(tmp_path / "other-search"), rate_limit=0
    )
    ctx = Context.from_settings(unindexed)
    assert built_index(ctx) is None
    assert _page_from_index(ctx, lang="en", after="", sort="name", under="") is None
    page = page_methods(ctx, lang="en")
    assert page.methods and rows(page) == rows(from_store(ctx, lang="en", after="", sort="name"))
    assert built_index(ctx) is None
    ctx.store.close()


@pytest.mark.shared
def test_the_default_catalogue_at_random_places(
    default_catalogue: tuple[Context, DefaultReport],
) -> None:
    """Thousands of real methods (Papers with Code, EDAM, AIO): labels without English,
    several start years, non-ASCII names. The first two pages and pages after keys of no
    method, in every order (the store takes a second or two a page here)."""
    ctx, _ = default_catalogue
    assert current_index(ctx, wait=None) is not None
    for sort in SORTS:
        first = agree(ctx, lang="en", sort=sort)
        assert len(first.methods) == PAGE_SIZE and first.next_after
        agree(ctx, lang="ja", sort=sort, after=first.next_after)
        # Keys that are no method's: inside the name range, the years', past the end.
        for after in {"name": ("m", "t"), "year": ("001990 ",), "newest": ("097990 ",)}[sort]:
            agree(ctx, lang="th", sort=sort, after=after)
        agree(ctx, lang="en", sort=sort, after="\uffff")
