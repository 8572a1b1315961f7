"""Status lists served from cached bytes: never older than the recheck time, on every engine."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from registry import Registry, create_registry_app
from registry.status_cache import CHECK_SECONDS, StatusListCache, status_max_age
from schemas.publication import DocumentKind
from tests.registry.conftest import TestIssuer, status_list_payload


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore:
    """Counts the store reads a cache makes (wraps the real store's two read methods)."""

    def __init__(self, registry: Registry) -> None:
        self.gets = 0
        self.etags = 0
        store = registry.store
        real_get, real_etag = store.get, store.etag

        def get(kind: str, key: str) -> Any:
            self.gets += 1
            return real_get(kind, key)

        def etag(kind: str, key: str) -> Any:
            self.etags += 1
            return real_etag(kind, key)

        store.get = get  # type: ignore[method-assign]
        store.etag = etag  # type: ignore[method-assign]


def _publish(registry: Registry, issuer: TestIssuer, version: int, ttl_ms: int) -> str:
    publication = issuer.publication(
        DocumentKind.STATUS_LIST, "r1", status_list_payload("r1", ttl_ms=ttl_ms), version=version
    )
    assert registry.accept(publication)
    return publication.body


def test_fresh_bytes_are_served_without_reading_the_store(
    registry: Registry, published: TestIssuer
) -> None:
    body = _publish(registry, published, 1, 60_000)
    clock = Clock()
    cache = StatusListCache(registry, recheck_seconds=0.1, clock=clock)
    reads = CountingStore(registry)
    assert cache.fresh("r1") is None  # nothing cached yet
    served = cache.load("r1")
    assert served is not None
    assert served.body == body.encode()
    assert served.cache_control == "public, max-age=60"
    assert served.media_type == "application/vc+jwt"
    assert (reads.gets, reads.etags) == (1, 0)
    clock.now += 0.09
    assert cache.fresh("r1") is served
    assert (reads.gets, reads.etags) == (1, 0)


def test_a_new_version_is_served_once_the_recheck_time_has_passed(
    registry: Registry, published: TestIssuer
) -> None:
    _publish(registry, published, 1, 60_000)
    clock = Clock()
    cache = StatusListCache(registry, recheck_seconds=0.1, clock=clock)
    first = cache.load("r1")
    reads = CountingStore(registry)
    clock.now += 0.2
    assert cache.fresh("r1") is None
    assert cache.load("r1") is first  # unchanged: only the ETag was read
    assert (reads.gets, reads.etags) == (0, 1)
    # Stored by another process (its own Registry over the same store): this one's cache
    # learns of it only at its next check.
    newer = _publish(Registry(registry.store), published, 2, 30_000)
    reads.gets = reads.etags = 0  # accepting a publication reads the store too
    assert cache.fresh("r1") is first  # within the recheck time of the last check
    clock.now += 0.11
    assert cache.fresh("r1") is None
    reloaded = cache.load("r1")
    assert reloaded is not None
    assert reloaded.body == newer.encode()
    assert reloaded.cache_control == "public, max-age=30"
    assert (reads.gets, reads.etags) == (1, 1)


def test_one_request_rechecks_while_the_others_get_the_held_bytes(
    registry: Registry, published: TestIssuer
) -> None:
    _publish(registry, published, 1, 60_000)
    clock = Clock()
    cache = StatusListCache(registry, recheck_seconds=0.1, clock=clock)
    first = cache.load("r1")
    assert first is not None
    clock.now += 0.2
    assert cache.fresh("r1") is None  # this request makes the check
    assert cache.fresh("r1") is first  # requests meanwhile: the bytes held, no store read
    clock.now += CHECK_SECONDS + 0.01
    assert cache.fresh("r1") is None  # the check stalled: the next request checks again
    assert cache.load("r1") is first
    assert cache.fresh("r1") is first  # checked just now
    clock.now += 0.2
    assert cache.fresh("r1") is None  # a finished check leaves no claim behind


def test_a_list_stored_through_this_process_is_dropped_at_once(
    registry: Registry, published: TestIssuer
) -> None:
    _publish(registry, published, 1, 60_000)
    clock = Clock()
    cache = StatusListCache(registry, recheck_seconds=0.1, clock=clock)
    assert cache.load("r1") is not None
    newer = _publish(registry, published, 2, 30_000)
    assert cache.fresh("r1") is None  # no clock has moved: the intake told the cache
    reloaded = cache.load("r1")
    assert reloaded is not None
    assert reloaded.body == newer.encode()


def test_unknown_lists_are_not_cached(registry: Registry, published: TestIssuer) -> None:
    cache = StatusListCache(registry, clock=Clock())
    reads = CountingStore(registry)
    assert cache.load("nope") is None
    assert cache.load("nope") is None
    assert reads.gets == 2
    assert cache.fresh("nope") is None


def test_the_cache_keeps_within_its_byte_budget(registry: Registry, published: TestIssuer) -> None:
    for key in ("a1", "a2", "a3"):
        registry.accept(
            published.publication(DocumentKind.STATUS_LIST, key, status_list_payload(key))
        )
    one = registry.document(DocumentKind.STATUS_LIST, "a1")
    assert one is not None
    size = len(one.body.encode())
    cache = StatusListCache(registry, max_bytes=2 * size + size // 2, clock=Clock())
    for key in ("a1", "a2", "a3"):
        assert cache.load(key) is not None
    assert cache.fresh("a1") is None  # checked least recently: evicted
    assert cache.fresh("a2") is not None
    assert cache.fresh("a3") is not None
    tiny = StatusListCache(registry, max_bytes=size - 1, clock=Clock())
    assert tiny.load("a1") is not None  # served, but too large to keep
    assert tiny.fresh("a1") is None


def test_max_age_follows_the_ttl() -> None:
    assert status_max_age({"credentialSubject": {"ttl": 60_000}}) == 60
    assert status_max_age({"credentialSubject": {"ttl": 10**12}}) == 86_400
    for subject in ({}, {"ttl": -1}, {"ttl": True}, {"ttl": "60"}, "not an object"):
        assert status_max_age({"credentialSubject": subject}) == 300


def test_the_route_serves_a_suspension_within_the_recheck_time(
    registry: Registry, published: TestIssuer
) -> None:
    clock = Clock()
    app = create_registry_app(registry, clock=clock, status_recheck_seconds=0.1)
    _publish(registry, published, 1, 60_000)
    with TestClient(app) as client:
        first = client.get("/status/r1")
        assert first.status_code == 200
        # Stored by another worker process: served here once the recheck time has passed.
        newer = _publish(Registry(registry.store), published, 2, 60_000)
        assert client.get("/status/r1").text == first.text  # cached, not yet rechecked
        clock.now += 0.11
        again = client.get("/status/r1")
        assert again.text == newer
        assert again.headers["etag"] != first.headers["etag"]
        stale = client.get("/status/r1", headers={"If-None-Match": first.headers["etag"]})
        assert stale.status_code == 200
        assert (
            client.get("/status/r1", headers={"If-None-Match": again.headers["etag"]}).status_code
            == 304
        )
        for bad in ("no-such-list", "a%20b", "x" * 65):
            missing = client.get(f"/status/{bad}")
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"
