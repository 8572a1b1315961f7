"""Certifications in the store: each certification with its scope, the certificate numbers
in use, the lifecycle decisions taken on it, the ones due for a decision (suspensions
overdue, expiries) with the escalations of overdue suspensions, and the agreements to use a
scheme's mark.

The due jobs, and the re-issue after a key compromise, find their work with ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL: two processes running them at once split the rows instead of
waiting on each other, and neither sees a row the other holds. SQLite serialises every
writing transaction (``BEGIN IMMEDIATE``), so there the second simply finds the work
done."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from issuer.model import (
    Certification,
    CertificationStatus,
    CredentialKind,
    LifecycleDecision,
    LifecycleKind,
    MarkAgreement,
    OverdueSuspension,
    SuspensionEscalation,
)
from issuer.store.base import Unit, _columns, _fields
from issuer.store.tables import (
    CertificationRow,
    CertificationScopeRow,
    CredentialRow,
    LifecycleDecisionRow,
    LifecycleEvidenceRow,
    LifecycleRecordedEvidenceRow,
    MarkAgreementRow,
    SchemeVersionRow,
    SuspensionEscalationRow,
)

__all__ = ["CertificationReads", "CertificationWrites"]


class CertificationReads(Unit):
    """Certifications, their lifecycle decisions and mark agreements, read."""

    def certificate_number_taken(self, number: str) -> bool:
        return bool(
            self._s.scalar(select(exists().where(CertificationRow.certificate_number == number)))
        )

    def get_certification(self, certification_id: str) -> Certification | None:
        row = self._s.get(CertificationRow, certification_id)
        return None if row is None else _certification(self._s, row)

    def certificate_number_of(self, certification_id: str) -> str | None:
        """Its certificate number alone: one read (a :class:`Certification` takes three)."""
        number = select(CertificationRow.certificate_number)
        return self._s.scalar(number.where(CertificationRow.id == certification_id))

    def get_certification_by_number(self, number: str) -> Certification | None:
        row = self._s.scalar(
            select(CertificationRow).where(CertificationRow.certificate_number == number)
        )
        return None if row is None else _certification(self._s, row)

    def certification_for_application(self, application_id: str) -> Certification | None:
        row = self._s.scalar(
            select(CertificationRow).where(CertificationRow.application_id == application_id)
        )
        return None if row is None else _certification(self._s, row)

    def list_certifications(
        self,
        *,
        scheme_id: str | None = None,
        status: CertificationStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Certification]:
        query = select(CertificationRow).order_by(
            CertificationRow.created_at, CertificationRow.certificate_number
        )
        if scheme_id is not None:
            query = query.where(CertificationRow.scheme_id == scheme_id)
        if status is not None:
            query = query.where(CertificationRow.status == status.value)
        rows = self._s.scalars(query.limit(limit).offset(offset)).all()
        return [_certification(self._s, r) for r in rows]

    def certificate_numbers_in_use(self, numbers: Collection[str]) -> set[str]:
        if not numbers:
            return set()
        return set(
            self._s.scalars(
                select(CertificationRow.certificate_number).where(
                    self._among(CertificationRow.certificate_number, numbers)
                )
            )
        )

    def lifecycle_decisions(self, certification_id: str) -> list[LifecycleDecision]:
        """The decisions taken on a certification, oldest first, each with the
        examinations it relied on."""
        rows = self._s.scalars(
            select(LifecycleDecisionRow)
            .where(LifecycleDecisionRow.certification_id == certification_id)
            .order_by(LifecycleDecisionRow.seq)
        ).all()
        evidence: dict[str, list[str]] = {}
        for decision_id, examination_id in self._s.execute(
            select(LifecycleEvidenceRow.decision_id, LifecycleEvidenceRow.examination_id)
            .join(LifecycleDecisionRow, LifecycleDecisionRow.id == LifecycleEvidenceRow.decision_id)
            .where(LifecycleDecisionRow.certification_id == certification_id)
            .order_by(LifecycleEvidenceRow.examination_id)
        ):
            evidence.setdefault(decision_id, []).append(examination_id)
        recorded: dict[str, list[str]] = {}
        for decision_id, evidence_id in self._s.execute(
            select(
                LifecycleRecordedEvidenceRow.decision_id, LifecycleRecordedEvidenceRow.evidence_id
            )
            .join(
                LifecycleDecisionRow,
                LifecycleDecisionRow.id == LifecycleRecordedEvidenceRow.decision_id,
            )
            .where(LifecycleDecisionRow.certification_id == certification_id)
            .order_by(LifecycleRecordedEvidenceRow.evidence_id)
        ):
            recorded.setdefault(decision_id, []).append(evidence_id)
        return [
            LifecycleDecision(
                id=r.id,
                certification_id=r.certification_id,
                kind=LifecycleKind(r.kind),
                decided_by=r.decided_by,
                decided_at=r.decided_at,
                reason=r.reason,
                resolve_by=r.resolve_by,
                scope_before=None if r.scope_before is None else tuple(r.scope_before.split(",")),
                scope_after=None if r.scope_after is None else tuple(r.scope_after.split(",")),
                effective_at=r.effective_at,
                examination_ids=tuple(evidence.get(r.id, ())),
                resolves_suspension=r.resolves_suspension,
                evidence_ids=tuple(recorded.get(r.id, ())),
                appeal_id=r.appeal_id,
                complaint_id=r.complaint_id,
            )
            for r in rows
        ]

    def get_lifecycle_decision(self, decision_id: str) -> LifecycleDecision | None:
        """One lifecycle decision, with what it relied on."""
        certification_id = self._s.scalar(
            select(LifecycleDecisionRow.certification_id).where(
                LifecycleDecisionRow.id == decision_id
            )
        )
        found = [] if certification_id is None else self.lifecycle_decisions(certification_id)
        return next((d for d in found if d.id == decision_id), None)

    def overdue_suspensions(self, today: date) -> list[OverdueSuspension]:
        """Suspended certifications whose resolve-by date is before ``today``, each with when
        its suspension was referred to the decision-makers (``None``: not yet)."""
        suspension = aliased(LifecycleDecisionRow)
        escalation = SuspensionEscalationRow
        rows = self._s.execute(
            select(CertificationRow, escalation.escalated_at)
            .select_from(CertificationRow)
            .outerjoin(suspension, suspension.seq == _suspension_in_force())
            .outerjoin(
                escalation,
                and_(
                    escalation.suspension_id == suspension.id,
                    escalation.resolve_by == CertificationRow.resolve_by,
                ),
            )
            .where(_overdue(today))
            .order_by(CertificationRow.resolve_by, CertificationRow.certificate_number)
        ).all()
        return [
            OverdueSuspension(certification=_certification(self._s, row), escalated_at=at)
            for row, at in rows
        ]

    def suspension_escalated(self, suspension_id: str, resolve_by: date) -> bool:
        """Whether the suspension ``suspension_id`` was referred for missing ``resolve_by``."""
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        SuspensionEscalationRow.suspension_id == suspension_id,
                        SuspensionEscalationRow.resolve_by == resolve_by,
                    )
                )
            )
        )

    def suspension_escalations(self, certification_id: str) -> list[SuspensionEscalation]:
        rows = self._s.scalars(
            select(SuspensionEscalationRow)
            .where(SuspensionEscalationRow.certification_id == certification_id)
            .order_by(SuspensionEscalationRow.escalated_at, SuspensionEscalationRow.id)
        )
        return [SuspensionEscalation(**_columns(r)) for r in rows]

    # ── certification marks ──────────────────────────────────────────────────────────────
    def mark_agreement(self, certification_id: str, mark_id: str) -> MarkAgreement | None:
        row = self._s.scalar(
            select(MarkAgreementRow).where(
                MarkAgreementRow.certification_id == certification_id,
                MarkAgreementRow.mark_id == mark_id,
            )
        )
        return None if row is None else MarkAgreement(**_columns(row))

    def mark_agreements_of(self, certification_id: str) -> list[MarkAgreement]:
        """Every agreement to a mark's rules the certified person gave, oldest first."""
        rows = self._s.scalars(
            select(MarkAgreementRow)
            .where(MarkAgreementRow.certification_id == certification_id)
            .order_by(MarkAgreementRow.agreed_at, MarkAgreementRow.id)
        )
        return [MarkAgreement(**_columns(r)) for r in rows]

    # ── re-issue after a key compromise ─────────────────────────────────────────────────
    def count_owed_reissues(self, kids: Collection[str], now: datetime) -> int:
        """How many certifications :meth:`lock_owed_reissues` would still find."""
        if not kids:
            return 0
        owed = _owed_reissues(kids, now, sqlite=_on_sqlite(self._s)).distinct().subquery()
        count = self._s.scalar(select(func.count()).select_from(owed))
        return int(count or 0)


