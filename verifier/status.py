"""Status: reading a credential's ``BitstringStatusListEntry`` values from verified lists.

Bitstring Status List v1.0 §3.2, step by step: dereference ``statusListCredential``
(failure → STATUS_RETRIEVAL_ERROR); verify the list credential's own signature with its
issuer's keys, its type, its id, its validity window and that it covers the entry's purpose
(failure → STATUS_VERIFICATION_ERROR); expand ``encodedList`` and refuse lists shorter than
the policy's minimum (STATUS_LIST_LENGTH_ERROR); read the entry (an index outside the list is
a RANGE_ERROR). A ``message`` entry of several bits (``statusSize`` > 1) reads its value
through the ``statusMessage`` the entry and the list both state (:func:`status_messages`):
each value means one message, and a value whose message the verifier does not know cannot
confirm anything (:func:`meaning`). A list past its ``validUntil``, or older than one
already seen for the same URL (:mod:`verifier.replay`), cannot confirm anything. A verified,
decoded list is cached until its ``ttl`` (milliseconds), the server's ``max-age`` or its
``validUntil`` — whichever comes first — so verification stays at the speed of the
signature check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from schemas import bitstring_status_list as bsl
from verifier import jws
from verifier.errors import (
    KeyRetrievalError,
    MalformedValueError,
    RangeError,
    StatusListLengthError,
    StatusRetrievalError,
    StatusVerificationError,
    VerificationError,
)
from verifier.fetch import Fetched, HttpFetcher, Unreachable
from verifier.keys import KeySource
from verifier.policy import TrustPolicy
from verifier.structure import issuer_id
from verifier.timestamps import parse_timestamp

__all__ = [
    "MEANINGS",
    "HttpStatusLists",
    "Messages",
    "StaticStatusLists",
    "StatusEntry",
    "StatusSource",
    "VerifiedStatusList",
    "entry_fields",
    "meaning",
    "read_entries",
    "status_messages",
    "verify_status_list",
]

VC_JWT_TYPES = frozenset({"vc+jwt", "application/vc+jwt"})
STATUS_LIST_ACCEPT = "application/vc+jwt"
DEFAULT_LIST_CACHE_SECONDS = 300
LIST_CLOCK_SKEW = timedelta(seconds=300)
"""A list is signed "valid from" the instant it was built: a verifier whose clock runs a
little behind the issuer's must still read a freshly published list, not answer "cannot
confirm" after every status change."""
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_HEX = re.compile(r"0x[0-9A-Fa-f]+")
MEANINGS = frozenset({"valid", "revoked", "suspended"})
"""The messages a ``message`` entry's value may mean that this verifier acts on (certreg's
Open Badges say exactly these): anything else, ``undefined`` included, cannot confirm."""
Messages = tuple[tuple[int, str], ...]
"""A ``statusMessage`` as ``(value, message)`` pairs, in value order."""


class StatusSource(Protocol):
    """Where a verifier gets status list credentials (the signed compact JWS)."""

    def status_list(self, url: str, *, now: datetime) -> Fetched: ...


class HttpStatusLists:
    """Status list credentials fetched over HTTPS with the verifier's rules."""

    def __init__(self, fetcher: HttpFetcher) -> None:
        self._fetcher = fetcher

    def status_list(self, url: str, *, now: datetime) -> Fetched:
        try:
            return self._fetcher.get(url, accept=STATUS_LIST_ACCEPT)
        except Unreachable as exc:
            raise StatusRetrievalError(exc.detail) from exc


