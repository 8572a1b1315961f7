"""How a certreg route declares its answers in the OpenAPI document.

A client generated from the document, or a tester such as schemathesis, believes what it
says: an error answer it does not declare, or declares with the wrong media type, is a
broken promise. Every certreg surface answers errors as RFC 9457 problem+json
(:mod:`schemas.problem`), so the error answers are declared here once, by status, with the
problem schema; routes pass the result as FastAPI's ``responses=``. The schema itself is
referenced, not inlined, so a document holds it once: whoever builds the document adds
:func:`problem_components` to ``components.schemas``.

This module builds plain dictionaries and imports no web framework, so the verifier, the
registry and the issuer can all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.problem import PROBLEM_MEDIA_TYPE, Problem

__all__ = [
    "HTML_MEDIA_TYPE",
    "PROBLEM_SCHEMA_REF",
    "negotiated_response",
    "problem_components",
    "problem_content",
    "problem_responses",
]

PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
HTML_MEDIA_TYPE = "text/html"

_SAID = {
    400: "The request could not be read (for example a NUL character in the path or query)",
    401: "No valid bearer token was sent",
    403: "The token's role may not do this",
    404: "No such record is held here",
    409: "The request conflicts with the record's current state",
    413: "The request body is too large, or declares an invalid length",
    415: "The request body is not of a media type this operation reads",
    422: "The request does not match the documented shape, or breaks a rule of the standard",
    429: "Too many requests from this client; try again after Retry-After seconds",
}
"""What each error status means when a route has nothing more precise to say."""

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {
        "Retry-After": {
            "description": "seconds to wait before asking again",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def problem_content() -> dict[str, Any]:
    """The ``content`` of an error answer: problem+json with the problem schema."""
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}


def problem_responses(
    *statuses: int, said: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses=`` entries for ``statuses``, each a problem+json answer described
    by ``said[status]`` or, failing that, in general words."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "description": (said or {}).get(status) or _SAID.get(status, "Error"),
            "content": problem_content(),
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        out[status] = response
    return out


def negotiated_response(description: str, *, problem: bool = False) -> dict[str, Any]:
    """An answer given as an HTML page to browsers and as JSON (or problem+json, for an
    error) to everyone else, chosen by ``Accept``."""
    json_content = problem_content() if problem else {"application/json": {"schema": {}}}
    return {
        "description": description,
        "content": {**json_content, HTML_MEDIA_TYPE: {"schema": {"type": "string"}}},
    }


def problem_components() -> dict[str, Any]:
    """``components.schemas`` entries for the problem schema and the models it refers to."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {**definitions, "Problem": schema}
