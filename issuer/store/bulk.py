"""Bulk issuance (rosters) in the store: what each external id of a roster already issued
(with the evidence it was granted on), and a chunk's rows made ahead of its transaction
(:func:`roster_grant_rows`, :func:`slot_claim_rows`, :func:`with_credential_jws`): plain
tuples, which a bulk run may hand to its writing process, inserted by
:meth:`~issuer.store.Tx.insert_rows`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from issuer.model import (
    ApplicationState,
    BulkItem,
    CertificationStatus,
    CredentialKind,
    DecisionOutcome,
    PersonConfidential,
    RosterEvidence,
    RosterGrant,
    StatusSlot,
    SurveillanceDue,
    SurveillanceState,
)
from issuer.store.base import Unit
from issuer.store.load import TableRows
from issuer.store.notices import notice_row
from issuer.store.tables import (
    ApplicationRow,
    ApplicationScopeRow,
    BulkItemRow,
    CertificationRow,
    CertificationScopeRow,
    CredentialRow,
    DecisionRow,
    PersonConfidentialRow,
    PersonNoticeRow,
    PersonRow,
    StatusSlotRow,
    SurveillanceDueRow,
)

__all__ = [
    "BulkReads",
    "roster_grant_rows",
    "slot_claim_rows",
    "surveillance_due_rows",
    "with_credential_jws",
]


class BulkReads(Unit):
    """What a roster's rows already issued."""

    def bulk_items(self, external_ids: Collection[str]) -> dict[str, BulkItem]:
        """What each of ``external_ids`` already issued (those never issued are absent)."""
        if not external_ids:
            return {}
        rows = self._s.execute(
            select(
                BulkItemRow.external_id,
                BulkItemRow.row_digest,
                BulkItemRow.batch_id,
                BulkItemRow.certification_id,
                BulkItemRow.credential_id,
                CertificationRow.certificate_number,
            )
            .join(CertificationRow, CertificationRow.id == BulkItemRow.certification_id)
            .where(self._among(BulkItemRow.external_id, external_ids))
        )
        return {r[0]: BulkItem(*r) for r in rows}

    def roster_evidence(self, certification_id: str) -> RosterEvidence | None:
        """The evidence a roster grant rests on, as its row gave it (``None`` for a
        certification not issued from a roster, or issued before rows carried evidence)."""
        row = self._s.execute(
            select(
                BulkItemRow.exam_provider,
                BulkItemRow.examined_on,
                BulkItemRow.exam_result,
                BulkItemRow.identity_checked,
                BulkItemRow.nda_accepted,
                BulkItemRow.examiner_id,
            ).where(BulkItemRow.certification_id == certification_id)
        ).first()
        if row is None:
            return None
        provider, examined, result, identity, nda, examiner = row
        if provider is None or examined is None:
            return None
        return RosterEvidence(
            exam_provider=provider,
            examined_on=examined,
            exam_result=result or "",
            identity_checked=bool(identity),
            nda_accepted=bool(nda),
            examiner_id=examiner,
        )

    def batch_items(self, batch_id: str, chunk: int) -> list[BulkItem]:
        """The items one chunk of a batch issued, in external id order (for audit checks)."""
        rows = self._s.execute(
            select(
                BulkItemRow.external_id,
                BulkItemRow.row_digest,
                BulkItemRow.batch_id,
                BulkItemRow.certification_id,
                BulkItemRow.credential_id,
                CertificationRow.certificate_number,
            )
            .join(CertificationRow, CertificationRow.id == BulkItemRow.certification_id)
            .where(BulkItemRow.batch_id == batch_id, BulkItemRow.chunk == chunk)
            .order_by(BulkItemRow.external_id)
        )
        return [BulkItem(*r) for r in rows]


def surveillance_due_rows(items: Sequence[SurveillanceDue]) -> TableRows:
    """Surveillance items scheduled, open, as rows (see :meth:`Tx.insert_surveillance_due`):
    a bulk chunk schedules its grants' surveillance in one multi-row insert."""
    due = SurveillanceState.DUE.value
    return TableRows(
        SurveillanceDueRow.__tablename__,
        ("certification_id", "activity_code", "due_on", "late_after", "state"),
        [(i.certification_id, i.activity_code, i.due_on, i.late_after, due) for i in items],
    )


def slot_claim_rows(claims: Sequence[tuple[StatusSlot, str, str]], at: datetime) -> TableRows:
    """Status slots taken, ``(slot, certification_id, credential_id)`` each, as rows (see
    :meth:`Tx.claim_slots`)."""
    return TableRows(
        StatusSlotRow.__tablename__,
        ("list_id", "idx", "certification_id", "credential_id", "value", "allocated_at"),
        [(s.list_id, s.index, c, k, 0, at) for s, c, k in claims],
    )


