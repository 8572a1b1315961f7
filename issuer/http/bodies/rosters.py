"""Bodies of ``/api/v1/rosters``: a roster's rows in, the prepared roster, its rows and their
outcomes out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from issuer.bulk.report import Outcome
from issuer.http.bodies.batches import ItemProblem
from issuer.model import PreparedRoster, RosterState

__all__ = [
    "RosterApprovalOut",
    "RosterCreate",
    "RosterDetailOut",
    "RosterOut",
    "RosterPreparedOut",
    "RosterRejectedOut",
    "RosterRowOut",
]


class RosterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: list[dict[str, Any]] = Field(
        min_length=1,
        description="roster rows: external_id, given_name, family_name, scheme, scope, "
        "effective_date and the evidence (exam_provider, examined_on, exam_result, "
        "identity_checked, nda_accepted, examiner_id)",
    )


class RosterRejectedOut(BaseModel):
    index: int = Field(description="the item's position in the request, from 0")
    external_id: str | None
    problem: ItemProblem | None = None


class RosterOut(BaseModel):
    roster_id: str
    state: RosterState
    rows: int = Field(description="rows kept when the roster was prepared")
    rejected: int = Field(description="rows refused when the roster was prepared")
    prepared_by: str
    prepared_token_id: str | None
    prepared_at: datetime
    approved_by: str | None
    approved_token_id: str | None
    approved_at: datetime | None
    issued_at: datetime | None
    issued: int
    already_issued: int
    refused: int = Field(description="rows refused when the roster was approved")

    @classmethod
    def of(cls, roster: PreparedRoster) -> RosterOut:
        return cls(
            roster_id=roster.id,
            state=roster.state,
            rows=roster.rows,
            rejected=roster.rejected,
            prepared_by=roster.prepared_by,
            prepared_token_id=roster.prepared_token_id,
            prepared_at=roster.prepared_at,
            approved_by=roster.approved_by,
            approved_token_id=roster.approved_token_id,
            approved_at=roster.approved_at,
            issued_at=roster.issued_at,
            issued=roster.issued,
            already_issued=roster.already_issued,
            refused=roster.refused,
        )


class RosterPreparedOut(BaseModel):
    roster_id: str
    state: RosterState
    rows: int
    rejected: list[RosterRejectedOut]


class RosterRowOut(BaseModel):
    index: int = Field(description="the row's position in the request that prepared it")
    external_id: str
    outcome: Outcome | None = Field(description="none until the roster is approved")
    certificate_number: str | None = None
    certification_id: str | None = None
    credential_id: str | None = None
    problem: ItemProblem | None = None


class RosterDetailOut(RosterOut):
    items: list[RosterRowOut]


class RosterApprovalOut(BaseModel):
    roster_id: str
    state: RosterState
    issued: int
    already_issued: int
    rejected: int
    items: list[RosterRowOut]
