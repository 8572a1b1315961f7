"""Credentials certreg issued before its kids became DID URLs still verify.

``fixtures/bare-kid-credentials.json`` holds what certreg signed and its registry served at
commit dccbe61 (its ``provenance`` says how): an ES256 and an Ed25519 certificate whose JWS
``kid`` is the bare RFC 7638 thumbprint and whose payload has no ``iss``, the DID document,
the status list credentials and the keys document. Today's verifier must answer valid, online
and from an offline bundle; the registry test of the same file is in
``tests/registry/test_intake.py``.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from verifier import StaticKeys, StaticStatusLists, TrustPolicy, Verdict, Verifier
from verifier.bundle import Bundle, read_bundle

CORPUS = Path(__file__).resolve().parent / "fixtures" / "bare-kid-credentials.json"
NOW = datetime(2027, 6, 1, tzinfo=UTC)


@cache
def corpus() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CORPUS.read_text("utf-8"))
    return loaded


def _header(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_a_credential_with_a_bare_thumbprint_kid_verifies(alg: str) -> None:
    data = corpus()
    token = data["credentials"][alg]
    did = data["didDocument"]["id"]
    assert _header(token)["alg"] == alg
    assert "#" not in _header(token)["kid"]  # the old form, as signed
    verifier = Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset({did})),
        keys=StaticKeys(did_documents={did: data["didDocument"]}),
        status=StaticStatusLists(data["statusLists"]),
    )
    report = verifier.check(token, now=NOW)
    assert report.verdict is Verdict.VALID, report.errors
    assert "credential-status" in report.checks


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_an_offline_bundle_verifies_a_bare_thumbprint_kid(alg: str) -> None:
    data = corpus()
    did = data["didDocument"]["id"]
    written = Bundle(
        created_at=NOW,
        did_documents={did: data["didDocument"]},
        status_lists=data["statusLists"],
    ).to_json()
    bundle = read_bundle(json.dumps(written).encode())
    verifier = Verifier(policy=bundle.policy(), keys=bundle.keys(), status=bundle.status())
    assert verifier.check(data["credentials"][alg], now=NOW).verdict is Verdict.VALID
