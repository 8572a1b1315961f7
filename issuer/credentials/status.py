"""Status slots and status list credentials (W3C Bitstring Status List v1.0).

Every credential gets one slot in a ``revocation`` list and one in a ``suspension`` list
*before* it is signed, since the slot is baked into the signature. Slots are drawn at random
(herd privacy, BSL section 6) from lists of at least 131,072 entries and are never reused:
the store's primary key on (list, index) refuses a second claim even from another process.
A list closes when half of it is taken, so a random draw still finds a free slot at the
first or second try, and a new list opens.

Status list credentials are built from the store and signed as ``vc+jwt`` by the issuer.
Each one is valid for a short while only (``validUntil``, :func:`list_validity_seconds`):
whoever can answer for the registry's address — a cache, a mirror, a man in the middle —
could otherwise serve an older list for ever, and a withdrawn certificate would verify as
valid again. The publisher re-signs every list well before it lapses
(:func:`issuer.publication.outbox.enqueue_lapsing_status_lists`), even when no bit changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from issuer.credentials.identity import IssuerIdentity, jwt_claims
from issuer.credentials.signing import Signer, sign_compact
from issuer.model import Credential, StatusList, StatusPurpose, StatusSlot
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from schemas import bitstring_status_list as bsl

__all__ = [
    "FILL_LIMIT",
    "VALIDITY_PER_TTL",
    "BulkAllocator",
    "allocate",
    "credential_status",
    "list_timestamp",
    "list_validity_seconds",
    "random_index",
    "sign_status_list",
    "status_entry",
    "status_list_credential",
]

FILL_LIMIT = 0.5
"""Fraction of a list that may be taken before it closes and a new list opens."""

_MAX_DRAWS = 64

VALIDITY_PER_TTL = 4
"""A list is valid for this many ``ttl`` by default (20 minutes at the default 5-minute
``ttl``). The publisher re-signs it once half of that has passed, so a copy cached for one
``ttl`` still has a ``ttl`` of validity left when it is served; a replayed older list is
refused once it lapses, at most this long after it was signed; and a registry cut off from
the issuer keeps answering for twice ``ttl`` before verifiers say "cannot confirm"."""


def list_validity_seconds(ttl_seconds: int, validity_seconds: int | None = None) -> int:
    """How long a list signed now stays valid: ``validity_seconds`` if set, else
    :data:`VALIDITY_PER_TTL` × ``ttl_seconds``."""
    return validity_seconds if validity_seconds is not None else VALIDITY_PER_TTL * ttl_seconds


def random_index(entropy: Entropy, entries: int) -> int:
    """A uniform index in ``[0, entries)`` by rejection sampling over 32-bit draws."""
    limit = (2**32 // entries) * entries
    while True:
        value = int.from_bytes(entropy(4), "big")
        if value < limit:
            return value % entries


def _new_list(
    tx: Tx, purpose: StatusPurpose, *, entries: int, now: datetime, entropy: Entropy
) -> StatusList:
    status_list = StatusList(
        id=new_id(entropy),
        purpose=purpose,
        entries=entries,
        allocated=0,
        open=True,
        version=1,
        created_at=now,
        updated_at=now,
    )
    tx.insert_status_list(status_list)
    return status_list


def allocate(
    tx: Tx,
    *,
    purpose: StatusPurpose,
    certification_id: str,
    credential_id: str,
    entries: int,
    now: datetime,
    entropy: Entropy,
) -> StatusSlot:
    """Claim a fresh random slot of ``purpose`` for ``credential_id``."""
    while True:
        status_list = tx.open_status_list(purpose, entries) or _new_list(
            tx, purpose, entries=entries, now=now, entropy=entropy
        )
        for _ in range(_MAX_DRAWS):
            index = random_index(entropy, status_list.entries)
            if tx.claim_slot(
                list_id=status_list.id,
                index=index,
                certification_id=certification_id,
                credential_id=credential_id,
                at=now,
            ):
                close_at = int(status_list.entries * FILL_LIMIT)
                tx.count_allocation(status_list.id, close_at=close_at)
                return StatusSlot(list_id=status_list.id, index=index)
        # Far fuller than FILL_LIMIT would allow (a closed-list race): retire it, draw anew.
        tx.close_status_list(status_list.id)


def status_entry(
    identity: IssuerIdentity, purpose: StatusPurpose, slot: StatusSlot
) -> dict[str, str]:
    """The ``BitstringStatusListEntry`` a credential carries for one slot."""
    list_url = identity.status_list_url(slot.list_id)
    return {
        "id": f"{list_url}#{slot.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose.value,
        "statusListIndex": str(slot.index),
        "statusListCredential": list_url,
    }


def credential_status(tx: Tx, credential: Credential) -> str:
    """``superseded``, ``revoked``, ``suspended`` or ``active``, as the records and the
    credential's own status slots say (a superseded credential is revoked too)."""
    if credential.superseded_by is not None:
        return "superseded"
    if tx.slot_value(credential.revocation):
        return "revoked"
    if tx.slot_value(credential.suspension):
        return "suspended"
    return "active"


