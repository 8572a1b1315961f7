"""The ``certreg`` command line, and the README's first command for real: a server started
with ``certreg serve --demo`` answers ``/docs`` and runs the example walkthrough, which
leaves the public pages showing the demo beside nothing but one marked example scheme."""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from examples.walkthrough import EXAMPLE_TITLE, http_api, walk
from issuer.cli import app
from issuer.process import tokens
from issuer.store import Store

runner = CliRunner(env={"CERTREG_KEY_PASSPHRASE": "cli-test-passphrase"})


def test_init_prints_one_admin_token_once(tmp_path: Path) -> None:
    first = runner.invoke(app, ["init", "--data-dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    token = first.stdout.strip()
    assert tokens.looks_like_token(token)
    again = runner.invoke(app, ["init", "--data-dir", str(tmp_path)])
    assert again.exit_code == 0
    assert again.stdout.strip() == ""


def test_token_create_prints_only_the_token_and_stores_its_digest(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "token",
            "create",
            "--role",
            "registrar",
            "--name",
            "R. Clerk",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert tokens.looks_like_token(token)
    database = (tmp_path / "issuer.sqlite3").read_bytes()
    assert token.encode() not in database
    store = Store.from_url(f"sqlite:///{tmp_path / 'issuer.sqlite3'}")
    with store.transaction() as tx:
        found = tx.token_by_digest(tokens.digest(token))
        assert found is not None
        assert found.role.value == "registrar"
        assert found.staff_id is not None
    store.dispose()


def test_token_create_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["token", "create", "--role", "wizard", "--name", "X", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2


def test_audit_verify_exit_codes(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "--data-dir", str(tmp_path)]).exit_code == 0
    unpublished = runner.invoke(app, ["audit", "verify", "--data-dir", str(tmp_path)])
    assert unpublished.exit_code == 2  # intact, but no registry to show its end yet
    assert "intact" in unpublished.stdout
    assert "the end of the log was not checked" in unpublished.stderr
    assert not (tmp_path / "registry.sqlite3").exists()  # a check creates nothing
    published = runner.invoke(app, ["registry", "rebuild", "--data-dir", str(tmp_path)])
    assert published.exit_code == 0, published.output
    ok = runner.invoke(app, ["audit", "verify", "--data-dir", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.stdout
    assert "end confirmed" in ok.stdout
    store = Store.from_url(f"sqlite:///{tmp_path / 'issuer.sqlite3'}")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET action = 'x' WHERE seq = 1")
    store.dispose()
    broken = runner.invoke(app, ["audit", "verify", "--data-dir", str(tmp_path)])
    assert broken.exit_code == 1
    assert "BROKEN at entry 1" in broken.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_demo_starts_on_sqlite_and_serves_docs(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    command = [
        sys.executable,
        "-c",
        "from issuer.cli import main; main()",
        "serve",
        "--demo",
        "--data-dir",
        str(tmp_path / "data"),
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                docs = httpx.get(f"{base}/docs", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("server did not start")
                time.sleep(0.2)
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        paths = httpx.get(f"{base}/openapi.json", timeout=5).json()["paths"]
        assert "/api/v1/decisions" in paths
        assert "/api/v1/certifications/{number}" in paths
        token = (tmp_path / "data" / "demo-admin.token").read_text().strip()
        decider = (tmp_path / "data" / "demo-decision-maker.token").read_text().strip()
        listed = httpx.get(
            f"{base}/api/v1/certifications", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert len(listed) == 2
        with httpx.Client(base_url=base, timeout=10) as client:
            done = walk(http_api(client), token, decider)
        assert done.decision["outcome"] == "grant"
        number = done.decision["certification"]["certificate_number"]
        deadline = time.monotonic() + 5
        while (
            lookup := httpx.get(f"{base}/register/{number}?family_name=Kova%C4%8D")
        ).status_code != 200 or lookup.json()["entry"]["status"] != "withdrawn":
            assert time.monotonic() < deadline, lookup.text
            time.sleep(0.1)
        _run_the_walkthrough_script(base, token, decider)
        schemes = [s["name"] for s in httpx.get(f"{base}/schemes").json()]
        assert sorted(schemes) == sorted(["Certified Welding Inspector", EXAMPLE_TITLE])
        directory = httpx.get(f"{base}/directory", params={"name": "Kovač"}).json()
        assert directory["results"] == []
        did = httpx.get(f"{base}/.well-known/did.json").json()
        assert did["id"] == f"did:web:127.0.0.1%3A{port}"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert (tmp_path / "data" / "issuer.sqlite3").exists()
    assert f"{base}/docs" in output
    assert (tmp_path / "data" / "registry.sqlite3").exists()
    assert "Traceback" not in output


def _run_the_walkthrough_script(base: str, token: str, decider: str) -> None:
    """``examples/walkthrough.py`` as the README runs it: it grants, then withdraws."""
    script = Path(__file__).resolve().parents[1] / "examples" / "walkthrough.py"
    answer = subprocess.run(
        [
            sys.executable,
            str(script),
            *("--base-url", base, "--token", token, "--decider-token", decider),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    assert "the certification is now withdrawn" in answer.stdout


def test_keys_lifecycle_from_the_command_line(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert runner.invoke(app, ["init", "--alg", "EdDSA", *data]).exit_code == 0
    listed = runner.invoke(app, ["keys", "list", *data])
    [first] = listed.stdout.splitlines()
    kid, alg, state = first.split()[:3]
    assert (alg, state) == ("EdDSA", "active")
    rotated = runner.invoke(app, ["keys", "rotate", "--alg", "ES256", *data])
    assert rotated.exit_code == 0, rotated.output
    new_kid = rotated.stdout.strip()
    states = {
        line.split()[0]: line.split()[2]
        for line in runner.invoke(app, ["keys", "list", *data]).stdout.splitlines()
    }
    assert states == {kid: "retired", new_kid: "active"}
    retired = runner.invoke(app, ["keys", "retire", new_kid, *data])  # active: rotates
    assert retired.exit_code == 0
    assert retired.stdout.split() == [new_kid, "retired"]
    compromised = runner.invoke(app, ["keys", "compromised", kid, *data])
    assert compromised.exit_code == 0, compromised.output
    assert compromised.stdout.splitlines() == [
        f"{kid} compromised",  # retired: it needs no successor, and signed nothing
        "nothing to re-issue: no valid certificate or mark is signed by a compromised key",
    ]
    again = runner.invoke(app, ["keys", "retire", kid, *data])
    assert again.exit_code == 2
    unknown = runner.invoke(app, ["keys", "retire", "no-such-kid", *data])
    assert unknown.exit_code == 2


@pytest.mark.parametrize("command", ["retire", "compromised"])
@pytest.mark.parametrize("kid", ["-AxCZcUgCtr8tUfni7Qno", "--dAxCZcUgCtr8tUfni7Qno", "-d"])
def test_a_kid_that_begins_with_a_dash_is_a_kid(tmp_path: Path, command: str, kid: str) -> None:
    """One base64url thumbprint in 64 begins with "-": it is the KID, on either side of
    the options, not an unknown option."""
    data = ["--data-dir", str(tmp_path)]
    assert runner.invoke(app, ["init", *data]).exit_code == 0
    for args in ([kid, *data], [*data, kid]):
        result = runner.invoke(app, ["keys", command, *args])
        assert result.exit_code == 2
        assert f"no signing key '{kid}'" in result.output


def test_init_refuses_without_a_passphrase_outside_demo(tmp_path: Path) -> None:
    bare = CliRunner(env={"CERTREG_KEY_PASSPHRASE": None})
    result = bare.invoke(app, ["init", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "CERTREG_KEY_PASSPHRASE" in result.output
    assert not (tmp_path / "issuer.sqlite3").exists()


def test_registry_rebuild_republishes_into_an_empty_registry(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert runner.invoke(app, ["init", *data]).exit_code == 0
    rebuilt = runner.invoke(app, ["registry", "rebuild", *data])
    assert rebuilt.exit_code == 0, rebuilt.output
    # the issuer keys, and the audit checkpoint of the log init began
    assert rebuilt.stdout.strip() == "2 documents published"
    assert (tmp_path / "registry.sqlite3").exists()


def test_serve_only_registry_runs_the_registry_alone(tmp_path: Path) -> None:
    """The registry on its own store, with the intake open to the configured secret; it
    needs no key passphrase because it holds no key."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env["CERTREG_REGISTRY_INTAKE_TOKEN"] = "intake-secret-for-this-test"
    command = [
        sys.executable,
        "-c",
        "from issuer.cli import main; main()",
        "serve",
        "--only",
        "registry",
        "--data-dir",
        str(tmp_path),
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                missing = httpx.get(f"{base}/.well-known/did.json", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("registry did not start")
                time.sleep(0.2)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        refused = httpx.post(
            f"{base}/registry/v1/publications",
            json={"kind": "issuer-keys", "key": "issuer", "version": 1, "body": "x.y.z"},
            headers={"Authorization": "Bearer wrong"},
        )
        assert refused.status_code == 403
        assert httpx.get(f"{base}/api/v1/certifications").status_code == 404  # no back office
    finally:
        server.terminate()
        server.communicate(timeout=10)
    assert (tmp_path / "registry.sqlite3").exists()
    assert not (tmp_path / "issuer.sqlite3").exists()


def test_the_command_line_starts_without_the_server_stack() -> None:
    """``certreg --help`` and each signing or writing process of ``issue-bulk`` (spawned, it
    imports the ``certreg`` script) import only what the commands' signatures need: the
    database, web and verification stacks are imported by the command that runs."""
    heavy = (
        "sqlalchemy",
        "fastapi",
        "httpx",
        "jsonschema",
        "pydantic_settings",
        "registry",
        "verifier",
        "issuer.store",
        "issuer.bulk.issuance",
        "issuer.bulk.rosters",
        "issuer.bulk.templates",
        "issuer.bulk.chunks",
        "issuer.bulk.prepare",
        "issuer.bulk.handover",
        "issuer.bulk.report",
        "issuer.bench",
    )
    probe = f"import sys, issuer.cli; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert imported == ""
    answer = CliRunner().invoke(app, ["--help"])
    assert answer.exit_code == 0
    assert "issue-bulk" in answer.output


def test_the_writing_process_imports_no_validation_stack() -> None:
    """A bulk run's writing process imports :mod:`issuer.bulk.writes` on top of the
    ``certreg`` script, and the run hands it nothing until it is ready: pydantic (the
    problem model, once imported with ``schemas``) and jsonschema (once imported with
    ``issuer.credentials.status``) put about 0.1 s on that start here, 0.54 s against 0.43-0.48."""
    heavy = ("pydantic", "jsonschema", "schemas.problem", "schemas.credential_schemas")
    probe = (
        "import sys, issuer.cli, issuer.bulk.writes; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert imported == ""
    import schemas

    assert schemas.problem_type_uri("not-found").endswith("/problems/not-found")
    with pytest.raises(AttributeError):
        _ = schemas.nothing_of_the_kind


def test_the_bulk_command_leaves_the_batch_size_to_issuance() -> None:
    """Without ``--batch``, issuance picks the size for how it runs, and the help says
    what it picks."""
    from issuer.bulk import issuance
    from issuer.cli import bulk as cli_bulk

    assert inspect.signature(cli_bulk.issue_bulk).parameters["batch"].default is None
    assert inspect.signature(issuance.issue_batch).parameters["batch_size"].default is None
    answer = CliRunner().invoke(app, ["issue-bulk", "--help"], env={"COLUMNS": "200"})
    assert answer.exit_code == 0
    assert f"{issuance.WRITING_PROCESS_BATCH_SIZE:,} with a writing process" in answer.output
    assert f"else {issuance.DEFAULT_BATCH_SIZE:,}" in answer.output