def roster_grant_rows(
    grants: Sequence[RosterGrant],
    jws: Sequence[str],
    *,
    kid: str,
    batch_id: str,
    chunk: int,
    at: datetime,
) -> list[TableRows]:
    """A chunk of roster grants with their signed credentials as rows, table by table, in
    the order :meth:`Tx.insert_rows` must insert them (parents first).

    Plain tuples of plain values: a bulk run may hand them to a writing process
    (:mod:`issuer.bulk.writes`), and pickling a tuple costs a fraction of a dataclass.
    The caller claims the slots (:func:`slot_claim_rows`, after these) and appends the
    audit entry; a second use of an external id breaks the primary key of ``bulk_items``
    and raises :class:`Duplicate`, so a racing rerun cannot issue a row twice.
    """
    rows: list[TableRows] = []

    def add(row: Any, columns: Sequence[str], values: list[tuple[Any, ...]]) -> None:
        rows.append(TableRows(row.__tablename__, tuple(columns), values))

    certified = ApplicationState.CERTIFIED.value
    new_persons = [g.person for g in grants if g.person is not None]
    add(
        PersonRow,
        (
            "id",
            "given_name",
            "family_name",
            "public_notice_version",
            "notice_given_at",
            "directory_consent",
            "created_at",
        ),
        [
            (
                p.id,
                p.given_name,
                p.family_name,
                p.public_notice_version,
                p.notice_given_at,
                p.directory_consent,
                p.created_at,
            )
            for p in new_persons
        ],
    )
    add(
        PersonConfidentialRow,
        ("person_id", *PersonConfidential.__slots__),
        [
            (p.id, *(getattr(p.confidential, f) for f in PersonConfidential.__slots__))
            for p in new_persons
        ],
    )
    add(
        ApplicationRow,
        (
            "id",
            "person_id",
            "scheme_id",
            "scheme_version_id",
            "state",
            "submitted_at",
            "submitted_by",
            "closed_at",
            "closed_by",
        ),
        [
            (
                g.application_id,
                g.person_id,
                g.scheme_id,
                g.scheme_version_id,
                certified,
                at,
                g.decision_maker_id,
                at,
                g.decision_maker_id,
            )
            for g in grants
        ],
    )
    add(
        ApplicationScopeRow,
        ("application_id", "code"),
        [(g.application_id, c) for g in grants for c in g.scope],
    )
    add(
        DecisionRow,
        ("id", "application_id", "decision_maker_id", "outcome", "rationale", "decided_at"),
        [
            (
                g.decision_id,
                g.application_id,
                g.decision_maker_id,
                DecisionOutcome.GRANT.value,
                g.rationale,
                at,
            )
            for g in grants
        ],
    )
    add(
        CertificationRow,
        (
            "id",
            "certificate_number",
            "person_id",
            "scheme_id",
            "scheme_version_id",
            "application_id",
            "decision_id",
            "status",
            "effective_date",
            "expiry_date",
            "created_at",
            "original_certification_date",
        ),
        [
            (
                g.certification_id,
                g.certificate_number,
                g.person_id,
                g.scheme_id,
                g.scheme_version_id,
                g.application_id,
                g.decision_id,
                CertificationStatus.ACTIVE.value,
                g.effective_date,
                g.expiry_date,
                at,
                g.effective_date,
            )
            for g in grants
        ],
    )
    add(
        CertificationScopeRow,
        ("certification_id", "code"),
        [(g.certification_id, c) for g in grants for c in g.scope],
    )
    add(
        CredentialRow,
        (
            "id",
            "certification_id",
            "kind",
            "kid",
            "jws",
            "valid_from",
            "valid_until",
            "revocation_list_id",
            "revocation_index",
            "suspension_list_id",
            "suspension_index",
            "issued_at",
        ),
        [
            (
                g.credential_id,
                g.certification_id,
                CredentialKind.CERTIFICATE.value,
                kid,
                token,
                g.valid_from,
                g.valid_until,
                g.revocation.list_id,
                g.revocation.index,
                g.suspension.list_id,
                g.suspension.index,
                at,
            )
            for g, token in zip(grants, jws, strict=True)
        ],
    )
    add(
        BulkItemRow,
        (
            "external_id",
            "row_digest",
            "batch_id",
            "chunk",
            "certification_id",
            "credential_id",
            "issued_at",
            "exam_provider",
            "examined_on",
            "exam_result",
            "identity_checked",
            "nda_accepted",
            "examiner_id",
        ),
        [
            (
                g.external_id,
                g.row_digest,
                batch_id,
                chunk,
                g.certification_id,
                g.credential_id,
                at,
                e.exam_provider,
                e.examined_on,
                e.exam_result,
                e.identity_checked,
                e.nda_accepted,
                e.examiner_id,
            )
            for g in grants
            for e in (g.evidence,)
        ],
    )
    notice_columns = tuple(notice_row(grants[0].notice)) if grants else ()
    add(
        PersonNoticeRow,
        notice_columns,
        [tuple(notice_row(g.notice).values()) for g in grants],
    )
    return rows


def with_credential_jws(
    rows: Sequence[TableRows], start: int, jws: Sequence[str]
) -> list[TableRows]:
    """``rows`` of :func:`roster_grant_rows` with the credentials from the ``start``-th on
    given their ``jws``: a bulk run may leave the last credentials of a chunk for its
    writing process to sign (:mod:`issuer.bulk.writes`)."""
    done = []
    for table in rows:
        if table.table == CredentialRow.__tablename__:
            column = table.columns.index("jws")
            signed = [
                (*row[:column], token, *row[column + 1 :])
                for row, token in zip(table.values[start:], jws, strict=True)
            ]
            table = replace(table, values=table.values[:start] + signed)
        done.append(table)
    return done
