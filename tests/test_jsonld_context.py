"""JSON-LD reads with no help: against a real `kg serve`, with every connection refused but
those to 127.0.0.1.

An answer (a method, a person, the dataset, the ontology) names its context by the URL the
instance serves it at, so pyld's *default* document loader expands it; dumps carry their
context inline, so rdflib and pyoxigraph read them with no loader at all. Each result is
compared with the Turtle or N-Quads of the same thing.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
from pyld import jsonld
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from tests.served import Served, fetch, serve

LOCAL = ("127.0.0.1", "localhost", "::1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = tmp_path_factory.mktemp("jsonld-context") / "store"
    with serve(store) as served:
        yield served


@pytest.fixture
def local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network but 127.0.0.1: name lookups and connections elsewhere fail (and clients
    talk to the service directly, through no proxy)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    lookup, connect = socket.getaddrinfo, socket.socket.connect

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOCAL and host not in (b"127.0.0.1", b"localhost"):
            raise OSError(f"test: no network, refused to look up {host!r}")
        return lookup(host, *args, **kwargs)

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOCAL:
            raise OSError(f"test: no network, refused to connect to {address!r}")
        connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


def test_the_guard_refuses_the_network(local_only: None) -> None:
    document = {"@context": "https://w3id.org/rmkg/ontology/context.jsonld", "name": "x"}
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(document)


def test_the_context_is_served_as_json_ld(server: Served, local_only: None) -> None:
    answer = fetch(server.url + "ontology/context.jsonld")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/ld+json"
    assert json.loads(answer.body)["@context"]["prefLabel"]["@container"] == "@language"


@pytest.mark.parametrize(
    "path", ["method/ddpm", "person/jonathan-ho", "field/deep-learning", "dataset", "ontology"]
)
def test_served_json_ld_expands_with_pyld_s_default_loader(
    server: Served, local_only: None, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    answer = fetch(server.url + path, headers={"Accept": "application/ld+json"})
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/ld+json"
    document = json.loads(answer.body)
    context_url = server.url + "ontology/context.jsonld"
    assert document["@context"][0] == context_url
    default_loader = jsonld.get_document_loader()
    fetched: list[str] = []

    def watched(url: str, options: dict[str, Any]) -> Any:
        fetched.append(url)
        return default_loader(url, options)

    monkeypatch.setattr(jsonld, "_default_document_loader", watched)
    jsonld._resolved_context_cache.clear()  # fetched now, not remembered from another test
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})  # no loader given

    assert fetched == [context_url]
    expanded = Graph().parse(data=nquads, format="nquads")
    turtle = fetch(server.url + path, headers={"Accept": "text/turtle"}).body
    expected = Graph().parse(data=turtle, format="turtle")
    assert len(expected) > 3
    assert isomorphic(expanded, expected)


def _named_graphs(dataset: Dataset) -> dict[str, Graph]:
    return {
        str(g.identifier): g
        for g in dataset.graphs()
        if len(g) and g.identifier != dataset.default_graph.identifier
    }


def test_the_dump_reads_with_no_loader_in_rdflib_and_pyoxigraph(
    server: Served, local_only: None
) -> None:
    body = fetch(server.url + "dumps/catalogue.jsonld").body
    assert isinstance(json.loads(body)["@context"], dict)
    expected = _named_graphs(
        Dataset().parse(data=fetch(server.url + "dumps/catalogue.nq").body, format="nquads")
    )
    assert len(expected) >= 9

    by_rdflib = _named_graphs(Dataset().parse(data=body, format="json-ld"))
    quads = ox.parse(io.BytesIO(body), ox.RdfFormat.JSON_LD)
    nquads = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    by_pyoxigraph = _named_graphs(Dataset().parse(data=nquads, format="nquads"))
    for got in (by_rdflib, by_pyoxigraph):
        assert set(got) == set(expected)
        for name, graph in expected.items():
            assert isomorphic(got[name], graph), name
