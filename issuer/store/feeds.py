"""What the store tells regulators (clause 7.3.4): the public fields of certifications, page
by page or batch by batch for an export, and the changes (grants and lifecycle decisions) in
the order they were recorded. Reads only, from a keyset position; the confidential part of
a person is never joined and the reasons for decisions are never read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select

from issuer.model import (
    CertificationChange,
    CertificationStatus,
    ChangeKind,
    CredentialKind,
    LifecycleKind,
    PublicCertification,
)
from issuer.store.base import Unit
from issuer.store.tables import (
    CertificationRow,
    CertificationScopeRow,
    CredentialRow,
    LifecycleDecisionRow,
    PersonRow,
    SchemeRow,
    SchemeVersionRow,
)

__all__ = ["FeedReads"]


class FeedReads(Unit):
    """The public certifications and the changes feed."""

    # ── regulators' access (clause 7.3.4) ────────────────────────────────────────────────
    def public_certifications(
        self,
        *,
        scheme_id: str | None,
        status: CertificationStatus | None,
        changed_since: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[PublicCertification]:
        """Public fields of certifications in (created at, number) order, after the keyset
        position ``after``. Names come from ``persons``; ``person_confidential`` is never
        joined. One query for the rows, one for their scopes, one for their credentials."""
        cert = CertificationRow
        since = func.coalesce(cert.status_since, cert.created_at)
        query = (
            select(
                cert.id,
                cert.certificate_number,
                PersonRow.given_name,
                PersonRow.family_name,
                SchemeRow.code,
                SchemeVersionRow.version,
                cert.status,
                since.label("since"),
                cert.effective_date,
                cert.expiry_date,
                cert.created_at,
            )
            .join(PersonRow, PersonRow.id == cert.person_id)
            .join(SchemeRow, SchemeRow.id == cert.scheme_id)
            .join(SchemeVersionRow, SchemeVersionRow.id == cert.scheme_version_id)
            .order_by(cert.created_at, cert.certificate_number)
            .limit(limit)
        )
        if scheme_id is not None:
            query = query.where(cert.scheme_id == scheme_id)
        if status is not None:
            query = query.where(cert.status == status.value)
        if changed_since is not None:
            query = query.where(since >= changed_since)
        if after is not None:
            at, number = after
            query = query.where(
                or_(
                    cert.created_at > at,
                    and_(cert.created_at == at, cert.certificate_number > number),
                )
            )
        rows = self._s.execute(query).all()
        ids = [r.id for r in rows]
        scopes: dict[str, list[str]] = {i: [] for i in ids}
        credentials: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for certification_id, code in self._s.execute(
                select(CertificationScopeRow.certification_id, CertificationScopeRow.code)
                .where(CertificationScopeRow.certification_id.in_(ids))
                .order_by(CertificationScopeRow.code)
            ):
                scopes[certification_id].append(code)
            for certification_id, credential_id in self._s.execute(
                select(CredentialRow.certification_id, CredentialRow.id)
                .where(
                    CredentialRow.certification_id.in_(ids),
                    CredentialRow.superseded_by.is_(None),
                )
                .order_by(CredentialRow.issued_at, CredentialRow.id)
            ):
                credentials[certification_id].append(credential_id)
        return [
            PublicCertification(
                certificate_number=r.certificate_number,
                given_name=r.given_name,
                family_name=r.family_name,
                scheme_code=r.code,
                scheme_version=r.version,
                scope=tuple(scopes[r.id]),
                status=CertificationStatus(r.status),
                status_since=r.since,
                effective_date=r.effective_date,
                expiry_date=r.expiry_date,
                credential_ids=tuple(credentials[r.id]),
                position=(r.created_at, r.certificate_number),
            )
            for r in rows
        ]

    def certification_changes(
        self, *, after: tuple[datetime, int, int, str] | None, until: datetime, limit: int
    ) -> list[CertificationChange]:
        """Grants and lifecycle decisions recorded up to ``until``, after the position
        ``after``, oldest first, each with when it took effect (a grant: its certificate's
        first validity; an expiry: the end of the last valid day; any other decision: when
        it was recorded). Reasons are never read."""
        cert, decision = CertificationRow, LifecycleDecisionRow
        first_valid = (
            select(func.min(CredentialRow.valid_from))
            .where(
                CredentialRow.certification_id == cert.id,
                CredentialRow.kind == CredentialKind.CERTIFICATE.value,
            )
            .correlate(cert)
            .scalar_subquery()
        )
        grants = select(
            cert.id,
            cert.certificate_number,
            cert.created_at,
            func.coalesce(first_valid, cert.created_at).label("effective"),
        ).where(cert.created_at <= until)
        decisions = (
            select(
                decision.seq,
                decision.kind,
                decision.decided_at,
                func.coalesce(decision.effective_at, decision.decided_at).label("effective"),
                cert.certificate_number,
            )
            .join(cert, cert.id == decision.certification_id)
            .where(decision.decided_at <= until)
        )
        if after is not None:
            at, rank, seq, certification_id = after
            if rank == 0:  # after a grant: later grants at that instant, and every decision
                grants = grants.where(
                    or_(
                        cert.created_at > at,
                        and_(cert.created_at == at, cert.id > certification_id),
                    )
                )
                decisions = decisions.where(decision.decided_at >= at)
            else:  # after a decision: later decisions at that instant, and no grant
                grants = grants.where(cert.created_at > at)
                decisions = decisions.where(
                    or_(
                        decision.decided_at > at,
                        and_(decision.decided_at == at, decision.seq > seq),
                    )
                )
        found = [
            CertificationChange(
                certificate_number=number,
                kind=ChangeKind.GRANTED,
                effective_at=effective,
                recorded_at=at,
                position=(at, 0, 0, certification_id),
            )
            for certification_id, number, at, effective in self._s.execute(
                grants.order_by(cert.created_at, cert.id).limit(limit)
            )
        ]
        found += [
            CertificationChange(
                certificate_number=number,
                kind=ChangeKind.of(LifecycleKind(kind)),
                effective_at=effective,
                recorded_at=at,
                position=(at, 1, int(seq), ""),
            )
            for seq, kind, at, effective, number in self._s.execute(
                decisions.order_by(decision.decided_at, decision.seq).limit(limit)
            )
        ]
        # A stable sort on (instant, grant first, sequence): grants at one instant keep the
        # database's order of their ids, the order its keyset condition compares in.
        found.sort(key=lambda c: c.position[:3])
        return found[:limit]
