"""The management review's figures for regulators (clauses 7.3.4, 10): aggregated and
non-personal by default — counts only, small counts withheld, no staff, no person, no text —
and the full report, examiner monitoring per examiner included, only on a stated legal
basis, audited with its digest. Both are logged in the regulators' request log. The
auditor, inside, reads every management report and changes nothing.

Every test runs on SQLite and PostgreSQL through the ``office`` fixture.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

import pytest
from httpx2 import Response

from issuer.model import Role
from issuer.store import Store
from issuer.store.audit import details_digest
from tests.backoffice import BackOffice, Member, candidate, exam_body, member, person_body
from tests.test_due_jobs import certify, decide, new_scheme
from tests.test_impartiality_risks import _treated
from tests.test_management import finding_body, plan_body
from tests.test_regulator import count

REG = "/regulator/v1"
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
BASIS = "Art. 12 of the Welding Inspection Act, order 2026/118"
COMPLAINT_TEXT = "Walrus-Umbrella-5521 signed reports he never saw"
FINDING_TEXT = "Heron-Lantern-3307 skipped the identity check"


@pytest.fixture
def regulator(office: BackOffice) -> Member:
    return office.enrol("regulator", Role.REGULATOR)


def _seeded(office: BackOffice) -> list[str]:
    """Six grants in one scheme, two of them suspended, an appeal, a complaint, a finding and
    an impartiality risk, all this month; the certificate numbers."""
    scheme = new_scheme(office)
    numbers = [certify(office, scheme) for _ in range(6)]
    for number in numbers[:2]:
        decide(office, number, "suspend", {"reason": "a report under review"})
    registrar = member(office, "registrar")
    office.ok(
        "POST",
        "/complaints",
        registrar,
        {
            "subject": "certified-person",
            "certificate_number": numbers[0],
            "description": COMPLAINT_TEXT,
            "channel": "email",
            "received_on": "2026-11-25",
        },
    )
    finding = office.ok(
        "POST", "/findings", member(office, "admin"), finding_body(description=FINDING_TEXT)
    )
    office.ok(
        "POST",
        f"/findings/{finding['id']}/corrective-action",
        member(office, "admin"),
        plan_body(member(office, "manager")),
    )
    person = office.ok("POST", "/persons", registrar, person_body("Zed", "Quartermaine"))
    _treated(
        office,
        staff_id=member(office, "decider").staff_id,
        person_id=person["id"],
        covers=["decide"],
    )
    return numbers


def _identifiers(office: BackOffice, store: Store) -> list[str]:
    """Every staff id, person id and name the store holds: none may reach the figures."""
    with store.reading() as tx:
        people = [p for c in tx.list_complaints() for p in (c.person_id,) if p]
    staff = [m.staff_id for m in office.members.values() if m.staff_id]
    return [*staff, *people, "Moreau", "Quartermaine"]


def test_the_figures_are_aggregated_withheld_when_small_and_name_no_one(
    office: BackOffice, regulator: Member, store: Store
) -> None:
    _seeded(office)
    before = count(store, "regulator_requests")
    answer = office.client.get(f"{REG}/management-review", params=PERIOD, headers=regulator.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    figures = answer.json()
    assert figures["withheld_below"] == 5
    [(scheme, row)] = figures["certifications"].items()
    assert scheme == "WI"
    assert row["granted"] == 6  # large enough to show
    assert row["suspended"] is None  # two: withheld
    assert row["withdrawn"] == 0
    assert row["expired"] == 0
    assert figures["complaints"]["received"] == {"certified-person": None}
    assert figures["complaints"]["mean_days_to_answer"] is None
    assert figures["corrective_actions"]["by_state_now"]["action-planned"] is None
    assert figures["corrective_actions"]["by_state_now"]["closed"] == 0
    assert figures["impartiality_risks"]["open_by_level"] == {
        "high": 0,
        "low": 0,
        "medium": None,  # 3 × 4 = 12
        "not-evaluated": 0,
    }
    assert figures["appeals"]["received"] == 0
    text = answer.text
    for secret in (COMPLAINT_TEXT, FINDING_TEXT, *_identifiers(office, store)):
        assert secret not in text, secret
    assert "examiner_id" not in text
    assert "examiner_flags" not in text
    # every count is 0, 5 or more, or withheld
    for value in re.findall(r'":\s*(\d+)[,}]', json.dumps(figures)):
        assert int(value) == 0 or int(value) >= 5
    assert count(store, "regulator_requests") == before + 1


def test_examiner_flags_reach_regulators_only_folded(office: BackOffice, regulator: Member) -> None:
    scheme = new_scheme(office)
    for _ in range(5):  # five examinations without the identity check, by one examiner
        accepted = candidate(office, scheme, ["VT-STEEL"])
        office.ok(
            "POST",
            "/examinations",
            member(office, "examiner"),
            exam_body(accepted["id"], date(2026, 11, 20), identity_checked=False, result="fail"),
        )
    staff_view = office.ok(
        "GET", "/reports/management-review?from=2026-11-01&to=2026-11-30", member(office, "auditor")
    )
    assert staff_view["examiner_flags"][0]["examiner_id"] == member(office, "examiner").staff_id
    figures = office.client.get(
        f"{REG}/management-review", params=PERIOD, headers=regulator.headers
    ).json()
    assert figures["examiners_flagged"] == {"identity-check-failures": None}  # one examiner
    assert member(office, "examiner").staff_id not in json.dumps(figures)


def _full(office: BackOffice, who: Member, body: dict[str, Any]) -> Response:
    return office.client.post(f"{REG}/management-review/full", json=body, headers=who.headers)


def _disclosed(store: Store) -> list[Any]:
    with store.reading() as tx:
        entries = tx.audit_entries(limit=100_000)
    return [e for e in entries if e.action == "management.review-disclosed"]


def test_the_full_report_leaves_only_on_a_legal_basis_audited_with_its_digest(
    office: BackOffice, regulator: Member, store: Store
) -> None:
    _seeded(office)
    before = count(store, "regulator_requests")
    for body in (PERIOD, {**PERIOD, "legal_basis": "   "}, {**PERIOD, "legal_basis": "law"}):
        refused = _full(office, regulator, body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"] == "/problems/legal-basis-required"
    assert _disclosed(store) == []
    bad_period = _full(
        office, regulator, {"from": "2026-11-30", "to": "2026-11-01", "legal_basis": BASIS}
    )
    assert bad_period.status_code == 422
    assert _disclosed(store) == []

    answer = _full(office, regulator, {**PERIOD, "legal_basis": BASIS, "reference": "case 7"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    examiner = member(office, "examiner").staff_id
    assert [e["examiner_id"] for e in report["examiners"]] == [examiner]
    assert report["examiners"][0]["held"] == 6
    assert report["certifications"]["WI"]["suspended"] == 2  # nothing withheld here
    assert report["legal_basis"] == BASIS
    [entry] = _disclosed(store)
    assert entry.subject_type == "management-review"
    assert entry.subject_id == "2026-11-01/2026-11-30"
    assert entry.details_digest == details_digest(
        {
            "from": "2026-11-01",
            "to": "2026-11-30",
            "legal_basis_sha256": hashlib.sha256(BASIS.encode()).hexdigest(),
            "reference_sha256": hashlib.sha256(b"case 7").hexdigest(),
        }
    )
    assert BASIS not in repr(entry)
    assert count(store, "regulator_requests") == before + 5  # refusals logged too


def test_only_regulator_tokens_read_the_regulators_figures(
    office: BackOffice, regulator: Member
) -> None:
    for name in ("auditor", "admin", "decider"):
        who = member(office, name)
        figures = office.client.get(f"{REG}/management-review", params=PERIOD, headers=who.headers)
        assert figures.status_code == 403, figures.text
        assert _full(office, who, {**PERIOD, "legal_basis": BASIS}).status_code == 403
    staff_route = office.client.get(
        "/api/v1/reports/management-review", params=PERIOD, headers=regulator.headers
    )
    assert staff_route.status_code == 403
    assert office.client.get(f"{REG}/management-review", params=PERIOD).status_code == 401


def _audit_head(store: Store) -> int:
    with store.reading() as tx:
        return len(tx.audit_entries(limit=100_000))


def test_the_auditor_reads_every_management_report_and_gets_403_on_every_write(
    office: BackOffice, store: Store
) -> None:
    """Walks the application's own routes, so a route added later is held to it too."""
    _seeded(office)
    admin, auditor = member(office, "admin"), member(office, "auditor")
    finding = office.ok("GET", "/findings", admin)[0]
    risk = office.ok("GET", "/impartiality-risks", admin)[0]
    ids = {
        "finding_id": finding["id"],
        "risk_id": risk["id"],
        "staff_id": member(office, "decider").staff_id,
        "declaration_id": "none",
    }
    document = office.client.get("/openapi.json").json()
    routes = [
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if {"management system", "impartiality"} & set(operation.get("tags", []))
    ]
    assert len(routes) >= 15
    head = _audit_head(store)
    reads = writes = 0
    for template, method in routes:
        path = template.format(**ids)
        answer = office.client.request(
            method,
            path,
            params=PERIOD if method == "GET" else None,
            json=None if method == "GET" else {"risk_id": risk["id"]},
            headers=auditor.headers,
        )
        if method == "GET":
            assert answer.status_code == 200, (path, answer.text)
            reads += 1
        else:
            assert answer.status_code == 403, (method, path, answer.text)
            writes += 1
    assert reads >= 6
    assert writes >= 9
    assert _audit_head(store) == head
