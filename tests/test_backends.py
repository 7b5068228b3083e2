"""Every store backend (embedded, Oxigraph server, Virtuoso 7) behind the same service: loads,
dumps, the SPARQL endpoint with its limits, the Graph Store, updates, search, validation,
pages identical to the embedded store's, and clear errors when an engine is down."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kg.config import PROJECT_ROOT, Settings
from kg.services.context import Context
from kg.services.loading import load_files
from kg.services.search import current_index, search
from kg.services.validation import validate_store
from kg.store import StoreError
from kg.web import create_app
from tests.backends import Backend
from tests.graphs import named_graph
from tests.served import free_port

TLDM = "transfer-learning-with-diffusion-models"
FTDM = "fine-tuned-diffusion-model"
SSDM = "self-supervised-diffusion-model"
LAB = """\
@prefix kg: <https://w3id.org/rmkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix method: <method/> .
method:alpha a kg:Method ; skos:prefLabel "Alpha"@en , "อัลฟา"@th , "アルファ"@ja ;
    kg:aliases ( "A" "Al" "Alf" ) ;
    kg:yearOfOrigin [ kg:startYear "2001"^^xsd:gYear ; kg:endYear "2003"^^xsd:gYear ] .
method:beta a kg:Method ; skos:prefLabel "Beta \\"b\\" \\\\ tab\\t"@en ;
    kg:yearOfOrigin [ kg:startYear "1999"^^xsd:gYear ] ;
    kg:relatedMethod method:alpha .
