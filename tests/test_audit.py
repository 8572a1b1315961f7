"""The audit log's hash chain detects every alteration, deletion, insertion and reordering of a
stored entry, and names the first entry affected (clause 7.1.2)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from issuer.store import Store, audit
from tests.conftest import FrozenClock


def _fill(store: Store, clock: FrozenClock, n: int = 8) -> None:
    for i in range(n):
        clock.advance(seconds=1)
        with store.transaction() as tx:
            tx.append_audit(
                at=clock(),
                actor="staff:7d0c",
                action="application.reviewed",
                subject_type="application",
                subject_id=f"app-{i}",
                details={"from": "submitted", "to": "reviewed"},
            )


def _report(store: Store) -> audit.ChainReport:
    with store.transaction() as tx:
        return tx.verify_audit_chain(batch=3)


def _sql(store: Store, statement: str, **params: object) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_intact_chain_verifies(store: Store, clock: FrozenClock) -> None:
    assert _report(store).intact  # the empty chain
    _fill(store, clock)
    report = _report(store)
    assert report.intact
    assert report.entries == report.head_seq == 8


def test_altered_entry_is_named(store: Store, clock: FrozenClock) -> None:
    _fill(store, clock)
    _sql(store, "UPDATE audit_log SET action = 'application.accepted' WHERE seq = 5")
    report = _report(store)
    assert report.break_ is not None
    assert report.break_.seq == 5
    assert "altered" in report.break_.reason


def test_altered_entry_with_recomputed_hash_is_caught_at_the_next(
    store: Store, clock: FrozenClock
) -> None:
    _fill(store, clock)
    with store.transaction() as tx:
        entry = tx.audit_entries(after=4, limit=1)[0]
    forged = audit.entry_hash(
        prev_hash=entry.prev_hash,
        seq=entry.seq,
        at=entry.at,
        actor="staff:someone-else",
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        details_digest=entry.details_digest,
    )
    _sql(
        store,
        "UPDATE audit_log SET actor = 'staff:someone-else', entry_hash = :h WHERE seq = 5",
        h=forged,
    )
    report = _report(store)
    assert report.break_ is not None
    assert report.break_.seq == 6
    assert "does not follow" in report.break_.reason


def test_deleted_entry_is_named(store: Store, clock: FrozenClock) -> None:
    _fill(store, clock)
    _sql(store, "DELETE FROM audit_log WHERE seq = 4")
    report = _report(store)
    assert report.break_ is not None
    assert report.break_.seq == 4
    assert "missing" in report.break_.reason


def test_deleted_tail_is_caught_by_the_head(store: Store, clock: FrozenClock) -> None:
    _fill(store, clock)
    _sql(store, "DELETE FROM audit_log WHERE seq >= 7")
    report = _report(store)
    assert report.break_ is not None
    assert report.break_.seq == 7
    assert "deleted from the end" in report.break_.reason


def test_inserted_entry_is_named(store: Store, clock: FrozenClock) -> None:
    _fill(store, clock)
    # make room at 4 by renumbering the later entries, then slip a forged entry in
    _sql(store, "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 4")
    _sql(store, "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 104")
    with store.transaction() as tx:
        previous = tx.audit_entries(after=2, limit=1)[0]
    at = datetime(2026, 11, 25, 9, 0, 3, 500000, tzinfo=UTC)
    digest = audit.details_digest({"outcome": "grant"})
    forged = audit.entry_hash(
        prev_hash=previous.entry_hash,
        seq=4,
        at=at,
        actor="staff:intruder",
        action="decision.grant",
        subject_type="application",
        subject_id="app-x",
        details_digest=digest,
    )
    _sql(
        store,
        "INSERT INTO audit_log (seq, at, actor, action, subject_type, subject_id, "
        "details_digest, prev_hash, entry_hash) VALUES (4, :at, 'staff:intruder', "
        "'decision.grant', 'application', 'app-x', :d, :p, :h)",
        at=at,
        d=digest,
        p=previous.entry_hash,
        h=forged,
    )
    report = _report(store)
    assert report.break_ is not None
    assert report.break_.seq == 5  # the forged link fits; the real entry after it does not
    assert "does not follow" in report.break_.reason


def test_appended_entry_past_the_head_is_named(store: Store, clock: FrozenClock) -> None:
    _fill(store, clock)
    with store.transaction() as tx:
        last = tx.audit_entries(after=7, limit=1)[0]
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    forged = audit.entry_hash(
        prev_hash=last.entry_hash,
        seq=9,
        at=at,
        actor="staff:intruder",
        action="decision.grant",
        subject_type="application",
        subject_id="app-x",
        details_digest=last.details_digest,
    )
    _sql(
        store,
        "INSERT INTO audit_log (seq, at, actor, action, subject_type, subject_id, "
        "details_digest, prev_hash, entry_hash) VALUES (9, :at, 'staff:intruder', "
        "'decision.grant', 'application', 'app-x', :d, :p, :h)",
        at=at,
        d=last.details_digest,
        p=last.entry_hash,
        h=forged,
    )
    report = _report(store)
    assert report.break_ is not None
    assert report.break_.seq == 9
    assert "past the head" in report.break_.reason


@pytest.mark.parametrize(("a", "b"), [(3, 4), (2, 7)])
def test_reordered_entries_are_named(store: Store, clock: FrozenClock, a: int, b: int) -> None:
    _fill(store, clock)
    _sql(store, "UPDATE audit_log SET seq = -1 WHERE seq = :a", a=a)
    _sql(store, "UPDATE audit_log SET seq = :a WHERE seq = :b", a=a, b=b)
    _sql(store, "UPDATE audit_log SET seq = :b WHERE seq = -1", b=b)
    report = _report(store)
    assert report.break_ is not None
    assert report.break_.seq == a


def test_entries_hold_no_personal_data(store: Store, clock: FrozenClock) -> None:
    """The chain keeps identifiers and digests: the details themselves are not stored."""
    with store.transaction() as tx:
        entry = tx.append_audit(
            at=clock(),
            actor="staff:1",
            action="person.registered",
            subject_type="person",
            subject_id="p-1",
            details={"public_notice_version": "2026-1"},
        )
    assert entry.details_digest == audit.details_digest({"public_notice_version": "2026-1"})
    with store.engine.connect() as conn:
        columns = conn.execute(text("SELECT * FROM audit_log")).keys()
    assert set(columns) == {
        "seq",
        "at",
        "actor",
        "action",
        "subject_type",
        "subject_id",
        "details_digest",
        "prev_hash",
        "entry_hash",
        "token_id",
    }


def test_concurrent_writers_extend_one_unbroken_chain(store: Store, clock: FrozenClock) -> None:
    """Writers in parallel threads (separate connections) never fork or break the chain."""
    from concurrent.futures import ThreadPoolExecutor

    def writer(worker: int) -> None:
        for i in range(15):
            with store.transaction() as tx:
                tx.append_audit(
                    at=clock(),
                    actor=f"staff:{worker}",
                    action="person.registered",
                    subject_type="person",
                    subject_id=f"p-{worker}-{i}",
                    details={},
                )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(writer, range(4)))
    report = _report(store)
    assert report.intact, report.break_
    assert report.entries == report.head_seq == 60


# ── the token that acted ─────────────────────────────────────────────────────────────────
def _fill_with_tokens(store: Store, clock: FrozenClock, n: int = 6) -> None:
    """Entries as requests make them (odd positions) among entries without a token."""
    for i in range(n):
        clock.advance(seconds=1)
        actor: str | audit.AuditActor = (
            audit.AuditActor("staff:7d0c", token_id=f"token-{i}") if i % 2 == 0 else "system:cli"
        )
        with store.transaction() as tx:
            tx.append_audit(
                at=clock(),
                actor=actor,
                action="person.registered",
                subject_type="person",
                subject_id=f"p-{i}",
                details={},
            )


def test_an_entry_without_a_token_hashes_as_entries_always_did() -> None:
    """Entries written before tokens were recorded keep verifying: the token id is hashed
    only when there is one (the digest below is the one the earlier code computed)."""
    fields: dict[str, Any] = {
        "prev_hash": audit.GENESIS_HASH,
        "seq": 1,
        "at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        "actor": "staff:7d0c",
        "action": "application.reviewed",
        "subject_type": "application",
        "subject_id": "app-0",
        "details_digest": audit.details_digest({"from": "submitted", "to": "reviewed"}),
    }
    before = "9ed271c6da5f5b8d76f5aa1043e80c4d048ffd6f3d0a18f9138a55c440276a13"
    assert audit.entry_hash(**fields) == before
    assert audit.entry_hash(**fields, token_id=None) == before
    assert audit.entry_hash(**fields, token_id="token-1") != before


def test_entries_name_their_token_and_the_chain_verifies(store: Store, clock: FrozenClock) -> None:
    _fill_with_tokens(store, clock)
    with store.transaction() as tx:
        entries = tx.audit_entries()
    assert [e.token_id for e in entries] == ["token-0", None, "token-2", None, "token-4", None]
    assert [e.actor for e in entries[:2]] == ["staff:7d0c", "system:cli"]
    assert _report(store).intact


@pytest.mark.parametrize(
    ("seq", "statement"),
    [
        (3, "UPDATE audit_log SET token_id = 'token-0' WHERE seq = 3"),  # another token
        (3, "UPDATE audit_log SET token_id = NULL WHERE seq = 3"),  # the token erased
        (4, "UPDATE audit_log SET token_id = 'token-9' WHERE seq = 4"),  # a token added
    ],
)
def test_an_altered_token_id_is_named(
    store: Store, clock: FrozenClock, seq: int, statement: str
) -> None:
    _fill_with_tokens(store, clock)
    _sql(store, statement)
    report = _report(store)
    assert report.break_ is not None
    assert report.break_.seq == seq
    assert "altered" in report.break_.reason
