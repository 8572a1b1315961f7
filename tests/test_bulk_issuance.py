"""Bulk issuance of rosters: one certification and credential per row, verifiable by an
outsider, idempotent by external id, resumable after a SIGKILL, and refusing bad rows one by
one with their row numbers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import GuestProtocol, Key
from sqlalchemy import text

from issuer.bulk import handover
from issuer.bulk import writes as bulk_writes
from issuer.bulk.chunks import _Balance
from issuer.bulk.issuance import _row_chunks, issue_batch
from issuer.bulk.report import BatchReport, Outcome, items_digest
from issuer.bulk.rosters import NumberedRow, count_rows, read_rows
from issuer.credentials import documents
from issuer.credentials.identity import IssuerIdentity, jwt_claims
from issuer.credentials.keys import KeyRing
from issuer.model import StatusPurpose
from issuer.settings import Settings
from issuer.store import Store, audit
from schemas.credential_schemas import CERTIFICATION_CREDENTIAL_V3, validate
from tests.backoffice import BackOffice, member, person_body, roster_evidence, setup_scheme
from tests.conftest import FrozenClock, PostgresSchema, SeededEntropy
from tests.test_credentials import method_key

ROOT = Path(__file__).resolve().parents[1]


def _identity(settings: Settings) -> IssuerIdentity:
    return IssuerIdentity(base_url=settings.base_url, name=settings.body_name)


def _rows(office: BackOffice, count: int, *, prefix: str = "r") -> list[dict[str, Any]]:
    today = office.clock().date()
    return [
        {
            "external_id": f"{prefix}-{i:05d}",
            "given_name": f"Ana{i}",
            "family_name": "Moreau-Łukasz" if i % 7 == 0 else "Moreau",
            "scheme": "WI",
            "scope": ["VT-STEEL", "VT-PRESSURE"] if i % 2 else ["VT-STEEL"],
            "effective_date": (today + timedelta(days=i % 3)).isoformat(),
            "decided_by": member(office, "decider").staff_id if i % 2 else "decider",
            "email": f"ana{i}@example.org",
            **roster_evidence(today - timedelta(days=10 + i % 5)),
        }
        for i in range(count)
    ]


def _issue(
    office: BackOffice, settings: Settings, keyring: KeyRing, rows: Any, **options: Any
) -> BatchReport:
    return issue_batch(
        office.store,
        rows,
        clock=office.clock,
        entropy=office.entropy,
        keyring=keyring,
        identity=_identity(settings),
        **{
            "workers": 1,
            "batch_size": 64,
            "acting_decision_maker": member(office, "decider").staff_id,
            **options,
        },
    )


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _published_keys(office: BackOffice) -> Callable[[GuestProtocol], Key]:
    """The key of each token's ``kid``, found in the published DID document."""
    return method_key(office.ok("GET", "/keys/did.json", member(office, "auditor")))


def _assert_every_credential_verifies(office: BackOffice, rows: list[dict[str, Any]]) -> None:
    """Each row's credential verifies with the published keys (an independent JOSE library)."""
    keys = _published_keys(office)
    with office.store.transaction() as tx:
        for item in tx.bulk_items([r["external_id"] for r in rows]).values():
            credential = tx.get_credential(item.credential_id)
            assert credential is not None
            jws.deserialize_compact(credential.jws, keys, algorithms=["ES256"])


