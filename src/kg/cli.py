"""The ``kg`` command: thin wrappers around the services."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from rich.console import Console
from rich.table import Table

from kg.config import Settings, SettingsError, describe_settings
from kg.queries import BindingError, QueryFileError
from kg.services.context import Context
from kg.store import QuerySyntaxError, RdfSyntaxError, StoreError

if TYPE_CHECKING:
    from kg.search.build import BuildReport

F = TypeVar("F", bound=Callable[..., Any])
EXPORT_FORMATS = ("turtle", "nt", "nquads", "trig", "jsonld")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _context(**overrides: Any) -> Context:
    return Context.from_settings(Settings.from_env(**overrides))


def friendly_errors(func: F) -> F:
    """Known failures print one clear line (file:line:column where there is one), exit 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (
            RdfSyntaxError,
            QuerySyntaxError,
            BindingError,
            QueryFileError,
            SettingsError,
            StoreError,
            ValueError,
        ) as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
            sys.exit(1)

    return cast(F, wrapper)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from kg.services.about import version_line

    try:
        line = version_line(Settings.from_env())
    except (OSError, SettingsError, ValueError) as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(1)
    click.echo(line)
    ctx.exit()


@click.group()
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the package and ontology versions and exit.",
)
def main() -> None:
    """kg: a knowledge graph of research methods.

    Settings come from KG_* environment variables; `kg settings` lists them.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--curated",
    is_flag=True,
    help="Without PATHS: load only the curated data/*.ttl, not the shipped sources.",
)
@friendly_errors
def load(paths: tuple[Path, ...], curated: bool) -> None:
    """Load RDF files (or the RDF files of directories) into the store.

    Each file replaces its own named graph (graph/<file stem>); the ontology is loaded
    with them. All files load or none does. Without PATHS, builds the default catalogue:
    the curated data/*.ttl, then the imports of the shipped sources (data/external/: Papers
    with Code, Epoch AI, AIO and its CSO mappings; EDAM from its package).
    """
    from kg.services.loading import load_files

    ctx = _context()
    if not paths and not curated:
        _load_default(ctx)
        return
    paths = paths or (Path(ctx.settings.data_dir),)
    with err.status("Loading…"):
        report = load_files(ctx, list(paths))
    for graph in report.graphs:
        out.print(f"loaded {graph}")
    out.print(
        f"{report.quads_after} quads in the store (before: {report.quads_before}); "
        f"written in {report.seconds:.1f} s"
    )
    if report.index is not None:
        index = report.index
        what = f"{index.methods} methods" if index.updated is None else (
            f"{index.methods} methods, updated for {index.updated} changed"
        )  # fmt: skip
        out.print(f"search index: {what} in {index.seconds:.1f} s ({index.size / 1e6:.1f} MB)")
        _print_phases(index)


def _print_phases(report: BuildReport) -> None:
    """The seconds of each step of an index build, on one line."""
    if report.phases:
        out.print(", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.phases.items()))


def _load_default(ctx: Context) -> None:
    from kg.namespaces import KG
    from kg.services.default_catalogue import build_default
    from kg.services.stats import collect_stats

    with err.status("Building the default catalogue…") as status:
        report = build_default(ctx, progress=lambda stage: status.update(stage + "…"))
    load = report.load
    out.print(f"loaded the curated catalogue: {len(load.graphs)} graphs ({load.seconds:.1f} s)")
    for source in report.sources:
        r = source.report
        state = "unchanged, nothing written" if r.unchanged else f"{r.seconds:.1f} s"
        counts = ", ".join(f"{k} {v}" for k, v in r.counts.items() if v)
        out.print(
            f"{source.name}: {r.records_read} records read; {counts or 'no methods'} ({state})"
        )
        for reason, count in sorted(source.skipped_by_reason().items(), key=lambda x: -x[1]):
            out.print(f"  skipped {count}: {reason}")
    for name in report.missing:
        err.print(f"{name}: not found, not imported")
    stats = collect_stats(ctx)
    kinds = ("Method", "AISystem", "Dataset", "Person", "Source", "Field", "Family")
    per_class = dict(stats.classes)
    out.print(", ".join(f"{kind}: {per_class.get(str(KG[kind]), 0)}" for kind in kinds))
    out.print(f"{ctx.store.quad_count()} quads in the store; built in {report.seconds:.1f} s")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--store",
    "whole_store",
    is_flag=True,
    help="Check what the store holds (every graph, imports included) instead of files.",
)
@friendly_errors
def validate(paths: tuple[Path, ...], whole_store: bool) -> None:
    """Check RDF files, or the store, against the SHACL shapes (ontology/shapes.ttl).

    Without PATHS, checks the curated catalogue. Exits 1 on any violation or warning.
    """
    from kg.services.validation import validate_files, validate_store

    ctx = _context()
    if whole_store and paths:
        raise click.UsageError("give PATHS or --store, not both")
    targets = list(paths) or [Path(ctx.settings.data_dir)]
    with err.status("Validating…"):
        report = validate_store(ctx) if whole_store else validate_files(ctx, targets)
    if report.conforms:
        out.print("conforms: no violations")
        return
    out.print(report.to_text())
    err.print(f"{len(report.violations)} violation(s)")
    sys.exit(1)


@main.command()
@friendly_errors
def stats() -> None:
    """Counts per class and per named graph."""
    from kg.services.stats import collect_stats

    result = collect_stats(_context())
    classes = Table("class", "resources", title=f"{result.triples} triples ({result.quads} quads)")
    for name, count in result.classes:
        classes.add_row(name, str(count))
    graphs = Table("named graph", "triples")
    for name, count in result.graphs:
        graphs.add_row(name, str(count))
    out.print(classes)
    out.print(graphs)


@main.command()
@click.argument("name_or_file")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter value; repeat for a parameter that takes several.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "tsv"]),
    default="table",
    show_default=True,
)
@friendly_errors
def query(name_or_file: str, params: tuple[str, ...], fmt: str) -> None:
    """Run a query of the library (queries/*.rq) by name, or a query file.

    IRI parameters take full IRIs or prefixed names (method:ddpm, kg:Method).
    """
    from kg.services import querying

    ctx = _context()
    library_query = querying.resolve_query(ctx, name_or_file)
    outcome = querying.run_query(
        ctx, library_query, querying.parse_params(ctx, library_query, params)
    )
    if outcome.boolean is not None:
        out.print("true" if outcome.boolean else "false")
    elif outcome.triples_turtle is not None:
        click.echo(outcome.triples_turtle, nl=False)
    elif outcome.select is not None:
        result = outcome.select
        if fmt == "json":
            click.echo(querying.results_json(result))
        elif fmt == "csv":
            click.echo(querying.results_csv(result), nl=False)
        elif fmt == "tsv":
            click.echo(querying.results_tsv(result), nl=False)
        else:
            table = Table(*result.variables, caption=f"{len(result.rows)} rows")
            for row in result.rows:
                table.add_row(*(querying.compact(ctx, row.get(v)) for v in result.variables))
            out.print(table)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="nquads", show_default=True
)
@click.option("--graph", default=None, help="Only this named graph (a full IRI).")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@friendly_errors
def export(fmt: str, graph: str | None, output: Path | None) -> None:
    """Stream the store (or one named graph) as RDF.

    JSON-LD is compact and carries its context (ontology/context.jsonld) inline, as the web
    dumps do; the other formats come straight from the store.
    """
    from kg.services.dumps import stream_dump

    ctx = _context()
    handle = sys.stdout.buffer if output is None else output.open("wb")
    try:
        if fmt == "jsonld":
            for chunk in stream_dump(ctx, "jsonld", graph=graph):
                handle.write(chunk)
        else:
            ctx.store.dump(handle, fmt, graph=graph)  # type: ignore[arg-type]
    finally:
        if output is not None:
            handle.close()


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: KG_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: KG_PORT).")
@click.option("--debug", is_flag=True, help="Flask's development server with reloading.")
@friendly_errors
def serve(host: str | None, port: int | None, debug: bool) -> None:
    """Serve the catalogue over HTTP (gunicorn; Flask's server only with --debug)."""
    from kg.web.server import serve as run_server

    run_server(Settings.from_env(host=host, port=port), debug=debug)


@main.command()
@click.argument("text", nargs=-1)
@click.option("--field", "field_id", default=None, help="Only methods of this field (id).")
@click.option("--family", default=None, help="Only methods of this family (id).")
@click.option("--type", "method_type", default=None, help="Only methods of this type.")
@click.option("--decade", default=None, help="Only methods from this decade (e.g. 1990).")
@click.option("--page", default="1", show_default=True, help="Page of 20 results.")
@click.option("--lang", default="en", show_default=True, help="Language of the labels.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@friendly_errors
def search(
    text: tuple[str, ...],
    field_id: str | None,
    family: str | None,
    method_type: str | None,
    decade: str | None,
    page: str,
    lang: str,
    fmt: str,
) -> None:
    """Search the catalogue (labels, aliases, summaries, originators, sources; any language).

    Builds the search index of the current store snapshot first if it is missing.
    """
    import json
    from dataclasses import asdict

    from kg.services.search import parse_filters, parse_page
    from kg.services.search import search as run_search

    filters = parse_filters(
        {"field": field_id or "", "family": family or "", "type": method_type or "",
         "decade": decade or ""}
    )  # fmt: skip
    results = run_search(
        _context(), " ".join(text), filters=filters, page=parse_page(page), lang=lang, wait=None
    )
    if fmt == "json":
        document = {
            "query": results.text, "corrected": results.corrected, "total": results.total,
            "more": results.more, "page": results.page, "pages": results.pages,
            "results": [asdict(hit) for hit in results.hits],
        }  # fmt: skip
        out.print_json(json.dumps(document, ensure_ascii=False))
        return
    if results.corrected:
        err.print(f"nothing for {results.text!r}; showing results for {results.corrected!r}")
    more = "more than " if results.more else ""
    table = Table("id", "label", "matched", "text", title=f"{more}{results.total} methods")
    for hit in results.hits:
        shown = ""
        if hit.matched:
            shown = "".join(
                f"[bold]{_escape(f.text)}[/bold]" if f.match else _escape(f.text)
                for f in hit.matched.fragments
            )
        table.add_row(
            _escape(hit.id), _escape(hit.label), hit.matched.kind if hit.matched else "", shown
        )
    out.print(table)
    if results.pages > 1:
        out.print(f"page {results.page} of {results.pages}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@main.command()
@click.option(
    "--adopt",
    is_flag=True,
    help="Remote store: take the engine's graphs under KG_BASE_IRI graph/ as kg's "
    "(after loading them with the engine's bulk loader).",
)
@friendly_errors
def reindex(adopt: bool) -> None:
    """Rebuild the search index of the current store snapshot (KG_SEARCH_DIR). On a remote
    store, first record a new version, so that every web worker sees changes made behind
    kg's back."""
    from kg.services.search import reindex as rebuild

    with err.status("Indexing…"):
        report, adopted = rebuild(_context(), adopt=adopt)
    for graph in adopted:
        out.print(f"adopted {graph}")
    if report is None:
        out.print("the store is empty: nothing to index")
        return
    out.print(
        f"indexed {report.methods} methods of snapshot {report.version} in "
        f"{report.seconds:.1f} s: {report.path} ({report.size / 1e6:.1f} MB)"
    )
    _print_phases(report)


@main.command()
@click.argument("destination", type=click.Path(path_type=Path))
@friendly_errors
def backup(destination: Path) -> None:
    """Copy the store's current content into the new directory DESTINATION.

    The copy is consistent (one snapshot, while writes wait) and is itself a store
    database; `kg restore DESTINATION` brings it back. Keep it on another disk.
    """
    from kg.services.backup import backup_store

    report = backup_store(_context(), destination)
    out.print(f"backed up snapshot {report.version} ({report.quads} quads) to {destination}")


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@friendly_errors
def restore(source: Path) -> None:
    """Replace the store's content with the backup in SOURCE (made by `kg backup`).

    The backup becomes a new snapshot, published at once: running services answer from
    the old content until then and from the restored one after; nothing is mixed.
    """
    from kg.services.backup import restore_store

    report = restore_store(_context(), source)
    out.print(
        f"restored {source} as snapshot {report.version} ({report.quads} quads; before: "
        f"snapshot {report.version_before}, {report.quads_before} quads)"
    )


@main.command(name="settings")
def show_settings() -> None:
    """Every KG_* setting with its default and what it does."""
    table = Table("variable", "default", "meaning")
    for name, default, help_text in describe_settings():
        table.add_row(name, default, help_text)
    out.print(table)


@main.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["seed", "pwc", "epoch", "spreadsheet", "aio", "sssom", "edam"]),
    default=None,
    help="Input format (default: from the suffix: .txt/.md seed, .json pwc, .csv epoch, "
    ".obo aio, .sssom.tsv sssom; with --mapping, .csv/.json are spreadsheets; edam: the "
    "EDAM.tsv of the edam-ontology package).",
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Mapping file (TOML) for a lab's own CSV or JSON table; see docs/spreadsheets.md.",
)
@click.option("--dry-run", is_flag=True, help="Read, merge and validate; write nothing.")
@click.option("--licence", default=None, help="Licence IRI of the input (recorded).")
@click.option("--attribution", default=None, help="Credit line of the input (recorded).")
@friendly_errors
def import_command(
    files: tuple[Path, ...],
    fmt: str | None,
    mapping: Path | None,
    dry_run: bool,
    licence: str | None,
    attribution: str | None,
) -> None:
    """Import comparison-page exports, Papers with Code or Epoch AI data, or a lab's own
    method table (CSV or JSON) with --mapping.

    Each FILE goes into its own named graph (graph/import-<stem>), with its provenance in
    graph/provenance/import-<stem>; methods are merged with the store by label or alias.
    Nothing is written unless everything reads and passes the SHACL shapes.
    """
    import time

    from rich.progress import Progress

    from kg.services.imports import import_files

    started = time.monotonic()
    bar: Progress | None = None
    tasks: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            if time.monotonic() - started < 1.0:
                return
            bar = Progress(console=err, transient=True)
            bar.start()
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    try:
        report = import_files(
            _context(),
            list(files),
            format=fmt,
            dry_run=dry_run,
            licence=licence,
            attribution=attribution,
            progress=progress,
            mapping=mapping,
        )
    finally:
        if bar is not None:
            bar.stop()
    verb = "would import" if report.dry_run else "imported"
    for graph in report.graphs:
        out.print(f"{verb} {graph}")
    systems = sum(s.systems for s in report.summaries)
    out.print(
        f"records read: {report.records_read}; methods created: "
        f"{sum(s.created for s in report.summaries) - systems}, "
        + (f"systems created: {systems}, " if systems else "")
        + f"merged: {sum(s.merged for s in report.summaries)}, skipped: {report.records_skipped}"
    )
    if report.resolved:
        kinds = Counter(r.kind for r in report.resolved)
        out.print(
            f"resolved (merged with a resource instead of creating one): {len(report.resolved)} ("
            + ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items()))
            + ")"
        )
        for item in report.resolved:
            out.print(f"  merged {item.kind} {item.incoming!r} → {item.resource} ({item.rule})")
    for ambiguous in report.ambiguous:
        out.print(
            f"  ambiguous {ambiguous.kind} {ambiguous.incoming!r} ({ambiguous.why}; kept apart): "
            + ", ".join(ambiguous.candidates)
        )
    for skipped in report.skipped:
        out.print(f"  skipped {skipped.where}: {skipped.reason}")
    for note in report.notes[:20]:
        out.print(f"  note {note.where}: {note.reason}")
    if len(report.notes) > 20:
        out.print(f"  … and {len(report.notes) - 20} more notes")
    out.print(", ".join(f"{name}: {count}" for name, count in report.counts.items()))
    if report.violations_ignored:
        err.print(
            f"{report.violations_ignored} SHACL result(s) already in the store, on nodes "
            "this import touches, were ignored (kg validate --store lists them)"
        )
    if report.dry_run:
        out.print(f"dry run: nothing written ({report.seconds:.1f} s)")
    else:
        out.print(
            f"{report.quads_after} quads in the store (before: {report.quads_before}); "
            f"{report.seconds:.1f} s"
        )


if __name__ == "__main__":  # pragma: no cover
    main()
