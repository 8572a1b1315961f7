"""Notices owed to a certified person: queued with what they tell about, sent by e-mail.

Every decision about a person (a grant or a denial, a suspension, a reinstatement, a
withdrawal, a change of scope, a recertification), every date that calls for them to act
(their recertification window opening, their certificate's expiry ahead), a re-issue after
a key compromise and a disclosure of their data under clause 7.3.4 queues one notice with
:func:`queue`, in the transaction that records it: the two commit together or not at all,
so no notice is owed for what never happened and nothing happened without its notice.

A notice holds the facts its message says (short texts: a certificate number, a date, the
scheme's name) and never the person's address: the sender reads the address from the
confidential record when it sends (:mod:`issuer.process.notice_sender`), so an address
corrected in the meantime is the one used. A person with no e-mail address on record gets
a ``no-address`` notice, which staff print and post, then mark sent by hand.

Staff see notices by state and put a dead or unaddressed one back in the queue
(:func:`retry`) once the cause is fixed — a corrected address, a mail server that accepts
again. A one-time link a notice carried was wiped when it died: the retried message says so
rather than carrying a link the store no longer has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from issuer.errors import InvalidInput, NotFound, StateConflict
from issuer.model import Certification, NoticeKind, NoticeState, Person, PersonNotice, Role
from issuer.process.auth import Actor, require_role
from issuer.process.persons import get_person
from issuer.runtime import Entropy, new_id
from issuer.store import Reader, Tx
from schemas.languages import LANGUAGES as _LANGUAGES

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LINK_FACT",
    "RETRYABLE",
    "NoticePage",
    "certification_facts",
    "grant_notice",
    "language_of",
    "list_notices",
    "queue",
    "retry",
]

LANGUAGES = _LANGUAGES
"""The languages notices are written in (every language certreg speaks); every kind has its
message in each of them, translated in the ``notices`` catalogues."""
DEFAULT_LANGUAGE = "en"
"""The language of a notice to a person who chose none (or one not offered)."""
RETRYABLE = frozenset({NoticeState.DEAD, NoticeState.NO_ADDRESS, NoticeState.FAILED_RETRYING})
"""The states staff may put back in the queue: the sender gave up, could not address it,
or is waiting to try again (a retry brings the attempt forward)."""

LINK_FACT = "one_time_link"
"""The fact that says a notice carried a one-time link (``yes``): once the link is wiped, a
retried message says it is gone instead of leaving it out silently."""
_FACTS_MAX = 20
_FACT_KEY_MAX = 40
_FACT_VALUE_MAX = 500
_URL_MAX = 2000


def language_of(chosen: str | None) -> str:
    """The language a person's notices are written in: theirs if offered, else the default."""
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def _facts(facts: Mapping[str, str] | None) -> dict[str, str]:
    given = dict(facts or {})
    if len(given) > _FACTS_MAX:
        raise InvalidInput(f"a notice says at most {_FACTS_MAX} facts")
    for key, value in given.items():
        if not (0 < len(key) <= _FACT_KEY_MAX) or not isinstance(value, str):
            raise InvalidInput(f"a notice's fact {key[:_FACT_KEY_MAX]!r} is not a short text")
        if len(value) > _FACT_VALUE_MAX:
            raise InvalidInput(f"a notice's fact {key!r} is longer than {_FACT_VALUE_MAX}")
    return given


def queue(
    tx: Tx,
    *,
    now: datetime,
    entropy: Entropy,
    person_id: str,
    kind: NoticeKind | str,
    subject_id: str,
    facts: Mapping[str, str] | None = None,
    secret_url: str | None = None,
) -> PersonNotice:
    """Queue a notice to ``person_id`` about ``subject_id``, in the caller's transaction.

    ``facts`` are what the message says (each a short text); ``secret_url`` a one-time link
    the message carries, wiped once it is sent or given up. The notice is written in the
    person's language; it waits for the sender, or for staff when the person has no e-mail
    address on record. The caller's audit entry for what the notice tells about names it
    (``notice_id``), so the entry names the token of the request that caused both; the facts
    are never audited.
    """
    person = get_person(tx, person_id)
    if secret_url is not None and not (
        secret_url.startswith("https://") and len(secret_url) <= _URL_MAX
    ):
        raise InvalidInput("a notice's link is an https address of at most 2000 characters")
    addressed = bool(person.confidential.email)
    notice = PersonNotice(
        id=new_id(entropy),
        person_id=person.id,
        kind=str(kind),
        subject_id=subject_id,
        created_at=now,
        sent_at=None,
        sent_by=None,
        state=NoticeState.QUEUED if addressed else NoticeState.NO_ADDRESS,
        attempts=0,
        next_attempt_at=now if addressed else None,
        last_error=None,
        language=language_of(person.confidential.language),
        facts={**_facts(facts), **({LINK_FACT: "yes"} if secret_url else {})},
        secret_url=secret_url,
    )
    tx.insert_person_notice(notice)
    return notice


