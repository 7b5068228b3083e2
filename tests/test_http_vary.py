"""HTTP caching: every response whose body depends on ``Accept`` says ``Vary: Accept``.

Every route of the app's URL map has sample requests here (a new route fails the test until
it gets some). Each sample is sent with a range of ``Accept`` headers; where the answers
differ (status, media type or redirect target), the route negotiates, and then every one of
its answers must carry ``Vary: Accept`` beside ``Accept-Language`` and ``Cookie`` (the UI
language), never in place of them.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

SELECT = "SELECT ?s WHERE { ?s a <https://w3id.org/rmkg/ontology#Method> } LIMIT 2"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2"
ACCEPTS = (
    None,
    "*/*",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "image/png",
)


@dataclass(frozen=True)
class Sample:
    path: str
    method: str = "GET"
    data: dict[str, str] | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path[:80]}"


def _q(text: str) -> str:
    return urllib.parse.quote(text)


RESOURCE_RULE = (
    "/<any(person,source,field,family,scheme,method,system,dataset,organization,venue,domain,"
    "approach):kind>/<name>"
)

# rule -> sample requests; the routes expected to negotiate are in NEGOTIATING
SAMPLES: dict[str, tuple[Sample, ...]] = {
    "/static/<path:filename>": (Sample("/static/kg.css"),),
    "/": (Sample("/"), Sample("/?sort=newest&text=diffusion")),
    "/search": (Sample("/search?q=diffusion"),),
    "/search.json": (Sample("/search.json?q=diffusion"),),
    "/health": (Sample("/health"),),
    "/compare": (Sample("/compare?m=ddpm&m=lora"), Sample("/compare?m=ddpm&m=no-such-method")),
    "/compare.<fmt>": tuple(
        Sample(f"/compare.{fmt}?m=ddpm&m=lora") for fmt in ("csv", "md", "ttl", "jsonld", "json")
    ),
    "/compare/citations.<fmt>": (Sample("/compare/citations.bib?m=ddpm&m=lora"),),
    "/methods/<method_id>": (
        Sample("/methods/ddpm"),
        Sample("/methods/no-such-method"),
        Sample("/methods/not%20an%20id"),
    ),
    "/methods/<method_id>/citation.<fmt>": (Sample("/methods/ddpm/citation.bib"),),
    "/assets/katex/<path:filename>": (Sample("/assets/katex/katex.min.css"),),
    "/assets/cytoscape/<path:filename>": (Sample("/assets/cytoscape/cytoscape.min.js"),),
    "/api/methods": (Sample("/api/methods?q=diff"),),
    "/<any(fields, families):path>": (Sample("/fields"),),
    "/<any(fields, families):path>/<concept_id>": (
        Sample("/families/diffusion-models"),
        Sample("/fields/machine-learning?sort=year&text=a"),
    ),
    RESOURCE_RULE: (
        Sample("/method/ddpm"),
        Sample("/person/jonathan-ho"),
        Sample("/source/ho-2020-ddpm"),
        Sample("/field/deep-learning"),
        Sample("/family/diffusion-models"),
        Sample("/scheme/fields"),
        Sample("/person/ddpm.ttl"),
        Sample("/person/nobody-of-that-name"),
        Sample("/system/no-such-system"),
        Sample("/venue/no-such-venue"),
    ),
    "/<any(systems, datasets, organizations, venues):path>": (
        Sample("/systems"),
        Sample("/venues?sort=name&text=a"),
        Sample("/systems?sort=newest"),
    ),
    "/systems/<slug>": (Sample("/systems/no-such-system"),),
    "/datasets/<slug>": (Sample("/datasets/no-such-dataset"),),
    "/organizations/<slug>": (Sample("/organizations/no-such-organization"),),
    "/venues/<slug>": (Sample("/venues/no-such-venue"),),
    "/.well-known/genid/<name>": (Sample("/.well-known/genid/none"),),
    "/graph/<path:name>": (Sample("/graph/people"), Sample("/graph/people.ttl")),
    "/dumps/catalogue.<suffix>": (Sample("/dumps/catalogue.nt"),),
    "/dataset.<suffix>": (Sample("/dataset.ttl"),),
    "/dataset": (Sample("/dataset"),),
    "/ontology.<suffix>": (Sample("/ontology.jsonld"),),
    "/ontology": (Sample("/ontology"),),
    "/ontology/context.jsonld": (Sample("/ontology/context.jsonld"),),
    "/sparql": (
        Sample(f"/sparql?query={_q(SELECT)}"),
        Sample(f"/sparql?query={_q(CONSTRUCT)}"),
        Sample("/sparql"),
        Sample("/sparql", "POST", {"query": SELECT}),
        Sample("/sparql", "POST", {"query": CONSTRUCT}),
        Sample(
            "/sparql",
            "POST",
            SELECT.encode(),
            {"Content-Type": "application/sparql-query"},
        ),
        Sample(f"/sparql?query={_q('SELECT * WHERE {')}"),
    ),
    "/store": (
        Sample("/store?graph=" + _q("https://w3id.org/rmkg/graph/people")),
        Sample("/store?default"),
        Sample("/store"),
    ),
    "/store/<path:graph_path>": (Sample("/store/no-such-graph"),),
    "/assets/yasgui/<path:filename>": (Sample("/assets/yasgui/yasgui.min.css"),),
    "/query": (Sample("/query"),),
    "/queries": (Sample("/queries"),),
    "/queries/<name>": (
        Sample("/queries/families-per-decade"),
        Sample("/queries/families-per-decade?run=1"),
    ),
    "/queries/<name>/results.<fmt>": (
        Sample("/queries/families-per-decade/results.json"),
        Sample("/queries/families-per-decade/results.csv"),
    ),
    "(no route)": (Sample("/no/such/page"),),
}
NEGOTIATING = {
    "/compare",
    "/methods/<method_id>",  # its 400 page: HTML or JSON
    # their 404 pages (the curated catalogue has no systems): HTML or JSON
    "/systems/<slug>",
    "/datasets/<slug>",
    "/organizations/<slug>",
    "/venues/<slug>",
    RESOURCE_RULE,
    "/.well-known/genid/<name>",
    "/graph/<path:name>",
    "/dataset",
    "/ontology",
    "/sparql",
    "/store",
    "/store/<path:graph_path>",
    "(no route)",
}


def _send(client: FlaskClient, sample: Sample, accept: str | None) -> TestResponse:
    headers = dict(sample.headers)
    if accept is not None:
        headers["Accept"] = accept
    return client.open(sample.path, method=sample.method, data=sample.data, headers=headers)


def _outcome(response: TestResponse) -> tuple[int, str | None, str]:
    return response.status_code, response.mimetype, response.headers.get("Location", "")


def _vary(response: TestResponse) -> list[str]:
    return [v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()]


def test_every_route_has_samples(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules == set(SAMPLES) - {"(no route)"}


@pytest.mark.parametrize("rule", sorted(SAMPLES))
def test_answers_that_depend_on_accept_vary_on_it(client: FlaskClient, rule: str) -> None:
    negotiated = False
    for sample in SAMPLES[rule]:
        responses = {accept: _send(client, sample, accept) for accept in ACCEPTS}
        for response in responses.values():
            response.close()
        outcomes = {accept: _outcome(r) for accept, r in responses.items()}
        if len(set(outcomes.values())) == 1:
            continue
        negotiated = True
        for accept, response in responses.items():
            vary = _vary(response)
            assert "accept" in vary, f"{sample} with Accept {accept!r}: Vary {vary}"
            assert {"accept-language", "cookie"} <= set(vary), f"{sample}: Vary {vary} lost"
            assert len(vary) == len(set(vary)), f"{sample}: Vary {vary} repeats"
    assert negotiated == (rule in NEGOTIATING), (
        f"{rule}: {'negotiates' if negotiated else 'does not negotiate'} by Accept"
    )


def test_a_cache_keyed_on_vary_never_mixes_sparql_formats(client: FlaskClient) -> None:
    """The issue's case: JSON and XML results of the same GET differ, and both say so."""
    path = f"/sparql?query={_q(SELECT)}"
    as_json = client.get(path, headers={"Accept": "application/sparql-results+json"})
    as_xml = client.get(path, headers={"Accept": "application/sparql-results+xml"})
    assert as_json.mimetype != as_xml.mimetype
    for response in (as_json, as_xml):
        assert set(_vary(response)) == {"accept", "accept-language", "cookie"}


def test_conditional_answers_vary_too(client: FlaskClient) -> None:
    first = client.get("/person/jonathan-ho", headers={"Accept": "text/turtle"})
    again = client.get(
        "/person/jonathan-ho",
        headers={"Accept": "text/turtle", "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    assert {"accept", "accept-language", "cookie"} <= set(_vary(again))
