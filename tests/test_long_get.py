"""Long queries in the URL (SPARQL Protocol GET) against a real `kg serve` (gunicorn).

gunicorn's own request-line limit (8190 bytes at most) is off; kg's limits apply instead:
``KG_MAX_QUERY_LENGTH`` characters of query (400 with kg's message beyond), and a 414 with a
message for a URL longer than any accepted query could make.
"""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Iterator

import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from kg.config import Settings
from kg.web.sparql import max_request_target
from tests.served import Served, fetch, serve

MAX_QUERY_LENGTH = Settings.from_env({}).max_query_length
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }\n# "


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = tmp_path_factory.mktemp("long-get") / "store"
    with serve(store, rate_limit="0") as served:
        yield served


def _bindings(client: SPARQLWrapper) -> set[tuple[tuple[str, str], ...]]:
    client.setReturnFormat(JSON)
    converted = client.queryAndConvert()
    assert isinstance(converted, dict)
    bindings = converted["results"]["bindings"]
    return {tuple(sorted((k, v["value"]) for k, v in b.items())) for b in bindings}


def _methods(server: Served) -> list[str]:
    client = SPARQLWrapper(server.url + "sparql")
    client.setMethod(POST)
    client.setQuery("SELECT ?m WHERE { ?m a <https://w3id.org/rmkg/ontology#Method> } ORDER BY ?m")
    return sorted(dict(row)["m"] for row in _bindings(client))


def test_an_11000_character_query_by_sparqlwrappers_default_get_equals_post(
    server: Served,
) -> None:
    methods = _methods(server)
    values = " ".join(f"<{m}>" for m in methods)
    query = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        f"SELECT ?m ?label WHERE {{ VALUES ?m {{ {values} }} ?m skos:prefLabel ?label }}\n# "
    )
    assert len(query) < 11_000, "the catalogue grew: shorten the query"
    query += "padding " * ((11_000 - len(query)) // 8)
    query += "x" * (11_000 - len(query))
    assert len(query) == 11_000
    endpoint = server.url + "sparql"
    # longer than gunicorn's largest request line (8190 bytes) once form-encoded
    assert len(endpoint) + len(urllib.parse.urlencode({"query": query})) > 11_000

    by_get = SPARQLWrapper(endpoint)  # GET is SPARQLWrapper's default
    assert by_get.method == "GET"
    by_get.setQuery(query)
    by_post = SPARQLWrapper(endpoint)
    by_post.setMethod(POST)
    by_post.setQuery(query)
    rows = _bindings(by_get)
    assert len({dict(r)["m"] for r in rows}) == len(methods) > 50
    assert rows == _bindings(by_post)


def _get_query(server: Served, query: str) -> tuple[int, bytes, int]:
    url = server.url + "sparql?" + urllib.parse.urlencode({"query": query})
    answer = fetch(url, headers={"Accept": "application/sparql-results+json"})
    return answer.status, answer.body, len(url)


def test_a_get_query_of_exactly_the_maximum_length_is_answered(server: Served) -> None:
    # non-ASCII padding: 6 bytes a character once percent-encoded (é = %C3%A9)
    query = COUNT + "é" * (MAX_QUERY_LENGTH - len(COUNT))
    assert len(query) == MAX_QUERY_LENGTH
    status, body, url_length = _get_query(server, query)
    assert url_length > 5 * MAX_QUERY_LENGTH
    assert status == 200, body[:300]
    assert b'"n"' in body


def test_one_character_more_gets_400_with_kgs_message(server: Served) -> None:
    query = COUNT + "é" * (MAX_QUERY_LENGTH + 1 - len(COUNT))
    status, body, _ = _get_query(server, query)
    assert status == 400
    assert f"at most {MAX_QUERY_LENGTH:,} are accepted".encode() in body


def test_an_absurd_url_gets_414_with_a_message(server: Served) -> None:
    limit = max_request_target(Settings.from_env({}))
    url = server.url + "sparql?query=" + "x" * limit
    answer = fetch(url)
    assert answer.status == 414
    assert b"Send long queries by POST" in answer.body
    assert fetch(server.url + "health").status == 200


def test_gunicorn_stops_reading_a_line_at_twice_that(server: Served) -> None:
    """A line that never ends: gunicorn reads it up to its own cap (twice kg's limit) and
    answers 414 there, without waiting for the rest."""
    cap = 2 * max_request_target(Settings.from_env({}))
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    start = b"GET /sparql?query="
    reply = b""
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        # 3 bytes over the cap (gunicorn counts the line's CRLF); every byte sent is read
        sock.sendall(start + b"x" * (cap + 3 - len(start)))
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 414")
    assert b"Request Line is too large" in reply and f"&gt; {cap})".encode() in reply
    assert fetch(server.url + "health").status == 200
