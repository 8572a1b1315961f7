"""The public registry's HTTP application: keys, status lists, register entries, schemes,
and the directory of persons who chose to be listed.

Everything served here is a stored, issuer-signed document or a part of its payload; the app
holds no key and signs nothing. Reads carry strong ETags and answer ``If-None-Match`` with
``304``; status lists say how long they may be cached (their ``ttl``), everything else is
revalidated. A register lookup answers the same 404 whether the number is unknown or the
family name does not match, so the register cannot be used to learn who holds a number; the
directory answers only a name search, only over persons who consented (clause 7.3.3). Both
share a strict per-client rate limit (:mod:`registry.ratelimit`). Scheme pages answer HTML
to browsers and JSON to programs (:mod:`registry.pages`). Errors are problem+json;
unexpected ones a bare 500 without internals.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from registry import documented, jws, pages
from registry.errors import (
    PROBLEM_KINDS,
    Forbidden,
    NotFound,
    RateLimited,
    RegistryError,
    Unauthenticated,
)
from registry.errors import PayloadTooLarge as TooLarge
from registry.fast_paths import (
    AsgiApp,
    FastPaths,
    Scope,
    header,
    not_modified,
    route_path,
    single_query_value,
)
from registry.intake import Registry
from registry.names import same_name
from registry.openapi import install_api_docs, install_openapi
from registry.ratelimit import (
    DEFAULT_LOOKUP_LIMIT,
    DEFAULT_PAGE_LIMIT,
    ClientAddress,
    RateLimit,
    Throttle,
)
from registry.resources import resources_router
from registry.status_cache import RECHECK_SECONDS, ServedList, StatusListCache
from registry.store import Document, RegistryStore, strong_etag
from registry.verification import RegistryVerification, system_now
from registry.verification_page import verification_page_router
from schemas import certificate_numbers
from schemas.problem import PROBLEM_MEDIA_TYPE, Problem, ProblemFieldError, problem_type_uri
from schemas.publication import DocumentKind, Publication
from verifier.core import Verifier
from verifier.http import verification_router

__all__ = ["create_registry_app"]

log = logging.getLogger("certreg.registry")

INTAKE_MAX_BYTES = 5 * 1024 * 1024
"""The intake's default body cap: the largest publication (4 MiB) in its JSON envelope."""
_KEY = re.compile(r"[A-Za-z0-9._-]{1,64}")
_NO_ENTRY = "no register entry matches this certificate number and family name"
_MAX_FAMILY_NAME = 200
_CORS = {"Access-Control-Allow-Origin": "*"}
_DIRECTORY_FIELDS = (
    "certificateNumber",
    "name",
    "givenName",
    "familyName",
    "scheme",
    "scope",
    "status",
    "statusSince",
    "effectiveDate",
    "expiryDate",
)
"""What a directory answer shows of a register entry: the public certification, no more."""
_STATUS_KINDS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
}


def _problem(kind: str, status: int, detail: str | None, **extra: Any) -> JSONResponse:
    title = PROBLEM_KINDS.get(kind, (status, "Bad request"))[1]
    problem = Problem(type=problem_type_uri(kind), title=title, status=status, detail=detail)
    return JSONResponse(
        problem.model_dump(exclude_none=True) | extra.pop("fields", {}),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=extra.pop("headers", None),
    )


def _error_response(exc: RegistryError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return _problem(exc.kind, exc.status, exc.detail[:500], headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RegistryError)
    def _registry_error(request: Request, exc: RegistryError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            ProblemFieldError(
                loc=[p if isinstance(p, int) else str(p)[:100] for p in e.get("loc", ())][:10],
                msg=str(e.get("msg", ""))[:300],
                type=str(e.get("type", ""))[:60],
            ).model_dump()
            for e in exc.errors()[:50]
        ]
        detail = "see errors for each rejected field"
        return _problem("validation-failed", 422, detail, fields={"errors": errors})

    @app.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> JSONResponse:
        status = exc.status_code if exc.status_code in _STATUS_KINDS else 400
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers) if exc.headers else None
        return _problem(_STATUS_KINDS[status], status, detail, headers=headers)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path[:300])
        return _problem("internal-error", 500, None)


