"""`kg import` of Papers with Code and Epoch AI data (../shared/data/), and broken inputs."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports import ImportFailed, import_files
from kg.services.loading import load_files
from kg.services.rich_text import render_markdown
from tests.conftest import RealImports, shared_path
from tests.graphs import dump, union
from tests.stores import open_copy

pytestmark = pytest.mark.shared

PWC = ("data", "pwc_methods_2025-03.json")
EPOCH = ("data", "epoch_all_ai_models_2025-04.csv")
METHOD = "https://w3id.org/rmkg/method/"


@pytest.fixture(scope="module")
def imported(
    real_imports: RealImports, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Context, Graph]]:
    """The catalogue, then Papers with Code and Epoch AI imported (read-only): a copy of the
    session's store of those imports."""
    ctx = open_copy(real_imports.store, tmp_path_factory.mktemp("imports") / "store")
    yield ctx, union(ctx)
    ctx.store.close()


def test_every_papers_with_code_record_is_a_method(imported: tuple[Context, Graph]) -> None:
    _, g = imported
    records = json.loads(shared_path(*PWC).read_text(encoding="utf-8"))
    graph = g  # union: catalogue methods are merged, not duplicated
    for record in records:
        name = Literal(record["name"], lang="en")
        found = set(graph.subjects(SKOS.prefLabel, name)) | set(graph.subjects(SKOS.altLabel, name))
        assert any((m, RDF.type, KG.Method) in graph for m in found), record["name"]


def test_papers_with_code_facts(imported: tuple[Context, Graph]) -> None:
    _, g = imported
    sig = URIRef(METHOD + "sig")
    assert (sig, SKOS.prefLabel, Literal("SIG", lang="en")) in g
    assert (sig, SKOS.altLabel, Literal("Sliced Iterative Generator", lang="en")) in g
    year_range = g.value(sig, KG.yearOfOrigin)
    assert str(g.value(year_range, KG.startYear)) == "2020"  # from arXiv 2007.00674
    source = g.value(sig, KG.originalSource)
    assert str(g.value(source, KG.arxivId)) == "2007.00674"
    assert str(g.value(source, URIRef("https://schema.org/url"))) == (
        "https://arxiv.org/abs/2007.00674"
    )
    family = g.value(sig, KG.family)
    assert (family, RDF.type, KG.Family) in g
    # "Generative Models" is the catalogue's family "Generative models": matched, not copied
    assert family == URIRef("https://w3id.org/rmkg/family/generative-models")
    assert g.value(sig, KG.field) == URIRef("https://w3id.org/rmkg/field/computer-vision")
    assert len(set(g.subject_objects(KG.relatedMethod))) > 2000


def test_the_catalogue_keeps_its_facts_when_papers_with_code_merges(
    imported: tuple[Context, Graph],
) -> None:
    _, g = imported
    resnet = URIRef(METHOD + "resnet")
    assert len(set(g.objects(resnet, KG.yearOfOrigin))) == 1
    assert len([x for x in g.objects(resnet, KG.summary) if x.language == "en"]) == 1
    assert len(set(g.objects(resnet, KG.originalSource))) == 1


def test_epoch_originators_are_attached_through_arxiv_ids(
    imported: tuple[Context, Graph],
) -> None:
    ctx, g = imported
    sig = URIRef(METHOD + "sig")
    assert (sig, KG.originalSource, None) in g
    with_originators = set(g.subjects(KG.originator, None))
    assert len(with_originators) > 100
    for person in g.objects(None, KG.originator):
        assert (person, RDF.type, KG.Person) in g
        assert len(set(g.objects(person, FOAF.name))) == 1
    prov = ctx.graph_iri("import-epoch_all_ai_models_2025-04")
    licences = {str(o) for s, o in g.subject_objects(DCTERMS.license) if str(s) == prov}
    assert licences == {"https://creativecommons.org/licenses/by/4.0/"}


