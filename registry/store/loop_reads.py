"""The register lookup's reads on PostgreSQL, awaited on the event loop with ``asyncpg``.

The lookups waiting at once are read in one statement (:class:`_LoopReads`). The engine's
connection parameters, as libpq was given them, become asyncpg's (:func:`_asyncpg_arguments`);
where one has no asyncpg equivalent, the reads go through threads instead. Each loop's
connections are closed by the loop's own shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import urllib.parse
import weakref
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import Engine

from registry.store.rows import _SELECT_DOCUMENT, Document, _driver_document, _received_at

log = logging.getLogger("registry.store")  # the store's one logger, whichever module logs

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
