"""The distribution (issue 19): `python -m build` makes an sdist and a wheel that hold
everything the service needs; installed from the wheel into a fresh virtual environment, with
the checkout hidden, kg loads the default catalogue and serves its pages, editor and math.

The checkout is hidden by mounting an empty tmpfs over it in a private mount namespace
(``unshare``, as root); where the kernel refuses that, the installed package's resolved
directories are still checked to lie outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kg import DISTRIBUTION, __version__
from kg.config import PROJECT_ROOT
from tests.served import fetch, free_port

TLDM = "transfer-learning-with-diffusion-models"
FTDM = "fine-tuned-diffusion-model"


@dataclass
class Installed:
    venv: Path
    home: Path
    hidden: bool

    def command(self, *args: str) -> list[str]:
        """``args`` run from the venv, with the checkout hidden when the kernel allows it."""
        program = [str(self.venv / "bin" / args[0]), *args[1:]]
        if not self.hidden:
            return program
        return [
            "unshare", "--mount", "--propagation", "private", "--",
            "sh", "-c", 'mount -t tmpfs kg-hidden "$0" && exec "$@"', str(PROJECT_ROOT),
            *program,
        ]  # fmt: skip

    def env(self, **settings: str) -> dict[str, str]:
        env = {
            "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "KG_STORE": str(self.home / "store"),
        }
        env.update({f"KG_{k.upper()}": v for k, v in settings.items()})
        return env

    def run(self, *args: str, **settings: str) -> str:
        done = subprocess.run(
            self.command(*args),
            cwd=self.home,
            env=self.env(**settings),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout


def _can_hide_checkout() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
         'mount -t tmpfs kg-hidden "$0" && test ! -e "$0/pyproject.toml"', str(PROJECT_ROOT)],
        capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    venv, home = root / "venv", root / "home"
    home.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    (wheel,) = dist.glob("*.whl")
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(venv, home, _can_hide_checkout())


def test_the_sdist_and_wheel_carry_the_single_sources_and_the_assets(dist: Path) -> None:
    (wheel,) = dist.glob(f"{DISTRIBUTION}-{__version__}-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for directory in ("ontology", "queries", "data"):
        shipped = {
            f"kg/_bundle/{p.relative_to(PROJECT_ROOT).as_posix()}"
            for p in (PROJECT_ROOT / directory).rglob("*")
            if p.is_file()
        }
        assert shipped and shipped <= names, sorted(shipped - names)[:5]
    assert {
        "kg/_bundle/assets/yasgui/yasgui.min.js",
        "kg/_bundle/assets/yasgui/package.json",
        "kg/_bundle/assets/katex/katex.min.js",
        "kg/_bundle/assets/katex/LICENSE",
        "kg/_bundle/assets/cytoscape/cytoscape.min.js",
        "kg/_bundle/assets/cytoscape/LICENSE",
        "kg/web/translations/th/LC_MESSAGES/messages.mo",
        "kg/web/translations/ja/LC_MESSAGES/messages.mo",
        "kg/web/templates/compare.html",
        "kg/py.typed",
    } <= names
    metadata = zipfile.ZipFile(wheel).read(f"{DISTRIBUTION}-{__version__}.dist-info/METADATA")
    text = metadata.decode()
    assert f"Name: {DISTRIBUTION}" in text
    assert "License-Expression: MIT AND CC-BY-4.0 AND CC-BY-SA-4.0" in text
    assert "Classifier: Intended Audience :: Science/Research" in text
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {
        "hatch_build.py",
        "ontology/kg.ttl",
        "queries/method-rows.rq",
        "node_modules/@zazuko/yasgui/build/yasgui.min.js",
        "node_modules/katex/dist/katex.min.js",
        "node_modules/cytoscape/dist/cytoscape.min.js",
        "LICENSE",
    } <= members


def test_the_installed_package_reads_nothing_of_the_checkout(installed: Installed) -> None:
    out = installed.run(
        "python", "-c",
        "import json, kg, kg.config as c; s = c.Settings.from_env(); print(json.dumps("
        "[kg.__file__, s.ontology_dir, s.queries_dir, s.data_dir, str(c.asset_dir('yasgui')),"
        " str(c.asset_dir('katex'))]))",
    )  # fmt: skip
    paths = [Path(p) for p in json.loads(out)]
    site = installed.venv.resolve()
    for path in paths:
        assert path.resolve().is_relative_to(site), path
        assert not path.resolve().is_relative_to(PROJECT_ROOT), path
    for path in paths[1:]:
        assert path.is_dir(), path


def test_version_names_the_package_and_the_ontology(installed: Installed) -> None:
    line = f"{DISTRIBUTION} {__version__} (ontology "
    assert installed.run("kg", "--version").startswith(line)
    assert installed.run("python", "-m", "kg", "--version").startswith(line)


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[str]:
    installed.run("kg", "load")
    port = free_port()
    log = installed.home / "serve.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            installed.command("kg", "serve"),
            cwd=installed.home,
            env=installed.env(port=str(port), workers="1"),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/health", timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"kg serve did not start: {log.read_text()}") from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_installed_service_serves_pages_editor_math_and_json_ld(served: str) -> None:
    page = fetch(f"{served}/compare?m={TLDM}&m={FTDM}&lang=th")
    assert page.status == 200
    assert "DreamBooth" in page.body.decode()
    assert 'lang="th"' in page.body.decode()

    editor = fetch(f"{served}/query?name=method-rows")
    assert editor.status == 200
    assert "/assets/yasgui/yasgui.min.js" in editor.body.decode()
    for asset, kind in (
        ("/assets/yasgui/yasgui.min.js", "javascript"),
        ("/assets/yasgui/yasgui.min.css", "css"),
        ("/assets/katex/katex.min.js", "javascript"),
    ):
        answer = fetch(served + asset)
        assert answer.status == 200 and kind in answer.headers["Content-Type"], asset

    document = fetch(f"{served}/method/ddpm", headers={"Accept": "application/ld+json"})
    assert document.status == 200
    assert document.headers["Content-Type"].startswith("application/ld+json")
    body = json.loads(document.body)
    assert "@context" in body
    assert "ddpm" in json.dumps(body)
    context = fetch(f"{served}/ontology/context.jsonld")
    assert context.status == 200 and "@context" in json.loads(context.body)
