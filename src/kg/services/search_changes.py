"""What a write changed, as the search index needs to know it.

A write of named graphs (``kg import``, the graph store protocol at ``/store``) is wrapped
in ``tracking``: after it, the library queries ``search-graph-subjects.rq`` (the graphs'
resources) and ``search-affected.rq`` (the methods whose search documents read them, and
the fields and families among them) run on the snapshot before the write and on the one it
published, and what they find is recorded in ``KG_SEARCH_DIR/<version>.changes.json``.
The index of that version is then made from the previous version's index by
``kg.search.update`` for those methods and concepts only, following the records back
through versions whose index was never built. Without a record (a SPARQL update, a write
to the default graph, a restore), when a field or family moved in the hierarchy or was
removed, or when more than ``INCREMENTAL_LIMIT`` methods changed, the index is built anew.

On a remote engine (``Store.keeps_change_records``) the records live on the engine, so
that the web workers of every machine update their own index from them: the engine keeps
no earlier version to query, so what the graphs held is read before the write; the
engine's swap leaves a receipt of the version it replaced (``Store.last_write``), and a
record is written only when that is the version read before, so that it describes exactly
that write. A remote write whose change is not known leaves an empty record
(``RemoteStore.update``, ``mark_changed``, a write that lost a race): other machines then
build anew without waiting for one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from kg.queries import MAX_VALUES_PER_PARAMETER
from kg.services.context import Context
from kg.store import StoreError

log = logging.getLogger(__name__)

SUFFIX = ".changes.json"
LOCK = "records.lock"
INCREMENTAL_LIMIT = 5_000
"""Most methods an index update takes; beyond, a full build (it reads every method anyway)."""
MAX_CHAIN = 20
"""Most records followed back to an index that exists."""
KEEP_RECORDS = 50
RECORD_WAIT = 5.0
"""Seconds a machine serving a remote engine waits for the record of a version it has just
seen (the writer records it right after publishing) before building its index anew."""
MAX_SUBJECTS = 5_000
"""Most resources a write's graphs may describe for a change record (``search-graph-subjects.rq``
stops one beyond); more, and the index is built anew."""


class TooManyChanges(Exception):
    """A write changed too much for an index update: no record, a full build."""


@dataclass(frozen=True)
class Change:
    before: str
    after: str
    methods: frozenset[str]
    """The methods and people to re-index."""
    concepts: frozenset[str]
    """The fields and families whose labels, aliases or broader ones may differ."""


def touched(ctx: Context, graphs: Sequence[str], *, version: str) -> tuple[set[str], set[str]]:
    """The methods whose search documents read what ``graphs`` hold in snapshot ``version``
    and the people they describe (to re-index), and the fields and families they describe
    (two steps: the graphs' resources, then
    what reads them, each a lookup the engine starts from the given terms)."""
    subjects: set[str] = set()
    for chunk in _chunks(graphs):
        query = ctx.queries["search-graph-subjects"].bind(graph=chunk)
        subjects.update(row[0] for row in ctx.store.select_rows(query, version=version))
        if len(subjects) > MAX_SUBJECTS:
            raise TooManyChanges(f"more than {MAX_SUBJECTS} resources")
    methods: set[str] = set()
    concepts: set[str] = set()
    for chunk in _chunks(sorted(subjects)):
        query = ctx.queries["search-affected"].bind(subject=chunk)
        for method, concept, person in ctx.store.select_rows(query, version=version):
            methods.update(filter(None, (method, person)))  # both are re-indexed by IRI
            if concept:
                concepts.add(concept)
    return methods, concepts


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), MAX_VALUES_PER_PARAMETER):
        yield list(values[start : start + MAX_VALUES_PER_PARAMETER])


def record_path(ctx: Context, version: str) -> Path:
    return ctx.settings.search_path / f"{version}{SUFFIX}"


@contextmanager
def _records_lock(ctx: Context, mode: int) -> Iterator[None]:
    directory = ctx.settings.search_path
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK, "w") as lock:
        fcntl.flock(lock, mode)
        yield


@contextmanager
def settled(ctx: Context) -> Iterator[None]:
    """No tracked write is between publishing its snapshot and recording its change while
    the block runs (an index build decides there whether a record lets it update)."""
    with _records_lock(ctx, fcntl.LOCK_SH):
        yield


@contextmanager
def tracking(ctx: Context, graphs: Sequence[str]) -> Iterator[None]:
    """Record what the write in the block changed of named ``graphs`` (nothing when it
    fails, publishes nothing, or the store cannot say which version it changed). Index
    builds wait (``settled``) until the record is written: the snapshot is new for a few
    milliseconds without it."""
    with ExitStack() as stack:
        try:
            stack.enter_context(_records_lock(ctx, fcntl.LOCK_EX))
        except OSError as exc:  # no search directory to write in: the write goes unrecorded
            log.warning("writes are not recorded for the search index: %s", exc)
            yield
            return
        earlier = ctx.store.last_write()
        prior = None if ctx.store.keeps_old_versions else _prior(ctx, graphs)
        yield
        _record(ctx, graphs, earlier, prior)


Prior = tuple[str, set[str], set[str]]
"""(version, methods, concepts) that ``touched`` found before a write."""


def _prior(ctx: Context, graphs: Sequence[str]) -> Prior | None:
    """What ``graphs`` touch before the write, on a store that keeps no earlier version."""
    if not graphs:
        return None
    try:
        version = ctx.store.version(fresh=True)
        return (version, *touched(ctx, graphs, version=version))
    except (StoreError, TooManyChanges) as exc:
        log.info("the write will leave no change record (%s): its index is built anew", exc)
    except Exception:  # noqa: BLE001 - the write goes on whatever happens here
        log.exception("the write will leave no change record: its index is built anew")
    return None


def _record(
    ctx: Context, graphs: Sequence[str], earlier: tuple[str, str] | None, prior: Prior | None
) -> None:
    written = ctx.store.last_write()
    if written is None or written == earlier:
        return
    before, after = written
    try:
        if not graphs:
            raise TooManyChanges("a write to the default graph")
        if ctx.store.keeps_old_versions:
            old_methods, old_concepts = touched(ctx, graphs, version=before)
        elif prior is None or prior[0] != before:
            raise TooManyChanges("what the graphs held before is not known")
        else:
            _, old_methods, old_concepts = prior
        new_methods, new_concepts = touched(ctx, graphs, version=after)
    except (StoreError, TooManyChanges) as exc:  # a snapshot pruned meanwhile; a bulk load
        log.info("no change record for %s (%s): its index is built anew", after, exc)
        _record_unknown(ctx, after)
        return
    except Exception:  # noqa: BLE001 - the write stands whatever happens here
        log.exception("no change record for %s: its index is built anew", after)
        _record_unknown(ctx, after)
        return
    change = Change(
        before, after, frozenset(old_methods | new_methods), frozenset(old_concepts | new_concepts)
    )
    try:
        write_record(ctx, change)
    except (OSError, StoreError) as exc:  # the write stands; its index is built anew
        log.warning("could not record the change of %s: %s", after, exc)


def _record_unknown(ctx: Context, version: str) -> None:
    """On a remote engine: say that the change of ``version`` is not known, so that other
    machines build its index anew without waiting for a record."""
    if not ctx.store.keeps_change_records:
        return
    try:
        ctx.store.put_record(version, {})
    except StoreError as exc:
        log.warning("could not record that the change of %s is not known: %s", version, exc)


def write_record(ctx: Context, change: Change) -> None:
    fields = {"before": [change.before], "after": [change.after],
              "concepts": sorted(change.concepts), "methods": sorted(change.methods)}  # fmt: skip
    if ctx.store.keeps_change_records:
        ctx.store.put_record(change.after, fields)
        return
    directory = ctx.settings.search_path
    directory.mkdir(parents=True, exist_ok=True)
    target = record_path(ctx, change.after)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    data = {key: values[0] if key in ("before", "after") else values
            for key, values in fields.items()}  # fmt: skip
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, target)


def read_record(ctx: Context, version: str) -> Change | None:
    """The record of the write that made ``version``; None when there is none or it says
    the change is not known."""
    if ctx.store.keeps_change_records:
        try:
            fields = ctx.store.record(version)
        except StoreError:
            return None
        if not fields or "before" not in fields:
            return None
        return Change(
            fields["before"][0], version, frozenset(fields.get("methods", ())),
            frozenset(fields.get("concepts", ())),
        )  # fmt: skip
    try:
        data = json.loads(record_path(ctx, version).read_text(encoding="utf-8"))
        return Change(
            str(data["before"]), str(data["after"]), frozenset(data["methods"]),
            frozenset(data["concepts"]),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def await_record(ctx: Context, version: str, seconds: float = RECORD_WAIT) -> None:
    """On a remote engine, wait at most ``seconds`` for the record of ``version`` (the
    writer puts it there right after publishing), or for an empty one saying the change is
    not known."""
    if not ctx.store.keeps_change_records:
        return
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ctx.store.record(version) is not None:
                return
        except StoreError:
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(0.2)


def incremental_source(ctx: Context, version: str) -> Change | None:
    """The change from a version whose index exists to ``version`` (the records since
    joined), whose index is made from it; None when it must be built anew."""
    methods: frozenset[str] = frozenset()
    concepts: frozenset[str] = frozenset()
    current = version
    for _ in range(MAX_CHAIN):
        change = read_record(ctx, current)
        if change is None or change.after != current:
            return None
        methods |= change.methods
        concepts |= change.concepts
        if len(methods) > INCREMENTAL_LIMIT:
            return None
        if (ctx.settings.search_path / f"{change.before}.sqlite").exists():
            return Change(change.before, version, methods, concepts)
        current = change.before
    return None


def kept_records(directory: Path) -> set[str]:
    """The file names of the newest records (the others are removed with old indexes)."""
    records = sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
    return {p.name for p in records[-KEEP_RECORDS:]}
