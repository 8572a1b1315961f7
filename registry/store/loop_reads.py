"""The registry's store: the only module that runs SQL against the public documents.

Writes are "store if newer" in one statement (``INSERT … ON CONFLICT … DO UPDATE … WHERE``),
so a replayed or out-of-order publication can never replace a newer document, and two
publishers racing cannot interleave a read and a write. The directory name of a register
entry is written by the same statement, so an entry leaves the public directory exactly when
the version withdrawing the person's consent is stored. Reads go through SQLAlchemy Core and
leave as frozen :class:`Document` values: the lookups on the public routes are hot, and rows
never leave this module.

On SQLite, single-document reads (:meth:`RegistryStore.get`, :meth:`RegistryStore.etag`) skip
SQLAlchemy: each thread keeps its own read-only ``sqlite3`` connection and runs one prepared
statement. A primary-key read of the file then costs a few microseconds, less than checking
a connection out of a pool, and in write-ahead-log mode it never waits for the publisher —
which is what lets the public routes read inline on the event loop
(:attr:`RegistryStore.reads_are_local`). On PostgreSQL they go through a few autocommit,
read-only connections of their own (:class:`_ServerReads`), one round trip each, and the
register lookup awaits its read on the event loop with asyncpg, the lookups waiting at once
read in one statement (:meth:`RegistryStore.get_async`, :class:`_LoopReads`).
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import contextlib
import hashlib
import logging
import sqlite3
import threading
import urllib.parse
import weakref
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
import psycopg
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registry.tables import documents
from schemas.publication import Publication

__all__ = [
    "Document",
    "RegistryStore",
    "create_registry_engine",
    "like_pattern",
    "strong_etag",
]

Clock = Callable[[], datetime]

log = logging.getLogger("registry.store")  # the store's one logger, whichever module logs


def like_pattern(text: str) -> str:
    """``%text%`` for ``LIKE … ESCAPE '\\'``, with the wildcards in ``text`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def strong_etag(content: bytes) -> str:
    """A strong ETag: the quoted, unpadded base64url SHA-256 of the bytes served."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
    return f'"{digest.decode("ascii")}"'


@dataclass(frozen=True, slots=True)
class Document:
    """One stored publication, as the public routes serve it."""

    kind: str
    key: str
    version: int
    body: str
    media_type: str
    etag: str
    received_at: datetime


def create_registry_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the registry store with the per-dialect settings it relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the publisher
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


_COLUMNS = (
    documents.c.kind,
    documents.c.key,
    documents.c.version,
    documents.c.body,
    documents.c.media_type,
    documents.c.etag,
    documents.c.received_at,
)


def _document(row: Any) -> Document:
    return Document(
        kind=row.kind,
        key=row.key,
        version=int(row.version),
        body=row.body,
        media_type=row.media_type,
        etag=row.etag,
        received_at=row.received_at,
    )


def _driver_document(row: Any, received_at: Callable[[Any], Any] | None) -> Document | None:
    """A document from a driver's row of :data:`_GET`'s columns, its ``received_at`` read by
    the column type's own result processor (as SQLAlchemy would read it)."""
    if row is None:
        return None
    received = cast(datetime, row[6] if received_at is None else received_at(row[6]))
    return Document(
        kind=row[0],
        key=row[1],
        version=int(row[2]),
        body=row[3],
        media_type=row[4],
        etag=row[5],
        received_at=received,
    )


def _received_at(engine: Engine) -> Callable[[Any], Any] | None:
    """The ``received_at`` column's own reading of a driver's value, as SQLAlchemy would
    read it (``None``: the driver's value is already the instant)."""
    received = documents.c.received_at.type.dialect_impl(engine.dialect)
    return received.result_processor(engine.dialect, None)


# The columns of :func:`_driver_document`, in its order, for the drivers' own statements.
_SELECT_DOCUMENT = (
    "SELECT kind, key, version, body, media_type, etag, received_at FROM documents WHERE "
)
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


_SERVER_GET = _SELECT_DOCUMENT + "kind = %s AND key = %s"
_SERVER_ETAG = "SELECT etag FROM documents WHERE kind = %s AND key = %s"


class _ServerReads:
    """Autocommit, read-only ``psycopg`` connections for single-document reads on
    PostgreSQL, kept apart from the engine's pool.

    A read through the pool paid for a liveness ping on checkout, ``BEGIN`` and a
    ``ROLLBACK`` on return — four round trips for one primary-key read (about 0.7 ms here,
    against 0.17 ms for the read alone). These connections are taken from the engine (so
    they have its connection arguments, a schema's search path included), detached from its
    pool, switched to autocommit and ``default_transaction_read_only``; at most ``size`` are
    open, each used by one thread at a time. A connection the server dropped is replaced and
    the read made once more, as the ping would have done.
    """

    def __init__(self, engine: Engine, *, size: int = 8) -> None:
        self._engine = engine
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)
        self._received = _received_at(engine)

    @staticmethod
    def usable(engine: Engine) -> bool:
        return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"

    def _open(self) -> Any:
        proxied = self._engine.raw_connection()
        proxied.detach()  # ours now: the pool neither pings, resets nor reuses it
        connection = proxied.dbapi_connection
        assert connection is not None
        connection.rollback()
        connection.autocommit = True
        connection.execute("SET default_transaction_read_only = on")
        return connection

    def _row(self, sql: str, params: tuple[str, str]) -> Any:
        with self._slots:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                connection = self._open()
            try:
                try:
                    row = connection.execute(sql, params).fetchone()
                except psycopg.OperationalError:  # dropped by the server: once more
                    connection.close()
                    connection = self._open()
                    row = connection.execute(sql, params).fetchone()
            except BaseException:
                connection.close()  # never hand a connection in an unknown state back
                raise
            with self._lock:
                self._idle.append(connection)
            return row

    def get(self, kind: str, key: str) -> Document | None:
        return _driver_document(self._row(_SERVER_GET, (kind, key)), self._received)

    def etag(self, kind: str, key: str) -> str | None:
        row = self._row(_SERVER_ETAG, (kind, key))
        return None if row is None else str(row[0])

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


_LOOP_GET_MANY = _SELECT_DOCUMENT + "kind = $1 AND key = ANY($2::text[])"
_BATCH = 100  # keys read in one statement at most

# How a libpq connection parameter (as psycopg reports it) is given to asyncpg: in its DSN
# (the same name and meaning), as a startup parameter for the server, or not at all — for
# values that change nothing asyncpg does. Any other parameter, or value, has no asyncpg
# equivalent, and the loop's reads then go through threads (:class:`_ServerReads`).
_ASYNCPG_DSN = frozenset({
    "passfile", "service", "sslmode", "sslcert", "sslkey", "sslrootcert", "sslnegotiation",
    "sslcrl", "sslpassword", "ssl_min_protocol_version", "ssl_max_protocol_version",
    "target_session_attrs", "krbsrvname", "gsslib",
})  # fmt: skip
_STARTUP = frozenset({"options", "application_name"})
_NO_EFFECT: dict[str, frozenset[str] | None] = {
    "host": None,  # the connected host, port, user and database are taken as connected
    "port": None,
    "user": None,
    "dbname": None,
    "hostaddr": None,  # psycopg resolves the host into hostaddr itself
    "fallback_application_name": None,  # becomes application_name below
    "client_encoding": frozenset({"utf8", "UTF8", "utf-8", "UTF-8", "unicode", "UNICODE"}),
    "sslcertmode": frozenset({"allow", "disable"}),
    "sslsni": frozenset({"1"}),
    "sslcompression": frozenset({"0"}),
    "gssencmode": frozenset({"prefer", "disable"}),
    "channel_binding": frozenset({"prefer", "disable"}),
    "load_balance_hosts": frozenset({"disable"}),
}


_CONNECT_TIMEOUT = 60.0  # asyncpg's own default, for libpq's "no connect_timeout" (forever)


@dataclass(frozen=True, slots=True)
class _AsyncpgArguments:
    dsn: str = field(repr=False)  # holds the password
    server_settings: dict[str, str]
    timeout: float = _CONNECT_TIMEOUT


def _asyncpg_arguments(
    parameters: dict[str, str], *, host: str, port: int, user: str, dbname: str, password: str
) -> _AsyncpgArguments | str:
    """asyncpg's arguments for the connection libpq made with ``parameters`` to ``host``,
    or the name of the first parameter asyncpg has no equivalent for."""
    query = {"host": host, "port": str(port), "user": user, "dbname": dbname}
    if password:
        query["password"] = password
    startup = {"default_transaction_read_only": "on"}
    timeout = _CONNECT_TIMEOUT
    for name, value in sorted(parameters.items()):
        if name in _ASYNCPG_DSN:
            query[name] = value
        elif name in _STARTUP:
            startup[name] = value
        elif name == "connect_timeout":
            seconds = int(value) if value.strip().lstrip("-").isdigit() else None
            if seconds is None:
                return name
            if seconds > 0:
                timeout = float(max(seconds, 2))  # libpq waits at least 2 s
        elif name in _NO_EFFECT:
            allowed = _NO_EFFECT[name]
            if allowed is not None and value not in allowed:
                return name
        else:
            return name
    if "application_name" not in startup and "fallback_application_name" in parameters:
        startup["application_name"] = parameters["fallback_application_name"]
    return _AsyncpgArguments(
        dsn="postgresql://?" + urllib.parse.urlencode(query),
        server_settings=startup,
        timeout=timeout,
    )


_Pending = tuple[str, str, asyncio.Future[Any]]


@dataclass(slots=True)
class _OneLoop:
    """One event loop's connections and reads: the idle connections, the reads waiting for
    one, how many are reading now, and the async generator that closes the connections when
    the loop shuts down."""

    loop: asyncio.AbstractEventLoop
    idle: list[asyncpg.Connection] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    busy: int = 0
    dispatching: bool = False
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    closer: AsyncGenerator[None, None] | None = None
    closed: bool = False


async def _close_with_loop(one: _OneLoop) -> AsyncGenerator[None, None]:
    """Suspended for the life of ``one``'s loop; finalized by the loop's shutdown
    (``shutdown_asyncgens``, run by ``asyncio.run``, ``asyncio.Runner``, anyio and uvicorn
    before they close a loop), which closes the loop's connections while it can still run
    their transports' callbacks — a connection of a closed loop can no longer be closed."""
    try:
        yield
    finally:
        one.closed = True
        idle, one.idle = one.idle, []
        await asyncio.gather(
            *(connection.close(timeout=1.0) for connection in idle), return_exceptions=True
        )


async def _fetch(
    connection: asyncpg.Connection, keys: dict[str, set[str]]
) -> dict[tuple[str, str], Any]:
    rows: dict[tuple[str, str], Any] = {}
    for kind, named in keys.items():
        for row in await connection.fetch(_LOOP_GET_MANY, kind, list(named)):
            rows[(row[0], row[1])] = row
    return rows


def _give_back(here: _OneLoop, connection: asyncpg.Connection) -> None:
    if here.closed:
        connection.terminate()
    else:
        here.idle.append(connection)


def _terminate(connections: list[asyncpg.Connection]) -> None:
    for connection in connections:
        connection.terminate()


class _LoopReads:
    """Single-document reads on PostgreSQL made on the running event loop with ``asyncpg``:
    the register lookup awaits the round trip instead of handing a blocking read to a thread.
    asyncpg spends about half the client CPU per read that psycopg's ``AsyncConnection``
    does (25 µs against 51 µs here), and a worker of the public registry on PostgreSQL is
    bound by exactly that (docs/PERFORMANCE.md).

    The reads of one loop are coalesced: a read waits for a free connection among ``size``,
    and a connection that comes free reads every document waiting, up to :data:`_BATCH`, in
    one statement (``key = ANY($2)`` on the primary key) — one round trip, and one statement
    for the server, for as many lookups as arrived meanwhile. An unloaded registry reads
    each lookup at once, alone; a loaded one pays the round trip's fixed costs once per
    batch instead of once per lookup.

    A connection belongs to the loop that opened it, so each loop has its own, at most
    ``size`` open, read-only (``default_transaction_read_only`` set at startup) and
    autocommit (asyncpg runs no implicit transaction), opened with the connection parameters
    of a connection the engine opened (its ``connect_args``, a schema's search path
    included; see :func:`_asyncpg_arguments`). Where a parameter has no asyncpg equivalent,
    the reads go through ``fallback`` in a thread instead. A loop's connections are closed by
    its shutdown (:func:`_close_with_loop`); :meth:`close` hands the idle ones of loops still
    open to their loop to close. A lookup that is cancelled (its client gone) leaves its
    batch, which reads on for the others; a connection whose statement was interrupted is
    closed, never reused, and one the server dropped is replaced and the statement made
    once more.
    """

    def __init__(
        self,
        engine: Engine,
        fallback: Callable[[str, str], Document | None],
        *,
        size: int = 4,
    ) -> None:
        self._engine = engine
        self._fallback = fallback
        self._size = size
        self._arguments: _AsyncpgArguments | str | None = None
        self._lock = threading.Lock()
        self._loops: dict[asyncio.AbstractEventLoop, _OneLoop] = {}
        self._received = _received_at(engine)
        weakref.finalize(self, _close_loops, self._loops, self._lock)

    async def _join(self, loop: asyncio.AbstractEventLoop) -> _OneLoop:
        """``loop``'s reads, begun on its first lookup (or its first since :meth:`close`)."""
        here = _OneLoop(loop=loop)
        with self._lock:
            for closed in [other for other in self._loops if other.is_closed()]:
                del self._loops[closed]  # its connections were closed by its shutdown
            self._loops[loop] = here
        here.closer = _close_with_loop(here)
        await anext(here.closer)
        return here

    def _read_arguments(self) -> _AsyncpgArguments | str:
        """The engine's connection parameters, read from a connection it opens (a blocking
        checkout, made in a thread on the first read of the process only)."""
        proxied = self._engine.raw_connection()
        try:
            info = proxied.dbapi_connection.info  # type: ignore[union-attr]
            arguments = _asyncpg_arguments(
                dict(info.get_parameters()),
                host=info.host,
                port=info.port,
                user=info.user,
                dbname=info.dbname,
                password=info.password or "",
            )
        finally:
            proxied.close()
        if isinstance(arguments, str):
            log.warning(
                "PostgreSQL connection parameter %r has no asyncpg equivalent: register "
                "lookups read through threads",
                arguments,
            )
        return arguments

    async def _open(self, arguments: _AsyncpgArguments) -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(
            arguments.dsn, server_settings=arguments.server_settings, timeout=arguments.timeout
        )
        return connection

    def _dispatch(self, here: _OneLoop, arguments: _AsyncpgArguments) -> None:
        """Start a batch on each free connection while reads wait (on ``here``'s loop)."""
        here.dispatching = False
        while here.pending and here.busy < self._size:
            batch = [read for read in here.pending[:_BATCH] if not read[2].done()]
            del here.pending[:_BATCH]
            if batch:
                here.busy += 1
                task = here.loop.create_task(self._read_batch(here, arguments, batch))
                here.tasks.add(task)
                task.add_done_callback(here.tasks.discard)

    async def _read_batch(
        self, here: _OneLoop, arguments: _AsyncpgArguments, batch: list[_Pending]
    ) -> None:
        """Answer each lookup of ``batch`` still waiting, then start the next batch."""
        try:
            rows = await self._rows(here, arguments, batch)
        except asyncio.CancelledError:
            for _, _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
        else:
            for kind, key, future in batch:
                if not future.done():
                    future.set_result(rows.get((kind, key)))
        finally:
            here.busy -= 1
            self._dispatch(here, arguments)

    async def _rows(
        self, here: _OneLoop, arguments: _AsyncpgArguments, batch: list[_Pending]
    ) -> dict[tuple[str, str], Any]:
        """The batch's documents held, by kind and key, read on one connection of ``here``'s."""
        keys: dict[str, set[str]] = {}
        for kind, key, _ in batch:
            keys.setdefault(kind, set()).add(key)
        connection = None
        while here.idle and connection is None:
            connection = here.idle.pop()
            if connection.is_closed():  # dropped by the server while idle
                connection.terminate()
                connection = None
        try:
            if connection is None:
                connection = await self._open(arguments)
            try:
                rows = await _fetch(connection, keys)
            except Exception:
                if not connection.is_closed():
                    raise
                connection.terminate()  # dropped by the server: once more
                connection = await self._open(arguments)
                rows = await _fetch(connection, keys)
        except asyncpg.PostgresError:
            if connection is not None and not connection.is_closed():
                _give_back(here, connection)  # the server refused the statement, and is ready
            raise
        except BaseException:
            if connection is not None:
                connection.terminate()  # never hand a connection in an unknown state back
            raise
        _give_back(here, connection)
        return rows

    async def get(self, kind: str, key: str) -> Document | None:
        if self._arguments is None:
            self._arguments = await asyncio.to_thread(self._read_arguments)
        arguments = self._arguments
        if isinstance(arguments, str):
            return await asyncio.to_thread(self._fallback, kind, key)
        loop = asyncio.get_running_loop()
        here = self._loops.get(loop)
        if here is None or here.closed:
            here = await self._join(loop)
        future: asyncio.Future[Any] = loop.create_future()
        here.pending.append((kind, key, future))
        if not here.dispatching:
            here.dispatching = True  # once the reads arriving in this iteration are in
            loop.call_soon(self._dispatch, here, arguments)
        return _driver_document(await future, self._received)

    def close(self) -> None:
        _close_loops(self._loops, self._lock)


def _close_loops(loops: dict[asyncio.AbstractEventLoop, _OneLoop], lock: threading.Lock) -> None:
    """Hand each open loop its idle connections to close (from any thread); a closed loop's
    were closed by its shutdown."""
    with lock:
        ones = list(loops.values())
        loops.clear()
    for one in ones:
        one.closed = True
        idle, one.idle = one.idle, []
        if idle and not one.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                one.loop.call_soon_threadsafe(_terminate, idle)


class RegistryStore:
    """Owns the engine; stores publications if newer and reads them back."""

    def __init__(self, engine: Engine, *, clock: Clock = _utc_now) -> None:
        self.engine = engine
        self._clock = clock
        self._local = _LocalReads(engine) if _LocalReads.usable(engine) else None
        self._server = _ServerReads(engine) if _ServerReads.usable(engine) else None
        self._loop_reads = None if self._server is None else _LoopReads(engine, self._server.get)

    @property
    def reads_are_local(self) -> bool:
        """Whether a single-document read is a local file read of microseconds, cheap
        enough to make inline on an event loop (SQLite). Otherwise it is a round trip to a
        database server, which async callers await (:meth:`get_async`) or hand to a thread."""
        return self._local is not None

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = _utc_now) -> RegistryStore:
        return cls(create_registry_engine(url), clock=clock)

    def put(
        self, publication: Publication, *, media_type: str, directory_name: str | None = None
    ) -> bool:
        """Store ``publication`` unless a version at least as new is held; ``True`` if stored.

        ``directory_name`` is the folded name under which the document is listed in the
        public directory, ``None`` for a document that is not (or no longer) listed.
        """
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        values = insert(documents).values(
            kind=publication.kind.value,
            key=publication.key,
            version=publication.version,
            body=publication.body,
            media_type=media_type,
            etag=strong_etag(publication.body.encode("utf-8")),
            received_at=self._clock(),
            directory_name=directory_name,
        )
        excluded = values.excluded
        statement = values.on_conflict_do_update(
            index_elements=[documents.c.kind, documents.c.key],
            set_={
                "version": excluded.version,
                "body": excluded.body,
                "media_type": excluded.media_type,
                "etag": excluded.etag,
                "received_at": excluded.received_at,
                "directory_name": excluded.directory_name,
            },
            where=documents.c.version < excluded.version,
        ).returning(documents.c.version)
        with self.engine.begin() as connection:
            # RETURNING, not rowcount: psycopg reports -1 for some upserts.
            return connection.execute(statement).first() is not None

    def put_new(self, items: builtins.list[tuple[Publication, str, str | None]]) -> None:
        """Store many publications the store does not hold yet, in one transaction:
        ``(publication, media_type, directory_name)`` each, already verified by the caller.

        For seeding an empty registry (``certreg bench``) at insert speed instead of one
        upsert per document; a key already held breaks the primary key and nothing is stored.
        """
        received = self._clock()
        rows = [
            {
                "kind": p.kind.value,
                "key": p.key,
                "version": p.version,
                "body": p.body,
                "media_type": media_type,
                "etag": strong_etag(p.body.encode("utf-8")),
                "received_at": received,
                "directory_name": listed,
            }
            for p, media_type, listed in items
        ]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(documents.insert(), rows)

    def get(self, kind: str, key: str) -> Document | None:
        if self._local is not None:
            return self._local.get(kind, key)
        if self._server is not None:
            return self._server.get(kind, key)
        with self.engine.connect() as connection:
            row = connection.execute(
                select(*_COLUMNS).where(documents.c.kind == kind, documents.c.key == key)
            ).first()
        return None if row is None else _document(row)

    async def get_async(self, kind: str, key: str) -> Document | None:
        """:meth:`get` for a caller on an event loop: awaited on the loop on PostgreSQL,
        inline where reads are local (SQLite), else in a thread."""
        if self._loop_reads is not None:
            return await self._loop_reads.get(kind, key)
        if self._local is not None:
            return self._local.get(kind, key)
        return await asyncio.to_thread(self.get, kind, key)

    def etag(self, kind: str, key: str) -> str | None:
        """The ETag of the stored document, or ``None``: whether a cached copy is current."""
        if self._local is not None:
            return self._local.etag(kind, key)
        if self._server is not None:
            return self._server.etag(kind, key)
        with self.engine.connect() as connection:
            value = connection.execute(
                select(documents.c.etag).where(documents.c.kind == kind, documents.c.key == key)
            ).scalar()
        return None if value is None else str(value)

    def list(self, kind: str, *, limit: int = 1000) -> list[Document]:
        """Documents of one kind, ordered by key (at most ``limit``)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*_COLUMNS)
                .where(documents.c.kind == kind)
                .order_by(documents.c.key)
                .limit(limit)
            ).all()
        return [_document(row) for row in rows]

    def listed(self, kind: str, folded_query: str, *, limit: int) -> builtins.list[Document]:
        """Documents of ``kind`` listed in the directory under a name containing the query.

        ``folded_query`` is already folded (see :func:`registry.names.fold`); LIKE wildcards
        in it match literally. Ordered by name, then key, so answers are stable.
        """
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*_COLUMNS)
                .where(
                    documents.c.kind == kind,
                    documents.c.directory_name.is_not(None),
                    documents.c.directory_name.like(like_pattern(folded_query), escape="\\"),
                )
                .order_by(documents.c.directory_name, documents.c.key)
                .limit(limit)
            ).all()
        return [_document(row) for row in rows]

    def dispose(self) -> None:
        if self._local is not None:
            self._local.close()
        if self._server is not None:
            self._server.close()
        if self._loop_reads is not None:
            self._loop_reads.close()
        self.engine.dispose()
