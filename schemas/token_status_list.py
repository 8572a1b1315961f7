"""IETF OAuth Token Status List codec (draft-ietf-oauth-status-list-20): the ``StatusList``.

Pure functions over ``bytes``/``bytearray``. The draft's conventions are the opposite of the
W3C Bitstring Status List's on most points (see ``schemas.bitstring_status_list``):

* every Referenced Token owns ``bits`` ∈ {1, 2, 4, 8} bits, packed LSB-first: ``idx`` 0 sits in
  the least significant bits of byte 0, so an entry never straddles two bytes (§4);
* the byte array is compressed with DEFLATE in the ZLIB format (RFC 1950/1951) and ``lst`` is
  its base64url encoding without padding and without a multibase prefix; the CBOR form
  carries the compressed bytes as they are (§4), hence the separate bytes-level functions;
* the draft sets no minimum size; herd privacy is the issuer's concern (privacy considerations).

Status values are VALID, INVALID and SUSPENDED (§7.1); SUSPENDED needs ``bits`` ≥ 2.
Decoding inflates incrementally and refuses anything beyond a caller-given ``max_bytes``.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Mapping

__all__ = [
    "ALLOWED_BITS",
    "COMPRESSION_LEVEL",
    "DEFAULT_MAX_BYTES",
    "INVALID",
    "SUSPENDED",
    "VALID",
    "TokenStatusListDecodeError",
    "TokenStatusListError",
    "TokenStatusListIndexError",
    "TokenStatusListTooLargeError",
    "TokenStatusListValueError",
    "compress_lst",
    "decode_lst",
    "decode_status_list",
    "decompress_lst",
    "encode_lst",
    "encode_status_list",
    "entry_count",
    "get_status",
    "new_status_list",
    "set_status",
]

VALID = 0x00
"""The Referenced Token is valid, correct or legal (§7.1)."""
INVALID = 0x01
"""Revoked, annulled, taken back or otherwise invalidated; permanent (§7.1)."""
SUSPENDED = 0x02
"""Temporarily invalid; may return to VALID (§7.1)."""

ALLOWED_BITS = frozenset({1, 2, 4, 8})
"""The only values ``bits`` may take (§4)."""

COMPRESSION_LEVEL = 6
"""ZLIB level used when encoding (the draft recommends the highest; 9 reproduces its examples)."""

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
"""Default cap on the inflated byte array: 16 Mi entries at 8 bits, 2^27 at 1 bit."""

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class TokenStatusListError(ValueError):
    """Base of every error this codec raises."""


class TokenStatusListDecodeError(TokenStatusListError):
    """``lst`` (or the ``StatusList`` object around it) is not base64url(ZLIB(byte array))."""


class TokenStatusListTooLargeError(TokenStatusListDecodeError):
    """The byte array inflates beyond the caller's ``max_bytes`` (a likely zip bomb)."""


class TokenStatusListIndexError(TokenStatusListError, IndexError):
    """``idx`` is outside the list; the draft says such a token MUST be rejected (§8.3)."""


class TokenStatusListValueError(TokenStatusListError):
    """``bits`` is not 1, 2, 4 or 8, or a status value does not fit in ``bits``."""


def _check_bits(bits: int) -> None:
    if isinstance(bits, bool) or bits not in ALLOWED_BITS:
        raise TokenStatusListValueError(f"bits must be one of 1, 2, 4, 8, got {bits!r}")


def entry_count(lst: bytes | bytearray, bits: int) -> int:
    """How many Referenced Tokens a byte array of ``bits`` per entry can describe."""
    _check_bits(bits)
    return len(lst) * 8 // bits


