"""`kg import TABLE --mapping MAPPING.toml`: a lab's own method table (CSV or JSON)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, SKOS
from rdflib.term import Node

from kg.cli import main
from kg.config import PROJECT_ROOT
from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports import ImportFailed, import_files
from kg.services.loading import load_files
from kg.services.validation import validate_store
from tests.graphs import dump, named_graph, union

BASE = "https://w3id.org/rmkg/"
METHOD = Namespace(BASE + "method/")
PERSON = Namespace(BASE + "person/")
SOURCE = Namespace(BASE + "source/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
SCHEMA = Namespace("https://schema.org/")
GENID = BASE + ".well-known/genid/"
EXAMPLE_CSV = PROJECT_ROOT / "examples" / "lab-methods.csv"
EXAMPLE_MAPPING = PROJECT_ROOT / "examples" / "lab-methods.toml"
LIST_COLUMNS = ("Also known as", "Field", "Originators", "Related")


@pytest.fixture
def catalogue(curated_copy: Context) -> Context:
    """A store with the curated catalogue (a fresh one per test: the tests write)."""
    return curated_copy


def skolem_as_blank(graph: Graph) -> Graph:
    """The graph with skolem IRIs (year ranges, lists, authors) as blank nodes."""
    blank: dict[Node, BNode] = {}

    def term(node: Node) -> Node:
        if isinstance(node, URIRef) and str(node).startswith(GENID):
            return blank.setdefault(node, BNode())
        return node

    result = Graph()
    for s, p, o in graph:
        result.add((term(s), p, term(o)))
    return result


def described(graph: Graph, subject: Node) -> Graph:
    """``subject``'s triples and those of the skolem nodes it reaches, as blank nodes."""
    result = Graph()
    todo, seen = [subject], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            result.add((node, p, o))
            if isinstance(o, URIRef) and str(o).startswith(GENID):
                todo.append(o)
    return skolem_as_blank(result)


# --- the worked example (examples/lab-methods.csv) -------------------------------------------


def test_the_worked_example_imports_every_fact_of_a_new_method(catalogue: Context) -> None:
    report = import_files(catalogue, [EXAMPLE_CSV], mapping=EXAMPLE_MAPPING)
    assert report.records_read == 5
    assert sorted(report.created) == [
        str(METHOD[slug])
        for slug in ("gibbs-sampling", "kernel-density-estimation", "mann-whitney-u-test")
    ] + [str(METHOD["permutation-test"])]
    assert report.merged == [(f"{EXAMPLE_CSV}:6", str(METHOD.bootstrap))]
    assert report.skipped == []
    g = union(catalogue)

    permutation = METHOD["permutation-test"]
    expected = Graph()
    expected.add((permutation, RDF.type, KG.Method))
    expected.add((permutation, SKOS.prefLabel, Literal("Permutation test", lang="en")))
    expected.add((permutation, SKOS.prefLabel, Literal("並べ替え検定", lang="ja")))
    aliases = BNode()
    Collection(expected, aliases, [Literal("randomization test", lang="en")])
    expected.add((permutation, KG.aliases, aliases))
    expected.add((permutation, SKOS.altLabel, Literal("randomization test", lang="en")))
    expected.add((permutation, KG.field, URIRef(BASE + "field/statistics")))
    expected.add((permutation, KG.family, URIRef(BASE + "family/resampling-methods")))
    years = BNode()
    expected.add((permutation, KG.yearOfOrigin, years))
    expected.add((years, RDF.type, KG.YearRange))
    expected.add((years, KG.startYear, Literal("1935", datatype=XSD.gYear)))
    expected.add((years, KG.endYear, Literal("1937", datatype=XSD.gYear)))
    expected.add((permutation, KG.attribution, Literal("Fisher (1935); Pitman (1937)", lang="en")))
    expected.add((permutation, KG.originator, PERSON["ronald-a-fisher"]))
    expected.add((permutation, KG.originator, PERSON["e-j-g-pitman"]))
    expected.add((permutation, KG.methodType, Literal("Hypothesis test", lang="en")))
    expected.add((permutation, KG.originalSource, SOURCE["fisher-1935-design-experiments"]))
    summary = next(iter(g.objects(permutation, KG.summary)))
    assert str(summary).startswith("Tests a null hypothesis of exchangeability")
    expected.add((permutation, KG.summary, Literal(str(summary), lang="en")))
    assert isomorphic(described(g, permutation), expected)

    assert (PERSON["ronald-a-fisher"], FOAF.name, Literal("Ronald A. Fisher")) in g
    fisher_book = SOURCE["fisher-1935-design-experiments"]
    assert (fisher_book, DCTERMS.title, Literal("The Design of Experiments", lang="en")) in g
    assert (fisher_book, DCTERMS.issued, Literal("1935", datatype=XSD.gYear)) in g
    assert (
        fisher_book,
        DCTERMS.bibliographicCitation,
        Literal("Fisher, R. A. (1935). The Design of Experiments. Oliver and Boyd."),
    ) in g


