"""Shared fixtures: a store per backend (SQLite always, PostgreSQL when configured), a frozen
clock, seeded entropy, and the back office app over a TestClient.

Every store test runs on each backend. PostgreSQL runs when ``CERTREG_TEST_POSTGRES_URL`` is
set; under ``CI=true`` a missing or unreachable PostgreSQL fails the run instead of skipping.
Each session migrates a private schema once; each test then starts from empty tables.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from issuer.credentials import signing
from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.model import KeyState
from issuer.settings import Settings
from issuer.store import Store, create_issuer_engine, migrate
from issuer.store.tables import metadata
from registry import RegistryStore
from registry import upgrade as registry_upgrade
from registry.store import create_registry_engine
from tests.backoffice import BackOffice, enrol_office

POSTGRES_ENV = "CERTREG_TEST_POSTGRES_URL"
PASSPHRASE = "test-passphrase-only-for-tests"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class FrozenClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class SeededEntropy:
    """Deterministic bytes, so ids and certificate numbers repeat from run to run."""

    def __init__(self, seed: int = 17024) -> None:
        self._rng = random.Random(seed)

    def __call__(self, n: int) -> bytes:
        return self._rng.randbytes(n)


@dataclass(frozen=True)
class PostgresSchema:
    url: str
    schema: str

    def store(self) -> Store:
        return Store(
            create_issuer_engine(self.url, connect_args={"options": f"-csearch_path={self.schema}"})
        )


def _postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {POSTGRES_ENV} is not set")
    return url or None


@pytest.fixture(scope="session", autouse=True)
def seen_status_lists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``certreg verify`` keeps the status list dates it has seen in the user's home: in the
    tests, in a directory of the run's own, never the home of whoever runs them."""
    from issuer.cli import seen_lists

    path = seen_lists.seen_lists_path(tmp_path_factory.mktemp("home"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seen_lists, "default_path", lambda: path)
        yield path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "issuer.sqlite3"
    store = Store.from_url(f"sqlite:///{path}")
    migrate.upgrade(store.engine)
    store.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[PostgresSchema]:
    url = _postgres_url()
    if url is None:
        pytest.skip(f"{POSTGRES_ENV} not set")
    schema = f"certreg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {url} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {url} is unreachable: {exc}")
    target = PostgresSchema(url=url, schema=schema)
    store = target.store()
    migrate.upgrade(store.engine)
    store.dispose()
    yield target
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _empty_postgres(store: Store) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture(scope="session")
def signing_key() -> signing.GeneratedKey:
    """One key for the whole run: key derivation is deliberately slow (scrypt)."""
    return signing.generate_key(signing.Algorithm.ES256, passphrase=PASSPHRASE.encode())


@pytest.fixture(scope="session")
def keyring() -> KeyRing:
    return KeyRing(passphrase=PASSPHRASE.encode())


def _install_key(store: Store, key: signing.GeneratedKey) -> None:
    with store.transaction() as tx:
        tx.insert_signing_key(
            kid=key.kid,
            alg=key.alg.value,
            public_jwk=key.public_jwk,
            encrypted_private_key=key.encrypted_private_key,
            state=KeyState.ACTIVE,
            created_at=START,
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "issuer.sqlite3"
        shutil.copyfile(template, path)
        sqlite_store = Store.from_url(f"sqlite:///{path}")
        _install_key(sqlite_store, request.getfixturevalue("signing_key"))
        yield sqlite_store
        sqlite_store.dispose()
        return
    target: PostgresSchema = request.getfixturevalue("postgres_schema")
    pg_store = target.store()
    _empty_postgres(pg_store)
    _install_key(pg_store, request.getfixturevalue("signing_key"))
    yield pg_store
    pg_store.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def entropy() -> SeededEntropy:
    return SeededEntropy()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        base_url="https://certs.example.test",
        body_name="Example Welding Certification Body",
        key_passphrase=PASSPHRASE,
    )


@pytest.fixture
def client(
    settings: Settings,
    store: Store,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Iterator[TestClient]:
    app = create_app(settings, store=store, clock=clock, entropy=entropy, keyring=keyring)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def office(
    client: TestClient, store: Store, clock: FrozenClock, entropy: SeededEntropy
) -> BackOffice:
    return enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))


@pytest.fixture
def registry_store(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Iterator[RegistryStore]:
    """A migrated, empty registry store on the test's engine (a private schema on PostgreSQL,
    shared with the issuer store: its tables are dropped before and after)."""
    if backend == "sqlite":
        store = RegistryStore.from_url(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    else:
        target = request.getfixturevalue("postgres_schema")
        store = RegistryStore(
            create_registry_engine(
                target.url, connect_args={"options": f"-csearch_path={target.schema}"}
            )
        )
        _drop_registry_tables(store)
    registry_upgrade(store.engine)
    yield store
    if backend != "sqlite":
        _drop_registry_tables(store)
    store.dispose()


def _drop_registry_tables(store: RegistryStore) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS documents")
        conn.exec_driver_sql("DROP TABLE IF EXISTS registry_alembic_version")
