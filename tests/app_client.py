"""A verifier's HTTP client that reaches a certreg app in process: every request it makes
to the body's base URL goes to a :class:`~fastapi.testclient.TestClient` of the app, so a
test verifies over the public paths exactly as a verifier across the network would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi.testclient import TestClient

__all__ = ["through_the_app"]


@contextmanager
def through_the_app(client: TestClient, base: str) -> Iterator[httpx.Client]:
    """An ``httpx.Client`` whose requests under ``base`` the app answers (any other address
    fails the test): the answer's body comes decoded, so its encoding headers are dropped."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert str(request.url).startswith(base), request.url
        response = client.get(request.url.raw_path.decode(), headers=dict(request.headers))
        kept = {
            k: v
            for k, v in response.headers.items()
            if k not in ("content-encoding", "content-length")
        }
        return httpx.Response(response.status_code, headers=kept, content=response.content)

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        yield http
