"""The management system (clause 10) and examiner monitoring (6.2.2.3, 7.4.4).

A finding walks from raised to closed through a corrective action whose effectiveness is
checked by someone other than its owner; not effective, it opens again. Auditors read and
change nothing; findings past their action's due date are overdue as the clock moves. The
examiner report flags an examiner whose pass rate stands apart from their peers', and the
management review counts a seeded period.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.model import Role
from issuer.store import Store
from tests.backoffice import BackOffice, Json, Member, candidate, exam_body, member
from tests.conftest import FrozenClock
from tests.test_due_jobs import certify, decide, new_scheme
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

TODAY = date(2026, 11, 25)  # the tests' clock


def problem(response: Any, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["type"] == f"/problems/{kind}"


def audited(store: Store, prefix: str) -> list[Any]:
    with store.reading() as tx:
        return [e for e in tx.audit_entries(limit=100_000) if e.action.startswith(prefix)]


def finding_body(**overrides: Any) -> Json:
    body: Json = {
        "source": "internal-audit",
        "clause": "7.4.4",
        "description": "identity checks were not recorded for the March session",
        "severity": "major",
        "raised_on": TODAY.isoformat(),
    }
    body.update(overrides)
    return body


def plan_body(owner: Member, due_on: date = TODAY + timedelta(days=30)) -> Json:
    return {
        "root_cause": "the checklist lacked the identity step",
        "action": "add the identity step to the session checklist",
        "owner_id": owner.staff_id,
        "due_on": due_on.isoformat(),
    }


def raised(office: BackOffice, **overrides: Any) -> Json:
    finding: Json = office.ok(
        "POST", "/findings", member(office, "admin"), finding_body(**overrides)
    )
    return finding


def step(office: BackOffice, finding_id: str, action: str, who: Member, body: Json) -> Any:
    return office.call("POST", f"/findings/{finding_id}/{action}", who, body)


def test_a_finding_is_closed_only_by_a_check_from_someone_other_than_the_owner(
    office: BackOffice, store: Store, clock: FrozenClock
) -> None:
    admin, manager = member(office, "admin"), member(office, "manager")
    finding = raised(office)
    assert finding["state"] == "open"
    fid = finding["id"]
    # a step out of order is refused and changes nothing
    problem(step(office, fid, "action-taken", manager, {"note": "done"}), 409, "invalid-transition")
    planned = step(office, fid, "corrective-action", admin, plan_body(manager))
    assert planned.status_code == 200, planned.text
    assert planned.json()["state"] == "action-planned"
    assert planned.json()["owner_id"] == manager.staff_id
    clock.advance(days=3)
    taken = step(office, fid, "action-taken", manager, {"note": "checklist updated"})
    assert taken.json()["state"] == "action-taken"
    # the owner cannot check their own action
    problem(
        step(office, fid, "effectiveness", manager, {"effective": True, "note": "fine"}),
        403,
        "separation-of-duties",
    )
    # not effective: open again, with the note
    again = step(office, fid, "effectiveness", admin, {"effective": False, "note": "missed twice"})
    assert again.status_code == 200, again.text
    assert again.json()["state"] == "open"
    assert again.json()["times_reopened"] == 1
    assert again.json()["check_note"] == "missed twice"
    step(office, fid, "corrective-action", admin, plan_body(manager))
    step(office, fid, "action-taken", manager, {"note": "second checker at the door"})
    closed = step(office, fid, "effectiveness", admin, {"effective": True, "note": "all checked"})
    assert closed.json()["state"] == "closed"
    problem(
        step(office, fid, "effectiveness", admin, {"effective": True, "note": "again"}),
        409,
        "invalid-transition",
    )
    got = office.ok("GET", f"/findings/{fid}", member(office, "auditor"))
    assert [s["step"] for s in got["steps"]] == [
        "raised",
        "action-planned",
        "action-taken",
        "checked",
    ]
    actions = [e.action for e in audited(store, "finding.")]
    assert actions == [
        "finding.raised",
        "finding.action-planned",
        "finding.action-taken",
        "finding.checked",
        "finding.action-planned",
        "finding.action-taken",
        "finding.checked",
    ]
    # the texts never reach the audit log
    for entry in audited(store, "finding."):
        assert "identity checks were not recorded" not in str(entry)
        assert "checklist" not in str(entry)


def test_the_auditor_reads_findings_and_reports_but_changes_nothing(
    office: BackOffice, store: Store
) -> None:
    auditor, manager = member(office, "auditor"), member(office, "manager")
    fid = raised(office)["id"]
    before = len(audited(store, ""))
    refused = [
        office.call("POST", "/findings", auditor, finding_body()),
        step(office, fid, "corrective-action", auditor, plan_body(manager)),
        step(office, fid, "action-taken", auditor, {"note": "done"}),
        step(office, fid, "effectiveness", auditor, {"effective": True, "note": "fine"}),
    ]
    for answer in refused:
        problem(answer, 403, "wrong-role")
    assert len(audited(store, "")) == before
    assert [f["id"] for f in office.ok("GET", "/findings", auditor)] == [fid]
    assert office.ok("GET", f"/findings/{fid}", auditor)["state"] == "open"
    period = f"from={TODAY.isoformat()}&to={TODAY.isoformat()}"
    assert office.call("GET", f"/reports/examiners?{period}", auditor).status_code == 200
    assert office.call("GET", f"/reports/management-review?{period}", auditor).status_code == 200
    problem(
        office.call("GET", f"/reports/examiners?{period}", member(office, "registrar")),
        403,
        "wrong-role",
    )
    problem(
        office.call("POST", "/findings", member(office, "registrar"), finding_body()),
        403,
        "wrong-role",
    )


def test_findings_past_their_due_date_are_overdue_until_closed(
    office: BackOffice, clock: FrozenClock
) -> None:
    admin, manager = member(office, "admin"), member(office, "manager")
    fid = raised(office)["id"]
    other = raised(office, severity="minor", clause="9.6")["id"]
    step(office, fid, "corrective-action", admin, plan_body(manager, TODAY + timedelta(days=10)))
    problem(
        step(
            office, other, "corrective-action", admin, plan_body(manager, TODAY - timedelta(days=1))
        ),
        422,
        "invalid-input",
    )
    assert office.ok("GET", "/worklist/overdue-findings", admin) == []
    clock.advance(days=11)
    assert [f["id"] for f in office.ok("GET", "/worklist/overdue-findings", admin)] == [fid]
    assert [f["id"] for f in office.ok("GET", "/findings?overdue=true", admin)] == [fid]
    assert office.ok("GET", f"/findings/{fid}", admin)["overdue"] is True
    step(office, fid, "action-taken", manager, {"note": "late, but done"})
    step(office, fid, "effectiveness", admin, {"effective": True, "note": "works"})
    assert office.ok("GET", "/worklist/overdue-findings", admin) == []
    problem(
        office.call("POST", "/findings", admin, finding_body(raised_on="2026-12-30")),
        422,
        "invalid-input",
    )
    problem(office.call("GET", "/findings/nope", admin), 404, "not-found")


def examine(office: BackOffice, scheme: Json, examiner: Member, held_on: date, **exam: Any) -> None:
    accepted = candidate(office, scheme, ["VT-STEEL"])
    office.ok("POST", "/examinations", examiner, exam_body(accepted["id"], held_on, **exam))


def second_examiner(office: BackOffice, scheme: Json) -> Member:
    other = office.enrol("examiner-2", Role.EXAMINER)
    office.ok(
        "POST",
        f"/staff/{other.staff_id}/approvals",
        member(office, "manager"),
        {"scheme_id": scheme["id"]},
    )
    return other


def test_an_examiner_passing_everyone_when_peers_pass_few_is_flagged(office: BackOffice) -> None:
    scheme = new_scheme(office, "WI")
    strict, lenient = member(office, "examiner"), second_examiner(office, scheme)
    day1, day2 = date(2026, 11, 10), date(2026, 11, 12)
    for i in range(10):
        examine(office, scheme, lenient, day1, score=90, max_score=100)
        passed = i < 3
        examine(
            office,
            scheme,
            strict,
            day2,
            result="pass" if passed else "fail",
            score=70 if passed else 40,
            max_score=100,
            irregularities="phone seen" if i < 3 else None,
            identity_checked=i != 9,
        )
    report = office.ok(
        "GET",
        "/reports/examiners?from=2026-11-01&to=2026-11-30&scheme=WI",
        member(office, "auditor"),
    )
    by_id = {e["examiner_id"]: e for e in report["examiners"]}
    high, low = by_id[lenient.staff_id], by_id[strict.staff_id]
    assert (high["held"], high["pass_rate"], high["peers_held"], high["peers_pass_rate"]) == (
        10,
        1.0,
        10,
        0.3,
    )
    assert high["score_mean"] == pytest.approx(0.9)
    assert high["score_spread"] == pytest.approx(0.0, abs=1e-9)
    assert high["flags"] == ["pass-rate-unusual"]
    assert low["pass_rate"] == pytest.approx(0.3)
    assert low["score_mean"] == pytest.approx((3 * 0.7 + 7 * 0.4) / 10)
    assert low["score_spread"] == pytest.approx(0.1374772708, rel=1e-6)
    assert (low["irregularities"], low["identity_check_failures"]) == (3, 1)
    assert low["flags"] == [
        "pass-rate-unusual",
        "repeated-irregularities",
        "identity-check-failures",
    ]
    sessions = {s["day"]: s for s in report["sessions"]}
    assert (sessions["2026-11-10"]["held"], sessions["2026-11-10"]["pass_rate"]) == (10, 1.0)
    assert sessions["2026-11-12"]["flags"] == [
        "pass-rate-unusual",
        "repeated-irregularities",
        "identity-check-failures",
    ]
    # below ten examinations on either side, pass rates are not compared
    narrow = office.ok(
        "GET", "/reports/examiners?from=2026-11-12&to=2026-11-12", member(office, "admin")
    )
    assert [e["flags"] for e in narrow["examiners"]] == [
        ["repeated-irregularities", "identity-check-failures"]
    ]
    problem(
        office.call(
            "GET", "/reports/examiners?from=2026-11-30&to=2026-11-01", member(office, "admin")
        ),
        422,
        "invalid-input",
    )


def test_the_management_review_counts_the_period_and_speaks_markdown(
    office: BackOffice, clock: FrozenClock
) -> None:
    admin, manager = member(office, "admin"), member(office, "manager")
    scheme = new_scheme(office, "WI")
    first = certify(office, scheme)
    certify(office, scheme)
    decide(office, first, "suspend", {"reason": "a complaint about a report"})
    fid = raised(office, severity="minor")["id"]
    step(office, fid, "corrective-action", admin, plan_body(manager, TODAY + timedelta(days=5)))
    registrar = member(office, "registrar")
    complaint = {
        "subject": "body",
        "description": "the certificate arrived a month late",
        "channel": "email",
        "received_on": TODAY.isoformat(),
    }
    office.ok("POST", "/complaints", registrar, complaint)
    invalid = office.ok("POST", "/complaints", registrar, complaint)
    office.ok("POST", f"/complaints/{invalid['id']}/reject", registrar, {"reason": "a duplicate"})
    clock.advance(days=10)
    decide(office, first, "reinstate", {"reason": "the report was another inspector's"})
    later = (TODAY + timedelta(days=10)).isoformat()
    period = f"from={TODAY.isoformat()}&to={later}"
    review = office.ok("GET", f"/reports/management-review?{period}", member(office, "auditor"))
    wi = review["certifications"]["WI"]
    assert (wi["granted"], wi["suspended"], wi["reinstated"], wi["withdrawn"]) == (2, 1, 1, 0)
    assert review["findings"] == {"raised": {"minor": 1}, "closed": 0, "overdue": 1}
    assert review["complaints"] == {
        "received": {"body": 2},
        "rejected_invalid": 1,
        "answered": {},
        "closed": 0,
        "overdue": 0,  # received on day 0, ten days to acknowledge: not late on day 10
        "mean_days_to_answer": None,
        "mean_days_allowed": None,
        "answered_late": 0,
    }
    assert "the certificate arrived a month late" not in str(review)
    assert review["appeals"]["received"] == 0
    assert review["period"]["as_of"] == later
    # the first day alone: the reinstatement falls outside it, and the finding was not yet due
    first_day = office.ok(
        "GET",
        f"/reports/management-review?from={TODAY.isoformat()}&to={TODAY.isoformat()}",
        admin,
    )
    assert first_day["certifications"]["WI"]["reinstated"] == 0
    assert first_day["findings"]["overdue"] == 0
    answer = office.client.get(
        f"/api/v1/reports/management-review?{period}",
        headers={**admin.headers, "Accept": "text/markdown"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/markdown")
    text = answer.text
    assert text.startswith(f"# Management review, {TODAY.isoformat()} to {later}")
    assert "| WI | 2 | 0 | 1 | 1 |" in text
    assert "## Complaints" in text
    # nothing personal: no names, no texts of findings
    for said in (text, str(review)):
        assert "Moreau" not in said
        assert "identity checks were not recorded" not in said


def test_two_staff_taking_the_same_finding_step_at_once_give_one_result_and_one_409(
    office: BackOffice, store: Store
) -> None:
    from tests.test_complaints import race

    admin, manager = member(office, "admin"), member(office, "manager")
    manager_2 = office.enrol("manager-2", Role.SCHEME_MANAGER)
    owner = office.enrol("owner", Role.SCHEME_MANAGER)
    fid = raised(office)["id"]
    steps = [
        ("corrective-action", [admin, manager], [plan_body(owner)] * 2, "finding.action-planned"),
        (
            "action-taken",
            [owner, manager],
            [{"note": "checklist updated"}, {"note": "done twice?"}],
            "finding.action-taken",
        ),
        (
            "effectiveness",
            [admin, manager_2],
            [{"effective": True, "note": "works"}, {"effective": False, "note": "does not"}],
            "finding.checked",
        ),
    ]
    for action, members, bodies, audited_as in steps:
        answers = race(
            [
                lambda m=m, b=b, a=action: step(office, fid, a, m, b)
                for m, b in zip(members, bodies, strict=True)
            ]
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        [lost] = [a for a in answers if a.status_code == 409]
        problem(lost, 409, "invalid-transition")
        assert len(audited(store, audited_as)) == 1, action
    got = office.ok("GET", f"/findings/{fid}", member(office, "auditor"))
    assert got["state"] in {"closed", "open"}
    assert got["times_reopened"] == (0 if got["state"] == "closed" else 1)


def test_the_management_review_says_how_soon_changes_reached_the_public_register(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    clock: FrozenClock,
) -> None:
    office, client = public
    scheme = new_scheme(office, "WP")
    number = certify(office, scheme)
    clock.advance(seconds=20)
    client.app.state.drain()  # type: ignore[attr-defined]
    clock.advance(minutes=10)
    decide(office, number, "suspend", {"reason": "a report under review"})
    clock.advance(minutes=30)
    client.app.state.drain()  # type: ignore[attr-defined]
    decide(office, number, "reinstate", {"reason": "the report was unfounded"})
    clock.advance(hours=3)  # 12:40 on the tests' first day: these two wait

    period = f"from={TODAY.isoformat()}&to={TODAY.isoformat()}"
    auditor = member(office, "auditor")
    published = office.ok("GET", f"/reports/management-review?{period}", auditor)["publication"]
    assert published["waiting"] >= 1
    assert published["oldest_waiting_since"] == "2026-11-25T09:40:20+00:00"
    assert published["published"] >= 3
    assert published["published_within_a_minute"] >= 1  # the grant's, 20 s after
    assert published["published_within_an_hour"] >= 1  # the suspension's, 30 min after
    assert published["published_later"] == 0
    assert published["longest_seconds_to_publish"] == 1800.0
    assert published["queued"] == published["published"] + published["waiting"]

    client.app.state.drain()  # type: ignore[attr-defined]
    after = office.ok("GET", f"/reports/management-review?{period}", auditor)["publication"]
    assert (after["waiting"], after["oldest_waiting_since"]) == (0, None)
    assert after["published_later"] == published["waiting"]  # three hours after
    assert after["longest_seconds_to_publish"] == 3 * 3600.0

    csv_text = review_formats_csv(office, period)
    assert "publication,,,,published_later," in csv_text


def review_formats_csv(office: BackOffice, period: str) -> str:
    answer = office.client.get(
        f"/api/v1/reports/management-review?{period}",
        headers={**member(office, "auditor").headers, "Accept": "text/csv"},
    )
    assert answer.status_code == 200
    return answer.content.decode("utf-8-sig")
