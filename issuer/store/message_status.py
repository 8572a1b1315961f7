"""Message status lists in the store: the 2-bit Bitstring lists of purpose ``message`` that
Open Badges cite, the one slot per certificate credential, and the signatures the lists were
last published with. A slot once taken is never taken again (primary key on list and index),
and a certificate credential never gets two (unique credential)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, or_, select, update

from issuer.model import MessageStatusList, StatusSlot
from issuer.store.base import Unit, _insert
from issuer.store.tables import (
    MessageStatusListRow,
    MessageStatusListSignatureRow,
    MessageStatusSlotRow,
    OutboxRow,
    StatusSlotRow,
)

__all__ = ["MESSAGE_STATUS_LIST_KIND", "MessageStatusReads", "MessageStatusWrites"]

MESSAGE_STATUS_LIST_KIND = "message-status-list"
"""The outbox kind of a message list (``issuer.credentials.message_status``'s, spelled out:
the store imports nothing above it)."""


class MessageStatusReads(Unit):
    """Message status lists and their slots, read."""

    def get_message_status_list(self, list_id: str) -> MessageStatusList | None:
        row = self._s.get(MessageStatusListRow, list_id)
        return None if row is None else _message_list(row)

    def message_slot_of(self, credential_id: str) -> StatusSlot | None:
        """The message slot of a certificate credential, if a badge export claimed one."""
        row = self._s.scalar(
            select(MessageStatusSlotRow).where(MessageStatusSlotRow.credential_id == credential_id)
        )
        return None if row is None else StatusSlot(row.list_id, row.idx)

    def message_slot_holder(self, slot: StatusSlot) -> tuple[str, StatusSlot] | None:
        """``(certificate credential id, message slot)`` of the credential that holds the
        Bitstring ``slot``, if that credential has a message slot."""
        row = self._s.execute(
            select(
                MessageStatusSlotRow.credential_id,
                MessageStatusSlotRow.list_id,
                MessageStatusSlotRow.idx,
            )
            .join(StatusSlotRow, StatusSlotRow.credential_id == MessageStatusSlotRow.credential_id)
            .where(StatusSlotRow.list_id == slot.list_id, StatusSlotRow.idx == slot.index)
        ).first()
        return None if row is None else (row[0], StatusSlot(row[1], row[2]))

    def message_slot_value(self, slot: StatusSlot) -> int | None:
        value: int | None = self._s.scalar(
            select(MessageStatusSlotRow.value).where(
                MessageStatusSlotRow.list_id == slot.list_id,
                MessageStatusSlotRow.idx == slot.index,
            )
        )
        return value

    def set_message_slots(self, list_id: str) -> list[tuple[int, int]]:
        """``(index, value)`` of every slot of a message list whose value is not 0."""
        rows = self._s.execute(
            select(MessageStatusSlotRow.idx, MessageStatusSlotRow.value)
            .where(MessageStatusSlotRow.list_id == list_id, MessageStatusSlotRow.value != 0)
            .order_by(MessageStatusSlotRow.idx)
        )
        return [(int(i), int(v)) for i, v in rows]

    def message_status_list_ids(self) -> list[str]:
        return list(
            self._s.scalars(select(MessageStatusListRow.id).order_by(MessageStatusListRow.id))
        )

    def lapsing_message_status_lists(self, now: datetime, limit: int) -> list[str]:
        """:meth:`~issuer.store.status.StatusReads.lapsing_status_lists` for message lists."""
        signature = MessageStatusListSignatureRow
        waiting = exists().where(
            OutboxRow.published_at.is_(None),
            OutboxRow.kind == MESSAGE_STATUS_LIST_KIND,
            OutboxRow.key == MessageStatusListRow.id,
        )
        rows = self._s.scalars(
            select(MessageStatusListRow.id)
            .outerjoin(signature, signature.list_id == MessageStatusListRow.id)
            .where(or_(signature.list_id.is_(None), signature.refresh_at <= now), ~waiting)
            .order_by(MessageStatusListRow.id)
            .limit(limit)
        )
        return list(rows)


class MessageStatusWrites(Unit):
    """Message status lists and their slots, written."""

    def open_message_status_list(self, bits: int, entries: int) -> MessageStatusList | None:
        """The oldest open message list of this shape, locked until the transaction ends."""
        row = self._s.scalar(
            select(MessageStatusListRow)
            .where(
                MessageStatusListRow.bits == bits,
                MessageStatusListRow.entries == entries,
                MessageStatusListRow.open.is_(True),
            )
            .order_by(MessageStatusListRow.created_at, MessageStatusListRow.id)
            .limit(1)
            .with_for_update()
        )
        return None if row is None else _message_list(row)

    def insert_message_status_list(self, message_list: MessageStatusList) -> None:
        self._s.add(
            MessageStatusListRow(
                id=message_list.id,
                bits=message_list.bits,
                entries=message_list.entries,
                allocated=message_list.allocated,
                open=message_list.open,
                version=message_list.version,
                created_at=message_list.created_at,
                updated_at=message_list.updated_at,
            )
        )
        self._flush("message status list")

    def claim_message_slot(
        self, *, list_id: str, index: int, credential_id: str, value: int, at: datetime
    ) -> bool:
        """Take a slot if nobody ever took it; ``False`` if it was taken (never reused).
        The caller holds the certification's lock, so the credential has no slot yet."""
        result = self._s.execute(
            _insert(self._s)(MessageStatusSlotRow)
            .values(
                list_id=list_id,
                idx=index,
                credential_id=credential_id,
                value=value,
                allocated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["list_id", "idx"])
            .returning(MessageStatusSlotRow.idx)
        )
        return result.scalar_one_or_none() is not None

    def count_message_allocation(self, list_id: str, *, close_at: int) -> None:
        self._s.execute(
            update(MessageStatusListRow)
            .where(MessageStatusListRow.id == list_id)
            .values(allocated=MessageStatusListRow.allocated + 1)
        )
        self._s.execute(
            update(MessageStatusListRow)
            .where(MessageStatusListRow.id == list_id, MessageStatusListRow.allocated >= close_at)
            .values(open=False)
        )

    def close_message_status_list(self, list_id: str) -> None:
        self._s.execute(
            update(MessageStatusListRow)
            .where(MessageStatusListRow.id == list_id)
            .values(open=False)
        )

    def set_message_slot_value(self, slot: StatusSlot, value: int, at: datetime) -> bool:
        """Set a message slot's value; whether it changed (then the list's version grows)."""
        changed = self._s.execute(
            update(MessageStatusSlotRow)
            .where(
                MessageStatusSlotRow.list_id == slot.list_id,
                MessageStatusSlotRow.idx == slot.index,
                MessageStatusSlotRow.value != value,
            )
            .values(value=value)
            .returning(MessageStatusSlotRow.idx)
        )
        if changed.scalar_one_or_none() is None:
            return False
        self._s.execute(
            update(MessageStatusListRow)
            .where(MessageStatusListRow.id == slot.list_id)
            .values(version=MessageStatusListRow.version + 1, updated_at=at)
        )
        return True

    def record_message_status_list_signatures(
        self, list_ids: Collection[str], *, valid_from: datetime, valid_until: datetime
    ) -> None:
        """:meth:`~issuer.store.status.StatusWrites.record_status_list_signatures` for
        message lists: signed again halfway; an older signature never overwrites a newer."""
        refresh_at = valid_from + (valid_until - valid_from) / 2
        signature = MessageStatusListSignatureRow
        for list_id in sorted(list_ids):
            self._s.execute(
                _insert(self._s)(signature)
                .values(
                    list_id=list_id,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    refresh_at=refresh_at,
                )
                .on_conflict_do_update(
                    index_elements=[signature.list_id],
                    set_={
                        "valid_from": valid_from,
                        "valid_until": valid_until,
                        "refresh_at": refresh_at,
                    },
                    where=signature.valid_from <= valid_from,
                )
            )


def _message_list(row: MessageStatusListRow) -> MessageStatusList:
    return MessageStatusList(
        id=row.id,
        bits=row.bits,
        entries=row.entries,
        allocated=row.allocated,
        open=row.open,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