def list_timestamp(instant: datetime) -> str:
    """A list's dates to the millisecond: a verifier refuses a list older than one it has
    seen (docs/VERIFIER.md), and two versions of a list signed within one second — two
    suspensions in a row — must still be told apart, or the first could be replayed."""
    return f"{instant:%Y-%m-%dT%H:%M:%S}.{instant.microsecond // 1000:03d}Z"


def status_list_credential(
    tx: Tx,
    list_id: str,
    *,
    identity: IssuerIdentity,
    now: datetime,
    ttl_seconds: int,
    validity_seconds: int | None = None,
) -> dict[str, Any] | None:
    """The unsigned ``BitstringStatusListCredential`` of a list, as the store says it is now,
    valid from ``now`` for :func:`list_validity_seconds`."""
    # Imported here: the JSON Schema machinery (jsonschema, about 50 ms) is not needed by
    # what only draws and claims slots, such as a bulk run's writing process.
    from schemas.credential_schemas import STATUS_LIST_CREDENTIAL_V1, validate

    status_list = tx.get_status_list(list_id)
    if status_list is None:
        return None
    bits = bsl.new_bitstring(status_list.entries)
    bsl.set_statuses(bits, tx.set_slots(list_id))
    url = identity.status_list_url(list_id)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": identity.did,
        "validFrom": list_timestamp(now),
        "validUntil": list_timestamp(
            now + timedelta(seconds=list_validity_seconds(ttl_seconds, validity_seconds))
        ),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose.value,
            "encodedList": bsl.encode_list(bits),
            "ttl": ttl_seconds * 1000,
        },
    }
    validate(STATUS_LIST_CREDENTIAL_V1, credential)
    return credential


def sign_status_list(
    tx: Tx,
    list_id: str,
    *,
    identity: IssuerIdentity,
    signer: Signer,
    now: datetime,
    ttl_seconds: int,
    validity_seconds: int | None = None,
) -> str | None:
    """The status list credential secured as ``application/vc+jwt``."""
    credential = status_list_credential(
        tx,
        list_id,
        identity=identity,
        now=now,
        ttl_seconds=ttl_seconds,
        validity_seconds=validity_seconds,
    )
    if credential is None:
        return None
    did = identity.did
    payload = {**credential, **jwt_claims(did, now)}
    return sign_compact(
        header={"typ": "vc+jwt", "cty": "vc"}, payload=payload, signer=signer, did=did
    )


# ── many slots at once (bulk issuance) ───────────────────────────────────────────────────
@dataclass(slots=True)
class _ListView:
    list_id: str
    purpose: StatusPurpose
    entries: int
    taken: set[int]
    allocated: int
    new: bool


