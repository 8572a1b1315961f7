"""The public registry's routes: keys, status lists, register entries, schemes, the body
information (``/body``: impartiality, appeals and complaints), the directory of persons who
chose to be listed, and the issuer's latest audit checkpoint; and the status list and
register lookup answers they share with the fast paths in front of the application.

Everything served here is a stored, issuer-signed document or a part of its payload; the app
holds no key and signs nothing. Reads carry strong ETags and answer ``If-None-Match`` with
``304``; status lists say how long they may be cached (their ``ttl``), everything else is
revalidated. A register lookup answers the same 404 whether the number is unknown or the
family name does not match, after the same work (an unknown number's lookup decodes a
stand-in entry and compares the name with it), so neither the answer nor its time tells
who holds a number, or whether a number exists; the
directory answers only a name search, only over persons who consented (clause 7.3.3). Both
share a strict per-client rate limit (:mod:`registry.ratelimit`). Scheme pages answer HTML
to browsers and JSON to programs (:mod:`registry.pages`). The application is put together
in :mod:`registry.app`; errors become problem+json in :mod:`registry.problems`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from registry import documented, jws, pages, public_pages, token_status_lists
from registry.answer_bytes import STAND_IN_ENTRY as _STAND_IN_ENTRY
from registry.answer_bytes import json_bytes as _json_bytes
from registry.errors import PROBLEM_KINDS, NotFound, RegistryError
from registry.fast_paths import AsgiApp, Scope, header, not_modified, route_path, single_query_value
from registry.intake import Registry
from registry.names import same_name
from registry.problems import _error_response
from registry.ratelimit import Throttle
from registry.status_cache import ServedList, StatusListCache
from registry.store import Document, strong_etag
from registry.verification import system_now
from schemas import certificate_numbers
from schemas.problem import problem_type_uri
from schemas.publication import (
    AUDIT_CHECKPOINT_KEY,
    AUDIT_CHECKPOINT_MEDIA_TYPE,
    BODY_INFORMATION_KEY,
    STATUS_LIST_MEDIA_TYPE,
    DocumentKind,
)

__all__ = ["same_family_name"]

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

    async def lookup(self, certificate_number: str, family_name: str) -> tuple[str, dict[str, Any]]:
        """The stored register entry (its compact JWS and payload) of ``certificate_number``
        if its family name is ``family_name``; the same :class:`NotFound` otherwise."""
        number = certificate_numbers.normalize(certificate_number)
        document = (
            await self.registry.document_async(DocumentKind.REGISTER_ENTRY, number)
            if number
            else None
        )
        # No shortcut for an unknown number: the stand-in entry is decoded and compared
        # instead, so its 404 takes as long as that of a known number with another name.
        stored = _STAND_IN_ENTRY if document is None else document.body
        payload = jws.parse_compact(stored).payload
        entry = payload.get("credentialSubject") or {}
        named = same_family_name(entry.get("familyName"), family_name)
        if document is None or not named:
            raise NotFound(_NO_ENTRY)
        return document.body, payload

    async def register_entry(
        self, certificate_number: str, family_name: str, if_none_match: str | None
    ) -> Response:
        stored, payload = await self.lookup(certificate_number, family_name)
        entry = payload.get("credentialSubject") or {}
        body = {"entry": entry, "credential": stored, "validFrom": payload.get("validFrom")}
        return _conditional(
            if_none_match,
            _json_bytes(body),
            media_type="application/json",
            cache_control="no-cache",
            headers={"Vary": "Accept"},
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
            if pages.prefers_html(header(scope, b"accept")):
                return None  # a person's browser: the route draws the page
            try:
                self.lookups.check(scope)
                return await self.register_entry(
                    number, family_name, header(scope, b"if-none-match")
                )
            except RegistryError as exc:
                return _error_response(exc)
        return None


def _public_router(
    registry: Registry,
    *,
    answers: _Answers,
    browsing: Throttle,
    now: Callable[[], datetime] = system_now,
) -> APIRouter:
    router = APIRouter(tags=["registry"])
    strict = [Depends(answers.lookups)]
    generous = [Depends(browsing)]

    async def entry_page(certificate_number: str, family_name: str, request: Request) -> Response:
        """A browser's lookup: the page of the entry; a refusal is the same NotFound as
        for a program, drawn as a page by the error handler (registry.public_pages)."""
        _, payload = await answers.lookup(certificate_number, family_name)
        publisher = await answers.read(public_pages.body_header, registry)
        page = public_pages.entry_page(
            payload.get("credentialSubject") or {}, today=now().date(), publisher=publisher
        )
        return _conditional(
            request.headers.get("if-none-match"),
            page,
            media_type=pages.HTML_MEDIA_TYPE,
            cache_control="no-cache",
            headers=pages.PAGE_HEADERS,
        )

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

    @router.get(
        "/statuslists/{list_id}", response_class=Response, responses=documented.TOKEN_STATUS_LIST
    )
    def token_status_list(list_id: str, request: Request) -> Response:
        """The Token Status List token SD-JWT VCs cite (``application/statuslist+jwt``),
        cacheable for its ``ttl``; its own ``exp`` and ``ttl`` come first (§8.2)."""
        document = stored(DocumentKind.TOKEN_STATUS_LIST, list_id)
        max_age = token_status_lists.ttl_seconds(_payload(document))
        return _conditional(
            request.headers.get("if-none-match"),
            document.body.encode("utf-8"),
            media_type=STATUS_LIST_MEDIA_TYPE,
            cache_control=f"public, max-age={max_age}",
            etag=document.etag,
            headers=_CORS,
        )

    def wallet_issuer(request: Request, path: str) -> Response:
        keys = registry.keys() if registry.document(DocumentKind.ISSUER_KEYS, "issuer") else None
        if keys is None:
            raise NotFound("no issuer keys are published here")
        lists = registry.documents(DocumentKind.TOKEN_STATUS_LIST)[:1]
        where, metadata = token_status_lists.issuer_metadata(keys, [d.body for d in lists])
        if where != "/.well-known/jwt-vc-issuer" + path:
            raise NotFound("the issuer's metadata is published under its own path")
        return _conditional(
            request.headers.get("if-none-match"),
            _json_bytes(metadata),
            media_type="application/json",
            cache_control="no-cache",
            headers=_CORS,
        )

    @router.get("/.well-known/jwt-vc-issuer", responses=documented.WALLET_ISSUER)
    def jwt_vc_issuer(request: Request) -> Response:
        """SD-JWT VC issuer metadata: ``issuer`` (the body's base URL, the ``iss`` of its
        SD-JWT VCs) and ``jwks``, the keys of ``/.well-known/jwks.json``. An issuer URL with
        a path has it after the well-known part (SD-JWT VC §4.1)."""
        return wallet_issuer(request, "")

    @router.get("/.well-known/jwt-vc-issuer/{path:path}", responses=documented.WALLET_ISSUER)
    def jwt_vc_issuer_at(path: str, request: Request) -> Response:
        return wallet_issuer(request, f"/{path}")

    @router.get("/audit/checkpoint", response_class=Response, responses=documented.AUDIT_CHECKPOINT)
    def audit_checkpoint(request: Request) -> Response:
        """How far the issuer's audit log went, signed by the issuer: a log whose end was
        cut afterwards no longer passes through it (``certreg audit verify``)."""
        document = stored(DocumentKind.AUDIT_CHECKPOINT, AUDIT_CHECKPOINT_KEY)
        return _conditional(
            request.headers.get("if-none-match"),
            document.body.encode("utf-8"),
            media_type=AUDIT_CHECKPOINT_MEDIA_TYPE,
            cache_control="no-cache",
            etag=document.etag,
            headers=_CORS,
        )

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
        if pages.prefers_html(request.headers.get("accept")):
            return await entry_page(certificate_number, family_name, request)
        return await answers.register_entry(
            certificate_number, family_name, request.headers.get("if-none-match")
        )

    @router.get("/register", dependencies=strict, responses=documented.REGISTER_ENTRY)
    async def register_form(
        request: Request,
        number: Annotated[str, Query(min_length=1, max_length=public_pages.MAX_NUMBER)],
        family_name: Annotated[str, Query(min_length=1, max_length=_MAX_FAMILY_NAME)],
    ) -> Response:
        """The same lookup with the number in the query: what the home page's form sends."""
        if pages.prefers_html(request.headers.get("accept")):
            return await entry_page(number, family_name, request)
        return await answers.register_entry(
            number, family_name, request.headers.get("if-none-match")
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
        browser = pages.prefers_html(request.headers.get("accept"))
        if browser and name is None:  # a person opening the search: the form alone
            page = public_pages.directory_page(
                None, None, truncated=False, today=now().date(), publisher=None
            )
            return Response(page, media_type=pages.HTML_MEDIA_TYPE, headers=pages.PAGE_HEADERS)
        answer = registry.directory(name)
        if browser:
            page = public_pages.directory_page(
                name,
                [_subject(d) for d in answer.entries],
                truncated=answer.truncated,
                today=now().date(),
                publisher=public_pages.body_header(registry),
            )
            return _conditional(
                request.headers.get("if-none-match"),
                page,
                media_type=pages.HTML_MEDIA_TYPE,
                cache_control="no-cache",
                headers=pages.PAGE_HEADERS,
            )
        body = {
            "results": [_directory_entry(d) for d in answer.entries],
            "truncated": answer.truncated,
        }
        return _conditional(
            request.headers.get("if-none-match"),
            _json_bytes(body),
            media_type="application/json",
            cache_control="no-cache",
            headers={"Vary": "Accept"},
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

    @router.get("/body", dependencies=generous, responses=documented.BODY)
    def body(request: Request) -> Response:
        """What the body publishes about itself: its commitment to impartiality (4.3), how
        to appeal (9.8) or complain (9.9), whom to contact, its accreditation."""
        document = registry.document(DocumentKind.BODY_INFORMATION, BODY_INFORMATION_KEY)
        if document is None:
            if not pages.prefers_html(request.headers.get("accept")):
                raise NotFound("the body has not published this information yet")
            return Response(
                pages.render("body.html", title="How to appeal or complain", body=None),
                status_code=404,
                media_type=pages.HTML_MEDIA_TYPE,
                headers=pages.PAGE_HEADERS | {"Cache-Control": "no-cache"},
            )
        subject = _subject(document)

        def page() -> bytes:
            view = pages.body_view(subject)
            title = view.name or "How to appeal or complain"
            return pages.render("body.html", title=title, body=view)

        return _negotiated(request, subject, page, cache_control="no-cache")

    @router.get("/problems/{kind}")
    def describe_problem(kind: str) -> dict[str, str]:
        """What a problem ``type`` means, so that the relative type URIs resolve."""
        if kind not in PROBLEM_KINDS:
            raise NotFound("no such problem type")
        status, description = PROBLEM_KINDS[kind]
        return {"type": problem_type_uri(kind), "status": str(status), "description": description}

    return router
