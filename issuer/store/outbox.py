"""The outbox in the store: the documents the registry must be sent, enqueued in the very
transaction that changes them and marked once published (see
:mod:`issuer.publication.outbox`), and every document it should hold, for a rebuild."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from issuer.store.audit_log import AUDIT_CHECKPOINT_KEY, AUDIT_CHECKPOINT_KIND
from issuer.store.base import Unit
from issuer.store.load import _TABLES, Loads
from issuer.store.message_status import MESSAGE_STATUS_LIST_KIND
from issuer.store.tables import (
    BodyInformationRow,
    CertificationRow,
    CredentialRow,
    MessageStatusListRow,
    OutboxRow,
    SchemeMarkRow,
    SchemeRow,
    StatusListRow,
    TokenStatusListRow,
)
from issuer.store.token_status import TOKEN_STATUS_LIST_KIND

__all__ = ["OutboxReads", "OutboxWrites"]

BODY_INFORMATION_KIND = "body-information"
BODY_INFORMATION_KEY = "body"
"""The outbox entry of the body information (``schemas.publication``'s kind and key,
spelled out: the store imports nothing of the publication)."""


class OutboxReads(Unit):
    """The outbox, read."""

    def pending_publications(self, limit: int) -> list[tuple[int, str, str]]:
        """``(seq, kind, key)`` of unpublished entries, oldest first."""
        rows = self._s.execute(
            select(OutboxRow.seq, OutboxRow.kind, OutboxRow.key)
            .where(OutboxRow.published_at.is_(None))
            .order_by(OutboxRow.seq)
            .limit(limit)
        )
        return [(int(seq), str(kind), str(key)) for seq, kind, key in rows]

    def all_publication_keys(self) -> list[tuple[str, str]]:
        """Every document the registry should hold, for a full rebuild."""
        keys: list[tuple[str, str]] = [("issuer-keys", "issuer")]
        keys += [("scheme", i) for i in self._s.scalars(select(SchemeRow.id))]
        keys += [("status-list", i) for i in self._s.scalars(select(StatusListRow.id))]
        keys += self._token_list_keys()
        keys += [
            ("register-entry", n)
            for n in self._s.scalars(select(CertificationRow.certificate_number))
        ]
        keys += [("credential", i) for i in self._s.scalars(select(CredentialRow.id))]
        keys += [("mark", i) for i in self._s.scalars(select(SchemeMarkRow.id))]
        keys += self._body_information_key()
        keys.append((AUDIT_CHECKPOINT_KIND, AUDIT_CHECKPOINT_KEY))  # last: the end after all
        return keys

    def resignable_publication_keys(self) -> list[tuple[str, str]]:
        """Every published document signed anew each time it is published — status lists
        (Bitstring, then Token) first, then scheme information, register entries and the
        body information — for when a key that signed them is compromised. Credentials are
        signed once (a compromised key's are replaced, not re-signed) and a mark image is
        stored once, so neither is among them."""
        keys = [("status-list", i) for i in self._s.scalars(select(StatusListRow.id))]
        keys += self._token_list_keys()
        keys += [("scheme", i) for i in self._s.scalars(select(SchemeRow.id))]
        keys += [
            ("register-entry", n)
            for n in self._s.scalars(select(CertificationRow.certificate_number))
        ]
        keys += self._body_information_key()
        return keys

    def _token_list_keys(self) -> list[tuple[str, str]]:
        """Every Token Status List and every message list (the badges'), signed anew each
        time they are published like the Bitstring lists."""
        ids = self._s.scalars(select(TokenStatusListRow.id).order_by(TokenStatusListRow.id))
        keys = [(TOKEN_STATUS_LIST_KIND, i) for i in ids]
        ids = self._s.scalars(select(MessageStatusListRow.id).order_by(MessageStatusListRow.id))
        return keys + [(MESSAGE_STATUS_LIST_KIND, i) for i in ids]

    def _body_information_key(self) -> list[tuple[str, str]]:
        """The body information's key, once the body has recorded it (else nothing)."""
        recorded = self._s.scalars(select(BodyInformationRow.version).limit(1)).first()
        return [] if recorded is None else [(BODY_INFORMATION_KIND, BODY_INFORMATION_KEY)]


class OutboxWrites(Loads):
    """The outbox, written (a bulk run's many keys through :class:`~issuer.store.load.Loads`)."""

    def enqueue(self, kind: str, key: str, at: datetime) -> None:
        """Ask for ``(kind, key)`` to be (re)published; committed with the change itself."""
        self._s.add(OutboxRow(kind=kind, key=key, enqueued_at=at, published_at=None))
        self._flush("outbox entry")

    def mark_published(self, seqs: list[int], at: datetime) -> None:
        self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.seq.in_(seqs), OutboxRow.published_at.is_(None))
            .values(published_at=at)
        )

    def enqueue_many(self, keys: Sequence[tuple[str, str]], at: datetime) -> None:
        """Ask for many ``(kind, key)`` documents to be (re)published, in this order."""
        self._load(
            _TABLES[OutboxRow.__tablename__],
            ("kind", "key", "enqueued_at"),
            [(k, key, at) for k, key in keys],
            ordered=False,
        )
