"""``certreg verify --nonce N --audience A PRESENTATION``, offline against a bundle.

The command reads the wall clock, so the presentations here are dated around it; the issuer
is a test issuer whose keys and status lists are written to an offline bundle.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from issuer.cli import app
from issuer.cli.verify_presentation import looks_like_presentation
from schemas import token_status_list as tsl
from tests.verifier.sd_jwt_tokens import SdJwtIssuer
from tests.verifier.tokens import FakeIssuer, Holder, enveloped
from verifier import Bundle
from verifier.did_jwk import did_jwk_for

runner = CliRunner(env={k: None for k in os.environ if k.startswith("CERTREG_")})
NONCE = "nonce-4f1e"
AUDIENCE = "https://hr.employer.example"


@pytest.fixture
def world(tmp_path: Path) -> tuple[FakeIssuer, Holder, Path]:
    issuer = FakeIssuer()
    lists = {
        issuer.list_url(p): issuer.status_list(p, validFrom=_stamp(datetime.now(UTC)))
        for p in ("revocation", "suspension")
    }
    bundle = Bundle(
        created_at=datetime.now(UTC),
        did_documents={issuer.did: issuer.did_document()},
        status_lists=lists,
    )
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle.to_json()))
    return issuer, Holder(), path


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def present(holder: Holder, *tokens: str, **overrides: object) -> str:
    now = int(datetime.now(UTC).timestamp())
    claims = {"nonce": NONCE, "aud": AUDIENCE, "iat": now - 30, "exp": now + 600}
    return holder.present(*tokens, **(claims | overrides))


def verify(bundle: Path, presentation: str, *extra: str) -> Result:
    return runner.invoke(
        app,
        ["verify", presentation, "--offline", str(bundle), *extra],
    )


def test_a_valid_presentation_exits_0(world: tuple[FakeIssuer, Holder, Path]) -> None:
    issuer, holder, bundle = world
    presentation = present(holder, issuer.token())
    human = verify(bundle, presentation, "--nonce", NONCE, "--audience", AUDIENCE)
    assert human.exit_code == 0, human.output
    assert "VALID PRESENTATION" in human.stdout
    assert holder.did[:40] in human.stdout
    assert "Ana Moreau" in human.stdout
    machine = verify(bundle, presentation, "--nonce", NONCE, "--audience", AUDIENCE, "--json")
    answer = json.loads(machine.stdout)
    assert answer["verified"] is True
    assert answer["holder"] == holder.did
    assert answer["credentialResults"][0]["verdict"] == "valid"


def test_a_wrong_nonce_or_a_suspension_exits_1(world: tuple[FakeIssuer, Holder, Path]) -> None:
    issuer, holder, bundle = world
    presentation = present(holder, issuer.token())
    wrong = verify(bundle, presentation, "--nonce", "other", "--audience", AUDIENCE, "--json")
    assert wrong.exit_code == 1
    problem = json.loads(wrong.stdout)["problemDetails"][0]
    assert problem["type"] == "/problems/challenge-mismatch"
    human = verify(bundle, presentation, "--nonce", NONCE, "--audience", "https://x.example")
    assert human.exit_code == 1
    assert "NOT VALID" in human.stdout


def test_usage_errors_exit_2(world: tuple[FakeIssuer, Holder, Path], tmp_path: Path) -> None:
    issuer, holder, bundle = world
    presentation = present(holder, issuer.token())
    without = verify(bundle, presentation)  # a vp+jwt, recognised, but no nonce given
    assert without.exit_code == 2
    assert "--nonce" in without.output
    sd_jwt = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln~WyJzIiwibiIsInYiXQ~"
    garbled = verify(bundle, sd_jwt, "--nonce", NONCE, "--audience", AUDIENCE)
    assert garbled.exit_code == 1  # read as an SD-JWT presentation, and not valid
    assert "NOT VALID" in garbled.output
    other = verify(bundle, "data:application/vp+cose,abc", "--nonce", NONCE, "--audience", "a")
    assert other.exit_code == 2
    assert "not verified here" in other.output
    path = tmp_path / "presentation.json"
    envelope = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "EnvelopedVerifiablePresentation",
        "id": f"data:application/vp+jwt,{presentation}",
    }
    path.write_text(json.dumps(envelope))
    from_file = verify(bundle, str(path), "--nonce", NONCE, "--audience", AUDIENCE)
    assert from_file.exit_code == 0, from_file.output


def test_what_looks_like_a_presentation(world: tuple[FakeIssuer, Holder, Path]) -> None:
    issuer, holder, _ = world
    assert looks_like_presentation(present(holder, issuer.token()))
    assert looks_like_presentation("data:application/vp+jwt,eyJ")
    assert looks_like_presentation("a~b~")
    assert not looks_like_presentation(issuer.token())
    assert not looks_like_presentation(json.dumps(enveloped(issuer.token())))
    assert not looks_like_presentation("garbage")


def _sd_jwt_bundle(issuer: SdJwtIssuer, path: Path) -> Path:
    """An offline bundle holding the SD-JWT VC issuer's keys as its did:web's, and its
    Token Status List: what ``certreg registry export-bundle`` writes for certreg."""
    did = f"did:web:{issuer.host}"
    method = f"{did}#key-1"
    document = {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": [
            {"id": method, "type": "JsonWebKey", "controller": did, "publicKeyJwk": issuer.key.jwk}
        ],
        "assertionMethod": [method],
    }
    bundle = Bundle(
        created_at=datetime.now(UTC),
        did_documents={did: document},
        status_lists={},
        token_status_lists={issuer.list_uri: issuer.status_list_token()},
    )
    path.write_text(json.dumps(bundle.to_json()))
    return path


def test_an_sd_jwt_vc_presentation_offline(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    stamp = int(now.timestamp())
    issuer = SdJwtIssuer(list_iat=now)
    issued = issuer.issue(issuer.claims(iat=stamp - 86_400, exp=stamp + 30 * 86_400))
    presentation = issuer.present(issued, nonce=NONCE, aud=AUDIENCE, iat=stamp)
    bundle = _sd_jwt_bundle(issuer, tmp_path / "bundle.json")
    valid = verify(bundle, presentation, "--nonce", NONCE, "--audience", AUDIENCE, "--json")
    assert valid.exit_code == 0, valid.output
    answer = json.loads(valid.stdout)
    assert (answer["format"], answer["verdict"]) == ("dc+sd-jwt", "valid")
    assert answer["holder"] == did_jwk_for(issuer.holder.jwk)
    [result] = answer["credentialResults"]
    assert result["holderBinding"] == "bound"
    assert sorted(c["path"][0] for c in result["disclosedClaims"]) == ["family_name", "given_name"]
    human = verify(bundle, presentation, "--nonce", NONCE, "--audience", AUDIENCE)
    assert human.exit_code == 0
    assert "VALID PRESENTATION" in human.stdout
    other = verify(bundle, presentation, "--nonce", "another", "--audience", AUDIENCE, "--json")
    assert other.exit_code == 1
    assert json.loads(other.stdout)["problemDetails"][0]["type"] == "/problems/challenge-mismatch"
    tsl.set_status(issuer.statuses, 7, tsl.INVALID, 2)
    revoked_bundle = _sd_jwt_bundle(issuer, tmp_path / "revoked.json")
    revoked = verify(
        revoked_bundle, presentation, "--nonce", NONCE, "--audience", AUDIENCE, "--json"
    )
    assert revoked.exit_code == 1
    assert json.loads(revoked.stdout)["verdict"] == "revoked"
