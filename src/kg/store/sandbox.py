"""Queries that can be stopped: each runs in a worker process that is killed at its deadline.

pyoxigraph 0.5.13's ``Store.query`` has no timeout and no cancellation, a thread cannot be
stopped, and ``signal.alarm`` fires only after the query returns. So public queries run in
worker processes (``python -m kg.store.sandbox STORE``) that open the store's current
snapshot read-only — published snapshots are immutable, so any number of processes may
read them — compute and serialize the whole answer, and send it back in one message. At
the deadline the worker gets SIGKILL and the caller an error; it never sees part of an
answer. A pool keeps idle workers warm and replaces killed ones in the background.

At most ``size`` queries run at once; a query that finds every worker busy waits a moment
(``busy_wait``) and is then refused (SandboxBusyError), so that a burst of expensive
queries cannot queue up behind each other until all of them time out. A worker that dies
while it runs a query (SIGSEGV in the engine's parser, the memory limit) takes only that
query with it: the caller gets QueryCrashedError, the pool starts a new worker.

Workers cannot fetch anything: each moves itself into a network namespace of its own (no
interfaces but a loopback that is down) before it opens the store, where the kernel
allows that (root, or unprivileged user namespaces; ``network_isolation()`` tells). Updates
run in a worker too (UpdateJob: the worker writes the new snapshot and publishes it), so
that neither SERVICE nor LOAD in an update can fetch anything either. The service refuses
SERVICE and LOAD before a query or update gets here in any case (kg.services.guards).

Messages on the worker's stdin and stdout are pickles with an 8-byte length prefix;
both ends are this module, started by this module, so pickle is safe here.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import os
import pickle
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kg.store.base import (
    NotAcceptableError,
    QueryDataset,
    QuerySyntaxError,
    ResultKind,
    SerializedResults,
    StoreError,
)


class QueryTimeoutError(StoreError):
    """The query did not finish before its deadline; its worker was killed."""


class SandboxBusyError(StoreError):
    """Every query worker stayed busy while the query waited for one."""


class QueryCrashedError(StoreError):
    """The worker died while it ran the query (a crash in the engine, the memory limit)."""


@dataclass(frozen=True)
class QueryJob:
    query: str
    formats: Mapping[ResultKind, str | None]
    dataset: QueryDataset | None = None
    base_iri: str | None = None
    max_rows: int | None = None
    prefixes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateJob:
    """Apply an update to the store (a new snapshot, published when the update succeeds)."""

    update: str
    base_iri: str | None = None


_HEADER = 8
WORKER_MEMORY_LIMIT = 2 << 30
"""Address space of a query worker, in bytes."""


def _write_message(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_HEADER, "big") + data)
    stream.flush()


class _Worker:
    def __init__(self, store_path: Path, *, isolate: bool) -> None:
        flags = ["--isolate-network"] if isolate else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.store.sandbox", str(store_path), *flags],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin: IO[bytes] = self.process.stdin
        self.fd = self.process.stdout.fileno()

    def ask(self, job: QueryJob | UpdateJob, deadline: float) -> Any:
        """Send a job and wait for its answer until ``deadline`` (time.monotonic)."""
        _write_message(self.stdin, job)
        size = int.from_bytes(self._read(_HEADER, deadline), "big")
        return pickle.loads(self._read(size, deadline))

    def _read(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        missing = size
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise QueryTimeoutError("deadline")
            chunk = os.read(self.fd, min(missing, 1 << 20))
            if not chunk:
                raise QueryCrashedError(self._how_it_ended())
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def _how_it_ended(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "it closed its output"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def kill(self) -> None:
        """SIGKILL, then reap in the background so the caller can answer at once."""
        try:
            self.process.kill()
        except OSError:
            pass
        threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self) -> None:
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


class SandboxPool:
    """Up to ``size`` query workers on the store at ``store_path``, ``warm`` of them kept
    idle and ready when possible; a query waits at most ``busy_wait`` seconds for a worker
    when all ``size`` are busy. ``isolate``: workers cut themselves off the network."""

    def __init__(
        self,
        store_path: Path | str,
        *,
        size: int,
        warm: int = 2,
        busy_wait: float = 1.0,
        isolate: bool = True,
    ) -> None:
        self.store_path = Path(store_path)
        self.size = max(1, size)
        self.warm = min(max(0, warm), self.size)
        self.busy_wait = busy_wait
        self.isolate = isolate
        self._idle: list[_Worker] = []
        self._count = 0
        self._starting = 0
        self._closed = False
        self._cond = threading.Condition()
        _POOLS.add(self)
        with self._cond:
            self._replenish()

    def run(self, job: QueryJob, timeout: float) -> SerializedResults:
        """The serialized answer, or QueryTimeoutError once ``timeout`` seconds have passed
        (waiting for a free worker included); SandboxBusyError when every worker stays busy;
        QueryCrashedError when the worker dies; QuerySyntaxError, NotAcceptableError as the
        store raises them.
        """
        payload = self._ask(job, timeout)
        assert isinstance(payload, SerializedResults)
        return payload

    def update(self, update: str, timeout: float, *, base_iri: str | None = None) -> None:
        """Apply ``update`` to the store in a worker: an update that crashes the engine
        crashes a worker, not the caller, and one that would fetch a URL finds no network
        (when the pool isolates). Raises as run(); a worker killed at the deadline leaves
        the store as it was (its snapshot is never published)."""
        self._ask(UpdateJob(update, base_iri), timeout)

    def _ask(self, job: QueryJob | UpdateJob, timeout: float) -> object:
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        try:
            status, payload = worker.ask(job, deadline)
        except QueryTimeoutError:
            self._discard(worker)
            raise QueryTimeoutError(
                f"the query did not finish within {timeout:g} s and was stopped"
            ) from None
        except QueryCrashedError as exc:
            self._discard(worker)
            raise QueryCrashedError(
                f"the query engine stopped while running this request ({exc}); it may nest "
                "too deeply, be too large, or need more than "
                f"{WORKER_MEMORY_LIMIT >> 30} GiB of memory"
            ) from None
        except (OSError, EOFError, pickle.UnpicklingError, StoreError):
            self._discard(worker)
            raise StoreError("the query worker failed; try again") from None
        self._release(worker)
        if status == "ok":
            return payload
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "not-acceptable":
            raise NotAcceptableError(payload)
        raise StoreError(str(payload))

    def _acquire(self, deadline: float) -> _Worker:
        busy_until = min(deadline, time.monotonic() + self.busy_wait)
        with self._cond:
            while not self._idle:
                if self._starting:  # a worker is on its way: wait for it, up to the deadline
                    limit, busy = deadline, False
                elif self._count < self.size:
                    break  # start one here
                else:
                    limit, busy = busy_until, True
                remaining = limit - time.monotonic()
                if remaining <= 0:
                    if busy:
                        raise SandboxBusyError(
                            f"all {self.size} query workers are busy; try again in a moment"
                        )
                    raise QueryTimeoutError("no query worker became free in time")
                self._cond.wait(remaining)
            if self._idle:
                worker = self._idle.pop()
                self._replenish()
                return worker
            self._count += 1
        try:
            return _Worker(self.store_path, isolate=self.isolate)
        except OSError as exc:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise StoreError(f"cannot start a query worker: {exc}") from exc

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
                return
            self._idle.append(worker)
            self._cond.notify()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._cond:
            self._count -= 1
            self._cond.notify()
            self._replenish()

    def _replenish(self) -> None:
        """Start spares until ``warm`` are idle or starting (call with the lock held)."""
        while (
            not self._closed
            and len(self._idle) + self._starting < self.warm
            and self._count < self.size
        ):
            self._spawn_spare()

    def _spawn_spare(self) -> None:
        """Start a worker in the background (call with the lock held)."""
        self._count += 1
        self._starting += 1
        threading.Thread(target=self._start_spare, daemon=True).start()

    def _start_spare(self) -> None:
        try:
            worker: _Worker | None = _Worker(self.store_path, isolate=self.isolate)
        except OSError:
            worker = None
        with self._cond:
            self._starting -= 1
            if worker is None:
                self._count -= 1
            elif self._closed:
                worker.kill()
            else:
                self._idle.append(worker)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_POOLS: weakref.WeakSet[SandboxPool] = weakref.WeakSet()


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS):
        pool.close()


# --- the worker process ----------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the process that started it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def _isolate_network() -> bool:
    """Linux: enter a new network namespace (as root directly, else inside a new user
    namespace that maps our own user and group); True when this process has no network."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) == 0:
            return True
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
            return False
    except (OSError, AttributeError):
        return False
    for name, line in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):  # fmt: skip
        try:
            Path(f"/proc/self/{name}").write_text(line)
        except OSError:
            pass
    return True


