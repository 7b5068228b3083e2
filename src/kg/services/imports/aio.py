"""The Artificial Intelligence Ontology (OBO format; ``data/external/aio_2026-07-22.obo``)
and SSSOM mapping tables (``data/external/aio-to-cso.sssom.tsv``).

AIO, read with pronto: every class (``[Term]``, not obsolete) becomes a family of methods
(``kg:Family``, a SKOS concept, also in ``scheme/aio``), the family of the same label when
the store has one: ``name`` is its English label, ``EXACT`` synonyms its ``skos:altLabel``
(other scopes are not the same name and are left out), ``def`` its ``skos:definition`` with
the http(s) sources the definition cites as ``dcterms:source``, ``is_a`` its
``skos:broader``, and its AIO IRI (``idspace``) its ``skos:exactMatch``.

SSSOM: each row's subject and object (CURIEs expanded with the file's ``curie_map``, and
``cso:`` with the Computer Science Ontology's topic namespace, for which the file has only a
placeholder) and its predicate (``skos:exactMatch``, ``skos:closeMatch``, …): stated on the
concept whose ``skos:exactMatch`` is one side, pointing to the other; rows whose sides are
both unknown to the store, or whose predicate is not a SKOS mapping relation, are skipped.

Licence CC BY 4.0, credited in the import's provenance.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports.build import GraphBuilder
from kg.services.imports.model import (
    ConceptRecord,
    ImportFailed,
    Mapping,
    ParsedFile,
    Skipped,
    Where,
)

LICENCE = "https://creativecommons.org/licenses/by/4.0/"
ATTRIBUTION = (
    "Artificial Intelligence Ontology (AIO), CC BY 4.0: Joachimiak MP, Miller MA, Caufield JH, "
    "Ly R, Harris NL, Tritt A, Mungall CJ, Bouchard KE. The Artificial Intelligence Ontology: "
    "LLM-assisted construction of AI concept hierarchies. Applied Ontology. 2024. "
    "doi:10.1177/15705838241304103"
)
PUBLISHER = "Artificial Intelligence Ontology (berkeleybop/artificial-intelligence-ontology)"
SCHEME = "aio"
CSO_TOPICS = "https://cso.kmi.open.ac.uk/topics/"
"""The Computer Science Ontology's topic namespace (``cso:`` in the SSSOM file)."""
SKOS_MAPPINGS = {
    "skos:exactMatch": SKOS.exactMatch,
    "skos:closeMatch": SKOS.closeMatch,
    "skos:broadMatch": SKOS.broadMatch,
    "skos:narrowMatch": SKOS.narrowMatch,
    "skos:relatedMatch": SKOS.relatedMatch,
}
_SAFE_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_RELEASE = re.compile(r"releases/(\d{4}-\d{2}-\d{2})/")


def parse_aio(path: Path, graph: str, text: str) -> ParsedFile:
    from pronto.ontology import Ontology

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ontology = Ontology(io.BytesIO(text.encode("utf-8")))
    except Exception as exc:  # pronto raises many kinds (fastobo syntax errors, ValueError)
        raise ImportFailed(f"{path}: not a readable OBO file ({exc})") from None
    idspaces = {prefix: iri for prefix, (iri, _) in ontology.metadata.idspaces.items()}
    lines = {m.group(1): text.count("\n", 0, m.start()) + 1 for m in _TERM_IDS.finditer(text)}
    concepts: list[ConceptRecord] = []
    skipped: list[Skipped] = []
    notes: list[Skipped] = []
    other_synonyms = 0
    terms = sorted(ontology.terms(), key=lambda t: lines.get(t.id, 0))
    for term in terms:
        where = Where(path, line=lines.get(term.id))
        if term.obsolete:
            skipped.append(Skipped(str(where), f"{term.id}: obsolete"))
            continue
        iri = _expand(term.id, idspaces)
        if iri is None:
            skipped.append(Skipped(str(where), f"{term.id}: no idspace for its prefix"))
            continue
        if not term.name:
            skipped.append(Skipped(str(where), f"{term.id}: no name"))
            continue
        record = ConceptRecord(
            where=where,
            cls=KG.Family,
            key=iri,
            label=Literal(term.name.strip(), lang="en"),
            scheme=SCHEME,
        )
        for synonym in sorted(term.synonyms, key=lambda s: s.description):
            if synonym.scope == "EXACT" and synonym.description.strip() != term.name.strip():
                record.alt_labels.append(Literal(synonym.description.strip(), lang="en"))
            elif synonym.scope != "EXACT":
                other_synonyms += 1
        if term.definition:
            record.definition = Literal(str(term.definition).strip(), lang="en")
            record.definition_sources = sorted(
                x.id for x in term.definition.xrefs if _SAFE_URL.match(x.id)
            )
        for parent in sorted(term.superclasses(distance=1, with_self=False), key=lambda t: t.id):
            parent_iri = _expand(parent.id, idspaces)
            if parent_iri is not None:
                record.broader_keys.append(parent_iri)
        concepts.append(record)
    if other_synonyms:
        notes.append(
            Skipped(
                str(path),
                f"{other_synonyms} synonyms not EXACT (broad, narrow, related): "
                "not written as alternative labels",
            )  # fmt: skip
        )
    version = ontology.metadata.data_version
    release = _RELEASE.search(version or "")
    return ParsedFile(
        path=path,
        graph=graph,
        format="aio",
        records=[],
        records_read=len(terms),
        skipped=skipped,
        notes=notes,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        publisher=PUBLISHER,
        language="en",
        concepts=concepts,
        version=version,
        issued=release.group(1) if release else None,
    )


