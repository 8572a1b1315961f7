"""Concrete publishers: the registry in the same process, or a registry over HTTP.

Only the composition root (the CLI and the all-in-one app) picks one; the rest of the issuer
sees the :class:`issuer.publication.outbox.Publisher` protocol. A refusal by the registry is a bug
to surface (the document was signed by us), not a reason to retry; unavailability is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import httpx

from issuer.publication.outbox import PublisherUnavailable
from registry import Registry
from schemas.publication import Publication

__all__ = ["BackgroundDrain", "HttpPublisher", "InProcessPublisher", "refresh_interval"]

log = logging.getLogger("certreg.publication")


def refresh_interval(validity_seconds: int) -> float:
    """How often ``serve`` looks for lists to sign again: an eighth of their validity, from
    one second to one minute, so a list is renewed with well over a third of it left."""
    return max(1.0, min(60.0, validity_seconds / 8))


class InProcessPublisher:
    """The all-in-one mode: hand documents straight to the registry's intake."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def publish(self, publication: Publication) -> bool:
        return self._registry.accept(publication)

    def trusted_kids(self) -> frozenset[str] | None:
        return self._registry.trusted_kids()


class HttpPublisher:
    """``POST /registry/v1/publications`` on a separately run registry."""

    def __init__(self, *, client: httpx.Client, token: str) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}"}

    def publish(self, publication: Publication) -> bool:
        try:
            response = self._client.post(
                "/registry/v1/publications",
                content=publication.model_dump_json(),
                headers={**self._headers, "Content-Type": "application/json"},
            )
        except httpx.TransportError as exc:
            raise PublisherUnavailable(str(exc)) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise PublisherUnavailable(f"registry answered {response.status_code}")
        if response.status_code != 200:
            raise RuntimeError(f"registry refused a publication: {response.text[:500]}")
        stored: bool = response.json()["stored"]
        return stored

    def trusted_kids(self) -> frozenset[str] | None:
        """The kids of the registry's JWKS, which lists exactly the usable keys of the keys
        document it holds (``None`` when it answers 404: it holds none yet). Public, like
        every key it serves; the issuer only picks which of its own keys signs with it."""
        try:
            response = self._client.get("/.well-known/jwks.json")
        except httpx.TransportError as exc:
            raise PublisherUnavailable(str(exc)) from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 500 or response.status_code == 429:
            raise PublisherUnavailable(f"registry answered {response.status_code}")
        try:
            if response.status_code != 200:
                raise ValueError(f"registry answered {response.status_code}")
            return frozenset(str(jwk["kid"]) for jwk in response.json()["keys"])
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"the registry's JWKS is unreadable: {exc}") from exc


class BackgroundDrain:
    """Drains the outbox every ``interval`` seconds on a daemon thread, so a change reaches
    the registry well within a second. While the registry is unavailable it backs off,
    doubling the wait up to ``max_delay``, and returns to ``interval`` after a success.

    With ``refresh`` (:func:`issuer.publication.outbox.enqueue_lapsing_status_lists`), it also
    looks every ``refresh_interval`` seconds for status lists due to be signed again and
    puts them in the outbox before draining: nothing else would renew a list whose bits
    did not change, and verifiers refuse a list past its ``validUntil``. ``monotonic``
    paces that look, and is a parameter so that tests can move it.
    """

    def __init__(
        self,
        drain: Callable[[], int],
        *,
        interval: float = 0.2,
        max_delay: float = 30.0,
        refresh: Callable[[], int] | None = None,
        refresh_interval: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._drain = drain
        self._interval = interval
        self._max_delay = max_delay
        self._refresh = refresh
        self._refresh_interval = refresh_interval
        self._monotonic = monotonic
        self._next_refresh = monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="certreg-publisher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tick(self, delay: float) -> float:
        """One drain attempt (after enqueuing the lists due for re-signing, when it is time
        to look); returns how long to wait before the next."""
        try:
            if self._refresh is not None and self._monotonic() >= self._next_refresh:
                self._refresh()
                self._next_refresh = self._monotonic() + self._refresh_interval
            self._drain()
        except PublisherUnavailable as exc:
            delay = min(max(delay, self._interval) * 2, self._max_delay)
            log.warning("registry unavailable, retrying in %.1f s: %s", delay, exc)
            return delay
        except Exception:
            log.exception("publication failed; retrying in %.1f s", self._max_delay)
            return self._max_delay
        return self._interval

    def _run(self) -> None:
        delay = self._interval
        while not self._stop.is_set():
            delay = self.tick(delay)
            self._stop.wait(delay)
