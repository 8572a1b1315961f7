"""SD-JWT VCs and their key-bound presentations, over ``httpx.MockTransport`` (no network).

Each refusal is asserted with its error class and its stable reason; a hostile input never
makes an exception escape (:meth:`SdJwtVcVerifier.check` answers, always).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from schemas import sd_jwt
from tests.verifier.sd_jwt_tokens import (
    AUDIENCE,
    NONCE,
    SdJwtIssuer,
    check,
    disclosable,
    kb_jwt,
    make_verifier,
    present,
    refused,
    serve,
)
from tests.verifier.tokens import NOW, FakeIssuer, IssuerKey, b64, compact
from verifier import jws
from verifier.errors import (
    CryptographicSecurityError,
    Expired,
    KeyRetrievalError,
    MalformedValueError,
    NotYetValid,
    ParsingError,
    UntrustedIssuer,
    Verdict,
    VerificationError,
)
from verifier.jwt_vc_issuer import metadata_url
from verifier.policy import TrustPolicy
from verifier.sd_jwt_vc import (
    always_visible_paths,
    verify_sd_jwt_vc,
)

# --- what verifies ------------------------------------------------------------------------


def test_an_sd_jwt_vc_verifies_with_its_issuer_metadata_and_status_list() -> None:
    issuer = SdJwtIssuer()
    verifier, asked = make_verifier(issuer)
    result = verify_sd_jwt_vc(issuer.issue(), verifier=verifier, now=NOW)
    assert result.verdict is Verdict.VALID, result.error
    assert result.claims is not None
    assert result.claims["given_name"] == "Ana"
    assert result.claims["birthdate"] == "1990-04-02"
    assert "_sd" not in result.claims
    assert "_sd_alg" not in result.claims
    assert result.vct == "https://certs.example/vct/certification"
    assert sorted((c.path, c.value) for c in result.disclosed) == [
        (("birthdate",), "1990-04-02"),
        (("family_name",), "Moreau"),
        (("given_name",), "Ana"),
    ]
    assert ("certification_number",) in result.always_visible
    assert ("cnf", "jwk") in result.always_visible
    assert ("given_name",) not in result.always_visible
    assert asked == [
        "https://certs.example/.well-known/jwt-vc-issuer",
        "https://certs.example/statuslists/1",
    ]
    body = result.as_json()
    assert body["verified"] is True
    assert body["verdict"] == "valid"
    assert body["issuer"] == issuer.iss
    assert {"path": ["family_name"], "value": "Moreau"} in body["disclosedClaims"]
    assert ["scheme"] in body["alwaysVisibleClaims"]
    assert body["keyBound"] is False
    assert "credential-status" in body["checks"]
    json.dumps(body)  # JSON all the way down


def test_a_presentation_shows_only_what_the_holder_chose_and_is_key_bound() -> None:
    issuer = SdJwtIssuer()
    result = present(issuer, issuer.present(issuer.issue()))
    assert result.verdict is Verdict.VALID, result.error
    assert result.key_bound
    assert result.claims is not None
    assert "birthdate" not in result.claims
    assert sorted(c.path for c in result.disclosed) == [("family_name",), ("given_name",)]
    assert "key-binding" in result.report.checks


def test_the_legacy_vc_sd_jwt_type_is_still_read() -> None:
    issuer = SdJwtIssuer()
    assert check(issuer, issuer.issue(typ="vc+sd-jwt")).verified


def test_nested_and_array_disclosures_are_reported_by_path() -> None:
    issuer = SdJwtIssuer()
    street, street_digest = disclosable("street", "Schulstr. 12", issuer.salts())
    address, address_digest = disclosable(
        "address", {"_sd": [street_digest], "country": "DE"}, issuer.salts()
    )
    scope = sd_jwt.encode_disclosure(issuer.salts(), None, "pipelines")
    payload = issuer.claims(scopes=["vessels", {"...": sd_jwt.digest(scope)}])
    payload |= {"_sd": [address_digest], "_sd_alg": "sha-256"}
    head = {"alg": "ES256", "typ": "dc+sd-jwt", "kid": issuer.key.kid}
    signed = compact(head, payload, issuer.key)
    result = check(issuer, "~".join([signed, address, street, scope]) + "~")
    assert result.verified, result.error
    assert result.claims is not None
    assert result.claims["address"] == {"country": "DE", "street": "Schulstr. 12"}
    assert result.claims["scopes"] == ["vessels", "pipelines"]
    assert [c.path for c in result.disclosed] == [
        ("scopes", 1),
        ("address",),
        ("address", "street"),
    ]
    assert ("scopes",) in result.always_visible


def test_an_issuer_with_a_path_and_a_jwks_uri() -> None:
    issuer = SdJwtIssuer(path="/tenant/1", metadata_with_jwks_uri=True)
    verifier, asked = make_verifier(issuer)
    assert verify_sd_jwt_vc(issuer.issue(), verifier=verifier, now=NOW).verified
    assert asked[:2] == [
        "https://certs.example/.well-known/jwt-vc-issuer/tenant/1",
        "https://certs.example/jwks.json",
    ]


@pytest.mark.parametrize(
    ("iss", "url"),
    [
        ("https://ex.com", "https://ex.com/.well-known/jwt-vc-issuer"),
        ("https://ex.com/", "https://ex.com/.well-known/jwt-vc-issuer"),
        ("https://ex.com/tenant/1", "https://ex.com/.well-known/jwt-vc-issuer/tenant/1"),
        ("https://ex.com:8443/t/", "https://ex.com:8443/.well-known/jwt-vc-issuer/t"),
    ],
)
def test_the_metadata_address_goes_between_host_and_path(iss: str, url: str) -> None:
    assert metadata_url(iss) == url


@pytest.mark.parametrize("iss", ["ftp://ex.com", "https://ex.com/?q=1", "https://u@ex.com", "x"])
def test_an_issuer_that_is_not_an_https_url_has_no_metadata_address(iss: str) -> None:
    with pytest.raises(MalformedValueError):
        metadata_url(iss)


def test_a_did_web_issuer_is_resolved_as_for_vc_jwt() -> None:
    did_issuer = FakeIssuer(host="certs.example")
    issuer = SdJwtIssuer(keys=[did_issuer.key])
    kid = f"{did_issuer.did}#{issuer.key.kid}"
    token = issuer.issue(issuer.claims(iss=did_issuer.did), kid=kid)
    did_document = json.dumps(did_issuer.did_document())
    result = check(issuer, token, **{"/.well-known/did.json": serve(did_document)})
    assert result.verified, result.error
    assert result.report.issuer == did_issuer.did


def test_an_https_issuer_is_trusted_through_its_did_web() -> None:
    issuer = SdJwtIssuer()
    policy = TrustPolicy.trusting("did:web:certs.example")
    assert check(issuer, issuer.issue(), policy=policy).verified


def test_without_kid_only_an_issuer_with_a_single_key_verifies() -> None:
    issuer = SdJwtIssuer()
    assert check(issuer, issuer.issue(kid=None)).verified
    issuer.keys.append(IssuerKey.generate())
    refused(check(issuer, issuer.issue(kid=None)), CryptographicSecurityError, "no-kid")


def test_a_credential_without_status_verifies_with_a_warning() -> None:
    issuer = SdJwtIssuer()
    result = check(issuer, issuer.issue(issuer.claims(status=None)))
    assert result.verified
    assert any("no status" in w for w in result.report.warnings)


# --- key binding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kb", "reason"),
    [
        ({"nonce": "another-nonce"}, "kb-nonce"),
        ({"aud": "https://someone-else.example"}, "kb-audience"),
        ({"iat": NOW.timestamp() - 3600}, "kb-iat"),
        ({"iat": NOW.timestamp() + 3600}, "kb-iat"),
        ({"holder": IssuerKey.generate()}, "kb-signature"),
        ({"typ": "JWT"}, "kb-typ"),
        ({"sd_hash": "c2QtaGFzaC1vZi1zb21ldGhpbmctZWxzZQ"}, "kb-sd-hash"),
    ],
)
def test_a_key_binding_that_does_not_hold_is_refused(kb: dict[str, Any], reason: str) -> None:
    issuer = SdJwtIssuer()
    result = present(issuer, issuer.present(issuer.issue(), **kb))
    refused(result, CryptographicSecurityError, reason)
    assert result.verdict is Verdict.INVALID


def test_a_presentation_without_key_binding_is_refused_when_binding_is_required() -> None:
    issuer = SdJwtIssuer()
    refused(present(issuer, issuer.issue()), CryptographicSecurityError, "kb-missing")
    verifier, _ = make_verifier(issuer)
    optional = verifier.check_presentation(
        issuer.issue(), nonce=NONCE, audience=AUDIENCE, now=NOW, require_key_binding=False
    )
    assert optional.verified
    assert not optional.key_bound
    assert any("not key-bound" in w for w in optional.report.warnings)


def test_a_credential_without_cnf_cannot_be_key_bound() -> None:
    issuer = SdJwtIssuer()
    token = issuer.present(issuer.issue(issuer.claims(cnf=None)))
    refused(present(issuer, token), CryptographicSecurityError, "no-cnf")


def test_a_disclosure_dropped_after_the_holder_signed_breaks_sd_hash() -> None:
    issuer = SdJwtIssuer()
    token = issuer.present(issuer.issue())
    parts = sd_jwt.split(token)
    dropped = "~".join([parts.issuer_jwt, parts.disclosures[0]]) + "~" + str(parts.key_binding_jwt)
    refused(present(issuer, dropped), CryptographicSecurityError, "kb-sd-hash")


def test_a_key_bound_presentation_is_not_an_issuance_form_credential() -> None:
    issuer = SdJwtIssuer()
    result = check(issuer, issuer.present(issuer.issue()))
    refused(result, ParsingError, "unexpected-key-binding")


def test_a_stale_kb_is_judged_with_the_callers_window() -> None:
    issuer = SdJwtIssuer()
    token = issuer.present(issuer.issue(), iat=NOW.timestamp() - 600)
    verifier, _ = make_verifier(issuer)
    wide = verifier.check_presentation(
        token, nonce=NONCE, audience=AUDIENCE, now=NOW, max_kb_age=timedelta(minutes=15)
    )
    assert wide.verified
    refused(present(issuer, token), CryptographicSecurityError, "kb-iat")


# --- the credential itself ----------------------------------------------------------------


def test_a_tampered_disclosure_is_refused() -> None:
    issuer = SdJwtIssuer()
    parts = sd_jwt.split(issuer.issue())
    forged = sd_jwt.encode_disclosure(b"\x00" * 16, "given_name", "Mallory")
    token = "~".join([parts.issuer_jwt, forged, *parts.disclosures[1:]]) + "~"
    result = check(issuer, token)
    refused(result, CryptographicSecurityError, "unreferenced-disclosure")
    assert result.claims is None  # nothing unverified is echoed back


def test_duplicate_disclosures_are_refused() -> None:
    issuer = SdJwtIssuer()
    parts = sd_jwt.split(issuer.issue())
    token = "~".join([parts.issuer_jwt, *parts.disclosures, parts.disclosures[0]]) + "~"
    refused(check(issuer, token), MalformedValueError, "duplicate-disclosure")


def test_an_sd_alg_other_than_sha_256_is_refused() -> None:
    issuer = SdJwtIssuer()
    token = issuer.issue(issuer.claims(_sd_alg="sha-512"))
    refused(check(issuer, token), MalformedValueError, "unsupported-hash")


@pytest.mark.parametrize("name", ["exp", "status", "cnf", "vct", "nbf"])
def test_claims_that_must_stay_visible_cannot_be_disclosed(name: str) -> None:
    issuer = SdJwtIssuer()
    clear = {k: v for k, v in issuer.claims().items() if k != name}
    value = issuer.claims()[name] if name != "nbf" else int(NOW.timestamp())
    token = issuer.issue(clear, {name: value})
    refused(check(issuer, token), MalformedValueError, "disclosed-reserved-claim")


@pytest.mark.parametrize("typ", ["JWT", "vc+jwt", "example+sd-jwt", "kb+jwt", None])
def test_a_jwt_of_another_type_is_not_an_sd_jwt_vc(typ: str | None) -> None:
    issuer = SdJwtIssuer()
    refused(check(issuer, issuer.issue(typ=typ)), CryptographicSecurityError, "media-type")


def test_a_credential_without_vct_is_refused() -> None:
    issuer = SdJwtIssuer()
    refused(check(issuer, issuer.issue(issuer.claims(vct=None))), MalformedValueError, "vct")


@pytest.mark.parametrize(
    ("claims", "error", "reason"),
    [
        ({"exp": int(NOW.timestamp()) - 1}, Expired, "exp"),
        ({"nbf": int(NOW.timestamp()) + 60}, NotYetValid, "nbf"),
        ({"iat": int(NOW.timestamp()) + 60}, NotYetValid, "iat"),
        ({"exp": "tomorrow"}, MalformedValueError, "exp"),
    ],
)
def test_dates(claims: dict[str, Any], error: type[VerificationError], reason: str) -> None:
    issuer = SdJwtIssuer()
    result = check(issuer, issuer.issue(issuer.claims(**claims)))
    refused(result, error, reason)


def test_an_expired_credential_is_expired_within_the_leeway_only() -> None:
    issuer = SdJwtIssuer()
    token = issuer.issue(issuer.claims(exp=int(NOW.timestamp()) - 30))
    policy = TrustPolicy.trusting(issuer.iss, leeway_seconds=60)
    assert check(issuer, token, policy=policy).verified
    assert check(issuer, token).verdict is Verdict.EXPIRED


def test_a_bad_signature_is_refused_and_nothing_is_echoed() -> None:
    issuer = SdJwtIssuer()
    token = issuer.issue(key=IssuerKey.generate(), kid=issuer.key.kid)
    result = check(issuer, token)
    refused(result, CryptographicSecurityError, "signature")
    assert result.claims is None
    assert result.disclosed == ()


def test_an_untrusted_issuer_is_refused_before_anything_is_fetched() -> None:
    issuer = SdJwtIssuer()
    verifier, asked = make_verifier(issuer, policy=TrustPolicy.trusting("https://other.example"))
    refused(verifier.check(issuer.issue(), now=NOW), UntrustedIssuer)
    assert asked == []


@pytest.mark.parametrize(
    "metadata",
    [
        {"issuer": "https://evil.example", "jwks": {"keys": []}},
        {"issuer": "https://certs.example"},
        {"issuer": "https://certs.example", "jwks": {"keys": []}, "jwks_uri": "https://x/j"},
        ["not", "an", "object"],
    ],
)
def test_issuer_metadata_that_does_not_hold_cannot_confirm(metadata: Any) -> None:
    issuer = SdJwtIssuer()
    body = json.dumps(metadata)
    result = check(issuer, issuer.issue(), **{"/.well-known/jwt-vc-issuer": serve(body)})
    refused(result, KeyRetrievalError)
    assert result.verdict is Verdict.CANNOT_CONFIRM


def test_an_unknown_kid_refetches_the_metadata_once() -> None:
    issuer = SdJwtIssuer()
    verifier, asked = make_verifier(issuer)
    assert verifier.check(issuer.issue(), now=NOW).verified
    issuer.keys.insert(0, IssuerKey.generate())  # rotated in after the cached metadata
    assert verifier.check(issuer.issue(), now=NOW + timedelta(seconds=1)).verified
    assert asked.count("https://certs.example/.well-known/jwt-vc-issuer") == 2


# --- hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "~",
        "a.b.c",
        "a.b.c~",
        "~~~~",
        "x" * (300 * 1024) + "~",
        "eyJ" + "A" * 10_000 + ".e30.AA~",
        "a.b.c~" + "WyJ4IiwieSIsInoiXQ~" * 300,
        "a.b.c~%%%~",
        "a.b.c~x.y~",
    ],
)
def test_hostile_shapes_are_refused_never_raised(text: str) -> None:
    issuer = SdJwtIssuer()
    result = check(issuer, text)
    assert not result.verified
    assert result.error is not None
    assert result.error.decided


def test_a_non_string_is_refused() -> None:
    issuer = SdJwtIssuer()
    verifier, _ = make_verifier(issuer)
    refused(verifier.check(12, now=NOW), ParsingError)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "disclosure_json",
    [
        '["c2FsdHNhbHRzYWx0c2FsdA", "deep", ' + "[" * 5000 + "]" * 5000 + "]",
        '["c2FsdHNhbHRzYWx0c2FsdA", "big", ' + "9" * 5000 + "]",
        '["c2FsdHNhbHRzYWx0c2FsdA", "nan", NaN]',
        '["c2FsdHNhbHRzYWx0c2FsdA", "surrogate", "\\ud800"]',
        '["c2FsdHNhbHRzYWx0c2FsdA", "deep", ' + "[" * 900 + "]" * 900 + "]",
        '{"not": "an array"}',
    ],
)
def test_hostile_disclosures_signed_by_the_issuer_are_refused(disclosure_json: str) -> None:
    """Even an issuer's own signature does not make unreadable JSON readable."""
    issuer = SdJwtIssuer()
    encoded = b64(disclosure_json.encode())
    payload = issuer.claims(_sd=[sd_jwt.digest(encoded)], _sd_alg="sha-256")
    head = {"alg": "ES256", "typ": "dc+sd-jwt", "kid": issuer.key.kid}
    token = compact(head, payload, issuer.key) + "~" + encoded + "~"
    result = check(issuer, token)
    assert not result.verified
    assert type(result.error) in (ParsingError, MalformedValueError), result.error
    json.dumps(result.as_json(), allow_nan=False)
    result.as_json().__repr__().encode("utf-8")


