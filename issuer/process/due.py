"""Time-driven transitions (clauses 9.5, 9.6): what the calendar alone makes due, done on time.

Nobody decides that a certification expires at the end of its last valid day, or that a
suspension has outlived its resolve-by date: the date passing does. So that the register,
the directory and the regulators' feed say so on time (7.2.1: "valid" must be true), the
issuer runs **due jobs**:

- **expiry** (9.6): every active or suspended certification whose expiry date has passed
  becomes expired (:func:`expire_due`); its register entry is
  republished, and the decision records that it took effect at the end of the last valid
  day, whenever the job came to record it;
- **overdue suspensions** (9.5): a suspension left unresolved past its resolve-by date is
  referred to the decision-makers (:func:`escalate_overdue_suspensions`): an escalation
  record, which the overdue-suspensions worklist shows, and an audit entry — once per
  suspension and deadline;
- **surveillance** (8.3, 9.6): a surveillance item of an active certification left without
  a result past its grace days, or recorded as unsatisfactory, becomes a proposed
  suspension (:func:`issuer.process.surveillance.propose_suspensions`), which the
  proposed-suspensions worklist shows, and an audit entry — once per item and reason. The
  job never suspends: a decision-maker does, or dismisses the proposal.

:func:`run_due` runs each job of :data:`DUE_JOBS` in bounded batches, each batch its own
transaction, until a batch comes back short: a store with a hundred thousand expiries due
after a long outage is worked through without one transaction holding them all, and a
failure loses at most the batch under way (the next run finds it still due). Every job
locks what it changes and looks again once it holds the lock, so running the jobs twice,
or in two processes at once, changes nothing twice. ``certreg serve`` runs them every
``CERTREG_DUE_JOBS_INTERVAL_SECONDS`` (:class:`BackgroundDueJobs`); ``certreg jobs
run-due`` runs them once, for cron.

A new time-driven job is one more :class:`DueJob` in
:data:`DUE_JOBS`: a name, the words its report uses, and a step that does at most ``limit``
items in the transaction it is given and returns the certifications it acted on.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Protocol

from issuer.model import Certification, LifecycleKind, OverdueSuspension, SuspensionEscalation
from issuer.process import lifecycle, surveillance
from issuer.process.auth import Actor
from issuer.runtime import Clock, Entropy, new_id
from issuer.store import Store, Tx

__all__ = [
    "DUE_JOBS",
    "EXPIRY",
    "OVERDUE_SUSPENSIONS",
    "SURVEILLANCE",
    "BackgroundDueJobs",
    "DueJob",
    "JobReport",
    "end_of_validity",
    "escalate_overdue_suspensions",
    "expire_due",
    "expiry_requested_by",
    "overdue_suspensions",
    "run_due",
]

log = logging.getLogger("certreg.due")

ACTOR = "system:due-jobs"
"""Who the audit log names for what the due jobs do: no person decided it."""

BATCH_SIZE = 200
"""Items per transaction: small enough that a batch holds its locks for well under a
second, large enough that a backlog of thousands takes a few dozen transactions."""


class DueStep(Protocol):
    """One batch of a job: at most ``limit`` items, in the transaction ``tx``."""

    def __call__(
        self, tx: Tx, *, now: datetime, entropy: Entropy, limit: int
    ) -> Sequence[Certification]: ...


@dataclass(frozen=True, slots=True)
class DueJob:
    """A time-driven job: its ``name``, what its report says it did (``done``, e.g.
    "expired"), and its ``step``."""

    name: str
    done: str
    step: DueStep


@dataclass(frozen=True, slots=True)
class JobReport:
    """What one job did in one run: the certifications it acted on, in order."""

    job: str
    done: str
    certifications: tuple[Certification, ...]

    def summary(self) -> str:
        """What the job did, as a log or an operator reads it: "2 certifications expired"."""
        count = len(self.certifications)
        return f"{count} certification{'' if count == 1 else 's'} {self.done}"


def end_of_validity(expiry_date: date) -> datetime:
    """The instant a certification expires: the end of its last valid day (UTC), the same
    instant its credentials' ``validUntil`` ends."""
    return datetime.combine(expiry_date + timedelta(days=1), time(0), tzinfo=UTC)


def expire_due(
    tx: Tx,
    *,
    now: datetime,
    entropy: Entropy,
    limit: int = 500,
    requested_by: Actor | None = None,
) -> list[Certification]:
    """Mark up to ``limit`` active or suspended certifications past their expiry date as
    expired (9.6), each locked first, and return them. No one decides an expiry;
    ``requested_by`` is the token that asked for it now, if one did.

    A certification another transaction holds is left for the next run; one that a run
    before this one already expired no longer matches, so running it again (or twice at
    once) expires nothing twice. Each expiry republishes the register entry; the status
    lists do not change (the credentials lapse by ``validUntil``). The decision records
    when it took effect — the end of the last valid day — apart from when it was recorded.
    """
    today = now.date()
    expired = []
    for certification in tx.lock_due_for_expiry(today, limit):
        if (
            certification.status not in (lifecycle.ACTIVE, lifecycle.SUSPENDED)
            or certification.expiry_date >= today
        ):
            continue  # changed since it was found: nothing is due any more
        after = dataclasses.replace(certification, status=lifecycle.EXPIRED, status_since=now)
        expired.append(
            lifecycle.record_change(
                tx,
                before=certification,
                after=after,
                kind=LifecycleKind.EXPIRE,
                actor=None,
                now=now,
                entropy=entropy,
                effective_at=end_of_validity(certification.expiry_date),
                requested_by=requested_by,
            )
        )
    return expired


