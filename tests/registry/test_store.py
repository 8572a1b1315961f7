"""The registry store: "store if newer", strong ETags, and nothing but what was published."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest
from sqlalchemy import inspect

from registry import RegistryStore, migrate
from registry.store import create_registry_engine, strong_etag
from registry.store.loop_reads import _asyncpg_arguments, _AsyncpgArguments
from schemas.publication import DocumentKind, Publication
from tests.registry.conftest import RECEIVED

MEDIA = "application/vc+jwt"


def _publication(version: int, body: str = "", key: str = "list-1") -> Publication:
    return Publication(
        kind=DocumentKind.STATUS_LIST, key=key, version=version, body=body or f"body-v{version}"
    )


def test_first_version_is_stored_and_read_back(registry_store: RegistryStore) -> None:
    assert registry_store.put(_publication(3), media_type=MEDIA)
    document = registry_store.get("status-list", "list-1")
    assert document is not None
    assert (document.kind, document.key, document.version) == ("status-list", "list-1", 3)
    assert (document.body, document.media_type) == ("body-v3", MEDIA)
    assert document.etag == strong_etag(b"body-v3")
    assert document.received_at == RECEIVED
    assert document.received_at.tzinfo is not None


@pytest.mark.parametrize("version", [1, 2, 5])
def test_older_or_equal_versions_are_not_stored(
    registry_store: RegistryStore, version: int
) -> None:
    assert registry_store.put(_publication(5), media_type=MEDIA)
    assert not registry_store.put(_publication(version, body="replayed"), media_type=MEDIA)
    document = registry_store.get("status-list", "list-1")
    assert document is not None
    assert (document.version, document.body) == (5, "body-v5")


def test_a_newer_version_replaces_the_stored_one(registry_store: RegistryStore) -> None:
    assert registry_store.put(_publication(1), media_type=MEDIA)
    assert registry_store.put(_publication(2**62), media_type=MEDIA)
    document = registry_store.get("status-list", "list-1")
    assert document is not None
    assert (document.version, document.body) == (2**62, f"body-v{2**62}")
    assert document.etag == strong_etag(document.body.encode())


def test_a_document_is_stored_over_only_the_version_it_was_checked_against(
    registry_store: RegistryStore,
) -> None:
    """``put_over``: stored only if the version named is still the one held (none, for
    ``None``) and older; a version stored meanwhile, or a replay, leaves the store as it is."""
    first = _publication(1)
    assert registry_store.put_over(first, media_type=MEDIA, held_version=None)
    assert not registry_store.put_over(_publication(2), media_type=MEDIA, held_version=None)
    assert not registry_store.put_over(_publication(3), media_type=MEDIA, held_version=2)
    assert not registry_store.put_over(_publication(1, "again"), media_type=MEDIA, held_version=1)
    assert registry_store.put_over(_publication(4), media_type=MEDIA, held_version=1)
    document = registry_store.get("status-list", "list-1")
    assert document is not None
    assert (document.version, document.body) == (4, "body-v4")
    assert not registry_store.put_over(_publication(5), media_type=MEDIA, held_version=1)
    assert registry_store.put_over(_publication(5), media_type=MEDIA, held_version=4)


def test_kinds_and_keys_are_separate_documents(registry_store: RegistryStore) -> None:
    assert registry_store.put(_publication(1, key="b"), media_type=MEDIA)
    assert registry_store.put(_publication(1, key="a"), media_type=MEDIA)
    scheme = Publication(kind=DocumentKind.SCHEME, key="a", version=1, body="scheme")
    assert registry_store.put(scheme, media_type=MEDIA)
    assert [d.key for d in registry_store.list("status-list")] == ["a", "b"]
    assert [d.body for d in registry_store.list("scheme")] == ["scheme"]
    assert registry_store.get("register-entry", "a") is None


def test_etags_are_strong_quoted_base64url_sha256() -> None:
    etag = strong_etag(b"")
    assert re.fullmatch(r'"[A-Za-z0-9_-]{43}"', etag)
    assert etag == '"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"'


def test_the_database_holds_only_what_was_published(registry_store: RegistryStore) -> None:
    inspector = inspect(registry_store.engine)
    assert set(inspector.get_table_names()) == {"documents", migrate.VERSION_TABLE}
    columns = {c["name"] for c in inspector.get_columns("documents")}
    # directory_name is derived from the signed body: the folded name of a listed entry.
    assert columns == {
        "kind",
        "key",
        "version",
        "body",
        "media_type",
        "etag",
        "received_at",
        "directory_name",
    }
    assert inspector.get_pk_constraint("documents")["constrained_columns"] == ["kind", "key"]
    assert migrate.current_revision(registry_store.engine) == migrate.head_revision()


def test_migrations_go_down_and_up_again(tmp_path: Path) -> None:
    engine = create_registry_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # idempotent
    migrate.downgrade(engine, "base")
    assert "documents" not in inspect(engine).get_table_names()
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_single_reads_see_the_latest_commit_on_every_engine(
    registry_store: RegistryStore, registry_backend: str
) -> None:
    """On SQLite files, ``get`` and ``etag`` read through per-thread sqlite3 connections;
    they must answer exactly what SQLAlchemy reads, and see each new commit at once."""
    assert registry_store.reads_are_local is (registry_backend == "sqlite")
    assert registry_store.get("status-list", "list-1") is None
    assert registry_store.etag("status-list", "list-1") is None
    assert registry_store.put(_publication(1), media_type=MEDIA)
    first = registry_store.get("status-list", "list-1")
    assert first is not None
    assert registry_store.etag("status-list", "list-1") == first.etag
    assert registry_store.list("status-list") == [first]  # the same values through Core
    assert registry_store.put(_publication(2), media_type=MEDIA)
    second = registry_store.get("status-list", "list-1")
    assert second is not None
    assert second.version == 2
    assert registry_store.etag("status-list", "list-1") == strong_etag(b"body-v2")


def test_local_reads_are_read_only_and_closed_with_the_store(tmp_path: Path) -> None:
    store = RegistryStore(create_registry_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}"))
    migrate.upgrade(store.engine)
    store.put(_publication(1), media_type=MEDIA)
    assert store.get("status-list", "list-1") is not None
    local = store._local
    assert local is not None
    connection = local._connection()
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
        connection.execute("DELETE FROM documents")
    store.dispose()
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")
    memory = RegistryStore(create_registry_engine("sqlite://"))
    assert not memory.reads_are_local  # an in-memory database is the engine's own
    memory.dispose()


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_server_reads_are_read_only_and_survive_a_dropped_connection(
    registry_store: RegistryStore,
) -> None:
    """On PostgreSQL, single reads go through autocommit, read-only connections of their
    own: a write through one fails, and a connection the server dropped is replaced for the
    same read instead of failing it."""

    server = registry_store._server
    assert server is not None
    assert registry_store.put(_publication(1), media_type=MEDIA)
    first = registry_store.get("status-list", "list-1")
    assert first is not None
    connection = server._idle[-1]
    assert connection.autocommit
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        connection.execute("DELETE FROM documents")
    (pid,) = connection.execute("SELECT pg_backend_pid()").fetchone()
    with registry_store.engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    assert registry_store.get("status-list", "list-1") == first  # reconnected, read again
    assert registry_store.etag("status-list", "list-1") == first.etag
    replacement = server._idle[-1]
    assert replacement is not connection
    registry_store.dispose()
    assert replacement.closed


def test_an_async_read_is_the_same_document(registry_store: RegistryStore) -> None:
    """The lookup's read on the event loop gives what the blocking read gives, on every
    engine, and nothing for a document that is not held."""
    assert registry_store.put(_publication(2), media_type=MEDIA)

    async def both() -> tuple[object, object]:
        return (
            await registry_store.get_async("status-list", "list-1"),
            await registry_store.get_async("status-list", "list-2"),
        )

    held, missing = asyncio.run(both())
    assert held == registry_store.get("status-list", "list-1")
    assert missing is None


def _loop_reads(store: RegistryStore) -> Any:
    reads = store._loop_reads
    assert reads is not None
    return reads


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_loop_reads_are_read_only_and_survive_a_dropped_connection(
    registry_store: RegistryStore,
) -> None:
    """On PostgreSQL the event loop's reads are autocommit and read-only, on the engine's own
    search path; a connection the server dropped is replaced for the same read."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    first = registry_store.get("status-list", "list-1")
    reads = _loop_reads(registry_store)

    async def scenario() -> None:
        assert await registry_store.get_async("status-list", "list-1") == first
        (here,) = reads._loops.values()
        connection = here.idle[-1]
        assert not connection.is_in_transaction()
        with pytest.raises(asyncpg.exceptions.ReadOnlySQLTransactionError):
            await connection.execute("DELETE FROM documents")
        assert await connection.fetchval("SHOW search_path") == _schema(registry_store)
        pid = connection.get_server_pid()
        # A blocking call: the loop has not seen the server's FATAL when the next read
        # takes this connection, so the read itself meets the dropped connection.
        with registry_store.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        assert await registry_store.get_async("status-list", "list-1") == first
        assert here.idle[-1] is not connection
        assert connection.is_closed()

    asyncio.run(scenario())


