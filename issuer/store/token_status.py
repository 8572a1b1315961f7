"""Token Status Lists and SD-JWT VCs in the store: the 2-bit lists, the one slot per
certificate credential, the signatures the lists were last published with, and the record
of every SD-JWT VC issued. A slot once taken is never taken again (primary key on list and
index), and a certificate credential never gets two (unique credential)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, or_, select, update

from issuer.model import SdJwtVc, StatusSlot, TokenSlot, TokenStatusList
from issuer.store.base import Unit, _insert
from issuer.store.tables import (
    OutboxRow,
    SdJwtVcRow,
    StatusSlotRow,
    TokenStatusListRow,
    TokenStatusListSignatureRow,
    TokenStatusSlotRow,
)

__all__ = ["TOKEN_STATUS_LIST_KIND", "TokenStatusReads", "TokenStatusWrites"]

TOKEN_STATUS_LIST_KIND = "token-status-list"  # noqa: S105 - a document kind
"""The outbox kind of a Token Status List (``schemas.publication.DocumentKind``)."""


class TokenStatusReads(Unit):
    """Token Status Lists, their slots and the SD-JWT VCs issued, read."""

    def get_token_status_list(self, list_id: str) -> TokenStatusList | None:
        row = self._s.get(TokenStatusListRow, list_id)
        return None if row is None else _token_list(row)

    def token_slot_of(self, credential_id: str) -> TokenSlot | None:
        """The token slot of a certificate credential, if an SD-JWT VC claimed one."""
        row = self._s.scalar(
            select(TokenStatusSlotRow).where(TokenStatusSlotRow.credential_id == credential_id)
        )
        return None if row is None else TokenSlot(row.list_id, row.idx)

    def token_slot_holder(self, slot: StatusSlot) -> tuple[str, TokenSlot] | None:
        """``(certificate credential id, token slot)`` of the credential that holds the
        Bitstring ``slot``, if that credential has a token slot: what a status change on
        the Bitstring side must carry over."""
        row = self._s.execute(
            select(
                TokenStatusSlotRow.credential_id, TokenStatusSlotRow.list_id, TokenStatusSlotRow.idx
            )
            .join(StatusSlotRow, StatusSlotRow.credential_id == TokenStatusSlotRow.credential_id)
            .where(StatusSlotRow.list_id == slot.list_id, StatusSlotRow.idx == slot.index)
        ).first()
        return None if row is None else (row[0], TokenSlot(row[1], row[2]))

    def token_slot_value(self, slot: TokenSlot) -> int | None:
        value: int | None = self._s.scalar(
            select(TokenStatusSlotRow.value).where(
                TokenStatusSlotRow.list_id == slot.list_id, TokenStatusSlotRow.idx == slot.index
            )
        )
        return value

    def set_token_slots(self, list_id: str) -> list[tuple[int, int]]:
        """``(index, value)`` of every slot of a token list whose value is not 0."""
        rows = self._s.execute(
            select(TokenStatusSlotRow.idx, TokenStatusSlotRow.value)
            .where(TokenStatusSlotRow.list_id == list_id, TokenStatusSlotRow.value != 0)
            .order_by(TokenStatusSlotRow.idx)
        )
        return [(int(i), int(v)) for i, v in rows]

    def token_status_list_ids(self) -> list[str]:
        return list(self._s.scalars(select(TokenStatusListRow.id).order_by(TokenStatusListRow.id)))

    def lapsing_token_status_lists(self, now: datetime, limit: int) -> list[str]:
        """:meth:`~issuer.store.status.StatusReads.lapsing_status_lists` for token lists."""
        signature = TokenStatusListSignatureRow
        waiting = exists().where(
            OutboxRow.published_at.is_(None),
            OutboxRow.kind == TOKEN_STATUS_LIST_KIND,
            OutboxRow.key == TokenStatusListRow.id,
        )
        rows = self._s.scalars(
            select(TokenStatusListRow.id)
            .outerjoin(signature, signature.list_id == TokenStatusListRow.id)
            .where(or_(signature.list_id.is_(None), signature.refresh_at <= now), ~waiting)
            .order_by(TokenStatusListRow.id)
            .limit(limit)
        )
        return list(rows)

    def sd_jwt_vcs_of(self, certification_id: str) -> list[SdJwtVc]:
        rows = self._s.scalars(
            select(SdJwtVcRow)
            .where(SdJwtVcRow.certification_id == certification_id)
            .order_by(SdJwtVcRow.issued_at, SdJwtVcRow.id)
        )
        return [_sd_jwt_vc(r) for r in rows]


class TokenStatusWrites(Unit):
    """Token Status Lists, their slots and the SD-JWT VCs issued, written."""

    def open_token_status_list(self, bits: int, entries: int) -> TokenStatusList | None:
        """The oldest open token list of this shape, locked until the transaction ends."""
        row = self._s.scalar(
            select(TokenStatusListRow)
            .where(
                TokenStatusListRow.bits == bits,
                TokenStatusListRow.entries == entries,
                TokenStatusListRow.open.is_(True),
            )
            .order_by(TokenStatusListRow.created_at, TokenStatusListRow.id)
            .limit(1)
            .with_for_update()
        )
        return None if row is None else _token_list(row)

    def insert_token_status_list(self, token_list: TokenStatusList) -> None:
        self._s.add(
            TokenStatusListRow(
                id=token_list.id,
                bits=token_list.bits,
                entries=token_list.entries,
                allocated=token_list.allocated,
                open=token_list.open,
                version=token_list.version,
                created_at=token_list.created_at,
                updated_at=token_list.updated_at,
            )
        )
        self._flush("token status list")

    def claim_token_slot(
        self, *, list_id: str, index: int, credential_id: str, value: int, at: datetime
    ) -> bool:
        """Take a slot if nobody ever took it; ``False`` if it was taken (never reused).
        The caller holds the certification's lock, so the credential has no slot yet."""
        result = self._s.execute(
            _insert(self._s)(TokenStatusSlotRow)
            .values(
                list_id=list_id,
                idx=index,
                credential_id=credential_id,
                value=value,
                allocated_at=at,
            )
            .on_conflict_do_nothing(index_elements=["list_id", "idx"])
            .returning(TokenStatusSlotRow.idx)
        )
        return result.scalar_one_or_none() is not None

    def count_token_allocation(self, list_id: str, *, close_at: int) -> None:
        self._s.execute(
            update(TokenStatusListRow)
            .where(TokenStatusListRow.id == list_id)
            .values(allocated=TokenStatusListRow.allocated + 1)
        )
        self._s.execute(
            update(TokenStatusListRow)
            .where(TokenStatusListRow.id == list_id, TokenStatusListRow.allocated >= close_at)
            .values(open=False)
        )

    def close_token_status_list(self, list_id: str) -> None:
        self._s.execute(
            update(TokenStatusListRow).where(TokenStatusListRow.id == list_id).values(open=False)
        )

    def set_token_slot_value(self, slot: TokenSlot, value: int, at: datetime) -> bool:
        """Set a token slot's value; whether it changed (and then the list's version grows)."""
        changed = self._s.execute(
            update(TokenStatusSlotRow)
            .where(
                TokenStatusSlotRow.list_id == slot.list_id,
                TokenStatusSlotRow.idx == slot.index,
                TokenStatusSlotRow.value != value,
            )
            .values(value=value)
            .returning(TokenStatusSlotRow.idx)
        )
        if changed.scalar_one_or_none() is None:
            return False
        self._s.execute(
            update(TokenStatusListRow)
            .where(TokenStatusListRow.id == slot.list_id)
            .values(version=TokenStatusListRow.version + 1, updated_at=at)
        )
        return True

    def record_token_status_list_signatures(
        self, list_ids: Collection[str], *, valid_from: datetime, valid_until: datetime
    ) -> None:
        """:meth:`~issuer.store.status.StatusWrites.record_status_list_signatures` for token
        lists: signed again halfway; an older signature never overwrites a newer one."""
        refresh_at = valid_from + (valid_until - valid_from) / 2
        signature = TokenStatusListSignatureRow
        for list_id in sorted(list_ids):
            self._s.execute(
                _insert(self._s)(signature)
                .values(
                    list_id=list_id,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    refresh_at=refresh_at,
                )
                .on_conflict_do_update(
                    index_elements=[signature.list_id],
                    set_={
                        "valid_from": valid_from,
                        "valid_until": valid_until,
                        "refresh_at": refresh_at,
                    },
                    where=signature.valid_from <= valid_from,
                )
            )

    def insert_sd_jwt_vc(self, issued: SdJwtVc) -> None:
        self._s.add(
            SdJwtVcRow(
                id=issued.id,
                certification_id=issued.certification_id,
                credential_id=issued.credential_id,
                token_list_id=issued.slot.list_id,
                token_index=issued.slot.index,
                holder_thumbprint=issued.holder_thumbprint,
                kid=issued.kid,
                issued_at=issued.issued_at,
                expires_at=issued.expires_at,
            )
        )
        self._flush("SD-JWT VC")


def _token_list(row: TokenStatusListRow) -> TokenStatusList:
    return TokenStatusList(
        id=row.id,
        bits=row.bits,
        entries=row.entries,
        allocated=row.allocated,
        open=row.open,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _sd_jwt_vc(row: SdJwtVcRow) -> SdJwtVc:
    return SdJwtVc(
        id=row.id,
        certification_id=row.certification_id,
        credential_id=row.credential_id,
        slot=TokenSlot(row.token_list_id, row.token_index),
        holder_thumbprint=row.holder_thumbprint,
        kid=row.kid,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
    )
