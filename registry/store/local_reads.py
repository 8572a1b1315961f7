"""Single-document reads of a SQLite file, without SQLAlchemy.

Each thread keeps its own read-only ``sqlite3`` connection and runs one prepared statement. A
primary-key read of the file then costs a few microseconds, less than checking a connection
out of a pool, and in write-ahead-log mode it never waits for the publisher — which is what
lets the public routes read inline on the event loop
(:attr:`registry.store.RegistryStore.reads_are_local`).
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, cast

from sqlalchemy import Engine

from registry.store.rows import _SELECT_DOCUMENT, Document, _driver_document, _received_at

_GET = _SELECT_DOCUMENT + "kind = ? AND key = ?"
_ETAG = "SELECT etag FROM documents WHERE kind = ? AND key = ?"


class _LocalReads:
    """Read-only ``sqlite3`` connections to a SQLite file, one per thread that reads.

    Each is in autocommit mode, so every statement sees the latest commit; ``query_only``
    makes a write through it impossible. :meth:`close` closes all of them (they are opened
    with ``check_same_thread=False`` for that alone: each is used by one thread only).
    """

    def __init__(self, engine: Engine) -> None:
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        self._cargs: tuple[Any, ...] = tuple(cargs)
        self._cparams: dict[str, Any] = {
            **cparams,
            "check_same_thread": False,
            "isolation_level": None,
        }
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._received = _received_at(engine)

    @staticmethod
    def usable(engine: Engine) -> bool:
        """A SQLite *file*: an in-memory database is private to the engine's connection."""
        database = engine.url.database or ""
        return (
            engine.dialect.name == "sqlite"
            and engine.dialect.driver == "pysqlite"
            and database not in {"", ":memory:"}
            and "mode=memory" not in database
        )

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = cast(sqlite3.Connection, sqlite3.connect(*self._cargs, **self._cparams))
            connection.execute("PRAGMA busy_timeout=10000")
            connection.execute("PRAGMA query_only=ON")
            with self._lock:
                self._opened.append(connection)
            self._local.connection = connection
        return connection

    def get(self, kind: str, key: str) -> Document | None:
        return _driver_document(
            self._connection().execute(_GET, (kind, key)).fetchone(), self._received
        )

    def etag(self, kind: str, key: str) -> str | None:
        row = self._connection().execute(_ETAG, (kind, key)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local = threading.local()
