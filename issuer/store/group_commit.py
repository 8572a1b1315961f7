"""Group commit: on SQLite, the write transactions of one process's concurrent units of work
share one database transaction, and so one ``fsync``.

SQLite admits one writer at a time, and in WAL mode with ``synchronous=FULL`` (its default,
which certreg keeps) each commit waits for an ``fsync`` of the log, about 3 ms on a project
machine. Units of work that each committed on their own therefore took turns at a few
milliseconds apiece however little they wrote: at 16 concurrent wallets, the OpenID4VCI
credential endpoint's p99 was sixteen commits long (docs/PERFORMANCE.md, "Wallets").

Here the writers still queue on one lock and run one at a time, but each runs inside a
``SAVEPOINT`` of a transaction that stays open while other writers are waiting for the lock:

- a unit of work that succeeds releases its savepoint; one that raises rolls back to it, so
  its failure takes back its own writes only, never its neighbours';
- the writer that finds nobody waiting behind it (or the batch at :attr:`MAX_MEMBERS`, or
  open for :attr:`MAX_OPEN_SECONDS`) commits the batch, with one ``fsync`` for all of it;
- no unit of work returns before the commit that holds it is durable: each waits for it,
  and if that commit fails, every unit of work of the batch raises its error, as its own
  commit would have (nothing of it was kept, so nothing was answered as done).

Each unit still sees the database as if the units of work ran one after the other, which
they do: a single-use token updated by one is seen as used by the next, in the same batch
or a later one. Durability is SQLite's, unchanged: only the number of commits falls.
PostgreSQL runs its transactions side by side on connections of their own and groups its
own commits; the store uses this only on SQLite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

__all__ = ["BatchLost", "GroupCommit"]


class BatchLost(RuntimeError):
    """SQLite ended a batch's transaction before its commit (an I/O error or a full disk
    rolls back the whole transaction, not only the statement), so none of its units of work
    was kept, however each of them ended."""


class _Batch:
    """One open database transaction and the units of work inside it."""

    __slots__ = ("connection", "durable", "error", "members", "opened")

    def __init__(self, connection: Connection, opened: float) -> None:
        self.connection = connection
        self.opened = opened
        self.members = 0
        self.durable = threading.Event()
        self.error: BaseException | None = None


class GroupCommit:
    """The writers of one SQLite store in one process, committed in batches (module doc)."""

    MAX_MEMBERS = 64
    """Units of work one commit holds at most, so a steady stream of writers still commits."""
    MAX_OPEN_SECONDS = 0.05
    """How long a batch stays open at most, so its first member's answer waits little."""

    def __init__(self, engine: Engine, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._count = threading.Lock()
        self._waiting = 0
        self._batch: _Batch | None = None
        self._inside = threading.local()

    def held_here(self) -> bool:
        """Whether this thread is running a unit of work of a batch (a transaction opened
        inside another: the caller must not wait for the lock it holds)."""
        return bool(getattr(self._inside, "held", False))

    @contextmanager
    def member(self) -> Iterator[Connection]:
        """The connection of the open batch (one begun if none is open), for one unit of
        work to run in a savepoint of its own; on leaving, the batch is committed if nobody
        else is waiting for it, and this waits until the commit that holds its work is
        durable (or raises that commit's error)."""
        with self._count:
            self._waiting += 1
        self._lock.acquire()
        with self._count:
            self._waiting -= 1
        self._inside.held = True
        failed = False
        batch: _Batch | None = None
        try:
            batch = self._open()
            batch.members += 1
            try:
                yield batch.connection
            except BaseException:
                failed = True
                raise
        finally:
            self._inside.held = False
            try:
                if batch is not None:
                    if not self._alive(batch):
                        self._abandon(batch)
                    elif self._due(batch):
                        self._commit(batch)
            finally:
                self._lock.release()
        if not failed and batch is not None:
            batch.durable.wait()
            if batch.error is not None:
                raise batch.error

    def _open(self) -> _Batch:
        if self._batch is None:
            connection = self._engine.connect()
            try:
                connection.begin()  # BEGIN IMMEDIATE: the engine's "begin" event
            except BaseException:
                connection.close()
                raise
            self._batch = _Batch(connection, self._monotonic())
        return self._batch

    def _due(self, batch: _Batch) -> bool:
        with self._count:
            waiting = self._waiting
        return (
            waiting == 0
            or batch.members >= self.MAX_MEMBERS
            or self._monotonic() - batch.opened >= self.MAX_OPEN_SECONDS
        )

    @staticmethod
    def _alive(batch: _Batch) -> bool:
        """Whether the batch's transaction is still open in SQLite. Some errors (a full
        disk, an I/O error) make SQLite roll back the whole transaction, not only the
        statement; the driver's ``commit`` would then succeed with nothing to commit, and
        the next unit of work would write outside any transaction."""
        raw = batch.connection.connection.dbapi_connection
        return raw is not None and bool(getattr(raw, "in_transaction", False))

    def _abandon(self, batch: _Batch) -> None:
        """End a batch whose transaction SQLite has ended: every unit of work it held
        raises :class:`BatchLost`, and the next writer begins a batch of its own."""
        self._batch = None
        batch.error = BatchLost("the database ended the transaction; nothing of it was kept")
        try:
            batch.connection.invalidate()
        finally:
            batch.connection.close()
            batch.durable.set()

    def _commit(self, batch: _Batch) -> None:
        self._batch = None
        try:
            transaction = batch.connection.get_transaction()
            if transaction is None:
                raise RuntimeError("the batch's transaction ended before its commit")
            transaction.commit()
        except BaseException as exc:
            batch.error = exc
            # A COMMIT that SQLite refuses (a deferred foreign key, say) leaves the
            # transaction open: end it here, or the pooled connection would carry it on.
            try:
                raw = batch.connection.connection.dbapi_connection
                if raw is not None:
                    raw.rollback()
            except Exception:  # the commit's error is the one to report
                batch.connection.invalidate()
        finally:
            batch.connection.close()
            batch.durable.set()
