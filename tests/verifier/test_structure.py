"""VCDM 2.0 conformance checks against the W3C suites' fixtures, and properties over any JSON."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier import structure
from verifier.errors import MalformedValueError
from verifier.structure import BASE_CONTEXT, REASONS, check_credential, is_url, issuer_id

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
VCDM_SUITE = VECTORS / "w3c-vc-data-model-2.0-test-suite"
JOSE_SUITE = VECTORS / "w3c-vc-jose-cose-test-suite"
SUITE_ISSUER = "did:example:issuer"

PRESENTATIONS = (
    "presentation-context-combo1-ok.json",
    "presentation-context-combo2-ok.json",
    "presentation-context-order-fail.json",
    "presentation-enveloped-vc-missing-type-fail.json",
    "presentation-enveloped-vc-ok.json",
    "presentation-holder-fail.json",
    "presentation-holder-name-fail.json",
    "presentation-holder-object-fail.json",
    "presentation-holder-object-ok.json",
    "presentation-holder-ok.json",
    "presentation-id-ok.json",
    "presentation-missing-base-context-fail.json",
    "presentation-missing-required-type-fail.json",
    "presentation-multiple-vc-ok.json",
    "presentation-no-context-fail-or-inject.json",
    "presentation-no-type-fail.json",
    "presentation-ok.json",
    "presentation-optional-type-ok.json",
    "presentation-self-asserted-vc-holder-mismatch.json",
    "presentation-self-asserted-vc-issuer-mismatch.json",
    "presentation-self-asserted-vc-no-holder.json",
    "presentation-self-asserted-vc-ok.json",
    "presentation-vc-as-string-fail.json",
    "presentation-vc-missing-required-type-fail.json",
    "presentation-vc-ok.json",
)
NOT_APPLICABLE = dict.fromkeys(
    PRESENTATIONS, "certreg verifies credentials; a presentation is never accepted as one"
)
"""Every suite fixture this test does not run, with the reason; nothing else is skipped."""

EXPECTED_REASON = {
    "credential-context-combo3-fail.json": "context",
    "credential-context-combo4-fail.json": "context",
    "credential-description-extra-prop-en-fail.json": "language-value",
    "credential-evidence-missing-type-fail.json": "typed-object",
    "credential-id-multi-fail.json": "id",
    "credential-id-nonidentifier-fail.json": "id",
    "credential-id-not-url-fail.json": "id",
    "credential-id-subject-multi-fail.json": "id",
    "credential-issuer-no-url-fail.json": "issuer",
    "credential-issuer-null-fail.json": "issuer",
    "credential-issuer-object-id-no-url-fail.json": "issuer",
    "credential-issuer-object-id-null-fail.json": "issuer",
    "credential-missing-base-context-fail-or-inject.json": "context",
    "credential-missing-required-type-fail.json": "type",
    "credential-name-extra-prop-en-fail.json": "language-value",
    "credential-no-context-fail-or-inject.json": "context",
    "credential-no-issuer-fail.json": "credential-subject",
    "credential-no-subject-fail.json": "credential-subject",
    "credential-no-type-fail.json": "type",
    "credential-proof-missing-type-fail.json": "typed-object",
    "credential-redef-type-fail.json": "protected-term",
    "credential-redef-type2-fail.json": "protected-term",
    "credential-refresh-no-type-fail.json": "typed-object",
    "credential-schema-no-id-fail.json": "credential-schema",
    "credential-schema-no-type-fail.json": "credential-schema",
    "credential-schema-non-url-id-fail.json": "credential-schema",
    "credential-status-missing-type-fail.json": "typed-object",
    "credential-status-multiple-id-fail.json": "typed-object",
    "credential-status-nonurl-id-fail.json": "typed-object",
    "credential-status-type-nonurl-fail.json": "type",
    "credential-subject-multiple-empty-fail.json": "credential-subject",
    "credential-subject-no-claims-fail.json": "credential-subject",
    "credential-termsofuse-missing-type-fail.json": "typed-object",
    "credential-termsofuse-no-type-fail.json": "typed-object",
    "credential-type-mapped-nonurl-fail.json": "context-term",
    "credential-type-unmapped-fail.json": "undefined-type",
    "credential-validUntil-validFrom-fail.json": "validity-period",
    "credential-validfrom-invalid-fail.json": "date-time",
    "credential-validuntil-invalid-fail.json": "date-time",
    "issuer-description-extra-prop-en-fail.json": "language-value",
    "issuer-name-extra-prop-en-fail.json": "language-value",
}
"""Why each -fail fixture must be refused, so none passes for an unrelated reason."""

ALL_FIXTURES = sorted(p.name for p in VCDM_SUITE.glob("*.json"))
RUN = [name for name in ALL_FIXTURES if name not in NOT_APPLICABLE]

CERTIFICATION_CREDENTIAL: dict[str, Any] = {
    "@context": [BASE_CONTEXT, "https://w3id.org/certreg/v1"],
    "id": "urn:uuid:3f1c4b8e-2a7d-4c55-9b1e-6a0d2f9c8e71",
    "type": ["VerifiableCredential", "CertificationCredential"],
    "issuer": {"id": "did:web:certs.example.org", "name": "Example Certification Body"},
    "validFrom": "2026-11-25T00:00:00Z",
    "validUntil": "2029-11-24T23:59:59Z",
    "credentialSubject": {
        "type": "CertifiedPerson",
        "name": "Ana Moreau",
        "givenName": "Ana",
        "familyName": "Moreau",
        "certification": {
            "type": "Certification",
            "certificateNumber": "0DAJ-X4XJ-TG2A-KSXB-6",
            "scheme": {
                "id": "https://certs.example.org/schemes/welding-inspector",
                "type": "CertificationScheme",
                "code": "WI",
                "name": "Certified Welding Inspector",
                "version": 1,
            },
            "scope": [
                {"type": "ScopeItem", "code": "VT-STEEL", "name": "Visual testing of steel welds"},
                {"type": "ScopeItem", "code": "UT-PIPE", "name": "Ultrasonic testing of pipes"},
            ],
            "effectiveDate": "2026-11-25",
            "expiryDate": "2029-11-24",
        },
    },
    "credentialStatus": [
        {
            "id": "https://certs.example.org/status/3#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://certs.example.org/status/3",
        },
        {
            "id": "https://certs.example.org/status/4#1200",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "suspension",
            "statusListIndex": "1200",
            "statusListCredential": "https://certs.example.org/status/4",
        },
    ],
    "credentialSchema": {
        "id": "https://certs.example.org/schemas/certification-credential-v1.json",
        "type": "JsonSchema",
    },
    "iss": "did:web:certs.example.org",
    "iat": 1795564800,
}
"""A certreg certification credential as a vc+jwt payload (about 1.7 KB of JSON)."""

REQUIRED = ("@context", "type", "issuer", "credentialSubject")


def _as_issued(name: str) -> dict[str, Any]:
    """The fixture as the suite's issuer endpoint would sign it.

    The suite (tests/mock.data.js ``createRequestBody``) adds the issuer's id when a fixture
    has none, and fills the ``PAST DATE``/``FUTURE DATE`` placeholders; a fixture that sets
    ``issuer`` or ``issuer.id`` itself, even to null, is left as it is.
    """
    document: dict[str, Any] = json.loads((VCDM_SUITE / name).read_text("utf-8"))
    if "issuer" not in document:
        document["issuer"] = SUITE_ISSUER
    elif isinstance(document["issuer"], dict) and "id" not in document["issuer"]:
        document["issuer"]["id"] = SUITE_ISSUER
    placeholders = {"PAST DATE": "2020-01-01T00:00:00Z", "FUTURE DATE": "2099-01-01T00:00:00Z"}
    for member in ("validFrom", "validUntil"):
        if document.get(member) in placeholders:
            document[member] = placeholders[document[member]]
    return document


def _outcome(document: Any) -> str:
    """``accepted``, or the stable reason of the refusal; anything else escapes and fails."""
    try:
        warnings = check_credential(document)
    except MalformedValueError as error:
        return error.reason
    assert all(isinstance(warning, str) for warning in warnings)
    return "accepted"


def _reason(document: Any) -> str:
    with pytest.raises(MalformedValueError) as caught:
        check_credential(document)
    assert caught.value.reason in REASONS
    return caught.value.reason


def test_every_fixture_is_run_or_listed_as_not_applicable() -> None:
    assert len(ALL_FIXTURES) == 120
    assert set(NOT_APPLICABLE) <= set(ALL_FIXTURES)
    assert set(ALL_FIXTURES) - set(RUN) == set(NOT_APPLICABLE)
    failing = {name for name in RUN if not name.endswith("-ok.json")}
    assert failing == set(EXPECTED_REASON)
    assert set(EXPECTED_REASON.values()) <= REASONS


@pytest.mark.parametrize("name", RUN)
def test_vcdm_suite_fixture(name: str) -> None:
    document = _as_issued(name)
    if name.endswith("-ok.json"):
        assert check_credential(document) == []
    else:
        # "-fail-or-inject": an issuer may inject the base context, but a verifier holds
        # signed bytes it cannot change, so it must refuse.
        assert _reason(document) == EXPECTED_REASON[name]


def _jose_payload(name: str) -> dict[str, Any]:
    token = (JOSE_SUITE / name).read_text("ascii").strip()
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


@pytest.mark.parametrize(
    "name", ["credential-jose-minimal.txt", "credential-issuer-match-signed.txt"]
)
def test_jose_suite_payload_is_accepted_with_a_warning_about_iat(name: str) -> None:
    payload = _jose_payload(name)
    assert isinstance(payload["iat"], str)
    warnings = check_credential(payload)
    assert len(warnings) == 1
    assert "iat" in warnings[0]
    assert issuer_id(payload) == payload["iss"] == "https://example.issuer/vc-jose-cose"


def test_jose_suite_payload_with_vc_and_vp_claims_is_refused() -> None:
    assert _reason(_jose_payload("credential-jose-vc-vp-claims.txt")) == "jwt-claims"


def test_certification_credential_is_accepted_without_warnings() -> None:
    assert check_credential(CERTIFICATION_CREDENTIAL) == []
    assert len(json.dumps(CERTIFICATION_CREDENTIAL).encode()) > 1500
    assert issuer_id(CERTIFICATION_CREDENTIAL) == "did:web:certs.example.org"


def _with(**members: Any) -> dict[str, Any]:
    document = copy.deepcopy(CERTIFICATION_CREDENTIAL)
    for name, value in members.items():
        key = {"context": "@context"}.get(name, name)
        if value is ...:
            document.pop(key, None)
        else:
            document[key] = value
    return document


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"iss": "did:web:other.example"}, "iss"),
        ({"jti": "urn:uuid:00000000-0000-0000-0000-000000000000"}, "jti"),
        ({"id": ..., "jti": "urn:uuid:3f1c4b8e-2a7d-4c55-9b1e-6a0d2f9c8e71"}, "jti"),
        ({"exp": "2030-01-01T00:00:00Z"}, "numeric-date"),
        ({"nbf": True}, "numeric-date"),
        ({"exp": float("inf")}, "numeric-date"),
        ({"vc": {}}, "jwt-claims"),
        ({"context": BASE_CONTEXT}, "context"),
        ({"context": ["https://www.w3.org/ns/credentials/v2/"]}, "context"),
        ({"type": []}, "type"),
        ({"type": "CertificationCredential"}, "type"),
        ({"type": ["VerifiableCredential", "has space"]}, "type"),
        ({"issuer": {"id": "https:example.org"}}, "issuer"),
        ({"issuer": "https:///path"}, "issuer"),
        ({"validFrom": "2026-11-25T00:00:00"}, "date-time"),
        ({"validUntil": None}, "date-time"),
        ({"validFrom": 1795564800}, "date-time"),
        ({"validFrom": "2026-02-29T00:00:00Z"}, "date-time"),
        ({"validFrom": "2026-11-25T00:00:00+14:01"}, "date-time"),
        ({"validFrom": "２０２６-11-25T00:00:00Z"}, "date-time"),
        ({"validUntil": "2026-11-24T23:59:59.999999Z"}, "validity-period"),
        ({"credentialSubject": []}, "credential-subject"),
        ({"credentialStatus": []}, "typed-object"),
        ({"credentialSchema": {"id": "https://x.example/s.json"}}, "credential-schema"),
        ({"relatedResource": {"id": "https://x.example/m.svg"}}, "related-resource"),
        (
            {
                "relatedResource": [
                    {"id": "https://x.example/m.svg", "digestSRI": "sha384-x"},
                    {"id": "https://x.example/m.svg", "digestSRI": "sha384-y"},
                ]
            },
            "related-resource",
        ),
        ({"name": {"@value": "x", "@direction": "up"}}, "language-value"),
        ({"description": None}, "language-value"),
        ({"context": [BASE_CONTEXT, {"name": "https://example.org/name"}]}, "protected-term"),
        ({"context": [BASE_CONTEXT, {"id": None}]}, "protected-term"),
        ({"context": [BASE_CONTEXT, {"Certificate": 5}]}, "context-term"),
        ({"context": [BASE_CONTEXT, {"@vocab": None}]}, "undefined-type"),
        ({"context": [BASE_CONTEXT]}, "undefined-type"),
    ],
)
def test_certification_credential_variant_is_refused(members: dict[str, Any], reason: str) -> None:
    assert _reason(_with(**members)) == reason


@pytest.mark.parametrize(
    "members",
    [
        {"validUntil": "2026-11-25T00:00:00Z"},  # validFrom == validUntil
        {"validFrom": "2026-11-25T14:00:00+14:00", "validUntil": "2026-11-25T00:00:00.000Z"},
        {"validFrom": "2026-11-24T24:00:00Z", "validUntil": "2026-11-25T00:00:00Z"},
        {"validFrom": "-0044-03-15T12:00:00Z", "validUntil": "12026-01-01T00:00:00-14:00"},
        {"validFrom": ..., "validUntil": ...},
        {"context": [BASE_CONTEXT, "https://w3id.org/certreg/v1", {"id": "@id"}]},
        {
            "context": [BASE_CONTEXT, {"CertificationCredential": "https://w3id.org/certreg#C"}],
            "credentialSubject": {"name": "Ana Moreau"},
            "credentialStatus": ...,
        },
        {"context": [BASE_CONTEXT, {"@vocab": "https://w3id.org/certreg#"}]},
        {"name": [{"@value": "Certificat", "@language": "fr", "@direction": "ltr"}, "Certificate"]},
        {"relatedResource": {"id": "https://x.example/m.svg", "digestMultibase": "uEiB"}},
        {"iss": ..., "jti": "urn:uuid:3f1c4b8e-2a7d-4c55-9b1e-6a0d2f9c8e71", "exp": 1.5e9},
    ],
)
def test_certification_credential_variant_is_accepted(members: dict[str, Any]) -> None:
    assert check_credential(_with(**members)) == []


def test_sub_that_names_no_subject_is_a_warning() -> None:
    assert check_credential(_with(sub="did:example:someone-else")) != []
    document = _with(sub="did:example:ana")
    document["credentialSubject"]["id"] = "did:example:ana"
    assert check_credential(document) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example",
        "http://localhost:8000/x?y#z",
        "did:web:a.example",
        "urn:uuid:1",
        "data:application/vc+jwt,eyJ",
        "https://a.example/%C3%A9",
        "https://bücher.example/ü",
    ],
)
def test_is_url_accepts(url: str) -> None:
    assert is_url(url)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "fake-issuer",
        "https ://not-a-url",
        "https:",
        "https:example",
        "https://",
        "1http://x",
        "https://a.example/a b",
        "https://a.example/%zz",
        "https://a.example/\n",
        "did:x:<y>",
        "https://a.example/\u2028",
        None,
        5,
        ["https://a.example"],
    ],
)
def test_is_url_refuses(value: object) -> None:
    assert not is_url(value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
MEMBERS = st.sampled_from(
    [
        *CERTIFICATION_CREDENTIAL,
        "relatedResource",
        "name",
        "description",
        "termsOfUse",
        "evidence",
        "refreshService",
        "proof",
        "jti",
        "exp",
        "nbf",
        "sub",
        "vc",
    ]
)


@given(JSON)
def test_any_json_value_is_refused_or_accepted_but_never_crashes(value: Any) -> None:
    assert _outcome(value) in {*REASONS, "accepted"}


@given(st.dictionaries(MEMBERS, JSON, max_size=8), st.sampled_from(["merge", "replace"]))
def test_any_value_in_a_credential_member_never_crashes(members: dict[str, Any], how: str) -> None:
    document = _with(**{}) if how == "merge" else {}
    document.update(members)
    assert _outcome(document) in {*REASONS, "accepted"}


@given(st.lists(JSON, max_size=4), st.dictionaries(st.text(max_size=8), JSON, max_size=4))
def test_any_inline_context_never_crashes(contexts: list[Any], inline: dict[str, Any]) -> None:
    document = _with(context=[BASE_CONTEXT, inline, *contexts])
    assert _outcome(document) in {*REASONS, "accepted"}


VALID = [CERTIFICATION_CREDENTIAL] + [_as_issued(name) for name in RUN if name.endswith("-ok.json")]


@given(st.sampled_from(VALID), st.sampled_from(REQUIRED))
def test_dropping_a_required_member_is_refused(valid: dict[str, Any], member: str) -> None:
    assert check_credential(valid) is not None
    document = {key: value for key, value in valid.items() if key != member}
    _reason(document)


@given(st.sampled_from(VALID), st.sampled_from(["VerifiableCredential", BASE_CONTEXT]))
def test_losing_the_required_type_or_context_is_refused(valid: dict[str, Any], what: str) -> None:
    document = copy.deepcopy(valid)
    if what == BASE_CONTEXT:
        document["@context"] = document["@context"][1:]
    else:
        types = document["type"]
        document["type"] = [t for t in ([types] if isinstance(types, str) else types) if t != what]
    _reason(document)


OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


STAMPS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS
)


def _stamp(moment: datetime, in_utc: bool) -> str:
    """An offset form, or the usual "…T…Z" form that takes the fast path."""
    if in_utc:
        return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


@given(STAMPS, STAMPS, st.booleans(), st.booleans())
def test_validity_order_matches_the_instants(
    start: datetime, end: datetime, start_in_utc: bool, end_in_utc: bool
) -> None:
    if start_in_utc:
        start = start.replace(microsecond=0)
    if end_in_utc:
        end = end.replace(microsecond=0)
    valid_from, valid_until = _stamp(start, start_in_utc), _stamp(end, end_in_utc)
    document = _with(validFrom=valid_from, validUntil=valid_until)
    if start.astimezone(UTC) > end.astimezone(UTC):
        assert _reason(document) == "validity-period"
    else:
        assert check_credential(document) == []


@pytest.mark.parametrize("name", PRESENTATIONS)
def test_a_presentation_is_never_accepted_as_a_credential(name: str) -> None:
    document = json.loads((VCDM_SUITE / name).read_text("utf-8"))
    assert _outcome(document) != "accepted"


@pytest.mark.parametrize(
    "path",
    [
        "openbadges-3.0/basic_openbadgecredential.json",
        "openbadges-3.0/complete_openbadgecredential.json",
        "w3c-bitstring-status-list/rec_example_status_list_credential.json",
        "w3c-bitstring-status-list/rec_exampleA1_revocable_vc.json",
        "w3c-bitstring-status-list/rec_example1_vc_with_revocation_and_suspension_entries.json",
        "w3c-vc-jose-cose-test-suite/credential-minimal.json",
        "w3c-vc-jose-cose-test-suite/credential-full.json",
        "w3c-vc-jose-cose-test-suite/credential-unknown-extensions.json",
    ],
)
def test_other_official_example_credentials_are_accepted(path: str) -> None:
    assert check_credential(json.loads((VECTORS / path).read_text("utf-8"))) == []


def test_a_url_of_many_digit_fragments_is_one_check_not_a_recursion() -> None:
    """Hostile ids of thousands of ``#1`` fragments are answered, not a RecursionError."""
    assert is_url("https://a.example/s" + "#1" * 5_000)
    assert not is_url("https:" + "#1" * 5_000)
    assert not is_url("https://a.example/ s" + "#1" * 5_000)


URL_PARTS = st.sampled_from(
    ["https://a.example/s/1", "https://", "https:", "urn:", "did:web:x", "a b:", "x#", "%", "é"]
)


@given(
    st.lists(URL_PARTS | st.text(max_size=6), max_size=3).map("".join),
    st.text("0123456789٣", max_size=4),
)
def test_a_url_with_a_digit_fragment_is_judged_like_any_other(head: str, digits: str) -> None:
    """The shortcut agrees with the URL test without shortcuts (the expression alone)."""
    value = f"{head}#{digits}"
    assert is_url(value) is structure._matches_url(value)
    assert is_url(head) is structure._matches_url(head)
