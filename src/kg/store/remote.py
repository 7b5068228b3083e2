"""A remote store: any SPARQL 1.1 engine (Oxigraph server, Virtuoso, …) behind the interface.

kg keeps a small metadata graph on the engine, ``<KG_BASE_IRI>kg-store/metadata``: a
version token (random, new with every write through kg) and the list of kg's named graphs.
Every read names those graphs as its dataset (``default-graph-uri`` for each, so that the
default graph is their union, and ``named-graph-uri`` for each), so the engine's own
default graph, Virtuoso's system graphs and graphs of other applications stay out, and
several kg instances (different base IRIs) can share one engine. kg's default graph (the
Graph Store's ``?default``) is the named graph ``kg-store/default``, part of the default
graph of reads but not a named graph of theirs. The metadata is read at most once a second
(``METADATA_TTL``) per process and again right after this process writes.

Writes are all or nothing as far as the engine allows: documents are parsed (and so
checked) completely first, uploaded through the Graph Store Protocol into upload graphs
``kg-store/upload/<token>/<graph>`` that no read sees, and published by one SPARQL Update
operation (``queries/store/swap-graphs.rq``) that replaces the graphs' content, records the
graphs and sets the new version. A failed upload removes its upload graphs and changes
nothing; a process killed during an upload leaves upload graphs that no read sees.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, cast

import pyoxigraph as ox
from rdflib.term import Node

from kg.config import Settings, resource_dir
from kg.queries import (
    MAX_VALUES_PER_PARAMETER,
    QueryFileError,
    QueryLibrary,
    query_kind,
    with_base,
)
from kg.store.base import (
    QUAD_FORMATS,
    GraphSource,
    NotAcceptableError,
    QueryDataset,
    QuerySyntaxError,
    RdfFormatName,
    ResultKind,
    SelectResult,
    SerializedResults,
    Store,
    StoreError,
)
from kg.store.embedded import OX_FORMATS, RESULTS_FORMATS
from kg.store.engine import BACKOFF, Engine, EngineBusy, EngineConfig, EngineTimeout, Response
from kg.store.results import (
    DeadlineExceeded,
    JsonTerm,
    MalformedResults,
    ResultsReader,
    plain_text,
    to_oxigraph_term,
    to_rdflib_term,
)
from kg.store.sandbox import QueryJob, QueryTimeoutError
from kg.store.terms import to_rdflib
from kg.store.uploads import Upload, parse_documents, parse_source

METADATA_TTL = 1.0
"""Seconds a process reuses the version and graph list it read from the engine."""
KEEP_RECORDS = 50
"""Records kept on the engine (``put_record``): the oldest beyond are removed."""
RECORD = "urn:kg:store#"
"""The namespace of a record's fields on the engine."""
VERSION_JOIN = "+"
"""Joins the tokens of a version that two writes made at once (``metadata``)."""
JSON_RESULTS = ("application/sparql-results+json", "application/json")
RDF_TYPES: dict[str, ox.RdfFormat] = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
ANY_RESULT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"
GRAPH_RESULT = "application/n-triples, text/turtle;q=0.9"


@dataclass(frozen=True)
class Metadata:
    version: str
    graphs: frozenset[str]
    """kg's graphs on the engine (kg's default graph included when it has been written)."""


