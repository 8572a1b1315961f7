"""IETF Token Status Lists behind SD-JWT VCs, over ``httpx.MockTransport`` (no network):
each value, each way a Status List Token can fail to hold, replays, and the cache."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from schemas import token_status_list as tsl
from tests.verifier.sd_jwt_tokens import SdJwtIssuer, check, make_verifier, refused, serve
from tests.verifier.tokens import NOW, IssuerKey
from verifier.errors import (
    RangeError,
    Revoked,
    StatusRetrievalError,
    StatusVerificationError,
    Suspended,
    Verdict,
    VerificationError,
)
from verifier.fetch import HttpFetcher
from verifier.policy import TrustPolicy
from verifier.sd_jwt_vc import http_sd_jwt_verifier

# --- status -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error", "verdict"),
    [
        (tsl.INVALID, Revoked, Verdict.REVOKED),
        (tsl.SUSPENDED, Suspended, Verdict.SUSPENDED),
        (3, StatusVerificationError, Verdict.CANNOT_CONFIRM),
    ],
)
def test_status_values(value: int, error: type[VerificationError], verdict: Verdict) -> None:
    issuer = SdJwtIssuer()
    tsl.set_status(issuer.statuses, 7, value, 2)
    result = check(issuer, issuer.issue())
    refused(result, error)
    assert result.verdict is verdict
    assert result.claims is not None
    assert result.claims["given_name"] == "Ana"
    assert result.as_json()["credential"]["certification_number"] == "C-2027-0042"


def test_an_index_outside_the_list_is_rejected() -> None:
    issuer = SdJwtIssuer()
    token = issuer.issue(issuer.claims(status={"status_list": {"idx": 64, "uri": issuer.list_uri}}))
    result = check(issuer, token)
    refused(result, RangeError, "index")
    assert result.verdict is Verdict.INVALID


def _list_answer(token: str) -> dict[str, Any]:
    return {"/statuslists/1": serve(token)}


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"sub": "https://certs.example/statuslists/2"}, "list-sub"),
        ({"exp": int(NOW.timestamp()) - 60}, "lapsed-list"),
        ({"iat": None}, "list-iat"),
        ({"iat": int(NOW.timestamp()) + 3600}, "list-iat"),
        ({"ttl": -5}, "ttl"),
        ({"status_list": {"bits": 3, "lst": "eNrbuRgAAhcBXQ"}}, "malformed-list"),
        ({"status_list": {"bits": 1, "lst": "not-zlib"}}, "malformed-list"),
    ],
)
def test_a_status_list_token_that_does_not_hold_cannot_confirm(
    overrides: dict[str, Any], reason: str
) -> None:
    issuer = SdJwtIssuer()
    result = check(issuer, issuer.issue(), **_list_answer(issuer.status_list_token(**overrides)))
    refused(result, StatusVerificationError, reason)
    assert result.verdict is Verdict.CANNOT_CONFIRM
    assert result.report.exit_code == 2


def test_a_status_list_signed_by_another_key_cannot_confirm() -> None:
    issuer = SdJwtIssuer()
    stranger = IssuerKey.generate()
    token = issuer.status_list_token(key=stranger)
    result = check(issuer, issuer.issue(), **_list_answer(token))
    refused(result, StatusVerificationError, "list-signature")


def test_a_status_list_of_another_type_cannot_confirm() -> None:
    issuer = SdJwtIssuer()
    token = issuer.status_list_token(typ="JWT")
    result = check(issuer, issuer.issue(), **_list_answer(token))
    refused(result, StatusVerificationError, "media-type")


def test_an_unreachable_status_list_cannot_confirm() -> None:
    issuer = SdJwtIssuer()
    result = check(issuer, issuer.issue(), **{"/statuslists/1": serve("", 503)})
    refused(result, StatusRetrievalError)
    assert result.verdict is Verdict.CANNOT_CONFIRM


def test_an_older_list_after_a_newer_one_is_a_replay() -> None:
    issuer = SdJwtIssuer()
    verifier, _ = make_verifier(issuer)
    newer = issuer.status_list_token(iat=int(NOW.timestamp()), ttl=1)
    older = issuer.status_list_token(iat=int(NOW.timestamp()) - 3600, ttl=1)
    answers = iter([newer, older])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/statuslists/1":
            return httpx.Response(200, content=next(answers).encode())
        return issuer.site()[0](request)

    policy = TrustPolicy.trusting(issuer.iss)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    verifier = http_sd_jwt_verifier(policy, fetcher=HttpFetcher(policy, client=client))
    token = issuer.issue()
    assert verifier.check(token, now=NOW).verified
    later = verifier.check(token, now=NOW + timedelta(seconds=5))  # ttl 1 s: fetched again
    refused(later, StatusVerificationError, "replayed-list")


def test_a_verified_list_is_cached_for_its_ttl_and_no_longer() -> None:
    issuer = SdJwtIssuer()
    verifier, asked = make_verifier(issuer)
    token = issuer.issue()
    for seconds in (0, 100, 299):
        assert verifier.check(token, now=NOW + timedelta(seconds=seconds)).verified
    assert asked.count(issuer.list_uri) == 1
    assert verifier.check(token, now=NOW + timedelta(seconds=301)).verified
    assert asked.count(issuer.list_uri) == 2


def test_a_huge_ttl_is_capped_by_the_policy() -> None:
    issuer = SdJwtIssuer()
    policy = TrustPolicy.trusting(issuer.iss, max_cache_seconds=60)
    token = issuer.status_list_token(ttl=10**9, exp=int(NOW.timestamp()) + 10**9)
    verifier, asked = make_verifier(issuer, policy=policy, **_list_answer(token))
    credential = issuer.issue()
    assert verifier.check(credential, now=NOW).verified
    assert verifier.check(credential, now=NOW + timedelta(seconds=61)).verified
    assert len([u for u in asked if u.endswith("/statuslists/1")]) == 2


def test_a_list_cached_for_one_issuer_does_not_answer_for_another() -> None:
    first, second = SdJwtIssuer(), SdJwtIssuer(host="other.example")
    borrowed = {"status_list": {"idx": 7, "uri": first.list_uri}}
    second_token = second.issue(second.claims(status=borrowed))

    def handler(request: httpx.Request) -> httpx.Response:
        site = first if request.url.host == "certs.example" else second
        return site.site()[0](request)

    policy = TrustPolicy.trusting(first.iss, second.iss)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    verifier = http_sd_jwt_verifier(policy, fetcher=HttpFetcher(policy, client=client))
    assert verifier.check(first.issue(), now=NOW).verified
    refused(verifier.check(second_token, now=NOW), StatusVerificationError, "list-signature")
