"""Appeals (clause 9.8): received, acknowledged, investigated, decided by someone who took no
part in the decision appealed, communicated and closed, each step dated and audited.

An upheld appeal changes nothing by itself: the remedy is a normal lifecycle decision that
names the appeal, and only then does the registry say valid again. Deadlines make appeals
overdue as the clock moves; two decision-makers deciding one appeal at once give one result
and one 409; the grounds and rationale never leave the issuer.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.model import Role
from issuer.settings import Settings
from issuer.store import Store
from issuer.store.audit_log import AuditWrites
from registry import RegistryStore
from tests.backoffice import (
    BackOffice,
    Json,
    Member,
    candidate,
    enrol_office,
    exam_body,
    member,
)
from tests.conftest import FrozenClock, SeededEntropy
from tests.test_due_jobs import certify, decide, new_scheme
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

TODAY = date(2026, 11, 25)  # the tests' clock


# ── helpers ──────────────────────────────────────────────────────────────────────────────
def problem(response: Any, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["type"] == f"/problems/{kind}"


def audit_head(store: Store) -> int:
    with store.reading() as tx:
        return len(tx.audit_entries(limit=100_000))


def audited(store: Store, prefix: str) -> list[Any]:
    with store.reading() as tx:
        return [e for e in tx.audit_entries(limit=100_000) if e.action.startswith(prefix)]


def lifecycle_ids(store: Store, number: str) -> list[tuple[str, str, str | None]]:
    with store.reading() as tx:
        certification = tx.get_certification_by_number(number)
        assert certification is not None
        return [(d.id, d.kind.value, d.appeal_id) for d in tx.lifecycle_decisions(certification.id)]


def suspended(office: BackOffice, code: str = "WI") -> tuple[str, str]:
    """A certification suspended by ``decider``: its number and the suspension's id."""
    number = certify(office, new_scheme(office, code))
    decide(office, number, "suspend", {"reason": "complaint about a report"})
    [*_, (suspension, kind, _)] = lifecycle_ids(office.store, number)
    assert kind == "suspend"
    return number, suspension


def appeal_body(decision_id: str, kind: str = "lifecycle-decision", **overrides: Any) -> Json:
    body: Json = {
        "decision_kind": kind,
        "decision_id": decision_id,
        "grounds": "the report complained of was not mine",
        "received_on": TODAY.isoformat(),
        "appellant": "person",
        "channel": "email",
    }
    body.update(overrides)
    return body


def receive(office: BackOffice, body: Json) -> Json:
    appeal: Json = office.ok("POST", "/appeals", member(office, "registrar"), body)
    return appeal


def step(
    office: BackOffice, appeal_id: str, action: str, who: Member, body: Json | None = None
) -> Any:
    return office.call("POST", f"/appeals/{appeal_id}/{action}", who, body)


def independent(office: BackOffice, name: str = "decider-2") -> Member:
    if name not in office.members:
        office.enrol(name, Role.DECISION_MAKER)
    return member(office, name)


def investigated(office: BackOffice, appeal_id: str) -> Member:
    """Acknowledge and assign to an independent decision-maker, who is returned."""
    assert step(office, appeal_id, "acknowledge", member(office, "registrar")).status_code == 200
    investigator = independent(office)
    answer = step(
        office,
        appeal_id,
        "assign",
        member(office, "admin"),
        {"investigator_id": investigator.staff_id},
    )
    assert answer.status_code == 200, answer.text
    return investigator


UPHELD = {
    "outcome": "upheld",
    "rationale": "the report was another inspector's",
    "remedy": "reinstate",
}


def upheld(office: BackOffice, number: str, suspension: str) -> Json:
    appeal = receive(office, appeal_body(suspension))
    investigator = investigated(office, appeal["id"])
    answer = step(office, appeal["id"], "decision", investigator, UPHELD)
    assert answer.status_code == 200, answer.text
    decided: Json = answer.json()
    return decided


