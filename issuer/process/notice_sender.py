"""The sender of notices to certified persons: claims what is due, writes the message in
the person's language, hands it to a transport, and records how it went.

Each notice is claimed alone with one conditional UPDATE (:meth:`Tx.claim_notice`), so of
two senders only one gets it; the claim is a lease of :data:`LEASE`: a sender that dies
after claiming leaves the notice to be claimed again once the lease ends, and it is then
sent once. The message goes out outside any transaction (a slow mail server holds no
lock) and its outcome is recorded in a transaction of its own, by the claim that holds it
only. A sender that dies after the mail server accepted the message but before recording
it sends it again once the lease ends: delivery is at least once, and the message's
``Message-ID`` is the same every time (:func:`message_id`), so a mail client shows it once.

The transport is passed in (the SMTP one is at the edge, :mod:`issuer.mail`): it raises
:class:`DeliveryFailure`, permanent (a 5xx refusal: the notice is dead, for staff to look
at) or temporary (a 4xx answer, a timeout, a dropped connection: tried again after
:func:`backoff`, dead after :data:`MAX_ATTEMPTS`). A person without an e-mail address on
record when the notice is sent gets it by post: it becomes ``no-address``, for staff.

Nothing of the address or the message is logged or audited: the audit entries name the
notice, its kind, the attempt and a short reason (an SMTP code, ``timeout``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.exceptions import TemplateError

from issuer.model import NoticeKind, NoticeState, Person, PersonNotice
from issuer.process.notices import DEFAULT_LANGUAGE, LANGUAGES, LINK_FACT, language_of
from issuer.runtime import Clock
from issuer.store import Store, Tx
from schemas.languages import format_date, translations

__all__ = [
    "ACTOR",
    "BATCH_SIZE",
    "LEASE",
    "MAX_ATTEMPTS",
    "BackgroundNoticeSender",
    "DeliveryFailure",
    "Mail",
    "SendReport",
    "Transport",
    "backoff",
    "has_message",
    "message_id",
    "render",
    "send_due",
]

log = logging.getLogger("certreg.notices")

ACTOR = "system:notice-sender"
"""How the audit log names the sender."""
LEASE = timedelta(minutes=5)
"""How long a claim holds a notice: longer than a send takes (the SMTP timeout is at most
ten minutes only if configured so; keep it below this)."""
MAX_ATTEMPTS = 8
"""Attempts before a notice that keeps failing for a temporary reason is dead: with
:func:`backoff`, about a day and a half of trying."""
BATCH_SIZE = 100
_BACKOFF_FIRST = timedelta(minutes=1)
_BACKOFF_MOST = timedelta(hours=12)
_ERROR_MAX = 200


class DeliveryFailure(Exception):
    """A transport could not deliver a message. ``reason`` is short and names no address
    and none of the message (an SMTP code and its class, ``timeout``, ``disconnected``);
    ``permanent`` when trying again cannot help (a 5xx refusal)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:_ERROR_MAX]
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Mail:
    """One message, ready for a transport."""

    to: str
    sender: str
    subject: str
    text: str
    html: str
    message_id: str
    language: str


Transport = Callable[[Mail], None]
"""Delivers a message or raises :class:`DeliveryFailure`."""


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1, 2, …): doubling from a
    minute, at most twelve hours."""
    wait: timedelta = _BACKOFF_FIRST * int(2 ** min(max(0, attempt - 1), 30))
    return min(wait, _BACKOFF_MOST)


def message_id(notice: PersonNotice, sender: str) -> str:
    """The notice's ``Message-ID``: the same at every attempt, so a message sent twice (a
    sender that died between sending and recording it) is one message to a mail client."""
    domain = sender.rpartition("@")[2] or "certreg.invalid"
    return f"<notice.{notice.id}@{domain}>"


_DATE_FACTS = frozenset(
    {
        "decided_on",
        "disclosed_on",
        "effective_on",
        "expires_on",
        "reissued_on",
        "resolve_by",
        "window_closes",
        "window_opens",
    }
)
"""The facts that are days (recorded as ISO 8601): a message writes them as its language
writes dates, "24 November 2029", "24. November 2029", "24 de noviembre de 2029"."""


@cache
def _environment(language: str) -> Environment:
    """The templates, their sentences translated into ``language`` from the ``notices``
    catalogue (:func:`schemas.languages.translations`)."""
    env = Environment(
        loader=PackageLoader("issuer.process", "notice_templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    catalogue = translations("notices", language)
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    return env


def _shown(facts: Mapping[str, str], language: str) -> dict[str, str]:
    """The facts as the message says them: days in the language's way of writing dates."""
    shown = dict(facts)
    for key in _DATE_FACTS & shown.keys():
        with contextlib.suppress(ValueError):  # not a day after all: said as recorded
            shown[key] = format_date(date.fromisoformat(shown[key]), language)
    return shown


