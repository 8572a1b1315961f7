"""The bytes of the registry's JSON answers: compact JSON, fast, and the stand-in register
entry that a lookup of an unknown number decodes (docs/REGISTRY.md, "Lookups tell nothing").

Kept apart from the routes (:mod:`registry.http`) so that module stays readable.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson

__all__ = ["STAND_IN_ENTRY", "json_bytes"]


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON of an answer. ``orjson`` writes the same bytes as the standard
    library's compact, non-ASCII-preserving encoder for objects, arrays, strings, integers
    and literals (a float the same number, at times spelled otherwise: ``1e16`` for
    ``1e+16``), 0.5 µs against 24 µs for a register entry's answer, whose credential string
    the standard encoder scans character by character. A value it refuses (an integer
    beyond 64 bits, read from an issuer's payload) is written by the standard library."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _stand_in_entry() -> str:
    """A register entry of the usual shape and size, signed by nobody and never served.

    A lookup of an unknown number decodes it and compares the given family name with its
    own, as a lookup of a known number with another name decodes and compares that entry:
    the two answers are the same 404 and take the same time, so neither the answer nor its
    timing tells whether a number exists.
    """
    base = "https://registry.invalid"
    number = "0000-0000-0000-0000-0"
    subject = {
        "type": "RegisterEntry",
        "certificateNumber": number,
        "name": "Aleksandra Kowalczyk-Nørgaard",
        "givenName": "Aleksandra",
        "familyName": "Kowalczyk-Nørgaard",
        "scheme": {
            "id": f"{base}/schemes/00000000-0000-4000-8000-000000000000",
            "type": "CertificationScheme",
            "code": "STAND-IN",
            "name": "Welding inspection personnel, level 2",
            "version": 1,
        },
        "scope": [
            {"type": "ScopeItem", "code": "VT-STEEL", "name": "Visual testing of steel welds"},
            {"type": "ScopeItem", "code": "VT-PRESSURE", "name": "Pressure equipment welds"},
        ],
        "status": "active",
        "statusSince": "2026-01-01T00:00:00Z",
        "effectiveDate": "2026-01-01",
        "expiryDate": "2030-12-31",
        "credentials": [
            {
                "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
                "type": "CertificationCredential",
                "status": "active",
            }
        ],
        "directory": False,
    }
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2", f"{base}/contexts/v2"],
        "id": f"{base}/register/{number}",
        "type": ["VerifiableCredential", "RegisterEntryCredential"],
        "issuer": "did:web:registry.invalid",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": subject,
    }
    kid = "did:web:registry.invalid#" + "A" * 43
    header = {"typ": "vc+jwt", "cty": "vc", "alg": "ES256", "kid": kid}
    parts = (json_bytes(header), json_bytes(payload), bytes(64))
    return ".".join(base64.urlsafe_b64encode(p).rstrip(b"=").decode("ascii") for p in parts)


STAND_IN_ENTRY = _stand_in_entry()
