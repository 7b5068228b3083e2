"""Settings, declared once: each with its default and a help text, read from ``KG_*``."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parents[1]
"""The checkout this package runs from, when it runs from one (ontology/, queries/, data/)."""

BUNDLE = PACKAGE_ROOT / "_bundle"
"""What an installed wheel carries beside the code: the checkout's ontology/, queries/ and
data/, and the npm packages' built assets (hatch_build.py puts them there)."""

ASSETS = {
    "yasgui": "node_modules/@zazuko/yasgui/build",
    "katex": "node_modules/katex/dist",
    "cytoscape": "node_modules/cytoscape/dist",
}
"""Front-end assets served by the app: name -> where npm installs them in a checkout."""


def resource_dir(name: str) -> Path:
    """``ontology``, ``queries`` or ``data``: inside the installed wheel's bundle when the
    package runs from one, else the checkout's directory."""
    bundled = BUNDLE / name
    return bundled if bundled.is_dir() else PROJECT_ROOT / name


def asset_dir(name: str) -> Path:
    """The build of the npm package ``name`` (a key of ``ASSETS``): bundled in the wheel, or
    in the checkout's node_modules/ (``npm ci``)."""
    bundled = BUNDLE / "assets" / name
    return bundled if bundled.is_dir() else PROJECT_ROOT / ASSETS[name]


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def default_workers() -> int:
    """The CPU cores this process may use, at most four: pyoxigraph holds the GIL while it
    evaluates, so each gunicorn worker uses one core (and each runs its own query sandbox)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


STORE_AUTH_KINDS = ("basic", "digest", "bearer")
STORE_DATASETS = ("protocol", "union")


@dataclass(frozen=True)
class Settings:
    """Every setting of the service. ``KG_<NAME>`` in the environment overrides the default."""

    store: str = _setting(
        "var/store",
        "Where the graph lives: a directory for the embedded pyoxigraph store "
        "(created on first load), or the http(s) query URL of a SPARQL 1.1 engine "
        "(docs/deploy.md).",
    )
    store_update: str = _setting(
        "",
        "Remote store: the SPARQL Update URL (empty: the query URL).",
    )
    store_graph_store: str = _setting(
        "",
        "Remote store: the Graph Store Protocol URL that loads, imports and /store writes "
        "upload to (empty: the store is read-only through kg).",
    )
    store_user: str = _setting("", "Remote store: user name for Basic or Digest auth.")
    store_password: str = _setting(
        "", "Remote store: password for Basic or Digest auth, or the token for Bearer."
    )
    store_auth: str = _setting(
        "basic",
        "Remote store: how kg authenticates to the engine, `basic`, `digest` or `bearer` "
        "(only when KG_STORE_PASSWORD is set).",
    )
    store_dataset: str = _setting(
        "protocol",
        "Remote store: the default graph of kg's reads. `protocol`: every read names kg's "
        "graphs as its dataset (default-graph-uri, named-graph-uri), so the engine's own "
        "default graph and other graphs (Virtuoso's system graphs) stay out; `union`: reads "
        "go out as they are, for an engine whose default graph is already the union of "
        "kg's graphs alone.",
    )
    store_timeout: int = _setting(
        60,
        "Remote store: seconds kg waits for the engine on its own reads and writes "
        "(queries at /sparql and /queries have KG_QUERY_TIMEOUT).",
    )
    store_retries: int = _setting(
        3,
        "Remote store: retries, with backoff, of a request that could not reach the engine.",
    )
    store_batch: int = _setting(
        50000, "Remote store: most triples in one Graph Store upload of a load or import."
    )
    search_dir: str = _setting(
        "",
        "Directory of the search index files (empty: KG_STORE/search for the embedded "
        "store, var/search for a remote one).",
    )
    host: str = _setting("127.0.0.1", "Interface the web service binds to.")
    port: int = _setting(8000, "Port the web service listens on.")
    base_iri: str = _setting(
        "https://w3id.org/rmkg/",
        "Namespace of the data's IRIs; relative IRIs in data files resolve against it. "
        "Must end with '/'.",
    )
    site_name: str = _setting("kg", "Name of the catalogue shown on pages and in exports.")
    workers: int = _setting(
        default_workers(),
        "gunicorn worker processes for `kg serve` (default: the CPU cores, at most 4).",
    )
    threads: int = _setting(8, "Threads per gunicorn worker for `kg serve`.")
    ontology_dir: str = _setting(
        str(resource_dir("ontology")),
        "Directory holding kg.ttl, shapes.ttl and context.jsonld (default: the installed "
        "package's copy, or ontology/ of the checkout).",
    )
    queries_dir: str = _setting(
        str(resource_dir("queries")),
        "Directory holding the SPARQL query library (*.rq) (default: the installed "
        "package's copy, or queries/ of the checkout).",
    )
    data_dir: str = _setting(
        str(resource_dir("data")),
        "Directory of the catalogue `kg load` reads by default (default: the installed "
        "package's copy, or data/ of the checkout).",
    )
    query_timeout: int = _setting(
        10,
        "Seconds a query at /sparql or /queries may run; then its worker process is killed "
        "and the client gets 503.",
    )
    max_rows: int = _setting(
        10000,
        "Most result rows (or triples) /sparql returns; a cut result carries the header "
        "`KG-Results-Truncated`.",
    )
    write_token: str = _setting(
        "",
        "Bearer token that allows SPARQL Update at /sparql and writes to /store; "
        "empty: the service is read-only.",
    )
    max_queries: int = _setting(
        4,
        "Public queries (/sparql, /queries) running at once per web worker process, each in "
        "its own sandbox process; one more waits at most 1 s for a free slot, then gets 503 "
        "with Retry-After.",
    )
    max_query_length: int = _setting(
        100000,
        "Most characters of a SPARQL query; a longer one gets 400 before any engine reads it.",
    )
    max_nesting: int = _setting(
        64,
        "Deepest nesting of brackets ({, (, [) in a SPARQL query or update, and of objects "
        "and arrays in a JSON-LD document; deeper input gets 400 (the engine's parsers "
        "overflow their stack a few thousand levels down).",
    )
    max_request_bytes: int = _setting(
        16 * 1024 * 1024,
        "Largest request body (queries, updates, Graph Store uploads); larger ones get 413.",
    )
    home_list_limit: int = _setting(
        2000,
        "Most methods the home page lists, with its field, family and decade filters; the "
        "home page of a larger catalogue links to search and the field and family pages.",
    )
    rate_limit: int = _setting(
        600,
        "Requests per minute one client address may send to /sparql (bursts up to a tenth "
        "of it), counted in each web worker process; more get 429 with Retry-After. 0: no "
        "limit.",
    )
    allow_remote: bool = _setting(
        False,
        "Allow SERVICE in queries and LOAD in updates, which make the server fetch remote "
        "URLs; off, they get 400.",
    )

    def __post_init__(self) -> None:
        if not self.base_iri.startswith(("http://", "https://")) or not self.base_iri.endswith("/"):
            raise SettingsError(
                f"KG_BASE_IRI must be an http(s) IRI ending with '/', got {self.base_iri!r}"
            )
        if not 0 < self.port < 65536:
            raise SettingsError(f"KG_PORT must be between 1 and 65535, got {self.port}")
        if self.workers < 1 or self.threads < 1:
            raise SettingsError("KG_WORKERS and KG_THREADS must be at least 1")
        if self.query_timeout < 1 or self.max_rows < 1:
            raise SettingsError("KG_QUERY_TIMEOUT and KG_MAX_ROWS must be at least 1")
        limits = (self.max_queries, self.max_query_length, self.max_nesting)
        if min(limits) < 1 or self.max_request_bytes < 1024:
            raise SettingsError(
                "KG_MAX_QUERIES, KG_MAX_QUERY_LENGTH and KG_MAX_NESTING must be at least 1, "
                "KG_MAX_REQUEST_BYTES at least 1024"
            )
        if self.rate_limit < 0:
            raise SettingsError("KG_RATE_LIMIT must be 0 (no limit) or more")
        if self.store_auth not in STORE_AUTH_KINDS:
            raise SettingsError(
                f"KG_STORE_AUTH must be one of {', '.join(STORE_AUTH_KINDS)}, "
                f"got {self.store_auth!r}"
            )
        if self.store_dataset not in STORE_DATASETS:
            raise SettingsError(
                f"KG_STORE_DATASET must be one of {', '.join(STORE_DATASETS)}, "
                f"got {self.store_dataset!r}"
            )
        if self.store_timeout < 1 or self.store_retries < 0 or self.store_batch < 1:
            raise SettingsError(
                "KG_STORE_TIMEOUT and KG_STORE_BATCH must be at least 1, "
                "KG_STORE_RETRIES at least 0"
            )
        for name in ("store_update", "store_graph_store"):
            url = getattr(self, name)
            if url and not url.startswith(("http://", "https://")):
                raise SettingsError(f"KG_{name.upper()} must be an http(s) URL, got {url!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``KG_*`` variables, then explicit ``overrides`` (None is ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"KG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _convert(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def remote_store(self) -> bool:
        """KG_STORE names a SPARQL engine rather than a directory."""
        return self.store.startswith(("http://", "https://"))

    @property
    def search_path(self) -> Path:
        """The directory of the search index files."""
        if self.search_dir:
            return Path(self.search_dir)
        return Path("var/search") if self.remote_store else Path(self.store) / "search"

    @property
    def ontology_path(self) -> Path:
        return Path(self.ontology_dir) / "kg.ttl"

    @property
    def shapes_path(self) -> Path:
        return Path(self.ontology_dir) / "shapes.ttl"


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _convert(f: dataclasses.Field[Any], raw: str) -> Any:
    if f.type in ("bool", bool):
        if raw.strip().lower() not in (*_TRUE, *_FALSE):
            raise SettingsError(f"KG_{f.name.upper()} must be true or false, got {raw!r}")
        return raw.strip().lower() in _TRUE
    if f.type in ("int", int):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(
                f"KG_{f.name.upper()} must be a whole number, got {raw!r}"
            ) from None
    return raw


def describe_settings() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting, for docs and `kg settings`."""
    return [
        (f"KG_{f.name.upper()}", _shown(f.default), str(f.metadata["help"]))
        for f in dataclasses.fields(Settings)
    ]


def _shown(default: object) -> str:
    if isinstance(default, bool):
        return "true" if default else "false"
    return str(default)
