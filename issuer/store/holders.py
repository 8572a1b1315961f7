"""Certified persons' own access in the store: sign-in links, sessions, and what a person's
pages read about them (their certifications, the decisions they may appeal, their appeals).

A link is used by one conditional update (unused, unexpired, this id): of two requests that
present it at once, exactly one changes the row, and only that one opens a session. Only
digests of secrets are stored; e-mail addresses are read here to find whom a link is for and
never written anywhere else.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from issuer.model import (
    Appeal,
    AppealedKind,
    Certification,
    DecisionAbout,
    HolderSession,
    NoticeState,
    SignInLink,
    SignInVia,
)
from issuer.store.appeals import _appeal
from issuer.store.base import Unit, _columns, _fields
from issuer.store.certifications import _certification
from issuer.store.tables import (
    AppealRow,
    ApplicationRow,
    CertificationRow,
    DecisionRow,
    HolderSessionRow,
    LifecycleDecisionRow,
    PersonConfidentialRow,
    PersonNoticeRow,
    PersonRow,
    SignInLinkRow,
)

__all__ = ["HolderReads", "HolderWrites"]


def _link(row: SignInLinkRow) -> SignInLink:
    fields = _columns(row)
    fields["via"] = SignInVia(row.via)
    return SignInLink(**fields)


class HolderReads(Unit):
    """Links, sessions and a person's own records, read."""

    def persons_with_email(self, addresses: Sequence[str], *, limit: int = 5) -> list[str]:
        """The ids of the persons whose e-mail address on record is one of ``addresses``."""
        return list(
            self._s.scalars(
                select(PersonConfidentialRow.person_id)
                .where(PersonConfidentialRow.email.in_(list(addresses)))
                .order_by(PersonConfidentialRow.person_id)
                .limit(limit)
            )
        )

    def get_sign_in_link(self, link_id: str) -> SignInLink | None:
        row = self._s.get(SignInLinkRow, link_id)
        return None if row is None else _link(row)

    def sign_in_links_since(self, person_id: str, since: datetime, via: SignInVia) -> int:
        """How many links of ``via`` were made for the person from ``since`` on."""
        return int(
            self._s.scalar(
                select(func.count())
                .select_from(SignInLinkRow)
                .where(
                    SignInLinkRow.person_id == person_id,
                    SignInLinkRow.created_at >= since,
                    SignInLinkRow.via == via.value,
                )
            )
            or 0
        )

    def get_holder_session(self, session_id: str) -> HolderSession | None:
        row = self._s.get(HolderSessionRow, session_id)
        return None if row is None else HolderSession(**_columns(row))

    def certifications_of_person(self, person_id: str) -> list[Certification]:
        rows = self._s.scalars(
            select(CertificationRow)
            .where(CertificationRow.person_id == person_id)
            .order_by(CertificationRow.created_at, CertificationRow.certificate_number)
        ).all()
        return [_certification(self._s, r) for r in rows]

    def decisions_about(self, person_id: str) -> list[DecisionAbout]:
        """The certification decisions on the person's applications and the lifecycle
        decisions a staff member took on their certifications, oldest first."""
        found = [
            DecisionAbout(
                kind=AppealedKind.DECISION,
                id=d_id,
                what=outcome,
                decided_at=at,
                certificate_number=number,
            )
            for d_id, outcome, at, number in self._s.execute(
                select(
                    DecisionRow.id,
                    DecisionRow.outcome,
                    DecisionRow.decided_at,
                    CertificationRow.certificate_number,
                )
                .join(ApplicationRow, ApplicationRow.id == DecisionRow.application_id)
                .outerjoin(CertificationRow, CertificationRow.decision_id == DecisionRow.id)
                .where(ApplicationRow.person_id == person_id)
            )
        ]
        found += [
            DecisionAbout(
                kind=AppealedKind.LIFECYCLE_DECISION,
                id=d_id,
                what=kind,
                decided_at=at,
                certificate_number=number,
            )
            for d_id, kind, at, number in self._s.execute(
                select(
                    LifecycleDecisionRow.id,
                    LifecycleDecisionRow.kind,
                    LifecycleDecisionRow.decided_at,
                    CertificationRow.certificate_number,
                )
                .join(
                    CertificationRow, CertificationRow.id == LifecycleDecisionRow.certification_id
                )
                .where(
                    CertificationRow.person_id == person_id,
                    LifecycleDecisionRow.decided_by.is_not(None),
                )
                .order_by(LifecycleDecisionRow.seq)
            )
        ]
        # Stable: at one instant a grant comes before what was decided on its certification.
        return sorted(
            found, key=lambda d: (d.decided_at, d.kind is AppealedKind.LIFECYCLE_DECISION)
        )

    def appeals_of_person(self, person_id: str) -> list[Appeal]:
        rows = self._s.scalars(
            select(AppealRow)
            .where(AppealRow.person_id == person_id)
            .order_by(AppealRow.received_at, AppealRow.id)
        )
        return [_appeal(r) for r in rows]


