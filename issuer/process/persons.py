"""Persons: applicants, candidates and certified persons (clauses 7.3, 9.2).

The public name is kept apart from confidential data, and the record says which notice of
what will be made public the person received and whether they chose to be listed in the
public directory (7.3.3).
"""

from __future__ import annotations

from datetime import datetime

from issuer.errors import InvalidInput, NotFound
from issuer.model import Person, PersonConfidential
from issuer.process.auth import Actor
from issuer.runtime import Entropy, new_id
from issuer.store import Tx

__all__ = ["get_person", "register_person"]


def register_person(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    given_name: str,
    family_name: str,
    public_notice_version: str,
    directory_consent: bool,
    confidential: PersonConfidential,
) -> Person:
    if confidential.date_of_birth is not None and confidential.date_of_birth >= now.date():
        raise InvalidInput("a date of birth must be in the past")
    person = Person(
        id=new_id(entropy),
        given_name=given_name,
        family_name=family_name,
        public_notice_version=public_notice_version,
        notice_given_at=now,
        directory_consent=directory_consent,
        confidential=confidential,
        created_at=now,
    )
    tx.insert_person(person)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="person.registered",
        subject_type="person",
        subject_id=person.id,
        details={"public_notice_version": public_notice_version, "directory": directory_consent},
    )
    return person


def get_person(tx: Tx, person_id: str) -> Person:
    person = tx.get_person(person_id)
    if person is None:
        raise NotFound(f"no person {person_id!r}")
    return person
