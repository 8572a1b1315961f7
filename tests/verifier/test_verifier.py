"""The verifier library against hostile and honest tokens: every bad input gets its typed error.

Tokens come from a test issuer that signs with ``cryptography`` directly (tests/verifier/
tokens.py), not from certreg's issuer, so the verifier is checked as the library any relying
party would use. Keys and lists are held in memory; the HTTP fetcher is tested separately.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.verifier.tokens import NOW, FakeIssuer, IssuerKey, b64, compact, hs256_with_public_key
from verifier import (
    CryptographicSecurityError,
    Expired,
    KeyRetrievalError,
    MalformedValueError,
    NotYetValid,
    ParsingError,
    RangeError,
    Revoked,
    StaticKeys,
    StaticStatusLists,
    StatusListLengthError,
    StatusRetrievalError,
    StatusVerificationError,
    Suspended,
    TrustPolicy,
    UntrustedIssuer,
    Verdict,
    VerificationError,
    Verifier,
)
from verifier.errors import ERRORS


def make_verifier(
    issuer: FakeIssuer, lists: dict[str, str] | None = None, **limits: Any
) -> Verifier:
    policy = TrustPolicy(trusted_issuers=frozenset({issuer.did}), **limits)
    keys = StaticKeys(did_documents={issuer.did: issuer.did_document()})
    return Verifier(
        policy=policy,
        keys=keys,
        status=StaticStatusLists(lists if lists is not None else issuer.lists()),
    )


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


def rejects(
    issuer: FakeIssuer, token: str, error: type[VerificationError], **kw: Any
) -> VerificationError:
    with pytest.raises(error) as caught:
        make_verifier(issuer, **kw).verify(token, now=NOW)
    assert type(caught.value) is error, caught.value
    return caught.value


def test_a_good_credential_verifies_with_every_check(issuer: FakeIssuer) -> None:
    verified = make_verifier(issuer).verify(issuer.token(), now=NOW)
    assert verified.issuer == issuer.did
    assert verified.credential["credentialSubject"]["name"] == "Ana Moreau"
    assert {
        "signature",
        "trusted-issuer",
        "vc-data-model-2.0",
        "validity-period",
        "credential-status",
    } <= set(verified.checks)
    report = make_verifier(issuer).check(issuer.token(), now=NOW)
    assert report.verdict is Verdict.VALID
    assert report.exit_code == 0


def test_ed25519_credentials_verify(issuer: FakeIssuer) -> None:
    issuer.keys = [IssuerKey.generate("EdDSA")]
    make_verifier(issuer).verify(issuer.token(), now=NOW)


def test_alg_none_is_refused(issuer: FakeIssuer) -> None:
    token = compact({"alg": "none", "typ": "vc+jwt", "kid": issuer.key.kid}, issuer.credential())
    token = token.rstrip(".") + "."
    rejects(issuer, token + "AA", CryptographicSecurityError)


def test_hs256_keyed_with_the_public_key_is_refused(issuer: FakeIssuer) -> None:
    error = rejects(
        issuer, hs256_with_public_key(issuer.credential(), issuer.key), CryptographicSecurityError
    )
    assert error.reason == "algorithm"


def test_es256_only_policy_refuses_eddsa(issuer: FakeIssuer) -> None:
    issuer.keys = [IssuerKey.generate("EdDSA")]
    rejects(issuer, issuer.token(), CryptographicSecurityError, algorithms=frozenset({"ES256"}))


def test_unknown_kid_is_refused(issuer: FakeIssuer) -> None:
    error = rejects(issuer, issuer.token(kid="no-such-key"), CryptographicSecurityError)
    assert error.reason == "unknown-key"


def test_a_key_of_another_issuer_does_not_verify(issuer: FakeIssuer) -> None:
    other = FakeIssuer(host="other.example")
    token = issuer.token(key=other.key)  # names our issuer, signed with theirs
    error = rejects(issuer, token, CryptographicSecurityError)
    assert error.reason == "unknown-key"


def test_a_key_marked_compromised_is_refused(issuer: FakeIssuer) -> None:
    issuer.revoked_kids.add(issuer.key.kid)
    error = rejects(issuer, issuer.token(), CryptographicSecurityError)
    assert error.reason == "key-revoked"


def test_a_tampered_signature_is_refused(issuer: FakeIssuer) -> None:
    head, _body, signature = issuer.token().split(".")
    forged = issuer.credential(credentialSubject={"type": "CertifiedPerson", "name": "Eve"})
    token = f"{head}.{b64(json.dumps(forged).encode())}.{signature}"
    error = rejects(issuer, token, CryptographicSecurityError)
    assert error.reason == "signature"


def test_untrusted_issuer_is_refused_before_any_key_is_fetched(issuer: FakeIssuer) -> None:
    stranger = FakeIssuer(host="stranger.example")
    rejects(issuer, stranger.token(), UntrustedIssuer)


def test_expired_and_not_yet_valid_keep_the_credential(issuer: FakeIssuer) -> None:
    error = rejects(
        issuer, issuer.token(issuer.credential(validUntil="2027-02-28T23:59:59Z")), Expired
    )
    assert error.credential is not None
    assert error.decided
    rejects(issuer, issuer.token(issuer.credential(validFrom="2027-03-02T00:00:00Z")), NotYetValid)
    rejects(
        issuer,
        issuer.token(issuer.credential(exp=int((NOW - timedelta(seconds=1)).timestamp()))),
        Expired,
    )
    rejects(
        issuer,
        issuer.token(issuer.credential(nbf=int((NOW + timedelta(hours=1)).timestamp()))),
        NotYetValid,
    )


def test_leeway_admits_small_clock_skew(issuer: FakeIssuer) -> None:
    token = issuer.token(issuer.credential(validFrom="2027-03-01T12:00:30Z"))
    make_verifier(issuer, leeway_seconds=60).verify(token, now=NOW)


@pytest.mark.parametrize("typ", ["JWT", "vp+jwt", "bad+typ", None])
def test_wrong_typ_is_refused(issuer: FakeIssuer, typ: str | None) -> None:
    error = rejects(issuer, issuer.token(typ=typ), CryptographicSecurityError)
    assert error.reason == "media-type"


def test_wrong_cty_is_refused(issuer: FakeIssuer) -> None:
    rejects(issuer, issuer.token(cty="bad+cty"), CryptographicSecurityError)


@pytest.mark.parametrize("claim", ["vc", "vp"])
def test_vc_and_vp_claims_are_refused(issuer: FakeIssuer, claim: str) -> None:
    payload = issuer.credential() | {claim: {"type": "VerifiableCredential"}}
    rejects(issuer, issuer.token(payload), MalformedValueError)


def test_a_conflicting_iss_is_refused(issuer: FakeIssuer) -> None:
    rejects(
        issuer, issuer.token(issuer.credential(iss="did:web:other.example")), MalformedValueError
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[: len(t) // 2],  # truncated
        lambda t: t + "=",  # padded
        lambda t: t.replace(".", "..", 1),  # four parts
        lambda t: t.replace("e", "+", 1),  # not base64url
        lambda t: "not a token",
        lambda t: "",
        lambda t: "a.b",
        lambda t: t + "A",  # non-canonical length
    ],
    ids=[
        "truncated",
        "padded",
        "extra-dot",
        "non-base64url",
        "words",
        "empty",
        "two-parts",
        "length",
    ],
)
def test_malformed_tokens_are_parsing_errors(issuer: FakeIssuer, mangle: Any) -> None:
    with pytest.raises((ParsingError, CryptographicSecurityError)):
        make_verifier(issuer).verify(mangle(issuer.token()), now=NOW)


def test_non_json_header_and_payload_are_parsing_errors(issuer: FakeIssuer) -> None:
    head, body, sig = issuer.token().split(".")
    rejects(issuer, f"{b64(b'not json')}.{body}.{sig}", ParsingError)
    for body_json in (b"[1, 2]", b'{"a": NaN}', b'{"a": 1, "a": 2}'):
        rejects(issuer, f"{head}.{b64(body_json)}.{sig}", ParsingError)


def test_a_10_mb_token_is_refused_unread(issuer: FakeIssuer) -> None:
    error = rejects(issuer, "e" * (10 * 1024 * 1024), ParsingError)
    assert error.reason == "too-large"


def test_a_deeply_nested_token_is_refused(issuer: FakeIssuer) -> None:
    deep: Any = "x"
    for _ in range(200):
        deep = [deep]
    rejects(issuer, issuer.token(issuer.credential(evidence=deep)), ParsingError)


def test_revoked_and_suspended(issuer: FakeIssuer) -> None:
    issuer.set_bit("suspension", 94567)
    error = rejects(issuer, issuer.token(), Suspended)
    assert error.credential is not None
    issuer.set_bit("revocation", 94567)
    rejects(issuer, issuer.token(), Revoked)  # revocation outranks suspension
    issuer.set_bit("suspension", 94567, 0)
    rejects(issuer, issuer.token(), Revoked)


def test_other_bits_do_not_affect_the_credential(issuer: FakeIssuer) -> None:
    for index in (0, 94566, 94568, 131071):
        issuer.set_bit("revocation", index)
        issuer.set_bit("suspension", index)
    make_verifier(issuer).verify(issuer.token(), now=NOW)


def test_a_status_list_that_is_too_short(issuer: FakeIssuer) -> None:
    lists = issuer.lists() | {
        issuer.list_url("revocation"): issuer.status_list("revocation", entries=1024)
    }
    error = rejects(issuer, issuer.token(), StatusListLengthError, lists=lists)
    assert not error.decided
    report = make_verifier(issuer, lists=lists).check(issuer.token(), now=NOW)
    assert report.verdict is Verdict.CANNOT_CONFIRM
    assert report.exit_code == 2


def test_a_status_list_signed_by_another_key(issuer: FakeIssuer) -> None:
    stranger = IssuerKey.generate()
    lists = issuer.lists() | {
        issuer.list_url("suspension"): issuer.status_list("suspension", key=stranger)
    }
    rejects(issuer, issuer.token(), StatusVerificationError, lists=lists)


def test_a_status_list_under_another_url(issuer: FakeIssuer) -> None:
    lists = issuer.lists()
    lists[issuer.list_url("revocation")] = lists[issuer.list_url("suspension")]
    rejects(issuer, issuer.token(), StatusVerificationError, lists=lists)


def test_an_unreachable_status_list_cannot_confirm(issuer: FakeIssuer) -> None:
    lists = issuer.lists()
    del lists[issuer.list_url("suspension")]
    report = make_verifier(issuer, lists=lists).check(issuer.token(), now=NOW)
    assert report.verdict is Verdict.CANNOT_CONFIRM
    assert not report.verified
    assert report.errors[0]["type"].endswith("#STATUS_RETRIEVAL_ERROR")
    assert report.credential is not None  # the signature held: the page can say whose it is
    rejects(issuer, issuer.token(), StatusRetrievalError, lists=lists)


def test_a_revocation_is_decided_even_when_suspension_is_unreachable(issuer: FakeIssuer) -> None:
    issuer.set_bit("revocation", 94567)
    lists = issuer.lists()
    del lists[issuer.list_url("suspension")]
    rejects(issuer, issuer.token(), Revoked, lists=lists)


def test_a_status_index_out_of_range(issuer: FakeIssuer) -> None:
    payload = issuer.credential(credentialStatus=[issuer.status_entry("revocation", 131072)])
    rejects(issuer, issuer.token(payload), RangeError)


@pytest.mark.parametrize("index", ["-1", "01x", "", "1e3", "9" * 40])
def test_malformed_status_indexes(issuer: FakeIssuer, index: str) -> None:
    entry = issuer.status_entry("revocation", 1) | {"statusListIndex": index}
    rejects(issuer, issuer.token(issuer.credential(credentialStatus=[entry])), MalformedValueError)


def test_an_unknown_status_type_cannot_be_confirmed(issuer: FakeIssuer) -> None:
    entry = {"type": "StatusList2021Entry", "statusPurpose": "revocation"}
    rejects(
        issuer, issuer.token(issuer.credential(credentialStatus=[entry])), StatusVerificationError
    )


def test_an_expired_status_list_cannot_confirm(issuer: FakeIssuer) -> None:
    url = issuer.list_url("revocation")
    lists = issuer.lists() | {
        url: issuer.status_list("revocation", validUntil="2027-02-01T00:00:00Z")
    }
    rejects(issuer, issuer.token(), StatusVerificationError, lists=lists)


def test_missing_keys_cannot_confirm(issuer: FakeIssuer) -> None:
    policy = TrustPolicy(trusted_issuers=frozenset({issuer.did}))
    verifier = Verifier(policy=policy, keys=StaticKeys(), status=StaticStatusLists(issuer.lists()))
    report = verifier.check(issuer.token(), now=NOW)
    assert isinstance(report.error, KeyRetrievalError)
    assert report.exit_code == 2


def test_status_lists_are_cached_until_their_ttl(issuer: FakeIssuer) -> None:
    verifier = make_verifier(issuer)
    verifier.verify(issuer.token(), now=NOW)
    issuer.set_bit("revocation", 94567)
    lists = issuer.lists()
    verifier._status = StaticStatusLists(lists)  # the server now serves the revoked list
    verifier.verify(issuer.token(), now=NOW + timedelta(seconds=299))  # cached, ttl 300 s
    with pytest.raises(Revoked):
        verifier.verify(issuer.token(), now=NOW + timedelta(seconds=301))


def test_every_error_maps_to_a_problem_type() -> None:
    w3c = {"PARSING_ERROR", "CRYPTOGRAPHIC_SECURITY_ERROR", "MALFORMED_VALUE_ERROR", "RANGE_ERROR"}
    status = {"STATUS_RETRIEVAL_ERROR", "STATUS_VERIFICATION_ERROR", "STATUS_LIST_LENGTH_ERROR"}
    for error in ERRORS:
        problem = error("x").problem()
        if error.code in w3c:
            assert problem["type"] == f"https://www.w3.org/TR/vc-data-model#{error.code}"
        elif error.code in status:
            assert problem["type"] == f"https://www.w3.org/ns/credentials/status-list#{error.code}"
        else:
            assert problem["type"] == f"/problems/{error.kind}"
    assert {e.code for e in ERRORS} >= w3c | status | {
        "SUSPENDED",
        "REVOKED",
        "EXPIRED",
        "NOT_YET_VALID",
        "UNTRUSTED_ISSUER",
    }


def test_a_bare_kid_or_a_full_method_url_both_find_the_key(issuer: FakeIssuer) -> None:
    token = issuer.token(kid=f"{issuer.did}#{issuer.key.kid}")
    make_verifier(issuer).verify(token, now=NOW)


def test_now_must_be_aware(issuer: FakeIssuer) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_verifier(issuer).verify(issuer.token(), now=NOW.replace(tzinfo=None))


def test_bytes_are_not_tokens(issuer: FakeIssuer) -> None:
    with pytest.raises(ParsingError):
        make_verifier(issuer).verify(issuer.token().encode(), now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("header", [{"typ": ["vc+jwt"]}, {"typ": {"a": 1}}, {"cty": ["vc"]}])
def test_unhashable_typ_or_cty_is_a_typed_refusal(issuer: FakeIssuer, header: Any) -> None:
    error = rejects(issuer, issuer.token(**header), CryptographicSecurityError)
    assert error.reason == "media-type"


@pytest.mark.parametrize("kid", ["\ud800", "key\u0000", "tab\tkid"])
def test_kids_that_cannot_be_echoed_are_parsing_errors(issuer: FakeIssuer, kid: str) -> None:
    report = make_verifier(issuer).check(issuer.token(kid=kid), now=NOW)
    assert report.verdict is Verdict.INVALID
    json.dumps(report.as_json(), ensure_ascii=False).encode("utf-8")  # never a 500 upstream


def test_problem_details_are_always_printable_utf8() -> None:
    problem = CryptographicSecurityError("no key \ud800\x1b[31m").problem()
    problem["detail"].encode("utf-8")
    assert problem["detail"].isprintable()


def test_a_status_list_without_its_own_id_is_not_trusted(issuer: FakeIssuer) -> None:
    url = issuer.list_url("revocation")
    lists = issuer.lists() | {url: issuer.status_list("revocation", id=None)}
    rejects(issuer, issuer.token(), StatusVerificationError, lists=lists)


def test_a_freshly_signed_list_survives_a_slow_clock(issuer: FakeIssuer) -> None:
    url = issuer.list_url("revocation")
    ahead = "2027-03-01T12:02:00Z"  # the issuer's clock two minutes ahead of ours
    lists = issuer.lists() | {url: issuer.status_list("revocation", validFrom=ahead)}
    make_verifier(issuer, lists=lists).verify(issuer.token(), now=NOW)
    far = "2027-03-01T13:00:00Z"
    lists = issuer.lists() | {url: issuer.status_list("revocation", validFrom=far)}
    rejects(issuer, issuer.token(), StatusVerificationError, lists=lists)


def test_a_status_list_past_its_jwt_exp_cannot_confirm(issuer: FakeIssuer) -> None:
    url = issuer.list_url("suspension")
    lists = issuer.lists() | {url: issuer.status_list("suspension", exp=1)}
    rejects(issuer, issuer.token(), StatusVerificationError, lists=lists)


def test_validity_dates_beyond_datetime_years_are_read_exactly(issuer: FakeIssuer) -> None:
    far = issuer.credential(validUntil="10000-01-01T00:00:00Z")
    make_verifier(issuer).verify(issuer.token(far), now=NOW)  # the same reader as the VC checks
    midnight = issuer.credential(validUntil="2027-03-01T24:00:00Z")  # = 2 March 00:00
    make_verifier(issuer).verify(issuer.token(midnight), now=NOW)