def overdue_suspensions(tx: Tx, *, now: datetime) -> list[OverdueSuspension]:
    """Suspensions whose resolve-by date has passed: each needs the decision 9.5 requires,
    with when the due jobs referred it to the decision-makers."""
    return tx.overdue_suspensions(now.date())


def escalate_overdue_suspensions(
    tx: Tx, *, now: datetime, entropy: Entropy, limit: int
) -> list[Certification]:
    """Refer up to ``limit`` suspensions past their resolve-by date to the decision-makers.

    Clause 9.5 wants an unresolved suspension to end in a withdrawal or a scope reduction
    within a set time; the decision stays theirs. The referral is recorded once per suspend
    decision and deadline (the worklist shows when), and audited. The certification is
    locked first and the record looked for again under the lock, so two runs at once refer
    it once.
    """
    escalated = []
    for certification, suspension_id in tx.lock_unescalated_suspensions(now.date(), limit):
        resolve_by = certification.resolve_by
        assert resolve_by is not None  # an overdue suspension has a resolve-by date
        if tx.suspension_escalated(suspension_id, resolve_by):
            continue  # another run referred it after this one looked
        escalation = SuspensionEscalation(
            id=new_id(entropy),
            certification_id=certification.id,
            suspension_id=suspension_id,
            resolve_by=resolve_by,
            escalated_at=now,
        )
        tx.insert_suspension_escalation(escalation)
        tx.append_audit(
            at=now,
            actor=ACTOR,
            action="certification.suspension-escalated",
            subject_type="certification",
            subject_id=certification.id,
            details={
                "escalation_id": escalation.id,
                "suspension_id": suspension_id,
                "resolve_by": resolve_by.isoformat(),
            },
        )
        escalated.append(certification)
    return escalated


EXPIRY = DueJob(name="expiry", done="expired", step=expire_due)


def expiry_requested_by(actor: Actor) -> DueJob:
    """The expiry job as a staff request runs it (``POST /certifications/expire-due``): the
    same batches, with the audit naming the token that asked."""
    return DueJob(name=EXPIRY.name, done=EXPIRY.done, step=partial(expire_due, requested_by=actor))


OVERDUE_SUSPENSIONS = DueJob(
    name="overdue-suspensions",
    done="referred to the decision-makers (suspension past its resolve-by date)",
    step=escalate_overdue_suspensions,
)
SURVEILLANCE = DueJob(
    name="surveillance",
    done="proposed for suspension (surveillance overdue or unsatisfactory)",
    step=surveillance.propose_suspensions,
)
DUE_JOBS: tuple[DueJob, ...] = (EXPIRY, OVERDUE_SUSPENSIONS, SURVEILLANCE)
"""Every time-driven job, in the order they run: expiry first, so that a suspended
certification past its expiry date is expired rather than referred, and a certification
past its expiry date gets no proposed suspension."""


def run_due(
    store: Store,
    *,
    clock: Clock,
    entropy: Entropy,
    jobs: Sequence[DueJob] = DUE_JOBS,
    batch_size: int = BATCH_SIZE,
    stopping: Callable[[], bool] = lambda: False,
) -> list[JobReport]:
    """Run each job until it has nothing left that is due, a batch per transaction, and
    report what each did. ``stopping`` is asked between batches: a server shutting down
    ends the run after the batch under way, and the rest stays due for the next run."""
    reports = []
    for job in jobs:
        done: list[Certification] = []
        while not stopping():
            with store.transaction() as tx:
                batch = job.step(tx, now=clock(), entropy=entropy, limit=batch_size)
            done.extend(batch)
            if len(batch) < batch_size:
                break
        reports.append(JobReport(job=job.name, done=job.done, certifications=tuple(done)))
    return reports


class BackgroundDueJobs:
    """Runs :func:`run_due` at once and then every ``interval`` seconds on a daemon thread,
    for ``certreg serve``: nothing time-driven waits for someone to ask.

    A run that fails (the database unreachable, say) is logged and tried again at the next
    interval; what it did not finish stays due. :meth:`stop` ends the thread after the batch
    under way, so a shutdown never leaves a transaction half done.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        entropy: Entropy,
        interval: float,
        jobs: Sequence[DueJob] = DUE_JOBS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        if interval <= 0:
            raise ValueError("the due jobs' interval must be positive")
        self._store = store
        self._clock = clock
        self._entropy = entropy
        self._interval = interval
        self._jobs = tuple(jobs)
        self._batch_size = batch_size
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="certreg-due-jobs", daemon=True)
        self.runs = 0
        """Runs completed since :meth:`start`, failed ones included: what a health check,
        or a test, watches to know the jobs are being run."""

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def interval(self) -> float:
        """Seconds between the end of one run and the start of the next."""
        return self._interval

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def tick(self) -> list[JobReport]:
        """One run of every job; what it did (nothing, if it failed)."""
        try:
            reports = run_due(
                self._store,
                clock=self._clock,
                entropy=self._entropy,
                jobs=self._jobs,
                batch_size=self._batch_size,
                stopping=self._stop.is_set,
            )
        except Exception:
            log.exception("due jobs failed; trying again in %.0f s", self._interval)
            return []
        for report in reports:
            if report.certifications:
                log.info("%s", report.summary())
        return reports

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self.runs += 1
            self._stop.wait(self._interval)
