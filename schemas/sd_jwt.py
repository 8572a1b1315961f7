"""Selective Disclosure for JWTs (RFC 9901): disclosures, digests and the processing rules.

Pure functions over strings and JSON values, shared by the issuer (which makes disclosures
and puts their digests in the payload it signs) and the verifier (which recomputes the
digests of what a holder sent and rebuilds the claims from them). Signatures are not this
module's business: the issuer signs with its own keys, the verifier checks with its own JWS
code, and both call this module on either side of that step.

The traps this module holds, so neither side has to:

* a digest is taken over the **ASCII bytes of the base64url disclosure string** as it was
  sent, never over re-serialised JSON (§4.2.3), so a disclosure is kept as its string;
* an SD-JWT always ends with ``~``; an SD-JWT+KB ends with the key-binding JWT instead, and
  ``sd_hash`` is the digest of everything before it, trailing ``~`` included (§4.3.1);
* processing (§7.1 step 3) refuses a digest that appears twice, a disclosure that no digest
  names, a disclosed claim name that is already in the object, a claim named ``_sd`` or
  ``...``, an array-element disclosure under ``_sd`` or an object-property one in an array,
  and a ``_sd_alg`` other than ``sha-256`` (the only hash certreg accepts);
* digests for which no disclosure was sent are silently left out (decoys look the same).
"""

from __future__ import annotations

import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pybase64

__all__ = [
    "HASH_ALGORITHM",
    "MAX_DISCLOSURES",
    "ClaimPath",
    "Disclosure",
    "SdJwt",
    "SdJwtError",
    "decode_disclosure",
    "digest",
    "encode_disclosure",
    "process",
    "split",
]

HASH_ALGORITHM = "sha-256"
"""The ``_sd_alg`` certreg writes and the only one it accepts (RFC 9901 §4.1.1: the default)."""

MAX_DISCLOSURES = 256
"""More disclosures than any certificate has claims is refused before any is decoded."""

_PADDING = (b"", b"", b"==", b"=")
"""What a base64url text of each length modulo 4 lacks to be whole (1 is never whole)."""
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_RESERVED_NAMES = frozenset({"_sd", "..."})


class SdJwtError(ValueError):
    """An SD-JWT that cannot be read or processed; ``reason`` is stable for callers."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _b64url(data: bytes) -> str:
    return pybase64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    """The bytes of a non-empty base64url text without padding (a disclosure, a segment)."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise SdJwtError("malformed-disclosure", "a disclosure is not base64url") from exc
    return _b64url_bytes(raw)


def _b64url_bytes(raw: bytes) -> bytes:
    """Decode in C with the standard library's strict base64 decoder, after one
    ``translate`` maps base64url's ``-`` and ``_`` to ``+`` and ``/`` and base64's own
    ``+``, ``/`` and ``=`` to a character no alphabet holds, so the decoder refuses exactly
    what is not base64url. A disclosure is short: this takes half the time of ``pybase64``,
    whose call costs more than its decoding, and a fifth of the regular expression and
    ``pybase64`` that read disclosures before. Unused trailing bits are not checked (the
    digest is taken over the text as sent, so they change nothing)."""
    if not raw or len(raw) % 4 == 1:
        raise SdJwtError("malformed-disclosure", "a disclosure is not base64url")
    try:
        return binascii.a2b_base64(
            raw.translate(_TO_STANDARD) + _PADDING[len(raw) % 4], strict_mode=True
        )
    except binascii.Error as exc:
        raise SdJwtError("malformed-disclosure", "a disclosure is not base64url") from exc


def digest(disclosure: str) -> str:
    """The base64url SHA-256 digest of a disclosure (or of an SD-JWT for ``sd_hash``), taken
    over the ASCII bytes of the string exactly as sent."""
    return _digest(disclosure.encode("ascii"))


