"""Certificate numbers as the issuer makes them: :mod:`schemas.certificate_numbers` defines
the format; randomness comes in as an :data:`~issuer.runtime.Entropy`."""

from __future__ import annotations

from issuer.runtime import Entropy
from schemas.certificate_numbers import RANDOM_BITS, from_random_bytes, is_valid, normalize

__all__ = ["generate", "is_valid", "normalize"]


def generate(entropy: Entropy) -> str:
    return from_random_bytes(entropy(RANDOM_BITS // 8))
