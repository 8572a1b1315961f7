"""Lifecycle decisions through HTTP (clauses 9.5, 9.6): every decision flips the right bit in
the signed status lists, supersession links both ways, withdrawal is terminal."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from issuer.model import Role
from schemas import bitstring_status_list as bsl
from tests.backoffice import BackOffice, exam_body, grant, member
from tests.conftest import FrozenClock
from tests.test_credentials import SVG_MARK, fetch, published_keys, verify


def _detail(office: BackOffice, number: str) -> dict[str, Any]:
    detail: dict[str, Any] = office.ok(
        "GET", f"/certifications/{number}", member(office, "auditor")
    )
    return detail


def _bit(office: BackOffice, list_id: str, index: int) -> int:
    """The bit as the signed status list credential says (signature checked with joserfc)."""
    _, status_list = verify(fetch(office, f"/status-lists/{list_id}"), published_keys(office))
    return bsl.get_status(bsl.decode_list(status_list["credentialSubject"]["encodedList"]), index)


def _revoked(office: BackOffice, credential: dict[str, Any]) -> int:
    return _bit(office, credential["revocation_list_id"], credential["revocation_index"])


def _suspended(office: BackOffice, credential: dict[str, Any]) -> int:
    return _bit(office, credential["suspension_list_id"], credential["suspension_index"])


def _decide(
    office: BackOffice, number: str, action: str, body: dict[str, Any] | None = None
) -> Any:
    return office.call(
        "POST", f"/certifications/{number}/{action}", member(office, "decider"), body or {}
    )


def test_grant_suspend_reinstate_reduce_withdraw(office: BackOffice) -> None:
    number = grant(office)["certification"]["certificate_number"]
    [first] = _detail(office, number)["credentials"]
    assert (_revoked(office, first), _suspended(office, first)) == (0, 0)

    suspended = _decide(
        office, number, "suspend", {"reason": "eye test overdue", "resolve_by": "2027-01-31"}
    ).json()
    assert suspended["status"] == "suspended"
    assert suspended["resolve_by"] == "2027-01-31"
    assert suspended["credentials"][0]["status"] == "suspended"
    assert _suspended(office, first) == 1
    assert _decide(office, number, "suspend", {"reason": "again"}).status_code == 409

    reinstated = _decide(office, number, "reinstate", {"reason": "eye test passed"}).json()
    assert reinstated["status"] == "active"
    assert _suspended(office, first) == 0

    reduced = _decide(office, number, "scope", {"scope": ["VT-STEEL"]}).json()
    assert reduced["status"] == "active"
    assert reduced["scope"] == ["VT-STEEL"]
    [old] = [c for c in reduced["credentials"] if c["id"] == first["id"]]
    [new] = [c for c in reduced["credentials"] if c["id"] != first["id"]]
    assert old["status"] == "superseded"
    assert old["superseded_by"] == new["id"]
    assert new["supersedes"] == old["id"]
    assert new["status"] == "active"
    assert _revoked(office, old) == 1
    assert (_revoked(office, new), _suspended(office, new)) == (0, 0)
    assert (new["revocation_list_id"], new["revocation_index"]) != (
        old["revocation_list_id"],
        old["revocation_index"],
    )
    _, payload = verify(fetch(office, f"/credentials/{new['id']}"), published_keys(office))
    scope = payload["credentialSubject"]["certification"]["scope"]
    assert [s["code"] for s in scope] == ["VT-STEEL"]
    assert [d["kind"] for d in reduced["lifecycle"]] == ["suspend", "reinstate", "scope"]
    assert reduced["lifecycle"][2]["scope_before"] == ["VT-PRESSURE", "VT-STEEL"]

    withdrawn = _decide(office, number, "withdraw", {"reason": "falsified evidence"}).json()
    assert withdrawn["status"] == "withdrawn"
    assert _revoked(office, new) == 1
    for action, body in (
        ("recertify", {}),
        ("reinstate", {}),
        ("suspend", {"reason": "x"}),
        ("scope", {"scope": ["VT-STEEL", "VT-PRESSURE"]}),
        ("withdraw", {"reason": "again"}),
    ):
        refused = _decide(office, number, action, body)
        assert refused.status_code == 409, action
        assert refused.json()["type"] == "/problems/invalid-transition"
    assert _revoked(office, new) == 1


def test_marks_follow_their_certification(office: BackOffice) -> None:
    decision = grant(office)
    number = decision["certification"]["certificate_number"]
    office.ok(
        "PUT",
        f"/schemes/{decision['certification']['scheme_id']}/mark",
        member(office, "manager"),
        {
            "media_type": "image/svg+xml",
            "image_base64": base64.b64encode(SVG_MARK).decode(),
            "rules": "Only with the certificate number.",
        },
    )
    registrar = member(office, "registrar")
    office.ok("POST", f"/certifications/{number}/mark-agreement", registrar)
    mark = office.ok("POST", f"/certifications/{number}/marks", registrar)
    _decide(office, number, "suspend", {"reason": "complaint under investigation"})
    assert _suspended(office, mark) == 1
    _decide(office, number, "reinstate")
    detail = _decide(office, number, "scope", {"scope": ["VT-PRESSURE"]}).json()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for credential in detail["credentials"]:
        by_kind.setdefault(credential["kind"], []).append(credential)
    [old_mark] = [m for m in by_kind["mark"] if m["superseded_by"]]
    [new_mark] = [m for m in by_kind["mark"] if not m["superseded_by"]]
    [new_certificate] = [c for c in by_kind["certificate"] if not c["superseded_by"]]
    assert old_mark["superseded_by"] == new_mark["id"]
    assert new_mark["supersedes"] == old_mark["id"]
    assert new_mark["depends_on"] == new_certificate["id"]
    assert _revoked(office, old_mark) == 1
    assert _revoked(office, new_mark) == 0


def test_expiry_worklist_and_recertification(office: BackOffice, clock: FrozenClock) -> None:
    number = grant(office)["certification"]["certificate_number"]
    _decide(office, number, "suspend", {"reason": "missing evidence", "resolve_by": "2026-12-31"})
    auditor = member(office, "auditor")
    assert office.ok("GET", "/certifications/worklist/overdue-suspensions", auditor) == []
    clock.advance(days=40)
    overdue = office.ok("GET", "/certifications/worklist/overdue-suspensions", auditor)
    assert [c["certificate_number"] for c in overdue] == [number]

    # a recertification before the window (six months before expiry) is refused
    too_early = _decide(office, number, "recertify", {"reason": "evidence received"})
    assert too_early.json()["type"] == "/problems/recertification-window"
    assert "opens on 2029-05-25" in too_early.json()["detail"]

    # in the window: the new cycle starts the day after expiry and lasts the scheme's 36
    # months; the suspension stays in force: a new cycle is no reinstatement
    clock.now = datetime(2029, 6, 1, 9, 0, tzinfo=UTC)
    exam = _reexamined(office, number)
    early = _decide(
        office, number, "recertify", {"reason": "evidence received", "examination_ids": [exam]}
    ).json()
    assert early["status"] == "suspended"
    assert early["resolve_by"] == "2026-12-31"
    assert early["effective_date"] == "2029-11-25"
    assert early["expiry_date"] == "2032-11-24"
    assert early["original_certification_date"] == "2026-11-25"
    [old] = [c for c in early["credentials"] if c["superseded_by"]]
    [new] = [c for c in early["credentials"] if not c["superseded_by"]]
    assert old["status"] == "superseded"
    assert new["status"] == "suspended"
    assert _suspended(office, new) == 1
    assert new["valid_until"].startswith("2032-11-24T23:59:59")
    overdue = office.ok("GET", "/certifications/worklist/overdue-suspensions", auditor)
    assert [c["certificate_number"] for c in overdue] == [number]
    reinstated = _decide(office, number, "reinstate", {"reason": "eye test passed"}).json()
    assert reinstated["status"] == "active"
    assert _suspended(office, new) == 0

    clock.now = datetime(2032, 11, 26, 9, 0, tzinfo=UTC)
    expired = office.ok("POST", "/certifications/expire-due", member(office, "decider"))
    assert [c["certificate_number"] for c in expired] == [number]
    assert _detail(office, number)["status"] == "expired"
    assert office.ok("POST", "/certifications/expire-due", member(office, "decider")) == []
    # the scheme gives no grace after expiry: the window closed with the last valid day
    late = _decide(office, number, "recertify", {"examination_ids": [_reexamined(office, number)]})
    assert late.json()["type"] == "/problems/recertification-window"
    assert "closed on 2032-11-24" in late.json()["detail"]


def _reexamined(office: BackOffice, number: str) -> str:
    """The certified person applies again, for the scope they hold, and passes today."""
    detail = _detail(office, number)
    registrar = member(office, "registrar")
    application = office.ok(
        "POST",
        "/applications",
        registrar,
        {
            "person_id": detail["person_id"],
            "scheme_id": detail["scheme_id"],
            "scope": detail["scope"],
        },
    )
    office.ok("POST", f"/applications/{application['id']}/review", registrar, {"notes": "ok"})
    office.ok("POST", f"/applications/{application['id']}/accept", registrar)
    exam = office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(application["id"], office.clock().date()),
    )
    return str(exam["id"])


def test_lifecycle_decisions_need_an_impartial_decision_maker(office: BackOffice) -> None:
    decision = grant(office)
    number = decision["certification"]["certificate_number"]
    registrar = member(office, "registrar")
    wrong = office.call(
        "POST", f"/certifications/{number}/suspend", registrar, {"reason": "because"}
    )
    assert wrong.json()["type"] == "/problems/wrong-role"
    trainer = office.enrol("decider-2", Role.DECISION_MAKER)
    office.ok(
        "POST",
        f"/staff/{trainer.staff_id}/trainees",
        member(office, "admin"),
        {"person_id": decision["certification"]["person_id"], "description": "course"},
    )
    refused = office.call("POST", f"/certifications/{number}/withdraw", trainer, {"reason": "x"})
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/trained-candidate"
    assert _detail(office, number)["status"] == "active"
    missing = office.call(
        "POST",
        "/certifications/AAAA-AAAA-AAAA-AAAA-A/suspend",
        member(office, "decider"),
        {"reason": "x"},
    )
    assert missing.status_code == 404


def test_suspension_reason_stays_out_of_every_credential(office: BackOffice) -> None:
    number = grant(office)["certification"]["certificate_number"]
    reason = "Confidential-Reason-7f3a complaint by employer"
    detail = _decide(office, number, "suspend", {"reason": reason}).json()
    assert detail["lifecycle"][0]["reason"] == reason  # the back office keeps it
    for credential in detail["credentials"]:
        token = fetch(office, f"/credentials/{credential['id']}")
        assert "7f3a" not in json.dumps(verify(token, published_keys(office))[1])
        for list_id in (credential["revocation_list_id"], credential["suspension_list_id"]):
            assert "7f3a" not in fetch(office, f"/status-lists/{list_id}")
