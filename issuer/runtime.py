"""Where time and randomness come from.

The core never calls ``datetime.now()`` or ``secrets`` itself: services receive a
:data:`Clock` and an :data:`Entropy` so that tests freeze both and every rule stays
deterministic (the Fernet ``encrypt_at_time`` / Boulder ``clock.Clock`` pattern).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "Entropy", "new_id", "system_clock", "system_entropy"]

Clock = Callable[[], datetime]
"""Returns the current instant, timezone-aware, in UTC."""

Entropy = Callable[[int], bytes]
"""Returns ``n`` bytes from a cryptographically secure source."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def system_entropy(n: int) -> bytes:
    return secrets.token_bytes(n)


def new_id(entropy: Entropy) -> str:
    """A random (version 4) UUID built from ``entropy``, as its canonical string."""
    return str(uuid.UUID(bytes=entropy(16), version=4))
