"""Bulk issuance (rosters): a roster row made ready for the store, what it issued, the
evidence it was granted on, and rosters prepared by one person for a decision-maker to grant.

A roster lists people the body examined; :class:`RosterEvidence` is what each row says of
that examination (clauses 9.3, 7.4.4), kept beside what the row issued. :class:`BulkItem`
records what each external id issued, so a roster run again issues nothing twice.
:class:`PreparedRoster` and :class:`PreparedRosterRow` are a roster recorded by a registrar
(or a decision-maker) and waiting for another decision-maker's approval, which grants it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from issuer.model.cases import Person
from issuer.model.credentials import StatusSlot
from issuer.model.notices import PersonNotice

__all__ = [
    "BulkItem",
    "PreparedRoster",
    "PreparedRosterRow",
    "RosterEvidence",
    "RosterGrant",
    "RosterState",
]


@dataclass(frozen=True, slots=True)
class RosterEvidence:
    """What a roster row says the grant rests on (clauses 9.3, 7.4.4): who examined the
    person and when, the result, and that identity was checked and the NDA accepted.
    ``examiner_id`` is the body's own examiner, when one of its staff examined."""

    exam_provider: str
    examined_on: date
    exam_result: str
    identity_checked: bool
    nda_accepted: bool
    examiner_id: str | None = None


@dataclass(frozen=True, slots=True)
class RosterGrant:
    """One roster row made ready for the store by :mod:`issuer.bulk.prepare`.

    A roster lists people the body examined, granted by one decision-maker (clause 9.4);
    each row becomes a *roster grant*: an application recorded as certified, a grant decision naming
    the decision-maker, the certification, and its certificate credential's status slots.
    ``person`` is the new person to register, or ``None`` when ``person_id`` names an
    existing one. ``risk_id`` names the impartiality risks whose approved measure lets the
    decision-maker grant despite a conflict they declared with the person (clause 4.3).
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
    evidence: RosterEvidence
    notice: PersonNotice
    """The person's notice of the grant, inserted with the chunk's rows."""
    risk_id: str | None = None


@dataclass(frozen=True, slots=True)
class BulkItem:
    """What an external id already issued: the idempotency record of bulk issuance."""

    external_id: str
    row_digest: str
    batch_id: str
    certification_id: str
    credential_id: str
    certificate_number: str


class RosterState(enum.StrEnum):
    PREPARED = "prepared"
    """Recorded and checked; no decision-maker has approved it yet."""
    APPROVED = "approved"
    """Claimed by its approver, whose grants are being issued (or were interrupted)."""
    ISSUED = "issued"
    """Every row has its outcome."""


@dataclass(frozen=True, slots=True)
class PreparedRoster:
    """A roster prepared for approval: who prepared it (staff member and token), who
    approved it, and the counts. ``rows`` is the rows kept when it was prepared,
    ``rejected`` those refused then; ``issued``, ``already_issued`` and ``refused`` count
    the outcomes of its approval."""

    id: str
    state: RosterState
    rows: int
    rejected: int
    prepared_by: str
    prepared_token_id: str | None
    prepared_at: datetime
    approved_by: str | None = None
    approved_token_id: str | None = None
    approved_at: datetime | None = None
    issued_at: datetime | None = None
    issued: int = 0
    already_issued: int = 0
    refused: int = 0


@dataclass(frozen=True, slots=True)
class PreparedRosterRow:
    """One row of a prepared roster: its number (the line in the file, or the index in the
    request), the fields as given, and its outcome once approved."""

    roster_id: str
    number: int
    external_id: str
    fields: dict[str, object]
    outcome: str | None = None
    problem: str | None = None
    detail: str | None = None
    certification_id: str | None = None
    credential_id: str | None = None
    certificate_number: str | None = None
