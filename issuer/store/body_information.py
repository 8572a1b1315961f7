"""What the body publishes about itself (clauses 4.3, 9.8, 9.9) in the store: every
version recorded, the current one read, a new one inserted. Nothing here is confidential."""

from __future__ import annotations

from sqlalchemy import select

from issuer.model import Accreditation, BodyInformation
from issuer.store.base import Unit
from issuer.store.tables import BodyInformationRow

__all__ = ["BodyInformationReads", "BodyInformationWrites"]


class BodyInformationReads(Unit):
    """The body information as recorded: the current version, or none yet."""

    def current_body_information(self) -> BodyInformation | None:
        row = self._s.scalars(
            select(BodyInformationRow).order_by(BodyInformationRow.version.desc()).limit(1)
        ).first()
        return None if row is None else _information(row)


class BodyInformationWrites(Unit):
    """A new version of the body information recorded."""

    def insert_body_information(self, information: BodyInformation) -> None:
        accreditation = information.accreditation
        self._s.add(
            BodyInformationRow(
                version=information.version,
                name=information.name,
                impartiality_commitment=information.impartiality_commitment,
                appeals_process=information.appeals_process,
                complaints_process=information.complaints_process,
                contact=information.contact,
                accreditation_body=None if accreditation is None else accreditation.body,
                accreditation_number=None if accreditation is None else accreditation.number,
                accreditation_scope_url=None if accreditation is None else accreditation.scope_url,
                recorded_by=information.recorded_by,
                recorded_at=information.recorded_at,
            )
        )
        self._flush("body information version")


def _information(row: BodyInformationRow) -> BodyInformation:
    accreditation = None
    if row.accreditation_body is not None and row.accreditation_number is not None:
        accreditation = Accreditation(
            body=row.accreditation_body,
            number=row.accreditation_number,
            scope_url=row.accreditation_scope_url,
        )
    return BodyInformation(
        version=row.version,
        name=row.name,
        impartiality_commitment=row.impartiality_commitment,
        appeals_process=row.appeals_process,
        complaints_process=row.complaints_process,
        contact=row.contact,
        accreditation=accreditation,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )
