"""``kg import``: read inputs, merge them with the store, validate, write all or nothing."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal as TypingLiteral

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, SKOS
from rdflib.term import Node

from kg import __version__
from kg.namespaces import KG
from kg.queries import MAX_VALUES_PER_PARAMETER
from kg.services.context import Context
from kg.services.imports.build import SCHEMA, BuildResult, GraphBuilder
from kg.services.imports.model import ImportFailed, ParsedFile, Skipped
from kg.services.imports.resolution import Ambiguous, Resolved
from kg.services.imports.seed import FALLBACK_LANGUAGE, PageVocabulary, parse_seed
from kg.services.imports.store_index import StoreIndex
from kg.services.imports.text import canonical_decimal, language_scripts, normalise, short_hash
from kg.services.loading import ONTOLOGY_GRAPH
from kg.services.search import refresh_after_write
from kg.services.search_changes import tracking
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


@dataclass(frozen=True)
class FileSummary:
    """What became of one file's records: ``read == created + merged + skipped``."""

    path: Path
    graph: str
    """The IRI of the file's graph; nothing is written for a file that yields no triple."""
    read: int
    created: int
    """Records that made a new method or AI system (the first record of each)."""
    merged: int
    """Records merged into a stored method or one made by an earlier record."""
    skipped: int
    """Records left out, with their reasons in the report's ``skipped``."""
    triples: int
    systems: int = 0
    """Of ``created``: records that made a new AI system (Epoch AI rows)."""


@dataclass
class ImportReport:
    files: list[Path]
    graphs: list[str]
    """The graphs written (or, in a dry run, that would be): one per file that yields data."""
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
    preexisting: list[Violation] = field(default_factory=list)
    """SHACL results already in the store on the nodes the import describes or points to
    (the import does not make them, nor is it refused for them)."""
    warnings: list[Violation] = field(default_factory=list)
    """SHACL warnings on the nodes the import describes (also in ``notes``)."""
    counts: dict[str, int] = field(default_factory=dict)
    unchanged: bool = False
    """The store already held exactly this import of the same files: nothing was written."""
    summaries: list[FileSummary] = field(default_factory=list)
    resolved: list[Resolved] = field(default_factory=list)
    """What entity resolution merged: incoming name -> existing resource, and the rule."""
    ambiguous: list[Ambiguous] = field(default_factory=list)
    """Names that matched several resources: kept apart."""

    @property
    def violations_ignored(self) -> int:
        return len(self.preexisting)

    @property
    def records_skipped(self) -> int:
        return sum(s.records for s in self.skipped)


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
    sizes: dict[Path, int] = {}
    for number, path in enumerate(paths, start=1):
        report(f"reading {path.name}", number - 1, len(paths))
        fmt = format_for(path, format, mapping)
        text, data = read_text(path)
        digests[path] = hashlib.sha256(data).hexdigest()
        sizes[path] = len(data)
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
    records = [record for pf in parsed for record in pf.records]
    index = StoreIndex(ctx, replaced)
    index.prefetch(records, [str(c.label) for pf in parsed for c in pf.concepts])
    builder = GraphBuilder(ctx, index, replaced)
    report("merging", 0, 1)
    concept_iris = {
        k: v for pf in parsed for k, v in builder.concepts(pf.graph, pf.concepts).items()
    }
    built = builder.build(records)
    for pf in parsed:
        if pf.format == "epoch":
            from kg.services.imports.systems import build_systems

            built.skipped.extend(build_systems(ctx, builder, pf))
        elif pf.format == "spreadsheet":
            from kg.services.imports.spreadsheet import attach_links

            built.skipped.extend(attach_links(ctx, builder, pf, records, built))
        elif pf.format == "sssom":
            from kg.services.imports.aio import attach_mappings

            built.skipped.extend(attach_mappings(ctx, builder, pf, concept_iris))
    report("merging", 1, 1)

    skipped = [s for pf in parsed for s in pf.skipped] + built.skipped
    summaries = [_summary(ctx, pf, built, skipped) for pf in parsed]
    # A file that yields no triple writes no graph (and no provenance of one): its graphs
    # from an earlier import are dropped.
    yielded = {
        pf.graph: built.graphs[pf.graph] for pf in parsed if len(built.graphs.get(pf.graph, ()))
    }
    finished_at = datetime.now(UTC).replace(microsecond=0)
    provenance: dict[str, Graph] = {}
    for pf, summary in zip(parsed, summaries, strict=True):
        if pf.graph not in yielded:
            continue
        provenance[provenance_graph_name(pf.path)] = _provenance(
            ctx,
            pf,
            yielded[pf.graph],
            summary,
            methods=len(built.methods.get(pf.graph, set())),
            size=sizes[pf.path],
            digest=digests[pf.path],
            licence=licence or pf.licence,
            attribution=attribution or pf.attribution or pf.publisher,
            started=started_at,
            finished=finished_at,
        )
        _source_version(ctx, pf, provenance[provenance_graph_name(pf.path)])

    if not dry_run and _unchanged(ctx, yielded, list(digests.values()), parsed):
        report("unchanged", 1, 1)
        return _unchanged_report(ctx, parsed, built, skipped, started, yielded, summaries)

    report("validating", 0, 1)
    validation = _validate(ctx, replaced, yielded)
    report("validating", 1, 1)

    triples = sum(len(g) for g in yielded.values())
    before = ctx.store.quad_count()
    if not dry_run:
        report("writing", 0, 1)
        _write(ctx, {**yielded, **provenance}, drop=sorted(replaced))
        report("writing", 1, 1)
    all_methods = set().union(*built.methods.values()) if built.methods else set()
    return ImportReport(
        files=list(paths),
        graphs=[ctx.graph_iri(pf.graph) for pf in parsed if pf.graph in yielded],
        records_read=sum(pf.records_read for pf in parsed),
        created=built.created,
        merged=built.merged,
        skipped=skipped,
        notes=[n for pf in parsed for n in pf.notes]
        + built.notes
        + [Skipped(v.focus_node, f"warning: {v.message}") for v in validation.warnings],
        methods=len(all_methods),
        triples=triples,
        dry_run=dry_run,
        seconds=time.monotonic() - started,
        quads_before=before,
        quads_after=before if dry_run else ctx.store.quad_count(),
        preexisting=validation.ignored,
        warnings=validation.warnings,
        counts=_counts(yielded),
        summaries=summaries,
        resolved=[r for pf in parsed for r in pf.resolved if isinstance(r, Resolved)],
        ambiguous=[r for pf in parsed for r in pf.resolved if isinstance(r, Ambiguous)],
    )