class HolderWrites(Unit):
    """Links and sessions written; a link used and a session ended by conditional updates;
    a person's directory choice."""

    def insert_sign_in_link(self, link: SignInLink) -> None:
        fields = _fields(link)
        fields["via"] = link.via.value
        self._s.add(SignInLinkRow(**fields))
        self._flush("sign-in link")

    def use_sign_in_link(self, link_id: str, *, now: datetime) -> bool:
        """Mark the link used at ``now`` if it is unused and unexpired; whether this call
        did (of two at once, one does)."""
        result = self._s.execute(
            update(SignInLinkRow)
            .where(
                SignInLinkRow.id == link_id,
                SignInLinkRow.used_at.is_(None),
                SignInLinkRow.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def expire_sign_in_links(
        self,
        person_id: str,
        *,
        now: datetime,
        via: SignInVia,
        notice_kind: str,
        sparing: Collection[NoticeState],
    ) -> int:
        """End at ``now`` every unused, unexpired link of ``via`` for the person, but those
        whose notice (of ``notice_kind``) is in one of the ``sparing`` states: one
        conditional UPDATE; how many it ended."""
        waiting = select(PersonNoticeRow.subject_id).where(
            PersonNoticeRow.person_id == person_id,
            PersonNoticeRow.kind == notice_kind,
            PersonNoticeRow.state.in_([s.value for s in sparing]),
        )
        result = self._s.execute(
            update(SignInLinkRow)
            .where(
                SignInLinkRow.person_id == person_id,
                SignInLinkRow.via == via.value,
                SignInLinkRow.used_at.is_(None),
                SignInLinkRow.expires_at > now,
                SignInLinkRow.id.not_in(waiting),
            )
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def insert_holder_session(self, session: HolderSession) -> None:
        self._s.add(HolderSessionRow(**_fields(session)))
        self._flush("session")

    def end_holder_session(self, session_id: str, *, now: datetime) -> bool:
        result = self._s.execute(
            update(HolderSessionRow)
            .where(HolderSessionRow.id == session_id, HolderSessionRow.ended_at.is_(None))
            .values(ended_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def end_holder_sessions_of(self, person_id: str, *, now: datetime) -> int:
        """End at ``now`` every open, unexpired session of the person: one conditional
        UPDATE; how many it ended."""
        result = self._s.execute(
            update(HolderSessionRow)
            .where(
                HolderSessionRow.person_id == person_id,
                HolderSessionRow.ended_at.is_(None),
                HolderSessionRow.expires_at > now,
            )
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def set_directory_consent(self, person_id: str, consent: bool) -> bool:
        """Record the person's choice about the public directory; whether it changed."""
        result = self._s.execute(
            update(PersonRow)
            .where(PersonRow.id == person_id, PersonRow.directory_consent.is_not(consent))
            .values(directory_consent=consent)
        )
        return bool(getattr(result, "rowcount", 0))
