"""A certified person's own access to their records: sign-in links and sessions.

A sign-in link and a session are both a random secret shown once (in an e-mail, on a printed
sheet, in a cookie) and kept only as its SHA-256 digest, so a copy of the store holds nothing
that signs anyone in. Neither names an e-mail address: the address stays in the person's
confidential record (clause 7.3).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from issuer.model.appeals import AppealedKind

__all__ = ["DecisionAbout", "HolderSession", "SignInLink", "SignInVia"]


class SignInVia(enum.StrEnum):
    """How a sign-in link reached its person."""

    EMAIL = "email"
    """Asked for on the public sign-in page and sent to the address on record."""
    STAFF = "staff"
    """Made by a registrar for the person, to hand over or print."""


@dataclass(frozen=True, slots=True)
class SignInLink:
    """A single-use link that signs ``person_id`` in until ``expires_at``; ``used_at`` is set
    by the one use that counts. ``created_by`` is the registrar who made it, if one did."""

    id: str
    person_id: str
    secret_digest: str
    via: SignInVia
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    created_by: str | None


@dataclass(frozen=True, slots=True)
class HolderSession:
    """A signed-in person's session, behind a cookie holding its id and secret; it ends at
    ``expires_at`` or when they sign out (``ended_at``)."""

    id: str
    person_id: str
    secret_digest: str
    link_id: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class DecisionAbout:
    """A decision a person may appeal (clause 9.8), as their own pages list it: what was
    decided (``grant``, ``deny``, ``suspend``, ``withdraw``, ``scope``, …) and when, on which
    certification if any; never the rationale or the reason."""

    kind: AppealedKind
    id: str
    what: str
    decided_at: datetime
    certificate_number: str | None
