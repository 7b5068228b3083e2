"""The EDAM ontology's operations and topics (``EDAM.tsv`` of the PyPI package
``edam-ontology``, read from the installed package, never fetched).

Each row is an EDAM class (``Class ID``). Mapping:

- **operations** (``…/operation_NNNN``) become methods: ``Preferred Label`` the English
  label, exact synonyms (``oboInOwl#hasExactSynonym``) ``skos:altLabel`` (not matched
  with stored methods' names: a curated method's alias such as "local sequence alignment"
  names the Smith–Waterman algorithm, not EDAM's operation; broad, narrow and related
  synonyms are other names and are left out), the definition
  (``oboInOwl#hasDefinition``) the summary, ``Parents`` that are imported operations
  ``kg:broaderMethod`` (a directed hierarchy), the EDAM IRI ``skos:exactMatch``; the field is
  EDAM's topic *Bioinformatics* (the TSV states no topic of an operation);
- **topics** (``…/topic_NNNN``) become fields (``kg:Field``, also in ``scheme/edam-topics``),
  the field of the same label when the store has one, with their exact synonyms as
  ``skos:altLabel``, definition as ``skos:definition``, ``Parents`` as ``skos:broader``;
- obsolete classes, the two roots (*Operation*, *Topic*) and the other branches (data,
  formats) are skipped and counted by reason.

Licence CC BY-SA 4.0 (the package's code is MIT), credited in the import's provenance.
"""

from __future__ import annotations

import csv
import io
from importlib import metadata, resources
from pathlib import Path

from rdflib import Literal

from kg.namespaces import KG
from kg.services.imports.model import (
    ConceptName,
    ConceptRecord,
    ImportFailed,
    MethodRecord,
    ParsedFile,
    Skipped,
    Where,
)

LICENCE = "https://creativecommons.org/licenses/by-sa/4.0/"
ATTRIBUTION = "EDAM ontology (edamontology.org), CC BY-SA 4.0"
PUBLISHER = "EDAM ontology (edamontology.org)"
PACKAGE = "edam-ontology"
EDAM = "http://edamontology.org/"
ROOTS = {f"{EDAM}operation_0004": "Operation", f"{EDAM}topic_0003": "Topic"}
FIELD_TOPIC = f"{EDAM}topic_0091"
"""Bioinformatics: the field of every operation."""
SCHEME = "edam-topics"
EXACT = "http://www.geneontology.org/formats/oboInOwl#hasExactSynonym"
DEFINITION = "http://www.geneontology.org/formats/oboInOwl#hasDefinition"
REQUIRED = ("Class ID", "Preferred Label", "Obsolete", "Parents")


def edam_tsv() -> Path:
    """``EDAM.tsv`` inside the installed ``edam-ontology`` package."""
    path = Path(str(resources.files("edam_ontology") / "EDAM.tsv"))
    if not path.is_file():
        raise ImportFailed(f"the {PACKAGE} package has no EDAM.tsv (looked at {path.name})")
    return path


def package_version() -> str | None:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def parse_edam(path: Path, graph: str, text: str) -> ParsedFile:
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    if not rows or not set(REQUIRED) <= set(rows[0]):
        raise ImportFailed(f"{path}: expected EDAM.tsv (columns {', '.join(REQUIRED)})")
    skipped: list[Skipped] = []
    operations: dict[str, tuple[Where, dict[str, str]]] = {}
    topics: dict[str, tuple[Where, dict[str, str]]] = {}
    for number, row in enumerate(rows, start=2):
        where = Where(path, line=number)
        iri = (row.get("Class ID") or "").strip()
        branch = iri[len(EDAM) :].split("_")[0] if iri.startswith(EDAM) else ""
        if branch not in ("operation", "topic"):
            skipped.append(Skipped(str(where), "not an operation or a topic (data, format, …)"))
        elif (row.get("Obsolete") or "").strip().upper() == "TRUE":
            skipped.append(Skipped(str(where), f"obsolete {branch}"))
        elif iri in ROOTS:
            skipped.append(Skipped(str(where), f"root class {ROOTS[iri]!r}"))
        elif not (row.get("Preferred Label") or "").strip():
            skipped.append(Skipped(str(where), f"{branch} without a label"))
        else:
            (operations if branch == "operation" else topics)[iri] = (where, row)

    concepts: list[ConceptRecord] = []
    for iri, (where, row) in topics.items():
        concept = ConceptRecord(
            where=where,
            cls=KG.Field,
            key=iri,
            label=Literal(row["Preferred Label"].strip(), lang="en"),
            scheme=SCHEME,
        )
        concept.alt_labels = _exact_synonyms(row)
        definitions = _split(row.get(DEFINITION))
        if definitions:
            concept.definition = Literal(definitions[0], lang="en")
        concept.broader_keys = [p for p in _split(row.get("Parents")) if p in topics]
        concepts.append(concept)
    if FIELD_TOPIC not in topics:
        raise ImportFailed(
            f"{path}: no topic {FIELD_TOPIC} (Bioinformatics), the operations' field"
        )
    field = ConceptName(Literal(topics[FIELD_TOPIC][1]["Preferred Label"].strip(), lang="en"))

    records: list[MethodRecord] = []
    for iri, (where, row) in operations.items():
        record = MethodRecord(where=where, graph=graph, key=iri)
        record.labels.append(Literal(row["Preferred Label"].strip(), lang="en"))
        record.alt_labels = _exact_synonyms(row)
        record.fields.append(field)
        definitions = _split(row.get(DEFINITION))
        if definitions:
            record.summary.append(Literal(definitions[0], lang="en"))
        record.broader_keys = [p for p in _split(row.get("Parents")) if p in operations]
        record.exact_matches.append(iri)
        records.append(record)
    version = package_version()
    return ParsedFile(
        path=path,
        graph=graph,
        format="edam",
        records=records,
        records_read=len(rows),
        skipped=skipped,
        licence=LICENCE,
        attribution=ATTRIBUTION,
        publisher=PUBLISHER,
        language="en",
        concepts=concepts,
        version=f"{PACKAGE} {version}" if version else None,
    )


def _exact_synonyms(row: dict[str, str]) -> list[Literal]:
    label = row["Preferred Label"].strip()
    return [Literal(s, lang="en") for s in dict.fromkeys(_split(row.get(EXACT))) if s != label]
