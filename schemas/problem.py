"""RFC 9457 problem details: the one error shape every certreg HTTP surface returns.

The issuer, the registry and the verifier each keep their own error tree; they meet here,
at the wire, so that clients can switch on a stable ``type`` whatever context answered.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PROBLEM_MEDIA_TYPE", "Problem", "ProblemFieldError", "problem_type_uri"]

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_type_uri(kind: str) -> str:
    """The stable ``type`` of a certreg problem: a relative URI under ``/problems/``.

    Relative references are allowed by RFC 9457 (section 3.1.1) and resolve against the
    serving host, where ``GET /problems/{kind}`` describes the problem in words.
    """
    return f"/problems/{kind}"


class ProblemFieldError(BaseModel):
    """One rejected field of a request body (for validation problems)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document with certreg's optional extension ``errors``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None
