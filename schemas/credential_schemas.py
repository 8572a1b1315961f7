"""certreg's versioned JSON Schemas and JSON-LD context, loaded from the package.

Issuers validate every credential against its schema before signing; verifiers and tests
validate what they receive. The files live in ``schemas/json/`` and ``schemas/contexts/`` so
the registry can serve exactly the bytes the issuer validated against.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from schemas.compiled_schema import compile_schema

__all__ = [
    "CERTIFICATION_CREDENTIAL_V1",
    "CERTIFICATION_MARK_CREDENTIAL_V1",
    "ISSUER_KEYS_V1",
    "REGISTER_ENTRY_V1",
    "SCHEMA_NAMES",
    "SCHEME_INFORMATION_V1",
    "STATUS_LIST_CREDENTIAL_V1",
    "SchemaViolation",
    "context_document",
    "is_valid",
    "schema_document",
    "validate",
]

CERTIFICATION_CREDENTIAL_V1 = "certification-credential-v1"
CERTIFICATION_MARK_CREDENTIAL_V1 = "certification-mark-credential-v1"
REGISTER_ENTRY_V1 = "register-entry-v1"
SCHEME_INFORMATION_V1 = "scheme-information-v1"
STATUS_LIST_CREDENTIAL_V1 = "status-list-credential-v1"
ISSUER_KEYS_V1 = "issuer-keys-v1"
SCHEMA_NAMES = frozenset(
    {
        CERTIFICATION_CREDENTIAL_V1,
        CERTIFICATION_MARK_CREDENTIAL_V1,
        REGISTER_ENTRY_V1,
        SCHEME_INFORMATION_V1,
        STATUS_LIST_CREDENTIAL_V1,
        ISSUER_KEYS_V1,
    }
)
"""Every schema shipped in ``schemas/json/``, by the name in its URL."""
_SCHEMAS = SCHEMA_NAMES


class SchemaViolation(ValueError):
    """A document does not match its JSON Schema; ``problems`` lists each violation."""

    def __init__(self, name: str, problems: list[str]) -> None:
        super().__init__(f"{name}: " + "; ".join(problems))
        self.name = name
        self.problems = problems


def _read(folder: str, filename: str) -> bytes:
    return resources.files("schemas").joinpath(folder, filename).read_bytes()


@cache
def schema_document(name: str) -> dict[str, Any]:
    if name not in _SCHEMAS:
        raise KeyError(name)
    document: dict[str, Any] = json.loads(_read("json", f"{name}.json"))
    return document


@cache
def context_document() -> dict[str, Any]:
    """The JSON-LD context published as ``https://w3id.org/certreg/v1``."""
    document: dict[str, Any] = json.loads(_read("contexts", "certreg-v1.jsonld"))
    return document


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema_document(name), format_checker=FormatChecker())


@cache
def _compiled(name: str) -> Callable[[Any], bool]:
    return compile_schema(schema_document(name))


def is_valid(name: str, document: object) -> bool:
    """Whether ``document`` matches schema ``name`` (compiled; the verification hot path)."""
    return _compiled(name)(document)


def validate(name: str, document: object) -> None:
    """Raise :class:`SchemaViolation` listing every way ``document`` breaks schema ``name``.

    The compiled check answers the common case; only a failing document is walked by the
    reference validator, which names every violation.
    """
    if is_valid(name, document):
        return
    errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(e.path))
    if errors:
        problems = [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message[:200]}" for e in errors]
        raise SchemaViolation(name, problems[:20])
