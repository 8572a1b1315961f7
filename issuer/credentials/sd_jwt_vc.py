"""The SD-JWT VC of a certification (SD-JWT VC draft, RFC 9901): what a wallet holds.

It restates the certificate credential of a certification — the same facts of clause 9.4,
the same dates, the same status — as an ``application/dc+sd-jwt`` bound to the holder's key,
so that its holder can show a verifier their name, scheme, scope and validity without the
rest. Always visible (never selectively disclosable, as SD-JWT VC §2.2.2 requires): ``iss``
(the body's base URL), ``iat``, ``nbf`` (the certificate's first valid instant), ``exp``
(its last: the certification's expiry date), ``vct``, ``cnf`` (the holder key), ``status``
(the certificate's Token Status List slot). Each a disclosure of its own: ``given_name``,
``family_name``, ``certificate_number``, ``scheme`` (id, code, title, version),
``valid_from`` and ``valid_until`` (dates), ``certification_body`` (the body's name), and
each item of ``scope`` as an array-element disclosure. Decoy digests beside them
(RFC 9901 §4.2.5) hide how many claims and scope items there are.

Salts and decoys come from the entropy passed in (128 bits each); disclosures are made with
the shared codec (:mod:`schemas.sd_jwt`). The JWT is signed by the active key with the
key's JWKS ``kid`` in its header, so a wallet finds it through ``/.well-known/jwt-vc-issuer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.signing import Signer, b64url, sign_compact_by_thumbprint
from issuer.credentials.status import random_index
from issuer.model import Certification, Credential, Person, SchemeVersion, TokenSlot
from issuer.runtime import Entropy
from schemas.sd_jwt import HASH_ALGORITHM, digest, encode_disclosure

__all__ = [
    "DC_SD_JWT_MEDIA_TYPE",
    "DC_SD_JWT_TYPE",
    "SALT_BYTES",
    "SdJwtVcFacts",
    "sd_jwt_vc_claims",
    "sign_sd_jwt_vc",
]

DC_SD_JWT_TYPE = "dc+sd-jwt"
DC_SD_JWT_MEDIA_TYPE = f"application/{DC_SD_JWT_TYPE}"
SALT_BYTES = 16
"""128 bits per salt and per decoy (RFC 9901 §9.3)."""


@dataclass(frozen=True, slots=True)
class SdJwtVcFacts:
    """What an SD-JWT VC of a certification says, read from the records by the caller."""

    identity: IssuerIdentity
    certification: Certification
    person: Person
    scheme_code: str
    version: SchemeVersion
    certificate: Credential
    holder_jwk: dict[str, str]
    """The holder's public key, already reduced to its public members
    (:func:`issuer.credentials.signing.holder_public_jwk`)."""
    slot: TokenSlot


def _decoy(entropy: Entropy) -> str:
    return digest(b64url(entropy(SALT_BYTES)))


def _decoy_count(entropy: Entropy, least: int, most: int) -> int:
    return least + random_index(entropy, most - least + 1)


def _scope(facts: SdJwtVcFacts, entropy: Entropy, disclosures: list[str]) -> list[dict[str, str]]:
    """Each scope item an array-element disclosure, decoys at random places among them."""
    titles = {item.code: item.title for item in facts.version.content.scope_items}
    elements: list[dict[str, str]] = []
    for code in facts.certification.scope:
        disclosure = encode_disclosure(
            entropy(SALT_BYTES), None, {"code": code, "title": titles[code]}
        )
        disclosures.append(disclosure)
        elements.append({"...": digest(disclosure)})
    for _ in range(_decoy_count(entropy, 1, 3)):
        elements.insert(random_index(entropy, len(elements) + 1), {"...": _decoy(entropy)})
    return elements


def sd_jwt_vc_claims(
    facts: SdJwtVcFacts, *, now: datetime, entropy: Entropy
) -> tuple[dict[str, Any], list[str]]:
    """The payload to sign and the disclosures, in the order they are sent."""
    certification, identity = facts.certification, facts.identity
    scheme = {
        "id": identity.scheme_url(facts.version.scheme_id),
        "code": facts.scheme_code,
        "title": facts.version.content.title,
        "version": facts.version.version,
    }
    disclosable: Sequence[tuple[str, Any]] = (
        ("given_name", facts.person.given_name),
        ("family_name", facts.person.family_name),
        ("certificate_number", certification.certificate_number),
        ("scheme", scheme),
        ("valid_from", facts.certificate.valid_from.date().isoformat()),
        ("valid_until", certification.expiry_date.isoformat()),
        ("certification_body", identity.name),
    )
    disclosures = [encode_disclosure(entropy(SALT_BYTES), n, v) for n, v in disclosable]
    digests = [digest(d) for d in disclosures]
    digests += [_decoy(entropy) for _ in range(_decoy_count(entropy, 2, 4))]
    scope = _scope(facts, entropy, disclosures)
    payload: dict[str, Any] = {
        "iss": identity.base_url,
        "iat": int(now.timestamp()),
        "nbf": int(facts.certificate.valid_from.timestamp()),
        "exp": int(facts.certificate.valid_until.timestamp()),
        "vct": identity.certification_vct,
        "cnf": {"jwk": dict(facts.holder_jwk)},
        "status": {
            "status_list": {
                "idx": facts.slot.index,
                "uri": identity.token_status_list_url(facts.slot.list_id),
            }
        },
        "_sd_alg": HASH_ALGORITHM,
        "_sd": sorted(digests),
        "scope": scope,
    }
    return payload, disclosures


def sign_sd_jwt_vc(facts: SdJwtVcFacts, *, signer: Signer, now: datetime, entropy: Entropy) -> str:
    """The serialized SD-JWT VC, ``<jwt>~<disclosure>~…~`` (no key binding: the holder adds
    that when presenting), header ``typ`` ``dc+sd-jwt``, ``alg`` and ``kid`` the signer's."""
    payload, disclosures = sd_jwt_vc_claims(facts, now=now, entropy=entropy)
    jwt = sign_compact_by_thumbprint(header={"typ": DC_SD_JWT_TYPE}, payload=payload, signer=signer)
    return "~".join([jwt, *disclosures]) + "~"
