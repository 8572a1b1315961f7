"""Credential offers to wallets in the store: offers, their access tokens, proof nonces.

Each secret a wallet presents is used by one conditional update (unused, unexpired, this
id): of two requests that present it at once, exactly one changes the row, and only that
one goes on. Only digests of secrets are stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, update

from issuer.model import CredentialOffer, OfferAccessToken, OfferedBy, ProofNonce
from issuer.store.base import Unit, _fields
from issuer.store.tables import CredentialOfferRow, OfferAccessTokenRow, ProofNonceRow

__all__ = ["OfferReads", "OfferWrites"]

_TOKENS = cast(Table, OfferAccessTokenRow.__table__)
_NONCES = cast(Table, ProofNonceRow.__table__)


def _offer(row: Any) -> CredentialOffer:
    fields = dict(row._mapping)
    fields["offered_by"] = OfferedBy(row.offered_by)
    return CredentialOffer(**fields)


class OfferReads(Unit):
    """Offers, their tokens and nonces, read.

    Through Core, not ORM objects: the credential endpoint reads an offer and a token on
    every request, and an ORM load costs several times the query (docs/PERFORMANCE.md)."""

    def get_credential_offer(self, offer_id: str) -> CredentialOffer | None:
        table = CredentialOfferRow.__table__
        row = self._s.connection().execute(select(table).where(table.c.id == offer_id)).first()
        return None if row is None else _offer(row)

    def get_offer_access_token(self, token_id: str) -> OfferAccessToken | None:
        table = OfferAccessTokenRow.__table__
        row = self._s.connection().execute(select(table).where(table.c.id == token_id)).first()
        return None if row is None else OfferAccessToken(**row._mapping)

    def get_proof_nonce(self, digest: str) -> ProofNonce | None:
        table = ProofNonceRow.__table__
        row = self._s.connection().execute(select(table).where(table.c.digest == digest)).first()
        return None if row is None else ProofNonce(**row._mapping)


class OfferWrites(Unit):
    """Offers, tokens and nonces written; each used by one conditional update."""

    def insert_credential_offer(self, offer: CredentialOffer) -> None:
        fields = _fields(offer)
        fields["offered_by"] = offer.offered_by.value
        self._s.add(CredentialOfferRow(**fields))
        self._flush("credential offer")

    def redeem_credential_offer(self, offer_id: str, *, now: datetime, max_attempts: int) -> bool:
        """Mark the offer redeemed at ``now`` if it is unredeemed, unexpired and not locked
        by ``max_attempts`` wrong transaction codes; whether this call did."""
        result = self._s.execute(
            update(CredentialOfferRow)
            .where(
                CredentialOfferRow.id == offer_id,
                CredentialOfferRow.redeemed_at.is_(None),
                CredentialOfferRow.expires_at > now,
                CredentialOfferRow.failed_attempts < max_attempts,
            )
            .values(redeemed_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def count_wrong_tx_code(self, offer_id: str) -> None:
        """One more wrong transaction code for the offer (in the database, so two at once
        count two)."""
        self._s.execute(
            update(CredentialOfferRow)
            .where(CredentialOfferRow.id == offer_id)
            .values(failed_attempts=CredentialOfferRow.failed_attempts + 1)
        )

    def insert_offer_access_token(self, token: OfferAccessToken) -> None:
        self._s.add(OfferAccessTokenRow(**_fields(token)))
        self._flush("access token")

    def use_offer_access_token(self, token_id: str, *, now: datetime) -> bool:
        """Mark the token used at ``now`` if it is unused and unexpired; whether this call
        did."""
        table = _TOKENS
        result = self._s.connection().execute(
            update(table)
            .where(
                table.c.id == token_id,
                table.c.used_at.is_(None),
                table.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def insert_proof_nonce(self, nonce: ProofNonce) -> None:
        self._s.add(ProofNonceRow(**_fields(nonce)))
        self._flush("nonce")

    def use_proof_nonce(self, digest: str, *, now: datetime) -> bool:
        """Mark the nonce used at ``now`` if it is unused and unexpired; whether this call
        did."""
        table = _NONCES
        result = self._s.connection().execute(
            update(table)
            .where(
                table.c.digest == digest,
                table.c.used_at.is_(None),
                table.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def forget_proof_nonces(self, *, before: datetime) -> int:
        """Delete the nonces that expired before ``before`` (nothing can use them): the
        table holds only what is still live, however many wallets ask."""
        result = self._s.execute(delete(ProofNonceRow).where(ProofNonceRow.expires_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
