"""Staff correct a person's contact details and language over HTTP, on both engines: a JSON
merge patch of each field, a field cleared, the audit entry naming the fields and never
their values; bad corrections refused as problems; a dead notice retried after the
address is corrected reaches the new address over a real SMTP server; the sign-in by
e-mail follows the corrected address (and a link already e-mailed to the old one ends, as
does every open session of the person's own pages); two corrections at once each apply
whole, the later one winning a field both set."""

from __future__ import annotations

import re
import threading
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from issuer.store import Store
from issuer.store.audit import AuditEntry, details_digest
from tests.backoffice import BackOffice, Json, member, person_body
from tests.conftest import FrozenClock
from tests.test_holders import browser, sign_in, signed_in, stored_text, token_of
from tests.test_notices import (  # noqa: F401 (fixture)
    Mailbox,
    certified,
    listed,
    mailbox,
    send,
    transport,
)

OLD = "ana.moreau@exampel.org"  # the typing mistake
NEW = "ana.moreau@example.org"
SECRET_PHONE = "+33 6 00 11 22 zq"
SECRET_ADDRESS = "zq-7 Quai des Corrections, Lyon"


def registered(office: BackOffice, **confidential: Any) -> str:
    registrar = member(office, "registrar")
    person: dict[str, Any] = office.ok("POST", "/persons", registrar, person_body(**confidential))
    return str(person["id"])


def patch(office: BackOffice, person_id: str, body: Any, who: str = "registrar") -> Response:
    return office.client.request(
        "PATCH",
        f"/api/v1/persons/{person_id}/contact",
        headers={**member(office, who).headers, "Content-Type": "application/merge-patch+json"},
        json=body,
    )


def corrected(office: BackOffice, person_id: str, body: Json) -> dict[str, Any]:
    answer = patch(office, person_id, body)
    assert answer.status_code == 200, answer.text
    confidential: dict[str, Any] = answer.json()["confidential"]
    return confidential


def corrections(store: Store, person_id: str) -> list[AuditEntry]:
    with store.reading() as tx:
        return [
            e
            for e in tx.audit_entries(limit=100_000)
            if e.action == "person.contact-corrected" and e.subject_id == person_id
        ]


def naming(fields: str, **more: int) -> str:
    """The digest of an audit entry's details that name ``fields`` (and ``more``) and
    nothing else: the log keeps only the digest, which a value in the details would change
    (and a short value, a language, could be guessed back from it)."""
    return details_digest({"fields": fields, **more})