class StaticStatusLists:
    """Status list credentials in hand (an offline bundle, the registry's own store).

    ``as_of`` is when they were collected (a bundle's creation time): each list must have
    been within its validity then, and how old the collection may be is the holder's rule
    (``certreg verify --offline --max-age``). Without it, lists are judged at ``now``.
    """

    def __init__(self, lists: Mapping[str, str], *, as_of: datetime | None = None) -> None:
        self._lists = dict(lists)
        self._as_of = as_of

    def status_list(self, url: str, *, now: datetime) -> Fetched:
        compact = self._lists.get(url)
        if compact is None:
            raise StatusRetrievalError(f"no status list is held for {url[:100]}")
        return Fetched(
            url=url, body=compact.encode("ascii"), media_type="", max_age=None, as_of=self._as_of
        )


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One ``BitstringStatusListEntry`` of a credential, checked for shape."""

    purpose: str
    index: int
    list_url: str
    size: int
    messages: Messages | None = None


@dataclass(frozen=True, slots=True)
class VerifiedStatusList:
    """A status list credential whose signature and shape have been checked."""

    url: str
    issuer: str
    purposes: frozenset[str]
    bitstring: bytes
    size_hint: int
    valid_until: datetime | None
    ttl_seconds: float | None
    valid_from: datetime | None = None
    size: int | None = None
    """The subject's ``statusSize``, if it states one (a ``message`` list must)."""
    messages: Messages | None = None
    """The subject's ``statusMessages`` (or ``statusMessage``), if it states them."""

    def value(self, entry: StatusEntry, *, minimum_entries: int) -> int:
        return self.value_at(
            entry.purpose, entry.index, entry.size, minimum_entries=minimum_entries
        )

    def value_at(self, purpose: str, index: int, size: int, *, minimum_entries: int) -> int:
        """:meth:`value` for an entry's fields, which the verifier reads without building
        a :class:`StatusEntry` for every credential."""
        bitstring = self.bitstring
        if (
            type(size) is int
            and size == 1
            and type(index) is int
            and 0 <= index < len(bitstring) * 8
            and len(bitstring) * 8 >= minimum_entries
            and purpose in self.purposes
        ):
            # The usual one-bit entry that every check below passes, read in place: each
            # credential's status costs a set lookup and a shift, not five calls.
            return (bitstring[index >> 3] >> (7 - (index & 7))) & 1
        return self._value(StatusEntry(purpose, index, "", size), minimum_entries)

    def _value(self, entry: StatusEntry, minimum_entries: int) -> int:
        if self.size is not None and entry.size != self.size:
            raise StatusVerificationError(
                f"the entry has statusSize {entry.size}, the list at {self.url[:100]} {self.size}"
            )
        if entry.size > 1 and self.size is None:
            raise StatusVerificationError(
                f"the list at {self.url[:100]} does not say its statusSize"
            )
        try:
            bsl.require_minimum_entries(self.bitstring, entry.size, minimum_entries)
        except bsl.StatusListLengthError as exc:
            raise StatusListLengthError(str(exc)) from exc
        if entry.purpose not in self.purposes:
            raise StatusVerificationError(
                f"the list at {self.url[:100]} is not a {entry.purpose} list"
            )
        try:
            return bsl.get_status(self.bitstring, entry.index, entry.size)
        except bsl.StatusListIndexError as exc:
            raise RangeError(f"status index {entry.index} is outside the list") from exc


def read_entries(credential: Mapping[str, Any]) -> list[StatusEntry]:
    """The credential's status entries; an entry type we cannot read cannot be confirmed."""
    return [StatusEntry(*fields) for fields in entry_fields(credential)]


def entry_fields(
    credential: Mapping[str, Any],
) -> list[tuple[str, int, str, int, Messages | None]]:
    """:func:`read_entries` as plain tuples (purpose, index, list URL, size, messages), for
    the verification hot path; every entry is checked before any list is looked at."""
    status = credential.get("credentialStatus")
    if status is None:
        return []
    entries = []
    for item in status if isinstance(status, list) else (status,):
        if not isinstance(item, dict) and not isinstance(item, Mapping):
            raise MalformedValueError("a credentialStatus entry is an object")
        get = item.get
        if get("type") != "BitstringStatusListEntry":
            raise StatusVerificationError(
                f"status entries of type {str(get('type'))[:60]!r} cannot be checked"
            )
        purpose, index = get("statusPurpose"), get("statusListIndex")
        url, size = get("statusListCredential"), get("statusSize", 1)
        if not isinstance(purpose, str) or not purpose:
            raise MalformedValueError("statusPurpose is a non-empty string")
        if not isinstance(url, str) or not _URL.fullmatch(url):
            raise MalformedValueError("statusListCredential is a URL")
        if not isinstance(index, str):
            raise MalformedValueError("statusListIndex is a string of digits")
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 8:
            raise MalformedValueError("statusSize is an integer from 1 to 8")
        messages = None
        if size > 1:
            try:
                messages = status_messages(get("statusMessage"), size)
            except ValueError as exc:
                raise MalformedValueError(f"statusMessage: {exc}") from exc
        if index.isascii() and index.isdigit() and len(index) <= _SHORT_INDEX:
            parsed = int(index)  # ASCII digits only, too few to be out of any list's range
        else:
            try:
                parsed = bsl.parse_status_list_index(index)
            except bsl.StatusListError as exc:
                raise MalformedValueError(f"statusListIndex: {exc}") from exc
        entries.append((purpose, parsed, url, size, messages))
    return entries


