"""The OpenAPI document of each serving mode, and the ``/docs`` page that shows it offline.

What schemathesis cannot see is held here: which routes each mode documents, that every
error answer is declared as problem+json, that the docs page loads nothing from elsewhere,
and that the directory and register lookups refuse, at their length limits, exactly the
names their documented parameters refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.http.app import create_app, public_registry_app
from issuer.settings import Settings
from issuer.store import Store, migrate
from registry import Registry, RegistryStore
from registry import upgrade as registry_upgrade
from registry.intake import DIRECTORY_MAX_QUERY, DIRECTORY_MIN_QUERY
from schemas.openapi import PROBLEM_SCHEMA_REF
from tests.conftest import PASSPHRASE

PUBLIC_PATHS = {
    "/.well-known/did.json",
    "/.well-known/jwks.json",
    "/audit/checkpoint",
    "/status/{list_id}",
    "/register/{certificate_number}",
    "/directory",
    "/schemes",
    "/schemes/{scheme_id}",
    "/v/{credential_id}",
    "/credentials/verify",
}
BACK_OFFICE_PATHS = {
    "/api/v1/certifications",
    "/api/v1/certifications/{number}",
    "/api/v1/certifications/{number}/suspend",
    "/api/v1/credentials/{credential_id}",
    "/regulator/v1/certifications",
}
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FastAPI]]:
    """The app of each way ``certreg serve`` runs: all-in-one, ``--only issuer``,
    ``--only registry`` (with its intake secret, as a registry fed over HTTP runs)."""
    data_dir = tmp_path_factory.mktemp("modes")
    settings = Settings(  # not rate limited: the limit tests ask many times
        data_dir=data_dir,
        key_passphrase=PASSPHRASE,
        registry_lookup_per_minute=0,
        registry_page_per_minute=0,
    )
    store = Store.from_url(f"sqlite:///{data_dir / 'issuer.sqlite3'}")
    migrate.upgrade(store.engine)
    registry_store = RegistryStore.from_url(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    registry_upgrade(registry_store.engine)
    yield {
        "all-in-one": create_app(
            settings, store=store, registry=Registry(registry_store), publish_interval=None
        ),
        "issuer": create_app(settings, store=store, publish_interval=None),
        "registry": public_registry_app(registry_store, settings, intake_token="secret"),
    }
    store.dispose()
    registry_store.dispose()


def _document(app: FastAPI) -> dict[str, Any]:
    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_each_mode_documents_the_routes_it_serves(apps: dict[str, FastAPI]) -> None:
    everything = set(_document(apps["all-in-one"])["paths"])
    issuer = set(_document(apps["issuer"])["paths"])
    registry = set(_document(apps["registry"])["paths"])
    assert everything >= PUBLIC_PATHS | BACK_OFFICE_PATHS
    assert issuer >= BACK_OFFICE_PATHS
    assert not PUBLIC_PATHS & issuer  # --only issuer does not serve them
    assert PUBLIC_PATHS | {"/registry/v1/publications"} <= registry
    assert not {p for p in registry if p.startswith("/api/")}
    assert "/registry/v1/publications" not in everything  # no intake in the all-in-one app


@pytest.mark.parametrize("mode", ["all-in-one", "issuer", "registry"])
def test_every_error_answer_is_declared_as_problem_json(
    apps: dict[str, FastAPI], mode: str
) -> None:
    document = _document(apps[mode])
    schemas = document["components"]["schemas"]
    assert {"Problem", "ProblemFieldError"} <= set(schemas)
    assert "HTTPValidationError" not in schemas
    for path, method, operation in _operations(document):
        where = f"{method.upper()} {path}"
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                content = response["content"]
                assert content["application/problem+json"]["schema"] == {
                    "$ref": PROBLEM_SCHEMA_REF
                }, where
        if operation.get("security"):
            assert {"401", "403"} <= set(operation["responses"]), where
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in operation["responses"], where
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(operation["responses"]), where
        if mode != "registry":
            assert "400" in operation["responses"], where  # a NUL, refused before routing


def test_rate_limited_routes_declare_429(apps: dict[str, FastAPI]) -> None:
    document = _document(apps["registry"])
    for path in ("/register/{certificate_number}", "/directory", "/schemes", "/v/{credential_id}"):
        assert "429" in document["paths"][path]["get"]["responses"], path
        assert "Retry-After" in document["paths"][path]["get"]["responses"]["429"]["headers"]
    assert "429" in document["paths"]["/credentials/verify"]["post"]["responses"]
    for path in ("/status/{list_id}", "/.well-known/did.json", "/audit/checkpoint"):  # free
        assert "429" not in document["paths"][path]["get"]["responses"], path


@pytest.mark.parametrize("mode", ["all-in-one", "issuer", "registry"])
def test_the_docs_page_loads_everything_from_this_server(
    apps: dict[str, FastAPI], mode: str
) -> None:
    with TestClient(apps[mode]) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert not re.search(r"(?i)(https?:)?//[a-z0-9]", page.text), "an external URL"
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(assets) == 3
        for asset in assets:
            answer = client.get(asset)
            assert answer.status_code == 200, asset
            assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "url: '/openapi.json'" in page.text
        assert client.get("/redoc").status_code == 404  # no offline ReDoc bundle
        unknown = client.get(assets[0].rsplit("/", 1)[0] + "/index.html")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = document["paths"][path]["get"]["parameters"]
    [parameter] = [p for p in parameters if p["name"] == name]
    return parameter


def _names_at_the_limits(low: int, high: int) -> list[str]:
    """Names just inside and just outside ``low``..``high`` characters, with decomposed
    accents and wide characters, whose length a server counting otherwise would get wrong."""
    names = []
    for length in (low - 1, low, low + 1, high - 1, high, high + 1):
        if length < 0:
            continue
        names.append("a" * length)
        if length >= 2:
            names.append("e\u0301" * (length // 2) + "a" * (length % 2))  # é, decomposed
            names.append("Ø" + "b" * (length - 1))
            names.append("😀" * length)
    return names


def test_the_directory_refuses_exactly_the_names_its_document_refuses(
    apps: dict[str, FastAPI],
) -> None:
    app = apps["registry"]
    declared = _parameter(_document(app), "/directory", "name")
    assert declared["required"] is True
    assert declared["schema"]["minLength"] == DIRECTORY_MIN_QUERY
    assert declared["schema"]["maxLength"] == DIRECTORY_MAX_QUERY
    with TestClient(app) as client:
        assert client.get("/directory").status_code == 400  # no listing of everyone
        for name in [*_names_at_the_limits(DIRECTORY_MIN_QUERY, DIRECTORY_MAX_QUERY), "ﬃ", "ææ"]:
            valid = jsonschema.Draft202012Validator(declared["schema"]).is_valid(name)
            status = client.get("/directory", params={"name": name}).status_code
            if not valid or not name.isascii():
                assert status == 400 or (valid and status == 200), (len(name), name[:8], status)
            else:
                assert status == 200, (len(name), name[:8], status)


def test_the_register_refuses_exactly_the_names_its_document_refuses(
    apps: dict[str, FastAPI],
) -> None:
    app = apps["registry"]
    path = "/register/{certificate_number}"
    declared = _parameter(_document(app), path, "family_name")
    assert declared["required"] is True
    low, high = declared["schema"]["minLength"], declared["schema"]["maxLength"]
    with TestClient(app) as client:
        for name in _names_at_the_limits(low, high):
            valid = jsonschema.Draft202012Validator(declared["schema"]).is_valid(name)
            status = client.get("/register/WI-2026-0001", params={"family_name": name}).status_code
            assert status == (404 if valid else 422), (len(name), name[:8], status)


def test_the_document_is_built_once(apps: dict[str, FastAPI]) -> None:
    app = apps["registry"]
    assert app.openapi() is app.openapi()
