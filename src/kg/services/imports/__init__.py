"""Importers: comparison-page exports (seed), Papers with Code, Epoch AI.

Every importer turns its input into format-neutral method records
(:mod:`kg.services.imports.model`); :mod:`kg.services.imports.build` merges them with the
store and builds one graph per file; :func:`import_files` validates the result with the
SHACL shapes and writes it in one all-or-nothing step.
"""

from __future__ import annotations

from kg.services.imports.model import ImportFailed
from kg.services.imports.service import FORMATS, ImportReport, import_files

__all__ = ["FORMATS", "ImportFailed", "ImportReport", "import_files"]
