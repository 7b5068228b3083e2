"""HTTP to a SPARQL 1.1 engine: queries and updates through SPARQLWrapper, uploads through
the Graph Store Protocol; authentication, timeouts, retries and clear errors.

Every query is a form POST (``application/x-www-form-urlencoded``) with an explicit
``Accept``: Virtuoso answers HTML without one and hangs on a query POSTed directly. One
opener per store sends the credentials: Basic or Bearer as a header on every request,
Digest through urllib's handler (Virtuoso's ``/sparql-auth``); SPARQLWrapper is never
given credentials, so it never installs a process-wide opener. A request that cannot reach
the engine is retried with exponential backoff (a read always, a write only when the
connection was refused, so that nothing is sent twice); after that, or on any other
failure, the caller gets a :class:`StoreError` that says which engine and why.
"""

from __future__ import annotations

import base64
import http.client
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any, BinaryIO, cast

from SPARQLWrapper import POST, URLENCODED, SPARQLWrapper

from kg.config import Settings
from kg.store.base import QuerySyntaxError, StoreError

USER_AGENT = "kg (https://w3id.org/rmkg/)"
BACKOFF = 0.2
"""Seconds before the first retry; doubled for each further one."""
BUSY_PATIENCE = 15.0
"""Seconds a request the engine refused as busy (a lock wait, a deadlock) is retried for,
whatever KG_STORE_RETRIES says: another writer's transaction usually ends within them."""
_TIMEOUT_WORDS = re.compile(r"time ?out|timed out|cancell?ed|S1T00|execution time", re.IGNORECASE)
_BUSY_WORDS = re.compile(r"\b40001\b|SR171|deadlock", re.IGNORECASE)


class EngineTimeout(StoreError):
    """The engine did not answer within the time kg gives it."""


class EngineBusy(StoreError):
    """The engine gave up a request that may succeed when sent again: a deadlock or a lock
    wait that timed out (Virtuoso 40001, SR171). The request had no effect."""


@dataclass(frozen=True)
class EngineConfig:
    query_url: str
    update_url: str
    graph_store_url: str
    user: str
    password: str
    auth: str
    timeout: float
    retries: int

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineConfig:
        return cls(
            query_url=settings.store,
            update_url=settings.store_update or settings.store,
            graph_store_url=settings.store_graph_store,
            user=settings.store_user,
            password=settings.store_password,
            auth=settings.store_auth,
            timeout=float(settings.store_timeout),
            retries=settings.store_retries,
        )


class Response:
    """An engine's answer, read as a stream; close it (or use ``with``)."""

    def __init__(self, raw: http.client.HTTPResponse) -> None:
        self.raw = raw
        self.headers: Message = raw.headers
        self.content_type = (raw.headers.get_content_type() or "").lower()

    @property
    def stream(self) -> BinaryIO:
        return cast(BinaryIO, self.raw)

    def read(self) -> bytes:
        return self.raw.read()

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Wrapper(SPARQLWrapper):
    """SPARQLWrapper building the request (form POST, parameters, Accept) and our engine
    sending it, with our opener, retries and errors."""

    def __init__(self, engine: Engine, timeout: float) -> None:
        super().__init__(engine.config.query_url, updateEndpoint=engine.config.update_url)
        self._engine = engine
        self._kg_timeout = timeout
        self.setMethod(POST)
        self.setRequestMethod(URLENCODED)
        self.setOnlyConneg(True)
        self.agent = USER_AGENT

    def _query(self) -> tuple[http.client.HTTPResponse, str]:
        request = self._createRequest()
        idempotent = not self.isSparqlUpdateRequest()
        response = self._engine.open(request, self._kg_timeout, idempotent=idempotent)
        return response, self.returnFormat


