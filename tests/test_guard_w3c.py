"""The W3C SPARQL 1.1 syntax suites through the query guard: no positive syntax test that
the engine accepts is refused, other than those that use SERVICE or LOAD, which are refused
on purpose and say so."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from kg.services.guards import InputRejected, Limits, check_sparql
from tests.conftest import shared_path

pytestmark = pytest.mark.shared

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
POSITIVE = {
    MF.PositiveSyntaxTest: False,
    MF.PositiveSyntaxTest11: False,
    MF.PositiveUpdateSyntaxTest11: True,
}
SUITES = ["syntax-query", "syntax-update-1", "syntax-update-2", "syntax-fed"]
LIMITS = Limits(100_000, 64, allow_remote=False)
BASE = "http://example.org/w3c/"


def positive_tests(suite: Path) -> list[tuple[str, Path, bool]]:
    """(name, file, is an update) of each positive syntax test in the suite's manifest."""
    manifest = suite / "manifest.ttl"
    graph = Graph().parse(manifest, publicID=manifest.as_uri())
    tests = []
    for kind, update in POSITIVE.items():
        for test in graph.subjects(RDF.type, kind):
            action = graph.value(test, MF.action)
            assert isinstance(action, URIRef), test
            path = Path(action.removeprefix("file://"))
            tests.append((str(graph.value(test, MF.name)), path, update))
    return sorted(tests)


def engine_accepts(text: str, update: bool) -> bool:
    """The engine parses (and, on an empty store, runs) it; called only for text that the
    guard let through, so with no SERVICE or LOAD in it."""
    store = pyoxigraph.Store()
    try:
        if update:
            store.update(text, base_iri=BASE)
        else:
            result = store.query(text, base_iri=BASE)
            if not isinstance(result, bool):
                list(result)  # type: ignore[call-overload]
    except (SyntaxError, OSError, RuntimeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("suite", SUITES)
def test_the_guard_refuses_no_positive_syntax_test_but_remote_fetches(suite: str) -> None:
    tests = positive_tests(shared_path("w3c", "sparql11", suite))
    assert tests, suite
    accepted, on_purpose, wrongly = 0, 0, []
    for name, path, update in tests:
        text = path.read_text(encoding="utf-8")
        try:
            check_sparql(text, LIMITS, update=update)
        except InputRejected as exc:
            word = re.match(r"(SERVICE|LOAD) \(", exc.message)
            if word and "would make this server fetch a URL" in exc.message:
                assert word[1].lower() in text.lower(), (name, exc.message)
                on_purpose += 1
            elif engine_accepts(text, update):
                wrongly.append(f"{name}: {exc.message}")
            continue
        accepted += 1
    print(f"{suite}: {len(tests)} positive, {accepted} accepted, {on_purpose} refused on purpose")
    assert wrongly == []
    assert accepted + on_purpose == len(tests)
