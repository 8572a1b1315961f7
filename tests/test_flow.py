"""The whole certification flow through HTTP, and every impartiality and role refusal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from issuer.credentials import certificate_numbers
from issuer.model import Role
from tests.backoffice import (
    BackOffice,
    Member,
    exam_body,
    person_body,
    scheme_body,
)
from tests.backoffice import (
    candidate as _candidate,
)
from tests.backoffice import (
    member as _m,
)
from tests.backoffice import (
    setup_scheme as _scheme,
)
from tests.conftest import FrozenClock


def _audit_head(office: BackOffice) -> int:
    with office.store.transaction() as tx:
        entries = tx.audit_entries(after=0, limit=100_000)
    return entries[-1].seq if entries else 0


def test_whole_flow_scheme_to_certification(office: BackOffice, clock: FrozenClock) -> None:
    scheme = _scheme(office)
    assert scheme["current"]["version"] == 1
    assert [i["code"] for i in scheme["current"]["scope_items"]] == ["VT-STEEL", "VT-PRESSURE"]
    candidate = _candidate(office, scheme, ["VT-STEEL", "VT-PRESSURE"])
    assert candidate["state"] == "accepted"

    exam = office.ok(
        "POST",
        "/examinations",
        _m(office, "examiner"),
        exam_body(candidate["id"], date(2026, 11, 20)),
    )
    assert exam["examiner_id"] == _m(office, "examiner").staff_id
    clock.advance(days=1)
    decision = office.ok(
        "POST",
        "/decisions",
        _m(office, "decider"),
        {
            "application_id": candidate["id"],
            "outcome": "grant",
            "rationale": "passed",
            "scope": ["VT-STEEL"],
        },
    )
    cert = decision["certification"]
    assert cert["scope"] == ["VT-STEEL"]
    assert cert["scheme_version"] == 1
    assert cert["effective_date"] == "2026-11-26"
    assert cert["expiry_date"] == "2029-11-25"  # 36 months, last valid day
    assert cert["status"] == "active"
    assert certificate_numbers.is_valid(cert["certificate_number"])

    app = office.ok("GET", f"/applications/{candidate['id']}", _m(office, "registrar"))
    assert app["state"] == "certified"
    detail = office.ok(
        "GET", f"/certifications/{cert['certificate_number'].lower()}", _m(office, "auditor")
    )
    assert detail["decision"]["id"] == decision["id"]
    actions = [e["action"] for e in detail["history"]]
    assert actions[0] == "application.submitted"
    assert actions[-3:] == ["decision.grant", "certification.granted", "credential.issued"]
    [credential] = detail["credentials"]
    assert credential["kind"] == "certificate"
    assert credential["status"] == "active"
    listed = office.ok("GET", "/certifications?scheme=WI&status=active", _m(office, "auditor"))
    assert [c["certificate_number"] for c in listed] == [cert["certificate_number"]]
    assert office.ok("GET", "/certifications?status=suspended", _m(office, "auditor")) == []
    report = office.ok("GET", "/audit/verify", _m(office, "auditor"))
    assert report["intact"] is True
    assert report["entries"] == report["head_seq"] > 10


def test_scheme_edit_makes_a_new_version_and_certifications_keep_theirs(
    office: BackOffice,
) -> None:
    scheme = _scheme(office)
    candidate = _candidate(office, scheme, ["VT-STEEL"])
    office.ok(
        "POST",
        "/examinations",
        _m(office, "examiner"),
        exam_body(candidate["id"], date(2026, 11, 20)),
    )
    grant = {"application_id": candidate["id"], "outcome": "grant", "rationale": "passed"}
    cert = office.ok("POST", "/decisions", _m(office, "decider"), grant)["certification"]

    edited = scheme_body()
    del edited["code"]
    edited["recertification_interval_months"] = 60
    edited["title"] = "Certified Welding Inspector (2027 edition)"
    revised = office.ok("POST", f"/schemes/{scheme['id']}/versions", _m(office, "manager"), edited)
    assert revised["current"]["version"] == 2
    assert revised["current"]["recertification_interval_months"] == 60

    v1 = office.ok("GET", f"/schemes/{scheme['id']}/versions/1", _m(office, "registrar"))
    assert v1["recertification_interval_months"] == 36
    assert v1["title"] == "Certified Welding Inspector"
    again = office.ok("GET", f"/certifications/{cert['certificate_number']}", _m(office, "auditor"))
    assert again["scheme_version"] == 1
    assert again["scheme_version_id"] == v1["id"]


def test_application_rejected_with_reason_and_no_skipping_review(office: BackOffice) -> None:
    scheme = _scheme(office)
    registrar = _m(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body())
    app = office.ok(
        "POST",
        "/applications",
        registrar,
        {"person_id": person["id"], "scheme_id": scheme["id"], "scope": ["VT-STEEL"]},
    )
    response = office.call("POST", f"/applications/{app['id']}/accept", registrar)
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/invalid-transition"
    again = office.call(
        "POST",
        "/applications",
        registrar,
        {"person_id": person["id"], "scheme_id": scheme["id"], "scope": ["VT-STEEL"]},
    )
    assert again.json()["type"] == "/problems/open-application"
    office.ok("POST", f"/applications/{app['id']}/review", registrar, {"notes": "no experience"})
    rejected = office.ok(
        "POST", f"/applications/{app['id']}/reject", registrar, {"reason": "prerequisites unmet"}
    )
    assert rejected["state"] == "rejected"
    assert rejected["rejection_reason"] == "prerequisites unmet"
    exam = office.call(
        "POST", "/examinations", _m(office, "examiner"), exam_body(app["id"], date(2026, 11, 20))
    )
    assert exam.json()["type"] == "/problems/not-a-candidate"


def _refused(response: Any, status: int, kind: str, office: BackOffice, head_before: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{kind}"
    assert _audit_head(office) == head_before, "a refused request left an audit entry"


def _two_role_member(office: BackOffice, name: str, roles: list[str]) -> dict[str, Member]:
    """A member with two roles and a token for each: an administrator's for any role but a
    decision-maker's, which is made on the server."""
    admin = _m(office, "admin")
    member = office.ok("POST", "/staff", admin, {"name": name, "roles": roles})
    out = {}
    for role in roles:
        if role == "decision-maker":
            out[role] = office.mint(member["id"], Role.DECISION_MAKER)
            continue
        token = office.ok(
            "POST", "/tokens", admin, {"name": name, "role": role, "staff_id": member["id"]}
        )
        out[role] = Member(staff_id=member["id"], token=token["token"])
    return out


