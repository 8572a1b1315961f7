"""Walk the whole certification flow through certreg's HTTP API.

Against a running server (for example ``certreg serve --demo``) with an administrator token::

    python examples/walkthrough.py --base-url http://127.0.0.1:8000 --token crt_…

It creates the staff it needs and their tokens, a scheme, a person, an application, an
examination and a decision, and prints the certificate number that the grant produced.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

SCHEME_FILE = Path(__file__).with_name("welding-inspector.scheme.json")


Post = Callable[[str, str, "dict[str, Any] | None"], "dict[str, Any]"]
"""POST a JSON body to an ``/api/v1`` path with a bearer token; returns the JSON answer."""


def http_post(client: httpx.Client) -> Post:
    def post(path: str, token: str, body: dict[str, Any] | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        response = client.post(f"/api/v1{path}", headers=headers, json=body)
        if response.status_code >= 300:
            raise SystemExit(f"POST {path}: {response.status_code} {response.text}")
        answer: dict[str, Any] = response.json()
        return answer

    return post


def walk(post: Post, admin_token: str, *, today: str | None = None) -> dict[str, Any]:
    """Run the flow; returns the decision with its certification."""
    run = uuid.uuid4().hex[:6]
    today = today or datetime.now(UTC).date().isoformat()

    def member(name: str, role: str) -> tuple[str, str]:
        staff = post("/staff", admin_token, {"name": f"{name} {run}", "roles": [role]})
        token = post("/tokens", admin_token, {"name": name, "role": role, "staff_id": staff["id"]})
        return staff["id"], token["token"]

    _, manager = member("Scheme Manager", "scheme-manager")
    _, registrar = member("Registrar", "registrar")
    examiner_id, examiner = member("Examiner", "examiner")
    _, decider = member("Decision-Maker", "decision-maker")

    scheme = json.loads(SCHEME_FILE.read_text("utf-8"))
    scheme["code"] = f"WI-{run}"
    scheme = post("/schemes", manager, scheme)
    post(f"/staff/{examiner_id}/approvals", manager, {"scheme_id": scheme["id"]})

    person = post(
        "/persons",
        registrar,
        {
            "given_name": "Mira",
            "family_name": "Kovač",
            "public_notice_version": "2026-1",
            "directory_consent": True,
            "confidential": {"date_of_birth": "1990-05-04", "email": "mira@example.org"},
        },
    )
    application = post(
        "/applications",
        registrar,
        {"person_id": person["id"], "scheme_id": scheme["id"], "scope": ["VT-STEEL"]},
    )
    post(f"/applications/{application['id']}/review", registrar, {"notes": "Evidence complete."})
    post(f"/applications/{application['id']}/accept", registrar, None)
    post(
        "/examinations",
        examiner,
        {
            "application_id": application["id"],
            "held_on": today,
            "method": "written and practical",
            "result": "pass",
            "score": 81,
            "max_score": 100,
            "nda_accepted": True,
            "identity_checked": True,
            "invigilation_mode": "in-person",
        },
    )
    return post(
        "/decisions",
        decider,
        {
            "application_id": application["id"],
            "outcome": "grant",
            "rationale": "Written and practical examinations passed.",
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="an administrator token")
    args = parser.parse_args(argv)
    with httpx.Client(base_url=args.base_url, timeout=30) as client:
        decision = walk(http_post(client), args.token)
    certification = decision["certification"]
    print(
        f"granted {certification['certificate_number']}: scope {certification['scope']}, "
        f"valid {certification['effective_date']} to {certification['expiry_date']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