"""
METHOD_LABELS = (
    "PREFIX kg: <https://w3id.org/rmkg/ontology#> "
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "SELECT ?m ?label WHERE { ?m a kg:Method ; skos:prefLabel ?label } ORDER BY ?m ?label"
)
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SLOW = (  # a second or more on every backend, on the curated catalogue
    'SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f . FILTER (CONCAT(STR(?c), "x") = STR(?f)) } LIMIT 1'
)
AUTH = {"Authorization": "Bearer t0ken"}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def client_for(ctx: Context, **changes: object) -> FlaskClient:
    settings = dataclasses.replace(ctx.settings, **changes)  # type: ignore[arg-type]
    context = Context(settings, ctx.store, ctx.queries)
    app = create_app(settings, context=context)
    app.config["TESTING"] = True
    return app.test_client()


def nquads(ctx: Context, graph: str | None = None) -> Dataset:
    buffer = io.BytesIO()
    ctx.store.dump(buffer, "nquads", graph=graph)
    return Dataset().parse(data=buffer.getvalue(), format="nquads")


@pytest.fixture
def catalogue_client(backend_catalogue: Context) -> FlaskClient:
    return client_for(backend_catalogue)


# --- loading and dumping ---------------------------------------------------------------------


def test_blank_nodes_and_lists_stay_whole_across_upload_batches(
    backend: Backend, tmp_path: Path
) -> None:
    ctx = Context.from_settings(backend.settings(tmp_path, store_batch=2))
    path = write(tmp_path / "lab.ttl", LAB)
    load_files(ctx, [path])
    expected = Graph().parse(path, format="turtle", publicID=ctx.settings.base_iri)
    assert isomorphic(named_graph(ctx, "lab"), expected)
    assert ctx.store.quad_count() == len(expected) + len(named_graph(ctx, "ontology"))


@pytest.mark.parametrize("fmt", ["nquads", "trig", "turtle", "nt", "jsonld"])
def test_dumps_hold_every_graph(store_ctx: Context, tmp_path: Path, fmt: str) -> None:
    concepts = Path(store_ctx.settings.data_dir) / "concepts.ttl"
    load_files(store_ctx, [concepts, write(tmp_path / "lab.ttl", LAB)])
    base = store_ctx.settings.base_iri
    buffer = io.BytesIO()
    store_ctx.store.dump(buffer, fmt)  # type: ignore[arg-type]
    expected = {
        name: Graph().parse(path, format="turtle", publicID=base)
        for name, path in {"concepts": concepts, "lab": tmp_path / "lab.ttl"}.items()
    }
    if fmt in ("nquads", "trig", "jsonld"):
        dataset = Dataset().parse(data=buffer.getvalue(), format={"nquads": "nquads",
                                  "trig": "trig", "jsonld": "json-ld"}[fmt])  # fmt: skip
        for name, graph in expected.items():
            assert isomorphic(dataset.graph(f"{base}graph/{name}"), graph), name
    else:
        union = Graph().parse(data=buffer.getvalue(), format=fmt)
        for graph in expected.values():
            assert len(graph) and all(t in union for t in graph if not _has_blank(t))


RESTATED = """\
@prefix kg: <https://w3id.org/rmkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix method: <method/> .
method:alpha a kg:Method ; skos:prefLabel "Alpha"@en .
method:beta kg:relatedMethod method:alpha .
"""


@pytest.mark.parametrize("fmt", ["turtle", "nt"])
def test_whole_store_triples_dumps_hold_a_triple_two_graphs_state_once(
    store_ctx: Context, tmp_path: Path, fmt: str
) -> None:
    """The union of the graphs is a set on every backend (as tests/test_union_duplicates.py
    checks on the embedded store): three triples of "lab" restated by "again" are one each."""
    lab, again = write(tmp_path / "lab.ttl", LAB), write(tmp_path / "again.ttl", RESTATED)
    load_files(store_ctx, [lab, again])
    expected = named_graph(store_ctx, "ontology") + named_graph(store_ctx, "lab")
    assert store_ctx.store.quad_count() == len(expected) + 3
    buffer = io.BytesIO()
    store_ctx.store.dump(buffer, fmt)  # type: ignore[arg-type]
    text = buffer.getvalue().decode("utf-8")
    if fmt == "nt":
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == len(set(lines)) == len(expected)
    assert isomorphic(Graph().parse(data=text, format=fmt), expected)


def _has_blank(triple: tuple[object, ...]) -> bool:
    return any(type(term).__name__ == "BNode" for term in triple)


def test_rdfxml_dumps_one_graph_at_a_time(store_ctx: Context, tmp_path: Path) -> None:
    load_files(store_ctx, [write(tmp_path / "lab.ttl", LAB)])
    with pytest.raises(StoreError, match="one graph at a time"):
        store_ctx.store.dump(io.BytesIO(), "rdfxml")
    buffer = io.BytesIO()
    store_ctx.store.dump(buffer, "rdfxml", graph=store_ctx.graph_iri("lab"))
    graph = Graph().parse(data=buffer.getvalue(), format="xml")
    assert isomorphic(graph, named_graph(store_ctx, "lab"))


def test_kg_instances_sharing_an_engine_see_only_their_own_graphs(
    backend: Backend, tmp_path: Path
) -> None:
    first = Context.from_settings(backend.settings(tmp_path / "a"))
    second = Context.from_settings(backend.settings(tmp_path / "b"))
    assert first.store.named_graphs() == [] and first.store.quad_count() == 0
    assert first.store.version() == "empty"
    load_files(first, [write(tmp_path / "lab.ttl", LAB)])
    assert second.store.named_graphs() == [] and second.store.quad_count() == 0
    count = first.store.select(COUNT_ALL).rows[0]["n"]
    assert int(str(count)) == first.store.quad_count()  # no system or foreign triples


# --- the SPARQL endpoint and its limits ------------------------------------------------------


def test_sparql_endpoint_answers_in_every_format(catalogue_client: FlaskClient) -> None:
    for accept, media in [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ]:
        response = catalogue_client.get(
            "/sparql", query_string={"query": METHOD_LABELS}, headers={"Accept": accept}
        )
        assert response.status_code == 200 and response.content_type.startswith(media)
    csv_rows = catalogue_client.get(
        "/sparql", query_string={"query": METHOD_LABELS}, headers={"Accept": "text/csv"}
    ).get_data(as_text=True)
    assert "拡散モデルを用いた転移学習" in csv_rows
    construct = catalogue_client.get(
        "/sparql",
        query_string={"query": "CONSTRUCT { ?m a <urn:x> } WHERE { ?m a ?t } LIMIT 3"},
        headers={"Accept": "text/turtle"},
    )
    assert construct.status_code == 200 and len(Graph().parse(data=construct.data)) == 3
    ask = catalogue_client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert ask.json == {"head": {}, "boolean": True}
    bad = catalogue_client.get("/sparql", query_string={"query": "SELEC ?x"})
    assert bad.status_code == 400 and b"syntax" in bad.data.lower()


def test_sparql_endpoint_cuts_at_max_rows_and_says_so(backend_catalogue: Context) -> None:
    capped = client_for(backend_catalogue, max_rows=5)
    response = capped.get("/sparql", query_string={"query": METHOD_LABELS})
    assert len(response.json["results"]["bindings"]) == 5  # type: ignore[index]
    assert response.headers["KG-Results-Truncated"] == "max-rows=5"
    small = capped.get("/sparql", query_string={"query": "SELECT (1 AS ?one) {}"})
    assert small.status_code == 200 and "KG-Results-Truncated" not in small.headers


def test_protocol_dataset_and_service_description_name_only_kg_graphs(
    backend_catalogue: Context, catalogue_client: FlaskClient
) -> None:
    ontology_only = {
        "query": "PREFIX kg: <https://w3id.org/rmkg/ontology#> "
        "SELECT (COUNT(?m) AS ?n) WHERE { ?m a kg:Method }",
        "default-graph-uri": backend_catalogue.graph_iri("ontology"),
    }
    response = catalogue_client.get("/sparql", query_string=ontology_only)
    assert response.json["results"]["bindings"][0]["n"]["value"] == "0"  # type: ignore[index]
    graphs = catalogue_client.get(
        "/sparql",
        query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "text/csv"},
    ).get_data(as_text=True)
    assert sorted(graphs.split()[1:]) == backend_catalogue.store.named_graphs()
    # a graph per curated file, and the ontology's
    curated = len(list(Path(backend_catalogue.settings.data_dir).glob("*.ttl")))
    assert len(backend_catalogue.store.named_graphs()) == curated + 1


def test_a_slow_query_is_stopped_with_503(backend_catalogue: Context) -> None:
    quick = client_for(backend_catalogue, query_timeout=1)
    started = time.monotonic()
    response = quick.get("/sparql", query_string={"query": SLOW})
    assert response.status_code == 503, response.data
    # Stopped, not run to its end (hours): the bound is generous, for a loaded machine where
    # starting the query workers alone can take seconds.
    assert b"1 s" in response.data and time.monotonic() - started < 120


# --- writing through the web -----------------------------------------------------------------


def test_graph_store_put_post_get_delete(store_ctx: Context) -> None:
    writable = client_for(store_ctx, write_token="t0ken")
    graph = f"{store_ctx.settings.base_iri}people"
    url = f"/store?graph={graph}"
    turtle = b'<http://example.org/a> <http://xmlns.com/foaf/0.1/name> "A" .'
    assert writable.put(url, data=turtle, content_type="text/turtle").status_code == 401
    put = writable.put(url, data=turtle, content_type="text/turtle", headers=AUTH)
    assert put.status_code == 201
    version = store_ctx.store.version()
    more = b'<http://example.org/b> <http://xmlns.com/foaf/0.1/name> _:b .\n_:b <urn:p> "1" .'
    post = writable.post(url, data=more, content_type="application/n-triples", headers=AUTH)
    assert post.status_code == 204 and store_ctx.store.version() != version
    got = writable.get(url, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and len(Graph().parse(data=got.data, format="nt")) == 3
    assert graph in store_ctx.store.named_graphs()
    broken = writable.put(url, data=b"<a> <b>", content_type="text/turtle", headers=AUTH)
    assert broken.status_code == 400 and b"line 1" in broken.data
    assert len(Graph().parse(data=writable.get(url).data)) == 3  # the failed PUT changed nothing
    default = writable.put("/store?default", data=turtle, content_type="text/turtle", headers=AUTH)
    assert default.status_code in (201, 204)
    assert len(Graph().parse(data=writable.get("/store?default").data)) == 1
    assert writable.delete(url, headers=AUTH).status_code == 204
    assert writable.get(url).status_code == 404
    assert writable.delete(url, headers=AUTH).status_code == 404
    assert graph not in store_ctx.store.named_graphs()


def test_updates_are_adopted_and_change_the_version(store_ctx: Context, tmp_path: Path) -> None:
    load_files(store_ctx, [write(tmp_path / "lab.ttl", LAB)])
    writable = client_for(store_ctx, write_token="t0ken")
    graph = f"{store_ctx.settings.base_iri}notes"
    triple = "<http://example.org/s> <http://example.org/p> 1"
    insert = f"INSERT DATA {{ GRAPH <{graph}> {{ {triple} }} }}"
    before = store_ctx.store.version()
    done = writable.post(
        "/sparql", data=insert.encode(), content_type="application/sparql-update", headers=AUTH
    )
    assert done.status_code == 204
    assert store_ctx.store.version() != before and graph in store_ctx.store.named_graphs()
    ask = writable.get("/sparql", query_string={"query": "ASK { ?s <http://example.org/p> 1 }"})
    assert ask.json == {"head": {}, "boolean": True}
    # SILENT: Virtuoso refuses DROP GRAPH of a graph that was not made by CREATE GRAPH.
    drop = f"DROP SILENT GRAPH <{graph}>"
    dropped = writable.post("/sparql", data={"update": drop}, headers=AUTH)
    assert dropped.status_code == 204 and graph not in store_ctx.store.named_graphs()
    bad = writable.post("/sparql", data={"update": "CLEAR XYZ"}, headers=AUTH)
    assert bad.status_code == 400


# --- search and validation -------------------------------------------------------------------


def test_search_index_follows_the_version(store_ctx: Context, tmp_path: Path) -> None:
    load_files(store_ctx, [write(tmp_path / "lab.ttl", LAB)])
    index = current_index(store_ctx)
    assert index is not None and index.version == store_ctx.store.version()
    assert [hit.id for hit in search(store_ctx, "อัลฟา").hits] == ["alpha"]
    load_files(store_ctx, [write(tmp_path / "lab.ttl", LAB.replace("Alpha", "Gamma"))])
    assert [hit.id for hit in search(store_ctx, "gamma").hits] == ["alpha"]
    assert search(store_ctx, "Alpha").hits == ()


def test_validation_of_the_store_agrees_with_the_embedded_store(
    backend_catalogue: Context, catalogue_ctx: Context
) -> None:
    ours, theirs = validate_store(backend_catalogue), validate_store(catalogue_ctx)
    assert ours.conforms == theirs.conforms
    assert sorted(v.to_text() for v in ours.violations) == sorted(
        v.to_text() for v in theirs.violations
    )


# --- the same answers and pages as the embedded store ----------------------------------------

PAGES = [
    f"/compare?m={TLDM}&m={FTDM}&lang=th",  # the two seed pairs (tests/test_compare.py)
    f"/compare?m={TLDM}&m={SSDM}&lang=ja",
    f"/compare?m={TLDM}&m={FTDM}&lang=en",
    f"/compare?m={TLDM}&m={SSDM}&lang=en",
    "/?lang=th",
    "/methods/ddpm",
    "/dataset",
    "/fields",
    "/search?q=diffusion&lang=ja",
    "/person/jonathan-ho",
    "/ontology",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_identical_to_the_embedded_stores(
    catalogue_client: FlaskClient, client: FlaskClient, path: str
) -> None:
    ours, theirs = catalogue_client.get(path), client.get(path)
    assert ours.status_code == theirs.status_code == 200
    assert _versionless(ours.get_data(as_text=True)) == _versionless(theirs.get_data(as_text=True))


def _versionless(page: str) -> str:
    """A comparison's permalink names the store's version token, which each engine makes
    its own way (a snapshot number, a digest): everything else must be the same."""
    return re.sub(r"([?&](?:amp;)?v=)[0-9a-z]+", r"\1VERSION", page)


NAME_CANDIDATES = frozenset({"import-method-names", "import-concepts", "import-people"})
"""Name lookups whose rows kg confirms itself (kg.services.imports.store_index)."""
SPARQL_DOCS = PROJECT_ROOT / "docs" / "sparql.md"
EXAMPLES = frozenset(re.findall(r"run it at `/queries/([a-z0-9-]+)`", SPARQL_DOCS.read_text()))
"""The examples for researchers (docs/sparql.md); kg's own pages and services use the rest."""


