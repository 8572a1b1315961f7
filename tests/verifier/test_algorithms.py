"""``Ed25519`` (RFC 9864) names the same algorithm as ``EdDSA`` for an Ed25519 key, and
nothing for any other key: the key decides what verifies, never the header alone.

Tokens come from the independent test issuer of ``tests/verifier/tokens.py``.
"""

from __future__ import annotations

import pytest

from tests.verifier.test_key_ids import did_url, verifier_for
from tests.verifier.tokens import NOW, FakeIssuer, IssuerKey, compact
from verifier import CryptographicSecurityError


@pytest.mark.parametrize("jwk_alg", ["EdDSA", "Ed25519", None])
@pytest.mark.parametrize("header_alg", ["EdDSA", "Ed25519"])
def test_ed25519_verifies_under_either_name(header_alg: str, jwk_alg: str | None) -> None:
    key = IssuerKey.generate("EdDSA")
    key.jwk = {k: v for k, v in key.jwk.items() if k != "alg"}
    if jwk_alg is not None:
        key.jwk["alg"] = jwk_alg
    issuer = FakeIssuer(keys=[key])
    token = issuer.token(alg=header_alg, kid=did_url(issuer))
    assert verifier_for(issuer).verify(token, now=NOW).header["alg"] == header_alg


@pytest.mark.parametrize("jwk_alg", ["ES256", None])
def test_ed25519_is_refused_for_a_p256_key(jwk_alg: str | None) -> None:
    """A P-256 key verifies ES256 only, whatever the header calls the signature."""
    key = IssuerKey.generate("ES256")
    key.jwk = {k: v for k, v in key.jwk.items() if k != "alg"}
    if jwk_alg is not None:
        key.jwk["alg"] = jwk_alg
    issuer = FakeIssuer(keys=[key])
    token = issuer.token(alg="Ed25519", kid=did_url(issuer))  # an ES256 signature inside
    with pytest.raises(CryptographicSecurityError) as caught:
        verifier_for(issuer).verify(token, now=NOW)
    assert caught.value.reason == "algorithm"


def test_a_jwk_that_says_es256_does_not_verify_an_ed25519_header() -> None:
    """The JWK's alg must name the header's algorithm; EdDSA and Ed25519 are one only for
    each other."""
    key = IssuerKey.generate("EdDSA")
    key.jwk["alg"] = "ES256"
    issuer = FakeIssuer(keys=[key])
    with pytest.raises(CryptographicSecurityError) as caught:
        verifier_for(issuer).verify(issuer.token(alg="Ed25519", kid=did_url(issuer)), now=NOW)
    assert caught.value.reason == "algorithm"


def test_a_policy_pinned_to_eddsa_refuses_the_name_ed25519() -> None:
    """Pinning is by name: a relying party that allows EdDSA alone gets exactly that."""
    issuer = FakeIssuer(keys=[IssuerKey.generate("EdDSA")])
    token = issuer.token(alg="Ed25519", kid=did_url(issuer))
    with pytest.raises(CryptographicSecurityError) as caught:
        verifier_for(issuer, algorithms=frozenset({"EdDSA"})).verify(token, now=NOW)
    assert caught.value.reason == "algorithm"


def test_a_hand_made_ed25519_token_verifies() -> None:
    """The header exactly as an RFC 9864 issuer writes it, no certreg helper involved."""
    key = IssuerKey.generate("EdDSA")
    issuer = FakeIssuer(keys=[key])
    header = {"alg": "Ed25519", "typ": "vc+jwt", "kid": did_url(issuer)}
    verifier_for(issuer).verify(compact(header, issuer.credential(), key), now=NOW)
