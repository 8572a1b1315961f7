"""Regulators' access (clause 7.3.4): what a regulator reads, and what is kept of it.

The register's public fields of a certification, the change feed, the disclosure of a
confidential field with its legal basis, and the
log of every request a regulator made.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from issuer.model.certifications import CertificationStatus, LifecycleKind

__all__ = [
    "CertificationChange",
    "ChangeKind",
    "ConfidentialField",
    "Disclosure",
    "PublicCertification",
    "RegulatorRequest",
]


class ChangeKind(enum.StrEnum):
    """What happened to a certification, as the regulators' change feed names it."""

    GRANTED = "granted"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    WITHDRAWN = "withdrawn"
    SCOPE_CHANGED = "scope-changed"
    RECERTIFIED = "recertified"
    EXPIRED = "expired"

    @classmethod
    def of(cls, kind: LifecycleKind) -> ChangeKind:
        return _CHANGE_OF[kind]


_CHANGE_OF = {
    LifecycleKind.SUSPEND: ChangeKind.SUSPENDED,
    LifecycleKind.REINSTATE: ChangeKind.REINSTATED,
    LifecycleKind.WITHDRAW: ChangeKind.WITHDRAWN,
    LifecycleKind.SCOPE: ChangeKind.SCOPE_CHANGED,
    LifecycleKind.RECERTIFY: ChangeKind.RECERTIFIED,
    LifecycleKind.EXPIRE: ChangeKind.EXPIRED,
}


class ConfidentialField(enum.StrEnum):
    """The fields of :class:`PersonConfidential` a regulator may ask to have disclosed."""

    DATE_OF_BIRTH = "date_of_birth"
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"
    IDENTITY_DOCUMENT_REF = "identity_document_ref"


@dataclass(frozen=True, slots=True)
class PublicCertification:
    """A certification as a regulator sees it: the register's public fields (7.2.1) only.

    ``position`` is where it sits in the listing order, for keyset pagination.
    """

    certificate_number: str
    given_name: str
    family_name: str
    scheme_code: str
    scheme_version: int
    scope: tuple[str, ...]
    status: CertificationStatus
    status_since: datetime
    effective_date: date
    expiry_date: date
    credential_ids: tuple[str, ...]
    position: tuple[datetime, str]


@dataclass(frozen=True, slots=True)
class CertificationChange:
    """One entry of the change feed: a grant or a lifecycle decision, never its reason.

    ``position`` orders the feed: (recorded at, 0 for a grant or 1 for a decision, the
    decision's sequence number, the certification id of a grant).
    """

    certificate_number: str
    kind: ChangeKind
    effective_at: datetime
    recorded_at: datetime
    position: tuple[datetime, int, int, str]


@dataclass(frozen=True, slots=True)
class Disclosure:
    """A release of one confidential field (7.3.4). The value itself is not kept here."""

    id: str
    certification_id: str
    person_id: str
    field: ConfidentialField
    legal_basis: str
    reference: str | None
    token_id: str
    disclosed_at: datetime


@dataclass(frozen=True, slots=True)
class RegulatorRequest:
    """One logged request under ``/regulator/v1`` (no body is ever logged)."""

    token_id: str | None
    staff_id: str | None
    method: str
    path: str
    query: str
    status: int
    at: datetime
