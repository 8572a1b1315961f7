"""A compromised signing key, and the way back (ISO/IEC 17024 9.4, 9.7).

Declaring the signing key compromised used to leave the body with no key at all: nothing
could be signed, the compromise reached the registry only once someone rotated, and every
certificate the key had signed read "not valid" for good, with no way to give its holder a
valid one. Now the declaration makes a successor and queues the announcement at once, and
the re-issue replaces every valid certificate and mark the key signed — suspended ones
suspended — queueing a notice to each holder; the page behind an old QR code says the
certificate was replaced and links the new one.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from issuer.cli import app as cli
from issuer.credentials import keys as issuer_keys
from issuer.credentials.issuance import issue_certificate
from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.model import KeyState
from issuer.process import compromise
from issuer.process.due import BackgroundDueJobs
from issuer.publication import outbox
from issuer.settings import Settings
from issuer.store import Store
from issuer.store.certifications import _owed_reissues
from registry import Registry, RegistryStore
from tests.backoffice import (
    BackOffice,
    candidate,
    enrol_office,
    exam_body,
    grant,
    member,
    person_body,
    setup_scheme,
)
from tests.conftest import PASSPHRASE, START, FrozenClock, SeededEntropy
from tests.test_credentials import SVG_MARK

JSON = {"Accept": "application/json"}


@dataclass
class Serving:
    """The all-in-one app as ``certreg serve`` runs it: its publisher and its due jobs run
    by themselves, driven by the test's clock."""

    office: BackOffice
    client: TestClient
    due_jobs: BackgroundDueJobs


def wait_for(what: str, condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.02)


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
        update={"registry_lookup_per_minute": 0, "registry_page_per_minute": 0}
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
        yield Serving(office=office, client=client, due_jobs=app.state.due_jobs)


def certify(office: BackOffice, scheme: dict[str, Any], given: str, family: str) -> tuple[str, str]:
    """``given family`` certified in ``scheme``: the certificate number and the person's id."""
    person = office.ok("POST", "/persons", member(office, "registrar"), person_body(given, family))
    accepted = candidate(office, scheme, ["VT-STEEL"], person_id=person["id"])
    office.ok(
        "POST", "/examinations", member(office, "examiner"), exam_body(accepted["id"], START.date())
    )
    decision = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    granted = office.ok("POST", "/decisions", member(office, "decider"), decision)
    return granted["certification"]["certificate_number"], person["id"]


def credentials(office: BackOffice, number: str) -> list[dict[str, Any]]:
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    found: list[dict[str, Any]] = detail["credentials"]
    return found


def current(office: BackOffice, number: str, kind: str = "certificate") -> dict[str, Any]:
    [found] = [
        c for c in credentials(office, number) if c["kind"] == kind and c["status"] != "superseded"
    ]
    return found


def page(client: TestClient, credential_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"/v/{credential_id}", headers=JSON).json()
    return answer


def active_kid(office: BackOffice) -> str:
    listed = office.ok("GET", "/keys", member(office, "admin"))
    [kid] = [k["kid"] for k in listed if k["state"] == "active"]
    return str(kid)


def define_mark(
    office: BackOffice, scheme: dict[str, Any], rules: str = "Use it only while certified."
) -> None:
    office.ok(
        "PUT",
        f"/schemes/{scheme['id']}/mark",
        member(office, "manager"),
        {
            "media_type": "image/svg+xml",
            "image_base64": base64.b64encode(SVG_MARK).decode(),
            "rules": rules,
        },
    )


def grant_mark(office: BackOffice, number: str) -> dict[str, Any]:
    registrar = member(office, "registrar")
    office.ok("POST", f"/certifications/{number}/mark-agreement", registrar)
    mark: dict[str, Any] = office.ok("POST", f"/certifications/{number}/marks", registrar)
    return mark


