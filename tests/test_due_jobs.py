"""The due jobs (clauses 9.5, 9.6): what the calendar makes due is done on time, once.

Expiry comes the day after the last valid day, in bounded batches, one lifecycle decision and
one audit entry per certification, with its register entry queued for publication; a
suspension past its resolve-by date is referred to the decision-makers once per suspension
and deadline, and the overdue worklist shows when. Running the jobs again changes nothing;
two runs at once (two threads, each with its own connections, as two processes would have)
do each thing once, on SQLite and on PostgreSQL; a run that had to wait for a certification
another transaction held does not expire it a second time. ``certreg serve`` runs them in the
background (and not with the interval set to 0), ``certreg jobs run-due`` once.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from issuer.cli import app as cli_app
from issuer.model import Certification, CertificationStatus, LifecycleKind
from issuer.process import due
from issuer.runtime import Entropy
from issuer.store import Store, Tx
from tests.backoffice import BackOffice, Json, candidate, exam_body, member, scheme_body
from tests.conftest import POSTGRES_ENV, FrozenClock, PostgresSchema, SeededEntropy

LAST_VALID_DAY = date(2029, 11, 24)  # granted 2026-11-25 under the example's 36 months
EXPIRY = datetime(2029, 11, 25, tzinfo=UTC)


# ── helpers ──────────────────────────────────────────────────────────────────────────────
def new_scheme(
    office: BackOffice, code: str = "WI", months: int = 36, surveillance: list[Json] | None = None
) -> Json:
    manager = member(office, "manager")
    body = scheme_body(code) | {"recertification_interval_months": months}
    if surveillance is not None:
        body["surveillance_activities"] = surveillance
    scheme: Json = office.ok("POST", "/schemes", manager, body)
    examiner = member(office, "examiner").staff_id
    office.ok("POST", f"/staff/{examiner}/approvals", manager, {"scheme_id": scheme["id"]})
    return scheme


def certify(office: BackOffice, scheme: Json, exam_day: date = date(2026, 11, 20)) -> str:
    """A new person certified in ``scheme`` now; the certificate number."""
    accepted = candidate(office, scheme, ["VT-STEEL"])
    office.ok(
        "POST", "/examinations", member(office, "examiner"), exam_body(accepted["id"], exam_day)
    )
    decision = office.ok(
        "POST",
        "/decisions",
        member(office, "decider"),
        {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"},
    )
    number: str = decision["certification"]["certificate_number"]
    return number


def decide(office: BackOffice, number: str, action: str, body: Json | None = None) -> Json:
    answer: Json = office.ok(
        "POST", f"/certifications/{number}/{action}", member(office, "decider"), body or {}
    )
    return answer


def kinds(store: Store, number: str) -> list[LifecycleKind]:
    with store.reading() as tx:
        certification = tx.get_certification_by_number(number)
        assert certification is not None
        return [d.kind for d in tx.lifecycle_decisions(certification.id)]


def escalations(store: Store, number: str) -> list[Any]:
    with store.reading() as tx:
        certification = tx.get_certification_by_number(number)
        assert certification is not None
        return tx.suspension_escalations(certification.id)


def numbers(report: due.JobReport) -> list[str]:
    return [c.certificate_number for c in report.certifications]


def run(store: Store, clock: FrozenClock, entropy: Entropy, **kw: Any) -> dict[str, list[str]]:
    return {r.job: numbers(r) for r in due.run_due(store, clock=clock, entropy=entropy, **kw)}


def actions(store: Store, action: str) -> list[Any]:
    with store.reading() as tx:
        return [e for e in tx.audit_entries(limit=10_000) if e.action == action]


@pytest.fixture
def other_store(store: Store, backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """The same database through an engine of its own: what a second process would hold."""
    if backend == "sqlite":
        second = Store.from_url(store.engine.url.render_as_string(hide_password=False))
    else:
        target: PostgresSchema = request.getfixturevalue("postgres_schema")
        second = target.store()
    yield second
    second.dispose()


class Counting:
    """A job's step that counts the batches (transactions) it was asked for."""

    def __init__(self, job: due.DueJob) -> None:
        self.job = job
        self.batches: list[int] = []

    def __call__(
        self, tx: Tx, *, now: datetime, entropy: Entropy, limit: int
    ) -> Sequence[Certification]:
        done = self.job.step(tx, now=now, entropy=entropy, limit=limit)
        self.batches.append(len(done))
        return done