def test_every_library_query_gives_the_embedded_stores_answer(
    backend: Backend, backend_catalogue: Context, catalogue_ctx: Context
) -> None:
    """The same rows, in any order and as a set (Virtuoso repeats some rows of property
    paths); blank node labels and SAMPLE picks may differ (see ``_row_key``). On Virtuoso 7
    the examples for researchers only have to run: its property paths over several graphs
    give some of them wrong answers once the engine holds more data (docs/deploy.md)."""
    for query in catalogue_ctx.queries:
        text = query.bind()
        if backend.name == "virtuoso" and query.name in EXAMPLES:
            (backend_catalogue.store.select if query.kind == "select" else
             backend_catalogue.store.construct)(text)  # fmt: skip
            continue
        if query.kind == "select":
            ours, theirs = backend_catalogue.store.select(text), catalogue_ctx.store.select(text)
            assert ours.variables == theirs.variables, query.name
            if "SAMPLE(" in text:
                assert len(ours.rows) == len(theirs.rows), query.name
                continue
            rows = set(map(_row_key, ours.rows))
            if query.name in NAME_CANDIDATES:
                # kg compares the names an engine cannot normalise itself: an engine may send
                # back more of them (Virtuoso 7 every non-ASCII name), never fewer rows.
                expected = set(map(_row_key, theirs.rows))
                extra = [json.loads(row) for row in rows - expected]
                assert rows >= expected, query.name
                assert all(not (r.get("name") or r["label"]).isascii() for r in extra), query.name
                continue
            assert rows == set(map(_row_key, theirs.rows)), query.name
        elif query.kind in ("construct", "describe"):
            graph = backend_catalogue.store.construct(text)
            assert isomorphic(graph, catalogue_ctx.store.construct(text)), query.name


