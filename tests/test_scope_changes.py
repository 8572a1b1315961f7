"""Scope changes on evidence and lifecycle decisions as impartial as the grant, through HTTP
(clauses 9.5, 9.3, 9.4, 4.3, 5.2.3 e): an item added needs a passed examination that assessed
it, no change of scope lifts a suspension by itself, and no lifecycle decision is taken by the
person's trainer, by someone with a declared conflict, or by the examiner of its evidence."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any

import pytest

from issuer.model import Role
from tests.backoffice import (
    BackOffice,
    candidate,
    exam_body,
    grant,
    member,
    person_body,
    scheme_body,
)
from tests.conftest import FrozenClock
from tests.test_credentials import SVG_MARK
from tests.test_flow import _audit_head, _refused, _two_role_member
from tests.test_lifecycle import _decide, _detail, _revoked, _suspended
from tests.test_recertification import _certify
from tests.test_recertification import _examined as _reexamined
from tests.test_recertification import _scheme as _scheme_with

HELD = date(2026, 11, 24)


def _certified(office: BackOffice, scope: list[str]) -> tuple[str, dict[str, Any]]:
    """A certification with ``scope``: its number, and its decision's certification."""
    certification: dict[str, Any] = grant(office, scope)["certification"]
    return certification["certificate_number"], certification


def _scheme(certification: dict[str, Any]) -> dict[str, Any]:
    """The scheme of a certification, as the test helpers name it."""
    return {"id": certification["scheme_id"]}


def _examined(
    office: BackOffice,
    certification: dict[str, Any],
    scope: list[str],
    *,
    by: str = "examiner",
    **overrides: Any,
) -> tuple[str, dict[str, Any]]:
    """The certified person applies for ``scope`` and is examined on it: the examination's
    id and the application (accepted, as it was when examined)."""
    application = candidate(office, _scheme(certification), scope, certification["person_id"])
    exam = office.ok(
        "POST", "/examinations", member(office, by), exam_body(application["id"], HELD, **overrides)
    )
    assert exam["scope"] == sorted(scope)
    return exam["id"], application


def _current(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in detail["credentials"] if not c["superseded_by"]]


# ── an expansion needs evidence ──────────────────────────────────────────────────────────
def test_an_expansion_without_an_examination_of_the_added_item_is_refused(
    office: BackOffice,
) -> None:
    number, certification = _certified(office, ["VT-STEEL"])
    before = _detail(office, number)
    head = _audit_head(office)
    both = ["VT-STEEL", "VT-PRESSURE"]
    _refused(
        _decide(office, number, "scope", {"scope": both}), 422, "evidence-missing", office, head
    )
    # the examination behind the grant assessed VT-STEEL only
    [original] = office.ok(
        "GET",
        f"/applications/{certification['application_id']}/examinations",
        member(office, "auditor"),
    )
    assert original["scope"] == ["VT-STEEL"]
    refused = _decide(office, number, "scope", {"scope": both, "examination_ids": [original["id"]]})
    _refused(refused, 422, "evidence-missing", office, head)
    assert "VT-PRESSURE" in refused.json()["detail"]
    assert _detail(office, number) == before


@pytest.mark.parametrize(
    "flaw",
    [{"result": "fail", "score": 20}, {"identity_checked": False}, {"nda_accepted": False}],
)
def test_an_expansion_relies_only_on_a_passed_checked_examination(
    office: BackOffice, flaw: dict[str, Any]
) -> None:
    number, certification = _certified(office, ["VT-STEEL"])
    exam, _ = _examined(office, certification, ["VT-PRESSURE"], **flaw)
    head = _audit_head(office)
    body = {"scope": ["VT-STEEL", "VT-PRESSURE"], "examination_ids": [exam]}
    _refused(_decide(office, number, "scope", body), 422, "evidence-missing", office, head)
    assert _detail(office, number)["scope"] == ["VT-STEEL"]


