"""Certificate credentials rendered from templates, and the per-row half of their validation.

Every certificate credential of one scheme version and scope is the same JSON text between
the fields that vary per row. :class:`_Template` is that text, made by
:func:`issuer.credentials.documents.certificate_credential` itself with marked values, so
rendering a row gives the very document single issuance would build. The first document of
each template is validated in full against the JSON Schema, and every row's variable values
against the schema's own sub-schemas (:func:`_check_leaves`). Where no template can be made
(a scheme's text holding the marks, a leaf keyword the checks do not know), every document
is built and validated in full instead (:mod:`issuer.bulk.prepare`).

The names keep their underscore: they are for the modules beside this one in
:mod:`issuer.bulk`, and for nothing outside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from jsonschema import FormatChecker

from issuer.bulk.rosters import _Row
from issuer.credentials import documents
from issuer.credentials.identity import IssuerIdentity
from issuer.model import (
    Certification,
    CertificationStatus,
    Person,
    PersonConfidential,
    RosterGrant,
    StatusSlot,
)
from schemas.credential_schemas import (
    CERTIFICATION_CREDENTIAL_V3,
    SchemaViolation,
    schema_document,
    validate,
)

__all__: list[str] = []


# ── credential templates ─────────────────────────────────────────────────────────────────
_MARK = re.compile("\ue000([a-z]+)\ue001")
_EFFECTIVE, _EXPIRY = date(1901, 2, 3), date(1902, 4, 5)


def _mark(name: str) -> str:
    return f"\ue000{name}\ue001"


_LEAVES = {
    "c": ("id",),
    "vf": ("validFrom",),
    "vu": ("validUntil",),
    "g": ("credentialSubject", "givenName"),
    "f": ("credentialSubject", "familyName"),
    "n": ("credentialSubject", "certification", "certificateNumber"),
    "e": ("credentialSubject", "certification", "effectiveDate"),
    "x": ("credentialSubject", "certification", "expiryDate"),
}
"""The variable leaves of a certificate credential and their paths in the document."""

_FORMATS = FormatChecker()
_FIELDS = {"c", "vf", "vu", "g", "f", "n", "e", "x", "rl", "ri", "sl", "si", "t"}


def _subschema(schema: dict[str, Any], path: Sequence[str]) -> dict[str, Any]:
    node = schema
    for key in path:
        node = node["properties"][key]
    return node


def _leaf_check(subschema: Mapping[str, Any]) -> Callable[[Any], bool]:
    """A check of one value against a leaf sub-schema of the credential schema, for the
    keywords such leaves use; any other keyword makes the template fall back to full
    validation of every document (``KeyError``)."""
    supported = {"type", "minLength", "maxLength", "pattern", "format", "minimum"}
    if set(subschema) - supported:
        raise KeyError(sorted(set(subschema) - supported))
    kind = subschema.get("type")
    low = subschema.get("minLength", 0)
    high = subschema.get("maxLength")
    pattern = re.compile(subschema["pattern"]) if "pattern" in subschema else None
    fmt = subschema.get("format")
    minimum = subschema.get("minimum")

    def check(value: Any) -> bool:
        if kind == "integer":
            return (
                isinstance(value, int)
                and not isinstance(value, bool)
                and (minimum is None or value >= minimum)
            )
        if not isinstance(value, str) or len(value) < low:
            return False
        if high is not None and len(value) > high:
            return False
        if pattern is not None and pattern.search(value) is None:
            return False
        return fmt is None or _FORMATS.conforms(value, fmt)

    return check


class _Template:
    """One scheme version and scope's certificate credential as literal JSON text between
    the fields that vary per row, made by
    :func:`issuer.credentials.documents.certificate_credential` itself with marked values, so the
    fast path renders the very document it would build."""

    def __init__(self, identity: IssuerIdentity, row: _Row) -> None:
        version = row.scheme.version
        marks = cast(Any, _mark)
        document = documents.certificate_credential(
            credential_id=_mark("c"),
            identity=identity,
            certification=Certification(
                id="-",
                certificate_number=_mark("n"),
                person_id="-",
                scheme_id=row.scheme.scheme_id,
                scheme_version_id=version.id,
                scheme_version=version.version,
                application_id="-",
                decision_id="-",
                scope=row.scope,
                status=CertificationStatus.ACTIVE,
                effective_date=_EFFECTIVE,
                expiry_date=_EXPIRY,
                created_at=datetime.min,
                original_certification_date=_EFFECTIVE,
            ),
            person=Person(
                id="-",
                given_name=_mark("g"),
                family_name=_mark("f"),
                public_notice_version="-",
                notice_given_at=datetime.min,
                directory_consent=False,
                confidential=PersonConfidential(None, None, None, None, None),
                created_at=datetime.min,
            ),
            scheme_code=row.scheme.code,
            version=version,
            revocation=StatusSlot(_mark("rl"), marks("ri")),
            suspension=StatusSlot(_mark("sl"), marks("si")),
        )
        # The claims of :func:`issuer.credentials.identity.jwt_claims`, ``iat`` marked.
        claims = {"iss": identity.did, "iat": _mark("t")}
        text = json.dumps({**document, **claims}, separators=(",", ":"), ensure_ascii=False)
        text = text.replace(f'"{_mark("t")}"', _mark("t"))
        for stamp, name in (
            (documents.valid_from(_EFFECTIVE), "vf"),
            (documents.valid_until(_EXPIRY), "vu"),
        ):
            text = _replace_once(text, stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), _mark(name))
        # A grant's first certification date is its effective date: both leaves take "e".
        text = _replace_once(text, _EFFECTIVE.isoformat(), _mark("e"), times=2)
        text = _replace_once(text, _EXPIRY.isoformat(), _mark("x"))
        pieces = _MARK.split(text)
        self.literals = pieces[0::2]
        self.names = pieces[1::2]
        if "\ue000" in "".join(self.literals) or set(self.names) != _FIELDS:
            raise ValueError("the scheme's own text holds template marks")
        schema = schema_document(CERTIFICATION_CREDENTIAL_V3)
        self.checks = {name: _leaf_check(_subschema(schema, p)) for name, p in _LEAVES.items()}
        self.checks["name"] = _leaf_check(_subschema(schema, ("credentialSubject", "name")))
        self.checks["t"] = _leaf_check(_subschema(schema, ("iat",)))
        status = schema["properties"]["credentialStatus"]["items"]["properties"]
        self.checks["index"] = _leaf_check(status["statusListIndex"])
        self.checks["list"] = _leaf_check(status["statusListCredential"])
        self.checks["entry"] = _leaf_check(status["id"])
        self.verified = False
        self.valid: set[tuple[str, str]] = set()
        """Values of the leaves a batch repeats (dates, ``iat``, list URLs) found valid."""
        # One %-format string: rendering is then a single C-level operation per document.
        self.format = "%s".join(literal.replace("%", "%%") for literal in self.literals)

    def render(self, values: Mapping[str, str]) -> str:
        return self.format % tuple([values[name] for name in self.names])

    def conforms(self, name: str, value: str) -> bool:
        """``checks[name](value)``, remembered for the leaves whose values repeat."""
        if (name, value) in self.valid:
            return True
        if not self.checks[name](value):
            return False
        if len(self.valid) > 65_536:
            self.valid.clear()
        self.valid.add((name, value))
        return True


def _replace_once(text: str, old: str, new: str, *, times: int = 1) -> str:
    """Replace the value ``old``, which must be in the template exactly ``times`` times."""
    if text.count(f'"{old}"') != times:
        raise ValueError(f"{old} is not a single value of the template")
    return text.replace(f'"{old}"', f'"{new}"')


def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _check_leaves(
    template: _Template,
    row: _Row,
    grant: RosterGrant,
    values: Mapping[str, str],
    rev_url: str,
    sus_url: str,
    iat: int,
) -> None:
    """The per-row half of schema validation: every value that varies between the
    documents of one template, against its own sub-schema of the credential schema."""
    checks = template.checks
    conforms = template.conforms
    problems = [name for name in _REPEATING if not conforms(name, values[name])]
    for name, value in (
        ("g", row.given_name),
        ("f", row.family_name),
        ("n", grant.certificate_number),
    ):
        if not checks[name](value):
            problems.append(name)
    if not checks["c"](f"urn:uuid:{grant.credential_id}"):
        problems.append("id")
    if not checks["name"](f"{row.given_name} {row.family_name}"):
        problems.append("name")
    if not checks["t"](iat):
        problems.append("iat")
    for url, index in ((rev_url, values["ri"]), (sus_url, values["si"])):
        # A status entry's id is its list's URL with the index as fragment: whether that is
        # a URI depends on the URL alone once the index is digits, so the URL and the entry
        # form are checked once per list (``#0``), and the index on every document.
        if not (conforms("list", url) and conforms("entry", f"{url}#0") and checks["index"](index)):
            problems.append("credentialStatus")
    if problems:
        raise SchemaViolation(CERTIFICATION_CREDENTIAL_V3, problems)


_REPEATING = ("vf", "vu", "e", "x")
"""Leaves whose values a batch repeats (dates): checked once per distinct value."""


def _validate(document: dict[str, Any]) -> None:
    validate(CERTIFICATION_CREDENTIAL_V3, document)
