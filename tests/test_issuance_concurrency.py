"""Several processes issuing at once on PostgreSQL never share a status slot.

Each worker is a separate OS process with its own connections, signing key ring and system
entropy, issuing certificate credentials in batches. Lists are kept small (4,096 entries, so
they close at 2,048 slots) to force random-draw collisions and list roll-over under
contention; the store's primary key on (list, index) must still hand every slot out once.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

from sqlalchemy import text

from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.issuance import IssuanceContext, issue_certificate
from issuer.credentials.keys import KeyRing
from issuer.runtime import system_entropy
from tests.conftest import PASSPHRASE, PostgresSchema, _empty_postgres, _install_key

WORKERS = 4
PER_WORKER = 520
BATCH = 40
ENTRIES = 4096


def _context() -> IssuanceContext:
    return IssuanceContext(
        identity=IssuerIdentity(base_url="https://certs.example.test", name="Example Body"),
        keyring=KeyRing(passphrase=PASSPHRASE.encode()),
        list_entries=ENTRIES,
    )


def _issue_many(target: PostgresSchema, certification_id: str) -> int:
    store = target.store()
    context = _context()
    issued = 0
    try:
        while issued < PER_WORKER:
            with store.transaction() as tx:
                certification = tx.get_certification(certification_id)
                assert certification is not None
                for _ in range(BATCH):
                    issue_certificate(
                        tx,
                        certification=certification,
                        context=context,
                        actor="system:test",
                        now=datetime.now(UTC),
                        entropy=system_entropy,
                    )
            issued += BATCH
    finally:
        store.dispose()
    return issued


def test_processes_issuing_at_once_never_share_a_slot(
    postgres_schema: PostgresSchema, signing_key: object
) -> None:
    from issuer import demo
    from issuer.credentials.signing import GeneratedKey

    assert isinstance(signing_key, GeneratedKey)
    store = postgres_schema.store()
    _empty_postgres(store)
    _install_key(store, signing_key)
    seeded = demo.seed(store, now=datetime.now(UTC), entropy=system_entropy, issuance=_context())
    assert seeded is not None
    with store.transaction() as tx:
        certification = tx.get_certification_by_number(seeded.certificate_numbers[0])
        assert certification is not None

    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(WORKERS) as pool:
        counts = pool.starmap(_issue_many, [(postgres_schema, certification.id)] * WORKERS)
    assert sum(counts) == WORKERS * PER_WORKER >= 2000

    with store.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM credentials")).scalar_one()
        duplicates = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT list_id, idx FROM ("
                " SELECT revocation_list_id AS list_id, revocation_index AS idx FROM credentials"
                " WHERE kind = 'certificate'"
                " UNION ALL"
                " SELECT suspension_list_id, suspension_index FROM credentials"
                " WHERE kind = 'certificate') slots"
                " GROUP BY list_id, idx HAVING count(*) > 1) d"
            )
        ).scalar_one()
        counters = conn.execute(
            text(
                "SELECT l.id, l.allocated, count(s.idx) FROM status_lists l"
                " JOIN status_slots s ON s.list_id = l.id GROUP BY l.id, l.allocated"
            )
        ).all()
        small_lists = conn.execute(
            text("SELECT count(*) FROM status_lists WHERE entries = :n"), {"n": ENTRIES}
        ).scalar_one()
    store.dispose()
    assert total >= WORKERS * PER_WORKER
    assert duplicates == 0
    assert all(allocated == taken for _, allocated, taken in counters)
    assert small_lists >= 4  # 2,080 slots per purpose cannot fit one list closing at 2,048
