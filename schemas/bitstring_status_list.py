"""W3C Bitstring Status List v1.0 codec: the ``encodedList`` of a ``BitstringStatusList``.

Pure functions over ``bytes``/``bytearray``, so the issuer can flip one credential's status in
O(1) and the verifier can read one without building anything. The conventions are the
Recommendation's (15 May 2025), which are the opposite of the IETF Token Status List's in
almost every respect (see ``schemas.token_status_list``):

* bit order is MSB-first: ``statusListIndex`` 0 is the left-most, most significant bit of
  byte 0 (§3.3);
* an entry of ``statusSize`` bits starts at bit position ``statusListIndex × statusSize`` and
  is read left to right, its first bit being the most significant of the value (§2.1, §3.2);
* ``encodedList`` is GZIP (RFC 1952), then base64url without padding, behind the multibase
  prefix ``u`` (§3.3, §3.4);
* a list holds at least ``minimumNumberOfEntries`` = 131,072 entries (16 KB at one bit) so
  that one credential hides in a crowd (herd privacy, §6).

Decoding is hostile-input safe: a few kilobytes of GZIP can inflate to gigabytes, so it is
inflated incrementally and refused beyond a caller-given size (``max_bytes``).
"""

from __future__ import annotations

import base64
import gzip
import re
import zlib
from collections.abc import Iterable
from typing import ClassVar

__all__ = [
    "COMPRESSION_LEVEL",
    "DEFAULT_MAX_BYTES",
    "MIN_ENTRIES",
    "MULTIBASE_PREFIX",
    "StatusListDecodeError",
    "StatusListError",
    "StatusListIndexError",
    "StatusListLengthError",
    "StatusListTooLargeError",
    "StatusListValueError",
    "decode_list",
    "encode_list",
    "entry_count",
    "get_status",
    "new_bitstring",
    "parse_status_list_index",
    "require_minimum_entries",
    "set_status",
    "set_statuses",
]

MIN_ENTRIES = 131_072
"""``minimumNumberOfEntries``: 16 KB of one-bit entries (§3.2 validation, §3.3 generation)."""

MULTIBASE_PREFIX = "u"
"""Multibase code for base64url without padding; ``encodedList`` must start with it."""

COMPRESSION_LEVEL = 6
"""GZIP level used when encoding (on CPython 3.11 with zlib 1.2 it reproduces Example 3 exactly)."""

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
"""Default cap on the inflated bitstring: 128 Mi one-bit entries, far above any real list."""

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_DIGITS = re.compile(r"[0-9]+")
_MAX_INDEX_DIGITS = 30


class StatusListError(ValueError):
    """Base of every error this codec raises; ``code`` names the spec's error (§3.5, VCDM §7.2)."""

    code: ClassVar[str] = "MALFORMED_VALUE_ERROR"


class StatusListDecodeError(StatusListError):
    """``encodedList`` is not ``u`` + base64url(GZIP(bitstring)): missing prefix, bad
    base64url, corrupt or truncated GZIP, or data after the GZIP member."""


class StatusListTooLargeError(StatusListDecodeError):
    """The bitstring inflates beyond the caller's ``max_bytes`` (a likely gzip bomb)."""


class StatusListIndexError(StatusListError, IndexError):
    """``statusListIndex`` falls outside the bitstring; indexes are never wrapped (§3.2)."""

    code: ClassVar[str] = "RANGE_ERROR"


class StatusListValueError(StatusListError):
    """A ``statusSize``, status value or ``statusListIndex`` string breaks the spec's rules."""


class StatusListLengthError(StatusListError):
    """The list is shorter than ``minimumNumberOfEntries`` entries (herd privacy, §3.2)."""

    code: ClassVar[str] = "STATUS_LIST_LENGTH_ERROR"


def _check_status_size(status_size: int) -> None:
    if status_size < 1:
        raise StatusListValueError(f"statusSize must be a positive integer, got {status_size}")


def entry_count(bitstring: bytes | bytearray, status_size: int = 1) -> int:
    """How many whole entries of ``statusSize`` bits the bitstring holds (trailing bits spare)."""
    _check_status_size(status_size)
    return len(bitstring) * 8 // status_size