def test_the_worked_example_links_sources_people_and_related_methods(catalogue: Context) -> None:
    import_files(catalogue, [EXAMPLE_CSV], mapping=EXAMPLE_MAPPING)
    g = union(catalogue)
    mann_whitney = METHOD["mann-whitney-u-test"]
    source = g.value(mann_whitney, KG.originalSource)
    assert (source, BIBO.doi, Literal("10.1214/aoms/1177730491")) in g
    assert (source, BIBO.volume, Literal("18")) in g
    assert (source, BIBO.pages, Literal("50–60")) in g
    # "Nonparametric methods" is no family of the catalogue: one is created, shared by two rows
    family = URIRef(BASE + "family/nonparametric-methods")
    assert (mann_whitney, KG.family, family) in g
    assert (METHOD["kernel-density-estimation"], KG.family, family) in g
    assert (family, SKOS.prefLabel, Literal("Nonparametric methods", lang="en")) in g
    # related by id (permutation-test) and by name ("Metropolis–Hastings Algorithm")
    assert (mann_whitney, KG.relatedMethod, METHOD["permutation-test"]) in g
    assert (METHOD.bootstrap, KG.relatedMethod, METHOD["permutation-test"]) in g
    assert (METHOD["gibbs-sampling"], KG.relatedMethod, METHOD["metropolis-hastings"]) in g
    # the catalogue's person is reused, not copied
    assert (METHOD.bootstrap, KG.originator, PERSON["bradley-efron"]) in g
    assert len(set(g.subjects(FOAF.name, Literal("Bradley Efron")))) == 1
    # the merged method keeps its catalogue facts, the import adds no second label or year
    assert set(g.objects(METHOD.bootstrap, SKOS.prefLabel)) >= {Literal("Bootstrap", lang="en")}
    assert len(set(g.objects(METHOD.bootstrap, KG.yearOfOrigin))) == 1
    # the provenance records the mapping's licence and credit
    graph = URIRef(catalogue.graph_iri("import-lab-methods"))
    assert (graph, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in g
    assert validate_store(catalogue).conforms


def test_kg_import_with_mapping_on_the_command_line(
    catalogue: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_STORE", catalogue.settings.store)
    result = CliRunner().invoke(
        main,
        ["import", str(EXAMPLE_CSV), "--mapping", str(EXAMPLE_MAPPING)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert "records read: 5; methods created: 4, merged: 1, skipped: 0" in result.stdout
    # without --mapping a .csv is still an Epoch AI export
    result = CliRunner().invoke(main, ["import", str(EXAMPLE_CSV)], catch_exceptions=False)
    assert result.exit_code == 1 and "missing column(s) 'Model'" in result.stderr


def example_as_json(path: Path) -> None:
    """The worked example as a JSON array of objects: list columns as arrays, years of a
    single year as numbers, empty cells null."""
    with EXAMPLE_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    items: list[dict[str, object]] = []
    for row in rows:
        item: dict[str, object] = {}
        for column, value in row.items():
            if not value:
                item[column] = None
            elif column in LIST_COLUMNS:
                item[column] = [v.strip() for v in value.split(";")]
            elif column == "Years" and value.isdigit():
                item[column] = int(value)
            else:
                item[column] = value
        items.append(item)
    path.write_text(json.dumps(items, ensure_ascii=False, indent=2), encoding="utf-8")


def test_a_json_table_gives_the_same_graph_as_the_csv(
    catalogue: Context, tmp_path: Path, settings_factory: Callable[[], Context]
) -> None:
    import_files(catalogue, [EXAMPLE_CSV], mapping=EXAMPLE_MAPPING)
    from_csv = named_graph(catalogue, "import-lab-methods")
    table = tmp_path / "lab-methods.json"
    example_as_json(table)
    other = settings_factory()
    report = import_files(other, [table], mapping=EXAMPLE_MAPPING)
    assert report.records_read == 5 and len(report.created) == 4
    from_json = named_graph(other, "import-lab-methods")
    assert len(from_csv) > 100
    assert isomorphic(skolem_as_blank(from_csv), skolem_as_blank(from_json))


@pytest.fixture
def settings_factory(tmp_path: Path) -> Iterator[Callable[[], Context]]:
    """Another store with the catalogue, beside the ``catalogue`` fixture's."""
    from kg.config import Settings

    opened: list[Context] = []

    def make() -> Context:
        context = Context.from_settings(
            Settings.from_env({}, store=str(tmp_path / f"store-{len(opened)}"))
        )
        load_files(context, [Path(context.settings.data_dir)])
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.store.close()


# --- merging and re-importing -----------------------------------------------------------------


LABEL_ONLY_MAPPING = """\
language = "en"

[columns]
Method = "label"
"Other names" = { target = "alias", separator = "," }
Area = "field"
Started = "year"
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_row_is_merged_with_a_stored_method_by_label(catalogue: Context, tmp_path: Path) -> None:
    mapping = write(tmp_path / "names.toml", LABEL_ONLY_MAPPING)
    table = write(
        tmp_path / "names.csv",
        "Method,Other names,Area,Started\n"
        "bootstrapping,,Statistics,1979\n"  # an alias of method/bootstrap, any case
        'Split-plot design,"split plot, split-unit design",Statistics,1925\n',
    )
    report = import_files(catalogue, [table], mapping=mapping)
    assert report.merged == [(f"{table}:2", str(METHOD.bootstrap))]
    assert report.created == [str(METHOD["split-plot-design"])]
    g = union(catalogue)
    assert len(set(g.subjects(SKOS.altLabel, Literal("bootstrapping", lang="en")))) == 1
    # the same year as the catalogue's: no second year range
    assert len(set(g.objects(METHOD.bootstrap, KG.yearOfOrigin))) == 1
    head = g.value(METHOD["split-plot-design"], KG.aliases)
    assert head is not None
    assert [str(x) for x in Collection(g, head)] == [
        "split plot",
        "split-unit design",
    ]


def test_reimporting_a_table_replaces_its_graph(vocab_ctx: Context, tmp_path: Path) -> None:
    mapping = write(tmp_path / "names.toml", LABEL_ONLY_MAPPING)
    header = "Method,Other names,Area,Started\n"
    table = write(
        tmp_path / "lab.csv",
        header + "Split-plot design,,Statistics,1925\nSeriation,,Statistics,1899\n",
    )
    import_files(vocab_ctx, [table], mapping=mapping)
    once = dump(vocab_ctx)
    import_files(vocab_ctx, [table], mapping=mapping)
    data = [q for q in dump(vocab_ctx) if "/graph/provenance/" not in q]
    assert data == [q for q in once if "/graph/provenance/" not in q]

    write(table, header + "Split-plot design,,Statistics,1926\n")
    report = import_files(vocab_ctx, [table], mapping=mapping)
    assert report.created == [str(METHOD["split-plot-design"])]
    g = union(vocab_ctx)
    assert (METHOD.seriation, RDF.type, KG.Method) not in g
    years = set(g.objects(METHOD["split-plot-design"], KG.yearOfOrigin))
    assert len(years) == 1
    assert g.value(years.pop(), KG.startYear) == Literal("1926", datatype=XSD.gYear)


def test_doi_url_and_arxiv_columns_describe_the_source(vocab_ctx: Context, tmp_path: Path) -> None:
    mapping = write(
        tmp_path / "src.toml",
        'language = "en"\n[columns]\nName = "label"\nField = "field"\n'
        'Paper = "source-title"\nDOI = "doi"\nPage = "url"\narXiv = "arxiv"\n',
    )
    table = write(
        tmp_path / "src.csv",
        "Name,Field,Paper,DOI,Page,arXiv\n"
        "Method A,Statistics,A paper,https://doi.org/10.1234/abc.5,https://example.org/a,\n"
        "Method B,Statistics,B paper,,,arXiv:2101.00001v2\n",
    )
    import_files(vocab_ctx, [table], mapping=mapping)
    g = union(vocab_ctx)
    a = g.value(METHOD["method-a"], KG.originalSource)
    assert (a, BIBO.doi, Literal("10.1234/abc.5")) in g
    assert (a, SCHEMA.url, URIRef("https://example.org/a")) in g
    assert (a, DCTERMS.title, Literal("A paper", lang="en")) in g
    b = g.value(METHOD["method-b"], KG.originalSource)
    assert (b, KG.arxivId, Literal("2101.00001")) in g


# --- malformed inputs: one clear message each, nothing written ---------------------------------


GOOD_MAPPING = """\
language = "en"

[columns]
id = "id"
Name = "label"
Aliases = { target = "alias", separator = ";" }
Field = "field"
Years = "year"
"""
GOOD_TABLE = (
    "id,Name,Aliases,Field,Years\n"
    'split-plot,Split-plot design,"split plot; split-unit design",Statistics,1925\n'
    "seriation,Seriation,,Statistics,1899\n"
)


@pytest.mark.parametrize(
    ("mapping", "table", "suffix", "message"),
    [
        pytest.param(
            GOOD_MAPPING.replace("Years =", "Yeers ="),
            GOOD_TABLE,
            ".csv",
            "MAPPING:8: column 'Yeers' is not a column of TABLE",
            id="unknown-column",
        ),
        pytest.param(
            GOOD_MAPPING.replace('"year"', '"year-of-birth"'),
            GOOD_TABLE,
            ".csv",
            "MAPPING:8: column 'Years': unknown target 'year-of-birth'",
            id="unknown-target",
        ),
        pytest.param(
            GOOD_MAPPING,
            GOOD_TABLE.replace(",1899", ",18x9"),
            ".csv",
            "TABLE:3: column 'Years': not a year or year range: '18x9'",
            id="bad-year",
        ),
        pytest.param(
            GOOD_MAPPING,
            GOOD_TABLE.replace("Seriation,,", '"Seriation,\nover two lines",,').replace(
                ",1899", ",1899–1890"
            ),
            ".csv",
            "TABLE:3: column 'Years': the year range '1899–1890' starts after it ends",
            id="bad-year-after-a-multiline-cell",
        ),
        pytest.param(
            GOOD_MAPPING,
            GOOD_TABLE.replace("seriation,", ","),
            ".csv",
            "TABLE:3: no id: column 'id' is empty",
            id="missing-id",
        ),
        pytest.param(
            GOOD_MAPPING.replace('id = "id"\n', ""),
            GOOD_TABLE.replace("Seriation,", ","),
            ".csv",
            "TABLE:3: no label: the row names no method",
            id="missing-label",
        ),
        pytest.param(
            GOOD_MAPPING,
            GOOD_TABLE.replace("seriation,", "new-method,").replace("Seriation", ""),
            ".csv",
            "TABLE:3: no label: 'new-method' is not a method in the store",
            id="new-method-without-label",
        ),
        pytest.param(
            GOOD_MAPPING.replace('separator = ";"', "separator = 1"),
            GOOD_TABLE,
            ".csv",
            "MAPPING:6: column 'Aliases': the separator must be a non-empty string",
            id="separator-not-a-string",
        ),
        pytest.param(
            GOOD_MAPPING.replace('Years = "year"', 'Years = { target = "year", separator = "-" }'),
            GOOD_TABLE,
            ".csv",
            "MAPPING:8: column 'Years': target 'year' takes one value per cell, so no separator",
            id="separator-on-a-single-value",
        ),
        pytest.param(
            GOOD_MAPPING.replace('Field = "field"', 'Field = "field'),
            GOOD_TABLE,
            ".csv",
            "MAPPING:7: the mapping is not valid TOML",
            id="toml-syntax",
        ),
        pytest.param(
            GOOD_MAPPING.replace('id = "id"\nName = "label"\n', 'Field2 = "field"\n'),
            GOOD_TABLE,
            ".csv",
            "the mapping names no id column and no label column",
            id="no-id-or-label-column",
        ),
        pytest.param(
            GOOD_MAPPING,
            GOOD_TABLE.replace("seriation,", "split-plot,"),
            ".csv",
            "TABLE:3: id 'split-plot' repeats TABLE:2",
            id="duplicate-id",
        ),
        pytest.param(
            GOOD_MAPPING,
            json.dumps(
                [
                    {"id": "split-plot", "Name": "Split-plot design", "Years": 1925},
                    {"id": "seriation", "Name": "Seriation", "Years": "about 1899"},
                    {"Aliases": None, "Field": "Statistics"},
                ]
            ),
            ".json",
            "TABLE: record 2: column 'Years': not a year or year range: 'about 1899'",
            id="json-bad-year",
        ),
        pytest.param(
            GOOD_MAPPING,
            json.dumps(
                [{"id": "a", "Name": ["A", "B"], "Aliases": [], "Field": "x", "Years": None}]
            ),
            ".json",
            "TABLE: record 1: column 'Name' holds a list, but target 'label' takes one value",
            id="json-list-for-one-value",
        ),
    ],
)
def test_a_malformed_table_or_mapping_gives_one_clear_message_and_writes_nothing(
    vocab_ctx: Context, tmp_path: Path, mapping: str, table: str, suffix: str, message: str
) -> None:
    mapping_path = write(tmp_path / "lab.toml", mapping)
    table_path = write(tmp_path / f"lab{suffix}", table)
    before = dump(vocab_ctx)
    with pytest.raises(ImportFailed) as failure:
        import_files(vocab_ctx, [table_path], mapping=mapping_path)
    text = str(failure.value)
    expected = message.replace("MAPPING", str(mapping_path)).replace("TABLE", str(table_path))
    assert expected in text
    assert "\n" not in text
    assert dump(vocab_ctx) == before


def test_the_good_table_of_the_malformed_cases_imports(vocab_ctx: Context, tmp_path: Path) -> None:
    mapping_path = write(tmp_path / "lab.toml", GOOD_MAPPING)
    table_path = write(tmp_path / "lab.csv", GOOD_TABLE)
    report = import_files(vocab_ctx, [table_path], mapping=mapping_path)
    assert sorted(report.created) == [str(METHOD.seriation), str(METHOD["split-plot"])]


def test_a_mapping_reads_only_csv_or_json(vocab_ctx: Context, tmp_path: Path) -> None:
    mapping_path = write(tmp_path / "lab.toml", GOOD_MAPPING)
    notes = write(tmp_path / "lab.md", "| a |\n")
    with pytest.raises(ImportFailed, match=r"a mapping file reads a \.csv or \.json table"):
        import_files(vocab_ctx, [notes], mapping=mapping_path)
    with pytest.raises(ImportFailed, match="needs a mapping file"):
        import_files(vocab_ctx, [notes], format="spreadsheet")
