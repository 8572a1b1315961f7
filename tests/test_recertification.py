"""Recertification on evidence, once a cycle (clause 9.6), through HTTP on both engines.

A certification is recertified only inside its scheme's window (from some months before
expiry to some days of grace after it), on evidence of a kind the scheme accepts that no
other recertification relied on, by a decision-maker who examined in none of it, and once a
cycle: the new cycle runs from the day after the previous expiry, and the day the person was
first certified stays on the record, the credential, the register entry and the page behind
the QR code."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from issuer import demo
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.keys import KeyRing
from issuer.store import Store, migrate
from tests.backoffice import BackOffice, candidate, exam_body, member, scheme_body
from tests.conftest import FrozenClock, SeededEntropy
from tests.test_credentials import fetch, published_keys, verify
from tests.test_flow import _audit_head, _refused, _two_role_member
from tests.test_lifecycle import _decide, _detail
from tests.test_registry_e2e import _publish, _register, public

__all__ = ["public"]  # the registry fixture, used here too

FIRST = "2026-11-25"  # the grant's effective date (the clock's start)
EXPIRY = "2029-11-24"  # 36 months later, less a day
IN_WINDOW = datetime(2029, 6, 1, 9, 0, tzinfo=UTC)  # the window opens on 2029-05-25


def _scheme(office: BackOffice, code: str = "WI", **content: Any) -> dict[str, Any]:
    scheme: dict[str, Any] = office.ok(
        "POST", "/schemes", member(office, "manager"), scheme_body(code) | content
    )
    office.ok(
        "POST",
        f"/staff/{member(office, 'examiner').staff_id}/approvals",
        member(office, "manager"),
        {"scheme_id": scheme["id"]},
    )
    return scheme


def _certify(office: BackOffice, scheme: dict[str, Any], scope: list[str]) -> dict[str, Any]:
    """A new person certified for ``scope`` today; the certification."""
    accepted = candidate(office, scheme, scope)
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], office.clock().date()),
    )
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    certification: dict[str, Any] = office.ok(
        "POST", "/decisions", member(office, "decider"), body
    )["certification"]
    return certification


def _examined(
    office: BackOffice,
    certification: dict[str, Any],
    *,
    held: date | None = None,
    by: str = "examiner",
    times: int = 1,
    **overrides: Any,
) -> str:
    """The certified person applies again and is examined on the scope they hold; the
    examination's id (with ``times``, the ids of as many, comma-separated)."""
    application = candidate(
        office,
        {"id": certification["scheme_id"]},
        certification["scope"],
        certification["person_id"],
    )
    held_on = held or office.clock().date()
    ids = [
        office.ok(
            "POST",
            "/examinations",
            member(office, by),
            exam_body(application["id"], held_on, **overrides),
        )["id"]
        for _ in range(times)
    ]
    return ",".join(ids)


def _evidence(office: BackOffice, number: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "continuing-development",
        "summary": "120 hours of courses on pressure equipment inspection",
        "period_from": "2027-01-01",
        "period_to": office.clock().date().isoformat(),
        "hours": 120,
    } | overrides
    recorded: dict[str, Any] = office.ok(
        "POST", f"/certifications/{number}/evidence", member(office, "registrar"), body
    )
    return recorded


@pytest.fixture
def certified(office: BackOffice) -> tuple[str, dict[str, Any]]:
    certification = _certify(office, _scheme(office), ["VT-STEEL"])
    return certification["certificate_number"], certification


