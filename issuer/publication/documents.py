"""The public documents the outbox signs and sends: register entries, scheme information,
the body information and mark images, each built from the store as it is now and
validated against its schema.

What a document may carry is decided here, and only public facts are: a register entry
names the person as the public register shows them (clause 7.2.1) and the credentials of the
certification with their status, never a confidential field. :mod:`issuer.publication.outbox`
signs what these functions return.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from issuer.credentials.documents import VC_CONTEXT
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.status import credential_status
from issuer.model import Certification, CredentialKind
from issuer.store import Tx
from schemas.credential_schemas import (
    BODY_INFORMATION_V1,
    REGISTER_ENTRY_V3,
    SCHEME_INFORMATION_V3,
    validate,
)

__all__ = ["body_information", "mark_image", "register_entry", "scheme_information"]


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def register_entry(
    tx: Tx, certification: Certification, *, identity: IssuerIdentity, now: datetime
) -> dict[str, Any]:
    """The public register entry of clause 7.2.1: public fields only, validated."""
    person = tx.get_person(certification.person_id)
    version = tx.get_scheme_version(certification.scheme_version_id)
    scheme = tx.get_scheme(certification.scheme_id)
    assert person is not None
    assert version is not None
    assert scheme is not None
    titles = {item.code: item.title for item in version.content.scope_items}
    credentials = []
    for credential in tx.credentials_of(certification.id):
        item: dict[str, str] = {
            "id": f"urn:uuid:{credential.id}",
            "type": "CertificationCredential"
            if credential.kind is CredentialKind.CERTIFICATE
            else "CertificationMarkCredential",
            "status": credential_status(tx, credential),
        }
        if credential.supersedes:
            item["supersedes"] = f"urn:uuid:{credential.supersedes}"
        if credential.superseded_by:
            item["supersededBy"] = f"urn:uuid:{credential.superseded_by}"
        credentials.append(item)
    entry = {
        "@context": [VC_CONTEXT, identity.context_url],
        "id": identity.register_url(certification.certificate_number),
        "type": ["VerifiableCredential", "RegisterEntryCredential"],
        "issuer": identity.did,
        "validFrom": _stamp(now),
        "credentialSubject": {
            "type": "RegisterEntry",
            "certificateNumber": certification.certificate_number,
            "name": f"{person.given_name} {person.family_name}",
            "givenName": person.given_name,
            "familyName": person.family_name,
            "scheme": {
                "id": identity.scheme_url(scheme.id),
                "type": "CertificationScheme",
                "code": scheme.code,
                "name": version.content.title,
                "version": version.version,
            },
            "scope": [
                {"type": "ScopeItem", "code": c, "name": titles[c]} for c in certification.scope
            ],
            "status": certification.status.value,
            "statusSince": _stamp(certification.status_since or certification.created_at),
            "effectiveDate": certification.effective_date.isoformat(),
            "expiryDate": certification.expiry_date.isoformat(),
            "originalCertificationDate": certification.original_certification_date.isoformat(),
            "credentials": credentials,
            # The person's choice to appear in the public directory (7.3.3); republished
            # with the entry, so a withdrawn consent takes the name out of the directory.
            "directory": person.directory_consent,
        },
    }
    validate(REGISTER_ENTRY_V3, entry)
    return entry


def scheme_information(
    tx: Tx, scheme_id: str, *, identity: IssuerIdentity, now: datetime
) -> dict[str, Any] | None:
    """What clause 7.2.2 requires to be published about a scheme, from its current version."""
    scheme = tx.get_scheme(scheme_id)
    if scheme is None:
        return None
    content = scheme.current.content
    subject: dict[str, Any] = {
        "id": identity.scheme_url(scheme.id),
        "type": "CertificationScheme",
        "code": scheme.code,
        "name": content.title,
        "version": scheme.current.version,
        "schemeOwner": content.scheme_owner,
        "scopeDescription": content.scope_description,
        "scopeItems": [
            {"type": "ScopeItem", "code": i.code, "name": i.title, "description": i.description}
            for i in content.scope_items
        ],
        "applicationRequirements": content.application_requirements,
        "initialCertificationRequirements": content.initial_certification_criteria,
        "surveillanceRequirements": content.surveillance_methods,
        "recertificationIntervalMonths": content.recertification_interval_months,
        "recertificationRequirements": content.recertification_criteria,
        "recertificationEvidence": list(content.recertification_evidence),
        "recertificationWindowMonthsBefore": content.recertification_window_months_before,
        "recertificationGraceDays": content.recertification_grace_days,
        "surveillanceActivities": [
            {
                "type": "SurveillanceActivity",
                "code": a.code,
                "name": a.title,
                "intervalMonths": a.interval_months,
                "graceDays": a.grace_days,
            }
            for a in content.surveillance_activities
        ],
        "processDescription": content.process_description,
    }
    if content.prerequisites:
        subject["prerequisites"] = content.prerequisites
    document = {
        "@context": [VC_CONTEXT, identity.context_url],
        "id": identity.scheme_url(scheme.id),
        "type": ["VerifiableCredential", "SchemeInformationCredential"],
        "issuer": identity.did,
        "validFrom": _stamp(now),
        "credentialSubject": subject,
    }
    validate(SCHEME_INFORMATION_V3, document)
    return document


def body_information(tx: Tx, *, identity: IssuerIdentity, now: datetime) -> dict[str, Any] | None:
    """What the body makes public about itself (clauses 4.3, 9.8, 9.9), as last recorded;
    ``None`` while nothing is recorded."""
    information = tx.current_body_information()
    if information is None:
        return None
    subject: dict[str, Any] = {
        "id": identity.did,
        "type": "CertificationBody",
        "name": information.name,
        "version": information.version,
        "impartialityCommitment": information.impartiality_commitment,
        "appealsProcess": information.appeals_process,
        "complaintsProcess": information.complaints_process,
        "contact": information.contact,
    }
    accreditation = information.accreditation
    if accreditation is not None:
        subject["accreditation"] = {
            "accreditationBody": accreditation.body,
            "accreditationNumber": accreditation.number,
        }
        if accreditation.scope_url is not None:
            subject["accreditation"]["scopeUrl"] = accreditation.scope_url
    document = {
        "@context": [VC_CONTEXT, identity.context_url, identity.body_context_url],
        "id": identity.body_url,
        "type": ["VerifiableCredential", "BodyInformationCredential"],
        "issuer": identity.did,
        "validFrom": _stamp(now),
        "credentialSubject": subject,
    }
    validate(BODY_INFORMATION_V1, document)
    return document


def mark_image(tx: Tx, mark_id: str, *, identity: IssuerIdentity) -> dict[str, Any] | None:
    """A certification mark's image as published: the bytes mark credentials point at, with
    the digest they carry, so the registry can serve them and check them on intake."""
    mark = tx.get_scheme_mark(mark_id)
    if mark is None:
        return None
    return {
        "id": identity.mark_image_url(mark.id),
        "mediaType": mark.media_type,
        "digestSRI": mark.digest_sri,
        "image": base64.b64encode(mark.image).decode("ascii"),
    }
