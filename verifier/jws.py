"""Just enough JWS (RFC 7515 compact serialization) to check a signature, strictly.

Both the verifier and the registry's intake use this module; it holds public keys only and
refuses anything it was not built for rather than guessing: algorithms outside the
allow-list (``none``, HMAC — including HS256 "signed" with a public key as the secret — RSA,
ES512…), ``crit`` extensions, non-canonical or padded base64url, duplicate JSON members,
non-JSON constants, lone surrogates, nesting deeper than JSON needs, and tokens over a size
cap. Keys arrive as public JWKs; a JWK carrying any private member is refused outright, since
a published private key is a compromised key.

Every refusal is a :class:`~verifier.errors.ParsingError` (the token is not a JWS we can
read) or a :class:`~verifier.errors.CryptographicSecurityError` (the securing mechanism does
not hold), with a stable ``reason`` that callers such as the registry map to their own kinds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import pybase64
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verifier.errors import CryptographicSecurityError, ParsingError

__all__ = [
    "ALLOWED_ALGORITHMS",
    "MAX_COMPACT_BYTES",
    "MAX_DEPTH",
    "PRIVATE_MEMBERS",
    "CompactJws",
    "PublicKey",
    "b64url_decode",
    "parse_compact",
    "public_key",
    "verify_signature",
    "verify_with_key",
]

ALLOWED_ALGORITHMS = frozenset({"ES256", "EdDSA", "Ed25519"})
"""ES256 on P-256; Ed25519 under both of its names: the polymorphic ``EdDSA`` (RFC 8037),
which certreg writes and most libraries read, and the fully specified ``Ed25519`` (RFC 9864),
which newer issuers write. Each name verifies only with a key of its own type."""
_ED25519_NAMES = ("EdDSA", "Ed25519")
"""A tuple, not a set: it is also matched against a JWK's ``alg``, which comes from a
published document and may be any JSON value, hashable or not."""
MAX_COMPACT_BYTES = 4 * 1024 * 1024
"""The same cap as :class:`schemas.publication.Publication` puts on a body."""
MAX_DEPTH = 32
"""Deeper JSON than any credential needs is refused before it can exhaust the stack."""
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k", "oth"})

_PADDING = ("", "", "==", "=")
_B64_VALUE = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
_ES256 = ec.ECDSA(hashes.SHA256())
"""Immutable, so one instance serves every ES256 check."""


@dataclass(frozen=True, slots=True)
class CompactJws:
    """A parsed, not yet verified, JWS: header and payload are JSON objects."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        alg: str = self.header["alg"]
        return alg

    @property
    def kid(self) -> str:
        kid: str = self.header["kid"]
        return kid


def b64url_decode(text: str) -> bytes:
    """Strict base64url: the URL-safe alphabet, no padding, canonical trailing bits.

    Every verification decodes a payload of a few kilobytes, so the work is done in C.
    ``pybase64``'s SIMD decoder, told that ``-`` and ``_`` stand for ``+`` and ``/``,
    refuses every character outside base64's alphabet and any padding but the one added
    here; it would also take ``+`` and ``/`` themselves, which base64url does not hold, so
    those (and ``=``) are refused first by a scan for each. That is half the time of
    mapping the text to the standard alphabet first (1.0 µs against 2.2 µs for a
    credential's payload) and a fifth of ``binascii``'s strict mode, which decodes byte by
    byte.
    """
    if len(text) % 4 == 1 or not text.isascii() or "+" in text or "/" in text or "=" in text:
        raise ParsingError("not base64url without padding", reason="malformed")
    try:
        raw = pybase64.b64decode(text + _PADDING[len(text) % 4], altchars=b"-_", validate=True)
    except ValueError as exc:  # pybase64 raises binascii.Error, a ValueError
        raise ParsingError("not base64url without padding", reason="malformed") from exc
    spare = len(text) % 4  # 2 or 3 symbols in the last quantum leave 4 or 2 unused bits
    if spare and _B64_VALUE[text[-1]] & (0x0F if spare == 2 else 0x03):
        raise ParsingError("base64url with non-zero trailing bits", reason="malformed")
    return raw


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The object, unless a member name repeats (JSON parsers disagree on which one wins)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise ValueError(f"duplicate member {name[:40]!r}")
            seen.add(name)
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_NOT_OPENING = bytes(sorted(set(range(256)) - set(b"[{")))
_INNERMOST = re.compile(rb"\[\]|\{\}")


def _too_deep(raw: bytes) -> bool:
    """True when brackets nest deeper than :data:`MAX_DEPTH` (strings skipped).

    Strings are cut out and everything but brackets deleted (both in C); each pass then
    removes the innermost level of empty pairs, so a document is too deep exactly when
    brackets remain after :data:`MAX_DEPTH` passes.
    """
    # Without escapes every other quote opens a string, so a split finds them all.
    escaped = b"\\" in raw
    outside_strings = _JSON_STRING.sub(b"", raw) if escaped else b"".join(raw.split(b'"')[::2])
    skeleton = outside_strings.translate(None, _NOT_BRACKETS)
    for _ in range(MAX_DEPTH):
        skeleton, removed = _INNERMOST.subn(b"", skeleton)
        if not skeleton or not removed:
            return False  # fully matched, or unbalanced (the JSON parser refuses that)
    return bool(skeleton)


