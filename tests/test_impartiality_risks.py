"""The impartiality risk register (clause 4.3) over HTTP on both engines, and conflicts of
interest that may act only under an approved measure in force that covers the activity."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from httpx2 import Response

from issuer.model import Role
from issuer.store import migrate
from issuer.store.audit import details_digest
from tests.backoffice import BackOffice, Member, candidate, exam_body, member, setup_scheme
from tests.conftest import FrozenClock

REVIEW = "2027-06-30"


def _problem(response: Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{kind}", body
    return body


def _committee(office: BackOffice) -> Member:
    return office.enrol("committee", Role.IMPARTIALITY_COMMITTEE)


def _audit(office: BackOffice, action: str) -> list[str]:
    """The digests of the details of every audit entry of ``action`` (the log keeps digests)."""
    with office.store.reading() as reader:
        entries = reader.audit_entries(after=0, limit=10_000)
    return [e.details_digest for e in entries if e.action == action]


def _treated(
    office: BackOffice,
    *,
    staff_id: str | None = None,
    person_id: str | None = None,
    covers: list[str],
    review_by: str = REVIEW,
) -> dict[str, Any]:
    """A risk recorded and evaluated by the scheme manager, its measure approved by the
    impartiality committee."""
    manager = member(office, "manager")
    body = {
        "source": "relationship",
        "description": "the decision-maker's cousin applies",
        "staff_id": staff_id,
        "person_id": person_id,
        "review_by": review_by,
    }
    risk = office.ok("POST", "/impartiality-risks", manager, body)
    path = f"/impartiality-risks/{risk['id']}"
    office.ok("POST", f"{path}/evaluation", manager, {"likelihood": 3, "impact": 4})
    office.ok(
        "POST",
        f"{path}/measure",
        manager,
        {"measures": "a second decision-maker reviews the file", "covers": covers},
    )
    approved: dict[str, Any] = office.ok("POST", f"{path}/approval", _committee(office))
    return approved


def test_the_register_walk_is_dated_and_audited_with_who(
    office: BackOffice, clock: FrozenClock
) -> None:
    manager, admin, auditor = (member(office, n) for n in ("manager", "admin", "auditor"))
    committee = _committee(office)
    risk = office.ok(
        "POST",
        "/impartiality-risks",
        manager,
        {
            "source": "finance",
            "description": "one client pays a third of the fees",
            "review_by": REVIEW,
        },
    )
    assert risk["state"] == "identified"
    assert risk["identified_by"] == manager.staff_id
    assert risk["evaluation"] is None
    path = f"/impartiality-risks/{risk['id']}"
    evaluated = office.ok("POST", f"{path}/evaluation", manager, {"likelihood": 2, "impact": 5})
    assert evaluated["state"] == "evaluated"
    assert evaluated["evaluation"]["score"] == 10
    assert evaluated["evaluation"]["evaluated_by"] == manager.staff_id
    proposed = office.ok(
        "POST",
        f"{path}/measure",
        admin,
        {"measures": "fees capped per client", "covers": []},
    )
    assert proposed["state"] == "evaluated"
    assert proposed["proposed_by"] == admin.staff_id
    treated = office.ok("POST", f"{path}/approval", committee)
    assert treated["state"] == "treated"
    assert treated["approved_by"] == committee.staff_id
    assert treated["approved_at"] is not None
    # the auditor reads the register, filtered by state
    listed = office.ok("GET", "/impartiality-risks?state=treated", auditor)
    assert [r["id"] for r in listed] == [risk["id"]]
    assert office.ok("GET", "/impartiality-risks?state=identified", auditor) == []
    assert office.ok("GET", path, auditor)["measures"] == "fees capped per client"
    closed = office.ok("POST", f"{path}/closure", manager, {"reason": "the client left"})
    assert closed["state"] == "closed"
    assert closed["closed_by"] == manager.staff_id
    steps = [
        "identified",
        "evaluated",
        "measure-proposed",
        "treated",
        "closed",
    ]
    for step in steps:
        assert len(_audit(office, f"impartiality-risk.{step}")) == 1, step
    # readers only: a registrar does not see the register, an auditor does not write to it
    _problem(
        office.call("GET", "/impartiality-risks", member(office, "registrar")), 403, "wrong-role"
    )
    _problem(office.call("POST", f"{path}/closure", auditor, {"reason": "x"}), 403, "wrong-role")


def test_a_low_risk_is_accepted_with_a_rationale_a_high_one_is_not(office: BackOffice) -> None:
    manager, admin = member(office, "manager"), member(office, "admin")
    body = {
        "source": "activity",
        "description": "staff give talks at a training fair",
        "review_by": REVIEW,
    }
    low = office.ok("POST", "/impartiality-risks", manager, body)
    high = office.ok("POST", "/impartiality-risks", manager, body)
    office.ok(
        "POST",
        f"/impartiality-risks/{low['id']}/evaluation",
        manager,
        {"likelihood": 2, "impact": 3},
    )
    office.ok(
        "POST",
        f"/impartiality-risks/{high['id']}/evaluation",
        manager,
        {"likelihood": 3, "impact": 3},
    )
    reason = {"rationale": "no candidate is trained at the fair"}
    _problem(
        office.call("POST", f"/impartiality-risks/{high['id']}/acceptance", admin, reason),
        409,
        "risk-not-acceptable",
    )
    accepted = office.ok("POST", f"/impartiality-risks/{low['id']}/acceptance", admin, reason)
    assert accepted["state"] == "accepted"
    assert accepted["rationale"] == reason["rationale"]
    assert accepted["approved_by"] == admin.staff_id


def test_the_measure_is_approved_by_someone_else(office: BackOffice) -> None:
    admin = member(office, "admin")
    other_admin = office.enrol("admin-2", Role.ADMINISTRATOR)
    risk = office.ok(
        "POST",
        "/impartiality-risks",
        admin,
        {"source": "person", "description": "an examiner is also a trainer", "review_by": REVIEW},
    )
    path = f"/impartiality-risks/{risk['id']}"
    office.ok("POST", f"{path}/evaluation", admin, {"likelihood": 4, "impact": 4})
    office.ok("POST", f"{path}/measure", admin, {"measures": "rotation", "covers": ["examine"]})
    before = len(_audit(office, "impartiality-risk.treated"))
    refused = _problem(office.call("POST", f"{path}/approval", admin), 403, "separation-of-duties")
    assert "someone other than who proposed it" in refused["detail"]
    assert office.ok("GET", path, admin)["state"] == "evaluated"
    assert len(_audit(office, "impartiality-risk.treated")) == before
    # a decision-maker or a scheme manager may not approve at all
    _problem(office.call("POST", f"{path}/approval", member(office, "manager")), 403, "wrong-role")
    assert office.ok("POST", f"{path}/approval", other_admin)["state"] == "treated"


def test_invalid_transitions_are_409(office: BackOffice) -> None:
    manager, admin = member(office, "manager"), member(office, "admin")
    risk = office.ok(
        "POST",
        "/impartiality-risks",
        manager,
        {"source": "other", "description": "a shared office", "review_by": REVIEW},
    )
    path = f"/impartiality-risks/{risk['id']}"
    # a measure before evaluation, an approval before a measure, acceptance before evaluation
    _problem(
        office.call("POST", f"{path}/measure", manager, {"measures": "x"}),
        409,
        "invalid-transition",
    )
    _problem(office.call("POST", f"{path}/approval", admin), 409, "invalid-transition")
    _problem(
        office.call("POST", f"{path}/acceptance", admin, {"rationale": "x"}),
        409,
        "invalid-transition",
    )
    office.ok("POST", f"{path}/evaluation", manager, {"likelihood": 1, "impact": 1})
    _problem(office.call("POST", f"{path}/approval", admin), 409, "invalid-transition")
    office.ok("POST", f"{path}/closure", manager, {"reason": "moved offices"})
    _problem(
        office.call("POST", f"{path}/evaluation", manager, {"likelihood": 1, "impact": 1}),
        409,
        "invalid-transition",
    )
    _problem(
        office.call("POST", f"{path}/closure", manager, {"reason": "again"}),
        409,
        "invalid-transition",
    )
    _problem(office.call("GET", "/impartiality-risks/nope", manager), 404, "not-found")
    _problem(
        office.call("POST", f"{path}/evaluation", manager, {"likelihood": 6, "impact": 1}),
        422,
        "validation-failed",
    )


def _conflicted_case(office: BackOffice) -> tuple[dict[str, Any], str, str]:
    """An examined candidate and the id of a conflict the decision-maker declared with them."""
    scheme = setup_scheme(office)
    accepted = candidate(office, scheme, ["VT-STEEL"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    decider = member(office, "decider")
    conflict = office.ok(
        "POST",
        f"/staff/{decider.staff_id}/conflicts",
        decider,
        {"person_id": accepted["person_id"], "nature": "cousin"},
    )
    return accepted, accepted["person_id"], conflict["id"]


def _decide(office: BackOffice, accepted: dict[str, Any]) -> Response:
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    return office.call("POST", "/decisions", member(office, "decider"), body)


def test_a_conflict_without_a_measure_is_refused_with_how_to_proceed(office: BackOffice) -> None:
    accepted, _, _ = _conflicted_case(office)
    refused = _problem(_decide(office, accepted), 403, "declared-conflict")
    assert "have someone else approve it" in refused["detail"]


def test_a_treated_measure_covering_decide_lets_the_decision_through_and_names_the_risk(
    office: BackOffice, clock: FrozenClock
) -> None:
    accepted, person_id, conflict_id = _conflicted_case(office)
    decider = member(office, "decider")
    risk = _treated(office, staff_id=decider.staff_id, person_id=person_id, covers=["decide"])
    linked = office.ok(
        "PUT",
        f"/staff/{decider.staff_id}/conflicts/{conflict_id}/risk",
        decider,
        {"risk_id": risk["id"]},
    )
    assert linked["risk_id"] == risk["id"]
    response = _decide(office, accepted)
    assert response.status_code == 201, response.text
    decision_id = response.json()["id"]
    with office.store.reading() as reader:
        [notice] = [n.id for n in reader.person_notices(person_id) if n.kind == "granted"]
    named = {
        "decision_id": decision_id,
        "outcome": "grant",
        "notice_id": notice,
        "risk_id": risk["id"],
    }
    assert _audit(office, "decision.grant") == [details_digest(named)]


def test_a_measure_past_its_review_date_is_refused_again(
    office: BackOffice, clock: FrozenClock
) -> None:
    accepted, person_id, _ = _conflicted_case(office)
    decider = member(office, "decider")
    review_by = (clock().date() + timedelta(days=10)).isoformat()
    risk = _treated(
        office,
        staff_id=decider.staff_id,
        person_id=person_id,
        covers=["decide"],
        review_by=review_by,
    )
    with office.store.transaction() as tx:  # link through the store, as the HTTP test above does
        [conflict] = tx.conflicts_between(decider.staff_id, person_id)
        tx.link_conflict_to_risk(conflict.id, risk["id"])
    clock.advance(days=11)
    refused = _problem(_decide(office, accepted), 403, "declared-conflict")
    assert f"due for review on {review_by}" in refused["detail"]
    overdue = office.ok("GET", "/impartiality-risks?overdue=true", member(office, "auditor"))
    assert [r["id"] for r in overdue] == [risk["id"]]
    assert overdue[0]["overdue"] is True
    # the committee reviews it: a new date, and the decision goes through
    new_date = (clock().date() + timedelta(days=90)).isoformat()
    office.ok(
        "POST",
        f"/impartiality-risks/{risk['id']}/review",
        member(office, "committee"),
        {"review_by": new_date},
    )
    assert office.ok("GET", "/impartiality-risks?overdue=true", member(office, "auditor")) == []
    assert _decide(office, accepted).status_code == 201


def test_a_measure_covering_only_examine_does_not_allow_decide(office: BackOffice) -> None:
    scheme = setup_scheme(office)
    accepted = candidate(office, scheme, ["VT-STEEL"])
    person_id = accepted["person_id"]
    decider = member(office, "decider")
    risk = _treated(office, staff_id=decider.staff_id, person_id=person_id, covers=["examine"])
    office.ok(
        "POST",
        f"/staff/{decider.staff_id}/conflicts",
        decider,
        {"person_id": person_id, "nature": "neighbour", "risk_id": risk["id"]},
    )
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    refused = _problem(_decide(office, accepted), 403, "declared-conflict")
    assert "does not cover deciding" in refused["detail"]


def test_a_conflict_links_only_to_a_risk_about_the_same_people(office: BackOffice) -> None:
    accepted, person_id, conflict_id = _conflicted_case(office)
    decider = member(office, "decider")
    other = _treated(
        office, staff_id=member(office, "examiner").staff_id, person_id=person_id, covers=["decide"]
    )
    _problem(
        office.call(
            "PUT",
            f"/staff/{decider.staff_id}/conflicts/{conflict_id}/risk",
            decider,
            {"risk_id": other["id"]},
        ),
        422,
        "risk-mismatch",
    )
    _problem(_decide(office, accepted), 403, "declared-conflict")


def test_a_measure_never_lifts_having_examined_the_candidate(office: BackOffice) -> None:
    """The examiner as decision-maker stays refused, whatever measure is approved."""
    scheme = setup_scheme(office)
    accepted = candidate(office, scheme, ["VT-STEEL"])
    person_id = accepted["person_id"]
    examiner = member(office, "examiner")
    with office.store.transaction() as tx:
        tx.set_roles(examiner.staff_id, frozenset({Role.EXAMINER, Role.DECISION_MAKER}))
    maker = office.mint(examiner.staff_id, Role.DECISION_MAKER)
    risk = _treated(
        office, staff_id=examiner.staff_id, person_id=person_id, covers=["examine", "decide"]
    )
    office.ok(
        "POST",
        f"/staff/{examiner.staff_id}/conflicts",
        examiner,
        {"person_id": person_id, "nature": "friend", "risk_id": risk["id"]},
    )
    office.ok("POST", "/examinations", examiner, exam_body(accepted["id"], date(2026, 11, 20)))
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    _problem(office.call("POST", "/decisions", maker, body), 403, "examined-candidate")


def test_conflicts_declared_before_the_register_become_overdue_identified_risks(
    office: BackOffice, clock: FrozenClock
) -> None:
    """Migration 0019 on a populated store: each conflict becomes a linked identified risk,
    overdue for review, which still refuses."""
    accepted, person_id, conflict_id = _conflicted_case(office)
    migrate.downgrade(office.store.engine, "0017")
    migrate.upgrade(office.store.engine)
    clock.advance(days=1)  # due for review the day it was declared: overdue the next
    auditor = member(office, "auditor")
    [risk] = office.ok("GET", "/impartiality-risks?overdue=true", auditor)
    assert risk["state"] == "identified"
    assert risk["person_id"] == person_id
    assert risk["staff_id"] == member(office, "decider").staff_id
    detail = office.ok("GET", f"/staff/{risk['staff_id']}", member(office, "admin"))
    assert [c["risk_id"] for c in detail["conflicts"]] == [risk["id"]]
    assert conflict_id == detail["conflicts"][0]["id"]
    _problem(_decide(office, accepted), 403, "declared-conflict")
