"""Issuing a certification to a wallet as an SD-JWT VC (``application/dc+sd-jwt``).

Like the Open Badges export it is not a new decision: it restates the current certificate
credential of an **active** certification (anything else is a 409
``certification-not-active``), bound to the holder's public key. Unlike the badge it gets a
status of its own format — a slot in a Token Status List, one per certificate credential,
shared by every SD-JWT VC derived from it (:mod:`issuer.credentials.token_status`) — so a
suspension, reinstatement, withdrawal or supersession reaches it in the same transaction as
it reaches the certificate.

What is kept: a row per SD-JWT VC (its certification, the certificate it restates, its
token slot, the holder key's thumbprint, the signing key and dates), and an audit entry
``credential.sd-jwt-vc-issued`` naming the same identifiers. The holder's key is never
stored or audited beyond its RFC 7638 thumbprint, and the serialized SD-JWT (its salts) is
handed to the caller only. The OpenID4VCI credential endpoint and the back office route both
call :func:`issue_sd_jwt_vc`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from issuer.credentials import token_status
from issuer.credentials.issuance import IssuanceContext, current_certificate
from issuer.credentials.sd_jwt_vc import SdJwtVcFacts, sign_sd_jwt_vc
from issuer.credentials.signing import HolderKeyError, holder_public_jwk, jwk_thumbprint
from issuer.errors import InvalidInput, StateConflict
from issuer.model import CertificationStatus, SdJwtVc
from issuer.process.lifecycle import get_certification
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor

__all__ = ["AUDIT_ACTION", "checked_holder_key", "issue_sd_jwt_vc"]

AUDIT_ACTION = "credential.sd-jwt-vc-issued"


def checked_holder_key(holder_jwk: object) -> dict[str, str]:
    """The holder's public JWK, reduced to its public members; a typed 422 otherwise:
    ``holder-key-private``, ``holder-key-unsupported`` or ``holder-key-malformed``."""
    if not isinstance(holder_jwk, Mapping):
        raise InvalidInput("the holder key must be a JWK object", kind="holder-key-malformed")
    try:
        return holder_public_jwk(holder_jwk)
    except HolderKeyError as exc:
        raise InvalidInput(str(exc), kind=f"holder-key-{exc.reason}") from exc


def issue_sd_jwt_vc(
    tx: Tx,
    *,
    number: str,
    holder_jwk: Mapping[str, Any],
    context: IssuanceContext,
    actor: str | AuditActor,
    now: datetime,
    entropy: Entropy,
) -> str:
    """Sign an SD-JWT VC of certification ``number`` for the holder of ``holder_jwk`` and
    return it serialized (``<jwt>~<disclosure>~…~``).

    Raises ``InvalidInput`` (``holder-key-…``) for a key certreg will not bind to,
    ``NotFound`` for an unknown number or one without a current certificate credential,
    ``StateConflict`` (``certification-not-active``) for a certification that is not active
    or has passed its expiry date. ``actor`` is who asked (a staff member, or the OpenID4VCI
    endpoint naming itself ``system:…``)."""
    public_jwk = checked_holder_key(holder_jwk)
    # Locked: two SD-JWT VCs issued at once for one certificate claim one token slot.
    certification = get_certification(tx, number, lock=True)
    certificate = current_certificate(tx, certification.id)
    if (
        certification.status is not CertificationStatus.ACTIVE
        or certification.expiry_date < now.date()
        or certificate.valid_until <= now
    ):
        raise StateConflict(
            f"an SD-JWT VC is issued only for an active certification; this one is "
            f"{certification.status.value}",
            kind="certification-not-active",
        )
    person = tx.get_person(certification.person_id)
    version = tx.get_scheme_version(certification.scheme_version_id)
    scheme_code = tx.get_scheme_code(certification.scheme_id)
    assert person is not None
    assert version is not None
    assert scheme_code is not None
    slot = token_status.claim_slot(
        tx, certificate, entries=context.list_entries, now=now, entropy=entropy
    )
    signer = context.keyring.signer(tx)
    facts = SdJwtVcFacts(
        identity=context.identity,
        certification=certification,
        person=person,
        scheme_code=scheme_code,
        version=version,
        certificate=certificate,
        holder_jwk=public_jwk,
        slot=slot,
    )
    serialized = sign_sd_jwt_vc(facts, signer=signer, now=now, entropy=entropy)
    issued = SdJwtVc(
        id=new_id(entropy),
        certification_id=certification.id,
        credential_id=certificate.id,
        slot=slot,
        holder_thumbprint=jwk_thumbprint(public_jwk),
        kid=signer.kid,
        issued_at=now,
        expires_at=certificate.valid_until,
    )
    tx.insert_sd_jwt_vc(issued)
    tx.append_audit(
        at=now,
        actor=actor,
        action=AUDIT_ACTION,
        subject_type="certification",
        subject_id=certification.id,
        details={
            "format": "dc+sd-jwt",
            "sd_jwt_vc_id": issued.id,
            "certificate_credential_id": certificate.id,
            "token_status_list": slot.list_id,
            "token_status_index": slot.index,
            "holder_key_thumbprint": issued.holder_thumbprint,
            "kid": signer.kid,
        },
    )
    return serialized