def _digest(raw: bytes) -> str:
    # 32 bytes are 43 base64url characters and one "=" of padding, cut off by slicing;
    # binascii's encoder, then a translate, is three times as fast as pybase64's call.
    encoded = binascii.b2a_base64(hashlib.sha256(raw).digest(), newline=False)
    return encoded.translate(_TO_URLSAFE)[:43].decode("ascii")


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One decoded disclosure: ``name`` is ``None`` for an array element; ``digest`` is the
    digest of ``encoded``, taken once when it is read."""

    encoded: str
    salt: str
    name: str | None
    value: Any
    digest: str


def encode_disclosure(salt: bytes, name: str | None, value: Any) -> str:
    """A disclosure for an object property (``name`` given) or an array element (``None``).

    ``salt`` must carry at least 128 bits of entropy (RFC 9901 §9.3); the caller passes it in
    so issuance stays reproducible under a seeded entropy source in tests."""
    if len(salt) < 16:
        raise ValueError("a disclosure's salt needs at least 128 bits")
    if name is not None and name in _RESERVED_NAMES:
        raise ValueError(f"{name!r} cannot be a disclosed claim name")
    salt_text = _b64url(salt)
    array: list[Any] = [salt_text, value] if name is None else [salt_text, name, value]
    return _b64url(json.dumps(array, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def decode_disclosure(encoded: str) -> Disclosure:
    """Read one disclosure, refusing anything but ``[salt, name, value]`` or ``[salt, value]``."""
    key, salt, name, value = _read(encoded)
    return Disclosure(encoded, salt, name, value, key)


def _read(encoded: str) -> tuple[str, str, str | None, Any]:
    """A disclosure's digest, salt, claim name (``None`` for an array element) and value:
    one call per disclosure, whose ASCII bytes serve both the decoding and the digest."""
    # _b64url_bytes and _digest written out: this runs for every disclosure of every check.
    try:
        raw = encoded.encode("ascii")
        if not raw or len(raw) % 4 == 1:
            raise binascii.Error
        decoded = binascii.a2b_base64(
            raw.translate(_TO_STANDARD) + _PADDING[len(raw) % 4], strict_mode=True
        )
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise SdJwtError("malformed-disclosure", "a disclosure is not base64url") from exc
    try:
        # orjson: strict JSON (no NaN, no duplicate-free guessing of constants), and fast.
        array = orjson.loads(decoded)
    except (orjson.JSONDecodeError, RecursionError) as exc:
        raise SdJwtError("malformed-disclosure", "a disclosure is not JSON") from exc
    if type(array) is not list or len(array) not in (2, 3):  # orjson makes exact lists
        raise SdJwtError("malformed-disclosure", "a disclosure is not a 2- or 3-element array")
    salt = array[0]
    if not isinstance(salt, str):
        raise SdJwtError("malformed-disclosure", "a disclosure's salt is not a string")
    hashed = binascii.b2a_base64(hashlib.sha256(raw).digest(), newline=False)
    key = hashed.translate(_TO_URLSAFE)[:43].decode("ascii")
    if len(array) == 2:
        return key, salt, None, array[1]
    name = array[1]
    if not isinstance(name, str) or name in _RESERVED_NAMES:
        raise SdJwtError("malformed-disclosure", "a disclosure's claim name is not allowed")
    return key, salt, name, array[2]


@dataclass(frozen=True, slots=True)
class SdJwt:
    """An SD-JWT split at its ``~``: the issuer-signed JWT, the disclosures as sent, and the
    key-binding JWT when there is one."""

    issuer_jwt: str
    disclosures: tuple[str, ...]
    key_binding_jwt: str | None

    @property
    def without_key_binding(self) -> str:
        """The serialization ``sd_hash`` is taken over: ``<JWT>~<D1>~…~<Dn>~``."""
        return "~".join((self.issuer_jwt, *self.disclosures)) + "~"

    @property
    def sd_hash(self) -> str:
        return digest(self.without_key_binding)

    def serialize(self) -> str:
        return self.without_key_binding + (self.key_binding_jwt or "")


def split(text: str, *, max_disclosures: int = MAX_DISCLOSURES) -> SdJwt:
    """Split a compact SD-JWT or SD-JWT+KB (RFC 9901 §4), checking only its shape."""
    if "~" not in text:
        raise SdJwtError("not-sd-jwt", "an SD-JWT has at least one '~'")
    parts = text.split("~")
    if len(parts) - 2 > max_disclosures:
        raise SdJwtError("too-many-disclosures", "the SD-JWT carries too many disclosures")
    issuer_jwt, disclosures, last = parts[0], parts[1:-1], parts[-1]
    if issuer_jwt.count(".") != 2:
        raise SdJwtError("not-sd-jwt", "an SD-JWT starts with a compact JWS")
    if "" in disclosures:
        raise SdJwtError("malformed-disclosure", "an SD-JWT has an empty disclosure")
    if last and last.count(".") != 2:
        raise SdJwtError("not-sd-jwt", "an SD-JWT ends with '~' or a key-binding JWT")
    return SdJwt(issuer_jwt, tuple(disclosures), last or None)


ClaimPath = tuple[str | int, ...]
"""Where a claim stands in the processed claims: member names, and array positions counted
in the processed array (undisclosed elements left out)."""


def process(
    payload: Mapping[str, Any],
    disclosures: Sequence[str],
    *,
    disclosed: list[tuple[ClaimPath, Any]] | None = None,
    in_clear: list[ClaimPath] | None = None,
    max_depth: int | None = None,
) -> dict[str, Any]:
    """The claims a verifier may rely on (RFC 9901 §7.1 step 3): ``payload`` with every sent
    disclosure put back where its digest stands, ``_sd``/``_sd_alg`` and undisclosed
    digests removed. Raises :class:`SdJwtError` on every condition the RFC says to reject.

    ``disclosed``, when given, receives the path and processed value of every claim a
    disclosure put back, outer ones before those nested in them, so that a verifier can
    tell a relying party what the holder chose to show and what the issuer showed to all;
    ``in_clear`` receives the path of every object member the issuer signed in clear and
    that is reached through such members only (``_sd`` and ``_sd_alg`` aside), parents
    before children. With ``max_depth``, claims whose objects and arrays nest deeper (the
    claims object itself is level 1) are refused with the reason ``too-deep`` as soon as
    the walk reaches them: a disclosure's JSON may nest far deeper than a signed payload
    can. All of this is gathered in the one walk the processing needs anyway."""
    alg = payload.get("_sd_alg", HASH_ALGORITHM)
    if alg != HASH_ALGORITHM:
        raise SdJwtError("unsupported-hash", f"'_sd_alg' {alg!r} is not supported")
    by_digest: dict[str, tuple[str | None, Any]] = {}
    for encoded in disclosures:
        key, _, name, value = _read(encoded)
        if key in by_digest:
            raise SdJwtError("duplicate-disclosure", "the same disclosure was sent twice")
        by_digest[key] = (name, value)
    walk = _Walk(
        by_digest,
        [] if disclosed is None else disclosed,
        in_clear,
        _UNLIMITED if max_depth is None else max_depth,
    )
    claims = walk.object(payload, (), 1, True)
    if not walk.seen.issuperset(by_digest):
        raise SdJwtError("unreferenced-disclosure", "a disclosure is named by no digest")
    return claims


_UNLIMITED = 1 << 62
_CONTAINERS = (dict, list)


class _Walk:
    """One walk of §7.1 step 3 over a payload. Members that are not objects or arrays are
    copied without a call, and a claim's path is built only for what can hold a disclosure
    (objects and arrays) or is asked for: a certificate's payload has few of those."""

    __slots__ = ("by_digest", "in_clear", "max_depth", "seen", "sink")

    def __init__(
        self,
        by_digest: dict[str, tuple[str | None, Any]],
        sink: list[tuple[ClaimPath, Any]],
        in_clear: list[ClaimPath] | None,
        max_depth: int,
    ) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.sink = sink
        self.in_clear = in_clear
        self.max_depth = max_depth

    def _disclosure(self, value: Any) -> tuple[str | None, Any] | None:
        """The disclosure a digest names (None: not sent, or a decoy), each digest once."""
        if not isinstance(value, str):
            raise SdJwtError("malformed-payload", "a digest is not a string")
        seen = self.seen
        if value in seen:
            raise SdJwtError("duplicate-digest", "a digest appears more than once")
        seen.add(value)
        return self.by_digest.get(value)

    def value(self, value: Any, path: ClaimPath, depth: int) -> Any:
        if isinstance(value, dict):  # claims are parsed JSON: objects are dicts
            return self.object(value, path, depth, False)
        if isinstance(value, list):
            return self.array(value, path, depth)
        return value

    def object(
        self, node: Mapping[str, Any], path: ClaimPath, depth: int, clear: bool
    ) -> dict[str, Any]:
        if depth > self.max_depth:
            raise SdJwtError("too-deep", f"claims nested deeper than {self.max_depth} levels")
        in_clear = self.in_clear if clear else None
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "_sd" or (depth == 1 and key == "_sd_alg"):
                continue
            if in_clear is not None and key != "_sd_alg":
                member: ClaimPath = (*path, key)
                in_clear.append(member)
                if isinstance(value, dict):
                    value = self.object(value, member, depth + 1, True)
                elif isinstance(value, list):
                    value = self.array(value, member, depth + 1)
            elif isinstance(value, dict):
                value = self.object(value, (*path, key), depth + 1, False)
            elif isinstance(value, list):
                value = self.array(value, (*path, key), depth + 1)
            result[key] = value
        if "_sd" not in node:
            return result
        digests = node["_sd"]
        if not isinstance(digests, list):
            raise SdJwtError("malformed-payload", "'_sd' is not an array")
        # The hot loop (every digest and decoy of every object): _disclosure written out.
        sink, seen, by_digest = self.sink, self.seen, self.by_digest
        for item in digests:
            if not isinstance(item, str):
                raise SdJwtError("malformed-payload", "a digest is not a string")
            if item in seen:
                raise SdJwtError("duplicate-digest", "a digest appears more than once")
            seen.add(item)
            found = by_digest.get(item)
            if found is None:
                continue  # not disclosed, or a decoy
            name, value = found
            if name is None:
                raise SdJwtError("misplaced-disclosure", "an array element is disclosed in '_sd'")
            if name in result:
                raise SdJwtError("claim-conflict", f"claim {name!r} is already present")
            claim_path = (*path, name)
            if isinstance(value, _CONTAINERS):
                entry = len(sink)
                sink.append((claim_path, None))  # the outer claim before those nested in it
                result[name] = value = self.value(value, claim_path, depth + 1)
                sink[entry] = (claim_path, value)
            else:
                result[name] = value
                sink.append((claim_path, value))
        return result

    def array(self, node: list[Any], path: ClaimPath, depth: int) -> list[Any]:
        if depth > self.max_depth:
            raise SdJwtError("too-deep", f"claims nested deeper than {self.max_depth} levels")
        items: list[Any] = []
        for item in node:
            if isinstance(item, dict):
                if len(item) == 1 and "..." in item:
                    found = self._disclosure(item["..."])
                    if found is None:
                        continue
                    name, value = found
                    if name is not None:
                        raise SdJwtError(
                            "misplaced-disclosure", "a property is disclosed in an array"
                        )
                    item_path = (*path, len(items))
                    sink = self.sink
                    entry = len(sink)
                    sink.append((item_path, None))
                    items.append(value := self.value(value, item_path, depth + 1))
                    sink[entry] = (item_path, value)
                else:
                    items.append(self.object(item, (*path, len(items)), depth + 1, False))
            elif isinstance(item, list):
                items.append(self.array(item, (*path, len(items)), depth + 1))
            else:
                items.append(item)
        return items
