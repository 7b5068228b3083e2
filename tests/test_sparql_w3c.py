"""The W3C SPARQL 1.1 Protocol and Graph Store Protocol test suites, over real HTTP.

Each manifest entry is a list of HTTP requests with expected responses; the harness sends
them to a `kg serve` on 127.0.0.1 with an empty store and a write token, after emptying the
store and loading the entry's `ut:graphData` through the Graph Store Protocol.
"""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection
from rdflib.term import Node

from tests.conftest import SHARED, shared_path
from tests.served import serve

pytestmark = pytest.mark.shared

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
TOKEN = "w3c-write-token"
STATUS_NAMES = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}
SUITES = {
    "protocol": ("w3c", "sparql11", "protocol", "manifest.ttl"),
    "graph-store-protocol": ("w3c", "sparql11", "graph-store-protocol", "manifest.ttl"),
}


def _manifest(path: Path) -> Graph:
    graph = Graph().parse(path, format="turtle")
    for include in graph.objects(None, MF.include):
        for item in Collection(graph, include):
            graph.parse(Path(str(item).removeprefix("file://")), format="turtle")
    return graph


def _entries(graph: Graph) -> list[Node]:
    """The entries lists, then tests defined but left out of them (the GSP suite defines
    head_non_existing_direct without listing it: 14 tests)."""
    listed = [e for lst in graph.objects(None, MF.entries) for e in Collection(graph, lst)]
    defined = [
        t
        for kind in (MF.ProtocolTest, MF.GraphStoreProtocolTest)
        for t in sorted(graph.subjects(RDF.type, kind), key=str)
    ]
    return listed + [t for t in defined if t not in listed]