def test_a_compromised_key_is_announced_at_once_and_what_it_signed_is_reissued(
    serving: Serving,
) -> None:
    office, client = serving.office, serving.client
    scheme = setup_scheme(office)
    define_mark(office, scheme)
    ana, ana_person = certify(office, scheme, "Ana", "Moreau")
    ana_mark = grant_mark(office, ana)["id"]
    ben, ben_person = certify(office, scheme, "Ben", "Lenoir")
    office.ok(
        "POST",
        f"/certifications/{ben}/suspend",
        member(office, "decider"),
        {"reason": "eye test overdue"},
    )
    cleo, cleo_person = certify(office, scheme, "Cléo", "Durand")
    office.ok(
        "POST",
        f"/certifications/{cleo}/withdraw",
        member(office, "decider"),
        {"reason": "falsified evidence"},
    )
    ana_old, ben_old, cleo_old = (current(office, n)["id"] for n in (ana, ben, cleo))
    wait_for("publication", lambda: page(client, ana_old)["status"] == "valid")
    assert page(client, ben_old)["status"] == "suspended"
    kid = active_kid(office)
    old_token = office.call("GET", f"/credentials/{ana_old}", member(office, "registrar")).text

    answer = office.ok("POST", f"/keys/{kid}/compromised", member(office, "admin"))

    assert (answer["kid"], answer["state"]) == (kid, "compromised")
    successor = answer["successor"]
    assert (successor["state"], successor["alg"]) == ("active", "ES256")
    new_kid = successor["kid"]
    assert answer["republished"]["issuer-keys"] == 1
    assert answer["republished"]["register-entry"] == 3
    assert answer["republished"]["scheme"] == 1
    assert answer["republished"]["status-list"] >= 2
    assert answer["to_reissue"] == 2  # Ana and Ben; Cléo's certification is withdrawn

    # Published at once: the registry's keys say the key is revoked, and name its successor.
    def announced() -> bool:
        served = client.get("/.well-known/jwks.json").json()
        return [k["kid"] for k in served["keys"]] == [new_kid]

    wait_for("the registry to publish the compromise", announced)
    did = client.get("/.well-known/did.json").json()
    revoked = {m["id"].rsplit("#", 1)[1]: m.get("revoked") for m in did["verificationMethod"]}
    assert revoked == {kid: "2026-11-25T09:00:00Z", new_kid: None}
    refused = client.post("/credentials/verify", json={"verifiableCredential": old_token}).json()
    assert refused["verified"] is False
    assert any("revoked" in p["detail"] for p in refused["problemDetails"])

    # The server re-issues by itself, under the new key, and the registry gets it all.
    ana_new = {"certificate": "", "mark": ""}

    def reissued() -> bool:
        for kind in ana_new:
            ana_new[kind] = current(office, ana, kind)["id"]
        return ana_new["certificate"] != ana_old and all(
            page(client, i)["status"] == "valid" for i in ana_new.values()
        )

    wait_for("Ana's new certificate and mark to verify", reissued)
    ben_new = current(office, ben)
    wait_for(
        "Ben's new certificate to be published",
        lambda: page(client, ben_new["id"])["status"] != "not-valid",
    )

    by_id = {c["id"]: c for c in credentials(office, ana)}
    assert {by_id[i]["kid"] for i in ana_new.values()} == {new_kid}
    assert by_id[ana_new["certificate"]]["supersedes"] == ana_old
    assert by_id[ana_old]["superseded_by"] == ana_new["certificate"]
    assert by_id[ana_mark]["superseded_by"] == ana_new["mark"]

    # The old QR codes say "replaced" and point to the new credentials.
    for old, new in (
        (ana_old, ana_new["certificate"]),
        (ana_mark, ana_new["mark"]),
        (ben_old, ben_new["id"]),
    ):
        answer_now = page(client, old)
        assert (answer_now["status"], answer_now["supersededBy"]) == (
            "superseded",
            f"urn:uuid:{new}",
        )
        assert answer_now["verified"] is False
    html = client.get(f"/v/{ana_old}", headers={"Accept": "text/html"}).text
    assert "Superseded" in html
    assert f'href="/v/{ana_new["certificate"]}"' in html
    # A suspended certification stays suspended under its new certificate.
    assert ben_new["kid"] == new_kid
    assert page(client, ben_new["id"])["status"] == "suspended"
    # A withdrawn certification is not re-issued: its certificate stays not valid.
    assert [c["id"] for c in credentials(office, cleo)] == [cleo_old]
    assert page(client, cleo_old)["status"] == "not-valid"

    entry = client.get(f"/register/{ana}", params={"family_name": "Moreau"}).json()["entry"]
    states = {c["id"]: (c["status"], c.get("supersededBy")) for c in entry["credentials"]}
    assert states[f"urn:uuid:{ana_old}"] == ("superseded", f"urn:uuid:{ana_new['certificate']}")
    assert states[f"urn:uuid:{ana_new['certificate']}"] == ("active", None)
    verified_new = client.post(
        "/credentials/verify",
        json={
            "verifiableCredential": office.call(
                "GET", f"/credentials/{ana_new['certificate']}", member(office, "registrar")
            ).text
        },
    ).json()
    assert verified_new["verified"] is True

    # A notice to each holder re-issued, naming the new credential; none to Cléo.
    registrar = member(office, "registrar")
    notices = {
        who: [
            n
            for n in office.ok("GET", f"/persons/{person}/notices", registrar)
            if n["kind"] == "reissued-after-key-compromise"  # the grant's notice is first
        ]
        for who, person in (("ana", ana_person), ("ben", ben_person), ("cleo", cleo_person))
    }
    assert [(n["kind"], n["credential_id"], n["sent_at"]) for n in notices["ana"]] == [
        ("reissued-after-key-compromise", ana_new["certificate"], None)
    ]
    assert [n["credential_id"] for n in notices["ben"]] == [ben_new["id"]]
    assert notices["cleo"] == []

    # Audited, by the server's jobs, with the new credentials as subjects.
    with office.store.transaction() as tx:
        entries = [e for e in tx.audit_entries(limit=1000) if e.action == "credential.reissued"]
    assert {e.subject_id for e in entries} == {
        ana_new["certificate"],
        ana_new["mark"],
        ben_new["id"],
    }
    assert {e.actor for e in entries} == {"system:due-jobs"}

    # Nothing is owed any more, and running the job again re-issues nothing.
    before = len(entries)
    serving.due_jobs.tick()
    with office.store.transaction() as tx:
        assert compromise.owed(tx, now=office.clock()) == 0
        assert (
            len([e for e in tx.audit_entries(limit=1000) if e.action == "credential.reissued"])
            == before
        )


