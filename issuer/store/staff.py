"""Staff in the store: members and their roles, examiner approvals, competence records,
declared conflicts of interest and trainer relations (what the impartiality checks ask
about), and the API tokens staff act with (held as a digest, never the token itself)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from issuer.model import (
    ApiToken,
    CompetenceRecord,
    ConflictDeclaration,
    ExaminerApproval,
    Role,
    Staff,
    TrainerRelation,
)
from issuer.store.base import Unit, _columns, _fields
from issuer.store.tables import (
    CompetenceRow,
    ConflictRow,
    ExaminerApprovalRow,
    StaffRoleRow,
    StaffRow,
    TokenRow,
    TrainerRow,
)

__all__ = ["StaffReads", "StaffWrites"]


class StaffReads(Unit):
    """Staff, their approvals, competence, conflicts and trainer relations, and tokens, read."""

    def get_staff(self, staff_id: str) -> Staff | None:
        row = self._s.get(StaffRow, staff_id)
        return None if row is None else _staff(self._s, row)

    def list_staff(self) -> list[Staff]:
        rows = self._s.scalars(select(StaffRow).order_by(StaffRow.name, StaffRow.id)).all()
        return [_staff(self._s, r) for r in rows]

    def get_approval(self, staff_id: str, scheme_id: str) -> ExaminerApproval | None:
        row = self._s.scalar(
            select(ExaminerApprovalRow).where(
                ExaminerApprovalRow.staff_id == staff_id,
                ExaminerApprovalRow.scheme_id == scheme_id,
            )
        )
        return None if row is None else ExaminerApproval(**_columns(row))

    def list_approvals(self, staff_id: str) -> list[ExaminerApproval]:
        rows = self._s.scalars(
            select(ExaminerApprovalRow)
            .where(ExaminerApprovalRow.staff_id == staff_id)
            .order_by(ExaminerApprovalRow.approved_at)
        )
        return [ExaminerApproval(**_columns(r)) for r in rows]

    def list_competence(self, staff_id: str) -> list[CompetenceRecord]:
        rows = self._s.scalars(
            select(CompetenceRow)
            .where(CompetenceRow.staff_id == staff_id)
            .order_by(CompetenceRow.recorded_at)
        )
        return [CompetenceRecord(**_columns(r)) for r in rows]

    def list_conflicts(self, staff_id: str) -> list[ConflictDeclaration]:
        rows = self._s.scalars(
            select(ConflictRow)
            .where(ConflictRow.staff_id == staff_id)
            .order_by(ConflictRow.declared_at)
        )
        return [ConflictDeclaration(**_columns(r)) for r in rows]

    def has_conflict(self, staff_id: str, person_id: str) -> bool:
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        ConflictRow.staff_id == staff_id, ConflictRow.person_id == person_id
                    )
                )
            )
        )

    def list_trainees(self, staff_id: str) -> list[TrainerRelation]:
        rows = self._s.scalars(
            select(TrainerRow)
            .where(TrainerRow.staff_id == staff_id)
            .order_by(TrainerRow.recorded_at)
        )
        return [TrainerRelation(**_columns(r)) for r in rows]

    def trained(self, staff_id: str, person_id: str) -> bool:
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        TrainerRow.staff_id == staff_id, TrainerRow.person_id == person_id
                    )
                )
            )
        )

    # ── tokens ───────────────────────────────────────────────────────────────────────────
    def token_by_digest(self, token_digest: str) -> ApiToken | None:
        row = self._s.scalar(select(TokenRow).where(TokenRow.token_digest == token_digest))
        return None if row is None else _token(row)

    def get_token(self, token_id: str) -> ApiToken | None:
        row = self._s.get(TokenRow, token_id)
        return None if row is None else _token(row)

    def list_tokens(self, *, staff_id: str | None = None) -> list[ApiToken]:
        """Every token (the revoked ones too), oldest first; or one staff member's."""
        query = select(TokenRow).order_by(TokenRow.created_at, TokenRow.id)
        if staff_id is not None:
            query = query.where(TokenRow.staff_id == staff_id)
        return [_token(r) for r in self._s.scalars(query)]

    def token_name(self, token_id: str) -> str | None:
        name: str | None = self._s.scalar(select(TokenRow.name).where(TokenRow.id == token_id))
        return name