def assert_problem(answer: Response, status: int, kind: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == f"/problems/{kind}"


# ── each field ───────────────────────────────────────────────────────────────────────────
def test_each_field_is_corrected_one_is_cleared_and_the_audit_names_fields_only(
    office: BackOffice,
) -> None:
    person_id = registered(office, email=OLD)
    before = office.ok("GET", f"/persons/{person_id}", member(office, "auditor"))["confidential"]

    after = corrected(office, person_id, {"email": NEW})
    assert after == {**before, "email": NEW}
    after = corrected(office, person_id, {"phone": SECRET_PHONE, "language": "de"})
    assert after == {**before, "email": NEW, "phone": SECRET_PHONE, "language": "de"}
    after = corrected(office, person_id, {"address": SECRET_ADDRESS})
    assert after["address"] == SECRET_ADDRESS
    after = corrected(office, person_id, {"phone": None, "language": None})  # cleared
    assert (after["phone"], after["language"]) == (None, None)
    assert (after["email"], after["address"]) == (NEW, SECRET_ADDRESS)
    # Untouched by any of it: what is not a contact detail.
    assert after["date_of_birth"] == before["date_of_birth"]
    read = office.ok("GET", f"/persons/{person_id}", member(office, "registrar"))
    assert read["confidential"] == after

    # Plain application/json is a merge patch too; the same values again change nothing.
    same = office.call("PATCH", f"/persons/{person_id}/contact", member(office, "registrar"), {})
    assert same.status_code == 200
    assert corrected(office, person_id, {"email": NEW, "phone": None}) == after

    entries = corrections(office.store, person_id)
    assert [e.details_digest for e in entries] == [
        naming("email", sign_in_links_ended=0, holder_sessions_ended=0),
        naming("language,phone"),
        naming("address"),
        naming("language,phone"),
    ]
    assert {e.actor for e in entries} == {f"staff:{member(office, 'registrar').staff_id}"}
    assert all(e.token_id is not None for e in entries)
    log = stored_text(office.store, but=("person_confidential",))
    for value in (OLD, NEW, SECRET_PHONE, SECRET_ADDRESS):
        assert value not in log  # in no audit entry, nor anywhere else but the record


# ── refused ──────────────────────────────────────────────────────────────────────────────
def test_bad_corrections_are_refused_as_problems_and_change_nothing(office: BackOffice) -> None:
    person_id = registered(office, email=OLD, language="de")
    before = office.ok("GET", f"/persons/{person_id}", member(office, "registrar"))
    for body in (
        {"email": "not an address"},
        {"email": "two@@example.org"},
        {"email": "x" * 310 + "@example.org"},  # longer than an address may be
        {"email": ""},
        {"language": "it"},
        {"language": "EN"},
        {"phone": "1" * 41},
        {"address": "line\x00break"},
        {"date_of_birth": "1990-01-01"},  # not a contact detail
        {"identity_document_ref": "P-1"},
        ["email", NEW],  # not an object
        "email",
    ):
        assert_problem(patch(office, person_id, body), 422, "validation-failed")
    assert_problem(patch(office, "no-such-person", {"email": NEW}), 404, "not-found")
    for role in ("examiner", "decider", "auditor", "admin"):
        assert_problem(patch(office, person_id, {"email": NEW}, role), 403, "wrong-role")
    anonymous = office.client.patch(f"/api/v1/persons/{person_id}/contact", json={"email": NEW})
    assert_problem(anonymous, 401, "unauthenticated")
    assert office.ok("GET", f"/persons/{person_id}", member(office, "registrar")) == before
    assert corrections(office.store, person_id) == []


# ── notices ──────────────────────────────────────────────────────────────────────────────
def test_a_dead_notice_retried_after_the_correction_reaches_the_new_address(
    office: BackOffice,
    store: Store,
    clock: FrozenClock,
    mailbox: tuple[Mailbox, int],  # noqa: F811
) -> None:
    box, port = mailbox
    person_id, number = certified(office, email=OLD)
    box.answers.append("550 5.1.1 mailbox unavailable")
    assert send(store, clock, transport(port, clock)).dead == 1
    [dead] = listed(office, "dead")
    staff_view = office.ok("GET", f"/persons/{person_id}/notices", member(office, "registrar"))
    assert [(n["id"], n["state"]) for n in staff_view] == [(dead["id"], "dead")]

    corrected(office, person_id, {"email": NEW, "language": "de"})
    office.ok("POST", f"/notices/{dead['id']}/retry", member(office, "registrar"))
    assert send(store, clock, transport(port, clock)).sent == 1
    [message] = box.received
    assert message["To"] == NEW
    assert message["Content-Language"] == "de"  # the language is read when it is sent, too
    assert number in message["Subject"]
    staff_view = office.ok("GET", f"/persons/{person_id}/notices", member(office, "admin"))
    assert [n["state"] for n in staff_view] == ["sent"]


def test_clearing_the_address_leaves_later_notices_for_staff_to_post(
    office: BackOffice,
    store: Store,
    clock: FrozenClock,
    mailbox: tuple[Mailbox, int],  # noqa: F811
) -> None:
    box, port = mailbox
    person_id, _ = certified(office, email=OLD)
    corrected(office, person_id, {"email": None})
    assert send(store, clock, transport(port, clock)).no_address == 1
    assert box.received == []
    [unaddressed] = listed(office, "no-address")
    marked = office.ok(
        "POST",
        f"/persons/{person_id}/notices/{unaddressed['id']}/sent",
        member(office, "registrar"),
    )
    assert (marked["id"], marked["state"]) == (unaddressed["id"], "sent")


# ── sign-in by e-mail ────────────────────────────────────────────────────────────────────
def _ask(client: TestClient, clock: FrozenClock, address: str) -> None:
    clock.advance(minutes=1)  # the client's rate limit fills again
    answer = client.post("/holder/sign-in", data={"email": address})
    assert answer.status_code == 200


def _link_in(message: Any) -> str:
    plain = message.get_body(preferencelist=("plain",)).get_content()
    [url] = re.findall(r"https://certs\.example\.test/holder/link/\S+", plain)
    return str(url)


def test_the_sign_in_by_e_mail_follows_the_corrected_address(
    office: BackOffice,
    clock: FrozenClock,
    mailbox: tuple[Mailbox, int],  # noqa: F811
) -> None:
    box, port = mailbox
    person_id, number = certified(office, email=OLD)
    client = browser(office.client)
    _ask(client, clock, OLD)
    send(office.store, clock, transport(port, clock))
    [old_mail] = [m for m in box.received if m["Subject"] == "Your sign-in link"]
    assert old_mail["To"] == OLD
    _ask(client, clock, OLD)  # queued, not yet sent when the address is corrected

    corrected(office, person_id, {"email": NEW})
    [correction] = corrections(office.store, person_id)
    assert correction.details_digest == naming(
        "email", sign_in_links_ended=1, holder_sessions_ended=0
    )

    with office.store.reading() as tx:
        asked_before = len(tx.person_notices(person_id))
    _ask(client, clock, OLD)  # the old address no longer gets a link
    with office.store.reading() as tx:
        assert len(tx.person_notices(person_id)) == asked_before
    _ask(client, clock, NEW.upper())
    send(office.store, clock, transport(port, clock))
    links = [m for m in box.received if m["Subject"] == "Your sign-in link"]
    assert [m["To"] for m in links] == [OLD, NEW, NEW]

    # The link the old address got no longer works; the one still waiting went to the new.
    assert sign_in(browser(office.client), _link_in(old_mail)).status_code == 403
    waited, fresh = (_link_in(m) for m in links[1:])
    signed_in(browser(office.client), waited)
    holder = browser(office.client)
    signed_in(holder, fresh)
    assert number in holder.get("/holder").text
    assert token_of(fresh) not in stored_text(office.store)


def test_correcting_the_address_ends_every_open_session_of_the_persons_own_pages(
    office: BackOffice, clock: FrozenClock
) -> None:
    """A session may have been opened from the old address (by whoever reads it): once staff
    correct the address, every open session ends, audited, and the person signs in again;
    a change of any other detail ends none."""
    person_id, number = certified(office, email=OLD)
    registrar = member(office, "registrar")
    phone, laptop = browser(office.client), browser(office.client)
    for client in (phone, laptop):
        made = office.ok("POST", f"/persons/{person_id}/sign-in-links", registrar)
        signed_in(client, made["url"])
        assert number in client.get("/holder").text
    corrected(office, person_id, {"phone": SECRET_PHONE})
    assert phone.get("/holder", follow_redirects=False).status_code == 200

    corrected(office, person_id, {"email": NEW})
    for client in (phone, laptop):
        gone = client.get("/holder", follow_redirects=False)
        assert (gone.status_code, gone.headers["location"]) == (303, "/holder/sign-in")
        refused = client.post(
            "/holder/directory", data={"listed": "no", "csrf": "x"}, follow_redirects=False
        )
        assert (refused.status_code, refused.headers["location"]) == (303, "/holder/sign-in")
    with office.store.reading() as tx:
        person = tx.get_person(person_id)
        assert person is not None
        assert person.directory_consent
    *_, correction = corrections(office.store, person_id)
    assert correction.details_digest == naming(
        "email", sign_in_links_ended=0, holder_sessions_ended=2
    )

    clock.advance(minutes=1)
    again = browser(office.client)
    signed_in(again, office.ok("POST", f"/persons/{person_id}/sign-in-links", registrar)["url"])
    assert number in again.get("/holder").text  # a new session, after the correction


# ── a race ───────────────────────────────────────────────────────────────────────────────
def _at_once(office: BackOffice, person_id: str, bodies: list[Json]) -> list[Response]:
    """The patches sent at the same moment, one thread each; their answers in order."""
    barrier = threading.Barrier(len(bodies))
    answers: list[Response | None] = [None] * len(bodies)

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = patch(office, person_id, bodies[index])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done = [a for a in answers if a is not None]
    assert len(done) == len(bodies)
    return done


def test_two_corrections_at_once_each_apply_whole(office: BackOffice) -> None:
    person_id = registered(office, email=OLD)
    first = {"email": "first@example.org", "phone": "+41 1"}
    second = {"email": "second@example.org", "address": "2 Second Street"}
    for _ in range(3):
        answers = _at_once(office, person_id, [first, second])
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        now = office.ok("GET", f"/persons/{person_id}", member(office, "registrar"))
        confidential = now["confidential"]
        assert (confidential["phone"], confidential["address"]) == ("+41 1", "2 Second Street")
        # The later of the two (in the audit chain) set the e-mail address on record.
        last = corrections(office.store, person_id)[-1].details_digest
        by_first, by_second = (
            naming(f, sign_in_links_ended=0, holder_sessions_ended=0)
            for f in ("email,phone", "address,email")
        )
        assert last in (by_first, by_second)
        winner = first if last == by_first else second
        assert confidential["email"] == winner["email"]
        # Start the next round from a state where both patches change the e-mail again.
        corrected(office, person_id, {"email": OLD, "phone": None, "address": None})
    assert len(corrections(office.store, person_id)) == 9  # each patch changed something
