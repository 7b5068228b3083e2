"""The remote store's own guarantees: failed writes change nothing, Virtuoso's row cap is an
error and not a silent cut, other graphs stay out, credentials are sent, answers are read
in pieces, and uploads never split a blank node."""

from __future__ import annotations

import base64
import http.server
import io
import json
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.services.context import Context
from kg.services.loading import load_files
from kg.store import StoreError
from kg.store.results import MalformedResults, ResultsReader
from kg.store.uploads import Upload
from tests.backends import REMOTE_BACKENDS, Backend, oxigraph_binary
from tests.graphs import dump
from tests.served import free_port
from tests.test_backends import LAB, client_for, write


@pytest.fixture(params=REMOTE_BACKENDS)
def remote(request: pytest.FixtureRequest) -> Backend:
    server = request.getfixturevalue(f"{request.param}_server")
    assert isinstance(server, Backend)
    return server


def _upload_graphs(ctx: Context) -> list[str]:
    store = ctx.store
    query = store.queries["engine-graphs"].bind()  # type: ignore[attr-defined]
    graphs = store._engine_graphs(query)  # type: ignore[attr-defined]
    return sorted(g for g in graphs if g.startswith(f"{ctx.settings.base_iri}kg-store/upload/"))


@pytest.mark.parametrize("failing", ["post_graph", "update"])
def test_a_failed_write_changes_nothing_and_leaves_no_upload(
    remote: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    ctx = Context.from_settings(remote.settings(tmp_path, store_batch=2))
    load_files(ctx, [write(tmp_path / "lab.ttl", LAB)])
    before, version = dump(ctx), ctx.store.version()
    engine = ctx.store.engine  # type: ignore[attr-defined]
    real = getattr(engine, failing)
    calls = {"n": 0}

    def flaky(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3 or failing == "update":
            raise StoreError("the engine went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, failing, flaky)
    other = write(tmp_path / "other.ttl", LAB.replace("alpha", "gamma"))
    with pytest.raises(StoreError, match="went away"):
        load_files(ctx, [write(tmp_path / "lab.ttl", LAB.replace("Alpha", "Changed")), other])
    monkeypatch.undo()
    assert dump(ctx) == before and ctx.store.version() == version
    assert _upload_graphs(ctx) == []


def test_virtuoso_cuts_results_at_its_limit_and_kg_says_so(
    virtuoso_server: Backend, tmp_path: Path
) -> None:
    ctx = Context.from_settings(virtuoso_server.settings(tmp_path))
    lines = [f'<urn:kg:s{i}> <urn:kg:p> "{i}" .' for i in range(10_050)]
    load_files(ctx, [write(tmp_path / "many.nt", "\n".join(lines) + "\n")])
    every = "SELECT ?s WHERE { ?s <urn:kg:p> ?o }"
    with pytest.raises(StoreError, match="cut the results at 10000 rows") as caught:
        ctx.store.select(every)
    assert "ResultSetMaxRows" in str(caught.value)
    with pytest.raises(StoreError, match="cut the results"):
        ctx.store.dump(io.BytesIO(), "nquads")
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:kg:p> ?o }"
    assert str(ctx.store.select(count).rows[0]["n"]) == "10050"  # one row: not cut
    web = client_for(ctx, max_rows=20_000)
    response = web.get("/sparql", query_string={"query": every})
    assert response.status_code == 200 and "KG-Results-Truncated" in response.headers
    assert len(response.json["results"]["bindings"]) == 10_000  # type: ignore[index]


def test_graphs_written_behind_kgs_back_stay_out(remote: Backend, tmp_path: Path) -> None:
    ctx = Context.from_settings(remote.settings(tmp_path))
    load_files(ctx, [write(tmp_path / "lab.ttl", LAB)])
    before = (ctx.store.quad_count(), ctx.store.named_graphs(), dump(ctx))
    engine = ctx.store.engine  # type: ignore[attr-defined]
    engine.post_graph(ctx.graph_iri("foreign"), b"<urn:kg:x> <urn:kg:y> <urn:kg:z> .\n")
    if remote.name == "oxigraph":  # Virtuoso has no default graph to write to
        engine.update("INSERT DATA { <urn:kg:x> <urn:kg:y> <urn:kg:default> }")
    assert (ctx.store.quad_count(), ctx.store.named_graphs(), dump(ctx)) == before
    ask = "ASK { { <urn:kg:x> ?p ?o } UNION { GRAPH ?g { <urn:kg:x> ?p ?o } } }"
    assert ctx.store.ask(ask) is False


def test_union_mode_reads_the_engines_default_graph(tmp_path: Path) -> None:
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the Oxigraph server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "serve", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        backend = Backend("oxigraph", {"store": f"{url}/query", "store_update": f"{url}/update",
                                       "store_graph_store": f"{url}/store"})  # fmt: skip
        backend_up = Context.from_settings(backend.settings(tmp_path, store_dataset="union"))
        for _ in range(100):
            try:
                backend_up.store.version()
                break
            except StoreError:
                threading.Event().wait(0.1)
        load_files(backend_up, [write(tmp_path / "lab.ttl", LAB)])
        labels = "SELECT ?m WHERE { ?m a <https://w3id.org/rmkg/ontology#Method> }"
        assert len(backend_up.store.select(labels).rows) == 2
        assert backend_up.store.named_graphs() == sorted(
            [backend_up.graph_iri("lab"), backend_up.graph_iri("ontology")]
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


# --- credentials, against a small fake engine -------------------------------------------------


class _FakeEngine(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []
    status = 200
    extra: dict[str, str] = {}

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(self.headers.get("Authorization", ""))
        body = json.dumps({"head": {"vars": ["version", "graph"]}, "results": {"bindings": []}})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/sparql-results+json")
        for name, value in self.extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_engine() -> Iterator[str]:
    _FakeEngine.seen, _FakeEngine.status, _FakeEngine.extra = [], 200, {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeEngine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ("basic", "Basic " + base64.b64encode(b"kg:s3cret").decode()),
        ("bearer", "Bearer s3cret"),
    ],
)
def test_credentials_go_with_every_request(fake_engine: str, auth: str, expected: str) -> None:
    settings = Settings.from_env(
        {}, store=fake_engine, store_user="kg", store_password="s3cret", store_auth=auth
    )
    store = Context.from_settings(settings).store
    assert store.version() == "empty" and store.named_graphs() == []
    assert _FakeEngine.seen and set(_FakeEngine.seen) == {expected}


def test_refused_credentials_are_named(fake_engine: str) -> None:
    _FakeEngine.status = 401
    store = Context.from_settings(Settings.from_env({}, store=fake_engine)).store
    with pytest.raises(StoreError, match="refused kg .HTTP 401.: check KG_STORE_USER"):
        store.version()


def test_an_anytime_answer_is_never_taken_for_a_whole_one(fake_engine: str) -> None:
    """Virtuoso at its time limit: 200, what it had so far, and X-SQL-State: S1TAT."""
    _FakeEngine.extra = {"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete"}
    settings = Settings.from_env({}, store=fake_engine)
    with pytest.raises(StoreError, match="incomplete results"):
        Context.from_settings(settings).store.version()
    web = client_for(Context.from_settings(settings))
    response = web.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 503 and b"did not finish" in response.data


# --- reading answers in pieces ----------------------------------------------------------------


class _Trickle(io.RawIOBase):
    """A stream that hands out a few bytes at a time, as a slow network would."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.pos = data, step, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.data[self.pos : self.pos + min(self.step, size if size > 0 else self.step)]
        self.pos += len(chunk)
        return chunk


VIRTUOSO_ANSWER = """
{ "head": { "link": [], "vars": ["s", "o", "n"] },
  "results": { "distinct": false, "ordered": true, "bindings": [
    { "s": { "type": "bnode", "value": "nodeID://b10000" }, "o": { "type": "literal",
      "xml:lang": "th", "value": "\\u0E01\\u0E32\\u0E23" }, "n": { "type": "typed-literal",
      "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "12345678901234" }},
    { "s": { "type": "uri", "value": "urn:kg:a" }, "o": { "type": "typed-literal",
      "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "1" }} ] } }
"""


@pytest.mark.parametrize("step", [1, 7, 1 << 16])
def test_json_results_are_read_in_pieces_and_made_uniform(step: int) -> None:
    reader = ResultsReader(_Trickle(VIRTUOSO_ANSWER.encode(), step))  # type: ignore[arg-type]
    rows = list(reader.bindings())
    assert reader.variables == ["s", "o", "n"]
    assert rows[0]["s"] == {"type": "bnode", "value": "x" + b"nodeID://b10000".hex()}
    assert rows[0]["o"] == {"type": "literal", "value": "การ", "xml:lang": "th"}
    assert rows[0]["n"]["value"] == "12345678901234"
    assert rows[1]["o"] == {"type": "literal", "value": "true",
                            "datatype": "http://www.w3.org/2001/XMLSchema#boolean"}  # fmt: skip
    parsed = ox.parse_query_results(
        json.dumps({"head": {"vars": reader.variables}, "results": {"bindings": rows}}),
        format=ox.QueryResultsFormat.JSON,
    )
    assert len(list(parsed)) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "answer",
    [
        '{"head":{"vars":["n"]},"results":{"bindings":[The SPARQL operation has been cancelled',
        '{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"uri","value":"a"}}',
        "<html><body>Virtuoso</body></html>",
        '{"head":{"vars":["n"]},"results":{"bindings":[]}} trailing',
    ],
)
def test_a_cut_or_foreign_answer_is_an_error(answer: str) -> None:
    with pytest.raises(MalformedResults):
        list(ResultsReader(io.BytesIO(answer.encode())).bindings())


# --- uploads ----------------------------------------------------------------------------------


def test_uploads_never_split_a_blank_node_between_batches() -> None:
    node = [ox.BlankNode(f"b{i}") for i in range(6)]
    p = ox.NamedNode("urn:kg:p")
    triples = [
        ox.Triple(ox.NamedNode("urn:kg:s"), p, node[0]),
        *(ox.Triple(ox.NamedNode(f"urn:kg:plain{i}"), p, ox.Literal(str(i))) for i in range(5)),
        ox.Triple(node[0], p, node[1]),  # a chain 0-1-2 spread over the document
        ox.Triple(node[3], p, ox.Literal("alone")),
        ox.Triple(node[1], p, node[2]),
        ox.Triple(node[4], p, node[5]),
        ox.Triple(node[2], p, ox.Literal("end")),
    ]
    upload = Upload("urn:kg:g")
    upload.add_all(triples)
    batches = [list(ox.parse(b, format=ox.RdfFormat.N_TRIPLES)) for b in upload.batches(1)]
    upload.close()
    assert sum(len(b) for b in batches) == len(triples) == upload.triples
    owner: dict[str, int] = {}
    for number, batch in enumerate(batches):
        for quad in batch:
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.BlankNode):
                    assert owner.setdefault(term.value, number) == number, term
    chain = {owner["b0"], owner["b1"], owner["b2"]}
    assert len(chain) == 1 and len(batches) >= 4


def test_a_store_url_needs_no_directory_and_keeps_its_search_index_apart() -> None:
    settings = Settings.from_env({}, store="https://engine.example/sparql")
    assert settings.remote_store and settings.search_path == Path("var/search")
    assert urllib.parse.urlparse(settings.store).scheme == "https"
    with pytest.raises(ValueError, match="KG_STORE_AUTH"):
        Settings.from_env({}, store="https://engine.example/sparql", store_auth="kerberos")


def test_reindex_adopts_bulk_loaded_graphs_and_takes_a_new_version(
    remote: Backend, tmp_path: Path
) -> None:
    from kg.services.search import reindex, search

    ctx = Context.from_settings(remote.settings(tmp_path))
    load_files(ctx, [write(tmp_path / "lab.ttl", LAB)])
    version = ctx.store.version()
    bulk = ctx.graph_iri("bulk")
    method = f"{ctx.settings.base_iri}method/zeta"
    data = (
        f"<{method}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://w3id.org/rmkg/ontology#Method> .\n"
        f'<{method}> <http://www.w3.org/2004/02/skos/core#prefLabel> "Zeta Sampler"@en .\n'
    )
    ctx.store.engine.post_graph(bulk, data.encode())  # type: ignore[attr-defined]
    assert bulk not in ctx.store.named_graphs()  # behind kg's back: not seen
    report, adopted = reindex(ctx, adopt=True)
    assert adopted == [bulk] and bulk in ctx.store.named_graphs()
    assert report is not None and report.version == ctx.store.version() != version
    assert [hit.id for hit in search(ctx, "zeta sampler").hits] == ["zeta"]
