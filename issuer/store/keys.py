"""Signing keys in the store: their public parts and their private keys, encrypted (only
:mod:`issuer.credentials.signing` decrypts), their states, and the last validity signed with
each (how long a retired key is still needed to check a credential)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from issuer.model import KeyState, SigningKey
from issuer.store.base import Unit
from issuer.store.tables import CredentialRow, SigningKeyRow

__all__ = ["KeyReads", "KeyWrites"]


class KeyReads(Unit):
    """Signing keys, read."""

    # ── signing keys (public parts and encrypted blobs; only signing.py decrypts) ───────
    def get_signing_key(self, kid: str) -> SigningKey | None:
        row = self._s.get(SigningKeyRow, kid)
        return None if row is None else _signing_key(row)

    def active_signing_key(self) -> SigningKey | None:
        row = self._s.scalar(
            select(SigningKeyRow)
            .where(SigningKeyRow.state == KeyState.ACTIVE.value)
            .order_by(SigningKeyRow.created_at.desc())
            .limit(1)
        )
        return None if row is None else _signing_key(row)

    def encrypted_private_key(self, kid: str) -> bytes:
        row = self._s.get(SigningKeyRow, kid)
        assert row is not None
        return row.encrypted_private_key

    def list_signing_keys(self) -> list[SigningKey]:
        rows = self._s.scalars(select(SigningKeyRow).order_by(SigningKeyRow.created_at))
        return [_signing_key(r) for r in rows]

    def last_valid_until_signed_by(self, kid: str) -> datetime | None:
        value: datetime | None = self._s.scalar(
            select(func.max(CredentialRow.valid_until)).where(CredentialRow.kid == kid)
        )
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class KeyWrites(Unit):
    """Signing keys, written; a key locked while its state changes."""

    def insert_signing_key(
        self,
        *,
        kid: str,
        alg: str,
        public_jwk: dict[str, Any],
        encrypted_private_key: bytes,
        state: KeyState,
        created_at: datetime,
    ) -> None:
        self._s.add(
            SigningKeyRow(
                kid=kid,
                alg=alg,
                public_jwk=json.dumps(public_jwk, sort_keys=True),
                encrypted_private_key=encrypted_private_key,
                state=state.value,
                created_at=created_at,
            )
        )
        self._flush("signing key")

    def set_key_state(self, kid: str, state: KeyState, at: datetime) -> None:
        row = self._s.get(SigningKeyRow, kid, with_for_update=True)
        assert row is not None
        row.state = state.value
        if state is KeyState.RETIRED:
            row.retired_at = at
        elif state is KeyState.COMPROMISED:
            row.compromised_at = at
        self._flush("signing key")


def _signing_key(row: SigningKeyRow) -> SigningKey:
    return SigningKey(
        kid=row.kid,
        alg=row.alg,
        public_jwk=json.loads(row.public_jwk),
        state=KeyState(row.state),
        created_at=row.created_at,
        retired_at=row.retired_at,
        compromised_at=row.compromised_at,
    )
