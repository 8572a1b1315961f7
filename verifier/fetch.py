"""Fetching keys and status lists over HTTP(S), defensively, with a small TTL cache.

A verifier fetches URLs that credentials name, so every fetch is hostile input: HTTPS only
(plain HTTP only for hosts the policy names ``unsafe_http_hosts``), a connect/read timeout,
a response-size cap enforced while streaming (a gigabyte body is never read), and at most a
few redirects, each re-checked against the same rules. Failures are :class:`Unreachable`;
callers turn them into STATUS_RETRIEVAL_ERROR or a key retrieval error, never into "valid".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from verifier.policy import TrustPolicy

__all__ = ["Fetched", "HttpFetcher", "TtlCache", "Unreachable", "cache_seconds"]

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*(no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)
_T = TypeVar("_T")


class Unreachable(Exception):
    """The document could not be fetched within the rules; ``detail`` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched body and how long the server says it may be reused."""

    url: str
    body: bytes
    media_type: str
    max_age: int | None
    as_of: datetime | None = None
    """When the body was obtained, if not just now: an offline bundle's creation time, at
    which its lists must have been within their validity (the bundle's age is judged on
    its own, by ``certreg verify --max-age``)."""


def cache_seconds(cache_control: str | None) -> int | None:
    """``max-age`` from a Cache-Control header; 0 for no-store/no-cache; None when absent."""
    if not cache_control:
        return None
    if _NO_STORE.search(cache_control):
        return 0
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


class HttpFetcher:
    """GET with the verifier's safety rules; one shared :class:`httpx.Client`."""

    def __init__(
        self,
        policy: TrustPolicy,
        *,
        client: httpx.Client | None = None,
        timeout: float = 5.0,
        max_redirects: int = 3,
    ) -> None:
        self._policy = policy
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False
        )
        self._max_redirects = max_redirects

    def close(self) -> None:
        self._client.close()

    def _check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise Unreachable(f"not a URL: {url[:100]}") from exc
        host = parts.hostname or ""
        if not host:
            raise Unreachable(f"no host in {url[:100]}")
        if parts.scheme == "https":
            return
        if parts.scheme == "http" and self._policy.allows_http(host):
            return
        raise Unreachable(f"only https URLs are fetched, not {url[:100]}")

    def get(self, url: str, *, accept: str) -> Fetched:
        """Fetch ``url``; raise :class:`Unreachable` on any failure or rule broken."""
        cap = self._policy.max_document_bytes
        for _ in range(self._max_redirects + 1):
            self._check_url(url)
            try:
                headers = {
                    "Accept": accept,
                    "Accept-Encoding": "identity",
                }  # the cap counts wire bytes
                with self._client.stream("GET", url, headers=headers) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise Unreachable(f"redirect without Location from {url[:100]}")
                        url = urljoin(url, location)
                        continue
                    if response.status_code != 200:
                        raise Unreachable(f"{url[:100]} answered {response.status_code}")
                    declared = response.headers.get("content-length", "")
                    if declared.isascii() and declared.isdigit() and int(declared) > cap:
                        raise Unreachable(f"{url[:100]} is larger than {cap} bytes")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > cap:
                            raise Unreachable(f"{url[:100]} is larger than {cap} bytes")
                    media_type = response.headers.get("content-type", "").split(";")[0].strip()
                    return Fetched(
                        url=url,
                        body=bytes(body),
                        media_type=media_type.lower(),
                        max_age=cache_seconds(response.headers.get("cache-control")),
                    )
            except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, ValueError) as exc:
                # IDNA failures and malformed URLs (from an entry or a redirect) included.
                raise Unreachable(f"{url[:100]!r}: {type(exc).__name__}") from exc
        raise Unreachable(f"more than {self._max_redirects} redirects from {url[:100]}")


class TtlCache(Generic[_T]):
    """Values by key until an expiry instant; time comes from the caller."""

    def __init__(self, max_items: int = 4096) -> None:
        self._items: dict[str, tuple[datetime, _T]] = {}
        self._lock = threading.Lock()
        self._max_items = max_items

    def get(self, key: str, now: datetime) -> _T | None:
        item = self._items.get(key)
        if item is None or item[0] <= now:
            return None
        return item[1]

    def put(self, key: str, value: _T, *, now: datetime, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            if len(self._items) >= self._max_items:
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
                if len(self._items) >= self._max_items:
                    self._items.pop(next(iter(self._items)))
            self._items[key] = (now + timedelta(seconds=seconds), value)

    def get_or_load(self, key: str, now: datetime, load: Callable[[], tuple[_T, float]]) -> _T:
        cached = self.get(key, now)
        if cached is not None:
            return cached
        value, seconds = load()
        self.put(key, value, now=now, seconds=seconds)
        return value
