"""The Open Badges 3.0 export of a certification, issued through the back office and checked
by what a badge wallet or a relying party would use.

* Shape: the W3C VC 2.0 JSON Schema (the vector file, unchanged) and the OB 3.0 data model's
  required members (:data:`OB_REQUIRED`, taken from 1EdTech's ``common_credentials.lines``
  at 1EdTech/openbadges-specification @ 1af145f; the published JSON Schema file itself is
  not among the vectors). The same rules accept both official OB examples in the vectors,
  so they are not stricter than the specification's own examples.
* Meaning: JSON-LD expansion in safe mode with the pinned VC 2.0 and OB 3.0.3 contexts,
  with pyld and with jsonld.js — no network.
* Signature: joserfc and did-jwt, given only the DID document the registry serves, on OB
  3.0's own VC-JWT form (header ``alg`` and ``kid`` only; ``iss``, ``jti``, ``sub``, ``nbf``,
  ``exp`` equal to the members they repeat); a badge whose mirrored claim was changed and
  signed again by the body's own key is refused by the registry's verifier.
* Status: a suspension, a reinstatement and a withdrawal travel through the publisher to the
  registry, whose ``POST /credentials/verify`` answers suspended, valid, revoked.
* Refusals: unknown number, wrong role, no token, a bad ``format``, a withdrawn certification
  — each a typed problem+json.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from issuer.cli import app
from issuer.credentials.keys import KeyRing
from issuer.credentials.openbadges import OB_CONTEXT, subject_id
from issuer.credentials.signing import sign_compact
from issuer.store import Store
from issuer.store.audit import details_digest
from tests.backoffice import BackOffice, grant, member
from tests.conftest import FrozenClock
from tests.node import run_script
from tests.signed_documents import PINNED_CONTEXTS
from tests.test_cli_verify import Demo, _free_port, _wait, demo_server, runner
from tests.test_credentials import VECTORS, verify, w3c_vc_schema
from tests.test_jsonld import Dropped, expand_safely
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

DID = "did:web:certs.example.test"
VC_JWT = "application/vc+jwt"
JWT_CLAIMS = {"iss", "iat", "jti", "sub", "nbf", "exp"}

_URI = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*:"}
_TYPES = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_DATETIME_Z = {
    "type": "string",
    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
}
_PROFILE = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {"id": _URI, "type": {**_TYPES, "contains": {"const": "Profile"}}},
}
OB_REQUIRED: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["@context", "id", "type", "issuer", "validFrom", "credentialSubject"],
    "properties": {
        "@context": {
            "type": "array",
            "minItems": 2,
            "prefixItems": [
                {"const": "https://www.w3.org/ns/credentials/v2"},
                {
                    "type": "string",
                    "pattern": r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$",
                },
            ],
        },
        "id": _URI,
        "type": {
            "type": "array",
            "allOf": [
                {"contains": {"const": "VerifiableCredential"}},
                {"contains": {"enum": ["OpenBadgeCredential", "AchievementCredential"]}},
            ],
        },
        "issuer": {"oneOf": [_URI, _PROFILE]},
        "validFrom": _DATETIME_Z,
        "validUntil": _DATETIME_Z,
        "awardedDate": _DATETIME_Z,
        "credentialStatus": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {"id": _URI, "type": {"type": "string"}},
        },
        "credentialSubject": {
            "type": "object",
            "required": ["type", "achievement"],
            "anyOf": [{"required": ["id"]}, {"required": ["identifier"]}],
            "properties": {
                "type": {**_TYPES, "contains": {"const": "AchievementSubject"}},
                "identifier": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "hashed", "identityHash", "identityType"],
                        "properties": {
                            "type": {"const": "IdentityObject"},
                            "hashed": {"type": "boolean"},
                            "identityHash": {"type": "string"},
                            "identityType": {"type": "string"},
                        },
                    },
                },
                "licenseNumber": {"type": "string"},
                "narrative": {"type": "string"},
                "achievement": {
                    "type": "object",
                    "required": ["id", "type", "criteria", "description", "name"],
                    "properties": {
                        "id": _URI,
                        "type": {**_TYPES, "contains": {"const": "Achievement"}},
                        "criteria": {
                            "type": "object",
                            "anyOf": [{"required": ["id"]}, {"required": ["narrative"]}],
                        },
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "achievementType": {"type": "string"},
                        "creator": _PROFILE,
                    },
                },
            },
        },
    },
}
"""The members OB 3.0 requires of an ``AchievementCredential`` (model ``common_credentials
.lines``: AchievementCredential, AchievementSubject, Achievement, Profile, IdentityObject,
Criteria, CredentialStatus), written as a JSON Schema: ``credentialStatus`` is at most one
object (0..1), with an ``id`` and a ``type``."""


def _part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _seconds(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp())


def _export(office: BackOffice, number: str, who: str = "registrar") -> str:
    response = office.call("GET", f"/certifications/{number}/openbadge", member(office, who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == VC_JWT
    return response.text


def _certificate(office: BackOffice, number: str) -> str:
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    [current] = [c for c in detail["credentials"] if c["superseded_by"] is None]
    response = office.call("GET", f"/credentials/{current['id']}", member(office, "registrar"))
    return response.text


def _verify(client: TestClient, token: str) -> dict[str, Any]:
    response = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _publish(client: TestClient) -> None:
    client.app.state.drain()  # type: ignore[attr-defined]


def test_the_export_restates_the_current_certificate(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, _ = public
    number = grant(office, ["VT-STEEL", "VT-PRESSURE"])["certification"]["certificate_number"]
    token = _export(office, number)
    header, payload = _part(token, 0), _part(token, 1)
    certificate = _part(_certificate(office, number), 1)

    # OB 3.0's VC-JWT header: alg and kid, nothing else; the certificate keeps vc+jwt.
    assert set(header) == {"alg", "kid"}
    assert header["kid"] == _part(_certificate(office, number), 0)["kid"]
    assert _part(_certificate(office, number), 0)["typ"] == "vc+jwt"
    assert payload["@context"] == ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT]
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["issuer"]["id"] == payload["iss"] == DID
    assert payload["issuer"]["type"] == ["Profile"]
    for member_name in ("validFrom", "validUntil"):
        assert payload[member_name] == certificate[member_name], member_name
    # One status, as OB allows: a 2-bit message entry on a list of its own (not one of the
    # certificate's lists), served beside them.
    status = payload["credentialStatus"]
    assert isinstance(status, dict)
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "message"
    assert status["statusSize"] == 2
    assert status["statusMessage"][:3] == [
        {"status": "0x0", "message": "valid"},
        {"status": "0x1", "message": "revoked"},
        {"status": "0x2", "message": "suspended"},
    ]
    assert len(status["statusMessage"]) == 4
    assert status["statusListCredential"].startswith("https://certs.example.test/status/")
    assert status["id"] == f"{status['statusListCredential']}#{status['statusListIndex']}"
    assert status["statusListCredential"] not in {
        e["statusListCredential"] for e in certificate["credentialStatus"]
    }
    assert payload["id"] != certificate["id"]
    # The claims OB requires, each equal to the member it repeats.
    subject = payload["credentialSubject"]
    certification = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    assert payload["jti"] == payload["id"]
    assert payload["sub"] == subject["id"] == subject_id(certification["id"])
    assert subject["id"].startswith("urn:uuid:")
    assert payload["nbf"] == _seconds(payload["validFrom"])
    assert payload["exp"] == _seconds(payload["validUntil"])
    certified = certificate["credentialSubject"]
    assert subject["licenseNumber"] == number
    assert subject["identifier"][0]["identityHash"] == certified["name"]
    for item in certified["certification"]["scope"]:
        assert f"{item['code']}: {item['name']}" in subject["narrative"]
    achievement = subject["achievement"]
    scheme = certified["certification"]["scheme"]
    assert achievement["id"] == scheme["id"]
    assert achievement["name"] == scheme["name"] == payload["name"]
    assert achievement["humanCode"] == scheme["code"]
    assert achievement["version"] == str(scheme["version"])
    assert achievement["achievementType"] == "Certification"
    assert achievement["creator"]["id"] == DID
    assert achievement["criteria"]["narrative"]

    # The unsigned view is the signed credential without the JWT claims beside it.
    view = office.call(
        "GET", f"/certifications/{number}/openbadge?format=json", member(office, "auditor")
    )
    assert view.status_code == 200
    assert view.headers["content-type"] == "application/json"
    assert view.json() == {k: v for k, v in payload.items() if k not in JWT_CLAIMS}

    # Exporting again gives the same badge: same id, same content.
    again = _part(_export(office, number, who="admin"), 1)
    assert {k: v for k, v in again.items() if k != "iat"} == {
        k: v for k, v in payload.items() if k != "iat"
    }
    with office.store.transaction() as tx:
        entries = tx.audit_entries(after=0, limit=1000)
    exported = [e for e in entries if e.action == "credential.exported"]
    assert [e.actor for e in exported] == [
        f"staff:{member(office, 'registrar').staff_id}",
        f"staff:{member(office, 'admin').staff_id}",
    ]
    details = {
        "format": "open-badges-3.0",
        "credential_id": payload["id"],
        "certificate_credential_id": certificate["id"].removeprefix("urn:uuid:"),
        "kid": header["kid"].split("#")[1],
    }
    assert {e.details_digest for e in exported} == {details_digest(details)}


def test_the_export_matches_the_vc_and_open_badges_schemas(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, _ = public
    number = grant(office)["certification"]["certificate_number"]
    credential = _part(_export(office, number), 1)
    assert not list(w3c_vc_schema().iter_errors(credential))
    required = Draft202012Validator(OB_REQUIRED)
    assert not list(required.iter_errors(credential))
    # The same rules hold for the specification's own examples, and catch a broken badge.
    for name in ("basic_openbadgecredential.json", "complete_openbadgecredential.json"):
        example = json.loads((VECTORS / "openbadges-3.0" / name).read_text("utf-8"))
        assert not list(required.iter_errors(example)), name
    broken = json.loads(json.dumps(credential))
    del broken["credentialSubject"]["identifier"]  # the subject keeps its id: still whole
    assert not list(required.iter_errors(broken))
    del broken["credentialSubject"]["id"]  # neither id nor identifier: no subject
    del broken["credentialSubject"]["achievement"]["criteria"]
    errors = sorted(list(e.path) for e in required.iter_errors(broken))
    assert errors == [["credentialSubject"], ["credentialSubject", "achievement"]]


def _pinned(url: str) -> Path:
    return PINNED_CONTEXTS[url]


def test_the_export_means_what_it_says_to_json_ld_processors(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    """The credential expands in full; of the JWT claims beside it, every one but ``jti``
    has a term in the VC 2.0 context (``iss``, ``sub``, ``nbf``, ``exp``, ``iat``: IANA's
    JWT and JOSE IRIs). ``jti`` has none, in that context (the W3C Recommendation's, whose
    hash Appendix B.1 pins: no ``@vocab``) or in OB's (protected, no ``@vocab`` either), so
    both processors drop it, and refuse the payload in safe mode — the cost of OB's MUST,
    written in docs/CREDENTIALS.md."""
    office, _ = public
    number = grant(office)["certification"]["certificate_number"]
    payload = _part(_export(office, number), 1)
    credential = {k: v for k, v in payload.items() if k not in JWT_CLAIMS}
    without_jti = {k: v for k, v in payload.items() if k != "jti"}
    expanded = json.dumps(expand_safely(credential))
    ob = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
    for term in ("AchievementSubject", "Achievement", "licenseNumber", "achievementType"):
        assert ob + term in expanded, term
    assert payload["credentialSubject"]["id"] in expanded
    claims = expand_safely(without_jti)[0]
    iana = "https://www.iana.org/assignments/"
    for iri in ("jose#iss", "jose#sub", "jwt#nbf", "jwt#exp", "jwt#iat"):
        assert iana + iri in claims, iri
    with pytest.raises(Dropped, match="jti"):
        expand_safely(payload)
    contexts = {
        url: json.loads(_pinned(url).read_text("utf-8"))
        for url in ("https://www.w3.org/ns/credentials/v2", OB_CONTEXT)
    }
    assert "@vocab" not in contexts["https://www.w3.org/ns/credentials/v2"]["@context"]
    undefined = dict(credential, credentialSubject=dict(credential["credentialSubject"], x=1))
    results = run_script(
        "jsonld",
        "expand-safe.mjs",
        {
            "contexts": contexts,
            "documents": [
                {"label": "badge", "document": credential},
                {"label": "claims but jti", "document": without_jti},
                {"label": "as signed", "document": payload},
                {"label": "undefined term", "document": undefined},
            ],
        },
    )
    assert [r["ok"] for r in results] == [True, True, False, False], results
    assert '"jti"' in results[2]["error"], results[2]


def test_independent_jose_libraries_verify_the_signature(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    clock: FrozenClock,
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    token = _export(office, number)
    _publish(client)
    did_document = client.get("/.well-known/did.json").json()
    header, payload = verify(token, did_document)  # joserfc
    assert set(header) == {"alg", "kid"}
    assert payload["credentialSubject"]["licenseNumber"] == number
    forged = token.split(".")
    forged[1] = (
        base64.urlsafe_b64encode(
            json.dumps(dict(payload, validUntil="2099-12-31T23:59:59Z")).encode()
        )
        .rstrip(b"=")
        .decode()
    )
    request = {
        "didDocument": did_document,
        "tokens": [token, ".".join(forged)],
        "now": int(clock().timestamp()),
    }
    good, bad = run_script("did-jwt", "verify-did-jwt.mjs", request)
    assert good["ok"] is True, good
    assert good["kid"] == header["kid"]
    assert bad["ok"] is False


_FORGED_ID = "urn:uuid:00000000-0000-5000-8000-000000000000"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("jti", _FORGED_ID),
        ("sub", _FORGED_ID),
        ("nbf", -86400),
        ("exp", 86400),
        ("iss", "did:web:other.example"),
        ("jti", None),
        ("sub", None),
        ("nbf", None),
        ("exp", None),
    ],
)
def test_a_badge_whose_mirrored_claim_differs_is_refused(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    store: Store,
    keyring: KeyRing,
    claim: str,
    value: Any,
) -> None:
    """Signed again by the body's own key, so only the claim is wrong: changed (a number is
    moved by that many seconds) or left out (None). Untouched, the same re-signing
    verifies."""
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    payload = _part(_export(office, number), 1)
    _publish(client)
    with store.transaction() as tx:
        signer = keyring.signer(tx)

    def signed(claims: dict[str, Any]) -> str:
        return sign_compact(header={}, payload=claims, signer=signer, did=DID)

    assert _verify(client, signed(payload))["verdict"] == "valid"
    if value is None:
        tampered = {k: v for k, v in payload.items() if k != claim}
    elif isinstance(value, int):
        tampered = dict(payload, **{claim: payload[claim] + value})
    else:
        tampered = dict(payload, **{claim: value})
    result = _verify(client, signed(tampered))
    assert (result["verified"], result["verdict"]) == (False, "invalid"), result
    [problem] = result["problemDetails"]
    assert problem["type"] == "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
    assert claim in problem["detail"]


def test_status_follows_the_certification_to_the_registry(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    """One badge, exported once: valid, suspended, valid again after reinstatement,
    revoked after withdrawal — each seen by the registry's verifier after publication."""
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    token = _export(office, number)
    _publish(client)
    result = _verify(client, token)
    assert (result["verified"], result["verdict"]) == (True, "valid"), result
    assert "credential-status" in result["checks"]
    decider = member(office, "decider")

    office.ok("POST", f"/certifications/{number}/suspend", decider, {"reason": "audit overdue"})
    _publish(client)
    result = _verify(client, token)
    assert (result["verified"], result["verdict"]) == (False, "suspended")
    assert result["problemDetails"][0]["type"] == "/problems/suspended"
    # A suspended certification may still be exported; the badge says suspended at once.
    assert _verify(client, _export(office, number))["verdict"] == "suspended"

    office.ok("POST", f"/certifications/{number}/reinstate", decider, {"reason": "audit done"})
    _publish(client)
    assert _verify(client, token)["verdict"] == "valid"

    office.ok("POST", f"/certifications/{number}/withdraw", decider, {"reason": "misconduct"})
    _publish(client)
    assert _verify(client, token)["verdict"] == "revoked"
    refused = office.call("GET", f"/certifications/{number}/openbadge", member(office, "registrar"))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/certification-ended"
    view = office.call(
        "GET", f"/certifications/{number}/openbadge?format=json", member(office, "registrar")
    )
    assert view.json()["type"] == "/problems/certification-ended"


