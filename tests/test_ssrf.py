"""SSRF: a canary HTTP listener on 127.0.0.1 gets no request from anything a client or a
data file can send — SERVICE in every spelling, LOAD, remote JSON-LD contexts, external
XML entities, owl:imports, URLs in imported records — through every entry point: /sparql
(GET, POST form, POST direct), updates, /queries, /query, /store writes with the token,
kg load, kg import, kg validate, kg query.

A positive control shows the canary would notice: with KG_ALLOW_REMOTE=true, SERVICE
reaches it. And the query workers cannot reach it even when the guard is bypassed: neither
with a query nor with an update sent with the write token (updates run in those workers).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kg.config import PROJECT_ROOT, Settings
from kg.services import sparql as sparql_service
from kg.services.context import Context
from kg.services.loading import load_files
from kg.store import StoreError
from kg.store.sandbox import QueryJob, SandboxPool, network_isolation
from kg.web import create_app
from tests.served import KG, Canary, Served, fetch, kg_env, serve

TOKEN = "ssrf-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    listener = Canary()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = tmp_path_factory.mktemp("ssrf") / "store"
    with serve(store, write_token=TOKEN, rate_limit="0") as served:
        yield served


def service_queries(url: str) -> list[str]:
    """SERVICE in upper and lower case, SILENT, IRIs and prefixed names, glued to other
    tokens, in subqueries, FILTER EXISTS, OPTIONAL and MINUS."""
    prefix = f"PREFIX c: <{url}>\nPREFIX : <{url}>\n"
    patterns = [
        "SERVICE <U> { ?s ?p ?o }",
        "service <U> { ?s ?p ?o }",
        "SeRvIcE SILENT <U> { ?s ?p ?o }",
        "SERVICE silent c:sparql { ?s ?p ?o }",
        "SERVICE :sparql { ?s ?p ?o }",
        "SERVICE:sparql { ?s ?p ?o }",
        "SERVICE<U>{?s ?p ?o}",
        "?a ?b ?c .SERVICE <U> { ?s ?p ?o }",
        "?a ?b ?c.SERVICE <U> { ?s ?p ?o }",
        "?a ?b ?c ;SERVICE <U> { ?s ?p ?o }",
        "?a ?b [] SERVICE <U> { ?s ?p ?o }",
        "?a ?b ?c FILTER(true)SERVICE <U> { ?s ?p ?o }",
        "SERVICE#comment\n<U> { ?s ?p ?o }",
        "{ SELECT * WHERE { SERVICE <U> { ?s ?p ?o } } }",
        "?a ?b ?c FILTER EXISTS { SERVICE <U> { ?s ?p ?o } }",
        "?a ?b ?c OPTIONAL { SERVICE <U> { ?s ?p ?o } }",
        "?a ?b ?c MINUS { SERVICE <U> { ?s ?p ?o } }",
        "VALUES ?e { <U> } SERVICE ?e { ?s ?p ?o }",
    ]
    return [
        prefix + "SELECT * WHERE { ?a ?b ?c " + p.replace("<U>", f"<{url}sparql>") + " }"
        for p in patterns
    ]


def remote_updates(url: str) -> list[str]:
    """LOAD and SERVICE in updates, among them the carriage-return comments of issue 17."""
    return [
        f"LOAD <{url}data.ttl>",
        f"load silent <{url}data.ttl> INTO GRAPH <http://example.org/g>",
        f"PREFIX c: <{url}>\nLOAD c:data.ttl",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
        f"DELETE WHERE {{ ?a ?b ?c . SERVICE SILENT <{url}sparql> {{ ?s ?p ?o }} }}",
        f"# x\rLOAD SILENT <{url}cr.ttl>",
        f"# x\r\nLOADSILENT <{url}crlf.ttl>",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ # x\r SERVICE SILENT <{url}cr> {{ ?s ?p ?o }} }}",
        f"INSERT DATA {{}} ; # x\rINSERT {{ ?s ?p ?o }} WHERE {{ SERVICESILENT <{url}s> "
        "{ ?s ?p ?o } }",
    ]


def remote_documents(url: str) -> list[tuple[str, bytes]]:
    """RDF documents that would make a careless parser fetch ``url``."""
    node = {"@id": "http://example.org/s", "name": "x"}
    return [
        ("application/ld+json", json.dumps({"@context": f"{url}context.jsonld", **node}).encode()),
        ("application/ld+json", json.dumps({"@context": [f"{url}a.jsonld"], **node}).encode()),
        ("application/ld+json",
         json.dumps({"@context": {"@import": f"{url}b.jsonld"}, **node}).encode()),
        ("application/ld+json",
         json.dumps({"@graph": [{"@context": f"{url}c.jsonld", **node}]}).encode()),
        ("application/rdf+xml",
         f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{url}entity">]>'
         '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
         'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/s">'
         "<ex:p>&e;</ex:p></rdf:Description></rdf:RDF>".encode()),
        ("text/turtle",
         f"<http://example.org/o> <http://www.w3.org/2002/07/owl#imports> <{url}o.ttl> .".encode()),
    ]  # fmt: skip


def test_service_variants_are_refused_at_every_query_entry_point(
    server: Served, canary: Canary
) -> None:
    queries = service_queries(canary.url)
    for query in queries:
        encoded = urllib.parse.urlencode({"query": query})
        answers = [
            fetch(server.url + "sparql?" + encoded),
            fetch(
                server.url + "sparql",
                data=encoded.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            fetch(
                server.url + "sparql",
                data=query.encode(),
                headers={"Content-Type": "application/sparql-query"},
            ),
        ]
        for answer in answers:
            assert answer.status == 400, (query, answer.status, answer.body[:200])
            assert b"would make this server fetch a URL" in answer.body
        # The editor only shows a query; it must not run it.
        assert fetch(server.url + "query?" + encoded).status == 200
    # Library queries bind values as terms: a URL or SERVICE text stays a value.
    for values in (
        {"resource": f"{canary.url}x", "run": "1"},
        {"resource": f"{canary.url}> }} SERVICE <{canary.url}x> {{ ?s ?p ?o", "run": "1"},
    ):
        answer = fetch(server.url + "queries/describe-resource?" + urllib.parse.urlencode(values))
        assert answer.status in (200, 400)
    lang = {"lang": f'en" }} SERVICE <{canary.url}> {{ ?s ?p ?o }} #', "run": "1"}
    assert fetch(server.url + "queries/list-methods?" + urllib.parse.urlencode(lang)).status == 400
    # A dataset naming the canary is a set of graph names, never fetched.
    dataset = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
               "default-graph-uri": canary.url, "named-graph-uri": canary.url + "n"}  # fmt: skip
    assert fetch(server.url + "sparql?" + urllib.parse.urlencode(dataset)).status == 200
    from_query = f"SELECT * FROM <{canary.url}> FROM NAMED <{canary.url}n> WHERE {{ ?s ?p ?o }}"
    assert (
        fetch(server.url + "sparql?" + urllib.parse.urlencode({"query": from_query})).status == 200
    )
    assert canary.requests == []


def test_load_and_service_in_updates_are_refused(server: Served, canary: Canary) -> None:
    for update in remote_updates(canary.url):
        answers = [
            fetch(
                server.url + "sparql",
                data=update.encode(),
                headers={"Content-Type": "application/sparql-update", **AUTH},
            ),
            fetch(
                server.url + "sparql",
                data=urllib.parse.urlencode({"update": update}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded", **AUTH},
            ),
        ]
        for answer in answers:
            assert answer.status == 400, (update, answer.status, answer.body[:200])
    assert canary.requests == []


def test_graph_store_writes_never_fetch(server: Served, canary: Canary) -> None:
    for number, (media_type, body) in enumerate(remote_documents(canary.url)):
        graph = urllib.parse.quote(f"http://example.org/ssrf/{number}")
        for method in ("PUT", "POST"):
            answer = fetch(
                server.url + f"store?graph={graph}",
                data=body,
                method=method,
                headers={"Content-Type": media_type, **AUTH},
            )
            assert answer.status in (201, 204, 400), (media_type, answer.status)
            if media_type == "application/ld+json":
                assert answer.status == 400  # remote contexts are refused, not fetched
    assert fetch(server.url + "store?graph=" + urllib.parse.quote(canary.url)).status == 404
    assert canary.requests == []


def test_the_command_line_never_fetches(tmp_path: Path, canary: Canary) -> None:
    env = kg_env(tmp_path / "store")
    subprocess.run([*KG, "load", "--curated"], env=env, check=True, capture_output=True)
    suffixes = {"application/ld+json": ".jsonld", "application/rdf+xml": ".rdf",
                "text/turtle": ".ttl"}  # fmt: skip
    for number, (media_type, body) in enumerate(remote_documents(canary.url)):
        document = tmp_path / f"remote{number}{suffixes[media_type]}"
        document.write_bytes(body)
        for command in ("load", "validate"):
            run = subprocess.run([*KG, command, str(document)], env=env, capture_output=True)
            assert run.returncode in (0, 1), (command, document.name, run.stderr[-300:])
            assert b"Traceback" not in run.stderr
    # kg import: URLs in a lab's table and its mapping are recorded, never fetched.
    table = tmp_path / "lab-methods.csv"
    text = (PROJECT_ROOT / "examples" / "lab-methods.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    table.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    mapping = tmp_path / "lab-methods.toml"
    shutil.copy(PROJECT_ROOT / "examples" / "lab-methods.toml", mapping)
    mapping.write_text(
        mapping.read_text(encoding="utf-8").replace(
            "https://creativecommons.org/licenses/by/4.0/", f"{canary.url}licence"
        ),
        encoding="utf-8",
    )
    table.write_text(table.read_text(encoding="utf-8").replace(",,,,", f",,{canary.url}l,,"))
    run = subprocess.run(
        [*KG, "import", str(table), "--mapping", str(mapping)], env=env, capture_output=True
    )
    assert run.returncode in (0, 1) and b"Traceback" not in run.stderr, run.stderr[-500:]
    pwc = tmp_path / "pwc.json"
    pwc.write_text(json.dumps([{"url": f"{canary.url}method/x", "name": "X",
                                "paper": {"url": f"{canary.url}paper"}}]))  # fmt: skip
    run = subprocess.run([*KG, "import", str(pwc)], env=env, capture_output=True)
    assert run.returncode in (0, 1) and b"Traceback" not in run.stderr, run.stderr[-500:]
    # kg query: the same guard as the endpoint.
    query = tmp_path / "remote.rq"
    query.write_text(service_queries(canary.url)[0])
    run = subprocess.run([*KG, "query", str(query)], env=env, capture_output=True, text=True)
    assert run.returncode == 1 and "would make this server fetch a URL" in run.stderr
    assert canary.requests == []


def test_with_remote_allowed_service_does_reach_the_canary(tmp_path: Path, canary: Canary) -> None:
    """The positive control: the canary sees what the guards stop."""
    before = len(canary.requests)
    with serve(tmp_path / "store", allow_remote="true", rate_limit="0") as server:
        query = service_queries(canary.url)[0]
        fetch(server.url + "sparql?" + urllib.parse.urlencode({"query": query}))
    assert len(canary.requests) > before
    del canary.requests[before:]


def test_query_workers_have_no_network_even_past_the_guard(
    catalogue_ctx: Context, canary: Canary
) -> None:
    """A SERVICE query handed to a worker directly (no guard): the worker cannot connect."""
    if not network_isolation():
        pytest.skip("this kernel lets no process here make a network namespace")
    pool = SandboxPool(catalogue_ctx.settings.store, size=1, warm=0, isolate=True)
    try:
        job = QueryJob(service_queries(canary.url)[0], {"tabular": "json"})
        with pytest.raises(StoreError, match="Network is unreachable"):
            pool.run(job, 60)  # a generous bound: the worker starts within it
    finally:
        pool.close()
    if canary.requests:
        pytest.fail(f"an isolated worker reached the canary: {canary.requests}")


def writable_app(tmp_path: Path, **settings: object) -> tuple[FlaskClient, Context]:
    """An app with the write token on a small store of its own, one query worker."""
    ctx = Context.from_settings(
        Settings.from_env(
            {}, store=str(tmp_path / "store"), write_token=TOKEN, rate_limit=0, max_queries=1,
            **settings,
        )
    )  # fmt: skip
    load_files(ctx, [Path(ctx.settings.data_dir) / "concepts.ttl"])
    return create_app(ctx.settings, context=ctx).test_client(), ctx


def post_update(client: FlaskClient, update: str) -> tuple[int, str]:
    headers = {"Content-Type": "application/sparql-update", **AUTH}
    response = client.post("/sparql", data=update.encode(), headers=headers)
    return response.status_code, response.get_data(as_text=True)


def no_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seam: the protocol's one call of the query guard lets everything through."""
    monkeypatch.setattr(sparql_service, "check_sparql", lambda *args, **kwargs: None)


