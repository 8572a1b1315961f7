"""Certification schemes (clause 8) and their certification marks (clause 9.7).

A scheme is versioned: each :class:`SchemeVersion` holds every part of the scheme that clauses
8.2 and 8.3 name, and certifications point at the version they were granted under. A scheme's
mark comes with the rules for using it, which a certified person agrees to
(:class:`MarkAgreement`) before a mark credential is issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "MarkAgreement",
    "Scheme",
    "SchemeContent",
    "SchemeMark",
    "SchemeTranslation",
    "SchemeVersion",
    "ScopeItem",
    "SurveillanceActivity",
]


@dataclass(frozen=True, slots=True)
class ScopeItem:
    """One job, role or function a certification may cover; ``code`` is stable across versions."""

    code: str
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class SurveillanceActivity:
    """One surveillance activity a scheme requires of every certified person (8.3, 9.6): due
    every ``interval_months``, late once ``grace_days`` have passed after its due date.
    ``code`` names it across versions, as a scope item's does."""

    code: str
    title: str
    interval_months: int
    grace_days: int = 30


@dataclass(frozen=True, slots=True)
class SchemeTranslation:
    """The scheme's own words in another language, as the body gives them: its title, its
    certificate title and its scope items' titles (by code), each optional. A certificate
    printed in that language uses them; what a translation leaves out prints as the body
    wrote it. ``language`` is one of ``schemas.languages.LANGUAGES``."""

    language: str
    title: str | None = None
    certificate_title: str | None = None
    scope_items: tuple[tuple[str, str], ...] = ()
    """``(code, title)`` pairs, in the scheme's order of its scope items."""

    def scope_title(self, code: str) -> str | None:
        return next((title for item, title in self.scope_items if item == code), None)


@dataclass(frozen=True, slots=True)
class SchemeContent:
    """Every part of a scheme that clauses 8.2 and 8.3 (and 7.2.2 for publication) name."""

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
    scope_items: tuple[ScopeItem, ...]
    surveillance_activities: tuple[SurveillanceActivity, ...] = ()
    """What surveillance the scheme schedules for each certification; none by default
    (``surveillance_methods`` then only describes it in words)."""
    recertification_evidence: tuple[str, ...] = ("examination",)
    """The kinds of evidence a recertification may rely on (clause 9.6), each a
    :class:`~issuer.model.RecertificationEvidenceKind` value, sorted."""
    recertification_window_months_before: int = 6
    """The window for recertification opens this many months before the day after expiry."""
    recertification_grace_days: int = 0
    """…and closes this many days after the expiry date (0: on the expiry date)."""
    certificate_title: str | None = None
    """The title the scheme's printed certificates carry ("Certificate of Competence" when
    none): a scheme owner may call its certificate e.g. "Certificate of Qualification"."""
    translations: tuple[SchemeTranslation, ...] = ()
    """The scheme's words in other languages, one per language at most, sorted by language."""

    def translation(self, language: str) -> SchemeTranslation | None:
        return next((t for t in self.translations if t.language == language), None)


@dataclass(frozen=True, slots=True)
class SchemeVersion:
    """One immutable version of a scheme; certifications point at the version they were granted
    under."""

    id: str
    scheme_id: str
    version: int
    content: SchemeContent
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Scheme:
    id: str
    code: str
    created_at: datetime
    current: SchemeVersion


@dataclass(frozen=True, slots=True)
class SchemeMark:
    """Clause 9.7: a scheme's certification mark and the rules for using it."""

    id: str
    scheme_id: str
    media_type: str
    image: bytes
    digest_sri: str
    rules: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class MarkAgreement:
    id: str
    certification_id: str
    mark_id: str
    agreed_at: datetime
    recorded_by: str