def test_decision_maker_who_examined_the_candidate_is_refused(office: BackOffice) -> None:
    scheme = _scheme(office)
    both = _two_role_member(office, "Dual Role", ["examiner", "decision-maker"])
    office.ok(
        "POST",
        f"/staff/{both['examiner'].staff_id}/approvals",
        _m(office, "manager"),
        {"scheme_id": scheme["id"]},
    )
    candidate = _candidate(office, scheme, ["VT-STEEL"])
    office.ok(
        "POST", "/examinations", both["examiner"], exam_body(candidate["id"], date(2026, 11, 20))
    )
    head = _audit_head(office)
    grant = {"application_id": candidate["id"], "outcome": "grant", "rationale": "passed"}
    response = office.call("POST", "/decisions", both["decision-maker"], grant)
    _refused(response, 403, "examined-candidate", office, head)
    app = office.ok("GET", f"/applications/{candidate['id']}", _m(office, "registrar"))
    assert app["state"] == "accepted"
    assert office.ok("GET", "/certifications", _m(office, "auditor")) == []
    # an impartial decision-maker can still decide
    office.ok("POST", "/decisions", _m(office, "decider"), grant)


@pytest.mark.parametrize("acting", ["examiner", "decider"])
@pytest.mark.parametrize("relation", ["trainer", "conflict"])
def test_trainer_or_conflicted_staff_may_neither_examine_nor_decide(
    office: BackOffice, acting: str, relation: str
) -> None:
    scheme = _scheme(office)
    candidate = _candidate(office, scheme, ["VT-STEEL"])
    person_id = candidate["person_id"]
    member = _m(office, acting)
    if relation == "trainer":
        office.ok(
            "POST",
            f"/staff/{member.staff_id}/trainees",
            _m(office, "admin"),
            {"person_id": person_id, "description": "preparation course, 40 hours"},
        )
        kind = "trained-candidate"
    else:
        office.ok(
            "POST",
            f"/staff/{member.staff_id}/conflicts",
            member,
            {"person_id": person_id, "nature": "former colleague", "measures": "recused"},
        )
        kind = "declared-conflict"
    head = _audit_head(office)
    if acting == "examiner":
        response = office.call(
            "POST", "/examinations", member, exam_body(candidate["id"], date(2026, 11, 20))
        )
    else:
        other = office.enrol("examiner-2", Role.EXAMINER)
        office.ok(
            "POST",
            f"/staff/{other.staff_id}/approvals",
            _m(office, "manager"),
            {"scheme_id": scheme["id"]},
        )
        office.ok("POST", "/examinations", other, exam_body(candidate["id"], date(2026, 11, 20)))
        head = _audit_head(office)
        response = office.call(
            "POST",
            "/decisions",
            member,
            {"application_id": candidate["id"], "outcome": "grant", "rationale": "passed"},
        )
    _refused(response, 403, kind, office, head)


def test_examiner_not_approved_for_the_scheme_is_refused(office: BackOffice) -> None:
    scheme = _scheme(office)
    candidate = _candidate(office, scheme, ["VT-STEEL"])
    unapproved = office.enrol("examiner-unapproved", Role.EXAMINER)
    head = _audit_head(office)
    response = office.call(
        "POST", "/examinations", unapproved, exam_body(candidate["id"], date(2026, 11, 20))
    )
    _refused(response, 403, "examiner-not-approved", office, head)
    # a registrar naming a staff member without the examiner role is refused too
    response = office.call(
        "POST",
        "/examinations",
        _m(office, "registrar"),
        exam_body(candidate["id"], date(2026, 11, 20), examiner_id=_m(office, "decider").staff_id),
    )
    _refused(response, 403, "missing-role", office, head)


