"""An SD-JWT VC presentation, answered as a presentation: one shape for every format.

A wallet that holds an SD-JWT VC presents it as ``<issuer JWT>~<disclosures>~<KB-JWT>``:
the claims it chose to show, and a Key Binding JWT signed with the key the issuer put in
the credential's ``cnf``, over the verifier's nonce and audience (RFC 9901 §4.3). It is
verified by :class:`~verifier.sd_jwt_vc.SdJwtVcVerifier` (key binding required, ``nonce`` =
the verifier's challenge, ``aud`` = its domain), and its result is turned here into the
:class:`~verifier.presentation_result.PresentationReport` a ``vp+jwt`` gets, so that
``POST /presentations/verify``, the registry's page and ``certreg verify`` answer both the
same way:

* **the holder** is the ``did:jwk`` of the ``cnf`` key (:func:`verifier.did_jwk.did_jwk_for`),
  named once the KB-JWT it signed verified: a DID like a ``vp+jwt`` holder's, and the same
  DID for the same key whichever format it signs; ``None`` when the key binding was not
  reached or failed;
* **the presentation's own failures** — the KB-JWT missing, for another nonce or audience,
  out of date, or not signed by the ``cnf`` key — are the presentation errors a ``vp+jwt``
  has for the same fault (``challenge-mismatch``, ``presentation-expired``,
  ``holder-mismatch``; other KB-JWT faults stay ``cryptographic-security-error``), and the
  credential is not reported on, as for a ``vp+jwt`` refused before its credentials;
* **one credential result** otherwise: the verifier's report (signature, issuer, dates,
  status), ``bound`` to the holder when the key binding verified, with the claims the
  holder disclosed and those the issuer signed in clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from verifier.did_jwk import did_jwk_for
from verifier.errors import (
    ChallengeMismatch,
    CryptographicSecurityError,
    HolderMismatch,
    PresentationExpired,
    VerificationError,
)
from verifier.presentation_result import (
    Binding,
    CredentialResult,
    PresentationReport,
    overall_verdict,
)
from verifier.sd_jwt_vc import CHECK_KEY_BINDING, SdJwtVcResult, SdJwtVcVerifier

__all__ = ["SD_JWT_FORMAT", "check_sd_jwt_presentation", "sd_jwt_presentation_report"]

SD_JWT_FORMAT = "dc+sd-jwt"
CHECK_CHALLENGE = "challenge"
CHECK_DOMAIN = "domain"
_KEY_BINDING_FAULTS = frozenset(
    {"kb-missing", "kb-malformed", "kb-typ", "kb-signature", "kb-iat", "kb-audience"}
    | {"kb-nonce", "kb-sd-hash", "kb-cnf", "no-cnf"}
)
"""The reasons :mod:`verifier.key_binding` gives: faults of the presentation, not of the
credential inside it."""


def _presentation_error(error: VerificationError) -> VerificationError:
    """The presentation error a ``vp+jwt`` has for the same fault of the key binding JWT."""
    detail, reason = error.detail, error.reason
    if reason == "kb-nonce":
        return ChallengeMismatch(detail, reason="nonce-mismatch")
    if reason == "kb-audience":
        return ChallengeMismatch(detail, reason="audience-mismatch")
    if reason == "kb-missing":
        return ChallengeMismatch(
            "the SD-JWT carries no key binding JWT, so nothing in it answers your nonce: "
            "ask the holder for a presentation made for your request",
            reason="nonce-missing",
        )
    if reason == "kb-iat":
        return PresentationExpired(detail, reason="kb-iat")
    if reason == "kb-signature":
        return HolderMismatch(detail, reason="kb-signature")
    return error


def sd_jwt_presentation_report(
    result: SdJwtVcResult, *, nonce: str, audience: str, now: datetime
) -> PresentationReport:
    """The :class:`PresentationReport` of a checked SD-JWT VC presentation (see the module)."""
    error = result.error
    if (
        isinstance(error, CryptographicSecurityError)
        and error.reason in _KEY_BINDING_FAULTS
        and not result.key_bound
    ):
        return PresentationReport.refused(
            _presentation_error(error),
            now=now,
            presentation_format=SD_JWT_FORMAT,
            nonce=nonce,
            audience=audience,
        )
    holder = _holder(result)
    credential = CredentialResult(
        result.report,
        Binding.BOUND if holder is not None else Binding.UNKNOWN,
        disclosed=result.disclosed,
        always_visible=result.always_visible,
    )
    checks = (CHECK_KEY_BINDING, CHECK_CHALLENGE, CHECK_DOMAIN) if holder is not None else ()
    return PresentationReport(
        verdict=overall_verdict([credential]),
        checked_at=now,
        presentation_format=SD_JWT_FORMAT,
        nonce=nonce,
        audience=audience,
        holder=holder,
        checks=checks,
        warnings=tuple(f"credential 1: {w}" for w in result.report.warnings),
        credentials=(credential,),
    )


def _holder(result: SdJwtVcResult) -> str | None:
    """The ``did:jwk`` of the ``cnf`` key, once the key binding JWT it signed verified."""
    if not result.key_bound or result.claims is None:
        return None
    cnf = result.claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    return did_jwk_for(jwk) if isinstance(jwk, Mapping) else None


def check_sd_jwt_presentation(
    verifier: SdJwtVcVerifier, text: str, *, nonce: str, audience: str, now: datetime
) -> PresentationReport:
    """Verify an SD-JWT VC presentation for ``nonce`` and ``audience``, key binding required;
    the whole answer, never raising for anything the presentation holds."""
    if not all(isinstance(v, str) and 0 < len(v) <= 1000 for v in (nonce, audience)):
        raise ValueError("the expected nonce and audience are non-empty strings")
    result = verifier.check_presentation(text, nonce=nonce, audience=audience, now=now)
    return sd_jwt_presentation_report(result, nonce=nonce, audience=audience, now=now)