def status_messages(value: object, size: int) -> Messages:
    """A ``statusMessage`` (BSL §2.1) checked and read: exactly 2^``size`` objects, each a
    ``status`` in hex (``0x…``) that fits ``size`` bits — each value once — and a
    ``message`` string. Raises ``ValueError`` saying what is wrong."""
    if value is None:
        raise ValueError("it is required when statusSize > 1")
    if not isinstance(value, list) or len(value) != 1 << size:
        raise ValueError(f"it is a list of exactly {1 << size} objects for statusSize {size}")
    pairs: dict[int, str] = {}
    for item in value:
        if not isinstance(item, Mapping):
            raise ValueError("each item is an object")
        status, message = item.get("status"), item.get("message")
        if not isinstance(status, str) or not _HEX.fullmatch(status):
            raise ValueError("each status is a hexadecimal string such as 0x1")
        number = int(status, 16)
        if number >= 1 << size or number in pairs:
            raise ValueError(f"status {status[:20]} is out of range or given twice")
        if not isinstance(message, str):
            raise ValueError("each message is a string")
        pairs[number] = message
    return tuple(sorted(pairs.items()))


def meaning(value: int, messages: Messages | None) -> str | None:
    """What ``value`` of a ``message`` entry means (one of :data:`MEANINGS`), or ``None``:
    a value the messages do not name, or name with a message this verifier does not act
    on, cannot confirm anything."""
    if messages is None:
        return None
    found = dict(messages).get(value)
    return found if found in MEANINGS else None


_SHORT_INDEX = 18
"""Digit strings this short are plain indexes: :func:`bsl.parse_status_list_index` refuses
only non-digits and lengths past its own, larger, limit."""


def _subject(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = payload.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping) or subject.get("type") != "BitstringStatusList":
        raise StatusVerificationError("the list's credentialSubject is not a BitstringStatusList")
    return subject