def test_an_expansion_on_evidence_is_recorded_and_decides_the_candidacy(
    office: BackOffice,
) -> None:
    number, certification = _certified(office, ["VT-STEEL"])
    exam, application = _examined(office, certification, ["VT-PRESSURE"])
    body = {
        "scope": ["VT-STEEL", "VT-PRESSURE"],
        "examination_ids": [exam],
        "reason": "pressure vessels examined",
    }
    expanded = _decide(office, number, "scope", body).json()
    assert expanded["status"] == "active"
    assert expanded["scope"] == ["VT-PRESSURE", "VT-STEEL"]
    [record] = expanded["lifecycle"]
    assert record["kind"] == "scope"
    assert record["examination_ids"] == [exam]
    assert record["scope_before"] == ["VT-STEEL"]
    assert record["resolves_suspension"] is False
    [new] = _current(expanded)
    assert (_revoked(office, new), _suspended(office, new)) == (0, 0)
    # the application the examination was held for is decided: it cannot be granted again,
    # and the person may apply anew
    registrar = member(office, "registrar")
    decided = office.ok("GET", f"/applications/{application['id']}", registrar)
    assert decided["state"] == "certified"
    assert decided["closed_by"] == member(office, "decider").staff_id
    again = office.call(
        "POST",
        "/decisions",
        member(office, "decider"),
        {"application_id": application["id"], "outcome": "grant", "rationale": "passed"},
    )
    assert again.json()["type"] == "/problems/invalid-transition"
    office.ok(
        "POST",
        "/applications",
        registrar,
        {
            "person_id": certification["person_id"],
            "scheme_id": certification["scheme_id"],
            "scope": ["VT-PRESSURE"],
        },
    )
    actions = [e["action"] for e in _detail(office, number)["history"]]
    assert "application.certified" in actions


def test_expansion_evidence_must_be_this_persons_under_this_scheme(office: BackOffice) -> None:
    number, certification = _certified(office, ["VT-STEEL"])
    scheme = _scheme(certification)
    registrar = member(office, "registrar")
    # another person's passed examination of the added item
    other = office.ok("POST", "/persons", registrar, person_body("Jonas", "Berg"))
    application = candidate(office, scheme, ["VT-PRESSURE"], other["id"])
    stranger = office.ok(
        "POST", "/examinations", member(office, "examiner"), exam_body(application["id"], HELD)
    )["id"]
    # a denied candidacy of the same person
    denied, denied_application = _examined(office, certification, ["VT-PRESSURE"])
    office.ok(
        "POST",
        "/decisions",
        member(office, "decider"),
        {"application_id": denied_application["id"], "outcome": "deny", "rationale": "doubts"},
    )
    head = _audit_head(office)
    both = ["VT-STEEL", "VT-PRESSURE"]
    for exam in (stranger, denied):
        refused = _decide(office, number, "scope", {"scope": both, "examination_ids": [exam]})
        _refused(refused, 422, "evidence-not-usable", office, head)
    unknown = _decide(office, number, "scope", {"scope": both, "examination_ids": ["nope"]})
    _refused(unknown, 404, "not-found", office, head)
    twice = _decide(office, number, "scope", {"scope": both, "examination_ids": [denied, denied]})
    _refused(twice, 422, "invalid-input", office, head)
    assert _detail(office, number)["scope"] == ["VT-STEEL"]


def test_expansion_evidence_must_be_of_this_certifications_scheme(office: BackOffice) -> None:
    number, certification = _certified(office, ["VT-STEEL"])
    manager = member(office, "manager")
    other_scheme = office.ok("POST", "/schemes", manager, scheme_body("WX"))
    office.ok(
        "POST",
        f"/staff/{member(office, 'examiner').staff_id}/approvals",
        manager,
        {"scheme_id": other_scheme["id"]},
    )
    application = candidate(office, other_scheme, ["VT-PRESSURE"], certification["person_id"])
    exam = office.ok(
        "POST", "/examinations", member(office, "examiner"), exam_body(application["id"], HELD)
    )["id"]
    head = _audit_head(office)
    body = {"scope": ["VT-STEEL", "VT-PRESSURE"], "examination_ids": [exam]}
    _refused(_decide(office, number, "scope", body), 422, "evidence-not-usable", office, head)


