"""The one status an Open Badge carries, end to end: a Bitstring ``message`` list of two-bit
entries, published through the outbox, served by the registry at ``/status/{list_id}``
beside the revocation and suspension lists, and read alike by certreg's codec, a decoder
written here from the Recommendation's text and one in Node.js (tests/js/bitstring-2bit.mjs)
— on the lists certreg publishes and on the derived two-bit vector.

Also: the slot is claimed once per certificate credential, on the first export; a new
certificate (a scope change) gets a new one; the old badge then verifies as *superseded* by
the new certificate, as its certificate does — through the registry's own verifier and
through one that reaches the registry over HTTP only — while a withdrawn certification's
badge stays *revoked*; the lists are signed again before they lapse.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.credentials.message_status import MESSAGE_STATUS_LIST_KIND
from issuer.publication import outbox
from issuer.store import message_status
from schemas import bitstring_status_list as bsl
from tests.app_client import through_the_app
from tests.backoffice import BackOffice, candidate, exam_body, grant, member
from tests.conftest import FrozenClock
from tests.node import JS
from tests.test_openbadges import _export, _part, _publish, _verify
from tests.test_registry_e2e import public  # noqa: F401 (fixture)
from verifier import HttpFetcher, TrustPolicy, http_verifier

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"
BASE = "https://certs.example.test"


def _decode(encoded_list: str, index: int, size: int = 2) -> int:
    """An entry's value, from the text alone: base64url after ``u``, GUNZIP, then ``size``
    bits from bit ``index × size``, the first the most significant."""
    data = gzip.decompress(base64.urlsafe_b64decode(encoded_list[1:] + "=" * 3))
    value = 0
    for position in range(index * size, index * size + size):
        value = (value << 1) | (data[position // 8] >> (7 - position % 8)) & 1
    return value


def _node(lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but node is not installed")
        pytest.skip("node is not installed (Debian package nodejs)")
    done = subprocess.run(
        [node, str(JS / "bitstring-2bit.mjs")],
        input=json.dumps({"lists": lists}).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    answer: list[dict[str, Any]] = json.loads(done.stdout)
    return answer


def _served(client: TestClient, entry: dict[str, Any]) -> dict[str, Any]:
    served = client.get(entry["statusListCredential"].removeprefix(BASE))
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "application/vc+jwt"
    return _part(served.text, 1)


def _value(client: TestClient, entry: dict[str, Any]) -> int:
    """The entry's value in the served list, read three ways that must agree."""
    subject = _served(client, entry)["credentialSubject"]
    encoded, index = subject["encodedList"], int(entry["statusListIndex"])
    ours = bsl.get_status(bsl.decode_list(encoded), index, 2)
    [theirs] = _node([{"encodedList": encoded, "statusSize": 2, "indexes": [index]}])
    assert ours == _decode(encoded, index) == theirs["values"][str(index)]
    return ours


def test_the_derived_two_bit_vector_reads_alike_three_ways() -> None:
    """The vector is derived, not the Recommendation's: an independent decoder confirms it."""
    vector = json.loads(
        (VECTORS / "w3c-bitstring-status-list" / "derived_msb_first_2bit.json").read_text("utf-8")
    )
    expected = {int(k): v for k, v in vector["expected"].items()}
    encoded = vector["encodedList"]
    bits = bsl.decode_list(encoded)
    assert bits[:2].hex() == vector["first_two_bytes_hex"]
    [node] = _node([{"encodedList": encoded, "statusSize": 2, "indexes": list(expected)}])
    assert node["entries"] == vector["list_length_entries"]
    for index, value in expected.items():
        assert bsl.get_status(bits, index, 2) == _decode(encoded, index) == value, index
        assert node["values"][str(index)] == value, index


