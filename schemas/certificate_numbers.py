"""Certificate numbers (clause 9.4): unique, unguessable, easy to read aloud and retype.

The format is part of the contract: the issuer makes numbers, the registry and verifiers
read them back as people type them, so all share this one module.

A number is 80 random bits written as 16 Crockford base32 symbols in four groups, followed by
one check symbol, e.g. ``7K3M-9QXD-2HFW-8T4B-E``. Crockford's alphabet has no I, L, O or U,
and readers map the look-alikes back, so a number read over the phone or from a scanned page
survives.

The check symbol is a Damm-style check over GF(32): reading symbols as field elements, the
running value is ``v ← α·v + s`` with α = x (a generator, α ≠ 0, 1) and the check symbol makes
the final value zero. Since α ≠ 1, the quasigroup ``v ∘ s = α·v + s`` is totally
anti-symmetric, so *every* single wrong symbol and *every* swap of two adjacent different
symbols is caught before a lookup is even made (Luhn mod 32 misses some swaps).
"""

from __future__ import annotations

import base64

__all__ = ["ALPHABET", "RANDOM_BITS", "from_random_bytes", "is_valid", "normalize"]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_BITS = 80
_SYMBOLS = RANDOM_BITS // 5
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


_MODULUS = 0b100101  # x^5 + x^2 + 1, irreducible over GF(2)


def _times_alpha(value: int) -> int:
    value <<= 1
    return value ^ _MODULUS if value & 0b100000 else value


_ALPHA = tuple(_times_alpha(v) for v in range(32))
"""α·v for every v: bulk issuance makes thousands of numbers a second."""

_FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)
"""RFC 4648 base32 symbols to Crockford's: both write value i as the i-th symbol."""


def _check_symbol(payload: str) -> str:
    """The symbol ``c`` with ``α·v + c = 0`` (addition in GF(32) is XOR, so ``c = α·v``)."""
    value = 0
    alpha, values = _ALPHA, _VALUE
    for char in payload:
        value = alpha[value] ^ values[char]
    return ALPHABET[alpha[value]]


def _group(symbols: str) -> str:
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


def from_random_bytes(data: bytes) -> str:
    """The number written from ``RANDOM_BITS // 8`` random bytes (the issuer draws them)."""
    if len(data) != RANDOM_BITS // 8:
        raise ValueError(f"a certificate number is made from {RANDOM_BITS // 8} random bytes")
    # 80 bits are exactly 16 base32 symbols: no padding, the same bits in the same order.
    payload = base64.b32encode(data).decode("ascii").translate(_FROM_RFC4648)
    return f"{_group(payload)}-{_check_symbol(payload)}"


def normalize(text: str) -> str | None:
    """The canonical form of a number as typed by a person, or ``None`` if it is not one.

    Case, spaces and hyphens are free; I and L read as 1, O as 0; the check symbol must match.
    """
    if len(text) > 64:
        return None
    compact = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(compact) != _SYMBOLS + 1 or any(c not in _VALUE for c in compact):
        return None
    payload, check = compact[:-1], compact[-1]
    if _check_symbol(payload) != check:
        return None
    return f"{_group(payload)}-{check}"


def is_valid(text: str) -> bool:
    return normalize(text) is not None
