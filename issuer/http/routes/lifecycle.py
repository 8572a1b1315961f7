"""Back office routes for lifecycle decisions (clauses 9.5, 9.6): each by a decision-maker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from issuer.http.bodies.cases import CertificationOut
from issuer.http.bodies.lifecycle import (
    EvidenceBody,
    EvidenceOut,
    OverdueSuspensionOut,
    ReasonBody,
    RecertifyBody,
    ScopeBody,
    SuspendBody,
    WithdrawBody,
)
from issuer.http.bodies.records import CertificationDetailOut
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import CASE_READERS, DECIDERS, REGISTRY_CLERKS
from issuer.http.routes.records import certification_detail
from issuer.model import RecertificationEvidenceKind, Role
from issuer.process import complaints, due, lifecycle, recertification
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(prefix="/certifications", tags=["lifecycle"])
_CONFLICT = problem_responses(409)

DecisionMaker = Annotated[Actor, allow(*DECIDERS)]
Reader = Annotated[Actor, allow(*CASE_READERS)]
Operator = Annotated[Actor, allow(Role.DECISION_MAKER, Role.ADMINISTRATOR)]
Clerk = Annotated[Actor, allow(*REGISTRY_CLERKS)]


@router.post("/{number}/suspend", responses=_CONFLICT)
def suspend(
    number: str, body: SuspendBody, actor: DecisionMaker, services: ServicesDep
) -> CertificationDetailOut:
    """Suspend: the certification is not valid until reinstated (suspension bit set).
    Naming ``complaint_id`` records the complaint this suspension answers; a complaint not
    validated, already answered or about another certificate is a 409."""
    with services.tx() as tx:
        certification = complaints.suspend_for(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            number=number,
            reason=body.reason,
            resolve_by=body.resolve_by,
            complaint_id=body.complaint_id,
        )
        return certification_detail(tx, certification)


@router.post("/{number}/reinstate", responses=_CONFLICT)
def reinstate(
    number: str, body: ReasonBody, actor: DecisionMaker, services: ServicesDep
) -> CertificationDetailOut:
    """Lift a suspension (suspension bit cleared). Naming ``appeal_id`` gives the remedy of
    that upheld appeal; an appeal not upheld with ``reinstate`` is a 409."""
    with services.tx() as tx:
        certification = lifecycle.reinstate(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            number=number,
            reason=body.reason,
            appeal_id=body.appeal_id,
        )
        return certification_detail(tx, certification)


@router.post("/{number}/withdraw", responses=_CONFLICT)
def withdraw(
    number: str, body: WithdrawBody, actor: DecisionMaker, services: ServicesDep
) -> CertificationDetailOut:
    """Withdraw: terminal (revocation bit set; no path clears it)."""
    with services.tx() as tx:
        certification = lifecycle.withdraw(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            number=number,
            reason=body.reason,
        )
        return certification_detail(tx, certification)


@router.post(
    "/{number}/scope",
    responses=problem_responses(
        404,
        409,
        said={404: "No such certification, or no examination with an id the body names"},
    ),
)
def change_scope(
    number: str, body: ScopeBody, actor: DecisionMaker, services: ServicesDep
) -> CertificationDetailOut:
    """Reduce or expand the scope: the old credential is superseded, a new one issued.

    Items added need the passed examinations that assessed them (``examination_ids``). A
    suspended certification stays suspended unless a reduction says it resolves the
    suspension (``resolves_suspension``, with its reason)."""
    with services.tx() as tx:
        certification = lifecycle.change_scope(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            context=services.issuance,
            number=number,
            scope=tuple(body.scope),
            reason=body.reason,
            examination_ids=tuple(body.examination_ids),
            resolves_suspension=body.resolves_suspension,
            appeal_id=body.appeal_id,
        )
        return certification_detail(tx, certification)


@router.post(
    "/{number}/recertify",
    responses=problem_responses(
        403,
        404,
        409,
        said={
            404: "No such certification, or no examination or evidence with an id the body names"
        },
    ),
)
def recertify(
    number: str, body: RecertifyBody, actor: DecisionMaker, services: ServicesDep
) -> CertificationDetailOut:
    """A new certification cycle (clause 9.6), on the evidence the scheme accepts, within its
    window, once a cycle: the new cycle runs from the day after the previous expiry, the
    old credential is superseded, and the day of first certification is kept."""
    with services.tx() as tx:
        certification = recertification.recertify(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            context=services.issuance,
            number=number,
            reason=body.reason,
            examination_ids=tuple(body.examination_ids),
            evidence_ids=tuple(body.evidence_ids),
        )
        return certification_detail(tx, certification)


@router.post("/{number}/evidence", status_code=201, responses=_CONFLICT)
def record_evidence(
    number: str, body: EvidenceBody, actor: Clerk, services: ServicesDep
) -> EvidenceOut:
    """Record evidence for recertification (continuing development, work done): kept
    confidential by the issuer, never published; a recertification may rely on it once."""
    with services.tx() as tx:
        evidence = recertification.record_evidence(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            number=number,
            kind=RecertificationEvidenceKind(body.kind),
            summary=body.summary,
            period_from=body.period_from,
            period_to=body.period_to,
            hours=body.hours,
        )
    return EvidenceOut.of(evidence)


@router.get("/{number}/evidence", responses=problem_responses(404))
def list_evidence(number: str, actor: Reader, services: ServicesDep) -> list[EvidenceOut]:
    """The evidence for recertification recorded on a certification, oldest first, each
    with the recertification that relied on it (``used_by``)."""
    with services.tx() as tx:
        return [EvidenceOut.of(e) for e in recertification.evidence_of(tx, number)]


@router.post("/expire-due", tags=["lifecycle"])
def expire_due(actor: Operator, services: ServicesDep) -> list[CertificationOut]:
    """Mark every certification past its expiry date as expired now (safe to run repeatedly;
    the server also does it by itself at a regular interval). The audit names the token that
    asked."""
    [report] = due.run_due(
        services.store,
        clock=services.clock,
        entropy=services.entropy,
        jobs=(due.expiry_requested_by(actor),),
    )
    return [CertificationOut.of(c) for c in report.certifications]


@router.get("/worklist/overdue-suspensions", tags=["lifecycle"])
def overdue_suspensions(actor: Reader, services: ServicesDep) -> list[OverdueSuspensionOut]:
    """Suspensions past their resolve-by date: each awaits the decision clause 9.5 requires
    (a withdrawal or a reduction of scope); `escalated_at` says when it was referred."""
    with services.tx() as tx:
        overdue = due.overdue_suspensions(tx, now=services.now())
    return [OverdueSuspensionOut.overdue(row) for row in overdue]
