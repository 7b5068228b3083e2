"""The query guard against the engine it protects: generated queries and updates that mix
comments (ended by "\\r", "\\n", "\\r\\n", or by characters that do not end them), strings,
IRIs with escapes, prefixed names and keywords in every case, and the engine itself as the
oracle. Whatever pyoxigraph fetches from a canary listener on 127.0.0.1 (SERVICE, LOAD),
the guard refuses; whatever overflows its stack (in a forked process), the guard refuses.

Seeded (derandomize): the same cases on every run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pyoxigraph
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.services.guards import InputRejected, Limits, check_sparql, position
from tests.served import Canary

LIMITS = Limits(100_000, 64, allow_remote=False)
FAST = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=1500,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

LINE_ENDS = ["\r", "\n", "\r\n"]
NOT_LINE_ENDS = ["\f", "\x0b", "\x85", "\u2028"]  # they do not end a comment
COMMENT_TEXT = ["", " x", " {", " }", ' "', " '''", " <", " SERVICE <u> {}", " LOAD", "\\"]
comments = st.builds(
    lambda text, end: "#" + text + end,
    st.sampled_from(COMMENT_TEXT),
    st.sampled_from(LINE_ENDS + NOT_LINE_ENDS),
)
separators = st.lists(
    st.one_of(st.sampled_from([" ", "\t", "", *LINE_ENDS]), comments), max_size=3
).map("".join)


def refused(text: str, *, update: bool = False) -> bool:
    try:
        check_sparql(text, LIMITS, update=update)
    except InputRejected:
        return True
    return False


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    listener = Canary()
    yield listener
    listener.close()


def engine_fetches(canary: Canary, text: str, *, update: bool = False) -> bool:
    """Run ``text`` on a one-triple in-memory store; did the canary get a request?"""
    store = pyoxigraph.Store()
    node = pyoxigraph.NamedNode("http://example.org/x")
    store.add(pyoxigraph.Quad(node, node, node))
    before = len(canary.requests)
    try:
        if update:
            store.update(text)
        else:
            result = store.query(text)
            if not isinstance(result, bool):
                list(result)  # type: ignore[call-overload]
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    return len(canary.requests) > before


# Fragments that stand before or after the SERVICE pattern in a group: triples, BIND with
# strings holding line ends and keywords, FILTER with "<" as an operator and IRIs with "#".
GROUP_PARTS = [
    "",
    "?a ?b ?c .",
    "?a ?b ?c",
    "?a <http://example.org/x#f> ?c .",
    "?a ?b '''SERVICE\r\n{'''.",
    'BIND("x\\r#" AS ?v)',
    "BIND('\\u0022 SERVICE' AS ?w)",
    "FILTER(?a<?b || true)",
    "FILTER(1<2)",
    "VALUES ?v { <http://example.org/#a> }",
    "{ }",
    "OPTIONAL { ?a ?b ?c }",
    "?a ?b ex:x\\#y .",
    '?a ?b "{"@en .',
]
SERVICE_WORDS = [
    "SERVICE",
    "service",
    "SeRvIcE",
    "SERVICE SILENT",
    "SERVICESILENT",
    "service silent",
]
LOAD_WORDS = ["LOAD", "load", "LoAd", "LOAD SILENT", "LOADSILENT", "load silent"]


def targets(url: str) -> list[str]:
    return [f"<{url}s>", "c:s", "c:", f"<{url}\\u0073>", "?e"]


@st.composite
def service_queries(draw: st.DrawFn, url: str) -> str:
    s = [draw(separators) for _ in range(8)]
    target = draw(st.sampled_from(targets(url)))
    values = f"VALUES ?e {{ <{url}v> }}" if target == "?e" else ""
    return (
        f"{s[0]}PREFIX c: <{url}>{s[1]}PREFIX ex: <http://example.org/>{s[2]}"
        f"SELECT * WHERE {{{s[3]}{draw(st.sampled_from(GROUP_PARTS))}{s[4]}{values}"
        f"{draw(st.sampled_from(SERVICE_WORDS))}{s[5]}{target}{s[6]}"
        f"{{ {draw(st.sampled_from(['', '?s ?p ?o']))} }}{s[7]}"
        f"{draw(st.sampled_from(GROUP_PARTS))} }}"
    )


@st.composite
def remote_updates(draw: st.DrawFn, url: str) -> str:
    s = [draw(separators) for _ in range(6)]
    prologue = f"{s[0]}PREFIX c: <{url}>{s[1]}PREFIX ex: <http://example.org/>{s[2]}"
    before = draw(st.sampled_from(["", "CLEAR ALL ;", "INSERT DATA { ex:a ex:b 'x\\r#' } ;"]))
    if draw(st.booleans()):
        target = draw(st.sampled_from(targets(url)[:4]))
        into = draw(st.sampled_from(["", " INTO GRAPH ex:g", " into graph <http://x/#g>"]))
        return f"{prologue}{before}{s[3]}{draw(st.sampled_from(LOAD_WORDS))}{s[4]}{target}{into}"
    target = draw(st.sampled_from(targets(url)[:4]))
    return (
        f"{prologue}{before}{s[3]}INSERT {{ ?s ?p ?o }} WHERE {{ "
        f"{draw(st.sampled_from(GROUP_PARTS))}{s[4]}{draw(st.sampled_from(SERVICE_WORDS))}"
        f"{s[5]}{target} {{ ?s ?p ?o }} }}"
    )


def test_the_carriage_return_cases_of_issue_17(canary: Canary) -> None:
    """The engine fetches each of these (the positive control), and the guard refuses."""
    url = canary.url
    queries = [
        f"SELECT * WHERE {{ # x\r SERVICE <{url}a> {{ }} }}",
        f"# x\rSELECT * WHERE {{ SERVICE SILENT <{url}b> {{ }} }}",
        f"SELECT * WHERE {{ # x\r\n SERVICE <{url}c> {{ }} }}",
    ]
    updates = [
        f"# x\rLOAD SILENT <{url}d>",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ # x\r SERVICE SILENT <{url}e> {{ ?s ?p ?o }} }}",
    ]
    for text, update in [(q, False) for q in queries] + [(u, True) for u in updates]:
        assert engine_fetches(canary, text, update=update), text
        assert refused(text, update=update), text
    nested = "SELECT * WHERE { # x\r" + "{" * 20_000 + "}" * 20_000 + " }"
    assert refused(nested)
    assert refused("SELECT * WHERE { FILTER(?a<" + "(" * 100 + "1" + ")" * 100 + ">2) }")


def test_what_the_engine_fetches_in_a_query_the_guard_refuses(canary: Canary) -> None:
    fetched: list[str] = []

    @FAST
    @given(service_queries(canary.url))
    def check(query: str) -> None:
        if engine_fetches(canary, query):
            fetched.append(query)
            assert refused(query), query

    check()
    assert len(fetched) > 100  # the generator does reach the engine's fetches


def test_what_the_engine_fetches_in_an_update_the_guard_refuses(canary: Canary) -> None:
    fetched: list[str] = []

    @FAST
    @given(remote_updates(canary.url))
    def check(update: str) -> None:
        if engine_fetches(canary, update, update=True):
            fetched.append(update)
            assert refused(update, update=True), update

    check()
    assert len(fetched) > 100


# --- nesting: the engine in a forked process ------------------------------------------------

_ORACLE = r"""
import os, signal, sys, pyoxigraph
source, sink = sys.stdin.buffer, sys.stdout.buffer
while True:
    header = source.read(9)
    if len(header) < 9:
        break
    text = source.read(int.from_bytes(header[1:], "big")).decode()
    pid = os.fork()
    if pid == 0:
        signal.alarm(20)
        try:
            store = pyoxigraph.Store()
            store.update(text) if header[0] else store.query(text)
        except BaseException:
            pass
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    crashed = os.WIFSIGNALED(status) and os.WTERMSIG(status) != signal.SIGALRM
    sink.write(b"1" if crashed else b"0")
    sink.flush()
