"""The registry's paths for wallets: IETF Token Status Lists and SD-JWT VC issuer metadata.

SD-JWT VCs cite their status in a Token Status List (``/statuslists/{id}``, served as the
signed ``application/statuslist+jwt`` the issuer published), and a wallet or verifier finds
the issuer's keys from its SD-JWT VC issuer metadata (``/.well-known/jwt-vc-issuer``, the
same keys as ``/.well-known/jwks.json`` and the DID document). Neither is rate limited, as
the Bitstring status lists and keys are not: verifiers fetch them for every check.

The metadata's ``issuer`` is the URL the body writes in ``iss``, whose scheme only the
stored Token Status Lists tell (:func:`registry.token_status_lists.written_issuer`). Reading
a list on every request would let a flood of requests to this public, unauthenticated path
become a flood of list loads, so the answer is kept per process (:class:`IssuerMetadata`):
each request reads only the ETag of the stored issuer keys, as cheap as the primary-key
read of ``/.well-known/jwks.json``, so a key rotation shows at once and the three views of
the keys never disagree; the list is read again (one list, not all of them) at most once
every :data:`METADATA_RECHECK_SECONDS` per process, and at once when this process stores
keys or a list. Like the other key documents, the answer carries an ``ETag`` and
``Cache-Control: no-cache``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from registry import documented, token_status_lists
from registry.answer_bytes import json_bytes as _json_bytes
from registry.errors import NotFound
from registry.http import CORS, conditional, document_payload, stored_document
from registry.intake import Registry, read_issuer_keys
from schemas.publication import STATUS_LIST_MEDIA_TYPE, DocumentKind

__all__ = ["METADATA_RECHECK_SECONDS", "IssuerMetadata", "wallet_router"]

METADATA_RECHECK_SECONDS = 1.0
"""How long a process answers from its held metadata before reading a Token Status List
again: the scheme of ``iss`` changes only when a deployment moves between plain HTTP and
TLS, or with the first list another process stores."""

_KEYS = "issuer"


@dataclass(frozen=True, slots=True)
class _Held:
    keys_etag: str
    where: str
    body: bytes
    checked: float


class IssuerMetadata:
    """The SD-JWT VC issuer metadata of ``registry``, kept per process (module doc)."""

    def __init__(
        self,
        registry: Registry,
        *,
        recheck_seconds: float = METADATA_RECHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._recheck = recheck_seconds
        self._clock = clock
        self._held: _Held | None = None
        self._generation = 0  # counts what this process stored, so a load cannot keep
        # an answer read before a store that happened while it ran
        self._lock = threading.Lock()
        registry.on_stored(self._stored)

    def _stored(self, kind: DocumentKind, key: str) -> None:
        if kind in (DocumentKind.ISSUER_KEYS, DocumentKind.TOKEN_STATUS_LIST):
            with self._lock:
                self._held = None
                self._generation += 1

    def current(self) -> tuple[str, bytes] | None:
        """``(path, body)``: where the metadata is served and its JSON bytes; ``None``
        before the keys are published. Reads the keys' ETag; more only when it changed,
        when this process stored keys or a list, or after the recheck time."""
        keys_etag = self._registry.store.etag(DocumentKind.ISSUER_KEYS.value, _KEYS)
        if keys_etag is None:
            return None
        held = self._held
        if held is None or held.keys_etag != keys_etag or self._expired(held):
            held = self._load()
            if held is None:
                return None
        return held.where, held.body

    def _expired(self, held: _Held) -> bool:
        return self._clock() - held.checked > self._recheck

    def _load(self) -> _Held | None:
        checked = self._clock()
        generation = self._generation
        document = self._registry.document(DocumentKind.ISSUER_KEYS, _KEYS)
        if document is None:
            return None
        keys = read_issuer_keys(document.body)
        lists = self._registry.documents(DocumentKind.TOKEN_STATUS_LIST, limit=1)
        where, metadata = token_status_lists.issuer_metadata(keys, [d.body for d in lists])
        held = _Held(document.etag, where, _json_bytes(metadata), checked)
        with self._lock:
            if generation == self._generation:
                self._held = held
        return held


def wallet_router(registry: Registry) -> APIRouter:
    """``/statuslists/{list_id}`` and ``/.well-known/jwt-vc-issuer[/{path}]`` over ``registry``."""
    router = APIRouter(tags=["registry"])
    metadata = IssuerMetadata(registry)

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
        current = metadata.current()
        if current is None:
            raise NotFound("no issuer keys are published here")
        where, body = current
        if where != "/.well-known/jwt-vc-issuer" + path:
            raise NotFound("the issuer's metadata is published under its own path")
        return conditional(
            request.headers.get("if-none-match"),
            body,
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
