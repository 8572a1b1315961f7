"""Which key a ``kid`` names.

VC-JOSE-COSE §4: when the issuer is a DID, the ``kid`` is the DID URL of a verification
method in the issuer's DID document. The verifier takes the key only from the credential's
own issuer: a DID URL of any other DID is refused at once (no key of another DID vouches for
this issuer, and no refetch is made for it). Credentials certreg signed before carry the bare
RFC 7638 thumbprint, and still verify.

Tokens come from the independent test issuer of ``tests/verifier/tokens.py``.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pytest

from tests.verifier.tokens import NOW, FakeIssuer, IssuerKey
from verifier import (
    CryptographicSecurityError,
    IssuerKeys,
    StaticKeys,
    StaticStatusLists,
    StatusVerificationError,
    TrustPolicy,
    Verifier,
)
from verifier.bundle import Bundle, read_bundle


def verifier_for(*issuers: FakeIssuer, keys: Any = None, **limits: Any) -> Verifier:
    lists: dict[str, str] = {}
    for issuer in issuers:
        lists |= issuer.lists()
    return Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset(i.did for i in issuers), **limits),
        keys=keys or StaticKeys(did_documents={i.did: i.did_document() for i in issuers}),
        status=StaticStatusLists(lists),
    )


def did_url(issuer: FakeIssuer, key: IssuerKey | None = None) -> str:
    return f"{issuer.did}#{(key or issuer.key).kid}"


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_a_did_url_kid_finds_its_verification_method(alg: str) -> None:
    issuer = FakeIssuer(keys=[IssuerKey.generate(alg)])
    verified = verifier_for(issuer).verify(issuer.token(kid=did_url(issuer)), now=NOW)
    assert verified.kid == did_url(issuer)
    assert verified.issuer == issuer.did


def test_a_bare_thumbprint_kid_still_verifies() -> None:
    """Credentials signed before DID URL kids name their key by its thumbprint alone."""
    issuer = FakeIssuer()
    token = issuer.token(kid=issuer.key.kid)
    assert "#" not in issuer.key.kid
    assert verifier_for(issuer).verify(token, now=NOW).kid == issuer.key.kid


class _CountingKeys:
    """A key source that counts lookups and refetches."""

    def __init__(self, inner: StaticKeys) -> None:
        self.inner = inner
        self.refreshed = 0

    def issuer_keys(self, issuer: str, *, now: datetime) -> IssuerKeys:
        return self.inner.issuer_keys(issuer, now=now)

    def refresh(self, issuer: str, *, now: datetime) -> IssuerKeys:
        self.refreshed += 1
        return self.inner.refresh(issuer, now=now)


def test_a_kid_of_another_did_is_refused_without_a_refetch() -> None:
    """Both issuers are trusted and the signature is good; but the credential names one
    issuer and the key of the other: refused (fail closed), and nothing fetched again."""
    ours, theirs = FakeIssuer(), FakeIssuer(host="other.example")
    counting = _CountingKeys(
        StaticKeys(did_documents={i.did: i.did_document() for i in (ours, theirs)})
    )
    token = ours.token(key=theirs.key, kid=did_url(theirs))
    with pytest.raises(CryptographicSecurityError) as caught:
        verifier_for(ours, theirs, keys=counting).verify(token, now=NOW)
    assert caught.value.reason == "kid-not-issuer"
    assert counting.refreshed == 0


@pytest.mark.parametrize(
    "kid",
    [
        "did:web:issuer.example.evil#{kid}",  # a longer DID that starts like the issuer's
        "did:web:issuer.example:evil#{kid}",  # a path under the issuer's host
        "did:web:other.example#{kid}",
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#{kid}",
    ],
)
def test_the_did_of_a_did_url_kid_must_be_exactly_the_issuer(kid: str) -> None:
    issuer = FakeIssuer()
    token = issuer.token(kid=kid.format(kid=issuer.key.kid))  # signed by the issuer's own key
    with pytest.raises(CryptographicSecurityError) as caught:
        verifier_for(issuer).verify(token, now=NOW)
    assert caught.value.reason == "kid-not-issuer"


def test_a_did_url_of_the_issuer_naming_no_method_is_an_unknown_key() -> None:
    issuer = FakeIssuer()
    with pytest.raises(CryptographicSecurityError) as caught:
        verifier_for(issuer).verify(issuer.token(kid=f"{issuer.did}#no-such-key"), now=NOW)
    assert caught.value.reason == "unknown-key"


def test_a_did_url_of_a_revoked_method_is_refused() -> None:
    issuer = FakeIssuer()
    issuer.revoked_kids.add(issuer.key.kid)
    with pytest.raises(CryptographicSecurityError) as caught:
        verifier_for(issuer).verify(issuer.token(kid=did_url(issuer)), now=NOW)
    assert caught.value.reason == "key-revoked"


def test_a_status_list_signed_under_another_dids_kid_is_not_trusted() -> None:
    ours, theirs = FakeIssuer(), FakeIssuer(host="other.example")
    lists = ours.lists()
    url = ours.list_url("revocation")
    lists[url] = ours.token(
        _payload(ours.status_list("revocation")), key=theirs.key, kid=did_url(theirs)
    )
    verifier = Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset({ours.did, theirs.did})),
        keys=StaticKeys(did_documents={i.did: i.did_document() for i in (ours, theirs)}),
        status=StaticStatusLists(lists),
    )
    with pytest.raises(StatusVerificationError, match="another DID"):
        verifier.verify(ours.token(kid=did_url(ours)), now=NOW)


def _payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return payload


def test_a_jwks_of_a_did_issuer_answers_did_url_kids_too() -> None:
    issuer = FakeIssuer()
    keys = StaticKeys(jwks={issuer.did: {"keys": [issuer.key.jwk]}})
    for kid in (did_url(issuer), issuer.key.kid):
        verifier_for(issuer, keys=keys).verify(issuer.token(kid=kid), now=NOW)


@pytest.mark.parametrize("kid_form", ["did-url", "bare"])
def test_an_offline_bundle_verifies_both_kid_forms(kid_form: str) -> None:
    """``certreg verify --offline`` reads keys from the bundle's DID documents."""
    issuer = FakeIssuer()
    bundle = Bundle(
        created_at=NOW, did_documents={issuer.did: issuer.did_document()}, status_lists={}
    )
    bundle = read_bundle(json.dumps(bundle.to_json()).encode())  # as written to a file
    kid = did_url(issuer) if kid_form == "did-url" else issuer.key.kid
    verifier = Verifier(
        policy=bundle.policy(), keys=bundle.keys(), status=StaticStatusLists(issuer.lists())
    )
    assert verifier.verify(issuer.token(kid=kid), now=NOW).kid == kid
