"""``certreg token`` and ``certreg staff`` on the server: tokens listed and revoked (a
regulator's too), staff deactivated and reactivated, a decision-maker's token made for an
existing member; and ``certreg audit verify`` catching an altered token id. Each change is
then checked where it matters, with a request to the back office over the same store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from issuer.cli import app
from issuer.http.app import create_app
from issuer.settings import Settings
from issuer.store import Store

PASSPHRASE = "cli-test-passphrase"
runner = CliRunner(env={"CERTREG_KEY_PASSPHRASE": PASSPHRASE})


def certreg(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    code, _, err = certreg(tmp_path, "init")
    assert code == 0, err
    return tmp_path


@pytest.fixture
def back_office(data_dir: Path) -> Iterator[TestClient]:
    """The back office over the same data directory, as `certreg serve` runs it."""
    settings = Settings(data_dir=data_dir, key_passphrase=PASSPHRASE)
    with TestClient(create_app(settings, registry=None)) as client:
        yield client


def status(client: TestClient, token: str) -> int:
    """200 while ``token`` opens the back office (a read every staff member may make)."""
    return client.get("/api/v1/schemes", headers={"Authorization": f"Bearer {token}"}).status_code


def token_lines(data_dir: Path) -> list[list[str]]:
    code, out, err = certreg(data_dir, "token", "list")
    assert code == 0, err
    return [line.split() for line in out.splitlines()]


def test_tokens_are_listed_and_revoked(data_dir: Path, back_office: TestClient) -> None:
    _, registrar, _ = certreg(data_dir, "token", "create", "--role", "registrar", "--name", "R")
    _, agency, _ = certreg(data_dir, "token", "create", "--role", "regulator", "--name", "Agency")
    registrar, agency = registrar.strip(), agency.strip()
    lines = token_lines(data_dir)
    assert [(line[1], line[2]) for line in lines] == [
        ("staff", "administrator"),
        ("staff", "registrar"),
        ("regulator", "regulator"),
    ]
    assert lines[2][3] == "-"  # a regulator's token belongs to no staff member
    assert all("live" in line for line in lines)
    listing = certreg(data_dir, "token", "list")[1]
    assert registrar not in listing
    assert agency not in listing

    reading = back_office.get(
        "/regulator/v1/certifications", headers={"Authorization": f"Bearer {agency}"}
    )
    assert reading.status_code == 200
    for line in lines[1:]:
        code, out, err = certreg(data_dir, "token", "revoke", line[0])
        assert code == 0, err
        assert out.startswith(f"{line[0]} revoked ")
    assert status(back_office, registrar) == 401
    refused = back_office.get(
        "/regulator/v1/certifications", headers={"Authorization": f"Bearer {agency}"}
    )
    assert refused.status_code == 401
    assert [line[8] for line in token_lines(data_dir)] == ["live", "revoked", "revoked"]

    code, _, err = certreg(data_dir, "token", "revoke", lines[1][0])
    assert code == 2
    assert "already revoked" in err
    assert certreg(data_dir, "token", "revoke", "no-such-token")[0] == 2


def test_staff_are_deactivated_and_reactivated(data_dir: Path, back_office: TestClient) -> None:
    _, old, _ = certreg(data_dir, "token", "create", "--role", "registrar", "--name", "R. Clerk")
    old = old.strip()
    code, out, _ = certreg(data_dir, "staff", "list")
    assert code == 0
    [clerk] = [line.split() for line in out.splitlines() if line.endswith("R. Clerk")]
    staff_id = clerk[0]
    assert clerk[1:3] == ["active", "registrar"]

    code, out, err = certreg(data_dir, "staff", "deactivate", staff_id)
    assert code == 0, err
    assert out.strip() == f"{staff_id} deactivated; 1 token(s) revoked"
    assert status(back_office, old) == 401
    create = ("token", "create", "--role", "registrar", "--staff-id", staff_id)
    code, _, err = certreg(data_dir, *create)
    assert code == 2
    assert "deactivated" in err
    assert certreg(data_dir, "staff", "deactivate", staff_id)[0] == 2

    code, out, _ = certreg(data_dir, "staff", "reactivate", staff_id)
    assert code == 0
    assert status(back_office, old) == 401, "reactivation revived an old token"
    code, new, err = certreg(data_dir, *create)
    assert code == 0, err
    assert status(back_office, new.strip()) == 200
    assert certreg(data_dir, "staff", "reactivate", staff_id)[0] == 2
    assert certreg(data_dir, "staff", "deactivate", "no-such-member")[0] == 2


def test_a_decision_makers_token_is_made_on_the_server(
    data_dir: Path, back_office: TestClient
) -> None:
    admin_line = token_lines(data_dir)[0]
    admin_id = admin_line[3]
    code, _, err = certreg(
        data_dir, "token", "create", "--role", "decision-maker", "--name", "D. Maker"
    )
    assert code == 0, err
    maker_id = token_lines(data_dir)[1][3]
    code, out, err = certreg(
        data_dir, "token", "create", "--role", "decision-maker", "--staff-id", maker_id
    )
    assert code == 0, err
    assert status(back_office, out.strip()) == 200
    assert token_lines(data_dir)[2][-2:] == ["D.", "Maker"]  # named after the member

    # a token only for a role the member holds, and a new member needs a name
    code, _, err = certreg(
        data_dir, "token", "create", "--role", "decision-maker", "--staff-id", admin_id
    )
    assert code == 2
    assert "does not hold the role" in err
    code, _, err = certreg(data_dir, "token", "create", "--role", "registrar")
    assert code == 2
    assert "--name" in err


def test_audit_verify_finds_an_altered_token_id(data_dir: Path, back_office: TestClient) -> None:
    admin = certreg(data_dir, "token", "create", "--role", "administrator", "--name", "A")[1]
    made = back_office.post(
        "/api/v1/staff",
        json={"name": "Auditor", "roles": ["auditor"]},
        headers={"Authorization": f"Bearer {admin.strip()}"},
    )
    assert made.status_code == 201, made.text
    code, out, _ = certreg(data_dir, "audit", "verify")
    # Intact; its end is unconfirmed (exit 2), as nothing was published to a registry here.
    assert code == 2, out
    assert "audit chain intact" in out
    first_token = token_lines(data_dir)[0][0]  # the administrator's from `certreg init`
    store = Store.from_url(f"sqlite:///{data_dir / 'issuer.sqlite3'}")
    with store.transaction() as tx:
        [entry] = [e for e in tx.audit_entries(limit=1000) if e.token_id is not None]
    assert entry.action == "staff.created"
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE audit_log SET token_id = ? WHERE seq = ?",
            (first_token, entry.seq),
        )
    store.dispose()
    code, out, _ = certreg(data_dir, "audit", "verify")
    assert code == 1
    assert f"BROKEN at entry {entry.seq}" in out