@pytest.mark.parametrize("guard", ["guarded", "guard bypassed"])
def test_updates_with_the_write_token_never_fetch(
    tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch, guard: str
) -> None:
    """LOAD and SERVICE in updates, with the write token: refused by the guard, and with
    the guard switched off they run in a worker that has no network."""
    if guard == "guard bypassed":
        if not network_isolation():
            pytest.skip("this kernel lets no process here make a network namespace")
        no_guard(monkeypatch)
    client, ctx = writable_app(tmp_path)
    before = ctx.store.version()
    try:
        for update in remote_updates(canary.url):
            status, body = post_update(client, update)
            if guard == "guarded":
                assert status == 400 and "would make this server fetch a URL" in body, update
            else:  # SILENT hides the failed fetch; without it the update fails
                assert status in (204, 400), (update, status, body[:300])
        # A harmless update does go through the same worker and is published.
        assert (
            post_update(client, "INSERT DATA { <http://example.org/a> a <http://example.org/B> }")[
                0
            ]
            == 204
        )
        assert ctx.store.version() != before
    finally:
        sparql_service.query_pool(ctx).close()  # type: ignore[attr-defined]
    assert canary.requests == []


def test_with_remote_allowed_an_update_does_reach_the_canary(
    tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The positive control of the test above: the same seam, the same worker path, and
    LOAD reaches the canary once KG_ALLOW_REMOTE=true."""
    no_guard(monkeypatch)
    client, ctx = writable_app(tmp_path, allow_remote=True)
    before = len(canary.requests)
    try:
        assert post_update(client, f"LOAD SILENT <{canary.url}allowed.ttl>")[0] == 204
    finally:
        sparql_service.query_pool(ctx).close()  # type: ignore[attr-defined]
    assert len(canary.requests) > before
    del canary.requests[before:]


def test_health_and_the_start_say_whether_queries_are_isolated(
    tmp_path: Path, client: FlaskClient
) -> None:
    isolated = network_isolation()
    assert client.get("/health").json == {
        "status": "ok",
        "store_version": client.get("/health").json["store_version"],  # type: ignore[index]
        "query_isolation": isolated,
    }
    settings = Settings.from_env({}, store=str(tmp_path / "store"))
    warning = sparql_service.isolation_warning(settings)
    assert (warning is None) == isolated
    assert (
        sparql_service.isolation_warning(
            Settings.from_env({}, store=str(tmp_path / "store"), allow_remote=True)
        )
        is None
    )
