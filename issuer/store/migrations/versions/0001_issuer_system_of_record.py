"""The issuer system of record: schemes, staff, persons, applications, examinations,
decisions, certifications, API tokens and the hash-chained audit log.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("details_digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("public_notice_version", sa.String(length=40), nullable=False),
        sa.Column("notice_given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("directory_consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    op.create_table(
        "schemes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schemes")),
        sa.UniqueConstraint("code", name=op.f("uq_schemes_code")),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_api_tokens_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_api_tokens_token_digest")),
    )
    op.create_table(
        "competence_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_competence_records_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competence_records")),
    )
    with op.batch_alter_table("competence_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competence_records_staff_id"), ["staff_id"], unique=False
        )

    op.create_table(
        "conflict_declarations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("nature", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_conflict_declarations_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_conflict_declarations_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflict_declarations")),
    )
    with op.batch_alter_table("conflict_declarations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conflict_declarations_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conflict_declarations_staff_id"), ["staff_id"], unique=False
        )

    op.create_table(
        "examiner_approvals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("scheme_id", sa.String(length=36), nullable=False),
        sa.Column("approved_by", sa.String(length=36), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["staff.id"], name=op.f("fk_examiner_approvals_approved_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_examiner_approvals_scheme_id_schemes")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_examiner_approvals_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_examiner_approvals")),
        sa.UniqueConstraint("staff_id", "scheme_id", name="uq_examiner_approvals_staff_scheme"),
    )
    op.create_table(
        "person_confidential",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("identity_document_ref", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_confidential_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_confidential")),
    )
    op.create_table(
        "scheme_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scheme_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scheme_owner", sa.String(length=200), nullable=False),
        sa.Column("scope_description", sa.Text(), nullable=False),
        sa.Column("job_task_description", sa.Text(), nullable=False),
        sa.Column("required_competence", sa.Text(), nullable=False),
        sa.Column("abilities", sa.Text(), nullable=True),
        sa.Column("prerequisites", sa.Text(), nullable=True),
        sa.Column("code_of_conduct", sa.Text(), nullable=True),
        sa.Column("application_requirements", sa.Text(), nullable=False),
        sa.Column("initial_certification_criteria", sa.Text(), nullable=False),
        sa.Column("recertification_criteria", sa.Text(), nullable=False),
        sa.Column("initial_assessment_methods", sa.Text(), nullable=False),
        sa.Column("recertification_assessment_methods", sa.Text(), nullable=False),
        sa.Column("surveillance_methods", sa.Text(), nullable=False),
        sa.Column("suspension_criteria", sa.Text(), nullable=False),
        sa.Column("withdrawal_criteria", sa.Text(), nullable=False),
        sa.Column("scope_change_criteria", sa.Text(), nullable=False),
        sa.Column("process_description", sa.Text(), nullable=False),
        sa.Column("recertification_interval_months", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_scheme_versions_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_scheme_versions_scheme_id_schemes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_versions")),
        sa.UniqueConstraint("scheme_id", "version", name="uq_scheme_versions_number"),
    )
    with op.batch_alter_table("scheme_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheme_versions_scheme_id"), ["scheme_id"], unique=False
        )

    op.create_table(
        "staff_roles",
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_roles_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", "role", name=op.f("pk_staff_roles")),
    )
    op.create_table(
        "trainer_relations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_trainer_relations_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_trainer_relations_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainer_relations")),
    )
    with op.batch_alter_table("trainer_relations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trainer_relations_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_trainer_relations_staff_id"), ["staff_id"], unique=False
        )

    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("scheme_id", sa.String(length=36), nullable=False),
        sa.Column("scheme_version_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=36), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=36), nullable=True),
        sa.Column("review_notes", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=36), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["staff.id"], name=op.f("fk_applications_closed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_applications_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["staff.id"], name=op.f("fk_applications_reviewed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_applications_scheme_id_schemes")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"],
            ["scheme_versions.id"],
            name=op.f("fk_applications_scheme_version_id_scheme_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["staff.id"], name=op.f("fk_applications_submitted_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_person_id"), ["person_id"], unique=False)

    op.create_table(
        "scheme_scope_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scheme_version_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"],
            ["scheme_versions.id"],
            name=op.f("fk_scheme_scope_items_scheme_version_id_scheme_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_scope_items")),
        sa.UniqueConstraint("scheme_version_id", "code", name="uq_scheme_scope_items_code"),
    )
    with op.batch_alter_table("scheme_scope_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheme_scope_items_scheme_version_id"),
            ["scheme_version_id"],
            unique=False,
        )

    op.create_table(
        "application_scope_items",
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_scope_items_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", "code", name=op.f("pk_application_scope_items")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("decision_maker_id", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_decisions_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_maker_id"], ["staff.id"], name=op.f("fk_decisions_decision_maker_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("application_id", name=op.f("uq_decisions_application_id")),
    )
    op.create_table(
        "examinations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("examiner_id", sa.String(length=36), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=200), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("nda_accepted", sa.Boolean(), nullable=False),
        sa.Column("identity_checked", sa.Boolean(), nullable=False),
        sa.Column("invigilation_mode", sa.String(length=20), nullable=False),
        sa.Column("irregularities", sa.Text(), nullable=True),
        sa.Column("ai_description", sa.Text(), nullable=True),
        sa.Column("ai_human_reviewer_id", sa.String(length=36), nullable=True),
        sa.Column("ai_acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["ai_human_reviewer_id"],
            ["staff.id"],
            name=op.f("fk_examinations_ai_human_reviewer_id_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_examinations_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["examiner_id"], ["staff.id"], name=op.f("fk_examinations_examiner_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_examinations_recorded_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_examinations")),
    )
    with op.batch_alter_table("examinations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_examinations_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_examinations_examiner_id"), ["examiner_id"], unique=False
        )

    op.create_table(
        "certifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certificate_number", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("scheme_id", sa.String(length=36), nullable=False),
        sa.Column("scheme_version_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_certifications_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_certifications_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_certifications_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_certifications_scheme_id_schemes")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"],
            ["scheme_versions.id"],
            name=op.f("fk_certifications_scheme_version_id_scheme_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint("application_id", name=op.f("uq_certifications_application_id")),
        sa.UniqueConstraint(
            "certificate_number", name=op.f("uq_certifications_certificate_number")
        ),
        sa.UniqueConstraint("decision_id", name=op.f("uq_certifications_decision_id")),
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certifications_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certifications_scheme_id"), ["scheme_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certifications_status"), ["status"], unique=False)

    op.create_table(
        "certification_scope_items",
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_certification_scope_items_certification_id_certifications"),
        ),
        sa.PrimaryKeyConstraint(
            "certification_id", "code", name=op.f("pk_certification_scope_items")
        ),
    )


def downgrade() -> None:
    op.drop_table("certification_scope_items")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifications_status"))
        batch_op.drop_index(batch_op.f("ix_certifications_scheme_id"))
        batch_op.drop_index(batch_op.f("ix_certifications_person_id"))

    op.drop_table("certifications")
    with op.batch_alter_table("examinations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_examinations_examiner_id"))
        batch_op.drop_index(batch_op.f("ix_examinations_application_id"))

    op.drop_table("examinations")
    op.drop_table("decisions")
    op.drop_table("application_scope_items")
    with op.batch_alter_table("scheme_scope_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheme_scope_items_scheme_version_id"))

    op.drop_table("scheme_scope_items")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_person_id"))

    op.drop_table("applications")
    with op.batch_alter_table("trainer_relations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trainer_relations_staff_id"))
        batch_op.drop_index(batch_op.f("ix_trainer_relations_person_id"))

    op.drop_table("trainer_relations")
    op.drop_table("staff_roles")
    with op.batch_alter_table("scheme_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheme_versions_scheme_id"))

    op.drop_table("scheme_versions")
    op.drop_table("person_confidential")
    op.drop_table("examiner_approvals")
    with op.batch_alter_table("conflict_declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflict_declarations_staff_id"))
        batch_op.drop_index(batch_op.f("ix_conflict_declarations_person_id"))

    op.drop_table("conflict_declarations")
    with op.batch_alter_table("competence_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competence_records_staff_id"))

    op.drop_table("competence_records")
    op.drop_table("api_tokens")
    op.drop_table("staff")
    op.drop_table("schemes")
    op.drop_table("persons")
    op.drop_table("audit_log")
    op.drop_table("audit_head")
