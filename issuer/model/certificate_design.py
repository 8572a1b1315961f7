"""How the body's printed certificates look: what a body prints on its own paper beyond what
the credential says — its postal address, its logo, its accreditation mark and the person
who signs certificates for it.

Kept apart from the body information on purpose: the body information is published, signed,
to the registry, and a signatory's name is personal data a body prints on a certificate but
has no reason to publish in a machine-readable register. Nothing here is signed into a
credential; it only decides how a page is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["CertificateDesign"]


@dataclass(frozen=True, slots=True)
class CertificateDesign:
    """One version of the certificate design, with who recorded it and when.

    ``logo_png`` and ``accreditation_mark_png`` are PNG images already checked when recorded
    (:mod:`issuer.process.certificate_design`); ``None`` prints no image.
    """

    version: int
    address: str | None
    signatory_name: str | None
    signatory_function: str | None
    logo_png: bytes | None
    accreditation_mark_png: bytes | None
    recorded_by: str
    recorded_at: datetime
