"""Prepared rosters: recorded by one person, granted by a decision-maker who approves them.

Only an authorised decision-maker grants certification, on evidence (ISO/IEC 17024 4.2,
9.4). A registrar (or a decision-maker) *prepares* a roster (:func:`prepare_roster`): every
row is checked as bulk issuance checks it, its evidence included, except for who decides,
and the rows kept are stored with their fields; nothing is granted. A decision-maker other
than the one who prepared it then *approves* it (:func:`approve_roster`): the roster is
claimed for them in a transaction of its own (of two decision-makers approving at once,
one wins and the other is refused), and its rows are issued through
:func:`issuer.bulk.issuance.issue_batch` as that decision-maker's own grants, with the
impartiality checks of a single decision. An approval interrupted (a crash, a killed
command) is resumed by the same approver calling again: what was issued comes back as
issued before, by ``external_id``, and only the rest is issued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from issuer.bulk.issuance import issue_batch
from issuer.bulk.report import ItemResult, Outcome
from issuer.bulk.rosters import NumberedRow, _check, _numbered, _Rejected, _Resolver
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.keys import KeyRing
from issuer.errors import Forbidden, NotFound, StateConflict
from issuer.model import PreparedRoster, PreparedRosterRow, Role, RosterState
from issuer.process.auth import Actor
from issuer.runtime import Clock, Entropy, new_id
from issuer.store import Store

__all__ = ["RosterApproval", "RosterPrepared", "approve_roster", "prepare_roster"]

PREPARERS = frozenset({Role.REGISTRAR, Role.DECISION_MAKER})
"""Who may prepare a roster; only a decision-maker approves one."""


@dataclass(frozen=True, slots=True)
class RosterPrepared:
    """A roster just prepared, with the rows refused while preparing it."""

    roster: PreparedRoster
    rejected: list[ItemResult]


@dataclass(frozen=True, slots=True)
class RosterApproval:
    """A roster after its approval (or its resumption): its state and every row's outcome."""

    roster: PreparedRoster
    rows: list[PreparedRosterRow]
    batch_id: str | None = None
    rejections: list[ItemResult] = field(default_factory=list)


def _role(actor: Actor, allowed: frozenset[Role]) -> str:
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(
            f"the role {actor.role.value!r} may not do this; allowed: {names}", kind="wrong-role"
        )
    return actor.staff()


def prepare_roster(
    store: Store,
    rows: Iterable[Mapping[str, Any] | NumberedRow],
    *,
    actor: Actor,
    clock: Clock,
    entropy: Entropy,
) -> RosterPrepared:
    """Check and record a roster for a decision-maker to approve (see the module doc).

    Rows refused (malformed, unknown scheme or scope, evidence missing or insufficient, an
    ``external_id`` repeated in the roster) are reported and not stored; the others are
    stored with their fields. Audited as ``roster.prepared``."""
    preparer = _role(actor, PREPARERS)
    now = clock()
    today = now.date()
    resolver = _Resolver(store, acting_maker=None)
    kept: list[PreparedRosterRow] = []
    rejected: list[ItemResult] = []
    seen: set[str] = set()
    roster_id = new_id(entropy)
    for row in _numbered(rows):
        try:
            checked = _check(row, resolver, today)
            if checked.external_id in seen:
                raise _Rejected("external-id-reused", "the roster repeats this external id")
        except _Rejected as exc:
            external = row.fields.get("external_id")
            rejected.append(
                ItemResult(
                    row=row.number,
                    external_id=external[:200] if isinstance(external, str) else None,
                    outcome=Outcome.REJECTED,
                    problem=exc.kind,
                    detail=exc.detail,
                )
            )
            continue
        seen.add(checked.external_id)
        kept.append(PreparedRosterRow(roster_id, row.number, checked.external_id, dict(row.fields)))
    roster = PreparedRoster(
        id=roster_id,
        state=RosterState.PREPARED,
        rows=len(kept),
        rejected=len(rejected),
        prepared_by=preparer,
        prepared_token_id=actor.token_id,
        prepared_at=now,
    )
    with store.transaction() as tx:
        tx.insert_roster(roster, kept)
        tx.append_audit(
            at=now,
            actor=actor.audit_name,
            action="roster.prepared",
            subject_type="roster",
            subject_id=roster_id,
            details={"rows": len(kept), "rejected": len(rejected)},
        )
    return RosterPrepared(roster, rejected)


