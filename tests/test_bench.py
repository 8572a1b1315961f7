"""``certreg bench`` runs end to end on a small registry and reports every figure.

The figures themselves are not asserted against their targets: they are measurements on a
shared machine (docs/PERFORMANCE.md records them). What is asserted is that every phase ran
for real — every row printed, every figure a positive number, every ratio consistent with
its figure and ceiling — and that the run left no store behind.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from issuer.bench import rates
from issuer.bench import run as bench_run
from issuer.bench.env import BenchEnv
from issuer.bench.figures import BenchResult, Figure
from issuer.bench.load import percentile, run_once
from issuer.cli import app
from tests.conftest import PostgresSchema

ROWS = (
    "ES256 sign, 1 core (ceiling)",
    "ES256 verify, 1 core (ceiling)",
    "bare FastAPI endpoint (ceiling)",
    "bulk issuance, single process",
    "bulk issuance, all cores",
    "offline verification",
    "re-sign + publish one status list",
    "re-sign every list, 1,000,000 certifications",
    "SD-JWT VC verification",
    "SD-JWT VC presentation, 3 claims, key-bound",
    "OpenID4VCI credential endpoint",
    "OpenID4VCI credential endpoint p50",
    "OpenID4VCI credential endpoint p99",
    "registry seeding (sign + insert)",
    "lookup /register/…",
    "lookup /register/… p50",
    "lookup /register/… p99",
    "status list /status/…",
    "status change → served list p50",
    "status change → served list p99",
    "registry peak RSS (master + 2 workers)",
    "rebuild + sign a 1,000,000-entry list",
)
KEYS = {
    "raw_sign",
    "raw_verify",
    "bare_rps",
    "bulk_single",
    "bulk_all_cores",
    "offline_verify",
    "list_renewal_ms",
    "list_renewal_1m_ms",
    "sd_jwt_verify",
    "sd_jwt_presentation_verify",
    "oid4vci_rps",
    "oid4vci_p50_ms",
    "oid4vci_p99_ms",
    "registry_seed",
    "lookup_rps",
    "lookup_p50_ms",
    "lookup_p99_ms",
    "status_rps",
    "change_p50_ms",
    "change_p99_ms",
    "registry_rss_mb",
    "list_rebuild_ms",
}


def _engine_args(backend: str, request: pytest.FixtureRequest) -> list[str]:
    if backend == "sqlite":
        return []
    target: PostgresSchema = request.getfixturevalue("postgres_schema")
    return ["--engine", "postgresql", "--database-url", target.url]


def _check_figures(data: dict[str, Any], engine: str) -> None:
    assert data["n"] == 2000
    assert data["engine"] == engine
    figures = data["figures"]
    assert set(figures) == KEYS
    for key, figure in figures.items():
        value = figure["value"]
        assert isinstance(value, int | float), key
        assert math.isfinite(value), key
        assert value > 0, key
        if figure["ceiling"] is not None:
            ceiling = figures[figure["ceiling"]]["value"]
            assert figure["ratio"] == pytest.approx(value / ceiling), key
        assert isinstance(figure["passed"], bool) is bool(figure["target"]), key
    assert figures["lookup_p50_ms"]["value"] <= figures["lookup_p99_ms"]["value"]
    assert figures["oid4vci_p50_ms"]["value"] <= figures["oid4vci_p99_ms"]["value"]
    # 256 credential requests, each spending its own token and nonce; 32 of warm-up.
    assert "224 requests timed, 16 connections" in figures["oid4vci_rps"]["note"]
    # Seven claims and one or two scope items, each a disclosure of its own.
    assert "every disclosure (8–9)" in figures["sd_jwt_verify"]["note"]
    assert figures["change_p50_ms"]["value"] <= figures["change_p99_ms"]["value"]
    assert "bits set" in figures["list_rebuild_ms"]["note"]
    assert "2 lists of 131,072 entries" in figures["list_renewal_ms"]["note"]
    assert "32 lists" in figures["list_renewal_1m_ms"]["note"]
    assert figures["list_renewal_1m_ms"]["value"] == pytest.approx(
        figures["list_renewal_ms"]["value"] * 32
    )
    machine = data["machine"]
    assert machine["cores"] >= 1
    assert machine["python"]
    assert machine["sqlite"]
    assert len(machine["load_average_start"]) == 3
    assert len(machine["load_average_end"]) == 3
    if engine == "postgresql":
        assert machine["postgresql"]


def test_bench_prints_every_row_and_saves_positive_figures(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    saved = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from issuer.cli import main; main()",
            "bench",
            "--n",
            "2000",
            "--save",
            str(saved),
            *_engine_args(backend, request),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for row in ROWS:
        assert row in done.stdout, row
    assert f"N = 2,000, {backend}" in done.stdout
    assert done.stdout.count("pass") + done.stdout.count("miss") == 12
    _check_figures(json.loads(saved.read_text("utf-8")), backend)
    assert list(tmp_path.iterdir()) == [saved]  # no store left in the working directory


def test_json_output_is_the_saved_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--json`` prints exactly what ``--save`` writes (the run itself is tested above)."""
    result = BenchResult(
        n=2000,
        engine="sqlite",
        machine={"cores": 2, "load_average_start": [1.0, 1.0, 1.0]},
        figures=[
            Figure("raw_sign", "ES256 sign, 1 core (ceiling)", 50_000.0, "/s"),
            Figure("bulk_single", "bulk", 10_000.0, "rows/s", "raw_sign", 0.2, "≥ 0.15×", True),
        ],
    )
    monkeypatch.setattr(bench_run, "run_bench", lambda options, say: result)
    answer = CliRunner().invoke(app, ["bench", "--n", "2000", "--json"])
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.stdout) == result.as_json()
    refused = CliRunner().invoke(app, ["bench", "--engine", "postgresql"])
    assert refused.exit_code == 2
    assert "--database-url" in refused.output


