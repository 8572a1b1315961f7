"""The throwaway world ``certreg bench`` measures in: stores, one signing key, one scheme.

Every store is new and private to the run: SQLite files in a temporary directory, or, on
PostgreSQL, tables in a schema of their own that is dropped afterwards. Each issuer store
gets the same signing key (so the registry, seeded with documents signed by it, verifies
everything it serves), a scheme manager, a decision-maker and the example scheme.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from issuer import demo
from issuer.credentials import signing
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.keys import KeyRing
from issuer.http.bodies.schemes import SchemeContentBody
from issuer.model import KeyState, Role
from issuer.process import schemes, staff
from issuer.process.auth import Actor
from issuer.publication import outbox
from issuer.runtime import Entropy
from issuer.store import Store, create_issuer_engine, migrate
from registry import RegistryStore
from registry import upgrade as registry_upgrade
from registry.store import create_registry_engine

if TYPE_CHECKING:
    import psycopg

__all__ = ["FAMILY_NAMES", "GIVEN_NAMES", "BenchEnv", "Office", "Server", "start_server"]

BASE_URL = "https://bench.certreg.invalid"
_PASSPHRASE = b"certreg-bench-throwaway-key"


@dataclass(frozen=True, slots=True)
class Office:
    """Who decides and what is certified in one bench store."""

    store: Store
    decider: Actor
    scheme_code: str
    scope: tuple[str, ...]

    def rows(self, count: int, *, prefix: str, today: date) -> Iterator[dict[str, Any]]:
        """Roster rows as ``certreg issue-bulk`` reads them, one or two scope items each,
        with their evidence; :attr:`decider` grants them (``acting_decision_maker``)."""
        for i in range(count):
            yield {
                "external_id": f"{prefix}-{i}",
                "given_name": GIVEN_NAMES[i % len(GIVEN_NAMES)],
                "family_name": FAMILY_NAMES[i % len(FAMILY_NAMES)],
                "scheme": self.scheme_code,
                "scope": list(self.scope[: 1 + i % 2]),
                "effective_date": today.isoformat(),
                "exam_provider": "certreg bench examinations",
                "examined_on": today.isoformat(),
                "exam_result": "pass",
                "identity_checked": True,
                "nda_accepted": True,
            }


GIVEN_NAMES = (
    "Ana",
    "Jonas",
    "Priya",
    "Mateo",
    "Aiko",
    "Oluwaseun",
    "Zofia",
    "Émile",
    "Li",
    "Sven",
)
FAMILY_NAMES = ("Moreau", "Berg", "Raman", "García", "Sato", "Adeyemi", "Łukasz", "Dubois", "Wei")


def _pg_conninfo(url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as libpq connection information."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


@dataclass
class BenchEnv:
    """Stores, key and identity of one bench run; :meth:`close` removes every store."""

    engine: str
    database_url: str | None = None
    identity: IssuerIdentity = field(
        default_factory=lambda: IssuerIdentity(base_url=BASE_URL, name="certreg bench body")
    )
    keyring: KeyRing = field(default_factory=lambda: KeyRing(passphrase=_PASSPHRASE))
    _key: signing.GeneratedKey | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _schemas: list[str] = field(default_factory=list)
    _stores: list[Store | RegistryStore] = field(default_factory=list)
    _places: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    """Where each store lives, by ``id()`` of the store: ``(url, schema)``."""

    def __post_init__(self) -> None:
        if self.engine == "postgresql" and not self.database_url:
            raise ValueError("--engine postgresql needs --database-url")
        self._tmp = tempfile.TemporaryDirectory(prefix="certreg-bench-")
        self._key = signing.generate_key(signing.Algorithm.ES256, passphrase=_PASSPHRASE)

    @property
    def directory(self) -> Path:
        assert self._tmp is not None
        return Path(self._tmp.name)

    @property
    def key_passphrase(self) -> str:
        """The passphrase the run's throwaway key is encrypted with, for a server the run
        starts over one of its stores (it is public: the key signs nothing that lasts)."""
        return _PASSPHRASE.decode("ascii")

    def where(self, store: Store | RegistryStore) -> tuple[str, str | None]:
        """``(url, search_path)`` of one of the run's stores, for a server to open it."""
        return self._places[id(store)]

    def _admin(self) -> psycopg.Connection[Any]:
        """An autocommit connection to the PostgreSQL database, for the run's DDL and
        upkeep (schemas, vacuum, checkpoint): through the driver, not the stores."""
        import psycopg

        assert self.database_url is not None
        return psycopg.connect(_pg_conninfo(self.database_url), autocommit=True)

    def _schema(self) -> str:
        """A new PostgreSQL schema for one store."""
        name = f"certreg_bench_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        self._schemas.append(name)
        return name

    def location(self, name: str) -> tuple[str, str | None]:
        """``(url, search_path)`` of a new, empty database for the store called ``name``."""
        if self.engine == "sqlite":
            return f"sqlite:///{self.directory / name}.sqlite3", None
        assert self.database_url is not None
        return self.database_url, self._schema()

    def issuer_store(self, name: str) -> Store:
        url, schema = self.location(name)
        options = {} if schema is None else {"connect_args": {"options": f"-csearch_path={schema}"}}
        store = Store(create_issuer_engine(url, **options))
        migrate.upgrade(store.engine)
        self._stores.append(store)
        self._places[id(store)] = (url, schema)
        return store

    def registry_store(self, url: str, schema: str | None) -> RegistryStore:
        options = {} if schema is None else {"connect_args": {"options": f"-csearch_path={schema}"}}
        store = RegistryStore(create_registry_engine(url, **options))
        registry_upgrade(store.engine)
        self._stores.append(store)
        self._places[id(store)] = (url, schema)
        return store

    def drop(self, store: Store) -> None:
        """Remove an issuer store the rest of the run does not read (a bulk phase's, once
        measured), with everything the database still had to write of it.

        A bulk run of N rows leaves gigabytes of pages that the database (PostgreSQL's
        checkpoints and backends) or the kernel (SQLite's file in the page cache) writes
        back over the following minutes, on the same disk and cores as the next phase: at
        N = 1,000,000 on PostgreSQL that write-back fell into the lookup phase and gave its
        p99 (docs/PERFORMANCE.md). A dropped schema's or deleted file's pages are
        discarded, not written.
        """
        url, schema = self._places.pop(id(store))
        store.dispose()
        self._stores.remove(store)
        if schema is not None:
            with self._admin() as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            self._schemas.remove(schema)
            return
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)

    def settle(self, store: RegistryStore | None = None) -> None:
        """Bring the databases to rest before a measured phase, so that it pays for its
        own work only: ``store`` (the registry just seeded) vacuumed and analysed on
        PostgreSQL, then a checkpoint there, then the kernel's dirty pages written.

        A registry that serves lookups has long been vacuumed by autovacuum; one seeded a
        moment ago has not, and its first reads would set each row's hint bits, dirtying
        the pages they read for backends to write out of the shared buffers mid-load.
        ``CHECKPOINT`` needs a superuser or ``pg_checkpoint``; without either it is skipped
        (the run goes on, measuring whatever write-back is left).
        """
        if self.engine == "postgresql":
            import psycopg

            schema = None if store is None else self._places[id(store)][1]
            with self._admin() as conn:
                if schema is not None:
                    tables = conn.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
                    ).fetchall()
                    for (table,) in tables:
                        conn.execute(f'VACUUM (FREEZE, ANALYZE) "{schema}"."{table}"')
                with suppress(psycopg.errors.InsufficientPrivilege):
                    conn.execute("CHECKPOINT")
        os.sync()

    def office(self, store: Store, *, now: datetime, entropy: Entropy) -> Office:
        """Install the run's key, a scheme manager, a decision-maker and the example scheme;
        the issuer keys are enqueued for publication, as creating a key does."""
        key = self._key
        assert key is not None
        data = demo.load_example_scheme()
        code = str(data.pop("code"))
        content = SchemeContentBody.model_validate(data).to_model()
        with store.transaction() as tx:
            tx.insert_signing_key(
                kid=key.kid,
                alg=key.alg.value,
                public_jwk=key.public_jwk,
                encrypted_private_key=key.encrypted_private_key,
                state=KeyState.ACTIVE,
                created_at=now,
            )
            outbox.enqueue_keys(tx, now)
            manager = _actor(tx, now, entropy, "Bench Scheme Manager", Role.SCHEME_MANAGER)
            decider = _actor(tx, now, entropy, "Bench Decision-Maker", Role.DECISION_MAKER)
            schemes.create_scheme(
                tx, actor=manager, now=now, entropy=entropy, code=code, content=content
            )
        return Office(
            store=store,
            decider=decider,
            scheme_code=code,
            scope=tuple(item.code for item in content.scope_items),
        )

    def server_version(self) -> str:
        import psycopg

        assert self.database_url is not None
        with psycopg.connect(_pg_conninfo(self.database_url)) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"

    def close(self) -> None:
        for store in self._stores:
            store.dispose()
        if self._schemas:
            with self._admin() as conn:
                for name in self._schemas:
                    conn.execute(f'DROP SCHEMA "{name}" CASCADE')
        if self._tmp is not None:
            self._tmp.cleanup()