def new_status_list(entries: int, bits: int) -> bytearray:
    """An all-VALID byte array for ``entries`` tokens, rounded up to whole bytes.

    VALID (0) everywhere: the draft recommends initialising with the most common value so
    unused slots are indistinguishable from used, valid ones.
    """
    _check_bits(bits)
    if entries < 0:
        raise TokenStatusListValueError(f"entries must not be negative, got {entries}")
    return bytearray(-(-entries * bits // 8))


def _locate(length: int, idx: int, bits: int) -> tuple[int, int]:
    _check_bits(bits)
    if idx < 0 or idx >= length * 8 // bits:
        raise TokenStatusListIndexError(
            f"idx {idx} is outside a list of {length * 8 // bits} entries"
        )
    position = idx * bits
    return position >> 3, position & 7


def get_status(lst: bytes | bytearray, idx: int, bits: int) -> int:
    """The status of the token at ``idx`` (LSB-first), in O(1); never wraps."""
    byte, shift = _locate(len(lst), idx, bits)
    return (lst[byte] >> shift) & ((1 << bits) - 1)


def set_status(lst: bytearray, idx: int, value: int, bits: int) -> None:
    """Write ``value`` at ``idx`` in place, touching no other token's bits."""
    byte, shift = _locate(len(lst), idx, bits)
    if not 0 <= value < 1 << bits:
        raise TokenStatusListValueError(f"status {value} does not fit in {bits} bits")
    mask = ((1 << bits) - 1) << shift
    lst[byte] = (lst[byte] & ~mask) | (value << shift)


def compress_lst(lst: bytes | bytearray, *, level: int = COMPRESSION_LEVEL) -> bytes:
    """DEFLATE in the ZLIB format: the CBOR ``lst`` byte string, before base64url for JSON."""
    return zlib.compress(bytes(lst), level)


def decompress_lst(compressed: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Inflate a ZLIB stream to the byte array, at most ``max_bytes`` bytes of it.

    Raises ``TokenStatusListDecodeError`` (or ``TokenStatusListTooLargeError``) and nothing
    else for any malformed input. Trailing bytes after the ZLIB stream are refused.
    """
    if max_bytes < 0:
        raise TokenStatusListValueError(f"max_bytes must not be negative, got {max_bytes}")
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS)
    try:
        lst = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise TokenStatusListDecodeError(f"lst is not valid ZLIB: {exc}") from exc
    if len(lst) > max_bytes:
        raise TokenStatusListTooLargeError(f"status list inflates beyond {max_bytes} bytes")
    if not inflater.eof:
        raise TokenStatusListDecodeError("lst ZLIB stream is truncated")
    if inflater.unused_data:
        raise TokenStatusListDecodeError("lst has data after the ZLIB stream")
    return lst


def encode_lst(lst: bytes | bytearray, *, level: int = COMPRESSION_LEVEL) -> str:
    """The JSON ``lst``: base64url without padding of the ZLIB-compressed byte array."""
    return base64.urlsafe_b64encode(compress_lst(lst, level=level)).rstrip(b"=").decode("ascii")


def decode_lst(lst: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The byte array inside a JSON ``lst``; padding and the standard alphabet are refused."""
    if not _BASE64URL.fullmatch(lst) or len(lst) % 4 == 1:
        raise TokenStatusListDecodeError("lst is not base64url without padding")
    compressed = base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4))
    return decompress_lst(compressed, max_bytes=max_bytes)


def encode_status_list(
    lst: bytes | bytearray, bits: int, *, level: int = COMPRESSION_LEVEL
) -> dict[str, int | str]:
    """The JSON ``StatusList`` object ``{"bits": …, "lst": …}`` for a Status List Token."""
    _check_bits(bits)
    return {"bits": bits, "lst": encode_lst(lst, level=level)}


def decode_status_list(
    status_list: Mapping[str, object], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[int, bytes]:
    """``(bits, byte array)`` from a JSON ``StatusList`` object, checking its shape.

    Takes the parsed ``status_list`` claim as it arrives, so every field is checked here:
    ``bits`` an integer in {1, 2, 4, 8}, ``lst`` a string. ``aggregation_uri`` is ignored.
    """
    bits = status_list.get("bits")
    lst = status_list.get("lst")
    if not isinstance(bits, int) or isinstance(bits, bool) or bits not in ALLOWED_BITS:
        raise TokenStatusListDecodeError(f"StatusList bits must be 1, 2, 4 or 8, got {bits!r}")
    if not isinstance(lst, str):
        raise TokenStatusListDecodeError("StatusList lst must be a string")
    return bits, decode_lst(lst, max_bytes=max_bytes)