def test_roster_issues_one_verifiable_credential_per_row_and_reruns_issue_nothing(
    office: BackOffice, settings: Settings, keyring: KeyRing
) -> None:
    setup_scheme(office)
    rows = _rows(office, 300)
    report = _issue(office, settings, keyring, rows)
    assert (report.issued, report.already_issued, report.rejected) == (300, 0, 0)
    assert report.chunks == 5
    for table in ("certifications", "credentials", "bulk_items", "decisions", "persons"):
        assert _count(office.store, table) == 300, table
    assert _count(office.store, "status_slots") == 600

    keys = _published_keys(office)
    with office.store.transaction() as tx:
        items = tx.bulk_items([r["external_id"] for r in rows])
        assert len({i.certificate_number for i in items.values()}) == 300
        slots = set()
        for row in rows:
            item = items[row["external_id"]]
            credential = tx.get_credential(item.credential_id)
            certification = tx.get_certification(item.certification_id)
            assert credential is not None
            assert certification is not None
            signature = jws.deserialize_compact(credential.jws, keys, algorithms=["ES256"])
            payload = json.loads(signature.payload)
            validate(CERTIFICATION_CREDENTIAL_V3, payload)
            # The template renders exactly what single issuance's builder makes.
            person = tx.get_person(certification.person_id)
            version = tx.get_scheme_version(certification.scheme_version_id)
            assert person is not None
            assert version is not None
            assert person.given_name == row["given_name"]
            assert person.confidential.email == row["email"]
            built = documents.certificate_credential(
                credential_id=credential.id,
                identity=_identity(settings),
                certification=certification,
                person=person,
                scheme_code="WI",
                version=version,
                revocation=credential.revocation,
                suspension=credential.suspension,
            )
            did = _identity(settings).did
            assert payload == {**built, **jwt_claims(did, office.clock())}
            assert signature.protected["kid"] == f"{did}#{credential.kid}"
            decision = tx.get_decision(certification.decision_id)
            assert decision is not None
            assert decision.decision_maker_id == member(office, "decider").staff_id
            slots |= {credential.revocation, credential.suspension}
        assert len(slots) == 600
        lists = tx.list_status_lists()
        assert {sl.purpose for sl in lists} == set(StatusPurpose)
        assert sum(sl.allocated for sl in lists) == 600
        assert tx.verify_audit_chain().intact
        entries = [e for e in tx.audit_entries(limit=1000) if e.action == "bulk.chunk-issued"]
        assert len(entries) == 5
        for chunk, entry in enumerate(entries, start=1):
            issued = tx.batch_items(report.batch_id, chunk)
            first = tx.get_credential(issued[0].credential_id)
            assert first is not None
            details: audit.Details = {
                "chunk": chunk,
                "issued": len(issued),
                "notices": len(issued),
                "kid": first.kid,
                "items_digest": items_digest(
                    (i.external_id, i.certification_id, i.credential_id) for i in issued
                ),
            }
            assert entry.details_digest == audit.details_digest(details)
    outbox = _count(office.store, "outbox")
    with office.store.engine.connect() as conn:
        published = conn.execute(text("SELECT key FROM outbox WHERE kind = 'credential'"))
        assert {row[0] for row in published} == {i.credential_id for i in items.values()}
        # Each grant's notice to its person, in the chunk's insert: about its certification.
        notices = conn.execute(
            text("SELECT subject_id, kind, state, facts FROM person_notices")
        ).all()
    certifications = {i.certification_id for i in items.values()}
    assert {row[0] for row in notices} == certifications
    assert len(notices) == 300
    assert {(row[1], row[2]) for row in notices} <= {
        ("granted", "queued"),
        ("granted", "no-address"),
    }
    assert all('"certificate_number"' in row[3] for row in notices)

    again = _issue(office, settings, keyring, rows, batch_size=100)
    assert (again.issued, again.already_issued, again.rejected) == (0, 300, 0)
    for table in ("certifications", "credentials", "bulk_items", "persons", "status_slots"):
        assert _count(office.store, table) == (600 if table == "status_slots" else 300)
    assert _count(office.store, "person_notices") == 300  # a rerun queues none again
    assert _count(office.store, "outbox") == outbox


def test_row_keys_are_time_ordered_and_credential_ids_random(
    office: BackOffice, settings: Settings, keyring: KeyRing
) -> None:
    """The rows' own keys are version 7 UUIDs of the chunk's instant (so a roster's index
    entries go in at the right edge); credential ids, which open the public verification
    page, stay version 4 (122 random bits)."""
    setup_scheme(office)
    rows = _rows(office, 40)
    _issue(office, settings, keyring, rows[:20])
    assert isinstance(office.clock, FrozenClock)
    office.clock.advance(seconds=1)
    _issue(office, settings, keyring, rows[20:])
    with office.store.transaction() as tx:
        items = tx.bulk_items([r["external_id"] for r in rows])
        first: list[str] = []
        second: list[str] = []
        for row in rows:
            item = items[row["external_id"]]
            certification = tx.get_certification(item.certification_id)
            assert certification is not None
            keys = [certification.id, certification.person_id, certification.decision_id]
            for key in keys:
                assert uuid.UUID(key).version == 7
            assert uuid.UUID(item.credential_id).version == 4
            (first if row in rows[:20] else second).append(certification.id)
    assert max(first) < min(second)  # the later batch's keys sort after the earlier's
    stamp = int(uuid.UUID(first[0]).hex[:12], 16)
    assert stamp == int((office.clock() - timedelta(seconds=1)).timestamp() * 1000)
    assert len(set(first) | set(second)) == 40


