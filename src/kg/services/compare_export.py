"""A comparison as files: CSV, and Markdown in the format of the seed exports."""

from __future__ import annotations

import csv
import io

from kg.services.compare import Cell, Comparison

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


def comparison_csv(comparison: Comparison) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["", *(m.label for m in comparison.methods), "differs"])
    for row in comparison.rows:
        writer.writerow(
            [
                row.definition.label,
                *(cell_text(c) for c in row.cells),
                "yes" if row.differs else "no",
            ]
        )
    return out.getvalue()
