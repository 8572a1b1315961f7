"""The regulators' API (clause 7.3.4): public fields only, keyset pages that see every row
once, a change feed in recorded order, streamed exports, disclosures of a confidential field
only on a stated legal basis (logged, audited, notified), and a log of every request.

Every test runs on SQLite and PostgreSQL through the ``office`` fixture.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from httpx2 import Response
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from issuer.errors import PROBLEM_KINDS
from issuer.model import Role
from issuer.process import regulators
from issuer.store import Store
from issuer.store.tables import metadata
from tests.backoffice import (
    BackOffice,
    Json,
    Member,
    candidate,
    exam_body,
    member,
    person_body,
    scheme_body,
    setup_scheme,
)
from tests.conftest import FrozenClock
from tests.test_recertification import _examined as _reexamined
from tests.test_recertification import _scheme as _scheme_with

REG = "/regulator/v1"
EXAM_DAY = date(2026, 11, 20)
PHONE = "+33 6 12 34 56 78"
ID_DOCUMENT = "PASSPORT-19XK77QZ"
SUSPENSION_REASON = "Complaint 4471 about falsified inspection reports"
WITHDRAWAL_REASON = "Confirmed misuse of the certificate (case 4471-B)"
CONFIDENTIAL = (
    "1986-03-14",
    "ana.moreau@example.org",
    "12 Rue des Soudeurs",
    "83.75",
    PHONE,
    ID_DOCUMENT,
    SUSPENSION_REASON,
    WITHDRAWAL_REASON,
    "passed",  # the decision's rationale
)
PUBLIC_KEYS = {
    "certificate_number",
    "given_name",
    "family_name",
    "scheme_code",
    "scheme_version",
    "scope",
    "status",
    "status_since",
    "effective_date",
    "expiry_date",
    "credential_ids",
}


@pytest.fixture
def regulator(office: BackOffice) -> Member:
    return office.enrol("regulator", Role.REGULATOR)


def reg(office: BackOffice, who: Member, path: str, **params: Any) -> Response:
    return office.client.get(f"{REG}{path}", params=params, headers=who.headers)


def ok(response: Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def problem(response: Response, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.text
    assert response.json()["type"] == f"/problems/{kind}", response.text


def certify(
    office: BackOffice,
    scheme: Json,
    given_name: str = "Ana",
    family_name: str = "Moreau",
    scope: list[str] | None = None,
) -> str:
    """A new person, certified in ``scheme``; returns the certificate number."""
    registrar = member(office, "registrar")
    body = person_body(given_name, family_name, phone=PHONE, identity_document_ref=ID_DOCUMENT)
    person = office.ok("POST", "/persons", registrar, body)
    accepted = candidate(office, scheme, scope or ["VT-STEEL", "VT-PRESSURE"], person["id"])
    exam = exam_body(accepted["id"], EXAM_DAY)
    office.ok("POST", "/examinations", member(office, "examiner"), exam)
    decision = office.ok(
        "POST",
        "/decisions",
        member(office, "decider"),
        {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"},
    )
    number: str = decision["certification"]["certificate_number"]
    return number


def second_scheme(office: BackOffice) -> Json:
    manager = member(office, "manager")
    scheme: Json = office.ok("POST", "/schemes", manager, scheme_body("PI"))
    examiner = member(office, "examiner").staff_id
    office.ok("POST", f"/staff/{examiner}/approvals", manager, {"scheme_id": scheme["id"]})
    return scheme


def decide(office: BackOffice, number: str, action: str, body: Json) -> None:
    office.ok("POST", f"/certifications/{number}/{action}", member(office, "decider"), body)


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar()
    return int(found or 0)


def walk(office: BackOffice, who: Member, limit: int, **filters: Any) -> list[str]:
    """Every certificate number a paged walk returns, in order (duplicates kept)."""
    numbers: list[str] = []
    cursor = None
    for _ in range(1000):
        params = {**filters, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = ok(reg(office, who, "/certifications", **params))
        assert len(page["certifications"]) <= limit
        numbers += [c["certificate_number"] for c in page["certifications"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return numbers
    raise AssertionError("the walk never ended")


# ── who may ask ──────────────────────────────────────────────────────────────────────────
def test_only_regulator_tokens_reach_the_regulators_api(
    office: BackOffice, regulator: Member
) -> None:
    certify(office, setup_scheme(office))
    routes = [
        ("GET", f"{REG}/certifications", None),
        ("GET", f"{REG}/changes", None),
        ("GET", f"{REG}/export?format=csv", None),
        (
            "POST",
            f"{REG}/certifications/7K3M-9QXD-2HFW-8T4B-E/disclosures",
            {"field": "email", "legal_basis": "Art. 12 of the Welding Inspection Act"},
        ),
    ]
    for method, path, body in routes:
        for name in ("admin", "manager", "registrar", "examiner", "decider", "auditor"):
            staff_member = member(office, name)
            response = office.client.request(method, path, headers=staff_member.headers, json=body)
            problem(response, 403, "wrong-role")
        problem(office.client.request(method, path, json=body), 401, "unauthenticated")
        garbage = {"Authorization": "Bearer not-a-token"}
        problem(
            office.client.request(method, path, headers=garbage, json=body), 401, "unauthenticated"
        )
    assert ok(office.client.get(f"{REG}/certifications", headers=regulator.headers))


def test_staff_routes_refuse_regulator_tokens(office: BackOffice, regulator: Member) -> None:
    number = certify(office, setup_scheme(office))
    person_id = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))[
        "person_id"
    ]
    for method, path in (
        ("GET", "/certifications"),
        ("GET", f"/certifications/{number}"),
        ("GET", f"/persons/{person_id}"),
        ("GET", f"/persons/{person_id}/notices"),
        ("POST", f"/persons/{person_id}/notices/nope/sent"),
        ("GET", "/audit"),
        ("POST", f"/certifications/{number}/suspend"),
    ):
        body = {"reason": "r"} if method == "POST" else None
        problem(office.call(method, path, regulator, body), 403, "wrong-role")


# ── listing, filters and pages ───────────────────────────────────────────────────────────
def test_filters_and_pages_walk_every_row_exactly_once(
    office: BackOffice, regulator: Member, clock: FrozenClock
) -> None:
    wi, pi = setup_scheme(office), second_scheme(office)
    # Several grants at one instant: the page boundary falls between equal timestamps.
    wi_numbers = [certify(office, wi, f"Welder{i}", "Same-Instant") for i in range(4)]
    clock.advance(hours=1)
    pi_numbers = [certify(office, pi, f"Piper{i}", "Later") for i in range(3)]
    clock.advance(days=2)
    changed_from = clock()
    decide(office, wi_numbers[1], "suspend", {"reason": SUSPENSION_REASON})
    clock.advance(minutes=3)
    decide(office, pi_numbers[2], "withdraw", {"reason": WITHDRAWAL_REASON})
    everyone = wi_numbers + pi_numbers

    for limit in (1, 2, 3, 1000):
        assert sorted(walk(office, regulator, limit)) == sorted(everyone)
        assert walk(office, regulator, limit, scheme="WI") == walk(
            office, regulator, limit, scheme=wi["id"]
        )
        assert sorted(walk(office, regulator, limit, scheme="WI")) == sorted(wi_numbers)
        assert sorted(walk(office, regulator, limit, status="active")) == sorted(
            set(everyone) - {wi_numbers[1], pi_numbers[2]}
        )
        assert walk(office, regulator, limit, status="suspended") == [wi_numbers[1]]
        assert walk(office, regulator, limit, scheme="PI", status="withdrawn") == [pi_numbers[2]]
        assert walk(office, regulator, limit, scheme="PI", status="suspended") == []
        since = changed_from.isoformat()
        assert walk(office, regulator, limit, changed_since=since) == [
            wi_numbers[1],
            pi_numbers[2],
        ]
    # The order is the grant order, then the number: the same on every walk.
    assert walk(office, regulator, 1) == walk(office, regulator, 1000)

    page = ok(reg(office, regulator, "/certifications", limit=1000))
    suspended = next(c for c in page["certifications"] if c["certificate_number"] == wi_numbers[1])
    assert set(suspended) == PUBLIC_KEYS
    assert suspended["status"] == "suspended"
    assert suspended["status_since"] == changed_from.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert suspended["scheme_code"] == "WI"
    assert suspended["scheme_version"] == 1
    assert suspended["scope"] == ["VT-PRESSURE", "VT-STEEL"]
    assert suspended["given_name"] == "Welder1"
    assert len(suspended["credential_ids"]) == 1
    problem(reg(office, regulator, "/certifications", scheme="NOPE"), 404, "not-found")


def test_rows_inserted_during_a_walk_do_not_shift_it(
    office: BackOffice, regulator: Member, clock: FrozenClock
) -> None:
    scheme = setup_scheme(office)
    before = [certify(office, scheme, f"Early{i}", "Holder") for i in range(5)]
    first = ok(reg(office, regulator, "/certifications", limit=2))
    seen = [c["certificate_number"] for c in first["certifications"]]
    clock.advance(minutes=1)
    late = certify(office, scheme, "Late", "Holder")
    cursor = first["next_cursor"]
    while cursor:
        page = ok(reg(office, regulator, "/certifications", limit=2, cursor=cursor))
        seen += [c["certificate_number"] for c in page["certifications"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted([*before, late])
    assert len(seen) == len(set(seen))
    assert seen[-1] == late


# ── the change feed ──────────────────────────────────────────────────────────────────────
def feed(office: BackOffice, who: Member, limit: int, after: str | None = None) -> list[Json]:
    changes: list[Json] = []
    for _ in range(1000):
        params: dict[str, Any] = {"limit": limit, **({"after": after} if after else {})}
        page = ok(reg(office, who, "/changes", **params))
        if not page["changes"]:
            assert page["next_cursor"] == after
            return changes
        changes += page["changes"]
        assert page["next_cursor"] == page["changes"][-1]["cursor"]
        after = page["next_cursor"]
    raise AssertionError("the feed never ended")


def test_the_change_feed_lists_grants_and_decisions_in_recorded_order(
    office: BackOffice, regulator: Member, clock: FrozenClock
) -> None:
    scheme = _scheme_with(office, recertification_grace_days=30)
    a = certify(office, scheme, "Alba", "First")
    b = certify(office, scheme, "Bram", "Second")  # same instant as a
    c = certify(office, scheme, "Cato", "Third")
    decide(office, c, "suspend", {"reason": SUSPENSION_REASON})  # same instant as its grant
    clock.advance(minutes=1)
    decide(office, a, "suspend", {"reason": SUSPENSION_REASON})
    decide(office, a, "reinstate", {"reason": "complaint dismissed"})  # same instant
    clock.advance(minutes=1)
    decide(office, b, "scope", {"scope": ["VT-STEEL"]})
    clock.advance(minutes=1)
    decide(office, a, "withdraw", {"reason": WITHDRAWAL_REASON})
    clock.advance(days=3 * 366 + 1)  # past the 36-month cycle
    office.ok("POST", "/certifications/expire-due", member(office, "admin"))
    # in the grace after expiry
    exam = _reexamined(office, office.ok("GET", f"/certifications/{b}", member(office, "auditor")))
    decide(office, b, "recertify", {"examination_ids": [exam]})

    # The last seconds are held back until their transactions have surely committed.
    assert [c["change"] for c in feed(office, regulator, 100)][-1] == "withdrawn"
    clock.advance(seconds=regulators.CHANGES_SETTLE.total_seconds())

    expected_tail = [
        (a, "suspended"),
        (a, "reinstated"),
        (b, "scope-changed"),
        (a, "withdrawn"),
        *((n, "expired") for n in sorted([b, c])),  # one run expires both, in number order
        (b, "recertified"),
    ]
    for limit in (1, 2, 5, 100):
        changes = feed(office, regulator, limit)
        got = [(c["certificate_number"], c["change"]) for c in changes]
        assert sorted(got[:3]) == sorted([(a, "granted"), (b, "granted"), (c, "granted")])
        assert got[3:] == [(c, "suspended"), *expected_tail]
        assert [c["recorded_at"] for c in changes] == sorted(c["recorded_at"] for c in changes)
        assert len({c["cursor"] for c in changes}) == len(changes)
    changes = feed(office, regulator, 100)
    assert changes[0]["effective_at"].startswith("2026-11-25T00:00:00")
    assert set(changes[0]) == {
        "cursor",
        "certificate_number",
        "change",
        "effective_at",
        "recorded_at",
    }
    # Resuming from any change's cursor gives exactly what follows it.
    for i, change in enumerate(changes):
        assert feed(office, regulator, 3, after=change["cursor"]) == changes[i + 1 :]


# ── exports ──────────────────────────────────────────────────────────────────────────────
def test_exports_stream_public_fields_as_json_lines_and_csv(
    office: BackOffice, regulator: Member, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regulators, "EXPORT_BATCH", 2)  # several batches, each a transaction
    scheme = setup_scheme(office)
    numbers = [certify(office, scheme, f"Holder{i}", "Export") for i in range(4)]
    formula = certify(office, scheme, '=HYPERLINK("http://x.test")', "@SUM(A1)")
    decide(office, numbers[0], "suspend", {"reason": SUSPENSION_REASON})
    listing = ok(reg(office, regulator, "/certifications", limit=1000))["certifications"]

    jsonl = reg(office, regulator, "/export", format="jsonl")
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"] == "application/jsonl"
    assert "attachment" in jsonl.headers["content-disposition"]
    records = [json.loads(line) for line in jsonl.text.splitlines()]
    assert jsonl.text.endswith("\n")
    assert records == listing
    assert all(set(r) == PUBLIC_KEYS for r in records)
    assert sorted(r["certificate_number"] for r in records) == sorted([*numbers, formula])

    exported = reg(office, regulator, "/export", format="csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert tuple(rows[0]) == regulators.CSV_COLUMNS
    assert len(rows) == 1 + len(records)
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    for record in records:
        row = by_number[record["certificate_number"]]
        assert row["scope"] == " ".join(record["scope"])
        assert row["credential_ids"] == " ".join(record["credential_ids"])
        assert row["status"] == record["status"]
    assert by_number[formula]["given_name"] == '\'=HYPERLINK("http://x.test")'
    assert by_number[formula]["family_name"] == "'@SUM(A1)"
    assert not any(cell[:1] in "=+-@" for row in rows for cell in row if cell)

    only_suspended = reg(office, regulator, "/export", format="csv", status="suspended")
    assert [r[0] for r in csv.reader(io.StringIO(only_suspended.text))][1:] == [numbers[0]]
    empty = reg(office, regulator, "/export", format="jsonl", scheme="WI", status="expired")
    assert empty.status_code == 200
    assert empty.text == ""


def test_csv_cells_never_start_a_formula() -> None:
    for value in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert regulators.csv_cell(value) == "'" + value
    for value in ("", "Ana", "7K3M-9QXD", "'already"):
        assert regulators.csv_cell(value) == value


def test_no_answer_of_the_regulators_api_holds_anything_confidential(
    office: BackOffice, regulator: Member, clock: FrozenClock
) -> None:
    scheme = setup_scheme(office)
    numbers = [certify(office, scheme, f"Holder{i}", "Private") for i in range(3)]
    clock.advance(minutes=1)
    decide(office, numbers[0], "suspend", {"reason": SUSPENSION_REASON})
    decide(office, numbers[1], "withdraw", {"reason": WITHDRAWAL_REASON})
    clock.advance(minutes=1)
    # The confidential values are on record and the staff API shows them.
    staff_view = office.call("GET", f"/certifications/{numbers[0]}", member(office, "auditor"))
    assert SUSPENSION_REASON in staff_view.text
    answers = [
        reg(office, regulator, "/certifications", limit=1000),
        reg(office, regulator, "/certifications", status="suspended"),
        reg(office, regulator, "/changes"),
        reg(office, regulator, "/export", format="jsonl"),
        reg(office, regulator, "/export", format="csv"),
    ]
    for response in answers:
        assert response.status_code == 200
        for value in CONFIDENTIAL:
            assert value not in response.text, (value, response.url)
            assert value not in str(response.headers), (value, response.url)


# ── disclosures (clause 7.3.4) ───────────────────────────────────────────────────────────
def disclose(office: BackOffice, who: Member, number: str, body: Any) -> Response:
    return office.client.post(
        f"{REG}/certifications/{number}/disclosures", headers=who.headers, json=body
    )


def audit_head(store: Store) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT seq, entry_hash FROM audit_head")).all()


def test_a_disclosure_without_a_legal_basis_is_refused_and_leaves_nothing(
    office: BackOffice, regulator: Member, store: Store
) -> None:
    number = certify(office, setup_scheme(office))
    head = audit_head(store)
    for body in (
        {"field": "date_of_birth"},
        {"field": "date_of_birth", "legal_basis": None},
        {"field": "date_of_birth", "legal_basis": ""},
        {"field": "date_of_birth", "legal_basis": "   \n\t "},
        {"field": "email", "legal_basis": "law"},
        {"field": "email", "legal_basis": "", "reference": "CASE-1"},
    ):
        problem(disclose(office, regulator, number, body), 422, "legal-basis-required")
    basis = "Art. 12 of the Welding Inspection Act"
    malformed: list[Any] = [
        {"field": "score", "legal_basis": basis},
        {"field": "suspension_reason", "legal_basis": basis},
        {"field": "EMAIL", "legal_basis": basis},
        {"legal_basis": basis},
        {"field": "email", "legal_basis": "x" * (regulators.LEGAL_BASIS_MAX + 1)},
        {"field": "email", "legal_basis": basis, "value": "smuggled"},
        {"field": "email", "legal_basis": 12345678901},
        {"field": "email", "legal_basis": basis, "reference": "r" * 201},
        [],
        "email",
    ]
    for body in malformed:
        problem(disclose(office, regulator, number, body), 422, "validation-failed")
    body = {"field": "email", "legal_basis": "Art. 12\u202e of the Welding Act"}
    problem(disclose(office, regulator, number, body), 422, "invalid-input")
    body = {"field": "email", "legal_basis": basis}
    problem(disclose(office, regulator, "7K3M-9QXD-2HFW-8T4B-E", body), 404, "not-found")
    problem(disclose(office, regulator, "nope", body), 404, "not-found")
    for table in ("disclosures", "person_notices"):
        assert count(store, table) == 0
    assert audit_head(store) == head


def test_a_disclosure_on_a_legal_basis_returns_the_value_logs_audits_and_notifies(
    office: BackOffice, regulator: Member, store: Store, clock: FrozenClock
) -> None:
    number = certify(office, setup_scheme(office))
    registrar = member(office, "registrar")
    person_id = office.ok("GET", f"/certifications/{number}", registrar)["person_id"]
    basis = "Art. 12 of the Welding Inspection Act; order 2026/118"
    head_before = audit_head(store)[0][0]
    clock.advance(minutes=5)

    body = {"field": "date_of_birth", "legal_basis": basis, "reference": "INSP-2026-0042"}
    response = disclose(office, regulator, number.lower(), body)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["value"] == "1986-03-14"
    assert answer["field"] == "date_of_birth"
    assert answer["certificate_number"] == number
    assert answer["legal_basis"] == basis
    assert answer["reference"] == "INSP-2026-0042"

    # The disclosure log: who, when, which field, on what basis; never the value.
    with store.engine.connect() as conn:
        logged = conn.execute(text("SELECT * FROM disclosures")).mappings().all()
        audit_rows = (
            conn.execute(
                text("SELECT * FROM audit_log WHERE seq > :s ORDER BY seq"), {"s": head_before}
            )
            .mappings()
            .all()
        )
        notices = conn.execute(text("SELECT * FROM person_notices")).mappings().all()
    assert len(logged) == 1
    entry = logged[0]
    assert entry["id"] == answer["id"]
    assert entry["field"] == "date_of_birth"
    assert entry["legal_basis"] == basis
    assert entry["reference"] == "INSP-2026-0042"
    assert entry["person_id"] == person_id
    assert entry["token_id"]
    assert "1986" not in json.dumps({k: str(v) for k, v in entry.items()})

    # The notice queued and the disclosure audited, of identifiers and a digest only.
    actions = [r["action"] for r in audit_rows]
    assert actions == ["person.notice-queued", "person.confidential-disclosed"]
    assert audit_rows[1]["subject_id"] == person_id
    assert audit_rows[1]["actor"] == f"token:{entry['token_id']}"
    for row in audit_rows:
        assert "1986" not in json.dumps({k: str(v) for k, v in row.items()})
    with store.transaction() as tx:
        assert tx.verify_audit_chain().intact

    # One notice to the person, queued (not sent).
    assert len(notices) == 1
    assert notices[0]["person_id"] == person_id
    assert notices[0]["kind"] == "confidential-disclosure"
    assert notices[0]["subject_id"] == answer["id"]
    assert notices[0]["sent_at"] is None
    assert notices[0]["id"] == answer["notice_id"]

    # Staff see the queued notice, with what it must tell the person, and record sending it.
    queued = office.ok("GET", f"/persons/{person_id}/notices", registrar)
    assert len(queued) == 1
    assert queued[0]["field"] == "date_of_birth"
    assert queued[0]["regulator"] == "regulator"
    assert queued[0]["legal_basis"] == basis
    assert queued[0]["sent_at"] is None
    notice_id = queued[0]["id"]
    sent = office.ok("POST", f"/persons/{person_id}/notices/{notice_id}/sent", registrar)
    assert sent["sent_at"] is not None
    assert sent["sent_by"] == registrar.staff_id
    again = office.call("POST", f"/persons/{person_id}/notices/{notice_id}/sent", registrar)
    problem(again, 409, "state-conflict")
    problem(
        office.call("GET", f"/persons/{person_id}/notices", member(office, "examiner")),
        403,
        "wrong-role",
    )
    problem(
        office.call("POST", f"/persons/{person_id}/notices/nope/sent", registrar), 404, "not-found"
    )

    # Every field of the allow-list; a field with nothing on record is disclosed as null.
    expected = {
        "email": "ana.moreau@example.org",
        "address": "12 Rue des Soudeurs, Lyon",
        "phone": PHONE,
        "identity_document_ref": ID_DOCUMENT,
    }
    for field, value in expected.items():
        response = disclose(office, regulator, number, {"field": field, "legal_basis": basis})
        assert response.status_code == 201, response.text
        assert response.json()["value"] == value
    assert count(store, "disclosures") == 5
    assert count(store, "person_notices") == 5


# ── the request log ──────────────────────────────────────────────────────────────────────
def test_every_regulator_request_is_logged_without_its_body(
    office: BackOffice, regulator: Member, store: Store
) -> None:
    number = certify(office, setup_scheme(office))
    basis = "Art. 12 of the Welding Inspection Act"
    before = count(store, "regulator_requests")
    client, auditor = office.client, member(office, "auditor")
    sent = [
        (reg(office, regulator, "/certifications", limit=5), 200),
        (reg(office, regulator, "/certifications", cursor="garbage"), 400),
        (reg(office, regulator, "/changes", limit=0), 422),
        (reg(office, regulator, "/export", format="csv"), 200),
        (reg(office, regulator, "/export", format="xml"), 422),
        (reg(office, regulator, "/no-such-route"), 404),
        (client.get(f"{REG}/certifications"), 401),
        (client.get(f"{REG}/certifications", headers=auditor.headers), 403),
        (client.delete(f"{REG}/certifications", headers=regulator.headers), 405),
        (disclose(office, regulator, number, {"field": "email", "legal_basis": basis}), 201),
        (disclose(office, regulator, number, {"field": "email"}), 422),
    ]
    for response, status in sent:
        assert response.status_code == status, response.text
    office.call("GET", "/certifications", auditor)  # the staff API is not logged here
    assert count(store, "regulator_requests") == before + len(sent)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM regulator_requests ORDER BY seq")).mappings().all()
    assert [r["status"] for r in rows] == [status for _, status in sent]
    assert rows[0]["method"] == "GET"
    assert rows[0]["path"] == f"{REG}/certifications"
    assert rows[0]["query"] == "limit=5"
    assert rows[0]["token_id"] is not None
    assert rows[0]["staff_id"] is None
    assert rows[6]["token_id"] is None  # no token
    assert rows[7]["staff_id"] == auditor.staff_id  # a staff token, refused, still named
    for row in rows:
        flat = json.dumps({k: str(v) for k, v in row.items()})
        assert basis not in flat
        assert "ana.moreau" not in flat


# ── bad parameters ───────────────────────────────────────────────────────────────────────
def _cursor(document: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


BAD_CURSORS = [
    "",
    "garbage!",
    "a",
    "////",
    "A" * 600,
    _cursor([1, 2]),
    _cursor({"k": "certifications"}),
    _cursor({"k": "certifications", "p": []}),
    _cursor({"k": "certifications", "p": ["2026-11-25T09:00:00+00:00"]}),
    _cursor({"k": "certifications", "p": ["2026-11-25T09:00:00", "7K3M"]}),
    _cursor({"k": "certifications", "p": ["9999-12-31T23:59:59+00:00", "7K3M"]}),
    _cursor({"k": "certifications", "p": ["yesterday", "7K3M"]}),
    _cursor({"k": "certifications", "p": ["2026-11-25T09:00:00+00:00", "7K3M\u0000"]}),
    _cursor({"k": "certifications", "p": ["2026-11-25T09:00:00+00:00", 7]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", 1, 3, ""]}),
    _cursor({"k": "certifications", "p": ["2026-11-25T09:00:00+00:00", "x" * 65]}),
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode().rstrip("="),
    base64.urlsafe_b64encode(b"[" * 400).decode().rstrip("="),
]
BAD_AFTERS = [
    "",
    "garbage!",
    _cursor({"k": "certifications", "p": ["2026-11-25T09:00:00+00:00", "7K3M"]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", 2, 0, "x"]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", True, 0, "x"]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", 0, 5, "x"]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", 0, 0, ""]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", 1, 2**64, ""]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", 1, -1, ""]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", 1, 4, "x"]}),
    _cursor({"k": "changes", "p": ["2026-11-25T09:00:00+00:00", 1, 4.5, ""]}),
    _cursor({"k": "changes", "p": ["0001-01-01T00:00:00+00:00", 1, 4, ""]}),
]


def test_bad_cursors_limits_and_formats_are_typed_problems(
    office: BackOffice, regulator: Member
) -> None:
    certify(office, setup_scheme(office))
    for cursor in BAD_CURSORS:
        response = reg(office, regulator, "/certifications", cursor=cursor)
        if len(cursor) > 512:
            problem(response, 422, "validation-failed")
        else:
            problem(response, 400, "invalid-cursor")
    for after in BAD_AFTERS:
        problem(reg(office, regulator, "/changes", after=after), 400, "invalid-cursor")
    for path in ("/certifications", "/changes"):
        for limit in ("0", "-1", "1001", "abc", str(2**70), "1.5", ""):
            problem(reg(office, regulator, path, limit=limit), 422, "validation-failed")
    for fmt in ("xml", "JSONL", "", "csv;"):
        problem(reg(office, regulator, "/export", format=fmt), 422, "validation-failed")
    for path in ("/certifications", "/export"):
        for params in (
            {"status": "revoked"},
            {"changed_since": "2026-11-25T09:00:00"},  # no offset: never guessed
            {"changed_since": "yesterday"},
            {"changed_since": "9999-12-31T23:59:59+00:00"},
            {"scheme": "x" * 65},
            {"scheme": ""},
        ):
            problem(reg(office, regulator, path, **params), 422, "validation-failed")
        problem(reg(office, regulator, path, scheme="NOPE"), 404, "not-found")
    problem(reg(office, regulator, "/certifications", cursor="a\u0000b"), 400, "malformed-request")


def test_fuzzed_query_parameters_never_produce_a_server_error(
    office: BackOffice, regulator: Member
) -> None:
    certify(office, setup_scheme(office))
    valid = ok(reg(office, regulator, "/certifications", limit=1))["next_cursor"]
    names = ["scheme", "status", "changed_since", "cursor", "after", "limit", "format", "x"]
    interesting = [
        "WI",
        "active",
        "suspended",
        "csv",
        "jsonl",
        "0",
        "1",
        "1000",
        "2026-11-25T09:00:00+00:00",
        "2026-11-25T09:00:00Z",
        str(valid),
        str(valid)[:-1],
        str(valid) + "A",
    ]
    values = st.sampled_from(interesting) | st.text(
        alphabet=st.characters(codec="utf-8"), max_size=40
    )

    @hypothesis_settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        path=st.sampled_from(["/certifications", "/changes", "/export"]),
        params=st.dictionaries(st.sampled_from(names), values, max_size=4),
    )
    def probe(path: str, params: dict[str, str]) -> None:
        response = reg(office, regulator, path, **params)
        assert response.status_code < 500, response.text[:500]
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            kind = response.json()["type"].removeprefix("/problems/")
            assert PROBLEM_KINDS[kind][0] == response.status_code

    probe()
