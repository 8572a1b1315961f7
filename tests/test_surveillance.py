"""Surveillance (clauses 8.3, 9.6): scheduled on the grant, recorded, and escalated on time.

A scheme's activities are scheduled for every certification granted under it, one decision
or a bulk batch; a result recorded schedules the next item an interval after the due date.
An item left without a result past its grace days, or recorded as unsatisfactory, becomes
a proposed suspension once, however often the due jobs run and even two at once; it
leaves the worklist when a decision-maker suspends the certification or dismisses it. The
job never suspends by itself. Refusals are typed, and the findings never reach the
registry.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from issuer.model import CertificationStatus, ProposalClosing
from issuer.process import due
from issuer.store import Store
from registry import RegistryStore
from tests.backoffice import BackOffice, Json, member, roster_evidence, scheme_body
from tests.conftest import FrozenClock, PostgresSchema, SeededEntropy
from tests.test_due_jobs import _at_once, certify, decide, new_scheme, run
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

ACTIVITIES: list[Json] = [
    {"code": "CPD", "title": "Declaration of continued activity", "interval_months": 12},
    {"code": "EYE", "title": "Eye examination report", "interval_months": 12, "grace_days": 0},
]
"""Granted on 2026-11-25 (the tests' clock): both due on 2027-11-25; the eye examination is
late from 2027-11-26, the declaration (30 days' grace) from 2027-12-26."""


def schedule(office: BackOffice, number: str) -> list[Json]:
    items: list[Json] = office.ok(
        "GET", f"/certifications/{number}/surveillance", member(office, "auditor")
    )["items"]
    return items


def summary(office: BackOffice, number: str) -> list[tuple[str, str, str]]:
    return [(i["activity"], i["due_on"], i["state"]) for i in schedule(office, number)]


def result(activity: str, outcome: str = "satisfactory", **overrides: Any) -> Json:
    body: Json = {
        "activity": activity,
        "performed_on": "2026-11-25",
        "outcome": outcome,
        "findings": "employer confirms continued inspection work",
    }
    body.update(overrides)
    return body


def record(office: BackOffice, number: str, body: Json, who: str = "examiner") -> Any:
    return office.call("POST", f"/certifications/{number}/surveillance", member(office, who), body)


def worklist(office: BackOffice, who: str = "decider") -> list[Json]:
    rows: list[Json] = office.ok("GET", "/worklist/proposed-suspensions", member(office, who))
    return rows


def problem(response: Any, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["type"] == f"/problems/{kind}"


def audited(store: Store, action: str) -> int:
    with store.reading() as tx:
        return sum(1 for e in tx.audit_entries(limit=10_000) if e.action == action)


# ── schemes and grants ───────────────────────────────────────────────────────────────────
def test_a_scheme_defines_its_activities_and_a_grant_schedules_them(office: BackOffice) -> None:
    scheme = new_scheme(office, surveillance=ACTIVITIES)
    shown = office.ok("GET", f"/schemes/{scheme['id']}", member(office, "auditor"))
    assert shown["current"]["surveillance_activities"] == [
        {**ACTIVITIES[0], "grace_days": 30},
        ACTIVITIES[1],
    ]
    number = certify(office, scheme)
    assert summary(office, number) == [
        ("CPD", "2027-11-25", "due"),
        ("EYE", "2027-11-25", "due"),
    ]
    late = {i["activity"]: i["late_after"] for i in schedule(office, number)}
    assert late == {"CPD": "2027-12-25", "EYE": "2027-11-25"}
    assert audited(office.store, "surveillance.scheduled") == 1

    plain = certify(office, new_scheme(office, "PL"))  # no activities: no surveillance
    assert schedule(office, plain) == []


def test_a_scheme_refuses_malformed_activities(office: BackOffice) -> None:
    manager = member(office, "manager")
    twice = new_scheme_body("TW", [ACTIVITIES[0], ACTIVITIES[0]])
    problem(office.call("POST", "/schemes", manager, twice), 422, "invalid-input")
    for bad in (
        {**ACTIVITIES[0], "interval_months": 0},
        {**ACTIVITIES[0], "interval_months": 121},
        {**ACTIVITIES[0], "grace_days": 367},
        {**ACTIVITIES[0], "code": "has space"},
        {**ACTIVITIES[0], "code": "x" * 41},
        {**ACTIVITIES[0], "title": ""},
    ):
        answer = office.call("POST", "/schemes", manager, new_scheme_body("BD", [bad]))
        problem(answer, 422, "validation-failed")
    too_many = [{**ACTIVITIES[0], "code": f"A{i}"} for i in range(21)]
    answer = office.call("POST", "/schemes", manager, new_scheme_body("TM", too_many))
    problem(answer, 422, "validation-failed")


def recertify_in_window(office: BackOffice, clock: FrozenClock, number: str) -> None:
    """Recertify ``number`` (granted 2026-11-25 for 36 months) inside its window, on a
    record of continuing development: the new cycle starts on 2029-11-25."""
    clock.now = datetime(2029, 6, 1, 9, tzinfo=UTC)
    evidence = office.ok(
        "POST",
        f"/certifications/{number}/evidence",
        member(office, "registrar"),
        {
            "kind": "continuing-development",
            "summary": "courses on pressure equipment inspection",
            "period_from": "2028-01-01",
            "period_to": "2029-05-31",
        },
    )
    decide(office, number, "recertify", {"reason": "new cycle", "evidence_ids": [evidence["id"]]})


def new_scheme_body(code: str, activities: list[Json]) -> Json:
    return scheme_body(code) | {
        "surveillance_activities": activities,
        "recertification_evidence": ["continuing-development", "examination"],
    }


def test_a_bulk_grant_schedules_every_row(office: BackOffice, store: Store) -> None:
    new_scheme(office, surveillance=ACTIVITIES)
    rows = [
        {
            "external_id": f"s-{i}",
            "given_name": f"Ana{i}",
            "family_name": "Moreau",
            "scheme": "WI",
            "scope": ["VT-STEEL"],
            "effective_date": f"2026-11-2{5 + i}",
            **roster_evidence(date(2026, 11, 20)),
        }
        for i in range(3)
    ]
    report = office.ok("POST", "/issuance/batches", member(office, "decider"), {"items": rows})
    assert report["issued"] == 3
    for i, item in enumerate(report["items"]):
        day = f"2027-11-2{5 + i}"
        assert summary(office, item["certificate_number"]) == [
            ("CPD", day, "due"),
            ("EYE", day, "due"),
        ]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM surveillance_due")).scalar_one() == 6


# ── results ──────────────────────────────────────────────────────────────────────────────
def test_a_result_is_recorded_and_schedules_the_next(office: BackOffice) -> None:
    number = certify(office, new_scheme(office, surveillance=ACTIVITIES))
    answer = record(office, number, result("CPD", evidence_ref="DMS-2026-114"))
    assert answer.status_code == 201, answer.text
    recorded = answer.json()
    assert recorded["state"] == "passed"
    assert recorded["performed_by"] == member(office, "examiner").staff_id
    assert recorded["evidence_ref"] == "DMS-2026-114"
    # The next one keeps the rhythm: an interval after the due date, not after the result.
    assert summary(office, number) == [
        ("CPD", "2027-11-25", "passed"),
        ("EYE", "2027-11-25", "due"),
        ("CPD", "2028-11-25", "due"),
    ]
    # A registrar names the examiner who performed it; an examiner records only their own.
    problem(record(office, number, result("EYE"), "registrar"), 422, "invalid-input")
    examiner = member(office, "examiner").staff_id
    named = record(office, number, result("EYE", performed_by=examiner), "registrar")
    assert named.status_code == 201, named.text
    other = member(office, "registrar").staff_id
    problem(record(office, number, result("CPD", performed_by=other)), 403, "wrong-role")
    problem(
        record(office, number, result("CPD", performed_by=other), "registrar"),
        403,
        "missing-role",
    )
    problem(record(office, number, result("CPD"), "decider"), 403, "wrong-role")
    assert audited(office.store, "surveillance.result-recorded") == 2


def test_results_are_refused_with_a_reason(office: BackOffice, clock: FrozenClock) -> None:
    manager = member(office, "manager")
    scheme = new_scheme(office, surveillance=ACTIVITIES)
    number = certify(office, scheme)
    before = schedule(office, number)

    problem(record(office, number, result("AUDIT")), 422, "unknown-surveillance-activity")
    problem(record(office, number, result("CPD", performed_on="2026-11-26")), 422, "invalid-input")
    problem(record(office, number, result("CPD", findings="")), 422, "validation-failed")
    problem(record(office, number, result("CPD", findings="x" * 4001)), 422, "validation-failed")
    problem(record(office, number, result("CPD", outcome="fine")), 422, "validation-failed")
    problem(record(office, "CR-NOPE-0000", result("CPD")), 404, "not-found")
    assert schedule(office, number) == before  # nothing half-written

    # A new cycle under a version without the eye examination waives it: nothing is due.
    revised = new_scheme_body("WI", [ACTIVITIES[0]])
    revised.pop("code")
    office.ok("POST", f"/schemes/{scheme['id']}/versions", manager, revised)
    recertify_in_window(office, clock, number)
    assert summary(office, number) == [
        ("CPD", "2027-11-25", "due"),
        ("EYE", "2027-11-25", "waived-by-recertification"),
    ]
    problem(record(office, number, result("EYE")), 409, "no-surveillance-due")

    decide(office, number, "withdraw", {"reason": "falsified evidence"})
    problem(record(office, number, result("CPD")), 409, "state-conflict")


def test_a_new_cycle_schedules_the_activities_its_version_adds(
    office: BackOffice, clock: FrozenClock
) -> None:
    scheme = new_scheme(office, surveillance=[ACTIVITIES[0]])
    number = certify(office, scheme)
    revised = new_scheme_body("WI", ACTIVITIES)
    revised.pop("code")
    office.ok("POST", f"/schemes/{scheme['id']}/versions", member(office, "manager"), revised)
    recertify_in_window(office, clock, number)
    assert summary(office, number) == [
        ("CPD", "2027-11-25", "due"),  # kept as it was
        ("EYE", "2030-11-25", "due"),  # added, an interval after the new cycle's start
    ]


# ── proposed suspensions ─────────────────────────────────────────────────────────────────
def test_an_overdue_item_is_proposed_once_and_never_suspended(
    office: BackOffice, store: Store, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    number = certify(office, new_scheme(office, surveillance=ACTIVITIES))
    clock.now = datetime(2027, 11, 25, 23, 59, tzinfo=UTC)  # the last day of the grace
    assert run(store, clock, entropy)["surveillance"] == []
    clock.now = datetime(2027, 11, 26, 6, tzinfo=UTC)
    assert run(store, clock, entropy)["surveillance"] == [number]
    assert run(store, clock, entropy)["surveillance"] == []  # once is enough
    [proposal] = worklist(office)
    assert (proposal["certificate_number"], proposal["reason"]) == (
        number,
        "surveillance-overdue",
    )
    assert (proposal["activity"], proposal["due_on"]) == ("EYE", "2027-11-25")
    assert worklist(office, "registrar") == [proposal]
    problem(
        office.call("GET", "/worklist/proposed-suspensions", member(office, "auditor")),
        403,
        "wrong-role",
    )
    assert audited(store, "surveillance.suspension-proposed") == 1
    with store.reading() as tx:
        certification = tx.get_certification_by_number(number)
        assert certification is not None
        assert certification.status is CertificationStatus.ACTIVE  # a person decides

    # The declaration's grace ends a month later: a second proposal, of its own.
    clock.now = datetime(2027, 12, 26, 6, tzinfo=UTC)
    assert run(store, clock, entropy)["surveillance"] == [number]
    assert [p["activity"] for p in worklist(office)] == ["EYE", "CPD"]


def test_a_late_satisfactory_result_answers_the_overdue_proposal(
    office: BackOffice, store: Store, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    number = certify(office, new_scheme(office, surveillance=ACTIVITIES))
    clock.now = datetime(2027, 11, 27, 6, tzinfo=UTC)
    assert run(store, clock, entropy)["surveillance"] == [number]
    [proposal] = worklist(office)
    late = record(office, number, result("EYE", performed_on="2027-11-27"))
    assert late.json()["state"] == "passed"
    assert worklist(office) == []
    with store.reading() as tx:
        [closed] = tx.proposed_suspensions_of(proposal["certification_id"])
    assert closed.closing is ProposalClosing.DONE_LATE
    assert closed.closed_by == member(office, "examiner").staff_id
    assert audited(store, "surveillance.proposal-answered") == 1
    assert run(store, clock, entropy)["surveillance"] == []  # nothing left to propose

    # Late and unsatisfactory: the overdue proposal stands, and one of its own follows.
    other = certify(office, new_scheme(office, "UN", surveillance=ACTIVITIES))
    clock.now = datetime(2028, 11, 29, 6, tzinfo=UTC)  # granted 2027-11-27: late from the 28th
    assert other in run(store, clock, entropy)["surveillance"]
    record(office, other, result("EYE", "unsatisfactory", performed_on="2028-11-29"))
    run(store, clock, entropy)
    reasons = {(p["certificate_number"], p["reason"]) for p in worklist(office)}
    assert (other, "surveillance-overdue") in reasons
    assert (other, "surveillance-unsatisfactory") in reasons


def test_an_unsatisfactory_result_is_proposed_and_a_suspension_acts_on_it(
    office: BackOffice, store: Store, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    number = certify(office, new_scheme(office, surveillance=ACTIVITIES))
    failed = record(office, number, result("EYE", "unsatisfactory", findings="vision 0.4"))
    assert failed.json()["state"] == "failed"
    assert run(store, clock, entropy)["surveillance"] == [number]
    [proposal] = worklist(office)
    assert proposal["reason"] == "surveillance-unsatisfactory"

    decide(office, number, "suspend", {"reason": "eye examination failed"})
    assert worklist(office) == []
    with store.reading() as tx:
        [closed] = tx.proposed_suspensions_of(proposal["certification_id"])
    assert closed.closing is ProposalClosing.SUSPENDED
    assert closed.closed_by == member(office, "decider").staff_id
    assert audited(store, "surveillance.proposal-acted-on") == 1
    assert run(store, clock, entropy)["surveillance"] == []  # suspended: nothing to propose


def test_a_decision_maker_dismisses_a_proposal_with_a_reason(
    office: BackOffice, store: Store, clock: FrozenClock, entropy: SeededEntropy
) -> None:
    number = certify(office, new_scheme(office, surveillance=ACTIVITIES))
    record(office, number, result("CPD", "unsatisfactory"))
    run(store, clock, entropy)
    [proposal] = worklist(office)
    path = f"/worklist/proposed-suspensions/{proposal['id']}/dismiss"
    decider = member(office, "decider")

    problem(
        office.call("POST", path, member(office, "registrar"), {"reason": "ok"}), 403, "wrong-role"
    )
    problem(office.call("POST", path, decider, {}), 422, "validation-failed")
    problem(
        office.call(
            "POST", "/worklist/proposed-suspensions/nope/dismiss", decider, {"reason": "x"}
        ),
        404,
        "not-found",
    )
    dismissed = office.ok("POST", path, decider, {"reason": "employer letter was misfiled"})
    assert dismissed["closing"] == "dismissed"
    assert dismissed["closing_reason"] == "employer letter was misfiled"
    assert worklist(office) == []
    problem(office.call("POST", path, decider, {"reason": "again"}), 409, "state-conflict")
    assert run(store, clock, entropy)["surveillance"] == []  # dismissed stays dismissed
    assert audited(store, "surveillance.proposal-dismissed") == 1
    with store.reading() as tx:
        assert tx.verify_audit_chain().intact


# ── concurrency ──────────────────────────────────────────────────────────────────────────
@pytest.fixture
def other_store(store: Store, backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """The same database through an engine of its own: what a second process would hold."""
    if backend == "sqlite":
        second = Store.from_url(store.engine.url.render_as_string(hide_password=False))
    else:
        target: PostgresSchema = request.getfixturevalue("postgres_schema")
        second = target.store()
    yield second
    second.dispose()


def test_two_runs_at_once_propose_each_item_once(
    office: BackOffice, store: Store, other_store: Store, clock: FrozenClock
) -> None:
    scheme = new_scheme(office, surveillance=[ACTIVITIES[1]])
    granted = {certify(office, scheme) for _ in range(6)}
    clock.now = datetime(2027, 12, 1, tzinfo=UTC)

    def runner(target: Store) -> Any:
        return lambda: due.run_due(
            target, clock=clock, entropy=SeededEntropy(id(target)), batch_size=2
        )

    first, second = _at_once(runner(store), runner(other_store))
    [a] = [
        [c.certificate_number for c in r.certifications] for r in first if r.job == "surveillance"
    ]
    [b] = [
        [c.certificate_number for c in r.certifications] for r in second if r.job == "surveillance"
    ]
    assert not set(a) & set(b)
    assert set(a) | set(b) == granted
    assert sorted(p["certificate_number"] for p in worklist(office)) == sorted(granted)


# ── confidentiality ──────────────────────────────────────────────────────────────────────
def test_findings_never_reach_the_registry(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    tmp_path: Path,
) -> None:
    office, client = public
    secrets = ["Confidential-Finding-Zq7731", "EVIDENCE-REF-Qx9904"]
    number = certify(office, new_scheme(office, surveillance=ACTIVITIES), date(2026, 11, 20))
    answer = record(
        office,
        number,
        result("EYE", "unsatisfactory", findings=secrets[0], evidence_ref=secrets[1]),
    )
    assert answer.status_code == 201, answer.text
    run(office.store, clock, entropy)
    decide(office, number, "suspend", {"reason": "eye examination failed"})
    client.app.state.drain()  # type: ignore[attr-defined]

    with registry_store.engine.connect() as conn:
        stored = [str(tuple(row)) for row in conn.execute(text("SELECT * FROM documents"))]
    assert stored  # the register entry and the lists were published
    served = client.get(f"/register/{number}", params={"family_name": "Moreau"}).text
    decoded = []
    for blob in [*stored, served]:
        for part in blob.replace("'", ".").replace('"', ".").split("."):
            try:
                decoded.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())
            except (ValueError, UnicodeDecodeError):
                continue
    haystack = "\n".join([*stored, served, *decoded])
    for secret in secrets:
        assert secret not in haystack
    if registry_store.engine.dialect.name == "sqlite":
        database = (tmp_path / "registry.sqlite3").read_bytes()
        for secret in secrets:
            assert secret.encode() not in database