@pytest.mark.parametrize(
    ("who", "path", "status", "problem"),
    [
        ("registrar", "/certifications/NO-SUCH-1/openbadge", 404, "not-found"),
        ("registrar", "/certifications/" + "9" * 300 + "/openbadge", 404, "not-found"),
        ("manager", "/certifications/{number}/openbadge", 403, "wrong-role"),
        (None, "/certifications/{number}/openbadge", 401, "unauthenticated"),
        ("auditor", "/certifications/{number}/openbadge?format=xml", 422, "validation-failed"),
    ],
)
def test_bad_requests_are_typed_problems(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    who: str | None,
    path: str,
    status: int,
    problem: str,
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    url = "/api/v1" + path.format(number=number)
    headers = member(office, who).headers if who else {}
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{problem}"


def test_certreg_verify_reads_a_badge_from_a_running_server(
    tmp_path: Path,
) -> None:
    """``certreg verify`` against ``certreg serve --demo``: the badge of a demo
    certification is VALID with its holder, number and scheme; after a suspension, exit 1
    SUSPENDED."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with demo_server(tmp_path / "data", port, public=base) as (admin, process):
        demo = Demo(base=base, data_dir=tmp_path / "data", admin=admin, process=process)
        number = demo.api("GET", "/certifications", admin).json()[0]["certificate_number"]
        token = demo.api("GET", f"/certifications/{number}/openbadge", admin).text
        _wait(lambda: demo.verify(token).exit_code == 0, "the badge's status lists")
        human = demo.verify(token)
        assert "VALID" in human.stdout
        assert number in human.stdout
        assert "Welding" in human.stdout
        decider = runner.invoke(
            app,
            [
                *("token", "create", "--role", "decision-maker", "--name", "D. Maker"),
                *("--data-dir", str(demo.data_dir)),
            ],
        )
        assert decider.exit_code == 0, decider.output
        demo.api(
            "POST",
            f"/certifications/{number}/suspend",
            decider.stdout.strip(),
            json={"reason": "surveillance audit overdue"},
        )
        _wait(lambda: demo.verify(token).exit_code == 1, "the suspension to be published")
        answer = json.loads(demo.verify(token, "--json").stdout)
        assert (answer["verified"], answer["verdict"]) == (False, "suspended")
        assert answer["credential"]["credentialSubject"]["licenseNumber"] == number
