"""IETF Token Status Lists (draft-ietf-oauth-status-list-20): the status of SD-JWT VCs.

One 2-bit slot per *certificate credential*, claimed at a random index the first time an
SD-JWT VC is derived from it (:func:`claim_slot`); every SD-JWT VC derived from that
certificate cites it. The slot is the 2-bit mechanism of :mod:`issuer.credentials.two_bit`
over the Token Status Lists' own tables: a second view of the certificate's Bitstring
slots, never a status of its own (revocation set → 1 INVALID, which a withdrawal and a
supersession both set; suspension set → 2 SUSPENDED; else 0 VALID), kept in step by
:func:`follow` in the transaction that changes a Bitstring slot.

The Status List Token (:func:`sign_token_status_list`) is a JWT with ``typ``
``statuslist+jwt``, ``sub`` its own URL, ``iat``, ``exp`` and ``ttl`` (seconds), signed like
the Bitstring lists for a short validity and re-signed before it lapses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from issuer.credentials import two_bit
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.signing import Signer, sign_compact_by_thumbprint
from issuer.credentials.status import list_validity_seconds
from issuer.model import Credential, StatusSlot, TokenSlot
from issuer.runtime import Entropy
from issuer.store import Tx
from schemas import token_status_list as tsl
from schemas.publication import STATUS_LIST_JWT_TYPE

__all__ = [
    "BITS",
    "claim_slot",
    "follow",
    "sign_token_status_list",
    "status_list_token_claims",
    "value_of",
]

BITS = two_bit.BITS
"""Bits per entry: SUSPENDED needs two (§7)."""

value_of = two_bit.value_of
"""What the Bitstring slots of a certificate credential say, as a Token Status List value
(:data:`~schemas.token_status_list.VALID`, ``INVALID``, ``SUSPENDED`` are numbered as
:mod:`.two_bit`'s values)."""


def claim_slot(
    tx: Tx, credential: Credential, *, entries: int, now: datetime, entropy: Entropy
) -> TokenSlot:
    """The token slot of certificate ``credential``: the one it has, or a fresh random one
    holding its current status (the caller holds the certification's lock)."""
    return two_bit.claim_slot(
        tx, tx.token_lists, credential, entries=entries, now=now, entropy=entropy
    )


def follow(tx: Tx, slot: StatusSlot, now: datetime) -> None:
    """After a Bitstring ``slot`` changed: set the token slot of the certificate credential
    holding it (if an SD-JWT VC gave it one) to what its Bitstring slots now say, and ask
    for its list to be republished if that changed it."""
    two_bit.follow(tx, tx.token_lists, slot, now)


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
