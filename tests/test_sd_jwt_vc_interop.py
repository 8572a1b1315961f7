"""The SD-JWT VC certreg issues, read by the OpenWallet Foundation's ``sd-jwt`` library (the
reference implementation of RFC 9901): its holder picks the claims to show and binds the
presentation to a verifier's nonce with the key the credential names in ``cnf``; its
verifier checks the issuer's signature with the key from ``/.well-known/jwt-vc-issuer`` and
the key binding, and rebuilds only the claims shown."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from jwcrypto.jwk import JWK
from sd_jwt.holder import SDJWTHolder
from sd_jwt.verifier import SDJWTVerifier

from tests.backoffice import BackOffice, grant, member
from tests.test_sd_jwt_vc import BASE, _publish, public

__all__ = ["public"]


def test_the_reference_library_verifies_a_bound_presentation(
    public: tuple[BackOffice, TestClient],
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    _publish(client)
    holder = JWK.generate(kty="EC", crv="P-256")
    response = office.call(
        "POST",
        f"/certifications/{number}/sd-jwt-vc",
        member(office, "registrar"),
        {"holder_jwk": json.loads(holder.export_public())},
    )
    assert response.status_code == 200, response.text
    wallet = SDJWTHolder(response.text)
    wallet.create_presentation(
        {"given_name": True, "family_name": True, "scheme": True},
        nonce="n-0S6_WzA2Mj",
        aud="https://employer.example",
        holder_key=holder,
        sign_alg="ES256",
    )
    metadata = client.get("/.well-known/jwt-vc-issuer").json()
    asked: list[tuple[str, str]] = []

    def issuer_key(issuer: str, header: dict[str, Any]) -> JWK:
        assert issuer == metadata["issuer"] == BASE
        asked.append((issuer, header["kid"]))
        [key] = [k for k in metadata["jwks"]["keys"] if k["kid"] == header["kid"]]
        return JWK(**key)

    verifier = SDJWTVerifier(
        wallet.sd_jwt_presentation,
        issuer_key,
        expected_aud="https://employer.example",
        expected_nonce="n-0S6_WzA2Mj",
    )
    claims = verifier.get_verified_payload()
    assert asked
    assert (claims["given_name"], claims["family_name"]) == ("Ana", "Moreau")
    assert claims["scheme"]["id"].startswith(f"{BASE}/schemes/")
    assert "certificate_number" not in claims
    assert "valid_until" not in claims
    assert claims["vct"] == f"{BASE}/vct/certification/v1"