def test_papers_with_code_descriptions_show_as_markdown_on_method_pages(
    imported: tuple[Context, Graph],
) -> None:
    """The descriptions are Markdown with TeX math, kept as summaries: the method page shows
    bold as <strong> and math as a math element, the exports keep the source."""
    from kg.web import create_app

    ctx, g = imported
    settings = dataclasses.replace(ctx.settings, max_queries=1)
    client = create_app(settings, context=Context(settings, ctx.store, ctx.queries)).test_client()

    def summary(method: str) -> str:
        page = client.get(f"/methods/{method}?lang=en").get_data(as_text=True)
        start = page.index('<div class="rich-text"')
        return page[start : page.index("</dd>", start)]

    sig = summary("sig")
    assert "<strong>Sliced Iterative Generator (SIG)</strong>" in sig
    assert "**" not in sig
    revnet = summary("revnet")
    assert '<a href="https://paperswithcode.com/method/resnet" rel="noopener nofollow">' in revnet
    assert '<span class="math inline">x_{1}</span>' in revnet  # the dump has x\\_{1}
    assert "$" not in revnet and "**" not in revnet
    # No math of any imported summary keeps the dump's Markdown escapes (KaTeX would show
    # them); LAPGAN's unclosed dollar once made 13 of its spans keep theirs.
    math = re.compile(r'<(span|div) class="math[^"]*">(.*?)</\1>', re.DOTALL)
    escape = re.compile(r"(?<!\\)\\[_*()]")
    still_escaped = sorted(
        str(method)
        for method, summary in g.subject_objects(KG.summary)
        if any(escape.search(m[2]) for m in math.finditer(str(render_markdown(str(summary)))))
    )
    assert still_escaped == []
    source = str(g.value(URIRef(METHOD + "revnet"), KG.summary))
    assert source.startswith("A **Reversible Residual Network**")
    with client.get("/method/revnet.ttl") as turtle:
        assert "A **Reversible Residual Network**" in turtle.get_data(as_text=True)


# --- broken inputs: one clear message each, nothing written ----------------------------------


@pytest.fixture
def loaded(ctx: Context) -> Context:
    load_files(ctx, [Path(ctx.settings.data_dir) / "concepts.ttl"])
    return ctx


def _twenty_megabyte_cell(path: Path) -> None:
    path.write_text("Model,Authors,Link\nX," + "a" * (20 * 1024 * 1024) + ",\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "write", "message"),
    [
        ("truncated.json", lambda p: p.write_text('[{"url": "/method/a", "name": "A"', "utf-8"),
         "truncated.json:1:"),
        ("columns.csv", lambda p: p.write_text("Name,Writers,URL\na,b,c\n", "utf-8"),
         "missing column(s) 'Model', 'Authors', 'Link'"),
        ("latin1.json", lambda p: p.write_bytes(b'[{"name": "Caf\xe9"}]'), "not UTF-8 text"),
        ("huge.csv", _twenty_megabyte_cell, "huge.csv:"),
        ("empty.txt", lambda p: p.write_text("", "utf-8"), "the file is empty"),
        ("empty.csv", lambda p: p.write_text("\n", "utf-8"), "the file is empty"),
        ("object.json", lambda p: p.write_text('{"a": 1}', "utf-8"), "a JSON array"),
        ("keys.json", lambda p: p.write_text('[{"title": "x"}]', "utf-8"), "missing 'url'"),
        ("notes.txt", lambda p: p.write_text("just text\n", "utf-8"), "no Markdown table"),
    ],
)  # fmt: skip
def test_a_broken_input_gives_one_clear_message_and_writes_nothing(
    loaded: Context, tmp_path: Path, name: str, write: object, message: str
) -> None:
    path = tmp_path / name
    assert callable(write)
    write(path)
    before = dump(loaded)
    with pytest.raises(ImportFailed) as failure:
        import_files(loaded, [path])
    assert message in str(failure.value)
    assert str(failure.value).count("\n") == 0
    assert dump(loaded) == before
