"""Bodies of the route that issues a certification to a wallet as an SD-JWT VC
(:mod:`issuer.http.routes.wallet`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from issuer.http.bodies.common import _In


class SdJwtVcCreate(_In):
    holder_jwk: dict[str, Any] = Field(
        max_length=32,
        description="the holder's public key as a JWK (EC P-256 or OKP Ed25519), which the "
        "SD-JWT VC is bound to (cnf); private members are refused",
        examples=[
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        ],
    )
