"""The W3C VC-JOSE-COSE interoperability suite's verification cases, run against our verifier.

Every "verify" case of ``test_mapping.json`` is either run (with the expected outcome and,
for failures, the typed error we give) or listed in ``NOT_APPLICABLE`` with the reason; a
test checks the two sets cover the mapping exactly, so no case is skipped silently.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from verifier import (
    CryptographicSecurityError,
    MalformedValueError,
    ParsingError,
    StaticKeys,
    StaticStatusLists,
    TrustPolicy,
    VerificationError,
    Verifier,
)

SUITE = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "w3c-vc-jose-cose-test-suite"
NOW = datetime(2026, 11, 25, tzinfo=UTC)

EXPECTED: dict[int, type[VerificationError] | None] = {
    6: None,  # basic ES256 credential verifies (its string iat is reported as a warning)
    8: None,  # EdDSA credential whose iss equals issuer verifies
    9: CryptographicSecurityError,  # ES512 is outside our algorithm allow-list
    10: ParsingError,  # an unsecured JSON credential is not a vc+jwt
    12: CryptographicSecurityError,  # tampered signature
    13: CryptographicSecurityError,  # typ bad+typ / cty bad+cty
    15: MalformedValueError,  # vc and vp claims MUST NOT appear
}
NOT_APPLICABLE = {
    7: "presentation (vp+jwt): run by tests/verifier/test_presentations.py",
    11: "presentation: see 7",
    14: "presentation: see 7",
    16: "presentation: see 7",
    20: "vc+sd-jwt: certreg issues and verifies vc+jwt only (SD-JWT is not supported yet)",
    21: "vc+sd-jwt: see 20",
    22: "vp+sd-jwt presentation: see 7 and 20",
    23: "vc+sd-jwt: see 20",
    24: "vc+sd-jwt: see 20",
    25: "vp+sd-jwt presentation: see 7 and 20",
    26: "vp+sd-jwt presentation: see 7 and 20",
    29: "vc+cose: COSE securing is not supported (vc+jwt only)",
    30: "vc+cose: see 29",
    31: "vp+cose presentation: see 7 and 29",
    32: "vc+cose: see 29",
    33: "vc+cose: see 29",
    34: "vp+cose presentation: see 7 and 29",
    35: "vp+cose presentation: see 7 and 29",
}


def mapping() -> list[dict[str, Any]]:
    data = json.loads((SUITE / "test_mapping.json").read_text("utf-8"))
    return [t for t in data["tests"] if t["function"] == "verify"]


def verifier_for(key_file: str) -> Verifier:
    method = json.loads((SUITE / key_file).read_text("utf-8"))
    public = {k: v for k, v in method.items() if k != "secretKeyJwk"}
    controller = method["controller"]
    document = {"id": controller, "verificationMethod": [public], "assertionMethod": [public["id"]]}
    return Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset({controller})),
        keys=StaticKeys(did_documents={controller: document}),
        status=StaticStatusLists({}),
    )


def test_every_verify_case_is_run_or_explained() -> None:
    numbers = {t["number"] for t in mapping()}
    assert numbers == set(EXPECTED) | set(NOT_APPLICABLE)
    assert not set(EXPECTED) & set(NOT_APPLICABLE)


@pytest.mark.parametrize(
    "case", [t for t in mapping() if t["number"] in EXPECTED], ids=lambda t: str(t["number"])
)
def test_suite_case(case: dict[str, Any]) -> None:
    token = (SUITE / case["input_file"]).read_text("utf-8").strip()
    verifier = verifier_for(case["key_file"])
    expected = EXPECTED[case["number"]]
    if expected is None:
        assert case["expected_result"] == "success"
        verified = verifier.verify(token, now=NOW)
        assert any("iat" in w for w in verified.warnings)
        assert "credential-status" not in verified.checks
    else:
        assert case["expected_result"] == "failure"
        with pytest.raises(expected):
            verifier.verify(token, now=NOW)
