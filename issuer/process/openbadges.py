"""Exporting a certification as an Open Badges 3.0 credential: who may have one, and when.

The badge is not a new decision: it restates the certification's current certificate in
Open Badges terms (:mod:`issuer.credentials.openbadges`), citing the one message slot that
mirrors the certificate's status (:mod:`issuer.credentials.message_status`), claimed the
first time a badge is signed from that certificate (a preview only shows it). So it is signed on
request, from the records as they are, and is not stored; what is kept is the audit entry
of each signature the body gave (``credential.exported``).

What a holder and a relying party can expect:

* an **active** certification gets a badge that verifies as valid;
* a **suspended** one gets a badge too — a holder may want the record — but it verifies as
  *suspended* from the first check, since its slot holds the suspended certificate's
  status; after reinstatement the same badge verifies as valid again, with no new export;
* a **withdrawn** or **expired** certification gets none (``certification-ended``, 409): the
  body does not sign anything new for a certification that has ended. Badges exported
  before a withdrawal verify as revoked; before expiry, as expired after ``validUntil``;
* after a scope change or recertification the badge of the replaced certificate verifies
  as *superseded* by the new certificate, as the replaced certificate does: the register
  entry lists the certificate, and the badge's id is derived from it
  (:mod:`schemas.open_badge_ids`), so a verifier finds it there. A new export carries the
  new certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.credentials import message_status, openbadges
from issuer.credentials.issuance import IssuanceContext, current_certificate
from issuer.errors import StateConflict
from issuer.model import Certification, CertificationStatus
from issuer.process.lifecycle import get_certification
from issuer.runtime import Entropy
from issuer.store import Tx
from issuer.store.audit import AuditActor

__all__ = ["OpenBadge", "openbadge_document", "openbadge_for"]


@dataclass(frozen=True, slots=True)
class OpenBadge:
    """A signed badge: the compact JWS (``application/vc+jwt``) and what it says."""

    credential: dict[str, Any]
    """The credential as signed, without the JWT claims beside it (``iss``, ``iat``…)."""
    jws: str
    kid: str
    certification_id: str
    certificate_credential_id: str


def _exportable(tx: Tx, number: str, now: datetime, *, lock: bool = True) -> Certification:
    # Locked: the first export claims the certificate's message slot, once.
    certification = get_certification(tx, number, lock=lock)
    ended = certification.status in {CertificationStatus.WITHDRAWN, CertificationStatus.EXPIRED}
    if ended or certification.expiry_date < now.date():
        state = "withdrawn" if certification.status is CertificationStatus.WITHDRAWN else "expired"
        raise StateConflict(
            f"the certification was {state}: no new Open Badge is signed for it",
            kind="certification-ended",
        )
    return certification


def _document(
    tx: Tx,
    certification: Certification,
    context: IssuanceContext,
    *,
    now: datetime,
    entropy: Entropy | None,
) -> tuple[dict[str, Any], str]:
    """The badge of ``certification`` and its certificate's id; with ``entropy``, the
    message slot is claimed if the certificate has none yet, without, only the one it has
    is cited (a preview)."""
    certificate = current_certificate(tx, certification.id)
    slot = (
        tx.message_slot_of(certificate.id)
        if entropy is None
        else message_status.claim_slot(
            tx, certificate, entries=context.list_entries, now=now, entropy=entropy
        )
    )
    person = tx.get_person(certification.person_id)
    version = tx.get_scheme_version(certification.scheme_version_id)
    scheme = tx.get_scheme(certification.scheme_id)
    assert person is not None
    assert version is not None
    assert scheme is not None
    document = openbadges.open_badge_credential(
        identity=context.identity,
        certification=certification,
        person=person,
        scheme_code=scheme.code,
        version=version,
        certificate=certificate,
        status=slot,
    )
    return document, certificate.id


def openbadge_document(
    tx: Tx, number: str, *, context: IssuanceContext, now: datetime
) -> dict[str, Any]:
    """The badge certification ``number`` would be exported as, unsigned (a preview: it
    is what :func:`openbadge_for` signs, without the JWT claims), with the same refusals.

    A preview writes nothing. It cites the certificate's message slot if a signed badge
    already claimed one; if none did, it has no ``credentialStatus``, rather than claiming
    one: the slot's index is drawn at random when it is claimed, so no preview can show it
    without drawing it, and drawing it on a look would take a slot, count it against a
    list, maybe open one, and publish it — writes a read must not make, for a badge that
    may never be sent. The first signed badge claims it, and every badge after it, and
    every preview, cite that one (so it takes no entropy)."""
    certification = _exportable(tx, number, now, lock=False)
    document, _ = _document(tx, certification, context, now=now, entropy=None)
    return document


def openbadge_for(
    tx: Tx,
    number: str,
    *,
    context: IssuanceContext,
    actor: str | AuditActor,
    now: datetime,
    entropy: Entropy,
) -> OpenBadge:
    """Sign the Open Badges 3.0 credential of certification ``number`` and audit it.

    Raises ``NotFound`` for an unknown number or a certification with no current
    certificate credential, ``StateConflict`` (``certification-ended``) for a withdrawn or
    expired one. ``actor`` is whoever asked: a staff member, or the holder's page naming
    itself (``system:…``); the audit entry names it, never the holder.
    """
    certification = _exportable(tx, number, now)
    document, certificate_id = _document(tx, certification, context, now=now, entropy=entropy)
    kid, jws = openbadges.sign_open_badge(tx, context=context, credential=document, now=now)
    tx.append_audit(
        at=now,
        actor=actor,
        action="credential.exported",
        subject_type="certification",
        subject_id=certification.id,
        details={
            "format": "open-badges-3.0",
            "credential_id": document["id"],
            "certificate_credential_id": certificate_id,
            "kid": kid,
        },
    )
    return OpenBadge(
        credential=document,
        jws=jws,
        kid=kid,
        certification_id=certification.id,
        certificate_credential_id=certificate_id,
    )