def _json(raw: bytes) -> Any:
    """The JSON value of ``raw``, refusing duplicate members, non-JSON constants, a byte
    order mark, lone surrogates and nesting deeper than :data:`MAX_DEPTH`.

    Fast path: a text that is exactly what ``orjson`` writes for the value it reads from it
    is the compact serialization of that value, and a serialization never repeats a member
    name, holds ``NaN`` or a BOM — so such a text needs no further check. Issuers that write
    compact JSON, certreg among them, take this path (4 µs against 12 µs for a credential).
    Any other text — whitespace, escapes, exponents, big integers, or anything ``orjson``
    refuses — is parsed again by the standard library's decoder with the strict hooks,
    which decides alone what is accepted.
    """
    # Fewer opening brackets than the cap cannot nest past it: counted by deleting every
    # other byte, one pass in C (two ``bytes.count`` passes cost a third more).
    if len(raw.translate(None, _NOT_OPENING)) > MAX_DEPTH and _too_deep(raw):
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        value = orjson.loads(raw)
        canonical = orjson.dumps(value) == raw
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        canonical = False
    if canonical:
        return value
    text = raw.decode("utf-8")
    if text.startswith("\ufeff"):  # json.loads refuses a byte order mark, and so do we
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    value = _DECODER.decode(text)
    if b"\\u" in raw and _SURROGATE_ESCAPE.search(raw) is not None:  # memchr first
        _refuse_lone_surrogates(value)
    return value


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
"""A ``\\uD800``–``\\uDFFF`` escape: the only way a lone surrogate gets into a JSON text,
since the bytes themselves were decoded as strict UTF-8."""


def _refuse_lone_surrogates(value: Any) -> None:
    """Refuse a string holding half of a surrogate pair (I-JSON, RFC 7493 §2.1).

    The standard library's decoder accepts ``"\\ud800"`` where ``orjson`` does not, and the
    string it returns cannot be written as UTF-8 again: every report, page or log line that
    quotes the credential would fail. Such a text is not the JSON of any credential, so it
    is refused here, where the credential is read, and nowhere downstream has to care. Only
    texts with such an escape are checked, so issuers' compact JSON pays nothing.
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("a string holds a lone surrogate (not I-JSON)") from exc


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
"""One decoder for every token: ``json.loads`` with hooks would build a new one each time."""


_HEADERS: dict[str, dict[str, Any]] = {}
_MAX_CACHED_HEADERS = 256
"""Headers already read, by their exact base64url text: one issuer key signs many tokens
with the same header. Only a header whose kid and extensions pass is kept, so a hit leaves
nothing to check but the algorithm, which depends on the caller's allow-list."""


def _header(segment: str, algorithms: frozenset[str], require_kid: bool) -> dict[str, Any]:
    """The checked protected header, a copy the caller may keep. Without ``require_kid``,
    a header may name its key otherwise (a key proof carries its ``jwk``); such a header is
    not kept, so the cache holds only headers with a kid."""
    cached = _HEADERS.get(segment)
    if cached is not None:
        _check_alg(cached, algorithms)
        return dict(cached)
    try:
        header = _json(b64url_decode(segment)) if len(segment) <= 4096 else None
    except (ValueError, RecursionError) as exc:
        raise ParsingError("the protected header is not JSON", reason="malformed") from exc
    if not isinstance(header, dict):
        raise ParsingError("the protected header is not a JSON object", reason="malformed")
    _check_alg(header, algorithms)
    kid = header.get("kid")
    if "crit" in header or "b64" in header:
        raise ParsingError("JWS extensions (crit, b64) are not supported", reason="malformed")
    if kid is None and not require_kid:
        return header
    if not isinstance(kid, str) or not kid or len(kid) > 500 or not _printable_utf8(kid):
        raise ParsingError("the protected header needs a kid", reason="malformed")
    if len(_HEADERS) >= _MAX_CACHED_HEADERS:
        _HEADERS.clear()
    _HEADERS[segment] = header
    return dict(header)


def _check_alg(header: dict[str, Any], algorithms: frozenset[str]) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise CryptographicSecurityError(
            f"alg must be one of {sorted(algorithms)}", reason="algorithm"
        )


