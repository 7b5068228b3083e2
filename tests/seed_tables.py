"""Reading the table of a seed comparison export (../shared/seeds/*.txt) for tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SeedTable:
    title: str
    subtitle: str
    headers: list[str]  # method labels, without the × control
    rows: list[tuple[str, bool, list[str]]]  # (row label, marked ≠, cell texts)


def read_seed(path: Path) -> SeedTable:
    lines = path.read_text(encoding="utf-8").split("\n")
    title, subtitle = lines[0], lines[1]
    table = [line for line in lines[2:] if line.startswith("|")]
    headers = [c.strip().removesuffix("×") for c in table[0].strip("|").split(" | ")]
    headers = [h for h in headers if h.strip()]
    rows = []
    for line in table[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) < 2:
            continue  # the dataset line and the trailing add-column cells
        label = cells[0]
        rows.append((label.removesuffix("≠"), label.endswith("≠"), cells[1:]))
    return SeedTable(title, subtitle, headers, rows)
