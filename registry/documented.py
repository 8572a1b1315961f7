"""What each public registry route declares it answers, for the OpenAPI document.

Kept apart from the routes (:mod:`registry.http`, :mod:`registry.app`) so that they stay
readable; the generic answers (401/403 of a bearer token, 404 of a path naming a record, 413
of a body, the problem+json 422 of validation) are added to every document by
:mod:`registry.openapi`.
"""

from __future__ import annotations

from typing import Any

from registry.intake import DIRECTORY_MAX_QUERY, DIRECTORY_MIN_QUERY
from schemas.openapi import negotiated_response, problem_responses

__all__ = [
    "AUDIT_CHECKPOINT",
    "BODY",
    "DIRECTORY",
    "DIRECTORY_NAME",
    "INTAKE",
    "KEYS",
    "NOT_MODIFIED",
    "PAGE",
    "RATE_LIMITED",
    "REGISTER_ENTRY",
    "STATUS_LIST",
    "TOKEN_STATUS_LIST",
    "WALLET_ISSUER",
]

Answers = dict[int | str, dict[str, Any]]

NOT_MODIFIED: Answers = {
    304: {"description": "Not modified: the ETag sent in If-None-Match is still current"}
}
"""The answer of a conditional read (``If-None-Match``), which has no body."""
RATE_LIMITED = problem_responses(429)
"""The answer of a route behind a per-client rate limit (:mod:`registry.ratelimit`)."""

KEYS = NOT_MODIFIED | problem_responses(404, said={404: "The issuer has published no keys yet"})
STATUS_LIST: Answers = NOT_MODIFIED | {
    200: {
        "description": "The signed status list credential",
        "content": {"application/vc+jwt": {"schema": {"type": "string"}}},
    }
}
TOKEN_STATUS_LIST: Answers = (
    NOT_MODIFIED
    | {
        200: {
            "description": "The signed Token Status List (statuslist+jwt) that SD-JWT VCs "
            "cite in status.status_list.uri",
            "content": {"application/statuslist+jwt": {"schema": {"type": "string"}}},
        }
    }
    | problem_responses(404, said={404: "No token status list is published under this id"})
)
WALLET_ISSUER: Answers = NOT_MODIFIED | problem_responses(
    404, said={404: "The issuer has published no keys yet, or its URL has another path"}
)
"""The SD-JWT VC issuer metadata (``/.well-known/jwt-vc-issuer``)."""
AUDIT_CHECKPOINT: Answers = (
    NOT_MODIFIED
    | {
        200: {
            "description": "The latest signed checkpoint of the issuer's audit log: the "
            "position and hash of its last entry (payload schema /schemas/audit-checkpoint-v1"
            ".json)",
            "content": {"application/audit-checkpoint+jwt": {"schema": {"type": "string"}}},
        }
    }
    | problem_responses(404, said={404: "The issuer has published no audit checkpoint yet"})
)
REGISTER_ENTRY = (
    NOT_MODIFIED
    | RATE_LIMITED
    | {
        200: negotiated_response(
            "The register entry: {entry, credential, validFrom} as JSON, a page for a browser"
        ),
        404: negotiated_response(
            "No register entry matches this certificate number and family name", problem=True
        ),
    }
)
DIRECTORY = (
    NOT_MODIFIED
    | RATE_LIMITED
    | {
        200: negotiated_response(
            "The persons found: {results, truncated} as JSON, a page for a browser (which,"
            " without a name, gets the search form)"
        )
    }
    | problem_responses(
        400,
        said={
            400: f"The name is missing, shorter than {DIRECTORY_MIN_QUERY} or longer than"
            f" {DIRECTORY_MAX_QUERY} characters, has fewer than {DIRECTORY_MIN_QUERY} letters"
            " once case, accents and spacing are set aside, or holds control characters"
        },
    )
)
PAGE = NOT_MODIFIED | RATE_LIMITED | {200: negotiated_response("The scheme information")}
BODY = (
    NOT_MODIFIED
    | RATE_LIMITED
    | {
        200: negotiated_response(
            "What the body publishes about itself: its impartiality commitment, how to appeal"
            " or complain, whom to contact, its accreditation"
        ),
        404: negotiated_response(
            "The body has not published it yet (a page saying so, or not-found)", problem=True
        ),
    }
)
INTAKE = problem_responses(401, 403, 409, 413)

DIRECTORY_NAME: dict[str, Any] = {
    "openapi_extra": {
        "parameters": [
            {
                "name": "name",
                "in": "query",
                "required": True,
                "description": "part of the listed person's name; case, accents and spacing"
                " do not matter",
                "schema": {
                    "type": "string",
                    "minLength": DIRECTORY_MIN_QUERY,
                    "maxLength": DIRECTORY_MAX_QUERY,
                },
            }
        ]
    }
}
"""The directory's ``name`` as the document states it: required, with the limits
:meth:`registry.intake.Registry.directory` holds, counted on the name as sent. The search
itself enforces them, answering the 400 ``invalid-query`` it always has (docs/REGISTRY.md)
rather than FastAPI's 422, so the route leaves the parameter out of FastAPI's validation
and documents it here instead (pass as ``**DIRECTORY_NAME`` to the route decorator)."""
