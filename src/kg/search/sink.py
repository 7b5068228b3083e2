"""A SQLite connection in another process, for the write half of a full index build.

The build's Python work (turning each method's rows into documents, texts and keys) and
SQLite's work (FTS tokenising, B-trees) are about equal; with the statements (and the
functions that make rows from what the builder sends, ``call``) run by a second process,
they use two cores at once. The sink executes what it is sent, in
order, in the one transaction of the build; the first error stops it, and the next
``sync`` (or ``close``) raises it in the builder. A builder that fails stops the sink at
once; one that dies leaves the sink its end of the pipe closed, and the sink exits without
committing.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

Message = tuple[Any, ...]


class SinkError(sqlite3.Error):
    """A statement failed in the sink process (its message names the statement)."""


class ProcessSink:
    """``execute``/``executemany`` as on a ``sqlite3.Connection``, run by another process
    on the database ``path`` after the statements of ``setup``, with the databases of
    ``attach`` attached under their names."""

    def __init__(self, path: Path, setup: str, attach: Mapping[str, Path] | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        attached = {name: str(file) for name, file in (attach or {}).items()}
        self._process = context.Process(
            target=_serve,
            args=(str(path), setup, attached, theirs),
            name="kg-index-sink",
            daemon=True,
        )
        self._process.start()
        theirs.close()
        self._closed = False

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self._send(("execute", sql, tuple(parameters)))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = list(rows)
        if batch:
            self._send(("executemany", sql, batch))

    def call(self, function: Callable[[sqlite3.Connection, Any], None], payload: Any) -> None:
        """Run ``function(connection, payload)`` there (a module-level function: it is
        sent by name, the payload pickled)."""
        self._send(("call", function, payload))

    def sync(self) -> None:
        """Wait until every statement sent has been executed; raise the first error."""
        self._send(("sync",))
        self._answer()

    def close(self, *, commit: bool) -> None:
        """Commit and end the process, raising the first error; or, without ``commit``,
        stop it at once (what it wrote is thrown away with the file)."""
        if self._closed:
            return
        self._closed = True
        try:
            if commit:
                self._send(("commit",))
                self._answer()
        finally:
            self._pipe.close()
            if not commit:
                self._process.kill()
            self._process.join()

    def _send(self, message: Message) -> None:
        try:
            self._pipe.send(message)
        except OSError as exc:
            raise SinkError(f"the index writer process stopped: {exc}") from None

    def _answer(self) -> None:
        try:
            error = self._pipe.recv()
        except (EOFError, OSError) as exc:
            raise SinkError(f"the index writer process stopped: {exc!r}") from None
        if error:
            raise SinkError(error)


def _serve(path: str, setup: str, attach: dict[str, str], pipe: Connection) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    error = ""
    try:
        conn.executescript(setup)
        for name, file in attach.items():
            conn.execute("ATTACH DATABASE ? AS ?", (file, name))
            conn.execute(f"PRAGMA {name}.journal_mode = OFF")
            conn.execute(f"PRAGMA {name}.synchronous = OFF")
        conn.execute("BEGIN")
        while True:
            try:
                message = pipe.recv()
            except EOFError:
                return  # the builder is gone: nothing is committed
            command = message[0]
            if command in ("sync", "commit"):
                if command == "commit" and not error:
                    try:
                        conn.execute("COMMIT")
                    except sqlite3.Error as exc:
                        error = f"COMMIT: {exc}"
                pipe.send(error)
                if command == "commit":
                    return
            elif not error:  # after an error, the rest is read and dropped
                try:
                    if command == "call":
                        message[1](conn, message[2])
                    elif command == "execute":
                        conn.execute(message[1], message[2])
                    else:
                        conn.executemany(message[1], message[2])
                except Exception as exc:  # noqa: BLE001 - reported to the builder
                    what = message[1] if command != "call" else message[1].__name__
                    error = f"{str(what).split('(')[0].strip()}: {exc!r}"
    finally:
        conn.close()
        pipe.close()
