"""Alembic migrations build exactly the schema the code declares, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from issuer import demo
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.keys import KeyRing
from issuer.store import Store, migrate
from issuer.store.tables import metadata
from registry.tables import metadata as registry_metadata
from tests.conftest import FrozenClock, SeededEntropy

REGISTRY_TABLES = {*registry_metadata.tables, "registry_alembic_version"}


def _issuer_objects(name: str | None, type_: str, parent_names: object) -> bool:
    """The registry may share the database (PostgreSQL tests do): its tables are not ours."""
    return not (type_ == "table" and name in REGISTRY_TABLES)


def test_migrations_match_the_declared_tables(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": _issuer_objects}
        )
        assert compare_metadata(context, metadata) == []
    assert migrate.current_revision(store.engine) == migrate.head_revision()


def test_upgrade_is_idempotent(store: Store) -> None:
    migrate.upgrade(store.engine)
    assert migrate.current_revision(store.engine) == migrate.head_revision()


def test_migrations_keep_data_across_downgrade_and_upgrade(
    store: Store, keyring: KeyRing, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    """Table rebuilds (SQLite batch mode) must carry every row and every reference along."""
    context = IssuanceContext(
        identity=IssuerIdentity(base_url="https://certs.example.test", name="Example Body"),
        keyring=keyring,
        list_entries=131_072,
    )
    assert demo.seed(store, now=clock(), entropy=entropy, issuance=context) is not None
    tables = ["credentials", "certifications", "status_slots", "audit_log", "mark_agreements"]

    def counts() -> dict[str, int]:
        with store.engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}

    before = counts()
    assert before["credentials"] == 3  # two certificates and a mark
    migrate.downgrade(store.engine, "0002")
    assert migrate.current_revision(store.engine) == "0002"
    migrate.upgrade(store.engine)
    assert counts() == before
    with store.transaction() as tx:
        assert tx.verify_audit_chain().intact
    test_migrations_match_the_declared_tables(store)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_credentials_stay_inline_and_uncompressed_on_postgresql(store: Store) -> None:
    """A credential row (about 2.6 KB) is below the row size at which PostgreSQL compresses
    long values (raised to 4,080 bytes: pglz saved 4% of a JWS for a third of its write);
    downgrading takes the setting back."""

    def options() -> list[str]:
        with store.engine.connect() as conn:
            row = conn.execute(
                text("SELECT reloptions FROM pg_class WHERE oid = to_regclass('credentials')")
            ).scalar_one()
        return list(row or [])

    assert options() == ["toast_tuple_target=4080"]
    migrate.downgrade(store.engine, "0007")
    assert options() == []
    migrate.upgrade(store.engine)
    assert options() == ["toast_tuple_target=4080"]


def test_examinations_recorded_before_their_scope_was_kept_assessed_their_application(
    store: Store, keyring: KeyRing, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    """An examination recorded before examinations said what they assessed could only
    assess its whole application: the upgrade gives it its application's requested scope, so
    a later expansion may still rely on it, and nothing it proved is lost."""
    context = IssuanceContext(
        identity=IssuerIdentity(base_url="https://certs.example.test", name="Example Body"),
        keyring=keyring,
        list_entries=131_072,
    )
    assert demo.seed(store, now=clock(), entropy=entropy, issuance=context) is not None
    migrate.downgrade(store.engine, "0011")
    migrate.upgrade(store.engine)
    with store.engine.connect() as conn:
        application_ids = conn.scalars(text("SELECT id FROM applications ORDER BY id")).all()
    examined = 0
    with store.transaction() as tx:
        for application_id in application_ids:
            application = tx.get_application(application_id)
            assert application is not None
            for examination in tx.list_examinations(application_id):
                assert examination.scope == application.requested_scope
                examined += 1
    assert examined == 2  # the demo examines two of its three candidates