def _paragraphs(text: str) -> list[str]:
    blocks = (block.strip() for block in text.strip().split("\n\n"))
    return [block for block in blocks if block]


def render(
    notice: PersonNotice,
    *,
    name: str,
    body: str,
    contact: str | None,
    language: str,
) -> tuple[str, str, str]:
    """The subject, plain text and HTML of ``notice`` in ``language`` (an offered one),
    addressed to ``name``, signed by ``body``. Raises a Jinja ``TemplateError`` when the
    notice lacks a fact its message needs, or its kind has no message."""
    env = _environment(language)
    messages = env.get_template("messages.j2").module
    macro = notice.kind.replace("-", "_")
    facts: Mapping[str, str] = _shown(notice.facts or {}, language)
    subject = " ".join(str(getattr(messages, f"{macro}_subject")(facts)).split())
    paragraphs = _paragraphs(str(getattr(messages, f"{macro}_body")(facts)))
    values = {
        "m": messages,
        "name": name,
        "body": body,
        "contact": contact,
        "subject": subject,
        "paragraphs": paragraphs,
        "language": language,
        "link": notice.secret_url,
        "link_gone": notice.secret_url is None and facts.get(LINK_FACT) == "yes",
    }
    text = env.get_template("mail.txt.j2").render(values)
    html = env.get_template("mail.html.j2").render(values)
    return subject, text, html


def has_message(kind: NoticeKind | str, language: str) -> bool:
    """Whether ``kind`` has its message in ``language``: a subject and a body, in a language
    with a catalogue (``tests/test_languages.py`` sees that it translates every sentence)."""
    if language not in LANGUAGES:
        return False
    messages = _environment(language).get_template("messages.j2").module
    macro = str(kind).replace("-", "_")
    return hasattr(messages, f"{macro}_subject") and hasattr(messages, f"{macro}_body")


