"""Rosters take two people: a registrar prepares one with each row's evidence, and a
decision-maker who did not prepare it approves it, which grants and issues every row in
their own name, with the impartiality checks of a single decision (ISO/IEC 17024 4.2, 9.4).
Both engines, through the real app."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from issuer.bulk import prepared
from issuer.bulk.issuance import issue_batch
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.keys import KeyRing
from issuer.errors import IssuerError
from issuer.model import Role
from issuer.process.auth import Actor, authenticate
from issuer.runtime import system_entropy
from issuer.settings import Settings
from issuer.store import Store
from issuer.store.audit import details_digest
from tests.backoffice import (
    BackOffice,
    Member,
    candidate,
    exam_body,
    member,
    roster_evidence,
    setup_scheme,
)
from tests.conftest import FrozenClock
from tests.test_impartiality_risks import _treated


def _rows(office: BackOffice, count: int, *, prefix: str = "p", **extra: Any) -> list[Any]:
    today = office.clock().date()
    return [
        {
            "external_id": f"{prefix}-{i}",
            "given_name": f"Ana{i}",
            "family_name": "Moreau",
            "scheme": "WI",
            "scope": ["VT-STEEL"],
            "effective_date": today.isoformat(),
            **roster_evidence(today - timedelta(days=3)),
            **extra,
        }
        for i in range(count)
    ]


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _audit(store: Store, action: str) -> list[tuple[str, str | None, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT actor, token_id, subject_id FROM audit_log WHERE action = :a ORDER BY seq"
            ),
            {"a": action},
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _second_decider(office: BackOffice) -> Member:
    return office.enrol("decider-2", Role.DECISION_MAKER)


def _prepare(office: BackOffice, who: Member, rows: list[Any]) -> dict[str, Any]:
    answer: dict[str, Any] = office.ok("POST", "/rosters", who, {"items": rows})
    return answer


def _actor(office: BackOffice, who: Member) -> Actor:
    with office.store.transaction() as tx:
        return authenticate(tx, f"Bearer {who.token}")


def _token_id(office: BackOffice, who: Member) -> str:
    return _actor(office, who).token_id


def test_a_registrar_prepares_and_a_decision_maker_grants_in_their_own_name(
    office: BackOffice,
) -> None:
    setup_scheme(office)
    registrar, decider = member(office, "registrar"), member(office, "decider")
    rows = _rows(office, 3, examiner_id=member(office, "examiner").staff_id)
    failed = {**_rows(office, 1, prefix="f")[0], "exam_result": "fail"}
    response = office.call("POST", "/rosters", registrar, {"items": [*rows, failed]})
    assert response.status_code == 201, response.text
    prepared_roster = response.json()
    assert prepared_roster["state"] == "prepared"
    assert prepared_roster["rows"] == 3
    assert [(r["index"], r["problem"]["type"]) for r in prepared_roster["rejected"]] == [
        (3, "/problems/evidence-insufficient")
    ]
    assert prepared_roster["rejected"][0]["problem"]["status"] == 422
    roster_id = prepared_roster["roster_id"]
    assert _count(office.store, "certifications") == 0  # preparing grants nothing

    shown = office.ok("GET", f"/rosters/{roster_id}", registrar)
    assert shown["prepared_by"] == registrar.staff_id
    assert shown["prepared_token_id"] == _token_id(office, registrar)
    assert shown["approved_by"] is None
    assert [i["outcome"] for i in shown["items"]] == [None, None, None]

    approval = office.ok("POST", f"/rosters/{roster_id}/approval", decider)
    assert approval["state"] == "issued"
    assert (approval["issued"], approval["already_issued"], approval["rejected"]) == (3, 0, 0)
    with office.store.reading() as tx:
        for item, row in zip(approval["items"], rows, strict=True):
            certification = tx.get_certification(item["certification_id"])
            assert certification is not None
            decision = tx.get_decision(certification.decision_id)
            assert decision is not None
            assert decision.decision_maker_id == decider.staff_id
            evidence = tx.roster_evidence(certification.id)
            assert evidence is not None
            assert evidence.exam_provider == row["exam_provider"]
            assert evidence.examined_on.isoformat() == row["examined_on"]
            assert (evidence.exam_result, evidence.identity_checked, evidence.nda_accepted) == (
                "pass",
                True,
                True,
            )
            assert evidence.examiner_id == member(office, "examiner").staff_id

    shown = office.ok("GET", f"/rosters/{roster_id}", member(office, "auditor"))
    assert shown["state"] == "issued"
    assert shown["approved_by"] == decider.staff_id
    assert shown["approved_token_id"] == _token_id(office, decider)
    assert (shown["issued"], shown["refused"]) == (3, 0)
    assert [i["outcome"] for i in shown["items"]] == ["issued"] * 3
    listed = office.ok("GET", "/rosters?state=issued", registrar)
    assert [r["roster_id"] for r in listed] == [roster_id]
    assert office.ok("GET", "/rosters?state=prepared", registrar) == []

    assert _audit(office.store, "roster.prepared") == [
        (f"staff:{registrar.staff_id}", _token_id(office, registrar), roster_id)
    ]
    assert _audit(office.store, "roster.approved") == [
        (f"staff:{decider.staff_id}", _token_id(office, decider), roster_id)
    ]
    [(actor, _, _)] = _audit(office.store, "bulk.chunk-issued")
    assert actor == f"staff:{decider.staff_id}"


def test_only_a_decision_maker_approves_and_never_their_own_roster(office: BackOffice) -> None:
    setup_scheme(office)
    registrar, decider = member(office, "registrar"), member(office, "decider")
    roster_id = _prepare(office, decider, _rows(office, 2))["roster_id"]
    for who, status, kind in (
        (registrar, 403, "wrong-role"),
        (member(office, "examiner"), 403, "wrong-role"),
        (decider, 403, "separation-of-duties"),
    ):
        refused = office.call("POST", f"/rosters/{roster_id}/approval", who)
        assert refused.status_code == status, refused.text
        assert refused.json()["type"] == f"/problems/{kind}"
    assert office.ok("GET", f"/rosters/{roster_id}", registrar)["state"] == "prepared"
    assert _audit(office.store, "roster.approved") == []
    assert _count(office.store, "certifications") == 0

    other = _second_decider(office)
    approval = office.ok("POST", f"/rosters/{roster_id}/approval", other)
    assert approval["issued"] == 2
    missing = office.call("POST", "/rosters/no-such-roster/approval", other)
    assert missing.status_code == 404


def test_rows_are_refused_when_the_approver_examined_trained_or_conflicts(
    office: BackOffice,
) -> None:
    scheme = setup_scheme(office)
    registrar, admin = member(office, "registrar"), member(office, "admin")
    examiner = member(office, "examiner")
    # The examiner is also a decision-maker: they examined one candidate in the store.
    accepted = candidate(office, scheme, ["VT-STEEL"])
    office.ok("POST", "/examinations", examiner, exam_body(accepted["id"], office.clock().date()))
    examined_person = accepted["person_id"]
    trained = candidate(office, scheme, ["VT-STEEL"])["person_id"]
    conflicted = candidate(office, scheme, ["VT-STEEL"])["person_id"]
    with office.store.transaction() as tx:
        tx.set_roles(examiner.staff_id, frozenset({Role.EXAMINER, Role.DECISION_MAKER}))
    approver = office.mint(examiner.staff_id, Role.DECISION_MAKER)
    office.ok(
        "POST",
        f"/staff/{approver.staff_id}/trainees",
        admin,
        {"person_id": trained, "description": "preparation course"},
    )
    office.ok(
        "POST",
        f"/staff/{approver.staff_id}/conflicts",
        approver,
        {"person_id": conflicted, "nature": "sibling", "measures": "recused"},
    )
    rows = _rows(office, 5)
    rows[0]["person_id"] = examined_person
    rows[1]["person_id"] = trained
    rows[2]["person_id"] = conflicted
    rows[3]["examiner_id"] = approver.staff_id  # examined by the approver, says the row
    rows[4]["decided_by"] = member(office, "decider").staff_id  # another decision-maker
    roster_id = _prepare(office, registrar, rows)["roster_id"]

    approval = office.ok("POST", f"/rosters/{roster_id}/approval", approver)
    assert approval["state"] == "issued"
    assert [i["problem"]["type"] for i in approval["items"]] == [
        "/problems/examined-candidate",
        "/problems/trained-candidate",
        "/problems/declared-conflict",
        "/problems/examined-candidate",
        "/problems/not-own-decision",
    ]
    assert approval["rejected"] == 5
    assert _count(office.store, "certifications") == 0
    shown = office.ok("GET", f"/rosters/{roster_id}", registrar)
    assert (shown["issued"], shown["refused"]) == (0, 5)


def test_a_conflict_lifted_by_an_approved_measure_lets_the_row_through_naming_the_risk(
    office: BackOffice,
) -> None:
    scheme = setup_scheme(office)
    registrar, approver = member(office, "registrar"), member(office, "decider")
    covered = candidate(office, scheme, ["VT-STEEL"])["person_id"]
    uncovered = candidate(office, scheme, ["VT-STEEL"])["person_id"]
    examined = candidate(office, scheme, ["VT-STEEL"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(examined["id"], office.clock().date()),
    )
    conflicts = {
        person: office.ok(
            "POST",
            f"/staff/{approver.staff_id}/conflicts",
            approver,
            {"person_id": person, "nature": "cousin"},
        )["id"]
        for person in (covered, uncovered)
    }
    risk = _treated(office, staff_id=approver.staff_id, person_id=covered, covers=["decide"])
    office.ok(
        "PUT",
        f"/staff/{approver.staff_id}/conflicts/{conflicts[covered]}/risk",
        approver,
        {"risk_id": risk["id"]},
    )
    examine_only = _treated(
        office, staff_id=approver.staff_id, person_id=uncovered, covers=["examine"]
    )
    office.ok(
        "PUT",
        f"/staff/{approver.staff_id}/conflicts/{conflicts[uncovered]}/risk",
        approver,
        {"risk_id": examine_only["id"]},
    )
    rows = _rows(office, 2)
    rows[0]["person_id"] = covered
    rows[1]["person_id"] = uncovered
    roster_id = _prepare(office, registrar, rows)["roster_id"]

    approval = office.ok("POST", f"/rosters/{roster_id}/approval", approver)
    [granted, refused] = approval["items"]
    assert granted["outcome"] == "issued", granted
    assert refused["problem"]["type"] == "/problems/declared-conflict"
    with office.store.reading() as tx:
        certification = tx.get_certification(granted["certification_id"])
        assert certification is not None
        assert certification.person_id == covered
        entries = [
            e for e in tx.audit_entries(limit=100_000) if e.action == "bulk.granted-under-measure"
        ]
    [entry] = entries
    assert entry.subject_id == certification.id
    assert entry.details_digest == details_digest(
        {
            "decision_id": certification.decision_id,
            "external_id": rows[0]["external_id"],
            "risk_id": risk["id"],
        }
    )


def test_preparing_checks_each_row_and_caps_the_request(office: BackOffice) -> None:
    setup_scheme(office)
    registrar = member(office, "registrar")
    rows = _rows(office, 6)
    rows[0]["identity_checked"] = False
    rows[1]["nda_accepted"] = "no"
    rows[2].pop("examined_on")
    rows[3]["examiner_id"] = member(office, "decider").staff_id  # not an examiner
    rows[5]["external_id"] = rows[4]["external_id"]
    answer = _prepare(office, registrar, rows)
    assert answer["rows"] == 1
    assert [(r["index"], r["problem"]["type"].rsplit("/", 1)[1]) for r in answer["rejected"]] == [
        (0, "evidence-insufficient"),
        (1, "evidence-insufficient"),
        (2, "row-invalid"),
        (3, "row-invalid"),
        (5, "external-id-reused"),
    ]
    assert "examined_on" in answer["rejected"][2]["problem"]["detail"]
    too_many = office.call("POST", "/rosters", registrar, {"items": [{"external_id": "x"}] * 1001})
    assert too_many.status_code == 413
    assert too_many.json()["type"] == "/problems/batch-too-large"
    assert (
        office.call("POST", "/rosters", member(office, "examiner"), {"items": rows}).status_code
        == 403
    )


def _approve(
    office: BackOffice, settings: Settings, keyring: KeyRing, roster_id: str, who: Member
) -> prepared.RosterApproval:
    return prepared.approve_roster(
        office.store,
        roster_id,
        actor=_actor(office, who),
        clock=office.clock,
        entropy=system_entropy,  # thread-safe, unlike the seeded one
        keyring=keyring,
        identity=IssuerIdentity(base_url=settings.base_url, name=settings.body_name),
        batch_size=10,
    )


def test_two_decision_makers_approving_at_once_issue_once(
    office: BackOffice, settings: Settings, keyring: KeyRing
) -> None:
    setup_scheme(office)
    roster_id = _prepare(office, member(office, "registrar"), _rows(office, 40))["roster_id"]
    deciders = [member(office, "decider"), _second_decider(office)]
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def approve(who: Member) -> None:
        start.wait()
        try:
            outcomes[who.staff_id] = _approve(office, settings, keyring, roster_id, who)
        except IssuerError as exc:
            outcomes[who.staff_id] = exc

    threads = [threading.Thread(target=approve, args=(who,)) for who in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    refused = [o for o in outcomes.values() if isinstance(o, IssuerError)]
    done = [o for o in outcomes.values() if isinstance(o, prepared.RosterApproval)]
    assert len(refused) == 1, outcomes
    assert len(done) == 1, outcomes
    assert (refused[0].kind, refused[0].status) == ("roster-already-approved", 409)
    [approval] = done
    assert approval.roster.state.value == "issued"
    assert sum(r.outcome == "issued" for r in approval.rows) == 40
    assert _count(office.store, "certifications") == 40
    assert _count(office.store, "bulk_items") == 40
    assert len(_audit(office.store, "roster.approved")) == 1
    with office.store.reading() as tx:
        assert tx.verify_audit_chain().intact


def test_an_interrupted_approval_is_resumed_by_its_approver_only(
    office: BackOffice, settings: Settings, keyring: KeyRing
) -> None:
    setup_scheme(office)
    rows = _rows(office, 6)
    roster_id = _prepare(office, member(office, "registrar"), rows)["roster_id"]
    decider = member(office, "decider")
    # The approval claimed the roster and issued two rows, then stopped (a crash).
    prepared._claim(office.store, roster_id, _actor(office, decider), office.clock)
    partial = issue_batch(
        office.store,
        rows[:2],
        clock=office.clock,
        entropy=office.entropy,
        keyring=keyring,
        identity=IssuerIdentity(base_url=settings.base_url, name=settings.body_name),
        acting_decision_maker=decider.staff_id,
    )
    assert partial.issued == 2
    assert office.ok("GET", f"/rosters/{roster_id}", decider)["state"] == "approved"

    other = _second_decider(office)
    taken = office.call("POST", f"/rosters/{roster_id}/approval", other)
    assert taken.status_code == 409
    assert taken.json()["type"] == "/problems/roster-already-approved"

    resumed = office.ok("POST", f"/rosters/{roster_id}/approval", decider)
    assert resumed["state"] == "issued"
    assert [i["outcome"] for i in resumed["items"]] == ["already-issued"] * 2 + ["issued"] * 4
    assert _count(office.store, "certifications") == 6
    again = office.ok("POST", f"/rosters/{roster_id}/approval", decider)
    assert again["items"] == resumed["items"]
    assert _count(office.store, "certifications") == 6
    assert len(_audit(office.store, "roster.approved")) == 1
    assert len(_audit(office.store, "roster.issued")) == 1


@pytest.mark.parametrize("who", ["registrar", "decider"])
def test_rosters_are_listed_newest_first(office: BackOffice, clock: FrozenClock, who: str) -> None:
    setup_scheme(office)
    first = _prepare(office, member(office, who), _rows(office, 1, prefix="a"))["roster_id"]
    clock.advance(minutes=1)
    second = _prepare(office, member(office, who), _rows(office, 1, prefix="b"))["roster_id"]
    listed = office.ok("GET", "/rosters", member(office, "registrar"))
    assert [r["roster_id"] for r in listed] == [second, first]
    assert office.call("GET", "/rosters", member(office, "examiner")).status_code == 403
