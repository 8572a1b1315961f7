"""Status lists in the store: the lists (one purpose and length each), their slots, and the
signatures they were last published with. A slot once taken is never taken again; a list
closes once enough of its slots are taken. Single issuance claims one slot at a time under
the lock of its list; bulk issuance claims a chunk's slots at once
(:meth:`StatusWrites.claim_slots`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import closing
from datetime import datetime
from typing import Any

from sqlalchemy import select

from issuer.model import StatusList, StatusPurpose, StatusSlot
from issuer.store import lists
from issuer.store.base import Unit, _insert
from issuer.store.bulk import slot_claim_rows
from issuer.store.load import Loads
from issuer.store.tables import StatusListRow, StatusListSignatureRow, StatusSlotRow

__all__ = ["StatusReads", "StatusWrites"]


class StatusReads(Unit):
    """Status lists and slots, read (no list locked)."""

    def get_status_list(self, list_id: str) -> StatusList | None:
        row = self._s.get(StatusListRow, list_id)
        return None if row is None else _status_list(row)

    def list_status_lists(self) -> list[StatusList]:
        rows = self._s.scalars(select(StatusListRow).order_by(StatusListRow.created_at))
        return [_status_list(r) for r in rows]

    def lapsing_status_lists(self, now: datetime, limit: int) -> list[str]:
        """Ids of the lists to sign again now (:func:`~issuer.store.lists.lapsing`)."""
        return lists.lapsing(
            self._s, StatusListRow, StatusListSignatureRow, "status-list", now=now, limit=limit
        )

    def slot_value(self, slot: StatusSlot) -> int | None:
        value: int | None = self._s.scalar(
            select(StatusSlotRow.value).where(
                StatusSlotRow.list_id == slot.list_id, StatusSlotRow.idx == slot.index
            )
        )
        return value

    def set_slots(self, list_id: str) -> list[tuple[int, int]]:
        """``(index, value)`` of every slot of a list whose value is not 0, in index order.

        Read from the partial index of set slots alone (``ix_status_slots_set``): the 0 is
        written into the statement, since a planner can match a partial index's condition
        only against a constant, not a parameter. Through the driver, in this transaction:
        a row object per set bit tripled the read of a list with 10,000 set bits (11 ms
        with the driver's own tuples, 31 ms with SQLAlchemy's rows, here).
        """
        conn = self._s.connection()
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        sql = (
            "SELECT idx, value FROM status_slots "  # noqa: S608 (no value in the text)
            f"WHERE list_id = {mark} AND value != 0 ORDER BY idx"
        )
        raw: Any = conn.connection.driver_connection
        with closing(raw.cursor()) as cursor:
            cursor.execute(sql, (list_id,))
            rows: list[tuple[int, int]] = cursor.fetchall()
        return rows

    def all_slots(self, list_id: str) -> list[int]:
        rows = self._s.scalars(select(StatusSlotRow.idx).where(StatusSlotRow.list_id == list_id))
        return [int(i) for i in rows]

    def oldest_open_status_list(self, purpose: StatusPurpose, entries: int) -> StatusList | None:
        """:meth:`open_status_list` without the lock: bulk issuance reads its view of the
        open lists outside its write transactions and locks them only in those (in one
        order), so two runs, or a run and single issuance, never wait on each other in a
        cycle."""
        row = self._s.scalar(
            select(StatusListRow)
            .where(
                StatusListRow.purpose == purpose.value,
                StatusListRow.entries == entries,
                StatusListRow.open.is_(True),
            )
            .order_by(StatusListRow.created_at, StatusListRow.id)
            .limit(1)
        )
        return None if row is None else _status_list(row)


class StatusWrites(Loads):
    """Status lists and slots, written, and the lists locked before their slots are claimed
    (a bulk claim's rows go in through :class:`~issuer.store.load.Loads`)."""

    def open_status_list(self, purpose: StatusPurpose, entries: int) -> StatusList | None:
        """The oldest open list of ``purpose`` and length, locked until the transaction ends."""
        row = self._s.scalar(
            select(StatusListRow)
            .where(
                StatusListRow.purpose == purpose.value,
                StatusListRow.entries == entries,
                StatusListRow.open.is_(True),
            )
            .order_by(StatusListRow.created_at, StatusListRow.id)
            .limit(1)
            .with_for_update()
        )
        return None if row is None else _status_list(row)

    def insert_status_list(self, status_list: StatusList) -> None:
        self._s.add(
            StatusListRow(
                id=status_list.id,
                purpose=status_list.purpose.value,
                entries=status_list.entries,
                allocated=status_list.allocated,
                open=status_list.open,
                version=status_list.version,
                created_at=status_list.created_at,
                updated_at=status_list.updated_at,
            )
        )
        self._flush("status list")

    def record_status_list_signatures(
        self, list_ids: Collection[str], *, valid_from: datetime, valid_until: datetime
    ) -> None:
        """Remember that the lists ``list_ids`` were published signed for ``valid_from`` to
        ``valid_until`` (:func:`~issuer.store.lists.record_signatures`)."""
        lists.record_signatures(
            self._s,
            StatusListSignatureRow,
            list_ids,
            valid_from=valid_from,
            valid_until=valid_until,
        )

    def claim_slot(
        self,
        *,
        list_id: str,
        index: int,
        certification_id: str,
        credential_id: str,
        at: datetime,
    ) -> bool:
        """Take a slot if nobody ever took it; ``False`` if it was taken (never reused)."""
        result = self._s.execute(
            _insert(self._s)(StatusSlotRow)
            .values(
                list_id=list_id,
                idx=index,
                certification_id=certification_id,
                credential_id=credential_id,
                value=0,
                allocated_at=at,
            )
            .on_conflict_do_nothing()
            .returning(StatusSlotRow.idx)
        )
        # RETURNING, not rowcount: through the ORM, psycopg reports rowcount -1 here.
        return result.scalar_one_or_none() is not None

    def count_allocation(self, list_id: str, *, close_at: int) -> None:
        """Count one more taken slot; close the list once ``close_at`` slots are taken."""
        lists.count_allocations(self._s, StatusListRow, list_id, 1, close_at=close_at)

    def close_status_list(self, list_id: str) -> None:
        lists.close(self._s, StatusListRow, list_id)

    def set_slot_value(self, slot: StatusSlot, value: int, at: datetime) -> bool:
        """Set a slot's status value; returns whether it changed (and bumps the list version)."""
        return lists.set_value(
            self._s,
            StatusListRow,
            StatusSlotRow,
            list_id=slot.list_id,
            index=slot.index,
            value=value,
            at=at,
        )

    def lock_status_list(self, list_id: str) -> StatusList | None:
        """A list by id, locked until the transaction ends (bulk slot claims)."""
        row = self._s.scalar(
            select(StatusListRow).where(StatusListRow.id == list_id).with_for_update()
        )
        return None if row is None else _status_list(row)

    def claim_slots(self, claims: Sequence[tuple[StatusSlot, str, str]], at: datetime) -> None:
        """Take many slots at once: ``(slot, certification_id, credential_id)`` each. A slot
        anyone ever took breaks the primary key and raises :class:`Duplicate` (never reused,
        as :meth:`claim_slot`); the caller rolls back and draws again."""
        self.insert_rows([slot_claim_rows(claims, at)])

    def count_allocations(self, list_id: str, taken: int, *, close_at: int, at: datetime) -> None:
        """Count ``taken`` more slots of a list; close it once ``close_at`` are taken."""
        lists.count_allocations(self._s, StatusListRow, list_id, taken, close_at=close_at)


def _status_list(row: StatusListRow) -> StatusList:
    return StatusList(
        id=row.id,
        purpose=StatusPurpose(row.purpose),
        entries=row.entries,
        allocated=row.allocated,
        open=row.open,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
