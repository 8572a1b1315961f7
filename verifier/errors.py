"""The verifier's closed set of errors, each mapped to a problem type.

Verification never answers with a bare boolean: it returns a verified credential or raises
exactly one of these. The W3C ones carry the absolute problem types that VC Data Model 2.0
§7.2 and Bitstring Status List §3.5 define, so a VC-API client can branch on them; the
outcomes that are not errors of the document (suspended, revoked, superseded, expired, not
yet valid, untrusted issuer, keys unreachable) carry certreg's relative ``/problems/{kind}``
types.

Each error also says what it means for the person asking: ``verdict`` is the word a QR page
shows, and ``decided`` is False when the answer is "cannot confirm" (status or keys could
not be obtained or trusted) — the CLI exits 2 then, never 0. Revoked and suspended errors
keep the verified credential, so a page can still say whose certificate was withdrawn.

The tree::

    VerificationError
    ├── ParsingError                 PARSING_ERROR                  not a JWS / not JSON / too big
    ├── CryptographicSecurityError   CRYPTOGRAPHIC_SECURITY_ERROR   alg, typ, key, signature
    ├── MalformedValueError          MALFORMED_VALUE_ERROR          not a conforming VC 2.0 / schema
    ├── RangeError                   RANGE_ERROR                    status index outside the list
    ├── StatusRetrievalError         STATUS_RETRIEVAL_ERROR         list unreachable (undecided)
    ├── StatusVerificationError      STATUS_VERIFICATION_ERROR      list untrusted (undecided)
    ├── StatusListLengthError        STATUS_LIST_LENGTH_ERROR       list too short (undecided)
    ├── KeyRetrievalError            key-retrieval-error            keys unreachable (undecided)
    ├── UntrustedIssuer              untrusted-issuer               issuer outside the trust policy
    ├── Expired                      expired                        after validUntil / exp
    ├── NotYetValid                  not-yet-valid                  before validFrom / nbf
    ├── Revoked                      revoked                        revocation bit set
    │   └── Superseded               superseded                     … and a newer one replaces it
    ├── Suspended                    suspended                      suspension bit set
    ├── ChallengeMismatch            challenge-mismatch             made for another request (vp)
    ├── PresentationExpired          presentation-expired           a presentation past its exp
    └── HolderMismatch               holder-mismatch                not the presenting holder's
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

__all__ = [
    "ChallengeMismatch",
    "CryptographicSecurityError",
    "Expired",
    "HolderMismatch",
    "KeyRetrievalError",
    "MalformedValueError",
    "NotYetValid",
    "ParsingError",
    "PresentationExpired",
    "RangeError",
    "Revoked",
    "StatusListLengthError",
    "StatusRetrievalError",
    "StatusVerificationError",
    "Superseded",
    "Suspended",
    "UntrustedIssuer",
    "Verdict",
    "VerificationError",
]

VC_PROBLEMS = "https://www.w3.org/TR/vc-data-model#"
STATUS_PROBLEMS = "https://www.w3.org/ns/credentials/status-list#"


class Verdict(enum.StrEnum):
    """The answer in one word, as a person holding a phone needs it."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    INVALID = "invalid"
    CANNOT_CONFIRM = "cannot-confirm"


