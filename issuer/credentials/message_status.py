"""The one status an Open Badge carries: W3C Bitstring Status Lists of purpose ``message``.

Open Badges 3.0 allows a badge at most one ``credentialStatus``, yet a certification can be
suspended (and reinstated) as well as withdrawn. Bitstring Status List v1.0 says both in one
entry: ``statusPurpose`` ``message`` with ``statusSize`` 2, whose ``statusMessage`` maps each
value — 0x0 valid, 0x1 revoked, 0x2 suspended (:data:`STATUS_MESSAGES`; 0x3 is unused).

One 2-bit slot per *certificate credential*, claimed at a random index the first time a
badge is signed from it (:func:`claim_slot`); every badge exported from that certificate
cites it. The slot is the 2-bit mechanism of :mod:`issuer.credentials.two_bit` over the
message lists' own tables: a view of the certificate's own Bitstring slots, never a status
of its own (revocation set → 1, which a withdrawal and a supersession both set; suspension
set → 2; else 0), kept in step by :func:`follow` in the transaction that changes a
Bitstring slot.

Why lists of its own and not the Token Status List slot that SD-JWT VCs cite, which holds
the same values: a badge names its holder (and the certificate number), while an SD-JWT VC
lets its holder withhold both; a badge citing the same list and index as the holder's
SD-JWT VCs would let anyone who has seen both link every such presentation to the name.

The list is a ``BitstringStatusListCredential`` like the revocation and suspension lists
(:func:`message_status_list_credential`), MSB-first per BSL §3.3 — the Token Status List is
LSB-first — with ``statusSize`` and ``statusMessages`` in its subject, served by the
registry at ``/status/{list_id}`` beside them, signed as ``vc+jwt`` for a short validity and
re-signed before it lapses, as they are.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from issuer.credentials import two_bit
from issuer.credentials.identity import IssuerIdentity, jwt_claims
from issuer.credentials.signing import Signer, sign_compact
from issuer.credentials.status import list_timestamp, list_validity_seconds
from issuer.model import Credential, StatusSlot
from issuer.runtime import Entropy
from issuer.store import Tx
from schemas import bitstring_status_list as bsl

__all__ = [
    "BITS",
    "MESSAGE_STATUS_LIST_KIND",
    "REVOKED",
    "STATUS_MESSAGES",
    "SUSPENDED",
    "VALID",
    "claim_slot",
    "follow",
    "message_entry",
    "message_status_list_credential",
    "sign_message_status_list",
    "value_of",
]

MESSAGE_STATUS_LIST_KIND = "message-status-list"
"""The outbox kind of a message list. The issuer's own: the registry receives it as a
``status-list`` document (:mod:`issuer.publication.outbox`)."""

BITS = two_bit.BITS
"""``statusSize``: three values need two bits."""
VALID, REVOKED, SUSPENDED = two_bit.VALID, two_bit.REVOKED, two_bit.SUSPENDED

STATUS_MESSAGES: tuple[dict[str, str], ...] = (
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "revoked"},
    {"status": "0x2", "message": "suspended"},
    {"status": "0x3", "message": "undefined"},
)
"""What each value means, in the entry (``statusMessage``) and in the list
(``statusMessages``). BSL wants exactly 2^``statusSize`` of them and allows ``undefined`` as
the placeholder of a value never written."""

value_of = two_bit.value_of
"""What the Bitstring slots of a certificate credential say, as a message list value."""


def claim_slot(
    tx: Tx, credential: Credential, *, entries: int, now: datetime, entropy: Entropy
) -> StatusSlot:
    """The message slot of certificate ``credential``: the one it has, or a fresh random one
    holding its current status (the caller holds the certification's lock)."""
    return two_bit.claim_slot(
        tx, tx.message_lists, credential, entries=entries, now=now, entropy=entropy
    )


def follow(tx: Tx, slot: StatusSlot, now: datetime) -> None:
    """After a Bitstring ``slot`` changed: set the message slot of the certificate credential
    holding it (if a badge gave it one) to what its Bitstring slots now say, and ask for its
    list to be republished if that changed it."""
    two_bit.follow(tx, tx.message_lists, slot, now)


def message_entry(identity: IssuerIdentity, slot: StatusSlot) -> dict[str, Any]:
    """The one ``BitstringStatusListEntry`` a badge carries."""
    list_url = identity.status_list_url(slot.list_id)
    return {
        "id": f"{list_url}#{slot.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(slot.index),
        "statusListCredential": list_url,
        "statusSize": BITS,
        "statusMessage": [dict(m) for m in STATUS_MESSAGES],
    }


def message_status_list_credential(
    tx: Tx,
    list_id: str,
    *,
    identity: IssuerIdentity,
    now: datetime,
    ttl_seconds: int,
    validity_seconds: int | None = None,
) -> dict[str, Any] | None:
    """The unsigned ``BitstringStatusListCredential`` of a message list, as the store says
    it is now, valid from ``now`` for :func:`list_validity_seconds`."""
    message_list = tx.get_message_status_list(list_id)
    if message_list is None:
        return None
    bits = bsl.new_bitstring(message_list.entries, status_size=message_list.bits)
    bsl.set_statuses(bits, tx.set_message_slots(list_id), message_list.bits)
    # Imported here, as in issuer.credentials.status: only signing needs the schemas.
    from schemas.credential_schemas import STATUS_LIST_CREDENTIAL_V1, validate

    url = identity.status_list_url(list_id)
    validity = list_validity_seconds(ttl_seconds, validity_seconds)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": identity.did,
        "validFrom": list_timestamp(now),
        "validUntil": list_timestamp(now + timedelta(seconds=validity)),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "message",
            "statusSize": message_list.bits,
            "statusMessages": [dict(m) for m in STATUS_MESSAGES],
            "encodedList": bsl.encode_list(bits),
            "ttl": ttl_seconds * 1000,
        },
    }
    validate(STATUS_LIST_CREDENTIAL_V1, credential)
    return credential


def sign_message_status_list(
    tx: Tx,
    list_id: str,
    *,
    identity: IssuerIdentity,
    signer: Signer,
    now: datetime,
    ttl_seconds: int,
    validity_seconds: int | None = None,
) -> str | None:
    """The message list credential secured as ``application/vc+jwt``, as the other lists."""
    credential = message_status_list_credential(
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
