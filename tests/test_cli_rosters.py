"""``certreg issue-bulk`` and ``certreg rosters`` act for the staff member whose token they
are given, checked against the store as the API checks it: only a decision-maker grants, a
registrar prepares, and the audit log names the token's staff member, never the command
line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from issuer.cli import app
from issuer.settings import Settings
from issuer.store import Store
from tests.backoffice import roster_evidence, scheme_body

PASSPHRASE = "cli-test-passphrase"


def certreg(data_dir: Path, *args: str, token: str | None = None) -> tuple[int, str, str]:
    env = {"CERTREG_KEY_PASSPHRASE": PASSPHRASE}
    if token is not None:
        env["CERTREG_TOKEN"] = token
    result = CliRunner(env=env).invoke(app, [*args, "--data-dir", str(data_dir)])
    return result.exit_code, result.stdout, result.stderr


def _token(data_dir: Path, role: str, name: str) -> str:
    code, out, err = certreg(data_dir, "token", "create", "--role", role, "--name", name)
    assert code == 0, err
    return out.strip()


def _staff_id(data_dir: Path, name: str) -> str:
    store = Store.from_url(Settings(data_dir=data_dir).issuer_url)
    try:
        with store.reading() as tx:
            [member] = [s for s in tx.list_staff() if s.name == name]
            return member.id
    finally:
        store.dispose()


def _query(data_dir: Path, sql: str) -> list[Any]:
    store = Store.from_url(Settings(data_dir=data_dir).issuer_url)
    try:
        with store.engine.connect() as conn:
            return list(conn.execute(text(sql)).all())
    finally:
        store.dispose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    code, _, err = certreg(tmp_path, "init")
    assert code == 0, err
    from fastapi.testclient import TestClient

    from issuer.http.app import create_app

    manager = _token(tmp_path, "scheme-manager", "Manager")
    settings = Settings(data_dir=tmp_path, key_passphrase=PASSPHRASE)
    with TestClient(create_app(settings, registry=None)) as client:
        answer = client.post(
            "/api/v1/schemes", json=scheme_body(), headers={"Authorization": f"Bearer {manager}"}
        )
        assert answer.status_code == 201, answer.text
    return tmp_path


def _roster(path: Path, count: int, **extra: Any) -> Path:
    today = datetime.now(UTC).date()
    rows = [
        {
            "external_id": f"{path.stem}-{i}",
            "given_name": f"Ana{i}",
            "family_name": "Moreau",
            "scheme": "WI",
            "scope": ["VT-STEEL"],
            "effective_date": (today + timedelta(days=1)).isoformat(),
            **roster_evidence(today - timedelta(days=2)),
            **extra,
        }
        for i in range(count)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_issue_bulk_needs_a_decision_makers_token(data_dir: Path, tmp_path: Path) -> None:
    roster = _roster(tmp_path / "cohort.jsonl", 3)
    code, _, err = certreg(data_dir, "issue-bulk", str(roster), "--workers", "1")
    assert code == 2
    assert "--token" in err
    registrar = _token(data_dir, "registrar", "Reg")
    code, _, err = certreg(data_dir, "issue-bulk", str(roster), "--workers", "1", token=registrar)
    assert code == 2
    assert "decision-maker" in err
    code, _, err = certreg(
        data_dir, "issue-bulk", str(roster), "--workers", "1", "--token", "crt_not-a-token"
    )
    assert code == 2
    assert "refused" in err
    assert _query(data_dir, "SELECT count(*) FROM certifications") == [(0,)]

    decider = _token(data_dir, "decision-maker", "Dee")
    [(token_id,)] = _query(
        data_dir, "SELECT id FROM api_tokens WHERE role = 'decision-maker' ORDER BY created_at"
    )
    other = _roster(tmp_path / "other.jsonl", 1, decided_by=_staff_id(data_dir, "Reg"))
    code, out, err = certreg(data_dir, "issue-bulk", str(roster), "--workers", "1", token=decider)
    assert code == 0, err
    assert "3 issued" in out
    code, out, _ = certreg(data_dir, "issue-bulk", str(other), "--workers", "1", token=decider)
    assert code == 1
    assert "not-own-decision" in out
    dee = _staff_id(data_dir, "Dee")
    assert _query(data_dir, "SELECT DISTINCT decision_maker_id FROM decisions") == [(dee,)]
    assert _query(
        data_dir, "SELECT actor, token_id FROM audit_log WHERE action = 'bulk.chunk-issued'"
    ) == [(f"staff:{dee}", token_id)]

    code, _, err = certreg(data_dir, "token", "revoke", token_id)
    assert code == 0, err
    code, _, err = certreg(data_dir, "issue-bulk", str(roster), "--workers", "1", token=decider)
    assert code == 2
    assert "revoked" in err


def test_a_roster_prepared_by_a_registrar_is_approved_by_a_decision_maker(
    data_dir: Path, tmp_path: Path
) -> None:
    registrar = _token(data_dir, "registrar", "Reg")
    decider = _token(data_dir, "decision-maker", "Dee")
    roster = _roster(tmp_path / "cohort.csv.jsonl", 4)
    code, _, err = certreg(data_dir, "rosters", "prepare", str(roster))
    assert code == 2
    assert "--token" in err
    code, out, err = certreg(data_dir, "rosters", "prepare", str(roster), token=registrar)
    assert code == 0, err
    roster_id = out.strip()
    assert "4 rows kept" in err

    code, out, _ = certreg(data_dir, "rosters", "list", "--state", "prepared")
    assert code == 0
    assert roster_id in out
    code, _, err = certreg(data_dir, "rosters", "approve", roster_id, token=registrar)
    assert code == 2
    assert "decision-maker" in err
    code, out, err = certreg(
        data_dir, "rosters", "approve", roster_id, "--workers", "1", token=decider
    )
    assert code == 0, err
    assert "4 issued" in out
    dee = _staff_id(data_dir, "Dee")
    assert _query(data_dir, "SELECT DISTINCT decision_maker_id FROM decisions") == [(dee,)]
    code, out, err = certreg(data_dir, "rosters", "show", roster_id)
    assert code == 0, err
    assert "issued" in out.splitlines()[0]
    assert out.count(": issued") == 4
    code, _, err = certreg(data_dir, "rosters", "show", "no-such-roster")
    assert code == 2

    # A decision-maker who prepared a roster may not approve it.
    own = _roster(tmp_path / "own.jsonl", 1)
    code, out, err = certreg(data_dir, "rosters", "prepare", str(own), token=decider)
    assert code == 0, err
    code, _, err = certreg(data_dir, "rosters", "approve", out.strip(), token=decider)
    assert code == 2
    assert "another decision-maker" in err