def _summary(
    ctx: Context, pf: ParsedFile, built: BuildResult, skipped: list[Skipped]
) -> FileSummary:
    outcomes = [built.outcomes.get(id(record)) for record in pf.records]
    return FileSummary(
        path=pf.path,
        graph=ctx.graph_iri(pf.graph),
        read=pf.records_read,
        created=outcomes.count("created") + pf.systems_created,
        merged=outcomes.count("merged") + pf.merged_rows,
        skipped=sum(s.records for s in skipped if pf.holds(s.where)),
        triples=len(built.graphs.get(pf.graph, ())),
        systems=pf.systems_created,
    )


def _unchanged(
    ctx: Context, graphs: dict[str, Graph], digests: list[str], parsed: list[ParsedFile]
) -> bool:
    """Whether the store already holds exactly these graphs, imported from files with the
    same SHA-256 by this importer version: then a re-import writes nothing (a new
    provenance graph would differ only in its timestamps)."""
    query = ctx.queries["graph-triples"]
    for pf, digest in zip(parsed, digests, strict=True):
        stored = ctx.store.construct_triples(
            query.bind(graph=ctx.graph_iri(provenance_graph_name(pf.path)))
        )
        objects = {str(o) for _, _, o in stored}
        if f"sha256:{digest}" not in objects or IMPORTER_VERSION not in objects:
            return False
    for name, graph in graphs.items():
        stored = ctx.store.construct_triples(query.bind(graph=ctx.graph_iri(name)))
        if _canonical_triples(stored) != _canonical_triples(graph):
            return False
    return True


def _canonical_triples(graph: Iterable[tuple[Node, Node, Node]]) -> set[tuple[object, ...]]:
    """The triples with numbers in their canonical lexical form. A store keeps a number's
    canonical form (pyoxigraph writes ``"675000000.0"^^xsd:decimal`` back as
    ``"675000000"``), so comparing the terms an import would write with the stored ones as
    they are found every file with a non-canonical number changed, on every re-import."""
    return {(s, p, _canonical(o)) for s, p, o in graph}


def _canonical(term: object) -> object:
    if not isinstance(term, Literal) or term.datatype not in (XSD.decimal, XSD.integer):
        return term
    try:
        value = Decimal(str(term).strip())
    except InvalidOperation:
        return term
    if not value.is_finite() or (term.datatype == XSD.integer and value != value.to_integral()):
        return term
    return Literal(canonical_decimal(value), datatype=term.datatype)


