"""The fast paths answer exactly as the routes do, and do take the hot requests.

The same requests go to two apps over one registry, one with the fast paths in front and
one that routes every request; status, headers and body must be the same for each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Router

from registry import RateLimit, Registry, create_registry_app
from schemas.publication import DocumentKind
from tests.registry.conftest import (
    NUMBER,
    TestIssuer,
    register_entry_payload,
    status_list_payload,
)

VARYING = {"date", "server"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _apps(
    registry: Registry, published: TestIssuer, burst: int
) -> Iterator[tuple[TestClient, TestClient]]:
    for key in ("r1", "s1"):
        assert registry.accept(
            published.publication(DocumentKind.STATUS_LIST, key, status_list_payload(key))
        )
    assert registry.accept(
        published.publication(DocumentKind.REGISTER_ENTRY, NUMBER, register_entry_payload())
    )
    clock = Clock()  # frozen: the status list cache stays fresh, the buckets never refill
    limit = RateLimit(per_minute=60, burst=burst)
    fast = create_registry_app(registry, clock=clock, lookup_limit=limit)
    routed = create_registry_app(registry, clock=clock, lookup_limit=limit, fast_paths=False)
    with TestClient(fast) as a, TestClient(routed) as b:
        yield a, b


@pytest.fixture
def apps(registry: Registry, published: TestIssuer) -> Iterator[tuple[TestClient, TestClient]]:
    yield from _apps(registry, published, burst=100)


@pytest.fixture
def limited(registry: Registry, published: TestIssuer) -> Iterator[tuple[TestClient, TestClient]]:
    yield from _apps(registry, published, burst=3)


def _answer(client: TestClient, path: str, **options: Any) -> tuple[int, dict[str, str], bytes]:
    response = client.get(path, **options)
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, headers, response.content


def _etag(client: TestClient, path: str, **options: Any) -> str:
    return client.get(path, **options).headers["etag"]


def test_status_lists_are_answered_as_the_route_answers(
    apps: tuple[TestClient, TestClient],
) -> None:
    fast, routed = apps
    etag = _etag(routed, "/status/r1")
    for path, headers in [
        ("/status/r1", {}),
        ("/status/r1", {"If-None-Match": etag}),
        ("/status/r1", {"If-None-Match": f'W/{etag}, "other"'}),
        ("/status/r1", {"If-None-Match": "*"}),
        ("/status/r1", {"If-None-Match": '"stale"'}),
        ("/status/s1", {}),
        ("/status/nope", {}),
        ("/status/r1/extra", {}),
        ("/status/" + "x" * 65, {}),
        ("/status/", {}),
    ]:
        _answer(fast, path, headers=headers)  # the first request fills the cache
        assert _answer(fast, path, headers=headers) == _answer(routed, path, headers=headers), (
            path,
            headers,
        )


def test_register_lookups_are_answered_as_the_route_answers(
    apps: tuple[TestClient, TestClient],
) -> None:
    fast, routed = apps
    path = f"/register/{NUMBER}"
    etag = _etag(routed, path, params={"family_name": "Müller"})
    requests: list[tuple[str, Any, dict[str, str]]] = [
        (path, {"family_name": "Müller"}, {}),
        (path, {"family_name": " müller "}, {"If-None-Match": etag}),
        (path.lower(), {"family_name": "MULLER"}, {}),
        (path, {"family_name": "Mueller"}, {}),
        ("/register/AAAA-BBBB-CCCC-DDDD-E", {"family_name": "Müller"}, {}),
        ("/register/not-a-number", {"family_name": "Müller"}, {}),
        (path, {}, {}),
        (path, {"family_name": ""}, {}),
        (path, {"family_name": "x" * 201}, {}),
        (path, [("family_name", "Müller"), ("family_name", "Other")], {}),
        (path + "/extra", {"family_name": "Müller"}, {}),
    ]
    for url, params, headers in requests:
        assert _answer(fast, url, params=params, headers=headers) == _answer(
            routed, url, params=params, headers=headers
        ), (url, params, headers)


def test_the_lookup_limit_counts_each_request_once(
    limited: tuple[TestClient, TestClient],
) -> None:
    fast, routed = limited
    path = f"/register/{NUMBER}"
    fast_answers = [_answer(fast, path, params={"family_name": "Müller"}) for _ in range(5)]
    routed_answers = [_answer(routed, path, params={"family_name": "Müller"}) for _ in range(5)]
    assert [a[0] for a in fast_answers] == [200, 200, 200, 429, 429]
    assert fast_answers == routed_answers
    assert fast_answers[3][1]["retry-after"] == "1"


def test_hot_requests_never_reach_the_router(
    apps: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = apps
    assert fast.get("/status/r1").status_code == 200  # loads the list into the cache
    routed: list[str] = []
    route = Router.__call__

    async def counting(self: Router, scope: Any, receive: Any, send: Any) -> None:
        routed.append(scope["path"])
        await route(self, scope, receive, send)

    monkeypatch.setattr(Router, "__call__", counting)
    assert fast.get("/status/r1").status_code == 200
    assert fast.get(f"/register/{NUMBER}", params={"family_name": "Müller"}).status_code == 200
    assert (
        fast.get("/register/AAAA-BBBB-CCCC-DDDD-E", params={"family_name": "x"}).status_code == 404
    )
    assert routed == []
    assert fast.get(f"/register/{NUMBER}").status_code == 422  # invalid: the route answers
    assert fast.post("/status/r1").status_code == 405  # not a GET: the router answers
    assert routed == [f"/register/{NUMBER}", "/status/r1"]
