"""The credential configurations a wallet may ask for (OpenID4VCI 1.0
``credential_configurations_supported``), each with its metadata and its issue function.

One entry per format of the certificate: adding a format is one more :class:`Configuration`
in :func:`configurations`, with its metadata and a function ``(tx, certificate number,
holder public JWK, now, entropy) -> credential``. The credential endpoint looks the requested
id up here and calls the function, inside its transaction; the function signs for an active
certification only and audits what it signed. An offer names one configuration, and its
access token fetches that one only.

``CertificationCredential_jwt_vc_json`` is the VC 2.0 certificate as ``vc+jwt``, the
``jwt_vc_json`` format of OpenID4VCI Appendix A.1. That appendix was written for VCDM 1.1
(a ``vc`` claim); certreg issues the VCDM 2.0 payload itself, as VC-JOSE-COSE secures it,
which is the profile decision docs/WALLETS.md states. The wallet gets a fresh copy bound to
the key its proof names (:mod:`issuer.credentials.holder_binding`), with the certificate's
own status entries.

``CertificationCredential_dc_sd_jwt`` is the SD-JWT VC of Appendix A.3, what an EU digital
identity wallet reads: :func:`issuer.process.wallet_credentials.issue_sd_jwt_vc`, its
``cnf.jwk`` the key the proof names, its status a Token Status List slot. Its metadata
describes the claims that SD-JWT VC carries (:mod:`issuer.credentials.sd_jwt_vc`), with
their names in each language certreg speaks, so a wallet without type metadata can still
label them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from issuer.credentials.holder_binding import sign_bound_certificate
from issuer.credentials.issuance import IssuanceContext, current_certificate
from issuer.errors import InvalidInput, StateConflict
from issuer.model import CertificationStatus
from issuer.process.lifecycle import get_certification
from issuer.process.wallet_credentials import issue_sd_jwt_vc
from issuer.runtime import Entropy
from issuer.store import Tx

__all__ = [
    "DC_SD_JWT",
    "DEFAULT_CONFIGURATION",
    "JWT_VC_JSON",
    "PROOF_ALGORITHMS",
    "WALLET_ACTOR",
    "Configuration",
    "IssueFunction",
    "configurations",
    "offered_configuration",
]

JWT_VC_JSON = "CertificationCredential_jwt_vc_json"
"""The id of the VC 2.0 certificate configuration (``jwt_vc_json``)."""
DC_SD_JWT = "CertificationCredential_dc_sd_jwt"
"""The id of the SD-JWT VC configuration (``dc+sd-jwt``)."""
DEFAULT_CONFIGURATION = JWT_VC_JSON
"""What an offer is for when its maker names no configuration: the one offers were made for
before there was a choice, so existing integrations keep receiving what they expect."""
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


_LOCALES = ("en", "de", "fr", "es")
_CREDENTIAL_NAMES = ("Certificate", "Zertifikat", "Certificat", "Certificado")
_SD_JWT_CLAIMS: tuple[tuple[tuple[str | None, ...], tuple[str, str, str, str]], ...] = (
    (("given_name",), ("Given name", "Vorname", "Prénom", "Nombre")),
    (("family_name",), ("Family name", "Nachname", "Nom", "Apellidos")),
    (
        ("certificate_number",),
        (
            "Certificate number",
            "Zertifikatsnummer",
            "Numéro de certificat",
            "Número de certificado",
        ),
    ),
    (
        ("scheme", "title"),
        (
            "Certification scheme",
            "Zertifizierungsprogramm",
            "Programme de certification",
            "Esquema de certificación",
        ),
    ),
    (
        ("scheme", "code"),
        ("Scheme code", "Programmcode", "Code du programme", "Código del esquema"),
    ),
    (
        ("scheme", "version"),
        ("Scheme version", "Programmversion", "Version du programme", "Versión del esquema"),
    ),
    (("scope", None, "title"), ("Scope", "Geltungsbereich", "Portée", "Alcance")),
    (
        ("scope", None, "code"),
        ("Scope code", "Bereichscode", "Code de portée", "Código de alcance"),
    ),
    (("valid_from",), ("Valid from", "Gültig ab", "Valide à partir du", "Válida desde")),
    (("valid_until",), ("Valid until", "Gültig bis", "Valide jusqu’au", "Válida hasta")),
    (
        ("certification_body",),
        (
            "Certification body",
            "Zertifizierungsstelle",
            "Organisme de certification",
            "Organismo de certificación",
        ),
    ),
)
"""Each claim of the SD-JWT VC (its path, ``None`` for every item of an array) and its name
in English, German, French and Spanish."""


def _names(names: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"name": name, "locale": locale} for name, locale in zip(names, _LOCALES, strict=True)]


def _dc_sd_jwt_metadata(context: IssuanceContext) -> dict[str, Any]:
    body = context.identity.name
    return {
        "format": "dc+sd-jwt",
        "scope": DC_SD_JWT,
        "vct": context.identity.certification_vct,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": ["ES256", "EdDSA"],
        "proof_types_supported": {
            "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)},
        },
        "credential_metadata": {
            "display": [
                {"name": f"{word} – {body}"[:200], "locale": locale}
                for word, locale in zip(_CREDENTIAL_NAMES, _LOCALES, strict=True)
            ],
            "claims": [
                {"path": list(path), "display": _names(names)} for path, names in _SD_JWT_CLAIMS
            ],
        },
    }


def _issue_dc_sd_jwt(context: IssuanceContext) -> IssueFunction:
    def issue(
        tx: Tx, number: str, holder_jwk: dict[str, Any], now: datetime, entropy: Entropy
    ) -> str:
        return issue_sd_jwt_vc(
            tx,
            number=number,
            holder_jwk=holder_jwk,
            context=context,
            actor=WALLET_ACTOR,
            now=now,
            entropy=entropy,
        )

    return issue


def configurations(context: IssuanceContext) -> Mapping[str, Configuration]:
    """Every configuration a wallet may ask for, by id, as this deployment signs them."""
    table = [
        Configuration(
            id=JWT_VC_JSON,
            metadata=_jwt_vc_json_metadata(context),
            issue=_issue_jwt_vc_json(context),
        ),
        Configuration(
            id=DC_SD_JWT,
            metadata=_dc_sd_jwt_metadata(context),
            issue=_issue_dc_sd_jwt(context),
        ),
    ]
    return MappingProxyType({entry.id: entry for entry in table})


def offered_configuration(table: Mapping[str, Configuration], wanted: str | None) -> Configuration:
    """The configuration an offer is to be for: ``wanted``, or the default when none is
    named; a typed 422 (``unknown-credential-configuration``) for an id not in ``table``."""
    chosen = table.get(DEFAULT_CONFIGURATION if wanted is None else wanted)
    if chosen is None:
        raise InvalidInput(
            f"no credential configuration is called {str(wanted)[:100]!r}: use one of "
            + ", ".join(sorted(table)),
            kind="unknown-credential-configuration",
        )
    return chosen
