"""The issuer's tables (SQLAlchemy 2.0). Only ``issuer.store`` and the migrations use them.

Confidential person data sits in its own table so that every query that only needs the
public name never touches it. Timestamps are stored as UTC and read back timezone-aware.

Long on purpose: this is the one schema of the system of record. The foreign keys between
aggregates (a certification's decision, its credentials, their status slots, the outbox and
audit rows beside them) read in one place, and the migrations are checked against this one
``metadata``; split by aggregate, every module would import most of the others.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every engine (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC instant")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


ID = String(36)


class Base(DeclarativeBase):
    metadata = metadata


class SchemeRow(Base):
    __tablename__ = "schemes"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current_version: Mapped[int] = mapped_column(Integer)


class SchemeVersionRow(Base):
    __tablename__ = "scheme_versions"
    __table_args__ = (UniqueConstraint("scheme_id", "version", name="uq_scheme_versions_number"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    scheme_id: Mapped[str] = mapped_column(ForeignKey("schemes.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    scheme_owner: Mapped[str] = mapped_column(String(200))
    scope_description: Mapped[str] = mapped_column(Text)
    job_task_description: Mapped[str] = mapped_column(Text)
    required_competence: Mapped[str] = mapped_column(Text)
    abilities: Mapped[str | None] = mapped_column(Text)
    prerequisites: Mapped[str | None] = mapped_column(Text)
    code_of_conduct: Mapped[str | None] = mapped_column(Text)
    application_requirements: Mapped[str] = mapped_column(Text)
    initial_certification_criteria: Mapped[str] = mapped_column(Text)
    recertification_criteria: Mapped[str] = mapped_column(Text)
    initial_assessment_methods: Mapped[str] = mapped_column(Text)
    recertification_assessment_methods: Mapped[str] = mapped_column(Text)
    surveillance_methods: Mapped[str] = mapped_column(Text)
    suspension_criteria: Mapped[str] = mapped_column(Text)
    withdrawal_criteria: Mapped[str] = mapped_column(Text)
    scope_change_criteria: Mapped[str] = mapped_column(Text)
    process_description: Mapped[str] = mapped_column(Text)
    recertification_interval_months: Mapped[int] = mapped_column(Integer)
    recertification_evidence: Mapped[str] = mapped_column(
        String(100), server_default=text("'examination'")
    )
    """The evidence kinds a recertification may rely on, comma-separated and sorted."""
    recertification_window_months_before: Mapped[int] = mapped_column(
        Integer, server_default=text("6")
    )
    recertification_grace_days: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    certificate_title: Mapped[str | None] = mapped_column(String(80))
    """The title printed on the scheme's certificates; none prints "Certificate of Competence"."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))


