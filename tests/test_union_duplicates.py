"""A triple two named graphs state is one triple of the dataset: the union default graph is
read as a set by kg's counts, pages and the whole-store Turtle and N-Triples dumps."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.config import Settings
from kg.services.context import Context
from kg.services.loading import load_files
from kg.services.search import current_index
from kg.services.stats import collect_stats
from tests.graphs import dump, union

RESTATED = """\
@prefix kg: <https://w3id.org/rmkg/ontology#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/rmkg/method/ddpm> kg:originator <https://w3id.org/rmkg/person/jonathan-ho> ;
    kg:field <https://w3id.org/rmkg/field/deep-learning> ;
    kg:relatedMethod <https://w3id.org/rmkg/method/ddim> .
<https://w3id.org/rmkg/person/jonathan-ho> a kg:Person ; foaf:name "Jonathan Ho" .
<https://w3id.org/rmkg/field/deep-learning> skos:prefLabel "Deep learning"@en .
"""
RESTATED_TRIPLES = 6


@pytest.fixture
def twice(tmp_path: Path) -> Iterator[tuple[Context, Context]]:
    """The catalogue, and the catalogue with a graph restating five of its triples."""
    contexts = []
    for name, extra in (("once", []), ("twice", [tmp_path / "restated.ttl"])):
        (tmp_path / "restated.ttl").write_text(RESTATED, encoding="utf-8")
        settings = Settings.from_env({}, store=str(tmp_path / name), rate_limit=0)
        ctx = Context.from_settings(settings)
        load_files(ctx, [Path(settings.data_dir), *extra])
        contexts.append(ctx)
    yield contexts[0], contexts[1]
    for ctx in contexts:
        ctx.store.close()


def test_the_restated_triples_are_in_two_graphs(twice: tuple[Context, Context]) -> None:
    once, doubled = twice
    assert len(dump(doubled)) == len(dump(once)) + RESTATED_TRIPLES
    assert isomorphic(union(doubled), union(once))


def test_kg_stats_counts_a_triple_once(twice: tuple[Context, Context]) -> None:
    once, doubled = twice
    before, after = collect_stats(once), collect_stats(doubled)
    assert after.quads == before.quads + RESTATED_TRIPLES
    assert after.triples == before.triples == len(union(once))
    assert after.classes == before.classes


def page(ctx: Context, path: str) -> str:
    from kg.web import create_app

    app = create_app(ctx.settings, context=ctx)
    app.config["TESTING"] = True
    response = app.test_client().get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _values(html: str) -> str:
    return re.sub(r'<details class="prov">.*?</details>', "", html, flags=re.S)


def test_method_pages_and_the_dataset_page_count_a_triple_once(
    twice: tuple[Context, Context],
) -> None:
    once, doubled = twice
    for path in ("/methods/ddpm", "/compare?m=ddpm&m=ddim"):
        # the values, without their provenance markers (which rightly name both graphs)
        shown, doubly = _values(page(once, path)), _values(page(doubled, path))
        for text in ("Jonathan Ho", "Deep learning", "Denoising Diffusion Implicit Model"):
            assert doubly.count(text) == shown.count(text), (path, text)
    assert page(once, "/methods/ddpm").count("Jonathan Ho") >= 1
    triples = f"{len(union(once))} triples"
    assert triples in page(once, "/dataset") and triples in page(doubled, "/dataset")


@pytest.mark.parametrize("fmt", ["nt", "turtle"])
def test_the_default_graph_export_holds_a_triple_once(
    twice: tuple[Context, Context], fmt: str
) -> None:
    once, doubled = twice
    buffer = io.BytesIO()
    doubled.store.dump(buffer, fmt)  # type: ignore[arg-type]
    text = buffer.getvalue().decode("utf-8")
    if fmt == "nt":
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == len(set(lines)) == len(union(once))
    exported = Graph().parse(data=text, format=fmt)
    assert isomorphic(exported, union(once))


def test_the_search_index_holds_a_value_once(twice: tuple[Context, Context]) -> None:
    """The index reads the union graph, where a value two graphs state is two rows: a
    method's values and a concept's labels are each kept once all the same."""
    once, doubled = twice
    single, restated = current_index(once, wait=None), current_index(doubled, wait=None)
    assert single is not None and restated is not None
    assert restated.methods == single.methods
    rids = range(1, single.methods + 1)
    assert restated.documents(rids) == single.documents(rids)
    assert restated.concepts() == single.concepts()
    deep = restated.concept("field", "deep-learning")
    assert deep is not None and deep.labels.count(("en", "Deep learning")) == 1
