"""Back office routes for the management system (clause 10) and examiner monitoring
(6.2.2.3, 7.4.4): findings and their corrective actions, the overdue ones, the examiner
report and the management review.

Administrators and scheme managers raise findings and take their steps; whoever checks a
corrective action's effectiveness is not its owner. Auditors read everything here and
change nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, Response

from issuer.http.bodies.management import (
    ActionTakenBody,
    CorrectiveActionBody,
    EffectivenessBody,
    ExaminerOut,
    ExaminerReportOut,
    FindingBody,
    FindingOut,
    SessionOut,
    review_markdown,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.report_formats import ReportFormat, file_response, negotiate
from issuer.http.roles import MANAGEMENT_KEEPERS, MANAGEMENT_READERS
from issuer.model import FindingState
from issuer.process import management, monitoring, review_formats, review_pdf
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["management system"])

Keeper = Annotated[Actor, allow(*MANAGEMENT_KEEPERS)]
Reader = Annotated[Actor, allow(*MANAGEMENT_READERS)]
_STEP = problem_responses(404, 409, said={409: "The finding's state does not allow this step"})
From = Annotated[date, Query(alias="from", description="the period's first day")]
To = Annotated[date, Query(alias="to", description="the period's last day, included")]
Format = Annotated[
    ReportFormat | None,
    Query(
        alias="format",
        description="answer in this format rather than the one `Accept` names "
        "(for links and spreadsheet imports, which cannot set headers)",
    ),
]
_CSV = {"text/csv": {"schema": {"type": "string"}}}


@router.post("/findings", status_code=201)
def raise_finding(body: FindingBody, actor: Keeper, services: ServicesDep) -> FindingOut:
    """Record a finding of an internal audit, a management review, a complaint, an appeal
    or another source."""
    data = management.FindingInput(
        source=body.source,
        clause=body.clause,
        description=body.description,
        severity=body.severity,
        raised_on=body.raised_on,
    )
    now = services.now()
    with services.tx() as tx:
        finding = management.raise_finding(
            tx, actor=actor, now=now, entropy=services.entropy, data=data
        )
    return FindingOut.of(finding, now.date())


@router.get("/findings")
def list_findings(
    actor: Reader,
    services: ServicesDep,
    state: Annotated[FindingState | None, Query(description="only findings in this state")] = None,
    overdue: Annotated[
        bool, Query(description="only findings whose action is past its due date")
    ] = False,
) -> list[FindingOut]:
    """Findings, oldest first."""
    today = services.now().date()
    with services.tx() as tx:
        found = management.list_findings(tx, today=today, state=state, overdue=overdue)
    return [FindingOut.of(f, today) for f in found]


@router.get("/worklist/overdue-findings")
def overdue_findings(actor: Reader, services: ServicesDep) -> list[FindingOut]:
    """Findings not closed by their corrective action's due date, oldest first."""
    today = services.now().date()
    with services.tx() as tx:
        found = management.list_findings(tx, today=today, overdue=True)
    return [FindingOut.of(f, today) for f in found]


@router.get("/findings/{finding_id}", responses=problem_responses(404))
def get_finding(finding_id: str, actor: Reader, services: ServicesDep) -> FindingOut:
    """The finding, with each step taken: when and by whom."""
    with services.tx() as tx:
        finding = management.get_finding(tx, finding_id)
    return FindingOut.of(finding, services.now().date())


@router.post("/findings/{finding_id}/corrective-action", responses=_STEP)
def plan_action(
    finding_id: str, body: CorrectiveActionBody, actor: Keeper, services: ServicesDep
) -> FindingOut:
    """Record the corrective action of an open finding: root cause, action, owner, due date."""
    plan = management.CorrectiveAction(
        root_cause=body.root_cause, action=body.action, owner_id=body.owner_id, due_on=body.due_on
    )
    now = services.now()
    with services.tx() as tx:
        finding = management.plan_action(tx, actor=actor, now=now, finding_id=finding_id, plan=plan)
    return FindingOut.of(finding, now.date())


@router.post("/findings/{finding_id}/action-taken", responses=_STEP)
def action_taken(
    finding_id: str, body: ActionTakenBody, actor: Keeper, services: ServicesDep
) -> FindingOut:
    """Record that the corrective action was taken."""
    now = services.now()
    with services.tx() as tx:
        finding = management.record_action_taken(
            tx, actor=actor, now=now, finding_id=finding_id, note=body.note
        )
    return FindingOut.of(finding, now.date())


