"""Appeals in the store (clause 9.8): one row per appeal, each step's date and who took it.

An appeal is locked ``FOR UPDATE`` before any step is written, and each write names the
state it moves from, so two staff members taking the same step at once take it once: the
second sees the state the first left. Grounds and rationale are confidential: nothing here
is ever published.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update

from issuer.model import (
    AWAITING_DECISION,
    Appeal,
    AppealedKind,
    AppealOutcome,
    AppealRemedy,
    AppealState,
    Appellant,
    ContactChannel,
)
from issuer.store.base import Unit, _columns, _fields
from issuer.store.tables import AppealRow

__all__ = ["AppealReads", "AppealWrites"]

_ENUMS: dict[str, Any] = {
    "decision_kind": AppealedKind,
    "appellant": Appellant,
    "channel": ContactChannel,
    "state": AppealState,
    "outcome": AppealOutcome,
    "remedy": AppealRemedy,
    "communicated_via": ContactChannel,
}


class AppealReads(Unit):
    """Appeals, read."""

    def get_appeal(self, appeal_id: str) -> Appeal | None:
        row = self._s.get(AppealRow, appeal_id)
        return None if row is None else _appeal(row)

    def list_appeals(
        self, *, state: AppealState | None = None, overdue_on: date | None = None
    ) -> list[Appeal]:
        """Appeals oldest first; only those in ``state``, only those overdue on
        ``overdue_on`` (a deadline passed before the step it asks for was reached)."""
        query = select(AppealRow).order_by(AppealRow.received_on, AppealRow.received_at)
        if state is not None:
            query = query.where(AppealRow.state == state.value)
        if overdue_on is not None:
            query = query.where(_overdue(overdue_on))
        return [_appeal(r) for r in self._s.scalars(query)]


class AppealWrites(Unit):
    """Appeals, written; an appeal locked before a step is taken on it."""

    def insert_appeal(self, appeal: Appeal) -> None:
        self._s.add(AppealRow(**_row_fields(appeal)))
        self._flush("appeal")

    def lock_appeal(self, appeal_id: str) -> Appeal | None:
        """The appeal, its row locked until the transaction ends."""
        row = self._s.scalar(select(AppealRow).where(AppealRow.id == appeal_id).with_for_update())
        return None if row is None else _appeal(row)

    def update_appeal(self, appeal: Appeal, *, was: AppealState) -> bool:
        """Write ``appeal`` over the row if it is still in state ``was``; whether it was."""
        fields = _row_fields(appeal)
        del fields["id"]
        result = self._s.execute(
            update(AppealRow)
            .where(AppealRow.id == appeal.id, AppealRow.state == was.value)
            .values(**fields)
        )
        return bool(getattr(result, "rowcount", 0))


def _overdue(today: date) -> ColumnElement[bool]:
    late_ack = and_(AppealRow.state == AppealState.RECEIVED.value, AppealRow.acknowledge_by < today)
    late_decision = and_(
        AppealRow.state.in_([s.value for s in AWAITING_DECISION]), AppealRow.decide_by < today
    )
    return or_(late_ack, late_decision)


def _row_fields(appeal: Appeal) -> dict[str, Any]:
    return {
        name: (value.value if name in _ENUMS and value is not None else value)
        for name, value in _fields(appeal).items()
    }


def _appeal(row: AppealRow) -> Appeal:
    fields = _columns(row)
    for name, kind in _ENUMS.items():
        if fields[name] is not None:
            fields[name] = kind(fields[name])
    return Appeal(**fields)
