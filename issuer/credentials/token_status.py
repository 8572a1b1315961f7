"""IETF Token Status Lists (draft-ietf-oauth-status-list-20): the status of SD-JWT VCs.

One 2-bit slot per *certificate credential*, claimed at a random index the first time an
SD-JWT VC is derived from it (:func:`claim_slot`), from lists of at least 131,072 entries
that close once half full, exactly as :mod:`issuer.credentials.status` draws Bitstring
slots; a slot is never reused. Every SD-JWT VC derived from that certificate cites it.

The token slot is a second view of the certificate's Bitstring slots, never a status of its
own: :func:`value_of` reads them (revocation set → 1 INVALID, which a withdrawal and a
supersession both set; suspension set → 2 SUSPENDED; else 0 VALID), and :func:`follow`
writes that value whenever a lifecycle decision or a key-compromise recovery changes a
Bitstring slot, in the same transaction, and enqueues the list for publication.

The Status List Token (:func:`sign_token_status_list`) is a JWT with ``typ``
``statuslist+jwt``, ``sub`` its own URL, ``iat``, ``exp`` and ``ttl`` (seconds), signed like
the Bitstring lists for a short validity and re-signed before it lapses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.signing import Signer, sign_compact_by_thumbprint
from issuer.credentials.status import FILL_LIMIT, list_validity_seconds, random_index
from issuer.model import Credential, StatusSlot, TokenSlot, TokenStatusList
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from schemas import token_status_list as tsl
from schemas.publication import STATUS_LIST_JWT_TYPE, DocumentKind

__all__ = [
    "BITS",
    "claim_slot",
    "follow",
    "sign_token_status_list",
    "status_list_token_claims",
    "value_of",
]

BITS = 2
"""Bits per entry: SUSPENDED needs two (§7)."""

_MAX_DRAWS = 64


def value_of(tx: Tx, credential: Credential) -> int:
    """What the Bitstring slots of ``credential`` say, as a Token Status List value."""
    if tx.slot_value(credential.revocation):
        return tsl.INVALID
    if tx.slot_value(credential.suspension):
        return tsl.SUSPENDED
    return tsl.VALID


def _new_list(tx: Tx, *, entries: int, now: datetime, entropy: Entropy) -> TokenStatusList:
    token_list = TokenStatusList(
        id=new_id(entropy),
        bits=BITS,
        entries=entries,
        allocated=0,
        open=True,
        version=1,
        created_at=now,
        updated_at=now,
    )
    tx.insert_token_status_list(token_list)
    return token_list


def claim_slot(
    tx: Tx, credential: Credential, *, entries: int, now: datetime, entropy: Entropy
) -> TokenSlot:
    """The token slot of certificate ``credential``: the one it has, or a fresh random one
    holding its current status (the caller holds the certification's lock)."""
    held = tx.token_slot_of(credential.id)
    if held is not None:
        return held
    value = value_of(tx, credential)
    while True:
        token_list = tx.open_token_status_list(BITS, entries) or _new_list(
            tx, entries=entries, now=now, entropy=entropy
        )
        for _ in range(_MAX_DRAWS):
            index = random_index(entropy, token_list.entries)
            if tx.claim_token_slot(
                list_id=token_list.id,
                index=index,
                credential_id=credential.id,
                value=value,
                at=now,
            ):
                tx.count_token_allocation(token_list.id, close_at=int(entries * FILL_LIMIT))
                # Published now: the list may be new, or the slot not valid.
                tx.enqueue(DocumentKind.TOKEN_STATUS_LIST.value, token_list.id, now)
                return TokenSlot(token_list.id, index)
        tx.close_token_status_list(token_list.id)


def follow(tx: Tx, slot: StatusSlot, now: datetime) -> None:
    """After a Bitstring ``slot`` changed: set the token slot of the certificate credential
    holding it (if an SD-JWT VC gave it one) to what its Bitstring slots now say, and ask
    for its list to be republished if that changed it."""
    holder = tx.token_slot_holder(slot)
    if holder is None:
        return
    credential_id, token_slot = holder
    credential = tx.get_credential(credential_id)
    assert credential is not None  # a slot names an existing credential (foreign key)
    if tx.set_token_slot_value(token_slot, value_of(tx, credential), now):
        tx.enqueue(DocumentKind.TOKEN_STATUS_LIST.value, token_slot.list_id, now)


def status_list_token_claims(
    tx: Tx,
    list_id: str,
    *,
    identity: IssuerIdentity,
    now: datetime,
    ttl_seconds: int,
    validity_seconds: int | None = None,
) -> dict[str, object] | None:
    """The claims of a list's Status List Token as the store says it is now (§5.1)."""
    token_list = tx.get_token_status_list(list_id)
    if token_list is None:
        return None
    lst = tsl.new_status_list(token_list.entries, token_list.bits)
    for index, value in tx.set_token_slots(list_id):
        tsl.set_status(lst, index, value, token_list.bits)
    validity = list_validity_seconds(ttl_seconds, validity_seconds)
    return {
        "sub": identity.token_status_list_url(list_id),
        "iss": identity.base_url,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=validity)).timestamp()),
        "ttl": ttl_seconds,
        "status_list": tsl.encode_status_list(lst, token_list.bits, level=9),
    }


def sign_token_status_list(
    tx: Tx,
    list_id: str,
    *,
    identity: IssuerIdentity,
    signer: Signer,
    now: datetime,
    ttl_seconds: int,
    validity_seconds: int | None = None,
) -> str | None:
    """The Status List Token of a list, ``typ`` ``statuslist+jwt``, ``kid`` the signing
    key's JWKS ``kid``."""
    claims = status_list_token_claims(
        tx,
        list_id,
        identity=identity,
        now=now,
        ttl_seconds=ttl_seconds,
        validity_seconds=validity_seconds,
    )
    if claims is None:
        return None
    return sign_compact_by_thumbprint(
        header={"typ": STATUS_LIST_JWT_TYPE}, payload=claims, signer=signer
    )
