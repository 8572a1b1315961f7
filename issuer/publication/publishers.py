"""Concrete publishers: the registry in the same process, or a registry over HTTP.

Only the composition root (the CLI and the all-in-one app) picks one; the rest of the issuer
sees the :class:`issuer.publication.outbox.Publisher` protocol. A refusal by the registry is a bug
to surface (the document was signed by us), not a reason to retry; unavailability is.

One refusal is not a bug: an audit checkpoint refused because the registry holds one further
along (``checkpoint-goes-back``). The drain publishes a checkpoint only over one its audit log
passes through (:func:`issuer.publication.checkpoints.sign_checkpoint`), so such a refusal
means another drain (a second server, a rebuild) published a later one meanwhile: it is
logged and taken as "the registry had newer", and holds up nothing else.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import httpx

from issuer.publication.outbox import PublisherUnavailable
from registry import CheckpointGoesBack, Registry
from schemas.publication import AUDIT_CHECKPOINT_KEY, DocumentKind, Publication

__all__ = [
    "BackgroundDrain",
    "HttpCheckpoints",
    "HttpPublisher",
    "InProcessPublisher",
    "refresh_interval",
]

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
        try:
            return self._registry.accept(publication)
        except CheckpointGoesBack as exc:
            return _further_along(exc.detail)

    def trusted_kids(self) -> frozenset[str] | None:
        return self._registry.trusted_kids()

    def audit_checkpoint(self) -> str | None:
        document = self._registry.document(DocumentKind.AUDIT_CHECKPOINT, AUDIT_CHECKPOINT_KEY)
        return None if document is None else document.body


class HttpCheckpoints:
    """The audit checkpoint a separately run registry holds: ``GET /audit/checkpoint``,
    public, so reading it needs no intake secret (``certreg audit verify`` has none)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def audit_checkpoint(self) -> str | None:
        try:
            response = self._client.get("/audit/checkpoint")
        except httpx.TransportError as exc:
            raise PublisherUnavailable(str(exc) or type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            # Whatever else it answers, the checkpoint it holds cannot be read from it now.
            raise PublisherUnavailable(f"registry answered {response.status_code}")
        return response.text


class HttpPublisher:
    """``POST /registry/v1/publications`` on a separately run registry."""

    def __init__(self, *, client: httpx.Client, token: str) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}"}
        self._checkpoints = HttpCheckpoints(client)

    def audit_checkpoint(self) -> str | None:
        return self._checkpoints.audit_checkpoint()

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
        if response.status_code == CheckpointGoesBack.status and _problem(response) == _GOES_BACK:
            return _further_along(str(response.json().get("detail", ""))[:500])
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


_GOES_BACK = f"/problems/{CheckpointGoesBack.kind}"


def _problem(response: httpx.Response) -> str | None:
    """The problem ``type`` of a refusal, if it is problem+json."""
    try:
        problem = response.json()
    except ValueError:
        return None
    kind = problem.get("type") if isinstance(problem, dict) else None
    return kind if isinstance(kind, str) else None


def _further_along(detail: str) -> bool:
    log.warning(
        "the registry holds an audit checkpoint further along than the one sent (%s); if no"
        " other server or rebuild publishes to it, run `certreg audit verify`",
        detail,
    )
    return False


class BackgroundDrain:
    """Drains the outbox every ``interval`` seconds on a daemon thread, so a change reaches
    the registry well within a second. While the registry is unavailable it backs off,
    doubling the wait up to ``max_delay``, and returns to ``interval`` after a success.

    With ``refresh`` (:func:`issuer.publication.outbox.enqueue_lapsing_status_lists`), it also
    looks every ``refresh_interval`` seconds for status lists due to be signed again and
    puts them in the outbox before draining: nothing else would renew a list whose bits
    did not change, and verifiers refuse a list past its ``validUntil``. Each of
    ``periodic`` (an enqueuing call and its interval in seconds, such as the audit
    checkpoint's, :func:`issuer.publication.checkpoints.enqueue_checkpoint`) is run the same
    way: at the first tick, then every that many seconds. ``monotonic`` paces them, and is a
    parameter so that tests can move it.
    """

    def __init__(
        self,
        drain: Callable[[], int],
        *,
        interval: float = 0.2,
        max_delay: float = 30.0,
        refresh: Callable[[], int] | None = None,
        refresh_interval: float = 60.0,
        periodic: Sequence[tuple[Callable[[], int], float]] = (),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._drain = drain
        self._interval = interval
        self._max_delay = max_delay
        jobs = [*([(refresh, refresh_interval)] if refresh is not None else []), *periodic]
        self._monotonic = monotonic
        self._jobs = [_Periodic(job, every, monotonic()) for job, every in jobs]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="certreg-publisher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tick(self, delay: float) -> float:
        """One drain attempt (after the periodic enqueuing that is due: the lists due for
        re-signing, the audit checkpoint); returns how long to wait before the next."""
        try:
            for job in self._jobs:
                if self._monotonic() >= job.due:
                    job.run()
                    job.due = self._monotonic() + job.every
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


class _Periodic:
    """One of :class:`BackgroundDrain`'s periodic calls: what, how often, when next."""

    def __init__(self, run: Callable[[], int], every: float, due: float) -> None:
        self.run = run
        self.every = every
        self.due = due