def _schema(store: RegistryStore) -> str:
    with store.engine.connect() as connection:
        return str(connection.exec_driver_sql("SHOW search_path").scalar())


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_a_connection_dropped_while_idle_is_not_used(registry_store: RegistryStore) -> None:
    """A connection the server dropped between reads (the loop has seen it close) is let go
    before the read, which opens another."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    reads = _loop_reads(registry_store)

    async def scenario() -> None:
        assert await registry_store.get_async("status-list", "list-1") is not None
        (here,) = reads._loops.values()
        (connection,) = here.idle
        await asyncio.to_thread(_terminate_backend, registry_store, connection.get_server_pid())
        for _ in range(100):
            if connection.is_closed():
                break
            await asyncio.sleep(0.01)
        assert connection.is_closed()
        assert await registry_store.get_async("status-list", "list-1") is not None
        assert len(here.idle) == 1
        assert here.idle[0] is not connection

    asyncio.run(scenario())


def _terminate_backend(store: RegistryStore, pid: int) -> None:
    with store.engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_each_loop_has_its_own_connections_closed_by_its_shutdown(
    registry_store: RegistryStore,
) -> None:
    """A connection belongs to the loop that opened it: the loop's shutdown closes it (a
    test client starts a loop per request), and a second loop opens its own."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    reads = _loop_reads(registry_store)
    opened: list[list[Any]] = []

    async def read() -> None:
        assert await registry_store.get_async("status-list", "list-1") is not None
        idle = list(reads._loops[asyncio.get_running_loop()].idle)
        assert idle
        assert not any(c.is_closed() for c in idle)
        opened.append(idle)

    asyncio.run(read())
    assert all(c.is_closed() for c in opened[0])
    asyncio.run(read())
    assert not set(opened[0]) & set(opened[1])
    assert all(c.is_closed() for c in opened[1])
    with asyncio.Runner() as runner:  # a loop still open when the second one reads
        runner.run(read())
        assert len(reads._loops) == 1  # the loops closed before are forgotten
    assert all(c.is_closed() for c in opened[2])


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_dispose_closes_the_connections_of_a_loop_still_open(
    registry_store: RegistryStore,
) -> None:
    """Dispose, from any thread, hands a loop that is still open its idle connections to
    close; a read that was under way when it was called closes its connection after."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    reads = _loop_reads(registry_store)

    async def read() -> list[Any]:
        assert await registry_store.get_async("status-list", "list-1") is not None
        return list(reads._loops[asyncio.get_running_loop()].idle)

    with asyncio.Runner() as runner:
        idle = runner.run(read())
        registry_store.dispose()
        assert not reads._loops
        runner.run(asyncio.sleep(0.05))  # the loop runs what dispose handed it
        assert all(c.is_closed() for c in idle)

        async def read_while_disposed() -> Any:
            task = asyncio.ensure_future(registry_store.get_async("status-list", "list-1"))
            await asyncio.sleep(0)
            here = reads._loops[asyncio.get_running_loop()]
            reads.close()
            assert await task is not None
            assert here.idle == []

        runner.run(read_while_disposed())


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_reads_arriving_together_are_one_statement(registry_store: RegistryStore) -> None:
    """Lookups made at once on a loop are read together, on one connection: each gets its
    own document, a key asked twice gets it twice, a key not held gets nothing."""
    for n in range(1, 6):
        assert registry_store.put(_publication(n, key=f"list-{n}"), media_type=MEDIA)
    reads = _loop_reads(registry_store)
    keys = [f"list-{n}" for n in (1, 2, 3, 9, 4, 5, 2)]

    async def together() -> list[Any]:
        assert await registry_store.get_async("status-list", "list-1") is not None
        found = await asyncio.gather(
            *(registry_store.get_async("status-list", key) for key in keys)
        )
        assert len(reads._loops[asyncio.get_running_loop()].idle) == 1
        return found

    found = asyncio.run(together())
    assert found == [registry_store.get("status-list", key) for key in keys]
    assert found[3] is None
    assert [d.key for d in found if d is not None] == [k for k in keys if k != "list-9"]


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_a_cancelled_lookup_leaves_its_batch_reading(registry_store: RegistryStore) -> None:
    """A lookup cancelled while the server has not answered (its client gone) is cancelled
    alone: the statement goes on for the others in its batch, and its connection is kept."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    reads = _loop_reads(registry_store)

    async def scenario() -> None:
        assert await registry_store.get_async("status-list", "list-1") is not None
        here = reads._loops[asyncio.get_running_loop()]
        (connection,) = here.idle
        with registry_store.engine.connect() as locker:
            locker.exec_driver_sql("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            gone, kept = (
                asyncio.ensure_future(registry_store.get_async("status-list", "list-1"))
                for _ in range(2)
            )
            await asyncio.sleep(0.3)  # the SELECT now waits for the lock
            assert not gone.done()
            assert here.busy == 1
            gone.cancel()
            with pytest.raises(asyncio.CancelledError):
                await gone
            locker.rollback()
        assert (await kept) is not None
        assert here.idle == [connection]
        assert not connection.is_closed()

    asyncio.run(scenario())


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_an_interrupted_statement_closes_its_connection(registry_store: RegistryStore) -> None:
    """A statement interrupted while the server has not answered (the loop shutting down)
    cancels its lookups and leaves its connection closed, not back among the idle ones; the
    next read opens another."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    reads = _loop_reads(registry_store)

    async def scenario() -> None:
        assert await registry_store.get_async("status-list", "list-1") is not None
        here = reads._loops[asyncio.get_running_loop()]
        (connection,) = here.idle
        with registry_store.engine.connect() as locker:
            locker.exec_driver_sql("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            read = asyncio.ensure_future(registry_store.get_async("status-list", "list-1"))
            await asyncio.sleep(0.3)  # the SELECT now waits for the lock
            (statement,) = here.tasks
            statement.cancel()
            with pytest.raises(asyncio.CancelledError):
                await read
            locker.rollback()
        assert connection.is_closed()
        assert here.idle == []
        assert here.busy == 0
        assert await registry_store.get_async("status-list", "list-1") is not None
        assert len(here.idle) == 1
        assert here.idle[0] is not connection

    asyncio.run(scenario())


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_a_failed_statement_fails_its_lookups_alone(
    registry_store: RegistryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error from the server fails the lookups of that batch with it, keeps the
    connection (it is still usable), and the next lookups read as before."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    reads = _loop_reads(registry_store)

    async def scenario() -> None:
        assert await registry_store.get_async("status-list", "list-1") is not None
        here = reads._loops[asyncio.get_running_loop()]
        with monkeypatch.context() as patched:
            patched.setattr(
                "registry.store.loop_reads._LOOP_GET_MANY", "SELECT * FROM no_such_table"
            )
            failed = await asyncio.gather(
                registry_store.get_async("status-list", "list-1"),
                registry_store.get_async("status-list", "list-2"),
                return_exceptions=True,
            )
        assert all(isinstance(f, asyncpg.exceptions.UndefinedTableError) for f in failed)
        assert len(here.idle) == 1
        assert here.busy == 0
        assert await registry_store.get_async("status-list", "list-1") is not None

    asyncio.run(scenario())


def test_a_parameter_asyncpg_lacks_reads_through_threads(
    registry_postgres: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An engine connecting with a libpq parameter asyncpg has no equivalent for still
    answers the lookups, through the blocking reads, and says why once."""
    engine = create_registry_engine(
        registry_postgres.url,
        connect_args={"options": f"-csearch_path={registry_postgres.schema}", "keepalives": 1},
    )
    store = RegistryStore(engine, clock=lambda: RECEIVED)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE documents")
        assert store.put(_publication(1), media_type=MEDIA)

        async def twice() -> tuple[object, object]:
            return (
                await store.get_async("status-list", "list-1"),
                await store.get_async("status-list", "list-1"),
            )

        with caplog.at_level("WARNING", logger="registry.store"):
            held, again = asyncio.run(twice())
        assert held == again == store.get("status-list", "list-1")
        assert not _loop_reads(store)._loops
        assert [r.getMessage() for r in caplog.records] == [
            "PostgreSQL connection parameter 'keepalives' has no asyncpg equivalent: "
            "register lookups read through threads"
        ]
    finally:
        store.dispose()


