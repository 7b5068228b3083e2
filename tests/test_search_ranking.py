"""Search ranking (issue 7): whichever way the index gathers the matches (one statement
for all, tier by tier, labels and aliases first), the ranked list is the one the README
promises, checked against a plain reading of the methods' texts."""

from __future__ import annotations

from typing import Any

import pytest

from kg.search import index as index_module
from kg.search import matching
from kg.search.index import SearchIndex
from kg.search.matching import Matcher
from kg.search.schema import TEXT_KINDS, TIERS
from kg.search.text import MIN_INDEXED, WORD_BREAKS, is_cjk, normalise, phrase, terms_of
from kg.services.context import Context
from kg.services.search import current_index

QUERIES = [
    "diffusion",
    "model",
    "learning",
    "diffusion model",
    "transfer learning with diffusion models",
    "network",
    "de",
    "TL",
    "拡散",
    "ラ",
    "การ",
    "he",
    "net m",
    "deep",
    "zzzzq",
]
FILTERS = [{}, {"field": "deep-learning"}, {"decade": "2020"}, {"field": "machine-learning"}]


def _phrases(doc: dict[str, Any], kind: str) -> list[str]:
    return [p for p in (phrase(normalise(text)) for _, text in doc.get(kind, [])) if p]


def _starts_a_word(term: str, texts: list[str]) -> bool:
    if is_cjk(term):
        return any(term in text for text in texts)
    return any(
        text.startswith(term) or any(b + term in text for b in WORD_BREAKS) for text in texts
    )


def _tier(doc: dict[str, Any], terms: list[str], concept_match: bool) -> str | None:
    joined = " ".join(terms)
    labels, aliases = _phrases(doc, "label"), _phrases(doc, "alias")
    other = [p for kind in TEXT_KINDS for p in _phrases(doc, kind)]
    if all(len(t) < MIN_INDEXED for t in terms):

        def holds(texts: list[str]) -> bool:
            return all(_starts_a_word(t, texts) for t in terms)

        everywhere = holds(labels + aliases)
    else:

        def holds(texts: list[str]) -> bool:
            return all(any(t in text for text in texts) for t in terms)

        everywhere = holds(labels + aliases + other)
    for names, exact, prefix, within in (
        (labels, "exact", "prefix", "label"),
        (aliases, "alias-exact", "alias-prefix", "alias"),
    ):
        if joined in names:
            return exact
        if any(n.startswith(joined) for n in names):
            return prefix
        if holds(names):
            return within
    if everywhere:
        return "text"
    return "concept" if concept_match else None


def expected(index: SearchIndex, text: str, filters: dict[str, str]) -> list[tuple[int, str]]:
    """Every match, ranked: tier, then index order (shortest label first)."""
    terms = terms_of(text)
    docs = index.documents(list(range(1, index.methods + 1)))
    matching = {(c.kind, c.id) for c in index.matching_concepts(terms)}
    codes = {(facet, value) for facet, value in filters.items()}
    found = []
    for rid, doc in docs.items():
        facets = index.facet_counts([rid])
        pairs = {(facet, value) for facet, counts in facets.items() for value in counts}
        if not codes <= pairs:
            continue
        concept_match = any(pair in matching for pair in pairs)
        tier = _tier(doc, terms, concept_match)
        if tier is not None:
            found.append((TIERS.index(tier), rid, tier))
    return [(rid, tier) for _, rid, tier in sorted(found)]


@pytest.fixture(scope="module")
def index(catalogue_ctx: Context) -> SearchIndex:
    found = current_index(catalogue_ctx, wait=None)
    assert found is not None
    return found


@pytest.fixture(params=["as planned", "tier by tier", "names first", "prefixes by trigrams"])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force each way of gathering the matches (the small catalogue alone would always
    take the first)."""
    if request.param in ("tier by tier", "prefixes by trigrams"):
        monkeypatch.setattr(index_module, "FEW", -1)
    if request.param == "prefixes by trigrams":
        monkeypatch.setattr(matching, "HEAD_SLACK", -1)
        monkeypatch.setattr(matching, "MANY_NAMES", 0)
    elif request.param == "names first":
        monkeypatch.setattr(Matcher, "estimate", lambda self, scope: 0 if scope == "names" else 1e9)
    return str(request.param)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_ranking_matches_a_plain_reading_of_the_texts(
    index: SearchIndex, strategy: str, filters: dict[str, str]
) -> None:
    for text in QUERIES:
        want = expected(index, text, filters)
        pairs = list(filters.items())
        for cap in (1, 3, 10, 1000):
            found = index.candidates(terms_of(text), pairs, cap=cap)
            assert found.hits == want[:cap], (text, filters, cap, strategy)
            assert found.capped == (len(want) > cap), (text, filters, cap)
    assert expected(index, "diffusion", {})  # the queries do find something


def test_short_words_start_words_of_labels_and_aliases(index: SearchIndex) -> None:
    def ids(text: str) -> set[str]:
        found = index.candidates(terms_of(text), cap=1000).hits
        return {doc["id"] for doc in index.documents([rid for rid, _ in found]).values()}

    tldm = "transfer-learning-with-diffusion-models"
    assert tldm in ids("TL") and tldm in ids("dm")  # the alias TL-DM
    assert tldm not in ids("ra")  # inside "Transfer", at the start of no word
    assert tldm in ids("拡散") and tldm in ids("散モ")  # Japanese: anywhere
    assert tldm in ids("d") and tldm in ids("t")


def test_a_word_found_in_no_text_matches_nothing(index: SearchIndex) -> None:
    matcher = Matcher(index._conn(), terms_of("diffusoin"), [], index.methods)
    assert matcher.absent()
    assert index.candidates(terms_of("diffusoin"), cap=10).hits == []
    assert not Matcher(index._conn(), terms_of("iffusio"), [], index.methods).absent()
