"""``certreg verify`` and ``certreg registry export-bundle`` against a real demo server.

One ``certreg serve --demo`` runs for the module (tests run in file order): a demo credential
verifies (exit 0), a suspended one does not (1), nor one replaced by a scope change (1,
superseded, with its successor), ``--trust http://…`` without ``--unsafe-allow-http`` says
which flag a local test needs, the bundle exported from the registry store
verifies offline after the server is gone (0, and 1 for the suspension it carries), and with
the server stopped the online answer is "cannot confirm" (2). Garbage is 1, a bad bundle 2.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from issuer.cli import app

_CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CERTREG_")}
runner = CliRunner(env=_CLEAN_ENV)


@dataclass
class Demo:
    base: str
    data_dir: Path
    admin: str
    process: subprocess.Popen[str]
    tokens: dict[str, str] = field(default_factory=dict)
    """Demo credentials (compact JWS) by certificate number."""
    numbers: list[str] = field(default_factory=list)

    def api(self, method: str, path: str, token: str, **kw: Any) -> Any:
        response = httpx.request(
            method,
            f"{self.base}/api/v1{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            **kw,
        )
        assert response.status_code < 300, response.text
        return response

    def verify(self, credential: str, *extra: str) -> Result:
        return runner.invoke(
            app,
            [
                "verify",
                credential,
                "--trust",
                self.base,
                "--unsafe-allow-http",
                "127.0.0.1",
                *extra,
            ],
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait(condition: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@contextmanager
def demo_server(
    data_dir: Path, port: int, *, public: str, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``certreg serve --demo`` on ``port`` in a process of its own, with no ``CERTREG_*``
    setting but ``env``, yielding the demo administrator's token and the process once
    ``public`` (its base URL as verifiers see it) serves the published keys; stopped on
    leaving."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    environ |= env or {}
    command = [sys.executable, "-c", "from issuer.cli import main; main()", "serve", "--demo"]
    command += ["--data-dir", str(data_dir), "--port", str(port), "--base-url", public]
    process = subprocess.Popen(
        command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail("the demo server exited")
        try:
            return httpx.get(f"{public}/.well-known/did.json", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        _wait(up, "the demo server and its published keys")
        yield (data_dir / "demo-admin.token").read_text().strip(), process
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("verify-demo") / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with demo_server(data_dir, port, public=base) as (admin, process):
        demo = Demo(base=base, data_dir=data_dir, admin=admin, process=process)
        rows = demo.api("GET", "/certifications", admin).json()
        # The widest scope first: the scope-change test narrows it, which needs no evidence.
        for row in sorted(rows, key=lambda row: -len(row["scope"])):
            number = row["certificate_number"]
            detail = demo.api("GET", f"/certifications/{number}", admin).json()
            [credential_id] = [c["id"] for c in detail["credentials"] if c["kind"] == "certificate"]
            demo.tokens[number] = demo.api("GET", f"/credentials/{credential_id}", admin).text
            demo.numbers.append(number)
        assert len(demo.numbers) >= 2
        yield demo


def test_a_demo_credential_verifies_online(demo: Demo) -> None:
    number = demo.numbers[0]
    token = demo.tokens[number]
    _wait(lambda: demo.verify(token).exit_code == 0, "the credential's status lists")
    human = demo.verify(token)
    assert "VALID" in human.stdout
    assert number in human.stdout
    assert "Welding" in human.stdout
    answer = json.loads(demo.verify(token, "--json").stdout)
    assert answer["verified"] is True
    assert answer["verdict"] == "valid"
    assert answer["credential"]["credentialSubject"]["certification"]["certificateNumber"] == (
        number
    )


def test_a_credential_read_from_a_file_or_standard_input(demo: Demo, tmp_path: Path) -> None:
    token = demo.tokens[demo.numbers[0]]
    path = tmp_path / "credential.jwt"
    path.write_text(token + "\n")
    assert demo.verify(str(path)).exit_code == 0
    envelope = {"type": "EnvelopedVerifiableCredential", "id": f"data:application/vc+jwt,{token}"}
    path.write_text(json.dumps(envelope))
    assert demo.verify(str(path)).exit_code == 0
    piped = runner.invoke(
        app,
        ["verify", "-", "--trust", demo.base, "--unsafe-allow-http", "127.0.0.1"],
        input=token,
    )
    assert piped.exit_code == 0, piped.output


def test_a_suspended_credential_is_not_valid(demo: Demo) -> None:
    number = demo.numbers[1]
    token = demo.tokens[number]
    create = ["token", "create", "--role", "decision-maker", "--name", "D. Maker"]
    decider = runner.invoke(app, [*create, "--data-dir", str(demo.data_dir)])
    assert decider.exit_code == 0, decider.output
    demo.api(
        "POST",
        f"/certifications/{number}/suspend",
        decider.stdout.strip(),
        json={"reason": "surveillance audit overdue"},
    )
    _wait(lambda: demo.verify(token).exit_code == 1, "the suspension to be published")
    answer = json.loads(demo.verify(token, "--json").stdout)
    assert (answer["verified"], answer["verdict"]) == (False, "suspended")
    assert answer["problemDetails"][0]["type"] == "/problems/suspended"
    assert "SUSPENDED" in demo.verify(token).stdout


def _decider(demo: Demo) -> str:
    create = ["token", "create", "--role", "decision-maker", "--name", "S. Cope"]
    decider = runner.invoke(app, [*create, "--data-dir", str(demo.data_dir)])
    assert decider.exit_code == 0, decider.output
    return decider.stdout.strip()


def test_a_scope_change_is_superseded_with_its_successor(demo: Demo) -> None:
    """The first demo certification narrows its scope (an expansion would need an
    examination of the added item); its new credential serves the tests after."""
    number = demo.numbers[0]
    token = demo.tokens[number]
    before = demo.api("GET", f"/certifications/{number}", demo.admin).json()
    assert len(before["scope"]) > 1, before["scope"]
    scope = before["scope"][1:]
    demo.api("POST", f"/certifications/{number}/scope", _decider(demo), json={"scope": scope})
    after = demo.api("GET", f"/certifications/{number}", demo.admin).json()
    [new] = [
        c["id"]
        for c in after["credentials"]
        if c["kind"] == "certificate" and c["status"] == "active"
    ]
    _wait(lambda: demo.verify(token).exit_code == 1, "the replacement to be published")
    result = demo.verify(token, "--json")
    answer = json.loads(result.stdout)
    assert (result.exit_code, answer["verdict"]) == (1, "superseded")
    assert answer["supersededBy"] == f"urn:uuid:{new}"
    assert [p["type"] for p in answer["problemDetails"]] == ["/problems/superseded"]
    human = demo.verify(token).stdout
    assert "SUPERSEDED" in human
    assert f"urn:uuid:{new}" in human
    demo.tokens[number] = demo.api("GET", f"/credentials/{new}", demo.admin).text
    assert demo.verify(demo.tokens[number]).exit_code == 0


def test_plain_http_trust_says_how_to_allow_it(demo: Demo) -> None:
    """Regression: ``--trust http://127.0.0.1:PORT`` quietly became https and the answer
    was a puzzling "cannot confirm"; now it says which flag a local test needs."""
    token = demo.tokens[demo.numbers[0]]
    hostport = demo.base.removeprefix("http://")
    refused = runner.invoke(app, ["verify", token, "--trust", demo.base])
    assert refused.exit_code == 2, refused.output
    flat = " ".join(refused.output.split())
    assert f"add --unsafe-allow-http {hostport}" in flat
    for allowed in (hostport, demo.base, "127.0.0.1", f" {demo.base}/ "):
        typed = ["verify", token, "--trust", demo.base, "--unsafe-allow-http", allowed]
        result = runner.invoke(app, typed)
        assert result.exit_code == 0, (allowed, result.output)
    for wrong in ("https://127.0.0.1:1", "ftp://127.0.0.1", ":8000", "127.0.0.1:port"):
        bad = runner.invoke(
            app, ["verify", token, "--trust", demo.base, "--unsafe-allow-http", wrong]
        )
        assert bad.exit_code == 2, (wrong, bad.output)
        assert "--unsafe-allow-http" in bad.output


def test_export_bundle_writes_keys_and_lists(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = tmp_path_factory.getbasetemp() / "verify-bundle.json"
    exported = runner.invoke(
        app, ["registry", "export-bundle", str(target), "--data-dir", str(demo.data_dir)]
    )
    assert exported.exit_code == 0, exported.output
    bundle = json.loads(target.read_text())
    assert bundle["type"] == "certreg-offline-bundle"
    assert list(bundle["issuers"]) == [f"did:web:127.0.0.1%3A{demo.base.rsplit(':', 1)[1]}"]
    assert all(url.startswith(f"{demo.base}/status/") for url in bundle["statusLists"])
    assert not list(target.parent.glob(".verify-bundle.json.*"))  # no temporary left behind


def test_with_the_server_stopped_the_answer_is_cannot_confirm(demo: Demo) -> None:
    demo.process.terminate()
    demo.process.wait(timeout=10)
    result = demo.verify(demo.tokens[demo.numbers[0]], "--json")
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["verdict"] == "cannot-confirm"


def test_offline_verification_needs_no_server(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert demo.process.poll() is not None
    bundle = str(tmp_path_factory.getbasetemp() / "verify-bundle.json")
    valid = runner.invoke(app, ["verify", demo.tokens[demo.numbers[0]], "--offline", bundle])
    assert valid.exit_code == 0, valid.output
    assert "bundle created at" in valid.stdout
    suspended = runner.invoke(
        app, ["verify", demo.tokens[demo.numbers[1]], "--offline", bundle, "--json"]
    )
    assert suspended.exit_code == 1, suspended.output
    answer = json.loads(suspended.stdout)
    assert answer["verdict"] == "suspended"
    assert any("bundle created at" in w for w in answer["warnings"])
    other = runner.invoke(
        app,
        ["verify", demo.tokens[demo.numbers[0]], "--offline", bundle, "--trust", "did:web:x"],
    )
    assert other.exit_code == 1  # --trust narrows the bundle's issuers: untrusted
    for token in (demo.tokens[demo.numbers[0]], demo.tokens[demo.numbers[1]]):
        stale = runner.invoke(app, ["verify", token, "--offline", bundle, "--max-age", "0"])
        assert stale.exit_code == 2, stale.output  # valid or suspended then: unknown now
        assert "STATUS_RETRIEVAL_ERROR" in stale.stdout or "cannot" in stale.stdout.lower()


@pytest.mark.parametrize(
    "garbage", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "", '{"not": "json']
)
def test_garbage_is_not_valid_with_a_parsing_error(garbage: str) -> None:
    result = runner.invoke(app, ["verify", garbage, "--trust", "did:web:certs.example", "--json"])
    assert result.exit_code == 1, result.output
    [problem] = json.loads(result.stdout)["problemDetails"]
    assert problem["type"].endswith(("#PARSING_ERROR", "#CRYPTOGRAPHIC_SECURITY_ERROR"))


def test_bad_bundles_and_usage_errors_exit_2(tmp_path: Path) -> None:
    token = "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"
    missing = runner.invoke(app, ["verify", token, "--offline", str(tmp_path / "none.json")])
    assert missing.exit_code == 2
    for content in ("not json", "[]", '{"type": "certreg-offline-bundle", "version": 9}'):
        (tmp_path / "bad.json").write_text(content)
        bad = runner.invoke(app, ["verify", token, "--offline", str(tmp_path / "bad.json")])
        assert bad.exit_code == 2, bad.output
        assert "bundle" in bad.output
    no_trust = runner.invoke(app, ["verify", token])
    assert no_trust.exit_code == 2
    assert "--trust" in no_trust.output
    bad_trust = runner.invoke(app, ["verify", token, "--trust", "ftp://x"])
    assert bad_trust.exit_code == 2
    envelope = runner.invoke(
        app, ["verify", "data:application/vc+sd-jwt,abc", "--trust", "did:web:x"]
    )
    assert envelope.exit_code == 2


def test_export_bundle_of_an_empty_registry_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["registry", "export-bundle", str(tmp_path / "b.json"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "b.json").exists()
