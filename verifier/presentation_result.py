"""The answer about a presentation: its verdict, its holder, and one report per credential.

Kept apart from the checks (:mod:`verifier.presentations`) as :mod:`verifier.result` is
from :mod:`verifier.core`. :meth:`PresentationReport.as_json` is the one shape that
``POST /presentations/verify`` and ``certreg verify --json`` print for a presentation:

=====================  ====================================================================
``verified``           true only when the presentation and every credential in it verified
``verdict``            one word: the most serious verdict among the credentials, or
                       ``invalid`` (``cannot-confirm``) when the presentation itself failed
``format``             ``vp+jwt`` or ``dc+sd-jwt`` (``unsecured`` for a plain JSON
                       presentation)
``holder``             the DID that signed the presentation, once its signature verified;
                       for ``dc+sd-jwt`` the ``did:jwk`` of the credential's ``cnf`` key,
                       once the key binding JWT it signed verified
``challenge``          the nonce the presentation was checked against
``domain``             the audience it was checked against
``problemDetails``     RFC 9457 objects about the presentation itself
``checks``             the presentation's checks that passed
``warnings``           what was not checked, in words (each credential's too, numbered)
``checkedAt``          the instant of the check (UTC)
``credentialResults``  one verification result (:func:`verifier.result.verification_result`)
                       per credential, with ``holderBinding``: bound, unbound, mismatch or
                       unknown (the credential did not verify); for an SD-JWT VC also
                       ``disclosedClaims`` (path and value of each claim the holder chose to
                       show) and ``alwaysVisibleClaims`` (the paths the issuer signed in
                       clear), as ``POST /credentials/verify`` answers them
=====================  ====================================================================
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.sd_jwt import ClaimPath
from verifier.errors import Verdict, VerificationError
from verifier.result import Report, _printable, verification_result
from verifier.sd_jwt_vc import DisclosedClaim

__all__ = [
    "Binding",
    "CredentialResult",
    "PresentationReport",
    "overall_verdict",
]

_SEVERITY = (
    Verdict.INVALID,
    Verdict.REVOKED,
    Verdict.SUPERSEDED,
    Verdict.EXPIRED,
    Verdict.SUSPENDED,
    Verdict.NOT_YET_VALID,
    Verdict.CANNOT_CONFIRM,
)
"""Which credential's verdict a presentation takes when several are not valid: a forged or
misbound one first, then what the issuer ended, then what may still change."""


class Binding(enum.StrEnum):
    """How a credential relates to the holder who presented it."""

    BOUND = "bound"
    UNBOUND = "unbound"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"
    """The credential did not verify, so whom it names could not be read."""


@dataclass(frozen=True, slots=True)
class CredentialResult:
    """One credential of a presentation: the verifier's report and its holder binding."""

    report: Report
    binding: Binding
    disclosed: tuple[DisclosedClaim, ...] | None = None
    """The claims the holder chose to disclose, for formats that disclose selectively
    (``None`` for a format that does not)."""
    always_visible: tuple[ClaimPath, ...] = ()
    """The claims the issuer signed in clear, which every verifier sees."""

    def as_json(self) -> dict[str, Any]:
        result = verification_result(self.report)
        result["holderBinding"] = self.binding.value
        if self.disclosed is not None:
            result["disclosedClaims"] = [claim.as_json() for claim in self.disclosed]
            result["alwaysVisibleClaims"] = [list(path) for path in self.always_visible]
        return result


@dataclass(frozen=True, slots=True)
class PresentationReport:
    """The whole answer about one presentation; never raises, never says valid by default."""

    verdict: Verdict
    checked_at: datetime
    presentation_format: str
    nonce: str | None
    """The nonce the presentation was checked against (``None``: not checked)."""
    audience: str | None
    holder: str | None = None
    checks: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[dict[str, Any], ...] = ()
    credentials: tuple[CredentialResult, ...] = ()
    error: VerificationError | None = field(default=None, compare=False)

    @property
    def verified(self) -> bool:
        return self.verdict is Verdict.VALID

    @property
    def decided(self) -> bool:
        return self.verdict is not Verdict.CANNOT_CONFIRM

    @property
    def exit_code(self) -> int:
        """0 valid, 1 not valid, 2 could not decide — as ``certreg verify`` for a credential."""
        if self.verified:
            return 0
        return 1 if self.decided else 2

    @classmethod
    def refused(
        cls,
        error: VerificationError,
        *,
        now: datetime,
        presentation_format: str,
        nonce: str | None,
        audience: str | None,
    ) -> PresentationReport:
        """The report of a presentation refused before any credential was looked at."""
        return cls(
            verdict=error.verdict,
            checked_at=now,
            presentation_format=presentation_format,
            nonce=nonce,
            audience=audience,
            errors=(error.problem(),),
            error=error,
        )

    def as_json(self) -> dict[str, Any]:
        """The result ``POST /presentations/verify`` and ``certreg verify --json`` print."""
        return {
            "verified": self.verified,
            "verdict": self.verdict.value,
            "format": self.presentation_format,
            "holder": self.holder,
            "challenge": self.nonce,
            "domain": self.audience,
            "problemDetails": list(self.errors),
            "checks": list(self.checks),
            "warnings": [_printable(w) for w in self.warnings],
            "checkedAt": self.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credentialResults": [c.as_json() for c in self.credentials],
        }


def overall_verdict(results: Sequence[CredentialResult]) -> Verdict:
    """Valid only when every credential is; else the most serious verdict among them."""
    verdicts = {r.report.verdict for r in results}
    for verdict in _SEVERITY:
        if verdict in verdicts:
            return verdict
    return Verdict.VALID if results else Verdict.INVALID