def test_the_signing_key_declared_compromised_is_replaced_so_the_body_signs_again(
    office: BackOffice,
) -> None:
    """Before, nothing could be granted until someone rotated (no-signing-key)."""
    kid = active_kid(office)
    answer = office.ok("POST", f"/keys/{kid}/compromised", member(office, "admin"))
    assert answer["successor"]["kid"] == active_kid(office)
    number = grant(office)["certification"]["certificate_number"]
    assert current(office, number)["kid"] == answer["successor"]["kid"]
    again = office.ok("POST", f"/keys/{kid}/compromised", member(office, "admin"))
    assert (again["state"], again["successor"], again["republished"]) == ("compromised", None, {})
    assert active_kid(office) == answer["successor"]["kid"]


def test_a_retired_key_declared_compromised_needs_no_successor(
    office: BackOffice, clock: FrozenClock
) -> None:
    number = grant(office)["certification"]["certificate_number"]
    old = active_kid(office)
    rotated = office.ok("POST", "/keys/rotate", member(office, "admin"), {"alg": "EdDSA"})
    answer = office.ok("POST", f"/keys/{old}/compromised", member(office, "admin"))
    assert answer["successor"] is None
    assert answer["to_reissue"] == 1
    assert active_kid(office) == rotated["kid"]
    services = office.client.app.state.services  # type: ignore[attr-defined]
    report = compromise.run_reissue(
        office.store,
        context=services.issuance,
        clock=clock,
        entropy=office.entropy,
        actor="system:cli",
    )
    assert (report.certifications, report.certificates, report.marks, report.remaining) == (
        1,
        1,
        0,
        0,
    )
    assert current(office, number)["kid"] == rotated["kid"]


