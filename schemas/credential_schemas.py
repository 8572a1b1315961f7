"""certreg's versioned JSON Schemas and JSON-LD context, loaded from the package.

Issuers validate every credential against its schema before signing; verifiers and tests
validate what they receive. The files live in ``schemas/json/`` and ``schemas/contexts/`` so
the registry can serve exactly the bytes the issuer validated against (:func:`schema_bytes`,
:func:`context_bytes`): signed credentials cite them by URL, and a verifier that fetches one
must get the same bytes it would pin.

A file here, once cited by a signed document, never changes: a fix is a new version beside
it (``…-v2``), and the old one stays, because credentials already issued still cite it.
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
    "AUDIT_CHECKPOINT_V1",
    "BODY_INFORMATION_V1",
    "CERTIFICATION_CREDENTIAL_V1",
    "CERTIFICATION_CREDENTIAL_V2",
    "CERTIFICATION_CREDENTIAL_V3",
    "CERTIFICATION_CREDENTIAL_V4",
    "CERTIFICATION_MARK_CREDENTIAL_V1",
    "CERTIFICATION_MARK_CREDENTIAL_V2",
    "CERTIFICATION_MARK_CREDENTIAL_V3",
    "CONTEXT_BODY_V1",
    "CONTEXT_NAMES",
    "CONTEXT_V1",
    "CONTEXT_V1_URL",
    "CONTEXT_V2",
    "CONTEXT_V3",
    "ISSUER_KEYS_V1",
    "REGISTER_ENTRY_V1",
    "REGISTER_ENTRY_V2",
    "REGISTER_ENTRY_V3",
    "SCHEMA_NAMES",
    "SCHEME_INFORMATION_V1",
    "SCHEME_INFORMATION_V2",
    "SCHEME_INFORMATION_V3",
    "STATUS_LIST_CREDENTIAL_V1",
    "SchemaViolation",
    "context_bytes",
    "context_document",
    "is_valid",
    "schema_bytes",
    "schema_document",
    "validate",
]

CERTIFICATION_CREDENTIAL_V1 = "certification-credential-v1"
CERTIFICATION_MARK_CREDENTIAL_V1 = "certification-mark-credential-v1"
REGISTER_ENTRY_V1 = "register-entry-v1"
SCHEME_INFORMATION_V1 = "scheme-information-v1"
"""The version 1 schemas: their documents cite :data:`CONTEXT_V1_URL`."""
CERTIFICATION_CREDENTIAL_V2 = "certification-credential-v2"
CERTIFICATION_MARK_CREDENTIAL_V2 = "certification-mark-credential-v2"
REGISTER_ENTRY_V2 = "register-entry-v2"
SCHEME_INFORMATION_V2 = "scheme-information-v2"
"""The version 2 schemas: their documents cite :data:`CONTEXT_V2` under the issuer's base
URL. The only change from version 1 is that ``@context`` entry."""
CERTIFICATION_CREDENTIAL_V3 = "certification-credential-v3"
CERTIFICATION_MARK_CREDENTIAL_V3 = "certification-mark-credential-v3"
REGISTER_ENTRY_V3 = "register-entry-v3"
SCHEME_INFORMATION_V3 = "scheme-information-v3"
"""The version 3 schemas, which documents cite now: they cite :data:`CONTEXT_V3`, and add
``originalCertificationDate`` (the day the person was first certified, which a
recertification keeps) to the certificate, the mark and the register entry, and the
recertification window and accepted evidence to the scheme information."""
CERTIFICATION_CREDENTIAL_V4 = "certification-credential-v4"
"""Version 3 of the certificate with an optional ``credentialSubject.id``, the holder's key as
a ``did:jwk`` DID: the copy of a certificate a wallet receives through OpenID for Verifiable
Credential Issuance is bound to a key the wallet holds, so a presentation can be checked
against it. Same context (:data:`CONTEXT_V3`), same fields otherwise."""
STATUS_LIST_CREDENTIAL_V1 = "status-list-credential-v1"
ISSUER_KEYS_V1 = "issuer-keys-v1"
AUDIT_CHECKPOINT_V1 = "audit-checkpoint-v1"
"""The payload of an audit checkpoint (``audit-checkpoint+jwt``): the position and hash of
the audit log's last entry, nothing of its content."""
BODY_INFORMATION_V1 = "body-information-v1"
"""What the body publishes about itself (clauses 4.3, 9.8, 9.9): its impartiality
commitment, how appeals and complaints are handled, whom to contact, its accreditation. Its
documents cite :data:`CONTEXT_V3` and, after it, :data:`CONTEXT_BODY_V1`."""
SCHEMA_NAMES = frozenset(
    {
        CERTIFICATION_CREDENTIAL_V1,
        CERTIFICATION_MARK_CREDENTIAL_V1,
        REGISTER_ENTRY_V1,
        SCHEME_INFORMATION_V1,
        CERTIFICATION_CREDENTIAL_V2,
        CERTIFICATION_MARK_CREDENTIAL_V2,
        REGISTER_ENTRY_V2,
        SCHEME_INFORMATION_V2,
        CERTIFICATION_CREDENTIAL_V3,
        CERTIFICATION_MARK_CREDENTIAL_V3,
        REGISTER_ENTRY_V3,
        SCHEME_INFORMATION_V3,
        CERTIFICATION_CREDENTIAL_V4,
        STATUS_LIST_CREDENTIAL_V1,
        ISSUER_KEYS_V1,
        AUDIT_CHECKPOINT_V1,
        BODY_INFORMATION_V1,
    }
)
"""Every schema shipped in ``schemas/json/``, by the name in its URL."""
_SCHEMAS = SCHEMA_NAMES

