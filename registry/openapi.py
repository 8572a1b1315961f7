"""The OpenAPI document of a certreg app, and the ``/docs`` page that shows it, offline.

The document must say what the server does, for every mode ``certreg serve`` runs in
(:func:`install_openapi`):

- The all-in-one app mounts the public registry at ``/`` under the back office; FastAPI
  documents only an app's own routes, so the registry's are added here — those a request
  would reach, that is, minus any the back office already answers on the same path and
  method (``/problems/{kind}``).
- What every operation of a kind can answer is added from how the app is built, so that no
  route can forget it: 401 and 403 wherever a bearer token is required; 404 wherever a path
  names a record; 400 and 413 wherever a body is read (it may not decode; it may be too
  large); ``every_operation`` (the back office refuses a NUL in any path or query with a 400
  before routing); the 422 of request validation declared as the problem+json it is, not
  FastAPI's default shape. Any error answer a route declares without content gets the
  problem schema.
- Error answers particular to a route (409, 429, the directory's 400…) are declared on the
  route, with :func:`schemas.openapi.problem_responses`.

``/docs`` (:func:`install_api_docs`) is Swagger UI from the ``swagger_ui_bundle`` package,
served by the app itself: a back office on a closed network has no CDN, and a page that
loads its script from elsewhere shows nothing there. Its assets carry the Swagger UI version
in their path, so they are cached for a year. ReDoc ships no offline bundle here, so there
is no ``/redoc``. The document is built once per app, on first request, never on a lookup.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import Mount

from schemas.openapi import problem_components, problem_content, problem_responses

__all__ = [
    "DOCS_URL",
    "OPENAPI_URL",
    "install_api_docs",
    "install_openapi",
    "public_routes",
]

OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
"""The files of the Swagger UI bundle the page loads; nothing else of the package is served."""
_ASSET_CACHE = "public, max-age=31536000, immutable"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _swagger_ui() -> tuple[Path, str]:
    """The directory of the packaged Swagger UI and its version (from the directory name,
    ``…/swagger-ui-5.31.0``)."""
    import swagger_ui_bundle  # type: ignore[import-untyped]

    path = Path(swagger_ui_bundle.swagger_ui_path)
    return path, path.name.removeprefix("swagger-ui-")


def public_routes(app: FastAPI) -> list[RouteContext]:
    """``app``'s routes, then those of any FastAPI app mounted at its root, in the order a
    request meets them, with the routers they were included from resolved."""
    routes: list[RouteContext] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount) and route.path == "" and isinstance(route.app, FastAPI):
            routes.extend(public_routes(route.app))
        else:
            routes.append(context)
    return routes


def _reachable(routes: list[RouteContext]) -> list[RouteContext]:
    """``routes`` without the API routes a route before them already answers."""
    seen: set[tuple[str, str]] = set()
    out: list[RouteContext] = []
    for context in routes:
        if isinstance(context.original_route, APIRoute):
            keys = {(context.path_format or "", method) for method in context.methods or ()}
            if keys <= seen:
                continue
            seen |= keys
        out.append(context)
    return out


def _complete(operation: dict[str, Any], every_operation: Mapping[int | str, Any]) -> None:
    """Add to ``operation`` the answers its shape implies (see the module docstring)."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    implied: dict[int | str, Any] = dict(every_operation)
    if operation.get("security"):
        implied |= problem_responses(401, 403)
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        implied |= problem_responses(404)
    if "requestBody" in operation:  # 400: a body that cannot be decoded at all
        implied |= problem_responses(400, 413)
    validation = responses.get("422")
    if validation is not None and "HTTPValidationError" in str(validation.get("content")):
        del responses["422"]
        implied |= problem_responses(422)
    for status, response in implied.items():
        responses.setdefault(str(status), copy.deepcopy(response))
    for status, response in responses.items():
        if status[0] in "45" and "content" not in response:
            response["content"] = problem_content()


def _document(app: FastAPI, every_operation: Mapping[int | str, Any]) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=_reachable(public_routes(app)),
    )
    for path in document.get("paths", {}).values():
        for method in _METHODS:
            if method in path:
                _complete(path[method], every_operation)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _VALIDATION_SCHEMAS:  # replaced by the problem schema everywhere
        schemas.pop(name, None)
    schemas.update(problem_components())
    return document


def install_openapi(
    app: FastAPI, *, every_operation: Mapping[int | str, Any] | None = None
) -> None:
    """Make ``app.openapi()`` (served at ``/openapi.json``) the document described in the
    module docstring, built on first use and kept."""
    extra = dict(every_operation or {})
    built: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not built:
            built.append(_document(app, extra))
        return built[0]

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension point


def install_api_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` with every asset from this app (see module docstring);
    ``app`` must be built with ``docs_url=None, redoc_url=None``."""
    directory, version = _swagger_ui()
    assets = f"{DOCS_URL}/swagger-ui/{version}"

    @app.get(DOCS_URL, include_in_schema=False)
    def docs(request: Request) -> Response:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + OPENAPI_URL,
            title=f"{app.title} - API documentation",
            swagger_js_url=f"{root}{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        )

    @app.get(assets + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        media_type = _ASSETS.get(name)
        if media_type is None:
            # Both apps render an HTTPException as problem+json; each has its own NotFound.
            raise HTTPException(404, "no such file of the API documentation")
        return FileResponse(
            directory / name, media_type=media_type, headers={"Cache-Control": _ASSET_CACHE}
        )