def _actor(tx: Any, now: datetime, entropy: Entropy, name: str, role: Role) -> Actor:
    token, _ = staff.enrol(tx, actor="system:bench", now=now, entropy=entropy, name=name, role=role)
    return Actor(token_id=token.id, role=role, staff_id=token.staff_id)


@dataclass
class Server:
    """A running two-worker server (see :mod:`issuer.bench.server`)."""

    process: subprocess.Popen[str]
    port: int
    pids: list[int]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_kib(self) -> dict[int, int]:
        """``VmHWM`` (peak resident set) of the master and each worker, in KiB."""
        peaks = {}
        for pid in [self.process.pid, *self.pids]:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1])
        return peaks

    def stop(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(job: dict[str, Any], *, ready_path: str, timeout: float = 60.0) -> Server:
    """Start :mod:`issuer.bench.server` with ``job`` and wait until ``ready_path`` answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "issuer.bench.server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(json.dumps(job) + "\n")
    process.stdin.flush()
    started = json.loads(process.stdout.readline())
    server = Server(process=process, port=int(started["port"]), pids=list(started["pids"]))
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        while True:
            try:
                if client.get(ready_path).status_code < 500:
                    time.sleep(1.0)  # the other worker may still be importing
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                server.stop()
                raise RuntimeError(f"the {job['app']} server did not start")
            time.sleep(0.1)
