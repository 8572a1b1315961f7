"""Walk the whole certification flow through certreg's HTTP API.

Against a running server (for example ``certreg serve --demo``) with an administrator token
and a decision-maker's token::

    python examples/walkthrough.py --base-url http://127.0.0.1:8000 --token crt_… \
        --decider-token crt_…

It creates the other staff it needs and their tokens, a person, an application, an
examination and a decision under an example scheme, prints the certificate number that the
grant produced, and then withdraws that certification again (``--keep`` leaves it active).
The decision is the decision-maker's own: an administrator cannot create a decision-maker's
token (``certreg token create --role decision-maker`` does, on the server; the demo writes
one to ``demo-decision-maker.token``).

Everything it makes is marked as example data, because a scheme is public from the moment
it is created and certreg has no way to unpublish one: the scheme is titled "Example scheme
(walkthrough — not a real certification)", created on the first run and reused by every run
after, so the public ``/schemes`` page shows at most one such entry beside the body's real
schemes. The example person does not join the public directory, and the withdrawal leaves
no example certificate that checks as valid.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

SCHEME_FILE = Path(__file__).with_name("welding-inspector.scheme.json")

EXAMPLE_CODE = "WALKTHROUGH-EXAMPLE"
"""The example scheme's code: a fixed one, so every run after the first reuses the scheme."""
EXAMPLE_TITLE = "Example scheme (walkthrough — not a real certification)"
EXAMPLE_OWNER = "Nobody: example data made by certreg's examples/walkthrough.py"
EXAMPLE_NOTICE = (
    "This scheme is example data, made by certreg's walkthrough to show the certification "
    "flow. Nobody is certified under it; every certification it shows has been withdrawn."
)
WITHDRAWAL_REASON = "Walkthrough example data: not a real certification."

Api = Callable[[str, str, str, "dict[str, Any] | None"], Any]
"""Call an ``/api/v1`` path: ``api(method, path, token, body)`` returns the JSON answer."""


def http_api(client: httpx.Client) -> Api:
    def api(method: str, path: str, token: str, body: dict[str, Any] | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        response = client.request(method, f"/api/v1{path}", headers=headers, json=body)
        if response.status_code >= 300:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    return api


def example_scheme() -> dict[str, Any]:
    """The welding inspector scheme of the demo, renamed and marked as example data."""
    scheme: dict[str, Any] = json.loads(SCHEME_FILE.read_text("utf-8"))
    scheme["code"] = EXAMPLE_CODE
    scheme["title"] = EXAMPLE_TITLE
    scheme["scheme_owner"] = EXAMPLE_OWNER
    scheme["scope_description"] = f"{EXAMPLE_NOTICE}\n\n{scheme['scope_description']}"
    return scheme


@dataclass(frozen=True, slots=True)
class Walk:
    """What a walk made: the example scheme, the grant, and the certification as it ended."""

    scheme: dict[str, Any]
    decision: dict[str, Any]
    certification: dict[str, Any]


def walk(
    api: Api,
    admin_token: str,
    decider: str,
    *,
    today: str | None = None,
    keep: bool = False,
) -> Walk:
    """Run the flow under the example scheme; withdraw the certification unless ``keep``.
    ``decider`` is a decision-maker's token: the one staff member the walk does not make."""
    run = uuid.uuid4().hex[:6]
    today = today or datetime.now(UTC).date().isoformat()

    def member(name: str, role: str) -> tuple[str, str]:
        staff = api(
            "POST", "/staff", admin_token, {"name": f"{name} (walkthrough {run})", "roles": [role]}
        )
        token = api(
            "POST",
            "/tokens",
            admin_token,
            {"name": f"{name} (walkthrough)", "role": role, "staff_id": staff["id"]},
        )
        return staff["id"], token["token"]

    _, manager = member("Scheme Manager", "scheme-manager")
    _, registrar = member("Registrar", "registrar")
    examiner_id, examiner = member("Examiner", "examiner")

    existing = [s for s in api("GET", "/schemes", manager, None) if s["code"] == EXAMPLE_CODE]
    scheme = existing[0] if existing else api("POST", "/schemes", manager, example_scheme())
    api("POST", f"/staff/{examiner_id}/approvals", manager, {"scheme_id": scheme["id"]})

    person = api(
        "POST",
        "/persons",
        registrar,
        {
            "given_name": "Mira",
            "family_name": "Kovač",
            "public_notice_version": "2026-1",
            "directory_consent": False,  # an example person stays out of the public directory
            "confidential": {"date_of_birth": "1990-05-04", "email": "mira@example.org"},
        },
    )
    application = api(
        "POST",
        "/applications",
        registrar,
        {"person_id": person["id"], "scheme_id": scheme["id"], "scope": ["VT-STEEL"]},
    )
    api(
        "POST",
        f"/applications/{application['id']}/review",
        registrar,
        {"notes": "Evidence complete."},
    )
    api("POST", f"/applications/{application['id']}/accept", registrar, None)
    api(
        "POST",
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
    decision = api(
        "POST",
        "/decisions",
        decider,
        {
            "application_id": application["id"],
            "outcome": "grant",
            "rationale": "Written and practical examinations passed.",
        },
    )
    certification = decision["certification"]
    if not keep:
        number = certification["certificate_number"]
        certification = api(
            "POST",
            f"/certifications/{number}/withdraw",
            decider,
            {"reason": WITHDRAWAL_REASON},
        )
    return Walk(scheme=scheme, decision=decision, certification=certification)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="an administrator token")
    parser.add_argument(
        "--decider-token",
        required=True,
        help="a decision-maker's token (`certreg token create --role decision-maker`; the "
        "demo writes one to demo-decision-maker.token)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the example certification active instead of withdrawing it at the end",
    )
    args = parser.parse_args(argv)
    with httpx.Client(base_url=args.base_url, timeout=30) as client:
        done = walk(http_api(client), args.token, args.decider_token, keep=args.keep)
    granted = done.decision["certification"]
    print(
        f"granted {granted['certificate_number']}: scope {granted['scope']}, "
        f"valid {granted['effective_date']} to {granted['expiry_date']}"
    )
    print(f"the certification is now {done.certification['status']}")
    print(
        f"example scheme {done.scheme['code']} ({done.scheme['id']}) stays published, titled "
        f'"{EXAMPLE_TITLE}"; the next run reuses it'
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