def test_a_reduction_names_no_examination(office: BackOffice) -> None:
    number, certification = _certified(office, ["VT-STEEL", "VT-PRESSURE"])
    [exam] = office.ok(
        "GET",
        f"/applications/{certification['application_id']}/examinations",
        member(office, "auditor"),
    )
    head = _audit_head(office)
    body = {"scope": ["VT-STEEL"], "examination_ids": [exam["id"]]}
    _refused(_decide(office, number, "scope", body), 422, "invalid-input", office, head)


# ── examinations say what they assessed; a grant relies on them for that only ────────────
def test_an_examination_records_the_scope_it_assessed(office: BackOffice) -> None:
    _, certification = _certified(office, ["VT-STEEL"])
    application = candidate(office, _scheme(certification), ["VT-STEEL", "VT-PRESSURE"])
    examiner = member(office, "examiner")
    whole = office.ok("POST", "/examinations", examiner, exam_body(application["id"], HELD))
    assert whole["scope"] == ["VT-PRESSURE", "VT-STEEL"]
    part = office.ok(
        "POST", "/examinations", examiner, exam_body(application["id"], HELD, scope=["VT-STEEL"])
    )
    assert part["scope"] == ["VT-STEEL"]
    assert office.ok("GET", f"/examinations/{part['id']}", member(office, "auditor")) == part
    head = _audit_head(office)
    for scope, kind in (
        (["VT-STEEL", "VT-STEEL"], "invalid-input"),
        (["VT-ELSEWHERE"], "invalid-input"),
        ([], "validation-failed"),
    ):
        response = office.call(
            "POST", "/examinations", examiner, exam_body(application["id"], HELD, scope=scope)
        )
        _refused(response, 422, kind, office, head)