def _printable_utf8(text: str) -> bool:
    """No control characters, no lone surrogates (they cannot be echoed back as UTF-8)."""
    if not text.isprintable():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_compact(
    compact: str,
    *,
    max_bytes: int = MAX_COMPACT_BYTES,
    algorithms: frozenset[str] = ALLOWED_ALGORITHMS,
    require_kid: bool = True,
) -> CompactJws:
    """Split and decode ``compact``; the header is checked, the signature is not. A header
    without ``kid`` is refused unless ``require_kid`` is false (then the caller finds the
    key some other way, and checks it)."""
    if not isinstance(compact, str):
        raise ParsingError("a compact JWS is a string", reason="malformed")
    if len(compact) > max_bytes:
        raise ParsingError(f"the JWS exceeds {max_bytes} bytes", reason="too-large")
    # Found, not split: ``str.find`` skips to each dot in C where ``split`` walks every
    # character of a payload of kilobytes.
    first = compact.find(".")
    second = compact.find(".", first + 1)
    if (
        first < 1
        or second < first + 2
        or second == len(compact) - 1
        or compact.find(".", second + 1) != -1
    ):
        raise ParsingError("a compact JWS has three non-empty parts", reason="malformed")
    protected, body, signature_text = (
        compact[:first],
        compact[first + 1 : second],
        compact[second + 1 :],
    )
    header = _header(protected, algorithms, require_kid)
    payload_bytes = b64url_decode(body)
    signature = b64url_decode(signature_text)
    try:
        payload = _json(payload_bytes)
    except (ValueError, RecursionError) as exc:
        raise ParsingError("the payload is not JSON", reason="payload") from exc
    if not isinstance(payload, dict):
        raise ParsingError("the payload is not a JSON object", reason="payload")
    # Both segments passed the base64url check, so the signing input is ASCII.
    signing_input = compact[:second].encode("ascii")
    return CompactJws(header, payload, signing_input, signature)


def _member(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise CryptographicSecurityError(f"the JWK lacks {name}", reason="key")
    try:
        raw = b64url_decode(value)
    except ParsingError as exc:
        raise CryptographicSecurityError(
            f"the JWK member {name} is not base64url", reason="key"
        ) from exc
    if len(raw) != size:
        raise CryptographicSecurityError(
            f"the JWK member {name} has the wrong length", reason="key"
        )
    return raw


def public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """The public key of a P-256 or Ed25519 JWK; private members are refused."""
    if not isinstance(jwk, Mapping):
        raise CryptographicSecurityError("a JWK is a JSON object", reason="key")
    leaked = PRIVATE_MEMBERS & set(jwk)
    if leaked:
        raise CryptographicSecurityError(
            f"a published JWK carries private members {sorted(leaked)}", reason="key"
        )
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        x = int.from_bytes(_member(jwk, "x", 32), "big")
        y = int.from_bytes(_member(jwk, "y", 32), "big")
        try:
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        except ValueError as exc:
            raise CryptographicSecurityError("the EC point is not on P-256", reason="key") from exc
    if kty == "OKP" and crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(_member(jwk, "x", 32))
    raise CryptographicSecurityError(
        "only EC P-256 and OKP Ed25519 keys are supported", reason="key"
    )


def verify_with_key(jws: CompactJws, key: PublicKey, *, key_alg: object = None) -> None:
    """Raise unless ``jws`` is signed by ``key`` with an algorithm that suits the key.

    ``key_alg`` is the JWK's own ``alg`` member, if any; it must then name the header's
    algorithm (``EdDSA`` and ``Ed25519`` name the same one for an Ed25519 key, RFC 9864 §2.2).
    This is the hot path of verification: callers keep prepared ``key`` objects in a cache.
    """
    alg = jws.header["alg"]
    if key_alg not in (None, alg) and not (alg in _ED25519_NAMES and key_alg in _ED25519_NAMES):
        raise CryptographicSecurityError(
            "the JWS alg differs from the key's alg", reason="algorithm"
        )
    try:
        if _is_ed25519(key):
            if alg not in _ED25519_NAMES:
                raise CryptographicSecurityError(
                    "an Ed25519 key signs only EdDSA (also named Ed25519)", reason="algorithm"
                )
            key.verify(jws.signature, jws.signing_input)  # type: ignore[call-arg]
            return
        if alg != "ES256":
            raise CryptographicSecurityError("a P-256 key signs only ES256", reason="algorithm")
        signature = jws.signature
        if len(signature) != 64:
            raise CryptographicSecurityError(
                "an ES256 signature is 64 bytes (R‖S)", reason="signature"
            )
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        key.verify(encode_dss_signature(r, s), jws.signing_input, _ES256)  # type: ignore[call-arg]
    except InvalidSignature as exc:
        raise CryptographicSecurityError(
            "the signature does not verify", reason="signature"
        ) from exc


_ED25519_TYPES: dict[type, bool] = {}
"""Whether each key class is an Ed25519 key: the abstract-class check costs more than a
dictionary lookup, and a verifier meets one or two key classes in its lifetime."""


def _is_ed25519(key: object) -> bool:
    kind = type(key)
    known = _ED25519_TYPES.get(kind)
    if known is None:
        known = isinstance(key, ed25519.Ed25519PublicKey)
        if len(_ED25519_TYPES) < 64:
            _ED25519_TYPES[kind] = known
    return known


def verify_signature(jws: CompactJws, jwk: Mapping[str, Any]) -> None:
    """Raise unless ``jws`` is signed by the public key ``jwk`` describes."""
    verify_with_key(jws, public_key(jwk), key_alg=jwk.get("alg"))
