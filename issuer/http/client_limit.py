"""A rate limit per client address for the back office's public routes.

The public complaint intake and the certified persons' sign-in page take requests from
anyone, without an account; each keeps one token bucket per client address (behind the
proxies ``CERTREG_REGISTRY_TRUSTED_PROXIES`` names, the address they forward), held in
this process. A client past its bucket gets 429 ``rate-limited`` with how long to wait.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from fastapi import Request

from issuer.errors import RateLimited
from issuer.runtime import Clock
from registry import RateLimit
from registry.ratelimit import ClientAddress, RateLimiter

__all__ = ["ClientLimit"]


class ClientLimit:
    """``per_minute`` requests a minute per client address (``burst`` at once); none when
    ``per_minute`` is 0. ``refusal`` is what a client past its limit is told."""

    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        clock: Clock,
        trusted_proxies: Iterable[str],
        refusal: str,
    ) -> None:
        self.limiter = (
            RateLimiter(
                RateLimit(per_minute=per_minute, burst=burst),
                clock=lambda: clock().timestamp(),
            )
            if per_minute
            else None
        )
        self.clients = ClientAddress(trusted_proxies)
        self.refusal = refusal

    def check(self, request: Request) -> None:
        """Take one token from the client's bucket, or refuse with 429."""
        if self.limiter is None:
            return
        wait = self.limiter.acquire(self.clients.of(request.scope))
        if wait > 0:
            raise RateLimited(self.refusal, retry_after=max(1, math.ceil(wait)))
