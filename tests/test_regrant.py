"""The ``re-grant`` remedy of an upheld appeal (clause 9.8), given through a normal recorded
grant that names the appeal: on an application of the same person in the same scheme, by a
decision-maker who took no part in the decision appealed, relying on the examinations that
decision stood on. The appeal then leads to the new certification, and the registry and the
credential change as for any grant.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from issuer.model import Role
from tests.backoffice import BackOffice, Json, Member, candidate, exam_body, member
from tests.test_appeals import appeal_body, audited, investigated, problem, receive, step
from tests.test_due_jobs import certify, decide, new_scheme
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

REGRANT = {"outcome": "upheld", "rationale": "the examination was passed", "remedy": "re-grant"}


def _maker(office: BackOffice, name: str) -> Member:
    if name not in office.members:
        office.enrol(name, Role.DECISION_MAKER)
    return member(office, name)


def _upheld(office: BackOffice, body: Json) -> Json:
    appeal = receive(office, body)
    investigator = investigated(office, appeal["id"])
    decided = step(office, appeal["id"], "decision", investigator, REGRANT)
    assert decided.status_code == 200, decided.text
    return appeal


def _grant(office: BackOffice, who: Member, application_id: str, **extra: Any) -> Any:
    body = {"application_id": application_id, "outcome": "grant", "rationale": "re-granted"}
    return office.call("POST", "/decisions", who, {**body, **extra})


def test_a_denial_appealed_and_upheld_is_re_granted_through_a_grant_naming_the_appeal(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, client = public
    scheme = new_scheme(office, "DN")
    denied = candidate(office, scheme, ["VT-STEEL"])
    person_id = denied["person_id"]
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(denied["id"], date(2026, 11, 20)),
    )
    denial = office.ok(
        "POST",
        "/decisions",
        member(office, "decider"),
        {"application_id": denied["id"], "outcome": "deny", "rationale": "insufficient"},
    )
    appeal = _upheld(office, appeal_body(denial["id"], kind="decision"))
    again = candidate(office, scheme, ["VT-STEEL"], person_id)
    fresh = _maker(office, "decider-3")

    # Refused: the decision-maker who denied, a denial naming it, a grant without it (no
    # examination on the new application), and an appeal of another person.
    problem(
        _grant(office, member(office, "decider"), again["id"], appeal_id=appeal["id"]),
        403,
        "took-part-in-decision",
    )
    problem(
        _grant(office, fresh, again["id"], appeal_id=appeal["id"], outcome="deny"),
        422,
        "invalid-input",
    )
    problem(_grant(office, fresh, again["id"]), 422, "evidence-missing")
    stranger = candidate(office, scheme, ["VT-STEEL"])
    problem(_grant(office, fresh, stranger["id"], appeal_id=appeal["id"]), 409, "appeal-not-upheld")
    assert audited(office.store, "decision.") == audited(office.store, "decision.deny")

    granted = _grant(office, fresh, again["id"], appeal_id=appeal["id"])
    assert granted.status_code == 201, granted.text
    decision = granted.json()
    assert decision["appeal_id"] == appeal["id"]
    certification = decision["certification"]
    assert certification["person_id"] == person_id
    shown = office.ok("GET", f"/appeals/{appeal['id']}", member(office, "auditor"))
    assert shown["remedy_certification_id"] == certification["id"]
    assert [e.action for e in audited(office.store, "appeal.remedied")] == ["appeal.remedied"]
    assert office.ok("GET", f"/decisions/{decision['id']}", fresh)["appeal_id"] == appeal["id"]

    # The remedy is given once.
    third = candidate(office, new_scheme(office, "D2"), ["VT-STEEL"], person_id)
    problem(_grant(office, fresh, third["id"], appeal_id=appeal["id"]), 409, "appeal-not-upheld")

    # The registry and the credential change the usual way: valid behind the QR code.
    number = certification["certificate_number"]
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    credential_id = detail["credentials"][0]["id"]
    client.app.state.drain()  # type: ignore[attr-defined]
    qr = client.get(f"/v/{credential_id}", headers={"Accept": "application/json"})
    assert qr.status_code == 200, qr.text
    assert qr.json()["status"] == "valid"
    entry = client.get(f"/register/{number}", params={"family_name": "Moreau"})
    assert entry.json()["entry"]["status"] == "active"


def test_a_withdrawal_appealed_and_upheld_is_re_granted_on_the_original_evidence(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, client = public
    scheme = new_scheme(office)
    number = certify(office, scheme)
    withdrawn = decide(office, number, "withdraw", {"reason": "misuse reported"})
    [withdrawal] = [d for d in withdrawn["lifecycle"] if d["kind"] == "withdraw"]
    appeal = _upheld(office, appeal_body(withdrawal["id"]))
    again = candidate(office, scheme, ["VT-STEEL"], withdrawn["person_id"])
    problem(
        _grant(office, member(office, "decider"), again["id"], appeal_id=appeal["id"]),
        403,
        "took-part-in-decision",
    )
    granted = _grant(office, _maker(office, "decider-3"), again["id"], appeal_id=appeal["id"])
    assert granted.status_code == 201, granted.text
    new_number = granted.json()["certification"]["certificate_number"]
    assert new_number != number
    shown = office.ok("GET", f"/appeals/{appeal['id']}", member(office, "auditor"))
    assert shown["remedy_certification_id"] == granted.json()["certification"]["id"]
    old = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    assert old["status"] == "withdrawn"  # withdrawal stays terminal: a new certification
    new = office.ok("GET", f"/certifications/{new_number}", member(office, "auditor"))
    client.app.state.drain()  # type: ignore[attr-defined]
    qr = client.get(f"/v/{new['credentials'][0]['id']}", headers={"Accept": "application/json"})
    assert qr.json()["status"] == "valid"
