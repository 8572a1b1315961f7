"""The whole OpenID4VCI flow driven by an independent client library from npm
(``@openid4vc/openid4vci``, the version ``tests/js/package-lock.json`` pins) against
``certreg serve --demo`` running for real: the library resolves the offer URI, reads both
metadata documents, trades the pre-authorized code and transaction code for a token, gets a
``c_nonce``, signs the key proof with a key it generated, and receives the credential —
which certreg's verifier (``certreg verify``) finds valid, bound to that very key."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from issuer.cli import app
from tests.node import run_script
from tests.test_cli_verify import Demo, _free_port, _wait, demo_server, runner


def _payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return value


@pytest.mark.parametrize(("alg", "holder"), [("ES256", "jwk"), ("EdDSA", "did")])
def test_an_independent_wallet_library_receives_a_bound_certificate(
    tmp_path: Path, alg: str, holder: str
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with demo_server(tmp_path / "data", port, public=base) as (admin, process):
        demo = Demo(base=base, data_dir=tmp_path / "data", admin=admin, process=process)
        made = runner.invoke(
            app,
            [
                *("token", "create", "--role", "registrar", "--name", "R. Egistrar"),
                *("--data-dir", str(demo.data_dir)),
            ],
        )
        assert made.exit_code == 0, made.output
        registrar = made.stdout.strip()
        number = demo.api("GET", "/certifications", admin).json()[0]["certificate_number"]
        offer = demo.api("POST", f"/certifications/{number}/credential-offers", registrar).json()
        answer = run_script(
            "@openid4vc/openid4vci",
            "oid4vci_client.mjs",
            {
                "offer": offer["deep_link"],
                "tx_code": offer["tx_code"],
                "alg": alg,
                "holder": holder,
            },
        )
        assert answer["credential_issuer"] == base
        assert answer["configuration_id"] == "CertificationCredential_jwt_vc_json"
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
