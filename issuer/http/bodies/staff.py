"""Bodies of the staff routes (:mod:`issuer.http.routes.staff`): staff members and their
roles, examiner approvals, competence records, conflict declarations, trainer relations, and
API tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from issuer.http.bodies.common import Day, Email, Id, Name, Text, _In, _Out
from issuer.model import (
    ApiToken,
    CompetenceRecord,
    ConflictDeclaration,
    ExaminerApproval,
    Role,
    Staff,
    TrainerRelation,
)


class StaffCreate(_In):
    name: Name
    email: Email | None = None
    roles: list[Role] = Field(min_length=1, max_length=10)


class RolesBody(_In):
    roles: list[Role] = Field(max_length=10)


class StaffOut(_Out):
    id: str
    name: str
    email: str | None
    roles: list[Role]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, s: Staff) -> StaffOut:
        return cls(
            id=s.id,
            name=s.name,
            email=s.email,
            roles=sorted(s.roles),
            active=s.active,
            created_at=s.created_at,
        )


class ApprovalCreate(_In):
    scheme_id: Id
    valid_until: Day | None = None


class ApprovalOut(_Out):
    id: str
    staff_id: str
    scheme_id: str
    approved_by: str
    approved_at: datetime
    valid_until: date | None

    @classmethod
    def of(cls, a: ExaminerApproval) -> ApprovalOut:
        return cls(**{f: getattr(a, f) for f in ExaminerApproval.__slots__})


class CompetenceCreate(_In):
    description: Text
    evidence: Text
    valid_until: Day | None = None


class CompetenceOut(_Out):
    id: str
    staff_id: str
    description: str
    evidence: str
    recorded_at: datetime
    valid_until: date | None

    @classmethod
    def of(cls, c: CompetenceRecord) -> CompetenceOut:
        return cls(**{f: getattr(c, f) for f in CompetenceRecord.__slots__})


class ConflictCreate(_In):
    person_id: Id
    nature: Text
    measures: Text | None = None
    risk_id: Id | None = Field(
        default=None,
        description="the risk of the impartiality register that treats this conflict: it "
        "must concern the same staff member and person",
    )


class ConflictOut(_Out):
    id: str
    staff_id: str
    person_id: str
    nature: str
    measures: str | None
    declared_at: datetime
    risk_id: str | None

    @classmethod
    def of(cls, c: ConflictDeclaration) -> ConflictOut:
        return cls(**{f: getattr(c, f) for f in ConflictDeclaration.__slots__})


class TraineeCreate(_In):
    person_id: Id
    description: Text
    started_on: Day | None = None
    ended_on: Day | None = None


class TraineeOut(_Out):
    id: str
    staff_id: str
    person_id: str
    description: str
    started_on: date | None
    ended_on: date | None
    recorded_at: datetime

    @classmethod
    def of(cls, t: TrainerRelation) -> TraineeOut:
        return cls(**{f: getattr(t, f) for f in TrainerRelation.__slots__})


class StaffDetailOut(StaffOut):
    approvals: list[ApprovalOut]
    competence: list[CompetenceOut]
    conflicts: list[ConflictOut]
    trainees: list[TraineeOut]


class TokenCreate(_In):
    name: Name
    role: Role
    staff_id: Id | None = None


class TokenOut(_Out):
    id: str
    name: str
    role: Role
    staff_id: str | None
    token: str = Field(description="the secret; shown only in this response")


class TokenInfoOut(_Out):
    """A token as an administrator sees it: never its secret, which is not kept."""

    id: str
    name: str
    kind: Literal["staff", "regulator"] = Field(
        description="a staff member's token, or a regulator's (which belongs to no one)"
    )
    role: Role
    staff_id: str | None
    created_at: datetime
    revoked_at: datetime | None = Field(description="when it stopped working; null while live")

    @classmethod
    def of(cls, t: ApiToken) -> TokenInfoOut:
        return cls(
            id=t.id,
            name=t.name,
            kind="regulator" if t.staff_id is None else "staff",
            role=t.role,
            staff_id=t.staff_id,
            created_at=t.created_at,
            revoked_at=t.revoked_at,
        )
