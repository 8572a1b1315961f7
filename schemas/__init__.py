"""The contract shared by the issuer, the registry and the verifier.

Wire models, JSON Schemas, status-list codecs and the problem+json error model live here.
This package imports none of the other three.

The problem+json model is imported when first asked for, not with the package: it brings
pydantic (about 60 ms), which the processes that need only a codec or a schema — a bulk
run's writing process, the verifier — would otherwise pay at every start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.problem import PROBLEM_MEDIA_TYPE, Problem, ProblemFieldError, problem_type_uri

__all__ = ["PROBLEM_MEDIA_TYPE", "Problem", "ProblemFieldError", "problem_type_uri"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("schemas.problem"), name)
    raise AttributeError(f"module 'schemas' has no attribute {name!r}")
