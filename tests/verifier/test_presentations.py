"""``vp+jwt`` presentations: the holder's proof over the verifier's nonce and audience, and
each credential inside verified as if presented alone.

Presentations are built here by hand (:class:`tests.verifier.tokens.Holder`), by joserfc
and by did-jwt in Node, and the W3C VC-JOSE-COSE suite's presentation cases are run with
the outcome test_mapping.json expects (or, where certreg departs, the reason why).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws as jose_jws
from joserfc.jwk import ECKey, OKPKey

from tests.node import run_script
from tests.verifier.tokens import NOW, FakeIssuer, Holder, IssuerKey, b64, compact, enveloped
from verifier import StaticKeys, StaticStatusLists, TrustPolicy, Verdict, Verifier
from verifier.did_jwk import did_jwk_for, did_jwk_key
from verifier.errors import (
    ChallengeMismatch,
    CryptographicSecurityError,
    HolderMismatch,
    KeyRetrievalError,
    MalformedValueError,
    ParsingError,
    PresentationExpired,
    VerificationError,
)
from verifier.keys import AUTHENTICATION
from verifier.presentations import Binding, PresentationLimits, PresentationVerifier
from verifier.presented import PresentationFormat, read_presented, verify_presented
from verifier.requests import RequestProblem

SUITE = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "w3c-vc-jose-cose-test-suite"
NONCE = "n-0S6_WzA2Mj"
AUDIENCE = "https://employer.example"


def presentations_for(
    issuer: FakeIssuer, lists: dict[str, str] | None = None, **limits: Any
) -> PresentationVerifier:
    credentials = Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset({issuer.did})),
        keys=StaticKeys(did_documents={issuer.did: issuer.did_document()}),
        status=StaticStatusLists(lists if lists is not None else issuer.lists()),
    )
    return PresentationVerifier(credentials=credentials, limits=PresentationLimits(**limits))


def check(verifier: PresentationVerifier, token: str, **kw: Any) -> Any:
    return verifier.check(
        token,
        nonce=kw.pop("nonce", NONCE),
        audience=kw.pop("audience", AUDIENCE),
        now=kw.pop("now", NOW),
        **kw,
    )


def refused(report: Any, error: type[VerificationError], reason: str | None = None) -> None:
    assert report.verdict is not Verdict.VALID
    assert type(report.error) is error, report.error
    if reason is not None:
        assert report.error.reason == reason
    assert report.exit_code in (1, 2)


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def holder() -> Holder:
    return Holder()


def test_a_presentation_of_a_valid_credential_is_valid(issuer: FakeIssuer, holder: Holder) -> None:
    report = check(presentations_for(issuer), holder.present(issuer.token()))
    assert report.verdict is Verdict.VALID, report.errors
    assert report.exit_code == 0
    assert report.holder == holder.did
    assert (report.nonce, report.audience) == (NONCE, AUDIENCE)
    assert {"signature", "holder", "challenge", "domain", "validity-period"} <= set(report.checks)
    (only,) = report.credentials
    assert only.report.verdict is Verdict.VALID
    assert only.binding is Binding.UNBOUND  # the credential names no holder
    assert any("names no holder" in w for w in report.warnings)
    result = report.as_json()
    assert result["verified"] is True
    assert result["holder"] == holder.did
    assert result["credentialResults"][0]["holderBinding"] == "unbound"
    assert result["credentialResults"][0]["credential"]["issuer"]["id"] == issuer.did


def test_a_credential_issued_to_the_holder_is_bound(issuer: FakeIssuer, holder: Holder) -> None:
    subject = {"id": holder.did, "type": "CertifiedPerson", "name": "Ana Moreau"}
    token = issuer.token(issuer.credential(credentialSubject=subject))
    report = check(presentations_for(issuer), holder.present(token))
    assert report.verdict is Verdict.VALID
    assert report.credentials[0].binding is Binding.BOUND


def test_a_credential_issued_to_another_holder_is_refused(
    issuer: FakeIssuer, holder: Holder
) -> None:
    subject = {"id": Holder().did, "type": "CertifiedPerson", "name": "Ana Moreau"}
    token = issuer.token(issuer.credential(credentialSubject=subject))
    report = check(presentations_for(issuer), holder.present(token, issuer.token()))
    assert report.verdict is Verdict.INVALID
    bound, unbound = report.credentials
    assert bound.binding is Binding.MISMATCH
    assert type(bound.report.error) is HolderMismatch
    assert bound.report.error.reason == "not-bound-to-holder"
    assert bound.report.credential is not None  # whose it is can still be said
    assert unbound.report.verdict is Verdict.VALID


def test_an_unbound_credential_is_refused_when_binding_is_required(
    issuer: FakeIssuer, holder: Holder
) -> None:
    report = check(
        presentations_for(issuer, require_holder_binding=True), holder.present(issuer.token())
    )
    assert report.verdict is Verdict.INVALID
    error = report.credentials[0].report.error
    assert error is not None
    assert error.reason == "unbound"


@pytest.mark.parametrize(
    ("overrides", "expected", "reason"),
    [
        ({"nonce": "another-nonce"}, ChallengeMismatch, "nonce-mismatch"),
        ({"nonce": None}, ChallengeMismatch, "nonce-missing"),
        ({"nonce": 12345}, ChallengeMismatch, "nonce-mismatch"),
        ({"aud": "https://someone-else.example"}, ChallengeMismatch, "audience-mismatch"),
        ({"aud": None}, ChallengeMismatch, "audience-missing"),
        ({"exp": int(NOW.timestamp()) - 1}, PresentationExpired, "expired"),
        ({"iat": int(NOW.timestamp()) + 120}, PresentationExpired, "not-yet-valid"),
        ({"iat": "2027-03-01T12:00:00Z"}, MalformedValueError, "iat"),
        ({"holder": "did:example:someone-else"}, HolderMismatch, "holder-not-signer"),
        ({"iss": "did:example:someone-else"}, HolderMismatch, "holder-not-signer"),
        ({"type": ["VerifiableCredential"]}, MalformedValueError, "type"),
        ({"@context": ["https://www.w3.org/2018/credentials/v1"]}, MalformedValueError, "context"),
        ({"verifiableCredential": []}, MalformedValueError, "no-credentials"),
        ({"vp": {}}, MalformedValueError, "vc-vp-claims"),
    ],
)
def test_presentation_refusals(
    issuer: FakeIssuer,
    holder: Holder,
    overrides: dict[str, Any],
    expected: type[VerificationError],
    reason: str,
) -> None:
    token = holder.sign(holder.presentation(issuer.token(), **overrides))
    report = check(presentations_for(issuer), token)
    refused(report, expected, reason)
    assert report.credentials == ()  # no credential was looked at


def test_the_audience_may_be_one_of_several(issuer: FakeIssuer, holder: Holder) -> None:
    token = holder.present(issuer.token(), aud=["https://other.example", AUDIENCE])
    assert check(presentations_for(issuer), token).verified


def test_clock_skew_is_the_policy_s(issuer: FakeIssuer, holder: Holder) -> None:
    token = holder.present(issuer.token(), exp=int(NOW.timestamp()) - 30)
    refused(check(presentations_for(issuer), token), PresentationExpired)
    lenient = presentations_for(issuer)
    lenient.credentials.policy = TrustPolicy(
        trusted_issuers=frozenset({issuer.did}), leeway_seconds=60
    )
    assert check(lenient, token).verified


def test_signed_by_another_key_than_the_holder_s(issuer: FakeIssuer, holder: Holder) -> None:
    token = holder.sign(holder.presentation(issuer.token()), key=IssuerKey.generate("EdDSA"))
    refused(check(presentations_for(issuer), token), CryptographicSecurityError, "signature")


def test_a_tampered_credential_does_not_verify(issuer: FakeIssuer, holder: Holder) -> None:
    head, body, signature = issuer.token().split(".")
    payload = json.loads(b64_decode(body))
    payload["credentialSubject"]["name"] = "Someone Else"
    tampered = f"{head}.{b64(json.dumps(payload).encode())}.{signature}"
    report = check(presentations_for(issuer), holder.present(tampered))
    assert report.verdict is Verdict.INVALID
    assert type(report.credentials[0].report.error) is CryptographicSecurityError
    assert report.credentials[0].report.credential is None
    assert report.credentials[0].binding is Binding.UNKNOWN


def test_a_suspended_credential_makes_the_presentation_suspended(
    issuer: FakeIssuer, holder: Holder
) -> None:
    issuer.set_bit("suspension", 94567)
    report = check(presentations_for(issuer), holder.present(issuer.token()))
    assert report.verdict is Verdict.SUSPENDED
    assert report.exit_code == 1
    assert report.credentials[0].report.verdict is Verdict.SUSPENDED


def test_the_most_serious_verdict_wins(issuer: FakeIssuer, holder: Holder) -> None:
    expired = issuer.token(issuer.credential(validUntil="2027-01-01T00:00:00Z"))
    report = check(presentations_for(issuer, lists={}), holder.present(issuer.token(), expired))
    assert [c.report.verdict for c in report.credentials] == [
        Verdict.CANNOT_CONFIRM,
        Verdict.EXPIRED,
    ]
    assert report.verdict is Verdict.EXPIRED
    assert report.exit_code == 1
    undecided = check(presentations_for(issuer, lists={}), holder.present(issuer.token()))
    assert undecided.verdict is Verdict.CANNOT_CONFIRM
    assert undecided.exit_code == 2


def test_too_many_credentials_are_refused_unread(issuer: FakeIssuer, holder: Holder) -> None:
    token = holder.present(*[issuer.token()] * 3)
    refused(
        check(presentations_for(issuer, max_credentials=2), token),
        MalformedValueError,
        "too-many-credentials",
    )
    too_big = holder.present(issuer.token())
    refused(
        check(presentations_for(issuer, max_bytes=len(too_big) - 1), too_big),
        ParsingError,
        "too-large",
    )


@pytest.mark.parametrize(
    "garbage",
    ["", "garbage", "a.b.c", "eyJ.eyJ.", "\x00" * 10, "é.é.é", "x" * (2 * 1024 * 1024)],
)
def test_garbage_is_a_parsing_error(issuer: FakeIssuer, garbage: str) -> None:
    report = check(presentations_for(issuer), garbage)
    assert report.verdict is Verdict.INVALID
    assert isinstance(report.error, ParsingError)


def test_a_credential_is_not_a_presentation(issuer: FakeIssuer) -> None:
    refused(
        check(presentations_for(issuer), issuer.token()), CryptographicSecurityError, "media-type"
    )


def test_the_header_must_say_vp_jwt(issuer: FakeIssuer, holder: Holder) -> None:
    payload = holder.presentation(issuer.token())
    for header in ({"typ": "vc+jwt"}, {"typ": None}, {"cty": "vc"}, {"alg": "ES384"}):
        refused(
            check(presentations_for(issuer), holder.sign(payload, **header)),
            CryptographicSecurityError,
        )
    assert check(presentations_for(issuer), holder.sign(payload, cty="vp")).verified


def test_entries_that_are_not_vc_jwt_envelopes_are_refused_one_by_one(
    issuer: FakeIssuer, holder: Holder
) -> None:
    entries = [
        enveloped(issuer.token()),
        {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+cose;base64,AA=="},
        "https://example.org/credential",
        {"type": ["VerifiableCredential"], "issuer": issuer.did},
    ]
    payload = holder.presentation(verifiableCredential=entries)
    report = check(presentations_for(issuer), holder.sign(payload))
    assert report.verdict is Verdict.INVALID
    verdicts = [c.report.verdict for c in report.credentials]
    assert verdicts == [Verdict.VALID, Verdict.INVALID, Verdict.INVALID, Verdict.INVALID]


def test_holder_keys_other_than_did_jwk_are_not_fetched_unless_a_source_is_given(
    issuer: FakeIssuer,
) -> None:
    web = FakeIssuer(host="holder.example")  # a holder at did:web, its key in authentication
    document = web.did_document() | {"authentication": web.did_document()["assertionMethod"]}
    payload = Holder().presentation(issuer.token(), holder=web.did)
    token = compact(
        {"alg": "ES256", "typ": "vp+jwt", "kid": f"{web.did}#{web.key.kid}"}, payload, web.key
    )
    report = check(presentations_for(issuer), token)
    refused(report, KeyRetrievalError)
    assert report.exit_code == 2
    resolving = PresentationVerifier(
        credentials=presentations_for(issuer).credentials,
        holder_keys=StaticKeys({web.did: document}, relationship=AUTHENTICATION),
    )
    assert check(resolving, token).verified
    with pytest.raises(KeyRetrievalError):  # an assertion key does not authenticate
        StaticKeys({web.did: web.did_document()}, relationship=AUTHENTICATION)


def test_a_jwk_header_names_the_holder_by_its_did_jwk(issuer: FakeIssuer, holder: Holder) -> None:
    payload = holder.presentation(issuer.token())
    token = holder.sign(payload, kid="key-1", jwk=holder.key.jwk)
    assert check(presentations_for(issuer), token).holder == holder.did
    other = Holder()
    token = other.sign(payload, kid="key-1", jwk=other.key.jwk)
    refused(check(presentations_for(issuer), token), HolderMismatch, "holder-not-signer")


def test_did_jwk_round_trip_and_refusals(holder: Holder) -> None:
    did, jwk, _ = did_jwk_key(f"{holder.did}#0")
    assert did == holder.did == did_jwk_for(jwk)
    for bad in (f"{holder.did}#1", "did:jwk:!!!", "did:jwk:" + b64(b"[]"), "did:jwk:" + "A" * 2000):
        with pytest.raises(CryptographicSecurityError):
            did_jwk_key(bad)
    private = holder.key.jwk | {"d": b64(b"\x01" * 32)}
    with pytest.raises(CryptographicSecurityError):
        did_jwk_key("did:jwk:" + b64(json.dumps(private).encode()))


def test_the_challenge_is_never_skipped_by_accident(issuer: FakeIssuer, holder: Holder) -> None:
    verifier = presentations_for(issuer)
    for nonce, audience in (("", AUDIENCE), (NONCE, ""), (None, AUDIENCE)):
        with pytest.raises(ValueError, match="nonce and audience"):
            verifier.verify(holder.present(issuer.token()), nonce=nonce, audience=audience, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        verifier.verify("x", nonce=NONCE, audience=AUDIENCE, now=NOW.replace(tzinfo=None))


def test_presented_forms_and_the_dispatch(issuer: FakeIssuer, holder: Holder) -> None:
    token = holder.present(issuer.token())
    envelope = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "EnvelopedVerifiablePresentation",
        "id": f"data:application/vp+jwt,{token}",
    }
    for form in (token, f"data:application/vp+jwt,{token}", envelope):
        assert read_presented(form).text == token
    sd_jwt = read_presented("eyJhbGciOiJFUzI1NiJ9.e30.c2ln~WyJzIiwibiIsInYiXQ~eyJ.e30.c2ln")
    assert sd_jwt.presentation_format is PresentationFormat.SD_JWT
    with pytest.raises(RequestProblem) as problem:
        verify_presented(
            sd_jwt,
            presentations=presentations_for(issuer),
            nonce=NONCE,
            audience=AUDIENCE,
            now=NOW,
        )
    assert problem.value.kind == "unsupported-presentation-format"
    unsecured = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "VerifiablePresentation",
    }
    with pytest.raises(CryptographicSecurityError):
        read_presented(unsecured)
    others: list[object] = [42, [], {"type": "Thing"}, "data:application/vp+cose,AAAA"]
    for other in others:
        with pytest.raises(RequestProblem):
            read_presented(other)


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_joserfc_builds_a_presentation_certreg_verifies(issuer: FakeIssuer) -> None:
    """An independent implementation: joserfc signs the vp+jwt (ES256, P-256 did:jwk)."""
    key = ECKey.generate_key("P-256")
    public = key.as_dict(private=False)
    did = did_jwk_for(public)
    payload = Holder().presentation(issuer.token(), holder=did)
    token = jose_jws.serialize_compact(
        {"alg": "ES256", "typ": "vp+jwt", "cty": "vp", "kid": f"{did}#0"},
        json.dumps(payload),
        key,
    )
    report = check(presentations_for(issuer), token)
    assert report.verified
    assert report.holder == did
    ed = OKPKey.generate_key("Ed25519")
    ed_did = did_jwk_for(ed.as_dict(private=False))
    ed_token = jose_jws.serialize_compact(
        {"alg": "EdDSA", "typ": "vp+jwt", "kid": f"{ed_did}#0"},
        json.dumps(Holder().presentation(issuer.token(), holder=ed_did, nonce="other")),
        ed,
        algorithms=["EdDSA"],
    )
    refused(check(presentations_for(issuer), ed_token), ChallengeMismatch, "nonce-mismatch")


def test_did_jwt_in_node_builds_a_presentation_certreg_verifies(
    issuer: FakeIssuer, request: pytest.FixtureRequest
) -> None:
    """Another independent implementation: did-jwt's createJWT with typ vp+jwt."""
    answer = run_script(
        "did-jwt",
        "sign-vp-did-jwt.mjs",
        {
            "credential": issuer.token(),
            "nonce": NONCE,
            "audience": AUDIENCE,
            "iat": int(NOW.timestamp()) - 60,
            "exp": int(NOW.timestamp()) + 600,
        },
    )
    token = answer["presentation"]
    header = json.loads(b64_decode(token.split(".")[0]))
    assert header["typ"] == "vp+jwt"
    report = check(presentations_for(issuer), token)
    assert report.verified, report.errors
    assert report.holder == answer["holder"]
    refused(check(presentations_for(issuer), token, nonce="not-the-nonce"), ChallengeMismatch)