def _unchanged_report(
    ctx: Context,
    parsed: list[ParsedFile],
    built: BuildResult,
    skipped: list[Skipped],
    started: float,
    graphs: dict[str, Graph],
    summaries: list[FileSummary],
) -> ImportReport:
    all_methods = set().union(*built.methods.values()) if built.methods else set()
    quads = ctx.store.quad_count()
    return ImportReport(
        files=[pf.path for pf in parsed],
        graphs=[ctx.graph_iri(pf.graph) for pf in parsed if pf.graph in graphs],
        records_read=sum(pf.records_read for pf in parsed),
        created=built.created,
        merged=built.merged,
        skipped=skipped,
        notes=[n for pf in parsed for n in pf.notes] + built.notes,
        methods=len(all_methods),
        triples=sum(len(g) for g in graphs.values()),
        dry_run=False,
        seconds=time.monotonic() - started,
        quads_before=quads,
        quads_after=quads,
        counts=_counts(graphs),
        summaries=summaries,
        unchanged=True,
        resolved=[r for pf in parsed for r in pf.resolved if isinstance(r, Resolved)],
        ambiguous=[r for pf in parsed for r in pf.resolved if isinstance(r, Ambiguous)],
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
NEIGHBOURHOOD_QUERIES = ("import-neighbourhood", "import-neighbourhood-nodes")


def _batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), NEIGHBOURHOOD_BATCH):
        yield items[start : start + NEIGHBOURHOOD_BATCH]


def _neighbourhood(
    ctx: Context, focus: Sequence[str], replaced: Sequence[str], graphs: Iterable[Graph]
) -> Graph:
    """What the shapes read around ``focus`` in the store, outside the ``replaced`` graphs:
    the nodes' statements, their blank (or skolem) nodes and list cells, the classes of
    every resource these and the imported ``graphs`` point to (a source's authors in its
    author list too), and the class hierarchy; queried in batches of the binding's limit.

    The ``focus`` nodes are then known as the store will hold them. The resources they
    point to are known only by their classes (what ``sh:class`` reads); the shapes that
    target those classes find them too, and their results say nothing about them."""
    data = ctx.store.construct(ctx.queries["import-class-hierarchy"].bind(replaced=replaced))
    for batch in _batches(focus):
        for name in NEIGHBOURHOOD_QUERIES:
            data += ctx.store.construct(ctx.queries[name].bind(focus=batch, replaced=replaced))
    known = set(focus)
    pointed: set[str] = set()
    for graph in (data, *graphs):
        for _, predicate, value in graph:
            if isinstance(value, URIRef) and predicate != RDF.type and str(value) not in known:
                pointed.add(str(value))
    query = ctx.queries["import-neighbourhood-classes"]
    for batch in _batches(sorted(pointed)):
        data += ctx.store.construct(query.bind(node=batch, replaced=replaced))
    return data


@dataclass(frozen=True)
class _Validation:
    ignored: list[Violation]
    """Results on nodes the import does not describe: problems already in the store."""
    warnings: list[Violation]
    """Warnings on imported nodes (a method known only by its Thai name): not blocking."""


def _validate(ctx: Context, replaced: set[str], graphs: dict[str, Graph]) -> _Validation:
    """SHACL over the nodes the import describes or points to, as the store will hold them
    (with what the shapes read around them there); raises on a violation of a node the
    import describes.

    Only those nodes are judged: the resources they point to are read for their classes
    alone, and a result on one of them (a field without its label, as far as this graph
    knows) is not a result about the store. So what is left over are the store's own
    problems on the nodes the import touches, as ``kg validate --store`` reports them."""
    subjects: set[str] = set()
    focus: set[str] = set()
    for graph in graphs.values():
        for subject, _, value in graph:
            subjects.add(str(subject))
            focus.update(str(node) for node in (subject, value) if isinstance(node, URIRef))
    data = _neighbourhood(ctx, sorted(focus), sorted(replaced), graphs.values())
    for graph in graphs.values():
        for triple in graph:
            data.add(triple)
    result = validate_graph(data, shapes=load_shapes(ctx.settings.shapes_path), ontology=None)
    judged = [v for v in result.violations if v.focus_node in focus]
    ours: list[Violation] = [
        v for v in judged if v.focus_node in subjects and v.severity == "Violation"
    ]
    if ours:
        shown = "\n".join(f"  {v.to_text()}" for v in ours[:20])
        more = f"\n  … and {len(ours) - 20} more" if len(ours) > 20 else ""
        raise ImportFailed(
            f"the imported data does not pass the SHACL shapes ({len(ours)} violation(s)); "
            f"nothing was written:\n{shown}{more}"
        )
    return _Validation(
        ignored=[v for v in judged if v.focus_node not in subjects],
        warnings=[v for v in judged if v.focus_node in subjects],
    )