def test_signing_in_worker_processes_issues_the_same(
    office: BackOffice, settings: Settings, keyring: KeyRing
) -> None:
    setup_scheme(office)
    rows = _rows(office, 120)
    report = _issue(
        office, settings, keyring, rows, workers=3, batch_size=25, wait_for_workers=True
    )
    assert (report.issued, report.rejected) == (120, 0)
    assert report.signed_in_workers == 120  # all of them, in two signing processes
    _assert_every_credential_verifies(office, rows)
    assert _count(office.store, "credentials") == 120


def test_rows_are_signed_here_until_the_signing_processes_have_started(
    office: BackOffice, settings: Settings, keyring: KeyRing
) -> None:
    """A small roster does not wait for the workers' start: this process signs until they
    are ready, and every credential verifies whoever signed it."""
    setup_scheme(office)
    rows = _rows(office, 60)
    report = _issue(office, settings, keyring, rows, workers=2, batch_size=20)
    assert (report.issued, report.rejected) == (60, 0)
    assert report.signed_in_workers in (0, 20, 40, 60)  # whole chunks, wherever signed
    _assert_every_credential_verifies(office, rows)


def test_a_writing_process_writes_the_chunks_on_sqlite(
    office: BackOffice, settings: Settings, keyring: KeyRing, backend: str
) -> None:
    """With two processes on SQLite, one writes the chunks while this one builds and signs
    the next; on PostgreSQL (whose server writes), the second process signs instead. The
    rows, counts, outbox and audit chain are the same either way."""
    setup_scheme(office)
    rows = _rows(office, 120)
    report = _issue(
        office, settings, keyring, rows, workers=2, batch_size=25, wait_for_workers=True
    )
    assert (report.issued, report.rejected) == (120, 0)
    if backend == "sqlite":
        assert (report.written_in_process, report.signed_in_workers) == (120, 0)
    else:
        assert (report.written_in_process, report.signed_in_workers) == (0, 120)
    _assert_every_credential_verifies(office, rows)
    for table in ("certifications", "credentials", "bulk_items", "persons"):
        assert _count(office.store, table) == 120, table
    assert _count(office.store, "status_slots") == 240
    with office.store.engine.connect() as conn:
        enqueued = conn.execute(
            text("SELECT kind, count(DISTINCT key) FROM outbox GROUP BY kind")
        ).all()
    assert {"credential": 120, "register-entry": 120}.items() <= dict(enqueued).items()
    with office.store.transaction() as tx:
        assert sum(sl.allocated for sl in tx.list_status_lists()) == 240
        assert tx.verify_audit_chain().intact
        entries = [e for e in tx.audit_entries(limit=100) if e.action == "bulk.chunk-issued"]
    assert len(entries) == 5

    again = _issue(office, settings, keyring, rows, workers=2, wait_for_workers=True)
    assert (again.issued, again.already_issued) == (0, 120)


