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
    count_listed_methods,
    page_methods,
)
from kg.services.context import Context
from kg.services.default_catalogue import DefaultReport
from kg.services.search import built_index, current_index

SORTS = ("name", "year", "newest", "usage")


def from_store(
    ctx: Context, *, lang: str, after: str, sort: str, under: str = "", text: str = ""
) -> MethodPage:
    return _page_from_store(
        ctx, lang=lang, after=after, sort=sort, text=text, field="", family="", under=under,
        decade=0,
    )  # fmt: skip


def from_index(
    ctx: Context, *, lang: str, after: str, sort: str, under: str = "", text: str = ""
) -> MethodPage:
    page = _page_from_index(ctx, lang=lang, after=after, sort=sort, under=under, text=text)
    assert page is not None, "the index was built: it answers"
    return page


def rows(page: MethodPage) -> list[tuple[object, ...]]:
    """What a list shows of each method. A method with several labels in one language or
    several fields shows one of them, which the store picks as it meets them: only the
    choice is compared then (that it is one of the method's own)."""
    return [(m.iri, m.id, m.label_lang, m.start_year, m.papers) for m in page.methods]


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


TEXTS = ["diffusion", "diffusion model", "learn", "net", "de", "a", "拡散", "การแพร่กระจาย", "lora"]
"""Name filters that compare alike lower-cased and folded (no accents, no punctuation)."""


@pytest.mark.parametrize("text", TEXTS)
def test_a_name_filter_gives_the_stores_pages(curated: Context, text: str) -> None:
    index = built_index(curated)
    assert index is not None
    concepts = [c.iri for c in browse_concepts(curated, "family", lang="en")[:3]]
    for under in ["", *concepts]:
        for sort in SORTS:
            found = list(pages(curated, from_index, lang="th", sort=sort, under=under, text=text))
            stored = list(pages(curated, from_store, lang="th", sort=sort, under=under, text=text))
            assert [rows(p) for p in found] == [rows(p) for p in stored], (text, under, sort)
        expected = sum(len(p.methods) for p in stored)
        assert count_listed_methods(curated, text=text, under=under) == expected
    assert count_listed_methods(curated, text=text) > 0


def test_a_name_filter_through_the_index_folds_as_search_does(curated: Context) -> None:
    """Accents, case and the punctuation around words do not keep a name out."""
    plain = rows(from_index(curated, lang="en", after="", sort="name", text="diffusion"))
    for variant in ("DIFFÚSION", "(diffusion)", "  Diffusion, "):
        assert rows(from_index(curated, lang="en", after="", sort="name", text=variant)) == plain
    assert from_index(curated, lang="en", after="", sort="name", text="--").methods == ()
    assert from_index(curated, lang="en", after="", sort="name", text="zzqqxx").methods == ()


def test_page_methods_reads_the_index_only_for_what_it_holds(curated: Context) -> None:
    """The unfiltered list and a name filter come from the index, a list of one direct
    field from the store; all are the store's pages."""
    first = page_methods(curated, lang="en")
    assert rows(first) == rows(from_store(curated, lang="en", after="", sort="name"))
    named = page_methods(curated, lang="en", text="diffusion")
    assert named.methods and rows(named) == rows(
        from_store(curated, lang="en", after="", sort="name", text="diffusion")
    )
    field = browse_concepts(curated, "field", lang="en")[0].iri
    in_field = page_methods(curated, lang="en", field=field)
    store = _page_from_store(
        curated, lang="en", after="", sort="name", text="", field=field, family="",
        under="", decade=0,
    )  # fmt: skip
    assert in_field.methods and rows(in_field) == rows(store)


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
        keys = {"name": ("m", "t"), "year": ("001990 ",), "newest": ("097990 ",),
                "usage": ("0999999000 ", "9999999999 ")}  # fmt: skip
        for after in keys[sort]:
            agree(ctx, lang="th", sort=sort, after=after)
        agree(ctx, lang="en", sort=sort, after="\uffff")


def test_most_used_first_with_paper_counts(tmp_path: Path) -> None:
    """The curated catalogue with the Papers with Code fixture's counts (transcribed from
    the real file): most papers first, then the methods never counted by name; both ways."""
    from kg.config import Settings
    from kg.services.loading import load_files

    settings = Settings.from_env({}, store=str(tmp_path / "store"), rate_limit=0)
    ctx = Context.from_settings(settings)
    fixture = Path(__file__).parent / "data" / "issue15"
    load_files(ctx, [Path(settings.data_dir), fixture])
    assert current_index(ctx, wait=None) is not None
    page = agree(ctx, lang="en", sort="usage")
    counted = [m.papers for m in page.methods if m.papers is not None]
    assert len(counted) >= 3 and counted == sorted(counted, reverse=True)
    transformer = next(m for m in page.methods if m.id == "transformer")
    assert transformer.papers == 11314  # tests/data/issue15/pwc-methods.ttl
    first_uncounted = len(counted)
    assert all(m.papers is None for m in page.methods[first_uncounted:])
    names = [m.label.lower() for m in page.methods[first_uncounted:]]
    assert names == sorted(names)
    for after in (page.next_after or "", "0999997000 ", "9999999999 "):
        agree(ctx, lang="ja", sort="usage", after=after)
    ctx.store.close()