def test_disclosed_claims_nest_as_deep_as_a_signed_payload_may_and_no_deeper() -> None:
    """The claims object is level 1; a disclosed claim may reach :data:`jws.MAX_DEPTH`."""
    issuer = SdJwtIssuer()
    for levels, verifies in ((jws.MAX_DEPTH - 1, True), (jws.MAX_DEPTH, False)):
        value: Any = "x"
        for _ in range(levels):
            value = [value]
        encoded, digest = disclosable("deep", value, issuer.salts())
        payload = issuer.claims(_sd=[digest], _sd_alg="sha-256")
        head = {"alg": "ES256", "typ": "dc+sd-jwt", "kid": issuer.key.kid}
        result = check(issuer, compact(head, payload, issuer.key) + "~" + encoded + "~")
        if verifies:
            assert result.verified, result.error
            continue
        refused(result, ParsingError, "malformed-disclosure")
        assert result.error is not None
        assert result.error.detail == "a disclosure is not I-JSON"


def test_always_visible_claims_are_those_of_the_payload_walk() -> None:
    """Gathered while the claims are processed, they are what :func:`always_visible_paths`
    finds in the signed payload."""
    issuer = SdJwtIssuer()
    text = issuer.issue()
    result = check(issuer, text)
    assert result.verified, result.error
    payload = jws.parse_compact(text.split("~")[0], require_kid=False).payload
    assert result.always_visible == always_visible_paths(payload)
    assert ("cnf", "jwk", "kty") in result.always_visible


def test_the_naive_clock_is_a_programming_error() -> None:
    issuer = SdJwtIssuer()
    verifier, _ = make_verifier(issuer)
    with pytest.raises(ValueError, match="timezone"):
        verifier.check(issuer.issue(), now=NOW.replace(tzinfo=None))


def test_kb_jwt_helper_sanity() -> None:
    """The wallet helper signs what the verifier reads (guards the tests themselves)."""
    issuer = SdJwtIssuer()
    token = kb_jwt(issuer.holder, "a~", nonce="x")
    parsed = jws.parse_compact(token, require_kid=False)
    assert parsed.payload["nonce"] == "x"
    assert parsed.header["typ"] == "kb+jwt"
    assert parsed.kid == ""