def certification_facts(reader: Reader, certification: Certification) -> dict[str, str]:
    """What every notice about a certification says: its certificate number, the scheme's
    title, the scope and the expiry date (all of it on the public register anyway)."""
    version = reader.get_scheme_version(certification.scheme_version_id)
    return _certification_facts(
        number=certification.certificate_number,
        title=version.content.title if version is not None else "",
        scope=certification.scope,
        expiry=certification.expiry_date,
    )


def _certification_facts(
    *, number: str, title: str, scope: tuple[str, ...], expiry: date
) -> dict[str, str]:
    return {
        "certificate_number": number,
        "scheme": title[:_FACT_VALUE_MAX],
        "scope": ", ".join(scope)[:_FACT_VALUE_MAX],
        "expires_on": expiry.isoformat(),
    }


def grant_notice(
    *,
    notice_id: str,
    now: datetime,
    person_id: str,
    new_person: Person | None,
    certification_id: str,
    number: str,
    title: str,
    scope: tuple[str, ...],
    effective: date,
    expiry: date,
) -> PersonNotice:
    """The notice of a grant made by bulk issuance, built ahead of the chunk's transaction
    so that it goes in with the chunk's multi-row insert (:func:`queue` writes one row
    at a time). A person the roster registers is addressed as :func:`queue` would; for one
    already on record, the sender reads their address (and language) when it sends, as it
    does for every notice, and hands an unaddressed one to staff then. The chunk's audit
    entry counts its notices."""
    confidential = None if new_person is None else new_person.confidential
    addressed = confidential is None or bool(confidential.email)
    facts = _certification_facts(number=number, title=title, scope=scope, expiry=expiry)
    facts["effective_on"] = effective.isoformat()
    return PersonNotice(
        id=notice_id,
        person_id=person_id,
        kind=NoticeKind.GRANTED.value,
        subject_id=certification_id,
        created_at=now,
        sent_at=None,
        sent_by=None,
        state=NoticeState.QUEUED if addressed else NoticeState.NO_ADDRESS,
        next_attempt_at=now if addressed else None,
        language=language_of(None if confidential is None else confidential.language),
        facts=facts,
    )


@dataclass(frozen=True, slots=True)
class NoticePage:
    """One page of notices and how many there are in all."""

    notices: list[PersonNotice]
    total: int


def list_notices(
    reader: Reader, *, states: tuple[NoticeState, ...], limit: int, offset: int
) -> NoticePage:
    """Notices in ``states`` (all states when empty), oldest first, a page at a time."""
    notices, total = reader.notices_in_states(
        states or tuple(NoticeState), limit=limit, offset=offset
    )
    return NoticePage(notices=notices, total=total)


def retry(tx: Tx, *, actor: Actor, now: datetime, notice_id: str) -> PersonNotice:
    """Put a notice the sender gave up on (or could not address, or waits to retry) back
    in the queue, due now, with a fresh count of attempts. Registrars and administrators."""
    require_role(actor, (Role.REGISTRAR, Role.ADMINISTRATOR))
    notice = tx.lock_person_notice(notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id[:64]!r}")
    if notice.state not in RETRYABLE:
        raise StateConflict(f"a notice {notice.state.value} is not retried")
    tx.requeue_notice(notice.id, now=now)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="person.notice-retried",
        subject_type="person",
        subject_id=notice.person_id,
        details={"notice_id": notice.id, "kind": notice.kind, "from": notice.state.value},
    )
    fresh = tx.get_person_notice(notice.id)
    assert fresh is not None
    return fresh