def _conditional(
    if_none_match: str | None,
    content: bytes,
    *,
    media_type: str,
    cache_control: str,
    etag: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """200 with ``content``, or 304 without a body when ``If-None-Match`` names its ETag."""
    etag = etag or strong_etag(content)
    all_headers = {"ETag": etag, "Cache-Control": cache_control, **(headers or {})}
    if not_modified(if_none_match, etag):
        return Response(status_code=304, headers=all_headers)
    return Response(content, media_type=media_type, headers=all_headers)


def _served_list(served: ServedList, if_none_match: str | None) -> Response:
    headers = {"ETag": served.etag, "Cache-Control": served.cache_control, **_CORS}
    if not_modified(if_none_match, served.etag):
        return Response(status_code=304, headers=headers)
    return Response(served.body, media_type=served.media_type, headers=headers)


def _json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON of an answer. ``orjson`` writes the same bytes as the standard
    library's compact, non-ASCII-preserving encoder for objects, arrays, strings, integers
    and literals (a float the same number, at times spelled otherwise: ``1e16`` for
    ``1e+16``), 0.5 µs against 24 µs for a register entry's answer, whose credential string
    the standard encoder scans character by character. A value it refuses (an integer
    beyond 64 bits, read from an issuer's payload) is written by the standard library."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _payload(document: Document) -> dict[str, Any]:
    """The payload of a stored document (verified on intake, so only decoded here)."""
    return jws.parse_compact(document.body).payload


def _subject(document: Document) -> Any:
    return _payload(document).get("credentialSubject")


def same_family_name(published: object, given: str) -> bool:
    """Case, accents and spacing aside (:func:`registry.names.fold`); in constant time."""
    return same_name(published, given)


def _directory_entry(document: Document) -> dict[str, Any]:
    subject = _subject(document)
    if not isinstance(subject, dict):
        return {}
    return {name: subject[name] for name in _DIRECTORY_FIELDS if name in subject}


def _negotiated(
    request: Request, value: Any, page: Callable[[], bytes], *, cache_control: str
) -> Response:
    """The page for a browser, the JSON ``value`` for everyone else; ``Vary: Accept``."""
    if pages.prefers_html(request.headers.get("accept")):
        return _conditional(
            request.headers.get("if-none-match"),
            page(),
            media_type=pages.HTML_MEDIA_TYPE,
            cache_control=cache_control,
            headers=pages.PAGE_HEADERS,
        )
    return _conditional(
        request.headers.get("if-none-match"),
        _json_bytes(value),
        media_type="application/json",
        cache_control=cache_control,
        headers={"Vary": "Accept"},
    )


_T = TypeVar("_T")


def _reader(registry: Registry) -> Callable[..., Any]:
    """How async routes make a blocking store read: inline when it is a local file read
    of microseconds (SQLite; a thread handoff would cost more than the read), else in the
    threadpool, so a database round trip never stalls the event loop."""
    if registry.store.reads_are_local:

        async def inline(function: Callable[..., _T], *args: Any) -> _T:
            return function(*args)

        return inline
    return run_in_threadpool


class _Answers:
    """The status list and register lookup answers, given by their routes and, for most
    requests, by :class:`registry.fast_paths.FastPaths` in front of the application: one
    implementation of each, whichever way the request came."""

    def __init__(
        self, registry: Registry, *, lookups: Throttle, status_lists: StatusListCache
    ) -> None:
        self.registry = registry
        self.lookups = lookups
        self.status_lists = status_lists
        self.read = _reader(registry)

    async def status_list(self, list_id: str, if_none_match: str | None) -> Response:
        # The hot path: bytes kept by StatusListCache, no I/O while they are fresh.
        served = self.status_lists.fresh(list_id)
        if served is None and _KEY.fullmatch(list_id):
            served = await self.read(self.status_lists.load, list_id)
        if served is None:
            raise NotFound("no status-list is published here")
        return _served_list(served, if_none_match)

    async def register_entry(
        self, certificate_number: str, family_name: str, if_none_match: str | None
    ) -> Response:
        number = certificate_numbers.normalize(certificate_number)
        document = (
            await self.registry.document_async(DocumentKind.REGISTER_ENTRY, number)
            if number
            else None
        )
        payload = _payload(document) if document else {}
        entry = payload.get("credentialSubject") or {}
        if document is None or not same_family_name(entry.get("familyName"), family_name):
            raise NotFound(_NO_ENTRY)
        body = {"entry": entry, "credential": document.body, "validFrom": payload.get("validFrom")}
        return _conditional(
            if_none_match,
            _json_bytes(body),
            media_type="application/json",
            cache_control="no-cache",
        )

    async def fast(self, scope: Scope) -> AsgiApp | None:
        """A GET request's answer if it asks for a status list or is a well-formed register
        lookup; ``None`` leaves it to the routes (which give the same answers, and the
        validation errors). Each request checks the status list cache once: a second
        :meth:`StatusListCache.fresh` in the same request would find the check it claimed
        in flight and never make it."""
        path = route_path(scope)
        if path.startswith("/status/"):
            list_id = path[8:]
            if not list_id or "/" in list_id:
                return None
            try:
                return await self.status_list(list_id, header(scope, b"if-none-match"))
            except RegistryError as exc:
                return _error_response(exc)
        if path.startswith("/register/"):
            number = path[10:]
            family_name = single_query_value(scope, "family_name")
            if not number or "/" in number or family_name is None:
                return None
            if not 1 <= len(family_name) <= _MAX_FAMILY_NAME:
                return None
            try:
                self.lookups.check(scope)
                return await self.register_entry(
                    number, family_name, header(scope, b"if-none-match")
                )
            except RegistryError as exc:
                return _error_response(exc)
        return None


def _public_router(registry: Registry, *, answers: _Answers, browsing: Throttle) -> APIRouter:
    router = APIRouter(tags=["registry"])
    strict = [Depends(answers.lookups)]
    generous = [Depends(browsing)]

    def stored(kind: DocumentKind, key: str) -> Document:
        document = registry.document(kind, key) if _KEY.fullmatch(key) else None
        if document is None:
            raise NotFound(f"no {kind.value} is published here")
        return document

    def keys_part(request: Request, part: str) -> Response:
        value = _payload(stored(DocumentKind.ISSUER_KEYS, "issuer")).get(part)
        content = _json_bytes(value)
        return _conditional(
            request.headers.get("if-none-match"),
            content,
            media_type="application/json",
            cache_control="no-cache",
            headers=_CORS,
        )

    @router.get("/.well-known/did.json", responses=documented.KEYS)
    def did_document(request: Request) -> Response:
        return keys_part(request, "did_document")

    @router.get("/.well-known/jwks.json", responses=documented.KEYS)
    def jwks(request: Request) -> Response:
        return keys_part(request, "jwks")

    @router.get("/status/{list_id}", response_class=Response, responses=documented.STATUS_LIST)
    async def status_list(list_id: str, request: Request) -> Response:
        return await answers.status_list(list_id, request.headers.get("if-none-match"))

    @router.get(
        "/register/{certificate_number}", dependencies=strict, responses=documented.REGISTER_ENTRY
    )
    async def register_entry(
        certificate_number: str,
        request: Request,
        family_name: Annotated[str, Query(min_length=1, max_length=_MAX_FAMILY_NAME)],
    ) -> Response:
        return await answers.register_entry(
            certificate_number, family_name, request.headers.get("if-none-match")
        )

    @router.get(
        "/directory",
        dependencies=strict,
        responses=documented.DIRECTORY,
        **documented.DIRECTORY_NAME,
    )
    def directory(
        request: Request, name: Annotated[str | None, Query(include_in_schema=False)] = None
    ) -> Response:
        """Persons who chose the public directory (7.3.3) whose name contains ``name``."""
        answer = registry.directory(name)
        body = {
            "results": [_directory_entry(d) for d in answer.entries],
            "truncated": answer.truncated,
        }
        return _conditional(
            request.headers.get("if-none-match"),
            _json_bytes(body),
            media_type="application/json",
            cache_control="no-cache",
        )

    @router.get("/schemes", dependencies=generous, responses=documented.PAGE)
    def schemes(request: Request) -> Response:
        documents = registry.documents(DocumentKind.SCHEME)
        subjects = [_subject(d) for d in documents]

        def page() -> bytes:
            views = [pages.scheme_view(d.key, s) for d, s in zip(documents, subjects, strict=True)]
            return pages.render("schemes.html", title="Certification schemes", schemes=views)

        return _negotiated(request, subjects, page, cache_control="no-cache")

    @router.get("/schemes/{scheme_id}", dependencies=generous, responses=documented.PAGE)
    def scheme(scheme_id: str, request: Request) -> Response:
        document = stored(DocumentKind.SCHEME, scheme_id)
        subject = _subject(document)

        def page() -> bytes:
            view = pages.scheme_view(document.key, subject)
            return pages.render("scheme.html", title=view.name, scheme=view)

        return _negotiated(request, subject, page, cache_control="no-cache")

    @router.get("/problems/{kind}")
    def describe_problem(kind: str) -> dict[str, str]:
        """What a problem ``type`` means, so that the relative type URIs resolve."""
        if kind not in PROBLEM_KINDS:
            raise NotFound("no such problem type")
        status, description = PROBLEM_KINDS[kind]
        return {"type": problem_type_uri(kind), "status": str(status), "description": description}

    return router


def _intake_router(registry: Registry, *, token: str, max_body_bytes: int) -> APIRouter:
    router = APIRouter(tags=["intake"])
    expected = token.encode("utf-8")

    def authorize(
        authorization: Annotated[str | None, Header()] = None,
        content_length: Annotated[str | None, Header()] = None,
    ) -> None:
        scheme, _, secret = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("send Authorization: Bearer <intake secret>")
        if not hmac.compare_digest(secret.strip().encode("utf-8"), expected):
            raise Forbidden("the intake secret does not match")
        if content_length is not None and (
            len(content_length) > 18 or not (content_length.isascii() and content_length.isdigit())
        ):
            raise TooLarge("invalid Content-Length")
        if content_length is not None and int(content_length) > max_body_bytes:
            raise TooLarge(f"the body exceeds {max_body_bytes} bytes")

    @router.post(
        "/registry/v1/publications", dependencies=[Depends(authorize)], responses=documented.INTAKE
    )
    def publish(publication: Publication) -> dict[str, bool]:
        """Store a signed publication if it verifies and is newer than what is held."""
        return {"stored": registry.accept(publication)}

    return router


def create_registry_app(
    store_or_registry: RegistryStore | Registry,
    *,
    intake_token: str | None = None,
    max_body_bytes: int | None = None,
    lookup_limit: RateLimit | None = DEFAULT_LOOKUP_LIMIT,
    page_limit: RateLimit | None = DEFAULT_PAGE_LIMIT,
    trusted_proxies: Sequence[str] = (),
    clock: Callable[[], float] = time.monotonic,
    verifier_factory: Callable[[], Verifier] | None = None,
    now: Callable[[], datetime] = system_now,
    status_recheck_seconds: float = RECHECK_SECONDS,
    fast_paths: bool = True,
) -> FastAPI:
    """Build the public registry; the intake route exists only when a secret is given
    (with a body cap of ``max_body_bytes``, by default :data:`INTAKE_MAX_BYTES`).

    ``lookup_limit`` is the per-client limit shared by the register lookup and the directory
    search, ``page_limit`` that of the scheme pages (``None``: not limited); status lists
    and keys are never limited (see :mod:`registry.ratelimit`). ``X-Forwarded-For`` names
    the client only on requests from one of ``trusted_proxies`` (addresses or networks).
    The throttles are on ``app.state`` for pages added later to reuse.
    ``POST /credentials/verify`` checks with ``verifier_factory()`` (by default this
    registry's stored keys and status lists) at ``now()``. Status lists are served from
    per-process cached bytes, compared with the store at most ``status_recheck_seconds``
    after the last check (by ``clock``; see :mod:`registry.status_cache`). With
    ``fast_paths`` (the default) status lists and register lookups are answered in
    front of the routes (:mod:`registry.fast_paths`); without, every request is routed.
    """
    clients = ClientAddress(trusted_proxies)
    lookups = Throttle(lookup_limit, clients, clock=clock)
    browsing = Throttle(page_limit, clients, clock=clock)
    registry = (
        store_or_registry
        if isinstance(store_or_registry, Registry)
        else Registry(store_or_registry)
    )
    app = FastAPI(
        title="certreg registry",
        version="0.1.0",
        description="The public register of certified persons: only what the issuer signed.",
        docs_url=None,  # served from the package, offline: registry.openapi
        redoc_url=None,
    )
    app.state.registry = registry
    app.state.lookup_throttle = lookups
    app.state.page_throttle = browsing
    status_lists = StatusListCache(registry, recheck_seconds=status_recheck_seconds, clock=clock)
    answers = _Answers(registry, lookups=lookups, status_lists=status_lists)
    app.include_router(_public_router(registry, answers=answers, browsing=browsing))
    # What signed credentials cite by address: schemas, contexts, mark images (immutable).
    app.include_router(resources_router(registry))
    if fast_paths:
        app.add_middleware(FastPaths, handler=answers.fast)
    # POST /credentials/verify: by default against this registry's own keys and lists
    # (registry.verification); throttled like the pages, as each check costs a signature.
    factory = verifier_factory or RegistryVerification(registry).verifier
    app.include_router(
        verification_router(factory, now),
        dependencies=[Depends(browsing)],
        responses=documented.RATE_LIMITED,
    )
    # GET /v/{credential_id}: the page a certificate's QR code opens (registry.verification_page).
    app.include_router(
        verification_page_router(registry, now),
        dependencies=[Depends(browsing)],
        responses=documented.RATE_LIMITED,
    )
    if intake_token:
        app.include_router(
            _intake_router(
                registry, token=intake_token, max_body_bytes=max_body_bytes or INTAKE_MAX_BYTES
            )
        )
    _install_error_handlers(app)
    install_openapi(app)
    install_api_docs(app)
    return app
