"""A decision-maker who declared a conflict with a person acts for them only under an
approved impartiality measure in force that covers deciding (clause 4.3), and every decision
so taken names the risk in its audit entry: the grant and each lifecycle decision (suspend,
reinstate, scope, recertify, withdraw). Without the measure each of them is refused.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from issuer.model import Role
from issuer.store.audit_log import AuditWrites
from tests.backoffice import BackOffice, Member, candidate, exam_body, member, setup_scheme
from tests.test_impartiality_risks import _problem, _treated
from tests.test_recertification import _examined

IN_WINDOW = datetime(2029, 6, 1, 9, 0, tzinfo=UTC)  # the recertification window is open


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every audit entry's action and details as written (the log itself keeps digests)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    append = AuditWrites.append_audit

    def spy(self: AuditWrites, **kwargs: Any) -> Any:
        seen.append((kwargs["action"], dict(kwargs.get("details") or {})))
        return append(self, **kwargs)

    monkeypatch.setattr(AuditWrites, "append_audit", spy)
    return seen


def _conflicted(office: BackOffice) -> tuple[Member, dict[str, Any], str]:
    """A second decision-maker who declared a conflict with an examined candidate: the
    member, the accepted application and the conflict's id."""
    scheme = setup_scheme(office)
    accepted = candidate(office, scheme, ["VT-STEEL", "VT-PRESSURE"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    cousin = office.enrol("cousin", Role.DECISION_MAKER)
    conflict = office.ok(
        "POST",
        f"/staff/{cousin.staff_id}/conflicts",
        cousin,
        {"person_id": accepted["person_id"], "nature": "cousin"},
    )
    return cousin, accepted, conflict["id"]


def _lifecycle(office: BackOffice, who: Member, number: str, action: str, body: Any) -> Any:
    return office.call("POST", f"/certifications/{number}/{action}", who, body)


def test_every_decision_under_a_measure_names_its_risk_and_none_passes_without(
    office: BackOffice, written: list[tuple[str, dict[str, Any]]]
) -> None:
    cousin, accepted, conflict_id = _conflicted(office)
    grant = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    _problem(office.call("POST", "/decisions", cousin, grant), 403, "declared-conflict")

    # Another decision-maker grants; the conflicted one cannot act on the certification yet.
    granted = office.ok("POST", "/decisions", member(office, "decider"), grant)
    number = granted["certification"]["certificate_number"]
    certification = granted["certification"]
    refusals = {
        "suspend": {"reason": "a report under review"},
        "withdraw": {"reason": "fraud"},
        "scope": {"scope": ["VT-STEEL"], "reason": "pressure work lapsed"},
    }
    for action, body in refusals.items():
        _problem(_lifecycle(office, cousin, number, action, body), 403, "declared-conflict")

    # The measure approved and linked: every decision goes through and names the risk.
    risk = _treated(
        office,
        staff_id=cousin.staff_id,
        person_id=accepted["person_id"],
        covers=["decide"],
        review_by="2030-06-30",
    )
    office.ok(
        "PUT",
        f"/staff/{cousin.staff_id}/conflicts/{conflict_id}/risk",
        cousin,
        {"risk_id": risk["id"]},
    )
    steps = [
        ("suspend", {"reason": "a report under review"}),
        ("reinstate", {"reason": "the report was cleared"}),
        ("scope", {"scope": ["VT-STEEL"], "reason": "pressure work lapsed"}),
    ]
    for action, body in steps:
        answer = _lifecycle(office, cousin, number, action, body)
        assert answer.status_code == 200, answer.text
    office.clock.now = IN_WINDOW  # type: ignore[attr-defined]
    exam = _examined(office, {**certification, "scope": ["VT-STEEL"]})
    renewed = _lifecycle(office, cousin, number, "recertify", {"examination_ids": [exam]})
    assert renewed.status_code == 200, renewed.text
    withdrawn = _lifecycle(office, cousin, number, "withdraw", {"reason": "fraud"})
    assert withdrawn.status_code == 200, withdrawn.text

    named = {
        action.removeprefix("certification."): details.get("risk_id")
        for action, details in written
        if action.startswith("certification.")
        and action.removeprefix("certification.")
        in {"suspend", "reinstate", "scope", "recertify", "withdraw"}
    }
    assert named == dict.fromkeys(
        ["suspend", "reinstate", "scope", "recertify", "withdraw"], risk["id"]
    )


def test_a_grant_under_a_measure_names_its_risk_in_both_entries(
    office: BackOffice, written: list[tuple[str, dict[str, Any]]]
) -> None:
    cousin, accepted, conflict_id = _conflicted(office)
    risk = _treated(
        office, staff_id=cousin.staff_id, person_id=accepted["person_id"], covers=["decide"]
    )
    office.ok(
        "PUT",
        f"/staff/{cousin.staff_id}/conflicts/{conflict_id}/risk",
        cousin,
        {"risk_id": risk["id"]},
    )
    grant = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    office.ok("POST", "/decisions", cousin, grant)
    named = {
        a: d.get("risk_id") for a, d in written if a in {"decision.grant", "certification.granted"}
    }
    assert named == {"decision.grant": risk["id"], "certification.granted": risk["id"]}
