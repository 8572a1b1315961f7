"""Credentials in the store: the signed credentials of each certification, which one
supersedes which, and the cache of their renderings (made on first request, kept).

A rendering is cached under what it shows (a digest its caller computes,
:mod:`issuer.credentials.renderings`), so a change to what it would show misses the cache.
The table's key is (credential, ``format``), so ``format`` holds both: the format's
extension and the digest, as ``pdf:<digest>`` (20 characters at most, the column's width).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update

from issuer.model import Credential, CredentialKind, StatusSlot
from issuer.store.base import Unit, _insert
from issuer.store.tables import CredentialRow, RenderingRow

__all__ = ["CredentialReads", "CredentialWrites"]


class CredentialReads(Unit):
    """Credentials and their cached renderings, read."""

    def get_credential(self, credential_id: str) -> Credential | None:
        row = self._s.get(CredentialRow, credential_id)
        return None if row is None else _credential(row)

    def credentials_of(self, certification_id: str) -> list[Credential]:
        rows = self._s.scalars(
            select(CredentialRow)
            .where(CredentialRow.certification_id == certification_id)
            .order_by(CredentialRow.issued_at, CredentialRow.id)
        )
        return [_credential(r) for r in rows]

    # ── renderings cache ─────────────────────────────────────────────────────────────────
    def get_rendering(self, credential_id: str, fmt: str, shows: str) -> bytes | None:
        """The cached rendering in ``fmt`` ("certificate.pdf", "qr.svg"…) if it showed
        ``shows``; ``None`` when there is none or it showed something else."""
        row = self._s.get(RenderingRow, (credential_id, _rendering_key(fmt, shows)))
        return None if row is None else row.content


class CredentialWrites(Unit):
    """Credentials, their supersession and their cached renderings, written."""

    def insert_credential(self, credential: Credential) -> None:
        self._s.add(
            CredentialRow(
                id=credential.id,
                certification_id=credential.certification_id,
                kind=credential.kind.value,
                depends_on=credential.depends_on,
                kid=credential.kid,
                jws=credential.jws,
                valid_from=credential.valid_from,
                valid_until=credential.valid_until,
                revocation_list_id=credential.revocation.list_id,
                revocation_index=credential.revocation.index,
                suspension_list_id=credential.suspension.list_id,
                suspension_index=credential.suspension.index,
                issued_at=credential.issued_at,
                supersedes=credential.supersedes,
                superseded_by=credential.superseded_by,
            )
        )
        self._flush("credential")

    def link_supersession(self, old_id: str, new_id: str) -> None:
        """Record both ways that ``new_id`` replaces ``old_id``."""
        self._s.execute(
            update(CredentialRow).where(CredentialRow.id == old_id).values(superseded_by=new_id)
        )
        self._s.execute(
            update(CredentialRow).where(CredentialRow.id == new_id).values(supersedes=old_id)
        )

    # ── renderings cache ─────────────────────────────────────────────────────────────────
    def put_rendering(
        self, credential_id: str, fmt: str, shows: str, content: bytes, at: datetime
    ) -> None:
        """Cache ``content`` as the rendering in ``fmt`` that shows ``shows``, in place of
        any earlier rendering of the credential in that format (one kept per format)."""
        key = _rendering_key(fmt, shows)
        extension = key.split(":", 1)[0]
        self._s.execute(
            delete(RenderingRow).where(
                RenderingRow.credential_id == credential_id,
                RenderingRow.format != key,
                # ``fmt`` alone: a rendering cached before renderings were keyed by content.
                or_(RenderingRow.format == fmt, RenderingRow.format.like(f"{extension}:%")),
            )
        )
        self._s.execute(
            _insert(self._s)(RenderingRow)
            .values(credential_id=credential_id, format=key, content=content, created_at=at)
            .on_conflict_do_nothing()
        )


_RENDERING_KEY_WIDTH = 20
"""The width of ``renderings.format``."""


def _rendering_key(fmt: str, shows: str) -> str:
    """``pdf:<digest>`` for ``certificate.pdf``: the format's extension and what it shows."""
    extension = fmt.rsplit(".", 1)[-1]
    key = f"{extension}:{shows}"
    if not extension.isalnum() or len(key) > _RENDERING_KEY_WIDTH:
        raise ValueError(f"a rendering key is at most {_RENDERING_KEY_WIDTH} characters: {key!r}")
    return key


def _credential(row: CredentialRow) -> Credential:
    return Credential(
        id=row.id,
        certification_id=row.certification_id,
        kind=CredentialKind(row.kind),
        depends_on=row.depends_on,
        kid=row.kid,
        jws=row.jws,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revocation=StatusSlot(row.revocation_list_id, row.revocation_index),
        suspension=StatusSlot(row.suspension_list_id, row.suspension_index),
        issued_at=row.issued_at,
        supersedes=row.supersedes,
        superseded_by=row.superseded_by,
    )
