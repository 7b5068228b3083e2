"""Issue 15 (d): the default catalogue is built in one fixed, documented order (later imports
build on earlier ones: data/external/README.md); re-imports in any order add nothing
(tests/test_default_catalogue.py)."""

from __future__ import annotations

from kg.config import PROJECT_ROOT
from kg.services.default_catalogue import SOURCES


def test_the_default_sources_are_imported_in_the_documented_order() -> None:
    assert [fmt for _, fmt, _ in SOURCES] == ["pwc", "epoch", "aio", "sssom", "edam"]
    readme = (PROJECT_ROOT / "data" / "external" / "README.md").read_text(encoding="utf-8")
    assert "**The build order is fixed**" in readme
    assert "Code, Epoch AI, AIO, the AIO–CSO mappings and EDAM, in that order" in readme