class RemoteStore(Store):
    """A SPARQL 1.1 engine reached over HTTP. Safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.store
        self.engine = Engine(EngineConfig.from_settings(settings))
        self.union = settings.store_dataset == "union"
        self.batch = settings.store_batch
        library = Path(settings.queries_dir) / "store"
        if not library.is_dir():
            library = resource_dir("queries") / "store"
        self.queries = QueryLibrary(library)
        self.reserved = f"{settings.base_iri}kg-store/"
        self.meta_graph = self.reserved + "metadata"
        self.default_graph = self.reserved + "default"
        self.no_graph = self.reserved + "none"
        self.records_prefix = self.reserved + "records/"
        self._lock = threading.Lock()
        self._metadata: tuple[float, Metadata] | None = None
        self._written = threading.local()

    # --- kg's metadata on the engine ------------------------------------------------------------

    def metadata(self, *, fresh: bool = False) -> Metadata:
        with self._lock:
            cached = self._metadata
        if cached is not None and not fresh and time.monotonic() - cached[0] < METADATA_TTL:
            return cached[1]
        versions: set[str] = set()
        graphs: set[str] = set()
        query = self.queries["metadata"].bind(meta=self.meta_graph)
        with self._solutions(query, ()) as solutions:
            for solution in solutions:
                if "version" in solution:
                    versions.add(solution["version"]["value"])
                if "graph" in solution:
                    graphs.add(solution["graph"]["value"])
        graphs = {g for g in graphs if g == self.default_graph or not g.startswith(self.reserved)}
        # Two writes that the engine ran side by side (no engine here isolates SPARQL updates
        # from each other completely) may both have replaced the same version: the content is
        # then that of both, and so is its version, a token no record describes.
        version = VERSION_JOIN.join(sorted(versions)) if versions else "empty"
        metadata = Metadata(version, frozenset(graphs))
        with self._lock:
            self._metadata = (time.monotonic(), metadata)
        return metadata

    def _forget_metadata(self) -> None:
        with self._lock:
            self._metadata = None

    def version(self, *, fresh: bool = False) -> str:
        return self.metadata(fresh=fresh).version

    def named_graphs(self) -> list[str]:
        return sorted(g for g in self.metadata().graphs if g != self.default_graph)

    def _dataset(
        self, dataset: QueryDataset | None = None, *, every_graph_named: bool = False
    ) -> list[tuple[str, str]]:
        """The protocol parameters naming the dataset of a read."""
        graphs = self.metadata().graphs
        named = sorted(g for g in graphs if every_graph_named or g != self.default_graph)
        if self.union and dataset is None and not every_graph_named:
            return []
        default = sorted(graphs)
        if dataset is not None:
            if dataset.default_graphs is not None:
                default = [g for g in dataset.default_graphs if g in graphs]
            if dataset.named_graphs is not None:
                named = [g for g in dataset.named_graphs if g in named]
        return [("default-graph-uri", g) for g in default or [self.no_graph]] + [
            ("named-graph-uri", g) for g in named or [self.no_graph]
        ]

    # --- reading --------------------------------------------------------------------------------

    @contextmanager
    def _solutions(
        self,
        query: str,
        parameters: Sequence[tuple[str, str]],
        *,
        reader_out: list[ResultsReader] | None = None,
    ) -> Iterator[Iterator[dict[str, JsonTerm]]]:
        """The solutions of a SELECT (or ASK), complete or a StoreError."""
        with self.engine.query(query, ANY_RESULT, parameters=parameters) as response:
            self._check_complete(response)
            if response.content_type not in JSON_RESULTS:
                raise QuerySyntaxError("not a SELECT or ASK query")
            cut = response.headers.get("X-SPARQL-MaxRows")
            if cut:
                raise StoreError(
                    f"the SPARQL engine at {self.url} cut the results at {cut} rows "
                    "(X-SPARQL-MaxRows): raise its limit above the largest result kg needs "
                    "(Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)"
                )
            reader = ResultsReader(response.stream)
            if reader_out is not None:
                reader_out.append(reader)
            yield _guarded(reader.bindings(), self.url)

    def select(self, query: str) -> SelectResult:
        readers: list[ResultsReader] = []
        with self._solutions(query, self._dataset(), reader_out=readers) as solutions:
            rows = [{k: to_rdflib_term(v) for k, v in s.items()} for s in solutions]
        reader = readers[0]
        if reader.variables is None:
            raise QuerySyntaxError("not a SELECT query")
        return SelectResult(tuple(reader.variables), rows)

    def select_rows(
        self, query: str, *, version: str | None = None, languages: bool = False
    ) -> Iterator[tuple[str, ...]]:
        """Streamed; with ``version``, fails if the content is not (or no longer) that one."""
        if version is not None and version != self.metadata(fresh=True).version:
            raise StoreError(f"store version {version} is no longer available")
        readers: list[ResultsReader] = []
        with self._solutions(query, self._dataset(), reader_out=readers) as solutions:
            first = next(solutions, None)
            variables = readers[0].variables
            if variables is None:
                raise QuerySyntaxError("not a SELECT query")
            if first is not None:
                yield _plain_row(first, variables, languages)
                for solution in solutions:
                    yield _plain_row(solution, variables, languages)
        if version is not None and version != self.metadata(fresh=True).version:
            raise StoreError(f"store version {version} changed while it was read")

    def ask(self, query: str) -> bool:
        readers: list[ResultsReader] = []
        with self._solutions(query, self._dataset(), reader_out=readers) as solutions:
            for _ in solutions:
                pass
        if readers[0].boolean is None:
            raise QuerySyntaxError("not an ASK query")
        return readers[0].boolean

    def construct_triples(self, query: str) -> Iterator[tuple[Node, Node, Node]]:
        with self.engine.query(query, GRAPH_RESULT, parameters=self._dataset()) as response:
            self._check_complete(response)
            for triple in self._triples(response, None):
                subject, predicate = to_rdflib(triple.subject), to_rdflib(triple.predicate)
                yield subject, predicate, to_rdflib(triple.object)

    def _check_complete(self, response: Response) -> None:
        """Virtuoso's "anytime" answers: at its time limit a 200 with what it had so far and
        ``X-SQL-State: S1TAT``. Never taken for a whole answer."""
        state = response.headers.get("X-SQL-State")
        if state:
            message = response.headers.get("X-SQL-Message", "")
            raise EngineTimeout(
                f"the SPARQL engine at {self.url} stopped the query at its time limit and "
                f"sent incomplete results ({state}: {message[:120]})"
            )

    def _triples(self, response: Response, deadline: float | None) -> Iterator[ox.Triple]:
        fmt = RDF_TYPES.get(response.content_type)
        if fmt is None:
            raise QuerySyntaxError("not a CONSTRUCT or DESCRIBE query")
        stream = cast(BinaryIO, _DeadlineStream(response.stream, deadline))
        try:
            for quad in ox.parse(stream, format=fmt, base_iri=self.url):
                yield quad.triple
        except SyntaxError as exc:
            raise StoreError(f"the SPARQL engine at {self.url} sent malformed RDF: {exc}") from None
        except (TimeoutError, DeadlineExceeded):
            raise EngineTimeout("the engine did not send the whole answer in time") from None
        except OSError as exc:
            raise StoreError(
                f"the answer of the SPARQL engine at {self.url} broke off: {exc}"
            ) from None

    def query_serialized(
        self,
        query: str,
        formats: Mapping[ResultKind, str | None],
        *,
        dataset: QueryDataset | None = None,
        base_iri: str | None = None,
        max_rows: int | None = None,
        prefixes: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> SerializedResults:
        deadline = None if timeout is None else time.monotonic() + timeout
        text = query if base_iri is None else with_base(query, base_iri)
        with self.engine.query(
            text, _accept_for(query), parameters=self._dataset(dataset), timeout=timeout
        ) as response:
            self._check_complete(response)
            if response.content_type in JSON_RESULTS:
                return self._serialize_solutions(response, formats, max_rows, deadline)
            triples = self._triples(response, deadline)
            if formats.get("graph") is None:
                raise NotAcceptableError("graph")
            kept = list(triples if max_rows is None else islice(triples, max_rows + 1))
        truncated = max_rows is not None and len(kept) > max_rows
        fmt = formats["graph"]
        assert fmt is not None
        body = ox.serialize(kept[:max_rows], format=OX_FORMATS[fmt], prefixes=dict(prefixes or {}))
        return SerializedResults("graph", fmt, body or b"", truncated)

    def _serialize_solutions(
        self,
        response: Response,
        formats: Mapping[ResultKind, str | None],
        max_rows: int | None,
        deadline: float | None,
    ) -> SerializedResults:
        reader = ResultsReader(response.stream, deadline=deadline)
        solutions = _guarded(reader.bindings(), self.url)
        rows = list(solutions if max_rows is None else islice(solutions, max_rows + 1))
        if reader.boolean is not None:
            fmt = formats.get("boolean")
            if fmt is None:
                raise NotAcceptableError("boolean")
            answer = ox.parse_query_results(
                f'{{"head":{{}},"boolean":{"true" if reader.boolean else "false"}}}',
                format=ox.QueryResultsFormat.JSON,
            )
            body = answer.serialize(format=RESULTS_FORMATS[fmt]) or b""
            return SerializedResults("boolean", fmt, body)
        fmt = formats.get("tabular")
        if fmt is None:
            raise NotAcceptableError("tabular")
        cut = response.headers.get("X-SPARQL-MaxRows")
        truncated = (max_rows is not None and len(rows) > max_rows) or bool(cut)
        variables = reader.variables or []
        document = {"head": {"vars": variables}, "results": {"bindings": rows[:max_rows]}}
        kept = ox.parse_query_results(
            json.dumps(document).encode(), format=ox.QueryResultsFormat.JSON
        )
        assert isinstance(kept, ox.QuerySolutions)
        body = kept.serialize(format=RESULTS_FORMATS[fmt]) or b""
        return SerializedResults("tabular", fmt, body, truncated)

    def run(self, job: QueryJob, timeout: float) -> SerializedResults:
        """A public query with its time limit (the remote counterpart of the sandbox pool):
        the engine's own timeout should stop it there; kg stops waiting at ``timeout``."""
        try:
            return self.query_serialized(
                job.query,
                job.formats,
                dataset=job.dataset,
                base_iri=job.base_iri,
                max_rows=job.max_rows,
                prefixes=job.prefixes,
                timeout=timeout,
            )
        except (EngineTimeout, DeadlineExceeded):
            raise QueryTimeoutError(
                f"the query did not finish within {timeout:g} s and was abandoned"
            ) from None

    def quad_count(self) -> int:
        query = self.queries["count-quads"].bind()
        with self._solutions(query, self._dataset(every_graph_named=True)) as solutions:
            counts = [int(s["quads"]["value"]) for s in solutions if "quads" in s]
        return counts[0] if counts else 0

    def _graph_triples(self, graph: str) -> Iterator[ox.Triple]:
        return self._row_triples(self.queries["graph-content"].bind(graph=graph))

    def _union_triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of ``graph`` that no graph of kg's with a smaller IRI holds."""
        query = self.queries["union-content"].bind(
            graph=graph, meta=self.meta_graph, reserved=self.reserved, default=self.default_graph
        )
        return self._row_triples(query)

    def _row_triples(self, query: str) -> Iterator[ox.Triple]:
        """The rows of a (subject, predicate, object) query, as triples."""
        with self._solutions(query, ()) as solutions:
            for s in solutions:
                yield ox.Triple(
                    to_oxigraph_term(s["subject"]),  # type: ignore[arg-type]
                    to_oxigraph_term(s["predicate"]),  # type: ignore[arg-type]
                    to_oxigraph_term(s["object"]),
                )

    def dump(self, output: BinaryIO, format: RdfFormatName, *, graph: str | None = None) -> None:
        ox_format = OX_FORMATS[format]
        graphs = self.metadata(fresh=True).graphs
        if graph is not None:
            triples = self._graph_triples(graph) if graph in graphs else iter(())
            ox.serialize(triples, output, ox_format)
            return
        if format == "rdfxml":
            raise StoreError("RDF/XML dumps of the whole store need one graph at a time")
        names = [g for g in [self.default_graph] if g in graphs]
        names += sorted(g for g in graphs if g != self.default_graph)

        def quads() -> Iterator[ox.Quad]:
            for name in names:
                node: ox.NamedNode | ox.DefaultGraph = (
                    ox.DefaultGraph() if name == self.default_graph else ox.NamedNode(name)
                )
                for t in self._graph_triples(name):
                    yield ox.Quad(t.subject, t.predicate, t.object, node)

        if format in QUAD_FORMATS:
            ox.serialize(quads(), output, ox_format)
        else:
            # A triples format: the union of the graphs as a set (RDF merge), as the embedded
            # store dumps it; each graph gives the triples no graph of a smaller IRI holds.
            ox.serialize(
                (t for name in names for t in self._union_triples(name)), output, ox_format
            )

    def graph_serialized(
        self, graph: str | None, format: RdfFormatName, prefixes: Mapping[str, str] | None = None
    ) -> bytes | None:
        name = self.default_graph if graph is None else graph
        if graph is not None and name not in self.metadata(fresh=True).graphs:
            return None
        triples = list(self._graph_triples(name))
        return ox.serialize(triples, format=OX_FORMATS[format], prefixes=dict(prefixes or {}))

    # --- writing --------------------------------------------------------------------------------

    def replace_graphs(self, sources: Sequence[GraphSource], *, drop: Sequence[str] = ()) -> None:
        if len(sources) + len(drop) > MAX_VALUES_PER_PARAMETER:
            raise StoreError(
                f"a write to a remote store takes at most {MAX_VALUES_PER_PARAMETER} graphs; "
                "load the files in several runs (each run is all or nothing)"
            )
        uploads: list[Upload] = []
        try:
            for source in sources:  # every document parsed (and so checked) before any is sent
                uploads.append(parse_source(source))
            self._publish(
                uploads,
                clear=[*(u.graph for u in uploads), *drop],
                register=[u.graph for u in uploads if u.triples],
                forget=[g for g in drop if g not in {u.graph for u in uploads}],
            )
        finally:
            for upload in uploads:
                upload.close()

    def write_graph(
        self,
        graph: str | None,
        documents: Sequence[tuple[bytes, RdfFormatName]],
        *,
        base_iri: str,
        replace: bool,
    ) -> bool:
        name = self.default_graph if graph is None else graph
        self._check_writable(name, allow_default=graph is None)
        upload = parse_documents(name, documents, base_iri=base_iri)
        created = graph is not None and name not in self.metadata(fresh=True).graphs
        try:
            self._publish([upload], clear=[name] if replace else [], register=[name], forget=[])
        finally:
            upload.close()
        return created

    def drop_graph(self, graph: str | None) -> bool:
        name = self.default_graph if graph is None else graph
        if graph is not None and name not in self.metadata(fresh=True).graphs:
            return False
        self._publish([], clear=[name], register=[], forget=[name] if graph else [])
        self._tidy([name])
        return True

    def update(self, update: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update, then record the graphs it created or emptied and a new
        version. The update is as atomic as the engine makes one request."""
        query = self.queries["engine-graphs"].bind()
        before = self._engine_graphs(query)
        self.engine.update(update if base_iri is None else with_base(update, base_iri))
        after = self._engine_graphs(query)
        known = self.metadata(fresh=True).graphs
        created = sorted(g for g in after - before if not g.startswith(self.reserved))
        emptied = sorted(g for g in known - after if g != self.default_graph)
        self._publish([], clear=[], register=created, forget=emptied)
        self._record_unknown()

    def mark_changed(self, *, adopt_prefix: str | None = None) -> list[str]:
        adopted: list[str] = []
        if adopt_prefix is not None:
            known = self.metadata(fresh=True).graphs
            engine = self._engine_graphs(self.queries["engine-graphs"].bind())
            adopted = sorted(
                g for g in engine - known
                if g.startswith(adopt_prefix) and not g.startswith(self.reserved)
            )  # fmt: skip
        self._publish([], clear=[], register=adopted, forget=[])
        self._record_unknown()
        return adopted

    def _record_unknown(self) -> None:
        """After a write whose change kg cannot describe (a SPARQL update, changes made
        outside kg): an empty record of its version, so that the machines serving this
        engine build their search index anew at once rather than wait for a record of what
        changed (``kg.services.search_changes``)."""
        written = self.last_write()
        if written is not None:
            try:
                self.put_record(written[1], {})
            except StoreError:
                pass

    def _engine_graphs(self, query: str) -> set[str]:
        with self._solutions(query, ()) as solutions:
            return {s["graph"]["value"] for s in solutions if "graph" in s}

    def _check_writable(self, graph: str, *, allow_default: bool) -> None:
        if graph.startswith(self.reserved) and not (allow_default and graph == self.default_graph):
            raise StoreError(f"graphs under {self.reserved} are kg's own; choose another name")

    def _publish(
        self,
        uploads: Sequence[Upload],
        *,
        clear: Sequence[str],
        register: Sequence[str],
        forget: Sequence[str],
    ) -> None:
        """Upload, then swap in one operation; on failure remove the uploads."""
        token = uuid.uuid4().hex
        staging = f"{self.reserved}upload/{token}/"
        staged: list[str] = []
        try:
            for upload in uploads:
                name = staging + upload.graph
                staged.append(name)
                for batch in upload.batches(self.batch):
                    self.engine.post_graph(name, batch)
            swap = self.queries["swap-graphs"].bind(
                meta=self.meta_graph,
                version=token,
                none=self.no_graph,
                clear=_chunk(clear, self.no_graph),
                staging=staging,
                upload=_chunk(staged, self.no_graph),
                register=_chunk(register, self.no_graph),
                forget=_chunk(forget, self.no_graph),
            )
            self._update_once(swap)
        except BaseException:
            self._forget_metadata()
            self._tidy(staged)
            raise
        self._forget_metadata()
        self._written.versions = None
        try:
            self._written.versions = (self._replaced(token), token)
        except StoreError:  # the write stands; what it replaced is not known
            pass
        self._forget_receipt(token)
        self._tidy([*staged, *(g for g in forget)])

    def _replaced(self, token: str) -> str:
        """The version the write of ``token`` replaced, from its receipt (``swap-graphs.rq``):
        the tokens of a version two writes made at once are joined as ``metadata`` joins
        them."""
        query = self.queries["receipt"].bind(meta=self.meta_graph, version=token + " ")
        with self._solutions(query, ()) as solutions:
            replaced = {s["receipt"]["value"][len(token) + 1 :] for s in solutions}
        replaced.discard("")  # Virtuoso 7 concatenates an unbound ?previous as ""
        return VERSION_JOIN.join(sorted(replaced)) if replaced else "empty"

    def _forget_receipt(self, token: str) -> None:
        """Best effort: a receipt left behind is one triple no read looks at."""
        try:
            self.engine.update(
                self.queries["forget-receipt"].bind(meta=self.meta_graph, version=token + " ")
            )
        except StoreError:
            pass

    def last_write(self) -> tuple[str, str] | None:
        """(the version this thread's last write replaced, as its receipt says, the version
        it set). Another write may have run beside it (the engine does not isolate them):
        the content has then both writes, and ``metadata`` joins both tokens into a
        version no record describes."""
        versions: tuple[str, str] | None = getattr(self._written, "versions", None)
        return versions

    # --- records kept on the engine (search index change records) --------------------------------

    keeps_change_records = True

    def put_record(self, name: str, fields: Mapping[str, Sequence[str]]) -> None:
        record = self.records_prefix + name
        subject = ox.NamedNode(record)
        triples = [
            ox.Triple(subject, ox.NamedNode(RECORD + "field/" + key), ox.Literal(value))
            for key, values in fields.items()
            for value in values
        ]
        recorded = ox.Literal(
            datetime.now(UTC).isoformat(timespec="microseconds"),
            datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime"),
        )
        self.engine.delete_graph(record)
        for start in range(0, len(triples), max(1, self.batch)):
            batch = triples[start : start + max(1, self.batch)]
            self.engine.post_graph(record, _ntriples(batch))
        # Last: a record without its time is one being written (or cut short), and no reader
        # takes it.
        marker = [ox.Triple(subject, ox.NamedNode(RECORD + "recorded"), recorded)]
        self.engine.post_graph(record, _ntriples(marker))
        self._prune_records()

    def record(self, name: str) -> dict[str, list[str]] | None:
        query = self.queries["record"].bind(record=self.records_prefix + name)
        fields: dict[str, list[str]] = {}
        complete = False
        with self._solutions(query, ()) as solutions:
            for solution in solutions:
                field, value = solution["field"]["value"], solution["value"]["value"]
                if field == RECORD + "recorded":
                    complete = True
                elif field.startswith(RECORD + "field/"):
                    fields.setdefault(field[len(RECORD) + 6 :], []).append(value)
        return fields if complete else None

    def _prune_records(self) -> None:
        query = self.queries["records"].bind(prefix=self.records_prefix)
        with self._solutions(query, ()) as solutions:
            kept = sorted(
                ((s["recorded"]["value"], s["record"]["value"]) for s in solutions), reverse=True
            )
        for _, record in kept[KEEP_RECORDS:]:
            try:
                self.engine.delete_graph(record)
            except StoreError:
                pass

    def _update_once(self, update: str) -> None:
        """One operation of kg's own, sent again when the engine gave it up as a whole
        (a deadlock, a lock wait that timed out)."""
        attempt = 0
        while True:
            try:
                self.engine.update(update)
                return
            except EngineBusy:
                if attempt >= self.engine.config.retries:
                    raise
            time.sleep(BACKOFF * 2**attempt)
            attempt += 1

    def _tidy(self, graphs: Sequence[str]) -> None:
        """Best effort: drop emptied graphs, so that engines which keep empty graphs (Oxigraph)
        do not list them."""
        if not self.engine.config.graph_store_url:
            return
        for graph in graphs:
            try:
                self.engine.delete_graph(graph)
            except StoreError:
                pass

    def close(self) -> None:
        self._forget_metadata()


def _ntriples(triples: Sequence[ox.Triple]) -> bytes:
    return cast(bytes, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))


def _accept_for(query: str) -> str:
    """What to ask for: RDF for CONSTRUCT and DESCRIBE (Virtuoso would otherwise send their
    triples as SPARQL JSON bindings), SPARQL JSON results for the others."""
    try:
        kind = query_kind(query)
    except QueryFileError:
        return ANY_RESULT
    return GRAPH_RESULT if kind in ("construct", "describe") else ANY_RESULT


def _chunk(values: Sequence[str], none: str) -> list[str]:
    """A list for a multiple parameter: at least one value (``none`` for an empty list)."""
    return list(values) or [none]


def _guarded(solutions: Iterator[dict[str, JsonTerm]], url: str) -> Iterator[dict[str, JsonTerm]]:
    """Solutions, with network failures while reading turned into StoreErrors."""
    try:
        yield from solutions
    except (MalformedResults, DeadlineExceeded):
        raise
    except TimeoutError:
        raise EngineTimeout(f"the SPARQL engine at {url} stopped sending its answer") from None
    except OSError as exc:
        raise StoreError(f"the answer of the SPARQL engine at {url} broke off: {exc}") from None


class _DeadlineStream:
    """A binary stream whose reads fail once the deadline has passed."""

    def __init__(self, raw: BinaryIO, deadline: float | None) -> None:
        self._raw, self._deadline = raw, deadline

    def read(self, size: int = -1) -> bytes:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise DeadlineExceeded("the engine did not send the whole answer in time")
        return self._raw.read(size)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return getattr(self._raw, name)  # type: ignore[no-any-return]


def _plain_row(
    solution: Mapping[str, JsonTerm], variables: Sequence[str], languages: bool
) -> tuple[str, ...]:
    """A row as ``select_rows`` gives it: the values, then (with ``languages``) their tags."""
    values = tuple(plain_text(solution.get(v)) for v in variables)
    if not languages:
        return values
    return values + tuple(str((solution.get(v) or {}).get("xml:lang", "")) for v in variables)
