"""What the body makes public about itself (clauses 4.3, 9.8, 9.9): its commitment to
impartiality, how it handles appeals and complaints, whom to contact for them, and its
accreditation if it has one. Recorded by an administrator, each change a new version,
and published as it stands now; nothing in it is confidential.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Accreditation", "BodyInformation"]


@dataclass(frozen=True, slots=True)
class Accreditation:
    """The body's accreditation: by whom, its number, and where its scope is published."""

    body: str
    number: str
    scope_url: str | None


@dataclass(frozen=True, slots=True)
class BodyInformation:
    """One version of the body information, with who recorded it and when."""

    version: int
    name: str
    impartiality_commitment: str
    appeals_process: str
    complaints_process: str
    contact: str
    accreditation: Accreditation | None
    recorded_by: str
    recorded_at: datetime