# ── the walk ─────────────────────────────────────────────────────────────────────────────
def test_the_full_walk_and_the_remedy_through_a_normal_decision(
    office: BackOffice, clock: FrozenClock
) -> None:
    number, suspension = suspended(office)
    registrar, admin = member(office, "registrar"), member(office, "admin")
    appeal = receive(office, appeal_body(suspension))
    assert appeal["state"] == "received"
    assert (appeal["acknowledge_by"], appeal["decide_by"]) == ("2026-12-05", "2027-01-24")
    assert appeal["certification_id"] is not None
    clock.advance(days=1)
    assert step(office, appeal["id"], "acknowledge", registrar).json()["state"] == "acknowledged"
    investigator = independent(office)
    assigned = step(
        office, appeal["id"], "assign", admin, {"investigator_id": investigator.staff_id}
    )
    assert assigned.json()["state"] == "under-investigation"
    assert assigned.json()["investigator_id"] == investigator.staff_id
    clock.advance(days=5)
    decided = step(office, appeal["id"], "decision", investigator, UPHELD).json()
    assert (decided["state"], decided["outcome"], decided["remedy"]) == (
        "decided",
        "upheld",
        "reinstate",
    )
    # The appeal's decision changes nothing: the certification is still suspended.
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    assert detail["status"] == "suspended"
    assert [k for _, k, _ in lifecycle_ids(office.store, number)] == ["suspend"]

    communicated = step(
        office,
        appeal["id"],
        "communicate",
        registrar,
        {"communicated_on": "2026-12-01", "via": "post"},
    ).json()
    assert communicated["state"] == "communicated"
    assert step(office, appeal["id"], "close", registrar).json()["state"] == "closed"

    # The remedy: a normal reinstatement naming the appeal.
    decide(office, number, "reinstate", {"appeal_id": appeal["id"]})
    [_, (reinstatement, kind, named)] = lifecycle_ids(office.store, number)
    assert (kind, named) == ("reinstate", appeal["id"])
    shown = office.ok("GET", f"/appeals/{appeal['id']}", member(office, "auditor"))
    assert shown["remedy_decision_id"] == reinstatement
    assert [(s["state"], s["by"]) for s in shown["steps"]] == [
        ("received", registrar.staff_id),
        ("acknowledged", registrar.staff_id),
        ("under-investigation", admin.staff_id),
        ("decided", investigator.staff_id),
        ("communicated", registrar.staff_id),
        ("closed", registrar.staff_id),
    ]
    assert shown["steps"][3]["at"].startswith("2026-12-01")
    actions = [e.action for e in audited(office.store, "appeal.")]
    assert actions == [
        "appeal.received",
        "appeal.acknowledged",
        "appeal.assigned",
        "appeal.decided",
        "appeal.communicated",
        "appeal.closed",
        "appeal.remedied",
    ]
    # Its remedy is given once.
    decide(office, number, "suspend", {"reason": "another complaint"})
    again = office.call(
        "POST",
        f"/certifications/{number}/reinstate",
        member(office, "decider"),
        {"appeal_id": appeal["id"]},
    )
    problem(again, 409, "appeal-not-upheld")


def test_an_appeal_is_withdrawn_before_it_is_decided_never_after(office: BackOffice) -> None:
    _, suspension = suspended(office)
    registrar = member(office, "registrar")
    first = receive(office, appeal_body(suspension))
    investigated(office, first["id"])
    assert step(office, first["id"], "withdraw", registrar).json()["state"] == "withdrawn"
    problem(step(office, first["id"], "acknowledge", registrar), 409, "invalid-transition")
    second = receive(office, appeal_body(suspension))
    investigator = investigated(office, second["id"])
    assert step(office, second["id"], "decision", investigator, UPHELD).status_code == 200
    problem(step(office, second["id"], "withdraw", registrar), 409, "invalid-transition")


