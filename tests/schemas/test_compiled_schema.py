"""The compiled schema check agrees with the reference validator (jsonschema) everywhere.

The compiled form exists only for speed; these tests hold it to the reference on valid
documents, on every single-step mutation of them, and on arbitrary JSON, for every schema
we ship, and check it refuses to compile keywords it does not implement.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from registry import Registry, RegistryStore
from schemas.compiled_schema import UnsupportedSchema, compile_schema
from schemas.credential_schemas import SCHEMA_NAMES, schema_document
from schemas.publication import DocumentKind
from tests.backoffice import BackOffice, grant, member
from tests.test_credentials import SVG_MARK
from tests.test_registry_e2e import _publish, public  # noqa: F401 (fixture)
from tests.test_wallet_offers import (
    Holder,
    access_token,
    credential_request,
    nonce,
    staff_offer,
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    _containers,
    max_leaves=12,
)


def reference(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema_document(name), format_checker=FormatChecker())


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(document)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copied


@pytest.mark.parametrize("name", sorted(SCHEMA_NAMES))
@settings(max_examples=60, deadline=None)
@given(instance=json_values)
def test_agrees_on_arbitrary_json(name: str, instance: Any) -> None:
    assert compile_schema(schema_document(name))(instance) == reference(name).is_valid(instance)


LEGACY = {
    "certification-credential-v1",
    "certification-mark-credential-v1",
    "register-entry-v1",
    "scheme-information-v1",
    "certification-credential-v2",
    "certification-mark-credential-v2",
    "register-entry-v2",
    "scheme-information-v2",
}
SCHEMA_OF = {
    "issuer-keys": "issuer-keys-v1",
    "status-list": "status-list-credential-v1",
    "register-entry": "register-entry-v3",
    "scheme": "scheme-information-v3",
    "audit-checkpoint": "audit-checkpoint-v1",
    "body-information": "body-information-v1",
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_agrees_on_every_mutation_of_what_the_issuer_publishes(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
) -> None:
    """Every document the issuer publishes (a grant, a mark, the body information), mutated
    one step at a time."""
    office, client = public
    decision = grant(office)
    number = decision["certification"]["certificate_number"]
    registrar = member(office, "registrar")
    office.ok(
        "PUT",
        f"/schemes/{decision['certification']['scheme_id']}/mark",
        member(office, "manager"),
        {
            "media_type": "image/svg+xml",
            "image_base64": base64.b64encode(SVG_MARK).decode(),
            "rules": "Use only with your certificate number and while certified.",
        },
    )
    office.ok("POST", f"/certifications/{number}/mark-agreement", registrar)
    office.ok("POST", f"/certifications/{number}/marks", registrar)
    office.ok(
        "PUT",
        "/body-information",
        member(office, "admin"),
        {
            "name": "Example Certification Body",
            "impartiality_commitment": "We decide on evidence alone.",
            "appeals_process": "Appeal within 30 days.",
            "complaints_process": "Write to us.",
            "contact": "appeals@example.test",
            "accreditation": {
                "accreditation_body": "National Accreditation Service",
                "accreditation_number": "PC-0042",
                "scope_url": "https://nas.example/scopes/PC-0042",
            },
        },
    )
    _publish(client)
    registry = Registry(registry_store)
    checked = set()
    for kind in set(DocumentKind) - {DocumentKind.MARK}:  # a mark is an image, not JSON
        for document in registry.documents(kind):
            payload = _payload(document.body)
            if kind is DocumentKind.CREDENTIAL:
                types = payload["type"]
                name = (
                    "certification-mark-credential-v3"
                    if "CertificationMarkCredential" in types
                    else "certification-credential-v3"
                )
            else:
                name = SCHEMA_OF[kind.value]
            if name == "issuer-keys-v1":
                continue  # a keys document is not a credential; its schema covers the payload
            _assert_agreement(name, payload)
            checked.add(name)
    # A wallet's holder-bound copy of the certificate is not published: it is what the
    # credential endpoint answers (certification-credential-v4).
    token = access_token(client, staff_offer(office, number))
    answer = credential_request(client, token, Holder().proof(nonce(client)))
    _assert_agreement(
        "certification-credential-v4", _payload(answer.json()["credentials"][0]["credential"])
    )
    checked.add("certification-credential-v4")
    # The version 1 schemas are no longer published to (their documents were signed before
    # context version 2); test_agrees_on_arbitrary_json still covers them.
    assert checked == SCHEMA_NAMES - {"issuer-keys-v1"} - LEGACY


def _payload(compact: str) -> Any:
    body = compact.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _assert_agreement(name: str, document: Any) -> None:
    check, ref = compile_schema(schema_document(name)), reference(name)
    assert check(document), name
    assert ref.is_valid(document), name
    replacements = [None, True, 0, 1.5, -1, "", "x" * 300, "not a url", [], {}, ["a"], {"a": 1}]
    for path in paths(document):
        for new in replacements:
            mutated = replace(document, path, new)
            assert check(mutated) == ref.is_valid(mutated), (name, path, new)
        if path:
            dropped = copy.deepcopy(document)
            target = dropped
            for step in path[:-1]:
                target = target[step]
            if isinstance(target, dict):
                del target[path[-1]]
            else:
                target.pop(path[-1])
            assert check(dropped) == ref.is_valid(dropped), (name, "drop", path)
        extra = replace(document, path, _with_extra(document, path))
        assert check(extra) == ref.is_valid(extra), (name, "extra", path)


def _with_extra(document: Any, path: tuple[Any, ...]) -> Any:
    value = document
    for step in path:
        value = value[step]
    if isinstance(value, dict):
        return {**value, "unexpected": "member"}
    if isinstance(value, list):
        return [*value, "unexpected"]
    return value


def test_keywords_outside_the_subset_are_refused() -> None:
    schemas: list[object] = [{"oneOf": [{}]}, {"$ref": "#/x"}, {"patternProperties": {}}, 3]
    for schema in schemas:
        with pytest.raises(UnsupportedSchema):
            compile_schema(schema)


def test_json_equality_rules() -> None:
    check = compile_schema({"const": 1})
    assert check(1.0)
    assert not check(True)
    assert compile_schema({"enum": [[1, {"a": False}]]})([1.0, {"a": False}])
    assert not compile_schema({"enum": [[1, {"a": False}]]})([1, {"a": 0}])
