"""Message status lists in the store: the 2-bit Bitstring lists of purpose ``message`` that
Open Badges cite, the one slot per certificate credential, and the signatures the lists were
last published with.

All of it is the 2-bit mechanism of :mod:`~issuer.store.two_bit` bound to this family's own
tables (:data:`MESSAGE_TABLES`), apart from the Token Status Lists' so that a badge and an
SD-JWT VC never cite one slot; each method here is that mechanism under the name the
issuer's code calls it by.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from issuer.model import MessageStatusList, StatusSlot
from issuer.store.base import Unit
from issuer.store.tables import (
    MessageStatusListRow,
    MessageStatusListSignatureRow,
    MessageStatusSlotRow,
)
from issuer.store.two_bit import TwoBitLists, TwoBitTables

__all__ = [
    "MESSAGE_STATUS_LIST_KIND",
    "MESSAGE_TABLES",
    "MessageStatusReads",
    "MessageStatusWrites",
]

MESSAGE_STATUS_LIST_KIND = "message-status-list"
"""The outbox kind of a message list (``issuer.credentials.message_status``'s, spelled out:
the store imports nothing above it)."""

MESSAGE_TABLES = TwoBitTables(
    what="message status list",
    kind=MESSAGE_STATUS_LIST_KIND,
    lists=MessageStatusListRow,
    slots=MessageStatusSlotRow,
    signatures=MessageStatusListSignatureRow,
    list_type=MessageStatusList,
    slot_type=StatusSlot,
)


class MessageStatusReads(Unit):
    """Message status lists and their slots, read."""

    def get_message_status_list(self, list_id: str) -> MessageStatusList | None:
        return TwoBitLists(self._s, MESSAGE_TABLES).get_list(list_id)

    def message_slot_of(self, credential_id: str) -> StatusSlot | None:
        """The message slot of a certificate credential, if a badge export claimed one."""
        return TwoBitLists(self._s, MESSAGE_TABLES).slot_of(credential_id)

    def message_slot_holder(self, slot: StatusSlot) -> tuple[str, StatusSlot] | None:
        """:meth:`~issuer.store.two_bit.TwoBitLists.holder` among the message slots."""
        return TwoBitLists(self._s, MESSAGE_TABLES).holder(slot)

    def message_slot_value(self, slot: StatusSlot) -> int | None:
        return TwoBitLists(self._s, MESSAGE_TABLES).value(slot)

    def set_message_slots(self, list_id: str) -> list[tuple[int, int]]:
        """``(index, value)`` of every slot of a message list whose value is not 0."""
        return TwoBitLists(self._s, MESSAGE_TABLES).set_slots(list_id)

    def message_status_list_ids(self) -> list[str]:
        return TwoBitLists(self._s, MESSAGE_TABLES).list_ids()

    def lapsing_message_status_lists(self, now: datetime, limit: int) -> list[str]:
        """:meth:`~issuer.store.status.StatusReads.lapsing_status_lists` for message lists."""
        return TwoBitLists(self._s, MESSAGE_TABLES).lapsing(now, limit)


class MessageStatusWrites(Unit):
    """Message status lists and their slots, written."""

    @property
    def message_lists(self) -> TwoBitLists[MessageStatusList, StatusSlot]:
        """The message lists as one family of the 2-bit mechanism, for the code that claims
        and follows slots in either family alike (:mod:`issuer.credentials.two_bit`)."""
        return TwoBitLists(self._s, MESSAGE_TABLES)

    def open_message_status_list(self, bits: int, entries: int) -> MessageStatusList | None:
        """The oldest open message list of this shape, locked until the transaction ends."""
        return self.message_lists.open_list(bits, entries)

    def insert_message_status_list(self, message_list: MessageStatusList) -> None:
        self.message_lists.insert_list(message_list)

    def claim_message_slot(
        self, *, list_id: str, index: int, credential_id: str, value: int, at: datetime
    ) -> bool:
        """Take a slot if nobody ever took it; ``False`` if it was taken (never reused)."""
        return self.message_lists.claim(
            list_id=list_id, index=index, credential_id=credential_id, value=value, at=at
        )

    def count_message_allocation(self, list_id: str, *, close_at: int) -> None:
        self.message_lists.count_allocation(list_id, close_at=close_at)

    def close_message_status_list(self, list_id: str) -> None:
        self.message_lists.close(list_id)

    def set_message_slot_value(self, slot: StatusSlot, value: int, at: datetime) -> bool:
        """Set a message slot's value; whether it changed (then the list's version grows)."""
        return self.message_lists.set_value(slot, value, at)

    def record_message_status_list_signatures(
        self, list_ids: Collection[str], *, valid_from: datetime, valid_until: datetime
    ) -> None:
        """:meth:`~issuer.store.status.StatusWrites.record_status_list_signatures` for
        message lists."""
        self.message_lists.record_signatures(
            list_ids, valid_from=valid_from, valid_until=valid_until
        )
