"""SD-JWT VCs between certreg's verifier and software nobody here wrote.

``tests/js/sd_jwt_vc.mjs`` drives @sd-jwt/sd-jwt-vc (OpenWallet Foundation): SD-JWT VCs and
key-bound presentations it builds must verify here, and tampered ones must not; SD-JWT VCs
built with certreg's own codec (``schemas.sd_jwt``) must verify there — so that certreg's
issued SD-JWT VCs can be checked by the library the same way once issuance produces them.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from schemas import sd_jwt
from schemas import token_status_list as tsl
from tests.node import run_script
from tests.verifier.sd_jwt_tokens import SdJwtIssuer
from tests.verifier.tokens import NOW, IssuerKey, b64
from verifier.errors import CryptographicSecurityError, Revoked, Verdict
from verifier.fetch import HttpFetcher
from verifier.policy import TrustPolicy
from verifier.sd_jwt_vc import SdJwtVcResult, SdJwtVcVerifier, http_sd_jwt_verifier

MODULE = "@sd-jwt/sd-jwt-vc"
SCRIPT = "sd_jwt_vc.mjs"
NONCE = "n-0S6_WzA2Mj"
AUDIENCE = "https://employer.example"


def private_jwk(key: IssuerKey) -> dict[str, Any]:
    private = key.private.private_numbers().private_value  # type: ignore[union-attr]
    return {k: v for k, v in key.jwk.items() if k not in ("kid", "alg")} | {
        "d": b64(private.to_bytes(32, "big"))
    }


def public_jwk(key: IssuerKey) -> dict[str, Any]:
    return {k: v for k, v in key.jwk.items() if k not in ("kid", "alg")}


def verifier_for(issuer: SdJwtIssuer) -> SdJwtVcVerifier:
    policy = TrustPolicy.trusting(issuer.iss)
    client = httpx.Client(transport=httpx.MockTransport(issuer.site()[0]))
    return http_sd_jwt_verifier(policy, fetcher=HttpFetcher(policy, client=client))


def library_issue(issuer: SdJwtIssuer, **overrides: Any) -> str:
    claims = issuer.claims(given_name="Ana", family_name="Moreau", birthdate="1990-04-02")
    answer = run_script(
        MODULE,
        SCRIPT,
        {
            "op": "issue",
            "claims": claims,
            "disclosureFrame": {"_sd": ["given_name", "family_name", "birthdate"]},
            "issuerKey": private_jwk(issuer.key),
            "kid": issuer.key.kid,
        }
        | overrides,
    )
    credential: str = answer["credential"]
    return credential


def library_present(issuer: SdJwtIssuer, credential: str, **overrides: Any) -> str:
    answer = run_script(
        MODULE,
        SCRIPT,
        {
            "op": "present",
            "credential": credential,
            "presentationFrame": {"given_name": True, "family_name": True},
            "holderKey": private_jwk(issuer.holder),
            "nonce": NONCE,
            "aud": AUDIENCE,
            "iat": int(NOW.timestamp()),
        }
        | overrides,
    )
    presentation: str = answer["presentation"]
    return presentation


def library_verify(issuer: SdJwtIssuer, credential: str, **options: Any) -> dict[str, Any]:
    answer: dict[str, Any] = run_script(
        MODULE,
        SCRIPT,
        {
            "op": "verify",
            "credential": credential,
            "issuerPublicKey": public_jwk(issuer.key),
            "now": int(NOW.timestamp()),
            "statusLists": {issuer.list_uri: issuer.status_list_token()},
        }
        | options,
    )
    return answer


def presented(verifier: SdJwtVcVerifier, text: str, **kw: Any) -> SdJwtVcResult:
    return verifier.check_presentation(text, nonce=NONCE, audience=AUDIENCE, now=NOW, **kw)


# --- the library's SD-JWT VCs, verified here -------------------------------------------------


def test_an_sd_jwt_vc_the_library_issued_verifies_here() -> None:
    issuer = SdJwtIssuer()
    result = verifier_for(issuer).check(library_issue(issuer), now=NOW)
    assert result.verdict is Verdict.VALID, result.error
    assert sorted(c.path for c in result.disclosed) == [
        ("birthdate",),
        ("family_name",),
        ("given_name",),
    ]
    assert result.claims is not None
    assert result.claims["family_name"] == "Moreau"


def test_a_presentation_the_library_made_verifies_here_with_only_what_it_shows() -> None:
    issuer = SdJwtIssuer()
    presentation = library_present(issuer, library_issue(issuer))
    result = presented(verifier_for(issuer), presentation)
    assert result.verdict is Verdict.VALID, result.error
    assert result.key_bound
    assert sorted(c.path for c in result.disclosed) == [("family_name",), ("given_name",)]
    assert result.claims is not None
    assert "birthdate" not in result.claims


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"nonce": "replayed"}, "kb-nonce"),
        ({"aud": "https://elsewhere.example"}, "kb-audience"),
        ({"iat": int(NOW.timestamp()) - 3600}, "kb-iat"),
    ],
)
def test_a_library_presentation_for_another_request_is_refused(
    overrides: dict[str, Any], reason: str
) -> None:
    issuer = SdJwtIssuer()
    presentation = library_present(issuer, library_issue(issuer), **overrides)
    result = presented(verifier_for(issuer), presentation)
    assert type(result.error) is CryptographicSecurityError
    assert result.error.reason == reason


def test_a_library_presentation_signed_by_another_holder_is_refused() -> None:
    issuer = SdJwtIssuer()
    thief = IssuerKey.generate()
    presentation = library_present(issuer, library_issue(issuer), holderKey=private_jwk(thief))
    result = presented(verifier_for(issuer), presentation)
    assert result.error is not None
    assert result.error.reason == "kb-signature"


def test_a_library_presentation_with_a_disclosure_swapped_in_is_refused() -> None:
    issuer = SdJwtIssuer()
    issued = library_issue(issuer)
    presentation = sd_jwt.split(library_present(issuer, issued))
    disclosures = sd_jwt.split(issued).disclosures
    birthdate = next(d for d in disclosures if sd_jwt.decode_disclosure(d).name == "birthdate")
    tampered = "~".join([presentation.issuer_jwt, *presentation.disclosures, birthdate]) + "~"
    result = presented(verifier_for(issuer), tampered + str(presentation.key_binding_jwt))
    assert result.error is not None
    assert result.error.reason == "kb-sd-hash"


def test_a_library_credential_with_a_forged_disclosure_is_refused() -> None:
    issuer = SdJwtIssuer()
    parts = sd_jwt.split(library_issue(issuer))
    forged = sd_jwt.encode_disclosure(b"\x07" * 16, "given_name", "Mallory")
    result = verifier_for(issuer).check(
        "~".join([parts.issuer_jwt, forged, *parts.disclosures[1:]]) + "~", now=NOW
    )
    assert type(result.error) is CryptographicSecurityError


def test_a_library_credential_revoked_in_the_list_is_revoked_here() -> None:
    issuer = SdJwtIssuer()
    tsl.set_status(issuer.statuses, 7, tsl.INVALID, 2)
    result = verifier_for(issuer).check(library_issue(issuer), now=NOW)
    assert type(result.error) is Revoked


# --- SD-JWT VCs built with certreg's codec, verified by the library -----------------------------


def test_the_library_verifies_an_sd_jwt_vc_built_with_certregs_codec() -> None:
    issuer = SdJwtIssuer()
    answer = library_verify(issuer, issuer.issue())
    assert answer["ok"], answer
    assert answer["claims"]["given_name"] == "Ana"
    assert answer["claims"]["birthdate"] == "1990-04-02"
    assert answer["header"]["typ"] == "dc+sd-jwt"


def test_the_library_verifies_a_key_bound_presentation_built_here() -> None:
    issuer = SdJwtIssuer()
    answer = library_verify(issuer, issuer.present(issuer.issue()), nonce=NONCE, audience=AUDIENCE)
    assert answer["ok"], answer
    assert "birthdate" not in answer["claims"]
    assert answer["kb"]["payload"]["nonce"] == NONCE


@pytest.mark.parametrize("case", ["forged-disclosure", "wrong-nonce", "revoked"])
def test_the_library_refuses_what_certreg_refuses(case: str) -> None:
    issuer = SdJwtIssuer()
    token = issuer.issue()
    options: dict[str, Any] = {}
    if case == "forged-disclosure":
        parts = sd_jwt.split(token)
        forged = sd_jwt.encode_disclosure(b"\x07" * 16, "given_name", "Mallory")
        token = "~".join([parts.issuer_jwt, forged, *parts.disclosures[1:]]) + "~"
    elif case == "wrong-nonce":
        token = issuer.present(token, nonce="another")
        options = {"nonce": NONCE, "audience": AUDIENCE}
    else:
        tsl.set_status(issuer.statuses, 7, tsl.INVALID, 2)
    assert not library_verify(issuer, token, **options)["ok"]
    if case != "wrong-nonce":
        assert not verifier_for(issuer).check(token, now=NOW).verified