def _row_key(row: dict[str, object]) -> str:
    """A row without its blank nodes and empty strings (Virtuoso gives ``lang()`` of an
    unbound variable as "", where the others leave the variable unbound)."""
    return json.dumps(
        {k: str(v) for k, v in row.items() if type(v).__name__ != "BNode" and str(v) != ""}
    )


# --- an engine that is down ------------------------------------------------------------------


@pytest.fixture
def down(tmp_path: Path) -> Settings:
    url = f"http://127.0.0.1:{free_port()}"
    return Settings.from_env(
        {}, store=f"{url}/sparql", store_graph_store=f"{url}/store", store_retries=1,
        search_dir=str(tmp_path / "search"),
    )  # fmt: skip


def test_an_engine_that_is_down_is_a_clear_error(down: Settings, tmp_path: Path) -> None:
    ctx = Context.from_settings(down)
    started = time.monotonic()
    with pytest.raises(StoreError, match="cannot be reached: connection refused") as caught:
        ctx.store.version()
    assert "tried 2 times" in str(caught.value) and time.monotonic() - started >= 0.2
    with pytest.raises(StoreError, match="cannot be reached"):
        load_files(ctx, [write(tmp_path / "lab.ttl", LAB)])


def test_pages_answer_503_with_a_message_when_the_engine_is_down(down: Settings) -> None:
    ctx = Context.from_settings(down)
    app = create_app(down, context=ctx)
    web = app.test_client()
    for path in ("/", f"/compare?m={TLDM}&m={FTDM}", "/methods/ddpm", "/dataset"):
        response = web.get(path)
        assert response.status_code == 503, path
        # A clear message and the request id; the engine's address stays in the log.
        assert b"store cannot answer right now" in response.data
        assert b"Request id" in response.data and response.headers["Retry-After"] == "10"
        assert down.store.encode() not in response.data and b"Traceback" not in response.data
    sparql = web.get("/sparql", query_string={"query": "ASK {}"})
    assert sparql.status_code == 503 and b"cannot be reached" in sparql.data


def test_the_command_line_says_what_is_wrong(down: Settings) -> None:
    env = {**os.environ, "KG_STORE": down.store, "KG_STORE_RETRIES": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "stats"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "cannot be reached" in result.stderr and "Traceback" not in result.stderr


# --- the command line on a remote engine -----------------------------------------------------


def test_command_line_load_export_validate_search(backend: Backend, tmp_path: Path) -> None:
    if not backend.remote:
        pytest.skip("the embedded store's command line is tested in test_cli.py")
    settings = backend.settings(tmp_path)
    env = {**os.environ}
    for f in dataclasses.fields(settings):
        env[f"KG_{f.name.upper()}"] = str(getattr(settings, f.name))

    def kg(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "kg.cli", *args], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "quads in the store" in kg("load", "--curated")
    exported = tmp_path / "all.nq"
    kg("export", "--format", "nquads", "-o", str(exported))
    assert len(Dataset().parse(exported, format="nquads")) > 3000
    assert "conforms" in kg("validate", "--store").lower()
    assert TLDM in kg("search", "TL-DM", "--format", "json")
    assert "indexed" in kg("reindex")
