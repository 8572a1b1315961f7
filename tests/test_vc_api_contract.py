"""The verification contract of ``POST /credentials/verify`` as the VC API promises it.

VC API options are read (``checks``, ``challenge``, ``domain``, ``returnCredential``) and an
option this verifier does not know is ignored with a warning, not refused; an enveloped
credential's data URL may carry the JWS plain or in strict base64; a plain JSON credential
that nothing secures is ``verified: false``, not a 422; a credential the issuer replaced is
*superseded*, with the replacing credential's id, not merely revoked; an expired one is
*expired*; and a payload holding a lone surrogate is a PARSING_ERROR, not a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests import test_vc_api
from tests.backoffice import member
from tests.test_vc_api import World, enveloped
from tests.verifier.test_verifier import make_verifier
from tests.verifier.tokens import NOW, FakeIssuer
from verifier import ParsingError
from verifier.http import verification_router
from verifier.requests import base64_jws

W3C = "https://www.w3.org/TR/vc-data-model#"

world = test_vc_api.world
"""The same back office and registry, in process, as tests/test_vc_api.py uses."""


def _base64_envelope(token: str, media: str = "data:application/vc+jwt;base64,") -> Any:
    encoded = base64.b64encode(token.encode("ascii")).decode("ascii")
    return {**enveloped(token), "id": media + encoded}


def test_vc_api_options_are_read_and_unknown_ones_ignored(world: World) -> None:
    _, token = world.issue()
    options = {
        "checks": ["proof", "credentialStatus", "signature"],
        "challenge": "6e62f66e-67de-11eb-b490-ef3eeefa55f2",
        "domain": "verifier.example",
        "futureOption": {"anything": [1, 2]},
    }
    response = world.post({"verifiableCredential": enveloped(token), "options": options})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["verified"], result["verdict"]) == (True, "valid")
    assert "credential-status" in result["checks"]  # asked for or not, every check runs
    warnings = " ".join(result["warnings"])
    assert "challenge" in warnings
    assert "domain" in warnings
    assert "futureOption" in warnings
    assert "proof" not in warnings  # a VC API check name this verifier knows


def test_an_unknown_check_name_is_a_warning_and_every_check_still_runs(world: World) -> None:
    _, token = world.issue()
    result = world.post(
        {"verifiableCredential": token, "options": {"checks": ["telepathy"]}}
    ).json()
    assert result["verified"] is True
    assert any("telepathy" in w for w in result["warnings"])
    assert {"signature", "credential-status", "validity-period"} <= set(result["checks"])


def test_return_credential_false_leaves_the_credential_out(world: World) -> None:
    _, token = world.issue()
    result = world.post(
        {"verifiableCredential": token, "options": {"returnCredential": False}}
    ).json()
    assert (result["verified"], result["credential"]) == (True, None)


def test_a_base64_data_url_verifies_as_the_plain_one(world: World) -> None:
    _, token = world.issue()
    plain = world.post({"verifiableCredential": enveloped(token)}).json()
    for media in ("data:application/vc+jwt;base64,", "data:APPLICATION/VC+JWT;BASE64,"):
        response = world.post({"verifiableCredential": _base64_envelope(token, media)})
        assert response.status_code == 200, response.text
        assert response.json() == plain
    compact = "data:application/vc+jwt;base64," + base64.b64encode(token.encode()).decode()
    assert world.post({"verifiableCredential": compact}).json()["verified"] is True


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[:10] + "\n" + b[10:],  # whitespace
        lambda b: b[:10] + "*" + b[11:],  # a symbol outside base64
        lambda b: b.replace("+", "-").replace("/", "_") + ("-" if "+" not in b else ""),
        lambda b: b + "=",  # too much padding
        lambda b: base64.b64encode(b"\xff\xfe" + b.encode()).decode(),  # not ASCII inside
        lambda b: "é" + b,
    ],
    ids=["whitespace", "symbol", "urlsafe", "extra-padding", "binary", "non-ascii"],
)
def test_base64_that_is_not_strict_is_a_parsing_error(world: World, mangle: Any) -> None:
    _, token = world.issue()
    encoded = base64.b64encode(token.encode("ascii")).decode("ascii")
    envelope = {**enveloped(token), "id": "data:application/vc+jwt;base64," + mangle(encoded)}
    response = world.post({"verifiableCredential": envelope})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["verified"], result["verdict"]) == (False, "invalid")
    assert [p["type"] for p in result["problemDetails"]] == [W3C + "PARSING_ERROR"]


@pytest.mark.parametrize(
    ("data", "jws"),
    [
        ("YWJjZA==", "abcd"),
        ("YWJjZA", None),  # padding left off (a credential's own length may need none)
        ("YWJjZB==", None),  # trailing bits set: another text of the same bytes
        ("YWJj", "abc"),
    ],
)
def test_only_canonical_padded_base64_is_read(data: str, jws: str | None) -> None:
    if jws is None:
        with pytest.raises(ParsingError):
            base64_jws(data)
    else:
        assert base64_jws(data) == jws


def test_an_unsecured_credential_is_not_verified_rather_than_refused(world: World) -> None:
    _, token = world.issue()
    payload = token.split(".")[1]
    unsecured = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert "VerifiableCredential" in unsecured["type"]  # our own credential, signature dropped
    response = world.post({"verifiableCredential": unsecured, "options": {}})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["verified"], result["verdict"], result["credential"]) == (
        False,
        "invalid",
        None,
    )
    [problem] = result["problemDetails"]
    assert problem["type"] == W3C + "CRYPTOGRAPHIC_SECURITY_ERROR"
    assert "not secured" in problem["detail"]


def _superseded(world: World, action: str, body: dict[str, Any]) -> tuple[str, str, str]:
    """Issue, then replace by ``action``: the old token, the old and the new credential ids."""
    number, token = world.issue()
    auditor, decider = member(world.office, "auditor"), member(world.office, "decider")
    old = world.office.ok("GET", f"/certifications/{number}", auditor)["credentials"][0]["id"]
    world.office.ok("POST", f"/certifications/{number}/{action}", decider, body)
    world.publish()
    listed = world.office.ok("GET", f"/certifications/{number}", auditor)["credentials"]
    [new] = [c["id"] for c in listed if c["id"] != old and c["status"] == "active"]
    return token, old, new


def test_a_scope_change_is_superseded_with_its_successor_not_revoked(world: World) -> None:
    token, old, new = _superseded(world, "scope", {"scope": ["VT-STEEL"]})
    result = world.post({"verifiableCredential": enveloped(token)}).json()
    assert (result["verified"], result["verdict"]) == (False, "superseded")
    assert result["supersededBy"] == f"urn:uuid:{new}"
    [problem] = result["problemDetails"]
    assert problem["type"] == "/problems/superseded"
    assert problem["supersededBy"] == f"urn:uuid:{new}"
    assert result["credential"]["id"] == f"urn:uuid:{old}"  # whose certificate it was


def test_a_withdrawal_is_still_revoked(world: World) -> None:
    number, token = world.issue()
    decider = member(world.office, "decider")
    world.office.ok("POST", f"/certifications/{number}/withdraw", decider, {"reason": "fraud"})
    world.publish()
    result = world.post({"verifiableCredential": token}).json()
    assert (result["verdict"], result["supersededBy"]) == ("revoked", None)
    assert [p["type"] for p in result["problemDetails"]] == ["/problems/revoked"]


def test_an_expired_credential_is_expired(world: World) -> None:
    _, token = world.issue()
    world.clock.advance(days=365 * 6)
    result = world.post({"verifiableCredential": token}).json()
    assert (result["verified"], result["verdict"]) == (False, "expired")
    assert [p["type"] for p in result["problemDetails"]] == ["/problems/expired"]


def test_a_lone_surrogate_in_a_signed_payload_is_a_parsing_error_not_a_500() -> None:
    """Regression: the standard library read ``"\\ud800"``, the credential verified, and the
    answer could not be written as UTF-8 — a 500."""
    issuer = FakeIssuer()
    app = FastAPI()
    app.include_router(verification_router(lambda: make_verifier(issuer), lambda: NOW))
    subject = {"type": "CertifiedPerson", "name": "Ana \ud800 Moreau"}
    token = issuer.token(issuer.credential(credentialSubject=subject))
    with TestClient(app) as client:
        response = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["verified"], result["verdict"]) == (False, "invalid")
    assert [p["type"] for p in result["problemDetails"]] == [W3C + "PARSING_ERROR"]
