"""Extracting the comparison table from the HTML page, as the seed exports show it."""

from __future__ import annotations

from html.parser import HTMLParser

from kg.services.compare_export import LINK_TEXT
from tests.seed_tables import SeedTable

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _CompareTableParser(HTMLParser):
    """Header labels, and per row: label, ≠ mark, cell texts (links as their text).

    A source's hyperlink (``a.source-link``, labelled in the UI language) is read as the
    seed exports write a hyperlink: ``link ↗`` or ``DOI ↗`` (``compare_export.LINK_TEXT``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_table = self.in_head = False
        self.skip_depth = 0  # inside elements whose text is not shown (e.g. screen-reader text)
        self.cell: list[str] | None = None
        self.cell_tag = ""
        self.cell_class = ""
        self.row: list[tuple[str, str]] = []
        self.head: list[tuple[str, str]] = []
        self.rows: list[list[tuple[str, str]]] = []
        self.title = self.subtitle = ""
        self._capture: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "table" and "compare" in classes:
            self.in_table = True
        if tag == "h1" and not self.title:
            self._capture = "title"
        if tag == "p" and "subtitle" in classes:
            self._capture = "subtitle"
        if not self.in_table or tag in VOID:
            return
        if tag == "thead":
            self.in_head = True
        if self.skip_depth or "visually-hidden" in classes or tag in ("form", "ul"):
            self.skip_depth += 1
            return
        if tag == "a" and "source-link" in classes and self.cell is not None:
            self.cell.append(LINK_TEXT[dict(attrs).get("data-kind") or "link"])
            self.skip_depth += 1
            return
        if tag in ("th", "td"):
            self.cell, self.cell_tag, self.cell_class = [], tag, classes
        if tag == "tr":
            self.row = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "p"):
            self._capture = None
        if not self.in_table:
            return
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag in ("th", "td") and self.cell is not None:
            self.row.append((" ".join("".join(self.cell).split()), self.cell_class))
            self.cell = None
        elif tag == "tr":
            if self.in_head:
                self.head = self.row
            else:
                self.rows.append(self.row)
        elif tag == "thead":
            self.in_head = False
        elif tag == "table":
            self.in_table = False

    def handle_data(self, data: str) -> None:
        if self._capture == "title":
            self.title += data
        elif self._capture == "subtitle":
            self.subtitle += data
        if self.in_table and self.cell is not None and not self.skip_depth:
            self.cell.append(data)


def read_compare_page(html: str) -> SeedTable:
    """The page's table in the shape ``read_seed`` gives for a seed export."""
    parser = _CompareTableParser()
    parser.feed(html)
    headers = [text.removesuffix("×") for text, cls in parser.head if "method" in cls]
    rows = []
    for row in parser.rows:
        (label, _), *cells = [(t, c) for t, c in row if "add" not in c]
        rows.append((label.removesuffix("≠"), label.endswith("≠"), [t for t, _ in cells]))
    return SeedTable(parser.title.strip(), parser.subtitle.strip(), headers, rows)