class VerificationError(Exception):
    """Base of the closed set; ``code`` is stable, ``detail`` explains this instance."""

    code: ClassVar[str] = "VERIFICATION_ERROR"
    kind: ClassVar[str] = "verification-error"
    title: ClassVar[str] = "The credential could not be verified"
    problem_type: ClassVar[str] = "/problems/verification-error"
    verdict: ClassVar[Verdict] = Verdict.INVALID
    decided: ClassVar[bool] = True

    def __init__(self, detail: str, *, reason: str = "", credential: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = reason
        """A finer, stable label (``too-large``, ``algorithm``, ``unknown-key``…)."""
        self.credential: dict[str, Any] | None = credential
        """The verified credential, when the signature held but the answer is still no."""

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem details object (VC Data Model 2.0 §7.2 shape)."""
        problem: dict[str, Any] = {"type": self.problem_type, "title": self.title}
        # Details may quote hostile input (a kid, a URL): keep them valid, printable UTF-8.
        problem["detail"] = _printable(self.detail[:500])
        return problem


def _printable(text: str) -> str:
    """``text`` as valid, printable UTF-8, whatever hostile input it quotes."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def _w3c(code: str, base: str = VC_PROBLEMS) -> str:
    return base + code


class ParsingError(VerificationError):
    code = "PARSING_ERROR"
    kind = "parsing-error"
    title = "The credential could not be parsed"
    problem_type = _w3c(code)


class CryptographicSecurityError(VerificationError):
    code = "CRYPTOGRAPHIC_SECURITY_ERROR"
    kind = "cryptographic-security-error"
    title = "The credential's securing mechanism did not verify"
    problem_type = _w3c(code)


class MalformedValueError(VerificationError):
    code = "MALFORMED_VALUE_ERROR"
    kind = "malformed-value-error"
    title = "The credential is not a conforming document"
    problem_type = _w3c(code)


class RangeError(VerificationError):
    code = "RANGE_ERROR"
    kind = "range-error"
    title = "A value is outside its allowed range"
    problem_type = _w3c(code)


class StatusRetrievalError(VerificationError):
    code = "STATUS_RETRIEVAL_ERROR"
    kind = "status-retrieval-error"
    title = "The status list could not be retrieved"
    problem_type = _w3c(code, STATUS_PROBLEMS)
    verdict = Verdict.CANNOT_CONFIRM
    decided = False


class StatusVerificationError(VerificationError):
    code = "STATUS_VERIFICATION_ERROR"
    kind = "status-verification-error"
    title = "The status list could not be verified"
    problem_type = _w3c(code, STATUS_PROBLEMS)
    verdict = Verdict.CANNOT_CONFIRM
    decided = False


class StatusListLengthError(VerificationError):
    code = "STATUS_LIST_LENGTH_ERROR"
    kind = "status-list-length-error"
    title = "The status list is shorter than the minimum"
    problem_type = _w3c(code, STATUS_PROBLEMS)
    verdict = Verdict.CANNOT_CONFIRM
    decided = False


class KeyRetrievalError(VerificationError):
    code = "KEY_RETRIEVAL_ERROR"
    kind = "key-retrieval-error"
    title = "The issuer's keys could not be retrieved"
    problem_type = "/problems/key-retrieval-error"
    verdict = Verdict.CANNOT_CONFIRM
    decided = False


class UntrustedIssuer(VerificationError):
    code = "UNTRUSTED_ISSUER"
    kind = "untrusted-issuer"
    title = "The issuer is not trusted by this verifier's policy"
    problem_type = "/problems/untrusted-issuer"


class Expired(VerificationError):
    code = "EXPIRED"
    kind = "expired"
    title = "The credential has expired"
    problem_type = "/problems/expired"
    verdict = Verdict.EXPIRED


class NotYetValid(VerificationError):
    code = "NOT_YET_VALID"
    kind = "not-yet-valid"
    title = "The credential is not valid yet"
    problem_type = "/problems/not-yet-valid"
    verdict = Verdict.NOT_YET_VALID


class Revoked(VerificationError):
    code = "REVOKED"
    kind = "revoked"
    title = "The credential has been revoked"
    problem_type = "/problems/revoked"
    verdict = Verdict.REVOKED


class Superseded(Revoked):
    """Revoked because the issuer replaced it (a scope change, a recertification).

    Still a :class:`Revoked` — the credential no longer counts — but a person holding it
    needs a different answer: not "withdrawn", rather "a newer certificate replaces this
    one", and which. ``superseded_by`` is the replacing credential's id, as the issuer's
    signed register entry names it, and goes into the problem details as ``supersededBy``.
    """

    code = "SUPERSEDED"
    kind = "superseded"
    title = "The credential has been replaced by a newer one"
    problem_type = "/problems/superseded"
    verdict = Verdict.SUPERSEDED

    def __init__(
        self,
        detail: str,
        *,
        superseded_by: str | None = None,
        reason: str = "",
        credential: Any = None,
    ) -> None:
        super().__init__(detail, reason=reason, credential=credential)
        self.superseded_by = superseded_by

    def problem(self) -> dict[str, Any]:
        problem = super().problem()
        if self.superseded_by:
            problem["supersededBy"] = _printable(self.superseded_by[:500])
        return problem


class Suspended(VerificationError):
    code = "SUSPENDED"
    kind = "suspended"
    title = "The credential is suspended"
    problem_type = "/problems/suspended"
    verdict = Verdict.SUSPENDED


class ChallengeMismatch(VerificationError):
    """A presentation whose ``nonce`` or ``aud`` is missing or is not the one the verifier
    asked for: it was made for another request (or is a replay of one) and proves nothing
    to this one, whatever the credentials inside it say."""

    code = "CHALLENGE_MISMATCH"
    kind = "challenge-mismatch"
    title = "The presentation was not made for this request"
    problem_type = "/problems/challenge-mismatch"


class PresentationExpired(VerificationError):
    """A presentation past its ``exp``, or dated (``iat``, ``nbf``) after the instant of the
    check beyond the allowed clock skew. Not :class:`Expired`: the credentials inside may be
    perfectly current, only this copy of the holder's proof is not."""

    code = "PRESENTATION_EXPIRED"
    kind = "presentation-expired"
    title = "The presentation is out of date"
    problem_type = "/problems/presentation-expired"


class HolderMismatch(VerificationError):
    """A presentation whose ``holder`` is not the one who signed it, or a credential bound
    to another holder (its ``credentialSubject.id``) than the one presenting it."""

    code = "HOLDER_MISMATCH"
    kind = "holder-mismatch"
    title = "The credential is not bound to the holder who presented it"
    problem_type = "/problems/holder-mismatch"


ERRORS: tuple[type[VerificationError], ...] = (
    ParsingError,
    CryptographicSecurityError,
    MalformedValueError,
    RangeError,
    StatusRetrievalError,
    StatusVerificationError,
    StatusListLengthError,
    KeyRetrievalError,
    UntrustedIssuer,
    Expired,
    NotYetValid,
    Revoked,
    Superseded,
    Suspended,
    ChallengeMismatch,
    PresentationExpired,
    HolderMismatch,
)
"""The closed set, in the order a reader meets them."""