def test_moves_out_of_order_and_bad_appeals_are_refused(office: BackOffice, store: Store) -> None:
    _, suspension = suspended(office)
    registrar = member(office, "registrar")
    appeal = receive(office, appeal_body(suspension))
    investigator = independent(office)
    head = audit_head(store)
    problem(step(office, appeal["id"], "decision", investigator, UPHELD), 409, "invalid-transition")
    problem(
        step(office, appeal["id"], "assign", registrar, {"investigator_id": investigator.staff_id}),
        409,
        "invalid-transition",
    )
    problem(step(office, appeal["id"], "close", registrar), 409, "invalid-transition")
    problem(
        step(
            office,
            appeal["id"],
            "communicate",
            registrar,
            {"communicated_on": "2026-11-25", "via": "post"},
        ),
        409,
        "invalid-transition",
    )
    assert step(office, appeal["id"], "acknowledge", registrar).status_code == 200
    problem(step(office, appeal["id"], "acknowledge", registrar), 409, "invalid-transition")
    not_a_decider = step(
        office,
        appeal["id"],
        "assign",
        registrar,
        {"investigator_id": member(office, "examiner").staff_id},
    )
    problem(not_a_decider, 403, "missing-role")
    assert (
        step(
            office, appeal["id"], "assign", registrar, {"investigator_id": investigator.staff_id}
        ).status_code
        == 200
    )
    no_remedy = {"outcome": "upheld", "rationale": "r"}
    problem(step(office, appeal["id"], "decision", investigator, no_remedy), 422, "invalid-input")
    wrong_remedy = {**UPHELD, "remedy": "restore-scope"}
    problem(
        step(office, appeal["id"], "decision", investigator, wrong_remedy), 422, "invalid-input"
    )
    rejected_with_remedy = {**UPHELD, "outcome": "rejected"}
    problem(
        step(office, appeal["id"], "decision", investigator, rejected_with_remedy),
        422,
        "invalid-input",
    )
    assert office.ok("GET", f"/appeals/{appeal['id']}", registrar)["state"] == "under-investigation"

    future = appeal_body(suspension, received_on=(TODAY + timedelta(days=1)).isoformat())
    problem(office.call("POST", "/appeals", registrar, future), 422, "invalid-input")
    unknown = appeal_body("no-such-decision")
    problem(office.call("POST", "/appeals", registrar, unknown), 404, "not-found")
    problem(
        office.call("POST", "/appeals", registrar, appeal_body("x", kind="decision")),
        404,
        "not-found",
    )
    long = appeal_body(suspension, grounds="x" * 8001)
    problem(office.call("POST", "/appeals", registrar, long), 422, "validation-failed")
    problem(
        office.call("POST", "/appeals", member(office, "examiner"), appeal_body(suspension)),
        403,
        "wrong-role",
    )
    problem(step(office, appeal["id"], "decision", registrar, UPHELD), 403, "wrong-role")
    problem(office.call("GET", "/appeals/no-such-appeal", registrar), 404, "not-found")
    assert audit_head(store) == head + 2  # acknowledged, assigned; nothing refused left a trace


