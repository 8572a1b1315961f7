"""The QR page ``/v/{credential_id}`` on credentials the back office issued and published.

Every banner a person holding a phone can meet — valid, suspended, withdrawn, expired,
superseded, cannot confirm, and a mark credential — each in colour, words and shape; the
JSON answer states the same facts as the page; nothing confidential ever appears; unknown ids
are 404s (a page for browsers, problem+json for programs) and no path yields a 500.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.publication import outbox
from issuer.settings import Settings
from issuer.store import Store
from registry import RateLimit, Registry, RegistryStore, create_registry_app
from registry.ratelimit import DEFAULT_LOOKUP_LIMIT
from schemas.publication import DocumentKind
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
from tests.conftest import FrozenClock, SeededEntropy

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SUSPENSION_REASON = "zq-confidential-suspension-reason"
WITHDRAWAL_REASON = "zq-confidential-withdrawal-reason"
CONFIDENTIAL = (
    "1986-03-14",
    "ana.moreau@example.org",
    "12 Rue des Soudeurs",
    "83.75",
    SUSPENSION_REASON,
    WITHDRAWAL_REASON,
)
"""What the back office holds about Ana (tests/backoffice.py) that no public answer may show."""
SVG_MARK = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>'
DELETE = text("DELETE FROM documents WHERE kind = :kind")
STATUS_URL = "https://www.w3.org/ns/credentials/status-list#STATUS_RETRIEVAL_ERROR"


@dataclass
class World:
    """The back office (all-in-one, draining on demand) and the public registry app, whose
    checks run at the test's frozen clock."""

    office: BackOffice
    registry: Registry
    public: TestClient
    clock: FrozenClock
    seen: list[str] = field(default_factory=list)

    def publish(self) -> None:
        self.office.client.app.state.drain()  # type: ignore[attr-defined]

    def move_clock(self, to: datetime) -> None:
        """Jump to ``to`` as a running ``serve`` would live through it: the status lists,
        valid for minutes only, signed again at the new time."""
        self.clock.now = to
        self.office.client.app.state.refresh_status_lists()  # type: ignore[attr-defined]
        self.publish()

    def certify(self) -> str:
        """Ana Moreau (with her confidential details) certified and published; the number."""
        number: str = grant(self.office)["certification"]["certificate_number"]
        self.publish()
        return number

    def credentials(self, number: str) -> list[dict[str, Any]]:
        detail = self.office.ok("GET", f"/certifications/{number}", member(self.office, "auditor"))
        credentials: list[dict[str, Any]] = detail["credentials"]
        return credentials

    def certificate_id(self, number: str) -> str:
        current = [
            c
            for c in self.credentials(number)
            if c["kind"] == "certificate" and not c["superseded_by"]
        ]
        assert len(current) == 1
        credential_id: str = current[0]["id"]
        return credential_id

    def decide(self, number: str, action: str, body: dict[str, Any]) -> None:
        self.office.ok(
            "POST", f"/certifications/{number}/{action}", member(self.office, "decider"), body
        )
        self.publish()

    def page(self, credential_id: str) -> Response:
        response = self.public.get(f"/v/{credential_id}", headers={"Accept": BROWSER})
        self.seen.append(response.text)
        return response

    def answer(self, credential_id: str) -> dict[str, Any]:
        response = self.public.get(f"/v/{credential_id}", headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "no-store"
        self.seen.append(response.text)
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Iterator[World]:
    registry = Registry(registry_store)
    app = create_app(
        settings,
        store=store,
        clock=clock,
        entropy=entropy,
        keyring=keyring,
        registry=registry,
        publish_interval=None,
    )
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    # A test module may set LOOKUP_LIMIT: the registry's limit on lookups per client.
    lookup_limit = getattr(request.module, "LOOKUP_LIMIT", DEFAULT_LOOKUP_LIMIT)
    public = create_registry_app(registry, lookup_limit=lookup_limit, page_limit=None, now=clock)
    with TestClient(app) as client, TestClient(public) as public_client:
        office = enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))
        world = World(office=office, registry=registry, public=public_client, clock=clock)
        yield world
        for text in world.seen:
            for secret in CONFIDENTIAL:
                assert secret not in text, secret


def banner(page: Response) -> tuple[str, str, str]:
    """The banner's standing, colour class and heading text (tags stripped)."""
    found = re.search(
        r'<div class="banner (banner-\w+)" id="standing" role="status" '
        r'data-standing="([\w-]+)">\s*<h1>(.*?)</h1>',
        page.text,
        re.S,
    )
    assert found is not None, page.text
    heading = " ".join(re.sub(r"<[^>]+>", " ", found.group(3)).split())
    assert "<svg" in found.group(3)  # a shape beside the words, not colour alone
    return found.group(2), found.group(1), heading


