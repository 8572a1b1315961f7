"""Accountable tokens and separation of duties (clauses 4.2, 4.3, 5.1.2), through HTTP.

A token can be revoked, a staff member deactivated (their tokens stop at once, and their
reactivation revives none), a regulator's token revoked; a token for a role taken away stays
dead when the role is given back. Every audit entry a request makes names the token that
acted. An administrator cannot make a decision-maker's token, give themselves that role, or
hold it beside their own; a member who holds both from before cannot decide. Every test runs
on SQLite and PostgreSQL through the ``office`` fixture.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from httpx2 import Response

from issuer.errors import Forbidden
from issuer.model import Role
from issuer.process import staff
from tests.backoffice import (
    BackOffice,
    Member,
    candidate,
    exam_body,
    grant,
    member,
    person_body,
    roster_evidence,
    setup_scheme,
)
from tests.conftest import FrozenClock

EXAM_DAY = date(2026, 11, 20)


def _head(office: BackOffice) -> int:
    with office.store.transaction() as tx:
        entries = tx.audit_entries(after=0, limit=100_000)
    return entries[-1].seq if entries else 0


def _refused(response: Response, status: int, kind: str, office: BackOffice, head: int) -> None:
    """A typed refusal that left no audit entry (and so, in its transaction, nothing)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{kind}"
    assert _head(office) == head, "a refused request left an audit entry"


def _tokens(office: BackOffice, staff_id: str | None = None) -> list[dict[str, Any]]:
    path = "/tokens" if staff_id is None else f"/tokens?staff_id={staff_id}"
    listed: list[dict[str, Any]] = office.ok("GET", path, member(office, "admin"))
    return listed


def _token_id(office: BackOffice, who: Member) -> str:
    from issuer.process import tokens

    with office.store.transaction() as tx:
        token = tx.token_by_digest(tokens.digest(who.token))
    assert token is not None
    return token.id


def _works(office: BackOffice, who: Member) -> int:
    """The status of a read any staff token may make: 200 while the token works."""
    return office.call("GET", "/schemes", who).status_code


def _entries(office: BackOffice, after: int = 0) -> list[Any]:
    with office.store.transaction() as tx:
        return tx.audit_entries(after=after, limit=100_000)


# ── revocation ───────────────────────────────────────────────────────────────────────────
def test_a_revoked_token_is_refused_from_its_next_request(office: BackOffice) -> None:
    admin, registrar = member(office, "admin"), member(office, "registrar")
    office.ok("POST", "/persons", registrar, person_body())
    listed = _tokens(office, registrar.staff_id)
    assert [(t["kind"], t["role"], t["revoked_at"]) for t in listed] == [
        ("staff", "registrar", None)
    ]
    assert set(listed[0]) == {
        "id", "name", "kind", "role", "staff_id", "created_at", "revoked_at",
    }  # fmt: skip
    every = office.call("GET", "/tokens", admin)
    assert registrar.token not in every.text
    assert admin.token not in every.text

    token_id = listed[0]["id"]
    head = _head(office)
    revoked = office.ok("POST", f"/tokens/{token_id}/revoke", admin)
    assert revoked["id"] == token_id
    assert revoked["revoked_at"] is not None
    answer = office.call("POST", "/persons", registrar, person_body())
    assert answer.status_code == 401
    assert answer.json()["type"] == "/problems/unauthenticated"

    [entry] = _entries(office, after=head)
    assert (entry.action, entry.subject_id) == ("token.revoked", token_id)
    assert entry.actor == f"staff:{admin.staff_id}"
    assert entry.token_id == _token_id(office, admin)
    # once revoked, always: a second revocation is refused and changes nothing
    _refused(
        office.call("POST", f"/tokens/{token_id}/revoke", admin),
        409,
        "state-conflict",
        office,
        _head(office),
    )
    assert _tokens(office, registrar.staff_id)[0]["revoked_at"] == revoked["revoked_at"]


def test_staff_revoke_their_own_tokens_and_only_administrators_anothers(
    office: BackOffice,
) -> None:
    examiner, registrar = member(office, "examiner"), member(office, "registrar")
    head = _head(office)
    response = office.call("POST", f"/tokens/{_token_id(office, registrar)}/revoke", examiner)
    _refused(response, 403, "wrong-role", office, head)
    office.ok("POST", f"/tokens/{_token_id(office, examiner)}/revoke", examiner)
    assert _works(office, examiner) == 401
    assert office.call("POST", "/tokens/no-such-token/revoke", registrar).status_code == 404


