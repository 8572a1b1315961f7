"""The registry store: "store if newer", strong ETags, and nothing but what was published."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import inspect

from registry import RegistryStore, migrate
from registry.store import create_registry_engine, strong_etag
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
        assert connection.autocommit
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            await connection.execute("DELETE FROM documents")
        (pid,) = await (await connection.execute("SELECT pg_backend_pid()")).fetchone()
        with registry_store.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        assert await registry_store.get_async("status-list", "list-1") == first
        assert here.idle[-1] is not connection
        assert connection.closed

    asyncio.run(scenario())


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_each_loop_has_its_own_connections_closed_after_the_loop(
    registry_store: RegistryStore,
) -> None:
    """A connection belongs to the loop that opened it: a second loop opens its own, and
    finds the first loop's (closed by then) and closes its connections; dispose closes the
    rest."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    reads = _loop_reads(registry_store)

    async def read() -> list[Any]:
        assert await registry_store.get_async("status-list", "list-1") is not None
        return list(reads._loops[asyncio.get_running_loop()].idle)

    first = asyncio.run(read())
    assert first
    assert not any(c.closed for c in first)
    second = asyncio.run(read())
    assert all(c.closed for c in first)
    assert not set(first) & set(second)
    assert len(reads._loops) == 1
    registry_store.dispose()
    assert all(c.closed for c in second)
    assert not reads._loops


@pytest.mark.parametrize("registry_backend", ["postgresql"])
def test_an_interrupted_read_closes_its_connection(registry_store: RegistryStore) -> None:
    """A read cancelled while the server has not answered (a client gone, a timeout) leaves
    its connection closed, not back among the idle ones; the next read opens another."""
    assert registry_store.put(_publication(1), media_type=MEDIA)
    reads = _loop_reads(registry_store)

    async def scenario() -> None:
        here_loop = asyncio.get_running_loop()
        assert await registry_store.get_async("status-list", "list-1") is not None
        here = reads._loops[here_loop]
        (connection,) = here.idle
        with registry_store.engine.connect() as locker:
            locker.exec_driver_sql("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            read = asyncio.ensure_future(registry_store.get_async("status-list", "list-1"))
            await asyncio.sleep(0.3)  # the SELECT now waits for the lock
            assert not read.done()
            read.cancel()
            with pytest.raises(asyncio.CancelledError):
                await read
            locker.rollback()
        assert connection.closed
        assert here.idle == []
        assert await registry_store.get_async("status-list", "list-1") is not None
        assert len(here.idle) == 1
        assert here.idle[0] is not connection

    asyncio.run(scenario())
