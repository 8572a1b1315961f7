"""certreg's own credentials through the verifier library, with what the registry serves.

The verifier is given only public material — the DID document and the status list
credentials the public registry serves — and must answer valid, then suspended, then valid
again, then revoked, as the back office decides. Both engines.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.backoffice import BackOffice, grant, member
from tests.test_registry_e2e import _publish, public  # noqa: F401 (fixture)
from verifier import (
    Revoked,
    StaticKeys,
    StaticStatusLists,
    Suspended,
    TrustPolicy,
    Verifier,
)

BASE = "https://certs.example.test"


def served_verifier(client: TestClient, token_payload_lists: list[str]) -> Verifier:
    did = client.get("/.well-known/did.json").json()
    lists = {url: client.get(url.removeprefix(BASE)).text for url in token_payload_lists}
    return Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset({did["id"]})),
        keys=StaticKeys(did_documents={did["id"]: did}),
        status=StaticStatusLists(lists),
    )


def test_certreg_credentials_verify_and_follow_decisions(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    _publish(client)
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    credential_id = detail["credentials"][0]["id"]
    token = office.call("GET", f"/credentials/{credential_id}", member(office, "registrar")).text
    now = office.clock()

    def verify() -> Any:
        body = token.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        urls = [entry["statusListCredential"] for entry in payload["credentialStatus"]]
        return served_verifier(client, urls).verify(token, now=now)

    verified = verify()
    assert "credential-schema" in verified.checks
    assert verified.credential["credentialSubject"]["certification"]["certificateNumber"] == number

    def decide(action: str, body: dict[str, Any]) -> None:
        office.ok("POST", f"/certifications/{number}/{action}", member(office, "decider"), body)
        _publish(client)

    decide("suspend", {"reason": "eye test overdue"})
    with pytest.raises(Suspended) as suspended:
        verify()
    assert suspended.value.credential is not None
    decide("reinstate", {})
    verify()
    decide("withdraw", {"reason": "falsified evidence"})
    with pytest.raises(Revoked):
        verify()
