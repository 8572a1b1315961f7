"""Per-client rate limits: token buckets on a fake clock, the client behind trusted proxies
only, 429 with ``Retry-After`` on the strict routes, and nothing limited that a verifier needs.
"""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from registry import RateLimit, Registry, create_registry_app
from registry.ratelimit import ClientAddress, RateLimiter
from schemas.publication import DocumentKind
from tests.registry.conftest import (
    INTAKE_TOKEN,
    NUMBER,
    TestIssuer,
    register_entry_payload,
    scheme_payload,
    status_list_payload,
)


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _scope(peer: str | None, *forwarded: str) -> dict[str, object]:
    headers = [(b"x-forwarded-for", value.encode("latin-1")) for value in forwarded]
    return {"client": None if peer is None else (peer, 443), "headers": headers}


# ── the bucket ───────────────────────────────────────────────────────────────────────────


def test_a_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimit(per_minute=6, burst=3), clock=clock)  # one per 10 s
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(10.0)
    assert limiter.acquire("b") == 0.0  # another client has its own bucket
    clock.advance(4)
    assert limiter.acquire("a") == pytest.approx(6.0)  # refused requests cost nothing
    clock.advance(6)
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == pytest.approx(10.0)
    clock.advance(3600)  # a long pause refills to the burst, not beyond
    assert [limiter.acquire("a") for _ in range(4)][-1] > 0


def test_the_number_of_buckets_is_bounded() -> None:
    limiter = RateLimiter(RateLimit(per_minute=60, burst=1), clock=FakeClock(), max_clients=3)
    for client in "abcde":
        limiter.acquire(client)
    assert len(limiter) == 3
    assert limiter.acquire("e") > 0  # the recent ones are remembered
    assert limiter.acquire("a") == 0.0  # the oldest was forgotten: a fresh burst


def test_a_bucket_is_safe_across_threads() -> None:
    limiter = RateLimiter(RateLimit(per_minute=1, burst=50), clock=FakeClock())
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(20):
            ok = limiter.acquire("shared") == 0.0
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 50  # exactly the burst, never more


