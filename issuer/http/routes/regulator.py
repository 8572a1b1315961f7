"""The regulators' API, ``/regulator/v1`` (clause 7.3.4), and the staff view of the notices
queued for persons: by disclosures, and by re-issues after a key compromise.

Every route under ``/regulator/v1`` admits regulator tokens only; staff tokens are refused,
and regulator tokens are refused everywhere else. :class:`RegulatorRequestLog` records every
request under that prefix — whoever sent it and whatever the answer, refusals included —
with method, path, query and status, never the body.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.http.bodies.common import Instant
from issuer.http.deps import Services, ServicesDep, allow
from issuer.http.report_formats import file_response, negotiate
from issuer.http.roles import NOTICE_KEEPERS, REGULATORS
from issuer.model import (
    CertificationChange,
    CertificationStatus,
    ChangeKind,
    ConfidentialField,
    NoticeState,
    PublicCertification,
    RegulatorRequest,
)
from issuer.process import compromise, regulator_reports, regulators, review_formats
from issuer.process.auth import Actor, authenticate, require_role
from schemas.openapi import problem_responses

__all__ = ["PREFIX", "RegulatorRequestLog", "router"]

PREFIX = "/regulator/v1"

log = logging.getLogger("certreg.issuer")

_bearer = HTTPBearer(auto_error=False, description="a token from `certreg token create`")
_ACTOR = "certreg.regulator_actor"
"""Where the authenticated actor is left in the request state for the request log."""


def _regulator(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Authenticate, note who it is for the request log (even if refused next), check role."""
    header = None if credentials is None else f"Bearer {credentials.credentials}"
    with services.tx() as tx:
        actor = authenticate(tx, header)
    request.scope.setdefault("state", {})[_ACTOR] = actor
    require_role(actor, REGULATORS)
    return actor


Regulator = Annotated[Actor, Depends(_regulator)]
NoticeKeeper = Annotated[Actor, allow(*NOTICE_KEEPERS)]

router = APIRouter()
"""Both groups of routes, with full paths: include it once, at the application's root."""

_api = APIRouter(prefix=PREFIX, tags=["regulators"])
_BAD_CURSOR = "The cursor is not one this API gave"
_NO_SCHEME = "No scheme with this id or code"


# ── bodies ───────────────────────────────────────────────────────────────────────────────
class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class RegulatorCertificationOut(_Out):
    """The public fields of a certification (7.2.1); nothing confidential."""

    certificate_number: str
    given_name: str
    family_name: str
    scheme_code: str
    scheme_version: int
    scope: list[str]
    status: CertificationStatus
    status_since: str = Field(description="UTC instant of the last status decision")
    effective_date: str
    expiry_date: str
    credential_ids: list[str] = Field(description="the certification's current credentials")

    @classmethod
    def of(cls, c: PublicCertification) -> RegulatorCertificationOut:
        return cls.model_validate(regulators.public_record(c))


