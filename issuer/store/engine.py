"""The store's engine and its units of work: :func:`create_issuer_engine` with what each
dialect needs, :class:`Store` handing out transactions (:class:`~issuer.store.Tx`) and
units of work that only read (:class:`~issuer.store.Reader`), and :class:`BulkWriter`, the
one connection a bulk run writes through, with the SQLite checkpointer beside it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from issuer.store.group_commit import GroupCommit
from issuer.store.tx import Reader, Tx

__all__ = ["BulkWriter", "Store", "create_issuer_engine"]


_READ_ONLY = "certreg_read_only"
"""Execution option of :meth:`Store.reading`'s connections."""


def create_issuer_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the issuer store with the per-dialect settings the store relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            # Set before the first table exists (later it changes nothing): a signed
            # credential row is ~2.5 KB, so 4 KB pages held one row each and wrote 40% air;
            # 16 KB pages hold six, and a million-row roster writes a third fewer bytes.
            cursor.execute("PRAGMA page_size=16384")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get(_READ_ONLY):
                conn.exec_driver_sql("BEGIN")  # a snapshot; waits for no writer
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Store:
    """Owns the engine; hands out transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=True)
        self._read_sessions = sessionmaker(
            engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )
        self._group = GroupCommit(engine) if engine.dialect.name == "sqlite" else None
        """On SQLite, this process's writers take turns on a lock, and those that queue
        while one writes share its transaction and its commit (:mod:`issuer.store.
        group_commit`). Queued on a lock, the next writer starts as soon as the last one is
        done: SQLite's own busy handler, which a writer refused by it retries in sleeps of
        up to 100 ms, made a request's p99 ten times longer under concurrent requests.
        Writers in another process (a bulk run's writing process) still meet the busy
        handler."""

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(create_issuer_engine(url))

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One unit of work: committed when the block ends, rolled back if it raises.

        On SQLite it is a savepoint of a transaction shared with the writers queued beside
        it, and the block returns once their common commit is durable; a block that raises
        rolls back its own work only. A transaction opened inside another in one thread
        does not join its batch (it would wait for its own commit): it begins one of its own
        and fails as busy, as it always did."""
        if self._group is None or self._group.held_here():
            with self._sessions() as session, session.begin():
                yield Tx(session)
            return
        with (
            self._group.member() as connection,
            Session(
                bind=connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
                autoflush=True,
            ) as session,
            session.begin(),
        ):
            yield Tx(session)

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A unit of work that only reads. On SQLite it begins as a plain (deferred)
        transaction, not ``BEGIN IMMEDIATE``: it reads a snapshot of the write-ahead log and
        neither waits for a writer (a bulk run's writing process, say) nor holds one up.
        Write only in :meth:`transaction`: a write here would have to turn the snapshot into
        a write transaction, and fails as busy if another writer came first. Hence a
        :class:`~issuer.store.Reader`, which has no method that writes or locks."""
        with self._read_sessions() as session, session.begin():
            yield Reader(session)

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def server_side(self) -> bool:
        """Whether the database does its work in a server process (not SQLite's, inside
        this one)."""
        return self.engine.dialect.name != "sqlite"

    def shared_file_url(self) -> str | None:
        """The URL another process opens this very SQLite database with, or ``None`` if
        there is none (a database in memory) or the store is not SQLite."""
        url = self.engine.url
        if self.server_side or url.database in (None, "", ":memory:"):
            return None
        if "memory" in str(url.query.get("mode", "")):
            return None
        return url.render_as_string(hide_password=False)

    @contextmanager
    def bulk_writer(self) -> Iterator[BulkWriter]:
        """One connection of this engine for a bulk run's write transactions (see
        :class:`BulkWriter`); its usual settings come back when the block ends."""
        with self.engine.connect() as connection:
            writer = BulkWriter(connection)
            try:
                yield writer
            finally:
                writer.restore()


class BulkWriter:
    """The connection a bulk issuance run writes its chunks through, one transaction each.

    A roster's rows carry random keys (ids, certificate numbers, status slots), so each
    chunk touches index pages all over the file. On SQLite this connection keeps a large
    page cache for the whole run (the pages stay valid across its own transactions), and
    the write-ahead log is copied into the database file by a :class:`_Checkpointer` beside
    it, after each commit, rather than by the commit that fills it (which then stalled the
    run for half a second every few chunks). Durability is unchanged: ``synchronous`` is
    left as it is, every commit is as durable as any other. Other engines: a plain
    connection.
    """

    CACHE_KIB = 262_144
    """Page cache of the bulk connection on SQLite (KiB; memory is taken only as used)."""

    CHECKPOINT_KIB = 262_144
    """Write-ahead log size (KiB) at which the bulk connection checkpoints on SQLite itself:
    only if the checkpointer falls behind (a long reader keeps it from finishing)."""

    def __init__(self, connection: Connection) -> None:
        self.server_side = connection.dialect.name != "sqlite"
        """Whether the database does its work in a server process (not SQLite's, inside
        this one): then a thread writing through this connection waits on a socket, free of
        the interpreter lock, and can overlap work in other threads."""
        self._sessions = sessionmaker(connection, expire_on_commit=False, autoflush=True)
        self._restore: list[str] = []
        self._raw: Any = None
        self._checkpointer: _Checkpointer | None = None
        if connection.dialect.name == "sqlite":
            self._raw = connection.connection.driver_connection
            (page_size,) = self._raw.execute("PRAGMA page_size").fetchone()
            for pragma, value in (
                ("cache_size", -self.CACHE_KIB),
                ("wal_autocheckpoint", self.CHECKPOINT_KIB * 1024 // int(page_size)),
            ):
                (before,) = self._raw.execute(f"PRAGMA {pragma}").fetchone()
                self._restore.append(f"PRAGMA {pragma}={int(before)}")
                self._raw.execute(f"PRAGMA {pragma}={int(value)}")
            (mode,) = self._raw.execute("PRAGMA journal_mode").fetchone()
            path = _database_file(self._raw)
            if str(mode).lower() == "wal" and path:
                self._checkpointer = _Checkpointer(path)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One chunk's unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield Tx(session)
        if self._checkpointer is not None:
            self._checkpointer.wake()

    def restore(self) -> None:
        """The connection's usual settings, before it goes back to the pool; the run's log
        is checkpointed here, so the next ordinary commit does not pay for it."""
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._restore:
            self._raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        for statement in self._restore:
            self._raw.execute(statement)
        self._restore = []


def _database_file(raw: Any) -> str:
    """The file of an SQLite connection's main database ('' in memory)."""
    for _seq, name, file in raw.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file or "")
    return ""


