"""Copies of a store built once, for tests that share an expensive set-up.

A kg store directory is a ``current`` link to one of its ``snapshots/`` (a pyoxigraph
database that nothing changes once it is published: a write makes a new snapshot) and the
search index of each snapshot (``search/<snapshot>.sqlite``). So the current snapshot and
its index can be copied while the store is open for reading, and the copy is a store of its
own: what a test writes into it changes nothing another test reads.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kg.config import Settings
from kg.services.context import Context


def copy_store(source: Path, destination: Path) -> Path:
    """Copy the current snapshot of the store at ``source`` (and its search index, when
    built) into the new store directory ``destination``."""
    version = os.readlink(source / "current").rsplit("/", 1)[-1]
    destination.mkdir(parents=True)
    shutil.copytree(source / "snapshots" / version, destination / "snapshots" / version)
    index = source / "search" / f"{version}.sqlite"
    if index.is_file():
        (destination / "search").mkdir()
        shutil.copy2(index, destination / "search" / index.name)
    os.symlink(f"snapshots/{version}", destination / "current")
    return destination


def open_copy(source: Path, destination: Path, **settings: int | str) -> Context:
    """A context on a copy of the store at ``source`` (``settings`` as Settings.from_env's)."""
    copy_store(source, destination)
    return Context.from_settings(Settings.from_env({}, store=str(destination), **settings))