def test_asyncpg_is_given_what_libpq_connected_with() -> None:
    """The DSN names the connected host, port, user and database and the parameters asyncpg
    shares with libpq; startup parameters travel as server settings, read-only added."""
    arguments = _asyncpg_arguments(
        {
            "host": "db.example",
            "hostaddr": "192.0.2.7",
            "sslmode": "verify-full",
            "sslrootcert": "/etc/ca.pem",
            "options": "-csearch_path=reg",
            "fallback_application_name": "certreg",
            "connect_timeout": "1",
            "sslcertmode": "allow",
        },
        host="db.example",
        port=5433,
        user="reader",
        dbname="registry",
        password="p@ss&word",
    )
    assert isinstance(arguments, _AsyncpgArguments)
    assert arguments.dsn.startswith("postgresql://?")
    query = urllib.parse.parse_qs(arguments.dsn.removeprefix("postgresql://?"))
    assert query == {
        "host": ["db.example"],
        "port": ["5433"],
        "user": ["reader"],
        "dbname": ["registry"],
        "password": ["p@ss&word"],
        "sslmode": ["verify-full"],
        "sslrootcert": ["/etc/ca.pem"],
    }
    assert arguments.server_settings == {
        "default_transaction_read_only": "on",
        "options": "-csearch_path=reg",
        "application_name": "certreg",
    }
    assert arguments.timeout == 2.0  # libpq waits at least two seconds


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("keepalives", "1"),
        ("tcp_user_timeout", "1000"),
        ("require_auth", "scram-sha-256"),
        ("channel_binding", "require"),
        ("gssencmode", "require"),
        ("client_encoding", "LATIN1"),
        ("connect_timeout", "soon"),
    ],
)
def test_a_parameter_without_an_asyncpg_equivalent_is_named(name: str, value: str) -> None:
    arguments = _asyncpg_arguments(
        {name: value}, host="h", port=5432, user="u", dbname="d", password=""
    )
    assert arguments == name
