"""The documents signed credentials cite by address: JSON Schemas, JSON-LD contexts, marks.

A credential names its schema (``credentialSchema.id``), certreg's JSON-LD context
(``@context``) and, for a mark credential, the mark image (``relatedResource`` with its
``digestSRI``) by URL; a verifier that follows one must get exactly the bytes the issuer
meant. So the schemas and contexts are served from the package files the issuer validated
against, byte for byte, and a mark image is the one the issuer published, checked on intake
against the digest mark credentials carry (:func:`registry.intake.check_mark`).

None of them ever changes at its address — a new schema, context or mark is a new name
beside the old, which stays for the credentials that cite it — so they are served for a
year, ``immutable``, with a strong ETag, to any origin (browser verifiers and JSON-LD
processors fetch contexts across origins). Like status lists they are not rate limited:
every verifier may need them, and a cache in front absorbs repeats.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from registry.errors import NotFound
from registry.fast_paths import not_modified
from registry.intake import Registry, mark_image
from registry.jws import parse_compact
from registry.store import strong_etag
from schemas import credential_schemas
from schemas.openapi import problem_responses
from schemas.publication import MARK_MEDIA_TYPES, DocumentKind

__all__ = [
    "CONTEXT_MEDIA_TYPE",
    "IMMUTABLE",
    "SCHEMA_MEDIA_TYPE",
    "resources_router",
]

IMMUTABLE = "public, max-age=31536000, immutable"
"""A year, the longest lifetime HTTP caches honour: these bytes never change."""
SCHEMA_MEDIA_TYPE = "application/schema+json"
CONTEXT_MEDIA_TYPE = "application/ld+json"
_CORS = {"Access-Control-Allow-Origin": "*"}
_MARK_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_IMAGE_HEADERS = {
    # An SVG opened on its own is a document: it may run nothing and load nothing.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
}


def _problem(description: str) -> dict[str, Any]:
    """The 404 answer, as problem+json with the one problem schema every route declares."""
    return problem_responses(404, said={404: description})[404]


def _ok(description: str, *media_types: str) -> dict[str, Any]:
    return {"description": description, "content": {m: {} for m in media_types}}


_NOT_MODIFIED = {"description": "the ETag named in If-None-Match is still current"}
_IfNoneMatch = Annotated[str | None, Header()]


def _immutable(content: bytes, media_type: str, etag: str, if_none_match: str | None) -> Response:
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE, **_CORS}
    if not_modified(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


def _packaged(read: Any, name: str) -> tuple[bytes, str] | None:
    """A package file's bytes and strong ETag, or ``None`` for a name it does not ship."""
    try:
        content: bytes = read(name)
    except KeyError:
        return None
    return content, strong_etag(content)


def resources_router(registry: Registry) -> APIRouter:
    """``/schemas/{name}.json``, ``/contexts/{name}.jsonld`` and ``/marks/{mark_id}``."""
    router = APIRouter(tags=["registry"])
    schemas = {
        name: found
        for name in credential_schemas.SCHEMA_NAMES
        if (found := _packaged(credential_schemas.schema_bytes, name))
    }
    contexts = {
        name: found
        for name in credential_schemas.CONTEXT_NAMES
        if (found := _packaged(credential_schemas.context_bytes, name))
    }

    @router.get(
        "/schemas/{name}.json",
        response_class=Response,
        responses={
            200: _ok("the JSON Schema, exactly as the issuer validated against", SCHEMA_MEDIA_TYPE),
            304: _NOT_MODIFIED,
            404: _problem("no schema of this name is published here"),
        },
    )
    async def json_schema(name: str, if_none_match: _IfNoneMatch = None) -> Response:
        """A JSON Schema that credentials cite as ``credentialSchema.id``."""
        found = schemas.get(name)
        if found is None:
            raise NotFound("no schema of this name is published here")
        return _immutable(found[0], SCHEMA_MEDIA_TYPE, found[1], if_none_match)

    @router.get(
        "/contexts/{name}.jsonld",
        response_class=Response,
        responses={
            200: _ok("the JSON-LD context, byte for byte as pinned", CONTEXT_MEDIA_TYPE),
            304: _NOT_MODIFIED,
            404: _problem("no JSON-LD context of this name is published here"),
        },
    )
    async def json_ld_context(name: str, if_none_match: _IfNoneMatch = None) -> Response:
        """certreg's JSON-LD context, as credentials cite it in ``@context``."""
        found = contexts.get(name)
        if found is None:
            raise NotFound("no JSON-LD context of this name is published here")
        return _immutable(found[0], CONTEXT_MEDIA_TYPE, found[1], if_none_match)

    @router.get(
        "/marks/{mark_id}",
        response_class=Response,
        responses={
            200: _ok("the certification mark's image", *sorted(MARK_MEDIA_TYPES)),
            304: _NOT_MODIFIED,
            404: _problem("no certification mark of this id is published here"),
        },
    )
    def mark(mark_id: str, if_none_match: _IfNoneMatch = None) -> Response:
        """A certification mark's image: the bytes whose digest mark credentials carry."""
        document = (
            registry.document(DocumentKind.MARK, mark_id) if _MARK_ID.fullmatch(mark_id) else None
        )
        if document is None:
            raise NotFound("no certification mark of this id is published here")
        parsed = parse_compact(document.body)  # verified on intake
        image = mark_image(parsed)
        response = _immutable(
            image, str(parsed.payload["mediaType"]), strong_etag(image), if_none_match
        )
        response.headers.update(_IMAGE_HEADERS)
        return response

    return router