def test_one_entry_follows_suspension_reinstatement_and_withdrawal(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    token = _export(office, number)
    entry = _part(token, 1)["credentialStatus"]
    _publish(client)

    listed = _served(client, entry)
    subject = listed["credentialSubject"]
    assert listed["id"] == entry["statusListCredential"]
    assert listed["issuer"] == _part(token, 1)["issuer"]["id"]
    assert listed["validFrom"] < listed["validUntil"]
    assert subject["statusPurpose"] == "message"
    assert subject["statusSize"] == 2
    assert subject["statusMessages"] == entry["statusMessage"]
    bits = bsl.decode_list(subject["encodedList"])
    assert bsl.require_minimum_entries(bits, 2) >= bsl.MIN_ENTRIES
    assert _value(client, entry) == 0

    decider = member(office, "decider")
    steps = [
        ("suspend", {"reason": "audit overdue"}, 2, "suspended"),
        ("reinstate", {"reason": "audit done"}, 0, "valid"),
        ("suspend", {"reason": "audit overdue again"}, 2, "suspended"),
        ("withdraw", {"reason": "misconduct"}, 1, "revoked"),
    ]
    for action, body, value, verdict in steps:
        office.ok("POST", f"/certifications/{number}/{action}", decider, body)
        _publish(client)
        assert _value(client, entry) == value, action
        assert _verify(client, token)["verdict"] == verdict, action


def _grant_another(office: BackOffice, scheme_id: str) -> str:
    """A second person certified in the same scheme: their certificate number."""
    accepted = candidate(office, {"id": scheme_id}, ["VT-STEEL"])
    examiner = member(office, "examiner")
    office.ok("POST", "/examinations", examiner, exam_body(accepted["id"], date(2026, 11, 20)))
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    decision = office.ok("POST", "/decisions", member(office, "decider"), body)
    number: str = decision["certification"]["certificate_number"]
    return number


def test_the_slot_is_claimed_once_per_certificate(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, client = public
    granted = grant(office)["certification"]
    first = granted["certificate_number"]
    second = _grant_another(office, granted["scheme_id"])
    entry = _part(_export(office, first), 1)["credentialStatus"]
    preview = office.ok(
        "GET", f"/certifications/{first}/openbadge?format=json", member(office, "auditor")
    )
    assert preview["credentialStatus"] == entry
    assert _part(_export(office, first, who="admin"), 1)["credentialStatus"] == entry
    other = _part(_export(office, second), 1)["credentialStatus"]
    assert other["statusListCredential"] == entry["statusListCredential"]  # one open list
    assert other["statusListIndex"] != entry["statusListIndex"]
    # Suspending one certification sets its slot only.
    office.ok(
        "POST", f"/certifications/{first}/suspend", member(office, "decider"), {"reason": "x"}
    )
    _publish(client)
    assert (_value(client, entry), _value(client, other)) == (2, 0)


def _verify_over_http(client: TestClient, token: str, clock: FrozenClock) -> dict[str, Any]:
    """What a verifier that knows only the registry's public HTTP paths answers: keys, status
    lists and the register entry (``/register/{number}?family_name=…``) fetched from it."""

    policy = TrustPolicy.trusting(BASE)
    with through_the_app(client, BASE) as http:
        verifier = http_verifier(policy, fetcher=HttpFetcher(policy, client=http))
        report = verifier.check(token, now=clock())
    return {"verdict": report.verdict, "supersededBy": report.superseded_by}


def test_a_replaced_certificate_and_its_badge_are_superseded_by_the_new_certificate(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    clock: FrozenClock,
) -> None:
    """The register entry lists the certificates, and a badge is named after the certificate
    it restates: a holder whose badge was replaced by a scope change must not read as
    withdrawn, so the badge gets its certificate's verdict and pointer."""
    office, client = public
    number = grant(office, ["VT-STEEL", "VT-PRESSURE"])["certification"]["certificate_number"]
    old_badge = _export(office, number)
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    [old] = [c for c in detail["credentials"] if c["superseded_by"] is None]
    certificate = office.call("GET", f"/credentials/{old['id']}", member(office, "registrar")).text
    office.ok(
        "POST",
        f"/certifications/{number}/scope",
        member(office, "decider"),
        {"scope": ["VT-STEEL"]},
    )
    _publish(client)
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    [current] = [c for c in detail["credentials"] if c["superseded_by"] is None]
    successor = f"urn:uuid:{current['id']}"
    for check in (_verify, lambda c, t: _verify_over_http(c, t, clock)):
        for token in (certificate, old_badge):
            answer = check(client, token)
            assert (answer["verdict"], answer["supersededBy"]) == ("superseded", successor)
    assert _value(client, _part(old_badge, 1)["credentialStatus"]) == 1
    new_badge = _export(office, number)
    _publish(client)
    assert _verify(client, new_badge)["verdict"] == "valid"
    assert _verify_over_http(client, new_badge, clock)["verdict"] == "valid"
    assert _part(new_badge, 1)["id"] != _part(old_badge, 1)["id"]
    new_entry, old_entry = (_part(t, 1)["credentialStatus"] for t in (new_badge, old_badge))
    assert new_entry["id"] != old_entry["id"]

    # Withdrawn is withdrawn: the badge of the current certificate reads revoked, no pointer.
    office.ok(
        "POST", f"/certifications/{number}/withdraw", member(office, "decider"), {"reason": "x"}
    )
    _publish(client)
    for check in (_verify, lambda c, t: _verify_over_http(c, t, clock)):
        answer = check(client, new_badge)
        assert (answer["verdict"], answer["supersededBy"]) == ("revoked", None)
        # The replaced one stays replaced: the entry still names what replaced it.
        assert check(client, old_badge)["supersededBy"] == successor


def test_message_lists_are_signed_again_before_they_lapse(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    clock: FrozenClock,
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    entry = _part(_export(office, number), 1)["credentialStatus"]
    _publish(client)
    list_id = entry["statusListCredential"].rsplit("/", 1)[1]
    signed = _served(client, entry)
    with office.store.transaction() as tx:
        assert tx.lapsing_message_status_lists(clock(), 10) == []
    clock.advance(minutes=11)  # past half the 20 minutes a list is valid
    with office.store.transaction() as tx:
        assert tx.lapsing_message_status_lists(clock(), 10) == [list_id]
    assert outbox.enqueue_lapsing_status_lists(office.store, clock=clock) >= 1
    with office.store.transaction() as tx:
        pending = {(kind, key) for _, kind, key in tx.pending_publications(100)}
    assert (MESSAGE_STATUS_LIST_KIND, list_id) in pending
    _publish(client)
    again = _served(client, entry)
    assert again["validFrom"] > signed["validFrom"]
    assert again["credentialSubject"]["encodedList"] == signed["credentialSubject"]["encodedList"]
    assert message_status.MESSAGE_STATUS_LIST_KIND == MESSAGE_STATUS_LIST_KIND
    with office.store.transaction() as tx:
        assert (MESSAGE_STATUS_LIST_KIND, list_id) in tx.resignable_publication_keys()
        assert (MESSAGE_STATUS_LIST_KIND, list_id) in tx.all_publication_keys()


def test_the_preview_writes_nothing_and_cites_the_slot_once_a_badge_claimed_it(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    """A GET must not write: before any signed badge the preview has no status entry (the
    index is drawn only when a badge is signed) and claims no slot, counts nothing, opens
    and publishes no list; after one, it cites the slot every badge cites."""
    office, _ = public
    number = grant(office)["certification"]["certificate_number"]
    auditor = member(office, "auditor")
    with office.store.transaction() as tx:
        waiting = tx.pending_publications(1000)
    preview = office.ok("GET", f"/certifications/{number}/openbadge?format=json", auditor)
    assert "credentialStatus" not in preview
    with office.store.transaction() as tx:
        assert tx.message_status_list_ids() == []
        assert tx.pending_publications(1000) == waiting
        assert tx.audit_entries(after=0, limit=1000)[-1].action != "credential.exported"
    entry = _part(_export(office, number), 1)["credentialStatus"]
    again = office.ok("GET", f"/certifications/{number}/openbadge?format=json", auditor)
    assert again["credentialStatus"] == entry
    assert {k: v for k, v in again.items() if k != "credentialStatus"} == preview


def test_staff_fetch_the_message_list_a_badge_names(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    """``GET /api/v1/status-lists/{id}`` serves a message list as it serves the revocation
    and suspension lists: a ``vc+jwt`` of the list as the store says it is now."""
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    entry = _part(_export(office, number), 1)["credentialStatus"]
    list_id = entry["statusListCredential"].rsplit("/", 1)[1]
    office.ok(
        "POST", f"/certifications/{number}/suspend", member(office, "decider"), {"reason": "x"}
    )
    _publish(client)
    fetched = office.call("GET", f"/status-lists/{list_id}", member(office, "registrar"))
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"] == "application/vc+jwt"
    listed = _part(fetched.text, 1)
    assert listed["id"] == entry["statusListCredential"]
    subject = listed["credentialSubject"]
    assert (subject["statusPurpose"], subject["statusSize"]) == ("message", 2)
    assert subject["encodedList"] == _served(client, entry)["credentialSubject"]["encodedList"]
    assert (
        bsl.get_status(bsl.decode_list(subject["encodedList"]), int(entry["statusListIndex"]), 2)
        == 2
    )
    missing = office.call("GET", "/status-lists/no-such-list", member(office, "registrar"))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
