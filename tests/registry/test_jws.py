"""Minimal JWS verification: allow-listed algorithms, strict base64url, public keys only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from issuer.credentials.signing import Algorithm, b64url
from registry import jws
from registry.errors import (
    BadSignature,
    InvalidKeys,
    InvalidPayload,
    JwsTooLarge,
    MalformedJws,
    PublicationRefused,
    UnsupportedAlgorithm,
)
from tests.registry.conftest import DID, KeyPair, TestIssuer

_DUPLICATE = b'{"alg":"ES256","alg":"ES256","kid":"k"}'


def _part(value: Any) -> str:
    return b64url(json.dumps(value).encode())


def _compact(header: Any, payload: Any, key: KeyPair) -> str:
    signing_input = f"{_part(header)}.{_part(payload)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode()))}"


@pytest.mark.parametrize("alg", list(Algorithm))
def test_both_algorithms_verify(alg: Algorithm) -> None:
    key = KeyPair(alg)
    parsed = jws.parse_compact(TestIssuer(key).sign({"a": 1}))
    assert (parsed.alg, parsed.kid, parsed.payload) == (alg.value, f"{DID}#{key.kid}", {"a": 1})
    jws.verify_signature(parsed, key.public_jwk)


@pytest.mark.parametrize("alg", list(Algorithm))
def test_a_changed_payload_or_signature_does_not_verify(alg: Algorithm) -> None:
    key = KeyPair(alg)
    header, _payload, signature = TestIssuer(key).sign({"a": 1}).split(".")
    forged = jws.parse_compact(f"{header}.{_part({'a': 2})}.{signature}")
    with pytest.raises(BadSignature):
        jws.verify_signature(forged, key.public_jwk)
    other = KeyPair(alg)
    with pytest.raises(BadSignature):
        jws.verify_signature(jws.parse_compact(TestIssuer(other).sign({"a": 1})), key.public_jwk)


def test_an_es256_signature_must_be_raw_r_and_s() -> None:
    key = KeyPair(Algorithm.ES256)
    header, payload, _ = TestIssuer(key).sign({"a": 1}).split(".")
    with pytest.raises(BadSignature):
        jws.verify_signature(
            jws.parse_compact(f"{header}.{payload}.{b64url(b'x' * 70)}"), key.public_jwk
        )


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES384", "ES256K", "", 7, None])
def test_algorithms_outside_the_allow_list_are_refused(alg: object) -> None:
    key = KeyPair(Algorithm.ES256)
    with pytest.raises(UnsupportedAlgorithm):
        jws.parse_compact(_compact({"alg": alg, "kid": key.kid}, {}, key))


def test_the_algorithm_must_suit_the_key() -> None:
    ec_key, ed_key = KeyPair(Algorithm.ES256), KeyPair(Algorithm.EDDSA)
    eddsa_on_ec = jws.parse_compact(_compact({"alg": "EdDSA", "kid": "k"}, {}, ed_key))
    with pytest.raises(UnsupportedAlgorithm):
        jws.verify_signature(eddsa_on_ec, ec_key.public_jwk)
    with pytest.raises(UnsupportedAlgorithm):
        jws.verify_signature(
            eddsa_on_ec, {k: v for k, v in ec_key.public_jwk.items() if k != "alg"}
        )
    es256_on_ed = jws.parse_compact(_compact({"alg": "ES256", "kid": "k"}, {}, ec_key))
    with pytest.raises(UnsupportedAlgorithm):
        jws.verify_signature(
            es256_on_ed, {k: v for k, v in ed_key.public_jwk.items() if k != "alg"}
        )


@pytest.mark.parametrize(
    "text",
    ["YQ==", "YQ=", "a+b/", "Y", "YR", "YQ\n", "Y Q"],
    ids=["padding", "short-padding", "std-alphabet", "one-char", "trailing-bits", "nl", "space"],
)
def test_base64url_is_strict(text: str) -> None:
    with pytest.raises(MalformedJws):
        jws.b64url_decode(text)
    assert jws.b64url_decode("YQ") == b"a"


@pytest.mark.parametrize(
    "compact",
    [
        "a.b",
        "a.b.c.d",
        "..sig",
        f"{_part({'alg': 'ES256', 'kid': 'k'})}.{_part({})}.",
        f"{_part(['ES256'])}.{_part({})}.c2ln",
        f"{b64url(b'not json')}.{_part({})}.c2ln",
        f"{b64url(_DUPLICATE)}.{_part({})}.c2ln",
        f"{_part({'alg': 'ES256'})}.{_part({})}.c2ln",
        f"{_part({'alg': 'ES256', 'kid': ''})}.{_part({})}.c2ln",
        f"{_part({'alg': 'ES256', 'kid': 'k', 'crit': ['b64'], 'b64': False})}.{_part({})}.c2ln",
        f"{_part({'alg': 'ES256', 'kid': 'k'})}.{_part({})}.c2ln=",
    ],
    ids=[
        "two-parts",
        "four-parts",
        "empty-parts",
        "empty-signature",
        "header-not-object",
        "header-not-json",
        "duplicate-member",
        "no-kid",
        "empty-kid",
        "crit",
        "padded-signature",
    ],
)
def test_malformed_serializations_are_refused(compact: str) -> None:
    with pytest.raises(MalformedJws):
        jws.parse_compact(compact)


@pytest.mark.parametrize(
    "payload", [b"[1, 2]", b'"text"', b"null", b"not json", b'{"a": NaN}', b"\xff"]
)
def test_a_payload_must_be_a_json_object(payload: bytes) -> None:
    header = _part({"alg": "ES256", "kid": "k"})
    with pytest.raises(InvalidPayload):
        jws.parse_compact(f"{header}.{b64url(payload)}.c2ln")


def test_oversized_serializations_are_refused_before_parsing() -> None:
    with pytest.raises(JwsTooLarge) as caught:
        jws.parse_compact("a" * 101, max_bytes=100)
    assert isinstance(caught.value, PublicationRefused)
    assert caught.value.status == 413


@pytest.mark.parametrize("member", sorted(jws.PRIVATE_MEMBERS))
def test_jwks_with_private_members_are_refused(member: str) -> None:
    key = KeyPair(Algorithm.EDDSA)
    with pytest.raises(InvalidKeys, match="private"):
        jws.public_key({**key.public_jwk, member: "AAAA"})


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": b64url(b"\x01" * 32), "y": b64url(b"\x02" * 32)},
        {"kty": "EC", "crv": "P-256", "x": b64url(b"\x01" * 31)},
        {"kty": "OKP", "crv": "Ed25519", "x": b64url(b"\x01" * 31)},
        {"kty": "OKP", "crv": "Ed25519", "x": "not base64url!"},
        {"kty": "OKP", "crv": "X25519", "x": b64url(b"\x01" * 32)},
    ],
    ids=["rsa", "p384", "off-curve", "short-ec", "short-okp", "bad-b64", "x25519"],
)
def test_unsupported_or_broken_keys_are_refused(jwk: dict[str, Any]) -> None:
    with pytest.raises(InvalidKeys):
        jws.public_key(jwk)