def test_a_grant_covers_only_what_passed_examinations_assessed(office: BackOffice) -> None:
    decision = grant(office, ["VT-STEEL"])
    scheme = {"id": decision["certification"]["scheme_id"]}
    application = candidate(office, scheme, ["VT-STEEL", "VT-PRESSURE"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(application["id"], HELD, scope=["VT-STEEL"]),
    )
    head = _audit_head(office)
    body = {"application_id": application["id"], "outcome": "grant", "rationale": "passed"}
    refused = office.call("POST", "/decisions", member(office, "decider"), body)
    _refused(refused, 422, "evidence-missing", office, head)
    granted = office.ok(
        "POST", "/decisions", member(office, "decider"), {**body, "scope": ["VT-STEEL"]}
    )
    assert granted["certification"]["scope"] == ["VT-STEEL"]


# ── no change of scope lifts a suspension by itself ──────────────────────────────────────
def test_an_expansion_leaves_a_suspended_certification_suspended(office: BackOffice) -> None:
    number, certification = _certified(office, ["VT-STEEL"])
    suspended = _decide(
        office, number, "suspend", {"reason": "complaint", "resolve_by": "2027-02-28"}
    ).json()
    exam, _ = _examined(office, certification, ["VT-PRESSURE"])
    body = {"scope": ["VT-STEEL", "VT-PRESSURE"], "examination_ids": [exam]}
    expanded = _decide(office, number, "scope", body).json()
    assert expanded["status"] == "suspended"
    assert expanded["resolve_by"] == "2027-02-28"
    assert expanded["status_since"] == suspended["status_since"]
    assert expanded["scope"] == ["VT-PRESSURE", "VT-STEEL"]
    [new] = _current(expanded)
    assert new["status"] == "suspended"
    assert (_revoked(office, new), _suspended(office, new)) == (0, 1)
    assert expanded["lifecycle"][-1]["resolves_suspension"] is False
    # the suspension still awaits its decision: past its resolve-by date it is overdue
    clock = office.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(days=100)
    overdue = office.ok(
        "GET", "/certifications/worklist/overdue-suspensions", member(office, "auditor")
    )
    assert [c["certificate_number"] for c in overdue] == [number]
    reinstated = _decide(office, number, "reinstate", {"reason": "complaint unfounded"}).json()
    assert reinstated["status"] == "active"
    assert _suspended(office, new) == 0


def test_a_reduction_resolves_a_suspension_only_when_it_says_so(office: BackOffice) -> None:
    number, _ = _certified(office, ["VT-STEEL", "VT-PRESSURE"])
    _decide(office, number, "suspend", {"reason": "pressure vessel audit failed"})
    reduced = _decide(office, number, "scope", {"scope": ["VT-STEEL"]}).json()
    assert reduced["status"] == "suspended"
    [new] = _current(reduced)
    assert (_revoked(office, new), _suspended(office, new)) == (0, 1)
    assert "certification.suspension-resolved" not in [e["action"] for e in reduced["history"]]


def test_a_reduction_that_resolves_the_suspension_says_so_on_record(office: BackOffice) -> None:
    number, _ = _certified(office, ["VT-STEEL", "VT-PRESSURE"])
    head = _audit_head(office)
    resolving = {"scope": ["VT-STEEL"], "resolves_suspension": True, "reason": "audit failed"}
    # an active certification has no suspension to resolve
    _refused(_decide(office, number, "scope", resolving), 409, "not-suspended", office, head)
    _decide(office, number, "suspend", {"reason": "pressure vessel audit failed"})
    head = _audit_head(office)
    without_reason = {"scope": ["VT-STEEL"], "resolves_suspension": True}
    _refused(_decide(office, number, "scope", without_reason), 422, "invalid-input", office, head)
    resolved = _decide(office, number, "scope", resolving).json()
    assert resolved["status"] == "active"
    assert resolved["resolve_by"] is None
    [new] = _current(resolved)
    assert (_revoked(office, new), _suspended(office, new)) == (0, 0)
    record = resolved["lifecycle"][-1]
    assert (record["kind"], record["resolves_suspension"]) == ("scope", True)
    assert record["reason"] == "audit failed"
    assert "certification.suspension-resolved" in [e["action"] for e in resolved["history"]]


def test_only_a_reduction_resolves_a_suspension(office: BackOffice) -> None:
    number, certification = _certified(office, ["VT-STEEL"])
    _decide(office, number, "suspend", {"reason": "complaint"})
    exam, _ = _examined(office, certification, ["VT-PRESSURE"])
    head = _audit_head(office)
    # neither an expansion nor a change that adds one item and removes another
    for scope in (["VT-STEEL", "VT-PRESSURE"], ["VT-PRESSURE"]):
        body = {
            "scope": scope,
            "examination_ids": [exam],
            "resolves_suspension": True,
            "reason": "examined again",
        }
        _refused(_decide(office, number, "scope", body), 422, "invalid-input", office, head)
    assert _detail(office, number)["status"] == "suspended"


def test_a_suspended_certifications_mark_is_reissued_suspended(office: BackOffice) -> None:
    number, certification = _certified(office, ["VT-STEEL", "VT-PRESSURE"])
    office.ok(
        "PUT",
        f"/schemes/{certification['scheme_id']}/mark",
        member(office, "manager"),
        {
            "media_type": "image/svg+xml",
            "image_base64": base64.b64encode(SVG_MARK).decode(),
            "rules": "Only with the certificate number.",
        },
    )
    registrar = member(office, "registrar")
    office.ok("POST", f"/certifications/{number}/mark-agreement", registrar)
    office.ok("POST", f"/certifications/{number}/marks", registrar)
    _decide(office, number, "suspend", {"reason": "complaint"})
    reduced = _decide(office, number, "scope", {"scope": ["VT-STEEL"]}).json()
    current = {c["kind"]: c for c in _current(reduced)}
    assert set(current) == {"certificate", "mark"}
    assert current["mark"]["depends_on"] == current["certificate"]["id"]
    assert _suspended(office, current["mark"]) == 1
    assert current["mark"]["status"] == "suspended"


def test_a_certification_that_expired_suspended_is_recertified_suspended(
    office: BackOffice,
) -> None:
    certification = _certify(
        office, _scheme_with(office, recertification_grace_days=60), ["VT-STEEL"]
    )
    number = certification["certificate_number"]
    _decide(office, number, "suspend", {"reason": "complaint", "resolve_by": "2027-01-31"})
    clock = office.clock
    assert isinstance(clock, FrozenClock)
    clock.now = datetime(2029, 12, 10, 9, 0, tzinfo=UTC)  # in the grace after expiry
    office.ok("POST", "/certifications/expire-due", member(office, "decider"))
    exam = _reexamined(office, certification)
    body = {"reason": "new cycle", "examination_ids": [exam]}
    recertified = _decide(office, number, "recertify", body).json()
    assert recertified["status"] == "suspended"
    assert recertified["effective_date"] == "2029-11-25"
    [new] = _current(recertified)
    assert _suspended(office, new) == 1
    overdue = office.ok(
        "GET", "/certifications/worklist/overdue-suspensions", member(office, "auditor")
    )
    assert [c["certificate_number"] for c in overdue] == [number]


# ── impartial lifecycle decisions ────────────────────────────────────────────────────────
def test_an_expansion_is_not_decided_by_the_examiner_of_its_evidence(office: BackOffice) -> None:
    number, certification = _certified(office, ["VT-STEEL"])
    dual = _two_role_member(office, "Dual Role", ["examiner", "decision-maker"])
    office.ok(
        "POST",
        f"/staff/{dual['examiner'].staff_id}/approvals",
        member(office, "manager"),
        {"scheme_id": certification["scheme_id"]},
    )
    office.members["dual-examiner"] = dual["examiner"]
    exam, _ = _examined(office, certification, ["VT-PRESSURE"], by="dual-examiner")
    head = _audit_head(office)
    body = {"scope": ["VT-STEEL", "VT-PRESSURE"], "examination_ids": [exam]}
    refused = office.call("POST", f"/certifications/{number}/scope", dual["decision-maker"], body)
    _refused(refused, 403, "examined-candidate", office, head)
    assert _detail(office, number)["scope"] == ["VT-STEEL"]
    # the examiner of the evidence may take other decisions on the person; an impartial
    # decision-maker decides the expansion
    assert _decide(office, number, "scope", body).json()["scope"] == ["VT-PRESSURE", "VT-STEEL"]


LIFECYCLE = [
    ("suspend", {"reason": "complaint"}, "active"),
    ("reinstate", {"reason": "complaint unfounded"}, "suspended"),
    ("withdraw", {"reason": "falsified evidence"}, "active"),
    ("scope", {"scope": ["VT-STEEL"]}, "active"),
    ("recertify", {"reason": "continued competence"}, "active"),
]


@pytest.mark.parametrize(("action", "body", "status"), LIFECYCLE, ids=[a for a, *_ in LIFECYCLE])
@pytest.mark.parametrize("relation", ["trainer", "conflict"])
def test_no_lifecycle_decision_by_a_trainer_or_a_conflicted_decision_maker(
    office: BackOffice, action: str, body: dict[str, Any], status: str, relation: str
) -> None:
    number, certification = _certified(office, ["VT-STEEL", "VT-PRESSURE"])
    if status == "suspended":
        _decide(office, number, "suspend", {"reason": "complaint"})
    partial = office.enrol("decider-2", Role.DECISION_MAKER)
    person_id = certification["person_id"]
    if relation == "trainer":
        office.ok(
            "POST",
            f"/staff/{partial.staff_id}/trainees",
            member(office, "admin"),
            {"person_id": person_id, "description": "preparation course"},
        )
        kind = "trained-candidate"
    else:
        office.ok(
            "POST",
            f"/staff/{partial.staff_id}/conflicts",
            partial,
            {"person_id": person_id, "nature": "sibling", "measures": "recused"},
        )
        kind = "declared-conflict"
    before = _detail(office, number)
    head = _audit_head(office)
    refused = office.call("POST", f"/certifications/{number}/{action}", partial, body)
    _refused(refused, 403, kind, office, head)
    assert _detail(office, number) == before