# ── the scheme says what and when ────────────────────────────────────────────────────────
def test_a_scheme_version_says_what_recertification_needs_and_when(office: BackOffice) -> None:
    manager = member(office, "manager")
    default = office.ok("POST", "/schemes", manager, scheme_body("A1"))["current"]
    assert default["recertification_evidence"] == ["examination"]
    assert default["recertification_window_months_before"] == 6
    assert default["recertification_grace_days"] == 0
    chosen = {
        "recertification_evidence": ["work-evidence", "continuing-development"],
        "recertification_window_months_before": 3,
        "recertification_grace_days": 90,
    }
    made = office.ok("POST", "/schemes", manager, scheme_body("A2") | chosen)["current"]
    assert made["recertification_evidence"] == ["continuing-development", "work-evidence"]
    assert made["recertification_grace_days"] == 90
    flaws: list[dict[str, Any]] = [
        {"recertification_evidence": []},
        {"recertification_evidence": ["interview"]},
        {"recertification_evidence": ["examination", "examination"]},
        {"recertification_window_months_before": 25},
        {"recertification_grace_days": -1},
        {"recertification_grace_days": 367},
        {"recertification_window_months_before": 0, "recertification_grace_days": 0},
    ]
    for flaw in flaws:
        refused = office.call("POST", "/schemes", manager, scheme_body("A3") | flaw)
        assert refused.status_code == 422, flaw
        assert refused.json()["type"] in {"/problems/validation-failed", "/problems/invalid-input"}


# ── the window ───────────────────────────────────────────────────────────────────────────
def test_before_the_window_recertification_is_refused_saying_when_it_opens(
    office: BackOffice, certified: tuple[str, dict[str, Any]]
) -> None:
    number, certification = certified
    exam = _examined(office, certification)
    head = _audit_head(office)
    refused = _decide(office, number, "recertify", {"examination_ids": [exam]})
    _refused(refused, 409, "recertification-window", office, head)
    assert "opens on 2029-05-25" in refused.json()["detail"]
    assert _detail(office, number)["expiry_date"] == EXPIRY


def test_inside_the_window_the_new_cycle_starts_the_day_after_expiry(
    office: BackOffice, clock: FrozenClock, certified: tuple[str, dict[str, Any]]
) -> None:
    number, certification = certified
    clock.now = IN_WINDOW
    exam = _examined(office, certification)
    renewed = _decide(office, number, "recertify", {"examination_ids": [exam]}).json()
    assert renewed["status"] == "active"
    assert renewed["effective_date"] == "2029-11-25"
    assert renewed["expiry_date"] == "2032-11-24"  # 36 months, not six years
    assert renewed["original_certification_date"] == FIRST
    [decision] = [d for d in renewed["lifecycle"] if d["kind"] == "recertify"]
    assert decision["examination_ids"] == [exam]
    # the new credential is valid from today: the renewed cycle starts later, and the old
    # credential is superseded, so no day goes without a valid one
    [current] = [c for c in renewed["credentials"] if not c["superseded_by"]]
    assert current["valid_from"].startswith("2029-06-01")
    assert current["valid_until"].startswith("2032-11-24")


def test_a_second_recertification_the_same_day_is_already_recertified(
    office: BackOffice, clock: FrozenClock, certified: tuple[str, dict[str, Any]]
) -> None:
    number, certification = certified
    clock.now = IN_WINDOW
    first, second = _examined(office, certification, times=2).split(",")
    _decide(office, number, "recertify", {"examination_ids": [first]})
    before = _detail(office, number)
    head = _audit_head(office)
    refused = _decide(office, number, "recertify", {"examination_ids": [second]})
    _refused(refused, 409, "already-recertified", office, head)
    assert "2032-11-24" in refused.json()["detail"]
    assert _detail(office, number) == before


def test_after_the_window_closed_recertification_is_refused(
    office: BackOffice, clock: FrozenClock, certified: tuple[str, dict[str, Any]]
) -> None:
    number, certification = certified
    clock.now = datetime(2029, 11, 25, 9, 0, tzinfo=UTC)  # the day after expiry, no grace
    exam = _examined(office, certification)
    head = _audit_head(office)
    refused = _decide(office, number, "recertify", {"examination_ids": [exam]})
    _refused(refused, 409, "recertification-window", office, head)
    assert "closed on 2029-11-24" in refused.json()["detail"]


