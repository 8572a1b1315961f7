"""``POST /api/v1/issuance/batches``: a roster issued through :mod:`issuer.bulk.issuance`, over
HTTP.

The items have the shape of a roster file's rows, each with the evidence it is granted on.
Each comes back as ``issued``, ``already-issued`` (with the ids it issued before: the call
is idempotent by ``external_id``) or ``rejected`` with its problem. Only a decision-maker
may call it, and every row becomes their own grant: it is preparing a roster and approving
it in one (``decided_by`` may be left out, or must name them). A registrar prepares a
roster instead (:mod:`issuer.http.routes.rosters`) for a decision-maker to approve. Signing
happens in the server process: large rosters belong to ``certreg issue-bulk``, which signs
on every core.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from issuer.bulk import issuance
from issuer.bulk.report import ItemResult
from issuer.bulk.rosters import NumberedRow
from issuer.errors import PROBLEM_KINDS, PayloadTooLarge
from issuer.http.bodies.batches import BatchCreate, BatchItemOut, BatchOut, ItemProblem
from issuer.http.deps import ServicesDep, allow
from issuer.model import Role
from issuer.process.auth import Actor
from schemas.problem import problem_type_uri

__all__ = ["MAX_ITEMS", "router"]

MAX_ITEMS = 1000
"""Items one request may carry; a batch of this size signs in well under a second."""

router = APIRouter()

Issuer = Annotated[Actor, allow(Role.DECISION_MAKER)]


def _item(result: ItemResult) -> BatchItemOut:
    problem = None
    if result.problem is not None:
        problem = ItemProblem(
            type=problem_type_uri(result.problem),
            status=PROBLEM_KINDS[result.problem][0],
            detail=result.detail,
        )
    return BatchItemOut(
        index=result.row,
        external_id=result.external_id,
        outcome=result.outcome,
        certificate_number=result.certificate_number,
        certification_id=result.certification_id,
        credential_id=result.credential_id,
        problem=problem,
    )


@router.post("/issuance/batches", tags=["issuance"])
def issue_batch(body: BatchCreate, actor: Issuer, services: ServicesDep) -> BatchOut:
    """Grant and issue, as the calling decision-maker, a roster of people examined
    (idempotent by external_id)."""
    if len(body.items) > MAX_ITEMS:
        raise PayloadTooLarge(
            f"a batch carries at most {MAX_ITEMS} items; use `certreg issue-bulk` for more",
            kind="batch-too-large",
        )
    context = services.issuance
    report = issuance.issue_batch(
        services.store,
        (NumberedRow(i, item) for i, item in enumerate(body.items)),
        clock=services.clock,
        entropy=services.entropy,
        keyring=context.keyring,
        identity=context.identity,
        workers=1,
        list_entries=context.list_entries,
        actor=actor.audit_name,
        acting_decision_maker=actor.staff(),
        keep_results=True,
    )
    return BatchOut(
        batch_id=report.batch_id,
        issued=report.issued,
        already_issued=report.already_issued,
        rejected=report.rejected,
        items=[_item(r) for r in report.results],
    )
