"""The query library: headers, VALUES binding, and values that cannot change a query."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.config import PROJECT_ROOT
from kg.queries import BindingError, QueryFileError, QueryLibrary, parse_query_file

QUERIES = PROJECT_ROOT / "queries"
LIBRARY = QueryLibrary(QUERIES)
STORE_LIBRARY = QueryLibrary(QUERIES / "store")
"""The remote store's own queries and updates (src/kg/store/remote.py)."""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("query", list(LIBRARY), ids=lambda q: q.name)
def test_every_file_has_a_header_and_parses_as_written(query: object) -> None:
    from kg.queries import Query

    assert isinstance(query, Query)
    assert query.summary
    ox.Store().query(query.text)  # runs as-is: example values in place


@pytest.mark.parametrize("query", list(STORE_LIBRARY), ids=lambda q: q.name)
def test_every_store_file_has_a_header_and_runs_as_written(query: object) -> None:
    from kg.queries import Query

    assert isinstance(query, Query)
    assert query.summary
    store = ox.Store()
    (store.update if query.kind == "update" else store.query)(query.text)
    assert f"`store/{query.name}.rq`" in (QUERIES / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("query", list(LIBRARY), ids=lambda q: q.name)
def test_every_file_is_listed_in_the_readme(query: object) -> None:
    from kg.queries import Query

    assert isinstance(query, Query)
    assert f"`{query.name}.rq`" in (QUERIES / "README.md").read_text(encoding="utf-8")


def test_binding_replaces_only_the_values_blocks() -> None:
    query = LIBRARY["method-rows"]
    text = query.bind(method=["https://example.org/a", "https://example.org/b"], lang="th")
    assert "VALUES ?method { <https://example.org/a> <https://example.org/b> }" in text
    assert 'VALUES ?lang { "th" }' in text
    assert "transfer-learning-with-diffusion-models" not in text
    ox.Store().query(text)


def test_a_parameter_left_out_keeps_its_example() -> None:
    assert 'VALUES ?lang { "en" }' in LIBRARY["list-methods"].bind()


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("method", ["https://x/> } ?s ?p ?o { <y"]),
        ("method", ["javascript alert"]),
        ("method", ["not an iri"]),
        ("method", "https://x/single-string-instead-of-list"),
        ("method", []),
        ("lang", 'en" } INSERT DATA { <a> <b> <c> } #'),
        ("lang", "e n"),
        ("nope", "x"),
    ],
)
def test_bad_values_are_refused(param: str, value: object) -> None:
    with pytest.raises(BindingError):
        LIBRARY["method-rows"].bind({param: value})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_a_literal_value_never_changes_the_query_structure(value: str) -> None:
    path = Path(__file__).parent / "data" / "queries" / "echo-literal.rq"
    query = parse_query_file(path)
    text = query.bind(word=value)
    rows = list(ox.Store().query(text))
    assert len(rows) == 1
    assert rows[0]["word"].value == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "needs '#+ name"),
        ("#+ name: other\n#+ summary: s\nSELECT * WHERE { ?s ?p ?o }", "must equal the file"),
        ("#+ name: q\n#+ summary: s\n#+ param: x (iri): an x\nSELECT * { ?x ?p ?o }",
         "exactly one 'VALUES ?x"),
        ("#+ name: q\n#+ summary: s\n#+ param: x (colour): c\nSELECT * { VALUES ?x {1} }",
         "a parameter reads"),
        ("#+ name: q\n#+ summary: s\n#+ colour: red\nSELECT * { ?s ?p ?o }", "unknown header"),
    ],
)  # fmt: skip
def test_malformed_files_are_refused_with_a_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(QueryFileError, match=re.escape(message)):
        parse_query_file(write(tmp_path, "q", text))


def test_values_inside_comments_strings_and_iris_are_not_taken_for_the_block(
    tmp_path: Path,
) -> None:
    text = (
        "#+ name: q\n#+ summary: s\n#+ param: x (integer): n\n"
        "# VALUES ?x { 0 }\n"
        'SELECT ?x ?s WHERE { BIND("VALUES ?x { 9 }" AS ?s) VALUES ?x { 1 } }\n'
    )
    query = parse_query_file(write(tmp_path, "q", text))
    rows = list(ox.Store().query(query.bind(x=42)))
    assert rows[0]["x"].value == "42"
    assert rows[0]["s"].value == "VALUES ?x { 9 }"
