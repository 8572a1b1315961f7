"""One verification result, whoever asks: the VC API's names, then certreg's additions.

``POST /credentials/verify``, ``certreg verify --json`` and :meth:`verifier.Report.as_json`
all answer with this one shape, written by :func:`verification_result` alone, so a script
can move between the command line and the endpoint without renaming a field. The
:class:`Report` it is written from lives here too, beside its one shape, so that the
verifier (:mod:`verifier.core`) imports this module and not the other way round:

=================  ==========================================================================
``verified``       VC API: true only when every check passed
``credential``     VC API: the verified credential — also when it is revoked, suspended,
                   superseded or expired, so a relying party can say whose it is; ``null``
                   when its signature did not verify (or the caller asked not to have it)
``problemDetails`` VC API: RFC 9457 objects, VC Data Model §7.2 / Bitstring Status List
                   types or certreg's ``/problems/{kind}`` (docs/VERIFIER.md)
``checks``         VC API (older drafts): the checks that passed
``warnings``       VC API (older drafts): what was not checked, or ignored, in words
``verdict``        certreg: one word for a person — valid, suspended, revoked, superseded,
                   expired, not-yet-valid, invalid, cannot-confirm
``supersededBy``   certreg: the id of the credential that replaces a superseded one, or null
``checkedAt``      certreg: the instant of the check (UTC)
``issuer``         certreg: the issuer's id, when the credential names one
=================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from verifier.errors import Superseded, Verdict, VerificationError
from verifier.structure import issuer_id

__all__ = ["Report", "verification_result"]


@dataclass(frozen=True, slots=True)
class Report:
    """The whole answer for people and programs; never raises, never says valid by default."""

    verdict: Verdict
    checked_at: datetime
    credential: dict[str, Any] | None = None
    """The credential, when its signature verified (even if it is revoked or expired)."""
    issuer: str | None = None
    checks: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[dict[str, Any], ...] = ()
    error: VerificationError | None = field(default=None, compare=False)

    @property
    def verified(self) -> bool:
        return self.verdict is Verdict.VALID

    @property
    def decided(self) -> bool:
        return self.error is None or self.error.decided

    @property
    def exit_code(self) -> int:
        """0 valid, 1 not valid, 2 could not decide (INTERFACES.md, ``certreg verify``)."""
        if self.verified:
            return 0
        return 1 if self.decided else 2

    @property
    def superseded_by(self) -> str | None:
        """The id of the credential that replaces this one, when it was superseded."""
        return self.error.superseded_by if isinstance(self.error, Superseded) else None

    @classmethod
    def refused(cls, error: VerificationError, *, now: datetime) -> Report:
        """The report of a check that ended with ``error``."""
        credential = error.credential
        return cls(
            verdict=error.verdict,
            checked_at=now,
            credential=credential,
            issuer=_issuer_or_none(credential),
            errors=(error.problem(),),
            error=error,
        )

    def as_json(self) -> dict[str, Any]:
        """The verification result every surface answers with (:func:`verification_result`)."""
        return verification_result(self)


def verification_result(
    report: Report, *, warnings: Iterable[str] | None = None, with_credential: bool = True
) -> dict[str, Any]:
    """The result object of ``report``; ``warnings`` replaces the report's own (callers add
    theirs, such as an offline bundle's age or an ignored request option)."""
    return {
        "verified": report.verified,
        "credential": report.credential if with_credential else None,
        "problemDetails": list(report.errors),
        "checks": list(report.checks),
        "warnings": [_printable(w) for w in (report.warnings if warnings is None else warnings)],
        "verdict": report.verdict.value,
        "supersededBy": report.superseded_by,
        "checkedAt": report.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "issuer": report.issuer,
    }


def _printable(text: str) -> str:
    """A warning may quote the request (an option's name): keep it printable UTF-8."""
    if text.isprintable() and text.isascii():
        return text
    text = text[:500].encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def _issuer_or_none(credential: Mapping[str, Any] | None) -> str | None:
    if credential is None:
        return None
    try:
        return issuer_id(credential)
    except VerificationError:
        return None
