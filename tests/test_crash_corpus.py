"""The crash corpus against a real `kg serve`: input that kills pyoxigraph 0.5.13 (deep
nesting), oversized literals and invalid UTF-8 each get a 4xx, and the service lives on:
/health answers 200 after every request, and its web worker is the same process (gunicorn
would quietly replace a crashed one, so the PID is what shows a crash).

The same input given to `kg load` and `kg validate` is a clear error (exit 1), not a
signal.
"""

from __future__ import annotations

import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served import KG, Served, fetch, kg_env, serve

TOKEN = "crash-corpus-token"
DEPTHS = (100, 1000, 2000, 3000, 5000, 100_000)
BIG_LITERAL = 17 * 1024 * 1024
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def braces(depth: int) -> str:
    return "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth


def parentheses(depth: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * depth + "1" + ")" * depth + ") }"


def query_list(depth: int) -> str:
    return "SELECT * WHERE { ?s <http://x/p> " + "( " * depth + "?o" + " )" * depth + " }"


def jsonld(depth: int) -> bytes:
    node = '{"@id": "http://example.org/n", "http://example.org/p": '
    return (node * depth + '"leaf"' + "}" * depth).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = tmp_path_factory.mktemp("crash") / "store"
    with serve(store, write_token=TOKEN, rate_limit="0") as served:
        yield served


@pytest.fixture(scope="module")
def worker(server: Served) -> int:
    (pid,) = server.web_workers()
    return pid


def survives(server: Served, worker: int) -> None:
    assert fetch(server.url + "health").status == 200
    assert server.process.poll() is None
    assert server.web_workers() == [worker], "the web worker died and was replaced"


def post_query(server: Served, text: str) -> int:
    headers = {"Content-Type": "application/sparql-query"}
    return fetch(server.url + "sparql", data=text.encode(), headers=headers).status


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("shape", [braces, parentheses, query_list])
def test_deeply_nested_queries_are_refused(
    server: Served, worker: int, shape: object, depth: int
) -> None:
    assert callable(shape)
    text = shape(depth)
    assert post_query(server, text) == 400
    form = urllib.parse.urlencode({"query": text}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert fetch(server.url + "sparql", data=form, headers=headers).status == 400
    survives(server, worker)


@pytest.mark.parametrize("depth", DEPTHS)
def test_deeply_nested_updates_are_refused(server: Served, worker: int, depth: int) -> None:
    update = "DELETE { ?s ?p ?o } WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth
    headers = {"Content-Type": "application/sparql-update", **AUTH}
    answer = fetch(server.url + "sparql", data=update.encode(), headers=headers)
    assert answer.status == 400, answer.body[:200]
    survives(server, worker)


@pytest.mark.parametrize("depth", DEPTHS)
def test_deeply_nested_json_ld_uploads_are_refused(server: Served, worker: int, depth: int) -> None:
    headers = {"Content-Type": "application/ld+json", **AUTH}
    url = server.url + "store?graph=" + urllib.parse.quote("http://example.org/deep")
    answer = fetch(url, data=jsonld(depth), method="PUT", headers=headers)
    assert answer.status == 400
    assert b"nested more than" in answer.body
    survives(server, worker)


def test_a_17_mb_literal_is_refused_everywhere(server: Served, worker: int) -> None:
    literal = "x" * BIG_LITERAL
    query = f'SELECT * WHERE {{ ?s ?p "{literal}" }}'
    assert post_query(server, query) == 413
    survives(server, worker)
    update = f'INSERT DATA {{ <http://example.org/s> <http://example.org/p> "{literal}" }}'
    headers = {"Content-Type": "application/sparql-update", **AUTH}
    assert fetch(server.url + "sparql", data=update.encode(), headers=headers).status == 413
    survives(server, worker)
    turtle = f'<http://example.org/s> <http://example.org/p> "{literal}" .'.encode()
    headers = {"Content-Type": "text/turtle", **AUTH}
    url = server.url + "store?graph=" + urllib.parse.quote("http://example.org/big")
    assert fetch(url, data=turtle, method="PUT", headers=headers).status == 413
    survives(server, worker)
    # In the URL: gunicorn refuses request lines that long before the app sees them.
    get = fetch(server.url + "sparql?query=" + urllib.parse.quote(query[: 1 << 20]))
    assert 400 <= get.status < 500
    survives(server, worker)


def test_a_long_query_below_the_size_limit_is_refused_by_length(
    server: Served, worker: int
) -> None:
    query = 'SELECT * WHERE { ?s ?p "' + "x" * 200_000 + '" }'
    headers = {"Content-Type": "application/sparql-query"}
    answer = fetch(server.url + "sparql", data=query.encode(), headers=headers)
    assert answer.status == 400 and b"at most 100,000" in answer.body
    survives(server, worker)


INVALID_UTF8 = b'SELECT * WHERE { ?s ?p "\xff\xfe\xc3\x28" }'


def test_invalid_utf8_is_a_4xx_everywhere(server: Served, worker: int) -> None:
    headers = {"Content-Type": "application/sparql-query"}
    assert fetch(server.url + "sparql", data=INVALID_UTF8, headers=headers).status == 400
    survives(server, worker)
    form = b"query=" + urllib.parse.quote_from_bytes(INVALID_UTF8).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert fetch(server.url + "sparql", data=form, headers=headers).status == 400
    survives(server, worker)
    get = fetch(server.url + "sparql?query=" + urllib.parse.quote_from_bytes(INVALID_UTF8))
    assert get.status == 400
    survives(server, worker)
    headers = {"Content-Type": "application/sparql-update", **AUTH}
    assert fetch(server.url + "sparql", data=INVALID_UTF8, headers=headers).status == 400
    survives(server, worker)
    for media_type in ("text/turtle", "application/ld+json", "application/rdf+xml"):
        body = b'<http://example.org/s> <http://example.org/p> "\xff\xfe" .'
        if media_type == "application/ld+json":
            body = b'{"@id": "http://example.org/s", "http://example.org/p": "\xff"}'
        elif media_type == "application/rdf+xml":
            body = b"<?xml version='1.0'?><rdf:RDF>\xff\xfe</rdf:RDF>"
        url = server.url + "store?graph=" + urllib.parse.quote("http://example.org/utf8")
        headers = {"Content-Type": media_type, **AUTH}
        assert fetch(url, data=body, method="PUT", headers=headers).status == 400, media_type
        survives(server, worker)
    for path in ("methods/%FF%FE", "compare?m=%FF&m=ddpm", "person/%C3%28", "search?q=%FF",
                 "queries/list-methods?lang=%FF&run=1", "fields/%FF"):  # fmt: skip
        status = fetch(server.url + path).status
        assert 400 <= status < 500, path
        survives(server, worker)


@pytest.mark.parametrize("depth", [100, 5000])
def test_kg_load_and_validate_refuse_deep_json_ld(tmp_path: Path, depth: int) -> None:
    document = tmp_path / "deep.jsonld"
    document.write_bytes(jsonld(depth))
    env = kg_env(tmp_path / "store")
    for command in (["load", str(document)], ["validate", str(document)]):
        run = subprocess.run([*KG, *command], env=env, capture_output=True, text=True)
        assert run.returncode == 1, (command, run.returncode, run.stderr[-500:])
        assert "nested more than 64 deep" in run.stderr
        assert "deep.jsonld:1:" in run.stderr
        assert "Traceback" not in run.stderr


def test_the_sandbox_contains_a_crash_the_guards_would_have_stopped(tmp_path: Path) -> None:
    """With the nesting limit lifted, pyoxigraph really dies (SIGSEGV) on these queries and
    updates; it dies in a query worker, the client gets 400, the web worker lives on."""
    limits = {"max_nesting": "1000000", "max_query_length": "10000000"}
    with serve(tmp_path / "store", write_token=TOKEN, rate_limit="0", **limits) as server:
        (worker,) = server.web_workers()
        answer = fetch(
            server.url + "sparql",
            data=braces(5000).encode(),
            headers={"Content-Type": "application/sparql-query"},
        )
        assert answer.status == 400 and b"killed by SIGSEGV" in answer.body
        survives(server, worker)
        update = "DELETE { ?s ?p ?o } WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000
        headers = {"Content-Type": "application/sparql-update", **AUTH}
        answer = fetch(server.url + "sparql", data=update.encode(), headers=headers)
        assert answer.status == 400 and b"killed by SIGSEGV" in answer.body
        survives(server, worker)
        assert post_query(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1") == 200
