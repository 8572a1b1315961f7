"""Bearer tokens for the back office and regulators.

A token is 256 random bits, shown once and stored only as its SHA-256 digest: with that much
entropy a fast digest is enough (no password-style stretching is needed), and a stolen
database holds nothing that authenticates.
"""

from __future__ import annotations

import base64
import hashlib

from issuer.runtime import Entropy

__all__ = ["PREFIX", "digest", "generate", "looks_like_token"]

PREFIX = "crt_"
_SECRET_BYTES = 32
_ENCODED_LEN = len(PREFIX) + 43


def generate(entropy: Entropy) -> str:
    secret = base64.urlsafe_b64encode(entropy(_SECRET_BYTES)).rstrip(b"=").decode()
    return PREFIX + secret


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Cheap shape check so that garbage never reaches the store."""
    return (
        len(text) == _ENCODED_LEN
        and text.startswith(PREFIX)
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in text[len(PREFIX) :])
    )
