"""A man in the middle replays an old status list to ``certreg verify``: never exit 0.

``certreg serve --demo`` runs behind a small HTTP proxy that *is* its public address (the
base URL, hence the did:web and every status list URL, names the proxy), as a CDN, a mirror
or an attacker on the path would be. The proxy forwards everything, until it is told to
answer one status list URL with bytes captured earlier — the suspension list as it was
before a certificate was suspended. Lists are made short-lived (ttl 4 s, valid 24 s) so
that the server's own renewal and a lapse happen within the test:

- the server signs its lists again by itself, with no status change (time-driven work);
- a replayed list older than one ``certreg verify`` has already seen is refused (exit 2),
  the memory kept between runs in the ``--seen-lists`` file;
- a replayed list past its ``validUntil`` is refused (exit 2), even by a verifier that has
  seen nothing before.

With the old behaviour (no ``validUntil``, no memory) both replays verified as valid.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from issuer.cli import app
from tests.test_cli_verify import _free_port, _wait, demo_server
from verifier.timestamps import parse_timestamp

TTL, VALIDITY = 4, 24
_CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CERTREG_")}
runner = CliRunner(env=_CLEAN_ENV)


@dataclass
class Replay:
    """Forwards every GET to ``upstream``, except the paths in ``answers``."""

    upstream: str
    answers: dict[str, bytes] = field(default_factory=dict)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canned = replay.answers.get(self.path)
                if canned is not None:
                    self._answer(200, canned, {"Content-Type": "application/vc+jwt"})
                    return
                accept = self.headers.get("Accept", "*/*")
                try:
                    upstream = httpx.get(
                        replay.upstream + self.path, headers={"Accept": accept}, timeout=10
                    )
                except httpx.TransportError:
                    self._answer(502, b"", {})
                    return
                kept = ("content-type", "cache-control", "etag")
                headers = {k: v for k, v in upstream.headers.items() if k.lower() in kept}
                self._answer(upstream.status_code, upstream.content, headers)

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@dataclass
class Setup:
    public: str
    """The proxy: the deployment's public address, as every credential names it."""
    upstream: str
    data_dir: Path
    admin: str
    replay: Replay
    token: str
    number: str
    list_path: str
    """The path of the credential's suspension list."""

    def verify(self, seen: Path, *extra: str) -> Result:
        return runner.invoke(
            app,
            [
                "verify",
                self.token,
                "--trust",
                self.public,
                "--unsafe-allow-http",
                "127.0.0.1",
                "--seen-lists",
                str(seen),
                "--json",
                *extra,
            ],
        )

    def list_now(self) -> bytes:
        return httpx.get(self.upstream + self.list_path, timeout=10).content


def _payload(compact: bytes | str) -> dict[str, Any]:
    text = compact.decode("ascii") if isinstance(compact, bytes) else compact
    part = text.split(".")[1]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def _instant(stamp: str) -> datetime:
    return parse_timestamp(stamp)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    data_dir = tmp_path_factory.mktemp("replay-demo") / "data"
    port, proxy_port = _free_port(), _free_port()
    upstream, public = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{proxy_port}"
    replay = Replay(upstream=upstream)
    proxy = ThreadingHTTPServer(("127.0.0.1", proxy_port), replay.handler())
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    env = {
        "CERTREG_STATUS_LIST_TTL_SECONDS": str(TTL),
        "CERTREG_STATUS_LIST_VALIDITY_SECONDS": str(VALIDITY),
    }
    try:
        with demo_server(data_dir, port, public=public, env=env) as (admin, _):
            headers = {"Authorization": f"Bearer {admin}"}
            [first, *_] = httpx.get(f"{upstream}/api/v1/certifications", headers=headers).json()
            number = first["certificate_number"]
            detail = httpx.get(f"{upstream}/api/v1/certifications/{number}", headers=headers).json()
            [credential_id] = [c["id"] for c in detail["credentials"] if c["kind"] == "certificate"]
            token = httpx.get(
                f"{upstream}/api/v1/credentials/{credential_id}", headers=headers
            ).text
            [entry] = [
                e for e in _payload(token)["credentialStatus"] if e["statusPurpose"] == "suspension"
            ]
            assert entry["statusListCredential"].startswith(f"{public}/status/")
            yield Setup(
                public=public,
                upstream=upstream,
                data_dir=data_dir,
                admin=admin,
                replay=replay,
                token=token,
                number=number,
                list_path=entry["statusListCredential"].removeprefix(public),
            )
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_the_server_signs_its_lists_again_by_itself(setup: Setup) -> None:
    _wait(lambda: httpx.get(setup.upstream + setup.list_path).status_code == 200, "the list")
    first = _payload(setup.list_now())
    validity = _instant(first["validUntil"]) - _instant(first["validFrom"])
    assert validity.total_seconds() == VALIDITY
    _wait(
        lambda: _payload(setup.list_now())["validFrom"] > first["validFrom"],
        "the list to be signed again with no status change",
        seconds=VALIDITY,
    )
    renewed = _payload(setup.list_now())
    assert renewed["credentialSubject"]["encodedList"] == first["credentialSubject"]["encodedList"]


