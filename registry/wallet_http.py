"""The registry's paths for wallets: IETF Token Status Lists and SD-JWT VC issuer metadata.

SD-JWT VCs cite their status in a Token Status List (``/statuslists/{id}``, served as the
signed ``application/statuslist+jwt`` the issuer published), and a wallet or verifier finds
the issuer's keys from its SD-JWT VC issuer metadata (``/.well-known/jwt-vc-issuer``, the
same keys as ``/.well-known/jwks.json`` and the DID document). Neither is rate limited, as
the Bitstring status lists and keys are not: verifiers fetch them for every check.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from registry import documented, token_status_lists
from registry.answer_bytes import json_bytes as _json_bytes
from registry.errors import NotFound
from registry.http import CORS, conditional, document_payload, stored_document
from registry.intake import Registry
from schemas.publication import STATUS_LIST_MEDIA_TYPE, DocumentKind

__all__ = ["wallet_router"]


def wallet_router(registry: Registry) -> APIRouter:
    """``/statuslists/{list_id}`` and ``/.well-known/jwt-vc-issuer[/{path}]`` over ``registry``."""
    router = APIRouter(tags=["registry"])

    @router.get(
        "/statuslists/{list_id}", response_class=Response, responses=documented.TOKEN_STATUS_LIST
    )
    def token_status_list(list_id: str, request: Request) -> Response:
        """The Token Status List token SD-JWT VCs cite (``application/statuslist+jwt``),
        cacheable for its ``ttl``; its own ``exp`` and ``ttl`` come first (§8.2)."""
        document = stored_document(registry, DocumentKind.TOKEN_STATUS_LIST, list_id)
        max_age = token_status_lists.ttl_seconds(document_payload(document))
        return conditional(
            request.headers.get("if-none-match"),
            document.body.encode("utf-8"),
            media_type=STATUS_LIST_MEDIA_TYPE,
            cache_control=f"public, max-age={max_age}",
            etag=document.etag,
            headers=CORS,
        )

    def wallet_issuer(request: Request, path: str) -> Response:
        keys = registry.keys() if registry.document(DocumentKind.ISSUER_KEYS, "issuer") else None
        if keys is None:
            raise NotFound("no issuer keys are published here")
        lists = registry.documents(DocumentKind.TOKEN_STATUS_LIST)[:1]
        where, metadata = token_status_lists.issuer_metadata(keys, [d.body for d in lists])
        if where != "/.well-known/jwt-vc-issuer" + path:
            raise NotFound("the issuer's metadata is published under its own path")
        return conditional(
            request.headers.get("if-none-match"),
            _json_bytes(metadata),
            media_type="application/json",
            cache_control="no-cache",
            headers=CORS,
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

    return router
