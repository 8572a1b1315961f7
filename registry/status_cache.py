"""Status lists as ready-to-send bytes, so the busiest route of the registry does no work.

Every verifier of every credential fetches the credential's status lists; a body with a
million certifications serves the same few lists thousands of times a second. What a list's
response needs — the signed bytes, their strong ETag, the ``max-age`` its ``ttl`` allows — is
kept per list in each process, and served without a database read or a JWS parse.

A cached list is served for :data:`RECHECK_SECONDS` after its last check: past that, the next
request asks the store for the list's ETag alone (a primary-key read) and keeps the bytes if
it is unchanged, or reloads them, while requests arriving during that read still get the
bytes held. A suspension therefore reaches every worker within that time of
being stored by another process, well inside the one second that the status-change target
allows, and no invalidation message has to travel between processes; a list stored through
this process's own :class:`~registry.intake.Registry` leaves the cache at once. Lists that
do not exist are not cached (each such request reads the store, as any unknown key does).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from registry import jws
from registry.intake import Registry
from registry.store import Document
from schemas.publication import DocumentKind

__all__ = [
    "DEFAULT_STATUS_MAX_AGE",
    "MAX_STATUS_MAX_AGE",
    "RECHECK_SECONDS",
    "ServedList",
    "StatusListCache",
    "status_max_age",
]

RECHECK_SECONDS = 0.1
"""How long a cached list is served before its ETag is compared with the store's."""

DEFAULT_STATUS_MAX_AGE = 300
"""``max-age`` of a list without a usable ``ttl`` (seconds)."""

MAX_STATUS_MAX_AGE = 86_400

CHECK_SECONDS = 1.0
"""How long requests keep getting the held bytes while one check of a list is in flight;
a check taking longer than this (a stalled store) lets the next request check again."""

CACHE_BYTES = 64 * 1024 * 1024
"""The most list bytes a process keeps; the lists checked least recently leave first."""


def status_max_age(payload: dict[str, object]) -> int:
    """Seconds a status list may be cached: its ``ttl`` (milliseconds), else 300."""
    subject = payload.get("credentialSubject")
    ttl = subject.get("ttl") if isinstance(subject, dict) else None
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0:
        return DEFAULT_STATUS_MAX_AGE
    return min(ttl // 1000, MAX_STATUS_MAX_AGE)


@dataclass(frozen=True, slots=True)
class ServedList:
    """One status list's response: body, media type, strong ETag and ``Cache-Control``."""

    body: bytes
    media_type: str
    etag: str
    cache_control: str


def _served(document: Document) -> ServedList:
    max_age = status_max_age(jws.parse_compact(document.body).payload)
    return ServedList(
        body=document.body.encode("utf-8"),
        media_type=document.media_type,
        etag=document.etag,
        cache_control=f"public, max-age={max_age}",
    )


class StatusListCache:
    """Per-process cache of served status lists (see the module doc); thread-safe."""

    def __init__(
        self,
        registry: Registry,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        max_bytes: int = CACHE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._recheck = recheck_seconds
        self._max_bytes = max_bytes
        self._clock = clock
        self._lists: OrderedDict[str, tuple[ServedList, float]] = OrderedDict()
        self._checking: dict[str, float] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        registry.on_stored(self._stored)

    def _stored(self, kind: DocumentKind, key: str) -> None:
        if kind is DocumentKind.STATUS_LIST:
            self._drop(key)

    def fresh(self, list_id: str) -> ServedList | None:
        """The cached list if it was checked within the recheck time; no I/O.

        Past that time the first caller gets ``None`` and makes the check (:meth:`load`);
        callers arriving while that check is in flight (under :data:`CHECK_SECONDS`) still
        get the held bytes, so a busy list costs one store read per recheck time and
        process, not one per request that arrives during the read.
        """
        held = self._lists.get(list_id)
        if held is None:
            return None
        now = self._clock()
        if now - held[1] <= self._recheck:
            return held[0]
        with self._lock:
            started = self._checking.get(list_id)
            if started is not None and now - started <= CHECK_SECONDS:
                return held[0]
            self._checking[list_id] = now
        return None

    def load(self, list_id: str) -> ServedList | None:
        """The list as stored now (``None`` if there is none), through the cache: a
        blocking store read, at most of the ETag when the cached bytes are still current."""
        try:
            return self._load(list_id)
        finally:
            with self._lock:
                self._checking.pop(list_id, None)

    def _load(self, list_id: str) -> ServedList | None:
        checked = self._clock()
        held = self._lists.get(list_id)
        if held is not None:
            etag = self._registry.store.etag(DocumentKind.STATUS_LIST.value, list_id)
            if etag == held[0].etag:
                self._keep(list_id, held[0], checked)
                return held[0]
        document = self._registry.document(DocumentKind.STATUS_LIST, list_id)
        if document is None:
            self._drop(list_id)
            return None
        served = _served(document)
        self._keep(list_id, served, checked)
        return served

    def _keep(self, list_id: str, served: ServedList, checked: float) -> None:
        size = len(served.body)
        if size > self._max_bytes:
            return
        with self._lock:
            previous = self._lists.pop(list_id, None)
            if previous is not None:
                self._bytes -= len(previous[0].body)
            while self._lists and self._bytes + size > self._max_bytes:
                _, (evicted, _) = self._lists.popitem(last=False)
                self._bytes -= len(evicted.body)
            self._lists[list_id] = (served, checked)
            self._bytes += size

    def _drop(self, list_id: str) -> None:
        with self._lock:
            previous = self._lists.pop(list_id, None)
            if previous is not None:
                self._bytes -= len(previous[0].body)
