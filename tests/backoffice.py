"""Test helpers that drive the back office through HTTP, as a client would."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from issuer.model import Role
from issuer.process import staff
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
        "score": 83.75,
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

    def mint(self, staff_id: str, role: Role, name: str = "minted on the server") -> Member:
        """A token for an existing staff member, made in the store as ``certreg token create
        --staff-id`` makes it on the server (the only way to a decision-maker's first
        token)."""
        with self.store.transaction() as tx:
            _, secret = staff.create_token(
                tx,
                actor="system:test",
                now=self.clock(),
                entropy=self.entropy,
                name=name,
                role=role,
                staff_id=staff_id,
            )
        return Member(staff_id=staff_id, token=secret)

    def call(self, method: str, path: str, who: Member, body: Json | None = None) -> Response:
        return self.client.request(method, f"/api/v1{path}", headers=who.headers, json=body)

    def ok(self, method: str, path: str, who: Member, body: Json | None = None) -> Any:
        """The JSON answer of a call that must succeed (an object or a list)."""
        response = self.call(method, path, who, body)
        assert response.status_code < 300, response.text
        return response.json()

    def api(self, method: str, path: str, token: str, body: Json | None) -> Any:
        """An :data:`examples.walkthrough.Api` over this client."""
        response = self.client.request(method, f"/api/v1{path}", headers=auth(token), json=body)
        assert response.status_code < 300, response.text
        return response.json()


def enrol_office(office: BackOffice) -> BackOffice:
    """One staff member (and token) per role, named after the role."""
    for name, role in (
        ("admin", Role.ADMINISTRATOR),
        ("manager", Role.SCHEME_MANAGER),
        ("registrar", Role.REGISTRAR),
        ("examiner", Role.EXAMINER),
        ("decider", Role.DECISION_MAKER),
        ("auditor", Role.AUDITOR),
    ):
        office.enrol(name, role)
    return office


def member(office: BackOffice, name: str) -> Member:
    return office.members[name]


def setup_scheme(office: BackOffice) -> dict[str, Any]:
    scheme: dict[str, Any] = office.ok("POST", "/schemes", member(office, "manager"), scheme_body())
    office.ok(
        "POST",
        f"/staff/{member(office, 'examiner').staff_id}/approvals",
        member(office, "manager"),
        {"scheme_id": scheme["id"]},
    )
    return scheme


def roster_evidence(examined_on: date, **overrides: Any) -> dict[str, Any]:
    """The evidence a roster row carries: an examination passed on ``examined_on``, identity
    checked, NDA accepted."""
    return {
        "exam_provider": "Example Exams Ltd",
        "examined_on": examined_on.isoformat(),
        "exam_result": "pass",
        "identity_checked": True,
        "nda_accepted": True,
        **overrides,
    }


def candidate(
    office: BackOffice, scheme: dict[str, Any], scope: list[str], person_id: str | None = None
) -> dict[str, Any]:
    """A new (or the given) person's application, reviewed and accepted."""
    registrar = member(office, "registrar")
    if person_id is None:
        person_id = office.ok("POST", "/persons", registrar, person_body())["id"]
    app = office.ok(
        "POST",
        "/applications",
        registrar,
        {"person_id": person_id, "scheme_id": scheme["id"], "scope": scope},
    )
    office.ok("POST", f"/applications/{app['id']}/review", registrar, {"notes": "complete"})
    accepted: dict[str, Any] = office.ok("POST", f"/applications/{app['id']}/accept", registrar)
    return accepted


def grant(office: BackOffice, scope: list[str] | None = None) -> dict[str, Any]:
    """Scheme, candidate, passed examination and a grant; returns the decision."""
    scheme = setup_scheme(office)
    accepted = candidate(office, scheme, scope or ["VT-STEEL", "VT-PRESSURE"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    decision: dict[str, Any] = office.ok("POST", "/decisions", member(office, "decider"), body)
    return decision
