"""SD-JWT VC presentations through :func:`verifier.presented.verify_presented`: the report a
``vp+jwt`` gets — holder, format, one credential with what was disclosed — and the faults of
the key binding JWT answered as the presentation errors a ``vp+jwt`` has for them."""

from __future__ import annotations

from typing import Any

import pytest

from schemas import token_status_list as tsl
from tests.verifier.sd_jwt_tokens import AUDIENCE, NONCE, SdJwtIssuer, make_verifier
from tests.verifier.tokens import NOW, IssuerKey
from verifier import StaticKeys, StaticStatusLists, TrustPolicy, Verdict, Verifier
from verifier.did_jwk import did_jwk_for
from verifier.presentation_result import PresentationReport
from verifier.presentations import PresentationVerifier
from verifier.presented import read_presented, verify_presented
from verifier.requests import RequestProblem
from verifier.sd_jwt_vc import trusted


def _presentations(issuer: SdJwtIssuer, *, sd_jwt: bool = True) -> PresentationVerifier:
    credentials = Verifier(
        policy=TrustPolicy.trusting(issuer.iss),
        keys=StaticKeys(),
        status=StaticStatusLists({}),
    )
    verifier = make_verifier(issuer)[0] if sd_jwt else None
    return PresentationVerifier(credentials=credentials, sd_jwt=verifier)


def _verify(issuer: SdJwtIssuer, text: str, **kw: Any) -> PresentationReport:
    return verify_presented(
        read_presented(text),
        presentations=_presentations(issuer),
        nonce=kw.pop("nonce", NONCE),
        audience=kw.pop("audience", AUDIENCE),
        now=NOW,
    )


def test_a_key_bound_presentation_is_a_presentation_report() -> None:
    issuer = SdJwtIssuer()
    report = _verify(issuer, issuer.present(issuer.issue()))
    assert report.verdict is Verdict.VALID, report.as_json()
    assert report.presentation_format == "dc+sd-jwt"
    assert report.holder == did_jwk_for(issuer.holder.jwk)
    assert report.exit_code == 0
    [credential] = report.credentials
    body = report.as_json()
    assert body["checks"] == ["key-binding", "challenge", "domain"]
    result = body["credentialResults"][0]
    assert result["holderBinding"] == "bound"
    assert [c["path"] for c in result["disclosedClaims"]] == [["given_name"], ["family_name"]]
    assert ["iss"] in result["alwaysVisibleClaims"]
    assert "birthdate" not in result["credential"]
    assert credential.report.issuer == issuer.iss


def test_a_revoked_credential_keeps_its_holder_and_disclosures() -> None:
    issuer = SdJwtIssuer()
    tsl.set_status(issuer.statuses, 7, tsl.INVALID, 2)
    report = _verify(issuer, issuer.present(issuer.issue()))
    assert report.verdict is Verdict.REVOKED
    assert report.holder == did_jwk_for(issuer.holder.jwk)
    assert report.exit_code == 1
    [credential] = report.credentials
    assert credential.disclosed is not None
    assert len(credential.disclosed) == 2


@pytest.mark.parametrize(
    ("change", "kind", "reason"),
    [
        ({"nonce": "another"}, "challenge-mismatch", "nonce-mismatch"),
        ({"aud": "https://elsewhere.example"}, "challenge-mismatch", "audience-mismatch"),
        ({"iat": int(NOW.timestamp()) - 3600}, "presentation-expired", "kb-iat"),
        ({"holder": IssuerKey.generate()}, "holder-mismatch", "kb-signature"),
        ({"typ": "JWT"}, "cryptographic-security-error", "kb-typ"),
        ({"sd_hash": "x" * 43}, "cryptographic-security-error", "kb-sd-hash"),
    ],
)
def test_a_key_binding_fault_is_the_presentations_error(
    change: dict[str, Any], kind: str, reason: str
) -> None:
    issuer = SdJwtIssuer()
    report = _verify(issuer, issuer.present(issuer.issue(), **change))
    assert report.verdict is Verdict.INVALID
    assert report.error is not None
    assert (report.error.kind, report.error.reason) == (kind, reason)
    assert report.holder is None
    assert report.credentials == ()
    assert report.presentation_format == "dc+sd-jwt"


def test_an_sd_jwt_without_key_binding_answers_no_nonce() -> None:
    issuer = SdJwtIssuer()
    report = _verify(issuer, issuer.issue())
    assert report.error is not None
    assert (report.error.kind, report.error.reason) == ("challenge-mismatch", "nonce-missing")


def test_a_credential_fault_is_the_credentials_result() -> None:
    issuer = SdJwtIssuer()
    forged = SdJwtIssuer(holder=issuer.holder)  # the same host, another signing key
    report = _verify(issuer, forged.present(forged.issue()))
    assert report.verdict is Verdict.INVALID
    assert report.errors == ()
    [credential] = report.credentials
    assert credential.binding.value == "unknown"
    assert credential.report.error is not None
    assert credential.report.error.kind == "cryptographic-security-error"


def test_without_an_sd_jwt_verifier_the_format_is_refused() -> None:
    issuer = SdJwtIssuer()
    with pytest.raises(RequestProblem) as problem:
        verify_presented(
            read_presented(issuer.present(issuer.issue())),
            presentations=_presentations(issuer, sd_jwt=False),
            nonce=NONCE,
            audience=AUDIENCE,
            now=NOW,
        )
    assert problem.value.kind == "unsupported-presentation-format"


def test_an_empty_nonce_is_a_programming_error() -> None:
    issuer = SdJwtIssuer()
    with pytest.raises(ValueError, match="nonce and audience"):
        _verify(issuer, issuer.present(issuer.issue(), nonce=""), nonce="")


def test_a_plain_http_issuer_is_trusted_only_on_a_host_allowed_over_http() -> None:
    issuer = "http://127.0.0.1:8000"
    assert not trusted(TrustPolicy.trusting(issuer), issuer)
    allowed = TrustPolicy.trusting(issuer, unsafe_http_hosts=frozenset({"127.0.0.1"}))
    assert trusted(allowed, issuer)
    assert not trusted(allowed, "http://127.0.0.2:8000")
    assert trusted(TrustPolicy.trusting("https://certs.example"), "https://certs.example")