# ── expiry ───────────────────────────────────────────────────────────────────────────────
def test_expiry_comes_after_the_last_valid_day_in_batches_and_once(
    office: BackOffice, store: Store, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    scheme = new_scheme(office)
    granted = sorted(certify(office, scheme) for _ in range(5))
    decide(office, granted[0], "suspend", {"reason": "complaint under investigation"})
    audit_before = len(actions(store, "certification.expire"))

    clock.now = datetime.combine(LAST_VALID_DAY, datetime.max.time(), tzinfo=UTC)
    assert run(store, clock, entropy) == {
        "expiry": [],
        "overdue-suspensions": [],
        "surveillance": [],
    }

    clock.now = EXPIRY + timedelta(hours=3)
    counting = Counting(due.EXPIRY)
    job = due.DueJob(name="expiry", done="expired", step=counting)
    assert sorted(run(store, clock, entropy, jobs=[job], batch_size=2)["expiry"]) == granted
    assert counting.batches == [2, 2, 1]  # one transaction per batch

    with store.reading() as tx:
        pending = {
            key for _, kind, key in tx.pending_publications(1000) if kind == "register-entry"
        }
        for number in granted:
            certification = tx.get_certification_by_number(number)
            assert certification is not None
            assert certification.status is CertificationStatus.EXPIRED
            assert certification.status_since == clock.now
            [expiry] = [
                d
                for d in tx.lifecycle_decisions(certification.id)
                if d.kind is LifecycleKind.EXPIRE
            ]
            assert (expiry.decided_by, expiry.decided_at) == (None, clock.now)
            assert expiry.effective_at == EXPIRY  # the end of the last valid day
        assert set(granted) <= pending  # the register learns of each
    assert len(actions(store, "certification.expire")) == audit_before + 5

    clock.advance(days=1)
    assert run(store, clock, entropy) == {
        "expiry": [],
        "overdue-suspensions": [],
        "surveillance": [],
    }
    for number in granted:
        assert kinds(store, number).count(LifecycleKind.EXPIRE) == 1
    with store.reading() as tx:
        assert tx.verify_audit_chain().intact


def test_the_expire_due_route_runs_the_same_job(
    office: BackOffice, store: Store, clock: FrozenClock
) -> None:
    scheme = new_scheme(office)
    number = certify(office, scheme)
    clock.now = EXPIRY
    expired = office.ok("POST", "/certifications/expire-due", member(office, "admin"))
    assert [c["certificate_number"] for c in expired] == [number]
    assert office.ok("POST", "/certifications/expire-due", member(office, "admin")) == []
    [decision] = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))[
        "lifecycle"
    ]
    assert decision["kind"] == "expire"
    assert decision["effective_at"] == "2029-11-25T00:00:00Z"


# ── overdue suspensions ──────────────────────────────────────────────────────────────────
def worklist(office: BackOffice) -> list[tuple[str, str | None]]:
    rows = office.ok(
        "GET", "/certifications/worklist/overdue-suspensions", member(office, "auditor")
    )
    return [(r["certificate_number"], r["escalated_at"]) for r in rows]