@router.post(
    "/findings/{finding_id}/effectiveness",
    responses=problem_responses(404, 409, said={403: "The checker owns the corrective action"}),
)
def check_effectiveness(
    finding_id: str, body: EffectivenessBody, actor: Keeper, services: ServicesDep
) -> FindingOut:
    """Record whether the action taken was effective (by someone other than its owner):
    effective closes the finding, not effective opens it again."""
    now = services.now()
    with services.tx() as tx:
        finding = management.check_effectiveness(
            tx,
            actor=actor,
            now=now,
            finding_id=finding_id,
            effective=body.effective,
            note=body.note,
        )
    return FindingOut.of(finding, now.date())


@router.get(
    "/reports/examiners",
    response_model=ExaminerReportOut,
    responses={
        200: {"description": "The report, as JSON or (`Accept: text/csv`) CSV", "content": _CSV},
        **problem_responses(422),
    },
)
def examiner_report(
    actor: Reader,
    services: ServicesDep,
    first: From,
    last: To,
    scheme: Annotated[str | None, Query(max_length=40, description="a scheme's code")] = None,
    format_: Annotated[
        Literal["json", "csv"] | None,
        Query(alias="format", description="answer in this format rather than `Accept`'s"),
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> ExaminerReportOut | Response:
    """Per examiner and scheme, and per examination day and scheme, over the period:
    examinations held, pass rate beside the peers', mean and spread of score / max_score,
    irregularities, identity-check failures, and the flags that call for a look. CSV (one
    row per figure) with `Accept: text/csv` or `format=csv`."""
    kind = negotiate(accept, format_, ("json", "csv"))
    with services.tx() as tx:
        examiners, sessions = monitoring.examiner_report(
            tx, first=first, last=last, scheme_code=scheme
        )
        titles = review_formats.scheme_titles(tx) if kind == "csv" else {}
    if kind == "csv":
        content = review_formats.examiner_csv(
            examiners, sessions, first=first, last=last, titles=titles
        )
        return file_response(content, "csv", f"examiner-monitoring-{first}-{last}.csv")
    return ExaminerReportOut(
        period_from=first,
        period_to=last,
        examiners=[ExaminerOut(examiner_id=f.key, **ExaminerOut.fields(f)) for f in examiners],
        sessions=[
            SessionOut(day=date.fromisoformat(f.key), **SessionOut.fields(f)) for f in sessions
        ],
    )


@router.get(
    "/reports/management-review",
    response_model=None,
    responses={
        200: {
            "description": "The figures, as JSON, or a readable report (`Accept: text/markdown`),"
            " a spreadsheet (`text/csv`) or a printable report with charts (`application/pdf`)",
            "content": {
                "application/json": {},
                "text/markdown": {"schema": {"type": "string"}},
                **_CSV,
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problem_responses(422),
    },
)
def management_review(
    actor: Reader,
    services: ServicesDep,
    first: From,
    last: To,
    format_: Format = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The figures of the management review for the period (clause 10): certifications by
    scheme, appeals, complaints, impartiality risks, surveillance, findings and
    the examiner monitoring flags. Staff ids and counts only. With `Accept` or `format`:
    a Markdown report, CSV (one row per figure), or a PDF with charts for the meeting."""
    now = services.now()
    kind = negotiate(accept, format_, ("json", "markdown", "csv", "pdf"))
    name = f"management-review-{first}-{last}"
    with services.tx() as tx:
        if kind == "pdf":
            document = review_formats.review_document(
                tx, first=first, last=last, now=now, body_name=services.settings.body_name
            )
        else:
            review = monitoring.management_review(tx, first=first, last=last, today=now.date())
            titles = review_formats.scheme_titles(tx) if kind == "csv" else {}
    if kind == "pdf":  # drawn after the transaction, which it need not hold open
        return file_response(review_pdf.render_review_pdf(document), "pdf", f"{name}.pdf")
    if kind == "markdown":
        return Response(review_markdown(review), media_type="text/markdown; charset=utf-8")
    if kind == "csv":
        return file_response(review_formats.review_csv(review, titles), "csv", f"{name}.csv")
    return JSONResponse(review)
