"""Prepared rosters in the store: a roster recorded by one staff member with its rows and
their evidence, claimed by the decision-maker who approves it, and each row's outcome.

A roster's rows go in as one multi-row insert; the claim is one conditional update
(``state = 'prepared'``), so of two decision-makers approving at once exactly one wins,
on SQLite as on PostgreSQL, and the other reads who did.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update

from issuer.model import PreparedRoster, PreparedRosterRow, RosterState
from issuer.store.base import Unit
from issuer.store.tables import RosterItemRow, RosterRow

__all__ = ["RosterReads", "RosterWrites"]


def _roster(row: RosterRow) -> PreparedRoster:
    return PreparedRoster(
        id=row.id,
        state=RosterState(row.state),
        rows=row.rows,
        rejected=row.rejected,
        prepared_by=row.prepared_by,
        prepared_token_id=row.prepared_token_id,
        prepared_at=row.prepared_at,
        approved_by=row.approved_by,
        approved_token_id=row.approved_token_id,
        approved_at=row.approved_at,
        issued_at=row.issued_at,
        issued=row.issued,
        already_issued=row.already_issued,
        refused=row.refused,
    )


def _row(row: RosterItemRow) -> PreparedRosterRow:
    return PreparedRosterRow(
        roster_id=row.roster_id,
        number=row.number,
        external_id=row.external_id,
        fields=json.loads(row.fields),
        outcome=row.outcome,
        problem=row.problem,
        detail=row.detail,
        certification_id=row.certification_id,
        credential_id=row.credential_id,
        certificate_number=row.certificate_number,
    )


class RosterReads(Unit):
    """Prepared rosters and their rows, read."""

    def get_roster(self, roster_id: str) -> PreparedRoster | None:
        row = self._s.get(RosterRow, roster_id, populate_existing=True)
        return None if row is None else _roster(row)

    def list_rosters(
        self, *, state: RosterState | None = None, limit: int = 100
    ) -> list[PreparedRoster]:
        """Rosters, newest first."""
        query = select(RosterRow).order_by(RosterRow.prepared_at.desc(), RosterRow.id.desc())
        if state is not None:
            query = query.where(RosterRow.state == state.value)
        return [_roster(r) for r in self._s.scalars(query.limit(limit))]

    def roster_rows(self, roster_id: str, *, pending: bool = False) -> list[PreparedRosterRow]:
        """A roster's rows in their order; with ``pending``, only those with no outcome yet."""
        query = select(RosterItemRow).where(RosterItemRow.roster_id == roster_id)
        if pending:
            query = query.where(RosterItemRow.outcome.is_(None))
        return [_row(r) for r in self._s.scalars(query.order_by(RosterItemRow.number))]


class RosterWrites(Unit):
    """Prepared rosters recorded, claimed for approval and given their outcomes."""

    def insert_roster(self, roster: PreparedRoster, rows: Sequence[PreparedRosterRow]) -> None:
        """A prepared roster and its rows (the rows in one multi-row insert)."""
        self._s.add(
            RosterRow(
                id=roster.id,
                state=roster.state.value,
                rows=roster.rows,
                rejected=roster.rejected,
                prepared_by=roster.prepared_by,
                prepared_token_id=roster.prepared_token_id,
                prepared_at=roster.prepared_at,
                issued=0,
                already_issued=0,
                refused=0,
            )
        )
        self._flush("roster")
        if rows:
            self._s.execute(
                insert(RosterItemRow),
                [
                    {
                        "roster_id": roster.id,
                        "number": r.number,
                        "external_id": r.external_id,
                        "fields": json.dumps(r.fields, ensure_ascii=False, sort_keys=True),
                    }
                    for r in rows
                ],
            )

    def claim_roster(
        self, roster_id: str, *, approver: str, token_id: str | None, at: datetime
    ) -> bool:
        """Mark a prepared roster approved by ``approver``; ``False`` if it was not (or no
        longer) prepared, in which case someone else claimed it first."""
        result: Any = self._s.execute(
            update(RosterRow)
            .where(RosterRow.id == roster_id, RosterRow.state == RosterState.PREPARED.value)
            .values(
                state=RosterState.APPROVED.value,
                approved_by=approver,
                approved_token_id=token_id,
                approved_at=at,
            )
        )
        return bool(result.rowcount == 1)

    def record_roster_outcomes(self, roster_id: str, outcomes: Sequence[PreparedRosterRow]) -> None:
        """Each row's outcome (rows already given one keep it)."""
        if not outcomes:
            return
        table = RosterItemRow.__table__
        assert isinstance(table, Table)
        self._s.connection().execute(
            update(table)
            .where(
                table.c.roster_id == roster_id,
                table.c.number == bindparam("n"),
                table.c.outcome.is_(None),
            )
            .values(
                outcome=bindparam("o"),
                problem=bindparam("p"),
                detail=bindparam("d"),
                certification_id=bindparam("c"),
                credential_id=bindparam("k"),
                certificate_number=bindparam("x"),
            ),
            [
                {
                    "n": r.number,
                    "o": r.outcome,
                    "p": r.problem,
                    "d": r.detail,
                    "c": r.certification_id,
                    "k": r.credential_id,
                    "x": r.certificate_number,
                }
                for r in outcomes
            ],
        )

    def finish_roster(
        self, roster_id: str, *, issued: int, already_issued: int, refused: int, at: datetime
    ) -> bool:
        """Mark an approved roster issued, with its counts; ``False`` if it already was."""
        result: Any = self._s.execute(
            update(RosterRow)
            .where(RosterRow.id == roster_id, RosterRow.state == RosterState.APPROVED.value)
            .values(
                state=RosterState.ISSUED.value,
                issued=issued,
                already_issued=already_issued,
                refused=refused,
                issued_at=at,
            )
        )
        return bool(result.rowcount == 1)
