"""Build hook: what the wheel carries beside the code, from the checkout's single sources.

- ``ontology/``, ``queries/`` and ``data/`` go into the package as ``kg/_bundle/…`` (the
  settings' defaults look there first: ``kg.config.resource_dir``);
- the npm packages' built assets the pages load (YASGUI, KaTeX, Cytoscape.js) with their
  licence files go into ``kg/_bundle/assets/…`` (``kg.config.asset_dir``); they come from
  ``node_modules/`` (``npm ci``), so a checkout must have run it before building;
- the message catalogues are compiled to ``.mo`` next to their ``.po``.

The sdist carries the same sources and assets at their checkout paths, so that a wheel
built from it (what ``python -m build`` does) needs neither git nor npm.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCES = ("ontology", "queries", "data")
# npm package -> (its folder, the files the service serves or must credit)
ASSETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "yasgui": (
        "node_modules/@zazuko/yasgui",
        ("package.json", "build/yasgui.min.js", "build/yasgui.min.css"),
    ),
    "katex": (
        "node_modules/katex",
        ("package.json", "LICENSE", "dist/katex.min.js", "dist/katex.min.css", "dist/fonts"),
    ),
    "cytoscape": ("node_modules/cytoscape", ("package.json", "LICENSE", "dist/cytoscape.min.js")),
}
TRANSLATIONS = Path("src/kg/web/translations")


class AssetsMissing(RuntimeError):
    pass


class BundleHook(BuildHookInterface):  # type: ignore[type-arg]  # generic in hatchling
    PLUGIN_NAME = "kg-bundle"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return  # an editable install reads the checkout itself
        root = Path(self.root)
        include: dict[str, str] = build_data["force_include"]
        for name, (folder, files) in ASSETS.items():
            for relative in files:
                source = root / folder / relative
                if not source.exists():
                    raise AssetsMissing(
                        f"{source} is missing: run `npm ci` (or `make install`) before "
                        "building, so that the package carries the front-end assets"
                    )
                if self.target_name == "sdist":
                    include[str(source)] = f"{folder}/{relative}"
                else:
                    target = (
                        Path(relative).name
                        if relative.startswith(("build/", "dist/"))
                        else relative
                    )
                    include[str(source)] = f"kg/_bundle/assets/{name}/{target}"
        if self.target_name != "wheel":
            return
        for name in SOURCES:
            include[str(root / name)] = f"kg/_bundle/{name}"
        compiled = Path(tempfile.mkdtemp(prefix="kg-mo-"))
        for po_path in sorted((root / TRANSLATIONS).glob("*/LC_MESSAGES/*.po")):
            relative = po_path.relative_to(root / "src").with_suffix(".mo")
            mo_path = compiled / relative
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file, mo_path.open("wb") as mo_file:
                write_mo(mo_file, read_po(po_file))
            include[str(mo_path)] = str(relative)
