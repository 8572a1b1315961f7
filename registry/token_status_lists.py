"""Token Status Lists and the SD-JWT VC issuer metadata, on the registry's side.

A Token Status List token (draft-ietf-oauth-status-list-20 §5.1) is taken only if an issuer
key signed it (by its JWKS ``kid`` or its DID URL, as every publication), its ``typ`` is
``statuslist+jwt``, its ``sub`` is the URL it will be served at (``…/statuslists/{key}``),
``iat``/``exp``/``ttl`` are positive integers with ``exp`` after ``iat``, and its
``status_list`` decodes (:mod:`schemas.token_status_list`). The registry keeps the newest:
one signed before the one it holds is not stored, whatever its version.

The SD-JWT VC issuer metadata (``/.well-known/jwt-vc-issuer``, SD-JWT VC §4) is built from
the keys document the registry holds: ``issuer`` is the HTTPS URL of the issuer's
``did:web`` DID — the base URL the issuer writes in ``iss`` (on plain HTTP when its token
lists say so: a deployment without TLS) — and ``jwks`` the very JWK Set
``/.well-known/jwks.json`` serves, so all three views name the same keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from registry import jws
from registry.errors import IdentifierMismatch, InvalidPayload, WrongType
from registry.issuer_keys import IssuerKeys, verify_by_kid
from schemas import token_status_list as tsl
from schemas.publication import STATUS_LIST_JWT_TYPE

__all__ = [
    "MAX_TTL_SECONDS",
    "check_token_status_list",
    "issuer_metadata",
    "issuer_url",
    "signed_at",
    "ttl_seconds",
    "written_issuer",
]

MAX_TTL_SECONDS = 86_400
"""The longest ``max-age`` the registry lets a cache keep a token list for."""


def _positive_int(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidPayload(f"a Status List Token needs a positive integer {name}")
    return value


def check_token_status_list(key: str, compact: str, keys: IssuerKeys) -> jws.CompactJws:
    """Verify a Token Status List token published under ``key``; return it parsed."""
    parsed = jws.parse_compact(compact)
    if parsed.header.get("typ") != STATUS_LIST_JWT_TYPE:
        raise WrongType(f"a token status list has typ {STATUS_LIST_JWT_TYPE}")
    verify_by_kid(parsed, keys)
    payload = parsed.payload
    iat, exp = _positive_int(payload, "iat"), _positive_int(payload, "exp")
    _positive_int(payload, "ttl")
    if exp <= iat:
        raise InvalidPayload("a Status List Token expires after it was issued")
    status_list = payload.get("status_list")
    if not isinstance(status_list, dict):
        raise InvalidPayload("a Status List Token carries a status_list object")
    try:
        tsl.decode_status_list(status_list)
    except tsl.TokenStatusListError as exc:
        raise InvalidPayload(f"the status_list does not decode: {str(exc)[:200]}") from exc
    sub = payload.get("sub")
    if not (isinstance(sub, str) and sub.endswith(f"/statuslists/{key}")):
        raise IdentifierMismatch(f"the signed token does not name token status list {key[:64]}")
    # The scheme aside: a deployment on plain HTTP (a demo) writes http:// where did:web
    # can only say https://.
    iss, issuer = payload.get("iss", issuer_url(keys)), issuer_url(keys)
    if not isinstance(iss, str) or iss.partition("://")[2] != issuer.partition("://")[2]:
        raise IdentifierMismatch("the token's iss is not the issuer of the issuer keys")
    return parsed


def signed_at(compact: str) -> int:
    """The ``iat`` of a stored token list (verified on intake, so only decoded here)."""
    iat = jws.parse_compact(compact).payload.get("iat")
    return iat if isinstance(iat, int) else 0


def ttl_seconds(payload: dict[str, Any]) -> int:
    """How long a cache may keep a token list: its ``ttl``, at most a day."""
    ttl = payload.get("ttl")
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0:
        return 0
    return min(ttl, MAX_TTL_SECONDS)


def issuer_url(keys: IssuerKeys) -> str:
    """The HTTPS URL of the issuer's ``did:web`` DID (did:web's own resolution, without the
    document's file name): ``did:web:host%3A8443:bodies:42`` → ``https://host:8443/bodies/42``."""
    did = keys.did_document.get("id")
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise InvalidPayload("the issuer keys are not those of a did:web DID")
    host, *path = did.removeprefix("did:web:").split(":")
    return "/".join([f"https://{unquote(host)}", *(unquote(p) for p in path)])


def written_issuer(keys: IssuerKeys, token_lists: Iterable[str]) -> str:
    """The issuer URL as the issuer writes it in ``iss``: :func:`issuer_url`, but on plain
    HTTP when the stored token lists (verified on intake, the scheme aside) say ``http://``
    — a deployment without TLS, such as the demo. SD-JWT VC §4 wants the metadata's
    ``issuer`` identical to ``iss``; did:web alone can only say ``https://``."""
    issuer = issuer_url(keys)
    for compact in token_lists:
        written = jws.parse_compact(compact).payload.get("iss")
        if isinstance(written, str) and written == "http://" + issuer.removeprefix("https://"):
            return written
        break  # one list says it: every list of one issuer is signed with the same base URL
    return issuer


def issuer_metadata(
    keys: IssuerKeys, token_lists: Iterable[str] = ()
) -> tuple[str, dict[str, Any]]:
    """``(path, metadata)``: where the JWT VC Issuer Metadata of these keys is served
    — ``/.well-known/jwt-vc-issuer`` followed by the issuer URL's path, if it has one — and
    the document, ``{"issuer": …, "jwks": …}``, its ``issuer`` as the issuer writes ``iss``
    (:func:`written_issuer`, given the stored ``token_lists``)."""
    issuer = written_issuer(keys, token_lists)
    path = issuer.partition("://")[2].partition("/")[2]
    where = "/.well-known/jwt-vc-issuer" + (f"/{path}" if path else "")
    return where, {"issuer": issuer, "jwks": keys.jwks}
