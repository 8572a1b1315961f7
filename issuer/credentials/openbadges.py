"""A certification as an Open Badges 3.0 ``OpenBadgeCredential``, built and signed.

Holders put their certificates in badge wallets and learning records that read Open Badges
3.0 (1EdTech) rather than certreg's own ``CertificationCredential``. This module says the
same certification in that vocabulary: a VC 2.0 credential whose ``@context`` is the VC 2.0
context and then the OB 3.0.3 context, whose ``credentialSubject`` is an
``AchievementSubject`` holding the scheme as an ``Achievement``.

What it keeps from the certificate credential, so the two cannot disagree:

* the **same status**, in the one ``credentialStatus`` OB allows: a
  ``BitstringStatusListEntry`` of purpose ``message`` and ``statusSize`` 2 (0x0 valid, 0x1
  revoked, 0x2 suspended), in a slot that always holds what the certificate's revocation
  and suspension bits say (:mod:`issuer.credentials.message_status`). Suspending,
  reinstating or withdrawing the certification sets it in the same write; no badge
  outlives its certificate's status.
* the same ``validFrom`` and ``validUntil``, the same issuer DID and signing key — one
  verifier checks both.

It is signed in Open Badges' own VC-JWT form (OB 3.0 "JSON Web Token Proof Format"), not in
the ``vc+jwt`` form of the certificate: a JOSE header of ``alg`` and ``kid`` only (``typ``
may only be ``JWT`` there, and no other header parameter is allowed), and beside the
credential the claims OB requires, each equal to the member it repeats: ``iss``
(``issuer.id``), ``jti`` (``id``), ``sub`` (``credentialSubject.id``), ``nbf``
(``validFrom``) and ``exp`` (``validUntil``). One such token satisfies the MUSTs of both OB
and VC-JOSE-COSE, which only recommends ``typ``/``cty``. certreg's verifier accepts this form
for an Open Badge only (:mod:`verifier.openbadges`).

Where Open Badges and certreg still differ, docs/CREDENTIALS.md ("Open Badges 3.0") says so:
``jti``, which OB requires, is defined by no context the badge
cites, so a JSON-LD processor drops it from the JWT payload (in safe mode, refuses the
payload); the credential itself, without the JWT claims, expands in full.

The credential's ``id`` is derived from the certificate credential's id (a name-based UUID,
:func:`schemas.open_badge_ids.open_badge_id`), not drawn at random: exporting twice gives the
same badge (same id, same content, a new ``iat``), and a new certificate credential (scope
change, recertification) a new one. The derivation is part of the contract because the
verifier uses it to find the certificate a revoked badge restates in the register entry, and
so to answer a badge of a replaced certificate *superseded*, as the certificate is. The
subject's ``id`` is derived the same way from the certification's id: the same holder id on
every badge of one certification, from nothing personal.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from issuer.credentials import documents
from issuer.credentials.identity import IssuerIdentity, jwt_claims
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.message_status import message_entry
from issuer.credentials.signing import sign_compact
from issuer.model import Certification, Credential, Person, SchemeVersion, StatusSlot
from issuer.store import Tx
from schemas.open_badge_ids import open_badge_id

__all__ = [
    "ACHIEVEMENT_TYPE",
    "OB_CONTEXT",
    "OB_JWT_HEADER",
    "open_badge_credential",
    "open_badge_id",
    "sign_open_badge",
    "subject_id",
]

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
"""The OB 3.0 context, second after the VC 2.0 context (OB 3.0 "Serialization")."""

ACHIEVEMENT_TYPE = "Certification"
"""OB's ``achievementType`` for a time-limited, revocable, renewable credential awarded by an
authoritative body for the abilities to perform an occupation: what an ISO/IEC 17024
certification is. (``Certificate`` in OB means a course certificate; ``License`` a legal
authority from a government agency, which a certification body does not grant.)"""

OB_JWT_HEADER: dict[str, Any] = {}
"""Header parameters beside ``alg`` and ``kid`` (which the signer sets): none. OB's VC-JWT
profile allows only ``alg``, ``kid`` (or ``jwk``) and ``typ``, and ``typ`` only as ``JWT``,
which says nothing a JWT does not; so no ``typ: vc+jwt`` and no ``cty: vc``."""

_SUBJECT_NAMESPACE = uuid.UUID("af654094-f220-467a-be36-efeeda7c7764")
"""Namespace of the name-based ids of badge holders (fixed: changing it renames every
holder, so badges of one certification exported before and after would no longer match)."""


def subject_id(certification_id: str) -> str:
    """The ``credentialSubject.id`` (and ``sub``) of a badge: a name-based UUID (RFC 9562
    version 5) of the certification's internal id. Stable: every badge of one
    certification, across scope changes and recertification, names its holder alike, so a
    relying party can tell two badges of the same certification apart from two holders.
    Not personal: derived from a random record id, never from the name, birth date or
    certificate number, and it leads back to nothing outside the body's records. OB 3.0
    makes ``AchievementSubject.id`` an optional URI and asks for it or an ``identifier``;
    the badge has both."""
    return f"urn:uuid:{uuid.uuid5(_SUBJECT_NAMESPACE, certification_id)}"


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _profile(identity: IssuerIdentity) -> dict[str, Any]:
    return {
        "id": identity.did,
        "type": ["Profile"],
        "name": identity.name,
        "url": identity.base_url,
    }


def _scope_narrative(version: SchemeVersion, codes: tuple[str, ...]) -> str:
    """The certified scope as the body wrote it in the scheme, one Markdown item per line."""
    titles = {item.code: item.title for item in version.content.scope_items}
    lines = [f"- {code}: {titles[code]}" for code in codes]
    return "Certified scope:\n\n" + "\n".join(lines)


def _achievement(
    identity: IssuerIdentity, scheme_code: str, version: SchemeVersion
) -> dict[str, Any]:
    content = version.content
    scheme_url = identity.scheme_url(version.scheme_id)
    return {
        "id": scheme_url,
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPE,
        "name": content.title,
        "description": content.scope_description,
        "criteria": {"id": scheme_url, "narrative": content.initial_certification_criteria},
        "humanCode": scheme_code,
        "version": str(version.version),
        "creator": _profile(identity),
    }


def open_badge_credential(
    *,
    identity: IssuerIdentity,
    certification: Certification,
    person: Person,
    scheme_code: str,
    version: SchemeVersion,
    certificate: Credential,
    status: StatusSlot | None,
) -> dict[str, Any]:
    """The ``OpenBadgeCredential`` of ``certification``, exported from its current
    ``certificate`` credential (before signing), citing the certificate's message ``status``
    slot (:func:`issuer.credentials.message_status.claim_slot`); ``None`` only for the
    unsigned preview of a certificate no badge has claimed a slot of yet, which then has
    no ``credentialStatus`` (a signed badge always has one).

    The holder is :func:`subject_id` of the certification, and is named by an unhashed
    ``IdentityObject`` of type ``name``: the name is already on the certificate and in the
    public register, and holders have no identifier (DID, e-mail) that the body publishes.
    The certificate number is the subject's ``licenseNumber``; the scope, as the scheme
    words it, the subject's ``narrative``; ``awardedDate`` is the day the person was first
    certified.
    """
    name = f"{person.given_name} {person.family_name}"
    badge: dict[str, Any] = {
        "@context": [documents.VC_CONTEXT, OB_CONTEXT],
        "id": open_badge_id(certificate.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": version.content.title,
        "issuer": _profile(identity),
        "validFrom": _stamp(certificate.valid_from),
        "validUntil": _stamp(certificate.valid_until),
        "awardedDate": _stamp(documents.valid_from(certification.original_certification_date)),
        "credentialSubject": {
            "id": subject_id(certification.id),
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "hashed": False,
                    "identityHash": name,
                    "identityType": "name",
                }
            ],
            "licenseNumber": certification.certificate_number,
            "narrative": _scope_narrative(version, certification.scope),
            "achievement": _achievement(identity, scheme_code, version),
        },
    }
    if status is not None:
        badge["credentialStatus"] = message_entry(identity, status)
    return badge


def _numeric(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp())


def sign_open_badge(
    tx: Tx, *, context: IssuanceContext, credential: dict[str, Any], now: datetime
) -> tuple[str, str]:
    """Sign a badge in OB 3.0's VC-JWT form with the active key: the ``kid`` and the
    compact JWS.

    The header is ``alg`` and ``kid`` only (:data:`OB_JWT_HEADER`). Beside ``iat`` (when it
    was signed, as on every certreg credential) the payload carries the claims OB requires,
    each equal to the member it repeats, as VC-JOSE-COSE also asks of claims that are
    present: ``iss`` (``issuer.id``), ``jti`` (``id``), ``sub`` (``credentialSubject.id``),
    ``nbf`` (``validFrom``) and ``exp`` (``validUntil``).
    """
    signer = context.keyring.signer(tx)
    did = context.identity.did
    assert credential["issuer"]["id"] == did
    payload = {
        **credential,
        **jwt_claims(did, now),
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": _numeric(credential["validFrom"]),
        "exp": _numeric(credential["validUntil"]),
    }
    token = sign_compact(header=OB_JWT_HEADER, payload=payload, signer=signer, did=did)
    return signer.kid, token
