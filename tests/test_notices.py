"""Notices to certified persons, end to end: a decision over HTTP queues its notice in the
same transaction, the sender delivers it to a real SMTP server (aiosmtpd) in the person's
language, as plain text and HTML, saying what was decided and never the recorded reason.
A refusal (5xx) makes it dead, visible to staff, who retry it; a temporary failure (4xx, a
dropped connection, a timeout) is tried again after a backoff; STARTTLS works; a sender
that died after claiming leaves the notice to be sent once after its lease; two senders at
once send each notice once. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from issuer.mail import SmtpTransport
from issuer.model import NoticeKind, NoticeState, PersonNotice
from issuer.process import notice_sender, notices
from issuer.process.due import run_due
from issuer.process.due_notices import NOTICE_JOBS
from issuer.store import Store
from schemas.languages import format_date
from tests.backoffice import BackOffice, candidate, exam_body, member, person_body
from tests.conftest import FrozenClock
from tests.test_due_jobs import decide, new_scheme

SENDER = "notices@body.example"


# ── a real SMTP server ───────────────────────────────────────────────────────────────────
@dataclass
class Mailbox:
    """What the server received, and how it answers the next messages."""

    received: list[EmailMessage] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    """Answers to the next DATA commands, in order (then ``250``)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.answers:
            answer = self.answers.pop(0)
            if not answer.startswith("2"):
                return answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def transport(port: int, clock: FrozenClock, **options: Any) -> SmtpTransport:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "username": None,
        "password": None,
        "timeout": 5,
        "clock": clock,
    }
    return SmtpTransport(**(values | options))


def send(store: Store, clock: FrozenClock, via: notice_sender.Transport) -> Any:
    return notice_sender.send_due(
        store, clock=clock, transport=via, sender=SENDER, body_name="Example Body"
    )


