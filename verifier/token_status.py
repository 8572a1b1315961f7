"""Status of an SD-JWT VC: the IETF Token Status List (draft-ietf-oauth-status-list-20).

An SD-JWT VC names its status as ``status.status_list = {idx, uri}`` (§6). Validation, §8.3
step by step, each failure answering "cannot confirm" unless the draft says reject:

* fetch ``uri`` with ``Accept: application/statuslist+jwt`` through the verifier's fetcher
  (HTTPS, timeouts, size cap, bounded redirects); unreachable → STATUS_RETRIEVAL_ERROR;
* the Status List Token: header ``typ`` ``statuslist+jwt``, an allowed ``alg``, signed by a
  key of **the same issuer** as the credential (§11: the issuer reuses its key references;
  a list signed by anyone else says nothing about this issuer's credentials); ``sub`` equal
  to ``uri`` (a list served under another list's address is refused); ``iat`` present and
  not in the future; ``exp``, when present, not passed; ``ttl``, when present, a positive
  number — all STATUS_VERIFICATION_ERROR;
* a list dated (``iat``) before one already accepted for the same address is a replay
  (:mod:`verifier.replay`, shared with the Bitstring lists: addresses differ);
* ``idx`` outside the list: the draft says the token MUST be rejected — RANGE_ERROR, a
  decided "not valid";
* the value: 0 VALID, 1 INVALID (revoked), 2 SUSPENDED; any other value (3 and the
  application-specific ones) cannot be confirmed by a verifier that does not know them.

A verified list is cached per issuer and address for the least of its ``ttl`` (or, without
one, the response's ``max-age``; not at all when the source says ``max-age`` 0), its ``exp``
and the policy's ``max_cache_seconds``: a
hostile ``ttl`` cannot make a list live for ever, nor make the verifier hammer the address
(a list without ``ttl`` and ``max-age`` is kept :data:`DEFAULT_LIST_CACHE_SECONDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from schemas import token_status_list as tsl
from verifier import jws
from verifier.errors import (
    MalformedValueError,
    RangeError,
    Revoked,
    StatusRetrievalError,
    StatusVerificationError,
    Suspended,
    VerificationError,
)
from verifier.fetch import Fetched, HttpFetcher, TtlCache, Unreachable
from verifier.keys import IssuerKeys
from verifier.policy import TrustPolicy
from verifier.replay import SeenLists

__all__ = [
    "STATUS_LIST_JWT_ACCEPT",
    "HttpTokenStatusLists",
    "StaticTokenStatusLists",
    "StatusReference",
    "TokenStatusChecker",
    "TokenStatusSource",
    "VerifiedTokenStatusList",
    "status_reference",
    "verify_status_list_token",
]

STATUS_LIST_JWT_ACCEPT = "application/statuslist+jwt"
STATUS_LIST_TYPES = frozenset({"statuslist+jwt", "application/statuslist+jwt"})
DEFAULT_LIST_CACHE_SECONDS = 300
LIST_CLOCK_SKEW = timedelta(seconds=300)
"""As for Bitstring lists: a list issued a moment ago by a clock ahead of ours is current."""
MAX_LIST_BYTES = tsl.DEFAULT_MAX_BYTES
"""The inflated byte array's cap: 16 MiB, 2^27 one-bit entries; a zip bomb stops there."""
MAX_INDEX = 2**32
_CANNOT_CONFIRM = "the current status cannot be confirmed"


class TokenStatusSource(Protocol):
    """Where a verifier gets Status List Tokens (the compact JWS served at ``uri``)."""

    def status_list_token(self, uri: str, *, now: datetime) -> Fetched: ...


class HttpTokenStatusLists:
    """Status List Tokens fetched with the verifier's rules, asking for the JWT form."""

    def __init__(self, fetcher: HttpFetcher) -> None:
        self._fetcher = fetcher

    def status_list_token(self, uri: str, *, now: datetime) -> Fetched:
        try:
            return self._fetcher.get(uri, accept=STATUS_LIST_JWT_ACCEPT)
        except Unreachable as exc:
            raise StatusRetrievalError(exc.detail) from exc


class StaticTokenStatusLists:
    """Status List Tokens in hand, by ``uri`` (an offline bundle, a store, tests); with
    ``as_of``, each is judged (its ``exp``) at that instant: when the bundle was made."""

    def __init__(self, tokens: Mapping[str, str], *, as_of: datetime | None = None) -> None:
        self._tokens = dict(tokens)
        self._as_of = as_of

    def status_list_token(self, uri: str, *, now: datetime) -> Fetched:
        token = self._tokens.get(uri)
        if token is None:
            raise StatusRetrievalError(f"no status list token is held for {uri[:100]}")
        return Fetched(
            url=uri,
            body=token.encode("utf-8"),
            media_type=STATUS_LIST_JWT_ACCEPT,
            max_age=None,
            as_of=self._as_of,
        )


