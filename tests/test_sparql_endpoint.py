"""The SPARQL 1.1 Protocol at /sparql and the Graph Store at /store, through the Flask client."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from rdflib import Graph

from kg.services.context import Context
from kg.services.sparql import negotiate, with_using
from kg.web import create_app

COUNT_METHODS = (
    "PREFIX kg: <https://w3id.org/rmkg/ontology#> SELECT (COUNT(?m) AS ?n) WHERE { ?m a kg:Method }"
)
METHOD_LABELS = (
    "PREFIX kg: <https://w3id.org/rmkg/ontology#> "
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "SELECT ?m ?label WHERE { ?m a kg:Method ; skos:prefLabel ?label } ORDER BY ?m ?label"
)
DDPM = "https://w3id.org/rmkg/method/ddpm"
CONSTRUCT_DDPM = f"CONSTRUCT {{ <{DDPM}> ?p ?o }} WHERE {{ <{DDPM}> ?p ?o }}"


def _count(client: FlaskClient) -> int:
    response = client.get("/sparql", query_string={"query": COUNT_METHODS})
    assert response.status_code == 200
    return int(response.json["results"]["bindings"][0]["n"]["value"])  # type: ignore[index]


def test_get_post_form_and_post_direct_give_the_same_answer(client: FlaskClient) -> None:
    by_get = client.get("/sparql", query_string={"query": COUNT_METHODS})
    by_form = client.post("/sparql", data={"query": COUNT_METHODS})
    by_body = client.post(
        "/sparql", data=COUNT_METHODS.encode(), content_type="application/sparql-query"
    )
    assert by_get.status_code == by_form.status_code == by_body.status_code == 200
    assert by_get.json == by_form.json == by_body.json
    assert _count(client) >= 43


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.4, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
        ("*/*", "application/sparql-results+json"),
        ("text/*;q=0.5, application/sparql-results+xml;q=0.6", "application/sparql-results+xml"),
    ],
)
def test_select_formats_follow_accept_and_q_values(
    client: FlaskClient, accept: str, media_type: str
) -> None:
    response = client.get(
        "/sparql", query_string={"query": METHOD_LABELS}, headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert DDPM.encode() in response.data


def test_csv_has_one_row_per_solution(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": METHOD_LABELS, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.data.decode())))
    assert rows[0] == ["m", "label"]
    as_json = client.get("/sparql", query_string={"query": METHOD_LABELS})
    assert len(rows) - 1 == len(as_json.json["results"]["bindings"]) > _count(client)  # type: ignore[index]


@pytest.mark.parametrize(
    ("fmt", "media_type", "rdflib_format"),
    [
        ("turtle", "text/turtle", "turtle"),
        ("nt", "application/n-triples", "nt"),
        ("jsonld", "application/ld+json", "json-ld"),
        ("rdfxml", "application/rdf+xml", "xml"),
    ],
)
def test_construct_in_every_rdf_format(
    client: FlaskClient, catalogue_ctx: Context, fmt: str, media_type: str, rdflib_format: str
) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT_DDPM, "format": fmt})
    assert response.status_code == 200 and response.mimetype == media_type
    graph = Graph().parse(data=response.data, format=rdflib_format)
    assert graph.isomorphic(catalogue_ctx.store.construct(CONSTRUCT_DDPM))
    assert len(graph) > 5


def test_ask_in_json_and_xml(client: FlaskClient) -> None:
    query = f"ASK {{ <{DDPM}> ?p ?o }}"
    as_json = client.get("/sparql", query_string={"query": query})
    as_xml = client.get("/sparql", query_string={"query": query, "format": "xml"})
    assert as_json.json == {"head": {}, "boolean": True}
    assert b"<boolean>true</boolean>" in as_xml.data


def test_syntax_error_is_400_with_line_and_column(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {\n  ?x ?y"})
    assert response.status_code == 400
    assert response.data.decode().startswith("Query syntax error: line 2, column")


def test_unsatisfiable_accept_is_406(client: FlaskClient) -> None:
    ask = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "text/turtle"})
    select = client.get(
        "/sparql", query_string={"query": METHOD_LABELS}, headers={"Accept": "image/png"}
    )
    assert (ask.status_code, select.status_code) == (406, 406)
    assert b"boolean results" in ask.data


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", b"ASK {}", 415),
        (None, b"query=ASK%20%7B%7D", 415),
        ("application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), 415),
        ("application/sparql-query", b"\xff\xfeA", 400),
    ],
)
def test_wrong_content_types_are_rejected(
    client: FlaskClient, content_type: str | None, body: bytes, status: int
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/sparql", data=body, headers=headers)
    assert response.status_code == status
    assert response.mimetype == "text/plain"


def test_bad_requests_are_4xx(client: FlaskClient) -> None:
    assert client.get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D").status_code == 400
    assert client.put("/sparql?query=ASK%20%7B%7D").status_code == 405
    assert client.get("/sparql?update=CLEAR%20ALL").status_code == 400
    assert (
        client.get("/sparql", query_string={"query": "ASK {}", "format": "png"}).status_code == 400
    )
    bad_graph = {"query": "ASK {}", "default-graph-uri": "not an iri"}
    assert client.get("/sparql", query_string=bad_graph).status_code == 400


def test_protocol_dataset_replaces_the_union(client: FlaskClient) -> None:
    ontology_only = {
        "query": COUNT_METHODS,
        "default-graph-uri": "https://w3id.org/rmkg/graph/ontology",
    }
    response = client.get("/sparql", query_string=ontology_only)
    assert response.json["results"]["bindings"][0]["n"]["value"] == "0"  # type: ignore[index]


def test_service_description_announces_limits(client: FlaskClient) -> None:
    turtle = client.get("/sparql", headers={"Accept": "text/turtle"})
    jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert turtle.mimetype == "text/turtle" and jsonld.mimetype == "application/ld+json"
    graph = Graph().parse(data=turtle.data, format="turtle")
    assert graph.isomorphic(Graph().parse(data=jsonld.data, format="json-ld"))
    text = turtle.data.decode()
    assert "sd:SPARQL11Query" in text and "sd:SPARQL11Update" not in text
    assert "queryTimeoutSeconds 10" in text and "maxResultRows 10000" in text
    assert "https://w3id.org/rmkg/graph/ontology" in text
    assert turtle.headers["KG-Query-Timeout"] == "10"
    assert turtle.headers["KG-Max-Rows"] == "10000"


def test_browsers_asking_for_html_go_to_the_editor(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/query")


def test_cors_lets_other_sites_query(client: FlaskClient) -> None:
    preflight = client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "KG-Results-Truncated" in response.headers["Access-Control-Expose-Headers"]


def test_writes_are_refused_without_a_token(client: FlaskClient) -> None:
    update = client.post("/sparql", data={"update": "CLEAR ALL"})
    put = client.put("/store?graph=http://example.org/g", data=b"", content_type="text/turtle")
    assert (update.status_code, put.status_code) == (403, 403)
    assert b"read-only" in update.data
    assert _count(client) >= 43


def test_store_reads_are_public(client: FlaskClient) -> None:
    ontology = client.get("/store?graph=https://w3id.org/rmkg/graph/ontology")
    assert ontology.status_code == 200 and ontology.mimetype == "text/turtle"
    assert len(Graph().parse(data=ontology.data, format="turtle")) > 50
    assert client.get("/store?graph=http://example.org/none").status_code == 404
    assert client.get("/store").status_code == 400


@pytest.fixture
def capped(catalogue_ctx: Context) -> Iterator[FlaskClient]:
    settings = dataclasses.replace(catalogue_ctx.settings, max_rows=5)
    context = Context.from_settings(settings)
    yield create_app(settings, context=context).test_client()
    context.store.close()


def test_row_cap_is_applied_and_said(capped: FlaskClient) -> None:
    response = capped.get("/sparql", query_string={"query": METHOD_LABELS})
    assert len(response.json["results"]["bindings"]) == 5  # type: ignore[index]
    assert response.headers["KG-Results-Truncated"] == "max-rows=5"
    small = capped.get("/sparql", query_string={"query": "SELECT (1 AS ?one) {}"})
    assert "KG-Results-Truncated" not in small.headers


@pytest.fixture
def writable(ctx: Context) -> Iterator[FlaskClient]:
    settings = dataclasses.replace(ctx.settings, write_token="t0ken")
    context = Context.from_settings(settings)
    yield create_app(settings, context=context).test_client()
    context.store.close()


AUTH = {"Authorization": "Bearer t0ken"}


def test_updates_need_the_token_and_make_a_new_snapshot(
    writable: FlaskClient, ctx: Context
) -> None:
    insert = (
        "INSERT DATA { GRAPH <http://example.org/g> "
        "{ <http://example.org/s> <http://example.org/p> 1 } }"
    )
    no_token = writable.post("/sparql", data={"update": insert})
    wrong = writable.post("/sparql", data={"update": insert}, headers={"Authorization": "Bearer x"})
    assert (no_token.status_code, wrong.status_code) == (401, 401)
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    before = ctx.store.version()
    done = writable.post(
        "/sparql", data=insert.encode(), content_type="application/sparql-update", headers=AUTH
    )
    assert done.status_code == 204
    assert ctx.store.version() != before
    ask = writable.get("/sparql", query_string={"query": "ASK { ?s <http://example.org/p> 1 }"})
    assert ask.json == {"head": {}, "boolean": True}
    bad = writable.post("/sparql", data={"update": "CLEAR XYZ"}, headers=AUTH)
    assert bad.status_code == 400 and b"line 1" in bad.data


def test_graph_store_put_get_post_delete(writable: FlaskClient) -> None:
    url = "/store?graph=http://example.org/people"
    turtle = b'<http://example.org/a> <http://xmlns.com/foaf/0.1/name> "A" .'
    assert writable.put(url, data=turtle, content_type="text/turtle").status_code == 401
    assert (
        writable.put(url, data=turtle, content_type="text/turtle", headers=AUTH).status_code == 201
    )
    more = b'<http://example.org/b> <http://xmlns.com/foaf/0.1/name> "B" .'
    post = writable.post(url, data=more, content_type="application/n-triples", headers=AUTH)
    assert post.status_code == 204
    got = writable.get(url, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and len(Graph().parse(data=got.data, format="nt")) == 2
    broken = writable.put(url, data=b"<a> <b>", content_type="text/turtle", headers=AUTH)
    assert broken.status_code == 400 and b"line 1" in broken.data
    unsupported = writable.put(url, data=turtle, content_type="image/png", headers=AUTH)
    assert unsupported.status_code == 415
    assert writable.delete(url, headers=AUTH).status_code == 204
    assert writable.get(url).status_code == 404
    assert writable.delete(url, headers=AUTH).status_code == 404


def test_using_parameters_become_using_clauses() -> None:
    update = "INSERT { GRAPH <g> { ?s a <T> } } WHERE { ?s a <D> { SELECT * WHERE {} } }"
    bound = with_using(update, ["http://a"], ["http://b"])
    assert bound.count("USING") == 2 and bound.index("USING <http://a>") < bound.index("WHERE")
    assert "WHERE {}" in bound  # the subquery's WHERE is left alone
    assert with_using("DELETE WHERE { ?s ?p ?o }", ["http://a"], []) == "DELETE WHERE { ?s ?p ?o }"


def test_using_parameters_conflict_with_with_clauses() -> None:
    from kg.services.sparql import ProtocolError

    with pytest.raises(ProtocolError) as raised:
        with_using("WITH <http://x> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://a"], [])
    assert raised.value.status == 400


def test_negotiation_prefers_specific_ranges_and_q_values() -> None:
    offers = [("application/json", "json"), ("text/csv", "csv")]
    assert negotiate("", offers) == "json"
    assert negotiate("text/*", offers) == "csv"
    assert negotiate("*/*;q=0.1, text/csv;q=0", offers) == "json"
    assert negotiate("application/json;q=0.2, text/csv;q=0.3", offers) == "csv"
    assert negotiate("image/png", offers) is None


def test_json_results_parse_as_sparql_json(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": METHOD_LABELS})
    document = json.loads(response.data)
    assert document["head"]["vars"] == ["m", "label"]
