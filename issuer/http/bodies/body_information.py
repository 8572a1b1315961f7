"""Bodies of the body information's routes (:mod:`issuer.http.routes.body_information`):
what the body publishes about itself (clauses 4.3, 9.8, 9.9), as recorded and as read back
with its version and who recorded it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from issuer.http.bodies.common import Name, Text, _In, _Out, _printable
from issuer.model import Accreditation, BodyInformation

Contact = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_printable),
]
ScopeUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https://\S+$"),
]
Number = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_printable),
]


class AccreditationBody(_In):
    accreditation_body: Name = Field(description="who accredited the body")
    accreditation_number: Number
    scope_url: ScopeUrl | None = Field(
        default=None, description="where the accreditation's scope is published (https://)"
    )

    def model(self) -> Accreditation:
        return Accreditation(
            body=self.accreditation_body,
            number=self.accreditation_number,
            scope_url=self.scope_url,
        )


class BodyInformationIn(_In):
    name: Name = Field(description="the certification body's name, as the public knows it")
    impartiality_commitment: Text = Field(description="the body's commitment to impartiality")
    appeals_process: Text = Field(description="how appeals are received and decided")
    complaints_process: Text = Field(description="how complaints are received and handled")
    contact: Contact = Field(
        description="where to send an appeal or a complaint (an address, e-mail or web page)"
    )
    accreditation: AccreditationBody | None = None


class AccreditationOut(_Out):
    accreditation_body: str
    accreditation_number: str
    scope_url: str | None


class BodyInformationOut(_Out):
    version: int
    name: str
    impartiality_commitment: str
    appeals_process: str
    complaints_process: str
    contact: str
    accreditation: AccreditationOut | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, information: BodyInformation) -> BodyInformationOut:
        accreditation = information.accreditation
        return cls(
            version=information.version,
            name=information.name,
            impartiality_commitment=information.impartiality_commitment,
            appeals_process=information.appeals_process,
            complaints_process=information.complaints_process,
            contact=information.contact,
            accreditation=None
            if accreditation is None
            else AccreditationOut(
                accreditation_body=accreditation.body,
                accreditation_number=accreditation.number,
                scope_url=accreditation.scope_url,
            ),
            recorded_by=information.recorded_by,
            recorded_at=information.recorded_at,
        )
