"""Evidence for recertification in the store (clause 9.6): the items staff record on a
certification (continuing development, work done), which recertification relied on each,
and which examinations a recertification already relied on.

An item, or an examination, is relied on by one recertification only: the items through the
unique key of ``lifecycle_decision_evidence``, the examinations by
:meth:`RecertificationReads.examinations_used_for_recertification`, read under the lock of
the certification recertified. The rows are confidential and never published.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from issuer.model import LifecycleKind, RecertificationEvidence, RecertificationEvidenceKind
from issuer.store.base import Unit, _fields
from issuer.store.tables import (
    LifecycleDecisionRow,
    LifecycleEvidenceRow,
    LifecycleRecordedEvidenceRow,
    RecertificationEvidenceRow,
)

__all__ = ["RecertificationReads", "RecertificationWrites"]


class RecertificationReads(Unit):
    """Evidence for recertification, read."""

    def recertification_evidence_of(self, certification_id: str) -> list[RecertificationEvidence]:
        """The items recorded on a certification, oldest first, each with the decision that
        relied on it (if one did)."""
        rows = self._s.execute(
            select(RecertificationEvidenceRow, LifecycleRecordedEvidenceRow.decision_id)
            .outerjoin(
                LifecycleRecordedEvidenceRow,
                LifecycleRecordedEvidenceRow.evidence_id == RecertificationEvidenceRow.id,
            )
            .where(RecertificationEvidenceRow.certification_id == certification_id)
            .order_by(RecertificationEvidenceRow.recorded_at, RecertificationEvidenceRow.id)
        ).all()
        return [_evidence(row, used_by) for row, used_by in rows]

    def get_recertification_evidence(self, evidence_id: str) -> RecertificationEvidence | None:
        row = self._s.execute(
            select(RecertificationEvidenceRow, LifecycleRecordedEvidenceRow.decision_id)
            .outerjoin(
                LifecycleRecordedEvidenceRow,
                LifecycleRecordedEvidenceRow.evidence_id == RecertificationEvidenceRow.id,
            )
            .where(RecertificationEvidenceRow.id == evidence_id)
        ).first()
        return None if row is None else _evidence(row[0], row[1])

    def examinations_used_for_recertification(self, examination_ids: Collection[str]) -> set[str]:
        """Those of ``examination_ids`` a recertification already relied on."""
        if not examination_ids:
            return set()
        return set(
            self._s.scalars(
                select(LifecycleEvidenceRow.examination_id)
                .join(
                    LifecycleDecisionRow,
                    LifecycleDecisionRow.id == LifecycleEvidenceRow.decision_id,
                )
                .where(
                    LifecycleDecisionRow.kind == LifecycleKind.RECERTIFY.value,
                    LifecycleEvidenceRow.examination_id.in_(list(examination_ids)),
                )
            )
        )


class RecertificationWrites(Unit):
    """Evidence for recertification, written."""

    def insert_recertification_evidence(self, evidence: RecertificationEvidence) -> None:
        fields = _fields(evidence)
        fields.pop("used_by")
        fields["kind"] = evidence.kind.value
        self._s.add(RecertificationEvidenceRow(**fields))
        self._flush("recertification evidence")


def _evidence(row: RecertificationEvidenceRow, used_by: str | None) -> RecertificationEvidence:
    return RecertificationEvidence(
        id=row.id,
        certification_id=row.certification_id,
        kind=RecertificationEvidenceKind(row.kind),
        summary=row.summary,
        period_from=row.period_from,
        period_to=row.period_to,
        hours=row.hours,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        used_by=used_by,
    )