def test_a_regulator_token_can_be_revoked(office: BackOffice) -> None:
    regulator = office.enrol("Supervisory Agency", Role.REGULATOR)
    read = office.client.get("/regulator/v1/certifications", headers=regulator.headers)
    assert read.status_code == 200, read.text
    [token] = [t for t in _tokens(office) if t["kind"] == "regulator"]
    assert (token["role"], token["staff_id"]) == ("regulator", None)
    office.ok("POST", f"/tokens/{token['id']}/revoke", member(office, "admin"))
    refused = office.client.get("/regulator/v1/certifications", headers=regulator.headers)
    assert refused.status_code == 401
    assert refused.json()["type"] == "/problems/unauthenticated"


# ── deactivation ─────────────────────────────────────────────────────────────────────────
def test_a_deactivated_member_stops_at_once_and_reactivation_revives_nothing(
    office: BackOffice,
) -> None:
    admin, registrar = member(office, "admin"), member(office, "registrar")
    second = office.ok(
        "POST",
        "/tokens",
        admin,
        {"name": "second device", "role": "registrar", "staff_id": registrar.staff_id},
    )
    head = _head(office)
    out = office.ok("POST", f"/staff/{registrar.staff_id}/deactivate", admin)
    assert out["active"] is False
    actions = [(e.action, e.subject_id) for e in _entries(office, after=head)]
    assert sorted(actions) == sorted(
        [("token.revoked", t["id"]) for t in _tokens(office, registrar.staff_id)]
        + [("staff.deactivated", registrar.staff_id)]
    )
    for token in (registrar.token, second["token"]):
        answer = office.client.post(
            "/api/v1/persons", json=person_body(), headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 401, answer.text

    # no role and no token for a deactivated member, and no second deactivation
    head = _head(office)
    roles = office.call("PUT", f"/staff/{registrar.staff_id}/roles", admin, {"roles": ["auditor"]})
    _refused(roles, 409, "staff-inactive", office, head)
    body = {"name": "t", "role": "registrar", "staff_id": registrar.staff_id}
    _refused(office.call("POST", "/tokens", admin, body), 409, "staff-inactive", office, head)
    again = office.call("POST", f"/staff/{registrar.staff_id}/deactivate", admin)
    _refused(again, 409, "staff-inactive", office, head)

    back = office.ok("POST", f"/staff/{registrar.staff_id}/reactivate", admin)
    assert back["active"] is True
    assert _works(office, registrar) == 401, "reactivation revived an old token"
    assert all(t["revoked_at"] for t in _tokens(office, registrar.staff_id))
    fresh = office.ok("POST", "/tokens", admin, body)
    assert _works(office, Member(registrar.staff_id, fresh["token"])) == 200
    again = office.call("POST", f"/staff/{registrar.staff_id}/reactivate", admin)
    _refused(again, 409, "state-conflict", office, _head(office))


def test_only_administrators_deactivate(office: BackOffice) -> None:
    registrar = member(office, "registrar")
    head = _head(office)
    path = f"/staff/{member(office, 'examiner').staff_id}/deactivate"
    _refused(office.call("POST", path, registrar), 403, "wrong-role", office, head)
    unknown = office.call("POST", "/staff/no-such-member/deactivate", member(office, "admin"))
    _refused(unknown, 404, "not-found", office, head)


# ── a role given back ────────────────────────────────────────────────────────────────────
def test_a_role_given_back_needs_a_new_token(office: BackOffice) -> None:
    admin, registrar = member(office, "admin"), member(office, "registrar")
    path = f"/staff/{registrar.staff_id}/roles"
    office.ok("PUT", path, admin, {"roles": ["registrar", "auditor"]})
    assert _works(office, registrar) == 200, "a role kept keeps its token"
    office.ok("PUT", path, admin, {"roles": ["auditor"]})
    office.ok("PUT", path, admin, {"roles": ["registrar", "auditor"]})
    answer = office.call("POST", "/persons", registrar, person_body())
    assert answer.status_code == 401, "the old token came back with the role"
    [token] = _tokens(office, registrar.staff_id)
    assert token["revoked_at"] is not None
    fresh = office.ok(
        "POST",
        "/tokens",
        admin,
        {"name": "new", "role": "registrar", "staff_id": token["staff_id"]},
    )
    new = Member(registrar.staff_id, fresh["token"])
    assert office.call("POST", "/persons", new, person_body()).status_code == 201


def test_a_token_left_from_before_is_revoked_when_its_role_comes_back(
    office: BackOffice,
) -> None:
    """A role taken away before tokens were revoked with it left the token unrevoked (and
    refused only while the role was missing): giving the role back revokes it."""
    admin, registrar = member(office, "admin"), member(office, "registrar")
    with office.store.transaction() as tx:  # as the role was removed before: the token stays
        tx.set_roles(registrar.staff_id, frozenset({Role.AUDITOR}))
    missing = office.call("POST", "/persons", registrar, person_body())
    assert missing.status_code == 403
    office.ok("PUT", f"/staff/{registrar.staff_id}/roles", admin, {"roles": ["registrar"]})
    assert office.call("POST", "/persons", registrar, person_body()).status_code == 401


# ── the token in the audit log ───────────────────────────────────────────────────────────
def test_every_entry_a_request_makes_names_its_token(office: BackOffice) -> None:
    head = _head(office)
    decision = grant(office)
    number = decision["certification"]["certificate_number"]
    decider = member(office, "decider")
    office.ok("POST", f"/certifications/{number}/suspend", decider, {"reason": "complaint"})
    office.ok("POST", f"/certifications/{number}/reinstate", decider, {})
    office.ok("POST", "/keys/rotate", member(office, "admin"), {})
    with office.store.transaction() as tx:
        owners = {t.id: t.staff_id for t in tx.list_tokens()}
    entries = _entries(office, after=head)
    assert len({e.action for e in entries}) >= 10, [e.action for e in entries]
    for entry in entries:
        assert entry.token_id is not None, entry
        assert entry.actor == f"staff:{owners[entry.token_id]}", entry
    shown = office.ok("GET", f"/audit?after={head}", member(office, "auditor"))
    assert [e["token_id"] for e in shown] == [e.token_id for e in entries]
    history = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))["history"]
    registrar = member(office, "registrar")  # the application's steps, then the decisions
    assert {e["token_id"] for e in history} == {
        _token_id(office, registrar),
        _token_id(office, decider),
    }
    with office.store.transaction() as tx:
        assert tx.verify_audit_chain().intact


