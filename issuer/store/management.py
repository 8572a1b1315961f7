"""Findings of the management system in the store (clause 10): one row per finding and its
corrective action, each step's date and who took it.

A finding is locked ``FOR UPDATE`` before any step is written, and each write names the
state it moves from, so two staff members taking the same step at once take it once: the
second sees the state the first left.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update

from issuer.model import Finding, FindingSeverity, FindingSource, FindingState
from issuer.store.base import Unit, _columns, _fields
from issuer.store.tables import FindingRow

__all__ = ["FindingReads", "FindingWrites"]

_ENUMS: dict[str, Any] = {
    "source": FindingSource,
    "severity": FindingSeverity,
    "state": FindingState,
}


class FindingReads(Unit):
    """Findings, read."""

    def get_finding(self, finding_id: str) -> Finding | None:
        row = self._s.get(FindingRow, finding_id)
        return None if row is None else _finding(row)

    def list_findings(
        self, *, state: FindingState | None = None, overdue_on: date | None = None
    ) -> list[Finding]:
        """Findings oldest first; only those in ``state``; only those whose corrective
        action was due before ``overdue_on`` and that are not closed."""
        query = select(FindingRow).order_by(FindingRow.raised_on, FindingRow.raised_at)
        if state is not None:
            query = query.where(FindingRow.state == state.value)
        if overdue_on is not None:
            query = query.where(
                FindingRow.state != FindingState.CLOSED.value, FindingRow.due_on < overdue_on
            )
        return [_finding(r) for r in self._s.scalars(query)]


class FindingWrites(Unit):
    """Findings, written; a finding locked before a step is taken on it."""

    def insert_finding(self, finding: Finding) -> None:
        self._s.add(FindingRow(**_row_fields(finding)))
        self._flush("finding")

    def lock_finding(self, finding_id: str) -> Finding | None:
        """The finding, its row locked until the transaction ends."""
        row = self._s.scalar(
            select(FindingRow).where(FindingRow.id == finding_id).with_for_update()
        )
        return None if row is None else _finding(row)

    def update_finding(self, finding: Finding, *, was: FindingState) -> bool:
        """Write ``finding`` over the row if it is still in state ``was``; whether it was."""
        fields = _row_fields(finding)
        del fields["id"]
        result = self._s.execute(
            update(FindingRow)
            .where(FindingRow.id == finding.id, FindingRow.state == was.value)
            .values(**fields)
        )
        return bool(getattr(result, "rowcount", 0))


def _row_fields(finding: Finding) -> dict[str, Any]:
    return {
        name: (value.value if name in _ENUMS and value is not None else value)
        for name, value in _fields(finding).items()
    }


def _finding(row: FindingRow) -> Finding:
    fields = _columns(row)
    for name, kind in _ENUMS.items():
        fields[name] = kind(fields[name])
    return Finding(**fields)