class ScopeItemRow(Base):
    __tablename__ = "scheme_scope_items"
    __table_args__ = (
        UniqueConstraint("scheme_version_id", "code", name="uq_scheme_scope_items_code"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scheme_version_id: Mapped[str] = mapped_column(ForeignKey("scheme_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)


class SchemeTranslationRow(Base):
    """A scheme version's title and certificate title in another language (each optional)."""

    __tablename__ = "scheme_translations"
    scheme_version_id: Mapped[str] = mapped_column(
        ForeignKey("scheme_versions.id"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(200))
    certificate_title: Mapped[str | None] = mapped_column(String(80))


class ScopeItemTranslationRow(Base):
    """A scope item's title in another language, by the item's code within its version."""

    __tablename__ = "scheme_scope_item_translations"
    scheme_version_id: Mapped[str] = mapped_column(
        ForeignKey("scheme_versions.id"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))


class SurveillanceActivityRow(Base):
    """A surveillance activity a scheme version requires (8.3): a table of its own beside the
    version's columns, as its scope items are."""

    __tablename__ = "scheme_surveillance_activities"
    __table_args__ = (
        UniqueConstraint(
            "scheme_version_id", "code", name="uq_scheme_surveillance_activities_code"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scheme_version_id: Mapped[str] = mapped_column(ForeignKey("scheme_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    interval_months: Mapped[int] = mapped_column(Integer)
    grace_days: Mapped[int] = mapped_column(Integer)


class StaffRow(Base):
    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffRoleRow(Base):
    __tablename__ = "staff_roles"
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class ExaminerApprovalRow(Base):
    __tablename__ = "examiner_approvals"
    __table_args__ = (
        UniqueConstraint("staff_id", "scheme_id", name="uq_examiner_approvals_staff_scheme"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    scheme_id: Mapped[str] = mapped_column(ForeignKey("schemes.id"))
    approved_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[date | None] = mapped_column(Date)


class CompetenceRow(Base):
    __tablename__ = "competence_records"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[date | None] = mapped_column(Date)


class ConflictRow(Base):
    __tablename__ = "conflict_declarations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    nature: Mapped[str] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    risk_id: Mapped[str | None] = mapped_column(ForeignKey("impartiality_risks.id"), index=True)


class ImpartialityRiskRow(Base):
    """The register of threats to impartiality (4.3); ``covers`` is the activities of the
    measure, comma-separated."""

    __tablename__ = "impartiality_risks"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    review_by: Mapped[date] = mapped_column(Date)
    identified_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    identified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    likelihood: Mapped[int | None] = mapped_column(Integer)
    impact: Mapped[int | None] = mapped_column(Integer)
    evaluated_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    measures: Mapped[str | None] = mapped_column(Text)
    covers: Mapped[str] = mapped_column(String(40))
    proposed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rationale: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_reason: Mapped[str | None] = mapped_column(Text)


class TrainerRow(Base):
    __tablename__ = "trainer_relations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PersonRow(Base):
    __tablename__ = "persons"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    public_notice_version: Mapped[str] = mapped_column(String(40))
    notice_given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    directory_consent: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PersonConfidentialRow(Base):
    __tablename__ = "person_confidential"
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    identity_document_ref: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))


class ApplicationRow(Base):
    __tablename__ = "applications"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    scheme_id: Mapped[str] = mapped_column(ForeignKey("schemes.id"))
    scheme_version_id: Mapped[str] = mapped_column(ForeignKey("scheme_versions.id"))
    state: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    review_notes: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)


class ApplicationScopeRow(Base):
    __tablename__ = "application_scope_items"
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class ExaminationRow(Base):
    __tablename__ = "examinations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    examiner_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    nda_accepted: Mapped[bool] = mapped_column(Boolean)
    identity_checked: Mapped[bool] = mapped_column(Boolean)
    invigilation_mode: Mapped[str] = mapped_column(String(20))
    irregularities: Mapped[str | None] = mapped_column(Text)
    ai_description: Mapped[str | None] = mapped_column(Text)
    ai_human_reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    ai_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))


class ExaminationScopeRow(Base):
    """The scope items an examination assessed: what a decision may rely on it for."""

    __tablename__ = "examination_scope_items"
    examination_id: Mapped[str] = mapped_column(ForeignKey("examinations.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class DecisionRow(Base):
    __tablename__ = "decisions"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    decision_maker_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    rationale: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appeal_id: Mapped[str | None] = mapped_column(ID)
    """The upheld appeal whose ``re-grant`` this grant gives (by id: a foreign key would
    close a cycle through certifications)."""


class CertificationRow(Base):
    """A certification. Indexed by status and expiry date together, so the due jobs find
    the active and suspended certifications past their expiry date by two index ranges,
    however many long-expired ones the store holds; a query by status alone uses the same
    index's first column."""

    __tablename__ = "certifications"
    __table_args__ = (Index("ix_certifications_status_expiry_date", "status", "expiry_date"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certificate_number: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    scheme_id: Mapped[str] = mapped_column(ForeignKey("schemes.id"), index=True)
    scheme_version_id: Mapped[str] = mapped_column(ForeignKey("scheme_versions.id"))
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    original_certification_date: Mapped[date] = mapped_column(Date)
    status_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_by: Mapped[date | None] = mapped_column(Date)


class LifecycleDecisionRow(Base):
    """A decision of clauses 9.5/9.6 on a certification; the reason stays confidential."""

    __tablename__ = "lifecycle_decisions"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(ID, unique=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    resolve_by: Mapped[date | None] = mapped_column(Date)
    scope_before: Mapped[str | None] = mapped_column(Text)
    scope_after: Mapped[str | None] = mapped_column(Text)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolves_suspension: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    appeal_id: Mapped[str | None] = mapped_column(ID)
    """The appeal whose remedy this decision gives (no foreign key: the appeal names it back)."""
    complaint_id: Mapped[str | None] = mapped_column(ForeignKey("complaints.id"))
    """The complaint a suspension answers, if the decision-maker linked one."""


class BodyInformationRow(Base):
    """What the body publishes about itself (4.3, 9.8, 9.9), one row per version recorded;
    the highest version is the one published. Public by design."""

    __tablename__ = "body_information"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    impartiality_commitment: Mapped[str] = mapped_column(Text)
    appeals_process: Mapped[str] = mapped_column(Text)
    complaints_process: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(500))
    accreditation_body: Mapped[str | None] = mapped_column(String(200))
    accreditation_number: Mapped[str | None] = mapped_column(String(100))
    accreditation_scope_url: Mapped[str | None] = mapped_column(String(2000))
    recorded_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AppealRow(Base):
    """An appeal against a decision about a person (9.8), each step's date and who took it.
    ``grounds`` and ``rationale`` are confidential: nothing publishes this table. The
    decision appealed is named by kind and id (a grant or denial, or a lifecycle
    decision), so it has no foreign key of its own; the person and certification do."""

    __tablename__ = "appeals"
    __table_args__ = (Index("ix_appeals_state_decide_by", "state", "decide_by"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    decision_kind: Mapped[str] = mapped_column(String(30))
    decision_id: Mapped[str] = mapped_column(ID, index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    certification_id: Mapped[str | None] = mapped_column(ForeignKey("certifications.id"))
    grounds: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    appellant: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    acknowledge_by: Mapped[date] = mapped_column(Date)
    decide_by: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    investigator_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    remedy: Mapped[str | None] = mapped_column(String(20))
    rationale: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    communicated_on: Mapped[date | None] = mapped_column(Date)
    communicated_via: Mapped[str | None] = mapped_column(String(20))
    communicated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    communicated_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    remedy_decision_id: Mapped[str | None] = mapped_column(ForeignKey("lifecycle_decisions.id"))
    remedy_certification_id: Mapped[str | None] = mapped_column(ForeignKey("certifications.id"))


class FindingRow(Base):
    """A finding of the management system (clause 10) and its corrective action, each step's
    date and who took it. Indexed by state and due date together, so the overdue list is one
    index range."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_state_due_on", "state", "due_on"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    source: Mapped[str] = mapped_column(String(30))
    clause: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20))
    raised_on: Mapped[date] = mapped_column(Date, index=True)
    raised_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    root_cause: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    planned_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    action_note: Mapped[str | None] = mapped_column(Text)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    taken_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    effective: Mapped[bool | None] = mapped_column(Boolean)
    check_note: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    times_reopened: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ComplaintRow(Base):
    """A complaint (9.9), each step's date and who took it. ``description``, the
    complainant's contact, ``rejected_reason`` and ``response`` are confidential: nothing
    publishes this table. ``reference`` is the unguessable name a complainant looks it up by;
    ``received_by`` is empty for a complaint sent through the public form."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_state_answer_by", "state", "answer_by"),
        Index("ix_complaints_channel_state", "channel", "state"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    subject: Mapped[str] = mapped_column(String(30))
    certificate_number: Mapped[str | None] = mapped_column(String(64))
    certification_id: Mapped[str | None] = mapped_column(ForeignKey("certifications.id"))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("persons.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    complainant_name: Mapped[str | None] = mapped_column(String(200))
    complainant_email: Mapped[str | None] = mapped_column(String(254))
    complainant_phone: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[date] = mapped_column(Date)
    acknowledge_by: Mapped[date] = mapped_column(Date)
    answer_by: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    validated_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    investigator_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    response: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))


class SuspensionEscalationRow(Base):
    """A suspension past its resolve-by date, referred to the decision-makers (9.5): at most
    one per suspend decision and deadline, so the due jobs never refer it twice."""

    __tablename__ = "suspension_escalations"
    __table_args__ = (
        UniqueConstraint(
            "suspension_id", "resolve_by", name="uq_suspension_escalations_suspension_deadline"
        ),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    suspension_id: Mapped[str] = mapped_column(ForeignKey("lifecycle_decisions.id"))
    resolve_by: Mapped[date] = mapped_column(Date)
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveillanceDueRow(Base):
    """One scheduled surveillance of a certification and, once recorded, its result (9.6).
    The result is confidential: nothing publishes this table. ``late_after`` is the due
    date plus the activity's grace days, so the due jobs find late items by one index
    range; at most one item per certification, activity and due date."""

    __tablename__ = "surveillance_due"
    __table_args__ = (
        UniqueConstraint(
            "certification_id", "activity_code", "due_on", name="uq_surveillance_due_item"
        ),
        Index("ix_surveillance_due_state_late_after", "state", "late_after"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"))
    activity_code: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date] = mapped_column(Date)
    late_after: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(30))
    performed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))
    findings: Mapped[str | None] = mapped_column(Text)
    evidence_ref: Mapped[str | None] = mapped_column(String(500))
    performed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))


class ProposedSuspensionRow(Base):
    """A suspension the due jobs propose for a surveillance item late or failed: at most one
    per item and reason, so the jobs never propose it twice. Closed when a decision-maker
    suspends the certification or dismisses the proposal; never deleted."""

    __tablename__ = "proposed_suspensions"
    __table_args__ = (
        UniqueConstraint("item_id", "reason", name="uq_proposed_suspensions_item_reason"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("surveillance_due.id"))
    reason: Mapped[str] = mapped_column(String(40))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    closing: Mapped[str | None] = mapped_column(String(20))
    closing_reason: Mapped[str | None] = mapped_column(Text)


class LifecycleEvidenceRow(Base):
    """An examination a lifecycle decision relied on (a scope expansion's evidence)."""

    __tablename__ = "lifecycle_decision_examinations"
    decision_id: Mapped[str] = mapped_column(ForeignKey("lifecycle_decisions.id"), primary_key=True)
    examination_id: Mapped[str] = mapped_column(
        ForeignKey("examinations.id"), primary_key=True, index=True
    )


class RecertificationEvidenceRow(Base):
    """An item of evidence for recertification recorded by staff (continuing development,
    work done): confidential, never published."""

    __tablename__ = "recertification_evidence"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    hours: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))


class LifecycleRecordedEvidenceRow(Base):
    """A recorded evidence item a recertification relied on: an item is relied on once,
    which the unique evidence id keeps true whatever runs at the same time."""

    __tablename__ = "lifecycle_decision_evidence"
    decision_id: Mapped[str] = mapped_column(ForeignKey("lifecycle_decisions.id"), primary_key=True)
    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("recertification_evidence.id"), primary_key=True, unique=True
    )


class CertificationScopeRow(Base):
    __tablename__ = "certification_scope_items"
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class TokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditRow(Base):
    """One link of the hash chain (clause 7.1.2): identifiers and digests, no personal data."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    token_id: Mapped[str | None] = mapped_column(ID, index=True)
    """The bearer token that acted, for a change a request made (no foreign key: the log
    outlives the records it names, as ``subject_id`` does)."""
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(80))
    details_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain's last link, so deleting entries from the end is detected too."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))


class SigningKeyRow(Base):
    """A signing key: public JWK in clear, private key encrypted (only signing.py opens it)."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(10))
    public_jwk: Mapped[str] = mapped_column(Text)
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compromised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatusListRow(Base):
    """One Bitstring Status List: a purpose, a fixed length, and how many slots are taken."""

    __tablename__ = "status_lists"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20), index=True)
    entries: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusListSignatureRow(Base):
    """When the newest published signature of a status list was made, when it lapses, and when
    to sign it again: what the publisher reads to re-sign lists before verifiers refuse
    them. A table of its own, not columns of ``status_lists``: issuance locks those rows,
    and the publisher must not wait for it (migration 0011)."""

    __tablename__ = "status_list_signatures"
    list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class StatusSlotRow(Base):
    """A taken slot. The primary key makes reuse of a slot impossible, even across processes."""

    __tablename__ = "status_slots"
    __table_args__ = (
        # The set slots of a list, and nothing else: what rebuilding the list reads. Slots
        # are stored unset (value 0), so issuance adds no entry here; a status change adds
        # or removes one.
        Index(
            "ix_status_slots_set",
            "list_id",
            "idx",
            "value",
            sqlite_where=text("value != 0"),
            postgresql_where=text("value != 0"),
        ),
    )
    list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Who holds the slot, for the record; nothing looks slots up by these (a credential's
    # row names its slots), so they carry no index (migration 0009).
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"))
    credential_id: Mapped[str] = mapped_column(ID)
    value: Mapped[int] = mapped_column(Integer)
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CredentialRow(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        # Whether a retired key must stay published is the latest validity among what it
        # signed: one index seek here, where an index on the kid alone read every
        # credential the key ever signed (migration 0010).
        Index("ix_credentials_kid_valid_until", "kid", "valid_until"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    depends_on: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    jws: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    revocation_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"))
    revocation_index: Mapped[int] = mapped_column(Integer)
    suspension_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"))
    suspension_index: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    supersedes: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    superseded_by: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))


class TokenStatusListRow(Base):
    """One IETF Token Status List (2 bits an entry): a fixed length, how many slots are taken,
    and a version that grows with every change of a slot's value."""

    __tablename__ = "token_status_lists"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    bits: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TokenStatusListSignatureRow(Base):
    """When a Token Status List was last published signed, when that lapses and when to sign
    it again: :class:`StatusListSignatureRow` for the token lists (migration 0027)."""

    __tablename__ = "token_status_list_signatures"
    list_id: Mapped[str] = mapped_column(ForeignKey("token_status_lists.id"), primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TokenStatusSlotRow(Base):
    """The token slot of one certificate credential, shared by every SD-JWT VC derived from
    it. The primary key makes reuse impossible; the unique credential makes a second slot
    for the same certificate impossible."""

    __tablename__ = "token_status_slots"
    __table_args__ = (
        Index(
            "ix_token_status_slots_set",
            "list_id",
            "idx",
            "value",
            sqlite_where=text("value != 0"),
            postgresql_where=text("value != 0"),
        ),
    )
    list_id: Mapped[str] = mapped_column(ForeignKey("token_status_lists.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageStatusListRow(Base):
    """One W3C Bitstring Status List of purpose ``message`` (2 bits an entry), the status of
    Open Badges: a fixed length, how many slots are taken, and a version that grows with
    every change of a slot's value."""

    __tablename__ = "message_status_lists"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    bits: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageStatusListSignatureRow(Base):
    """When a message list was last published signed, when that lapses and when to sign it
    again: :class:`StatusListSignatureRow` for the message lists (migration 0030)."""

    __tablename__ = "message_status_list_signatures"
    list_id: Mapped[str] = mapped_column(ForeignKey("message_status_lists.id"), primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class MessageStatusSlotRow(Base):
    """The message slot of one certificate credential, cited by every Open Badge exported
    from it. The primary key makes reuse impossible; the unique credential makes a second
    slot for the same certificate impossible."""

    __tablename__ = "message_status_slots"
    __table_args__ = (
        Index(
            "ix_message_status_slots_set",
            "list_id",
            "idx",
            "value",
            sqlite_where=text("value != 0"),
            postgresql_where=text("value != 0"),
        ),
    )
    list_id: Mapped[str] = mapped_column(ForeignKey("message_status_lists.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SdJwtVcRow(Base):
    """An issued SD-JWT VC: what it was derived from, its token slot, the holder key's
    thumbprint (never the key's other members), the key that signed it and its dates."""

    __tablename__ = "sd_jwt_vcs"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    token_list_id: Mapped[str] = mapped_column(ForeignKey("token_status_lists.id"))
    token_index: Mapped[int] = mapped_column(Integer)
    holder_thumbprint: Mapped[str] = mapped_column(String(64))
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchemeMarkRow(Base):
    """The certification mark of a scheme (clause 9.7): its image and the rules of its use."""

    __tablename__ = "scheme_marks"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    scheme_id: Mapped[str] = mapped_column(ForeignKey("schemes.id"), index=True)
    media_type: Mapped[str] = mapped_column(String(40))
    image: Mapped[bytes] = mapped_column(LargeBinary)
    digest_sri: Mapped[str] = mapped_column(String(100))
    rules: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))


class MarkAgreementRow(Base):
    """The certified person's agreement to a mark's rules, recorded before any mark is issued."""

    __tablename__ = "mark_agreements"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    mark_id: Mapped[str] = mapped_column(ForeignKey("scheme_marks.id"))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))


class RenderingRow(Base):
    """Cached renderings (QR codes, printable certificate): made on request, never at issuance."""

    __tablename__ = "renderings"
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    format: Mapped[str] = mapped_column(String(20), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """A document to (re)publish, written in the transaction of the change that needs it.

    ``seq`` is the document's version at the registry: it only grows, so the registry can
    store "if newer" and a replay after a crash changes nothing.
    """

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


# ── regulators' access (clause 7.3.4) ────────────────────────────────────────────────────
class DisclosureRow(Base):
    """A release of one confidential field to a regulator: who, when, which field and on
    what legal basis. The value released is deliberately not copied here."""

    __tablename__ = "disclosures"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))
    token_id: Mapped[str] = mapped_column(ForeignKey("api_tokens.id"))
    disclosed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PersonNoticeRow(Base):
    """A notice the body owes a person (a decision about them, a disclosure of their data, a
    credential re-issued after a key compromise) and where it is on its way to them: the
    sender claims it by ``state`` and ``next_attempt_at`` (the index it reads by), staff
    send the ``no-address`` ones by hand. ``facts`` is JSON of short texts; ``secret_url``
    is wiped as soon as the notice is sent or dead."""

    __tablename__ = "person_notices"
    __table_args__ = (Index("ix_person_notices_state_due", "state", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sent_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    facts: Mapped[str] = mapped_column(Text)
    secret_url: Mapped[str | None] = mapped_column(String(2000))


class RegulatorRequestRow(Base):
    """One request under ``/regulator/v1``: who asked what and the answer's status; no body."""

    __tablename__ = "regulator_requests"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[str | None] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    query: Mapped[str] = mapped_column(String(1000))
    status: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# ── bulk issuance (rosters) ──────────────────────────────────────────────────────────────
class BulkItemRow(Base):
    """One roster row issued in bulk: its external id (the idempotency key) and what it made.

    Written in the same transaction as the certification and its credential, so a row is
    either here with both or not issued at all; a rerun skips every external id found here.
    ``row_digest`` fingerprints the row's content, so a reused id with other content is
    refused instead of silently answered with the old certificate.
    """

    __tablename__ = "bulk_items"
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    row_digest: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[str] = mapped_column(ID, index=True)
    chunk: Mapped[int] = mapped_column(Integer)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), unique=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The evidence the grant rests on (clauses 9.3, 7.4.4), as the row gave it. Empty for
    # rows issued before rosters carried their evidence.
    exam_provider: Mapped[str | None] = mapped_column(String(200))
    examined_on: Mapped[date | None] = mapped_column(Date)
    exam_result: Mapped[str | None] = mapped_column(String(20))
    identity_checked: Mapped[bool | None] = mapped_column(Boolean)
    nda_accepted: Mapped[bool | None] = mapped_column(Boolean)
    examiner_id: Mapped[str | None] = mapped_column(String(36))


class RosterRow(Base):
    """A roster prepared for a decision-maker's approval: who prepared it (staff member and
    token), who approved it, and how its rows came out. Prepared by one person, granted by
    another: only a decision-maker grants (clause 9.4)."""

    __tablename__ = "rosters"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    prepared_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    prepared_token_id: Mapped[str | None] = mapped_column(ForeignKey("api_tokens.id"))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    approved_token_id: Mapped[str | None] = mapped_column(ForeignKey("api_tokens.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued: Mapped[int] = mapped_column(Integer)
    already_issued: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)


class RosterItemRow(Base):
    """One row of a prepared roster: the fields as given (JSON, with the evidence and any
    confidential data the row carries) and, once approved, its outcome."""

    __tablename__ = "roster_rows"
    roster_id: Mapped[str] = mapped_column(ForeignKey("rosters.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    fields: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(20))
    problem: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(Text)
    certification_id: Mapped[str | None] = mapped_column(ForeignKey("certifications.id"))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    certificate_number: Mapped[str | None] = mapped_column(String(32))


class SignInLinkRow(Base):
    """A certified person's single-use sign-in link: the digest of its secret, never the
    secret, and never the address it was sent to. ``used_at`` is set by the one use that
    counts (a conditional update)."""

    __tablename__ = "holder_sign_in_links"
    __table_args__ = (Index("ix_holder_sign_in_links_person_created", "person_id", "created_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"))
    secret_digest: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))


class HolderSessionRow(Base):
    """A signed-in person's session: the cookie carries its id and a secret, this row the
    secret's digest and when it ends."""

    __tablename__ = "holder_sessions"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    link_id: Mapped[str] = mapped_column(ForeignKey("holder_sign_in_links.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


Index("ix_person_confidential_email", PersonConfidentialRow.email)
"""A person asks for a sign-in link by their e-mail address (:mod:`issuer.store.holders`)."""


class CertificateDesignRow(Base):
    """How the body's printed certificates look, one row per version recorded; the highest
    version is the one printed. Not published: the signatory's name is personal data."""

    __tablename__ = "certificate_designs"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    address: Mapped[str | None] = mapped_column(String(500))
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signatory_function: Mapped[str | None] = mapped_column(String(200))
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    accreditation_mark_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CredentialOfferRow(Base):
    """A single-use credential offer to a wallet (OpenID4VCI): digests of its secrets only.
    ``redeemed_at`` is set by the one token request that counts (a conditional update);
    ``failed_attempts`` counts wrong transaction codes."""

    __tablename__ = "credential_offers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certification_id: Mapped[str] = mapped_column(ForeignKey("certifications.id"), index=True)
    configuration_id: Mapped[str] = mapped_column(String(64))
    uri_digest: Mapped[str] = mapped_column(String(64))
    code_digest: Mapped[str] = mapped_column(String(64))
    tx_code_digest: Mapped[str] = mapped_column(String(64))
    tx_code_length: Mapped[int] = mapped_column(Integer)
    offered_by: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class OfferAccessTokenRow(Base):
    """The access token a redeemed offer gave, by the digest of its secret; ``used_at`` is
    set by the credential request that received the credential."""

    __tablename__ = "credential_offer_tokens"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("credential_offers.id"), unique=True)
    token_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProofNonceRow(Base):
    """A ``c_nonce`` by its digest; ``used_at`` is set by the credential request it proves."""

    __tablename__ = "proof_nonces"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