class CertificationPageOut(_Out):
    certifications: list[RegulatorCertificationOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: done")


class ChangeOut(_Out):
    cursor: str = Field(description="pass as `after` to read the changes after this one")
    certificate_number: str
    change: ChangeKind
    effective_at: datetime
    recorded_at: datetime

    @classmethod
    def of(cls, cursor: str, c: CertificationChange) -> ChangeOut:
        return cls(
            cursor=cursor,
            certificate_number=c.certificate_number,
            change=c.kind,
            effective_at=c.effective_at,
            recorded_at=c.recorded_at,
        )


class ChangePageOut(_Out):
    changes: list[ChangeOut]
    next_cursor: str | None = Field(description="pass as `after` to poll for later changes")


class DisclosureBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: ConfidentialField
    legal_basis: str | None = Field(
        default=None,
        max_length=regulators.LEGAL_BASIS_MAX,
        description="the law or order that requires the disclosure (required)",
    )
    reference: str | None = Field(
        default=None, max_length=regulators.REFERENCE_MAX, description="the regulator's case"
    )


class DisclosureOut(_Out):
    id: str
    certificate_number: str
    field: ConfidentialField
    value: str | None = Field(description="null: nothing is on record for this field")
    legal_basis: str
    reference: str | None
    disclosed_at: datetime
    notice_id: str = Field(description="the notice to the person this disclosure queued")


class NoticeOut(_Out):
    id: str
    person_id: str
    kind: str
    created_at: datetime
    sent_at: datetime | None
    sent_by: str | None
    field: ConfidentialField | None
    regulator: str | None = Field(description="the name of the regulator's token")
    legal_basis: str | None
    reference: str | None
    disclosed_at: datetime | None
    credential_id: str | None = Field(
        default=None,
        description="for a notice of kind reissued-after-key-compromise: the new credential "
        "to send the person (its certificate and QR code are under /api/v1/credentials/{id})",
    )
    state: NoticeState = Field(
        default=NoticeState.QUEUED,
        description="where the notice is on its way to the person: dead and no-address "
        "ones wait for staff (see /api/v1/notices)",
    )

    @classmethod
    def of(cls, view: regulators.NoticeView) -> NoticeOut:
        n, d = view.notice, view.disclosure
        reissued = n.kind == compromise.NOTICE_KIND
        return cls(
            id=n.id,
            person_id=n.person_id,
            kind=n.kind,
            created_at=n.created_at,
            sent_at=n.sent_at,
            sent_by=n.sent_by,
            field=None if d is None else d.field,
            regulator=view.regulator,
            legal_basis=None if d is None else d.legal_basis,
            reference=None if d is None else d.reference,
            disclosed_at=None if d is None else d.disclosed_at,
            credential_id=n.subject_id if reissued else None,
            state=n.state,
        )


# ── regulators' routes ───────────────────────────────────────────────────────────────────
SchemeParam = Annotated[
    str | None, Query(min_length=1, max_length=64, description="scheme id or code")
]
StatusParam = Annotated[CertificationStatus | None, Query()]
ChangedSinceParam = Annotated[
    Instant | None, Query(description="only those whose status changed at or after this instant")
]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _query(
    services: Services,
    scheme: str | None,
    status: CertificationStatus | None,
    since: datetime | None,
) -> regulators.CertificationQuery:
    with services.tx() as tx:
        scheme_id = regulators.resolve_scheme(tx, scheme)
    return regulators.CertificationQuery(scheme_id=scheme_id, status=status, changed_since=since)


@_api.get(
    "/certifications",
    responses=problem_responses(400, 404, said={400: _BAD_CURSOR, 404: _NO_SCHEME}),
)
def list_certifications(
    actor: Regulator,
    services: ServicesDep,
    scheme: SchemeParam = None,
    status: StatusParam = None,
    changed_since: ChangedSinceParam = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Limit = 100,
) -> CertificationPageOut:
    """Certifications by scheme, status and change date, a page at a time (keyset cursor)."""
    query = _query(services, scheme, status, changed_since)
    with services.tx() as tx:
        rows, next_cursor = regulators.certifications_page(tx, query, cursor=cursor, limit=limit)
    return CertificationPageOut(
        certifications=[RegulatorCertificationOut.of(c) for c in rows], next_cursor=next_cursor
    )


@_api.get("/changes", responses=problem_responses(400, said={400: _BAD_CURSOR}))
def list_changes(
    actor: Regulator,
    services: ServicesDep,
    after: Annotated[str | None, Query(max_length=512)] = None,
    limit: Limit = 100,
) -> ChangePageOut:
    """Grants and lifecycle decisions in the order they were recorded; never their reasons.

    The last few seconds are held back until any transaction still recording them has
    committed, so a cursor never passes a change that then appears behind it.
    """
    with services.tx() as tx:
        page, next_cursor = regulators.changes_page(
            tx, after=after, limit=limit, now=services.now()
        )
    return ChangePageOut(
        changes=[ChangeOut.of(cursor, c) for cursor, c in page], next_cursor=next_cursor
    )


_MEDIA = {"jsonl": "application/jsonl", "csv": "text/csv; charset=utf-8"}


@_api.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/jsonl": {}, "text/csv": {}}},
        **problem_responses(404, said={404: _NO_SCHEME}),
    },
)
def export(
    actor: Regulator,
    services: ServicesDep,
    format_: Annotated[Literal["jsonl", "csv"], Query(alias="format")] = "jsonl",
    scheme: SchemeParam = None,
    status: StatusParam = None,
    changed_since: ChangedSinceParam = None,
) -> StreamingResponse:
    """Every certification the filters cover, streamed as JSON Lines or CSV (header row)."""
    query = _query(services, scheme, status, changed_since)
    rows = regulators.export(services.store, query)
    lines: Iterator[str] = (
        regulators.csv_export(rows) if format_ == "csv" else regulators.jsonl_export(rows)
    )
    return StreamingResponse(
        _chunks(lines),
        media_type=_MEDIA[format_],
        headers={
            "Content-Disposition": f'attachment; filename="certifications.{format_}"',
            "Cache-Control": "no-store",
        },
    )