@dataclass(slots=True)
class SendReport:
    """What one pass of the sender did, by outcome."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    no_address: int = 0
    outcomes: dict[str, NoticeState] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.sent} sent, {self.retrying} to try again, {self.dead} dead, "
            f"{self.no_address} without an e-mail address (for staff to post)"
        )


@dataclass(frozen=True, slots=True)
class _Claimed:
    notice: PersonNotice
    mail: Mail | None
    failure: str | None = None


def _mail_of(tx: Tx, notice: PersonNotice, person: Person, sender: str, body_name: str) -> Mail:
    information = tx.current_body_information()
    chosen = person.confidential.language
    language = language_of(chosen) if chosen else notice.language
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    subject, text, html = render(
        notice,
        name=f"{person.given_name} {person.family_name}",
        body=information.name if information is not None else body_name,
        contact=information.contact if information is not None else None,
        language=language,
    )
    assert person.confidential.email is not None
    return Mail(
        to=person.confidential.email,
        sender=sender,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id(notice, sender),
        language=language,
    )


def _audit(
    tx: Tx, notice: PersonNotice, state: NoticeState, now: datetime, reason: str | None
) -> None:
    details: dict[str, str | int | bool | None] = {
        "notice_id": notice.id,
        "kind": notice.kind,
        "attempt": notice.attempts,
        "state": state.value,
    }
    if reason is not None:
        details["reason"] = reason
    tx.append_audit(
        at=now,
        actor=ACTOR,
        action=f"person.notice-{'sent' if state is NoticeState.SENT else 'not-sent'}",
        subject_type="person",
        subject_id=notice.person_id,
        details=details,
    )


def _claim(store: Store, notice_id: str, now: datetime, sender: str, body: str) -> _Claimed | None:
    """Claim one notice and write its message, in one transaction. A notice that cannot
    be written (no address; a fact or a message missing) is finished at once."""
    with store.transaction() as tx:
        notice = tx.claim_notice(notice_id, now=now, lease_until=now + LEASE)
        if notice is None:
            return None
        if notice.attempts > MAX_ATTEMPTS:
            # Claimed again and again by senders that died while sending it: given up.
            reason = "no outcome recorded after every attempt"
            tx.finish_notice(
                notice.id, attempt=notice.attempts, state=NoticeState.DEAD, last_error=reason
            )
            _audit(tx, notice, NoticeState.DEAD, now, reason)
            return _Claimed(notice, None, NoticeState.DEAD.value)
        person = tx.get_person(notice.person_id)
        if person is None or not person.confidential.email:
            tx.finish_notice(notice.id, attempt=notice.attempts, state=NoticeState.NO_ADDRESS)
            _audit(tx, notice, NoticeState.NO_ADDRESS, now, "no e-mail address on record")
            return _Claimed(notice, None, NoticeState.NO_ADDRESS.value)
        try:
            mail = _mail_of(tx, notice, person, sender, body)
        except (TemplateError, AttributeError) as exc:
            reason = f"message not written: {type(exc).__name__}"
            tx.finish_notice(
                notice.id, attempt=notice.attempts, state=NoticeState.DEAD, last_error=reason
            )
            _audit(tx, notice, NoticeState.DEAD, now, reason)
            return _Claimed(notice, None, NoticeState.DEAD.value)
        return _Claimed(notice, mail)


def _record(
    store: Store, notice: PersonNotice, now: datetime, failure: DeliveryFailure | None
) -> NoticeState:
    """Record how the attempt went, if the claim still holds the notice."""
    if failure is None:
        state, when, reason = NoticeState.SENT, None, None
    elif failure.permanent or notice.attempts >= MAX_ATTEMPTS:
        state, when, reason = NoticeState.DEAD, None, failure.reason
    else:
        state, when = NoticeState.FAILED_RETRYING, now + backoff(notice.attempts)
        reason = failure.reason
    with store.transaction() as tx:
        held = tx.finish_notice(
            notice.id,
            attempt=notice.attempts,
            state=state,
            sent_at=now if state is NoticeState.SENT else None,
            next_attempt_at=when,
            last_error=reason,
        )
        if held:
            _audit(tx, notice, state, now, reason)
    if not held:
        log.warning("notice %s: its claim lapsed before its outcome was recorded", notice.id)
    return state


def send_due(
    store: Store,
    *,
    clock: Clock,
    transport: Transport,
    sender: str,
    body_name: str,
    limit: int = BATCH_SIZE,
    stopping: Callable[[], bool] = lambda: False,
) -> SendReport:
    """One pass: send up to ``limit`` notices that are due (and whose claims lapsed), one
    at a time, and report what came of each."""
    report = SendReport()
    with store.reading() as reader:
        due = reader.due_notice_ids(now=clock(), limit=limit)
    for notice_id in due:
        if stopping():
            break
        claimed = _claim(store, notice_id, clock(), sender, body_name)
        if claimed is None:
            continue  # another sender has it, or it is no longer due
        if claimed.mail is None:
            state = NoticeState(claimed.failure or NoticeState.DEAD.value)
        else:
            failure = None
            try:
                transport(claimed.mail)
            except DeliveryFailure as exc:
                failure = exc
            state = _record(store, claimed.notice, clock(), failure)
        report.outcomes[notice_id] = state
        if state is NoticeState.SENT:
            report.sent += 1
        elif state is NoticeState.FAILED_RETRYING:
            report.retrying += 1
        elif state is NoticeState.NO_ADDRESS:
            report.no_address += 1
        else:
            report.dead += 1
    return report


class BackgroundNoticeSender:
    """Runs :func:`send_due` at once and then every ``interval`` seconds on a daemon thread,
    for ``certreg serve``. A pass that fails (the database unreachable) is logged and tried
    again at the next interval; what it did not send stays due. :meth:`stop` ends the
    thread after the notice under way."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        transport: Transport,
        sender: str,
        body_name: str,
        interval: float,
    ) -> None:
        if interval <= 0:
            raise ValueError("the notice sender's interval must be positive")
        self._store = store
        self._clock = clock
        self._transport = transport
        self._sender = sender
        self._body_name = body_name
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="certreg-notices", daemon=True)
        self.passes = 0
        """Passes completed since :meth:`start`, failed ones included."""

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def tick(self) -> SendReport | None:
        try:
            report = send_due(
                self._store,
                clock=self._clock,
                transport=self._transport,
                sender=self._sender,
                body_name=self._body_name,
                stopping=self._stop.is_set,
            )
        except Exception:
            log.exception("sending notices failed; trying again in %.0f s", self._interval)
            return None
        if report.outcomes:
            log.info("notices: %s", report.summary())
        return report

    def _run(self) -> None:
        while not self._stop.is_set():
            report = self.tick()
            self.passes += 1
            if report is None or len(report.outcomes) < BATCH_SIZE:
                self._stop.wait(self._interval)
