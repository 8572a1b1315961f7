"""Notices the body owes a certified person, and where each one is on its way to them.

A notice is queued in the same transaction as what it tells about (a decision, a re-issue,
a disclosure under clause 7.3.4), so the two commit together or not at all. It carries the
facts its message must say, never the person's address: the address is read from the
confidential record when the notice is sent, so a corrected address is the one used.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = ["NoticeKind", "NoticeState", "PersonNotice"]


class NoticeKind(enum.StrEnum):
    """What a notice tells a person. Each kind has a message in every offered language."""

    GRANTED = "granted"
    DENIED = "denied"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    WITHDRAWN = "withdrawn"
    SCOPE_CHANGED = "scope-changed"
    RECERTIFIED = "recertified"
    RECERTIFICATION_DUE = "recertification-due"
    EXPIRY_AHEAD = "expiry-ahead"
    REISSUED = "reissued-after-key-compromise"
    DISCLOSURE = "confidential-disclosure"
    HOLDER_SIGN_IN = "holder-sign-in"
    """A sign-in link to the person's own pages, which they asked for by e-mail."""


class NoticeState(enum.StrEnum):
    """Where a notice is on its way to the person.

    ``queued`` waits for the sender; ``sending`` is claimed by one sender until its lease
    ends (a sender that died mid-way leaves it to be claimed again); ``failed-retrying``
    waits for its next attempt after a temporary failure; ``dead`` was refused for good or
    failed too often and waits for staff; ``no-address`` cannot be e-mailed (the person has
    no address on record): staff print and post it, then mark it sent by hand.
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED_RETRYING = "failed-retrying"
    DEAD = "dead"
    NO_ADDRESS = "no-address"


@dataclass(frozen=True, slots=True)
class PersonNotice:
    """A notice owed to a person; ``subject_id`` names what it tells about (a certification,
    a decision, a disclosure, or the credential re-issued after a key compromise).

    ``facts`` are what the message says, as short texts (a certificate number, a date);
    ``secret_url`` is a one-time link the message carries, wiped as soon as the notice is
    sent or given up, so the store keeps no usable link. ``attempts`` counts the claims of
    a sender; ``last_error`` is a short reason (an SMTP code, "timeout"), never an address
    or any of the message.
    """

    id: str
    person_id: str
    kind: str
    subject_id: str
    created_at: datetime
    sent_at: datetime | None
    sent_by: str | None
    state: NoticeState = NoticeState.QUEUED
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    language: str = "en"
    facts: Mapping[str, str] | None = None
    secret_url: str | None = None
