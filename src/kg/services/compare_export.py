"""A comparison as files: CSV and JSON that keep every IRI, DOI and link, and Markdown in
the format of the seed exports; and the digest a citable permalink carries."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from kg.services.compare import Cell, Comparison, Value

DIFF_MARK = "≠"
REMOVE_MARK = "×"
LINK_TEXT = {"doi": "DOI ↗", "link": "link ↗"}


def cell_text(cell: Cell) -> str:
    """A cell as the seed pages print it, with ``link ↗`` / ``DOI ↗`` for source links."""
    if cell.kind == "source":
        parts = []
        for value in cell.values:
            text = value.text
            if value.link is not None:
                text += " " + LINK_TEXT[value.link.kind]
            parts.append(text)
        return "; ".join(parts)
    return cell.text


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def comparison_markdown(
    comparison: Comparison, *, title: str, subtitle: str, dataset_link: str
) -> str:
    """The comparison in the seed export format (title, subtitle, table, dataset line)."""
    lines = [title, subtitle]
    header = "".join(f"| {_md(m.label)}{REMOVE_MARK} " for m in comparison.methods)
    lines.append(header + "| |")
    lines.append("|---" * (len(comparison.methods) + 1) + "|")
    for row in comparison.rows:
        label = row.definition.label + (DIFF_MARK if row.differs else "")
        cells = "".join(f" {_md(cell_text(c))} |" for c in row.cells)
        lines.append(f"| {_md(label)} |{cells}")
    lines.append(f"| {_md(dataset_link)} ↗ |")
    lines.append("|")
    lines.append("|")
    return "\n".join(lines)


def full_text(cell: Cell) -> str:
    """A cell with everything it holds: each value's text, then its IRI and its DOI or
    landing page in angle brackets; a count before the related methods it counts."""
    parts = [_value_text(v) for v in cell.values]
    if cell.kind == "count":
        return f"{cell.count}: " + "; ".join(parts) if parts else str(cell.count)
    return (", " if cell.kind == "list" else "; ").join(parts)


def _value_text(value: Value) -> str:
    text = value.text
    if value.iri:
        text += f" <{value.iri}>"
    if value.link is not None:
        text += f" <{value.link.href}>"
    return text


def comparison_csv(comparison: Comparison) -> str:
    """The table with a second header row of the methods' IRIs; cells as ``full_text``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["", *(m.label for m in comparison.methods), "differs"])
    writer.writerow(["IRI", *(m.iri for m in comparison.methods), ""])
    for row in comparison.rows:
        writer.writerow(
            [
                row.definition.label,
                *(full_text(c) for c in row.cells),
                "yes" if row.differs else "no",
            ]
        )
    return out.getvalue()


def comparison_data(comparison: Comparison) -> dict[str, Any]:
    """The comparison as plain JSON data: methods, rows and every value's IRI and link."""

    def value(v: Value) -> dict[str, Any]:
        item: dict[str, Any] = {"text": v.text}
        if v.lang:
            item["lang"] = v.lang
        if v.iri:
            item["iri"] = v.iri
        if v.link is not None:
            item["doi" if v.link.kind == "doi" else "url"] = v.link.href
        return item

    return {
        "lang": comparison.lang,
        "methods": [{"id": m.id, "iri": m.iri, "label": m.label} for m in comparison.methods],
        "rows": [
            {
                "property": row.definition.property,
                "label": row.definition.label,
                "differs": row.differs,
                "cells": [
                    {"kind": c.kind, "values": [value(v) for v in c.values]}
                    | ({"count": c.count} if c.kind == "count" else {})
                    for c in row.cells
                ],
            }
            for row in comparison.rows
        ],
    }


def comparison_json(comparison: Comparison, *, version: str, permalink: str) -> str:
    data = {"data_version": version, "permalink": permalink, **comparison_data(comparison)}
    return json.dumps(data, ensure_ascii=False, indent=2)


def comparison_digest(comparison: Comparison) -> str:
    """A short digest of what the comparison compares (IRIs, year ranges, texts in its
    language), so that a permalink can tell later whether these methods' data changed."""
    keys = [
        [m.iri for m in comparison.methods],
        [[row.definition.property, [_canonical(c.key) for c in row.cells]]
         for row in comparison.rows],
    ]  # fmt: skip
    text = json.dumps(keys, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(key: object) -> object:
    """A cell's comparison key in a stable form (a set's order changes between processes)."""
    if isinstance(key, frozenset | set):
        return sorted(repr(_canonical(k)) for k in key)
    if isinstance(key, tuple):
        return [_canonical(k) for k in key]
    return key if isinstance(key, int | str) or key is None else repr(key)