def _declare(office: BackOffice, clock: FrozenClock) -> compromise.Compromise:
    with office.store.transaction() as tx:
        active = tx.active_signing_key()
        assert active is not None
        return compromise.declare(
            tx,
            kid=active.kid,
            passphrase=lambda: PASSPHRASE.encode(),
            now=clock(),
            actor="system:cli",
        )


def test_an_interrupted_reissue_resumes_and_reissues_nothing_twice(
    office: BackOffice, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = setup_scheme(office)
    people = [certify(office, scheme, given, "Moreau") for given in ("Ana", "Ben", "Cleo", "Dan")]
    old = {number: current(office, number)["id"] for number, _ in people}
    declared = _declare(office, clock)
    assert declared.owed == 4
    assert declared.successor is not None
    services = office.client.app.state.services  # type: ignore[attr-defined]
    batches: list[int] = []

    def run(**options: Any) -> compromise.ReissueReport:
        return compromise.run_reissue(
            office.store,
            context=services.issuance,
            clock=clock,
            entropy=office.entropy,
            actor="system:cli",
            progress=batches.append,
            **options,
        )

    # Stopped after one batch of one: one re-issued, three still owed.
    first = run(batch_size=1, stopping=lambda: len(batches) >= 1)
    assert (first.certifications, first.remaining) == (1, 3)

    # Killed in the middle of a batch: the batch is one transaction, nothing of it stays.
    calls: list[int] = []

    def dies_on_the_second(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return issue_certificate(*args, **kwargs)

    monkeypatch.setattr("issuer.process.compromise.issue_certificate", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        run(batch_size=2)
    monkeypatch.undo()
    with office.store.transaction() as tx:
        assert compromise.owed(tx, now=clock()) == 3

    # Run again: the rest, and nothing twice.
    rest = run()
    assert (rest.certifications, rest.certificates, rest.notices, rest.remaining) == (3, 3, 3, 0)
    assert run().certifications == 0
    for (number, person), old_id in zip(people, old.values(), strict=True):
        certificates = [c for c in credentials(office, number) if c["kind"] == "certificate"]
        assert len(certificates) == 2, number
        # Issued at the same instant of the test's clock: told apart by their links.
        previous, new = sorted(certificates, key=lambda c: c["superseded_by"] is None)
        assert (previous["id"], previous["superseded_by"], previous["status"]) == (
            old_id,
            new["id"],
            "superseded",
        )
        assert (new["kid"], new["supersedes"], new["status"]) == (
            declared.successor.kid,
            old_id,
            "active",
        )
        notices = office.ok("GET", f"/persons/{person}/notices", member(office, "registrar"))
        assert [n["credential_id"] for n in notices if n["kind"] != "granted"] == [new["id"]]
    with office.store.transaction() as tx:
        reissued = [e for e in tx.audit_entries(limit=1000) if e.action == "credential.reissued"]
    assert len(reissued) == 4
    assert {e.actor for e in reissued} == {"system:cli"}


def test_a_mark_signed_by_the_compromised_key_is_reissued_alone(
    office: BackOffice, clock: FrozenClock
) -> None:
    """The certificate was signed by an earlier key, the mark by the one compromised: the
    certificate stays, the mark is replaced, sharing the certificate's status bits."""
    scheme = setup_scheme(office)
    define_mark(office, scheme)
    number, _ = certify(office, scheme, "Ana", "Moreau")
    certificate = current(office, number)
    office.ok("POST", "/keys/rotate", member(office, "admin"), {"alg": "ES256"})
    old_mark = grant_mark(office, number)
    declared = _declare(office, clock)
    assert declared.owed == 1
    services = office.client.app.state.services  # type: ignore[attr-defined]
    report = compromise.run_reissue(
        office.store,
        context=services.issuance,
        clock=clock,
        entropy=office.entropy,
        actor="system:cli",
    )
    assert (report.certificates, report.marks) == (0, 1)
    assert current(office, number)["id"] == certificate["id"]
    new_mark = current(office, number, "mark")
    assert new_mark["id"] != old_mark["id"]
    assert new_mark["depends_on"] == certificate["id"]
    assert declared.successor is not None
    assert new_mark["kid"] == declared.successor.kid
    with office.store.transaction() as tx:
        stored = tx.get_credential(new_mark["id"])
        previous = tx.get_credential(old_mark["id"])
        assert stored is not None
        assert previous is not None
        assert (stored.revocation, stored.suspension) == (previous.revocation, previous.suspension)
        assert previous.superseded_by == stored.id


def test_a_reissued_mark_keeps_the_rules_its_holder_agreed_to(
    office: BackOffice, clock: FrozenClock
) -> None:
    """The scheme defined a new mark since; the holder never agreed to its rules. A key
    compromise must not cost them their mark: it is re-issued under the mark they had."""
    scheme = setup_scheme(office)
    define_mark(office, scheme)
    number, _ = certify(office, scheme, "Ana", "Moreau")
    grant_mark(office, number)
    with office.store.transaction() as tx:
        agreed = tx.current_scheme_mark(scheme["id"])
    assert agreed is not None
    clock.advance(seconds=1)
    define_mark(office, scheme, rules="New rules, not yet agreed to.")
    _declare(office, clock)
    services = office.client.app.state.services  # type: ignore[attr-defined]
    report = compromise.run_reissue(
        office.store,
        context=services.issuance,
        clock=clock,
        entropy=office.entropy,
        actor="system:cli",
    )
    assert (report.certificates, report.marks) == (1, 1)
    new_mark = current(office, number, "mark")
    token = office.call("GET", f"/credentials/{new_mark['id']}", member(office, "registrar")).text
    payload = token.split(".")[1]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert f"/marks/{agreed.id}" in decoded


def test_expired_certifications_are_not_reissued(office: BackOffice, clock: FrozenClock) -> None:
    scheme = setup_scheme(office)
    number, _ = certify(office, scheme, "Ana", "Moreau")
    [credential] = credentials(office, number)
    _declare(office, clock)
    clock.now = START.replace(year=START.year + 4)  # past the three-year cycle
    services = office.client.app.state.services  # type: ignore[attr-defined]
    report = compromise.run_reissue(
        office.store,
        context=services.issuance,
        clock=clock,
        entropy=office.entropy,
        actor="system:cli",
    )
    assert (report.certifications, report.remaining) == (0, 0)
    assert [c["id"] for c in credentials(office, number)] == [credential["id"]]


# ── the command line ─────────────────────────────────────────────────────────────────────
@pytest.fixture
def runner(settings: Settings) -> CliRunner:
    return CliRunner(
        env={
            "CERTREG_KEY_PASSPHRASE": PASSPHRASE,
            "CERTREG_BASE_URL": settings.base_url,
            "CERTREG_BODY_NAME": settings.body_name,
        }
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_keys_compromised_on_the_command_line_declares_and_reissues(
    office: BackOffice, runner: CliRunner, tmp_path: Path
) -> None:
    """The data directory is the one the test's store lives in (SQLite only: the command
    opens the store from its settings)."""
    scheme = setup_scheme(office)
    numbers = [certify(office, scheme, given, "Moreau")[0] for given in ("Ana", "Ben")]
    kid = active_kid(office)
    data = ["--data-dir", str(tmp_path)]

    declared = runner.invoke(cli, ["keys", "compromised", kid, "--no-reissue", *data])
    assert declared.exit_code == 0, declared.output
    lines = declared.stdout.splitlines()
    new_kid = active_kid(office)
    assert lines == [f"{kid} compromised", f"{new_kid} active"]
    assert "queued for the public registry" in declared.stderr
    assert f"the keys, with {kid} marked revoked" in declared.stderr
    assert "2 certifications to re-issue" in declared.stderr
    assert all(current(office, n)["kid"] == kid for n in numbers)

    reissued = runner.invoke(cli, ["keys", "reissue", *data])
    assert reissued.exit_code == 0, reissued.output
    assert (
        reissued.stdout.strip()
        == "re-issued 2 certifications: 2 certificates; 2 notices to holders queued"
    )
    assert all(current(office, n)["kid"] == new_kid for n in numbers)

    again = runner.invoke(cli, ["keys", "reissue", *data])
    assert again.exit_code == 0
    assert again.stdout.startswith("nothing to re-issue")
    twice = runner.invoke(cli, ["keys", "compromised", kid, *data])
    assert twice.exit_code == 0, twice.output
    assert twice.stdout.splitlines() == [
        f"{kid} compromised",
        "nothing to re-issue: no valid certificate or mark is signed by a compromised key",
    ]
    assert "declared compromised before" in twice.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_keys_compromised_reissues_at_once_by_default(
    office: BackOffice, runner: CliRunner, tmp_path: Path
) -> None:
    scheme = setup_scheme(office)
    number, _ = certify(office, scheme, "Ana", "Moreau")
    kid = active_kid(office)
    result = runner.invoke(cli, ["keys", "compromised", kid, "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    new_kid = active_kid(office)
    assert result.stdout.splitlines() == [
        f"{kid} compromised",
        f"{new_kid} active",
        "re-issued 1 certification: 1 certificate; 1 notice to holders queued",
    ]
    assert current(office, number)["kid"] == new_kid
    with office.store.transaction() as tx:
        states = {k.kid: k.state for k in tx.list_signing_keys()}
    assert states == {kid: KeyState.COMPROMISED, new_kid: KeyState.ACTIVE}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_each_batch_of_the_reissue_walks_the_index_on_certifications(store: Store) -> None:
    """A batch reads from where the last one stopped, along the index on the certification
    id, and sorts nothing: the whole re-issue reads each current credential once. Without
    statistics, SQLite's planner would read every credential the key signed and sort them
    at every batch (half a second a batch over 300,000 credentials)."""
    with store.transaction() as tx:
        connection = tx._s.connection()
        statement = _owed_reissues(["a-kid"], START, sqlite=True, after="8").limit(200)
        sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
        plan = str(connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all())
    assert "SEARCH credentials USING INDEX ix_credentials_certification_id" in plan
    assert "TEMP B-TREE" not in plan


def test_what_a_key_compromised_before_the_upgrade_signed_is_reissued_once_a_key_signs(
    office: BackOffice, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    """An earlier release left no active key after `keys compromised`: the server's job
    waits, says so once, and re-issues as soon as a key signs again."""
    scheme = setup_scheme(office)
    number, _ = certify(office, scheme, "Ana", "Moreau")
    old = current(office, number)
    with office.store.transaction() as tx:
        issuer_keys.mark_compromised(tx, kid=old["kid"], now=clock())
    services = office.client.app.state.services  # type: ignore[attr-defined]
    job = compromise.reissue_job(services.issuance)
    for _ in range(2):
        with office.store.transaction() as tx:
            assert job.step(tx, now=clock(), entropy=office.entropy, limit=10) == []
    assert [r.message for r in caplog.records].count(
        "no active signing key: the re-issue waits for `certreg keys rotate`"
    ) == 1
    rotated = office.ok("POST", "/keys/rotate", member(office, "admin"), {})
    with office.store.transaction() as tx:
        [done] = job.step(tx, now=clock(), entropy=office.entropy, limit=10)
    assert done.certificate_number == number
    assert current(office, number)["kid"] == rotated["kid"]
