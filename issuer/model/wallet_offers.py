"""Credential offers to wallets (OpenID for Verifiable Credential Issuance 1.0), as stored.

An offer, its access token and each ``c_nonce`` are secrets a wallet presents once; the
store keeps only their SHA-256 digests (the transaction code's keyed by the pre-authorized
code, so a six-digit code cannot be found from the store by trying them all), never the
secrets, which are shown once to whoever made the offer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["CredentialOffer", "OfferAccessToken", "OfferedBy", "ProofNonce"]


class OfferedBy(enum.StrEnum):
    """Who made an offer."""

    HOLDER = "holder"
    """The certified person, on their own page."""
    STAFF = "staff"
    """A staff member, through the back office API, to hand over."""


@dataclass(frozen=True, slots=True)
class CredentialOffer:
    """A single-use offer of one credential of ``certification_id`` in the format of
    ``configuration_id``. ``uri_digest`` is the digest of the secret in its
    ``credential_offer_uri``, ``code_digest`` of its pre-authorized code, ``tx_code_digest``
    of its transaction code (keyed by the code). ``redeemed_at`` is set by the one token
    request that counts; ``failed_attempts`` counts wrong transaction codes, and the offer
    is locked once it reaches the limit."""

    id: str
    certification_id: str
    configuration_id: str
    uri_digest: str
    code_digest: str
    tx_code_digest: str
    tx_code_length: int
    offered_by: OfferedBy
    created_by: str | None
    created_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    failed_attempts: int


@dataclass(frozen=True, slots=True)
class OfferAccessToken:
    """The access token a redeemed offer gave: good for one credential request until
    ``expires_at``; ``used_at`` is set by the request that received the credential."""

    id: str
    offer_id: str
    token_digest: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProofNonce:
    """A ``c_nonce`` handed out by the nonce endpoint, by its digest: a key proof must carry
    one that is unused and unexpired, and using it in a credential request ends it."""

    digest: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
