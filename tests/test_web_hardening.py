"""Headers on every response, the request-size and rate limits, errors with a request id
and never a stack trace, and the checks behind them (guards, links, token buckets)."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.config import Settings, SettingsError
from kg.services.context import Context
from kg.services.guards import InputRejected, Limits, check_json_nesting, check_sparql
from kg.web import create_app
from kg.web.security import TokenBuckets, is_http_link

PATHS = [
    "/", "/compare?m=ddpm&m=lora", "/methods/ddpm", "/methods/no-such-method", "/search?q=lora",
    "/search.json?q=lora", "/api/methods?q=lo", "/person/jonathan-ho",
    "/person/jonathan-ho.ttl", "/dataset", "/ontology", "/queries", "/query", "/health",
    "/sparql?query=ASK%7B%7D", "/sparql?query=nonsense", "/store?default",
    "/static/kg.css", "/nowhere", "/compare?m=UPPER&m=ddpm",
]  # fmt: skip


def _app(ctx: Context, **changes: object) -> Flask:
    settings = dataclasses.replace(ctx.settings, **changes)  # type: ignore[arg-type]
    app = create_app(settings, context=Context(settings, ctx.store, ctx.queries))
    app.config["TESTING"] = True
    return app


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    response.close()
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style")[0]
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert re.fullmatch(r"[0-9a-f]{16}", headers["X-Request-Id"])


def test_only_the_editor_allows_inline_styles(client: FlaskClient) -> None:
    assert (
        "style-src 'self' 'unsafe-inline'"
        in client.get("/query").headers["Content-Security-Policy"]
    )
    assert "style-src 'self';" in client.get("/").headers["Content-Security-Policy"]


def test_pages_have_no_inline_scripts_or_handlers(client: FlaskClient) -> None:
    pages = ["/", "/compare?m=ddpm&m=lora", "/methods/ddpm", "/query", "/queries",
             "/queries/list-methods?run=1", "/search?q=lora", "/dataset", "/ontology"]  # fmt: skip
    for path in pages:
        page = client.get(path).get_data(as_text=True)
        for script in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in script or 'type="application/json"' in script, (path, script)
        assert not re.search(r"\son[a-z]+\s*=", page), path


def test_a_body_over_the_limit_is_413(catalogue_ctx: Context) -> None:
    client = _app(catalogue_ctx, max_request_bytes=4096, rate_limit=0).test_client()
    big = "SELECT * WHERE { ?s ?p " + '"' + "x" * 5000 + '" }'
    response = client.post("/sparql", data=big, content_type="application/sparql-query")
    assert response.status_code == 413
    assert response.mimetype == "text/plain"
    small = client.post("/sparql", data="ASK {}", content_type="application/sparql-query")
    assert small.status_code == 200


def test_the_rate_limit_answers_429_with_retry_after(
    catalogue_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limiter's clock stands still: on a busy machine ten requests may take long enough
    # for the bucket to refill. Refilling is test_token_buckets_refill_at_the_rate's.
    take = TokenBuckets.take
    monkeypatch.setattr(TokenBuckets, "take", lambda self, key, now=None: take(self, key, 0.0))
    client = _app(catalogue_ctx, rate_limit=60).test_client()  # 1 a second, bursts of 6
    statuses = [client.get("/sparql?query=ASK%7B%7D").status_code for _ in range(10)]
    assert statuses[:6] == [200] * 6 and statuses[-1] == 429
    limited = client.get("/sparql?query=ASK%7B%7D")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "at most 60 a minute" in limited.get_data(as_text=True)
    # Another client address has its own bucket; pages other than queries are not limited.
    other = client.get("/sparql?query=ASK%7B%7D", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200
    assert client.get("/health").status_code == 200


def test_token_buckets_refill_at_the_rate() -> None:
    buckets = TokenBuckets(per_minute=60, burst=2)
    assert buckets.take("a", now=0.0) == 0 and buckets.take("a", now=0.0) == 0
    assert buckets.take("a", now=0.0) == pytest.approx(1.0)
    assert buckets.take("a", now=1.0) == 0
    assert buckets.take("b", now=1.0) == 0


def test_an_unexpected_error_shows_a_request_id_and_logs_the_trace(
    catalogue_ctx: Context, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(catalogue_ctx, rate_limit=0)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("kg.web.pages.page_methods", broken)
    monkeypatch.setattr("kg.web.search.search", broken)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="kg.web"):
        page = client.get("/")
        data = client.get("/search.json?q=lora")
    assert page.status_code == 500 and data.status_code == 500
    text = page.get_data(as_text=True)
    rid = page.headers["X-Request-Id"]
    assert f"<code>{rid}</code>" in text
    assert "Traceback" not in text and "secret internal detail" not in text
    assert data.json is not None and data.json["request_id"] == data.headers["X-Request-Id"]
    assert "secret internal detail" not in data.get_data(as_text=True)
    logged = [r for r in caplog.records if rid in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "secret internal detail" in str(logged[0].exc_info[1])


def test_client_errors_are_4xx_with_a_message(client: FlaskClient) -> None:
    for path, status in [("/compare?m=ddpm", 400), ("/methods/Not_An_Id", 400),
                         ("/nowhere", 404), ("/queries/no-such-query", 404),
                         ("/search?q=lora&page=zero", 400)]:  # fmt: skip
        response = client.get(path)
        assert response.status_code == status, path
        assert "Traceback" not in response.get_data(as_text=True)
    json_error = client.get("/api/nothing", headers={"Accept": "application/json"})
    assert json_error.status_code == 404 and json_error.json is not None
    assert json_error.json["status"] == 404


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
        "select * where { service silent <http://x/> {} }",
        "SELECT * WHERE { ?a ?b ?c .SERVICE <http://x/> {} }",
        "SELECT * WHERE { ?a ?b 1SERVICE <http://x/> {} }",
        "PREFIX c: <http://x/> SELECT * WHERE { SERVICE:c {} }",
        "PREFIX c: <http://x/> SELECT * WHERE { SERVICE c:x {} }",
        "SELECT * WHERE { FILTER(true)SERVICE <http://x/> {} }",
        "LOAD <http://x/>",
        "PREFIX servicex: <http://x/> SELECT * WHERE { ?s ?p servicex:a }",
    ],
)
def test_remote_fetches_are_refused_in_every_spelling(query: str) -> None:
    with pytest.raises(InputRejected, match="fetch a URL"):
        check_sparql(query, Limits(100_000, 64, allow_remote=False))
    check_sparql(query, Limits(100_000, 64, allow_remote=True))


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service WHERE { ?service a <https://schema.org/Service> }",
        'SELECT * WHERE { ?s ?p "SERVICE <http://x/> {}" } # SERVICE <http://x/>',
        "PREFIX schema: <https://schema.org/> SELECT * WHERE { ?s a schema:Service ; "
        "schema:download ?d . ?d schema:loadTime ?t }",
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o . ?o ?load ?x }",
    ],
)
def test_the_words_inside_names_and_strings_are_fine(query: str) -> None:
    check_sparql(query, Limits(100_000, 64, allow_remote=False))


def test_nesting_is_counted_across_bracket_kinds_and_not_inside_strings() -> None:
    limits = Limits(100_000, 4, allow_remote=False)
    check_sparql('SELECT * WHERE { { { ?s ?p "{{{{{{{{" } } }', limits)
    with pytest.raises(InputRejected, match="more than 4 deep .line 1, column 24"):
        check_sparql("SELECT * WHERE { { ( [ ( ?s ) ] ) } }", limits)
    with pytest.raises(InputRejected, match="at most 10"):
        check_sparql("SELECT * WHERE {}", Limits(10, 4, allow_remote=False))
    check_json_nesting(b'{"a": [[["[[[[[[[[[[["]]]}', 4, "doc")
    with pytest.raises(InputRejected, match="doc:2:4: JSON objects"):
        check_json_nesting(b'{"a":\n[[[[1]]]]}', 4, "doc")


@pytest.mark.parametrize(
    ("value", "linked"),
    [
        ("https://example.org/x", True), ("HTTP://example.org/", True), ("/methods/ddpm", True),
        ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), (" javascript:x", False),
        ("data:text/html,<script>", False), ("//evil.example/", False), ("/\\evil", False),
        ("http:alert(1)", False), ("mailto:a@b", False), ("", False), (None, False),
    ],
)  # fmt: skip
def test_links_only_for_http_iris_and_local_paths(value: object, linked: bool) -> None:
    assert is_http_link(value) is linked


def test_boolean_settings_parse_and_refuse_nonsense() -> None:
    assert Settings.from_env({"KG_ALLOW_REMOTE": "true"}).allow_remote is True
    assert Settings.from_env({"KG_ALLOW_REMOTE": "0"}).allow_remote is False
    with pytest.raises(SettingsError, match="true or false"):
        Settings.from_env({"KG_ALLOW_REMOTE": "perhaps"})
    with pytest.raises(SettingsError):
        Settings.from_env({"KG_MAX_NESTING": "0"})


def test_a_format_parameter_that_does_not_fit_is_400_and_accept_406(client: FlaskClient) -> None:
    select = "SELECT ?s WHERE { ?s a ?t } LIMIT 1"
    for fmt in ("ttl", "0/0", "image/png"):
        response = client.get("/sparql", query_string={"query": select, "format": fmt})
        assert response.status_code == 400, fmt
    by_accept = client.get("/sparql", query_string={"query": select},
                           headers={"Accept": "text/turtle"})  # fmt: skip
    assert by_accept.status_code == 406


def test_ids_with_a_trailing_newline_are_refused(client: FlaskClient) -> None:
    """``$`` in a Python pattern matches before a final newline; the id checks must not."""
    paths = ["/compare?m=ddpm%0A&m=lora", "/methods/ddpm%0A", "/methods/ddpm%0A/citation.bib",
             "/person/jonathan-ho%0A", "/.well-known/genid/x%0A", "/fields/deep-learning%0A",
             "/compare.csv?m=ddpm%0A&m=lora", "/compare.ttl?m=ddpm%0A&m=lora",
             "/graph/concepts%0A"]  # fmt: skip
    for path in paths:
        assert client.get(path).status_code in (400, 404), path
