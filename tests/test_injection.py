"""Injection: generated ids and parameter values on every route get 200, 400 or 404 (after
redirects), and no answer carries a triple of a hidden graph loaded for the test.

Values mix random text with fragments that would break out of a naively pasted query
(closing IRIs, strings, groups; UNION over everything; comments) — every value reaches a
query through the library's binding, so none can change a query's shape. The hidden
graph's subject, predicate and literal appear in no query, page or parameter; only the
public endpoint (/sparql, any query by design), Graph Store reads and the dumps could show
them, and those are asked here only for names the generator cannot produce.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.config import Settings
from kg.services.context import Context
from kg.services.loading import load_files
from kg.services.search import build_index
from kg.web import create_app

SECRET = "c0ffee-hidden-literal-5b1d"
HIDDEN_GRAPH = "urn:x-test:graph-5b1d"
HIDDEN = (
    f'<urn:x-test:subject-5b1d> <urn:x-test:predicate-5b1d> "{SECRET}" .\n'
    f'<https://w3id.org/rmkg/method/zz-hidden-5b1d> <urn:x-test:predicate-5b1d> "{SECRET}" .\n'
).encode()
ATTACKS = [
    '"> } UNION { GRAPH ?g { ?s ?p ?o } } #',
    "x> } UNION { ?s ?p ?o } #",
    'en" } } UNION { ?s ?p ?o } #',
    '" . ?s ?p ?o . "',
    "https://w3id.org/rmkg/method/ddpm> . ?s ?p ?o . <x",
    "https://w3id.org/rmkg/method/ddpm>} UNION {?s ?p ?o}#",
    "method:ddpm> ?p ?o } #",
    '\\" } #', "\\u003E } #", "%3E%20%7D", "') OR ('1'='1", "'; DROP TABLE methods; --",
    "ddpm\n} UNION {", "ddpm\x00", "ddpm\n", "0\n", "jonathan-ho\r\n", "../../../etc/passwd",
    "..%2f..%2fetc", "\u202e\u0000",
    "<script>alert(1)</script>", "javascript:alert(1)", "urn:x-test:", "_:b0", "?s", "$o",
    "*", "a" * 300, "", " ", "😀" * 5, "ไทย", "日本語", "-1", "99999999999999999999",
    "1e309", "0x10", "ddpm", "lora", "dreambooth", "diffusion", "statistics", "en", "th",
]  # fmt: skip
VALUE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(ATTACKS),
    st.tuples(st.sampled_from(ATTACKS), st.text(max_size=8)).map("".join),
)
FORMAT_NAMES = ["json", "csv", "ttl", "jsonld", "nt", "rdf", "md", "bib", "xml", "tsv",
                "turtle", "nq", "html"]  # fmt: skip
FORMATS = st.one_of(st.sampled_from(FORMAT_NAMES), st.text(max_size=6))
KINDS = ["person", "source", "field", "family", "scheme", "method"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    store = tmp_path_factory.mktemp("injection") / "store"
    settings = Settings.from_env({}, store=str(store), rate_limit=0)
    ctx = Context.from_settings(settings)
    load_files(ctx, [Path(settings.data_dir)])
    ctx.store.write_graph(HIDDEN_GRAPH, [(HIDDEN, "nt")], base_iri=settings.base_iri, replace=True)
    build_index(ctx)
    app = create_app(dataclasses.replace(settings), context=ctx)
    app.config["TESTING"] = True
    yield app.test_client()
    ctx.store.close()


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _library(client: FlaskClient) -> list[tuple[str, list[str]]]:
    ctx = client.application.extensions["kg.context"]
    return [(query.name, [p.name for p in query.parameters]) for query in ctx.queries]


Route = Callable[[str, str, str], str]
ROUTES: dict[str, Route] = {
    "method page": lambda a, b, c: f"/methods/{q(a)}",
    "citation": lambda a, b, c: f"/methods/{q(a)}/citation.{q(b)}",
    "compare": lambda a, b, c: f"/compare?m={q(a)}&m={q(b)}&only={q(c)}",
    "compare with one known": lambda a, b, c: f"/compare?m=ddpm&m={q(a)}&lang={q(b)}",
    "compare add": lambda a, b, c: f"/compare?m=ddpm&m=lora&add={q(a)}",
    "compare download": lambda a, b, c: f"/compare.{q(c)}?m={q(a)}&m=lora",
    "resource": lambda a, b, c: f"/{KINDS[len(b) % 6]}/{q(a)}",
    "resource as": lambda a, b, c: f"/person/{q(a)}.{q(c)}",
    "genid": lambda a, b, c: f"/.well-known/genid/{q(a)}",
    "named graph": lambda a, b, c: f"/graph/{q(a)}",
    "concept page": lambda a, b, c: f"/{['fields', 'families'][len(b) % 2]}/{q(a)}?page={q(b)}",
    "search": lambda a, b, c: (
        f"/search?q={q(a)}&field={q(b)}&family={q(c)}&type={q(b)}&decade={q(c)}&page={q(b)}"
    ),
    "search json": lambda a, b, c: f"/search.json?q={q(a)}&page={q(b)}&decade={q(c)}",
    "autocomplete": lambda a, b, c: f"/api/methods?q={q(a)}&lang={q(b)}",
    "home filters": lambda a, b, c: f"/?field={q(a)}&family={q(b)}&decade={q(c)}",
    "query editor": lambda a, b, c: f"/query?name={q(a)}&method={q(b)}",
    "canned query name": lambda a, b, c: f"/queries/{q(a)}?run=1",
    "canned download": lambda a, b, c: f"/queries/list-methods/results.{q(c)}?lang={q(a)}",
    "ontology": lambda a, b, c: f"/ontology?lang={q(a)}",
    "dataset": lambda a, b, c: f"/dataset.{q(c)}?lang={q(a)}",
    "dumps": lambda a, b, c: f"/dumps/catalogue.{q(a)}",
    "graph store read": lambda a, b, c: f"/store?graph={q(a)}",
    "sparql dataset": lambda a, b, c: (
        "/sparql?query=" + q("SELECT ?s WHERE { ?s a ?t } LIMIT 3")
        + f"&default-graph-uri={q(a)}&format={q(c)}"
    ),
    "sparql text": lambda a, b, c: f"/sparql?query={q(a)}",
}  # fmt: skip
BY_DESIGN_PUBLIC = {"sparql text"}  # any query, by design: statuses only
# library queries that return any graph's triples about the nodes they are given
EVERYTHING_QUERIES = {"import-neighbourhood", "import-neighbourhood-nodes"}


def check(client: FlaskClient, url: str, *, hidden: bool = True) -> None:
    response = client.get(url, follow_redirects=True)
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    body = response.get_data()
    if hidden:
        assert SECRET.encode() not in body, url
        assert b"predicate-5b1d" not in body, url


@pytest.mark.parametrize("route", list(ROUTES))
@settings(
    max_examples=45, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=VALUE, b=VALUE, c=st.one_of(FORMATS, VALUE))
def test_generated_values_on_every_route(
    client: FlaskClient, route: str, a: str, b: str, c: str
) -> None:
    check(client, ROUTES[route](a, b, c), hidden=route not in BY_DESIGN_PUBLIC)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_generated_parameters_of_every_library_query(
    client: FlaskClient, data: st.DataObject
) -> None:
    name, parameters = data.draw(st.sampled_from(_library(client)))
    values = {p: data.draw(st.lists(VALUE, min_size=1, max_size=3)) for p in parameters}
    extra = data.draw(st.sampled_from(["", "&run=1"]))
    query = urllib.parse.urlencode([(p, v) for p, vs in values.items() for v in vs])
    hidden = name not in EVERYTHING_QUERIES
    check(client, f"/queries/{name}?{query}{extra}", hidden=hidden)
    check(client, f"/queries/{name}/results.json?{query}", hidden=hidden)


def test_the_hidden_graph_is_there_to_find(client: FlaskClient) -> None:
    """The control: the public endpoint does show the hidden triples to a plain query."""
    response = client.get("/sparql?query=" + q(f'ASK {{ ?s ?p "{SECRET}" }}'))
    assert response.status_code == 200 and b"true" in response.get_data()
