"""Test helpers that drive the back office through HTTP, as a client would."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from issuer import staff
from issuer.model import Role
from issuer.runtime import Clock, Entropy
from issuer.store import Store

EXAMPLE_SCHEME = Path(__file__).resolve().parents[1] / "examples" / "welding-inspector.scheme.json"

Json = dict[str, Any]


def scheme_body(code: str = "WI") -> Json:
    body: Json = json.loads(EXAMPLE_SCHEME.read_text("utf-8"))
    body["code"] = code
    return body


def person_body(given: str = "Ana", family: str = "Moreau", **confidential: Any) -> Json:
    return {
        "given_name": given,
        "family_name": family,
        "public_notice_version": "2026-1",
        "directory_consent": True,
        "confidential": {
            "date_of_birth": "1986-03-14",
            "email": "ana.moreau@example.org",
            "address": "12 Rue des Soudeurs, Lyon",
            **confidential,
        },
    }


def exam_body(application_id: str, held_on: date, **overrides: Any) -> Json:
    body: Json = {
        "application_id": application_id,
        "held_on": held_on.isoformat(),
        "method": "written and practical",
        "result": "pass",
        "score": 84,
        "max_score": 100,
        "nda_accepted": True,
        "identity_checked": True,
        "invigilation_mode": "in-person",
    }
    body.update(overrides)
    return body


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Member:
    staff_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.token)


@dataclass
class BackOffice:
    """A client plus one staff member (and token) per role, enrolled straight in the store."""

    client: TestClient
    store: Store
    clock: Clock
    entropy: Entropy
    members: dict[str, Member] = field(default_factory=dict)

    def enrol(self, name: str, role: Role) -> Member:
        with self.store.transaction() as tx:
            token, secret = staff.enrol(
                tx,
                actor="system:test",
                now=self.clock(),
                entropy=self.entropy,
                name=name,
                role=role,
            )
        member = Member(staff_id=token.staff_id or "", token=secret)
        self.members[name] = member
        return member

    def call(self, method: str, path: str, who: Member, body: Json | None = None) -> Response:
        return self.client.request(method, f"/api/v1{path}", headers=who.headers, json=body)

    def ok(self, method: str, path: str, who: Member, body: Json | None = None) -> Any:
        """The JSON answer of a call that must succeed (an object or a list)."""
        response = self.call(method, path, who, body)
        assert response.status_code < 300, response.text
        return response.json()

    def post(self, path: str, token: str, body: Json | None) -> Json:
        """A :data:`examples.walkthrough.Post` over this client."""
        response = self.client.post(f"/api/v1{path}", headers=auth(token), json=body)
        assert response.status_code < 300, response.text
        result: Json = response.json()
        return result
