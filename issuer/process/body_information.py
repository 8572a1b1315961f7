"""What the body makes public about itself (clauses 4.3, 9.8.2, 9.9.x): its commitment to
impartiality, how appeals and complaints are handled, whom to contact for them, and its
accreditation if it has one.

An administrator records it (the route says who); each recording is a new version, audited,
and put in the outbox in the same transaction, so the registry publishes what was recorded
last. Until something is recorded nothing is published, and the registry's ``/body`` page
says so. Everything here is public by design: it is what a candidate, a certified person or
anyone else reads before appealing or complaining.
"""

from __future__ import annotations

from datetime import datetime

from issuer.errors import InvalidInput, NotFound
from issuer.model import Accreditation, BodyInformation
from issuer.process.auth import Actor
from issuer.store import Tx
from schemas.publication import BODY_INFORMATION_KEY, DocumentKind

__all__ = ["current_body_information", "record_body_information"]


def current_body_information(tx: Tx) -> BodyInformation:
    information = tx.current_body_information()
    if information is None:
        raise NotFound("the body has not recorded the information it publishes yet")
    return information


def _said(value: str, what: str) -> str:
    if not value.strip():
        raise InvalidInput(f"say {what}")
    return value


def record_body_information(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    name: str,
    impartiality_commitment: str,
    appeals_process: str,
    complaints_process: str,
    contact: str,
    accreditation: Accreditation | None,
) -> BodyInformation:
    """Record a new version of the body information, audit it and publish it."""
    recorded_by = actor.staff()
    scope_url = None if accreditation is None else accreditation.scope_url
    if scope_url is not None and not scope_url.startswith("https://"):
        raise InvalidInput("the accreditation scope is a web address starting https://")
    texts = (
        _said(name, "the body's name"),
        _said(impartiality_commitment, "the impartiality commitment"),
        _said(appeals_process, "how appeals are handled"),
        _said(complaints_process, "how complaints are handled"),
        _said(contact, "where to send an appeal or a complaint"),
    )
    # The audit entry first: appending it locks the audit head until the transaction ends
    # (SQLite's writers queue from the start anyway), so two administrators recording at
    # once both succeed, one version after the other, on either engine, instead of both
    # reading the same current version and one failing on a duplicate.
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="body-information.recorded",
        subject_type="body-information",
        subject_id=BODY_INFORMATION_KEY,
        details={},
    )
    current = tx.current_body_information()
    information = BodyInformation(
        version=1 if current is None else current.version + 1,
        name=texts[0],
        impartiality_commitment=texts[1],
        appeals_process=texts[2],
        complaints_process=texts[3],
        contact=texts[4],
        accreditation=accreditation,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    tx.insert_body_information(information)
    tx.enqueue(DocumentKind.BODY_INFORMATION.value, BODY_INFORMATION_KEY, now)
    return information