def _capture_fresh(setup: Setup, *, left: float) -> bytes:
    """The suspension list as served now, with at least ``left`` seconds of validity."""
    captured = b""

    def fresh() -> bool:
        nonlocal captured
        captured = setup.list_now()
        until = _instant(_payload(captured)["validUntil"])
        return (until - datetime.now(UTC)).total_seconds() >= left

    _wait(fresh, "a freshly signed list", seconds=VALIDITY * 2)
    return captured


def test_replayed_lists_cannot_confirm(setup: Setup, tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    before = _capture_fresh(setup, left=VALIDITY * 0.6)
    assert json.loads(setup.verify(seen).stdout)["verdict"] == "valid"

    decider = runner.invoke(
        app,
        [
            *("token", "create", "--role", "decision-maker", "--name", "D. Maker"),
            *("--data-dir", str(setup.data_dir)),
        ],
    )
    assert decider.exit_code == 0, decider.output
    suspended = httpx.post(
        f"{setup.upstream}/api/v1/certifications/{setup.number}/suspend",
        headers={"Authorization": f"Bearer {decider.stdout.strip()}"},
        json={"reason": "surveillance audit overdue"},
        timeout=10,
    )
    assert suspended.status_code < 300, suspended.text
    _wait(lambda: setup.verify(seen).exit_code == 1, "the suspension to be published")
    assert json.loads(setup.verify(seen).stdout)["verdict"] == "suspended"

    # The address now answers with the list from before the suspension, still within its
    # validity: a verifier that has seen the newer one refuses it.
    setup.replay.answers[setup.list_path] = before
    assert datetime.now(UTC) < _instant(_payload(before)["validUntil"])
    older = setup.verify(seen)
    assert older.exit_code == 2, older.output
    answer = json.loads(older.stdout)
    assert answer["verdict"] == "cannot-confirm"
    assert "older" in answer["problemDetails"][0]["detail"]

    # Once the old list has lapsed, even a verifier that has seen nothing refuses it.
    until = _instant(_payload(before)["validUntil"])
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.5)
    lapsed = setup.verify(tmp_path / "never-seen.json")
    assert lapsed.exit_code == 2, lapsed.output
    answer = json.loads(lapsed.stdout)
    assert answer["verdict"] == "cannot-confirm"
    assert "valid until" in answer["problemDetails"][0]["detail"]

    setup.replay.answers.clear()  # the honest address again: suspended, as it is
    assert setup.verify(seen).exit_code == 1


def test_the_seen_lists_file_keeps_the_newest_date_of_each_list(tmp_path: Path) -> None:
    from issuer.cli import seen_lists

    path = tmp_path / "state" / "seen.json"
    warnings: list[str] = []
    assert seen_lists.load(path, warnings) == {}
    early, late = _instant("2027-03-01T12:00:00Z"), _instant("2027-03-01T12:10:00Z")
    seen_lists.save(path, {"https://a.example/status/1": late}, warnings)
    # Another run, which had only seen the earlier list, saves after: the newer date stays.
    seen_lists.save(
        path,
        {"https://a.example/status/1": early, "https://a.example/status/2": early},
        warnings,
    )
    assert seen_lists.load(path, warnings) == {
        "https://a.example/status/1": late,
        "https://a.example/status/2": early,
    }
    assert warnings == []


def test_an_unreadable_seen_lists_file_is_started_anew_with_a_warning(tmp_path: Path) -> None:
    from issuer.cli import seen_lists

    path = tmp_path / "seen.json"
    for content in ("not json", "[]", '{"lists": {"https://a.example/s/1": "yesterday"}}'):
        path.write_text(content)
        warnings: list[str] = []
        assert seen_lists.load(path, warnings) == {}
        assert "started anew" in warnings[0]
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    warnings = []
    seen_lists.save(blocked / "seen.json", {}, warnings)  # its parent is a file
    assert "could not be kept" in warnings[0]


def test_the_seen_lists_file_defaults_to_the_state_directory(
    tmp_path: Path, seen_status_lists: Path
) -> None:
    from issuer.cli import seen_lists

    assert seen_lists.seen_lists_path(tmp_path) == (
        tmp_path / ".local" / "state" / "certreg" / "seen-status-lists.json"
    )
    # Online verification without --seen-lists keeps its memory there (the tests' home).
    assert seen_lists.default_path() == seen_status_lists
