"""The registry's store: the only package that runs SQL against the public documents.

Writes are "store if newer" in one statement (``INSERT … ON CONFLICT … DO UPDATE … WHERE``),
so a replayed or out-of-order publication can never replace a newer document, and two
publishers racing cannot interleave a read and a write. The directory name of a register
entry is written by the same statement, so an entry leaves the public directory exactly when
the version withdrawing the person's consent is stored. Reads go through SQLAlchemy Core and
leave as frozen :class:`Document` values: the lookups on the public routes are hot, and rows
never leave this package.

On SQLite, single-document reads (:meth:`RegistryStore.get`, :meth:`RegistryStore.etag`) skip
SQLAlchemy: each thread keeps its own read-only ``sqlite3`` connection and runs one prepared
statement. A primary-key read of the file then costs a few microseconds, less than checking
a connection out of a pool, and in write-ahead-log mode it never waits for the publisher —
which is what lets the public routes read inline on the event loop
(:attr:`RegistryStore.reads_are_local`). On PostgreSQL they go through a few autocommit,
read-only connections of their own (:class:`_ServerReads`), one round trip each, and the
register lookup awaits its read on the event loop with asyncpg, the lookups waiting at once
read in one statement (:meth:`RegistryStore.get_async`, :class:`_LoopReads`).

Its modules: :mod:`~registry.store.documents` (the :class:`RegistryStore`, its engine, writes
and Core reads), :mod:`~registry.store.rows` (the :class:`Document` value and the drivers'
rows), and the single-document reads of :mod:`~registry.store.local_reads` (SQLite),
:mod:`~registry.store.server_reads` and :mod:`~registry.store.loop_reads` (PostgreSQL).
Callers import from ``registry.store``, not from its modules.
"""

from __future__ import annotations

from registry.store.documents import (
    RegistryStore,
    create_registry_engine,
    like_pattern,
    strong_etag,
)
from registry.store.rows import Document

__all__ = [
    "Document",
    "RegistryStore",
    "create_registry_engine",
    "like_pattern",
    "strong_etag",
]