def _claim(store: Store, roster_id: str, actor: Actor, clock: Clock) -> PreparedRoster:
    """The roster, claimed for ``actor`` (or already theirs): its own transaction."""
    approver = _role(actor, frozenset({Role.DECISION_MAKER}))
    with store.transaction() as tx:
        roster = tx.get_roster(roster_id)
        if roster is None:
            raise NotFound("no such roster")
        if roster.approved_by is None:
            if roster.prepared_by == approver:
                raise Forbidden(
                    "you prepared this roster: another decision-maker must approve it",
                    kind="separation-of-duties",
                )
            now = clock()
            if tx.claim_roster(roster_id, approver=approver, token_id=actor.token_id, at=now):
                tx.append_audit(
                    at=now,
                    actor=actor.audit_name,
                    action="roster.approved",
                    subject_type="roster",
                    subject_id=roster_id,
                    details={"rows": roster.rows},
                )
            roster = tx.get_roster(roster_id)
            assert roster is not None
        if roster.approved_by != approver:
            raise StateConflict(
                "another decision-maker has already approved this roster",
                kind="roster-already-approved",
            )
    return roster


def approve_roster(
    store: Store,
    roster_id: str,
    *,
    actor: Actor,
    clock: Clock,
    entropy: Entropy,
    keyring: KeyRing,
    identity: IssuerIdentity,
    list_entries: int = 131_072,
    workers: int = 1,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> RosterApproval:
    """Approve a prepared roster and issue its rows as the approver's grants, or resume an
    approval of theirs that was interrupted (see the module doc). ``on_start`` is told how
    many rows are left to issue, before they are."""
    roster = _claim(store, roster_id, actor, clock)
    with store.reading() as tx:
        pending = tx.roster_rows(roster_id, pending=True)
    if on_start is not None:
        on_start(len(pending))
    batch_id = None
    rejections: list[ItemResult] = []
    if pending:
        report = issue_batch(
            store,
            (NumberedRow(r.number, r.fields) for r in pending),
            clock=clock,
            entropy=entropy,
            keyring=keyring,
            identity=identity,
            acting_decision_maker=roster.approved_by or "",
            workers=workers,
            batch_size=batch_size,
            progress=progress,
            list_entries=list_entries,
            actor=actor.audit_name,
            keep_results=True,
        )
        batch_id = report.batch_id
        rejections = report.rejections
        by_number = {r.number: r for r in pending}
        outcomes = [
            PreparedRosterRow(
                roster_id=roster_id,
                number=result.row,
                external_id=by_number[result.row].external_id,
                fields={},
                outcome=result.outcome.value,
                problem=result.problem,
                detail=result.detail,
                certification_id=result.certification_id,
                credential_id=result.credential_id,
                certificate_number=result.certificate_number,
            )
            for result in report.results
        ]
        with store.transaction() as tx:
            tx.record_roster_outcomes(roster_id, outcomes)
    with store.transaction() as tx:
        rows = tx.roster_rows(roster_id)
        if all(r.outcome is not None for r in rows):
            counts = {o.value: sum(r.outcome == o.value for r in rows) for o in Outcome}
            now = clock()
            if tx.finish_roster(
                roster_id,
                issued=counts[Outcome.ISSUED.value],
                already_issued=counts[Outcome.ALREADY_ISSUED.value],
                refused=counts[Outcome.REJECTED.value],
                at=now,
            ):
                tx.append_audit(
                    at=now,
                    actor=actor.audit_name,
                    action="roster.issued",
                    subject_type="roster",
                    subject_id=roster_id,
                    details={
                        "issued": counts[Outcome.ISSUED.value],
                        "already_issued": counts[Outcome.ALREADY_ISSUED.value],
                        "rejected": counts[Outcome.REJECTED.value],
                    },
                )
        final = tx.get_roster(roster_id)
        assert final is not None
    return RosterApproval(final, rows, batch_id, rejections)