CONTEXT_V1 = "certreg-v1"
"""certreg's first JSON-LD context, cited as :data:`CONTEXT_V1_URL` by the documents signed
before version 2. It leaves a register entry's ``credentials[].status`` undefined (JSON-LD
drops it); kept byte for byte, because those documents still cite it."""
CONTEXT_V1_URL = "https://w3id.org/certreg/v1"
CONTEXT_V2 = "certreg-v2"
"""The context of the version 2 documents, at ``{base_url}/contexts/certreg-v2.jsonld``:
version 1 plus the terms of a register entry's list of credentials (``status``,
``supersedes``, ``supersededBy``), which version 1 scoped where JSON-LD does not look."""
CONTEXT_V3 = "certreg-v3"
"""The context documents cite now, at ``{base_url}/contexts/certreg-v3.jsonld``: every
term of version 2 plus ``originalCertificationDate`` (certificate, mark, register entry)
and the recertification window and evidence of a scheme."""
CONTEXT_BODY_V1 = "certreg-body-v1"
"""The terms of the body information (``BodyInformationCredential``, ``CertificationBody``),
at ``{base_url}/contexts/certreg-body-v1.jsonld``, cited after :data:`CONTEXT_V3`: a small
context of its own, so the one every certificate cites stays as it is."""
CONTEXT_NAMES = frozenset({CONTEXT_V1, CONTEXT_V2, CONTEXT_V3, CONTEXT_BODY_V1})
"""Every context shipped in ``schemas/contexts/`` (as ``{name}.jsonld``)."""


class SchemaViolation(ValueError):
    """A document does not match its JSON Schema; ``problems`` lists each violation."""

    def __init__(self, name: str, problems: list[str]) -> None:
        super().__init__(f"{name}: " + "; ".join(problems))
        self.name = name
        self.problems = problems


def _read(folder: str, filename: str) -> bytes:
    return resources.files("schemas").joinpath(folder, filename).read_bytes()


@cache
def schema_bytes(name: str) -> bytes:
    """The file of schema ``name`` exactly as shipped (``KeyError`` for an unknown name)."""
    if name not in _SCHEMAS:
        raise KeyError(name)
    return _read("json", f"{name}.json")


@cache
def schema_document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(schema_bytes(name))
    return document


@cache
def context_bytes(name: str) -> bytes:
    """The file of JSON-LD context ``name`` exactly as shipped (``KeyError`` if unknown)."""
    if name not in CONTEXT_NAMES:
        raise KeyError(name)
    return _read("contexts", f"{name}.jsonld")


@cache
def context_document(name: str = CONTEXT_V3) -> dict[str, Any]:
    """JSON-LD context ``name``, parsed (by default the one documents cite now)."""
    document: dict[str, Any] = json.loads(context_bytes(name))
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