@pytest.mark.parametrize(
    ("per_minute", "burst"), [(0, 1), (-1, 1), (1, 0), (float("inf"), 1), (float("nan"), 1)]
)
def test_a_rate_limit_must_be_positive(per_minute: float, burst: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimit(per_minute=per_minute, burst=burst)


# ── who the client is ────────────────────────────────────────────────────────────────────


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    untrusting = ClientAddress()
    assert untrusting.of(_scope("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    trusting = ClientAddress(["10.0.0.0/8"])
    assert trusting.of(_scope("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    assert trusting.of(_scope("10.1.2.3", "198.51.100.1")) == "198.51.100.1"
    assert trusting.of(_scope("10.1.2.3")) == "10.1.2.3"  # no header: the proxy itself


def test_the_forwarded_chain_is_walked_from_the_nearest_hop() -> None:
    clients = ClientAddress(["10.0.0.0/8", "192.0.2.10"])
    # The leftmost value is whatever the client claimed; only hops our proxies added count.
    chain = "1.1.1.1, 198.51.100.9, 192.0.2.10"
    assert clients.of(_scope("10.0.0.1", chain)) == "198.51.100.9"
    assert clients.of(_scope("10.0.0.1", "1.1.1.1", "198.51.100.9")) == "198.51.100.9"
    assert clients.of(_scope("10.0.0.1", "198.51.100.9, not-an-address")) == "10.0.0.1"
    assert clients.of(_scope("10.0.0.1", "10.0.0.2, 10.0.0.3")) == "10.0.0.2"


def test_forwarded_hops_with_ports_name_the_client_not_the_proxy() -> None:
    clients = ClientAddress(["10.0.0.0/8"])
    assert clients.of(_scope("10.0.0.1", "198.51.100.9:51234")) == "198.51.100.9"
    assert clients.of(_scope("10.0.0.1", "[2001:db8:1:2::7]:443")) == "2001:db8:1:2::/64"
    assert clients.of(_scope("10.0.0.1", "[2001:db8:1:2::7]")) == "2001:db8:1:2::/64"
    assert clients.of(_scope("10.0.0.1", "2001:db8:1:2::7")) == "2001:db8:1:2::/64"
    assert clients.of(_scope("10.0.0.1", "198.51.100.9:x:y")) == "10.0.0.1"  # malformed: stop


def test_ipv6_clients_share_a_bucket_per_64_and_mapped_ipv4_is_ipv4() -> None:
    clients = ClientAddress()
    first = clients.of(_scope("2001:db8:1:2:aaaa::1"))
    assert first == clients.of(_scope("2001:db8:1:2:bbbb::2")) == "2001:db8:1:2::/64"
    assert clients.of(_scope("2001:db8:1:3::1")) != first
    assert clients.of(_scope("::ffff:198.51.100.4")) == "198.51.100.4"
    assert clients.of(_scope(None)).startswith("peer:")
    assert clients.of(_scope("testclient")) == "peer:testclient"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValueError, match="does not appear to be"):
        ClientAddress(["proxy.internal"])


# ── over HTTP ────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limited(registry: Registry, published: TestIssuer) -> Registry:
    for kind, key, payload in (
        (DocumentKind.STATUS_LIST, "r1", status_list_payload("r1")),
        (DocumentKind.REGISTER_ENTRY, NUMBER, register_entry_payload(directory=True)),
        (DocumentKind.SCHEME, "welding-inspector", scheme_payload()),
    ):
        assert registry.accept(published.publication(kind, key, payload))
    return registry


def _client(
    registry: Registry, clock: FakeClock, peer: str = "203.0.113.7", **kwargs: object
) -> TestClient:
    app = create_registry_app(
        registry,
        intake_token=INTAKE_TOKEN,
        lookup_limit=RateLimit(per_minute=30, burst=3),  # one every 2 s
        page_limit=RateLimit(per_minute=60, burst=5),
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )
    return TestClient(app, client=(peer, 50000))


def _lookup(client: TestClient, **headers: str) -> int:
    response = client.get(f"/register/{NUMBER}", params={"family_name": "Müller"}, headers=headers)
    return response.status_code


def test_lookups_get_429_with_retry_after_and_recover(limited: Registry, clock: FakeClock) -> None:
    with _client(limited, clock) as client:
        assert [_lookup(client) for _ in range(3)] == [200, 200, 200]
        refused = client.get(f"/register/{NUMBER}", params={"family_name": "Müller"})
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "/problems/rate-limited"
        assert refused.headers["retry-after"] == "2"
        # The directory shares the bucket: guessing by name costs as much as by number.
        searched = client.get("/directory", params={"name": "müller"})
        assert (searched.status_code, searched.headers["retry-after"]) == (429, "2")
        clock.advance(1.5)
        assert client.get("/directory", params={"name": "mül"}).headers["retry-after"] == "1"
        clock.advance(0.5)
        assert client.get("/directory", params={"name": "müller"}).status_code == 200
        assert _lookup(client) == 429
        clock.advance(60)
        assert [_lookup(client) for _ in range(4)] == [200, 200, 200, 429]


def test_status_lists_keys_and_intake_are_never_limited(
    limited: Registry, published: TestIssuer, clock: FakeClock
) -> None:
    with _client(limited, clock) as client:
        for _ in range(50):
            assert client.get("/status/r1").status_code == 200
            assert client.get("/.well-known/jwks.json").status_code == 200
        body = published.keys_publication().model_dump(mode="json")
        auth = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
        for _ in range(20):
            response = client.post("/registry/v1/publications", json=body, headers=auth)
            assert response.status_code == 200


def test_scheme_pages_have_their_own_generous_bucket(limited: Registry, clock: FakeClock) -> None:
    with _client(limited, clock) as client:
        assert [_lookup(client) for _ in range(4)][-1] == 429
        answers = [client.get("/schemes").status_code for _ in range(6)]
        assert answers == [200] * 5 + [429]
        assert client.get("/schemes/welding-inspector").status_code == 429


def test_a_forged_x_forwarded_for_does_not_buy_a_new_bucket(
    limited: Registry, clock: FakeClock
) -> None:
    with _client(limited, clock) as client:
        answers = [_lookup(client, **{"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(4)]
        assert answers == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(
    limited: Registry, clock: FakeClock
) -> None:
    with _client(limited, clock, peer="10.0.0.5", trusted_proxies=["10.0.0.0/24"]) as client:
        first = [_lookup(client, **{"X-Forwarded-For": "198.51.100.1"}) for _ in range(4)]
        second = [_lookup(client, **{"X-Forwarded-For": "198.51.100.2"}) for _ in range(3)]
        assert first == [200, 200, 200, 429]
        assert second == [200, 200, 200]


def test_limits_can_be_switched_off(limited: Registry, clock: FakeClock) -> None:
    app = create_registry_app(limited, lookup_limit=None, page_limit=None, clock=clock)
    with TestClient(app) as client:
        assert {_lookup(client) for _ in range(40)} == {200}