def test_in_the_grace_period_an_expired_certification_is_recertified_without_a_gap(
    office: BackOffice, clock: FrozenClock
) -> None:
    certification = _certify(
        office, _scheme(office, recertification_grace_days=30), ["VT-STEEL", "VT-PRESSURE"]
    )
    number = certification["certificate_number"]
    clock.now = datetime(2029, 12, 10, 9, 0, tzinfo=UTC)
    office.ok("POST", "/certifications/expire-due", member(office, "decider"))
    assert _detail(office, number)["status"] == "expired"
    exam = _examined(office, certification)
    renewed = _decide(office, number, "recertify", {"examination_ids": [exam]}).json()
    assert renewed["status"] == "active"
    assert (renewed["effective_date"], renewed["expiry_date"]) == ("2029-11-25", "2032-11-24")
    assert renewed["original_certification_date"] == FIRST
    again = _decide(
        office, number, "recertify", {"examination_ids": [_examined(office, certification)]}
    )
    assert again.json()["type"] == "/problems/already-recertified"
    # past the grace period it is closed
    other = _certify(office, {"id": certification["scheme_id"]}, ["VT-STEEL"])
    clock.now = datetime(2033, 2, 1, 9, 0, tzinfo=UTC)  # it expired on 2032-12-09
    late = _decide(office, other["certificate_number"], "recertify", {})
    assert late.json()["type"] == "/problems/recertification-window"


# ── evidence ─────────────────────────────────────────────────────────────────────────────
def test_without_evidence_of_an_accepted_kind_recertification_is_refused(
    office: BackOffice, clock: FrozenClock, certified: tuple[str, dict[str, Any]]
) -> None:
    number, _ = certified
    clock.now = IN_WINDOW
    item = _evidence(office, number)  # the scheme accepts examinations only
    before = _detail(office, number)
    head = _audit_head(office)
    for body in ({}, {"reason": "still competent"}, {"evidence_ids": [item["id"]]}):
        refused = _decide(office, number, "recertify", body)
        _refused(refused, 422, "evidence-missing", office, head)
    assert _detail(office, number) == before


@pytest.mark.parametrize(
    "flaw",
    ["failed", "identity", "before-window", "other-person", "other-certification"],
)
def test_evidence_that_cannot_be_relied_on_is_refused(
    office: BackOffice, clock: FrozenClock, flaw: str
) -> None:
    scheme = _scheme(office, recertification_evidence=["examination", "continuing-development"])
    certification = _certify(office, scheme, ["VT-STEEL"])
    other = _certify(office, scheme, ["VT-STEEL"])
    number = certification["certificate_number"]
    clock.now = IN_WINDOW
    body: dict[str, Any]
    if flaw == "failed":
        body = {"examination_ids": [_examined(office, certification, result="fail", score=20)]}
    elif flaw == "identity":
        body = {"examination_ids": [_examined(office, certification, identity_checked=False)]}
    elif flaw == "before-window":
        body = {"examination_ids": [_examined(office, certification, held=date(2029, 5, 1))]}
    elif flaw == "other-person":
        body = {"examination_ids": [_examined(office, other)]}
    else:
        body = {"evidence_ids": [_evidence(office, other["certificate_number"])["id"]]}
    before = _detail(office, number)
    head = _audit_head(office)
    _refused(_decide(office, number, "recertify", body), 422, "evidence-not-usable", office, head)
    assert _detail(office, number) == before


