"""Certificate numbers (clause 9.4): unique, unguessable, easy to read aloud and retype.

A number is 80 random bits written as 16 Crockford base32 symbols in four groups, followed by
one check symbol computed with the Luhn mod 32 algorithm, e.g. ``7K3M-9QXD-2HFW-8T4B-Y``.
Crockford's alphabet has no I, L, O or U, and readers map the look-alikes back, so a number
read over the phone or from a scanned page survives. The check symbol catches every single
wrong symbol and every swap of two adjacent symbols before a lookup is even made.
"""

from __future__ import annotations

from issuer.runtime import Entropy

__all__ = ["RANDOM_BITS", "generate", "is_valid", "normalize"]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_BITS = 80
_SYMBOLS = RANDOM_BITS // 5
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _check_symbol(payload: str) -> str:
    """Luhn mod N (N = 32) over ``payload``; the result is one more alphabet symbol."""
    n = len(ALPHABET)
    factor = 2
    total = 0
    for char in reversed(payload):
        addend = factor * _VALUE[char]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def _group(symbols: str) -> str:
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


def generate(entropy: Entropy) -> str:
    value = int.from_bytes(entropy(RANDOM_BITS // 8), "big")
    payload = "".join(ALPHABET[(value >> (5 * (_SYMBOLS - 1 - i))) & 31] for i in range(_SYMBOLS))
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
