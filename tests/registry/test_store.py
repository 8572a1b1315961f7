"""The registry store: "store if newer", strong ETags, and nothing but what was published."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

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