@dataclass(frozen=True, slots=True)
class StatusReference:
    """The credential's ``status.status_list``: which entry of which list."""

    idx: int
    uri: str


def status_reference(claims: Mapping[str, Any]) -> StatusReference | None:
    """The credential's Token Status List reference, or ``None`` when it has no ``status``.

    A ``status`` claim the verifier cannot read as a status list reference cannot be
    confirmed (another status mechanism), and a malformed reference is malformed."""
    status = claims.get("status")
    if status is None:
        return None
    if not isinstance(status, Mapping):
        raise MalformedValueError("the status claim is an object", reason="status")
    reference = status.get("status_list")
    if reference is None:
        raise StatusVerificationError(
            f"the credential's status mechanism is not a Token Status List: {_CANNOT_CONFIRM}",
            reason="unknown-status-mechanism",
        )
    if not isinstance(reference, Mapping):
        raise MalformedValueError("status.status_list is an object", reason="status")
    idx, uri = reference.get("idx"), reference.get("uri")
    if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < MAX_INDEX:
        raise MalformedValueError(
            "status.status_list.idx is a non-negative integer", reason="status"
        )
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")) or len(uri) > 2048:
        raise MalformedValueError("status.status_list.uri is an https URL", reason="status")
    return StatusReference(idx=idx, uri=uri)


@dataclass(frozen=True, slots=True)
class VerifiedTokenStatusList:
    """A Status List Token whose signature, subject and dates have been checked."""

    uri: str
    bits: int
    statuses: bytes
    issued_at: datetime
    expires_at: datetime | None
    ttl_seconds: float | None

    def value(self, idx: int) -> int:
        """The status at ``idx``; outside the list the token MUST be rejected (§8.3)."""
        try:
            return tsl.get_status(self.statuses, idx, self.bits)
        except tsl.TokenStatusListIndexError as exc:
            raise RangeError(
                f"status index {idx} is outside the list at {self.uri[:100]}", reason="index"
            ) from exc


def _numeric_date(payload: Mapping[str, Any], name: str) -> datetime | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 2**35:
        raise StatusVerificationError(f"the status list token's {name} is not a NumericDate")
    return datetime.fromtimestamp(value, UTC)


def verify_status_list_token(
    fetched: Fetched,
    *,
    uri: str,
    issuer_keys: IssuerKeys,
    policy: TrustPolicy,
    now: datetime,
) -> VerifiedTokenStatusList:
    """Verify a fetched Status List Token for ``uri`` with the credential issuer's keys."""
    try:
        parsed = jws.parse_compact(
            fetched.body.decode("ascii"),
            max_bytes=policy.max_document_bytes,
            algorithms=policy.algorithms,
        )
    except (UnicodeDecodeError, VerificationError) as exc:
        raise StatusVerificationError(
            f"the status list at {uri[:100]} is not a JWS with a kid", reason="malformed-list"
        ) from exc
    typ = parsed.header.get("typ")
    if not isinstance(typ, str) or typ not in STATUS_LIST_TYPES:
        raise StatusVerificationError(
            "a status list token is typed statuslist+jwt", reason="media-type"
        )
    try:
        prepared = issuer_keys.key_for(parsed.kid)
        jws.verify_with_key(parsed, prepared.key, key_alg=prepared.alg)
    except VerificationError as exc:
        raise StatusVerificationError(
            f"the status list is not signed by the credential's issuer: {exc.detail}",
            reason="list-signature",
        ) from exc
    payload = parsed.payload
    if payload.get("sub") != uri:
        # Without this a list signed for one address could be served under any other.
        raise StatusVerificationError(
            "the status list token's sub is not the address it came from", reason="list-sub"
        )
    leeway = timedelta(seconds=policy.leeway_seconds)
    issued_at = _numeric_date(payload, "iat")
    if issued_at is None:
        raise StatusVerificationError("the status list token has no iat", reason="list-iat")
    if issued_at > now + leeway + LIST_CLOCK_SKEW:
        raise StatusVerificationError(
            "the status list token is issued in the future", reason="list-iat"
        )
    expires_at = _numeric_date(payload, "exp")
    # A list in an offline bundle is judged when the bundle was made (its age is the
    # bundle's own rule, ``certreg verify --max-age``), as Bitstring lists are.
    judged_at = min(fetched.as_of, now) if fetched.as_of is not None else now
    if expires_at is not None and expires_at < judged_at - leeway:
        raise StatusVerificationError(
            f"the status list at {uri[:100]} expired at {expires_at:%Y-%m-%dT%H:%M:%SZ}: "
            f"{_CANNOT_CONFIRM}",
            reason="lapsed-list",
        )
    ttl = payload.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0):
        raise StatusVerificationError(
            "the status list token's ttl is a positive number", reason="ttl"
        )
    status_list = payload.get("status_list")
    if not isinstance(status_list, Mapping):
        raise StatusVerificationError("the token carries no status_list", reason="malformed-list")
    try:
        bits, statuses = tsl.decode_status_list(status_list, max_bytes=MAX_LIST_BYTES)
    except tsl.TokenStatusListError as exc:
        raise StatusVerificationError(f"status_list: {exc}", reason="malformed-list") from exc
    return VerifiedTokenStatusList(
        uri=uri,
        bits=bits,
        statuses=statuses,
        issued_at=issued_at,
        expires_at=expires_at,
        ttl_seconds=float(ttl) if ttl is not None else None,
    )


