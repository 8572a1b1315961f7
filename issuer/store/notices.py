"""Notices owed to persons, in the store: queued with a decision, claimed by one sender at a
time with one conditional UPDATE, finished only by the claim that holds them.

A claim sets ``state`` to ``sending``, counts the attempt and sets ``next_attempt_at`` to
the end of its lease; a sender that dies mid-way leaves the row to be claimed again once
the lease has ended. The attempt number is the claim's generation: a sender finishes a
notice only while its own claim still holds it, so a slow sender whose lease was taken over
cannot overwrite the newer claim's outcome.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update

from issuer.model import NoticeState, PersonNotice
from issuer.store.base import Unit, _columns
from issuer.store.tables import PersonNoticeRow

__all__ = ["NoticeReads", "NoticeWrites", "notice_row", "to_notice"]

_CLAIMABLE = (NoticeState.QUEUED, NoticeState.FAILED_RETRYING, NoticeState.SENDING)


def to_notice(row: PersonNoticeRow) -> PersonNotice:
    fields = _columns(row)
    fields["state"] = NoticeState(row.state)
    fields["facts"] = json.loads(row.facts)
    return PersonNotice(**fields)


def notice_row(notice: PersonNotice) -> dict[str, Any]:
    """The row's values of ``notice`` (also what bulk issuance inserts many of at once)."""
    return {
        "id": notice.id,
        "person_id": notice.person_id,
        "kind": notice.kind,
        "subject_id": notice.subject_id,
        "created_at": notice.created_at,
        "sent_at": notice.sent_at,
        "sent_by": notice.sent_by,
        "state": notice.state.value,
        "attempts": notice.attempts,
        "next_attempt_at": notice.next_attempt_at,
        "last_error": notice.last_error,
        "language": notice.language,
        "facts": json.dumps(dict(notice.facts or {}), ensure_ascii=False, sort_keys=True),
        "secret_url": notice.secret_url,
    }


class NoticeReads(Unit):
    """Notices by id, by state (staff's lists), due for the sender, or about given subjects."""

    def get_person_notice(self, notice_id: str) -> PersonNotice | None:
        row = self._s.get(PersonNoticeRow, notice_id)
        return None if row is None else to_notice(row)

    def notices_in_states(
        self, states: Collection[NoticeState], *, limit: int, offset: int
    ) -> tuple[list[PersonNotice], int]:
        """A page of the notices in ``states``, oldest first, and how many there are."""
        where = PersonNoticeRow.state.in_([s.value for s in states])
        total = self._s.scalar(select(func.count()).select_from(PersonNoticeRow).where(where))
        rows = self._s.scalars(
            select(PersonNoticeRow)
            .where(where)
            .order_by(PersonNoticeRow.created_at, PersonNoticeRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [to_notice(r) for r in rows], int(total or 0)

    def due_notice_ids(self, *, now: datetime, limit: int) -> list[str]:
        """Notices a sender may claim now: waiting ones whose time has come, and claims whose
        lease has ended. Earliest first, so none waits behind newer ones."""
        return list(
            self._s.scalars(
                select(PersonNoticeRow.id)
                .where(
                    PersonNoticeRow.state.in_([s.value for s in _CLAIMABLE]),
                    PersonNoticeRow.next_attempt_at <= now,
                )
                .order_by(PersonNoticeRow.next_attempt_at, PersonNoticeRow.id)
                .limit(limit)
            )
        )

    def notices_about(self, kind: str, subject_ids: Collection[str]) -> list[PersonNotice]:
        """The notices of ``kind`` about any of ``subject_ids`` (a due job asks which it
        already queued)."""
        if not subject_ids:
            return []
        rows = self._s.scalars(
            select(PersonNoticeRow).where(
                PersonNoticeRow.kind == kind,
                self._among(PersonNoticeRow.subject_id, subject_ids),
            )
        )
        return [to_notice(r) for r in rows]


class NoticeWrites(Unit):
    """Notices queued, claimed, finished, retried and marked sent by hand."""

    def insert_person_notice(self, notice: PersonNotice) -> None:
        self._s.add(PersonNoticeRow(**notice_row(notice)))
        self._flush("person notice")

    def lock_person_notice(self, notice_id: str) -> PersonNotice | None:
        row = self._s.get(PersonNoticeRow, notice_id, with_for_update=True)
        return None if row is None else to_notice(row)

    def claim_notice(
        self, notice_id: str, *, now: datetime, lease_until: datetime
    ) -> PersonNotice | None:
        """Claim one due notice for sending: one conditional UPDATE, so of two senders only
        one gets it. ``None`` when it is not (or no longer) due."""
        result: CursorResult[Any] = self._s.execute(  # type: ignore[assignment]
            update(PersonNoticeRow)
            .where(
                PersonNoticeRow.id == notice_id,
                PersonNoticeRow.state.in_([s.value for s in _CLAIMABLE]),
                PersonNoticeRow.next_attempt_at <= now,
            )
            .values(
                state=NoticeState.SENDING.value,
                attempts=PersonNoticeRow.attempts + 1,
                next_attempt_at=lease_until,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        row = self._s.get(PersonNoticeRow, notice_id, populate_existing=True)
        return None if row is None else to_notice(row)

    def finish_notice(
        self,
        notice_id: str,
        *,
        attempt: int,
        state: NoticeState,
        sent_at: datetime | None = None,
        next_attempt_at: datetime | None = None,
        last_error: str | None = None,
    ) -> bool:
        """Record how claim number ``attempt`` ended; ``False`` when that claim no longer
        holds the notice (its lease ended and another sender took it over). A sent or dead
        notice's one-time link is wiped in the same UPDATE."""
        values: dict[str, Any] = {
            "state": state.value,
            "next_attempt_at": next_attempt_at,
            "last_error": last_error,
        }
        if sent_at is not None:
            values["sent_at"] = sent_at
        if state in (NoticeState.SENT, NoticeState.DEAD):
            values["secret_url"] = None
        result: CursorResult[Any] = self._s.execute(  # type: ignore[assignment]
            update(PersonNoticeRow)
            .where(
                PersonNoticeRow.id == notice_id,
                PersonNoticeRow.state == NoticeState.SENDING.value,
                PersonNoticeRow.attempts == attempt,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)

    def requeue_notice(self, notice_id: str, *, now: datetime) -> None:
        """Put a locked notice back in the queue for a fresh round of attempts."""
        self._s.execute(
            update(PersonNoticeRow)
            .where(PersonNoticeRow.id == notice_id)
            .values(
                state=NoticeState.QUEUED.value,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )

    def mark_notice_sent(self, notice_id: str, *, at: datetime, by: str) -> None:
        """Staff sent a locked notice by hand: it is sent, and its one-time link wiped."""
        self._s.execute(
            update(PersonNoticeRow)
            .where(PersonNoticeRow.id == notice_id)
            .values(
                sent_at=at,
                sent_by=by,
                state=NoticeState.SENT.value,
                next_attempt_at=None,
                secret_url=None,
            )
            .execution_options(synchronize_session=False)
        )
