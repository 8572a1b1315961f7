"""Bodies of the scheme routes (:mod:`issuer.http.routes.schemes`): a scheme's content, as
clauses 8.2 and 8.3 name it (its surveillance activities included), and its versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from issuer.http.bodies.common import Code, Language, Name, Text, _In, _Out, _printable
from issuer.model import (
    Scheme,
    SchemeContent,
    SchemeTranslation,
    SchemeVersion,
    ScopeItem,
    SurveillanceActivity,
)
from schemas.languages import LANGUAGES

ActivityCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{1,40}$")
]

EvidenceKind = Literal["examination", "continuing-development", "work-evidence"]
"""The kinds of evidence a scheme may accept for recertification (clause 9.6)."""


CertificateTitle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(_printable),
]
"""A certificate's title: printed in capitals on one line, so it is kept short."""


class ScopeItemBody(_In):
    code: Code
    title: Name
    description: Text


class ScopeItemTranslationBody(_In):
    code: Code = Field(description="the code of one of the version's scope items")
    title: Name


class SchemeTranslationBody(_In):
    """The scheme's own words in one language; what is left out prints as written."""

    language: Language
    title: Name | None = None
    certificate_title: CertificateTitle | None = None
    scope_items: list[ScopeItemTranslationBody] = Field(default_factory=list, max_length=200)

    @classmethod
    def of(cls, t: SchemeTranslation) -> SchemeTranslationBody:
        return cls(
            language=t.language,
            title=t.title,
            certificate_title=t.certificate_title,
            scope_items=[ScopeItemTranslationBody(code=c, title=n) for c, n in t.scope_items],
        )

    def to_model(self) -> SchemeTranslation:
        return SchemeTranslation(
            language=self.language,
            title=self.title,
            certificate_title=self.certificate_title,
            scope_items=tuple((i.code, i.title) for i in self.scope_items),
        )


class SurveillanceActivityBody(_In):
    """A surveillance activity every certification of the scheme is scheduled for."""

    code: ActivityCode = Field(description="unique within the scheme version")
    title: Name
    interval_months: int = Field(
        ge=1, le=120, description="due this many months after the grant, then after each due date"
    )
    grace_days: int = Field(
        default=30,
        ge=0,
        le=366,
        description="days after the due date before a missing result is proposed for suspension",
    )

    @classmethod
    def of(cls, a: SurveillanceActivity) -> SurveillanceActivityBody:
        return cls(
            code=a.code, title=a.title, interval_months=a.interval_months, grace_days=a.grace_days
        )


class SchemeContentBody(_In):
    """Every part of a scheme named by clauses 8.2 and 8.3, plus what 7.2.2 publishes."""

    title: Name
    scheme_owner: Name
    scope_description: Text
    job_task_description: Text
    required_competence: Text
    abilities: Text | None = None
    prerequisites: Text | None = None
    code_of_conduct: Text | None = None
    application_requirements: Text
    initial_certification_criteria: Text
    recertification_criteria: Text
    initial_assessment_methods: Text
    recertification_assessment_methods: Text
    surveillance_methods: Text
    suspension_criteria: Text
    withdrawal_criteria: Text
    scope_change_criteria: Text
    process_description: Text
    recertification_interval_months: int = Field(ge=1, le=240)
    scope_items: list[ScopeItemBody] = Field(min_length=1, max_length=200)
    surveillance_activities: list[SurveillanceActivityBody] = Field(
        default_factory=list,
        max_length=20,
        description="the surveillance scheduled for each certification; none by default",
    )
    recertification_evidence: list[EvidenceKind] = Field(
        default_factory=lambda: list[EvidenceKind](["examination"]), min_length=1, max_length=3
    )
    """What a recertification may rely on: a new examination, continuing development, or
    evidence of work done (at least one)."""
    recertification_window_months_before: int = Field(default=6, ge=0, le=24)
    """The window for recertification opens this many months before the day after expiry."""
    recertification_grace_days: int = Field(default=0, ge=0, le=366)
    """…and closes this many days after the expiry date."""
    certificate_title: CertificateTitle | None = Field(
        default=None,
        description="the title printed on the certificates (by default: Certificate of Competence)",
    )
    translations: list[SchemeTranslationBody] = Field(
        default_factory=list,
        max_length=len(LANGUAGES),
        description=(
            "the scheme's title, certificate title and scope items' titles in other languages, "
            "printed on certificates in those languages; one per language"
        ),
    )

    @field_validator("recertification_evidence")
    @classmethod
    def _each_once(cls, kinds: list[EvidenceKind]) -> list[EvidenceKind]:
        if len(set(kinds)) != len(kinds):
            raise ValueError("name each accepted kind of evidence once")
        return sorted(kinds)

    def to_model(self) -> SchemeContent:
        fields = self.model_dump(
            exclude={
                "scope_items",
                "surveillance_activities",
                "recertification_evidence",
                "translations",
            }
        )
        items = tuple(
            ScopeItem(code=i.code, title=i.title, description=i.description)
            for i in self.scope_items
        )
        activities = tuple(
            SurveillanceActivity(
                code=a.code,
                title=a.title,
                interval_months=a.interval_months,
                grace_days=a.grace_days,
            )
            for a in self.surveillance_activities
        )
        return SchemeContent(
            **fields,
            scope_items=items,
            surveillance_activities=activities,
            recertification_evidence=tuple(self.recertification_evidence),
            translations=tuple(
                sorted((t.to_model() for t in self.translations), key=lambda t: t.language)
            ),
        )


class SchemeCreate(SchemeContentBody):
    code: Code


class SchemeVersionOut(_Out):
    id: str
    version: int
    created_at: datetime
    created_by: str
    title: str
    scheme_owner: str
    scope_description: str
    job_task_description: str
    required_competence: str
    abilities: str | None
    prerequisites: str | None
    code_of_conduct: str | None
    application_requirements: str
    initial_certification_criteria: str
    recertification_criteria: str
    initial_assessment_methods: str
    recertification_assessment_methods: str
    surveillance_methods: str
    suspension_criteria: str
    withdrawal_criteria: str
    scope_change_criteria: str
    process_description: str
    recertification_interval_months: int
    scope_items: list[ScopeItemBody]
    surveillance_activities: list[SurveillanceActivityBody]
    recertification_evidence: list[str]
    recertification_window_months_before: int
    recertification_grace_days: int
    certificate_title: str | None
    translations: list[SchemeTranslationBody]

    @classmethod
    def of(cls, v: SchemeVersion) -> SchemeVersionOut:
        c = v.content
        nested = (
            "scope_items",
            "surveillance_activities",
            "recertification_evidence",
            "translations",
        )
        fields = {f: getattr(c, f) for f in SchemeContent.__slots__ if f not in nested}
        items = [
            ScopeItemBody(code=i.code, title=i.title, description=i.description)
            for i in c.scope_items
        ]
        return cls(
            id=v.id,
            version=v.version,
            created_at=v.created_at,
            created_by=v.created_by,
            scope_items=items,
            surveillance_activities=[
                SurveillanceActivityBody.of(a) for a in c.surveillance_activities
            ],
            recertification_evidence=list(c.recertification_evidence),
            translations=[SchemeTranslationBody.of(t) for t in c.translations],
            **fields,
        )


class SchemeOut(_Out):
    id: str
    code: str
    created_at: datetime
    current: SchemeVersionOut

    @classmethod
    def of(cls, s: Scheme) -> SchemeOut:
        return cls(
            id=s.id, code=s.code, created_at=s.created_at, current=SchemeVersionOut.of(s.current)
        )