def test_recorded_evidence_is_relied_on_once_and_says_by_which_decision(
    office: BackOffice, clock: FrozenClock
) -> None:
    scheme = _scheme(office, recertification_evidence=["continuing-development"])
    certification = _certify(office, scheme, ["VT-STEEL"])
    number = certification["certificate_number"]
    clock.now = IN_WINDOW
    stale = _evidence(office, number, period_from="2027-01-01", period_to="2028-12-31")
    item = _evidence(office, number, hours=None)
    assert item["used_by"] is None
    head = _audit_head(office)
    old = _decide(office, number, "recertify", {"evidence_ids": [stale["id"]]})
    _refused(old, 422, "evidence-not-usable", office, head)  # it ended before the window
    renewed = _decide(office, number, "recertify", {"evidence_ids": [item["id"]]}).json()
    [decision] = [d for d in renewed["lifecycle"] if d["kind"] == "recertify"]
    assert decision["evidence_ids"] == [item["id"]]
    listed = office.ok("GET", f"/certifications/{number}/evidence", member(office, "auditor"))
    # Both recorded at the same instant: listed in the order of their (random) ids.
    assert sorted((e["id"], e["used_by"] or "") for e in listed) == sorted(
        [(stale["id"], ""), (item["id"], decision["id"])]
    )
    # the next cycle's window: the item was relied on already
    clock.now = datetime(2032, 6, 1, 9, 0, tzinfo=UTC)
    head = _audit_head(office)
    reused = _decide(office, number, "recertify", {"evidence_ids": [item["id"]]})
    _refused(reused, 422, "evidence-not-usable", office, head)
    assert "already relied on" in reused.json()["detail"]
    fresh = _evidence(office, number, period_from="2030-01-01")
    third = _decide(office, number, "recertify", {"evidence_ids": [fresh["id"]]}).json()
    assert (third["effective_date"], third["expiry_date"]) == ("2032-11-25", "2035-11-24")
    assert third["original_certification_date"] == FIRST


def test_evidence_is_recorded_by_the_registrar_and_checked(
    office: BackOffice, certified: tuple[str, dict[str, Any]]
) -> None:
    number, _ = certified
    body = {
        "kind": "work-evidence",
        "summary": "Inspection logs",
        "period_from": "2026-01-01",
        "period_to": "2026-06-30",
    }
    denied = office.call(
        "POST", f"/certifications/{number}/evidence", member(office, "decider"), body
    )
    assert denied.status_code == 403
    for flaw in (
        {"kind": "examination"},
        {"period_to": "2025-12-31"},
        {"period_to": "2027-01-01"},  # in the future
        {"summary": ""},
    ):
        refused = office.call(
            "POST", f"/certifications/{number}/evidence", member(office, "registrar"), body | flaw
        )
        assert refused.status_code == 422, flaw
    assert office.ok("GET", f"/certifications/{number}/evidence", member(office, "auditor")) == []


def test_a_decision_maker_who_examined_the_evidence_does_not_recertify(
    office: BackOffice, clock: FrozenClock, certified: tuple[str, dict[str, Any]]
) -> None:
    number, certification = certified
    dual = _two_role_member(office, "Dual Role", ["examiner", "decision-maker"])
    office.ok(
        "POST",
        f"/staff/{dual['examiner'].staff_id}/approvals",
        member(office, "manager"),
        {"scheme_id": certification["scheme_id"]},
    )
    office.members["dual-examiner"] = dual["examiner"]
    clock.now = IN_WINDOW
    exam = _examined(office, certification, by="dual-examiner")
    head = _audit_head(office)
    body = {"examination_ids": [exam]}
    refused = office.call(
        "POST", f"/certifications/{number}/recertify", dual["decision-maker"], body
    )
    _refused(refused, 403, "examined-candidate", office, head)
    assert _decide(office, number, "recertify", body).json()["expiry_date"] == "2032-11-24"


def test_a_suspension_in_force_stays_in_force(
    office: BackOffice, clock: FrozenClock, certified: tuple[str, dict[str, Any]]
) -> None:
    number, certification = certified
    clock.now = IN_WINDOW
    body = {"reason": "complaint", "resolve_by": "2029-09-01"}
    _decide(office, number, "suspend", body)
    exam = _examined(office, certification)
    renewed = _decide(office, number, "recertify", {"examination_ids": [exam]}).json()
    assert renewed["status"] == "suspended"
    assert renewed["resolve_by"] == "2029-09-01"
    [current] = [c for c in renewed["credentials"] if not c["superseded_by"]]
    assert current["status"] == "suspended"


