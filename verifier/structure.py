"""Is a verified payload a conforming VC Data Model 2.0 credential in its ``vc+jwt`` form?

VCDM 2.0 §1.3 and §7.1 oblige a verifier to check every property it relies on and to answer
MALFORMED_VALUE_ERROR for a non-conforming document, once the signature has held. This module
holds those checks, and only those: trust, validity windows against a clock and status are
decided elsewhere.

The checks are type-specific processing (VCDM §6.3): no JSON-LD processor runs, because
certreg pins the contexts it reads. What JSON-LD would reject and can still be seen without
expanding is refused here too: an inline context that redefines a protected term (the base
context protects all of its terms), an inline term mapped to something that cannot be an
IRI, and — when every context is the base context or inline, so all terms are known — a
``type`` that is neither a URL nor a defined term (the base context has no ``@vocab``).

The JWT-form rules are VC-JOSE-COSE §3.1.1 and §4.1.2: no ``vc`` or ``vp`` claim, ``iss``
equal to the issuer, and registered claims that do not contradict the credential. The
official vc-jose-cose test tokens carry a string ``iat`` and are meant to verify, so a
malformed ``iat`` (a signature time the verifier does not use) is a warning, while a malformed
``exp`` or ``nbf`` (which would decide validity) is an error.

It runs on every verification, so it is plain dictionary and precompiled-regex work, with
fast paths for ASCII URLs and "…T…Z" timestamps: a 1.6 KB certification credential takes
about as long as ``json.loads`` of it (≈12 µs on a slow CI core).

Every refusal is a :class:`~verifier.errors.MalformedValueError` whose ``reason`` is one of
:data:`REASONS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from verifier.errors import MalformedValueError
from verifier.memo import TextMemo
from verifier.timestamps import Instant, instant

__all__ = ["BASE_CONTEXT", "REASONS", "check_credential", "is_url", "issuer_id"]

BASE_CONTEXT = "https://www.w3.org/ns/credentials/v2"

REASONS = frozenset(
    {
        "not-an-object",
        "context",
        "context-term",
        "protected-term",
        "type",
        "undefined-type",
        "id",
        "issuer",
        "credential-subject",
        "date-time",
        "validity-period",
        "typed-object",
        "credential-schema",
        "related-resource",
        "language-value",
        "jwt-claims",
        "iss",
        "jti",
        "sub",
        "nbf",
        "exp",
        "numeric-date",
    }
)
"""The stable ``reason`` labels a refusal carries (VCDM 2.0 section in the detail text)."""

# RFC 3986 §3.1 scheme, then one or more IRI characters (RFC 3987): no controls, no space or
# other whitespace, none of <>"{}|\^`, no surrogates or non-characters; "%" only as a full
# escape (checked apart: rare). An http(s) URL also needs a non-empty authority. The ASCII
# expression lists what is allowed, which is several times faster than the general one.
_NOT_HTTP_WITHOUT_AUTHORITY = r"(?!(?i:https?):(?!//[^/?#]))[A-Za-z][A-Za-z0-9+.\-]*:"
_ASCII_IRI_CHAR = r"[!#-;=?-\[\]_a-z~]"
_IRI_CHAR = r"[^\s\x00-\x1f\x7f-\x9f<>\"{}|\\^`\ud800-\udfff\ufffe\uffff]"
_ASCII_URL = re.compile(_NOT_HTTP_WITHOUT_AUTHORITY + _ASCII_IRI_CHAR + "+")
_URL = re.compile(_NOT_HTTP_WITHOUT_AUTHORITY + _IRI_CHAR + "+")
_ASCII_IRI_CHARS = re.compile(_ASCII_IRI_CHAR + "+")
_IRI_CHARS = re.compile(_IRI_CHAR + "+")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")

_TYPED_MEMBERS = (
    "credentialStatus",
    "termsOfUse",
    "evidence",
    "refreshService",
    "proof",
    "renderMethod",
    "confidenceMethod",
)
"""Members whose every object MUST carry ``type`` (VCDM 2.0 §4.10, §5.4–§5.6, §5.10)."""

_LANGUAGE_KEYS = frozenset({"@value", "@language", "@direction"})

# The base context's top-level terms, all @protected (VCDM 2.0 Appendix B.1, pinned by its
# hash). The value is the definition an inline context may repeat unchanged (JSON-LD 1.1
# allows an identical redefinition of a protected term); None marks type-scoped definitions
# that no inline context reproduces, so any redefinition of those is refused.
_IANA_JWT = "https://www.iana.org/assignments/jwt#"
_IANA_JOSE = "https://www.iana.org/assignments/jose#"
_NON_NEGATIVE = "https://www.w3.org/2001/XMLSchema#nonNegativeInteger"
_BASE_TERMS: dict[str, dict[str, Any] | None] = {
    "id": {"@id": "@id"},
    "type": {"@id": "@type"},
    "description": {"@id": "https://schema.org/description"},
    "name": {"@id": "https://schema.org/name"},
    "digestMultibase": {
        "@id": "https://w3id.org/security#digestMultibase",
        "@type": "https://w3id.org/security#multibase",
    },
    "digestSRI": {
        "@id": "https://www.w3.org/2018/credentials#digestSRI",
        "@type": "https://www.w3.org/2018/credentials#sriString",
    },
    "mediaType": {"@id": "https://schema.org/encodingFormat"},
    "VerifiableCredential": None,
    "EnvelopedVerifiableCredential": {
        "@id": "https://www.w3.org/2018/credentials#EnvelopedVerifiableCredential"
    },
    "VerifiablePresentation": None,
    "EnvelopedVerifiablePresentation": {
        "@id": "https://www.w3.org/2018/credentials#EnvelopedVerifiablePresentation"
    },
    "JsonSchemaCredential": {"@id": "https://www.w3.org/2018/credentials#JsonSchemaCredential"},
    "JsonSchema": None,
    "BitstringStatusListCredential": {
        "@id": "https://www.w3.org/ns/credentials/status#BitstringStatusListCredential"
    },
    "BitstringStatusList": None,
    "BitstringStatusListEntry": None,
    "DataIntegrityProof": None,
    "...": {"@id": _IANA_JWT + "..."},
    "_sd": {"@id": _IANA_JWT + "_sd", "@type": "@json"},
    "_sd_alg": {"@id": _IANA_JWT + "_sd_alg"},
    "aud": {"@id": _IANA_JWT + "aud", "@type": "@id"},
    "cnf": None,
    "exp": {"@id": _IANA_JWT + "exp", "@type": _NON_NEGATIVE},
    "iat": {"@id": _IANA_JWT + "iat", "@type": _NON_NEGATIVE},
    "iss": {"@id": _IANA_JOSE + "iss", "@type": "@id"},
    "jku": {"@id": _IANA_JOSE + "jku", "@type": "@id"},
    "kid": {"@id": _IANA_JOSE + "kid", "@type": "@id"},
    "nbf": {"@id": _IANA_JWT + "nbf", "@type": _NON_NEGATIVE},
    "sub": {"@id": _IANA_JOSE + "sub", "@type": "@id"},
    "x5u": {"@id": _IANA_JOSE + "x5u", "@type": "@id"},
}
_BASE_TERM_NAMES = frozenset(_BASE_TERMS)
_Terms = frozenset[str] | set[str] | None
"""Every term the contexts define, or None when a remote context or @vocab leaves it open."""


def _fail(detail: str, reason: str) -> MalformedValueError:
    return MalformedValueError(detail, reason=reason)


def is_url(value: object) -> bool:
    """True for an absolute URL (RFC 3986 scheme + IRI characters), as VCDM 2.0 §4.4 asks.

    ``did:…``, ``urn:…`` and ``data:…`` qualify; ``http``/``https`` URLs also need a
    non-empty authority, so ``https:example`` and ``https:///x`` do not.
    """
    if type(value) is str:
        known = _url_known(value)
        return _url_answers(value) if known is None else known
    return isinstance(value, str) and _is_url(value)


def _is_url(value: str) -> bool:
    head, mark, fragment = value.rpartition("#")
    if mark and fragment.isdigit() and fragment.isascii() and _head_answers(head):
        # A URL followed by "#" and ASCII digits is a URL: both are IRI characters, and
        # neither the scheme nor the authority test looks past the URL's own start. Every
        # status entry's id is its list's URL (remembered) with such a fragment, and each
        # id is seen once: this spares the expression a few times per credential.
        return True
    return _matches_url(value)


def _matches_url(value: str) -> bool:
    """The URL test itself, without shortcuts (and so without recursion: a text of many
    ``#1`` fragments is one expression match, not one call per fragment)."""
    if (_ASCII_URL if value.isascii() else _URL).fullmatch(value) is None:
        return False
    return "%" not in value or _BAD_PERCENT.search(value) is None


_url_answers = TextMemo(_is_url, max_entries=1024, max_length=256)
"""Contexts, issuer, schema, status list and scheme URLs repeat across credentials."""
_url_known = _url_answers.known
_head_answers = TextMemo(_matches_url, max_entries=256, max_length=256)
"""The URLs before a ``#digits`` fragment: an issuer's few status list URLs."""


def _is_iri_text(value: str) -> bool:
    """Could ``value`` be a term or an IRI once expanded? (No character an IRI forbids.)"""
    if value.isalnum():
        return True
    return (_ASCII_IRI_CHARS if value.isascii() else _IRI_CHARS).fullmatch(value) is not None


def issuer_id(document: Mapping[str, Any]) -> str:
    """The issuer's URL: ``issuer`` itself, or ``issuer.id`` (VCDM 2.0 §4.7)."""
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    if not isinstance(issuer, str) or not is_url(issuer):
        raise _fail("issuer must be a URL or an object whose id is a URL (VCDM 2.0 §4.7)", "issuer")
    return issuer


def check_credential(document: Mapping[str, Any]) -> list[str]:
    """Raise MalformedValueError at the first VCDM 2.0 / vc+jwt violation; return warnings."""
    if not isinstance(document, dict) and not isinstance(document, Mapping):
        raise _fail("the credential is not a JSON object", "not-an-object")
    warnings: list[str] = []
    if "vc" in document or "vp" in document:
        raise _fail("the claims vc and vp must not appear (VC-JOSE-COSE §3.1.1)", "jwt-claims")
    terms = _check_context(document.get("@context"))
    types = _type_values(document.get("type"), "type", terms)
    if types is None:
        raise _fail("type is required (VCDM 2.0 §4.5)", "type")
    if "VerifiableCredential" not in types:
        raise _fail("type must include VerifiableCredential (VCDM 2.0 §4.5)", "type")
    credential_id = document.get("id")
    if "id" in document and not is_url(credential_id):
        raise _fail("id must be a single URL (VCDM 2.0 §4.4)", "id")
    issuer = issuer_id(document)
    _check_issuer_object(document["issuer"], terms)
    subject_ids = _check_subjects(document.get("credentialSubject"), terms)
    _check_validity_period(document)
    for member in _TYPED_MEMBERS:
        if member in document:
            _check_typed(document[member], member, terms, id_required=False)
    if "credentialSchema" in document:
        _check_typed(document["credentialSchema"], "credentialSchema", terms, id_required=True)
    if "relatedResource" in document:
        _check_related_resources(document["relatedResource"])
    for member in ("name", "description"):
        if member in document and not isinstance(document[member], str):
            _check_language_value(document[member], member)
    _check_registered_claims(document, issuer, credential_id, subject_ids, warnings)
    return warnings


def _check_context(context: object) -> _Terms:
    """Check @context (VCDM 2.0 §4.3); return the defined terms if every context is known."""
    if not isinstance(context, list) or not context or context[0] != BASE_CONTEXT:
        raise _fail(
            f"@context must be a list whose first item is {BASE_CONTEXT} (VCDM 2.0 §4.3)",
            "context",
        )
    known = True
    terms: set[str] | None = None
    protected: dict[str, dict[str, Any] | None] | None = None
    for item in context[1:]:
        if isinstance(item, str):
            if not is_url(item):
                raise _fail(f"@context item {item[:80]!r} is not a URL (VCDM 2.0 §4.3)", "context")
            if item != BASE_CONTEXT:
                known = False  # a remote context may define any term
        elif isinstance(item, dict):
            if protected is None or terms is None:
                protected, terms = dict(_BASE_TERMS), set(_BASE_TERM_NAMES)
            known = _check_inline_context(item, protected, terms) and known
        else:
            raise _fail("@context items must be URLs or objects (VCDM 2.0 §4.3)", "context")
    if not known:
        return None
    return _BASE_TERM_NAMES if terms is None else terms


def _check_inline_context(
    context: dict[str, Any],
    protected: dict[str, dict[str, Any] | None],
    terms: set[str],
) -> bool:
    """Apply the JSON-LD rules an inline context can break without expansion.

    Records the terms it defines and protects; False when it makes every term expandable
    (a non-null ``@vocab``) or pulls in unknown definitions (``@import``).
    """
    context_protected = context.get("@protected") is True
    for term, definition in context.items():
        if term.startswith("@"):
            continue
        if definition is None:
            normal: dict[str, Any] | None = None
            term_protected = False
        elif isinstance(definition, str):
            normal = {"@id": definition}
            term_protected = context_protected
        elif isinstance(definition, dict):
            normal = {k: v for k, v in definition.items() if k != "@protected"}
            term_protected = definition.get("@protected", context_protected) is True
        else:
            raise _fail(f"@context term {term[:80]!r} has an invalid definition", "context-term")
        iri = normal.get("@id") if normal is not None else None
        if iri is not None and (
            not isinstance(iri, str) or (not iri.startswith("@") and not _is_iri_text(iri))
        ):
            raise _fail(f"@context term {term[:80]!r} maps to an invalid IRI", "context-term")
        if term in protected:
            previous = protected[term]
            if previous is None or normal != previous:
                raise _fail(
                    f"@context redefines the protected term {term[:80]!r} (JSON-LD 1.1 §4.1.11)",
                    "protected-term",
                )
        elif term_protected:
            protected[term] = normal
        if normal is None:
            terms.discard(term)
        else:
            terms.add(term)
    return context.get("@vocab") is None and "@import" not in context


def _type_values(value: object, where: str, terms: _Terms) -> tuple[str, ...] | None:
    """A ``type``: one or more terms or URLs (VCDM 2.0 §4.5); None when absent."""
    if value is None:
        return None
    if isinstance(value, str):
        if terms is None and value.isalnum():
            return (value,)  # a term, and any term may be defined by a remote context
        values: tuple[Any, ...] = (value,)
    elif isinstance(value, list) and value:
        values = tuple(value)
    else:
        raise _fail(f"{where} must be a string or a non-empty list of strings", "type")
    for item in values:
        if not isinstance(item, str) or not _is_iri_text(item):
            raise _fail(f"{where} values must be terms or URLs (VCDM 2.0 §4.5)", "type")
        if terms is not None and item not in terms and not is_url(item):
            raise _fail(
                f"{where} value {item[:80]!r} is neither a URL nor a term any context defines",
                "undefined-type",
            )
    return values


def _check_issuer_object(issuer: object, terms: _Terms) -> None:
    if isinstance(issuer, dict):
        if "type" in issuer:
            _type_values(issuer["type"], "issuer.type", terms)
        for member in ("name", "description"):
            if member in issuer and not isinstance(issuer[member], str):
                _check_language_value(issuer[member], "issuer." + member)


def _check_subjects(subjects: object, terms: _Terms) -> list[str]:
    """credentialSubject: objects with at least one claim each (VCDM 2.0 §4.8)."""
    if isinstance(subjects, dict):
        subjects = [subjects]
    elif not isinstance(subjects, list) or not subjects:
        raise _fail(
            "credentialSubject must be an object or a non-empty list of objects (VCDM 2.0 §4.8)",
            "credential-subject",
        )
    ids: list[str] = []
    for subject in subjects:
        if not isinstance(subject, dict) or not subject:
            raise _fail(
                "each credentialSubject must be an object with at least one claim (VCDM 2.0 §4.8)",
                "credential-subject",
            )
        if "id" in subject:
            subject_id = subject["id"]
            if not is_url(subject_id):
                raise _fail("credentialSubject.id must be a single URL (VCDM 2.0 §4.8)", "id")
            ids.append(subject_id)
        if "type" in subject:
            _type_values(subject["type"], "credentialSubject.type", terms)
    return ids


def _instant(value: object, member: str) -> Instant:
    try:
        return instant(value)
    except ValueError as exc:
        raise _fail(
            f"{member} must be an XML Schema dateTimeStamp (VCDM 2.0 §4.9)", "date-time"
        ) from exc


def _check_validity_period(document: Mapping[str, Any]) -> None:
    start = _instant(document["validFrom"], "validFrom") if "validFrom" in document else None
    end = _instant(document["validUntil"], "validUntil") if "validUntil" in document else None
    # Digit strings without trailing zeros compare like the fractions they spell.
    if start is not None and end is not None and start > end:
        raise _fail("validFrom is later than validUntil (VCDM 2.0 §4.9)", "validity-period")


def _check_typed(value: object, member: str, terms: _Terms, *, id_required: bool) -> None:
    """Each object needs ``type``; an ``id``, where given or required, is a URL."""
    entries = value if isinstance(value, list) else [value]
    if not entries:
        raise _fail(f"{member} must be one or more objects", "typed-object")
    reason = "credential-schema" if id_required else "typed-object"
    where = member + ".type"
    for entry in entries:
        if not isinstance(entry, dict):
            raise _fail(f"{member} must be one or more objects", reason)
        if _type_values(entry.get("type"), where, terms) is None:
            raise _fail(f"each {member} object must have a type (VCDM 2.0 §4.5)", reason)
        if ("id" in entry or id_required) and not is_url(entry.get("id")):
            raise _fail(f"{member}.id must be a single URL", reason)


def _check_related_resources(value: object) -> None:
    """relatedResource: objects with a unique URL id and a digest (VCDM 2.0 §5.3)."""
    entries = value if isinstance(value, list) else [value]
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict) or not is_url(entry.get("id")):
            raise _fail("each relatedResource needs an id that is a URL", "related-resource")
        resource_id = entry["id"]
        if resource_id in seen:
            raise _fail("relatedResource ids must be unique (VCDM 2.0 §5.3)", "related-resource")
        seen.add(resource_id)
        digests = [entry[k] for k in ("digestSRI", "digestMultibase") if k in entry]
        if not digests or not all(isinstance(d, str) and d for d in digests):
            raise _fail(
                "each relatedResource needs digestSRI or digestMultibase (VCDM 2.0 §5.3)",
                "related-resource",
            )


