"""The credential configurations a wallet may ask for (OpenID4VCI 1.0
``credential_configurations_supported``), each with its metadata and its issue function.

One entry per format of the certificate: adding a format (an SD-JWT VC, ``dc+sd-jwt``) is
one more :class:`Configuration` in :func:`configurations`, with its metadata and a function
``(tx, certificate number, holder public JWK, now, entropy) -> credential``. The credential
endpoint looks the requested id up here and calls the function, inside its transaction;
the function signs for an active certification only and audits what it signed.

``CertificationCredential_jwt_vc_json`` is the VC 2.0 certificate as ``vc+jwt``, the
``jwt_vc_json`` format of OpenID4VCI Appendix A.1. That appendix was written for VCDM 1.1
(a ``vc`` claim); certreg issues the VCDM 2.0 payload itself, as VC-JOSE-COSE secures it,
which is the profile decision docs/WALLETS.md states. The wallet gets a fresh copy bound to
the key its proof names (:mod:`issuer.credentials.holder_binding`), with the certificate's
own status entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from issuer.credentials.holder_binding import sign_bound_certificate
from issuer.credentials.issuance import IssuanceContext, current_certificate
from issuer.errors import StateConflict
from issuer.model import CertificationStatus
from issuer.process.lifecycle import get_certification
from issuer.runtime import Entropy
from issuer.store import Tx

__all__ = [
    "JWT_VC_JSON",
    "PROOF_ALGORITHMS",
    "WALLET_ACTOR",
    "Configuration",
    "IssueFunction",
    "configurations",
]

JWT_VC_JSON = "CertificationCredential_jwt_vc_json"
"""The id of the VC 2.0 certificate configuration (``jwt_vc_json``)."""
PROOF_ALGORITHMS = ("ES256", "EdDSA")
"""What a wallet's key proof may be signed with: asymmetric algorithms only."""
WALLET_ACTOR = "system:wallet-issuance"
"""The audit actor of a credential a wallet received with an offer's access token."""

IssueFunction = Callable[[Tx, str, dict[str, Any], datetime, Entropy], str]
"""``(tx, certificate number, holder public JWK, now, entropy) -> the credential``."""


@dataclass(frozen=True, slots=True)
class Configuration:
    """One entry of ``credential_configurations_supported``: its id, its metadata as
    published, and the function that issues it."""

    id: str
    metadata: Mapping[str, Any]
    issue: IssueFunction


def _jwt_vc_json_metadata(context: IssuanceContext) -> dict[str, Any]:
    name = context.identity.name
    return {
        "format": "jwt_vc_json",
        "scope": JWT_VC_JSON,
        "credential_definition": {
            "type": ["VerifiableCredential", "CertificationCredential"],
        },
        "cryptographic_binding_methods_supported": ["jwk", "did:jwk"],
        "credential_signing_alg_values_supported": ["ES256", "EdDSA"],
        "proof_types_supported": {
            "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)},
        },
        "credential_metadata": {
            "display": [{"name": f"Certificate of {name}"[:200], "locale": "en"}],
            "claims": [
                {"path": ["credentialSubject", "name"], "display": [{"name": "Name"}]},
                {
                    "path": ["credentialSubject", "certification", "certificateNumber"],
                    "display": [{"name": "Certificate number"}],
                },
                {
                    "path": ["credentialSubject", "certification", "scheme", "name"],
                    "display": [{"name": "Scheme"}],
                },
                {
                    "path": ["credentialSubject", "certification", "expiryDate"],
                    "display": [{"name": "Valid until"}],
                },
            ],
        },
    }


def _issue_jwt_vc_json(context: IssuanceContext) -> IssueFunction:
    def issue(
        tx: Tx, number: str, holder_jwk: dict[str, Any], now: datetime, entropy: Entropy
    ) -> str:
        certification = get_certification(tx, number)
        if certification.status is not CertificationStatus.ACTIVE or (
            certification.expiry_date < now.date()
        ):
            raise StateConflict(
                f"the certification is {certification.status.value}: a wallet receives a "
                "certificate only while it is valid",
                kind="certification-not-active",
            )
        certificate = current_certificate(tx, certification.id)
        bound = sign_bound_certificate(
            tx,
            context=context,
            certification=certification,
            certificate=certificate,
            holder_jwk=holder_jwk,
            now=now,
            entropy=entropy,
        )
        tx.append_audit(
            at=now,
            actor=WALLET_ACTOR,
            action="credential.exported",
            subject_type="certification",
            subject_id=certification.id,
            details={
                "format": "jwt_vc_json",
                "credential_id": bound.credential_id,
                "certificate_credential_id": certificate.id,
                "kid": bound.kid,
                "holder_key_thumbprint": bound.thumbprint,
            },
        )
        return bound.jws

    return issue


def configurations(context: IssuanceContext) -> Mapping[str, Configuration]:
    """Every configuration a wallet may ask for, by id, as this deployment signs them."""
    table = [
        Configuration(
            id=JWT_VC_JSON,
            metadata=_jwt_vc_json_metadata(context),
            issue=_issue_jwt_vc_json(context),
        ),
    ]
    return MappingProxyType({entry.id: entry for entry in table})
