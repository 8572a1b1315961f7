"""One 2-bit slot per certificate credential, following its Bitstring slots: the mechanism
behind both 2-bit renderings, the IETF Token Status List (:mod:`.token_status`, for
SD-JWT VCs) and the W3C Bitstring list of purpose ``message`` (:mod:`.message_status`,
for Open Badges).

A certificate credential gets a slot in a family the first time something citing that
family is made from it (:func:`claim_slot`): at a random index, from lists of at least
131,072 entries that close once half full, exactly as :mod:`issuer.credentials.status`
draws Bitstring slots; a slot is never reused. The slot is a view of the certificate's own
Bitstring slots, never a status of its own: :func:`value_of` reads them, and
:func:`follow` writes that value whenever a lifecycle decision or a key-compromise recovery
changes a Bitstring slot, in the same transaction, and enqueues the list for publication.

The families share the mechanism, not the lists: each has its own tables
(:class:`~issuer.store.Tx`'s ``token_lists`` and ``message_lists``), since a badge names its
holder and an SD-JWT VC need not, and one slot cited by both would link them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from issuer.credentials.status import FILL_LIMIT, random_index
from issuer.model import (
    Credential,
    MessageStatusList,
    StatusSlot,
    TokenSlot,
    TokenStatusList,
)
from issuer.runtime import Entropy, new_id
from issuer.store import TwoBitLists, Tx

__all__ = ["BITS", "REVOKED", "SUSPENDED", "VALID", "claim_slot", "follow", "value_of"]

BITS = 2
"""Bits per entry: three values (valid, revoked, suspended) need two."""

VALID, REVOKED, SUSPENDED = 0, 1, 2
"""The values, numbered alike by both renderings: the Token Status List's VALID, INVALID
and SUSPENDED (draft-ietf-oauth-status-list §7.1) and the message list's ``statusMessages``
0x0 valid, 0x1 revoked, 0x2 suspended."""

_MAX_DRAWS = 64

ListT = TypeVar("ListT", TokenStatusList, MessageStatusList)
SlotT = TypeVar("SlotT", TokenSlot, StatusSlot)


def value_of(tx: Tx, credential: Credential) -> int:
    """What the Bitstring slots of ``credential`` say, as a 2-bit value: revocation set →
    :data:`REVOKED` (a withdrawal and a supersession both set it); suspension set →
    :data:`SUSPENDED`; else :data:`VALID`."""
    if tx.slot_value(credential.revocation):
        return REVOKED
    if tx.slot_value(credential.suspension):
        return SUSPENDED
    return VALID


def claim_slot(
    tx: Tx,
    lists: TwoBitLists[ListT, SlotT],
    credential: Credential,
    *,
    entries: int,
    now: datetime,
    entropy: Entropy,
) -> SlotT:
    """The slot of certificate ``credential`` among ``lists``: the one it has, or a fresh
    random one holding its current status (the caller holds the certification's lock)."""
    held = lists.slot_of(credential.id)
    if held is not None:
        return held
    value = value_of(tx, credential)
    while True:
        two_bit_list = lists.open_list(BITS, entries) or lists.new_list(
            new_id(entropy), bits=BITS, entries=entries, at=now
        )
        for _ in range(_MAX_DRAWS):
            index = random_index(entropy, two_bit_list.entries)
            if lists.claim(
                list_id=two_bit_list.id,
                index=index,
                credential_id=credential.id,
                value=value,
                at=now,
            ):
                lists.count_allocation(two_bit_list.id, close_at=int(entries * FILL_LIMIT))
                # Published now: the list may be new, or the slot not valid.
                tx.enqueue(lists.kind, two_bit_list.id, now)
                return lists.tables.slot_type(two_bit_list.id, index)
        lists.close(two_bit_list.id)


def follow(tx: Tx, lists: TwoBitLists[ListT, SlotT], slot: StatusSlot, now: datetime) -> None:
    """After a Bitstring ``slot`` changed: set the slot among ``lists`` of the certificate
    credential holding it (if it has one there) to what its Bitstring slots now say, and ask
    for its list to be republished if that changed it."""
    holder = lists.holder(slot)
    if holder is None:
        return
    credential_id, two_bit_slot = holder
    credential = tx.get_credential(credential_id)
    assert credential is not None  # a slot names an existing credential (foreign key)
    if lists.set_value(two_bit_slot, value_of(tx, credential), now):
        tx.enqueue(lists.kind, two_bit_slot.list_id, now)