def test_grant_needs_a_passed_checked_examination(office: BackOffice) -> None:
    scheme = _scheme(office)
    candidate = _candidate(office, scheme, ["VT-STEEL"])
    office.ok(
        "POST",
        "/examinations",
        _m(office, "examiner"),
        exam_body(candidate["id"], date(2026, 11, 20), identity_checked=False),
    )
    head = _audit_head(office)
    grant = {"application_id": candidate["id"], "outcome": "grant", "rationale": "passed"}
    response = office.call("POST", "/decisions", _m(office, "decider"), grant)
    _refused(response, 422, "evidence-missing", office, head)
    deny = {"application_id": candidate["id"], "outcome": "deny", "rationale": "not proven"}
    decision = office.ok("POST", "/decisions", _m(office, "decider"), deny)
    assert decision["certification"] is None
    response = office.call("POST", "/decisions", _m(office, "decider"), grant)
    _refused(response, 409, "invalid-transition", office, _audit_head(office))


def test_missing_role_no_token_and_wrong_role(office: BackOffice) -> None:
    scheme = _scheme(office)
    candidate = _candidate(office, scheme, ["VT-STEEL"])
    office.ok(
        "POST",
        "/examinations",
        _m(office, "examiner"),
        exam_body(candidate["id"], date(2026, 11, 20)),
    )
    grant = {"application_id": candidate["id"], "outcome": "grant", "rationale": "passed"}
    head = _audit_head(office)

    no_token = office.client.post("/api/v1/decisions", json=grant)
    _refused(no_token, 401, "unauthenticated", office, head)
    assert no_token.headers["www-authenticate"] == "Bearer"
    bad_token = office.client.post(
        "/api/v1/decisions", json=grant, headers={"Authorization": "Bearer crt_" + "A" * 43}
    )
    _refused(bad_token, 401, "unauthenticated", office, head)
    wrong_role = office.call("POST", "/decisions", _m(office, "registrar"), grant)
    _refused(wrong_role, 403, "wrong-role", office, head)

    # the decision-maker loses the role: the same token is revoked at once, for good
    decider = _m(office, "decider")
    office.ok(
        "PUT", f"/staff/{decider.staff_id}/roles", _m(office, "admin"), {"roles": ["auditor"]}
    )
    head = _audit_head(office)
    revoked = office.call("POST", "/decisions", decider, grant)
    _refused(revoked, 401, "unauthenticated", office, head)
    assert "revoked" in revoked.json()["detail"]


def test_conflict_declarations_are_made_by_the_staff_member(office: BackOffice) -> None:
    registrar = _m(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body())
    examiner = _m(office, "examiner")
    body = {"person_id": person["id"], "nature": "relative"}
    response = office.call("POST", f"/staff/{examiner.staff_id}/conflicts", registrar, body)
    assert response.json()["type"] == "/problems/wrong-role"
    office.ok("POST", f"/staff/{examiner.staff_id}/conflicts", examiner, body)
    detail = office.ok("GET", f"/staff/{examiner.staff_id}", _m(office, "admin"))
    assert [c["nature"] for c in detail["conflicts"]] == ["relative"]


def test_examination_records_ai_use_with_human_reviewer(
    office: BackOffice, clock: FrozenClock
) -> None:
    scheme = _scheme(office)
    candidate = _candidate(office, scheme, ["VT-STEEL"])
    ai = {
        "description": "written answers pre-scored by a language model",
        "human_reviewer_id": _m(office, "examiner").staff_id,
        "acknowledged_by_person_at": (clock() - timedelta(days=10)).isoformat(),
    }
    body = exam_body(candidate["id"], date(2026, 11, 20), ai_use=ai, irregularities="none seen")
    exam = office.ok("POST", "/examinations", _m(office, "examiner"), body)
    assert exam["ai_use"]["human_reviewer_id"] == ai["human_reviewer_id"]
    stored = office.ok("GET", f"/examinations/{exam['id']}", _m(office, "registrar"))
    assert stored == exam


def test_walkthrough_example_runs_against_the_api(office: BackOffice) -> None:
    """The walkthrough grants under one example scheme, made once and reused, and withdraws
    what it granted unless asked to keep it."""
    from examples.walkthrough import EXAMPLE_CODE, EXAMPLE_TITLE, walk

    admin = _m(office, "admin").token
    decider = _m(office, "decider").token
    kept = walk(office.api, admin, decider, today="2026-11-25", keep=True)
    number = kept.decision["certification"]["certificate_number"]
    assert certificate_numbers.is_valid(number)
    assert kept.certification["status"] == "active"
    again = walk(office.api, admin, decider, today="2026-11-25")
    assert again.scheme["id"] == kept.scheme["id"]
    assert again.certification["status"] == "withdrawn"
    schemes = office.ok("GET", "/schemes", _m(office, "registrar"))
    [example] = [s for s in schemes if s["code"] == EXAMPLE_CODE]
    assert example["current"]["title"] == EXAMPLE_TITLE
