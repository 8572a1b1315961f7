"""A certified person's own access, over HTTP on both engines: a sign-in link (printed by a
registrar, or asked for by e-mail and queued as a notice), used once for a session cookie;
the person's pages, downloads, directory choice and appeal; and everything that must be
refused: an expired, reused or wrong link, a tampered cookie, a form without its token,
another person's records (404, never 403), any page without a session (to sign-in)."""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from issuer.http.app import create_app
from issuer.settings import Settings
from issuer.store import Store
from issuer.store.tables import metadata
from tests.backoffice import (
    BackOffice,
    Json,
    candidate,
    exam_body,
    member,
    person_body,
)
from tests.conftest import FrozenClock
from tests.test_due_jobs import decide, new_scheme
from tests.test_notices import Mailbox, mailbox, parts, send, transport  # noqa: F401 (fixture)
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

EMAIL = "ines.laurent@example.org"
OTHER_EMAIL = "tomas.berg@example.org"
GROUNDS = "zq-holder-grounds: the report behind this suspension was about someone else"


def certify_person(
    office: BackOffice, scheme: Json, given: str, family: str, email: str
) -> tuple[str, str]:
    """A new person with ``email`` certified in ``scheme``: their id and certificate number."""
    registrar = member(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body(given, family, email=email))
    accepted = candidate(office, scheme, ["VT-STEEL"], person_id=person["id"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    decision = office.ok("POST", "/decisions", member(office, "decider"), body)
    return person["id"], decision["certification"]["certificate_number"]


def staff_link(office: BackOffice, person_id: str) -> str:
    made = office.ok("POST", f"/persons/{person_id}/sign-in-links", member(office, "registrar"))
    url: str = made["url"]
    assert url.startswith("https://certs.example.test/holder/link/")
    return url


def browser(client: TestClient) -> TestClient:
    """A client of the same app over https, as a browser is: the session cookie is Secure."""
    return TestClient(client.app, base_url="https://testserver")


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def sign_in(client: TestClient, url: str) -> Response:
    """Open the link's page, then press its button, as a browser does."""
    opened = client.get(urlsplit(url).path)
    assert opened.status_code == 200
    assert 'action="/holder/link"' in opened.text
    return client.post("/holder/link", data={"token": token_of(url)}, follow_redirects=False)


def signed_in(client: TestClient, url: str) -> str:
    """Sign in with ``url``; the session cookie's value (the client keeps it too)."""
    answer = sign_in(client, url)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/holder"
    cookie: str = client.cookies["certreg_holder"]
    return cookie


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def audit_actions(store: Store) -> list[str]:
    with store.reading() as tx:
        return [e.action for e in tx.audit_entries(limit=100_000)]


def stored_text(store: Store, *, but: tuple[str, ...] = ()) -> str:
    """Every value of every table of the store (but those named), as one text."""
    with store.engine.connect() as conn:
        return "\n".join(
            repr(row)
            for name, table in metadata.tables.items()
            if name not in but
            for row in conn.execute(table.select())
        )


@pytest.fixture
def holder_office(office: BackOffice) -> tuple[BackOffice, str, str]:
    """The back office with one certified person: their id and certificate number."""
    scheme = new_scheme(office)
    person_id, number = certify_person(office, scheme, "Ines", "Laurent", EMAIL)
    return office, person_id, number


def test_a_printed_link_signs_the_person_in_once_and_shows_their_certificate(
    holder_office: tuple[BackOffice, str, str],
) -> None:
    office, person_id, number = holder_office
    client = browser(office.client)
    url = staff_link(office, person_id)
    answer = sign_in(client, url)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    for attribute in ("HttpOnly", "Secure", "SameSite=lax", "Path=/holder"):
        assert attribute.lower() in cookie.lower(), cookie

    home = client.get("/holder")
    assert home.status_code == 200
    assert home.headers["cache-control"] == "no-store"
    assert "script-src" not in home.headers["content-security-policy"]
    assert "default-src 'none'" in home.headers["content-security-policy"]
    assert number in home.text
    assert "Ines Laurent" in home.text
    assert "You are listed in the directory." in home.text

    page = client.get(f"/holder/certifications/{number}")
    assert page.status_code == 200
    detail = office.ok("GET", f"/certifications/{number}", member(office, "registrar"))
    [credential_id] = [c["id"] for c in detail["credentials"] if c["kind"] == "certificate"]
    share = f"https://certs.example.test/v/{credential_id}"
    assert share in page.text
    [linkedin] = re.findall(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page.text)
    query = parse_qs(urlsplit(linkedin.replace("&amp;", "&")).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["certId"] == [number]
    assert query["certUrl"] == [share]
    assert query["organizationName"] == ["Example Welding Certification Body"]
    assert {"name", "issueYear", "issueMonth", "expirationYear", "expirationMonth"} <= set(query)

    base = f"/holder/credentials/{credential_id}"
    pdf = client.get(f"{base}/certificate.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == f'attachment; filename="certificate-{number}.pdf"'
    assert client.get(f"{base}/qr.svg").content.lstrip().startswith(b"<?xml")
    assert client.get(f"{base}/qr.png").content.startswith(b"\x89PNG")
    signed = client.get(f"{base}/credential.jwt")
    assert signed.headers["content-type"] == "application/vc+jwt"
    staff_copy = client.get(
        f"/api/v1/credentials/{credential_id}", headers=member(office, "registrar").headers
    )
    assert signed.text == staff_copy.text

    [badge_href] = re.findall(r'href="(/holder/certifications/[^"]+/openbadge\.jwt)"', page.text)
    badge = client.get(badge_href)
    assert badge.status_code == 200
    assert badge.headers["content-type"] == "application/vc+jwt"
    badge_claims = json.loads(base64.urlsafe_b64decode(badge.text.split(".")[1] + "=="))
    certificate_claims = json.loads(base64.urlsafe_b64decode(signed.text.split(".")[1] + "=="))
    assert "OpenBadgeCredential" in badge_claims["type"]
    # The badge's one status entry is a message slot of the holder's current certificate.
    assert badge_claims["validUntil"] == certificate_claims["validUntil"]
    assert badge_claims["credentialStatus"]["statusPurpose"] == "message"
    assert "credential.exported" in audit_actions(office.store)

    again = browser(client)
    refused = sign_in(again, url)
    assert refused.status_code == 403
    assert "used already" in refused.text
    assert "certreg_holder" not in again.cookies

    secrets = [token_of(url).split(".")[1], client.cookies["certreg_holder"].split(".")[1]]
    everything = stored_text(office.store)
    assert not [s for s in secrets if s in everything]  # only their digests are kept
    assert EMAIL not in stored_text(office.store, but=("person_confidential",))
    actions = audit_actions(office.store)
    assert "holder.sign-in-link.made" in actions
    assert "holder.signed-in" in actions


def test_a_link_asked_for_by_e_mail_is_queued_as_a_notice_and_the_page_says_the_same_for_anyone(
    holder_office: tuple[BackOffice, str, str], clock: FrozenClock
) -> None:
    office, person_id, number = holder_office
    client = browser(office.client)
    known = client.post("/holder/sign-in", data={"email": EMAIL.upper()})
    unknown = client.post("/holder/sign-in", data={"email": "nobody@example.org"})
    malformed = client.post("/holder/sign-in", data={"email": "not an address"})
    assert known.status_code == unknown.status_code == malformed.status_code == 200
    assert known.content == unknown.content == malformed.content
    assert "we have sent a sign-in link" in known.text

    with office.store.reading() as tx:
        queued = [n for n in tx.person_notices(person_id) if n.kind == "holder-sign-in"]
    [notice] = queued
    assert notice.secret_url is not None
    assert notice.facts is not None
    assert notice.facts["minutes"] == "30"
    signed_in(client, notice.secret_url)
    assert number in client.get("/holder").text

    clock.advance(minutes=1)  # the client's bucket fills again; the person's hour does not
    for _ in range(3):  # three an hour, however many are asked
        client.post("/holder/sign-in", data={"email": EMAIL})
    with office.store.reading() as tx:
        assert len([n for n in tx.person_notices(person_id) if n.kind == "holder-sign-in"]) == 3
    assert EMAIL not in stored_text(office.store, but=("person_confidential",))


def test_the_sign_in_page_is_rate_limited_per_client(
    settings: Settings, store: Store, clock: FrozenClock, office: BackOffice
) -> None:
    limited = settings.model_copy(
        update={"holder_sign_in_per_minute": 2, "holder_sign_in_burst": 2}
    )
    app = create_app(limited, store=store, clock=clock, entropy=office.entropy)
    with TestClient(app) as client:
        answers = [client.post("/holder/sign-in", data={"email": EMAIL}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["retry-after"]) >= 1


def test_a_link_expires_and_a_session_ends(
    holder_office: tuple[BackOffice, str, str], clock: FrozenClock
) -> None:
    office, person_id, _ = holder_office
    client = browser(office.client)
    late = staff_link(office, person_id)
    clock.advance(minutes=31)
    assert sign_in(client, late).status_code == 403

    signed_in(client, staff_link(office, person_id))
    assert client.get("/holder").status_code == 200
    clock.advance(hours=8)
    gone = client.get("/holder", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, "/holder/sign-in")


def test_wrong_links_and_tampered_cookies_get_nothing(
    holder_office: tuple[BackOffice, str, str], clock: FrozenClock
) -> None:
    office, person_id, _ = holder_office
    client = browser(office.client)
    url = staff_link(office, person_id)
    link_id, secret = token_of(url).split(".")
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for token in (f"{link_id}.{wrong}", "garbage", "", f"{link_id}.", "x" * 90):
        refused = client.post("/holder/link", data={"token": token}, follow_redirects=False)
        assert refused.status_code == 403, token
    clock.advance(minutes=1)  # the client's bucket refills (five tries a minute)
    cookie = signed_in(client, url)  # the right one still works: wrong tries spent nothing
    session_id, session_secret = cookie.split(".")
    stranger = browser(client)
    genuine = stranger.get("/holder", headers={"Cookie": f"certreg_holder={cookie}"})
    assert genuine.status_code == 200  # the header form works: the forgeries are refused
    for forged in (f"{session_id}.{session_secret[::-1]}", session_id, "a.b", f"{cookie}x"):
        answer = stranger.get(
            "/holder", headers={"Cookie": f"certreg_holder={forged}"}, follow_redirects=False
        )
        assert answer.status_code == 303, forged


def test_forms_need_the_session_token(holder_office: tuple[BackOffice, str, str]) -> None:
    office, person_id, _ = holder_office
    client = browser(office.client)
    signed_in(client, staff_link(office, person_id))
    for data in ({"listed": "no"}, {"listed": "no", "csrf": "forged"}):
        refused = client.post("/holder/directory", data=data, follow_redirects=False)
        assert refused.status_code == 403
        assert "did not come from your own page" in refused.text
    refused = client.post("/holder/sign-out", data={}, follow_redirects=False)
    assert refused.status_code == 403
    with office.store.reading() as tx:
        person = tx.get_person(person_id)
        assert person is not None
        assert person.directory_consent


def test_the_directory_choice_is_recorded_audited_and_published(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, registry_client = public
    client = browser(registry_client)
    scheme = new_scheme(office)
    person_id, number = certify_person(office, scheme, "Ines", "Laurent", EMAIL)
    client.app.state.drain()  # type: ignore[attr-defined]
    assert [
        e["certificateNumber"] for e in client.get("/directory?name=Laurent").json()["results"]
    ] == [number]

    signed_in(client, staff_link(office, person_id))
    csrf = csrf_of(client.get("/holder").text)
    moved = client.post(
        "/holder/directory", data={"listed": "no", "csrf": csrf}, follow_redirects=False
    )
    assert (moved.status_code, moved.headers["location"]) == (303, "/holder#directory")
    assert "You are not listed in the directory." in client.get("/holder").text
    client.app.state.drain()  # type: ignore[attr-defined]
    assert client.get("/directory?name=Laurent").json()["results"] == []
    assert "person.directory-choice" in audit_actions(office.store)

    client.post("/holder/directory", data={"listed": "yes", "csrf": csrf})
    client.app.state.drain()  # type: ignore[attr-defined]
    assert len(client.get("/directory?name=Laurent").json()["results"]) == 1


def test_a_person_appeals_a_decision_about_them_and_staff_handle_it(
    holder_office: tuple[BackOffice, str, str],
) -> None:
    office, person_id, number = holder_office
    client = browser(office.client)
    decide(office, number, "suspend", {"reason": "zq-holder-confidential-reason"})
    signed_in(client, staff_link(office, person_id))
    form = client.get(f"/holder/appeals/new?certificate={number}")
    assert "Suspension" in form.text
    assert "Certification granted" in form.text
    assert "zq-holder-confidential-reason" not in form.text
    chosen = re.search(r'<option value="(lifecycle-decision:[^"]+)" selected', form.text)
    assert chosen is not None

    empty = client.post(
        "/holder/appeals",
        data={"decision": chosen.group(1), "grounds": " ", "csrf": csrf_of(form.text)},
    )
    assert empty.status_code == 422
    assert "Say why you disagree" in empty.text
    sent = client.post(
        "/holder/appeals",
        data={"decision": chosen.group(1), "grounds": GROUNDS, "csrf": csrf_of(form.text)},
    )
    assert sent.status_code == 200
    assert "Appeal received" in sent.text

    registrar = member(office, "registrar")
    [appeal] = office.ok("GET", "/appeals", registrar)
    assert (appeal["channel"], appeal["appellant"], appeal["grounds"]) == (
        "own-access",
        "person",
        GROUNDS,
    )
    assert appeal["person_id"] == person_id
    assert appeal["steps"][0]["by"] is None
    acknowledged = office.ok("POST", f"/appeals/{appeal['id']}/acknowledge", registrar)
    assert acknowledged["state"] == "acknowledged"
    assert "received" in client.get("/holder").text or "acknowledged" in client.get("/holder").text

    staff_says = office.call(
        "POST",
        "/appeals",
        registrar,
        {
            "decision_kind": "lifecycle-decision",
            "decision_id": chosen.group(1).split(":")[1],
            "grounds": "x",
            "received_on": "2026-12-01",
            "appellant": "person",
            "channel": "own-access",
        },
    )
    assert staff_says.status_code == 422


def test_a_person_sees_and_touches_only_their_own_records(
    holder_office: tuple[BackOffice, str, str],
) -> None:
    office, person_id, number = holder_office
    client = browser(office.client)
    scheme = new_scheme(office, "WJ")
    other_id, other_number = certify_person(office, scheme, "Tomas", "Berg", OTHER_EMAIL)
    decide(office, other_number, "suspend", {"reason": "other's"})
    detail = office.ok("GET", f"/certifications/{other_number}", member(office, "registrar"))
    [other_credential] = [c["id"] for c in detail["credentials"] if c["kind"] == "certificate"]
    with office.store.reading() as tx:
        [other_lifecycle] = [d.id for d in tx.decisions_about(other_id) if d.what == "suspend"]

    gets = [
        f"/holder/certifications/{other_number}",
        f"/holder/credentials/{other_credential}/certificate.pdf",
        f"/holder/credentials/{other_credential}/qr.svg",
        f"/holder/credentials/{other_credential}/qr.png",
        f"/holder/credentials/{other_credential}/credential.jwt",
        f"/holder/certifications/{other_number}/openbadge.jwt",
    ]
    anonymous = browser(client)
    for path in [*gets, "/holder", "/holder/appeals/new", f"/holder/certifications/{number}"]:
        answer = anonymous.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/holder/sign-in"), path
    for path in ("/holder/directory", "/holder/appeals", "/holder/sign-out"):
        answer = anonymous.post(path, data={"csrf": "x"}, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/holder/sign-in"), path

    signed_in(client, staff_link(office, person_id))
    for path in gets:
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert other_number not in answer.text
    csrf = csrf_of(client.get("/holder").text)
    appealed = client.post(
        "/holder/appeals",
        data={"decision": f"lifecycle-decision:{other_lifecycle}", "grounds": "x", "csrf": csrf},
    )
    assert appealed.status_code == 404
    with office.store.reading() as tx:
        assert tx.appeals_of_person(other_id) == []
        other = tx.get_person(other_id)
        assert other is not None
        assert other.directory_consent


def test_two_uses_of_one_link_at_once_open_one_session(
    holder_office: tuple[BackOffice, str, str],
) -> None:
    office, person_id, _ = holder_office
    url = staff_link(office, person_id)
    clients = [browser(office.client) for _ in range(2)]
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = clients[index].post(
            "/holder/link", data={"token": token_of(url)}, follow_redirects=False
        )

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [303, 403], [a.text for a in answers]
    with office.store.reading() as tx:
        entries = [e for e in tx.audit_entries(limit=100_000) if e.action == "holder.signed-in"]
    assert len(entries) == 1


def test_a_sign_in_link_never_reaches_the_access_log() -> None:
    """uvicorn logs each request's path; a link's token is taken out of it."""
    import logging

    from issuer.http.routes.holder_sign_in import LinkRedaction

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/holder/link/abc.secret-part", "1.1", 200),
        None,
    )
    assert LinkRedaction().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /holder/link/… HTTP/1.1" 200'
    other = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s", ("/holder/sign-in",), None
    )
    LinkRedaction().filter(other)
    assert other.getMessage() == "/holder/sign-in"


def test_a_link_asked_for_by_e_mail_arrives_over_smtp_and_signs_the_person_in_once(
    holder_office: tuple[BackOffice, str, str],
    clock: FrozenClock,
    mailbox: tuple[Mailbox, int],  # noqa: F811
) -> None:
    office, person_id, number = holder_office
    box, port = mailbox
    client = browser(office.client)
    client.post("/holder/sign-in", data={"email": EMAIL})
    sent = send(office.store, clock, transport(port, clock))
    assert sent.sent >= 1
    [message] = [m for m in box.received if m["Subject"] == "Your sign-in link"]
    assert message["To"] == EMAIL
    plain, html = parts(message)
    [url] = re.findall(r"https://certs\.example\.test/holder/link/\S+", plain)
    assert url in html
    assert "within 30 minutes" in plain

    with office.store.reading() as tx:
        [notice] = [n for n in tx.person_notices(person_id) if n.kind == "holder-sign-in"]
    assert notice.secret_url is None  # wiped once sent: the link lives only in the e-mail
    assert token_of(url) not in stored_text(office.store)
    signed_in(client, url)
    assert number in client.get("/holder").text
    assert sign_in(browser(office.client), url).status_code == 403  # it worked once