# ── independence ─────────────────────────────────────────────────────────────────────────
def _denied(office: BackOffice) -> tuple[str, str]:
    """A denial by ``decider`` after an examination by ``examiner``: its id and the person."""
    accepted = candidate(office, new_scheme(office, "DN"), ["VT-STEEL"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    decision = office.ok(
        "POST",
        "/decisions",
        member(office, "decider"),
        {"application_id": accepted["id"], "outcome": "deny", "rationale": "insufficient"},
    )
    return decision["decision"]["id"] if "decision" in decision else decision["id"], accepted[
        "person_id"
    ]


@pytest.mark.parametrize("relation", ["decision-maker", "examiner", "trainer", "conflict"])
def test_who_took_part_neither_investigates_nor_decides(
    office: BackOffice, store: Store, relation: str
) -> None:
    decision_id, person_id = _denied(office)
    admin = member(office, "admin")
    appeal = receive(office, appeal_body(decision_id, kind="decision"))
    assert appeal["person_id"] == person_id
    if relation == "decision-maker":
        partial, kind = member(office, "decider"), "took-part-in-decision"
    elif relation == "examiner":
        examiner = member(office, "examiner")
        office.ok(
            "PUT",
            f"/staff/{examiner.staff_id}/roles",
            admin,
            {"roles": ["examiner", "decision-maker"]},
        )
        partial, kind = office.mint(examiner.staff_id, Role.DECISION_MAKER), "examined-candidate"
    elif relation == "trainer":
        partial, kind = independent(office, "decider-3"), "trained-candidate"
        office.ok(
            "POST",
            f"/staff/{partial.staff_id}/trainees",
            admin,
            {"person_id": person_id, "description": "preparation course"},
        )
    else:
        partial, kind = independent(office, "decider-3"), "declared-conflict"
        office.ok(
            "POST",
            f"/staff/{partial.staff_id}/conflicts",
            partial,
            {"person_id": person_id, "nature": "sibling", "measures": "recused"},
        )
    assert step(office, appeal["id"], "acknowledge", member(office, "registrar")).status_code == 200
    head = audit_head(store)
    refused = step(office, appeal["id"], "assign", admin, {"investigator_id": partial.staff_id})
    problem(refused, 403, kind)
    investigator = independent(office)
    assert (
        step(
            office, appeal["id"], "assign", admin, {"investigator_id": investigator.staff_id}
        ).status_code
        == 200
    )
    head = audit_head(store)
    regrant = {**UPHELD, "remedy": "re-grant"}
    problem(step(office, appeal["id"], "decision", partial, regrant), 403, kind)
    assert audit_head(store) == head
    assert office.ok("GET", f"/appeals/{appeal['id']}", admin)["state"] == "under-investigation"
    assert (
        step(office, appeal["id"], "decision", investigator, regrant).json()["outcome"] == "upheld"
    )


def test_only_the_assigned_investigator_decides(office: BackOffice, store: Store) -> None:
    _, suspension = suspended(office)
    appeal = receive(office, appeal_body(suspension))
    investigator = investigated(office, appeal["id"])
    bystander = independent(office, "decider-3")  # free of the matter, but not assigned
    head = audit_head(store)
    problem(step(office, appeal["id"], "decision", bystander, UPHELD), 403, "not-investigator")
    assert audit_head(store) == head
    assert office.ok("GET", f"/appeals/{appeal['id']}", investigator)["outcome"] is None
    assert step(office, appeal["id"], "decision", investigator, UPHELD).status_code == 200


# ── deadlines ────────────────────────────────────────────────────────────────────────────
def test_appeals_become_overdue_as_the_clock_moves(office: BackOffice, clock: FrozenClock) -> None:
    _, suspension = suspended(office)
    reader = member(office, "auditor")
    appeal = receive(office, appeal_body(suspension, received_on="2026-11-20"))  # ack by 11-30

    def overdue() -> list[str]:
        worklist = [a["id"] for a in office.ok("GET", "/worklist/overdue-appeals", reader)]
        listed = [a["id"] for a in office.ok("GET", "/appeals?overdue=true", reader)]
        assert worklist == listed
        return worklist

    clock.now = datetime(2026, 11, 30, 18, tzinfo=UTC)
    assert overdue() == []  # the last day to acknowledge
    clock.now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert overdue() == [appeal["id"]]
    assert office.ok("GET", f"/appeals/{appeal['id']}", reader)["overdue"] is True
    assert step(office, appeal["id"], "acknowledge", member(office, "registrar")).status_code == 200
    assert overdue() == []
    clock.now = datetime(2027, 1, 19, 9, tzinfo=UTC)  # decision due by 2027-01-19
    investigator = investigated_after_ack(office, appeal["id"])
    assert overdue() == []
    clock.now = datetime(2027, 1, 20, 9, tzinfo=UTC)
    assert overdue() == [appeal["id"]]
    assert [a["id"] for a in office.ok("GET", "/appeals?state=under-investigation", reader)] == [
        appeal["id"]
    ]
    assert office.ok("GET", "/appeals?state=received", reader) == []
    assert step(office, appeal["id"], "decision", investigator, UPHELD).status_code == 200
    assert overdue() == []


def investigated_after_ack(office: BackOffice, appeal_id: str) -> Member:
    investigator = independent(office)
    answer = step(
        office,
        appeal_id,
        "assign",
        member(office, "admin"),
        {"investigator_id": investigator.staff_id},
    )
    assert answer.status_code == 200, answer.text
    return investigator


def test_the_deadlines_follow_the_settings(
    settings: Settings, store: Store, clock: FrozenClock, entropy: SeededEntropy, keyring: KeyRing
) -> None:
    tuned = settings.model_copy(update={"appeal_acknowledge_days": 3, "appeal_decide_days": 20})
    app = create_app(tuned, store=store, clock=clock, entropy=entropy, keyring=keyring)
    with TestClient(app) as client:
        office = enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))
        _, suspension = suspended(office)
        appeal = receive(office, appeal_body(suspension))
    assert (appeal["acknowledge_by"], appeal["decide_by"]) == ("2026-11-28", "2026-12-15")


