"""The 2-bit status lists in the store, one mechanism over two families of tables.

certreg keeps two families of 2-bit lists beside the 1-bit Bitstring lists of
:mod:`~issuer.store.status`: the IETF Token Status Lists that SD-JWT VCs cite
(:mod:`~issuer.store.token_status`, migration 0027) and the Bitstring lists of purpose
``message`` that Open Badges cite (:mod:`~issuer.store.message_status`, migration 0030).
Their records are the same — a list of fixed length that closes once enough of its slots
are taken, one slot per certificate credential holding a value that mirrors the
certificate's Bitstring slots, the signature a list was last published with — so the SQL is
written once here, in :class:`TwoBitLists`, and each family binds it to its own tables
(:class:`TwoBitTables`). The tables stay apart on purpose: a badge names its holder, an
SD-JWT VC lets the holder withhold the name, and one slot cited by both would link them.

A slot once taken is never taken again (primary key on list and index), and a certificate
credential never gets two in one family (unique credential). What the Bitstring family
does differently (a purpose per list, two slots per credential, bulk claims) keeps it in
its own module.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.model import MessageStatusList, StatusSlot, TokenSlot, TokenStatusList
from issuer.store import lists
from issuer.store.base import Unit, _insert
from issuer.store.tables import (
    MessageStatusListRow,
    MessageStatusListSignatureRow,
    MessageStatusSlotRow,
    StatusSlotRow,
    TokenStatusListRow,
    TokenStatusListSignatureRow,
    TokenStatusSlotRow,
)

__all__ = ["TwoBitLists", "TwoBitTables"]

ListT = TypeVar("ListT", TokenStatusList, MessageStatusList)
SlotT = TypeVar("SlotT", TokenSlot, StatusSlot)


@dataclass(frozen=True, slots=True)
class TwoBitTables(Generic[ListT, SlotT]):
    """One family of 2-bit lists: its tables, its outbox kind, and the model values its
    lists and slots leave the store as (each family keeps its own types, so a token slot is
    never handed where a message slot belongs)."""

    what: str
    """How a duplicate list is named in :class:`~issuer.errors.Duplicate`."""
    kind: str
    """The outbox kind its lists are published under."""
    lists: type[TokenStatusListRow] | type[MessageStatusListRow]
    slots: type[TokenStatusSlotRow] | type[MessageStatusSlotRow]
    signatures: type[TokenStatusListSignatureRow] | type[MessageStatusListSignatureRow]
    list_type: type[ListT]
    slot_type: type[SlotT]


class TwoBitLists(Unit, Generic[ListT, SlotT]):
    """One family's lists, slots and signatures in one unit of work's session: what the
    family's Tx methods (``claim_token_slot``, ``claim_message_slot``…) stand on, and what
    :mod:`issuer.credentials.two_bit` claims and follows slots through. Unlike the
    aggregates' classes it holds one thing beside the session, the family's tables, and is
    made afresh for each call (two attributes: nothing to keep)."""

    def __init__(self, session: Session, tables: TwoBitTables[ListT, SlotT]) -> None:
        super().__init__(session)
        self.tables: TwoBitTables[ListT, SlotT] = tables

    @property
    def kind(self) -> str:
        return self.tables.kind

    # Reads

    def get_list(self, list_id: str) -> ListT | None:
        return self._list(self._s.get(self.tables.lists, list_id))

    def slot_of(self, credential_id: str) -> SlotT | None:
        """The slot of a certificate credential in this family, if it has one."""
        slots = self.tables.slots
        row = self._s.execute(
            select(slots.list_id, slots.idx).where(slots.credential_id == credential_id)
        ).first()
        return None if row is None else self.tables.slot_type(row[0], row[1])

    def holder(self, slot: StatusSlot) -> tuple[str, SlotT] | None:
        """``(certificate credential id, slot in this family)`` of the credential that holds
        the Bitstring ``slot``, if that credential has a slot here: what a status change on
        the Bitstring side must carry over."""
        slots = self.tables.slots
        row = self._s.execute(
            select(slots.credential_id, slots.list_id, slots.idx)
            .join(StatusSlotRow, StatusSlotRow.credential_id == slots.credential_id)
            .where(StatusSlotRow.list_id == slot.list_id, StatusSlotRow.idx == slot.index)
        ).first()
        return None if row is None else (row[0], self.tables.slot_type(row[1], row[2]))

    def value(self, slot: SlotT) -> int | None:
        slots = self.tables.slots
        value: int | None = self._s.scalar(
            select(slots.value).where(slots.list_id == slot.list_id, slots.idx == slot.index)
        )
        return value

    def set_slots(self, list_id: str) -> list[tuple[int, int]]:
        """``(index, value)`` of every slot of a list whose value is not 0, in index order."""
        slots = self.tables.slots
        rows = self._s.execute(
            select(slots.idx, slots.value)
            .where(slots.list_id == list_id, slots.value != 0)
            .order_by(slots.idx)
        )
        return [(int(i), int(v)) for i, v in rows]

    def list_ids(self) -> list[str]:
        table = self.tables.lists
        return list(self._s.scalars(select(table.id).order_by(table.id)))

    def lapsing(self, now: datetime, limit: int) -> list[str]:
        """:func:`~issuer.store.lists.lapsing` for this family."""
        tables = self.tables
        return lists.lapsing(
            self._s, tables.lists, tables.signatures, tables.kind, now=now, limit=limit
        )

    # Writes

    def open_list(self, bits: int, entries: int) -> ListT | None:
        """The oldest open list of this shape, locked until the transaction ends."""
        table = self.tables.lists
        row = self._s.scalar(
            select(table)
            .where(table.bits == bits, table.entries == entries, table.open.is_(True))
            .order_by(table.created_at, table.id)
            .limit(1)
            .with_for_update()
        )
        return self._list(row)

    def insert_list(self, two_bit_list: ListT) -> None:
        self._s.add(
            self.tables.lists(
                id=two_bit_list.id,
                bits=two_bit_list.bits,
                entries=two_bit_list.entries,
                allocated=two_bit_list.allocated,
                open=two_bit_list.open,
                version=two_bit_list.version,
                created_at=two_bit_list.created_at,
                updated_at=two_bit_list.updated_at,
            )
        )
        self._flush(self.tables.what)

    def new_list(self, list_id: str, *, bits: int, entries: int, at: datetime) -> ListT:
        """Open a new empty list of this shape (version 1) and return it."""
        opened = self.tables.list_type(
            id=list_id,
            bits=bits,
            entries=entries,
            allocated=0,
            open=True,
            version=1,
            created_at=at,
            updated_at=at,
        )
        self.insert_list(opened)
        return opened

    def claim(
        self, *, list_id: str, index: int, credential_id: str, value: int, at: datetime
    ) -> bool:
        """Take a slot if nobody ever took it; ``False`` if it was taken (never reused).
        The caller holds the certification's lock, so the credential has no slot yet."""
        slots = self.tables.slots
        result = self._s.execute(
            _insert(self._s)(slots)
            .values(
                list_id=list_id,
                idx=index,
                credential_id=credential_id,
                value=value,
                allocated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["list_id", "idx"])
            .returning(slots.idx)
        )
        # RETURNING, not rowcount: through the ORM, psycopg reports rowcount -1 here.
        return result.scalar_one_or_none() is not None

    def count_allocation(self, list_id: str, *, close_at: int) -> None:
        """Count one more taken slot; close the list once ``close_at`` slots are taken."""
        lists.count_allocations(self._s, self.tables.lists, list_id, 1, close_at=close_at)

    def close(self, list_id: str) -> None:
        lists.close(self._s, self.tables.lists, list_id)

    def set_value(self, slot: SlotT, value: int, at: datetime) -> bool:
        """Set a slot's value; whether it changed (and then the list's version grows)."""
        return lists.set_value(
            self._s,
            self.tables.lists,
            self.tables.slots,
            list_id=slot.list_id,
            index=slot.index,
            value=value,
            at=at,
        )

    def record_signatures(
        self, list_ids: Collection[str], *, valid_from: datetime, valid_until: datetime
    ) -> None:
        """:func:`~issuer.store.lists.record_signatures` for this family."""
        lists.record_signatures(
            self._s,
            self.tables.signatures,
            list_ids,
            valid_from=valid_from,
            valid_until=valid_until,
        )

    def _list(self, row: object) -> ListT | None:
        if row is None:
            return None
        assert isinstance(row, TokenStatusListRow | MessageStatusListRow)
        return self.tables.list_type(
            id=row.id,
            bits=row.bits,
            entries=row.entries,
            allocated=row.allocated,
            open=row.open,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