def test_an_expiry_asked_for_names_the_token_that_asked(
    office: BackOffice, clock: FrozenClock
) -> None:
    """No one decides an expiry, so the system is its actor; the token that asked is named."""
    grant(office)
    clock.advance(days=4 * 366)
    admin = member(office, "admin")
    head = _head(office)
    [expired] = office.ok("POST", "/certifications/expire-due", admin)
    assert expired["status"] == "expired"
    [entry] = _entries(office, after=head)
    assert (entry.action, entry.actor) == ("certification.expire", "system:lifecycle")
    assert entry.token_id == _token_id(office, admin)


def test_entries_of_the_command_line_name_no_token(office: BackOffice) -> None:
    with office.store.transaction() as tx:
        staff.enrol(
            tx,
            actor="system:cli",
            now=office.clock(),
            entropy=office.entropy,
            name="Someone",
            role=Role.AUDITOR,
        )
    created, token = _entries(office)[-2:]
    assert (created.action, token.action) == ("staff.created", "token.created")
    assert created.actor == token.actor == "system:cli"
    assert created.token_id is None
    assert token.token_id is None


def test_a_bulk_batch_names_the_token_that_sent_it(office: BackOffice) -> None:
    setup_scheme(office)
    decider = member(office, "decider")
    row = {
        "external_id": "b-1",
        "given_name": "Ana",
        "family_name": "Moreau",
        "scheme": "WI",
        "scope": ["VT-STEEL"],
        "effective_date": office.clock().date().isoformat(),
        "decided_by": decider.staff_id,
        **roster_evidence(office.clock().date()),
    }
    head = _head(office)
    answer = office.ok("POST", "/issuance/batches", decider, {"items": [row]})
    assert answer["issued"] == 1
    [chunk] = [e for e in _entries(office, after=head) if e.action == "bulk.chunk-issued"]
    assert chunk.token_id == _token_id(office, decider)
    assert chunk.actor == f"staff:{decider.staff_id}"


# ── separation of duties ─────────────────────────────────────────────────────────────────
def test_an_administrator_cannot_make_a_decision_makers_token(office: BackOffice) -> None:
    admin, decider = member(office, "admin"), member(office, "decider")
    head = _head(office)
    body = {"name": "forged", "role": "decision-maker", "staff_id": decider.staff_id}
    _refused(office.call("POST", "/tokens", admin, body), 403, "separation-of-duties", office, head)
    # not even for a decision-maker the administrator just recorded
    made = office.ok("POST", "/staff", admin, {"name": "Puppet", "roles": ["decision-maker"]})
    head = _head(office)
    body["staff_id"] = made["id"]
    _refused(office.call("POST", "/tokens", admin, body), 403, "separation-of-duties", office, head)
    assert _tokens(office, made["id"]) == []


