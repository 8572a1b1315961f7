"""Cases in the store: applications with their requested scope, examinations, decisions,
and the ties between staff and candidates that would make a decision partial (a trainer
relation, a declared conflict, an examination)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from issuer.model import (
    AiUse,
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    Examination,
    ExaminationResult,
    InvigilationMode,
)
from issuer.store.base import Unit, _columns, _fields
from issuer.store.tables import (
    ApplicationRow,
    ApplicationScopeRow,
    ConflictRow,
    DecisionRow,
    ExaminationRow,
    ExaminationScopeRow,
    TrainerRow,
)

__all__ = ["CaseReads", "CaseWrites"]


class CaseReads(Unit):
    """Applications, examinations, decisions and impartiality relations, read.

    :meth:`get_application` is a read that may lock: ``for_update=True`` is asked for only
    in a transaction (:class:`~issuer.store.Tx`), before the application is updated.
    """

    def get_application(
        self, application_id: str, *, for_update: bool = False
    ) -> Application | None:
        row = self._s.get(ApplicationRow, application_id, with_for_update=for_update)
        return None if row is None else _application(self._s, row)

    def has_open_application(
        self, person_id: str, scheme_id: str, open_states: frozenset[ApplicationState]
    ) -> bool:
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        ApplicationRow.person_id == person_id,
                        ApplicationRow.scheme_id == scheme_id,
                        ApplicationRow.state.in_([s.value for s in open_states]),
                    )
                )
            )
        )

    def count_applications(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(ApplicationRow)) or 0)

    # ── examinations ─────────────────────────────────────────────────────────────────────
    def get_examination(self, examination_id: str) -> Examination | None:
        row = self._s.get(ExaminationRow, examination_id)
        return None if row is None else _examinations(self._s, [row])[0]

    def list_examinations(self, application_id: str) -> list[Examination]:
        rows = self._s.scalars(
            select(ExaminationRow)
            .where(ExaminationRow.application_id == application_id)
            .order_by(ExaminationRow.held_on, ExaminationRow.recorded_at)
        )
        return _examinations(self._s, list(rows))

    def examined(self, staff_id: str, person_id: str) -> bool:
        """Whether ``staff_id`` examined ``person_id`` in any examination on record."""
        return bool(
            self._s.scalar(
                select(
                    exists()
                    .where(ExaminationRow.examiner_id == staff_id)
                    .where(ExaminationRow.application_id == ApplicationRow.id)
                    .where(ApplicationRow.person_id == person_id)
                )
            )
        )

    # ── decisions ────────────────────────────────────────────────────────────────────────
    def get_decision(self, decision_id: str) -> Decision | None:
        row = self._s.get(DecisionRow, decision_id)
        if row is None:
            return None
        fields = _columns(row)
        fields["outcome"] = DecisionOutcome(row.outcome)
        return Decision(**fields)

    def impartiality_relations(self, person_ids: Collection[str]) -> set[tuple[str, str, str]]:
        """``(staff_id, person_id, relation)`` for every trainer relation, declared conflict
        and examination that ties a staff member to one of ``person_ids``; ``relation`` is
        the problem kind a decision by that staff member would be refused with."""
        if not person_ids:
            return set()
        ids = list(person_ids)
        found: set[tuple[str, str, str]] = set()
        for staff_id, person_id in self._s.execute(
            select(TrainerRow.staff_id, TrainerRow.person_id).where(TrainerRow.person_id.in_(ids))
        ):
            found.add((staff_id, person_id, "trained-candidate"))
        for staff_id, person_id in self._s.execute(
            select(ConflictRow.staff_id, ConflictRow.person_id).where(
                ConflictRow.person_id.in_(ids)
            )
        ):
            found.add((staff_id, person_id, "declared-conflict"))
        for staff_id, person_id in self._s.execute(
            select(ExaminationRow.examiner_id, ApplicationRow.person_id)
            .join(ApplicationRow, ApplicationRow.id == ExaminationRow.application_id)
            .where(ApplicationRow.person_id.in_(ids))
        ):
            found.add((staff_id, person_id, "examined-candidate"))
        return found


class CaseWrites(Unit):
    """Applications, examinations and decisions, written."""

    def insert_application(self, application: Application) -> None:
        fields = _fields(application)
        codes = fields.pop("requested_scope")
        fields["state"] = application.state.value
        self._s.add(ApplicationRow(**fields))
        self._s.flush()
        self._s.add_all(ApplicationScopeRow(application_id=application.id, code=c) for c in codes)
        self._flush("application")

    def update_application(self, application: Application) -> None:
        """Write the mutable part of an application (its state and the review/closing facts)."""
        row = self._s.get(ApplicationRow, application.id)
        assert row is not None
        row.state = application.state.value
        row.reviewed_at = application.reviewed_at
        row.reviewed_by = application.reviewed_by
        row.review_notes = application.review_notes
        row.closed_at = application.closed_at
        row.closed_by = application.closed_by
        row.rejection_reason = application.rejection_reason
        self._flush("application")

    def insert_examination(self, examination: Examination) -> None:
        fields = _fields(examination)
        ai_use = fields.pop("ai_use")
        codes = fields.pop("scope")
        fields["result"] = examination.result.value
        fields["invigilation_mode"] = examination.invigilation_mode.value
        self._s.add(
            ExaminationRow(
                **fields,
                ai_description=ai_use.description if ai_use else None,
                ai_human_reviewer_id=ai_use.human_reviewer_id if ai_use else None,
                ai_acknowledged_at=ai_use.acknowledged_by_person_at if ai_use else None,
            )
        )
        self._s.flush()
        self._s.add_all(ExaminationScopeRow(examination_id=examination.id, code=c) for c in codes)
        self._flush("examination")

    def insert_decision(self, decision: Decision) -> None:
        fields = _fields(decision)
        fields["outcome"] = decision.outcome.value
        self._s.add(DecisionRow(**fields))
        self._flush("a decision on this application")


def _application(session: Session, row: ApplicationRow) -> Application:
    codes = session.scalars(
        select(ApplicationScopeRow.code)
        .where(ApplicationScopeRow.application_id == row.id)
        .order_by(ApplicationScopeRow.code)
    )
    return Application(
        id=row.id,
        person_id=row.person_id,
        scheme_id=row.scheme_id,
        scheme_version_id=row.scheme_version_id,
        requested_scope=tuple(codes),
        state=ApplicationState(row.state),
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        reviewed_at=row.reviewed_at,
        reviewed_by=row.reviewed_by,
        review_notes=row.review_notes,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        rejection_reason=row.rejection_reason,
    )


def _examinations(session: Session, rows: list[ExaminationRow]) -> list[Examination]:
    """The examinations of ``rows``, each with the scope items it assessed (one query)."""
    scopes: dict[str, list[str]] = {row.id: [] for row in rows}
    if rows:
        for examination_id, code in session.execute(
            select(ExaminationScopeRow.examination_id, ExaminationScopeRow.code)
            .where(ExaminationScopeRow.examination_id.in_(list(scopes)))
            .order_by(ExaminationScopeRow.code)
        ):
            scopes[examination_id].append(code)
    return [_examination(row, tuple(scopes[row.id])) for row in rows]


def _examination(row: ExaminationRow, scope: tuple[str, ...]) -> Examination:
    ai_use = None
    if row.ai_description is not None:
        assert row.ai_human_reviewer_id is not None
        assert row.ai_acknowledged_at is not None
        ai_use = AiUse(
            description=row.ai_description,
            human_reviewer_id=row.ai_human_reviewer_id,
            acknowledged_by_person_at=row.ai_acknowledged_at,
        )
    return Examination(
        id=row.id,
        application_id=row.application_id,
        examiner_id=row.examiner_id,
        scope=scope,
        held_on=row.held_on,
        method=row.method,
        result=ExaminationResult(row.result),
        score=row.score,
        max_score=row.max_score,
        nda_accepted=row.nda_accepted,
        identity_checked=row.identity_checked,
        invigilation_mode=InvigilationMode(row.invigilation_mode),
        irregularities=row.irregularities,
        ai_use=ai_use,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )
