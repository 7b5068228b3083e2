"""Loading RDF files into the store: each file its own named graph, all or nothing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kg.search.build import BuildReport
from kg.services.context import Context
from kg.services.guards import check_json_nesting
from kg.services.search import refresh_after_write
from kg.services.search_changes import tracking
from kg.store import FORMAT_SUFFIXES, GraphSource, RdfFormatName

ONTOLOGY_GRAPH = "ontology"


class LoadError(ValueError):
    """The files to load are not usable (missing, unknown format, clashing graph names)."""


@dataclass(frozen=True)
class LoadReport:
    graphs: tuple[str, ...]
    quads_before: int
    quads_after: int
    seconds: float = 0.0
    """Time the store took to replace the graphs (parsing and writing)."""
    index: BuildReport | None = None
    """The search index built for the new content (None: it is built on first use)."""


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the RDF files directly inside directories named, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in FORMAT_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise LoadError(f"{path}: no such file or directory")
    return files


def format_of(path: Path, explicit: RdfFormatName | None = None) -> RdfFormatName:
    if explicit is not None:
        return explicit
    try:
        return FORMAT_SUFFIXES[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMAT_SUFFIXES))
        raise LoadError(f"{path}: unknown RDF format (known suffixes: {known})") from None


def check_parsable(ctx: Context, path: Path, format: RdfFormatName) -> None:
    """Refuse a JSON-LD file nested deeper than KG_MAX_NESTING before the engine's parser
    (which dies of a stack overflow a few thousand levels down) sees it."""
    if format == "jsonld":
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoadError(f"{path}: cannot read: {exc.strerror or exc}") from None
        check_json_nesting(data, ctx.settings.max_nesting, str(path))


def load_files(ctx: Context, paths: Iterable[Path], *, with_ontology: bool = True) -> LoadReport:
    """Replace the named graph of every file (graph ``graph/<file stem>``) in one write.

    The ontology is (re)loaded with the data so that pages always find their annotations.
    A syntax error in any file raises ``RdfSyntaxError`` and leaves the store unchanged.
    """
    files = collect_files(paths)
    sources: dict[str, GraphSource] = {}
    if with_ontology:
        ontology = ctx.settings.ontology_path
        sources[ONTOLOGY_GRAPH] = GraphSource(
            ctx.graph_iri(ONTOLOGY_GRAPH), ontology, "turtle", ctx.settings.base_iri
        )
    for path in files:
        if with_ontology and path.resolve() == ctx.settings.ontology_path.resolve():
            continue
        name = path.stem
        if name in sources:
            raise LoadError(f"{path}: two files would load into the same graph {name!r}")
        fmt = format_of(path)
        check_parsable(ctx, path, fmt)
        sources[name] = GraphSource(ctx.graph_iri(name), path, fmt, ctx.settings.base_iri)
    before = ctx.store.quad_count()
    started = time.perf_counter()
    with tracking(ctx, sorted(source.graph for source in sources.values())):
        ctx.store.replace_graphs(list(sources.values()))
    seconds = time.perf_counter() - started
    index = refresh_after_write(ctx)
    return LoadReport(
        tuple(source.graph for source in sources.values()),
        before,
        ctx.store.quad_count(),
        seconds,
        index,
    )
