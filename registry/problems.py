"""How the public registry answers an error: a problem+json document whose ``type`` names
the kind (:data:`registry.errors.PROBLEM_KINDS`), for a refusal the registry raises
(:class:`registry.errors.RegistryError`), a request that fails validation (each rejected
field named, within bounds) and an error of the framework (an unknown path, a method not
allowed); an unexpected one is a bare 500 without internals, and is logged. The routes
and the fast paths (:mod:`registry.http`) answer a refusal the same way.

A person's browser (a ``GET`` whose ``Accept`` prefers HTML) gets the refusal of a register
lookup or a directory search, of any page for going too fast, or of an address no route
serves, as a page in words instead
(:func:`registry.public_pages.error_page`), in the reader's language, with the same status;
every refusal says ``Vary: Accept``, since the same address answers both (and a page
``Vary: Accept, Accept-Language``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from registry import pages, public_pages
from registry.errors import PROBLEM_KINDS, RateLimited, RegistryError
from schemas.languages import DEFAULT_LANGUAGE
from schemas.problem import PROBLEM_MEDIA_TYPE, Problem, ProblemFieldError, problem_type_uri

__all__: list[str] = []

log = logging.getLogger("certreg.registry")

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
        headers={"Vary": "Accept"} | (extra.pop("headers", None) or {}),
    )


def _error_response(exc: RegistryError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return _problem(exc.kind, exc.status, exc.detail[:500], headers=headers)


def _for_a_person(request: Request, kind: str) -> bool:
    """Whether to answer a page: a browser's ``GET`` of a lookup or a search, or of any
    page it was refused for going too fast."""
    if request.method != "GET" or not pages.prefers_html(request.headers.get("accept")):
        return False
    return kind == "rate-limited" or public_pages.searches(request)


def _install_error_handlers(app: FastAPI, *, language: str = DEFAULT_LANGUAGE) -> None:
    """The handlers; a person's page is in their language, ``language`` (the body's) when
    nothing else is known."""

    @app.exception_handler(RegistryError)
    def _registry_error(request: Request, exc: RegistryError) -> Response:
        if _for_a_person(request, exc.kind):
            retry = exc.retry_after if isinstance(exc, RateLimited) else None
            return public_pages.error_page(
                request,
                kind=exc.kind,
                status=exc.status,
                retry_after=retry,
                default_language=language,
            )
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> Response:
        if _for_a_person(request, "validation-failed"):
            return public_pages.error_page(
                request, kind="validation-failed", status=422, default_language=language
            )
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
    def _http(request: Request, exc: HTTPException) -> Response:
        if (
            exc.status_code == 404
            and request.method == "GET"
            and pages.prefers_html(request.headers.get("accept"))
        ):
            # An address no route serves, opened in a browser: a page in words.
            return public_pages.error_page(
                request, kind="not-found", status=404, default_language=language
            )
        status = exc.status_code if exc.status_code in _STATUS_KINDS else 400
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers) if exc.headers else None
        return _problem(_STATUS_KINDS[status], status, detail, headers=headers)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path[:300])
        return _problem("internal-error", 500, None)
