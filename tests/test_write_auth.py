"""Every write route refuses a request without the token, with a wrong one or another
scheme (401), and every write on a read-only service (403); the store is unchanged after
each (graphs isomorphic, same snapshot). The right token does write, so the routes are real.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kg.config import Settings
from kg.services.context import Context
from kg.services.loading import load_files
from kg.web import create_app
from tests.graphs import dump, union

TOKEN = "s3cret-write-token"
TURTLE = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> ."
GRAPH = "http://example.org/written"

# (method, path, content type, body)
WRITES = [
    ("POST", "/sparql", "application/sparql-update",
     b"INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }"),
    ("POST", "/sparql", "application/x-www-form-urlencoded",
     b"update=CLEAR+SILENT+GRAPH+%3Chttp%3A%2F%2Fexample.org%2Fwritten%3E"),
    ("POST", "/sparql?using-graph-uri=http%3A%2F%2Fexample.org%2Fg", "application/sparql-update",
     b"DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"),
    ("PUT", f"/store?graph={GRAPH}", "text/turtle", TURTLE),
    ("POST", f"/store?graph={GRAPH}", "text/turtle", TURTLE),
    ("DELETE", "/store?graph=http%3A%2F%2Fexample.org%2Fwritten", "", b""),
    ("PUT", "/store?default", "application/n-triples", TURTLE),
    ("DELETE", "/store?default", "", b""),
    ("POST", "/store", "text/turtle", TURTLE),
    ("PUT", "/store/some/graph", "text/turtle", TURTLE),
    ("DELETE", "/store/some/graph", "", b""),
]  # fmt: skip
WRONG = [
    {},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer"},
    {"Authorization": TOKEN},
    {"Authorization": "Basic " + base64.b64encode(f"kg:{TOKEN}".encode()).decode()},
    {"Authorization": f"Token {TOKEN}"},
    {"X-Write-Token": TOKEN},
]


def _client(ctx: Context, token: str) -> FlaskClient:
    settings = dataclasses.replace(ctx.settings, write_token=token, rate_limit=0)
    context = Context(settings, ctx.store, ctx.queries)
    app = create_app(settings, context=context)
    app.config["TESTING"] = True
    return app.test_client()


@pytest.fixture(scope="module")
def store_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    store = tmp_path_factory.mktemp("auth") / "store"
    context = Context.from_settings(Settings.from_env({}, store=str(store)))
    load_files(context, [Path(context.settings.data_dir) / "concepts.ttl"])
    yield context
    context.store.close()


def _unchanged(ctx: Context, before: list[str], version: str) -> None:
    assert ctx.store.version() == version
    assert dump(ctx) == before


def _graph_of(lines: list[str]) -> Graph:
    dataset = Dataset()
    dataset.parse(data="\n".join(lines), format="nquads")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


@pytest.mark.parametrize(("method", "path", "content_type", "body"), WRITES)
def test_writes_without_the_right_token_are_401_and_change_nothing(
    store_ctx: Context, method: str, path: str, content_type: str, body: bytes
) -> None:
    client = _client(store_ctx, TOKEN)
    before, version = dump(store_ctx), store_ctx.store.version()
    for headers in WRONG:
        response = client.open(
            path, method=method, data=body, content_type=content_type or None, headers=headers
        )
        assert response.status_code == 401, (headers, response.status_code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert TOKEN not in response.get_data(as_text=True)
        _unchanged(store_ctx, before, version)
    assert isomorphic(union(store_ctx), _graph_of(before))
    assert len(before) > 100  # the catalogue's concepts are there to lose
    right = client.open(
        path,
        method=method,
        data=body,
        content_type=content_type or None,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert right.status_code in (201, 204, 404), right.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path", "content_type", "body"), WRITES)
def test_a_read_only_service_refuses_every_write_with_403(
    store_ctx: Context, method: str, path: str, content_type: str, body: bytes
) -> None:
    client = _client(store_ctx, "")
    before, version = dump(store_ctx), store_ctx.store.version()
    for headers in [*WRONG, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Bearer "}]:
        response = client.open(
            path, method=method, data=body, content_type=content_type or None, headers=headers
        )
        assert response.status_code == 403, (headers, response.status_code)
        _unchanged(store_ctx, before, version)
    assert isomorphic(union(store_ctx), _graph_of(before))
