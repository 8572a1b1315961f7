"""``certreg verify`` keeps the verification contract without a server: offline, on a bundle
of a hand-built issuer (tests/verifier/tokens.py), so each case is exact.

A plain JSON credential that nothing secures is *not valid* (exit 1, with a report), not a
usage error; a payload holding a lone surrogate is a PARSING_ERROR (exit 1), not a traceback;
a base64 ``data:`` URL reads as the plain one; and ``--json`` prints the same result shape as
``POST /credentials/verify``.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from issuer.cli import app
from tests.verifier.tokens import FakeIssuer
from verifier import Bundle

W3C = "https://www.w3.org/TR/vc-data-model#"
RESULT_FIELDS = {
    "verified",
    "credential",
    "problemDetails",
    "checks",
    "warnings",
    "verdict",
    "supersededBy",
    "checkedAt",
    "issuer",
}
"""The members of the one verification result (verifier/result.py)."""

runner = CliRunner(env={k: None for k in os.environ if k.startswith("CERTREG_")})


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def bundle(issuer: FakeIssuer, tmp_path: Path) -> Path:
    """An offline bundle of ``issuer``, created now, with lists valid from now."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    lists = {
        issuer.list_url(p): issuer.status_list(p, validFrom=stamp)
        for p in ("revocation", "suspension")
    }
    made = Bundle(
        created_at=now, did_documents={issuer.did: issuer.did_document()}, status_lists=lists
    )
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(made.to_json()))
    return path


def verify(credential: str, bundle: Path, *extra: str) -> Result:
    return runner.invoke(app, ["verify", credential, "--offline", str(bundle), *extra])


def answer(result: Result) -> dict[str, Any]:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_a_good_credential_answers_the_endpoints_result_shape(
    issuer: FakeIssuer, bundle: Path
) -> None:
    result = verify(issuer.token(), bundle, "--json")
    assert result.exit_code == 0, result.output
    parsed = answer(result)
    assert set(parsed) == RESULT_FIELDS
    assert (parsed["verified"], parsed["verdict"], parsed["problemDetails"]) == (True, "valid", [])


def test_an_unsecured_credential_exits_1_with_a_report(
    issuer: FakeIssuer, bundle: Path, tmp_path: Path
) -> None:
    """Regression: a plain JSON credential was a usage error (exit 2, "not a credential form
    certreg verify reads"), as if nothing had been decided about it."""
    path = tmp_path / "unsecured.json"
    path.write_text(json.dumps(issuer.credential()))
    result = verify(str(path), bundle, "--json")
    assert result.exit_code == 1, result.output
    parsed = answer(result)
    assert (parsed["verified"], parsed["verdict"], parsed["credential"]) == (
        False,
        "invalid",
        None,
    )
    [problem] = parsed["problemDetails"]
    assert problem["type"] == W3C + "CRYPTOGRAPHIC_SECURITY_ERROR"
    assert "not secured" in problem["detail"]
    human = verify(str(path), bundle)
    assert human.exit_code == 1
    assert "NOT VALID" in human.stdout
    assert "not secured" in " ".join(human.stdout.split())


def test_the_help_says_an_unsecured_credential_is_not_valid() -> None:
    result = runner.invoke(app, ["verify", "--help"], terminal_width=200)
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert "plain JSON credential that nothing signs" in flat
    assert "superseded" in flat
    assert "127.0.0.1:8000" in flat


def test_a_lone_surrogate_is_a_parsing_error_not_a_traceback(
    issuer: FakeIssuer, bundle: Path
) -> None:
    """Regression: the credential verified and printing it raised UnicodeEncodeError."""
    subject = {"type": "CertifiedPerson", "name": "Ana \ud800 Moreau"}
    token = issuer.token(issuer.credential(credentialSubject=subject))
    result = verify(token, bundle, "--json")
    assert result.exit_code == 1, result.output
    parsed = answer(result)
    assert [p["type"] for p in parsed["problemDetails"]] == [W3C + "PARSING_ERROR"]


def test_a_base64_data_url_reads_as_the_plain_one(issuer: FakeIssuer, bundle: Path) -> None:
    token = issuer.token()
    encoded = base64.b64encode(token.encode("ascii")).decode("ascii")
    assert verify(f"data:application/vc+jwt;base64,{encoded}", bundle).exit_code == 0
    broken = verify(f"data:application/vc+jwt;base64,{encoded.rstrip('=')}x", bundle, "--json")
    assert broken.exit_code == 1, broken.output
    assert [p["type"] for p in answer(broken)["problemDetails"]] == [W3C + "PARSING_ERROR"]


def test_a_revoked_credential_is_revoked_and_an_expired_one_expired(
    issuer: FakeIssuer, tmp_path: Path
) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    issuer.set_bit("revocation", 94567)
    lists = {
        issuer.list_url(p): issuer.status_list(p, validFrom=now)
        for p in ("revocation", "suspension")
    }
    made = Bundle(
        created_at=datetime.now(UTC),
        did_documents={issuer.did: issuer.did_document()},
        status_lists=lists,
    )
    path = tmp_path / "revoked.json"
    path.write_text(json.dumps(made.to_json()))
    revoked = verify(issuer.token(), path, "--json")
    assert (revoked.exit_code, answer(revoked)["verdict"]) == (1, "revoked")
    assert answer(revoked)["problemDetails"][0]["type"] == "/problems/revoked"
    expired = issuer.token(issuer.credential(validUntil="2026-01-02T00:00:00Z"))
    result = verify(expired, path, "--json")
    assert (result.exit_code, answer(result)["verdict"]) == (1, "expired")
    assert answer(result)["problemDetails"][0]["type"] == "/problems/expired"
