"""Open Badges 3.0's VC-JWT form: accepted for an Open Badge with every mirrored claim right,
refused for anything else.

The badge is signed by the test issuer (tests/verifier/tokens.py), not by certreg, in the form
OB 3.0 ("JSON Web Token Proof Format") describes: header ``alg`` + ``kid`` (``typ: JWT``
allowed), payload the credential plus ``iss``, ``jti``, ``sub``, ``nbf`` and ``exp``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.verifier.test_verifier import make_verifier, rejects
from tests.verifier.tokens import NOW, FakeIssuer
from verifier import CryptographicSecurityError, MalformedValueError
from verifier.structure import REASONS

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
SUBJECT = "urn:uuid:6c1b4b9e-2f0a-5d3c-8e1f-7a9b0c2d4e6f"
VALID_FROM = 1767225600  # 2026-01-01T00:00:00Z
VALID_UNTIL = 1862006399  # 2029-01-01T23:59:59Z


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


def badge(issuer: FakeIssuer, **overrides: Any) -> dict[str, Any]:
    """An OpenBadgeCredential with the claims OB's VC-JWT form requires; ``None`` removes."""
    credential = issuer.credential(
        **{"@context": ["https://www.w3.org/ns/credentials/v2", OB_CONTEXT]},
        type=["VerifiableCredential", "OpenBadgeCredential"],
        credentialSubject={
            "id": SUBJECT,
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://issuer.example/schemes/wi",
                "type": ["Achievement"],
                "name": "Welding Inspector",
                "description": "Visual testing of welds",
                "criteria": {"narrative": "Examination passed"},
            },
        },
    )
    claims = {
        "iss": issuer.did,
        "jti": credential["id"],
        "sub": SUBJECT,
        "nbf": VALID_FROM,
        "exp": VALID_UNTIL,
        "iat": VALID_FROM,
    }
    payload = {**credential, **claims, **overrides}
    return {k: v for k, v in payload.items() if v is not None}


def ob_token(issuer: FakeIssuer, payload: dict[str, Any], **header: Any) -> str:
    return issuer.token(payload, **{"typ": None, "cty": None, **header})


@pytest.mark.parametrize("typ", [None, "JWT"])
def test_an_open_badge_in_its_own_form_verifies(issuer: FakeIssuer, typ: str | None) -> None:
    verified = make_verifier(issuer).verify(ob_token(issuer, badge(issuer), typ=typ), now=NOW)
    assert verified.credential["credentialSubject"]["id"] == SUBJECT
    assert "credential-status" in verified.checks
    # AchievementCredential is OB's other name for the same credential; an exp-less badge
    # without validUntil is whole too.
    other = badge(issuer, type=["VerifiableCredential", "AchievementCredential"])
    make_verifier(issuer).verify(ob_token(issuer, other), now=NOW)
    open_ended = badge(issuer, validUntil=None, exp=None)
    make_verifier(issuer).verify(ob_token(issuer, open_ended), now=NOW)


def test_an_open_badge_in_the_vc_jose_cose_form_still_verifies(issuer: FakeIssuer) -> None:
    make_verifier(issuer).verify(issuer.token(badge(issuer)), now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        {"cty": "vc"},
        {"typ": "JWT", "cty": "vc"},
        {"jwk": {"kty": "EC"}},
        {"x5u": "https://issuer.example/cert"},
        {"typ": "jwt"},
        {"typ": "vp+jwt"},
        {"typ": ["JWT"]},
    ],
)
def test_other_header_parameters_are_refused(issuer: FakeIssuer, header: dict[str, Any]) -> None:
    error = rejects(issuer, ob_token(issuer, badge(issuer), **header), CryptographicSecurityError)
    assert error.reason == "media-type"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda i: i.credential(), id="a certificate"),
        pytest.param(
            lambda i: badge(i, **{"@context": ["https://www.w3.org/ns/credentials/v2"]}),
            id="no OB context",
        ),
        pytest.param(
            lambda i: badge(i, type=["VerifiableCredential", "CertificationCredential"]),
            id="not typed a badge",
        ),
    ],
)
def test_only_an_open_badge_may_leave_out_vc_jwt(issuer: FakeIssuer, payload: Any) -> None:
    for typ in (None, "JWT"):
        token = ob_token(issuer, payload(issuer), typ=typ)
        error = rejects(issuer, token, CryptographicSecurityError)
        assert error.reason == "media-type"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("jti", "urn:uuid:00000000-0000-5000-8000-000000000000"),
        ("jti", None),
        ("sub", "urn:uuid:00000000-0000-5000-8000-000000000000"),
        ("sub", None),
        ("nbf", VALID_FROM - 1),
        ("nbf", "2026-01-01T00:00:00Z"),
        ("nbf", True),
        ("nbf", None),
        ("exp", VALID_UNTIL + 1),
        ("exp", None),
        ("iss", None),
        ("iss", "did:web:other.example"),
    ],
)
def test_a_mirrored_claim_that_differs_is_refused(
    issuer: FakeIssuer, claim: str, value: Any
) -> None:
    error = rejects(issuer, ob_token(issuer, badge(issuer, **{claim: value})), MalformedValueError)
    assert error.reason in REASONS
    assert claim in str(error)


def test_a_subject_without_id_or_an_exp_without_valid_until_is_refused(
    issuer: FakeIssuer,
) -> None:
    anonymous = badge(issuer)
    anonymous["credentialSubject"] = {
        k: v for k, v in anonymous["credentialSubject"].items() if k != "id"
    }
    error = rejects(issuer, ob_token(issuer, anonymous), MalformedValueError)
    assert error.reason == "sub"
    error = rejects(issuer, ob_token(issuer, badge(issuer, validUntil=None)), MalformedValueError)
    assert error.reason == "exp"


def test_a_fractional_valid_from_is_mirrored_to_the_second(issuer: FakeIssuer) -> None:
    payload = badge(issuer, validFrom="2026-01-01T00:00:00.250Z")
    make_verifier(issuer).verify(ob_token(issuer, payload), now=NOW)
    exact = badge(issuer, validFrom="2026-01-01T00:00:00.250Z", nbf=VALID_FROM + 0.25)
    make_verifier(issuer).verify(ob_token(issuer, exact), now=NOW)
