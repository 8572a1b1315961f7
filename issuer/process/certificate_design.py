"""How the body's printed certificates look: its address, logo, accreditation mark and the
person who signs certificates for it, recorded by an administrator.

Each recording is a new version, complete in itself (what is not given is not printed), and
audited in the same transaction. Unlike the body information it is not published: it
decides how a page is drawn, nothing more, and the signatory's name is personal data that a
body prints on paper it hands to the certified person but has no reason to put in a public
machine-readable register. The accreditation printed is the one in the body information
(:mod:`issuer.process.body_information`), so the page and the registry never disagree on it.
Every printed page made after a recording shows the new design: the renderings' cache is
keyed by what a page shows (:mod:`issuer.credentials.renderings`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from issuer.credentials.certificate_branding import check_printable
from issuer.credentials.certificate_images import check_png
from issuer.errors import InvalidInput, NotFound
from issuer.model import CertificateDesign
from issuer.process.auth import Actor
from issuer.store import Tx

__all__ = ["current_certificate_design", "record_certificate_design"]

DESIGN_KEY = "certificate-design"


def current_certificate_design(tx: Tx) -> CertificateDesign:
    design = tx.current_certificate_design()
    if design is None:
        raise NotFound("no certificate design is recorded: certificates print without one")
    return design


def _image(data: bytes | None, what: str) -> bytes | None:
    if data is None:
        return None
    try:
        return check_png(data, what)
    except ValueError as exc:
        raise InvalidInput(str(exc), kind="image-not-accepted") from exc


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def record_certificate_design(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    address: str | None,
    signatory_name: str | None,
    signatory_function: str | None,
    logo_png: bytes | None,
    accreditation_mark_png: bytes | None,
) -> CertificateDesign:
    """Record a new version of the certificate design and audit it.

    Raises :class:`InvalidInput` (``image-not-accepted``) for an image that is not a
    readable PNG within the limits; (``certificate-not-printable``) for a text the
    certificate could not print; and when a signatory's function is given without a name
    (a page would show a role signing with nobody named).
    """
    recorded_by = actor.staff()
    logo = _image(logo_png, "the logo")
    mark = _image(accreditation_mark_png, "the accreditation mark")
    if signatory_function is not None and signatory_name is None:
        raise InvalidInput("name the signatory whose function is given")
    for text, what in (
        (address, "the address"),
        (signatory_name, "the signatory's name"),
        (signatory_function, "the signatory's function"),
    ):
        if text is not None:
            try:
                check_printable(text, what)
            except ValueError as exc:
                raise InvalidInput(
                    f"certificates could not print {exc}", kind="certificate-not-printable"
                ) from exc
    # The audit entry first: it locks the audit head until the transaction ends, so two
    # administrators recording at once get one version after the other, never a duplicate.
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="certificate-design.recorded",
        subject_type="certificate-design",
        subject_id=DESIGN_KEY,
        details={
            "logo_sha256": _digest(logo),
            "accreditation_mark_sha256": _digest(mark),
        },
    )
    current = tx.current_certificate_design()
    design = CertificateDesign(
        version=1 if current is None else current.version + 1,
        address=address,
        signatory_name=signatory_name,
        signatory_function=signatory_function,
        logo_png=logo,
        accreditation_mark_png=mark,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    tx.insert_certificate_design(design)
    return design