class StaffWrites(Unit):
    """Staff, their approvals, competence, conflicts and trainer relations, and tokens,
    written."""

    def insert_staff(self, staff: Staff) -> None:
        self._s.add(
            StaffRow(
                id=staff.id,
                name=staff.name,
                email=staff.email,
                active=staff.active,
                created_at=staff.created_at,
            )
        )
        self._s.flush()
        self.set_roles(staff.id, staff.roles)

    def lock_staff(self, staff_id: str) -> Staff | None:
        """The staff member, locked until the transaction ends: a change of their roles,
        their tokens or their being active waits for any other under way, so a token is
        never minted for a role that a concurrent change is taking away."""
        row = self._s.get(StaffRow, staff_id, with_for_update=True, populate_existing=True)
        return None if row is None else _staff(self._s, row)

    def set_staff_active(self, staff_id: str, active: bool) -> None:
        self._s.execute(update(StaffRow).where(StaffRow.id == staff_id).values(active=active))

    def set_roles(self, staff_id: str, roles: frozenset[Role]) -> None:
        self._s.execute(delete(StaffRoleRow).where(StaffRoleRow.staff_id == staff_id))
        self._s.add_all(StaffRoleRow(staff_id=staff_id, role=r.value) for r in sorted(roles))
        self._flush("staff role")

    def insert_approval(self, approval: ExaminerApproval) -> None:
        self._s.add(ExaminerApprovalRow(**_fields(approval)))
        self._flush("an approval of this examiner for this scheme")

    def insert_competence(self, record: CompetenceRecord) -> None:
        self._s.add(CompetenceRow(**_fields(record)))
        self._flush("competence record")

    def insert_conflict(self, declaration: ConflictDeclaration) -> None:
        self._s.add(ConflictRow(**_fields(declaration)))
        self._flush("conflict declaration")

    def insert_trainer_relation(self, relation: TrainerRelation) -> None:
        self._s.add(TrainerRow(**_fields(relation)))
        self._flush("trainer relation")

    # ── tokens ───────────────────────────────────────────────────────────────────────────
    def insert_token(self, token: ApiToken, *, token_digest: str) -> None:
        self._s.add(
            TokenRow(
                id=token.id,
                name=token.name,
                role=token.role.value,
                staff_id=token.staff_id,
                token_digest=token_digest,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
            )
        )
        self._flush("token")

    def lock_token(self, token_id: str) -> ApiToken | None:
        """The token, locked until the transaction ends (two revocations of it queue)."""
        row = self._s.get(TokenRow, token_id, with_for_update=True, populate_existing=True)
        return None if row is None else _token(row)

    def revoke_tokens(self, token_ids: list[str], at: datetime) -> None:
        """Mark the tokens revoked at ``at``; one already revoked keeps its first date."""
        if token_ids:
            self._s.execute(
                update(TokenRow)
                .where(TokenRow.id.in_(token_ids), TokenRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    def lock_live_tokens(self, staff_id: str) -> list[ApiToken]:
        """The staff member's tokens that are not revoked, locked for their revocation."""
        rows = self._s.scalars(
            select(TokenRow)
            .where(TokenRow.staff_id == staff_id, TokenRow.revoked_at.is_(None))
            .order_by(TokenRow.created_at, TokenRow.id)
            .with_for_update()
        )
        return [_token(r) for r in rows]


def _token(row: TokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        staff_id=row.staff_id,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _staff(session: Session, row: StaffRow) -> Staff:
    roles = session.scalars(select(StaffRoleRow.role).where(StaffRoleRow.staff_id == row.id))
    return Staff(
        id=row.id,
        name=row.name,
        email=row.email,
        roles=frozenset(Role(r) for r in roles),
        active=row.active,
        created_at=row.created_at,
    )
