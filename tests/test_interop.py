"""Independent implementations verify what certreg signs, given only the DID document the
registry serves at ``/.well-known/did.json``: each finds the key from the JWS ``kid`` (the DID
URL of a verification method), for an ES256 and an Ed25519 key.

* did-jwt with did-resolver (npm, pinned in ``tests/js/package-lock.json``; run by
  ``tests/js/verify-did-jwt.mjs``). Without node or ``npm ci --prefix tests/js`` this test is
  skipped — except under ``CI=true``, where it fails (``.ci/run`` installs them).
* joserfc, with the few lines of CID "Retrieve Verification Method" in
  :func:`tests.test_credentials.method_key`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jws

from issuer.settings import Settings
from tests.backoffice import (
    BackOffice,
    candidate,
    exam_body,
    grant,
    member,
    person_body,
)
from tests.conftest import FrozenClock
from tests.node import run_script
from tests.test_credentials import method_key
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

DID = "did:web:certs.example.test"


@dataclass(frozen=True)
class Served:
    """What a relying party reads from the registry: the DID document and signed documents."""

    did_document: dict[str, Any]
    tokens: dict[str, str]
    """Signed documents by a label: ``certificate-ES256``, ``certificate-EdDSA``, …"""


def _certificate(office: BackOffice, number: str) -> str:
    auditor = member(office, "auditor")
    [summary] = office.ok("GET", f"/certifications/{number}", auditor)["credentials"]
    return office.call("GET", f"/credentials/{summary['id']}", member(office, "registrar")).text


def _second_grant(office: BackOffice) -> str:
    registrar = member(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body("Jonas", "Berg"))
    [scheme] = office.ok("GET", "/schemes", registrar)
    accepted = candidate(office, scheme, ["VT-STEEL"], person_id=person["id"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    decision = office.ok("POST", "/decisions", member(office, "decider"), body)
    number: str = decision["certification"]["certificate_number"]
    return number


@pytest.fixture
def served(public: tuple[BackOffice, TestClient], settings: Settings) -> Served:  # noqa: F811
    """An ES256 certificate, a rotation to Ed25519, an Ed25519 certificate, all published:
    the DID document then lists both keys, so the kid must pick the right one."""
    office, client = public
    first = grant(office, ["VT-STEEL"])["certification"]["certificate_number"]
    office.ok("POST", "/keys/rotate", member(office, "admin"), {"alg": "EdDSA"})
    second = _second_grant(office)
    client.app.state.drain()  # type: ignore[attr-defined]
    did_document = client.get("/.well-known/did.json").json()
    register = client.get(f"/register/{second}", params={"family_name": "Berg"})
    assert register.status_code == 200
    tokens = {
        "certificate-ES256": _certificate(office, first),
        "certificate-EdDSA": _certificate(office, second),
    }
    status_url = _payload(tokens["certificate-EdDSA"])["credentialStatus"][0]
    status_list = client.get(status_url["statusListCredential"].removeprefix(settings.base_url))
    assert status_list.status_code == 200
    tokens["status-list"] = status_list.text
    return Served(did_document, tokens)


def _part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def _payload(token: str) -> dict[str, Any]:
    return _part(token, 1)


def _header(token: str) -> dict[str, Any]:
    return _part(token, 0)


def _b64(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _did_jwt(did_document: dict[str, Any], tokens: list[str], now: int) -> list[dict[str, Any]]:
    request = {"didDocument": did_document, "tokens": tokens, "now": now}
    results: list[dict[str, Any]] = run_script("did-jwt", "verify-did-jwt.mjs", request)
    return results


def _tampered(token: str) -> str:
    """``token`` with a later ``validUntil``, the signature left as it was."""
    header, _, signature = token.split(".")
    forged = dict(_payload(token), validUntil="2099-12-31T23:59:59Z")
    return f"{header}.{_b64(forged)}.{signature}"


def test_the_served_did_document_names_each_key_by_its_kid(served: Served) -> None:
    document = served.did_document
    assert document["id"] == DID
    ids = [m["id"] for m in document["verificationMethod"]]
    assert len(ids) == 2  # the retired ES256 key signed a valid credential: still published
    for method in document["verificationMethod"]:
        assert method["id"] == f"{DID}#{method['publicKeyJwk']['kid']}"
        assert method["controller"] == DID
        assert method["type"] == "JsonWebKey"
    assert document["assertionMethod"] == ids
    kids = {_header(t)["kid"] for t in served.tokens.values()}
    assert kids == set(ids)


def test_did_jwt_finds_the_key_from_the_kid_in_the_served_did_document(
    served: Served, clock: FrozenClock
) -> None:
    labels = list(served.tokens)
    tokens = list(served.tokens.values())
    results = _did_jwt(served.did_document, tokens, int(clock().timestamp()))
    by_label = dict(zip(labels, results, strict=True))
    for label, result in by_label.items():
        assert result["ok"], (label, result)
        assert result["signer"] == result["kid"] == _header(served.tokens[label])["kid"]
        assert result["iss"] == DID
    assert by_label["certificate-ES256"]["alg"] == "ES256"
    assert by_label["certificate-EdDSA"]["alg"] == "EdDSA"
    assert by_label["certificate-ES256"]["kid"] != by_label["certificate-EdDSA"]["kid"]


def test_did_jwt_refuses_what_certreg_did_not_sign(served: Served, clock: FrozenClock) -> None:
    """The same path refuses a changed payload and a kid naming the other published key, so
    the successes above are verifications, not a path that accepts anything."""
    es256, eddsa = served.tokens["certificate-ES256"], served.tokens["certificate-EdDSA"]
    other_kid = _header(es256)["kid"]
    header = dict(_header(eddsa), kid=other_kid)
    swapped = ".".join([_b64(header), *eddsa.split(".")[1:]])
    results = _did_jwt(served.did_document, [_tampered(eddsa), swapped], int(clock().timestamp()))
    assert [r["ok"] for r in results] == [False, False], results
    assert all("invalid_signature" in r["error"] for r in results), results


# RFC 9864 deprecates the polymorphic "EdDSA"; joserfc warns about it: expected here.
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_joserfc_finds_the_key_from_the_kid_in_the_served_did_document(served: Served) -> None:
    resolve = method_key(served.did_document)
    for label, token in served.tokens.items():
        signature = jws.deserialize_compact(token, resolve, algorithms=["ES256", "EdDSA"])
        assert signature.protected["kid"].startswith(f"{DID}#"), label
        assert json.loads(signature.payload)["iss"] == DID
