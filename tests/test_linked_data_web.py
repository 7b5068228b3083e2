"""Dereferencing: every kind of IRI × every format × Accept variants; 304; pages."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from pyld import jsonld
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from kg.services.context import Context

BASE = "https://w3id.org/rmkg/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RESOURCES = {
    "method": "/method/ddpm",
    "person": "/person/jonathan-ho",
    "source": "/source/ho-2020-ddpm",
    "field": "/field/deep-learning",
    "family": "/family/diffusion-models",
    "scheme": "/scheme/fields",
    "ontology": "/ontology",
    "dataset": "/dataset",
    "graph": "/graph/methods-seed",
    "comparison": "/compare?m=ddpm&m=lora",
}
TYPES = {
    "turtle": ("text/turtle", "ttl", "turtle"),
    "jsonld": ("application/ld+json", "jsonld", "json-ld"),
    "nt": ("application/n-triples", "nt", "nt"),
    "rdfxml": ("application/rdf+xml", "rdf", "xml"),
}
ACCEPT_VARIANTS = {
    "exact": lambda t: t,
    "q-values": lambda t: f"text/html;q=0.4, {t};q=0.9, */*;q=0.1",
    "wildcard-fallback": lambda t: f"{t}, */*;q=0.5",
    "params": lambda t: f"{t}; charset=utf-8",
}


def _with_suffix(path: str, suffix: str) -> str:
    if "?" in path:
        route, query = path.split("?", 1)
        return f"{route}.{suffix}?{query}"
    return f"{path}.{suffix}"


def _redirects_to_html(kind: str) -> bool:
    return kind in ("method", "graph")


@pytest.mark.parametrize("kind", sorted(RESOURCES))
@pytest.mark.parametrize("fmt", sorted(TYPES))
@pytest.mark.parametrize("variant", sorted(ACCEPT_VARIANTS))
def test_accept_gives_the_format(client: FlaskClient, kind: str, fmt: str, variant: str) -> None:
    media_type, _, _ = TYPES[fmt]
    response = client.get(RESOURCES[kind], headers={"Accept": ACCEPT_VARIANTS[variant](media_type)})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == media_type
    assert "Accept" in response.headers.get("Vary", "")


@pytest.mark.parametrize("kind", sorted(RESOURCES))
@pytest.mark.parametrize("fmt", sorted(TYPES))
def test_suffix_gives_the_format_and_parses(
    client: FlaskClient, catalogue_ctx: Context, kind: str, fmt: str
) -> None:
    media_type, suffix, rdflib_format = TYPES[fmt]
    response = client.get(_with_suffix(RESOURCES[kind], suffix), headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == media_type
    body = response.get_data()
    if fmt == "jsonld":
        document = json.loads(body)
        if kind in ("comparison", "graph"):  # a download, a graph's dump: the context inline
            assert isinstance(document["@context"], dict)
        else:  # the context named where this instance serves it
            assert document["@context"][0] == "http://localhost/ontology/context.jsonld"
        options = {"format": "application/n-quads", "documentLoader": _served_by(client)}
        graph = Graph().parse(data=jsonld.to_rdf(document, options), format="nquads")
        turtle = client.get(_with_suffix(RESOURCES[kind], "ttl")).get_data()
        assert isomorphic(graph, Graph().parse(data=turtle, format="turtle"))
    else:
        graph = Graph().parse(data=body, format=rdflib_format)
    assert len(graph) > 3


def _served_by(client: FlaskClient) -> Callable[[str, object], dict[str, object]]:
    """A pyld document loader that fetches from the app (host ``localhost``) only."""

    def load(url: str, options: object) -> dict[str, object]:
        parts = urllib.parse.urlsplit(url)
        assert parts.netloc == "localhost", url
        response = client.get(parts.path)
        assert response.status_code == 200 and response.mimetype == "application/ld+json"
        return {"contentType": response.mimetype, "contextUrl": None, "documentUrl": url,
                "document": response.get_json()}  # fmt: skip

    return load


@pytest.mark.parametrize("kind", sorted(RESOURCES))
@pytest.mark.parametrize("accept", [BROWSER, "*/*", "", "text/*", "text/html"])
def test_browsers_get_html(client: FlaskClient, kind: str, accept: str) -> None:
    response = client.get(RESOURCES[kind], headers={"Accept": accept} if accept else {})
    if _redirects_to_html(kind):
        assert response.status_code == 303
        response = client.get(response.headers["Location"], headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("kind", sorted(RESOURCES))
@pytest.mark.parametrize("accept", ["image/png", "application/pdf, text/csv;q=0.5"])
def test_unsupported_types_give_406(client: FlaskClient, kind: str, accept: str) -> None:
    response = client.get(RESOURCES[kind], headers={"Accept": accept})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_conditional_requests_get_304(client: FlaskClient, kind: str) -> None:
    path = _with_suffix(RESOURCES[kind], "ttl")
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    other = client.get(_with_suffix(RESOURCES[kind], "nt"), headers={"If-None-Match": etag})
    assert other.status_code == 200  # another representation, another ETag


def test_iris_in_the_data_dereference_to_their_own_description(client: FlaskClient) -> None:
    body = client.get("/source/ho-2020-ddpm.ttl").get_data()
    graph = Graph().parse(data=body, format="turtle")
    source = URIRef(f"{BASE}source/ho-2020-ddpm")
    assert (source, None, None) in graph
    for iri in {str(o) for o in graph.objects() if str(o).startswith(f"{BASE}person/")}:
        path = iri.removeprefix(BASE[:-1])
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 200, path


def test_unknown_resources_give_404(client: FlaskClient) -> None:
    for path in ("/person/nobody", "/field/nothing.ttl", "/graph/nothing", "/scheme/x%20y",
                 "/dumps/catalogue.xyz"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404, path


def test_the_context_is_served_at_its_stable_url(client: FlaskClient) -> None:
    response = client.get("/ontology/context.jsonld")
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["@context"]["prefLabel"]["@container"] == "@language"
    assert (
        client.get(
            "/ontology/context.jsonld", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )


ONTOLOGY_SECTION = [
    ("en", "Object properties"),
    ("ja", "オブジェクトプロパティ"),
    ("th", "คุณสมบัติเชิงวัตถุ"),
]


@pytest.mark.parametrize(("lang", "text"), ONTOLOGY_SECTION)
def test_ontology_page_documents_every_term_in_the_ui_language(
    client: FlaskClient, lang: str, text: str
) -> None:
    page = client.get(f"/ontology?lang={lang}").get_data(as_text=True)
    assert text in page
    for term in ("Method", "relatedMethod", "yearOfOrigin", "CompareCount", "displayOrder"):
        assert f'id="{term}"' in page
    assert "手法" in page and "วิธี" in page  # labels in every language
    assert 'href="http://www.w3.org/ns/prov#Plan"' in page  # alignments


def test_dataset_page_and_description(client: FlaskClient) -> None:
    page = client.get("/dataset").get_data(as_text=True)
    for expected in ('id="graph-methods-seed"', "/dumps/catalogue.nq", "/sparql",
                     "https://creativecommons.org/licenses/by/4.0/"):  # fmt: skip
        assert expected in page
    graph = Graph().parse(data=client.get("/dataset.ttl").get_data(), format="turtle")
    void = "http://rdfs.org/ns/void#"
    dataset = URIRef(f"{BASE}dataset")
    assert len(list(graph.objects(dataset, URIRef(f"{void}subset")))) >= 9
    assert (dataset, URIRef(f"{void}sparqlEndpoint"), URIRef(f"{BASE}sparql")) in graph
    assert (dataset, URIRef(f"{void}dataDump"), URIRef(f"{BASE}dumps/catalogue.nq")) in graph
    seed = URIRef(f"{BASE}graph/methods-seed")
    licence = URIRef("http://purl.org/dc/terms/license")
    assert graph.value(seed, licence) == URIRef("https://creativecommons.org/licenses/by/4.0/")


def test_resource_pages_link_what_they_point_to(client: FlaskClient) -> None:
    page = client.get("/source/ho-2020-ddpm?lang=ja").get_data(as_text=True)
    assert 'href="/person/jonathan-ho"' in page and 'href="/methods/ddpm"' in page
    assert "https://doi.org/" in page or "https://arxiv.org/abs/2006.11239" in page
    field = client.get("/field/deep-learning?lang=th").get_data(as_text=True)
    assert "การเรียนรู้เชิงลึก" in field and 'href="/methods/lora"' in field


def test_method_iris_redirect_browsers_to_the_method_page(client: FlaskClient) -> None:
    response = client.get("/method/ddpm", headers={"Accept": BROWSER})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/methods/ddpm")


def test_comparison_downloads_keep_working(client: FlaskClient) -> None:
    response = client.get("/compare.jsonld?m=ddpm&m=lora")
    assert "attachment" in response.headers["Content-Disposition"]
    # a file of its own: the context inline, so it reads offline
    context = response.get_json()["@context"]
    assert isinstance(context, dict) and context["@base"] == BASE
    assert len(Graph().parse(data=response.get_data(), format="json-ld")) > 10
    assert client.get("/compare?m=ddpm", headers={"Accept": "text/turtle"}).status_code == 400
    assert (
        client.get("/compare?m=ddpm&m=nope", headers={"Accept": "text/turtle"}).status_code == 404
    )
