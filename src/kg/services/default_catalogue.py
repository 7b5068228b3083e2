"""The default catalogue (``kg load`` without arguments, ``make run``): the curated
``data/*.ttl`` and the imports of the shipped sources in ``data/external/`` (Papers with
Code, Epoch AI, AIO and its CSO mappings) and of EDAM (from the ``edam-ontology`` package).

Importing a source again with the same file writes nothing (``ImportReport.unchanged``), so
building the default catalogue twice leaves the store as it was.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg.services.context import Context
from kg.services.imports.service import ImportReport, import_files
from kg.services.loading import LoadReport, load_files

EXTERNAL_DIR = "external"
SOURCES: tuple[tuple[str, str | None, str], ...] = (
    ("pwc_methods_2025-03.json", "pwc", "Papers with Code methods 2025-03"),
    ("epoch_all_ai_models_2025-04.csv", "epoch", "Epoch AI models 2025-04"),
    ("aio_2026-07-22.obo", "aio", "Artificial Intelligence Ontology 2026-07-22"),
    ("aio-to-cso.sssom.tsv", "sssom", "AIO to CSO mappings (SSSOM)"),
    ("EDAM.tsv", "edam", "EDAM operations and topics (edam-ontology package)"),
)
"""(file in data/external/, or EDAM.tsv from the package; format; name), in import order.
The order is fixed, and part of what the default catalogue is: the SSSOM mappings need the
AIO concepts in the store; Epoch AI's rows attach originators and ``kg:introducedWith`` to
the Papers with Code methods of the same paper; and the first import wins a single-valued
fact or a slug two sources claim (see ``data/external/README.md``). Re-importing any source
afterwards, in any order, writes nothing."""

Progress = Callable[[str], None]
_COUNTED = re.compile(r"^(\d+) row\(s\): (.+)$")


@dataclass
class SourceOutcome:
    name: str
    path: Path
    report: ImportReport

    def skipped_by_reason(self) -> Counter[str]:
        """Skipped records grouped by reason (a reader's own "N row(s): why" counts N)."""
        counts: Counter[str] = Counter()
        for skipped in self.report.skipped:
            match = _COUNTED.match(skipped.reason)
            if match:
                counts[match.group(2)] += int(match.group(1))
            else:
                counts[_reason(skipped.reason)] += 1
        return counts


@dataclass
class DefaultReport:
    load: LoadReport
    sources: list[SourceOutcome] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


def source_paths(ctx: Context) -> list[tuple[str, Path, str]]:
    """(format, path, name) of each default source that is there."""
    from kg.services.imports.edam import edam_tsv

    external = Path(ctx.settings.data_dir) / EXTERNAL_DIR
    found: list[tuple[str, Path, str]] = []
    for file, fmt, name in SOURCES:
        path = edam_tsv() if fmt == "edam" else external / file
        found.append((fmt or "", path, name))
    return found


def build_default(ctx: Context, progress: Progress | None = None) -> DefaultReport:
    """Load the curated files, then import each shipped source (an unchanged one writes
    nothing)."""
    started = time.monotonic()
    say = progress or (lambda _: None)
    say("loading the curated catalogue")
    result = DefaultReport(load=load_files(ctx, [Path(ctx.settings.data_dir)]))
    for fmt, path, name in source_paths(ctx):
        if not path.is_file():
            result.missing.append(name)
            continue
        say(f"importing {name}")
        result.sources.append(SourceOutcome(name, path, import_files(ctx, [path], format=fmt)))
    result.seconds = time.monotonic() - started
    return result


def import_sources(ctx: Context, order: list[str] | None = None) -> list[ImportReport]:
    """Import the default sources (by format, in ``order`` when given) without loading the
    curated files: what a test of re-imports runs."""
    chosen = source_paths(ctx)
    if order is not None:
        by_format = {fmt: (fmt, path, name) for fmt, path, name in chosen}
        chosen = [by_format[fmt] for fmt in order]
    return [import_files(ctx, [path], format=fmt) for fmt, path, _ in chosen if path.is_file()]


def _reason(text: str) -> str:
    """A skip reason without the identifier some readers put first (``aio:X: obsolete``)."""
    head, sep, tail = text.partition(": ")
    return tail if sep and " " not in head else text