def assert_page_states_the_answer(page: Response, answer: dict[str, Any]) -> None:
    """Every fact of the JSON answer is on the page (escaped as HTML escapes it)."""
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert '<html lang="en">' in page.text
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page.text
    standing, _, _ = banner(page)
    assert standing == answer["status"]
    text = page.text
    facts = [
        answer["holderName"],
        answer["certificateNumber"],
        answer["scheme"]["name"],
        f"version {answer['scheme']['version']}",
        answer["issuer"]["name"],
        answer["credentialId"],
        f'datetime="{answer["checkedAt"]}"',
        f'datetime="{answer["effectiveDate"]}"',
        f'datetime="{answer["expiryDate"]}"',
    ]
    facts += [item["name"] for item in answer["scope"]] + [i["code"] for i in answer["scope"]]
    for fact in facts:
        assert html.escape(fact, quote=False) in text, fact
    scheme_key = answer["scheme"]["id"].rsplit("/", 1)[1]
    assert f'href="/schemes/{scheme_key}"' in text


def test_a_valid_certificate(world: World) -> None:
    number = world.certify()
    credential_id = world.certificate_id(number)
    answer = world.answer(credential_id)
    assert answer["status"] == answer["verdict"] == "valid"
    assert answer["verified"] is True
    assert answer["kind"] == "certificate"
    assert answer["holderName"] == "Ana Moreau"
    assert answer["certificateNumber"] == number
    assert answer["scheme"]["code"] == "WI"
    assert [i["code"] for i in answer["scope"]] == ["VT-PRESSURE", "VT-STEEL"]
    assert answer["effectiveDate"] == "2026-11-25"
    assert date.fromisoformat(answer["expiryDate"]) > date(2026, 11, 25)
    assert answer["issuer"] == {
        "id": "did:web:certs.example.test",
        "name": "Example Welding Certification Body",
    }
    assert answer["checkedAt"] == "2026-11-25T09:00:00Z"
    assert answer["problemDetails"] == []
    assert answer["supersededBy"] is None
    page = world.page(credential_id)
    assert_page_states_the_answer(page, answer)
    assert banner(page) == ("valid", "banner-ok", "Valid")
    assert "November 25, 2026, 9:00:00\u202fAM UTC" in page.text
    assert "November 25, 2026" in page.text
    # The urn:uuid form and upper case name the same credential.
    again = world.public.get(f"/v/urn:uuid:{credential_id.upper()}", headers={"Accept": BROWSER})
    assert banner(again)[0] == "valid"


def test_the_check_is_made_at_the_time_of_the_request(world: World) -> None:
    credential_id = world.certificate_id(world.certify())
    world.clock.advance(hours=5, minutes=7)
    assert world.answer(credential_id)["checkedAt"] == "2026-11-25T14:07:00Z"
    assert "November 25, 2026, 2:07:00\u202fPM UTC" in world.page(credential_id).text


def test_a_suspension_shows_at_once_and_a_reinstatement_lifts_it(world: World) -> None:
    number = world.certify()
    credential_id = world.certificate_id(number)
    world.decide(number, "suspend", {"reason": SUSPENSION_REASON})
    answer = world.answer(credential_id)
    assert (answer["status"], answer["verdict"], answer["verified"]) == (
        "suspended",
        "suspended",
        False,
    )
    page = world.page(credential_id)
    assert_page_states_the_answer(page, answer)
    assert banner(page) == ("suspended", "banner-warn", "Suspended")
    assert "not valid" in page.text
    world.decide(number, "reinstate", {"reason": "resolved"})
    assert banner(world.page(credential_id))[0] == "valid"


def test_a_withdrawn_certification(world: World) -> None:
    number = world.certify()
    credential_id = world.certificate_id(number)
    world.decide(number, "withdraw", {"reason": WITHDRAWAL_REASON})
    answer = world.answer(credential_id)
    assert (answer["status"], answer["verdict"]) == ("withdrawn", "revoked")
    page = world.page(credential_id)
    assert_page_states_the_answer(page, answer)
    assert banner(page) == ("withdrawn", "banner-bad", "Withdrawn")


def test_an_expired_certification(world: World) -> None:
    number = world.certify()
    credential_id = world.certificate_id(number)
    expiry = date.fromisoformat(world.answer(credential_id)["expiryDate"])
    world.move_clock(
        world.clock.now.replace(
            year=expiry.year, month=expiry.month, day=expiry.day, hour=23, minute=59, second=0
        )
    )
    assert world.answer(credential_id)["status"] == "valid"  # its last day is still valid
    assert "<dt>Expires</dt>" in world.page(credential_id).text
    world.move_clock(world.clock.now + timedelta(days=1))
    answer = world.answer(credential_id)
    assert (answer["status"], answer["verdict"]) == ("expired", "expired")
    page = world.page(credential_id)
    assert_page_states_the_answer(page, answer)
    assert banner(page) == ("expired", "banner-bad", "Expired")
    # When it ended, in words: not a past date under "Expires".
    last_day = f"{expiry:%B} {expiry.day}, {expiry.year}"
    assert f"expired at the end of {last_day} (UTC): it is no longer valid." in page.text
    assert "<dt>Expired</dt>" in page.text
    assert "<dt>Expires</dt>" not in page.text


