"""The contract shared by the issuer, the registry and the verifier.

Wire models, JSON Schemas, status-list codecs and the problem+json error model live here.
This package imports none of the other three.
"""

from schemas.problem import PROBLEM_MEDIA_TYPE, Problem, ProblemFieldError, problem_type_uri

__all__ = ["PROBLEM_MEDIA_TYPE", "Problem", "ProblemFieldError", "problem_type_uri"]