# ── helpers ──────────────────────────────────────────────────────────────────────────────
def certified(office: BackOffice, code: str = "WI", **confidential: Any) -> tuple[str, str]:
    """A new person (with ``confidential`` data) certified over HTTP: (person id, number)."""
    registrar = member(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body(**confidential))
    scheme = new_scheme(office, code)
    accepted = candidate(office, scheme, ["VT-STEEL"], person["id"])
    day = office.clock().date() - timedelta(days=3)
    office.ok("POST", "/examinations", member(office, "examiner"), exam_body(accepted["id"], day))
    decision = office.ok(
        "POST",
        "/decisions",
        member(office, "decider"),
        {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"},
    )
    return person["id"], decision["certification"]["certificate_number"]


def listed(office: BackOffice, state: str) -> list[dict[str, Any]]:
    page = office.ok("GET", f"/notices?state={state}", member(office, "registrar"))
    assert page["total"] == len(page["notices"])
    result: list[dict[str, Any]] = page["notices"]
    return result


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    return plain.get_content(), html.get_content()


# ── the message ──────────────────────────────────────────────────────────────────────────
def test_a_grant_queues_its_notice_and_the_sender_delivers_it_in_the_persons_language(
    office: BackOffice, store: Store, clock: FrozenClock, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    person_id, number = certified(office, language="de", email="jana.k@example.org")
    [queued] = listed(office, "queued")
    assert (queued["person_id"], queued["kind"], queued["language"]) == (
        person_id,
        "granted",
        "de",
    )
    assert queued["facts"]["certificate_number"] == number
    assert "email" not in repr(queued)
    assert "example.org" not in repr(queued)

    report = send(store, clock, transport(port, clock))
    assert (report.sent, report.dead, report.retrying) == (1, 0, 0)
    [message] = box.received
    assert message["To"] == "jana.k@example.org"
    assert message["Message-ID"] == f"<notice.{queued['id']}@body.example>"
    assert message["Content-Language"] == "de"
    assert number in message["Subject"]
    assert "erteilt" in message["Subject"]
    plain, html = parts(message)
    assert "Guten Tag Ana Moreau" in plain
    assert number in plain
    assert "<p>" in html
    assert number in html
    [sent] = listed(office, "sent")
    assert sent["id"] == queued["id"]
    assert sent["sent_at"] is not None
    assert listed(office, "queued") == []
    # Sent once: another pass sends nothing.
    assert send(store, clock, transport(port, clock)).sent == 0
    assert len(box.received) == 1


def test_a_suspension_notice_says_what_was_decided_never_the_reason(
    office: BackOffice, store: Store, clock: FrozenClock, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    _, number = certified(office)
    send(store, clock, transport(port, clock))
    resolve_by = (clock().date() + timedelta(days=20)).isoformat()
    reason = "complaint C-77 from the employer about a falsified report"
    decide(office, number, "suspend", {"reason": reason, "resolve_by": resolve_by})
    assert send(store, clock, transport(port, clock)).sent == 1
    grant, suspension = box.received
    assert "granted" in grant["Subject"]
    assert "suspended" in suspension["Subject"]
    plain, html = parts(suspension)
    for text in (plain, html, str(suspension["Subject"])):
        assert "C-77" not in text
        assert "falsified" not in text
    assert format_date(date.fromisoformat(resolve_by), "en") in plain  # "December 15, 2026"
    assert "appeal" in plain


def test_every_kind_has_its_message_in_every_offered_language() -> None:
    facts = {
        "certificate_number": "7K3M-9QXD-2HFW-8T4B-E",
        "scheme": "Welding inspector",
        "scope": "VT-STEEL",
        "scope_before": "VT-STEEL, VT-PRESSURE",
        "expires_on": "2029-11-24",
        "effective_on": "2026-11-25",
        "decided_on": "2026-11-25",
        "window_opens": "2029-05-25",
        "window_closes": "2029-11-24",
        "reissued_on": "2026-11-25",
        "disclosed_on": "2026-11-25",
        "field": "date_of_birth",
        "regulator": "Welding Authority",
        "legal_basis": "Art. 12",
        "minutes": "30",
    }
    for language in notices.LANGUAGES:
        for kind in NoticeKind:
            assert notice_sender.has_message(kind, language), (kind, language)
            notice = PersonNotice(
                id="n",
                person_id="p",
                kind=kind.value,
                subject_id="s",
                created_at=datetime(2026, 11, 25, tzinfo=UTC),
                sent_at=None,
                sent_by=None,
                facts=facts,
            )
            subject, plain, html = notice_sender.render(
                notice, name="Ana Moreau", body="Example Body", contact=None, language=language
            )
            assert subject
            # a denial and a sign-in link name no certificate
            assert ("7K3M" in subject + plain) or kind in (
                NoticeKind.DENIED,
                NoticeKind.HOLDER_SIGN_IN,
            )
            assert "<p>" in html
    assert not notice_sender.has_message("no-such-kind", "en")


# ── failures ─────────────────────────────────────────────────────────────────────────────
def test_a_refusal_makes_the_notice_dead_for_staff_who_retry_it(
    office: BackOffice,
    store: Store,
    clock: FrozenClock,
    mailbox: tuple[Mailbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    box, port = mailbox
    certified(office)
    box.answers.append("550 5.1.1 <ana.moreau@example.org> mailbox unavailable")
    caplog.set_level(logging.DEBUG, logger="certreg")
    report = send(store, clock, transport(port, clock))
    assert (report.sent, report.dead) == (0, 1)
    [dead] = listed(office, "dead")
    assert dead["last_error"] == "550 refused"
    assert dead["attempts"] == 1
    examiner = member(office, "examiner")
    assert office.call("POST", f"/notices/{dead['id']}/retry", examiner).status_code == 403
    retried = office.ok("POST", f"/notices/{dead['id']}/retry", member(office, "registrar"))
    assert (retried["state"], retried["attempts"], retried["last_error"]) == ("queued", 0, None)
    again = office.call("POST", f"/notices/{dead['id']}/retry", member(office, "registrar"))
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/state-conflict"
    missing = office.call("POST", "/notices/nope/retry", member(office, "registrar"))
    assert missing.status_code == 404
    assert send(store, clock, transport(port, clock)).sent == 1
    assert len(box.received) == 1
    # No address and nothing of the message in a log line or a stored error.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("certreg"))
    assert "example.org" not in ours
    assert "Moreau" not in ours
    assert "example.org" not in repr(listed(office, "sent"))


def test_a_temporary_failure_is_tried_again_after_a_backoff_and_nothing_is_lost(
    office: BackOffice, store: Store, clock: FrozenClock, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    certified(office)
    box.answers.append("451 4.3.0 try again later")
    assert send(store, clock, transport(port, clock)).retrying == 1
    [waiting] = listed(office, "failed-retrying")
    assert waiting["last_error"] == "451 refused"
    due = datetime.fromisoformat(waiting["next_attempt_at"])
    assert due == clock() + notice_sender.backoff(1)

    # A dropped connection: a server that closes at once.
    with socket.socket() as closing:
        closing.bind(("127.0.0.1", 0))
        closing.listen()
        drop_port = closing.getsockname()[1]

        def drop() -> None:
            conn, _ = closing.accept()
            conn.close()

        dropper = threading.Thread(target=drop)
        dropper.start()
        assert send(store, clock, transport(drop_port, clock)).sent == 0  # not due yet
        clock.advance(seconds=61)
        assert send(store, clock, transport(drop_port, clock)).retrying == 1
        dropper.join(timeout=10)
    [waiting] = listed(office, "failed-retrying")
    assert waiting["last_error"] == "disconnected"
    assert waiting["attempts"] == 2

    # A server that answers nothing: a timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        clock.advance(seconds=121)
        quiet = transport(silent.getsockname()[1], clock, timeout=0.5)
        assert send(store, clock, quiet).retrying == 1
    [waiting] = listed(office, "failed-retrying")
    assert waiting["attempts"] == 3

    clock.advance(minutes=5)
    assert send(store, clock, transport(port, clock)).sent == 1
    assert len(box.received) == 1
    assert listed(office, "failed-retrying") == []


def test_a_notice_failing_every_time_is_dead_after_the_last_attempt(
    office: BackOffice, store: Store, clock: FrozenClock, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    certified(office)
    box.answers.extend(["421 4.7.0 busy"] * notice_sender.MAX_ATTEMPTS)
    for attempt in range(1, notice_sender.MAX_ATTEMPTS + 1):
        send(store, clock, transport(port, clock))
        clock.advance(seconds=notice_sender.backoff(attempt).total_seconds() + 1)
    [dead] = listed(office, "dead")
    assert dead["attempts"] == notice_sender.MAX_ATTEMPTS
    assert box.received == []


def test_a_person_without_an_address_gets_a_notice_staff_post(
    office: BackOffice, store: Store, clock: FrozenClock, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    certified(office, email=None)
    [unaddressed] = listed(office, "no-address")
    assert unaddressed["kind"] == "granted"
    assert send(store, clock, transport(port, clock)).sent == 0
    assert box.received == []


# ── STARTTLS ─────────────────────────────────────────────────────────────────────────────
def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.pem", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_with_the_servers_certificate_trusted(
    office: BackOffice, store: Store, clock: FrozenClock, tmp_path: Path
) -> None:
    cert_path, key_path = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    box = Mailbox()
    port = _free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
    )
    controller.start()
    try:
        certified(office)
        plain_text = transport(port, clock)  # refused: the server requires STARTTLS (530)
        assert send(store, clock, plain_text).dead == 1
        assert box.received == []
        [dead] = listed(office, "dead")
        office.ok("POST", f"/notices/{dead['id']}/retry", member(office, "admin"))
        trusting = ssl.create_default_context(cafile=str(cert_path))
        secure = transport(port, clock, starttls=True, context=trusting)
        assert send(store, clock, secure).sent == 1
        assert len(box.received) == 1
    finally:
        controller.stop()


# ── crashes and races ────────────────────────────────────────────────────────────────────
def test_a_sender_that_died_after_claiming_leaves_the_notice_sent_once_after_its_lease(
    office: BackOffice, store: Store, clock: FrozenClock, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    certified(office)
    [queued] = listed(office, "queued")
    with store.transaction() as tx:  # the claim of a sender that then died
        now = clock()
        claimed = tx.claim_notice(queued["id"], now=now, lease_until=now + notice_sender.LEASE)
        assert claimed is not None
        assert claimed.state is NoticeState.SENDING
    assert send(store, clock, transport(port, clock)).sent == 0  # the lease holds
    clock.advance(seconds=notice_sender.LEASE.total_seconds() + 1)
    assert send(store, clock, transport(port, clock)).sent == 1
    assert send(store, clock, transport(port, clock)).sent == 0
    assert len(box.received) == 1
    [sent] = listed(office, "sent")
    assert sent["attempts"] == 2


def test_two_senders_at_once_send_each_notice_once(
    office: BackOffice, store: Store, clock: FrozenClock, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    for code in ("WA", "WB", "WC", "WD"):
        certified(office, code)
    start = threading.Barrier(2)
    reports: list[Any] = []

    def run() -> None:
        start.wait()
        reports.append(send(store, clock, transport(port, clock)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.sent for r in reports) == 4
    ids = [m["Message-ID"] for m in box.received]
    assert len(ids) == 4
    assert len(set(ids)) == 4


# ── the calendar's notices ───────────────────────────────────────────────────────────────
def test_expiry_ahead_and_recertification_due_are_queued_once_a_cycle(
    office: BackOffice, store: Store, clock: FrozenClock
) -> None:
    _, number = certified(office)
    with store.reading() as reader:
        certification = reader.get_certification_by_number(number)
        assert certification is not None
    expiry = certification.expiry_date
    clock.now = datetime.combine(expiry - timedelta(days=150), datetime.min.time(), tzinfo=UTC)
    run_due(store, clock=clock, entropy=office.entropy, jobs=NOTICE_JOBS)
    assert [n["kind"] for n in listed(office, "queued")] == ["granted", "recertification-due"]
    clock.now = datetime.combine(expiry - timedelta(days=59), datetime.min.time(), tzinfo=UTC)
    for _ in range(2):
        run_due(store, clock=clock, entropy=office.entropy, jobs=NOTICE_JOBS)
        clock.advance(days=1)
    kinds = [n["kind"] for n in listed(office, "queued")]
    assert kinds == ["granted", "recertification-due", "expiry-ahead"]
    [ahead] = [n for n in listed(office, "queued") if n["kind"] == "expiry-ahead"]
    assert ahead["facts"]["expires_on"] == expiry.isoformat()