def test_a_scope_change_supersedes_the_old_certificate(world: World) -> None:
    number = world.certify()
    old = world.certificate_id(number)
    world.decide(number, "scope", {"scope": ["VT-STEEL"]})
    new = world.certificate_id(number)
    assert new != old
    answer = world.answer(old)
    assert (answer["status"], answer["verdict"]) == ("superseded", "superseded")
    assert answer["supersededBy"] == f"urn:uuid:{new}"
    assert [i["code"] for i in answer["scope"]] == ["VT-PRESSURE", "VT-STEEL"]  # as it was
    page = world.page(old)
    assert_page_states_the_answer(page, answer)
    assert banner(page) == ("superseded", "banner-warn", "Superseded")
    assert f'href="/v/{new}"' in page.text
    current = world.answer(new)
    assert (current["status"], current["supersededBy"]) == ("valid", None)
    assert [i["code"] for i in current["scope"]] == ["VT-STEEL"]


def test_a_suspended_certification_stays_suspended_after_an_expansion(world: World) -> None:
    """The page behind the new certificate's QR code says Suspended from the start: adding a
    scope item, even on a passed examination, is no reinstatement."""
    office = world.office
    decision = grant(office, ["VT-STEEL"])["certification"]
    number = decision["certificate_number"]
    world.publish()
    world.decide(number, "suspend", {"reason": SUSPENSION_REASON})
    application = candidate(
        office, {"id": decision["scheme_id"]}, ["VT-PRESSURE"], decision["person_id"]
    )
    exam = office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(application["id"], date(2026, 11, 24)),
    )
    old = world.certificate_id(number)
    world.decide(
        number,
        "scope",
        {"scope": ["VT-STEEL", "VT-PRESSURE"], "examination_ids": [exam["id"]]},
    )
    new = world.certificate_id(number)
    assert new != old
    answer = world.answer(new)
    assert (answer["status"], answer["verdict"], answer["verified"]) == (
        "suspended",
        "suspended",
        False,
    )
    assert [i["code"] for i in answer["scope"]] == ["VT-PRESSURE", "VT-STEEL"]
    page = world.page(new)
    assert_page_states_the_answer(page, answer)
    assert banner(page) == ("suspended", "banner-warn", "Suspended")
    entry = world.public.get(f"/register/{number}", params={"family_name": "Moreau"})
    assert entry.json()["entry"]["status"] == "suspended"
    world.decide(number, "reinstate", {"reason": "complaint unfounded"})
    assert world.answer(new)["status"] == "valid"


def test_when_the_status_list_is_missing_the_page_cannot_confirm(
    world: World, registry_store: RegistryStore
) -> None:
    number = world.certify()
    credential_id = world.certificate_id(number)
    with registry_store.engine.begin() as conn:
        conn.execute(DELETE, {"kind": DocumentKind.STATUS_LIST.value})
    answer = world.answer(credential_id)
    assert (answer["status"], answer["verdict"], answer["verified"]) == (
        "cannot-confirm",
        "cannot-confirm",
        False,
    )
    assert [p["type"] for p in answer["problemDetails"]] == [STATUS_URL]
    page = world.page(credential_id)
    assert_page_states_the_answer(page, answer)  # whose certificate, as accepted on intake
    assert banner(page) == ("cannot-confirm", "banner-unknown", "Cannot confirm")
    assert 'class="banner banner-ok"' not in page.text
    assert "Do not treat it as valid" in page.text


def test_without_the_issuer_keys_nothing_is_confirmed(
    world: World, registry_store: RegistryStore
) -> None:
    credential_id = world.certificate_id(world.certify())
    with registry_store.engine.begin() as conn:
        conn.execute(DELETE, {"kind": DocumentKind.ISSUER_KEYS.value})
    answer = world.answer(credential_id)
    assert answer["status"] != "valid"
    assert answer["verified"] is False
    assert banner(world.page(credential_id))[:2] == ("cannot-confirm", "banner-unknown")


