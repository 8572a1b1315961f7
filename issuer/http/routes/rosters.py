"""``/api/v1/rosters``: rosters prepared by one person and granted by a decision-maker.

A registrar (or a decision-maker) prepares a roster (``POST /rosters``): each row is checked
with its evidence and stored; nothing is granted. A decision-maker who did not prepare it
approves it (``POST /rosters/{id}/approval``), which issues its rows as their own grants
through :mod:`issuer.bulk.prepared`; calling again resumes an interrupted approval. Like
``POST /issuance/batches``, a request carries at most 1,000 rows: larger rosters belong to
``certreg rosters prepare`` and ``certreg rosters approve``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from issuer.bulk import prepared
from issuer.bulk.report import Outcome
from issuer.bulk.rosters import NumberedRow
from issuer.errors import PROBLEM_KINDS, NotFound, PayloadTooLarge
from issuer.http.bodies.batches import ItemProblem
from issuer.http.bodies.rosters import (
    RosterApprovalOut,
    RosterCreate,
    RosterDetailOut,
    RosterOut,
    RosterPreparedOut,
    RosterRejectedOut,
    RosterRowOut,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.routes.batches import MAX_ITEMS
from issuer.model import PreparedRosterRow, Role, RosterState
from issuer.process.auth import Actor
from schemas.openapi import problem_responses
from schemas.problem import problem_type_uri

__all__ = ["router"]

router = APIRouter()

Preparer = Annotated[Actor, allow(Role.REGISTRAR, Role.DECISION_MAKER)]
Decider = Annotated[Actor, allow(Role.DECISION_MAKER)]
Reader = Annotated[Actor, allow(Role.REGISTRAR, Role.DECISION_MAKER, Role.AUDITOR)]


def _problem(kind: str | None, detail: str | None) -> ItemProblem | None:
    if kind is None:
        return None
    return ItemProblem(type=problem_type_uri(kind), status=PROBLEM_KINDS[kind][0], detail=detail)


def _row(row: PreparedRosterRow) -> RosterRowOut:
    return RosterRowOut(
        index=row.number,
        external_id=row.external_id,
        outcome=None if row.outcome is None else Outcome(row.outcome),
        certificate_number=row.certificate_number,
        certification_id=row.certification_id,
        credential_id=row.credential_id,
        problem=_problem(row.problem, row.detail),
    )


@router.post("/rosters", status_code=201, tags=["issuance"])
def prepare_roster(body: RosterCreate, actor: Preparer, services: ServicesDep) -> RosterPreparedOut:
    """Prepare a roster for a decision-maker to approve: each row checked with its evidence
    and recorded; nothing is granted yet."""
    if len(body.items) > MAX_ITEMS:
        raise PayloadTooLarge(
            f"a roster request carries at most {MAX_ITEMS} items; use `certreg rosters "
            "prepare` for more",
            kind="batch-too-large",
        )
    done = prepared.prepare_roster(
        services.store,
        (NumberedRow(i, item) for i, item in enumerate(body.items)),
        actor=actor,
        clock=services.clock,
        entropy=services.entropy,
    )
    return RosterPreparedOut(
        roster_id=done.roster.id,
        state=done.roster.state,
        rows=done.roster.rows,
        rejected=[
            RosterRejectedOut(
                index=r.row, external_id=r.external_id, problem=_problem(r.problem, r.detail)
            )
            for r in done.rejected
        ],
    )


@router.get("/rosters", tags=["issuance"])
def list_rosters(
    actor: Reader,
    services: ServicesDep,
    state: Annotated[RosterState | None, Query(description="only rosters in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RosterOut]:
    """Prepared rosters, newest first."""
    with services.tx() as tx:
        return [RosterOut.of(r) for r in tx.list_rosters(state=state, limit=limit)]


@router.get("/rosters/{roster_id}", tags=["issuance"], responses=problem_responses(404))
def get_roster(roster_id: str, actor: Reader, services: ServicesDep) -> RosterDetailOut:
    """A roster: who prepared and approved it, its counts, and each row's outcome."""
    with services.tx() as tx:
        roster = tx.get_roster(roster_id)
        if roster is None:
            raise NotFound("no such roster")
        rows = tx.roster_rows(roster_id)
    return RosterDetailOut(**RosterOut.of(roster).model_dump(), items=[_row(r) for r in rows])


@router.post(
    "/rosters/{roster_id}/approval",
    tags=["issuance"],
    responses=problem_responses(404, 409),
)
def approve_roster(roster_id: str, actor: Decider, services: ServicesDep) -> RosterApprovalOut:
    """Approve a roster you did not prepare, granting its rows in your name; call again to
    finish an approval of yours that was interrupted."""
    context = services.issuance
    done = prepared.approve_roster(
        services.store,
        roster_id,
        actor=actor,
        clock=services.clock,
        entropy=services.entropy,
        keyring=context.keyring,
        identity=context.identity,
        list_entries=context.list_entries,
    )
    items = [_row(r) for r in done.rows]
    return RosterApprovalOut(
        roster_id=done.roster.id,
        state=done.roster.state,
        issued=sum(i.outcome is Outcome.ISSUED for i in items),
        already_issued=sum(i.outcome is Outcome.ALREADY_ISSUED for i in items),
        rejected=sum(i.outcome is Outcome.REJECTED for i in items),
        items=items,
    )
