"""Every kind of document certreg signs, issued through the back office and read back from
the registry it was published to: the material for the address and JSON-LD tests.

A grant gives a certificate credential, its status list credentials, a register entry and
the scheme's information; a mark, an agreement and a mark credential follow; a scope change
adds a superseding credential, so the register entry lists one credential that supersedes
another. Nothing is built by hand: the documents are exactly what a verifier would fetch.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from registry import Registry
from schemas.publication import DocumentKind
from tests.backoffice import BackOffice, grant, member, scheme_body
from tests.test_credentials import SVG_MARK

BASE_URL = "https://certs.example.test"
"""The base URL of the ``settings`` fixture: the registry's own addresses start with it."""
PINNED = Path(__file__).resolve().parents[2] / "shared" / "vectors" / "contexts"
"""Pinned copies of the W3C and 1EdTech contexts (see ../shared/vectors/README.md)."""
PINNED_CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": PINNED / "credentials_v2.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": PINNED / "status_v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": (
        PINNED / "openbadges_context-3.0.3.json"
    ),
}
VC_TYPES = {
    "CertificationCredential",
    "CertificationMarkCredential",
    "BitstringStatusListCredential",
    "RegisterEntryCredential",
    "SchemeInformationCredential",
    "BodyInformationCredential",
}
"""The kinds of signed credential certreg makes; each must be among the documents."""


@dataclass(frozen=True)
class Signed:
    """One published document: how it was published, its JWS header and payload."""

    kind: DocumentKind
    key: str
    header: dict[str, Any]
    payload: dict[str, Any]

    @property
    def label(self) -> str:
        types = self.payload.get("type")
        named = [t for t in types if t != "VerifiableCredential"] if isinstance(types, list) else []
        return f"{self.kind.value} {named[0] if named else ''} {self.key}".strip()


def _part(compact: str, index: int) -> dict[str, Any]:
    part = compact.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def issue_everything(office: BackOffice, client: TestClient, registry: Registry) -> list[Signed]:
    """Issue one of each kind of signed document and return all the registry holds."""
    decision = grant(office, ["VT-STEEL", "VT-PRESSURE"])
    number = decision["certification"]["certificate_number"]
    registrar = member(office, "registrar")
    office.ok(
        "PUT",
        f"/schemes/{decision['certification']['scheme_id']}/mark",
        member(office, "manager"),
        {
            "media_type": "image/svg+xml",
            "image_base64": base64.b64encode(SVG_MARK).decode(),
            "rules": "Use only with your certificate number and while certified.",
        },
    )
    office.ok("POST", f"/certifications/{number}/mark-agreement", registrar)
    office.ok("POST", f"/certifications/{number}/marks", registrar)
    office.ok(
        "POST",
        f"/certifications/{number}/scope",
        member(office, "decider"),
        {"scope": ["VT-STEEL"]},
    )
    # A second version of the scheme with surveillance: its published information lists
    # the activities, so they are expanded and checked too.
    version = scheme_body() | {
        "surveillance_activities": [
            {"code": "CPD", "title": "Declaration of continued activity", "interval_months": 12}
        ]
    }
    version.pop("code")
    office.ok(
        "POST",
        f"/schemes/{decision['certification']['scheme_id']}/versions",
        member(office, "manager"),
        version,
    )
    # What the body publishes about itself (4.3, 9.8, 9.9), with an accreditation.
    office.ok(
        "PUT",
        "/body-information",
        member(office, "admin"),
        {
            "name": "Example Certification Body",
            "impartiality_commitment": "We decide on evidence alone.",
            "appeals_process": "Appeal within 30 days; people who took no part decide.",
            "complaints_process": "Write to us; we answer within 5 working days.",
            "contact": "appeals@example.test",
            "accreditation": {
                "accreditation_body": "National Accreditation Service",
                "accreditation_number": "PC-0042",
                "scope_url": "https://nas.example/scopes/PC-0042",
            },
        },
    )
    client.app.state.drain()  # type: ignore[attr-defined]
    documents = [
        Signed(
            kind=kind,
            key=document.key,
            header=_part(document.body, 0),
            payload=_part(document.body, 1),
        )
        for kind in DocumentKind
        for document in registry.documents(kind)
    ]
    made = {t for d in documents for t in d.payload.get("type", ()) if isinstance(t, str)}
    assert made >= VC_TYPES, f"not issued: {VC_TYPES - made}"
    return documents


def credentials(documents: list[Signed]) -> list[Signed]:
    """The signed documents that are W3C verifiable credentials (``vc+jwt``)."""
    return [d for d in documents if d.header.get("typ") == "vc+jwt"]