def b64_decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- the W3C VC-JOSE-COSE suite's presentation cases --------------------------------------

SUITE_CASES = {
    7: (
        CryptographicSecurityError,
        "algorithm: the holder signed with ES384 (P-384), outside certreg's allow-list; its "
        "credentials are a vc+jwt and also vc+sd-jwt and vc+cose, which certreg does not read",
    ),
    11: (CryptographicSecurityError, "unsecured: a plain JSON presentation proves nothing"),
    14: (CryptographicSecurityError, "media-type: typ bad+typ, cty bad+cty"),
    16: (None, "the envelope's id is not a data: URL: that credential is refused"),
}


def _suite() -> list[dict[str, Any]]:
    data = json.loads((SUITE / "test_mapping.json").read_text("utf-8"))
    return [
        t
        for t in data["tests"]
        if t["function"] == "verify" and t["feature"] == "presentation_jose"
    ]


def test_every_presentation_jose_case_is_run() -> None:
    assert {t["number"] for t in _suite()} == set(SUITE_CASES)


@pytest.mark.parametrize("case", _suite(), ids=lambda t: str(t["number"]))
def test_suite_presentation_case(case: dict[str, Any]) -> None:
    method = json.loads((SUITE / case["key_file"]).read_text("utf-8"))
    public = {k: v for k, v in method.items() if k != "secretKeyJwk"}
    controller = method["controller"]
    document = {"id": controller, "verificationMethod": [public], "authentication": [public["id"]]}
    verifier = PresentationVerifier(
        credentials=Verifier(
            policy=TrustPolicy(trusted_issuers=frozenset({controller})),
            keys=StaticKeys(),
            status=StaticStatusLists({}),
        ),
        holder_keys=StaticKeys({controller: document}, relationship=AUTHENTICATION),
    )
    raw = (SUITE / case["input_file"]).read_text("utf-8").strip()
    expected, _why = SUITE_CASES[case["number"]]
    if case["input_file"].endswith(".json"):
        with pytest.raises(CryptographicSecurityError):
            read_presented(json.loads(raw))
        return
    claims = json.loads(b64_decode(raw.split(".")[1]))
    now = datetime.fromtimestamp(claims["iat"], UTC) + timedelta(minutes=1)
    report = verifier.check(
        raw, nonce=NONCE, audience=AUDIENCE, now=now, unsafe_skip_challenge=True
    )
    assert report.verdict is Verdict.INVALID
    assert case["expected_result"] in ("failure", "success")
    if expected is None:
        # The holder's proof verifies; the credential inside is what fails.
        assert case["expected_result"] == "failure"
        assert report.error is None
        assert report.holder == controller
        assert [type(c.report.error) for c in report.credentials] == [ParsingError]
    else:
        assert type(report.error) is expected