def new_bitstring(
    entries: int = MIN_ENTRIES, *, status_size: int = 1, min_entries: int = MIN_ENTRIES
) -> bytearray:
    """An all-zero bitstring for ``entries`` entries, rounded up to whole bytes.

    All zero because 0 means "unset" for every ``statusPurpose``. Fewer than ``min_entries``
    is refused: the spec wants 131,072 unless an ecosystem sets a lower bound, which a caller
    states by lowering ``min_entries``.
    """
    _check_status_size(status_size)
    if entries < 0:
        raise StatusListValueError(f"entries must not be negative, got {entries}")
    if entries < min_entries:
        raise StatusListLengthError(f"{entries} entries is below the minimum of {min_entries}")
    return bytearray(-(-entries * status_size // 8))


def require_minimum_entries(
    bitstring: bytes | bytearray, status_size: int = 1, minimum: int = MIN_ENTRIES
) -> int:
    """Return the entry count, or raise ``STATUS_LIST_LENGTH_ERROR`` as §3.2 validation demands.

    The check is in entries (bits ÷ ``statusSize``), so a two-bit list needs 32 KB.
    """
    count = entry_count(bitstring, status_size)
    if count < minimum:
        raise StatusListLengthError(f"list has {count} entries, the minimum is {minimum}")
    return count


def _position(length: int, status_list_index: int, status_size: int) -> int:
    _check_status_size(status_size)
    if status_list_index < 0 or (status_list_index + 1) * status_size > length * 8:
        raise StatusListIndexError(
            f"statusListIndex {status_list_index} is outside a list of "
            f"{length * 8 // status_size} entries"
        )
    return status_list_index * status_size


def get_status(bitstring: bytes | bytearray, status_list_index: int, status_size: int = 1) -> int:
    """The status value at ``statusListIndex`` (MSB-first); O(``statusSize``), never wraps."""
    position = _position(len(bitstring), status_list_index, status_size)
    if status_size == 1:
        return (bitstring[position >> 3] >> (7 - (position & 7))) & 1
    end = position + status_size
    chunk = int.from_bytes(bitstring[position >> 3 : ((end - 1) >> 3) + 1], "big")
    return (chunk >> (-end % 8)) & ((1 << status_size) - 1)


def set_status(
    bitstring: bytearray, status_list_index: int, value: int, status_size: int = 1
) -> None:
    """Write ``value`` at ``statusListIndex`` in place, touching no other entry's bits."""
    position = _position(len(bitstring), status_list_index, status_size)
    if not 0 <= value < 1 << status_size:
        raise StatusListValueError(f"status {value} does not fit in statusSize {status_size}")
    if status_size == 1:
        mask = 0x80 >> (position & 7)
        byte = position >> 3
        bitstring[byte] = bitstring[byte] | mask if value else bitstring[byte] & ~mask
        return
    end = position + status_size
    first, last = position >> 3, (end - 1) >> 3
    shift = -end % 8
    chunk = int.from_bytes(bitstring[first : last + 1], "big")
    chunk = (chunk & ~(((1 << status_size) - 1) << shift)) | (value << shift)
    bitstring[first : last + 1] = chunk.to_bytes(last - first + 1, "big")


def set_statuses(
    bitstring: bytearray, statuses: Iterable[tuple[int, int]], status_size: int = 1
) -> None:
    """:func:`set_status` for many ``(statusListIndex, value)`` pairs, in order.

    Rebuilding a list writes every set entry of it: for one-bit entries this is one pass
    over the pairs with the checks inline, not a call per entry. An index or value that
    does not fit raises as :func:`set_status` does, with the entries before it written.
    """
    if status_size != 1:
        for index, value in statuses:
            set_status(bitstring, index, value, status_size)
        return
    length = len(bitstring) * 8
    for index, value in statuses:
        if not 0 <= index < length:
            _position(len(bitstring), index, 1)  # raises the index error
        if value == 1:
            bitstring[index >> 3] |= 0x80 >> (index & 7)
        elif value == 0:
            bitstring[index >> 3] &= ~(0x80 >> (index & 7))
        else:
            raise StatusListValueError(f"status {value} does not fit in statusSize 1")


def encode_list(bitstring: bytes | bytearray, *, level: int = COMPRESSION_LEVEL) -> str:
    """``encodedList`` for a bitstring: ``u`` + base64url-no-padding(GZIP(bitstring)).

    ``mtime=0`` keeps the output reproducible, so an unchanged list re-encodes to the same
    string (stable ETags, no timestamp leaking when the list was built).
    """
    compressed = gzip.compress(bytes(bitstring), compresslevel=level, mtime=0)
    return MULTIBASE_PREFIX + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_list(encoded_list: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bitstring inside ``encodedList``, inflating at most ``max_bytes`` bytes.

    Raises ``StatusListDecodeError`` (or ``StatusListTooLargeError``) and nothing else for
    any malformed string. One GZIP member is expected; trailing bytes are refused.
    """
    if max_bytes < 0:
        raise StatusListValueError(f"max_bytes must not be negative, got {max_bytes}")
    if not encoded_list.startswith(MULTIBASE_PREFIX):
        raise StatusListDecodeError("encodedList must start with the multibase prefix 'u'")
    text = encoded_list[1:]
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise StatusListDecodeError("encodedList is not base64url without padding")
    compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        bitstring = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise StatusListDecodeError(f"encodedList is not valid GZIP: {exc}") from exc
    if len(bitstring) > max_bytes:
        raise StatusListTooLargeError(f"bitstring inflates beyond {max_bytes} bytes")
    if not inflater.eof:
        raise StatusListDecodeError("encodedList GZIP stream is truncated")
    if inflater.unused_data:
        raise StatusListDecodeError("encodedList has data after the GZIP member")
    return bitstring


def parse_status_list_index(status_list_index: str) -> int:
    """``statusListIndex`` as an int; the spec makes it a string of base-10 digits (§2.1).

    Only ASCII digits are taken: ``int()`` alone would also accept signs, spaces, underscores
    and non-ASCII digits. Absurdly long digit strings are out of range for any list.
    """
    if not _DIGITS.fullmatch(status_list_index):
        raise StatusListValueError("statusListIndex must be a string of base-10 digits")
    significant = status_list_index.lstrip("0")
    if len(significant) > _MAX_INDEX_DIGITS:
        raise StatusListIndexError("statusListIndex is beyond any possible list")
    return int(significant or "0")
