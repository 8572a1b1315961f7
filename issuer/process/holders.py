"""A certified person's own access: sign-in links, sessions, their records and choices.

A person signs in with a single-use link that lasts ``CERTREG_HOLDER_LINK_MINUTES``: asked
for by e-mail address on the public sign-in page (the link goes to the address on record,
and the page answers the same whether or not the address is known), or made by a registrar
to hand over or print. The link's secret is shown once and stored as its SHA-256 digest; it
is compared in constant time, and used by one conditional update, so two uses at once open
one session. The session lives in a cookie holding its id and a secret (again stored as a
digest), until ``CERTREG_HOLDER_SESSION_HOURS`` pass or the person signs out. Forms of the
person's pages carry a token derived from the session's secret (cross-site request forgery).

Everything here is about the signed-in person only: another person's certification,
credential or decision is "not found", never "forbidden", so that no one learns it exists.
No e-mail address, link or secret is written to the audit log or any log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from issuer.errors import NotFound, SignInRefused
from issuer.model import (
    Certification,
    Credential,
    HolderSession,
    NoticeKind,
    SignInLink,
    SignInVia,
)
from issuer.process import notices
from issuer.process.auth import Actor
from issuer.process.persons import get_person
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor
from schemas.publication import DocumentKind

__all__ = [
    "LINK_PATH",
    "NOTICE_KIND",
    "IssuedLink",
    "OpenedSession",
    "check_form_token",
    "choose_directory",
    "current_session",
    "form_token",
    "link_for_person",
    "links_for_address",
    "own_certification",
    "own_credential",
    "sign_in",
    "sign_out",
]

LINK_PATH = "/holder/link/"
"""Where a sign-in link points, followed by its token: ``{base_url}/holder/link/{token}``."""

_SECRET_BYTES = 32
_TOKEN = re.compile(r"^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$")
_ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}$")
_FORM_CONTEXT = b"certreg holder form token"
NOTICE_KIND = NoticeKind.HOLDER_SIGN_IN
"""The kind of the notice that carries a sign-in link asked for by e-mail."""
REQUEST_ACTOR = "system:holder-sign-in-request"
"""The audit actor of a link asked for on the public page: anyone may type an address."""


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A link just made: its record and its token (``{id}.{secret}``), shown once."""

    link: SignInLink
    token: str

    def url(self, base_url: str) -> str:
        return f"{base_url}{LINK_PATH}{self.token}"


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A session just opened and the cookie value (``{id}.{secret}``) that carries it."""

    session: HolderSession
    cookie: str


def _secret(entropy: Entropy) -> str:
    return base64.urlsafe_b64encode(entropy(_SECRET_BYTES)).rstrip(b"=").decode()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _split(token: str) -> tuple[str, str] | None:
    matched = _TOKEN.fullmatch(token) if len(token) <= 80 else None
    return None if matched is None else (matched.group(1), matched.group(2))


def _make_link(
    tx: Tx,
    *,
    person_id: str,
    via: SignInVia,
    now: datetime,
    entropy: Entropy,
    minutes: int,
    created_by: str | None,
    audit_as: str | AuditActor,
) -> IssuedLink:
    secret = _secret(entropy)
    link = SignInLink(
        id=new_id(entropy),
        person_id=person_id,
        secret_digest=_digest(secret),
        via=via,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
        used_at=None,
        created_by=created_by,
    )
    tx.insert_sign_in_link(link)
    tx.append_audit(
        at=now,
        actor=audit_as,
        action="holder.sign-in-link.made",
        subject_type="person",
        subject_id=person_id,
        details={
            "link_id": link.id,
            "via": via.value,
            "expires_at": link.expires_at.isoformat(),
        },
    )
    return IssuedLink(link=link, token=f"{link.id}.{secret}")


def link_for_person(
    tx: Tx, *, actor: Actor, now: datetime, entropy: Entropy, person_id: str, minutes: int
) -> IssuedLink:
    """A registrar makes a sign-in link for the person, to give them or print (audited)."""
    person = get_person(tx, person_id[:64])
    return _make_link(
        tx,
        person_id=person.id,
        via=SignInVia.STAFF,
        now=now,
        entropy=entropy,
        minutes=minutes,
        created_by=actor.staff(),
        audit_as=actor.audit_name,
    )


def _variants(address: str) -> list[str]:
    """The address as typed, with its domain in lower case (domains ignore case), and all in
    lower case (as most people and most mail systems treat it)."""
    local, _, domain = address.rpartition("@")
    return sorted({address, f"{local}@{domain.lower()}", address.lower()})


def links_for_address(
    tx: Tx,
    *,
    now: datetime,
    entropy: Entropy,
    address: str,
    minutes: int,
    per_person_per_hour: int,
    base_url: str,
) -> list[IssuedLink]:
    """A link for each person whose e-mail address on record is ``address``, queued as a
    ``holder-sign-in`` notice to that address (the notice keeps the link until it is sent,
    then wipes it); at most ``per_person_per_hour`` for one person in an hour; none for an
    unknown address, and none while the base URL is not https (a link must not travel in
    clear). The caller tells the asker the same whatever this finds."""
    address = address.strip()
    if not base_url.startswith("https://"):
        return []
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        return []
    issued = []
    for person_id in tx.persons_with_email(_variants(address)):
        made = tx.sign_in_links_since(person_id, now - timedelta(hours=1), SignInVia.EMAIL)
        if made >= per_person_per_hour:
            continue
        made_link = _make_link(
            tx,
            person_id=person_id,
            via=SignInVia.EMAIL,
            now=now,
            entropy=entropy,
            minutes=minutes,
            created_by=None,
            audit_as=REQUEST_ACTOR,
        )
        notices.queue(
            tx,
            now=now,
            entropy=entropy,
            person_id=person_id,
            kind=NOTICE_KIND,
            subject_id=made_link.link.id,
            facts={"minutes": str(minutes), "expires_at": made_link.link.expires_at.isoformat()},
            secret_url=made_link.url(base_url),
        )
        issued.append(made_link)
    return issued


def sign_in(
    tx: Tx, *, token: str, now: datetime, entropy: Entropy, session_hours: int
) -> OpenedSession:
    """Use the link ``token`` once and open a session for its person; any link that is
    unknown, used or expired is refused alike (403 ``sign-in-refused``)."""
    refused = SignInRefused(
        "this sign-in link does not work: it may have been used already or have expired; "
        "ask for a new one",
        kind="sign-in-refused",
    )
    parts = _split(token)
    link = None if parts is None else tx.get_sign_in_link(parts[0])
    if parts is None or link is None:
        raise refused
    if not hmac.compare_digest(link.secret_digest, _digest(parts[1])):
        raise refused
    if not tx.use_sign_in_link(link.id, now=now):
        raise refused
    secret = _secret(entropy)
    session = HolderSession(
        id=new_id(entropy),
        person_id=link.person_id,
        secret_digest=_digest(secret),
        link_id=link.id,
        created_at=now,
        expires_at=now + timedelta(hours=session_hours),
        ended_at=None,
    )
    tx.insert_holder_session(session)
    tx.append_audit(
        at=now,
        actor=f"person:{link.person_id}",
        action="holder.signed-in",
        subject_type="person",
        subject_id=link.person_id,
        details={"session_id": session.id, "link_id": link.id, "via": link.via.value},
    )
    return OpenedSession(session=session, cookie=f"{session.id}.{secret}")


def current_session(tx: Tx, *, cookie: str | None, now: datetime) -> HolderSession | None:
    """The open session the cookie carries, or ``None`` (no cookie, a tampered or unknown
    one, an ended or expired session)."""
    parts = None if not cookie else _split(cookie)
    session = None if parts is None else tx.get_holder_session(parts[0])
    if parts is None or session is None:
        return None
    if not hmac.compare_digest(session.secret_digest, _digest(parts[1])):
        return None
    if session.ended_at is not None or session.expires_at <= now:
        return None
    return session


def sign_out(tx: Tx, *, session: HolderSession, now: datetime) -> None:
    if tx.end_holder_session(session.id, now=now):
        tx.append_audit(
            at=now,
            actor=f"person:{session.person_id}",
            action="holder.signed-out",
            subject_type="person",
            subject_id=session.person_id,
            details={"session_id": session.id},
        )


def form_token(cookie: str) -> str:
    """The token every form of the person's pages carries: derived from the session's
    secret, so another site cannot know it, and it ends with the session."""
    parts = _split(cookie)
    key = b"" if parts is None else parts[1].encode("ascii")
    mac = hmac.new(key, _FORM_CONTEXT, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def check_form_token(cookie: str, given: str | None) -> None:
    if not given or not hmac.compare_digest(form_token(cookie), given[:100]):
        raise SignInRefused(
            "this form did not come from your own page: open the page again and resend it",
            kind="form-token-invalid",
        )


def own_certification(tx: Tx, *, person_id: str, number: str) -> Certification:
    """The person's certification with ``number``; anyone else's is not found."""
    certification = tx.get_certification_by_number(number) if len(number) <= 64 else None
    if certification is None or certification.person_id != person_id:
        raise NotFound(f"you hold no certification {number[:64]!r}")
    return certification


def own_credential(tx: Tx, *, person_id: str, credential_id: str) -> Credential:
    """The person's credential ``credential_id``; anyone else's is not found."""
    credential = tx.get_credential(credential_id) if len(credential_id) <= 64 else None
    certification = (
        None if credential is None else tx.get_certification(credential.certification_id)
    )
    if credential is None or certification is None or certification.person_id != person_id:
        raise NotFound(f"you hold no credential {credential_id[:64]!r}")
    return credential


def choose_directory(tx: Tx, *, person_id: str, now: datetime, listed: bool) -> bool:
    """Record the person's choice about the public directory (clause 7.3.3), at any time:
    their register entries are queued for publication in the same transaction, so the
    registry lists or unlists them as soon as the outbox is drained. Whether it changed."""
    if not tx.set_directory_consent(person_id, listed):
        return False
    for certification in tx.certifications_of_person(person_id):
        tx.enqueue(DocumentKind.REGISTER_ENTRY.value, certification.certificate_number, now)
    tx.append_audit(
        at=now,
        actor=f"person:{person_id}",
        action="person.directory-choice",
        subject_type="person",
        subject_id=person_id,
        details={"directory": listed, "via": "own-access"},
    )
    return True
