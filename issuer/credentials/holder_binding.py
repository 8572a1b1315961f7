"""A certificate bound to a key its holder's wallet holds: the copy a wallet receives.

When a wallet asks for the certificate through OpenID for Verifiable Credential Issuance, it
proves that it holds a key; the body then signs a fresh copy of the current certificate
credential whose ``credentialSubject.id`` is that key, as a ``did:jwk`` DID. A presentation
of the copy can then be checked against the key (holder binding), which the stored
certificate, bound to no one, cannot offer.

What the copy keeps from the certificate, so the two cannot disagree:

* the **same status entries**: both ``BitstringStatusListEntry`` objects of the certificate.
  A suspension, a reinstatement or a withdrawal flips the copy's bits in the same write; a
  scope change or recertification revokes the certificate's slots, and the copy with them;
* the same ``validFrom`` and ``validUntil``, holder name, scheme, scope and dates, the same
  issuer DID and active signing key, in the same ``vc+jwt`` form.

It cites ``certification-credential-v4``, which is version 3 with the optional subject id.
Each copy has an ``id`` of its own (a random UUID). The copy is not stored: the body keeps
the audit entry of each signature it gave (with the copy's id and the holder key's
thumbprint), and can make another from the certificate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.credentials import documents
from issuer.credentials.issuance import IssuanceContext, sign_document
from issuer.credentials.signing import b64url, jwk_thumbprint
from issuer.model import Certification, Credential, Person, SchemeVersion
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from schemas.credential_schemas import CERTIFICATION_CREDENTIAL_V4

__all__ = ["BoundCertificate", "bound_certificate", "holder_did", "sign_bound_certificate"]

_PUBLIC_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def holder_did(public_jwk: dict[str, Any]) -> str:
    """The ``did:jwk`` DID of a public key: base64url of its JWK, written with only the
    members that define the key, sorted, without whitespace (so one key has one DID)."""
    members = _PUBLIC_MEMBERS[public_jwk["kty"]]
    canonical = json.dumps(
        {m: public_jwk[m] for m in members}, separators=(",", ":"), sort_keys=True
    )
    return "did:jwk:" + b64url(canonical.encode("utf-8"))


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def bound_certificate(
    *,
    context: IssuanceContext,
    certification: Certification,
    person: Person,
    scheme_code: str,
    version: SchemeVersion,
    certificate: Credential,
    holder_jwk: dict[str, Any],
    copy_id: str,
) -> dict[str, Any]:
    """The copy of ``certificate`` bound to ``holder_jwk``, with id ``copy_id`` (before
    signing)."""
    document = documents.certificate_credential(
        credential_id=copy_id,
        identity=context.identity,
        certification=certification,
        person=person,
        scheme_code=scheme_code,
        version=version,
        revocation=certificate.revocation,
        suspension=certificate.suspension,
    )
    document["validFrom"] = _stamp(certificate.valid_from)
    document["validUntil"] = _stamp(certificate.valid_until)
    document["credentialSchema"] = {
        "id": context.identity.credential_schema_url(CERTIFICATION_CREDENTIAL_V4),
        "type": "JsonSchema",
    }
    document["credentialSubject"] = {
        "id": holder_did(holder_jwk),
        **document["credentialSubject"],
    }
    return document


@dataclass(frozen=True, slots=True)
class BoundCertificate:
    """A signed holder-bound copy: the compact JWS and what the audit log keeps of it."""

    credential_id: str
    jws: str
    kid: str
    thumbprint: str


def sign_bound_certificate(
    tx: Tx,
    *,
    context: IssuanceContext,
    certification: Certification,
    certificate: Credential,
    holder_jwk: dict[str, Any],
    now: datetime,
    entropy: Entropy,
) -> BoundCertificate:
    """Build, validate (``certification-credential-v4``) and sign the copy of
    ``certificate`` bound to ``holder_jwk``."""
    person = tx.get_person(certification.person_id)
    version = tx.get_scheme_version(certification.scheme_version_id)
    scheme_code = tx.get_scheme_code(certification.scheme_id)
    assert person is not None
    assert version is not None
    assert scheme_code is not None
    document = bound_certificate(
        context=context,
        certification=certification,
        person=person,
        scheme_code=scheme_code,
        version=version,
        certificate=certificate,
        holder_jwk=holder_jwk,
        copy_id=new_id(entropy),
    )
    kid, jws = sign_document(tx, context, CERTIFICATION_CREDENTIAL_V4, document, now)
    return BoundCertificate(
        credential_id=document["id"], jws=jws, kid=kid, thumbprint=jwk_thumbprint(holder_jwk)
    )
