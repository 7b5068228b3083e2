"""`kg import` of comparison-page exports (the seed pages in ../shared/seeds/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, PROV, SKOS
from rdflib.term import Node

from kg.cli import main
from kg.config import PROJECT_ROOT
from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports import ImportFailed, import_files
from kg.services.loading import load_files
from tests.conftest import shared_path
from tests.graphs import dump, named_graph, union
from tests.seed_tables import read_seed

pytestmark = pytest.mark.shared

BASE = "https://w3id.org/rmkg/"
METHOD = Namespace(BASE + "method/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
PRISM = Namespace("http://prismstandard.org/namespaces/basic/2.0/")
GENID = BASE + ".well-known/genid/"
THAI = "000_9a2261afb79dbc4d.txt"
JAPANESE = "001_e25f6b441270cb72.txt"
DDPM_CITATION = (
    "Ho, J., Jain, A., & Abbeel, P. (2020). Denoising Diffusion Probabilistic Models. "
    "Advances in Neural Information Processing Systems (NeurIPS), 33, 6840–6851."
)
DREAMBOOTH_CITATION = (
    "Ruiz, N., Li, Y., Jampani, V., Pritch, Y., Rubinstein, M., & Aberman, K. (2023). "
    "DreamBooth: Fine Tuning Text-to-Image Diffusion Models for Subject-Driven Generation. "
    "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition "
    "(CVPR), 22500–22510."
)


def seed(name: str) -> Path:
    return shared_path("seeds", name)


def methods(graph: Graph) -> set[Node]:
    return set(graph.subjects(RDF.type, KG.Method))


def described(graph: Graph, subject: Node, skip: set[URIRef]) -> Graph:
    """``subject``'s triples and those of the skolem nodes it reaches (year range, lists),
    with skolem IRIs turned into blank nodes so that isomorphic() compares structure."""
    result = Graph()
    blank: dict[Node, BNode] = {}

    def term(node: Node) -> Node:
        if isinstance(node, URIRef) and str(node).startswith(GENID):
            return blank.setdefault(node, BNode())
        return node

    todo, seen = [subject], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            if p in skip:
                continue
            result.add((term(node), p, term(o)))
            if isinstance(o, URIRef) and str(o).startswith(GENID):
                todo.append(o)
    return result


def cell(path: Path, row: str, column: int) -> str:
    table = read_seed(path)
    return next(cells[column] for label, _, cells in table.rows if label == row)


def expected_method(
    iri: URIRef,
    *,
    labels: list[Literal],
    aliases: list[str],
    years: tuple[str, str],
    attribution: str,
    method_type: str,
    source: Node,
    summary: str,
) -> Graph:
    g = Graph()
    g.add((iri, RDF.type, KG.Method))
    for label in labels:
        g.add((iri, SKOS.prefLabel, label))
    items = [Literal(a, lang="en") for a in aliases]
    head = BNode()
    Collection(g, head, items)
    g.add((iri, KG.aliases, head))
    for item in items:
        g.add((iri, SKOS.altLabel, item))
    g.add((iri, KG.field, URIRef(BASE + "field/deep-learning")))
    g.add((iri, KG.family, URIRef(BASE + "family/machine-learning")))
    year_range = BNode()
    g.add((iri, KG.yearOfOrigin, year_range))
    g.add((year_range, RDF.type, KG.YearRange))
    g.add((year_range, KG.startYear, Literal(years[0], datatype=XSD.gYear)))
    g.add((year_range, KG.endYear, Literal(years[1], datatype=XSD.gYear)))
    g.add((iri, KG.attribution, Literal(attribution, lang="en")))
    g.add((iri, KG.methodType, Literal(method_type, lang="en")))
    g.add((iri, KG.originalSource, source))
    g.add((iri, KG.summary, Literal(summary, lang="en")))
    return g


def method_named(graph: Graph, label: Literal) -> URIRef:
    found = [s for s in graph.subjects(SKOS.prefLabel, label) if isinstance(s, URIRef)]
    assert len(found) == 1, f"{label!r}: {found}"
    return found[0]


def source_cited(graph: Graph, citation: str) -> URIRef:
    found = [
        s
        for s in graph.subjects(DCTERMS.bibliographicCitation, Literal(citation))
        if isinstance(s, URIRef)
    ]
    assert len(found) == 1, found
    return found[0]


# --- the two seed files ------------------------------------------------------------------------


def test_both_seed_files_import_as_three_methods_with_every_fact(vocab_ctx: Context) -> None:
    thai, japanese = seed(THAI), seed(JAPANESE)
    report = import_files(vocab_ctx, [thai, japanese])
    assert report.records_read == 4
    assert len(report.created) == 3 and len(report.merged) == 1 and not report.skipped

    g = union(vocab_ctx)
    assert len(methods(g)) == 3
    ddpm = source_cited(g, DDPM_CITATION)
    dreambooth = source_cited(g, DREAMBOOTH_CITATION)
    skip = {KG.relatedCount}

    transfer = method_named(g, Literal("拡散モデルを用いた転移学習", lang="ja"))
    assert transfer == method_named(
        g, Literal("การเรียนรู้แบบถ่ายโอนด้วยแบบจำลองการแพร่กระจาย", lang="th")
    )
    tl_aliases = [
        "diffusion model fine-tuning",
        "pre-trained diffusion transfer",
        "TL-DM",
        "domain-adapted diffusion model",
    ]
    expected = expected_method(
        transfer,
        labels=[
            Literal("การเรียนรู้แบบถ่ายโอนด้วยแบบจำลองการแพร่กระจาย", lang="th"),
            Literal("拡散モデルを用いた転移学習", lang="ja"),
            # no English name on either page, and none is made up
        ],
        aliases=tl_aliases,
        years=("2020", "2023"),
        attribution=cell(thai, "ผู้ริเริ่ม", 0),
        method_type="Generative model with transfer learning",
        source=ddpm,
        summary=cell(thai, "สรุป", 0),
    )
    assert isomorphic(described(g, transfer, skip), expected)
    assert transfer == METHOD["diffusion-model-fine-tuning"]

    fine_tuned = method_named(g, Literal("โมเดลการแพร่กระจายที่ปรับละเอียด", lang="th"))
    expected = expected_method(
        fine_tuned,
        labels=[
            Literal("โมเดลการแพร่กระจายที่ปรับละเอียด", lang="th"),
        ],
        aliases=[
            "DDPM fine-tuning",
            "diffusion model adaptation",
            "personalized diffusion model",
            "subject-driven diffusion fine-tuning",
        ],
        years=("2020", "2023"),
        attribution="Ho, J., Jain, A., Abbeel, P. (base DDPM); "
        "Ruiz et al. (DreamBooth fine-tuning paradigm)",
        method_type="Generative model (fine-tuned via subject-specific or domain-specific data)",
        source=dreambooth,
        summary=cell(thai, "สรุป", 1),
    )
    assert isomorphic(described(g, fine_tuned, skip), expected)

    self_supervised = method_named(g, Literal("自己教師あり拡散モデル", lang="ja"))
    expected = expected_method(
        self_supervised,
        labels=[Literal("自己教師あり拡散モデル", lang="ja")],
        aliases=[
            "SSDM",
            "self-supervised score-based model",
            "diffusion-based self-supervised learning",
            "denoising diffusion with self-supervised pretraining",
        ],
        years=("2020", "2022"),
        attribution="Ho, J. et al.; extended by Chen, T. et al. and subsequent "
        "self-supervised diffusion works",
        method_type="Generative model with self-supervised representation objective",
        source=ddpm,
        summary=cell(japanese, "概要", 1),
    )
    assert isomorphic(described(g, self_supervised, skip), expected)

    related = {m: [o.toPython() for o in g.objects(m, KG.relatedCount)] for m in methods(g)}
    assert related == {transfer: [5], fine_tuned: [5], self_supervised: [2]}


def test_citations_become_sources_with_authors_in_order(vocab_ctx: Context) -> None:
    import_files(vocab_ctx, [seed(THAI), seed(JAPANESE)])
    g = union(vocab_ctx)
    assert len(set(g.subjects(RDF.type, KG.Source))) == 2  # the DDPM citation twice: one source
    ddpm = source_cited(g, DDPM_CITATION)
    assert set(g.objects(ddpm, DCTERMS.title)) == {
        Literal("Denoising Diffusion Probabilistic Models", lang="en")
    }
    assert set(g.objects(ddpm, DCTERMS.issued)) == {Literal("2020", datatype=XSD.gYear)}
    assert set(g.objects(ddpm, PRISM.publicationName)) == {
        Literal("Advances in Neural Information Processing Systems (NeurIPS)", lang="en")
    }
    assert set(g.objects(ddpm, BIBO.volume)) == {Literal("33")}
    assert set(g.objects(ddpm, BIBO.pages)) == {Literal("6840–6851")}
    authors = Collection(g, g.value(ddpm, BIBO.authorList))
    assert [str(g.value(a, FOAF.name)) for a in authors] == ["Ho, J.", "Jain, A.", "Abbeel, P."]
    assert all((a, RDF.type, KG.Person) in g for a in authors)
    dreambooth = source_cited(g, DREAMBOOTH_CITATION)
    assert set(g.objects(dreambooth, BIBO.pages)) == {Literal("22500–22510")}
    # the export has no URL or DOI behind "link ↗" / "DOI ↗": none is made up
    for source in (ddpm, dreambooth):
        assert g.value(source, BIBO.doi) is None
        assert g.value(source, URIRef("https://schema.org/url")) is None


def test_each_file_has_its_graph_and_provenance(vocab_ctx: Context) -> None:
    import_files(vocab_ctx, [seed(THAI)])
    graphs = vocab_ctx.store.named_graphs()
    data_graph = vocab_ctx.graph_iri("import-000_9a2261afb79dbc4d")
    assert data_graph in graphs
    prov = named_graph(vocab_ctx, "provenance/import-000_9a2261afb79dbc4d")
    activity = prov.value(URIRef(data_graph), PROV.wasGeneratedBy)
    assert activity is not None and (activity, RDF.type, PROV.Activity) in prov
    assert prov.value(activity, PROV.startedAtTime) is not None
    source_file = prov.value(URIRef(data_graph), PROV.wasDerivedFrom)
    assert str(prov.value(source_file, DCTERMS.title)) == THAI
    assert str(prov.value(source_file, DCTERMS.language)) == "th"
    assert str(prov.value(source_file, DCTERMS.publisher)) == "ScholarGate"
    agent = prov.value(activity, PROV.wasAssociatedWith)
    assert (agent, RDF.type, PROV.SoftwareAgent) in prov
    results = {
        str(prov.value(r, URIRef("https://schema.org/name"))): prov.value(
            r, URIRef("https://schema.org/value")
        ).toPython()
        for r in prov.objects(activity, URIRef("https://schema.org/result"))
    }
    assert results["records read"] == 2 and results["methods created"] == 2


def test_importing_the_files_one_by_one_merges_and_gives_the_same_store(
    vocab_ctx: Context, settings: object, tmp_path: Path
) -> None:
    import_files(vocab_ctx, [seed(THAI), seed(JAPANESE)])
    together = [q for q in dump(vocab_ctx) if "/provenance/" not in q]

    from kg.config import Settings

    assert isinstance(settings, Settings)
    other = Context.from_settings(Settings.from_env({}, store=str(tmp_path / "other")))
    load_files(other, [PROJECT_ROOT / "data" / "concepts.ttl"])
    import_files(other, [seed(THAI)])
    report = import_files(other, [seed(JAPANESE)])
    assert len(report.created) == 1 and len(report.merged) == 1  # the transfer-learning method
    assert len(methods(union(other))) == 3
    assert [q for q in dump(other) if "/provenance/" not in q] == together
    other.store.close()


def test_reimporting_replaces(vocab_ctx: Context) -> None:
    files = [seed(THAI), seed(JAPANESE)]
    first = import_files(vocab_ctx, files)
    before = [q for q in dump(vocab_ctx) if "/provenance/" not in q]
    second = import_files(vocab_ctx, files)
    assert second.quads_after == first.quads_after
    assert [q for q in dump(vocab_ctx) if "/provenance/" not in q] == before
    import_files(vocab_ctx, [seed(THAI)])  # one file again: the same store
    assert [q for q in dump(vocab_ctx) if "/provenance/" not in q] == before
    assert len(methods(union(vocab_ctx))) == 3


def test_a_dry_run_writes_nothing(vocab_ctx: Context) -> None:
    before = dump(vocab_ctx)
    report = import_files(vocab_ctx, [seed(THAI), seed(JAPANESE)], dry_run=True)
    assert report.dry_run and len(report.created) == 3
    assert dump(vocab_ctx) == before


def test_merging_into_the_catalogue_keeps_its_facts(ctx: Context) -> None:
    load_files(ctx, [PROJECT_ROOT / "data"])
    before = len(methods(union(ctx)))
    report = import_files(ctx, [seed(THAI), seed(JAPANESE)])
    assert not report.created and len(report.merged) == 4
    g = union(ctx)
    assert len(methods(g)) == before
    transfer = METHOD["transfer-learning-with-diffusion-models"]
    assert len(set(g.objects(transfer, KG.yearOfOrigin))) == 1
    assert len(set(g.objects(transfer, KG.aliases))) == 1
    assert {
        str(label) for label in g.objects(transfer, SKOS.prefLabel) if label.language == "en"
    } == {"Transfer Learning with Diffusion Models"}
    # the catalogue's own summary stays the only English summary; the page's is reported
    assert len([s for s in g.objects(transfer, KG.summary) if s.language == "en"]) == 1
    assert any("summary" in note.reason for note in report.notes)


# --- broken inputs -----------------------------------------------------------------------------


@pytest.fixture
def run(vocab_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., object]]:
    monkeypatch.setenv("KG_STORE", vocab_ctx.settings.store)

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    yield invoke


def corrupt_last_row(source: Path, target: Path, replace: Callable[[str], str]) -> int:
    lines = source.read_text(encoding="utf-8").split("\n")
    index = max(i for i, line in enumerate(lines) if line.count("|") >= 3)
    lines[index] = replace(lines[index])
    target.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


@pytest.mark.parametrize(
    ("replace", "reason"),
    [
        (lambda line: line[: len(line) // 2], "must start and end with '|'"),
        (lambda line: line.rsplit(" | ", 1)[0] + " |", "has 1 value(s), expected 2"),
        (lambda line: "| Zusammenfassung" + line[line.index(" | ") :], "not a row label"),
    ],
    ids=["cut-short", "missing-cell", "unknown-label"],
)
def test_a_broken_last_row_fails_with_file_line_and_reason_and_writes_nothing(
    run: Callable[..., tuple[int, str, str]],
    vocab_ctx: Context,
    tmp_path: Path,
    replace: Callable[[str], str],
    reason: str,
) -> None:
    code, _, _ = run("import", str(seed(JAPANESE)))
    assert code == 0
    before = dump(vocab_ctx)
    broken = tmp_path / THAI
    line = corrupt_last_row(seed(THAI), broken, replace)
    code, stdout, stderr = run("import", str(seed(JAPANESE)), str(broken))
    assert code == 1
    assert f"{broken}:{line}:" in stderr and reason in stderr
    assert dump(vocab_ctx) == before


def test_a_bad_year_is_reported_with_its_line(
    run: Callable[..., tuple[int, str, str]], vocab_ctx: Context, tmp_path: Path
) -> None:
    text = (
        seed(THAI)
        .read_text(encoding="utf-8")
        .replace("| 2020–2023 | 2020–2023 |", "| 2023–2020 | 20x0 |")
    )
    broken = tmp_path / THAI
    broken.write_text(text, encoding="utf-8")
    before = dump(vocab_ctx)
    code, _, stderr = run("import", str(broken))
    assert code == 1 and f"{broken}:7:" in stderr and "starts after it ends" in stderr
    assert dump(vocab_ctx) == before


def test_the_cli_dry_run_reports_and_writes_nothing(
    run: Callable[..., tuple[int, str, str]], vocab_ctx: Context
) -> None:
    before = dump(vocab_ctx)
    code, stdout, _ = run("import", "--dry-run", str(seed(THAI)), str(seed(JAPANESE)))
    assert code == 0
    assert "records read: 4; methods created: 3, merged: 1, skipped: 0" in stdout
    assert "nothing written" in stdout
    assert dump(vocab_ctx) == before


def test_a_store_without_the_ontology_is_refused(ctx: Context) -> None:
    with pytest.raises(ImportFailed, match="kg load"):
        import_files(ctx, [seed(THAI)])


@pytest.mark.parametrize(
    "year_text",
    ["2020–2023", "2020-2023", "2020 – 2023", "2020"],
)
def test_year_ranges_are_read_in_each_spelling(year_text: str) -> None:
    from kg.services.imports.text import parse_year_range

    expected = (2020, 2020) if year_text == "2020" else (2020, 2023)
    assert parse_year_range(year_text) == expected