@functools.cache
def network_isolation() -> bool:
    """Whether query workers here can cut themselves off the network (asked once, of a
    short-lived process: the kernel may refuse network namespaces)."""
    probe = [sys.executable, "-m", "kg.store.sandbox", "--probe-isolation"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _limit_memory() -> None:
    """Cap the worker's address space: a runaway query fails here instead of swapping."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_LIMIT, WORKER_MEMORY_LIMIT))
    except (ValueError, OSError):
        pass


def _serve(store_path: str, *, isolate: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if isolate and not _isolate_network():
        print("kg.store.sandbox: no network namespace for this worker", file=sys.stderr)
    _limit_memory()

    from kg.store.embedded import EmbeddedStore

    output = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints go to stderr, never into the message stream
    source = sys.stdin.buffer
    store = EmbeddedStore(store_path)
    while True:
        header = source.read(_HEADER)
        if len(header) < _HEADER:
            return
        job = pickle.loads(source.read(int.from_bytes(header, "big")))
        assert isinstance(job, QueryJob | UpdateJob)
        answer: tuple[str, object]
        try:
            if isinstance(job, UpdateJob):
                store.update(job.update, base_iri=job.base_iri)
                _write_message(output, ("ok", None))
                continue
            answer = (
                "ok",
                store.query_serialized(
                    job.query,
                    job.formats,
                    dataset=job.dataset,
                    base_iri=job.base_iri,
                    max_rows=job.max_rows,
                    prefixes=job.prefixes,
                ),
            )
        except (QuerySyntaxError, SyntaxError) as exc:
            answer = ("syntax", str(exc))
        except NotAcceptableError as exc:
            answer = ("not-acceptable", exc.kind)
        except Exception as exc:  # noqa: BLE001 - reported to the caller as a store error
            answer = ("error", f"{type(exc).__name__}: {exc}")
        _write_message(output, answer)


if __name__ == "__main__":
    # Run the imported module's _serve, so pickled jobs name the same classes.
    from kg.store import sandbox

    if sys.argv[1:] == ["--probe-isolation"]:
        sys.exit(0 if sandbox._isolate_network() else 1)
    sandbox._serve(sys.argv[1], isolate="--isolate-network" in sys.argv[2:])