def _indexes(entropy: Entropy, entries: int, count: int) -> Iterator[int]:
    """Uniform indexes in ``[0, entries)``: :func:`random_index` drawn from one entropy call."""
    limit = (2**32 // entries) * entries
    while True:
        pool = entropy(4 * max(count, 16))
        for offset in range(0, len(pool), 4):
            value = int.from_bytes(pool[offset : offset + 4], "big")
            if value < limit:
                yield value % entries


class BulkAllocator:
    """Draws status slots for many credentials at once, and claims them in one statement.

    The allocator keeps a view of the open list of each purpose (its taken indexes and
    count), read once with :meth:`load`, so it can draw a chunk's slots before the chunk's
    transaction, uniformly over the list's *free* indexes exactly as :func:`allocate`'s
    rejection sampling does. :meth:`claims` then says what the chunk's transaction does to the
    lists, and the transaction inserts the slots all at once; the store's primary key still
    refuses any slot ever taken (by another process since :meth:`load`), and the caller
    rolls back, calls :meth:`load` again and redraws. A list closes at
    :data:`FILL_LIMIT` and a new one opens, as with :func:`allocate`. After a rolled-back
    transaction, call :meth:`load` before drawing again.
    """

    def __init__(self, *, entries: int, entropy: Entropy) -> None:
        self._entries = entries
        self._entropy = entropy
        self._close_at = int(entries * FILL_LIMIT)
        self._views: dict[StatusPurpose, _ListView | None] = {}
        self._used: dict[str, _ListView] = {}

    def load(self, tx: Tx) -> None:
        self._used = {}
        for purpose in StatusPurpose:
            current = tx.oldest_open_status_list(purpose, self._entries)
            self._views[purpose] = (
                None
                if current is None
                else _ListView(
                    list_id=current.id,
                    purpose=purpose,
                    entries=current.entries,
                    taken=set(tx.all_slots(current.id)),
                    allocated=current.allocated,
                    new=False,
                )
            )

    def _open(self, purpose: StatusPurpose) -> _ListView:
        view = self._views.get(purpose)
        if view is None or view.allocated >= self._close_at:
            view = _ListView(
                list_id=new_id(self._entropy),
                purpose=purpose,
                entries=self._entries,
                taken=set(),
                allocated=0,
                new=True,
            )
            self._views[purpose] = view
        return view

    def draw(self, purpose: StatusPurpose, count: int) -> list[StatusSlot]:
        """``count`` distinct fresh slots of ``purpose`` (no database access)."""
        slots: list[StatusSlot] = []
        while len(slots) < count:
            view = self._open(purpose)
            self._used[view.list_id] = view
            room = min(count - len(slots), self._close_at - view.allocated)
            draws = _indexes(self._entropy, view.entries, room)
            while room:
                index = next(draws)
                if index in view.taken:
                    continue
                view.taken.add(index)
                view.allocated += 1
                room -= 1
                slots.append(StatusSlot(view.list_id, index))
        return slots

    def claims(self, slots: Iterable[StatusSlot], *, now: datetime) -> ListClaims:
        """What a chunk's transaction must do to the lists its drawn ``slots`` belong to:
        create those the draws opened, lock the others, count the slots taken. Plain data,
        so the transaction may run in another process (:mod:`issuer.bulk.writes`); the
        lists it creates count as created from now on (a transaction that fails is
        followed by :meth:`load`, which forgets them)."""
        purposes = list(StatusPurpose)
        counts: dict[str, int] = {}
        for slot in slots:
            counts[slot.list_id] = counts.get(slot.list_id, 0) + 1
        lists: list[tuple[str, StatusList | None]] = []
        for list_id in sorted(counts, key=lambda i: (purposes.index(self._used[i].purpose), i)):
            view = self._used[list_id]
            lists.append((list_id, _list_of(view, now=now) if view.new else None))
            view.new = False
        return ListClaims(lists=tuple(lists), counts=tuple(counts.items()), close_at=self._close_at)


@dataclass(frozen=True, slots=True)
class ListClaims:
    """The status-list side of a bulk chunk's transaction (:meth:`BulkAllocator.claims`).

    ``lists`` are in lock order — revocation lists first, as :func:`allocate` takes them,
    then by id: one order for every writer, so none waits in a cycle — each with the new
    list to create, or ``None`` to lock an existing one. ``counts`` are the slots taken
    from each list; a list closes once ``close_at`` of its slots are taken.
    """

    lists: tuple[tuple[str, StatusList | None], ...]
    counts: tuple[tuple[str, int], ...]
    close_at: int

    def open(self, tx: Tx) -> bool:
        """Create and lock the lists, before the credentials that cite them; ``False`` if
        a list vanished (roll back, :meth:`BulkAllocator.load`, redraw)."""
        for list_id, new in self.lists:
            if new is not None:
                tx.insert_status_list(new)
            elif tx.lock_status_list(list_id) is None:
                return False
        return True

    def count(self, tx: Tx, *, at: datetime) -> None:
        """Count the slots taken, once they are claimed (:func:`issuer.store.slot_claim_rows`
        breaks on any slot taken meanwhile: roll back, :meth:`BulkAllocator.load`, redraw)."""
        for list_id, taken in self.counts:
            tx.count_allocations(list_id, taken, close_at=self.close_at, at=at)


def _list_of(view: _ListView, *, now: datetime) -> StatusList:
    return StatusList(
        id=view.list_id,
        purpose=view.purpose,
        entries=view.entries,
        allocated=0,
        open=True,
        version=1,
        created_at=now,
        updated_at=now,
    )