class _Checkpointer:
    """Copies a bulk run's committed write-ahead log into the database file in a thread of
    its own, over a connection of its own, after each commit (:meth:`wake`).

    SQLite checkpoints from inside the commit that takes the log past its limit: with the
    bulk connection's 256 MiB, one chunk in eight stopped for the copy of every page the
    log held (0.5-0.8 s), while nothing else was written. A ``PASSIVE`` checkpoint from
    another connection takes no lock a writer needs, and ``sqlite3`` lets go of the
    interpreter lock while it runs, so the copy overlaps the next chunk's work, and once
    it has caught up the next transaction starts the log again from its beginning. It only
    copies what is committed and syncs the database file after: no commit is less durable.
    A checkpoint that fails (the file gone, a disk error) leaves the log to the bulk
    connection's own checkpoints; the next commit reports whatever is wrong.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._wanted = threading.Event()
        self._closing = False
        self._thread = threading.Thread(
            target=self._run, name="certreg-bulk-checkpoint", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """A chunk was committed: copy the log (now, or when the copy under way ends)."""
        self._wanted.set()

    def close(self) -> None:
        """Stop once the copy under way, if any, has ended."""
        self._closing = True
        self._wanted.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error:
            return
        with closing(connection):
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._closing:
                    return
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    return
