"""What certreg issues to wallets beside its W3C credentials: SD-JWT VCs, and the IETF Token
Status List slots their status lives in.

A certificate credential gets at most one 2-bit token slot, claimed when the first SD-JWT VC
derived from it is issued; every SD-JWT VC derived from that certificate cites it, and its
value always says what the certificate's Bitstring slots say
(:mod:`issuer.credentials.token_status`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["SdJwtVc", "TokenSlot", "TokenStatusList"]


@dataclass(frozen=True, slots=True)
class TokenStatusList:
    """One Token Status List: ``bits`` per entry, a fixed length, how many slots are taken."""

    id: str
    bits: int
    entries: int
    allocated: int
    open: bool
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TokenSlot:
    """A slot of a Token Status List (``idx`` in the ``status_list`` claim)."""

    list_id: str
    index: int


@dataclass(frozen=True, slots=True)
class SdJwtVc:
    """An issued SD-JWT VC, as recorded: which certificate credential it restates, the token
    slot it cites, the holder key it is bound to (by RFC 7638 thumbprint only), the signing
    key, and its dates. The serialized SD-JWT itself (its salts) is the holder's alone."""

    id: str
    certification_id: str
    credential_id: str
    slot: TokenSlot
    holder_thumbprint: str
    kid: str
    issued_at: datetime
    expires_at: datetime