def test_percentiles_are_nearest_rank() -> None:
    ordered = [float(i) for i in range(1, 101)]
    assert percentile(ordered, 0.5) == 50.0
    assert percentile(ordered, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


class _Counter(BaseHTTPRequestHandler):
    """Answers every POST 200 (the body it got) on a kept-alive connection, or 409 for a
    body it already had: what a request that works once meets when sent twice."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = 409 if body in self.seen else 200
        self.seen.append(body)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_requests_that_work_once_are_each_sent_once() -> None:
    """The credential requests' generator sends every prepared request exactly once, over
    its connections, and counts all but the warm-up."""
    _Counter.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        requests = [
            f"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: {len(str(i))}\r\n\r\n{i}".encode()
            for i in range(40)
        ]
        result = run_once(
            host=str(host), port=int(port), requests=requests, connections=4, warmup=8
        )
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(_Counter.seen) == sorted(str(i).encode() for i in range(40))
    assert result.requests == 32
    assert result.statuses == {200: 32}
    assert len(result.latencies) == 32
    assert result.seconds > 0
    with pytest.raises(ValueError, match="warm-up"):
        run_once(host="127.0.0.1", port=1, requests=requests[:8], connections=4, warmup=8)


def test_a_ceiling_is_the_best_of_its_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dip on the shared core during one window does not lower the ceiling that every
    ratio of the run is taken against."""
    readings = iter([41_000.0, 29_000.0, 44_000.0, 43_500.0])
    windows: list[float] = []

    def rate(operation: Any, seconds: float) -> float:
        windows.append(seconds)
        return next(readings)

    monkeypatch.setattr(rates, "_rate", rate)
    assert rates._best_rate(lambda: None, 2.0, windows=4) == 44_000.0
    assert windows == [0.5] * 4


def test_a_measured_store_is_dropped_and_the_registry_settled(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """A bulk phase's store goes once measured, the others stay; settling the registry
    (vacuum and analyse on PostgreSQL, a checkpoint, the kernel's write-back) leaves it
    serving what it held."""
    url = None if backend == "sqlite" else request.getfixturevalue("postgres_schema").url
    env = BenchEnv(engine=backend, database_url=url)
    try:
        measured = env.issuer_store("bulk-one")
        kept = env.issuer_store("bulk-all")
        registry_url, schema = env.location("registry")
        registry = env.registry_store(registry_url, schema)
        schemas = list(env._schemas)  # the three stores' schemas on PostgreSQL

        def places() -> set[str]:
            if backend == "sqlite":
                return {p.name for p in env.directory.iterdir()}
            import psycopg

            assert url is not None
            with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (schemas,)
                ).fetchall()
            return {name for (name,) in rows}

        before = places()
        env.drop(measured)
        after = places()
        gone = before - after
        assert after <= before
        if backend == "sqlite":  # the file with its write-ahead log and shared memory
            assert "bulk-one.sqlite3" in gone
            assert all(name.startswith("bulk-one.sqlite3") for name in gone)
            assert {"bulk-all.sqlite3", "registry.sqlite3"} <= after
        else:
            assert len(schemas) == 3
            assert len(gone) == 1
            assert len(after) == 2
        assert measured not in env._stores
        env.settle(registry)
        env.settle()
        assert registry.list("register-entry") == []
        with kept.transaction() as tx:
            assert tx.verify_audit_chain().intact
    finally:
        env.close()
    if backend == "sqlite":
        assert not env.directory.exists()