def test_a_decision_maker_replaces_their_own_token_and_makes_no_other(
    office: BackOffice,
) -> None:
    decider = member(office, "decider")
    own = {"name": "new laptop", "role": "decision-maker", "staff_id": decider.staff_id}
    head = _head(office)
    made = office.ok("POST", "/tokens", decider, own)
    [created] = _entries(office, after=head)
    assert created.action == "token.created"
    assert created.token_id == _token_id(office, decider)
    replacement = Member(decider.staff_id, made["token"])
    office.ok("POST", f"/tokens/{_token_id(office, decider)}/revoke", replacement)
    assert _works(office, decider) == 401
    assert _works(office, replacement) == 200

    other = office.enrol("decider-2", Role.DECISION_MAKER)
    head = _head(office)
    body = {**own, "staff_id": other.staff_id}
    response = office.call("POST", "/tokens", replacement, body)
    _refused(response, 403, "separation-of-duties", office, head)
    registrar = member(office, "registrar")
    body = {"name": "t", "role": "registrar", "staff_id": registrar.staff_id}
    _refused(office.call("POST", "/tokens", replacement, body), 403, "wrong-role", office, head)
    body = {"name": "t", "role": "regulator"}
    _refused(office.call("POST", "/tokens", replacement, body), 403, "wrong-role", office, head)


def test_an_administrator_cannot_become_a_decision_maker(office: BackOffice) -> None:
    admin = member(office, "admin")
    path = f"/staff/{admin.staff_id}/roles"
    head = _head(office)
    for roles in (["decision-maker"], ["administrator", "decision-maker"]):
        response = office.call("PUT", path, admin, {"roles": roles})
        _refused(response, 403, "separation-of-duties", office, head)
    other = office.enrol("admin-2", Role.ADMINISTRATOR)
    head = _head(office)
    both = {"roles": ["administrator", "decision-maker"]}
    response = office.call("PUT", f"/staff/{other.staff_id}/roles", admin, both)
    _refused(response, 422, "incompatible-roles", office, head)
    response = office.call("POST", "/staff", admin, {"name": "Both", **both})
    _refused(response, 422, "incompatible-roles", office, head)
    # another administrator may make a former administrator a decision-maker
    office.ok("PUT", f"/staff/{other.staff_id}/roles", admin, {"roles": ["decision-maker"]})
    assert _works(office, other) == 401, "the administrator token outlived the role"


def test_an_administrator_who_is_also_a_decision_maker_cannot_decide(
    office: BackOffice,
) -> None:
    """A member given both roles before they were incompatible: their decision-maker token
    is refused, and a roster naming them as its decision-maker is rejected."""
    admin = member(office, "admin")
    scheme = setup_scheme(office)
    accepted = candidate(office, scheme, ["VT-STEEL"])
    office.ok(
        "POST", "/examinations", member(office, "examiner"), exam_body(accepted["id"], EXAM_DAY)
    )
    with office.store.transaction() as tx:
        tx.set_roles(admin.staff_id, frozenset({Role.ADMINISTRATOR, Role.DECISION_MAKER}))
    deciding = _legacy_token(office, admin.staff_id)  # the server makes none for them now
    head = _head(office)
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    response = office.call("POST", "/decisions", deciding, body)
    _refused(response, 403, "separation-of-duties", office, head)
    assert office.ok("GET", f"/applications/{accepted['id']}", admin)["state"] == "accepted"

    row = {
        "external_id": "dual-1",
        "given_name": "Ana",
        "family_name": "Moreau",
        "scheme": "WI",
        "scope": ["VT-STEEL"],
        "effective_date": office.clock().date().isoformat(),
        "decided_by": admin.staff_id,
        **roster_evidence(office.clock().date()),
    }
    head = _head(office)
    response = office.call("POST", "/issuance/batches", deciding, {"items": [row]})
    _refused(response, 403, "separation-of-duties", office, head)


def _legacy_token(office: BackOffice, staff_id: str) -> Member:
    """A decision-maker token made before the rule: inserted as the store holds one."""
    from issuer.model import ApiToken
    from issuer.process import tokens
    from issuer.runtime import new_id

    secret = tokens.generate(office.entropy)
    token = ApiToken(
        id=new_id(office.entropy),
        name="from before",
        role=Role.DECISION_MAKER,
        staff_id=staff_id,
        created_at=office.clock(),
        revoked_at=None,
    )
    with office.store.transaction() as tx:
        tx.insert_token(token, token_digest=tokens.digest(secret))
    return Member(staff_id, secret)


def test_the_server_makes_a_decision_makers_token_but_not_for_an_administrator(
    office: BackOffice,
) -> None:
    made = office.ok(
        "POST", "/staff", member(office, "admin"), {"name": "New", "roles": ["decision-maker"]}
    )
    minted = office.mint(made["id"], Role.DECISION_MAKER)
    assert _works(office, minted) == 200
    admin = member(office, "admin")
    with office.store.transaction() as tx:  # both roles, as could be given before
        tx.set_roles(admin.staff_id, frozenset({Role.ADMINISTRATOR, Role.DECISION_MAKER}))
    with pytest.raises(Forbidden) as refused:
        office.mint(admin.staff_id, Role.DECISION_MAKER)
    assert refused.value.kind == "separation-of-duties"