def test_a_mark_credential_is_tied_to_its_certificate(world: World) -> None:
    number = world.certify()
    certificate = world.certificate_id(number)
    scheme_id = world.answer(certificate)["scheme"]["id"].rsplit("/", 1)[1]
    office = world.office
    mark_body = {
        "media_type": "image/svg+xml",
        "image_base64": base64.b64encode(SVG_MARK).decode(),
        "rules": "Use only with your certificate number and while certified.",
    }
    office.ok("PUT", f"/schemes/{scheme_id}/mark", member(office, "manager"), mark_body)
    office.ok("POST", f"/certifications/{number}/mark-agreement", member(office, "registrar"))
    mark = office.ok("POST", f"/certifications/{number}/marks", member(office, "registrar"))
    world.publish()
    answer = world.answer(mark["id"])
    assert (answer["status"], answer["kind"]) == ("valid", "certification-mark")
    assert answer["certificateCredential"] == f"urn:uuid:{certificate}"
    assert answer["certificateNumber"] == number
    page = world.page(mark["id"])
    assert_page_states_the_answer(page, answer)
    assert banner(page) == ("valid", "banner-ok", "Valid")
    assert "certification mark" in page.text
    assert f'href="/v/{certificate}"' in page.text
    world.decide(number, "suspend", {"reason": SUSPENSION_REASON})
    assert banner(world.page(mark["id"]))[:2] == ("suspended", "banner-warn")


def test_names_are_escaped(world: World) -> None:
    office = world.office
    scheme = setup_scheme(office)
    body = person_body("<script>alert(1)</script>", "O'Brien & <b>Söhne</b>")
    person = office.ok("POST", "/persons", member(office, "registrar"), body)
    accepted = candidate(office, scheme, ["VT-STEEL"], person_id=person["id"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    decision = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    granted = office.ok("POST", "/decisions", member(office, "decider"), decision)
    world.publish()
    credential_id = world.certificate_id(granted["certification"]["certificate_number"])
    page = world.page(credential_id)
    assert "<script>" not in page.text
    assert "<b>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "O&#39;Brien &amp; &lt;b&gt;Söhne&lt;/b&gt;" in page.text
    name = world.answer(credential_id)["holderName"]
    assert name == "<script>alert(1)</script> O'Brien & <b>Söhne</b>"


@pytest.mark.parametrize(
    "credential_id",
    [
        "0b7f9a8e-4c1d-4d2b-9a59-1f0f3c2b7a11",  # well-formed, not published
        "urn:uuid:0b7f9a8e-4c1d-4d2b-9a59-1f0f3c2b7a11",
        "not-a-uuid",
        "%00",
        "x" * 5000,
        "%E2%80%AE%F0%9F%98%80",
    ],
    ids=["unpublished", "unpublished-urn", "not-a-uuid", "nul", "long", "unicode"],
)
def test_unknown_ids_are_404s(world: World, credential_id: str) -> None:
    world.certify()
    page = world.public.get(f"/v/{credential_id}", headers={"Accept": BROWSER})
    assert page.status_code == 404
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="en">' in page.text
    assert "No credential with this identifier" in page.text
    assert 'class="banner banner-ok"' not in page.text
    api = world.public.get(f"/v/{credential_id}", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["type"] == "/problems/not-found"


def test_the_page_limiter_applies(world: World) -> None:
    credential_id = world.certificate_id(world.certify())
    limited = create_registry_app(
        world.registry, page_limit=RateLimit(per_minute=1, burst=2), now=world.clock
    )
    with TestClient(limited) as client:
        answers = [client.get(f"/v/{credential_id}").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_the_page_links_to_the_complaint_form_only_when_one_is_configured(world: World) -> None:
    number = world.certify()
    credential_id = world.certificate_id(number)
    assert "Report misuse" not in world.page(credential_id).text  # a registry alone takes none
    form = "https://backoffice.example.test/public/complaints/new"
    linked = create_registry_app(
        world.registry, page_limit=None, now=world.clock, complaint_form_url=form
    )
    with TestClient(linked) as client:
        page = client.get(f"/v/{credential_id}", headers={"Accept": BROWSER})
    assert f'<a href="{form}?certificate={number}">Report misuse of this certificate' in page.text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    segment=st.text(max_size=80) | st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    accept=st.sampled_from([BROWSER, "application/json", "*/*", "", "text/html;q=x"]),
)
def test_no_path_yields_a_500(world: World, segment: str, accept: str) -> None:
    if not world.seen:
        world.certify()
        world.seen.append("")
    for path in (f"/v/{quote(segment, safe='')}", f"/v/{quote(segment, safe='/:')}"):
        response = world.public.get(path, headers={"Accept": accept})
        assert response.status_code in (200, 404), (path, response.text)


def test_before_its_effective_date_a_certificate_is_not_yet_valid(world: World) -> None:
    credential_id = world.certificate_id(world.certify())
    world.clock.now -= timedelta(days=2)
    answer = world.answer(credential_id)
    assert answer["status"] == "not-yet-valid"
    assert banner(world.page(credential_id))[:2] == ("not-yet-valid", "banner-warn")
