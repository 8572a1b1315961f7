"""Correcting a person's contact details and language (clause 7.3: confidential).

A person's e-mail address, phone, postal address and language are given when they are
registered; staff correct them later, above all the address of a notice that bounced. A
correction names only the fields it changes, each set to a new value or cleared (JSON merge
patch, RFC 7396), and is applied under a lock of the person's confidential record: two
corrections at once are applied one after the other, each whole, the later one winning a
field both set.

What changes reaches the person at once, because nothing keeps a copy: the notice sender
reads the address and language when it sends (:mod:`issuer.process.notice_sender`), so a
dead notice retried after the correction goes to the corrected address; and the sign-in by
e-mail looks the address up when it is asked (:mod:`issuer.process.holders`), so the new
address gets a link and the old one no longer does. A link already e-mailed to the old
address is ended with the change, since that address may not be the person's; so is every
open session of the person's own pages, since it may have been opened from the old address
(the person signs in again with a link to the new one). A link whose notice still waits to
be sent is kept, as it will now go to the new address.

The audit entry names the fields that changed, never their values: the audit log is read by
auditors and its checkpoints are published, and it must hold nothing confidential. Nothing
of this reaches the registry, which never holds confidential data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from issuer.errors import InvalidInput, NotFound
from issuer.model import NoticeState, Person, Role, SignInVia
from issuer.process.auth import Actor, require_role
from issuer.process.holders import NOTICE_KIND as SIGN_IN_NOTICE
from issuer.process.notices import LANGUAGES
from issuer.store import Tx

__all__ = ["CONTACT_FIELDS", "correct_contact"]

CONTACT_FIELDS = ("email", "phone", "address", "language")
"""The confidential fields staff correct this way (the date of birth and the identity
document are evidence of identity, not contact details, and stay as registered)."""

_WAITING = (NoticeState.QUEUED, NoticeState.FAILED_RETRYING)
"""A sign-in notice in these states has not reached any address yet: the sender will send
it to the address on record when it does, so its link stays good."""


def correct_contact(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    person_id: str,
    changes: Mapping[str, str | None],
) -> Person:
    """Apply ``changes`` (field → new value, ``None`` to clear) to the person's contact
    details, audit which fields changed, and return the person as now on record. Fields
    set to what they already hold change nothing; no change, no audit entry."""
    require_role(actor, (Role.REGISTRAR,))
    unknown = sorted(set(changes) - set(CONTACT_FIELDS))
    if unknown:
        raise InvalidInput(f"these are not contact details: {', '.join(unknown)}")
    language = changes.get("language")
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(f"notices are written in {', '.join(LANGUAGES)} only")
    current = tx.lock_person_confidential(person_id)
    if current is None:
        raise NotFound(f"no person {person_id[:64]!r}")
    changed = {f: v for f, v in changes.items() if getattr(current, f) != v}
    if changed:
        tx.update_person_confidential(person_id, changed)
        details: dict[str, str | int | bool | None] = {"fields": ",".join(sorted(changed))}
        if "email" in changed:
            details["sign_in_links_ended"] = tx.expire_sign_in_links(
                person_id,
                now=now,
                via=SignInVia.EMAIL,
                notice_kind=SIGN_IN_NOTICE.value,
                sparing=_WAITING,
            )
            details["holder_sessions_ended"] = tx.end_holder_sessions_of(person_id, now=now)
        tx.append_audit(
            at=now,
            actor=actor.audit_name,
            action="person.contact-corrected",
            subject_type="person",
            subject_id=person_id,
            details=details,
        )
    person = tx.get_person(person_id)
    assert person is not None
    return person
