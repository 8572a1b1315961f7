"""Issuer keys: from a DID document (``did:web``) or a JWKS, to prepared public keys.

Verification finds the key by the JWS ``kid`` among the issuer's *assertion* keys, so a key
that belongs to another issuer, or one the issuer listed for another purpose, does not
verify. The ``kid`` is the DID URL of a verification method (``<issuer DID>#<fragment>``, as
VC-JOSE-COSE §4 asks when the issuer is a DID); a DID URL of any other DID than the
credential's issuer is refused at once, without fetching anything. A bare ``kid`` (the
fragment, or the JWK's own ``kid``), which certreg wrote before, still finds its key among
the same issuer's. A verification method the DID document marks ``revoked`` is refused
outright, for any signature date: a compromised key can backdate. Sources of key sets:

* :class:`HttpKeys` resolves ``did:web`` identifiers over HTTPS (or an issuer's JWKS URL the
  policy names), and caches the result as the response's ``Cache-Control`` allows;
* :class:`StaticKeys` holds documents already in hand: an offline bundle, the registry's
  own store, or test fixtures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from verifier import jws
from verifier.did_web import did_web_url
from verifier.errors import (
    CryptographicSecurityError,
    KeyRetrievalError,
    VerificationError,
)
from verifier.fetch import HttpFetcher, TtlCache, Unreachable
from verifier.policy import TrustPolicy

__all__ = [
    "HttpKeys",
    "IssuerKeys",
    "KeySource",
    "StaticKeys",
    "issuer_keys_from_did_document",
    "issuer_keys_from_jwks",
]

DEFAULT_KEY_CACHE_SECONDS = 300
ASSERTION = "assertionMethod"
AUTHENTICATION = "authentication"
"""The verification relationship a holder's key must have to sign a presentation."""
REFRESH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class PreparedKey:
    key: jws.PublicKey
    alg: object


