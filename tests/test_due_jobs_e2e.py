"""Expired means expired everywhere, by itself (clauses 9.6, 7.2.1), end to end.

The all-in-one app runs as ``certreg serve`` runs it: its background publisher and its
background due jobs, both driven by the test's clock, with no call from the test to either.
The clock is moved past a certification's last valid day; then the register entry, the
directory, the page behind the QR code, the verifier and the regulators' listing and change
feed all say expired — and on the last valid day itself, all still say valid.

The scheme's cycle is one month, so that the status lists signed at the grant are still
within their validity (set to the 30 days allowed) when the certification expires: a valid
certification must read as valid up to the last second, not as "cannot confirm".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.model import Role
from issuer.process.due import BackgroundDueJobs
from issuer.publication import outbox
from issuer.settings import Settings
from issuer.store import Store
from registry import Registry, RegistryStore
from tests.backoffice import BackOffice, Member, candidate, enrol_office, exam_body, member
from tests.backoffice import scheme_body as example_scheme
from tests.conftest import FrozenClock, SeededEntropy

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LAST_VALID_DAY = date(2026, 12, 24)  # granted 2026-11-25 under a one-month cycle
SETTLED = 6  # seconds: the regulators' feed holds back its last five


@dataclass
class Serving:
    office: BackOffice
    client: TestClient
    clock: FrozenClock
    due_jobs: BackgroundDueJobs
    regulator: Member

    def wait_for(self, what: str, condition: Callable[[], bool], seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"not within {seconds} s: {what}")
            time.sleep(0.02)

    def due_jobs_ran_twice(self) -> None:
        """Wait until the background due jobs completed two runs after now (so at least
        one run started after whatever the test just did)."""
        target = self.due_jobs.runs + 2
        self.wait_for("two runs of the due jobs", lambda: self.due_jobs.runs >= target)


@pytest.fixture
def serving(
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Iterator[Serving]:
    unlimited = settings.model_copy(
        update={
            "registry_lookup_per_minute": 0,
            "registry_page_per_minute": 0,
            "status_list_validity_seconds": 30 * 86_400,
        }
    )
    app = create_app(
        unlimited,
        store=store,
        clock=clock,
        entropy=entropy,
        keyring=keyring,
        registry=Registry(registry_store),
        publish_interval=0.05,
        due_jobs_interval=0.05,
    )
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    with TestClient(app) as client:
        office = enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))
        yield Serving(
            office=office,
            client=client,
            clock=clock,
            due_jobs=app.state.due_jobs,
            regulator=office.enrol("regulator", Role.REGULATOR),
        )
    assert not app.state.due_jobs.running  # stopped with the app


def _certify(office: BackOffice) -> tuple[str, str]:
    """Ana Moreau certified under a one-month cycle: her certificate number and credential."""
    manager = member(office, "manager")
    scheme = office.ok(
        "POST", "/schemes", manager, example_scheme() | {"recertification_interval_months": 1}
    )
    examiner = member(office, "examiner").staff_id
    office.ok("POST", f"/staff/{examiner}/approvals", manager, {"scheme_id": scheme["id"]})
    accepted = candidate(office, scheme, ["VT-STEEL"])
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
        {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"},
    )
    certification = decision["certification"]
    assert certification["expiry_date"] == LAST_VALID_DAY.isoformat()
    detail = office.ok(
        "GET", f"/certifications/{certification['certificate_number']}", member(office, "auditor")
    )
    return certification["certificate_number"], detail["credentials"][0]["id"]


def _answers(serving: Serving, number: str, credential_id: str) -> dict[str, Any]:
    """What every public answer and the regulators say about the certification now."""
    client, office = serving.client, serving.office
    register = client.get(f"/register/{number}", params={"family_name": "Moreau"})
    directory = client.get("/directory", params={"name": "Moreau"}).json()["results"]
    qr = client.get(f"/v/{credential_id}", headers={"Accept": "application/json"}).json()
    token = office.call("GET", f"/credentials/{credential_id}", member(office, "registrar")).text
    verified = client.post("/credentials/verify", json={"verifiableCredential": token}).json()
    listing = client.get("/regulator/v1/certifications", headers=serving.regulator.headers).json()[
        "certifications"
    ]
    return {
        "register": register.json()["entry"]["status"] if register.status_code == 200 else None,
        "directory": [r["status"] for r in directory if r["certificateNumber"] == number],
        "qr": qr["status"],
        "verified": verified["verified"],
        "regulator": [c["status"] for c in listing if c["certificate_number"] == number],
    }


def _published_as_expired(serving: Serving, number: str, credential_id: str) -> bool:
    """Whether the register and the directory (what the issuer publishes) say expired."""
    answers = _answers(serving, number, credential_id)
    return bool(answers["register"] == "expired" and answers["directory"] == ["expired"])


def test_expired_means_expired_everywhere_by_itself(serving: Serving) -> None:
    number, credential_id = _certify(serving.office)
    valid = {
        "register": "active",
        "directory": ["active"],
        "qr": "valid",
        "verified": True,
        "regulator": ["active"],
    }
    serving.wait_for("publication", lambda: _answers(serving, number, credential_id) == valid)

    # The last second of the last valid day: still valid, whatever the due jobs do.
    serving.clock.now = datetime(2026, 12, 24, 23, 59, 59, tzinfo=UTC)
    serving.due_jobs_ran_twice()
    assert _answers(serving, number, credential_id) == valid

    # The next day: nobody calls anything; the due jobs and the publisher do it all.
    serving.clock.now = datetime(2026, 12, 25, 0, 0, 30, tzinfo=UTC)
    serving.wait_for(
        "the register and the directory to say expired",
        lambda: _published_as_expired(serving, number, credential_id),
    )
    assert _answers(serving, number, credential_id) == {
        "register": "expired",
        "directory": ["expired"],
        "qr": "expired",
        "verified": False,
        "regulator": ["expired"],
    }
    page = serving.client.get(f"/v/{credential_id}", headers={"Accept": BROWSER}).text
    assert "expired at the end of December 24, 2026 (UTC): it is no longer valid." in page

    # The regulators' feed: recorded when the job ran, in effect from the end of the day.
    serving.clock.advance(seconds=SETTLED)
    changes = serving.client.get("/regulator/v1/changes", headers=serving.regulator.headers).json()[
        "changes"
    ]
    [expiry] = [c for c in changes if c["change"] == "expired"]
    assert expiry["certificate_number"] == number
    assert expiry["effective_at"] == "2026-12-25T00:00:00Z"
    assert expiry["recorded_at"] >= "2026-12-25T00:00:30Z"

    # Running on changes nothing: one expiry on record, however often the jobs ran.
    serving.due_jobs_ran_twice()
    detail = serving.office.ok(
        "GET", f"/certifications/{number}", member(serving.office, "auditor")
    )
    assert [d["kind"] for d in detail["lifecycle"]] == ["expire"]
    assert [h["action"] for h in detail["history"]].count("certification.expire") == 1