def test_two_recertifications_at_once_make_one_cycle(
    office: BackOffice, clock: FrozenClock, certified: tuple[str, dict[str, Any]]
) -> None:
    number, certification = certified
    clock.now = IN_WINDOW
    exams = _examined(office, certification, times=2).split(",")
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = _decide(office, number, "recertify", {"examination_ids": [exams[index]]})

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], [a.text for a in answers]
    [refused] = [a for a in answers if a.status_code == 409]
    assert refused.json()["type"] == "/problems/already-recertified"
    detail = _detail(office, number)
    assert detail["expiry_date"] == "2032-11-24"
    assert [d["kind"] for d in detail["lifecycle"]] == ["recertify"]


# ── the original date on every public face ───────────────────────────────────────────────
def test_the_first_certification_date_stays_across_two_cycles(
    public: tuple[BackOffice, TestClient], clock: FrozenClock
) -> None:
    office, client = public
    certification = _certify(office, _scheme(office), ["VT-STEEL"])
    number = certification["certificate_number"]
    for year in (2029, 2032):
        clock.now = datetime(year, 6, 1, 9, 0, tzinfo=UTC)
        exam = _examined(office, certification)
        _decide(office, number, "recertify", {"examination_ids": [exam]})
    _publish(client)
    detail = _detail(office, number)
    assert (detail["effective_date"], detail["expiry_date"]) == ("2032-11-25", "2035-11-24")
    assert detail["original_certification_date"] == FIRST
    [current] = [c for c in detail["credentials"] if not c["superseded_by"]]
    _, payload = verify(fetch(office, f"/credentials/{current['id']}"), published_keys(office))
    subject = payload["credentialSubject"]["certification"]
    assert subject["originalCertificationDate"] == FIRST
    assert subject["effectiveDate"] == "2032-11-25"
    assert payload["credentialSchema"]["id"].endswith("/schemas/certification-credential-v3.json")
    entry = _register(client, number).json()["entry"]
    assert entry["originalCertificationDate"] == FIRST
    assert entry["effectiveDate"] == "2032-11-25"
    page = client.get(f"/v/{current['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Certified since" in page.text
    assert "November 25, 2026" in page.text
    answer = client.get(f"/v/{current['id']}", headers={"Accept": "application/json"}).json()
    assert answer["originalCertificationDate"] == FIRST


# ── the migration ────────────────────────────────────────────────────────────────────────
def test_the_upgrade_gives_each_certification_its_first_effective_date(
    store: Store, keyring: KeyRing, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    """A store of revision 0014 whose recertification overwrote an effective date: the
    upgrade finds the first one in the certification's first credential."""
    context = IssuanceContext(
        identity=IssuerIdentity(base_url="https://certs.example.test", name="Example Body"),
        keyring=keyring,
        list_entries=131_072,
    )
    assert demo.seed(store, now=clock(), entropy=entropy, issuance=context) is not None
    migrate.downgrade(store.engine, "0014")
    with store.engine.begin() as conn:
        ids = conn.scalars(text("SELECT id FROM certifications ORDER BY id")).all()
        first = {
            row.certification_id: row.start
            for row in conn.execute(
                text(
                    "SELECT certification_id, min(valid_from) AS start FROM credentials "
                    "GROUP BY certification_id"
                )
            )
        }
        # what the old recertification did: the effective date moved to the day it ran
        conn.execute(
            text("UPDATE certifications SET effective_date = :day WHERE id = :id"),
            {"day": date(2028, 3, 1), "id": ids[0]},
        )
    migrate.upgrade(store.engine)
    with store.transaction() as tx:
        for certification_id in ids:
            certification = tx.get_certification(certification_id)
            assert certification is not None
            start = first[certification_id]
            day = (start if isinstance(start, datetime) else datetime.fromisoformat(start)).date()
            assert certification.original_certification_date == day
    assert json.dumps(len(ids)) == "2"  # the demo certifies two of its three candidates