@dataclass(frozen=True, slots=True)
class IssuerKeys:
    """An issuer's assertion keys, prepared, by ``kid`` and by verification method id."""

    issuer: str
    keys: Mapping[str, PreparedKey]
    revoked: frozenset[str]
    _own_urls: str = field(init=False, repr=False, compare=False)
    """``<issuer>#``, the start of every DID URL of this issuer's keys: made once per key
    set, so each token costs two ``startswith``, not a split."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_own_urls", self.issuer + "#")

    def key_for(self, kid: str) -> PreparedKey:
        """The key ``kid`` names: the DID URL of one of the issuer's verification methods,
        or a bare kid (its fragment, or the JWK's ``kid``) as credentials signed before
        DID URL kids carry. A DID URL of another DID is refused (fail closed): its key, if
        anything, is that DID's, and it vouches for nothing this issuer signed."""
        if kid.startswith("did:") and not kid.startswith(self._own_urls):
            raise CryptographicSecurityError(
                f"the kid {kid[:120]} names a key of another DID than the issuer "
                f"{self.issuer[:80]}",
                reason="kid-not-issuer",
            )
        if kid in self.revoked:
            raise CryptographicSecurityError(
                f"key {kid[:80]} is marked revoked (compromised) by its issuer",
                reason="key-revoked",
            )
        prepared = self.keys.get(kid)
        if prepared is None:
            raise CryptographicSecurityError(
                f"no assertion key {kid[:80]} for issuer {self.issuer[:80]}", reason="unknown-key"
            )
        return prepared


class KeySource(Protocol):
    """Where a verifier gets an issuer's keys."""

    def issuer_keys(self, issuer: str, *, now: datetime) -> IssuerKeys: ...

    def refresh(self, issuer: str, *, now: datetime) -> IssuerKeys:
        """The keys again, bypassing any cache: called once when a ``kid`` is unknown, since
        the issuer may have rotated to a key published after the cached document."""
        ...


def _method_kid(method: Mapping[str, Any]) -> str | None:
    jwk = method.get("publicKeyJwk")
    kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
    return kid if isinstance(kid, str) and kid else None


def issuer_keys_from_did_document(
    issuer: str, document: object, relationship: str = ASSERTION
) -> IssuerKeys:
    """Check a controller document (CID "Retrieve Verification Method") and prepare its keys.

    The document's ``id`` must be the issuer; every usable method is a ``JsonWebKey``
    controlled by the issuer and listed under ``relationship`` — ``assertionMethod`` for an
    issuer's credentials, ``authentication`` for a holder's presentations; methods marked
    ``revoked`` are remembered so that signatures by them are refused with a precise reason.
    """
    if not isinstance(document, Mapping) or document.get("id") != issuer:
        raise KeyRetrievalError(f"the controller document of {issuer[:80]} names another id")
    methods = document.get("verificationMethod")
    assertion = document.get(relationship)
    if not isinstance(methods, list) or not isinstance(assertion, list):
        raise KeyRetrievalError(f"the controller document lacks verificationMethod/{relationship}")
    asserting = {a for a in assertion if isinstance(a, str)}
    keys: dict[str, PreparedKey] = {}
    revoked: set[str] = set()
    for method in methods:
        if not isinstance(method, Mapping) or method.get("type") != "JsonWebKey":
            continue
        method_id = method.get("id")
        if not isinstance(method_id, str):
            continue
        full_id = issuer + method_id if method_id.startswith("#") else method_id
        if not full_id.startswith(issuer + "#") or method.get("controller") != issuer:
            continue
        names = {full_id, full_id.split("#", 1)[1]}
        kid = _method_kid(method)
        if kid:
            names.add(kid)
        if "revoked" in method:
            revoked.update(names)
            continue
        if method_id not in asserting and full_id not in asserting:
            continue
        jwk = method.get("publicKeyJwk")
        try:
            prepared = PreparedKey(jws.public_key(jwk if isinstance(jwk, Mapping) else {}), None)
        except VerificationError:
            continue  # a key we cannot use verifies nothing; others in the document still may
        alg = jwk.get("alg") if isinstance(jwk, Mapping) else None
        prepared = PreparedKey(prepared.key, alg)
        for name in names:
            keys[name] = prepared
    return IssuerKeys(issuer=issuer, keys=keys, revoked=frozenset(revoked))


def issuer_keys_from_jwks(issuer: str, jwks_document: object) -> IssuerKeys:
    """Prepare the keys of a JWK Set (RFC 7517 §5) published for ``issuer``."""
    listed = jwks_document.get("keys") if isinstance(jwks_document, Mapping) else None
    if not isinstance(listed, list):
        raise KeyRetrievalError(f"the JWKS of {issuer[:80]} has no keys list")
    keys: dict[str, PreparedKey] = {}
    for jwk in listed:
        kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
        if not isinstance(kid, str) or not kid or jwk.get("use", "sig") != "sig":
            continue
        try:
            prepared = PreparedKey(jws.public_key(jwk), jwk.get("alg"))
        except VerificationError:
            continue
        keys[kid] = prepared
        if issuer.startswith("did:"):
            keys[f"{issuer}#{kid}"] = prepared  # a DID issuer's kid is a DID URL
    return IssuerKeys(issuer=issuer, keys=keys, revoked=frozenset())


class StaticKeys:
    """Key sets from documents in hand: DID documents by DID, or JWKS by issuer."""

    def __init__(
        self,
        did_documents: Mapping[str, object] | None = None,
        jwks: Mapping[str, object] | None = None,
        *,
        relationship: str = ASSERTION,
    ) -> None:
        self._sets: dict[str, IssuerKeys] = {}
        for issuer, document in (did_documents or {}).items():
            self._sets[issuer] = issuer_keys_from_did_document(issuer, document, relationship)
        for issuer, document in (jwks or {}).items():
            self._sets[issuer] = issuer_keys_from_jwks(issuer, document)

    def issuer_keys(self, issuer: str, *, now: datetime) -> IssuerKeys:
        keys = self._sets.get(issuer)
        if keys is None:
            raise KeyRetrievalError(f"no keys are held for issuer {issuer[:80]}")
        return keys

    def refresh(self, issuer: str, *, now: datetime) -> IssuerKeys:
        return self.issuer_keys(issuer, now=now)  # documents in hand do not change


class HttpKeys:
    """Resolve issuer keys over HTTPS, cached as the server's Cache-Control allows."""

    def __init__(
        self, policy: TrustPolicy, fetcher: HttpFetcher, *, relationship: str = ASSERTION
    ) -> None:
        self._policy = policy
        self._fetcher = fetcher
        self._relationship = relationship
        self._cache: TtlCache[IssuerKeys] = TtlCache()
        self._refreshed: dict[str, datetime] = {}

    def issuer_keys(self, issuer: str, *, now: datetime) -> IssuerKeys:
        return self._cache.get_or_load(issuer, now, lambda: self._load(issuer))

    def refresh(self, issuer: str, *, now: datetime) -> IssuerKeys:
        """Refetch, at most once per :data:`REFRESH_INTERVAL` per issuer, so that tokens
        with made-up ``kid``s cannot make the verifier hammer an issuer's server."""
        last = self._refreshed.get(issuer)
        if last is not None and now - last < REFRESH_INTERVAL:
            return self.issuer_keys(issuer, now=now)
        self._refreshed[issuer] = now
        keys, seconds = self._load(issuer)
        self._cache.put(issuer, keys, now=now, seconds=seconds)
        return keys

    def _load(self, issuer: str) -> tuple[IssuerKeys, float]:
        jwks_url = self._policy.jwks_urls.get(issuer)
        url = jwks_url or did_web_url(issuer)
        host = urlsplit(url).hostname or ""
        if url.startswith("https://") and self._policy.allows_http(host):
            url = "http://" + url.removeprefix("https://")  # development hosts only
        accept = "application/json" if jwks_url else "application/did+json, application/json"
        try:
            fetched = self._fetcher.get(url, accept=accept)
        except Unreachable as exc:
            raise KeyRetrievalError(exc.detail) from exc
        try:
            document = json.loads(fetched.body)
        except (ValueError, RecursionError) as exc:
            raise KeyRetrievalError(f"{url[:100]} is not JSON") from exc
        keys = (
            issuer_keys_from_jwks(issuer, document)
            if jwks_url
            else issuer_keys_from_did_document(issuer, document, self._relationship)
        )
        seconds = fetched.max_age if fetched.max_age is not None else DEFAULT_KEY_CACHE_SECONDS
        return keys, min(seconds, self._policy.max_cache_seconds)
