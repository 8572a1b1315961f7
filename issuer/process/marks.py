"""Certification marks (clause 9.7): a scheme's mark image and rules, and each certified
person's agreement to those rules, recorded before any mark credential is issued.

A mark's image is published to the registry when it is defined: mark credentials cite it
(``relatedResource`` with its ``digestSRI``), so the address they cite must answer with
exactly those bytes."""

from __future__ import annotations

import re
from datetime import datetime

from issuer.credentials.issuance import sri
from issuer.errors import InvalidInput, NotFound, StateConflict
from issuer.model import Certification, CertificationStatus, MarkAgreement, SchemeMark
from issuer.process.auth import Actor
from issuer.publication import outbox
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from schemas.publication import MARK_MEDIA_TYPES

__all__ = ["MAX_IMAGE_BYTES", "MEDIA_TYPES", "record_agreement", "set_scheme_mark"]

MAX_IMAGE_BYTES = 128 * 1024
"""Small enough that its base64 form fits the default request-body cap."""
MEDIA_TYPES = MARK_MEDIA_TYPES
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_ACTIVE = re.compile(rb"<script|javascript:|\son[a-z]+\s*=|<foreignObject", re.IGNORECASE)


def _check_image(media_type: str, image: bytes) -> None:
    if media_type not in MEDIA_TYPES:
        raise InvalidInput(f"a mark image is one of {sorted(MEDIA_TYPES)}")
    if not image or len(image) > MAX_IMAGE_BYTES:
        raise InvalidInput(f"a mark image is 1 to {MAX_IMAGE_BYTES} bytes")
    if media_type == "image/png" and not image.startswith(_PNG_MAGIC):
        raise InvalidInput("the image is not a PNG")
    if media_type == "image/svg+xml":
        if b"<svg" not in image[:4096]:
            raise InvalidInput("the image is not an SVG document")
        if _SVG_ACTIVE.search(image):
            # The registry serves this image publicly: no active content in it, ever.
            raise InvalidInput("an SVG mark may not contain scripts, event handlers or HTML")


def set_scheme_mark(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    scheme_id: str,
    media_type: str,
    image: bytes,
    rules: str,
) -> SchemeMark:
    """A new mark (image + rules) for a scheme; earlier marks and agreements stay on record."""
    if tx.get_scheme(scheme_id) is None:
        raise NotFound(f"no scheme {scheme_id!r}")
    _check_image(media_type, image)
    mark = SchemeMark(
        id=new_id(entropy),
        scheme_id=scheme_id,
        media_type=media_type,
        image=image,
        digest_sri=sri(image),
        rules=rules,
        created_at=now,
        created_by=actor.staff(),
    )
    tx.insert_scheme_mark(mark)
    outbox.enqueue_mark(tx, mark.id, now)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="mark.defined",
        subject_type="scheme",
        subject_id=scheme_id,
        details={"mark_id": mark.id, "digest_sri": mark.digest_sri},
    )
    return mark


def record_agreement(
    tx: Tx, *, actor: Actor, now: datetime, entropy: Entropy, certification: Certification
) -> MarkAgreement:
    """The certified person agreed to the scheme's current mark rules."""
    if certification.status is not CertificationStatus.ACTIVE:
        raise StateConflict(
            "only the holder of an active certification may be granted the mark",
            kind="certification-not-active",
        )
    mark = tx.current_scheme_mark(certification.scheme_id)
    if mark is None:
        raise StateConflict("the scheme has no certification mark", kind="no-mark")
    existing = tx.mark_agreement(certification.id, mark.id)
    if existing is not None:
        return existing
    agreement = MarkAgreement(
        id=new_id(entropy),
        certification_id=certification.id,
        mark_id=mark.id,
        agreed_at=now,
        recorded_by=actor.staff(),
    )
    tx.insert_mark_agreement(agreement)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="mark.agreed",
        subject_type="certification",
        subject_id=certification.id,
        details={"mark_id": mark.id},
    )
    return agreement
