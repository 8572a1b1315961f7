"""One verification result, whoever asks: the VC API's names, then certreg's additions.

``POST /credentials/verify``, ``certreg verify --json`` and :meth:`verifier.Report.as_json`
all answer with this one shape, written by :func:`verification_result` alone, so a script
can move between the command line and the endpoint without renaming a field:

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

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verifier.core import Report

__all__ = ["verification_result"]


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
