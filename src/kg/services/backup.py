"""Backups of the store, and restoring one: both consistent, the restore atomic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.services.context import Context
from kg.services.search import refresh_after_write


@dataclass(frozen=True)
class BackupReport:
    destination: Path
    version: str
    quads: int


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    version_before: str
    version: str
    quads_before: int
    quads: int


def backup_store(ctx: Context, destination: Path) -> BackupReport:
    """Copy the store's current snapshot into the new directory ``destination``."""
    quads = ctx.store.quad_count()
    version = ctx.store.backup(destination)
    return BackupReport(destination, version, quads)


def restore_store(ctx: Context, source: Path) -> RestoreReport:
    """Publish the backup at ``source`` as a new snapshot: running services switch to it at
    their next request, and the previous snapshot stays on disk for a while."""
    before, quads_before = ctx.store.version(), ctx.store.quad_count()
    version = ctx.store.restore(source)
    refresh_after_write(ctx)
    return RestoreReport(source, before, version, quads_before, ctx.store.quad_count())
