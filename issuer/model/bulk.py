"""Bulk issuance (rosters): a roster row made ready for the store, and what it issued.

A roster lists people the body already examined and granted; :class:`BulkItem` records what
each external id issued, so a roster run again issues nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from issuer.model.cases import Person
from issuer.model.credentials import StatusSlot

__all__ = [
    "BulkItem",
    "RosterGrant",
]


@dataclass(frozen=True, slots=True)
class RosterGrant:
    """One roster row made ready for the store by :mod:`issuer.bulk.prepare`.

    A roster lists people the body already examined and granted (clause 9.4); each row
    becomes a *roster grant*: an application recorded as certified, a grant decision naming
    the decision-maker, the certification, and its certificate credential's status slots.
    ``person`` is the new person to register, or ``None`` when ``person_id`` names an
    existing one.
    """

    external_id: str
    row_digest: str
    person: Person | None
    person_id: str
    application_id: str
    decision_id: str
    decision_maker_id: str
    rationale: str
    certification_id: str
    certificate_number: str
    scheme_id: str
    scheme_version_id: str
    scope: tuple[str, ...]
    effective_date: date
    expiry_date: date
    credential_id: str
    valid_from: datetime
    valid_until: datetime
    revocation: StatusSlot
    suspension: StatusSlot


@dataclass(frozen=True, slots=True)
class BulkItem:
    """What an external id already issued: the idempotency record of bulk issuance."""

    external_id: str
    row_digest: str
    batch_id: str
    certification_id: str
    credential_id: str
    certificate_number: str
