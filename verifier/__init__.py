"""The verifier security context: checks credentials from any standards-following issuer.

It trusts only signatures and a configured :class:`TrustPolicy`, and works against any
issuer that secures W3C VC 2.0 credentials as ``vc+jwt`` with did:web (or JWKS) keys and
Bitstring Status Lists — not only certreg's — and SD-JWT VCs (``dc+sd-jwt``, with key-bound
presentations) with IETF Token Status Lists (:mod:`verifier.sd_jwt_vc`). Use it as a library::

    policy = TrustPolicy.trusting("https://certs.example.org")
    verifier = http_verifier(policy)
    report = verifier.check(token, now=datetime.now(UTC))   # or .verify(), which raises

A holder's presentation (``vp+jwt``) is checked by :class:`PresentationVerifier` against the
nonce and audience the verifier chose (:mod:`verifier.presentations`).

Errors form a closed set (:mod:`verifier.errors`); "cannot confirm" is never "valid".
"""

from __future__ import annotations

from verifier.bundle import Bundle, read_bundle
from verifier.core import VerifiedCredential, Verifier
from verifier.errors import (
    ChallengeMismatch,
    CryptographicSecurityError,
    Expired,
    HolderMismatch,
    KeyRetrievalError,
    MalformedValueError,
    NotYetValid,
    ParsingError,
    PresentationExpired,
    RangeError,
    Revoked,
    StatusListLengthError,
    StatusRetrievalError,
    StatusVerificationError,
    Superseded,
    Suspended,
    UntrustedIssuer,
    Verdict,
    VerificationError,
)
from verifier.fetch import HttpFetcher
from verifier.keys import HttpKeys, IssuerKeys, KeySource, StaticKeys
from verifier.policy import TrustPolicy
from verifier.presentation_result import PresentationReport
from verifier.presentations import PresentationLimits, PresentationVerifier
from verifier.replay import SeenLists
from verifier.result import Report, verification_result
from verifier.sd_jwt_vc import (
    DisclosedClaim,
    SdJwtVcResult,
    SdJwtVcVerifier,
    http_sd_jwt_verifier,
    verify_sd_jwt_presentation,
    verify_sd_jwt_vc,
)
from verifier.status import HttpStatusLists, StaticStatusLists, StatusSource
from verifier.supersession import HttpRegisterEntries, SupersessionSource
from verifier.token_status import (
    HttpTokenStatusLists,
    StaticTokenStatusLists,
    TokenStatusSource,
)

__all__ = [
    "Bundle",
    "ChallengeMismatch",
    "CryptographicSecurityError",
    "DisclosedClaim",
    "Expired",
    "HolderMismatch",
    "HttpFetcher",
    "HttpKeys",
    "HttpRegisterEntries",
    "HttpStatusLists",
    "HttpTokenStatusLists",
    "IssuerKeys",
    "KeyRetrievalError",
    "KeySource",
    "MalformedValueError",
    "NotYetValid",
    "ParsingError",
    "PresentationExpired",
    "PresentationLimits",
    "PresentationReport",
    "PresentationVerifier",
    "RangeError",
    "Report",
    "Revoked",
    "SdJwtVcResult",
    "SdJwtVcVerifier",
    "SeenLists",
    "StaticKeys",
    "StaticStatusLists",
    "StaticTokenStatusLists",
    "StatusListLengthError",
    "StatusRetrievalError",
    "StatusSource",
    "StatusVerificationError",
    "Superseded",
    "SupersessionSource",
    "Suspended",
    "TokenStatusSource",
    "TrustPolicy",
    "UntrustedIssuer",
    "Verdict",
    "VerificationError",
    "VerifiedCredential",
    "Verifier",
    "http_sd_jwt_verifier",
    "http_verifier",
    "read_bundle",
    "verification_result",
    "verify_sd_jwt_presentation",
    "verify_sd_jwt_vc",
]


def http_verifier(
    policy: TrustPolicy,
    *,
    fetcher: HttpFetcher | None = None,
    seen_lists: SeenLists | None = None,
) -> Verifier:
    """A verifier that fetches keys and status lists over HTTPS with the policy's rules, and
    asks the issuer's registry which credential replaced a revoked one (superseded);
    ``seen_lists`` carries the newest list dates seen before (:mod:`verifier.replay`)."""
    fetcher = fetcher or HttpFetcher(policy)
    keys = HttpKeys(policy, fetcher)
    return Verifier(
        policy=policy,
        keys=keys,
        status=HttpStatusLists(fetcher),
        supersession=HttpRegisterEntries(policy, fetcher, keys),
        seen_lists=seen_lists,
    )
