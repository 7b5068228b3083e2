"""Queries that can be stopped: each runs in a worker process that is killed at its deadline.

pyoxigraph 0.5.13's ``Store.query`` has no timeout and no cancellation, a thread cannot be
stopped, and ``signal.alarm`` fires only after the query returns. So public queries run in
worker processes (``python -m kg.store.sandbox STORE``) that open the store's current
snapshot read-only — published snapshots are immutable, so any number of processes may
read them — compute and serialize the whole answer, and send it back in one message. At
the deadline the worker gets SIGKILL and the caller an error; it never sees part of an
answer. A pool keeps idle workers warm and replaces killed ones in the background.

Messages on the worker's stdin and stdout are pickles with an 8-byte length prefix;
both ends are this module, started by this module, so pickle is safe here.
"""

from __future__ import annotations

import atexit
import ctypes
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


@dataclass(frozen=True)
class QueryJob:
    query: str
    formats: Mapping[ResultKind, str | None]
    dataset: QueryDataset | None = None
    base_iri: str | None = None
    max_rows: int | None = None
    prefixes: Mapping[str, str] = field(default_factory=dict)


_HEADER = 8
WORKER_MEMORY_LIMIT = 2 << 30
"""Address space of a query worker, in bytes."""


def _write_message(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_HEADER, "big") + data)
    stream.flush()


class _Worker:
    def __init__(self, store_path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.store.sandbox", str(store_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin: IO[bytes] = self.process.stdin
        self.fd = self.process.stdout.fileno()

    def ask(self, job: QueryJob, deadline: float) -> Any:
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
                raise StoreError("the query worker stopped unexpectedly")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

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
    """Up to ``size`` query workers on the store at ``store_path``."""

    def __init__(self, store_path: Path | str, *, size: int, warm: int = 2) -> None:
        self.store_path = Path(store_path)
        self.size = max(1, size)
        self._idle: list[_Worker] = []
        self._count = 0
        self._starting = 0
        self._closed = False
        self._cond = threading.Condition()
        _POOLS.add(self)
        for _ in range(min(warm, self.size)):
            self._spawn_spare()

    def run(self, job: QueryJob, timeout: float) -> SerializedResults:
        """The serialized answer, or QueryTimeoutError once ``timeout`` seconds have passed
        (waiting for a free worker included); QuerySyntaxError, NotAcceptableError as the
        store raises them.
        """
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        try:
            status, payload = worker.ask(job, deadline)
        except QueryTimeoutError:
            self._discard(worker)
            raise QueryTimeoutError(
                f"the query did not finish within {timeout:g} s and was stopped"
            ) from None
        except (OSError, EOFError, pickle.UnpicklingError, StoreError):
            self._discard(worker)
            raise StoreError(
                "the query stopped unexpectedly; a query may use at most "
                f"{WORKER_MEMORY_LIMIT >> 30} GiB of memory"
            ) from None
        self._release(worker)
        if status == "ok":
            assert isinstance(payload, SerializedResults)
            return payload
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "not-acceptable":
            raise NotAcceptableError(payload)
        raise StoreError(str(payload))

    def _acquire(self, deadline: float) -> _Worker:
        with self._cond:
            while not self._idle and (self._count >= self.size or self._starting):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeoutError("every query worker is busy; try again later")
                self._cond.wait(remaining)
            if self._idle:
                worker = self._idle.pop()
                if not self._idle and self._count < self.size:
                    self._spawn_spare()
                return worker
            self._count += 1
        try:
            return _Worker(self.store_path)
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
            if not self._closed and not self._idle and self._count < self.size:
                self._spawn_spare()

    def _spawn_spare(self) -> None:
        """Start a worker in the background (call with the lock held)."""
        self._count += 1
        self._starting += 1
        threading.Thread(target=self._start_spare, daemon=True).start()

    def _start_spare(self) -> None:
        try:
            worker = _Worker(self.store_path)
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


def _limit_memory() -> None:
    """Cap the worker's address space: a runaway query fails here instead of swapping."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_LIMIT, WORKER_MEMORY_LIMIT))
    except (ValueError, OSError):
        pass


def _serve(store_path: str) -> None:
    from kg.store.embedded import EmbeddedStore

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    _limit_memory()
    output = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints go to stderr, never into the message stream
    source = sys.stdin.buffer
    store = EmbeddedStore(store_path)
    while True:
        header = source.read(_HEADER)
        if len(header) < _HEADER:
            return
        job = pickle.loads(source.read(int.from_bytes(header, "big")))
        assert isinstance(job, QueryJob)
        answer: tuple[str, object]
        try:
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
        except QuerySyntaxError as exc:
            answer = ("syntax", str(exc))
        except NotAcceptableError as exc:
            answer = ("not-acceptable", exc.kind)
        except Exception as exc:  # noqa: BLE001 - reported to the caller as a store error
            answer = ("error", f"{type(exc).__name__}: {exc}")
        _write_message(output, answer)


if __name__ == "__main__":
    # Run the imported module's _serve, so pickled jobs name the same classes.
    from kg.store import sandbox

    sandbox._serve(sys.argv[1])