def _chunks(lines: Iterator[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """Lines gathered into chunks of about ``size`` characters: one thread hop per chunk
    rather than per line, and never more than a chunk held at once."""
    buffer: list[str] = []
    length = 0
    for line in lines:
        buffer.append(line)
        length += len(line)
        if length >= size:
            yield "".join(buffer).encode()
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode()


@_api.post("/certifications/{number}/disclosures", status_code=201)
def disclose(
    number: str, body: DisclosureBody, actor: Regulator, services: ServicesDep
) -> DisclosureOut:
    """Disclose one confidential field on a stated legal basis (7.3.4): logged, audited, and
    a notice to the person queued, in one transaction."""
    with services.tx() as tx:
        disclosure, value, notice = regulators.disclose(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            number=number,
            field=body.field,
            legal_basis=body.legal_basis,
            reference=body.reference,
        )
        certification = tx.get_certification(disclosure.certification_id)
    assert certification is not None
    return DisclosureOut(
        id=disclosure.id,
        certificate_number=certification.certificate_number,
        field=disclosure.field,
        value=value,
        legal_basis=disclosure.legal_basis,
        reference=disclosure.reference,
        disclosed_at=disclosure.disclosed_at,
        notice_id=notice.id,
    )


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    first: date = Field(alias="from", description="the period's first day")
    last: date = Field(alias="to", description="the period's last day, included")
    legal_basis: str | None = Field(
        default=None,
        max_length=regulators.LEGAL_BASIS_MAX,
        description="the law or order that requires the full report (required)",
    )
    reference: str | None = Field(
        default=None, max_length=regulators.REFERENCE_MAX, description="the regulator's case"
    )


_FIGURES = {200: {"content": {"application/json": {}}}, **problem_responses(422)}
_FIGURES_OR_CSV = {
    200: {
        "description": "The figures, as JSON or (`Accept: text/csv`) CSV, one row per figure",
        "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
    },
    **problem_responses(422),
}


@_api.get("/management-review", response_model=None, responses=_FIGURES_OR_CSV)
def management_review(
    actor: Regulator,
    services: ServicesDep,
    first: Annotated[date, Query(alias="from", description="the period's first day")],
    last: Annotated[date, Query(alias="to", description="the period's last day, included")],
    format_: Annotated[
        Literal["json", "csv"] | None,
        Query(alias="format", description="answer in this format rather than `Accept`'s"),
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The management review's figures for the period, aggregated and non-personal: counts
    only, no staff, no person, no text; counts from 1 to 4 are withheld (null, or in CSV an
    empty value with a note). CSV with `Accept: text/csv` or `format=csv`."""
    kind = negotiate(accept, format_, ("json", "csv"))
    with services.tx() as tx:
        figures = regulator_reports.aggregated_review(
            tx, first=first, last=last, today=services.now().date()
        )
        titles = review_formats.scheme_titles(tx) if kind == "csv" else {}
    if kind == "csv":
        content = review_formats.regulator_csv(figures, titles)
        return file_response(content, "csv", f"management-review-{first}-{last}.csv")
    return JSONResponse(figures, headers={"Cache-Control": "no-store"})


@_api.post("/management-review/full", response_model=None, responses=_FIGURES)
def full_management_review(
    body: ReviewBody, actor: Regulator, services: ServicesDep
) -> JSONResponse:
    """The full management review, examiner monitoring per examiner included, on a stated
    legal basis (7.3.4): audited with the basis's digest in the transaction that reads it."""
    with services.tx() as tx:
        review = regulator_reports.full_review(
            tx,
            actor=actor,
            now=services.now(),
            first=body.first,
            last=body.last,
            legal_basis=body.legal_basis,
            reference=body.reference,
        )
    return JSONResponse(review, headers={"Cache-Control": "no-store"})


# ── staff: notices owed to persons ───────────────────────────────────────────────────────
@router.get("/api/v1/persons/{person_id}/notices", tags=["persons"])
def person_notices(person_id: str, actor: NoticeKeeper, services: ServicesDep) -> list[NoticeOut]:
    """Notices owed to the person, sent or still to send: of a disclosure of their data, or
    of their certificate or mark re-issued under a new key after a key compromise."""
    with services.tx() as tx:
        return [NoticeOut.of(v) for v in regulators.notices_of(tx, person_id)]


@router.post(
    "/api/v1/persons/{person_id}/notices/{notice_id}/sent",
    tags=["persons"],
    responses=problem_responses(409),
)
def notice_sent(
    person_id: str, notice_id: str, actor: NoticeKeeper, services: ServicesDep
) -> NoticeOut:
    """Record that the notice was sent to the person."""
    with services.tx() as tx:
        regulators.mark_notice_sent(
            tx, actor=actor, now=services.now(), person_id=person_id, notice_id=notice_id
        )
        views = regulators.notices_of(tx, person_id)
    return next(NoticeOut.of(v) for v in views if v.notice.id == notice_id)


router.include_router(_api)


# ── the request log ──────────────────────────────────────────────────────────────────────
def _under_prefix(path: str) -> bool:
    return path == "/regulator" or path.startswith("/regulator/")


class RegulatorRequestLog:
    """Logs every request whose path is under ``/regulator``, once its answer has been sent
    (for an export, once the stream ends). A failure to log is reported in the server log;
    it cannot change an answer already sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _under_prefix(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        services: Services = scope["app"].state.services  # before a mounted app replaces it
        state = scope.setdefault("state", {})
        status = 500  # what the client gets if the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            actor: Actor | None = state.get(_ACTOR)
            entry = RegulatorRequest(
                token_id=None if actor is None else actor.token_id,
                staff_id=None if actor is None else actor.staff_id,
                method=str(scope.get("method", "")),
                path=str(scope.get("path", "")),
                query=scope.get("query_string", b"").decode("latin-1"),
                status=status,
                at=services.now(),
            )
            await anyio.to_thread.run_sync(_write, services, entry)


def _write(services: Services, entry: RegulatorRequest) -> None:
    try:
        with services.tx() as tx:
            regulators.record_request(tx, entry)
    except Exception:
        log.exception("could not log a regulator request to %s", entry.path[:100])
