"""Status slots and status list credentials (W3C Bitstring Status List v1.0).

Every credential gets one slot in a ``revocation`` list and one in a ``suspension`` list
*before* it is signed, since the slot is baked into the signature. Slots are drawn at random
(herd privacy, BSL section 6) from lists of at least 131,072 entries and are never reused:
the store's primary key on (list, index) refuses a second claim even from another process.
A list closes when half of it is taken, so a random draw still finds a free slot at the
first or second try, and a new list opens.

Status list credentials are built from the store and signed as ``vc+jwt`` by the issuer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from issuer.identity import IssuerIdentity
from issuer.model import Credential, StatusList, StatusPurpose, StatusSlot
from issuer.runtime import Entropy, new_id
from issuer.signing import Signer, sign_compact
from issuer.store import Tx
from schemas import bitstring_status_list as bsl
from schemas.credential_schemas import STATUS_LIST_CREDENTIAL_V1, validate

__all__ = [
    "FILL_LIMIT",
    "allocate",
    "credential_status",
    "random_index",
    "sign_status_list",
    "status_entry",
    "status_list_credential",
]

FILL_LIMIT = 0.5
"""Fraction of a list that may be taken before it closes and a new list opens."""

_MAX_DRAWS = 64


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


def _timestamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def status_list_credential(
    tx: Tx, list_id: str, *, identity: IssuerIdentity, now: datetime, ttl_seconds: int
) -> dict[str, Any] | None:
    """The unsigned ``BitstringStatusListCredential`` of a list, as the store says it is now."""
    status_list = tx.get_status_list(list_id)
    if status_list is None:
        return None
    bits = bsl.new_bitstring(status_list.entries)
    for index, value in tx.set_slots(list_id):
        bsl.set_status(bits, index, value)
    url = identity.status_list_url(list_id)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": identity.did,
        "validFrom": _timestamp(now),
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
) -> str | None:
    """The status list credential secured as ``application/vc+jwt``."""
    credential = status_list_credential(
        tx, list_id, identity=identity, now=now, ttl_seconds=ttl_seconds
    )
    if credential is None:
        return None
    payload = {**credential, "iat": int(now.timestamp())}
    return sign_compact(header={"typ": "vc+jwt", "cty": "vc"}, payload=payload, signer=signer)