# ── the remedy ───────────────────────────────────────────────────────────────────────────
def test_a_reinstatement_naming_an_appeal_not_upheld_is_refused(
    office: BackOffice, store: Store
) -> None:
    number, suspension = suspended(office)
    appeal = receive(office, appeal_body(suspension))
    decider = member(office, "decider")

    def reinstate() -> Any:
        return office.call(
            "POST", f"/certifications/{number}/reinstate", decider, {"appeal_id": appeal["id"]}
        )

    head = audit_head(store)
    problem(reinstate(), 409, "appeal-not-upheld")  # not decided yet
    investigator = investigated(office, appeal["id"])
    rejected = {"outcome": "rejected", "rationale": "the report was the appellant's"}
    assert step(office, appeal["id"], "decision", investigator, rejected).status_code == 200
    head = audit_head(store)
    problem(reinstate(), 409, "appeal-not-upheld")
    problem(
        office.call(
            "POST", f"/certifications/{number}/reinstate", decider, {"appeal_id": "no-such"}
        ),
        404,
        "not-found",
    )
    assert audit_head(store) == head
    assert [k for _, k, _ in lifecycle_ids(store, number)] == ["suspend"]
    # Another certification's upheld appeal is not this one's remedy either.
    other, other_suspension = suspended(office, "W2")
    foreign = upheld(office, other, other_suspension)
    refused = office.call(
        "POST", f"/certifications/{number}/reinstate", decider, {"appeal_id": foreign["id"]}
    )
    problem(refused, 409, "appeal-not-upheld")
    decide(office, number, "reinstate", {})  # a reinstatement needs no appeal


