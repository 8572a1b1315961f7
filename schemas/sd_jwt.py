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

import hashlib
import json
import re
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

_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_RESERVED_NAMES = frozenset({"_sd", "..."})


class SdJwtError(ValueError):
    """An SD-JWT that cannot be read or processed; ``reason`` is stable for callers."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _b64url(data: bytes) -> str:
    return pybase64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise SdJwtError("malformed-disclosure", "a disclosure is not base64url")
    return pybase64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def digest(disclosure: str) -> str:
    """The base64url SHA-256 digest of a disclosure (or of an SD-JWT for ``sd_hash``), taken
    over the ASCII bytes of the string exactly as sent."""
    return _b64url(hashlib.sha256(disclosure.encode("ascii")).digest())


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
    try:
        # orjson: strict JSON (no NaN, no duplicate-free guessing of constants), and fast.
        array = orjson.loads(_b64url_decode(encoded))
    except (orjson.JSONDecodeError, RecursionError) as exc:
        raise SdJwtError("malformed-disclosure", "a disclosure is not JSON") from exc
    if not isinstance(array, list) or len(array) not in (2, 3):
        raise SdJwtError("malformed-disclosure", "a disclosure is not a 2- or 3-element array")
    salt = array[0]
    if not isinstance(salt, str):
        raise SdJwtError("malformed-disclosure", "a disclosure's salt is not a string")
    if len(array) == 2:
        return Disclosure(encoded, salt, None, array[1], digest(encoded))
    name = array[1]
    if not isinstance(name, str) or name in _RESERVED_NAMES:
        raise SdJwtError("malformed-disclosure", "a disclosure's claim name is not allowed")
    return Disclosure(encoded, salt, name, array[2], digest(encoded))


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
        return "".join(f"{part}~" for part in (self.issuer_jwt, *self.disclosures))

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
    if any(not d for d in disclosures):
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
) -> dict[str, Any]:
    """The claims a verifier may rely on (RFC 9901 §7.1 step 3): ``payload`` with every sent
    disclosure put back where its digest stands, ``_sd``/``_sd_alg`` and undisclosed
    digests removed. Raises :class:`SdJwtError` on every condition the RFC says to reject.

    ``disclosed``, when given, receives the path and processed value of every claim a
    disclosure put back, outer ones before those nested in them, so that a verifier can
    tell a relying party what the holder chose to show and what the issuer showed to all."""
    alg = payload.get("_sd_alg", HASH_ALGORITHM)
    if alg != HASH_ALGORITHM:
        raise SdJwtError("unsupported-hash", f"'_sd_alg' {alg!r} is not supported")
    by_digest: dict[str, Disclosure] = {}
    for encoded in disclosures:
        disclosure = decode_disclosure(encoded)
        if disclosure.digest in by_digest:
            raise SdJwtError("duplicate-disclosure", "the same disclosure was sent twice")
        by_digest[disclosure.digest] = disclosure
    seen: set[str] = set()
    sink: list[tuple[ClaimPath, Any]] = [] if disclosed is None else disclosed
    claims = _object(payload, by_digest, seen, (), sink, top=True)
    if not seen.issuperset(by_digest):
        raise SdJwtError("unreferenced-disclosure", "a disclosure is named by no digest")
    return claims


def _claim_digest(value: Any, seen: set[str]) -> str:
    if not isinstance(value, str):
        raise SdJwtError("malformed-payload", "a digest is not a string")
    if value in seen:
        raise SdJwtError("duplicate-digest", "a digest appears more than once")
    seen.add(value)
    return value


def _object(
    node: Mapping[str, Any],
    by_digest: dict[str, Disclosure],
    seen: set[str],
    path: ClaimPath,
    sink: list[tuple[ClaimPath, Any]],
    *,
    top: bool,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "_sd" or (top and key == "_sd_alg"):
            continue
        result[key] = _value(value, by_digest, seen, (*path, key), sink)
    digests = node.get("_sd", [])
    if not isinstance(digests, list):
        raise SdJwtError("malformed-payload", "'_sd' is not an array")
    for item in digests:
        disclosure = by_digest.get(_claim_digest(item, seen))
        if disclosure is None:
            continue  # not disclosed, or a decoy
        if disclosure.name is None:
            raise SdJwtError("misplaced-disclosure", "an array element is disclosed in '_sd'")
        if disclosure.name in result:
            raise SdJwtError("claim-conflict", f"claim {disclosure.name!r} is already present")
        claim_path = (*path, disclosure.name)
        entry = len(sink)
        sink.append((claim_path, None))
        result[disclosure.name] = _value(disclosure.value, by_digest, seen, claim_path, sink)
        sink[entry] = (claim_path, result[disclosure.name])
    return result


def _value(
    value: Any,
    by_digest: dict[str, Disclosure],
    seen: set[str],
    path: ClaimPath,
    sink: list[tuple[ClaimPath, Any]],
) -> Any:
    if isinstance(value, dict):  # claims are parsed JSON: objects are dicts
        return _object(value, by_digest, seen, path, sink, top=False)
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            item_path = (*path, len(items))
            if isinstance(item, dict) and len(item) == 1 and "..." in item:
                disclosure = by_digest.get(_claim_digest(item["..."], seen))
                if disclosure is None:
                    continue
                if disclosure.name is not None:
                    raise SdJwtError("misplaced-disclosure", "a property is disclosed in an array")
                entry = len(sink)
                sink.append((item_path, None))
                items.append(_value(disclosure.value, by_digest, seen, item_path, sink))
                sink[entry] = (item_path, items[-1])
            else:
                items.append(_value(item, by_digest, seen, item_path, sink))
        return items
    return value
