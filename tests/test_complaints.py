"""Complaints (clause 9.9, and 9.7 misuse of certificates and marks): recorded, validated,
acknowledged, investigated by someone not involved, answered and closed, each step dated and
audited; overdue as the clock moves; a suspension may answer one.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.model import Role
from issuer.settings import Settings
from issuer.store import Store
from registry import RegistryStore
from tests.backoffice import BackOffice, Json, Member, member
from tests.conftest import FrozenClock, SeededEntropy
from tests.test_due_jobs import certify, new_scheme
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

TODAY = date(2026, 11, 25)  # the tests' clock
SECRET = "Zebra-Quokka-7781 saw the mark on a van"
CONTACT = "quokka.witness@example.org"


def problem(response: Any, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["type"] == f"/problems/{kind}"


def audit_entries(store: Store, prefix: str = "complaint.") -> list[Any]:
    with store.reading() as tx:
        return [e for e in tx.audit_entries(limit=100_000) if e.action.startswith(prefix)]


def complaint_body(number: str | None, **overrides: Any) -> Json:
    body: Json = {
        "subject": "certified-person" if number else "body",
        "certificate_number": number,
        "description": SECRET,
        "email": CONTACT,
        "channel": "email",
        "received_on": TODAY.isoformat(),
    }
    body.update(overrides)
    return body


def receive(office: BackOffice, body: Json) -> Json:
    complaint: Json = office.ok("POST", "/complaints", member(office, "registrar"), body)
    return complaint


def step(
    office: BackOffice, complaint_id: str, action: str, who: Member, body: Json | None = None
) -> Any:
    return office.call("POST", f"/complaints/{complaint_id}/{action}", who, body)


def investigator(office: BackOffice, name: str = "decider-2") -> Member:
    if name not in office.members:
        office.enrol(name, Role.DECISION_MAKER)
    return office.members[name]


def under_investigation(office: BackOffice, complaint_id: str) -> None:
    registrar, admin = member(office, "registrar"), member(office, "admin")
    assert step(office, complaint_id, "validate", registrar).status_code == 200
    assert step(office, complaint_id, "acknowledge", registrar).status_code == 200
    who = investigator(office)
    answer = step(office, complaint_id, "assign", admin, {"investigator_id": who.staff_id})
    assert answer.status_code == 200, answer.text


def test_the_staff_walk_to_closed(office: BackOffice, store: Store) -> None:
    number = certify(office, new_scheme(office))
    complaint = receive(office, complaint_body(number))
    assert complaint["state"] == "received"
    assert complaint["certificate_number"] == number
    assert complaint["acknowledge_by"] == "2026-12-05"
    assert complaint["answer_by"] == "2027-01-24"
    under_investigation(office, complaint["id"])
    answered = step(
        office,
        complaint["id"],
        "answer",
        investigator(office),
        {"outcome": "upheld", "response": "We spoke to the person; the van is repainted."},
    )
    assert answered.status_code == 200, answered.text
    closed = step(office, complaint["id"], "close", member(office, "registrar"))
    assert closed.json()["state"] == "closed"
    read = office.ok("GET", f"/complaints/{complaint['id']}", member(office, "auditor"))
    assert [s["state"] for s in read["steps"]] == [
        "received",
        "validated",
        "acknowledged",
        "under-investigation",
        "answered",
        "closed",
    ]
    actions = [e.action for e in audit_entries(store)]
    assert actions == [
        "complaint.received",
        "complaint.validated",
        "complaint.acknowledged",
        "complaint.assigned",
        "complaint.answered",
        "complaint.closed",
    ]
    for entry in audit_entries(store):
        assert SECRET not in repr(entry)
        assert CONTACT not in repr(entry)


def test_invalid_moves_and_bad_complaints_are_refused(office: BackOffice, store: Store) -> None:
    registrar = member(office, "registrar")
    complaint = receive(office, complaint_body(None))
    problem(step(office, complaint["id"], "acknowledge", registrar), 409, "invalid-transition")
    problem(step(office, complaint["id"], "close", registrar), 409, "invalid-transition")
    rejected = step(office, complaint["id"], "reject", registrar, {"reason": "about a school"})
    assert rejected.json()["state"] == "rejected-invalid"
    problem(step(office, complaint["id"], "validate", registrar), 409, "invalid-transition")
    # about a person, without a certificate and without saying it could not be given
    bad = office.call("POST", "/complaints", registrar, complaint_body(None, subject="mark-misuse"))
    problem(bad, 422, "invalid-input")
    unknown = complaint_body(None, subject="mark-misuse", certificate_unknown=True)
    assert office.call("POST", "/complaints", registrar, unknown).status_code == 201
    missing = office.call("POST", "/complaints", registrar, complaint_body("NO-SUCH-1"))
    problem(missing, 422, "invalid-input")
    future = office.call(
        "POST", "/complaints", registrar, complaint_body(None, received_on="2027-01-01")
    )
    problem(future, 422, "invalid-input")
    long = office.call(
        "POST", "/complaints", registrar, complaint_body(None, description="x" * 8001)
    )
    problem(long, 422, "validation-failed")
    problem(office.call("POST", "/complaints/nope/validate", registrar), 404, "not-found")
    problem(
        office.call("POST", "/complaints", member(office, "auditor"), complaint_body(None)),
        403,
        "wrong-role",
    )


def test_the_investigator_is_not_involved_in_the_subject(office: BackOffice, store: Store) -> None:
    number = certify(office, new_scheme(office))
    with store.reading() as tx:
        certification = tx.get_certification_by_number(number)
        assert certification is not None
        person_id = certification.person_id
    registrar, admin = member(office, "registrar"), member(office, "admin")
    complaint = receive(office, complaint_body(number))
    assert step(office, complaint["id"], "validate", registrar).status_code == 200
    assert step(office, complaint["id"], "acknowledge", registrar).status_code == 200
    examiner = member(office, "examiner")
    refused = step(office, complaint["id"], "assign", admin, {"investigator_id": examiner.staff_id})
    problem(refused, 403, "examined-candidate")
    trainer = investigator(office, "decider-3")
    office.ok(
        "POST",
        f"/staff/{trainer.staff_id}/trainees",
        admin,
        {"person_id": person_id, "description": "preparation course"},
    )
    refused = step(office, complaint["id"], "assign", admin, {"investigator_id": trainer.staff_id})
    problem(refused, 403, "trained-candidate")
    conflicted = investigator(office, "decider-4")
    office.ok(
        "POST",
        f"/staff/{conflicted.staff_id}/conflicts",
        conflicted,
        {"person_id": person_id, "nature": "sibling", "measures": "recused"},
    )
    refused = step(
        office, complaint["id"], "assign", admin, {"investigator_id": conflicted.staff_id}
    )
    problem(refused, 403, "declared-conflict")
    assert office.ok("GET", f"/complaints/{complaint['id']}", admin)["state"] == "acknowledged"
    free = investigator(office)
    assert (
        step(
            office, complaint["id"], "assign", admin, {"investigator_id": free.staff_id}
        ).status_code
        == 200
    )


def test_complaints_become_overdue_as_the_clock_moves(
    office: BackOffice, clock: FrozenClock
) -> None:
    reader, registrar = member(office, "auditor"), member(office, "registrar")
    complaint = receive(office, complaint_body(None, received_on="2026-11-20"))  # ack by 11-30

    def overdue() -> list[str]:
        worklist = [c["id"] for c in office.ok("GET", "/worklist/overdue-complaints", reader)]
        listed = [c["id"] for c in office.ok("GET", "/complaints?overdue=true", reader)]
        assert worklist == listed
        return worklist

    clock.now = datetime(2026, 11, 30, 18, tzinfo=UTC)
    assert overdue() == []
    clock.now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert overdue() == [complaint["id"]]
    assert step(office, complaint["id"], "validate", registrar).status_code == 200
    assert overdue() == [complaint["id"]]
    assert step(office, complaint["id"], "acknowledge", registrar).status_code == 200
    assert overdue() == []
    clock.now = datetime(2027, 1, 20, 9, tzinfo=UTC)  # answer by 2027-01-19
    assert overdue() == [complaint["id"]]


def test_a_suspension_answers_a_complaint(office: BackOffice, store: Store) -> None:
    number = certify(office, new_scheme(office))
    other = certify(office, new_scheme(office, "XX"))
    decider = member(office, "decider")
    complaint = receive(office, complaint_body(number))
    body = {"reason": "complaint upheld on inspection", "complaint_id": complaint["id"]}
    early = office.call("POST", f"/certifications/{number}/suspend", decider, body)
    problem(early, 409, "complaint-not-open")  # not validated yet
    assert step(office, complaint["id"], "validate", member(office, "registrar")).status_code == 200
    wrong = office.call("POST", f"/certifications/{other}/suspend", decider, body)
    problem(wrong, 409, "complaint-not-open")
    suspended = office.call("POST", f"/certifications/{number}/suspend", decider, body)
    assert suspended.status_code == 200, suspended.text
    with store.reading() as tx:
        certification = tx.get_certification_by_number(number)
        assert certification is not None
        [*_, last] = tx.lifecycle_decisions(certification.id)
    assert last.kind.value == "suspend"
    assert last.complaint_id == complaint["id"]
    assert [e.action for e in audit_entries(store)][-1] == "complaint.suspension-linked"


# ── the public intake ────────────────────────────────────────────────────────────────────
PUBLIC = {"subject": "body", "description": SECRET, "email": CONTACT, "name": "Quokka Witness"}


def count_complaints(store: Store) -> int:
    with store.reading() as tx:
        return len(tx.list_complaints())


def test_a_public_complaint_and_its_status(office: BackOffice, client: TestClient) -> None:
    sent = client.post("/public/complaints", json=PUBLIC)
    assert sent.status_code == 201, sent.text
    receipt = sent.json()
    assert set(receipt) == {"reference", "received_on", "state", "status_url"}
    assert len(receipt["reference"]) == 26
    assert receipt["status_url"] == f"/public/complaints/{receipt['reference']}"
    assert receipt["state"] == "received"
    seen = client.get(receipt["status_url"])
    assert seen.json() == receipt
    assert SECRET not in seen.text
    assert CONTACT not in seen.text
    [complaint] = office.ok("GET", "/complaints", member(office, "auditor"))
    assert complaint["channel"] == "public-form"
    assert complaint["description"] == SECRET
    assert step(office, complaint["id"], "validate", member(office, "registrar")).status_code == 200
    page = client.get(receipt["status_url"], headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "Being handled" in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    problem(client.get("/public/complaints/" + "a" * 26), 404, "not-found")


def test_the_form_works_without_javascript(
    office: BackOffice, client: TestClient, store: Store
) -> None:
    number = certify(office, new_scheme(office))
    form = client.get(f"/public/complaints/new?certificate={number}")
    assert form.status_code == 200
    assert 'action="/public/complaints/form"' in form.text
    assert f'value="{number}"' in form.text
    assert "<script" not in form.text
    fields = {
        "subject": "mark-misuse",
        "certificate_number": number,
        "description": SECRET,
        "email": CONTACT,
        "name": "",
        "phone": "",
    }
    posted = client.post("/public/complaints/form", data=fields)
    assert posted.status_code == 200, posted.text
    assert "Complaint received" in posted.text
    [complaint] = office.ok("GET", "/complaints", member(office, "auditor"))
    assert complaint["reference"] in posted.text
    assert complaint["subject"] == "mark-misuse"
    assert complaint["certificate_number"] == number
    wrong = client.post("/public/complaints/form", data={**fields, "certificate_number": ""})
    assert wrong.status_code == 422
    assert "names the certificate" in wrong.text
    empty = client.post("/public/complaints/form", data={**fields, "description": ""})
    assert empty.status_code == 422
    assert "Check what happened." in empty.text
    assert count_complaints(store) == 1


def test_a_burst_from_one_client_stores_at_most_the_limit(client: TestClient, store: Store) -> None:
    answers = [client.post("/public/complaints", json=PUBLIC) for _ in range(1_000)]
    assert sum(a.status_code == 201 for a in answers) == 5
    assert count_complaints(store) == 5
    refused = answers[-1]
    problem(refused, 429, "rate-limited")
    assert int(refused.headers["retry-after"]) >= 1


def test_oversize_and_bad_input_are_typed(client: TestClient, store: Store) -> None:
    problem(
        client.post("/public/complaints", json={**PUBLIC, "description": "x" * 8_001}),
        422,
        "validation-failed",
    )
    problem(
        client.post("/public/complaints", json={**PUBLIC, "subject": "weather"}),
        422,
        "validation-failed",
    )
    problem(
        client.post("/public/complaints", json={**PUBLIC, "subject": "certified-person"}),
        422,
        "invalid-input",
    )
    problem(
        client.post("/public/complaints", json={**PUBLIC, "junk": "x" * 40_000}),
        413,
        "payload-too-large",
    )
    problem(
        client.post(
            "/public/complaints", content=b"{not json", headers={"content-type": "application/json"}
        ),
        422,
        "validation-failed",
    )
    assert count_complaints(store) == 0


def test_a_full_queue_refuses_new_public_complaints(
    settings: Settings, store: Store, clock: FrozenClock, entropy: SeededEntropy, keyring: KeyRing
) -> None:
    capped = settings.model_copy(update={"complaint_open_public_cap": 2})
    app = create_app(capped, store=store, clock=clock, entropy=entropy, keyring=keyring)
    with TestClient(app) as client:
        assert client.post("/public/complaints", json=PUBLIC).status_code == 201
        assert client.post("/public/complaints", json=PUBLIC).status_code == 201
        problem(client.post("/public/complaints", json=PUBLIC), 503, "complaints-full")
    assert count_complaints(store) == 2


def test_what_a_complainant_writes_never_reaches_the_registry(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
    store: Store,
) -> None:
    office, client = public
    number = certify(office, new_scheme(office))
    sent = client.post(
        "/public/complaints",
        json={**PUBLIC, "subject": "certified-person", "certificate_number": number},
    )
    assert sent.status_code == 201
    [complaint] = office.ok("GET", "/complaints", member(office, "auditor"))
    registrar = member(office, "registrar")
    assert step(office, complaint["id"], "validate", registrar).status_code == 200
    office.ok(
        "POST",
        f"/certifications/{number}/suspend",
        member(office, "decider"),
        {"reason": "complaint upheld", "complaint_id": complaint["id"]},
    )
    client.app.state.drain()  # type: ignore[attr-defined]
    with registry_store.engine.connect() as conn:
        stored = "\n".join(
            str(tuple(row))
            for table in ("documents",)
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )
    served = client.get(f"/register/{number}", params={"family_name": "Moreau"}).text
    with store.reading() as tx:
        audit = "\n".join(repr(e) for e in tx.audit_entries(limit=100_000))
    for secret in (SECRET, CONTACT, "Quokka Witness"):
        assert secret not in stored
        assert secret not in served
        assert secret not in audit
    assert complaint["id"] in audit


ANSWER = {"outcome": "upheld", "response": "We spoke to the person; the van is repainted."}


def test_only_the_assigned_investigator_answers(office: BackOffice, store: Store) -> None:
    number = certify(office, new_scheme(office))
    complaint = receive(office, complaint_body(number))
    early = step(office, complaint["id"], "answer", investigator(office), ANSWER)
    problem(early, 409, "invalid-transition")  # nobody investigates it yet
    under_investigation(office, complaint["id"])
    head = len(audit_entries(store, ""))
    for other in (member(office, "decider"), member(office, "registrar")):
        problem(step(office, complaint["id"], "answer", other, ANSWER), 403, "not-investigator")
    assert len(audit_entries(store, "")) == head
    read = office.ok("GET", f"/complaints/{complaint['id']}", member(office, "auditor"))
    assert read["state"] == "under-investigation"
    answered = step(office, complaint["id"], "answer", investigator(office), ANSWER)
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"


# ── concurrency ──────────────────────────────────────────────────────────────────────────
def race(calls: list[Any]) -> list[Any]:
    """Run each call in its own thread, released together; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_two_staff_taking_the_same_step_at_once_give_one_result_and_one_409(
    office: BackOffice, store: Store
) -> None:
    number = certify(office, new_scheme(office))
    complaint = receive(office, complaint_body(number))
    cid = complaint["id"]
    registrar, admin = member(office, "registrar"), member(office, "admin")
    registrar_2 = office.enrol("registrar-2", Role.REGISTRAR)
    who = investigator(office)
    same_investigator = office.mint(who.staff_id, Role.DECISION_MAKER)
    steps: list[tuple[str, list[Member], list[Json | None], str]] = [
        ("validate", [registrar, registrar_2], [None, None], "complaint.validated"),
        ("acknowledge", [registrar, registrar_2], [None, None], "complaint.acknowledged"),
        (
            "assign",
            [registrar, admin],
            [{"investigator_id": who.staff_id}] * 2,
            "complaint.assigned",
        ),
        (
            "answer",
            [who, same_investigator],
            [ANSWER, {"outcome": "not-upheld", "response": "Nothing was found."}],
            "complaint.answered",
        ),
        ("close", [registrar, registrar_2], [None, None], "complaint.closed"),
    ]
    for action, members, bodies, audited_as in steps:
        answers = race(
            [
                lambda m=m, b=b, a=action: step(office, cid, a, m, b)
                for m, b in zip(members, bodies, strict=True)
            ]
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        [lost] = [a for a in answers if a.status_code == 409]
        problem(lost, 409, "invalid-transition")
        assert len(audit_entries(store, audited_as)) == 1, action
    read = office.ok("GET", f"/complaints/{cid}", member(office, "auditor"))
    assert read["state"] == "closed"
    assert len(read["steps"]) == 6


def _intake(
    settings: Settings,
    store: Store,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
    **tuned: Any,
) -> TestClient:
    app = create_app(
        settings.model_copy(update=tuned),
        store=store,
        clock=clock,
        entropy=entropy,
        keyring=keyring,
    )
    return TestClient(app)


def test_a_concurrent_burst_stores_exactly_the_global_cap(
    settings: Settings, store: Store, clock: FrozenClock, entropy: SeededEntropy, keyring: KeyRing
) -> None:
    with _intake(
        settings,
        store,
        clock,
        entropy,
        keyring,
        complaint_per_minute=0,
        complaint_open_public_cap=7,
    ) as client:
        answers = race([lambda: client.post("/public/complaints", json=PUBLIC)] * 40)
    assert sum(a.status_code == 201 for a in answers) == 7, [a.status_code for a in answers]
    for refused in (a for a in answers if a.status_code != 201):
        problem(refused, 503, "complaints-full")
    assert count_complaints(store) == 7
    with store.reading() as tx:
        assert tx.count_unvalidated_public_complaints() == 7


def test_a_concurrent_burst_from_one_address_stores_exactly_its_burst(
    settings: Settings, store: Store, clock: FrozenClock, entropy: SeededEntropy, keyring: KeyRing
) -> None:
    with _intake(settings, store, clock, entropy, keyring, complaint_burst=6) as client:
        answers = race([lambda: client.post("/public/complaints", json=PUBLIC)] * 40)
    assert sum(a.status_code == 201 for a in answers) == 6, [a.status_code for a in answers]
    for refused in (a for a in answers if a.status_code != 201):
        problem(refused, 429, "rate-limited")
    assert count_complaints(store) == 6
