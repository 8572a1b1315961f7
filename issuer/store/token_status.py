"""Token Status Lists and SD-JWT VCs in the store: the 2-bit lists, the one slot per
certificate credential, the signatures the lists were last published with, and the record
of every SD-JWT VC issued.

The lists, slots and signatures are the 2-bit mechanism of :mod:`~issuer.store.two_bit`
bound to this family's tables (:data:`TOKEN_TABLES`); each method here is that mechanism
under the name the issuer's code calls it by. The SD-JWT VC records are this family's own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select

from issuer.model import SdJwtVc, StatusSlot, TokenSlot, TokenStatusList
from issuer.store.base import Unit
from issuer.store.tables import (
    SdJwtVcRow,
    TokenStatusListRow,
    TokenStatusListSignatureRow,
    TokenStatusSlotRow,
)
from issuer.store.two_bit import TwoBitLists, TwoBitTables

__all__ = ["TOKEN_STATUS_LIST_KIND", "TOKEN_TABLES", "TokenStatusReads", "TokenStatusWrites"]

TOKEN_STATUS_LIST_KIND = "token-status-list"  # noqa: S105 - a document kind
"""The outbox kind of a Token Status List (``schemas.publication.DocumentKind``)."""

TOKEN_TABLES = TwoBitTables(
    what="token status list",
    kind=TOKEN_STATUS_LIST_KIND,
    lists=TokenStatusListRow,
    slots=TokenStatusSlotRow,
    signatures=TokenStatusListSignatureRow,
    list_type=TokenStatusList,
    slot_type=TokenSlot,
)


class TokenStatusReads(Unit):
    """Token Status Lists, their slots and the SD-JWT VCs issued, read."""

    def get_token_status_list(self, list_id: str) -> TokenStatusList | None:
        return TwoBitLists(self._s, TOKEN_TABLES).get_list(list_id)

    def token_slot_of(self, credential_id: str) -> TokenSlot | None:
        """The token slot of a certificate credential, if an SD-JWT VC claimed one."""
        return TwoBitLists(self._s, TOKEN_TABLES).slot_of(credential_id)

    def token_slot_holder(self, slot: StatusSlot) -> tuple[str, TokenSlot] | None:
        """:meth:`~issuer.store.two_bit.TwoBitLists.holder` among the token slots."""
        return TwoBitLists(self._s, TOKEN_TABLES).holder(slot)

    def token_slot_value(self, slot: TokenSlot) -> int | None:
        return TwoBitLists(self._s, TOKEN_TABLES).value(slot)

    def set_token_slots(self, list_id: str) -> list[tuple[int, int]]:
        """``(index, value)`` of every slot of a token list whose value is not 0."""
        return TwoBitLists(self._s, TOKEN_TABLES).set_slots(list_id)

    def token_status_list_ids(self) -> list[str]:
        return TwoBitLists(self._s, TOKEN_TABLES).list_ids()

    def lapsing_token_status_lists(self, now: datetime, limit: int) -> list[str]:
        """:meth:`~issuer.store.status.StatusReads.lapsing_status_lists` for token lists."""
        return TwoBitLists(self._s, TOKEN_TABLES).lapsing(now, limit)

    def sd_jwt_vcs_of(self, certification_id: str) -> list[SdJwtVc]:
        rows = self._s.scalars(
            select(SdJwtVcRow)
            .where(SdJwtVcRow.certification_id == certification_id)
            .order_by(SdJwtVcRow.issued_at, SdJwtVcRow.id)
        )
        return [_sd_jwt_vc(r) for r in rows]


class TokenStatusWrites(Unit):
    """Token Status Lists, their slots and the SD-JWT VCs issued, written."""

    @property
    def token_lists(self) -> TwoBitLists[TokenStatusList, TokenSlot]:
        """The Token Status Lists as one family of the 2-bit mechanism, for the code that
        claims and follows slots in either family alike (:mod:`issuer.credentials.two_bit`)."""
        return TwoBitLists(self._s, TOKEN_TABLES)

    def open_token_status_list(self, bits: int, entries: int) -> TokenStatusList | None:
        """The oldest open token list of this shape, locked until the transaction ends."""
        return self.token_lists.open_list(bits, entries)

    def insert_token_status_list(self, token_list: TokenStatusList) -> None:
        self.token_lists.insert_list(token_list)

    def claim_token_slot(
        self, *, list_id: str, index: int, credential_id: str, value: int, at: datetime
    ) -> bool:
        """Take a slot if nobody ever took it; ``False`` if it was taken (never reused).
        The caller holds the certification's lock, so the credential has no slot yet."""
        return self.token_lists.claim(
            list_id=list_id, index=index, credential_id=credential_id, value=value, at=at
        )

    def count_token_allocation(self, list_id: str, *, close_at: int) -> None:
        self.token_lists.count_allocation(list_id, close_at=close_at)

    def close_token_status_list(self, list_id: str) -> None:
        self.token_lists.close(list_id)

    def set_token_slot_value(self, slot: TokenSlot, value: int, at: datetime) -> bool:
        """Set a token slot's value; whether it changed (and then the list's version grows)."""
        return self.token_lists.set_value(slot, value, at)

    def record_token_status_list_signatures(
        self, list_ids: Collection[str], *, valid_from: datetime, valid_until: datetime
    ) -> None:
        """:meth:`~issuer.store.status.StatusWrites.record_status_list_signatures` for token
        lists: signed again halfway; an older signature never overwrites a newer one."""
        self.token_lists.record_signatures(list_ids, valid_from=valid_from, valid_until=valid_until)

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
