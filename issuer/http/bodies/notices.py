"""What the back office answers about notices owed to persons (never the one-time link a
notice may carry, nor the person's address)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from issuer.http.bodies.common import _Out
from issuer.model import NoticeState, PersonNotice
from issuer.process.notices import NoticePage

__all__ = ["NoticeOut", "NoticePageOut"]


class NoticeOut(_Out):
    id: str
    person_id: str
    kind: str = Field(description="what the notice tells the person: granted, suspended, …")
    subject_id: str = Field(description="what it tells about: a certification, a decision, …")
    state: NoticeState
    attempts: int
    next_attempt_at: datetime | None = Field(
        description="when the sender tries next (for a notice being sent: when its claim lapses)"
    )
    last_error: str | None = Field(description="why the last attempt failed, in short")
    language: str
    facts: dict[str, str] = Field(description="what the message says")
    created_at: datetime
    sent_at: datetime | None
    sent_by: str | None = Field(description="the staff member who sent it by hand, if one did")

    @classmethod
    def of(cls, notice: PersonNotice) -> NoticeOut:
        return cls(
            id=notice.id,
            person_id=notice.person_id,
            kind=notice.kind,
            subject_id=notice.subject_id,
            state=notice.state,
            attempts=notice.attempts,
            next_attempt_at=notice.next_attempt_at,
            last_error=notice.last_error,
            language=notice.language,
            facts=dict(notice.facts or {}),
            created_at=notice.created_at,
            sent_at=notice.sent_at,
            sent_by=notice.sent_by,
        )


class NoticePageOut(_Out):
    notices: list[NoticeOut]
    total: int = Field(description="how many notices match, on every page")
    limit: int
    offset: int

    @classmethod
    def of(cls, page: NoticePage, *, limit: int, offset: int) -> NoticePageOut:
        return cls(
            notices=[NoticeOut.of(n) for n in page.notices],
            total=page.total,
            limit=limit,
            offset=offset,
        )
