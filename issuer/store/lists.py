"""What every family of status lists keeps alike, whatever its slots hold: how many slots a
list has given out (and so when it closes), its version (grown by every change of a slot's
value), and the signature it was last published with (and so when it lapses).

Three families stand on these statements, each over its own tables: the 1-bit Bitstring
lists (:mod:`~issuer.store.status`) and the two families of 2-bit lists
(:mod:`~issuer.store.two_bit`). What differs between them — how a list is chosen (by purpose
or by width), what a slot records, bulk claims — stays in their modules.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from issuer.store.base import _insert
from issuer.store.tables import (
    MessageStatusListRow,
    MessageStatusListSignatureRow,
    MessageStatusSlotRow,
    OutboxRow,
    StatusListRow,
    StatusListSignatureRow,
    StatusSlotRow,
    TokenStatusListRow,
    TokenStatusListSignatureRow,
    TokenStatusSlotRow,
)

__all__ = ["ListTable", "SignatureTable", "SlotTable"]

ListTable = type[StatusListRow] | type[TokenStatusListRow] | type[MessageStatusListRow]
SlotTable = type[StatusSlotRow] | type[TokenStatusSlotRow] | type[MessageStatusSlotRow]
SignatureTable = (
    type[StatusListSignatureRow]
    | type[TokenStatusListSignatureRow]
    | type[MessageStatusListSignatureRow]
)


def lapsing(
    session: Session,
    lists: ListTable,
    signature: SignatureTable,
    kind: str,
    *,
    now: datetime,
    limit: int,
) -> list[str]:
    """Ids of the lists to sign again now: never published with a validity, or past the
    time their newest signature set for renewal — unless one is already waiting in the
    outbox (an unreachable registry must not make the outbox grow every round)."""
    waiting = exists().where(
        OutboxRow.published_at.is_(None), OutboxRow.kind == kind, OutboxRow.key == lists.id
    )
    rows = session.scalars(
        select(lists.id)
        .outerjoin(signature, signature.list_id == lists.id)
        .where(or_(signature.list_id.is_(None), signature.refresh_at <= now), ~waiting)
        .order_by(lists.id)
        .limit(limit)
    )
    return list(rows)


def count_allocations(
    session: Session, lists: ListTable, list_id: str, taken: int, *, close_at: int
) -> None:
    """Count ``taken`` more slots of a list; close it once ``close_at`` are taken."""
    session.execute(
        update(lists).where(lists.id == list_id).values(allocated=lists.allocated + taken)
    )
    session.execute(
        update(lists).where(lists.id == list_id, lists.allocated >= close_at).values(open=False)
    )


def close(session: Session, lists: ListTable, list_id: str) -> None:
    session.execute(update(lists).where(lists.id == list_id).values(open=False))


def set_value(
    session: Session,
    lists: ListTable,
    slots: SlotTable,
    *,
    list_id: str,
    index: int,
    value: int,
    at: datetime,
) -> bool:
    """Set the value of slot ``index`` of list ``list_id``; whether it changed (and then
    the list's version grows)."""
    changed = session.execute(
        update(slots)
        .where(slots.list_id == list_id, slots.idx == index, slots.value != value)
        .values(value=value)
        .returning(slots.idx)
    )
    if changed.scalar_one_or_none() is None:
        return False
    session.execute(
        update(lists).where(lists.id == list_id).values(version=lists.version + 1, updated_at=at)
    )
    return True


def record_signatures(
    session: Session,
    signature: SignatureTable,
    list_ids: Collection[str],
    *,
    valid_from: datetime,
    valid_until: datetime,
) -> None:
    """Remember that the lists ``list_ids`` were published signed for ``valid_from`` to
    ``valid_until``, to be signed again halfway (an older signature never overwrites a
    newer one). One row at a time in id order: concurrent publishers take the rows'
    locks in one order."""
    refresh_at = valid_from + (valid_until - valid_from) / 2
    for list_id in sorted(list_ids):
        session.execute(
            _insert(session)(signature)
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
