"""Bodies of the routes that issue a certification to a wallet: as an SD-JWT VC
(:mod:`issuer.http.routes.wallet`), or by an OpenID4VCI offer
(:mod:`issuer.http.routes.wallets`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from issuer.http.bodies.common import _In
from issuer.process.wallet_configurations import DC_SD_JWT, DEFAULT_CONFIGURATION


class SdJwtVcCreate(_In):
    holder_jwk: dict[str, Any] = Field(
        max_length=32,
        description="the holder's public key as a JWK (EC P-256 or OKP Ed25519), which the "
        "SD-JWT VC is bound to (cnf); private members are refused",
        examples=[
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        ],
    )


class CredentialOfferCreate(_In):
    credential_configuration_id: str = Field(
        default=DEFAULT_CONFIGURATION,
        min_length=1,
        max_length=100,
        description="what the wallet is to receive: CertificationCredential_jwt_vc_json (the "
        "W3C certificate, the default) or CertificationCredential_dc_sd_jwt (an SD-JWT VC, "
        "for EU digital identity wallets); the credential issuer metadata lists them all",
        examples=[DC_SD_JWT],
    )