def test_a_suspension_past_its_resolve_by_date_is_referred_once(
    office: BackOffice, store: Store, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    scheme = new_scheme(office)
    late, later, open_ended = (certify(office, scheme) for _ in range(3))
    decide(office, late, "suspend", {"reason": "eye test overdue", "resolve_by": "2026-12-31"})
    decide(office, later, "suspend", {"reason": "evidence missing", "resolve_by": "2027-01-10"})
    decide(office, open_ended, "suspend", {"reason": "complaint under investigation"})

    clock.now = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # the resolve-by day is not late
    assert run(store, clock, entropy)["overdue-suspensions"] == []
    assert worklist(office) == []

    clock.now = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    assert worklist(office) == [(late, None)]  # overdue, not yet referred
    assert run(store, clock, entropy)["overdue-suspensions"] == [late]
    assert worklist(office) == [(late, "2027-01-01T06:00:00Z")]
    [entry] = actions(store, "certification.suspension-escalated")
    assert entry.actor == "system:due-jobs"
    [escalation] = escalations(store, late)
    assert (escalation.resolve_by, escalation.escalated_at) == (date(2026, 12, 31), clock.now)
    suspension = office.ok("GET", f"/certifications/{late}", member(office, "auditor"))
    assert escalation.suspension_id == suspension["lifecycle"][0]["id"]

    clock.advance(hours=1)
    assert run(store, clock, entropy)["overdue-suspensions"] == []  # once is enough
    assert worklist(office) == [(late, "2027-01-01T06:00:00Z")]
    assert len(escalations(store, late)) == 1

    # A new suspension is a new deadline: referred again when that one passes.
    decide(office, late, "reinstate", {"reason": "eye test passed"})
    decide(office, late, "suspend", {"reason": "new complaint", "resolve_by": "2027-01-05"})
    clock.now = datetime(2027, 1, 11, tzinfo=UTC)
    assert worklist(office) == [(late, None), (later, None)]  # by resolve-by date
    assert run(store, clock, entropy)["overdue-suspensions"] == [late, later]
    assert [e.resolve_by for e in escalations(store, late)] == [
        date(2026, 12, 31),
        date(2027, 1, 5),
    ]
    assert [at for _, at in worklist(office)] == ["2027-01-11T00:00:00Z"] * 2
    assert escalations(store, open_ended) == []  # no resolve-by date: never overdue

    # Withdrawn, it leaves the worklist; the referral stays on record.
    decide(office, later, "withdraw", {"reason": "evidence never came"})
    assert worklist(office) == [(late, "2027-01-11T00:00:00Z")]
    assert len(escalations(store, later)) == 1


def test_a_suspended_certification_past_its_expiry_is_expired_not_referred(
    office: BackOffice, store: Store, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    number = certify(office, new_scheme(office, months=1))
    decide(office, number, "suspend", {"reason": "evidence missing", "resolve_by": "2026-12-01"})
    clock.now = datetime(2027, 1, 1, tzinfo=UTC)
    assert run(store, clock, entropy) == {
        "expiry": [number],
        "overdue-suspensions": [],
        "surveillance": [],
    }
    assert escalations(store, number) == []
    assert worklist(office) == []


# ── concurrency ──────────────────────────────────────────────────────────────────────────
def _at_once(*runs: Any) -> list[Any]:
    """Start every run at the same moment, each in a thread; their results."""
    barrier = threading.Barrier(len(runs))
    results: list[Any] = [None] * len(runs)
    errors: list[BaseException] = []

    def go(index: int) -> None:
        try:
            barrier.wait()
            results[index] = runs[index]()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_runs_at_once_do_each_thing_once(
    office: BackOffice,
    store: Store,
    other_store: Store,
    clock: FrozenClock,
    entropy: SeededEntropy,
) -> None:
    short = new_scheme(office, "SH", months=1)
    long = new_scheme(office, "LG", months=36)
    expiring = {certify(office, short) for _ in range(8)}
    overdue = {certify(office, long) for _ in range(6)}
    for number in overdue:
        decide(
            office, number, "suspend", {"reason": "evidence missing", "resolve_by": "2026-12-01"}
        )
    clock.now = datetime(2027, 1, 1, tzinfo=UTC)

    def runner(target: Store) -> Any:
        return lambda: due.run_due(
            target, clock=clock, entropy=SeededEntropy(id(target)), batch_size=2
        )

    first, second = _at_once(runner(store), runner(other_store))
    for job, due_now in (("expiry", expiring), ("overdue-suspensions", overdue)):
        [a] = [numbers(r) for r in first if r.job == job]
        [b] = [numbers(r) for r in second if r.job == job]
        assert not set(a) & set(b), job  # nothing done by both
        assert set(a) | set(b) == due_now, job  # everything done by one
    for number in expiring:
        assert kinds(store, number).count(LifecycleKind.EXPIRE) == 1
    for number in overdue:
        assert len(escalations(store, number)) == 1
    with store.reading() as tx:
        assert tx.verify_audit_chain().intact


def test_a_run_that_waited_for_a_certification_does_not_expire_it_again(
    office: BackOffice,
    store: Store,
    other_store: Store,
    clock: FrozenClock,
    entropy: SeededEntropy,
) -> None:
    """Another transaction holds the certification while a run looks for what is due; when
    it commits its expiry, the run must not record a second one."""
    number = certify(office, new_scheme(office))
    clock.now = EXPIRY
    found: list[list[Certification]] = []

    def waiting_run() -> None:
        with other_store.transaction() as tx:
            found.append(due.expire_due(tx, now=clock(), entropy=SeededEntropy(7)))

    with store.transaction() as tx:
        assert tx.lock_certification(number) is not None
        thread = threading.Thread(target=waiting_run)
        thread.start()
        time.sleep(0.5)  # the run is now blocked on (or has skipped) the held row
        assert [c.certificate_number for c in due.expire_due(tx, now=clock(), entropy=entropy)] == [
            number
        ]
    thread.join(timeout=30)
    assert found == [[]]
    assert kinds(store, number) == [LifecycleKind.EXPIRE]


def test_a_run_that_waited_for_a_suspension_does_not_refer_it_again(
    office: BackOffice,
    store: Store,
    other_store: Store,
    clock: FrozenClock,
    entropy: SeededEntropy,
) -> None:
    number = certify(office, new_scheme(office))
    decide(office, number, "suspend", {"reason": "evidence missing", "resolve_by": "2026-12-01"})
    clock.now = datetime(2026, 12, 2, tzinfo=UTC)
    found: list[list[Certification]] = []

    def waiting_run() -> None:
        with other_store.transaction() as tx:
            step = due.escalate_overdue_suspensions
            found.append(step(tx, now=clock(), entropy=SeededEntropy(7), limit=10))

    with store.transaction() as tx:
        assert tx.lock_certification(number) is not None
        thread = threading.Thread(target=waiting_run)
        thread.start()
        time.sleep(0.5)  # the run is now blocked on (or has skipped) the held row
        referred = due.escalate_overdue_suspensions(tx, now=clock(), entropy=entropy, limit=10)
        assert [c.certificate_number for c in referred] == [number]
    thread.join(timeout=30)
    assert found == [[]]
    assert len(escalations(store, number)) == 1


# ── in the background and on the command line ────────────────────────────────────────────
def test_the_background_runner_keeps_going_after_a_failed_run(
    office: BackOffice,
    store: Store,
    clock: FrozenClock,
    entropy: SeededEntropy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    number = certify(office, new_scheme(office))
    clock.now = EXPIRY
    failures = [RuntimeError("database unreachable")]

    def flaky(tx: Tx, *, now: datetime, entropy: Entropy, limit: int) -> Sequence[Certification]:
        if failures:
            raise failures.pop()
        return due.expire_due(tx, now=now, entropy=entropy, limit=limit)

    with pytest.raises(ValueError, match="positive"):
        due.BackgroundDueJobs(store, clock=clock, entropy=entropy, interval=0)
    worker = due.BackgroundDueJobs(
        store,
        clock=clock,
        entropy=entropy,
        interval=0.02,
        jobs=[due.DueJob(name="expiry", done="expired", step=flaky)],
    )
    with caplog.at_level(logging.INFO, logger="certreg.due"):
        worker.start()
        deadline = time.monotonic() + 10
        while kinds(store, number) != [LifecycleKind.EXPIRE]:
            assert time.monotonic() < deadline, "the runner gave up after a failure"
            time.sleep(0.02)
        worker.stop()
    assert not worker.running
    assert "due jobs failed" in caplog.text
    assert "1 certification expired" in caplog.text


def test_serve_runs_the_due_jobs_unless_the_interval_is_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``certreg serve`` hands the web server: an app whose start runs the due jobs
    every ``CERTREG_DUE_JOBS_INTERVAL_SECONDS`` (in every mode that holds the back office's
    store), or none at 0."""
    import uvicorn

    from issuer import heap

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.setattr(heap, "freeze_startup_heap", lambda: None)
    runner = CliRunner(env={"CERTREG_KEY_PASSPHRASE": "a passphrase only for this test"})
    for extra, interval in (([], "60"), (["--only", "issuer"], "5"), ([], "0")):
        answer = runner.invoke(
            cli_app,
            ["serve", "--data-dir", str(tmp_path), *extra],
            env={"CERTREG_DUE_JOBS_INTERVAL_SECONDS": interval},
        )
        assert answer.exit_code == 0, answer.output
        worker = getattr(served.pop().state, "due_jobs", None)
        if interval == "0":
            assert worker is None
        else:
            assert isinstance(worker, due.BackgroundDueJobs)
            assert worker.interval == float(interval)
            assert not worker.running  # it starts with the server, not before


def test_jobs_run_due_does_it_once_and_says_what_it_did(
    office: BackOffice,
    store: Store,
    clock: FrozenClock,
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """``certreg jobs run-due`` runs on the wall clock: the records are made a year and more
    before today, so that what they make due is due whenever the test runs."""
    today = datetime.now(UTC).date()
    clock.now = datetime.combine(today - timedelta(days=400), datetime.min.time(), tzinfo=UTC)
    exam_day = clock.now.date() - timedelta(days=5)
    expiring = certify(office, new_scheme(office, "SH", months=1), exam_day)
    suspended = certify(office, new_scheme(office, "LG", months=240), exam_day)
    resolve_by = (clock.now.date() + timedelta(days=10)).isoformat()
    decide(office, suspended, "suspend", {"reason": "evidence missing", "resolve_by": resolve_by})
    yearly = [{"code": "CPD", "title": "Continued activity", "interval_months": 12}]
    surveilled = certify(office, new_scheme(office, "SV", 240, yearly), exam_day)

    if backend == "sqlite":
        env = {"CERTREG_ISSUER_DATABASE_URL": store.engine.url.render_as_string(False)}
    else:
        target: PostgresSchema = request.getfixturevalue("postgres_schema")
        env = {
            "CERTREG_ISSUER_DATABASE_URL": f"{target.url}?options=-csearch_path%3D{target.schema}"
        }
    runner = CliRunner(env={POSTGRES_ENV: None, "CERTREG_KEY_PASSPHRASE": None, **env})
    command = ["jobs", "run-due", "--data-dir", str(tmp_path)]
    first = runner.invoke(cli_app, command)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        "1 certification expired",
        f"  {expiring}",
        "1 certification referred to the decision-makers (suspension past its resolve-by date)",
        f"  {suspended}",
        "1 certification proposed for suspension (surveillance overdue or unsatisfactory)",
        f"  {surveilled}",
        "0 certifications announced to their holder as expiring within 60 days",
        "0 certifications announced to their holder as open for recertification",
    ]
    again = runner.invoke(cli_app, command)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        "0 certifications expired",
        "0 certifications referred to the decision-makers (suspension past its resolve-by date)",
        "0 certifications proposed for suspension (surveillance overdue or unsatisfactory)",
        "0 certifications announced to their holder as expiring within 60 days",
        "0 certifications announced to their holder as open for recertification",
    ]
    assert kinds(store, expiring) == [LifecycleKind.EXPIRE]
    assert len(escalations(store, suspended)) == 1
