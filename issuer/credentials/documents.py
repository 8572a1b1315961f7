"""The certificate and mark credentials as W3C VC 2.0 documents (before signing).

Pure builders: they take the records and the issuer's identity and return the credential,
carrying every certificate field of ISO/IEC 17024 clause 9.4 — the holder's public name, the
certificate number, the body as issuer, the scheme with its version, the scope, the effective
and expiry dates, and the day the person was first certified — and nothing confidential.
:mod:`issuer.credentials.issuance` validates the result against the JSON Schema in
``schemas/json/`` before anything is signed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.status import status_entry
from issuer.model import Certification, Person, SchemeMark, SchemeVersion, StatusPurpose, StatusSlot
from schemas.credential_schemas import (
    CERTIFICATION_CREDENTIAL_V3,
    CERTIFICATION_MARK_CREDENTIAL_V3,
)

__all__ = [
    "VC_CONTEXT",
    "certificate_credential",
    "credential_start",
    "mark_credential",
    "valid_from",
    "valid_until",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


def valid_from(effective: date) -> datetime:
    """The first instant of the effective date (UTC)."""
    return datetime.combine(effective, time(0, 0, 0), tzinfo=UTC)


def credential_start(certification: Certification, issued_on: date | None) -> date:
    """The first day a credential of ``certification`` issued on ``issued_on`` is valid: the
    effective date of its cycle, or the day of issue when a recertification decided before
    the new cycle starts issued it. That credential carries the rest of the cycle it
    renewed too, and the one it replaced is superseded, so no day goes without one."""
    if issued_on is not None and certification.renewed and certification.effective_date > issued_on:
        return issued_on
    return certification.effective_date


def valid_until(expiry: date) -> datetime:
    """The last second of the expiry date, the certification's last valid day (UTC)."""
    return datetime.combine(expiry, time(23, 59, 59), tzinfo=UTC)


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scheme(identity: IssuerIdentity, code: str, version: SchemeVersion) -> dict[str, Any]:
    return {
        "id": identity.scheme_url(version.scheme_id),
        "type": "CertificationScheme",
        "code": code,
        "name": version.content.title,
        "version": version.version,
    }


def _scope(version: SchemeVersion, codes: tuple[str, ...]) -> list[dict[str, str]]:
    titles = {item.code: item.title for item in version.content.scope_items}
    return [{"type": "ScopeItem", "code": code, "name": titles[code]} for code in codes]


def _subject(person: Person) -> dict[str, Any]:
    return {
        "type": "CertifiedPerson",
        "name": f"{person.given_name} {person.family_name}",
        "givenName": person.given_name,
        "familyName": person.family_name,
    }


def _common(
    *,
    credential_id: str,
    kind: str,
    identity: IssuerIdentity,
    certification: Certification,
    revocation: StatusSlot,
    suspension: StatusSlot,
    schema: str,
    issued_on: date | None,
) -> dict[str, Any]:
    return {
        "@context": [VC_CONTEXT, identity.context_url],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", kind],
        "issuer": {"id": identity.did, "name": identity.name},
        "validFrom": _stamp(valid_from(credential_start(certification, issued_on))),
        "validUntil": _stamp(valid_until(certification.expiry_date)),
        "credentialStatus": [
            status_entry(identity, StatusPurpose.REVOCATION, revocation),
            status_entry(identity, StatusPurpose.SUSPENSION, suspension),
        ],
        "credentialSchema": {"id": identity.credential_schema_url(schema), "type": "JsonSchema"},
    }


def certificate_credential(
    *,
    credential_id: str,
    identity: IssuerIdentity,
    certification: Certification,
    person: Person,
    scheme_code: str,
    version: SchemeVersion,
    revocation: StatusSlot,
    suspension: StatusSlot,
    issued_on: date | None = None,
) -> dict[str, Any]:
    """Clause 9.4's certificate as a ``CertificationCredential``."""
    credential = _common(
        credential_id=credential_id,
        kind="CertificationCredential",
        identity=identity,
        certification=certification,
        revocation=revocation,
        suspension=suspension,
        schema=CERTIFICATION_CREDENTIAL_V3,
        issued_on=issued_on,
    )
    credential["credentialSubject"] = {
        **_subject(person),
        "certification": {
            "type": "Certification",
            "certificateNumber": certification.certificate_number,
            "scheme": _scheme(identity, scheme_code, version),
            "scope": _scope(version, certification.scope),
            "effectiveDate": certification.effective_date.isoformat(),
            "expiryDate": certification.expiry_date.isoformat(),
            "originalCertificationDate": certification.original_certification_date.isoformat(),
        },
    }
    return credential


def mark_credential(
    *,
    credential_id: str,
    certificate_credential_id: str,
    identity: IssuerIdentity,
    certification: Certification,
    person: Person,
    scheme_code: str,
    version: SchemeVersion,
    mark: SchemeMark,
    rules_digest: str,
    revocation: StatusSlot,
    suspension: StatusSlot,
    issued_on: date | None = None,
) -> dict[str, Any]:
    """Clause 9.7's right to use the mark, as a ``CertificationMarkCredential``.

    It names the certificate credential it depends on, points at the mark image with its
    ``digestSRI``, and carries the certification's own status entries, so suspending or
    withdrawing the certification suspends or withdraws the mark in the same bit flip.
    """
    credential = _common(
        credential_id=credential_id,
        kind="CertificationMarkCredential",
        identity=identity,
        certification=certification,
        revocation=revocation,
        suspension=suspension,
        schema=CERTIFICATION_MARK_CREDENTIAL_V3,
        issued_on=issued_on,
    )
    credential["credentialSubject"] = {
        **_subject(person),
        "certificationMark": {
            "type": "CertificationMark",
            "certificateNumber": certification.certificate_number,
            "certification": f"urn:uuid:{certificate_credential_id}",
            "scheme": _scheme(identity, scheme_code, version),
            "scope": _scope(version, certification.scope),
            "originalCertificationDate": certification.original_certification_date.isoformat(),
            "rulesDigest": rules_digest,
        },
    }
    credential["relatedResource"] = [
        {
            "id": identity.mark_image_url(mark.id),
            "mediaType": mark.media_type,
            "digestSRI": mark.digest_sri,
        }
    ]
    return credential