class Engine:
    """One SPARQL engine, as configured."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._passwords: urllib.request.HTTPPasswordMgrWithDefaultRealm | None = None
        self._authorization: str | None = None
        if config.password:
            if config.auth == "digest":
                self._passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
                for url in {config.query_url, config.update_url, config.graph_store_url}:
                    if url:
                        self._passwords.add_password(None, url, config.user, config.password)
            elif config.auth == "bearer":
                self._authorization = f"Bearer {config.password}"
            else:
                pair = f"{config.user}:{config.password}".encode()
                self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        self._plain = urllib.request.build_opener()

    def _opener(self) -> urllib.request.OpenerDirector:
        """urllib's Digest handler keeps per-exchange state (a retry counter that an error
        response never resets), so each request gets its own; the others share one."""
        if self._passwords is None:
            return self._plain
        return urllib.request.build_opener(_DigestHandler(self._passwords))

    # --- sending ----------------------------------------------------------------------------

    def open(
        self, request: urllib.request.Request, timeout: float, *, idempotent: bool
    ) -> http.client.HTTPResponse:
        """Send ``request``; retried when the engine cannot be reached. Raises StoreError
        (QuerySyntaxError for a 400, EngineTimeout when it does not answer in time)."""
        if self._authorization:
            request.add_header("Authorization", self._authorization)
        request.add_header("User-Agent", USER_AGENT)
        url = request.full_url.split("?", 1)[0]
        attempt, started = 0, time.monotonic()
        while True:
            try:
                opener = self._opener()
                return cast(http.client.HTTPResponse, opener.open(request, timeout=timeout))
            except urllib.error.HTTPError as exc:
                if exc.code == 503 and idempotent and attempt < self.config.retries:
                    exc.close()
                else:
                    error = _http_error(url, exc)
                    busy = isinstance(error, EngineBusy) and idempotent
                    patient = time.monotonic() - started < BUSY_PATIENCE
                    if not (busy and (attempt < self.config.retries or patient)):
                        raise error from None
                reason = "HTTP 503"
            except TimeoutError:
                raise EngineTimeout(
                    f"the SPARQL engine at {url} did not answer within {timeout:g} s"
                ) from None
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException) as exc:
                inner = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                if isinstance(inner, TimeoutError):
                    raise EngineTimeout(
                        f"the SPARQL engine at {url} did not answer within {timeout:g} s"
                    ) from None
                reason = _reason(inner)
                refused = isinstance(inner, ConnectionRefusedError)
                if attempt >= self.config.retries or not (idempotent or refused):
                    tries = f" (tried {attempt + 1} times)" if attempt else ""
                    raise StoreError(
                        f"the SPARQL engine at {url} cannot be reached: {reason}{tries}"
                    ) from None
            time.sleep(min(BACKOFF * 2**attempt, 2.0))
            attempt += 1

    # --- SPARQL -----------------------------------------------------------------------------

    def query(
        self,
        text: str,
        accept: str,
        *,
        parameters: Sequence[tuple[str, str]] = (),
        timeout: float | None = None,
    ) -> Response:
        """POST a query as a form; the caller reads and closes the response."""
        wrapper = _Wrapper(self, timeout or self.config.timeout)
        wrapper.queryString = text
        wrapper.queryType = "SELECT"  # any query form: SPARQLWrapper then sends `query=`
        wrapper.addCustomHttpHeader("Accept", accept)
        for name, value in parameters:
            wrapper.addParameter(name, value)
        return Response(wrapper.query().response)

    def update(self, text: str, *, timeout: float | None = None) -> None:
        """POST an update as a form to the update URL."""
        wrapper = _Wrapper(self, timeout or self.config.timeout)
        wrapper.queryString = text
        wrapper.queryType = "INSERT"  # any update: SPARQLWrapper then sends `update=`
        wrapper.addCustomHttpHeader("Accept", "application/sparql-results+json, */*;q=0.1")
        with Response(wrapper.query().response) as response:
            response.read()

    # --- the Graph Store Protocol -----------------------------------------------------------

    def _graph_url(self, graph: str) -> str:
        base = self.config.graph_store_url
        if not base:
            raise StoreError(
                "this remote store is read-only through kg: set KG_STORE_GRAPH_STORE to the "
                "engine's Graph Store Protocol URL to load, import or write graphs"
            )
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}graph={urllib.parse.quote(graph, safe='')}"

    def post_graph(self, graph: str, data: bytes) -> None:
        """Add N-Triples (sent as Turtle, of which it is a subset) to a graph."""
        request = urllib.request.Request(
            self._graph_url(graph),
            data=data,
            method="POST",
            headers={"Content-Type": "text/turtle; charset=utf-8"},
        )
        with Response(self.open(request, self.config.timeout, idempotent=False)) as response:
            response.read()

    def delete_graph(self, graph: str) -> bool:
        """Drop a graph; False if the engine had no such graph."""
        request = urllib.request.Request(self._graph_url(graph), method="DELETE")
        try:
            with Response(self.open(request, self.config.timeout, idempotent=True)) as response:
                response.read()
        except _NotFound:
            return False
        return True


class _DigestHandler(urllib.request.HTTPDigestAuthHandler):
    """urllib's Digest handler, closing the challenge (401) response before it answers it:
    urllib leaves it open when the answered request fails in turn (a 404 of a DELETE)."""

    def http_error_401(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        fp.close()
        return super().http_error_401(req, fp, code, msg, headers)


class _NotFound(StoreError):
    """HTTP 404."""


def _http_error(url: str, exc: urllib.error.HTTPError) -> StoreError | QuerySyntaxError:
    try:
        body = exc.read().decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException):
        body = ""
    finally:
        exc.close()
    message = engine_message(body) or exc.reason or ""
    if exc.code == 400:
        return QuerySyntaxError(message)
    if exc.code in (401, 403):
        return StoreError(
            f"the SPARQL engine at {url} refused kg (HTTP {exc.code}): check KG_STORE_USER, "
            f"KG_STORE_PASSWORD and KG_STORE_AUTH ({message})"
        )
    if exc.code == 404:
        return _NotFound(f"no such resource at the SPARQL engine at {url} (HTTP 404)")
    if _BUSY_WORDS.search(message):
        return EngineBusy(f"the SPARQL engine at {url} was busy: {message}")
    if _TIMEOUT_WORDS.search(message):
        return EngineTimeout(f"the SPARQL engine at {url} stopped the request: {message}")
    return StoreError(f"the SPARQL engine at {url} failed (HTTP {exc.code}): {message}")


def engine_message(body: str) -> str:
    """An engine's error text, without the query Virtuoso echoes back, at most 500 chars."""
    text = body.split("\n\nSPARQL query:", 1)[0]
    text = re.sub(r"<[^>]+>", " ", text) if text.lstrip().startswith("<") else text
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:500] + " …"


def _reason(exc: Any) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the engine running?)"
    if isinstance(exc, ConnectionResetError):
        return "the connection was reset"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc})"
    return str(exc) or type(exc).__name__
