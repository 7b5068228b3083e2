"""Full dumps: streamed, and each format round-trips to the store's content."""

from __future__ import annotations

import io
import json
from collections.abc import Generator

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from pyld import jsonld
from rdflib import Dataset, Graph, Literal
from rdflib.compare import isomorphic

from kg.services.context import Context
from kg.services.dumps import parse_nquads_line, stream_dump
from kg.services.jsonld import document_loader, graph_document

SEED = "https://w3id.org/rmkg/method/transfer-learning-with-diffusion-models"
OX = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS,
      "jsonld": ox.RdfFormat.JSON_LD}  # fmt: skip


@pytest.fixture(scope="module")
def store_dataset(catalogue_ctx: Context) -> Dataset:
    """The store's content, read through the store's own N-Quads writer."""
    buffer = io.BytesIO()
    catalogue_ctx.store.dump(buffer, "nquads")
    return Dataset().parse(data=buffer.getvalue(), format="nquads")


def _union(dataset: Dataset) -> Graph:
    union = Graph()
    for graph in dataset.graphs():
        for triple in graph:
            union.add(triple)
    return union


def _pyld_dataset(ctx: Context, document: object) -> Dataset:
    options = {"format": "application/n-quads", "documentLoader": document_loader(ctx.settings)}
    return Dataset().parse(data=jsonld.to_rdf(document, options), format="nquads")


def _same_graphs(expected: Dataset, got: Dataset) -> None:
    named = [
        g for g in expected.graphs() if len(g) and g.identifier != expected.default_graph.identifier
    ]
    assert len(named) >= 9
    for graph in named:
        assert isomorphic(graph, got.graph(graph.identifier)), graph.identifier


@pytest.mark.parametrize("suffix", ["ttl", "nt", "nq", "jsonld"])
def test_dump_is_streamed_and_parses_with_pyoxigraph(client: FlaskClient, suffix: str) -> None:
    response = client.get(f"/dumps/catalogue.{suffix}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["ETag"]
    body = response.get_data()  # JSON-LD: self-contained, neither parser fetches anything
    assert list(ox.parse(io.BytesIO(body), OX[suffix], base_iri="https://w3id.org/rmkg/"))
    if suffix == "jsonld":
        parsed = Dataset().parse(data=body, format="json-ld")
        assert sum(len(g) for g in parsed.graphs()) > 2000


@pytest.mark.parametrize("suffix", ["ttl", "nt"])
def test_triple_dumps_are_isomorphic_to_the_union(
    client: FlaskClient, store_dataset: Dataset, suffix: str
) -> None:
    body = client.get(f"/dumps/catalogue.{suffix}").get_data()
    dumped = Graph().parse(data=body, format={"ttl": "turtle", "nt": "nt"}[suffix])
    assert isomorphic(dumped, _union(store_dataset))


def test_nquads_dump_is_isomorphic_per_named_graph(
    client: FlaskClient, store_dataset: Dataset
) -> None:
    body = client.get("/dumps/catalogue.nq").get_data()
    _same_graphs(store_dataset, Dataset().parse(data=body, format="nquads"))


def test_jsonld_dump_expands_with_pyld_to_the_same_graphs(
    client: FlaskClient, catalogue_ctx: Context, store_dataset: Dataset
) -> None:
    document = json.loads(client.get("/dumps/catalogue.jsonld").get_data())
    context = client.get("/ontology/context.jsonld").get_json()["@context"]
    assert document["@context"] == {"@base": "https://w3id.org/rmkg/", **context}
    _same_graphs(store_dataset, _pyld_dataset(catalogue_ctx, document))
    # readable: terms of the context, relative data IRIs, language maps
    text = json.dumps(document, ensure_ascii=False)
    assert '"@id": "method/ddpm"' in text and '"prefLabel": {"en":' in text


def test_the_document_loader_never_fetches_other_contexts(catalogue_ctx: Context) -> None:
    document = {"@context": "https://example.org/context.jsonld", "x": 1}
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(document, {"documentLoader": document_loader(catalogue_ctx.settings)})


def test_graph_document_embeds_blank_nodes_and_lists(catalogue_ctx: Context) -> None:
    query = catalogue_ctx.queries["describe-methods"].bind(method=[SEED])
    graph = catalogue_ctx.store.construct(query)
    document = graph_document(catalogue_ctx.settings, graph, first=[SEED])
    method = document["@graph"][0]
    assert method["@id"] == "method/transfer-learning-with-diffusion-models"
    assert method["yearOfOrigin"]["startYear"]
    assert isinstance(method["aliases"], list)
    got = _pyld_dataset(catalogue_ctx, document)
    assert isomorphic(_union(got), graph)


def test_one_graph_streams_as_each_format(client: FlaskClient, store_dataset: Dataset) -> None:
    people = "https://w3id.org/rmkg/graph/people"
    expected = store_dataset.graph(people)
    for suffix, fmt in (("ttl", "turtle"), ("nt", "nt"), ("rdf", "xml")):
        body = client.get(f"/graph/people.{suffix}").get_data()
        assert isomorphic(Graph().parse(data=body, format=fmt), expected), suffix


def test_nquads_lines_parse_with_escapes() -> None:
    line = '<http://a/s> <http://a/p> "x\\"y\\n\\u00E9"@en <http://a/g> .'
    parsed = parse_nquads_line(line)
    assert parsed is not None and str(parsed[2]) == 'x"y\né'
    assert isinstance(parsed[2], Literal) and parsed[2].language == "en"
    with pytest.raises(ValueError):
        parse_nquads_line("not a statement")


def test_stopping_a_stream_early_stops_the_producer(catalogue_ctx: Context) -> None:
    chunks = stream_dump(catalogue_ctx, "nt")
    assert isinstance(chunks, Generator)
    assert next(chunks)
    chunks.close()  # GeneratorExit: the producer thread is told to stop and joined