def _check_language_value(value: object, member: str) -> None:
    """A string, a language value object, or a list of them (VCDM 2.0 §4.6, §11.1)."""
    for item in value if isinstance(value, list) else (value,):
        if isinstance(item, str):
            continue
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("@value"), str)
            or not _LANGUAGE_KEYS.issuperset(item)
            or ("@language" in item and not isinstance(item["@language"], str))
            or ("@direction" in item and item["@direction"] not in ("ltr", "rtl"))
        ):
            raise _fail(
                f"{member} must be a string or a value object with only @value, @language "
                "and @direction (VCDM 2.0 §4.6)",
                "language-value",
            )


def _is_numeric_date(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value)
    )


def _check_registered_claims(
    document: Mapping[str, Any],
    issuer: str,
    credential_id: object,
    subject_ids: list[str],
    warnings: list[str],
) -> None:
    """JWT claims beside the credential must not contradict it (VC-JOSE-COSE §3.1.3, §4.1.2)."""
    if "iss" in document and document["iss"] != issuer:
        raise _fail("iss must equal the issuer's id (VC-JOSE-COSE §4.1.2)", "iss")
    if "jti" in document and document["jti"] != credential_id:
        raise _fail("jti must equal the credential's id (VC-JOSE-COSE §3.1.3)", "jti")
    for claim in ("exp", "nbf"):
        if claim in document and not _is_numeric_date(document[claim]):
            raise _fail(f"{claim} must be a NumericDate (RFC 7519 §2)", "numeric-date")
    if "iat" in document and not _is_numeric_date(document["iat"]):
        warnings.append("iat is not a NumericDate (RFC 7519 §2); it was ignored")
    if "sub" in document and document["sub"] not in subject_ids:
        warnings.append("sub names no credentialSubject id (VC-JOSE-COSE §3.1.3); it was ignored")
