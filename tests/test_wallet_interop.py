"""The whole OpenID4VCI flow driven by an independent client library from npm
(``@openid4vc/openid4vci``, the version ``tests/js/package-lock.json`` pins) against
``certreg serve --demo`` running for real: the library resolves the offer URI, reads both
metadata documents, trades the pre-authorized code and transaction code for a token, gets a
``c_nonce``, signs the key proof with a key it generated, and receives the credential, in
each configuration an offer may name:

* the W3C certificate (``jwt_vc_json``), which certreg's verifier (``certreg verify``) finds
  valid, bound to that very key;
* the SD-JWT VC (``dc+sd-jwt``), whose ``cnf.jwk`` is that very key, and which both
  certreg's SD-JWT VC verifier and the OpenWallet Foundation's ``@sd-jwt/sd-jwt-vc`` find
  valid with the keys the server publishes at ``/.well-known/jwt-vc-issuer`` and the Token
  Status List it serves.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from issuer.cli import app
from schemas import sd_jwt
from tests.node import run_script
from tests.test_cli_verify import Demo, _free_port, _wait, demo_server, runner
from verifier.errors import Verdict
from verifier.fetch import HttpFetcher
from verifier.keys import IssuerKeys, issuer_keys_from_jwks
from verifier.policy import TrustPolicy
from verifier.sd_jwt_vc import SdJwtVcResult, SdJwtVcVerifier, verify_sd_jwt_vc
from verifier.token_status import HttpTokenStatusLists

JWT_VC_JSON = "CertificationCredential_jwt_vc_json"
DC_SD_JWT = "CertificationCredential_dc_sd_jwt"
HOLDERS = [("ES256", "jwk"), ("EdDSA", "did")]


@dataclass(frozen=True)
class Served:
    """The demo server, a registrar's token and an active certification's number."""

    demo: Demo
    registrar: str
    number: str

    def receive(
        self, alg: str, holder: str, body: dict[str, Any] | None = None, ask: str | None = None
    ) -> Any:
        """An offer made by the registrar, redeemed by the library (asking for ``ask``
        instead of what the offer names, if given): its answer."""
        extra = {} if body is None else {"json": body}
        path = f"/certifications/{self.number}/credential-offers"
        offer = self.demo.api("POST", path, self.registrar, **extra).json()
        request = {"offer": offer["deep_link"], "tx_code": offer["tx_code"], "alg": alg}
        request |= {"holder": holder} | ({} if ask is None else {"ask": ask})
        return run_script("@openid4vc/openid4vci", "oid4vci_client.mjs", request)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("wallet-interop") / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # One server for every flow here: without the wallet endpoints' rate limit, which a
    # handful of flows from one address would reach (tests/test_wallet_offers.py has it).
    unlimited = {"CERTREG_OID4VCI_PER_MINUTE": "0"}
    with demo_server(data_dir, port, public=base, env=unlimited) as (admin, process):
        demo = Demo(base=base, data_dir=data_dir, admin=admin, process=process)
        made = runner.invoke(
            app,
            [
                *("token", "create", "--role", "registrar", "--name", "R. Egistrar"),
                *("--data-dir", str(data_dir)),
            ],
        )
        assert made.exit_code == 0, made.output
        number = demo.api("GET", "/certifications", admin).json()[0]["certificate_number"]
        yield Served(demo=demo, registrar=made.stdout.strip(), number=number)


def _payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return value


@pytest.mark.parametrize(("alg", "holder"), HOLDERS)
def test_an_independent_wallet_library_receives_a_bound_certificate(
    served: Served, alg: str, holder: str
) -> None:
    demo, number = served.demo, served.number
    answer = served.receive(alg, holder)
    assert answer["credential_issuer"] == demo.base
    assert answer["configuration_id"] == JWT_VC_JSON
    assert answer["token_type"] == "Bearer"
    credential = answer["credential"]
    subject = _payload(credential)["credentialSubject"]
    assert subject["certification"]["certificateNumber"] == number
    encoded = subject["id"].removeprefix("did:jwk:")
    bound = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert bound == answer["public_jwk"]  # the key the library generated
    _wait(lambda: demo.verify(credential).exit_code == 0, "the credential to verify")
    verdict = json.loads(demo.verify(credential, "--json").stdout)
    assert (verdict["verified"], verdict["verdict"]) == (True, "valid"), verdict


class _PublishedKeys:
    """The issuer's keys as ``/.well-known/jwt-vc-issuer`` lists them. The demo runs on
    plain HTTP, so its ``iss`` (``http://…``) cannot match the metadata's ``issuer``, which
    is HTTPS by rule: the test reads the key set itself, as a wallet's verifier configured
    with this issuer's keys would."""

    def __init__(self, base: str) -> None:
        self.base = base

    def issuer_keys(self, issuer: str, *, now: datetime) -> IssuerKeys:
        assert issuer == self.base
        metadata = httpx.get(f"{self.base}/.well-known/jwt-vc-issuer", timeout=10).json()
        return issuer_keys_from_jwks(issuer, metadata["jwks"])

    def refresh(self, issuer: str, *, now: datetime) -> IssuerKeys:
        return self.issuer_keys(issuer, now=now)


def _certreg_verdict(base: str, credential: str) -> SdJwtVcResult:
    policy = TrustPolicy(
        trusted_issuers=frozenset({base}), unsafe_http_hosts=frozenset({"127.0.0.1"})
    )
    fetcher = HttpFetcher(policy)
    try:
        verifier = SdJwtVcVerifier(
            policy=policy, keys=_PublishedKeys(base), status=HttpTokenStatusLists(fetcher)
        )
        return verify_sd_jwt_vc(credential, verifier=verifier, now=datetime.now(UTC))
    finally:
        fetcher.close()


def _library_verdict(base: str, credential: str) -> dict[str, Any]:
    """``@sd-jwt/sd-jwt-vc``'s verdict, with the issuer key named by the JWT's ``kid`` in
    ``/.well-known/jwt-vc-issuer`` and the Status List Token the credential cites."""
    issuer_jwt = sd_jwt.split(credential).issuer_jwt
    kid = json.loads(base64.urlsafe_b64decode(issuer_jwt.split(".")[0] + "=="))["kid"]
    metadata = httpx.get(f"{base}/.well-known/jwt-vc-issuer", timeout=10).json()
    [key] = [k for k in metadata["jwks"]["keys"] if k["kid"] == kid]
    uri = _payload(issuer_jwt)["status"]["status_list"]["uri"]
    answer: dict[str, Any] = run_script(
        "@sd-jwt/sd-jwt-vc",
        "sd_jwt_vc.mjs",
        {
            "op": "verify",
            "credential": credential,
            "issuerPublicKey": {m: key[m] for m in ("kty", "crv", "x", "y")},
            "now": int(time.time()),
            "statusLists": {uri: httpx.get(uri, timeout=10).text},
        },
    )
    return answer


@pytest.mark.parametrize(("alg", "holder"), HOLDERS)
def test_an_independent_wallet_library_receives_a_bound_sd_jwt_vc(
    served: Served, alg: str, holder: str
) -> None:
    demo, number = served.demo, served.number
    answer = served.receive(alg, holder, {"credential_configuration_id": DC_SD_JWT})
    assert answer["configuration_id"] == DC_SD_JWT
    listed = answer["metadata"]["credential_configurations_supported"]
    assert set(listed) == {JWT_VC_JSON, DC_SD_JWT}
    assert listed[DC_SD_JWT]["format"] == "dc+sd-jwt"
    credential = answer["credential"]
    issuer_jwt = sd_jwt.split(credential).issuer_jwt
    assert _payload(issuer_jwt)["cnf"] == {"jwk": answer["public_jwk"]}  # the library's key

    # The Token Status List of a new slot is published a moment after the issuance.
    _wait(
        lambda: _certreg_verdict(demo.base, credential).verdict is Verdict.VALID,
        "the SD-JWT VC to verify",
    )
    ours = _certreg_verdict(demo.base, credential)
    assert ours.claims is not None
    assert ours.claims["certificate_number"] == number
    assert ours.claims["cnf"]["jwk"] == answer["public_jwk"]

    theirs = _library_verdict(demo.base, credential)
    assert theirs["ok"], theirs
    assert theirs["header"]["typ"] == "dc+sd-jwt"
    assert theirs["claims"]["certificate_number"] == number
    assert theirs["claims"]["cnf"]["jwk"] == answer["public_jwk"]
    assert theirs["claims"]["vct"] == listed[DC_SD_JWT]["vct"]


@pytest.mark.parametrize(("offered", "asked"), [(JWT_VC_JSON, DC_SD_JWT), (DC_SD_JWT, JWT_VC_JSON)])
def test_the_library_cannot_fetch_a_configuration_it_was_not_offered(
    served: Served, offered: str, asked: str
) -> None:
    """The access token is for the configuration the offer names: asked for the other one,
    the credential endpoint refuses, in OAuth's words the library reads."""
    answer = served.receive("ES256", "jwk", {"credential_configuration_id": offered}, ask=asked)
    assert answer["configuration_id"] == asked
    assert "credential" not in answer
    assert answer["refused"]["error"] == "invalid_credential_request", answer
