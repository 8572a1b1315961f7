"""SD-JWT VC issuer keys: JWT VC Issuer Metadata for an HTTPS ``iss``, did:web for a DID.

SD-JWT VC (draft -19, §2.5 and §4) standardises one way to find an HTTPS issuer's keys: the
JWT VC Issuer Metadata at ``/.well-known/jwt-vc-issuer`` **inserted between the host and the
path** of ``iss`` (``https://ex.com/tenant/1`` → ``https://ex.com/.well-known/jwt-vc-issuer/
tenant/1``; a trailing ``/`` of ``iss`` is dropped first). The document is a JSON object
whose ``issuer`` is exactly ``iss`` (else anyone's metadata could be served for anyone) and
which has exactly one of ``jwks`` (the JWK Set inline) or ``jwks_uri`` (where to fetch it).
The key is then found by the JWT's ``kid``.

A ``did:web`` ``iss`` is resolved as for ``vc+jwt`` credentials (:class:`~verifier.keys.
HttpKeys`), so an issuer that publishes both — as certreg does, with the same keys — is read
either way. Every fetch goes through the verifier's :class:`~verifier.fetch.HttpFetcher`
(HTTPS, timeouts, size cap, bounded redirects), and the result is cached as long as the
response's ``Cache-Control`` allows, bounded by the policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from verifier.did_web import did_web_for_url
from verifier.errors import KeyRetrievalError, MalformedValueError
from verifier.fetch import HttpFetcher, TtlCache, Unreachable
from verifier.keys import (
    DEFAULT_KEY_CACHE_SECONDS,
    REFRESH_INTERVAL,
    IssuerKeys,
    KeySource,
    issuer_keys_from_jwks,
)
from verifier.policy import TrustPolicy

__all__ = ["WELL_KNOWN", "DidWebAliasKeys", "IssuerMetadataKeys", "metadata_url"]

WELL_KNOWN = "/.well-known/jwt-vc-issuer"
_JSON = "application/json"
_JWKS = "application/jwk-set+json, application/json"


def metadata_url(issuer: str) -> str:
    """The address of the JWT VC Issuer Metadata of ``issuer`` (SD-JWT VC §4.1)."""
    try:
        parts = urlsplit(issuer)
    except ValueError as exc:
        raise MalformedValueError(f"iss is not a URL: {issuer[:100]}", reason="iss") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise MalformedValueError("iss is an https URL or a did:web", reason="iss")
    if parts.query or parts.fragment or parts.username is not None:
        raise MalformedValueError("iss has no query, fragment or user", reason="iss")
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN + path, "", ""))


class IssuerMetadataKeys:
    """A :class:`~verifier.keys.KeySource` for SD-JWT VC issuers: ``did:`` issuers through
    ``did_keys``, HTTPS issuers through their JWT VC Issuer Metadata."""

    def __init__(self, policy: TrustPolicy, fetcher: HttpFetcher, did_keys: KeySource) -> None:
        self._policy = policy
        self._fetcher = fetcher
        self._did_keys = did_keys
        self._cache: TtlCache[IssuerKeys] = TtlCache()
        self._refreshed: dict[str, datetime] = {}

    def issuer_keys(self, issuer: str, *, now: datetime) -> IssuerKeys:
        if issuer.startswith("did:"):
            return self._did_keys.issuer_keys(issuer, now=now)
        return self._cache.get_or_load(issuer, now, lambda: self._load(issuer))

    def refresh(self, issuer: str, *, now: datetime) -> IssuerKeys:
        """Fetch again, at most once a minute per issuer (an unknown ``kid`` may be a key
        rotated in since; made-up ``kid``s must not make us hammer the issuer)."""
        if issuer.startswith("did:"):
            return self._did_keys.refresh(issuer, now=now)
        last = self._refreshed.get(issuer)
        if last is not None and now - last < REFRESH_INTERVAL:
            return self.issuer_keys(issuer, now=now)
        self._refreshed[issuer] = now
        keys, seconds = self._load(issuer)
        self._cache.put(issuer, keys, now=now, seconds=seconds)
        return keys

    def _get_json(self, url: str, accept: str) -> tuple[object, int | None]:
        try:
            fetched = self._fetcher.get(url, accept=accept)
        except Unreachable as exc:
            raise KeyRetrievalError(exc.detail) from exc
        try:
            return json.loads(fetched.body), fetched.max_age
        except (ValueError, RecursionError) as exc:
            raise KeyRetrievalError(f"{url[:100]} is not JSON") from exc

    def _load(self, issuer: str) -> tuple[IssuerKeys, float]:
        url = metadata_url(issuer)
        metadata, max_age = self._get_json(url, _JSON)
        if not isinstance(metadata, Mapping) or metadata.get("issuer") != issuer:
            raise KeyRetrievalError(f"the issuer metadata at {url[:100]} names another issuer")
        inline, remote = metadata.get("jwks"), metadata.get("jwks_uri")
        if (inline is None) == (remote is None):
            raise KeyRetrievalError("the issuer metadata has exactly one of jwks and jwks_uri")
        ages = [max_age]
        if remote is not None:
            if not isinstance(remote, str):
                raise KeyRetrievalError("the issuer metadata's jwks_uri is a URL")
            inline, jwks_age = self._get_json(remote, _JWKS)
            ages.append(jwks_age)
        keys = issuer_keys_from_jwks(issuer, inline)
        known = [age for age in ages if age is not None]
        seconds = min(known) if known else DEFAULT_KEY_CACHE_SECONDS
        return keys, min(seconds, self._policy.max_cache_seconds)


class DidWebAliasKeys:
    """A :class:`~verifier.keys.KeySource` for SD-JWT VC issuers over keys held by DID (a
    registry's store, an offline bundle): an HTTPS ``iss`` is the body at that base URL,
    whose keys are those of its did:web (STANDARDS §11.6: one set of keys, served both as a
    DID document and as JWT VC Issuer Metadata). Nothing is fetched."""

    def __init__(self, keys: KeySource) -> None:
        self._keys = keys

    def issuer_keys(self, issuer: str, *, now: datetime) -> IssuerKeys:
        return self._keys.issuer_keys(self._did(issuer), now=now)

    def refresh(self, issuer: str, *, now: datetime) -> IssuerKeys:
        return self._keys.refresh(self._did(issuer), now=now)

    @staticmethod
    def _did(issuer: str) -> str:
        if issuer.startswith("did:"):
            return issuer
        try:
            return did_web_for_url(issuer)
        except ValueError as exc:
            raise KeyRetrievalError(f"no keys are held for issuer {issuer[:80]}") from exc