def verify_status_list(
    fetched: Fetched,
    *,
    url: str,
    policy: TrustPolicy,
    keys: KeySource,
    now: datetime,
) -> VerifiedStatusList:
    """Verify a fetched status list credential (signature, issuer, type, id, validity)."""
    try:
        parsed = jws.parse_compact(
            fetched.body.decode("ascii"),
            max_bytes=policy.max_document_bytes,
            algorithms=policy.algorithms,
        )
    except (UnicodeDecodeError, VerificationError) as exc:
        raise StatusVerificationError(f"the status list at {url[:100]} is not a JWS") from exc
    typ = parsed.header.get("typ")
    if not isinstance(typ, str) or typ not in VC_JWT_TYPES:
        raise StatusVerificationError("a status list credential is secured as vc+jwt")
    payload = parsed.payload
    try:
        issuer = issuer_id(payload)
    except VerificationError as exc:
        raise StatusVerificationError("the status list names no issuer") from exc
    if not policy.trusts(issuer):
        raise StatusVerificationError(f"the status list's issuer {issuer[:80]} is not trusted")
    try:
        prepared = keys.issuer_keys(issuer, now=now).key_for(parsed.kid)
        jws.verify_with_key(parsed, prepared.key, key_alg=prepared.alg)
    except KeyRetrievalError:
        raise
    except VerificationError as exc:
        raise StatusVerificationError(f"the status list's signature: {exc.detail}") from exc
    types = payload.get("type")
    types = types if isinstance(types, list) else [types]
    if "BitstringStatusListCredential" not in types:
        raise StatusVerificationError("the list is not a BitstringStatusListCredential")
    if payload.get("id") != url:
        # Without its own id a signed list could be served under any list's URL (a mirror
        # or cache swapping in a clean list); the list must name the URL it came from.
        raise StatusVerificationError("the list credential does not name the URL it came from")
    leeway = timedelta(seconds=policy.leeway_seconds)
    valid_until = _instant(payload.get("validUntil"))
    valid_from = _instant(payload.get("validFrom"))
    # A list in hand since ``as_of`` (a bundle) is judged as of then; never as of later.
    judged_at = min(fetched.as_of, now) if fetched.as_of is not None else now
    if valid_until is not None and valid_until < judged_at - leeway:
        # Whoever serves the registry's address could serve an old list, signed before a
        # suspension or withdrawal; past its validUntil it says nothing about today.
        raise StatusVerificationError(
            f"the status list at {url[:100]} was valid until "
            f"{valid_until:%Y-%m-%dT%H:%M:%SZ}: the current status cannot be confirmed",
            reason="lapsed-list",
        )
    if valid_from is not None and valid_from > now + leeway + LIST_CLOCK_SKEW:
        raise StatusVerificationError("the status list credential is not valid yet")
    stamp = now.timestamp()
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if isinstance(exp, int | float) and exp < stamp - leeway.total_seconds():
        raise StatusVerificationError("the status list's JWT exp has passed")
    if isinstance(nbf, int | float) and nbf > stamp + (leeway + LIST_CLOCK_SKEW).total_seconds():
        raise StatusVerificationError("the status list's JWT nbf is in the future")
    subject = _subject(payload)
    purposes = subject.get("statusPurpose")
    purposes = purposes if isinstance(purposes, list) else [purposes]
    if not purposes or not all(isinstance(p, str) for p in purposes):
        raise StatusVerificationError("the list names no statusPurpose")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise StatusVerificationError("the list has no encodedList")
    try:
        bitstring = bsl.decode_list(encoded)
    except bsl.StatusListError as exc:
        raise StatusVerificationError(f"encodedList: {exc}") from exc
    size, messages = _list_messages(subject)
    ttl = subject.get("ttl")
    ttl_seconds = ttl / 1000 if isinstance(ttl, int | float) and not isinstance(ttl, bool) else None
    return VerifiedStatusList(
        url=url,
        issuer=issuer,
        purposes=frozenset(purposes),
        bitstring=bitstring,
        size_hint=1,
        valid_until=valid_until,
        ttl_seconds=ttl_seconds,
        valid_from=valid_from,
        size=size,
        messages=messages,
    )


def _list_messages(subject: Mapping[str, Any]) -> tuple[int | None, Messages | None]:
    """The list's own ``statusSize`` and messages. BSL names the list's messages
    ``statusMessages`` in its text and ``statusMessage`` in the entry; both are read. A
    ``message`` list must state both (BSL §2.2)."""
    size = subject.get("statusSize")
    listed = subject.get("statusMessages", subject.get("statusMessage"))
    purposes = subject.get("statusPurpose")
    message_list = purposes == "message" or (isinstance(purposes, list) and "message" in purposes)
    if size is None and listed is None and not message_list:
        return None, None
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 8:
        raise StatusVerificationError("the list's statusSize is an integer from 1 to 8")
    if listed is None and size == 1 and not message_list:
        return size, None
    try:
        return size, status_messages(listed, size)
    except ValueError as exc:
        raise StatusVerificationError(f"the list's statusMessages: {exc}") from exc


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise StatusVerificationError("the list's validity dates are not dateTimeStamps") from exc


def cache_seconds(
    verified: VerifiedStatusList, fetched: Fetched, policy: TrustPolicy, now: datetime
) -> float:
    """How long a verified list may be reused: the least of ttl, max-age, validUntil, policy."""
    limits = [float(policy.max_cache_seconds)]
    if verified.ttl_seconds is not None:
        limits.append(verified.ttl_seconds)
    if fetched.max_age is not None:
        limits.append(float(fetched.max_age))
    if verified.valid_until is not None:
        judged_at = min(fetched.as_of, now) if fetched.as_of is not None else now
        limits.append((verified.valid_until - judged_at).total_seconds())
    if verified.ttl_seconds is None and fetched.max_age is None:
        limits.append(DEFAULT_LIST_CACHE_SECONDS)
    return max(0.0, min(limits))
