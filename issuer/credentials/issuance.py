"""Issuance: from a granted certification to a signed credential, in the caller's transaction.

The order is fixed: allocate status slots → build → validate against the JSON Schema →
sign → store → audit. It runs inside the transaction of the decision that justifies it
(clause 4.2: nothing is signed without a recorded decision), so a failure at any step leaves
neither the credential nor the decision behind. There is no path that signs a payload a
caller supplies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.credentials import documents
from issuer.credentials.identity import IssuerIdentity, jwt_claims
from issuer.credentials.keys import KeyRing
from issuer.credentials.signing import sign_compact
from issuer.credentials.status import allocate
from issuer.errors import InvalidInput, NotFound, StateConflict
from issuer.model import (
    Certification,
    CertificationStatus,
    Credential,
    CredentialKind,
    Person,
    SchemeMark,
    SchemeVersion,
    StatusPurpose,
)
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor
from schemas.credential_schemas import (
    CERTIFICATION_CREDENTIAL_V3,
    CERTIFICATION_MARK_CREDENTIAL_V3,
    SchemaViolation,
    validate,
)
from schemas.publication import DocumentKind, digest_sri

__all__ = [
    "VC_JWT_HEADER",
    "IssuanceContext",
    "current_certificate",
    "issue_certificate",
    "issue_mark",
    "sign_document",
    "sri",
]

VC_JWT_HEADER = {"typ": "vc+jwt", "cty": "vc"}


@dataclass(frozen=True, slots=True)
class IssuanceContext:
    """What issuance needs beyond the transaction: who signs, as whom, with which lists."""

    identity: IssuerIdentity
    keyring: KeyRing
    list_entries: int


def sri(data: bytes) -> str:
    """A Subresource Integrity digest (``sha384-…``), as ``digestSRI`` wants."""
    return digest_sri(data)


def sign_document(
    tx: Tx, context: IssuanceContext, schema: str, credential: dict[str, Any], now: datetime
) -> tuple[str, str]:
    """Validate ``credential`` against ``schema`` (``credential-invalid`` if it breaks it),
    then sign it as ``vc+jwt`` with the active key: the ``kid`` and the compact JWS."""
    try:
        validate(schema, credential)
    except SchemaViolation as exc:
        raise InvalidInput(
            "the credential would not match its schema: " + "; ".join(exc.problems),
            kind="credential-invalid",
        ) from exc
    signer = context.keyring.signer(tx)
    did = context.identity.did
    payload = {**credential, **jwt_claims(did, now)}
    token = sign_compact(header=VC_JWT_HEADER, payload=payload, signer=signer, did=did)
    return signer.kid, token


def _records(tx: Tx, certification: Certification) -> tuple[Person, SchemeVersion, str]:
    person = tx.get_person(certification.person_id)
    version = tx.get_scheme_version(certification.scheme_version_id)
    scheme = tx.get_scheme(certification.scheme_id)
    assert person is not None
    assert version is not None
    assert scheme is not None
    return person, version, scheme.code


def issue_certificate(
    tx: Tx,
    *,
    certification: Certification,
    context: IssuanceContext,
    actor: str | AuditActor,
    now: datetime,
    entropy: Entropy,
) -> Credential:
    """Sign the certificate credential of a certification (clause 9.4)."""
    credential_id = new_id(entropy)
    slots = {
        purpose: allocate(
            tx,
            purpose=purpose,
            certification_id=certification.id,
            credential_id=credential_id,
            entries=context.list_entries,
            now=now,
            entropy=entropy,
        )
        for purpose in (StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION)
    }
    person, version, code = _records(tx, certification)
    document = documents.certificate_credential(
        credential_id=credential_id,
        identity=context.identity,
        certification=certification,
        person=person,
        scheme_code=code,
        version=version,
        revocation=slots[StatusPurpose.REVOCATION],
        suspension=slots[StatusPurpose.SUSPENSION],
        issued_on=now.date(),
    )
    kid, jws = sign_document(tx, context, CERTIFICATION_CREDENTIAL_V3, document, now)
    credential = Credential(
        id=credential_id,
        certification_id=certification.id,
        kind=CredentialKind.CERTIFICATE,
        depends_on=None,
        kid=kid,
        jws=jws,
        valid_from=documents.valid_from(documents.credential_start(certification, now.date())),
        valid_until=documents.valid_until(certification.expiry_date),
        revocation=slots[StatusPurpose.REVOCATION],
        suspension=slots[StatusPurpose.SUSPENSION],
        issued_at=now,
    )
    tx.insert_credential(credential)
    tx.append_audit(
        at=now,
        actor=actor,
        action="credential.issued",
        subject_type="credential",
        subject_id=credential_id,
        details={"certification_id": certification.id, "kind": "certificate", "kid": kid},
    )
    _enqueue(tx, certification, credential, now)
    return credential


def _enqueue(tx: Tx, certification: Certification, credential: Credential, now: datetime) -> None:
    """The register entry lists the new credential; its lists may be new to the registry;
    the credential itself is published for its verification page."""
    tx.enqueue(DocumentKind.REGISTER_ENTRY.value, certification.certificate_number, now)
    tx.enqueue(DocumentKind.CREDENTIAL.value, credential.id, now)
    for slot in (credential.revocation, credential.suspension):
        tx.enqueue(DocumentKind.STATUS_LIST.value, slot.list_id, now)


def current_certificate(tx: Tx, certification_id: str) -> Credential:
    """The certificate credential of a certification that nothing has superseded."""
    current = [
        c
        for c in tx.credentials_of(certification_id)
        if c.kind is CredentialKind.CERTIFICATE and c.superseded_by is None
    ]
    if not current:
        raise NotFound("the certification has no current certificate credential")
    return current[-1]


def issue_mark(
    tx: Tx,
    *,
    certification: Certification,
    context: IssuanceContext,
    actor: str | AuditActor,
    now: datetime,
    entropy: Entropy,
    replacing: bool = False,
    under: SchemeMark | None = None,
) -> Credential:
    """Sign the mark credential (clause 9.7) once the person agreed to the mark's rules.

    The mark shares the certificate credential's status slots: no new slot is allocated,
    so the certification's suspension or withdrawal reaches the mark at once. A new mark
    needs an active certification; a mark ``replacing`` one superseded with its certificate
    (a scope change, a recertification) follows the certification as it is, suspended
    included, since it shares the new certificate's suspension bit.

    The mark is the scheme's current one, or ``under``, a mark of the scheme whose rules the
    person agreed to: a mark re-issued after a key compromise keeps the rules its holder
    agreed to, even if the scheme has defined a new mark since.
    """
    allowed = {CertificationStatus.ACTIVE}
    if replacing:
        allowed.add(CertificationStatus.SUSPENDED)
    if certification.status not in allowed:
        raise StateConflict(
            f"a mark is issued only for an active certification; this one is "
            f"{certification.status.value}",
            kind="certification-not-active",
        )
    mark = tx.current_scheme_mark(certification.scheme_id) if under is None else under
    if mark is None or mark.scheme_id != certification.scheme_id:
        raise StateConflict("the scheme has no certification mark", kind="no-mark")
    if tx.mark_agreement(certification.id, mark.id) is None:
        raise StateConflict(
            "the certified person has not agreed to the current mark rules (clause 9.7)",
            kind="mark-agreement-missing",
        )
    certificate = current_certificate(tx, certification.id)
    person, version, code = _records(tx, certification)
    credential_id = new_id(entropy)
    document = documents.mark_credential(
        credential_id=credential_id,
        certificate_credential_id=certificate.id,
        identity=context.identity,
        certification=certification,
        person=person,
        scheme_code=code,
        version=version,
        mark=mark,
        rules_digest=sri(mark.rules.encode("utf-8")),
        revocation=certificate.revocation,
        suspension=certificate.suspension,
        issued_on=now.date(),
    )
    kid, jws = sign_document(tx, context, CERTIFICATION_MARK_CREDENTIAL_V3, document, now)
    credential = Credential(
        id=credential_id,
        certification_id=certification.id,
        kind=CredentialKind.MARK,
        depends_on=certificate.id,
        kid=kid,
        jws=jws,
        valid_from=certificate.valid_from,
        valid_until=certificate.valid_until,
        revocation=certificate.revocation,
        suspension=certificate.suspension,
        issued_at=now,
    )
    tx.insert_credential(credential)
    tx.append_audit(
        at=now,
        actor=actor,
        action="credential.issued",
        subject_type="credential",
        subject_id=credential_id,
        details={"certification_id": certification.id, "kind": "mark", "kid": kid},
    )
    _enqueue(tx, certification, credential, now)
    return credential