def test_a_scope_reduction_appealed_is_restored_naming_the_appeal(office: BackOffice) -> None:
    scheme = new_scheme(office)
    accepted = candidate(office, scheme, ["VT-STEEL", "VT-PRESSURE"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    granted = office.ok(
        "POST",
        "/decisions",
        member(office, "decider"),
        {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"},
    )
    number = granted["certification"]["certificate_number"]
    decide(office, number, "scope", {"scope": ["VT-STEEL"], "reason": "pressure work lapsed"})
    [*_, (reduction, _, _)] = lifecycle_ids(office.store, number)
    appeal = receive(office, appeal_body(reduction))
    investigator = investigated(office, appeal["id"])
    restore = {**UPHELD, "remedy": "restore-scope"}
    assert step(office, appeal["id"], "decision", investigator, restore).status_code == 200
    answer = office.call(
        "POST",
        f"/certifications/{number}/scope",
        member(office, "decider"),
        {
            "scope": ["VT-STEEL", "VT-PRESSURE"],
            "appeal_id": appeal["id"],
            "examination_ids": _exams(office, accepted["id"]),
        },
    )
    assert answer.status_code == 200, answer.text
    [*_, (restoration, kind, named)] = lifecycle_ids(office.store, number)
    assert (kind, named) == ("scope", appeal["id"])
    assert (
        office.ok("GET", f"/appeals/{appeal['id']}", investigator)["remedy_decision_id"]
        == restoration
    )


def _exams(office: BackOffice, application_id: str) -> list[str]:
    with office.store.reading() as tx:
        return [e.id for e in tx.list_examinations(application_id)]


# ── concurrency ──────────────────────────────────────────────────────────────────────────
def test_two_decision_makers_deciding_at_once_give_one_result_and_one_409(
    office: BackOffice,
) -> None:
    _, suspension = suspended(office)
    appeal = receive(office, appeal_body(suspension))
    first = investigated(office, appeal["id"])
    second = office.mint(first.staff_id, Role.DECISION_MAKER)  # the same, on two devices
    bodies = [UPHELD, {"outcome": "rejected", "rationale": "no grounds"}]
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def go(index: int, who: Member) -> None:
        barrier.wait()
        answers[index] = step(office, appeal["id"], "decision", who, bodies[index])

    threads = [threading.Thread(target=go, args=(i, w)) for i, w in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], [a.text for a in answers]
    [won] = [i for i, a in enumerate(answers) if a.status_code == 200]
    [lost] = [a for a in answers if a.status_code == 409]
    problem(lost, 409, "invalid-transition")
    shown = office.ok("GET", f"/appeals/{appeal['id']}", first)
    assert shown["outcome"] == bodies[won]["outcome"]
    assert len(audited(office.store, "appeal.decided")) == 1


# ── the registry ─────────────────────────────────────────────────────────────────────────
def test_an_upheld_appeal_makes_the_register_say_valid_only_through_the_reinstatement(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    office, client = public
    details: list[str] = []  # every audit entry's details, as written (the log keeps digests)
    append = AuditWrites.append_audit

    def spy(self: AuditWrites, **kwargs: Any) -> Any:
        details.append(str(kwargs.get("details")))
        return append(self, **kwargs)

    monkeypatch.setattr(AuditWrites, "append_audit", spy)
    secrets = ["Appeal-Grounds-Zq8812-distinct", "Appeal-Rationale-Kw4471-distinct"]
    number, suspension = suspended(office)
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    credential_id = detail["credentials"][0]["id"]

    def published() -> tuple[str, str]:
        client.app.state.drain()  # type: ignore[attr-defined]
        entry = client.get(f"/register/{number}", params={"family_name": "Moreau"})
        qr = client.get(f"/v/{credential_id}", headers={"Accept": "application/json"}).json()
        return entry.json()["entry"]["status"], qr["status"]

    assert published() == ("suspended", "suspended")
    appeal = receive(office, appeal_body(suspension, grounds=secrets[0]))
    investigator = investigated(office, appeal["id"])
    decided = step(
        office, appeal["id"], "decision", investigator, {**UPHELD, "rationale": secrets[1]}
    )
    assert decided.status_code == 200
    assert published() == ("suspended", "suspended")  # the appeal alone changes nothing
    decide(office, number, "reinstate", {"appeal_id": appeal["id"]})
    assert published() == ("active", "valid")

    with registry_store.engine.connect() as conn:
        stored = [str(tuple(row)) for row in conn.execute(text("SELECT * FROM documents"))]
    served = [
        client.get(f"/register/{number}", params={"family_name": "Moreau"}).text,
        client.get(f"/v/{credential_id}", headers={"Accept": "text/html"}).text,
        client.get(f"/v/{credential_id}", headers={"Accept": "application/json"}).text,
    ]
    decoded = []
    for blob in [*stored, *served]:
        for part in blob.replace("'", ".").replace('"', ".").split("."):
            try:
                decoded.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())
            except (ValueError, UnicodeDecodeError):
                continue
    haystack = "\n".join([*stored, *served, *decoded])
    audit = "\n".join(details)
    assert appeal["id"] in audit  # the spy saw the reinstatement name the appeal
    for secret in secrets:
        assert secret not in haystack
        assert secret not in audit
    if registry_store.engine.dialect.name == "sqlite":
        database = (tmp_path / "registry.sqlite3").read_bytes()
        for secret in secrets:
            assert secret.encode() not in database
    # Staff still read them.
    shown = office.ok("GET", f"/appeals/{appeal['id']}", member(office, "auditor"))
    assert (shown["grounds"], shown["rationale"]) == tuple(secrets)
