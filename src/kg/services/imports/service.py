"""``kg import``: read inputs, merge them with the store, validate, write all or nothing."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal as TypingLiteral

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg import __version__
from kg.namespaces import KG
from kg.queries import MAX_VALUES_PER_PARAMETER
from kg.services.context import Context
from kg.services.imports.build import SCHEMA, BuildResult, GraphBuilder, StoreIndex
from kg.services.imports.model import ImportFailed, ParsedFile, Skipped
from kg.services.imports.seed import FALLBACK_LANGUAGE, PageVocabulary, parse_seed
from kg.services.imports.text import language_scripts, normalise, short_hash
from kg.services.loading import ONTOLOGY_GRAPH
from kg.services.search import refresh_after_write
from kg.store import GraphSource
from kg.validate import Violation, load_shapes, validate_graph

ImportFormat = TypingLiteral["seed", "pwc", "epoch", "spreadsheet", "aio", "sssom", "edam"]
FORMATS: tuple[ImportFormat, ...] = ("seed", "pwc", "epoch", "spreadsheet", "aio", "sssom", "edam")
SUFFIX_FORMATS: dict[str, ImportFormat] = {
    ".txt": "seed",
    ".md": "seed",
    ".json": "pwc",
    ".csv": "epoch",
    ".obo": "aio",
    ".sssom.tsv": "sssom",
}
SPREADSHEET_SUFFIXES = (".csv", ".json")
"""With a mapping file (``--mapping``), a .csv or .json file is a spreadsheet."""
IMPORTER_VERSION = f"{__version__}+import.1"
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")
"""DCAT 3 (rdflib's DCAT namespace predates it)."""
MAX_INPUT_BYTES = 200 * 1024 * 1024
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as an import advances."""


@dataclass
class ImportReport:
    files: list[Path]
    graphs: list[str]
    records_read: int
    created: list[str]
    merged: list[tuple[str, str]]
    skipped: list[Skipped]
    notes: list[Skipped]
    methods: int
    triples: int
    dry_run: bool
    seconds: float
    quads_before: int
    quads_after: int
    violations_ignored: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    unchanged: bool = False
    """The store already held exactly this import of the same files: nothing was written."""


def format_for(path: Path, explicit: str | None, mapping: Path | None = None) -> ImportFormat:
    if mapping is not None:
        if explicit not in (None, "spreadsheet"):
            raise ImportFailed(
                f"a mapping file ({mapping}) reads spreadsheets, not the {explicit} format"
            )
        if explicit is None and path.suffix.lower() not in SPREADSHEET_SUFFIXES:
            raise ImportFailed(
                f"{path}: a mapping file reads a .csv or .json table, not {path.suffix or 'this'}"
            )
        return "spreadsheet"
    if explicit == "spreadsheet":
        raise ImportFailed("the spreadsheet format needs a mapping file (--mapping FILE.toml)")
    if explicit is not None:
        if explicit not in FORMATS:
            raise ImportFailed(f"unknown import format {explicit!r} (known: {', '.join(FORMATS)})")
        return explicit
    if path.name.lower().endswith(".sssom.tsv"):
        return "sssom"
    try:
        return SUFFIX_FORMATS[path.suffix.lower()]
    except KeyError:
        raise ImportFailed(
            f"{path}: cannot tell the format from the suffix; use --format ({', '.join(FORMATS)})"
        ) from None


def graph_name(path: Path) -> str:
    return f"import-{path.stem}"


def provenance_graph_name(path: Path) -> str:
    return f"provenance/import-{path.stem}"


def read_text(path: Path) -> tuple[str, bytes]:
    """The file's text (UTF-8, BOM allowed) and bytes; a clear error when it is not text."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size > MAX_INPUT_BYTES:
        raise ImportFailed(f"{path}: {size} bytes is more than the {MAX_INPUT_BYTES} allowed")
    data = path.read_bytes()
    if not data.strip():
        raise ImportFailed(f"{path}: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text, data


def page_vocabulary(ctx: Context) -> PageVocabulary:
    """Row labels and language scripts, from the ontology graph (and labels in the store)."""
    query = ctx.queries["import-row-labels"].bind(graph=ctx.graph_iri(ONTOLOGY_GRAPH))
    result = ctx.store.select(query)
    if not result.rows:
        raise ImportFailed(
            "the store holds no ontology (graph "
            f"{ctx.graph_iri(ONTOLOGY_GRAPH)}): run `kg load` first"
        )
    rows: dict[str, dict[str, URIRef]] = {}
    samples: dict[str, list[str]] = {}
    for row in result.rows:
        lang = str(row["lang"]).lower()
        samples.setdefault(lang, []).append(str(row["label"]))
        if "order" in row:
            rows.setdefault(lang, {})[normalise(str(row["label"]))] = URIRef(str(row["term"]))
    for lang in list(samples):
        extra = ctx.store.select(ctx.queries["import-language-labels"].bind(lang=lang))
        samples[lang].extend(str(r["label"]) for r in extra.rows)
    return PageVocabulary(rows, language_scripts(samples, FALLBACK_LANGUAGE))


def import_files(
    ctx: Context,
    paths: Sequence[Path],
    *,
    format: str | None = None,
    dry_run: bool = False,
    licence: str | None = None,
    attribution: str | None = None,
    progress: Progress | None = None,
    mapping: Path | None = None,
) -> ImportReport:
    """Import the files, each into its own named graph (``graph/import-<stem>``), with a
    provenance graph each (``graph/provenance/import-<stem>``), in one all-or-nothing write
    that happens only when the result passes the SHACL shapes. ``dry_run`` writes nothing.
    ``mapping`` (a TOML file) makes every file a spreadsheet read with it.
    """
    started = time.monotonic()
    started_at = datetime.now(UTC).replace(microsecond=0)
    report = _progress_or_nothing(progress)
    if not paths:
        raise ImportFailed("no files to import")
    seen_graphs: dict[str, Path] = {}
    for path in paths:
        name = graph_name(path)
        if name in seen_graphs:
            raise ImportFailed(
                f"{path}: would import into the same graph as {seen_graphs[name]} ({name})"
            )
        seen_graphs[name] = path

    vocab: PageVocabulary | None = None
    sheet_mapping = None
    if mapping is not None:
        from kg.services.imports.spreadsheet import load_mapping

        sheet_mapping = load_mapping(mapping)
    parsed: list[ParsedFile] = []
    digests: dict[Path, str] = {}
    for number, path in enumerate(paths, start=1):
        report(f"reading {path.name}", number - 1, len(paths))
        fmt = format_for(path, format, mapping)
        text, data = read_text(path)
        digests[path] = hashlib.sha256(data).hexdigest()
        if fmt == "seed":
            vocab = vocab or page_vocabulary(ctx)
            parsed.append(parse_seed(path, graph_name(path), text, vocab))
        elif fmt == "pwc":
            from kg.services.imports.pwc import parse_pwc

            parsed.append(parse_pwc(path, graph_name(path), text))
        elif fmt in ("aio", "sssom", "edam"):
            parsed.append(_parse_ontology(fmt, path, text))
        elif fmt == "spreadsheet":
            from kg.services.imports.spreadsheet import parse_spreadsheet

            assert sheet_mapping is not None
            parsed.append(parse_spreadsheet(path, graph_name(path), text, sheet_mapping))
        else:
            from kg.services.imports.epoch import parse_epoch

            parsed.append(parse_epoch(path, graph_name(path), text))
    report("reading", len(paths), len(paths))

    replaced = {ctx.graph_iri(graph_name(p)) for p in paths} | {
        ctx.graph_iri(provenance_graph_name(p)) for p in paths
    }
    index = StoreIndex.load(ctx, replaced)
    builder = GraphBuilder(ctx, index, replaced)
    records = [record for pf in parsed for record in pf.records]
    report("merging", 0, 1)
    concept_iris = {
        k: v for pf in parsed for k, v in builder.concepts(pf.graph, pf.concepts).items()
    }
    built = builder.build(records)
    for pf in parsed:
        if pf.format == "epoch":
            from kg.services.imports.epoch import attach_originators

            built.skipped.extend(attach_originators(ctx, builder, pf, records, built))
        elif pf.format == "spreadsheet":
            from kg.services.imports.spreadsheet import attach_links

            built.skipped.extend(attach_links(ctx, builder, pf, records, built))
        elif pf.format == "sssom":
            from kg.services.imports.aio import attach_mappings

            built.skipped.extend(attach_mappings(ctx, builder, pf, concept_iris))
    for pf in parsed:
        builder.graph(pf.graph)  # an input without records still replaces its graph
    report("merging", 1, 1)

    skipped = [s for pf in parsed for s in pf.skipped] + built.skipped
    finished_at = datetime.now(UTC).replace(microsecond=0)
    provenance: dict[str, Graph] = {}
    for pf in parsed:
        provenance[provenance_graph_name(pf.path)] = _provenance(
            ctx,
            pf,
            built.graphs[pf.graph],
            methods=len(built.methods.get(pf.graph, set())),
            created=sum(1 for iri in built.created if iri in built.methods.get(pf.graph, set())),
            merged=sum(1 for where, _ in built.merged if where.startswith(f"{pf.path}")),
            skipped=sum(1 for s in skipped if s.where.startswith(f"{pf.path}")),
            digest=digests[pf.path],
            licence=licence or pf.licence,
            attribution=attribution or pf.attribution or pf.publisher,
            started=started_at,
            finished=finished_at,
        )
        _source_version(ctx, pf, provenance[provenance_graph_name(pf.path)])

    if not dry_run and _unchanged(ctx, built.graphs, list(digests.values()), parsed):
        report("unchanged", 1, 1)
        return _unchanged_report(ctx, parsed, built, skipped, started)

    report("validating", 0, 1)
    ignored, warnings = _validate(ctx, replaced, built.graphs)
    report("validating", 1, 1)

    triples = sum(len(g) for g in built.graphs.values())
    before = ctx.store.quad_count()
    if not dry_run:
        report("writing", 0, 1)
        _write(ctx, {**built.graphs, **provenance})
        report("writing", 1, 1)
    all_methods = set().union(*built.methods.values()) if built.methods else set()
    return ImportReport(
        files=list(paths),
        graphs=[ctx.graph_iri(pf.graph) for pf in parsed],
        records_read=sum(pf.records_read for pf in parsed),
        created=built.created,
        merged=built.merged,
        skipped=skipped,
        notes=[n for pf in parsed for n in pf.notes] + built.notes + warnings,
        methods=len(all_methods),
        triples=triples,
        dry_run=dry_run,
        seconds=time.monotonic() - started,
        quads_before=before,
        quads_after=before if dry_run else ctx.store.quad_count(),
        violations_ignored=ignored,
        counts=_counts(built.graphs),
    )


def _unchanged(
    ctx: Context, graphs: dict[str, Graph], digests: list[str], parsed: list[ParsedFile]
) -> bool:
    """Whether the store already holds exactly these graphs, imported from files with the
    same SHA-256 by this importer version: then a re-import writes nothing (a new
    provenance graph would differ only in its timestamps)."""
    query = ctx.queries["graph-triples"]
    for pf, digest in zip(parsed, digests, strict=True):
        stored = ctx.store.construct(
            query.bind(graph=ctx.graph_iri(provenance_graph_name(pf.path)))
        )
        objects = {str(o) for o in stored.objects()}
        if f"sha256:{digest}" not in objects or IMPORTER_VERSION not in objects:
            return False
    for name, graph in graphs.items():
        stored = ctx.store.construct(query.bind(graph=ctx.graph_iri(name)))
        if set(stored) != set(graph):
            return False
    return True


def _unchanged_report(
    ctx: Context,
    parsed: list[ParsedFile],
    built: BuildResult,
    skipped: list[Skipped],
    started: float,
) -> ImportReport:
    all_methods = set().union(*built.methods.values()) if built.methods else set()
    quads = ctx.store.quad_count()
    return ImportReport(
        files=[pf.path for pf in parsed],
        graphs=[ctx.graph_iri(pf.graph) for pf in parsed],
        records_read=sum(pf.records_read for pf in parsed),
        created=built.created,
        merged=built.merged,
        skipped=skipped,
        notes=[n for pf in parsed for n in pf.notes] + built.notes,
        methods=len(all_methods),
        triples=sum(len(g) for g in built.graphs.values()),
        dry_run=False,
        seconds=time.monotonic() - started,
        quads_before=quads,
        quads_after=quads,
        counts=_counts(built.graphs),
        unchanged=True,
    )


def _parse_ontology(fmt: ImportFormat, path: Path, text: str) -> ParsedFile:
    if fmt == "edam":
        from kg.services.imports.edam import parse_edam

        return parse_edam(path, graph_name(path), text)
    from kg.services.imports.aio import parse_aio, parse_sssom

    parse = parse_aio if fmt == "aio" else parse_sssom
    return parse(path, graph_name(path), text)


def _source_version(ctx: Context, pf: ParsedFile, g: Graph) -> None:
    """The source's own version and release date, on the source file of the provenance
    graph (``dcat:version``, ``dcterms:issued``)."""
    if pf.version is None and pf.issued is None:
        return
    graph = URIRef(ctx.graph_iri(pf.graph))
    for source in set(g.objects(graph, PROV.wasDerivedFrom)):
        if pf.version:
            g.add((source, DCAT_VERSION, Literal(pf.version)))
        if pf.issued:
            kind = XSD.date if len(pf.issued) == 10 else XSD.gYearMonth
            g.add((source, DCTERMS.issued, Literal(pf.issued, datatype=kind)))


def _progress_or_nothing(progress: Progress | None) -> Progress:
    if progress is not None:
        return progress

    def nothing(stage: str, done: int, total: int) -> None:
        return None

    return nothing


NEIGHBOURHOOD_BATCH = MAX_VALUES_PER_PARAMETER
NEIGHBOURHOOD_QUERIES = (
    "import-neighbourhood",
    "import-neighbourhood-nodes",
    "import-neighbourhood-classes",
)


def _neighbourhood(ctx: Context, focus: Sequence[str], replaced: Sequence[str]) -> Graph:
    """What the shapes read around ``focus`` in the store, outside the ``replaced`` graphs:
    the nodes' statements, their blank nodes and list cells, the classes of what they point
    to, and the class hierarchy (in batches of the binding's limit)."""
    data = ctx.store.construct(ctx.queries["import-class-hierarchy"].bind(replaced=replaced))
    for start in range(0, len(focus), NEIGHBOURHOOD_BATCH):
        batch = focus[start : start + NEIGHBOURHOOD_BATCH]
        for name in NEIGHBOURHOOD_QUERIES:
            data += ctx.store.construct(ctx.queries[name].bind(focus=batch, replaced=replaced))
    return data


def _validate(
    ctx: Context, replaced: set[str], graphs: dict[str, Graph]
) -> tuple[int, list[Skipped]]:
    """SHACL over the imported nodes as they will be in the store (with what the shapes read
    around them there); raises on a violation involving imported nodes.

    Returns how many results were ignored because they concern only nodes the import does
    not describe (problems already in the store), and the warnings on imported nodes (for
    example a method known only by its Thai name), which do not block the import."""
    subjects: set[str] = set()
    focus: set[str] = set()
    for graph in graphs.values():
        for subject, _, value in graph:
            subjects.add(str(subject))
            focus.update(str(node) for node in (subject, value) if isinstance(node, URIRef))
    data = _neighbourhood(ctx, sorted(focus), sorted(replaced))
    for graph in graphs.values():
        for triple in graph:
            data.add(triple)
    result = validate_graph(data, shapes=load_shapes(ctx.settings.shapes_path), ontology=None)
    ours: list[Violation] = [
        v for v in result.violations if v.focus_node in subjects and v.severity == "Violation"
    ]
    if ours:
        shown = "\n".join(f"  {v.to_text()}" for v in ours[:20])
        more = f"\n  … and {len(ours) - 20} more" if len(ours) > 20 else ""
        raise ImportFailed(
            f"the imported data does not pass the SHACL shapes ({len(ours)} violation(s)); "
            f"nothing was written:\n{shown}{more}"
        )
    warnings = [
        Skipped(v.focus_node, f"warning: {v.message}")
        for v in result.violations
        if v.focus_node in subjects and v.severity != "Violation"
    ]
    return len(result.violations) - len(ours) - len(warnings), warnings


def _write(ctx: Context, graphs: dict[str, Graph]) -> None:
    with tempfile.TemporaryDirectory(prefix="kg-import-") as tmp:
        sources: list[GraphSource] = []
        for number, (name, graph) in enumerate(sorted(graphs.items())):
            path = Path(tmp) / f"{number:04d}.nt"
            graph.serialize(destination=path, format="nt", encoding="utf-8")
            sources.append(GraphSource(ctx.graph_iri(name), path, "nt", ctx.settings.base_iri))
        ctx.store.replace_graphs(sources)
    refresh_after_write(ctx)


def _counts(graphs: dict[str, Graph]) -> dict[str, int]:
    union = Graph()
    for graph in graphs.values():
        for triple in graph:
            union.add(triple)
    methods = set(union.subjects(RDF.type, KG.Method))
    return {
        "methods": len(methods),
        "with year": sum(1 for m in methods if (m, KG.yearOfOrigin, None) in union),
        "with source": sum(1 for m in methods if (m, KG.originalSource, None) in union),
        "related links": len(set(union.subject_objects(KG.relatedMethod))),
        "families": len(set(union.subjects(RDF.type, KG.Family))),
        "fields": len(set(union.subjects(RDF.type, KG.Field))),
        "sources": len(set(union.subjects(RDF.type, KG.Source))),
        "people": len(set(union.subjects(RDF.type, KG.Person))),
    }


def _provenance(
    ctx: Context,
    pf: ParsedFile,
    data: Graph,
    *,
    methods: int,
    created: int,
    merged: int,
    skipped: int,
    digest: str,
    licence: str | None,
    attribution: str | None,
    started: datetime,
    finished: datetime,
) -> Graph:
    """PROV-O and DCTERMS (and VoID counts) about one imported graph."""
    base = ctx.settings.base_iri
    g = Graph()
    graph = URIRef(ctx.graph_iri(pf.graph))
    run = short_hash(pf.graph, started.isoformat(), digest, length=16)
    activity = URIRef(f"{base}.well-known/genid/import-{run}")
    source_file = URIRef(f"{base}.well-known/genid/file-{digest[:32]}")
    agent = URIRef(
        f"{base}.well-known/genid/kg-importer-{pf.format}-{short_hash(IMPORTER_VERSION)}"
    )
    now = Literal(finished.isoformat(), datatype=XSD.dateTime)

    g.add((graph, RDF.type, PROV.Entity))
    g.add((graph, RDF.type, VOID.Dataset))
    g.add((graph, DCTERMS.title, Literal(f"Import of {pf.path.name}", lang="en")))
    g.add((graph, PROV.wasGeneratedBy, activity))
    g.add((graph, PROV.wasDerivedFrom, source_file))
    g.add((graph, PROV.generatedAtTime, now))
    g.add((graph, DCTERMS.created, Literal(finished.date().isoformat(), datatype=XSD.date)))
    g.add((graph, DCTERMS.source, source_file))
    g.add((graph, VOID.triples, Literal(len(data), datatype=XSD.integer)))
    g.add((graph, VOID.entities, Literal(methods, datatype=XSD.integer)))

    g.add((source_file, RDF.type, PROV.Entity))
    g.add((source_file, DCTERMS.title, Literal(pf.path.name)))
    g.add((source_file, DCTERMS.identifier, Literal(f"sha256:{digest}")))
    g.add((source_file, PROV.atLocation, Literal(str(pf.path.resolve()))))
    g.add((source_file, DCTERMS.format, Literal(pf.format)))
    if pf.language:
        g.add((source_file, DCTERMS.language, Literal(pf.language)))
    if pf.publisher:
        g.add((source_file, DCTERMS.publisher, Literal(pf.publisher)))
    for subject in (graph, source_file):
        if licence:
            g.add((subject, DCTERMS.license, URIRef(licence)))
        if attribution:
            g.add((subject, SCHEMA.creditText, Literal(attribution)))

    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, PROV.used, source_file))
    g.add((activity, PROV.wasAssociatedWith, agent))
    g.add((activity, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    g.add((activity, PROV.endedAtTime, now))
    counts = {
        "records read": pf.records_read,
        "methods": methods,
        "methods created": created,
        "records merged": merged,
        "records skipped": skipped,
    }
    for name, value in counts.items():
        node = URIRef(f"{base}.well-known/genid/import-{run}-{name.replace(' ', '-')}")
        g.add((activity, SCHEMA.result, node))
        g.add((node, RDF.type, SCHEMA.PropertyValue))
        g.add((node, SCHEMA.name, Literal(name)))
        g.add((node, SCHEMA.value, Literal(value, datatype=XSD.integer)))
    g.add(
        (
            activity,
            RDFS.comment,
            Literal(
                f"{pf.records_read} records read, {created} methods created, "
                f"{merged} merged, {skipped} skipped",
                lang="en",
            ),
        )
    )

    g.add((agent, RDF.type, PROV.SoftwareAgent))
    g.add((agent, RDFS.label, Literal(f"kg {pf.format} importer", lang="en")))
    g.add((agent, SCHEMA.softwareVersion, Literal(IMPORTER_VERSION)))
    return g
