"""The issuer's HTTP application: the back office API under ``/api/v1``.

:func:`create_app` wires settings, store, clock and entropy into one FastAPI app so tests can
build as many as they like. Errors are rendered here and nowhere else: domain errors become
problem+json with their stable ``type``; validation errors a 422 that never echoes the input;
anything unexpected a bare 500 with no internals.
"""

from __future__ import annotations

import dataclasses
import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.keys import KeyRing
from issuer.errors import PROBLEM_KINDS, IssuerError, NotFound, RateLimited
from issuer.http.deps import Services
from issuer.http.routes import (
    appeals,
    batches,
    body_information,
    cases,
    certificate_design,
    complaints,
    credentials,
    holder,
    holder_session,
    holder_sign_in,
    holder_wallet,
    lifecycle,
    management,
    notices,
    openbadges,
    public_complaints,
    records,
    regulator,
    risks,
    rosters,
    schemes,
    staff,
    surveillance,
    wallet,
    wallets,
)
from issuer.process.compromise import reissue_job
from issuer.process.due import DUE_JOBS, BackgroundDueJobs
from issuer.process.due_notices import NOTICE_JOBS
from issuer.process.notice_sender import BackgroundNoticeSender, Transport
from issuer.publication import outbox
from issuer.publication.checkpoints import CheckpointSource, enqueue_checkpoint
from issuer.publication.outbox import Publisher
from issuer.publication.publishers import BackgroundDrain, InProcessPublisher, refresh_interval
from issuer.runtime import Clock, Entropy, system_clock, system_entropy
from issuer.settings import Settings
from issuer.store import Store
from registry import RateLimit, Registry, RegistryStore, create_registry_app
from registry.errors import PROBLEM_KINDS as REGISTRY_PROBLEM_KINDS
from registry.openapi import install_api_docs, install_openapi
from schemas.openapi import problem_responses
from schemas.problem import PROBLEM_MEDIA_TYPE, Problem, ProblemFieldError, problem_type_uri

__all__ = [
    "attach_checkpoints",
    "attach_publishing",
    "create_app",
    "problem_response",
    "public_registry_app",
]

log = logging.getLogger("certreg.issuer")

_STATUS_KINDS = {
    400: ("malformed-request", "The request could not be read"),
    401: ("unauthenticated", "A valid bearer token is required"),
    403: ("forbidden", "This role may not do that"),
    404: ("not-found", "No such record"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "The request body is too large"),
}


