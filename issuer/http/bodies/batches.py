"""Bodies of ``POST /api/v1/issuance/batches``: the roster rows in, each row's outcome out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from issuer.bulk.report import Outcome

__all__ = ["BatchCreate", "BatchItemOut", "BatchOut", "ItemProblem"]


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: list[dict[str, Any]] = Field(
        min_length=1, description="roster rows: external_id, given_name, family_name, …"
    )


class ItemProblem(BaseModel):
    type: str
    status: int
    detail: str | None


class BatchItemOut(BaseModel):
    index: int = Field(description="the item's position in the request, from 0")
    external_id: str | None
    outcome: Outcome
    certificate_number: str | None = None
    certification_id: str | None = None
    credential_id: str | None = None
    problem: ItemProblem | None = None


class BatchOut(BaseModel):
    batch_id: str
    issued: int
    already_issued: int
    rejected: int
    items: list[BatchItemOut]