def _write(ctx: Context, graphs: dict[str, Graph], *, drop: Sequence[str] = ()) -> None:
    """Write the graphs, and drop the graphs of ``drop`` not among them (a file's earlier
    import that now yields nothing), in one store write."""
    with tempfile.TemporaryDirectory(prefix="kg-import-") as tmp:
        sources: list[GraphSource] = []
        for number, (name, graph) in enumerate(sorted(graphs.items())):
            path = Path(tmp) / f"{number:04d}.nt"
            graph.serialize(destination=path, format="nt", encoding="utf-8")
            sources.append(GraphSource(ctx.graph_iri(name), path, "nt", ctx.settings.base_iri))
        written = {source.graph for source in sources}
        dropped = [g for g in drop if g not in written]
        with tracking(ctx, sorted(written | set(dropped))):
            ctx.store.replace_graphs(sources, drop=dropped)
    refresh_after_write(ctx)


def _counts(graphs: dict[str, Graph]) -> dict[str, int]:
    """What the graphs describe, read as one set of triples (a triple two graphs state
    counts once). One pass over the triples, without building their union as a graph."""
    typed: dict[URIRef, set[object]] = defaultdict(set)
    having: dict[URIRef, set[object]] = defaultdict(set)
    pairs: dict[URIRef, set[tuple[object, object]]] = defaultdict(set)
    having_keys = (KG.yearOfOrigin, KG.originalSource, SKOS.broadMatch)
    pair_keys = (KG.relatedMethod, KG.implementation)
    for graph in graphs.values():
        for s, p, o in graph:
            if p == RDF.type:
                typed[o].add(s)  # type: ignore[index]
            elif p in having_keys:
                having[p].add(s)  # type: ignore[index]
            elif p in pair_keys:
                pairs[p].add((s, o))  # type: ignore[index]
    methods, families = typed[KG.Method], typed[KG.Family]
    return {
        "methods": len(methods),
        "with year": len(methods & having[KG.yearOfOrigin]),
        "with source": len(methods & having[KG.originalSource]),
        "related links": len(pairs[KG.relatedMethod]),
        "usage observations": len(typed[KG.UsageObservation]),
        "code links": len(pairs[KG.implementation]),
        "families": len(families),
        "families with a field": len(families & having[SKOS.broadMatch]),
        "fields": len(typed[KG.Field]),
        "sources": len(typed[KG.Source]),
        "people": len(typed[KG.Person]),
        "AI systems": len(typed[KG.AISystem]),
        "datasets": len(typed[KG.Dataset]),
        "organisations": len(typed[KG.Organization]),
    }


def _provenance(
    ctx: Context,
    pf: ParsedFile,
    data: Graph,
    summary: FileSummary,
    *,
    methods: int,
    size: int,
    digest: str,
    licence: str | None,
    attribution: str | None,
    started: datetime,
    finished: datetime,
) -> Graph:
    """PROV-O and DCTERMS (and VoID counts) about one imported graph.

    The input file is described by its name, size, SHA-256 and the time it was read, never
    by where it was on the importing machine: a local path names a user and a machine, and
    it means nothing to anyone else."""
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
    g.add((source_file, DCAT.byteSize, Literal(size, datatype=XSD.integer)))
    # when it was read (retrieved) for this import
    g.add((source_file, DCTERMS.date, Literal(started.isoformat(), datatype=XSD.dateTime)))
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
        "records read": summary.read,
        "methods": methods,
        "methods created": summary.created - summary.systems,
        "systems created": summary.systems,
        "records merged": summary.merged,
        "records skipped": summary.skipped,
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
                f"{summary.read} records read, {summary.created - summary.systems} methods "
                + (f"and {summary.systems} systems " if summary.systems else "")
                + "created, "
                f"{summary.merged} merged, {summary.skipped} skipped",
                lang="en",
            ),
        )
    )

    g.add((agent, RDF.type, PROV.SoftwareAgent))
    g.add((agent, RDFS.label, Literal(f"kg {pf.format} importer", lang="en")))
    g.add((agent, SCHEMA.softwareVersion, Literal(IMPORTER_VERSION)))
    return g
