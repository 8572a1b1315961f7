"""The register of threats to impartiality in the store (clause 4.3): the risks, read,
listed by state and review date, recorded and moved on; and the link from a declared
conflict of interest to the risk that treats it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update

from issuer.model import (
    ConflictDeclaration,
    ImpartialityRisk,
    RiskActivity,
    RiskSource,
    RiskState,
)
from issuer.store.base import Unit, _columns, _fields
from issuer.store.tables import ConflictRow, ImpartialityRiskRow

__all__ = ["RiskReads", "RiskWrites"]


class RiskReads(Unit):
    """Risks of the register, and the conflicts declared between a staff member and a person."""

    def get_risk(self, risk_id: str) -> ImpartialityRisk | None:
        row = self._s.get(ImpartialityRiskRow, risk_id)
        return None if row is None else _risk(row)

    def list_risks(
        self, *, state: RiskState | None = None, review_before: date | None = None
    ) -> list[ImpartialityRisk]:
        """The register, oldest first; ``review_before``: only the open risks whose review
        date is before that day (the overdue ones)."""
        query = select(ImpartialityRiskRow).order_by(
            ImpartialityRiskRow.identified_at, ImpartialityRiskRow.id
        )
        if state is not None:
            query = query.where(ImpartialityRiskRow.state == state.value)
        if review_before is not None:
            query = query.where(
                ImpartialityRiskRow.review_by < review_before,
                ImpartialityRiskRow.state != RiskState.CLOSED.value,
            )
        return [_risk(r) for r in self._s.scalars(query)]

    def conflicts_between(self, staff_id: str, person_id: str) -> list[ConflictDeclaration]:
        rows = self._s.scalars(
            select(ConflictRow)
            .where(ConflictRow.staff_id == staff_id, ConflictRow.person_id == person_id)
            .order_by(ConflictRow.declared_at, ConflictRow.id)
        )
        return [ConflictDeclaration(**_columns(r)) for r in rows]


class RiskWrites(Unit):
    """Risks of the register recorded and moved on; a conflict linked to its risk."""

    def insert_risk(self, risk: ImpartialityRisk) -> None:
        self._s.add(ImpartialityRiskRow(**_row_fields(risk)))
        self._flush("impartiality risk")

    def lock_risk(self, risk_id: str) -> ImpartialityRisk | None:
        """The risk, locked until the transaction ends: two steps on it queue, and the second
        sees what the first did."""
        row = self._s.get(
            ImpartialityRiskRow, risk_id, with_for_update=True, populate_existing=True
        )
        return None if row is None else _risk(row)

    def update_risk(self, risk: ImpartialityRisk) -> None:
        fields = _row_fields(risk)
        del fields["id"]
        self._s.execute(
            update(ImpartialityRiskRow).where(ImpartialityRiskRow.id == risk.id).values(**fields)
        )

    def lock_conflict(self, declaration_id: str) -> ConflictDeclaration | None:
        row = self._s.get(ConflictRow, declaration_id, with_for_update=True, populate_existing=True)
        return None if row is None else ConflictDeclaration(**_columns(row))

    def link_conflict_to_risk(self, declaration_id: str, risk_id: str) -> None:
        self._s.execute(
            update(ConflictRow).where(ConflictRow.id == declaration_id).values(risk_id=risk_id)
        )


def _row_fields(risk: ImpartialityRisk) -> dict[str, Any]:
    fields = _fields(risk)
    fields["source"] = risk.source.value
    fields["state"] = risk.state.value
    fields["covers"] = ",".join(sorted(a.value for a in risk.covers))
    return fields


def _risk(row: ImpartialityRiskRow) -> ImpartialityRisk:
    fields = _columns(row)
    fields["source"] = RiskSource(row.source)
    fields["state"] = RiskState(row.state)
    fields["covers"] = frozenset(RiskActivity(c) for c in row.covers.split(",") if c)
    return ImpartialityRisk(**fields)