def cache_seconds(
    verified: VerifiedTokenStatusList, fetched: Fetched, policy: TrustPolicy, now: datetime
) -> float:
    """How long a verified list may be reused: ``ttl`` first (the token's own caching rule
    outranks HTTP's, §8.2), else ``max-age``, else the default; never past ``exp`` nor
    the policy's ``max_cache_seconds``. A source that says not to reuse what it gave
    (``max-age`` 0: ``no-store``, or a registry reading its own store) is asked every time,
    so a suspension it holds is never hidden behind a copy cached for the ``ttl``."""
    if fetched.max_age == 0:
        return 0.0
    if verified.ttl_seconds is not None:
        seconds = verified.ttl_seconds
    elif fetched.max_age is not None:
        seconds = float(fetched.max_age)
    else:
        seconds = float(DEFAULT_LIST_CACHE_SECONDS)
    limits = [seconds, float(policy.max_cache_seconds)]
    if verified.expires_at is not None:
        limits.append((verified.expires_at - now).total_seconds())
    return max(0.0, min(limits))


class TokenStatusChecker:
    """Answers a credential's Token Status List reference: returns when VALID, else raises.

    Verified lists are cached by issuer *and* address: a list is trusted only as signed by
    the issuer of the credential that names it, so one issuer's credentials can never make
    another issuer's list (or a list at the same address signed by someone else) count.
    """

    def __init__(
        self, source: TokenStatusSource, *, policy: TrustPolicy, seen_lists: SeenLists
    ) -> None:
        self._source = source
        self._policy = policy
        self._seen = seen_lists
        self._lists: TtlCache[VerifiedTokenStatusList] = TtlCache(max_items=1024)

    def check(self, reference: StatusReference, *, issuer_keys: IssuerKeys, now: datetime) -> None:
        """Raise :class:`~verifier.errors.Revoked`, :class:`~verifier.errors.Suspended`,
        a RANGE_ERROR, or a "cannot confirm" error; return for VALID."""
        listed = self._list(reference.uri, issuer_keys, now)
        value = listed.value(reference.idx)
        if value == tsl.VALID:
            return
        if value == tsl.INVALID:
            raise Revoked("the issuer has revoked this credential", reason="status-invalid")
        if value == tsl.SUSPENDED:
            raise Suspended("the issuer has suspended this credential", reason="status-suspended")
        raise StatusVerificationError(
            f"the status list gives the value {value}, which this verifier does not know: "
            f"{_CANNOT_CONFIRM}",
            reason="unknown-status",
        )

    def _list(self, uri: str, issuer_keys: IssuerKeys, now: datetime) -> VerifiedTokenStatusList:
        key = f"{issuer_keys.issuer}\n{uri}"
        cached = self._lists.get(key, now)
        if cached is not None:
            return cached
        fetched = self._source.status_list_token(uri, now=now)
        verified = verify_status_list_token(
            fetched, uri=uri, issuer_keys=issuer_keys, policy=self._policy, now=now
        )
        self._seen.check(uri, verified.issued_at)  # once per fetch, not per credential
        self._lists.put(
            key, verified, now=now, seconds=cache_seconds(verified, fetched, self._policy, now)
        )
        return verified
