"""The registry's two busiest routes, answered in front of the FastAPI application.

Every verifier of every credential fetches its status lists, and every employer or QR scan
that checks a certificate makes a register lookup. FastAPI's per-request machinery —
matching the path against every route, solving the parameters and dependencies, building
the request and response objects — costs more than the answer itself when the answer is
bytes already in memory (a status list, :mod:`registry.status_cache`) or one primary-key
read (a register entry). :class:`FastPaths` is a plain ASGI middleware that hands those
requests to a handler, which answers them with the same status, headers and body as the
routes do, and passes every other request, and every request the handler declines, to the
application unchanged: the routes stay the reference, documented in the OpenAPI schema, and
answer whatever the fast path does not (other methods, invalid queries, odd paths).

Only the parsing that the routes' framework would do is done here, the same way: the path
with the ``root_path`` of a mount removed, the query string as Starlette reads it, header
names case-insensitively.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["FastPaths", "header", "not_modified", "route_path", "single_query_value"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Handler = Callable[[Scope], Awaitable[AsgiApp | None]]
"""Given a GET request's scope: the response to send (a Starlette ``Response`` is an ASGI
app), or ``None`` to let the application answer it."""


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 §13.1.2) or ``*``."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))


def header(scope: Scope, name: bytes) -> str | None:
    """The request header ``name`` (lower case), as Starlette reads it: the first one sent,
    decoded as Latin-1."""
    headers: Iterable[tuple[bytes, bytes]] = scope.get("headers") or ()
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def route_path(scope: Scope) -> str:
    """The path the application routes on: without the ``root_path`` a mount put before it."""
    path: str = scope["path"]
    root: str = scope.get("root_path") or ""
    if root and path.startswith(root):
        return path[len(root) :]
    return path


def single_query_value(scope: Scope, name: str) -> str | None:
    """The value of query parameter ``name`` if it is given exactly once, else ``None``
    (the route then answers, with its own rules for a missing or repeated parameter)."""
    raw: bytes = scope.get("query_string") or b""
    found = None
    count = 0
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if key == name:
            found = value
            count += 1
    return found if count == 1 else None


class FastPaths:
    """ASGI middleware: GET requests go to ``handler`` first (see the module doc)."""

    def __init__(self, app: AsgiApp, *, handler: Handler) -> None:
        self.app = app
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            response = await self._handler(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
