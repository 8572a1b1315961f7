"""Persons in the store: the public part of each (names, the notice given, directory
consent) and the confidential part, in a table of its own so that a query for a name never
touches it; the disclosures of confidential fields, the notices owed to a person, and
regulators' requests."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import select, update

from issuer.model import (
    ConfidentialField,
    Disclosure,
    Person,
    PersonConfidential,
    PersonNotice,
    RegulatorRequest,
)
from issuer.store.base import Unit, _columns, _fields
from issuer.store.notices import to_notice
from issuer.store.tables import (
    DisclosureRow,
    PersonConfidentialRow,
    PersonNoticeRow,
    PersonRow,
    RegulatorRequestRow,
)

__all__ = ["PersonReads", "PersonWrites"]


class PersonReads(Unit):
    """Persons, disclosures and person notices, read."""

    def get_person(self, person_id: str) -> Person | None:
        # Core, not ORM objects: every certificate a wallet receives reads its holder.
        table, private = PersonRow.__table__, PersonConfidentialRow.__table__
        connection = self._s.connection()
        row = connection.execute(select(table).where(table.c.id == person_id)).first()
        if row is None:
            return None
        conf = connection.execute(select(private).where(private.c.person_id == person_id)).first()
        assert conf is not None
        confidential = PersonConfidential(
            **{k: v for k, v in conf._mapping.items() if k != "person_id"}
        )
        return Person(
            id=row.id,
            given_name=row.given_name,
            family_name=row.family_name,
            public_notice_version=row.public_notice_version,
            notice_given_at=row.notice_given_at,
            directory_consent=row.directory_consent,
            confidential=confidential,
            created_at=row.created_at,
        )

    def existing_person_ids(self, person_ids: Collection[str]) -> set[str]:
        if not person_ids:
            return set()
        return set(
            self._s.scalars(select(PersonRow.id).where(self._among(PersonRow.id, person_ids)))
        )

    def get_disclosure(self, disclosure_id: str) -> Disclosure | None:
        row = self._s.get(DisclosureRow, disclosure_id)
        if row is None:
            return None
        fields = _columns(row)
        fields["field"] = ConfidentialField(row.field)
        return Disclosure(**fields)

    def person_notices(self, person_id: str) -> list[PersonNotice]:
        rows = self._s.scalars(
            select(PersonNoticeRow)
            .where(PersonNoticeRow.person_id == person_id)
            .order_by(PersonNoticeRow.created_at, PersonNoticeRow.id)
        )
        return [to_notice(r) for r in rows]


class PersonWrites(Unit):
    """Persons, disclosures and regulators' requests, written (notices are written by
    :mod:`issuer.store.notices`)."""

    def insert_person(self, person: Person) -> None:
        self._s.add(
            PersonRow(
                id=person.id,
                given_name=person.given_name,
                family_name=person.family_name,
                public_notice_version=person.public_notice_version,
                notice_given_at=person.notice_given_at,
                directory_consent=person.directory_consent,
                created_at=person.created_at,
            )
        )
        self._s.flush()
        self._s.add(PersonConfidentialRow(person_id=person.id, **_fields(person.confidential)))
        self._flush("person")

    def lock_person_confidential(self, person_id: str) -> PersonConfidential | None:
        """The person's confidential record, its row locked until the transaction ends (on
        SQLite the writing transaction already holds the one write lock), so that two
        corrections at once are applied one after the other."""
        row = self._s.get(
            PersonConfidentialRow, person_id, with_for_update=True, populate_existing=True
        )
        if row is None:
            return None
        return PersonConfidential(**{k: v for k, v in _columns(row).items() if k != "person_id"})

    def update_person_confidential(self, person_id: str, changes: Mapping[str, str | None]) -> None:
        """Set the given confidential fields (only these) in one UPDATE."""
        allowed = set(PersonConfidential.__slots__)
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"not confidential fields of a person: {sorted(unknown)}")
        if changes:
            self._s.execute(
                update(PersonConfidentialRow)
                .where(PersonConfidentialRow.person_id == person_id)
                .values(**changes)
            )

    def insert_disclosure(self, disclosure: Disclosure) -> None:
        fields = _fields(disclosure)
        fields["field"] = disclosure.field.value
        self._s.add(DisclosureRow(**fields))
        self._flush("disclosure")

    def insert_regulator_request(self, request: RegulatorRequest) -> None:
        self._s.add(RegulatorRequestRow(**_fields(request)))
        self._flush("regulator request")