def test_chunks_reach_the_writing_process_over_the_pipe_without_memory_files(
    office: BackOffice, settings: Settings, keyring: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system has no anonymous memory files, the chunk's bytes go over the pipe."""
    if office.store.server_side:
        pytest.skip("a writing process serves SQLite stores only")
    monkeypatch.setattr(bulk_writes, "_IN_MEMORY", False)
    setup_scheme(office)
    rows = _rows(office, 50)
    report = _issue(
        office, settings, keyring, rows, workers=2, batch_size=20, wait_for_workers=True
    )
    assert (report.issued, report.written_in_process) == (50, 50)
    _assert_every_credential_verifies(office, rows)


def _assert_each_row_has_its_own_credential(office: BackOffice, rows: list[dict[str, Any]]) -> None:
    """Each row's stored credential verifies and is that row's: its payload names the
    credential id, certificate number and person of the row's own records."""
    keys = _published_keys(office)
    with office.store.transaction() as tx:
        items = tx.bulk_items([r["external_id"] for r in rows])
        assert len(items) == len(rows)
        for row in rows:
            item = items[row["external_id"]]
            credential = tx.get_credential(item.credential_id)
            assert credential is not None
            payload = json.loads(jws.deserialize_compact(credential.jws, keys).payload)
            assert payload["id"] == f"urn:uuid:{item.credential_id}"
            subject = payload["credentialSubject"]
            assert subject["givenName"] == row["given_name"]
            assert subject["certification"]["certificateNumber"] == item.certificate_number


def _half_for_the_writer(balance: Any, count: int) -> int:
    return count // 2


def test_the_writing_process_signs_its_share_of_each_chunk(
    office: BackOffice,
    settings: Settings,
    keyring: KeyRing,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writing process signs the last credentials of each chunk it writes (half of
    them here) but the batch's last, with the batch's key, each onto its own row."""
    if office.store.server_side:
        pytest.skip("a writing process serves SQLite stores only")
    monkeypatch.setattr(_Balance, "share", _half_for_the_writer)
    setup_scheme(office)
    rows = _rows(office, 100)
    report = _issue(
        office, settings, keyring, rows, workers=2, batch_size=20, wait_for_workers=True
    )
    assert (report.issued, report.written_in_process) == (100, 100)
    assert report.signed_in_writing_process == 40  # 4 chunks of 20, the 5th the last
    _assert_each_row_has_its_own_credential(office, rows)


def test_credentials_left_for_the_writing_process_are_signed_here_when_written_here(
    office: BackOffice,
    settings: Settings,
    keyring: KeyRing,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chunks built with a share for the writing process but written here (the process
    busy, gone, or the chunk the last of a short run) are signed here first."""
    if office.store.server_side:
        pytest.skip("a writing process serves SQLite stores only")
    monkeypatch.setattr(_Balance, "share", _half_for_the_writer)
    monkeypatch.setattr(handover, "_writing_process", lambda batch: None)
    signed_here: list[int] = []

    def signed(write: bulk_writes.ChunkWrite, signer: Any) -> bulk_writes.ChunkWrite:
        if write.unsigned is not None:
            signed_here.append(len(write.unsigned.payloads))
        return bulk_writes.signed(write, signer)

    monkeypatch.setattr(handover, "signed", signed)
    setup_scheme(office)
    rows = _rows(office, 60)
    report = _issue(
        office, settings, keyring, rows, workers=2, batch_size=20, wait_for_workers=True
    )
    assert (report.issued, report.written_in_process, report.signed_in_writing_process) == (
        60,
        0,
        0,
    )
    assert signed_here == [10, 10]  # the first two chunks' shares; the last had none
    _assert_each_row_has_its_own_credential(office, rows)


@pytest.mark.parametrize(
    ("count", "batch_size", "first", "last", "sizes"),
    [
        (0, 5_000, True, True, []),
        (4_500, 2_000, False, True, [2_000, 2_000, 500]),  # too small a last chunk to halve
        (10_000, 5_000, False, False, [5_000, 5_000]),  # no writing process
        (10_000, 5_000, False, True, [5_000, 2_500, 2_500]),
        (12_001, 5_000, False, True, [5_000, 5_000, 1_000, 1_001]),
        (20_000, 10_000, True, False, [5_000, 5_000, 10_000]),  # one starting, never ready
        (20_000, 10_000, True, True, [5_000, 5_000, 5_000, 5_000]),
        (3_000, 10_000, True, True, [1_500, 1_500]),  # the second half is too small to halve
        (1_999, 10_000, True, True, [1_999]),
    ],
)
def test_the_first_and_last_chunks_are_halved_for_a_writing_process(
    count: int, batch_size: int, first: bool, last: bool, sizes: list[int]
) -> None:
    """The first chunk, built while the writing process starts, and the last, written
    while this process has nothing left to build, go as two halves; each chunk knows
    whether it is the last, and every row comes once, in order."""
    rows = iter([NumberedRow(i, {}) for i in range(1, count + 1)])
    chunks = list(_row_chunks(rows, batch_size, halve_first=first, halve_last=lambda: last))
    assert [len(c) for c, _ in chunks] == sizes
    assert [end for _, end in chunks] == [i == len(sizes) - 1 for i in range(len(sizes))]
    assert [r.number for c, _ in chunks for r in c] == list(range(1, count + 1))


def test_the_share_of_the_writing_process_evens_out_the_two_processes() -> None:
    """From one chunk's timings, the share moves halfway to the one that makes both
    processes equally busy, never below none or above all."""
    balance = _Balance()
    assert balance.share(5000) == 0  # no signature timed here yet: the writer signs none
    balance.signed_here(5000, 0.150)  # 30 µs a signature
    assert balance.share(5000) == 2500
    # Here 110 µs a row, there 60: signing 5/6 of them there evens both out at 85 µs.
    balance.learn(0.550, (5000, 0), 0.300, (5000, 0))
    assert balance.fraction == pytest.approx((0.5 + 5 / 6) / 2)
    balance.learn(0.100, (5000, 0), 0.900, (5000, 2500))  # the writer is far the slower
    assert balance.fraction == 0.0
    for _ in range(5):
        balance.learn(2.0, (5000, 5000), 0.1, (5000, 0))
    assert balance.fraction == 1.0
    assert balance.share(5000) == 5000


@pytest.mark.parametrize(("count", "in_process"), [(40, 0), (60, 40)])
def test_a_writing_process_that_has_written_nothing_is_not_sent_the_last_chunk(
    office: BackOffice,
    settings: Settings,
    keyring: KeyRing,
    monkeypatch: pytest.MonkeyPatch,
    count: int,
    in_process: int,
) -> None:
    """A writing process ready only once the first chunk was written here: with two
    chunks, the last one (which nothing overlaps) is written here too, through this
    process's warm cache; with three, the second goes to the process, and so does the
    last."""
    if office.store.server_side:
        pytest.skip("a writing process serves SQLite stores only")
    setup_scheme(office)
    rows = _rows(office, count)
    ready = handover._writing_process
    monkeypatch.setattr(
        handover, "_writing_process", lambda batch: ready(batch) if batch.report.issued else None
    )
    report = _issue(
        office, settings, keyring, rows, workers=2, batch_size=20, wait_for_workers=True
    )
    assert (report.issued, report.written_in_process) == (count, in_process)
    _assert_every_credential_verifies(office, rows)


def test_bulk_rows_store_instants_as_the_orm_does(
    office: BackOffice, settings: Settings, keyring: KeyRing
) -> None:
    """Rows written through the driver hold the very values the ORM writes: an instant
    stored by bulk issuance equals, in SQL, the same instant stored through the ORM (the
    status list the chunk opened), so queries comparing or ordering instants see one kind
    of value."""
    setup_scheme(office)
    report = _issue(office, settings, keyring, _rows(office, 10))
    assert report.issued == 10
    with office.store.engine.connect() as conn:
        same = conn.execute(
            text(
                "SELECT count(*) FROM credentials c JOIN status_lists s"
                " ON s.id = c.revocation_list_id WHERE c.issued_at = s.created_at"
            )
        ).scalar_one()
        instants = conn.execute(
            text("SELECT DISTINCT CAST(issued_at AS TEXT) FROM bulk_items")
        ).all()
    assert same == 10
    assert len(instants) == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_two_runs_of_one_roster_at_once_issue_each_row_once(
    office: BackOffice, settings: Settings, keyring: KeyRing, workers: int
) -> None:
    """Two runs racing over the same rows: whichever writes a chunk first issues it, the
    other redoes its chunk and finds the rows issued; slots and counts stay exact. With two
    processes each (a writing process on SQLite), four processes share the store."""
    setup_scheme(office)
    rows = _rows(office, 240)
    with ThreadPoolExecutor(max_workers=2) as runs:
        futures = [
            runs.submit(
                _issue,
                office,
                settings,
                keyring,
                rows,
                batch_size=40,
                workers=workers,
                wait_for_workers=True,
            )
            for _ in range(2)
        ]
        reports = [future.result() for future in futures]
    assert sum(r.issued for r in reports) == 240
    assert all(r.issued + r.already_issued == 240 and r.rejected == 0 for r in reports)
    for table in ("certifications", "credentials", "bulk_items", "persons"):
        assert _count(office.store, table) == 240, table
    assert _count(office.store, "status_slots") == 480
    with office.store.engine.connect() as conn:
        allocated = conn.execute(text("SELECT sum(allocated) FROM status_lists")).scalar_one()
    assert allocated == 480
    with office.store.transaction() as tx:
        assert tx.verify_audit_chain().intact


def test_a_chunk_the_writing_process_refuses_is_redone_here(
    office: BackOffice,
    settings: Settings,
    keyring: KeyRing,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another run issues one of a chunk's rows just before the chunk reaches the writing
    process: the process refuses the chunk, and it is redone from a fresh view."""
    if office.store.server_side:
        pytest.skip("a writing process serves SQLite stores only")
    setup_scheme(office)
    rows = _rows(office, 60)
    send = handover._send
    raced: list[str] = []

    def send_after_a_race(batch: Any, chunk: Any, process: Any) -> Any:
        if not raced:
            raced.append(chunk.rows[-1].fields["external_id"])
            other = _issue(office, settings, keyring, [chunk.rows[-1].fields])
            assert other.issued == 1
        return send(batch, chunk, process)

    monkeypatch.setattr(handover, "_send", send_after_a_race)
    report = _issue(
        office, settings, keyring, rows, workers=2, batch_size=20, wait_for_workers=True
    )
    assert raced
    assert (report.issued, report.already_issued, report.rejected) == (59, 1, 0)
    assert report.written_in_process == 59
    for table in ("certifications", "credentials", "bulk_items", "persons"):
        assert _count(office.store, table) == 60, table
    with office.store.engine.connect() as conn:
        allocated = conn.execute(text("SELECT sum(allocated) FROM status_lists")).scalar_one()
    assert allocated == _count(office.store, "status_slots") == 120
    _assert_every_credential_verifies(office, rows)


@pytest.mark.parametrize("when", ["writing", "idle"])
def test_a_run_whose_writing_process_dies_goes_on_writing_here(
    office: BackOffice,
    settings: Settings,
    keyring: KeyRing,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    """The writing process is killed with a chunk in hand, or between chunks: the run
    redoes that chunk here from a fresh view and writes the rest itself, every row once."""
    if office.store.server_side:
        pytest.skip("a writing process serves SQLite stores only")
    setup_scheme(office)
    rows = _rows(office, 100)
    send = bulk_writes.WritingProcess.send
    killed: list[int | None] = []

    def kill_it(process: bulk_writes.WritingProcess, write: Any) -> None:
        if when == "idle" and not killed:
            killed.append(process._process.pid)
            process._process.kill()
            process._process.join()
        send(process, write)
        if when == "writing" and not killed:
            killed.append(process._process.pid)
            process._process.kill()

    monkeypatch.setattr(bulk_writes.WritingProcess, "send", kill_it)
    report = _issue(
        office, settings, keyring, rows, workers=2, batch_size=20, wait_for_workers=True
    )
    assert killed
    assert report.issued + report.already_issued == 100
    assert report.rejected == 0
    assert report.written_in_process < 100
    for table in ("certifications", "credentials", "bulk_items", "persons"):
        assert _count(office.store, table) == 100, table
    with office.store.engine.connect() as conn:
        allocated = conn.execute(text("SELECT sum(allocated) FROM status_lists")).scalar_one()
    assert allocated == _count(office.store, "status_slots") == 200
    with office.store.transaction() as tx:
        assert tx.verify_audit_chain().intact
    _assert_every_credential_verifies(office, rows)


def test_a_bulk_writer_gives_its_connection_back_as_it_found_it(store: Store) -> None:
    """The bulk connection's page cache and checkpoint settings last for the run only."""

    def settings_of(conn: Any) -> tuple[Any, ...]:
        if store.engine.dialect.name != "sqlite":
            return ()
        return tuple(
            conn.exec_driver_sql(f"PRAGMA {p}").scalar_one()
            for p in ("cache_size", "wal_autocheckpoint")
        )

    with store.engine.connect() as conn:
        usual = settings_of(conn)
    with store.bulk_writer() as writer, writer.transaction() as tx:
        assert tx.bulk_items(["none"]) == {}
    with store.engine.connect() as conn:
        assert settings_of(conn) == usual


def test_a_bulk_writers_log_is_copied_into_the_database_file_after_each_commit(
    store: Store, clock: FrozenClock
) -> None:
    """On SQLite a checkpointer beside the bulk connection copies each commit's log into
    the file, where the bulk connection itself would wait for 256 MiB of log; it ends with
    the run."""
    if store.server_side:
        pytest.skip("the write-ahead log is SQLite's")
    database = Path(str(store.engine.url.database))
    before = database.stat().st_size
    with store.bulk_writer() as writer:
        with writer.transaction() as tx:
            tx.enqueue_many([("credential", f"{i:064d}") for i in range(20_000)], clock())
        deadline = time.monotonic() + 30
        while database.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert database.stat().st_size > before  # the pages reached the file
    assert not [t for t in threading.enumerate() if t.name == "certreg-bulk-checkpoint"]
    with store.transaction() as tx:
        assert len(tx.pending_publications(limit=30_000)) == 20_000


def test_invalid_rows_are_reported_by_line_and_skipped(
    office: BackOffice, settings: Settings, keyring: KeyRing, tmp_path: Path
) -> None:
    setup_scheme(office)
    registrar, decider = member(office, "registrar"), member(office, "decider")
    person = office.ok("POST", "/persons", registrar, person_body())["id"]
    office.ok(
        "POST",
        f"/staff/{decider.staff_id}/conflicts",
        decider,
        {"person_id": person, "nature": "a cousin"},
    )
    today = office.clock().date().isoformat()
    past = (office.clock().date() - timedelta(days=1)).isoformat()
    ev = f"Example Exams,{past},pass,yes,yes"
    lines = [
        "external_id,given_name,family_name,scheme,scope,effective_date,decided_by,person_id,"
        "exam_provider,examined_on,exam_result,identity_checked,nda_accepted",
        f"a1,Ana,Moreau,WI,VT-STEEL|VT-PRESSURE,{today},decider,,{ev}",  # line 2: issued
        f"a2,,Moreau,WI,VT-STEEL,{today},decider,,{ev}",  # 3: no given name
        f"a3,Ana,Moreau,XX,VT-STEEL,{today},decider,,{ev}",  # 4: unknown scheme
        f"a4,Ana,Moreau,WI,VT-NOPE,{today},decider,,{ev}",  # 5: unknown scope item
        f"a5,Ana,Moreau,WI,VT-STEEL,{today},nobody,,{ev}",  # 6: no such decision-maker
        f"a6,Ana,Moreau,WI,VT-STEEL,{today},examiner,,{ev}",  # 7: another staff member
        f"a7,Ana,Moreau,WI,VT-STEEL,{past},decider,,{ev}",  # 8: takes effect before the decision
        f"a8,Ana,Moreau,WI,VT-STEEL,{today},decider,{person},{ev}",  # 9: declared conflict
        f"a1,Ana,Other,WI,VT-STEEL,{today},decider,,{ev}",  # 10: reused id, other content
        f"a9,Ana,Moreau,WI,VT-STEEL,2026-13-01,decider,,{ev}",  # 11: bad date
        f"a1,Ana,Moreau,WI,VT-STEEL|VT-PRESSURE,{today},decider,,{ev}",  # 12: same row again
        f"a10,Ana,Moreau,WI,VT-STEEL,{today},decider,,{ev},extra",  # 13: more fields
        f"a11,Ana,Moreau,WI,VT-STEEL,{today},,,Example Exams,{past},fail,yes,yes",  # 14: failed
        f"a12,Ana,Moreau,WI,VT-STEEL,{today},,,Example Exams,{past},pass,no,yes",  # 15: no ID
        f"a13,Ana,Moreau,WI,VT-STEEL,{today},,,Example Exams,{past},pass,yes,no",  # 16: no NDA
        f"a14,Ana,Moreau,WI,VT-STEEL,{today},,,,{past},pass,yes,yes",  # 17: no provider
        f"a15,Ana,Moreau,WI,VT-STEEL,{today},,,Example Exams,2099-01-01,pass,yes,yes",  # 18
        f"a16,Ana,Moreau,WI,VT-STEEL,{today},,,Example Exams,{past},maybe,yes,yes",  # 19
        f"a17,Ana,Moreau,WI,VT-STEEL,{today},,,Example Exams,{past},pass,,yes",  # 20
    ]
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert count_rows(path, "csv") == 19
    report = _issue(office, settings, keyring, read_rows(path, "csv"), keep_results=True)
    assert (report.issued, report.already_issued, report.rejected) == (1, 1, 17)
    assert {r.row: r.problem for r in report.rejections} == {
        3: "row-invalid",
        4: "unknown-scheme",
        5: "unknown-scope-item",
        6: "unknown-decision-maker",
        7: "not-own-decision",
        8: "effective-date-out-of-range",
        9: "declared-conflict",
        10: "external-id-reused",
        11: "row-invalid",
        13: "row-invalid",
        14: "evidence-insufficient",
        15: "evidence-insufficient",
        16: "evidence-insufficient",
        17: "row-invalid",
        18: "row-invalid",
        19: "row-invalid",
        20: "row-invalid",
    }
    details = {r.row: r.detail for r in report.rejections}
    assert "exam_provider" in str(details[17])
    assert "examined_on" in str(details[18])
    assert "exam_result" in str(details[19])
    assert "identity_checked" in str(details[20])
    issued = next(r for r in report.results if r.row == 2)
    twin = next(r for r in report.results if r.row == 12)
    assert twin.outcome is Outcome.ALREADY_ISSUED
    assert twin.credential_id == issued.credential_id
    assert _count(office.store, "certifications") == 1


def test_jsonl_rows_and_unreadable_lines(
    office: BackOffice, settings: Settings, keyring: KeyRing, tmp_path: Path
) -> None:
    setup_scheme(office)
    rows = _rows(office, 3)
    path = tmp_path / "roster.jsonl"
    body = [json.dumps(rows[0]), "", "{not json", json.dumps(rows[1]), "[1]", json.dumps(rows[2])]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    report = _issue(office, settings, keyring, read_rows(path, "jsonl"))
    assert report.issued == 3
    assert [(r.row, r.problem) for r in report.rejections] == [
        (3, "row-invalid"),
        (5, "row-invalid"),
    ]


_CHILD = """
import sys, time
from datetime import datetime, UTC
from issuer.bulk.issuance import issue_batch
from issuer.bulk.rosters import read_rows
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.keys import KeyRing
from issuer.runtime import system_entropy
from issuer.store import Store, create_issuer_engine

url, schema, path, passphrase, started, decider = sys.argv[1:7]
options = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
store = Store(create_issuer_engine(url, **options))
started = datetime.fromisoformat(started)

def progress(done):
    print(done, flush=True)
    time.sleep(0.05)

issue_batch(
    store, read_rows(__import__("pathlib").Path(path), "jsonl"),
    clock=lambda: started, entropy=system_entropy,
    keyring=KeyRing(passphrase=passphrase.encode()),
    identity=IssuerIdentity(base_url="https://certs.example.test", name="Example Body"),
    acting_decision_maker=decider, workers=1, batch_size=20, progress=progress,
)
print("done", flush=True)
"""


def test_a_batch_killed_mid_file_resumes_and_issues_every_row_once(
    office: BackOffice,
    settings: Settings,
    keyring: KeyRing,
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    from tests.conftest import PASSPHRASE

    setup_scheme(office)
    rows = _rows(office, 400)
    path = tmp_path / "roster.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    if backend == "sqlite":
        url, schema = office.store.engine.url.render_as_string(hide_password=False), ""
    else:
        target: PostgresSchema = request.getfixturevalue("postgres_schema")
        url, schema = target.url, target.schema
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _CHILD,
            url,
            schema,
            str(path),
            PASSPHRASE,
            office.clock().isoformat(),
            member(office, "decider").staff_id,
        ],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    assert child.stdout is not None
    try:
        for _ in range(3):  # three chunks committed, more under way
            assert child.stdout.readline().strip() == "20"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    partial = _count(office.store, "bulk_items")
    assert 60 <= partial < 400

    report = _issue(office, settings, keyring, read_rows(path, "jsonl"))
    assert report.issued == 400 - partial
    assert report.already_issued == partial
    for table in ("certifications", "credentials", "bulk_items", "persons", "decisions"):
        assert _count(office.store, table) == 400, table
    with office.store.engine.connect() as conn:
        lists = conn.execute(
            text(
                "SELECT l.id, l.allocated, count(s.idx) FROM status_lists l"
                " JOIN status_slots s ON s.list_id = l.id GROUP BY l.id, l.allocated"
            )
        ).all()
    assert all(allocated == taken for _, allocated, taken in lists)
    assert sum(taken for _, _, taken in lists) == 800
    with office.store.transaction() as tx:
        assert tx.verify_audit_chain().intact


def test_batch_endpoint_is_a_decision_makers_own_and_idempotent(
    office: BackOffice, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    setup_scheme(office)
    registrar, decider = member(office, "registrar"), member(office, "decider")
    rows = _rows(office, 4)
    # A registrar no longer issues: only a decision-maker grants (clause 9.4), and a
    # registrar prepares a roster for one instead. Nothing is issued.
    for someone in (registrar, member(office, "examiner")):
        forbidden = office.call("POST", "/issuance/batches", someone, {"items": rows})
        assert forbidden.status_code == 403
        assert forbidden.json()["type"].endswith("/wrong-role")
    assert _count(office.store, "certifications") == 0

    first = office.ok("POST", "/issuance/batches", decider, {"items": rows})
    assert (first["issued"], first["already_issued"], first["rejected"]) == (4, 0, 0)
    assert [i["index"] for i in first["items"]] == [0, 1, 2, 3]
    again = office.ok("POST", "/issuance/batches", decider, {"items": rows})
    assert [i["outcome"] for i in again["items"]] == ["already-issued"] * 4
    assert [i["credential_id"] for i in again["items"]] == [
        i["credential_id"] for i in first["items"]
    ]
    with office.store.reading() as tx:
        for item in first["items"]:
            certification = tx.get_certification(item["certification_id"])
            assert certification is not None
            decision = tx.get_decision(certification.decision_id)
            assert decision is not None
            assert decision.decision_maker_id == decider.staff_id

    own = {**_rows(office, 1, prefix="own")[0]}
    own.pop("decided_by")
    other = {**_rows(office, 1, prefix="other")[0], "decided_by": registrar.staff_id}
    bare = {k: v for k, v in _rows(office, 1, prefix="bare")[0].items() if k != "exam_provider"}
    mixed = office.ok("POST", "/issuance/batches", decider, {"items": [own, other, bare]})
    assert mixed["items"][0]["outcome"] == "issued"
    assert mixed["items"][1]["problem"]["type"].endswith("/not-own-decision")
    assert mixed["items"][1]["problem"]["status"] == 403
    assert mixed["items"][2]["problem"]["type"].endswith("/row-invalid")
    assert "exam_provider" in mixed["items"][2]["problem"]["detail"]

    too_many = office.call(
        "POST", "/issuance/batches", decider, {"items": [{"external_id": "x"}] * 1001}
    )
    assert too_many.status_code == 413
    assert too_many.json()["type"].endswith("/batch-too-large")
