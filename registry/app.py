"""The public registry's HTTP application, put together by :func:`create_registry_app`: the
public routes (:mod:`registry.http`) with the fast paths in front of them
(:mod:`registry.fast_paths`), the documents signed credentials cite
(:mod:`registry.resources`), the verification routes and page, the per-client throttles,
the problem+json error answers (:mod:`registry.problems`), the OpenAPI document, and the
intake route through which the issuer publishes, only when a secret is given.

The app holds no key and signs nothing.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header

from registry import documented
from registry.errors import Forbidden, Unauthenticated
from registry.errors import PayloadTooLarge as TooLarge
from registry.fast_paths import FastPaths
from registry.http import _Answers, _public_router
from registry.intake import Registry
from registry.openapi import install_api_docs, install_openapi
from registry.presentation_page import presentation_page_router
from registry.problems import _install_error_handlers
from registry.public_pages import home_router
from registry.ratelimit import (
    DEFAULT_LOOKUP_LIMIT,
    DEFAULT_PAGE_LIMIT,
    ClientAddress,
    RateLimit,
    Throttle,
)
from registry.resources import resources_router
from registry.status_cache import RECHECK_SECONDS, StatusListCache
from registry.store import RegistryStore
from registry.verification import RegistryVerification, system_now
from registry.verification_page import verification_page_router
from registry.wallet_http import wallet_router
from schemas.languages import DEFAULT_LANGUAGE, LANGUAGES
from schemas.publication import Publication
from verifier.core import Verifier
from verifier.http import verification_router
from verifier.presentation_http import presentation_router
from verifier.presentations import PresentationVerifier
from verifier.sd_jwt_vc import SdJwtVcVerifier

__all__ = ["create_registry_app"]

INTAKE_MAX_BYTES = 5 * 1024 * 1024
"""The intake's default body cap: the largest publication (4 MiB) in its JSON envelope."""


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


def presentation_verifier_factory(
    credentials: Callable[[], Verifier],
    sd_jwt: Callable[[], SdJwtVcVerifier] | None = None,
) -> Callable[[], PresentationVerifier]:
    """Presentation verifiers over the credential verifier ``credentials`` returns (and for
    SD-JWT VC presentations the one ``sd_jwt`` returns; without it they are refused), each
    with no source of holder keys but their ``did:jwk`` or the credential's ``cnf``: a page
    anyone may post to must not fetch an address the poster chose."""

    def factory() -> PresentationVerifier:
        return PresentationVerifier(
            credentials=credentials(), sd_jwt=sd_jwt() if sd_jwt is not None else None
        )

    return factory


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
    sd_jwt_verifier_factory: Callable[[], SdJwtVcVerifier] | None = None,
    now: Callable[[], datetime] = system_now,
    status_recheck_seconds: float = RECHECK_SECONDS,
    fast_paths: bool = True,
    complaint_form_url: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> FastAPI:
    """Build the public registry; the intake route exists only when a secret is given
    (with a body cap of ``max_body_bytes``, by default :data:`INTAKE_MAX_BYTES`).

    ``lookup_limit`` is the per-client limit shared by the register lookup and the directory
    search, ``page_limit`` that of the scheme pages (``None``: not limited); status lists
    and keys are never limited (see :mod:`registry.ratelimit`). ``X-Forwarded-For`` names
    the client only on requests from one of ``trusted_proxies`` (addresses or networks).
    The throttles are on ``app.state`` for pages added later to reuse.
    ``POST /credentials/verify`` checks with ``verifier_factory()`` (by default this
    registry's stored keys and status lists) at ``now()``, and SD-JWT VCs with
    ``sd_jwt_verifier_factory()`` (by default the stored keys; without a custom
    ``verifier_factory`` only). Status lists are served from
    per-process cached bytes, compared with the store at most ``status_recheck_seconds``
    after the last check (by ``clock``; see :mod:`registry.status_cache`). With
    ``fast_paths`` (the default) status lists and register lookups are answered in
    front of the routes (:mod:`registry.fast_paths`); without, every request is routed.
    The page behind a QR code links to ``complaint_form_url`` (the back office's public
    complaint form, given the certificate number) when it is given: the registry takes no
    complaint itself, since what a complainant writes is confidential.
    Pages for people are in the reader's language (``?lang=``, then ``Accept-Language``),
    else in ``language``, the body's own (:func:`registry.pages.page_language`).
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
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
    app.include_router(
        _public_router(registry, answers=answers, browsing=browsing, now=now, language=language)
    )
    # GET /statuslists/{id}, /.well-known/jwt-vc-issuer: what wallets and verifiers fetch.
    app.include_router(wallet_router(registry))
    # GET /: the home page for people (registry.public_pages).
    app.include_router(
        home_router(
            registry, browsing=browsing, complaint_form_url=complaint_form_url, language=language
        )
    )
    # What signed credentials cite by address: schemas, contexts, mark images (immutable).
    app.include_router(resources_router(registry))
    if fast_paths:
        app.add_middleware(FastPaths, handler=answers.fast)
    # POST /credentials/verify: by default against this registry's own keys and lists
    # (registry.verification); throttled like the pages, as each check costs a signature.
    verification = RegistryVerification(registry)
    factory = verifier_factory or verification.verifier
    if sd_jwt_verifier_factory is None and verifier_factory is None:
        sd_jwt_verifier_factory = verification.sd_jwt_verifier
    app.include_router(
        verification_router(factory, now, sd_jwt_verifier_factory),
        dependencies=[Depends(browsing)],
        responses=documented.RATE_LIMITED,
    )
    # POST /presentations/verify: a holder's presentation (vp+jwt or an SD-JWT VC's), its
    # credentials checked as above; holders' keys are did:jwk (read from the DID) or an SD-JWT
    # VC's cnf, never fetched from where a presenter says.
    presentations = presentation_verifier_factory(factory, sd_jwt_verifier_factory)
    app.include_router(
        presentation_router(presentations, now),
        dependencies=[Depends(browsing)],
        responses=documented.RATE_LIMITED,
    )
    # GET /presentations: the page where an employer pastes what a holder sent.
    app.include_router(
        presentation_page_router(registry, presentations, now, language=language),
        dependencies=[Depends(browsing)],
        responses=documented.RATE_LIMITED,
    )
    # GET /v/{credential_id}: the page a certificate's QR code opens (registry.verification_page).
    app.include_router(
        verification_page_router(
            registry, now, complaint_form_url=complaint_form_url, language=language
        ),
        dependencies=[Depends(browsing)],
        responses=documented.RATE_LIMITED,
    )
    if intake_token:
        app.include_router(
            _intake_router(
                registry, token=intake_token, max_body_bytes=max_body_bytes or INTAKE_MAX_BYTES
            )
        )
    _install_error_handlers(app, language=language)
    install_openapi(app)
    install_api_docs(app)
    return app