class CertificationWrites(Unit):
    """Certifications, their lifecycle decisions and mark agreements, written; a
    certification locked before it changes."""

    def insert_certification(self, certification: Certification) -> None:
        fields = _fields(certification)
        codes = fields.pop("scope")
        fields.pop("scheme_version")
        fields["status"] = certification.status.value
        self._s.add(CertificationRow(**fields))
        self._s.flush()
        self._s.add_all(
            CertificationScopeRow(certification_id=certification.id, code=c) for c in codes
        )
        self._flush("certification")

    def update_certification(self, certification: Certification) -> None:
        """Write the mutable part of a certification: status, scope and cycle dates."""
        row = self._s.get(CertificationRow, certification.id)
        assert row is not None
        row.status = certification.status.value
        row.status_since = certification.status_since
        row.resolve_by = certification.resolve_by
        row.effective_date = certification.effective_date
        row.expiry_date = certification.expiry_date
        row.scheme_version_id = certification.scheme_version_id
        self._s.execute(
            delete(CertificationScopeRow).where(
                CertificationScopeRow.certification_id == certification.id
            )
        )
        self._s.add_all(
            CertificationScopeRow(certification_id=certification.id, code=c)
            for c in certification.scope
        )
        self._flush("certification")

    def lock_due_for_expiry(self, today: date, limit: int) -> list[Certification]:
        """Up to ``limit`` active or suspended certifications whose expiry date is before
        ``today``, oldest expiry first, locked until the transaction ends; rows another
        transaction holds are skipped (it is changing them)."""
        rows = self._s.scalars(
            select(CertificationRow)
            .where(
                CertificationRow.status.in_(
                    [CertificationStatus.ACTIVE.value, CertificationStatus.SUSPENDED.value]
                ),
                CertificationRow.expiry_date < today,
            )
            .order_by(CertificationRow.expiry_date, CertificationRow.certificate_number)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [_certification(self._s, r) for r in rows]

    def lock_owed_reissues(
        self, kids: Collection[str], now: datetime, *, after: str, limit: int
    ) -> tuple[list[Certification], str | None]:
        """The next up to ``limit`` certifications, by id after ``after``, with a current
        credential signed by one of the compromised keys ``kids`` (:func:`_owed_reissues`),
        and the last id looked at (``None`` when none was left: the walk is over). Those
        another transaction holds are skipped; the others are locked until the transaction
        ends, and the caller looks at their credentials again: on PostgreSQL the first
        statement's snapshot may predate another run's re-issue."""
        if not kids:
            return [], None
        ids = list(
            dict.fromkeys(
                self._s.scalars(
                    _owed_reissues(kids, now, sqlite=_on_sqlite(self._s), after=after).limit(limit)
                )
            )
        )
        if not ids:
            return [], None
        rows = self._s.scalars(
            select(CertificationRow)
            .where(CertificationRow.id.in_(ids))
            .order_by(CertificationRow.id)
            .with_for_update(skip_locked=True)
        ).all()
        return [_certification(self._s, r) for r in rows], ids[-1]

    def lock_unescalated_suspensions(
        self, today: date, limit: int
    ) -> list[tuple[Certification, str]]:
        """Up to ``limit`` suspended certifications past their resolve-by date whose
        suspension was not yet referred for that date, each with the id of the suspend
        decision in force; locked until the transaction ends, rows others hold skipped.
        The caller checks :meth:`suspension_escalated` again once it holds the lock: on
        PostgreSQL this statement's snapshot may predate another run's commit."""
        suspension = aliased(LifecycleDecisionRow)
        escalation = SuspensionEscalationRow
        escalated = exists().where(
            escalation.suspension_id == suspension.id,
            escalation.resolve_by == CertificationRow.resolve_by,
        )
        rows = self._s.execute(
            select(CertificationRow, suspension.id)
            .select_from(CertificationRow)
            .join(suspension, suspension.seq == _suspension_in_force())
            .where(_overdue(today), ~escalated)
            .order_by(CertificationRow.resolve_by, CertificationRow.certificate_number)
            .limit(limit)
            .with_for_update(of=CertificationRow, skip_locked=True)
        ).all()
        return [(_certification(self._s, row), suspension_id) for row, suspension_id in rows]

    def insert_suspension_escalation(self, escalation: SuspensionEscalation) -> None:
        self._s.add(SuspensionEscalationRow(**_fields(escalation)))
        self._flush("suspension escalation")

    def lock_certification(self, number: str) -> Certification | None:
        """The certification with this number, locked until the transaction ends."""
        row = self._s.scalar(
            select(CertificationRow)
            .where(CertificationRow.certificate_number == number)
            .with_for_update()
        )
        return None if row is None else _certification(self._s, row)

    def insert_lifecycle_decision(self, decision: LifecycleDecision) -> None:
        self._s.add(
            LifecycleDecisionRow(
                id=decision.id,
                certification_id=decision.certification_id,
                kind=decision.kind.value,
                decided_by=decision.decided_by,
                decided_at=decision.decided_at,
                reason=decision.reason,
                resolve_by=decision.resolve_by,
                scope_before=None
                if decision.scope_before is None
                else ",".join(decision.scope_before),
                scope_after=None
                if decision.scope_after is None
                else ",".join(decision.scope_after),
                effective_at=decision.effective_at,
                resolves_suspension=decision.resolves_suspension,
                appeal_id=decision.appeal_id,
                complaint_id=decision.complaint_id,
            )
        )
        self._s.flush()
        self._s.add_all(
            LifecycleEvidenceRow(decision_id=decision.id, examination_id=examination_id)
            for examination_id in decision.examination_ids
        )
        self._s.add_all(
            LifecycleRecordedEvidenceRow(decision_id=decision.id, evidence_id=evidence_id)
            for evidence_id in decision.evidence_ids
        )
        self._flush("lifecycle decision")

    # ── certification marks ──────────────────────────────────────────────────────────────
    def insert_mark_agreement(self, agreement: MarkAgreement) -> None:
        self._s.add(MarkAgreementRow(**_fields(agreement)))
        self._flush("mark agreement")


def _on_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _owed_reissues(
    kids: Collection[str], now: datetime, *, sqlite: bool, after: str = ""
) -> Select[str]:
    """The ids, in order, of the active or suspended certifications with a current
    credential signed by one of ``kids`` and still within its validity: their certificate,
    not superseded, or a mark of that certificate. A mark left behind by an earlier
    certificate (its holder had not agreed to the mark's current rules when the certificate
    was replaced) has ended and owes nothing; a credential past its validity lapses with the
    certification, which the due jobs expire.

    Walked along the index on the certification id, a batch after ``after`` at a time: a
    whole walk reads each current credential once, however many batches it takes, and a
    certification that cannot be re-issued is passed, not found again by every batch. On
    ``sqlite`` the key and the status are compared as ``kid || ''`` and ``status || ''``, so
    that no index on them is used: SQLite's planner, which has no statistics, would
    otherwise read every credential the key signed (or every active certification) and
    sort them, at every batch. PostgreSQL's planner, which has statistics, walks the index
    by itself, and would misjudge the expressions. A certification whose certificate and
    mark were both signed by the key is listed twice, one after the other."""
    credential = CredentialRow
    certificate = aliased(CredentialRow)
    of_current_certificate = exists().where(
        certificate.id == credential.depends_on, certificate.superseded_by.is_(None)
    )
    return (
        select(credential.certification_id)
        .join(CertificationRow, CertificationRow.id == credential.certification_id)
        .where(
            # On both sides of the join, so that either index starts at the cursor.
            credential.certification_id > after,
            CertificationRow.id > after,
            credential.superseded_by.is_(None),
            (credential.kid + "" if sqlite else credential.kid).in_(list(kids)),
            credential.valid_until > now,
            or_(
                credential.kind == CredentialKind.CERTIFICATE.value,
                and_(credential.kind == CredentialKind.MARK.value, of_current_certificate),
            ),
            (CertificationRow.status + "" if sqlite else CertificationRow.status).in_(
                [CertificationStatus.ACTIVE.value, CertificationStatus.SUSPENDED.value]
            ),
        )
        .order_by(credential.certification_id)
    )


def _overdue(today: date) -> ColumnElement[bool]:
    """A suspended certification whose resolve-by date is before ``today``."""
    return and_(
        CertificationRow.status == CertificationStatus.SUSPENDED.value,
        CertificationRow.resolve_by < today,
    )


def _suspension_in_force() -> ColumnElement[int]:
    """The sequence number of the latest suspend decision on the certification of the
    enclosing query: the one a suspended certification is suspended by."""
    latest = aliased(LifecycleDecisionRow, name="latest_suspension")
    return (
        select(func.max(latest.seq))
        .where(
            latest.certification_id == CertificationRow.id,
            latest.kind == LifecycleKind.SUSPEND.value,
        )
        .correlate(CertificationRow)
        .scalar_subquery()
    )


def _certification(session: Session, row: CertificationRow) -> Certification:
    codes = session.scalars(
        select(CertificationScopeRow.code)
        .where(CertificationScopeRow.certification_id == row.id)
        .order_by(CertificationScopeRow.code)
    )
    version = session.scalar(
        select(SchemeVersionRow.version).where(SchemeVersionRow.id == row.scheme_version_id)
    )
    assert version is not None
    return Certification(
        id=row.id,
        certificate_number=row.certificate_number,
        person_id=row.person_id,
        scheme_id=row.scheme_id,
        scheme_version_id=row.scheme_version_id,
        scheme_version=version,
        application_id=row.application_id,
        decision_id=row.decision_id,
        scope=tuple(codes),
        status=CertificationStatus(row.status),
        effective_date=row.effective_date,
        expiry_date=row.expiry_date,
        created_at=row.created_at,
        original_certification_date=row.original_certification_date,
        status_since=row.status_since,
        resolve_by=row.resolve_by,
    )
