"""Verify requests read without any web framework: what a caller presented, and why not.

Every surface that verifies — ``POST /credentials/verify`` and ``POST /presentations/verify``
(:mod:`verifier.http`, :mod:`verifier.presentation_http`), the registry's pages and
``certreg verify`` — reads what it was given with these functions, so they accept the same
forms and refuse the same ones alike. Nothing here imports FastAPI or Starlette: ``import
verifier`` stays light for the command line and for offline verification; only
:meth:`RequestProblem.response`, which the HTTP edges call, imports FastAPI's
``JSONResponse``, inside the method.

* :func:`unwrap_presented` / :func:`unwrap_credential`: the compact credential inside a bare
  string, a ``data:`` URL or an ``EnvelopedVerifiableCredential`` (:func:`base64_jws` for
  the ``;base64`` form);
* :func:`parse_request` and :func:`read_options`: a VC API verify request and its options,
  as a :class:`VerifyRequest`;
* :class:`RequestProblem`: a request that cannot be started on, with its ``kind`` among
  :data:`REQUEST_PROBLEMS` (its status and title).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schemas.problem import PROBLEM_MEDIA_TYPE, Problem, problem_type_uri
from verifier.core import (
    CHECK_ISSUER,
    CHECK_SCHEMA,
    CHECK_SIGNATURE,
    CHECK_STATUS,
    CHECK_STRUCTURE,
    CHECK_VALIDITY,
)
from verifier.errors import CryptographicSecurityError, ParsingError, VerificationError

if TYPE_CHECKING:
    from fastapi.responses import JSONResponse

__all__ = [
    "DC_SD_JWT",
    "ENVELOPE_PREFIX",
    "REQUEST_PROBLEMS",
    "SD_JWT_ENVELOPE_PREFIX",
    "VC_JWT",
    "RequestProblem",
    "VerifyRequest",
    "base64_jws",
    "parse_request",
    "read_options",
    "reject_constant",
    "unwrap_credential",
    "unwrap_presented",
]

ENVELOPE_PREFIX = "data:application/vc+jwt,"
"""The ``EnvelopedVerifiableCredential`` id of a ``vc+jwt`` (VC JOSE COSE §3.1.1)."""
SD_JWT_ENVELOPE_PREFIX = "data:application/dc+sd-jwt,"
"""The ``EnvelopedVerifiableCredential`` id of an SD-JWT VC (SD-JWT VC §2.1's media type)."""
VC_JWT = ENVELOPE_PREFIX[5:-1]
DC_SD_JWT = SD_JWT_ENVELOPE_PREFIX[5:-1]
ENVELOPE_TYPE = "EnvelopedVerifiableCredential"
CREDENTIAL_TYPE = "VerifiableCredential"
VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
_NO_STORE = {"Cache-Control": "no-store"}

REQUEST_PROBLEMS: dict[str, tuple[int, str]] = {
    "malformed-request": (400, "The request could not be read"),
    "payload-too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "The request body must be application/json"),
    "validation-failed": (422, "The request does not match the documented shape"),
    "unsupported-envelope": (
        422,
        "Only credentials enveloped as data:application/vc+jwt or "
        "data:application/dc+sd-jwt are verified here",
    ),
    "unsupported-presentation-format": (
        422,
        "Only presentations secured as vp+jwt or dc+sd-jwt are verified here",
    ),
}
"""The request errors of this endpoint by ``kind``: status and title."""


class RequestProblem(Exception):
    """A verify request that cannot be started on; ``kind`` is one of :data:`REQUEST_PROBLEMS`."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.status, self.title = REQUEST_PROBLEMS[kind]
        self.detail = detail

    def response(self) -> JSONResponse:
        """The problem+json answer (imports FastAPI: only the HTTP edges call it)."""
        problem = Problem(
            type=problem_type_uri(self.kind),
            title=self.title,
            status=self.status,
            detail=self.detail[:500],
        )
        from fastapi.responses import JSONResponse  # only the HTTP edges render a problem

        return JSONResponse(
            problem.model_dump(exclude_none=True),
            status_code=self.status,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=_NO_STORE,
        )


def unwrap_credential(value: object) -> str:
    """The compact ``vc+jwt`` inside a presented credential (:func:`unwrap_presented`, with
    ``data:application/vc+jwt`` the only envelope read)."""
    return unwrap_presented(value, media_types=(VC_JWT,))[0]


def unwrap_presented(
    value: object, *, media_types: tuple[str, ...] = (VC_JWT, DC_SD_JWT)
) -> tuple[str, str]:
    """The credential inside a presented one, and its media type (one of ``media_types``):
    the string itself — an SD-JWT if it holds a ``~`` — or the payload of an
    ``EnvelopedVerifiableCredential`` whose id is a ``data:application/vc+jwt`` (or
    ``dc+sd-jwt``) URL, plain (``data:application/vc+jwt,eyJ…``) or base64
    (``data:application/vc+jwt;base64,…``).

    A string is passed on as it is (the verifier answers PARSING_ERROR if it is not a JWS).
    A plain JSON credential, with no securing mechanism at all, is a verification *result*:
    :class:`~verifier.errors.CryptographicSecurityError` (``reason="unsecured"``) — nothing
    vouches for it, which is a fact about the credential; so is base64 that does not decode
    (:class:`~verifier.errors.ParsingError`). An envelope of another media type, or a
    credential secured with an embedded proof, is refused with :class:`RequestProblem`: it
    names a securing mechanism this verifier does not implement, which is not.
    """
    if isinstance(value, str):
        if value.startswith("data:"):
            return _data_url(value, media_types)
        return value, DC_SD_JWT if "~" in value and DC_SD_JWT in media_types else VC_JWT
    if not isinstance(value, Mapping):
        raise RequestProblem(
            "validation-failed",
            "verifiableCredential is an EnvelopedVerifiableCredential object or a compact JWS",
        )
    types = value.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or ENVELOPE_TYPE not in types:
        if isinstance(types, list) and CREDENTIAL_TYPE in types and "proof" not in value:
            raise CryptographicSecurityError(
                "the credential is not secured: nothing signs it, so nothing vouches for what "
                "it says; present the issuer's vc+jwt (an EnvelopedVerifiableCredential)",
                reason="unsecured",
            )
        raise RequestProblem(
            "unsupported-envelope",
            "only an EnvelopedVerifiableCredential (vc+jwt) is verified; "
            "embedded Data Integrity proofs are not",
        )
    context = value.get("@context", VC_CONTEXT_V2)
    first = context[0] if isinstance(context, list) and context else context
    if first != VC_CONTEXT_V2:
        raise RequestProblem("validation-failed", f"@context must start with {VC_CONTEXT_V2}")
    unknown = set(value) - {"@context", "id", "type"}
    if unknown:
        raise RequestProblem(
            "validation-failed",
            f"an envelope has only @context, id and type, not {sorted(unknown)[0][:60]!r}",
        )
    url = value.get("id")
    if not isinstance(url, str) or not url.startswith("data:"):
        raise RequestProblem("validation-failed", "the envelope's id is a data: URL")
    return _data_url(url, media_types)


def _data_url(url: str, media_types: tuple[str, ...]) -> tuple[str, str]:
    """The data of a ``data:application/vc+jwt`` (or ``dc+sd-jwt``) URL (RFC 2397), plain or
    ``;base64``, and its media type."""
    media, comma, data = url[5:].partition(",")
    if not comma:
        raise RequestProblem("validation-failed", "the envelope's data: URL has no comma")
    media = media.lower()  # media types and the base64 token are case-insensitive
    encoded = media.endswith(";base64")
    media = media.removesuffix(";base64")
    if media not in media_types:
        raise RequestProblem(
            "unsupported-envelope", f"the envelope's media type {media[:60]!r} is not read here"
        )
    return (base64_jws(data) if encoded else data), media


def base64_jws(data: str) -> str:
    """Strict base64 (RFC 4648 §4, padded, canonical) of an ASCII compact JWS.

    Decoded and encoded again: only the one canonical text of the bytes is read, so no
    whitespace, stray symbol, missing padding or non-zero trailing bits slip through.
    """
    try:
        raw = base64.b64decode(data, validate=True) if data.isascii() else None
        if raw is None or base64.b64encode(raw).decode("ascii") != data:
            raise ValueError("not canonical")
        return raw.decode("ascii")
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise ParsingError(
            "the base64 data: URL does not hold a compact JWS in strict base64",
            reason="malformed",
        ) from exc


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """A verify request, read: the credential, or why it is refused unread, and the options.

    ``refusal`` is a verification *result* reached before any check (an unsecured credential,
    base64 that does not decode): the answer is ``verified: false`` with its problem.
    """

    token: str
    refusal: VerificationError | None = None
    warnings: tuple[str, ...] = ()
    return_credential: bool = True
    media_type: str = VC_JWT
    challenge: str | None = None
    domain: str | None = None

    @property
    def key_bound(self) -> bool:
        """An SD-JWT presentation: it ends with a key-binding JWT, not with ``~``."""
        return self.media_type == DC_SD_JWT and not self.token.strip().endswith("~")


OPTION_NAMES = frozenset({"checks", "challenge", "domain", "returnCredential"})
"""The VC API verify options read here; any other is ignored, with a warning."""
_CHECK_ALIASES = {
    "proof": CHECK_SIGNATURE,
    "credentialStatus": CHECK_STATUS,
    "status": CHECK_STATUS,
    "expiration": CHECK_VALIDITY,
    "validityPeriod": CHECK_VALIDITY,
    "credentialSchema": CHECK_SCHEMA,
}
"""The names VC API clients give checks, for the checks this verifier names otherwise."""
_CHECK_NAMES = frozenset(
    {CHECK_SIGNATURE, CHECK_ISSUER, CHECK_STRUCTURE, CHECK_SCHEMA, CHECK_VALIDITY, CHECK_STATUS}
)


def read_options(options: object, *, binds: bool = False) -> tuple[tuple[str, ...], bool]:
    """The warnings and ``returnCredential`` of a request's VC API ``options``.

    Every check always runs — a caller cannot switch the status check off and still hear
    "verified" — so ``checks`` only draws a warning for a name this verifier does not know.
    ``challenge`` and ``domain`` bind a *presentation* to its audience; a credential has
    neither, so they are noted and not used. An option this verifier does not know is
    ignored (the VC API lets implementations add options), with a warning naming it. A known
    option of the wrong JSON type is a request error. ``binds`` says that they do bind: the
    credential is a key-bound SD-JWT presentation, checked against them.
    """
    if not isinstance(options, dict):
        raise RequestProblem("validation-failed", "options is a JSON object")
    warnings: list[str] = []
    checks = options.get("checks", [])
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise RequestProblem("validation-failed", "options.checks is a list of check names")
    unknown = [c for c in checks if c not in _CHECK_NAMES and c not in _CHECK_ALIASES]
    if unknown:
        warnings.append(
            f"options.checks names {unknown[0][:60]!r}, which this verifier does not know; "
            "every check it has ran"
        )
    for name in ("challenge", "domain"):
        if name in options:
            if not isinstance(options[name], str):
                raise RequestProblem("validation-failed", f"options.{name} is a string")
            if binds:
                continue
            warnings.append(
                f"options.{name} binds a presentation; a credential has none, so it was not used"
            )
    return_credential = options.get("returnCredential", True)
    if not isinstance(return_credential, bool):
        raise RequestProblem("validation-failed", "options.returnCredential is true or false")
    ignored = sorted(set(options) - OPTION_NAMES)
    if ignored:
        warnings.append(f"option {ignored[0][:60]!r} is not one this verifier reads; ignored")
    return tuple(warnings), return_credential


def parse_request(body: bytes) -> VerifyRequest:
    """The credential and options a verify request presents, or :class:`RequestProblem`."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RequestProblem("malformed-request", "the body is not UTF-8 JSON") from exc
    if not isinstance(data, dict):
        raise RequestProblem("validation-failed", "the body is a JSON object")
    unknown = set(data) - {"verifiableCredential", "options"}
    if unknown:
        raise RequestProblem(
            "validation-failed", f"unknown member {sorted(unknown)[0][:60]!r} in the request"
        )
    if "verifiableCredential" not in data:
        raise RequestProblem("validation-failed", "the body needs verifiableCredential")
    options = data.get("options", {})
    warnings, return_credential = read_options(options)
    try:
        token, media_type = unwrap_presented(data["verifiableCredential"])
    except VerificationError as refusal:
        return VerifyRequest("", refusal, warnings, return_credential)
    request = VerifyRequest(token, None, warnings, return_credential, media_type)
    if not request.key_bound:
        return request
    warnings, _ = read_options(options, binds=True)
    challenge, domain = options.get("challenge"), options.get("domain")
    if challenge is None or domain is None:
        raise RequestProblem(
            "validation-failed",
            "a key-bound SD-JWT VC is verified against options.challenge (the nonce it "
            "answers) and options.domain (its audience): send both",
        )
    return VerifyRequest(token, None, warnings, return_credential, media_type, challenge, domain)
