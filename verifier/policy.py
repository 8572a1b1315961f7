"""What a verifier trusts, in one immutable value passed to :class:`~verifier.Verifier`.

A signature proves only that some key signed; trust comes from the policy: which issuers
(DIDs or URLs) this verifier accepts, which algorithms, how old a status list may be, and how
far clocks may disagree. Anything weaker than the defaults is spelled ``unsafe…`` so it
stands out in review: accepting any issuer whose keys resolve, or fetching keys and status
lists over plain HTTP (only sensible for ``localhost`` in development and tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from schemas.bitstring_status_list import MIN_ENTRIES
from verifier.did_web import did_web_for_url
from verifier.jws import ALLOWED_ALGORITHMS

__all__ = ["TrustPolicy"]


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """Trusted issuers and the limits verification works within."""

    trusted_issuers: frozenset[str]
    """Issuer identifiers (``did:web:…`` or HTTPS URLs) whose credentials may be accepted."""
    algorithms: frozenset[str] = ALLOWED_ALGORITHMS
    """JWS ``alg`` values accepted; a subset of ES256, EdDSA and Ed25519 (EdDSA by its RFC 9864
    name: allow both to take Ed25519 signatures from every issuer)."""
    jwks_urls: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Issuers whose keys come from a JWKS URL instead of their DID document."""
    minimum_status_entries: int = MIN_ENTRIES
    """Bitstring Status List §3.2 minimumNumberOfEntries (herd privacy)."""
    leeway_seconds: int = 0
    """Allowed clock disagreement at the edges of validity windows."""
    max_token_bytes: int = 256 * 1024
    """A certification credential is a few kilobytes; anything far larger is refused unread."""
    max_document_bytes: int = 2 * 1024 * 1024
    """Cap on a fetched DID document, JWKS or status list credential."""
    max_cache_seconds: int = 86_400
    """Upper bound on how long a key set or status list is reused (a hostile ``ttl`` is capped)."""
    unsafe_any_issuer: bool = False
    """Accept any issuer whose keys resolve: proves only control of a domain, not trust."""
    unsafe_http_hosts: frozenset[str] = frozenset()
    """Hosts that may be reached over plain HTTP (development and tests only)."""

    def __post_init__(self) -> None:
        unknown = self.algorithms - ALLOWED_ALGORITHMS
        if unknown or not self.algorithms:
            raise ValueError(
                f"algorithms must be a non-empty subset of {sorted(ALLOWED_ALGORITHMS)}"
            )
        if self.minimum_status_entries < 1 or self.leeway_seconds < 0:
            raise ValueError("minimum_status_entries ≥ 1 and leeway_seconds ≥ 0")

    @classmethod
    def trusting(cls, *issuers: str, **limits: object) -> TrustPolicy:
        """A policy that trusts exactly ``issuers`` (DIDs, or HTTPS base URLs → did:web)."""
        return cls(trusted_issuers=frozenset(normalise_issuers(issuers)), **limits)  # type: ignore[arg-type]

    def trusts(self, issuer: str) -> bool:
        return self.unsafe_any_issuer or issuer in self.trusted_issuers

    def allows_http(self, host: str) -> bool:
        return host in self.unsafe_http_hosts


def normalise_issuers(issuers: Iterable[str]) -> list[str]:
    """DIDs stay as they are; an ``https://`` base URL names the ``did:web`` it serves."""
    return [issuer if issuer.startswith("did:") else did_web_for_url(issuer) for issuer in issuers]
