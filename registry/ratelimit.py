"""Per-client rate limits for the public registry: token buckets, in memory, one per client.

The register lookup answers only to someone who knows both a certificate number and a family
name, and the directory answers only a name search; a client asking thousands of times a
minute is guessing, so those routes share a strict bucket. Scheme pages get a generous one.
Status lists and the issuer keys are not limited at all: every verifier needs them to
answer, a refused status list would turn a valid credential into "cannot confirm", and they
are cacheable (``Cache-Control``, ``ETag``) and cost one primary-key read — a flood of them
is for the cache or proxy in front to absorb. The intake is authenticated and not limited.

The client is the peer address of the connection (the ASGI scope's ``client``). Behind a
reverse proxy every request comes from the proxy, so ``X-Forwarded-For`` is read — but only
when the peer is one of the configured trusted proxies, since anyone can send the header.
IPv6 clients are counted per ``/64``: one host usually holds a whole ``/64``.

Buckets live in this process only: with several workers or replicas each has its own, so
the effective limit is the configured one times their number. Time comes from a clock
callable (seconds, monotonic), so tests are exact.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from registry.errors import RateLimited

__all__ = [
    "DEFAULT_LOOKUP_LIMIT",
    "DEFAULT_PAGE_LIMIT",
    "ClientAddress",
    "RateLimit",
    "RateLimiter",
    "Throttle",
]

Clock = Callable[[], float]
"""Seconds on a monotonic scale."""

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``per_minute`` requests a minute on average, at most ``burst`` at once."""

    per_minute: float
    burst: int

    def __post_init__(self) -> None:
        if not (self.per_minute > 0 and math.isfinite(self.per_minute)) or self.burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")

    @property
    def per_second(self) -> float:
        return self.per_minute / 60


DEFAULT_LOOKUP_LIMIT = RateLimit(per_minute=30, burst=10)
"""Register lookups and directory searches: a person checking a few certificates by hand."""
DEFAULT_PAGE_LIMIT = RateLimit(per_minute=300, burst=60)
"""Scheme pages: browsing, with room for a whole office behind one address."""


class RateLimiter:
    """Token buckets by client key; thread-safe; bounded to ``max_clients`` buckets.

    When more clients than that are tracked, the least recently seen bucket is forgotten
    (that client starts again with a full burst): memory stays bounded however many
    addresses a flood comes from.
    """

    def __init__(self, limit: RateLimit, *, clock: Clock, max_clients: int = 100_000) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        self.limit = limit
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Take one token for ``client``: ``0.0`` if allowed, else the seconds to wait."""
        rate, burst = self.limit.per_second, float(self.limit.burst)
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get(client, (burst, now))
            tokens = min(burst, tokens + max(0.0, now - updated) * rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            self._buckets.move_to_end(client)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
        return 0.0 if allowed else (1.0 - tokens) / rate

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)


def _address(text: str) -> IpAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _hop_address(text: str) -> IpAddress | None:
    """An ``X-Forwarded-For`` hop, with the port some proxies append (``1.2.3.4:5678``,
    ``[2001:db8::1]:443``) dropped: a port must not end the walk at the proxy, or every
    client behind it would share one bucket."""
    hop = text.strip()
    if hop.startswith("["):
        hop = hop[1:].split("]", 1)[0]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    return _address(hop)


def _key(address: IpAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ClientAddress:
    """Names the client of a request from its ASGI scope, for the rate limiter."""

    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self.trusted: tuple[IpNetwork, ...] = tuple(
            ipaddress.ip_network(p.strip(), strict=False) for p in trusted_proxies
        )

    def _is_trusted(self, address: IpAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.trusted)

    def of(self, scope: Mapping[str, Any]) -> str:
        """The client key: the peer, or — from a trusted proxy — the forwarded client.

        ``X-Forwarded-For`` is walked from the right (the hop nearest to us) past trusted
        proxies; the first address that is not one is the client. A malformed hop ends the
        walk at the last trusted proxy, so a forged value never picks someone else's bucket.
        """
        peer = scope.get("client")
        host = peer[0] if isinstance(peer, list | tuple) and peer else None
        address = _address(host) if isinstance(host, str) else None
        if address is None:
            return f"peer:{str(host)[:64]}"
        if not self.trusted or not self._is_trusted(address):
            return _key(address)
        hops: list[str] = []
        for name, value in scope.get("headers") or ():
            if name.lower() == b"x-forwarded-for":
                hops += value.decode("latin-1").split(",")
        for hop in reversed(hops[-64:]):
            forwarded = _hop_address(hop)
            if forwarded is None:
                break
            address = forwarded
            if not self._is_trusted(address):
                break
        return _key(address)


class Throttle:
    """A FastAPI dependency: one token per request from the client's bucket, or 429.

    ``limit=None`` lets everything through (a deployment that limits in its proxy).
    """

    def __init__(self, limit: RateLimit | None, clients: ClientAddress, *, clock: Clock) -> None:
        self.limiter = None if limit is None else RateLimiter(limit, clock=clock)
        self.clients = clients

    async def __call__(self, request: Request) -> None:
        # async: a few microseconds of work, run on the event loop rather than handed to
        # the threadpool (a thread handoff per request would cost more than the check).
        self.check(request.scope)

    def check(self, scope: Mapping[str, Any]) -> None:
        """Take a token for the client of the request ``scope``, or raise RateLimited."""
        if self.limiter is None:
            return
        wait = self.limiter.acquire(self.clients.of(scope))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise RateLimited(
                f"too many requests; try again in {retry_after} s", retry_after=retry_after
            )