def _entry_names(suite: str) -> list[str]:
    path = SHARED.joinpath(*SUITES[suite])
    if not path.exists():
        return ["(shared folder absent)"]
    graph = _manifest(path)
    return [str(e).rsplit("#", 1)[-1] for e in _entries(graph)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("w3c") / "store"
    with serve(store, load=False, write_token=TOKEN, query_timeout="10") as served:
        yield served.url


def _send(
    url: str, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {**headers, "Authorization": f"Bearer {TOKEN}"}.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def _boolean(content_type: str, body: bytes) -> bool | None:
    if "json" in content_type:
        value = json.loads(body).get("boolean")
        return value if isinstance(value, bool) else None
    if "xml" in content_type:
        found = ET.fromstring(body).find("{http://www.w3.org/2005/sparql-results#}boolean")
        return None if found is None else found.text == "true"
    return None


def _reset(url: str, manifest: Graph, entry: Node) -> None:
    status, _, _ = _send(
        url, "POST", "/sparql", {"Content-Type": "application/sparql-update"}, b"DROP ALL"
    )
    assert status == 204
    for data in manifest.objects(entry, UT.graphData):
        source = manifest.value(data, UT.graph)
        name = str(manifest.value(data, RDFS.label))
        content = Path(str(source).removeprefix("file://")).read_bytes()
        path = "/store?graph=" + name
        status, _, _ = _send(url, "PUT", path, {"Content-Type": "application/n-triples"}, content)
        assert status in (201, 204)


def _check_status(manifest: Graph, response: Node, status: int) -> str | None:
    allowed = []
    for expected in manifest.objects(response, MF.expectedStatus):
        name = str(expected).rsplit("#", 1)[-1]
        if name.startswith("StatusCode"):
            allowed.append(name[len("StatusCode")])
            if str(status)[0] == name[len("StatusCode")]:
                return None
        else:
            allowed.append(str(STATUS_NAMES[name]))
            if status == STATUS_NAMES[name]:
                return None
    return f"status {status}, expected one of {allowed}" if allowed else None


def run_entry(url: str, manifest: Graph, entry: Node, prefix: str, replacement: str) -> list[str]:
    """Run one manifest entry; the list of what did not match (empty: it passes)."""
    _reset(url, manifest, entry)
    action = manifest.value(entry, MF.action)
    problems: list[str] = []
    variables: dict[str, str] = {}
    for request in Collection(manifest, manifest.value(action, HT.requests)):
        method = str(manifest.value(request, HT.methodName))
        path = str(manifest.value(request, HT.absolutePath))
        for name, value in variables.items():
            path = path.replace(name, value)
        if path.startswith(prefix):
            path = replacement + path[len(prefix) :]
        headers = {}
        for header_list in manifest.objects(request, HT.headers):
            for header in Collection(manifest, header_list):
                name = str(manifest.value(header, HT.fieldName))
                headers[name] = str(manifest.value(header, HT.fieldValue))
        body_node = manifest.value(request, HT.body)
        body = None
        if body_node is not None:
            text = str(manifest.value(body_node, CNT.chars))
            for name, value in variables.items():
                text = text.replace(name, value)
            encoding = str(manifest.value(body_node, CNT.characterEncoding) or "UTF-8")
            body = text.encode(encoding)
        status, got_headers, data = _send(url, method, path, headers, body)
        response = manifest.value(request, HT.resp)
        where = f"{method} {path}"
        problem = _check_status(manifest, response, status)
        if problem:
            problems.append(f"{where}: {problem}: {data[:200]!r}")
            continue
        content_type = got_headers.get("content-type", "").split(";")[0].strip().lower()
        expected_format = manifest.value(response, MF.expectedFormat)
        if expected_format is not None:
            kinds = {
                "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
                "tabular": {
                    "application/sparql-results+json",
                    "application/sparql-results+xml",
                    "text/csv",
                    "text/tab-separated-values",
                },  # fmt: skip
                "RDF": set(RDF_TYPES),
            }[str(expected_format)]
            if content_type not in kinds:
                problems.append(f"{where}: content type {content_type!r} for {expected_format}")
        expected_boolean = manifest.value(response, MF.expectedBoolean)
        if (
            expected_boolean is not None
            and _boolean(content_type, data) != expected_boolean.toPython()
        ):
            problems.append(f"{where}: boolean {data[:200]!r}, expected {expected_boolean}")
        location = manifest.value(response, MF.expectedLocation)
        if location is not None:
            if "location" not in got_headers:
                problems.append(f"{where}: no Location header")
            else:
                variables[str(location)] = got_headers["location"]
        for header_list in manifest.objects(response, HT.headers):
            for header in Collection(manifest, header_list):
                name = str(manifest.value(header, HT.fieldName)).lower()
                wanted = str(manifest.value(header, HT.fieldValue)).replace(" ", "").lower()
                if got_headers.get(name, "").replace(" ", "").lower() != wanted:
                    problems.append(f"{where}: header {name}: {got_headers.get(name)!r}")
        expected_body = manifest.value(response, HT.body)
        if expected_body is not None and method != "HEAD":
            expected = Graph().parse(
                data=str(manifest.value(expected_body, CNT.chars)), format="turtle"
            )
            got = Graph().parse(data=data, format=RDF_TYPES.get(content_type, "turtle"))
            if not got.isomorphic(expected):
                problems.append(f"{where}: graph differs: {data[:300]!r}")
    return problems


RESULTS: dict[str, dict[str, bool]] = {suite: {} for suite in SUITES}


def _run_suite_entry(server: str, suite: str, name: str, prefix: str, replacement: str) -> None:
    manifest_path = shared_path(*SUITES[suite])
    manifest = _manifest(manifest_path)
    entry = next(e for e in _entries(manifest) if str(e).endswith("#" + name))
    problems = run_entry(server, manifest, entry, prefix, replacement)
    RESULTS[suite][name] = not problems
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("name", _entry_names("protocol"))
def test_sparql_protocol(server: str, name: str) -> None:
    _run_suite_entry(server, "protocol", name, "/sparql/", "/sparql")


@pytest.mark.parametrize("name", _entry_names("graph-store-protocol"))
def test_graph_store_protocol(server: str, name: str) -> None:
    _run_suite_entry(server, "graph-store-protocol", name, "/gsp", "/store")


def test_w3c_suites_report(server: str) -> None:
    """Writes test-artifacts/w3c-sparql.txt: passed/total per suite (runs after the entries)."""
    shared_path(*SUITES["protocol"])
    from kg.config import PROJECT_ROOT

    lines = []
    for suite, results in RESULTS.items():
        total = len(_entry_names(suite))
        failed = sorted(n for n, ok in results.items() if not ok)
        lines.append(
            f"{suite}: {sum(results.values())}/{total} pass"
            + (f"; failing: {failed}" if failed else "")
        )
    out = PROJECT_ROOT / "test-artifacts" / "w3c-sparql.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