"""


class Oracle:
    """A process with pyoxigraph loaded that forks a child for each text: a crash (the
    stack overflow's SIGSEGV) takes the child only."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ORACLE], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def crashes(self, text: str, *, update: bool = False) -> bool:
        assert self.process.stdin is not None and self.process.stdout is not None
        data = text.encode()
        self.process.stdin.write(bytes([update]) + len(data).to_bytes(8, "big") + data)
        self.process.stdin.flush()
        return self.process.stdout.read(1) == b"1"

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    if not hasattr(os, "fork"):
        pytest.skip("the nesting oracle forks")
    engine = Oracle()
    yield engine
    engine.close()


# (opening, closing, around) of nesting shapes; "{}" stands for the nested part.
SHAPES = [
    ("{", "}", "SELECT * WHERE {}"),
    ("(", ")", "SELECT * WHERE { FILTER({}) }"),
    ("(", ")", "SELECT * WHERE { BIND({} AS ?x) }"),
    ("(", ")", "SELECT * WHERE { FILTER(?a<{}) }"),
    ("<<( ?a ?b ", " )>>", "SELECT * WHERE { BIND({} AS ?x) }"),
    ("!", "", "SELECT * WHERE { FILTER({}) }"),
    ("{", "} UNION {}", "SELECT * WHERE {}"),
    ("1+", "", "SELECT * WHERE { FILTER({}) }"),
    ("{", "}", "INSERT { ?s ?p ?o } WHERE {}"),
    ("{", "}", "INSERT DATA { GRAPH <http://x/g> {} }"),
]


@st.composite
def nested(draw: st.DrawFn) -> tuple[str, bool]:
    opening, closing, around = draw(st.sampled_from(SHAPES))
    depth = draw(st.sampled_from([30, 100, 2500, 7000, 12000]))
    glue = draw(st.sampled_from(["", " ", "# x\r", "# x\r\n", "#\n", " # {\r"]))
    inner = draw(st.sampled_from(["1", "?s ?p ?o", "true", "'}'", "<http://x/(>"]))
    text = around.replace("{}", (opening + glue) * depth + inner + closing * depth, 1)
    return draw(separators) + text, around.startswith("INSERT")


def test_what_overflows_the_engine_the_guard_refuses(oracle: Oracle) -> None:
    crashed: list[str] = []

    @settings(FAST, max_examples=300)
    @given(nested())
    def check(case: tuple[str, bool]) -> None:
        text, update = case
        if oracle.crashes(text, update=update):
            crashed.append(text[:80])
            assert refused(text, update=update), text[:200]

    check()
    assert len(crashed) > 30  # the generator does reach the engine's overflow


def test_error_positions_count_every_line_end() -> None:
    for text in ("SELECT *\rWHERE {\r\n\n SERVICE", "SELECT *\nWHERE {\r\r\n SERVICE"):
        with pytest.raises(InputRejected, match=r"SERVICE \(line 4, column 2\)"):
            check_sparql(text + " <http://x/> {} }", LIMITS)
    assert position("a\r\nb\rc\nd", 7) == (4, 1)
    assert position("ab\r\ncd", 5) == (2, 2)
