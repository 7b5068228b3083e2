"""Epoch AI "All AI models" (CSV; ``../shared/data/epoch_all_ai_models_2025-04.csv``).

Epoch entries are systems ("DenseNet-264"), not methods, so no method is created from
them. A row whose ``Link`` is an arXiv paper names the paper's authors (``Authors``,
comma-separated); they become ``kg:originator`` people (``kg:Person``, ``foaf:name``) of
every method whose original source has the same arXiv id (in the store or in the same
batch). Licence CC BY 4.0 ("Data: Epoch AI").
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import FOAF

from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports.build import BuildResult, GraphBuilder
from kg.services.imports.model import ImportFailed, MethodRecord, ParsedFile, Skipped, Where
from kg.services.imports.pwc import arxiv_id
from kg.services.imports.text import normalise, slugify

LICENCE = "https://creativecommons.org/licenses/by/4.0/"
ATTRIBUTION = "Data: Epoch AI, 'All AI models' database (epoch.ai), CC BY 4.0"
REQUIRED_COLUMNS = ("Model", "Authors", "Link")
MAX_FIELD = 1024 * 1024
MAX_AUTHORS = 200


def parse_epoch(path: Path, graph: str, text: str) -> ParsedFile:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFailed(
            f"{path}:1: missing column(s) {', '.join(map(repr, missing))}; an Epoch AI "
            f"export has {', '.join(REQUIRED_COLUMNS)} (found: {', '.join(columns[:10])})"
        )
    links: list[tuple[Where, str, list[str]]] = []
    reasons: Counter[str] = Counter()
    rows = 0
    try:
        for row in reader:
            rows += 1
            where = Where(path, line=reader.line_num)
            if None in row:
                raise ImportFailed(f"{where}: more cells than columns")
            identifier = arxiv_id(row.get("Link"))
            authors = [a.strip() for a in (row.get("Authors") or "").split(",") if a.strip()]
            if identifier is None:
                reasons["no arXiv link"] += 1
            elif not authors:
                reasons["no authors"] += 1
            else:
                links.append((where, identifier, authors[:MAX_AUTHORS]))
    except csv.Error as exc:
        raise ImportFailed(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    return ParsedFile(
        path=path,
        graph=graph,
        format="epoch",
        records=[],
        records_read=rows,
        skipped=[
            Skipped(str(path), f"{n} row(s): {why}", records=n)
            for why, n in sorted(reasons.items())
        ],
        licence=LICENCE,
        attribution=ATTRIBUTION,
        publisher="Epoch AI",
        language="en",
        originators=links,
    )


def attach_originators(
    ctx: Context,
    builder: GraphBuilder,
    parsed: ParsedFile,
    records: list[MethodRecord],
    built: BuildResult,
) -> list[Skipped]:
    """Add ``kg:originator`` links to the file's graph; returns the rows left out. A row
    whose authors became originators counts as merged (``parsed.merged_rows``)."""
    by_arxiv: dict[str, set[str]] = {}
    for row in ctx.store.select(ctx.queries["import-arxiv-methods"].bind()).rows:
        if str(row["graph"]) not in builder.replaced:
            by_arxiv.setdefault(str(row["arxiv"]), set()).add(str(row["method"]))
    for record in records:
        iri = built.record_iris.get(id(record))
        if iri and record.source is not None and record.source.arxiv_id:
            by_arxiv.setdefault(record.source.arxiv_id, set()).add(iri)
    people: dict[str, tuple[str, bool]] = {}
    for row in ctx.store.select(ctx.queries["import-people"].bind()).rows:
        if str(row["graph"]) in builder.replaced:
            continue
        restate = str(row["graph"]).startswith(ctx.graph_iri("import-"))
        people.setdefault(normalise(str(row["name"])), (str(row["person"]), restate))
        builder.taken.add(str(row["person"]))
    g = builder.graph(parsed.graph)
    unmatched = 0
    for _where, identifier, authors in parsed.originators:
        methods = by_arxiv.get(identifier)
        if not methods:
            unmatched += 1
            continue
        for name in authors:
            key = normalise(name)
            if key not in people:
                people[key] = (builder.mint("person", slugify(name), name), True)
            person, restate = people[key]
            if restate:
                g.add((URIRef(person), RDF.type, KG.Person))
                g.add((URIRef(person), FOAF.name, Literal(name)))
            for method in sorted(methods):
                g.add((URIRef(method), KG.originator, URIRef(person)))
                built.methods.setdefault(parsed.graph, set()).add(method)
        parsed.merged_rows += 1
    if unmatched:
        reason = f"{unmatched} row(s): no method with that arXiv id"
        return [Skipped(str(parsed.path), reason, records=unmatched)]
    return []