def problem_response(
    *,
    kind: str,
    title: str,
    status: int,
    detail: str | None = None,
    instance: str | None = None,
    errors: list[ProblemFieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=problem_type_uri(kind),
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


class BodySizeLimit:
    """Refuses request bodies over ``limit`` bytes, declared or streamed, before routing,
    and paths or queries carrying NUL characters.

    The body is read here (at most ``limit`` bytes are ever buffered) and replayed to the
    app, so an oversized chunked upload is refused with a 413 instead of reaching a route.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if b"%00" in raw or "\x00" in scope.get("path", ""):
            # A NUL can never name a record, and PostgreSQL refuses it in any text value.
            response = problem_response(
                kind="malformed-request",
                title="The request could not be read",
                status=400,
                detail="NUL characters are not allowed in paths or queries",
            )
            await response(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            declared_too_long = len(value) > 18  # int() of thousands of digits is refused
            if name == b"content-length" and (
                declared_too_long or not value.isdigit() or int(value) > self.limit
            ):
                await self._refuse(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            kind="payload-too-large",
            title="The request body is too large",
            status=413,
            detail=f"the body exceeds {self.limit} bytes or declares an invalid length",
        )
        await response(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _field_errors(exc: RequestValidationError) -> list[ProblemFieldError]:
    out = []
    for error in exc.errors()[:50]:
        loc = [p if isinstance(p, int) else str(p)[:100] for p in error.get("loc", ())][:10]
        out.append(
            ProblemFieldError(
                loc=loc, msg=str(error.get("msg", ""))[:300], type=str(error.get("type", ""))[:60]
            )
        )
    return out


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IssuerError)
    def _issuer_error(request: Request, exc: IssuerError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        return problem_response(
            kind=exc.kind,
            title=exc.title,
            status=exc.status,
            detail=exc.detail[:500],  # details may quote client input: never echo it at length
            instance=request.url.path[:300],
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            kind="validation-failed",
            title="The request does not match the documented shape",
            status=422,
            detail="see errors for each rejected field",
            instance=request.url.path[:300],
            errors=_field_errors(exc),
        )

    @app.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> JSONResponse:
        kind, title = _STATUS_KINDS.get(exc.status_code, ("malformed-request", "Bad request"))
        status = exc.status_code if exc.status_code in _STATUS_KINDS else 400
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers) if exc.headers else None  # e.g. Allow on a 405
        return problem_response(
            kind=kind, title=title, status=status, detail=detail, headers=headers
        )

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path[:300])
        return problem_response(
            kind="internal-error", title="Internal error", status=500, detail=None
        )


def _problems_router() -> APIRouter:
    router = APIRouter(tags=["problems"])

    @router.get("/problems/{kind}")
    def describe_problem(kind: str) -> dict[str, str]:
        """What a problem ``type`` means, so that the relative type URIs resolve."""
        known = PROBLEM_KINDS.get(kind) or REGISTRY_PROBLEM_KINDS.get(kind)
        if known is None:  # the public registry mounted at "/" shares this path
            raise NotFound(f"no problem type {kind[:60]!r}")
        status, description = known
        return {"type": problem_type_uri(kind), "status": str(status), "description": description}

    return router


def public_registry_app(
    registry: Registry | RegistryStore,
    settings: Settings,
    *,
    intake_token: str | None = None,
    max_body_bytes: int | None = None,
    clock: Clock = system_clock,
    complaint_form_url: str | None = None,
) -> FastAPI:
    """The public registry app with the rate limits and trusted proxies of ``settings``;
    verification answers (``/v/…``, ``POST /credentials/verify``) are given at ``clock()``.
    The page behind a QR code links to ``settings.complaint_form_url``, else to
    ``complaint_form_url`` (the back office's own form, when this server serves both).
    Its pages are in ``settings.language`` when the reader's language is not known."""

    def limit(per_minute: int, burst: int) -> RateLimit | None:
        return RateLimit(per_minute=per_minute, burst=burst) if per_minute else None

    return create_registry_app(
        registry,
        intake_token=intake_token,
        max_body_bytes=max_body_bytes,
        lookup_limit=limit(settings.registry_lookup_per_minute, settings.registry_lookup_burst),
        page_limit=limit(settings.registry_page_per_minute, settings.registry_page_burst),
        trusted_proxies=settings.registry_trusted_proxies,
        now=clock,
        complaint_form_url=settings.complaint_form_url or complaint_form_url,
        language=settings.language,
    )


def attach_checkpoints(app: FastAPI, source: CheckpointSource) -> None:
    """Read the registry's audit checkpoint from ``source``, for ``GET /api/v1/audit/verify``."""
    services: Services = app.state.services
    app.state.services = dataclasses.replace(services, checkpoints=source)


def attach_publishing(
    app: FastAPI, settings: Settings, publisher: Publisher, interval: float | None
) -> None:
    """Publish the outbox to ``publisher`` (``app.state.drain``) and put status lists due to
    be signed again in it (``app.state.refresh_status_lists``); with ``interval``, both run
    on their own in the background while the app serves, and the audit checkpoint is put in
    the outbox every ``CERTREG_AUDIT_CHECKPOINT_INTERVAL_SECONDS`` as well (at start first).
    One place for both serving modes that publish: the registry in this process, or one
    reached over HTTP, which the audit verification then reads its checkpoint from."""
    attach_checkpoints(app, publisher)
    services: Services = app.state.services

    def drain() -> int:
        return outbox.drain(
            services.store,
            publisher,
            context=services.issuance,
            ttl_seconds=settings.status_list_ttl_seconds,
            clock=services.clock,
            validity_seconds=settings.status_list_validity,
        )

    def refresh() -> int:
        return outbox.enqueue_lapsing_status_lists(services.store, clock=services.clock)

    def checkpoint() -> int:
        return enqueue_checkpoint(services.store, clock=services.clock)

    app.state.drain = drain
    app.state.refresh_status_lists = refresh
    every = settings.audit_checkpoint_interval_seconds
    if interval is not None:
        worker = BackgroundDrain(
            drain,
            interval=interval,
            refresh=refresh,
            refresh_interval=refresh_interval(settings.status_list_validity),
            periodic=[(checkpoint, float(every))] if every else [],
        )
        app.router.on_startup.append(worker.start)
        app.router.on_shutdown.append(worker.stop)


def _attach_registry(
    app: FastAPI, registry: Registry, settings: Settings, interval: float | None
) -> None:
    services: Services = app.state.services
    attach_publishing(app, settings, InProcessPublisher(registry), interval)
    public = public_registry_app(
        registry,
        settings,
        max_body_bytes=settings.max_body_bytes,
        clock=services.clock,
        complaint_form_url=public_complaints.FORM_PATH,
    )
    app.mount("/", public)


def _attach_due_jobs(app: FastAPI, interval: float) -> None:
    """Run the due jobs while the app serves (``app.state.due_jobs``), stopped cleanly on
    shutdown: every serving mode that holds the back office's store has one. Besides the
    time-driven jobs, the server re-issues what a compromised key signed, so a key declared
    compromised through the API needs nothing more from anyone."""
    services: Services = app.state.services
    worker = BackgroundDueJobs(
        services.store,
        clock=services.clock,
        entropy=services.entropy,
        interval=interval,
        jobs=(*DUE_JOBS, *NOTICE_JOBS, reissue_job(services.issuance)),
    )
    app.state.due_jobs = worker
    app.router.on_startup.append(worker.start)
    app.router.on_shutdown.append(worker.stop)


def _attach_notice_sender(app: FastAPI, transport: Transport, interval: float) -> None:
    """Send the notices due while the app serves (``app.state.notice_sender``), stopped
    cleanly on shutdown."""
    services: Services = app.state.services
    sender = BackgroundNoticeSender(
        services.store,
        clock=services.clock,
        transport=transport,
        sender=services.settings.smtp_from,
        body_name=services.settings.body_name,
        interval=interval,
    )
    app.state.notice_sender = sender
    app.router.on_startup.append(sender.start)
    app.router.on_shutdown.append(sender.stop)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock = system_clock,
    entropy: Entropy = system_entropy,
    keyring: KeyRing | None = None,
    registry: Registry | None = None,
    publish_interval: float | None = 0.2,
    due_jobs_interval: float | None = None,
    notice_transport: Transport | None = None,
    notice_send_interval: float | None = None,
) -> FastAPI:
    """Build the back office application.

    With a ``registry``, this is the all-in-one mode: the public registry is served from the
    same app, fed by an in-process publisher that drains the outbox every
    ``publish_interval`` seconds on a background thread (``None``: only on
    ``app.state.drain()``, for tests). With ``due_jobs_interval`` (``certreg serve`` passes
    ``CERTREG_DUE_JOBS_INTERVAL_SECONDS``), the time-driven jobs — expiry, overdue
    suspensions, and the re-issue of what a compromised key signed — run at start and then
    every that many seconds on a thread of their own, driven by ``clock``. With a
    ``notice_transport`` and ``notice_send_interval`` (``certreg serve`` passes the SMTP
    transport when ``CERTREG_SMTP_HOST`` is set), notices to certified persons are sent
    every that many seconds on a thread of their own. Refuses to start
    without a key passphrase outside demo mode: the signing keys are encrypted with it.
    """
    app = FastAPI(
        title="certreg",
        version="0.1.0",
        description=(
            "Back office of an ISO/IEC 17024 certification body: schemes, staff, persons, "
            "applications, examinations, decisions, certifications and the audit log."
        ),
        docs_url=None,  # served from the package, offline: registry.openapi
        redoc_url=None,
    )
    app.state.services = Services(
        settings=settings,
        store=store or Store.from_url(settings.issuer_url),
        clock=clock,
        entropy=entropy,
        issuance=IssuanceContext(
            identity=IssuerIdentity(base_url=settings.base_url, name=settings.body_name),
            keyring=keyring or KeyRing(passphrase=settings.passphrase()),
            list_entries=settings.status_list_entries,
        ),
    )
    api = APIRouter(prefix="/api/v1")
    for module in (
        appeals,
        management,
        complaints,
        batches,
        body_information,
        certificate_design,
        rosters,
        schemes,
        staff,
        cases,
        lifecycle,
        surveillance,
        risks,
        records,
        credentials,
        openbadges,
        wallet,
        notices,
    ):
        api.include_router(module.router)
    api.include_router(holder_sign_in.api_router)
    api.include_router(wallets.api_router)
    app.include_router(api)
    app.include_router(_problems_router())
    app.include_router(regulator.router)
    app.include_router(public_complaints.router)
    app.state.complaint_intake = public_complaints.complaint_limit(app.state.services)
    app.include_router(holder_sign_in.router)
    app.include_router(holder.router)
    app.include_router(holder_wallet.router)
    app.include_router(wallets.router)
    app.state.wallet_limit = wallets.wallet_limit(app.state.services)
    app.state.holder_intake = holder_session.sign_in_limit(app.state.services)
    holder_sign_in.hide_links_from_access_log()  # a working link never reaches a log line
    _install_error_handlers(app)
    if registry is not None:
        _attach_registry(app, registry, settings, publish_interval)
    if due_jobs_interval:
        _attach_due_jobs(app, due_jobs_interval)
    if notice_transport is not None and notice_send_interval:
        _attach_notice_sender(app, notice_transport, notice_send_interval)
    # BodySizeLimit refuses a NUL in any path or query with a 400, before any route.
    install_openapi(app, every_operation=problem_responses(400))
    install_api_docs(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    app.add_middleware(regulator.RegulatorRequestLog)  # outermost: logs refusals too
    return app