_TERM_IDS = re.compile(r"^\[Term\]\s*\nid:\s*(\S+)", re.MULTILINE)


def _expand(curie: str, idspaces: dict[str, str]) -> str | None:
    if re.match(r"^https?://", curie):
        return curie
    prefix, _, local = curie.partition(":")
    base = idspaces.get(prefix)
    return f"{base}{local}" if base and local else None


def parse_sssom(path: Path, graph: str, text: str) -> ParsedFile:
    header = [line for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    curies = _curie_map(header)
    rows = list(csv.DictReader(io.StringIO(body), delimiter="\t"))
    if not rows or not {"subject_id", "predicate_id", "object_id"} <= set(rows[0]):
        raise ImportFailed(
            f"{path}: expected an SSSOM table (columns subject_id, predicate_id, object_id)"
        )
    first = len(header) + 2  # the line of the first row: after the comments and the header
    mappings: list[Mapping] = []
    skipped: list[Skipped] = []
    for number, row in enumerate(rows):
        where = Where(path, line=first + number)
        predicate = SKOS_MAPPINGS.get((row.get("predicate_id") or "").strip())
        if predicate is None:
            skipped.append(
                Skipped(str(where), f"predicate {row.get('predicate_id')!r} is not a SKOS mapping")
            )
            continue
        subject = _expand_sssom((row.get("subject_id") or "").strip(), curies)
        obj = _expand_sssom((row.get("object_id") or "").strip(), curies)
        if subject is None or obj is None:
            skipped.append(Skipped(str(where), "a side is not an IRI or a known CURIE"))
            continue
        mappings.append(Mapping(where, subject, predicate, obj))
    return ParsedFile(
        path=path,
        graph=graph,
        format="sssom",
        records=[],
        records_read=len(rows),
        skipped=skipped,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        publisher=PUBLISHER,
        mappings=mappings,
    )


def _curie_map(header: list[str]) -> dict[str, str]:
    curies: dict[str, str] = {}
    for line in header:
        match = re.match(r"^#\s+([A-Za-z_][\w.-]*):\s+(\S+)\s*$", line)
        if match and match.group(2).startswith(("http://", "https://")):
            curies[match.group(1)] = match.group(2)
    curies["cso"] = CSO_TOPICS  # the file's curie_map has a placeholder for CSO
    return curies


def _expand_sssom(value: str, curies: dict[str, str]) -> str | None:
    if _SAFE_URL.match(value):
        return value
    prefix, _, local = value.partition(":")
    base = curies.get(prefix)
    if base and local and _SAFE_URL.match(base + local):
        return base + local
    return None


def attach_mappings(
    ctx: Context, builder: GraphBuilder, pf: ParsedFile, batch: dict[str, str]
) -> list[Skipped]:
    """State each mapping on the resource whose ``skos:exactMatch`` is one of its sides (in
    the store or in this import's ``batch``: key -> IRI), pointing to the other side."""
    if not pf.mappings:
        return []
    sides = sorted({m.subject for m in pf.mappings} | {m.object for m in pf.mappings})
    known: dict[str, set[str]] = {key: {iri} for key, iri in batch.items()}
    query = ctx.queries["import-exact-matches"]
    for start in range(0, len(sides), 100):
        result = ctx.store.select(query.bind(match=sides[start : start + 100]))
        for row in result.rows:
            if str(row["graph"]) not in builder.replaced:
                known.setdefault(str(row["match"]), set()).add(str(row["resource"]))
    g = builder.graph(pf.graph)
    skipped: list[Skipped] = []
    for mapping in pf.mappings:
        written = False
        for side, other in ((mapping.subject, mapping.object), (mapping.object, mapping.subject)):
            for resource in sorted(known.get(side, ())):
                g.add((URIRef(resource), mapping.predicate, URIRef(other)))
                written = True
        if not written:
            skipped.append(
                Skipped(
                    str(mapping.where), "neither side is the exactMatch of a concept in the store"
                )
            )
    return skipped
