"""Every process that ``certreg issue-bulk`` or ``certreg bench`` starts ends with the process
that started it, however that one ends: killed outright (SIGKILL), it runs no cleanup code,
and a bulk run's signing and writing processes hold the decrypted signing key.

Each test starts the real thing in a process of its own, finds the processes it started
(``/proc/<pid>/task/*/children``, Linux), kills it with SIGKILL and asserts that they are
gone within a few seconds, where they had lived on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from issuer import lifeline
from issuer.bench.env import start_server
from tests.backoffice import BackOffice, member, roster_evidence, setup_scheme
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="finds child processes through /proc (Linux)"
)

GONE_WITHIN = 5.0
"""Seconds the orphans get to end: the watch ends them at once; the margin is for a loaded
machine."""


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(p) for p in (task / "children").read_text().split())
        except OSError:  # the task (or the process) ended meanwhile
            continue
    return found


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid``, children of children included."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in _children(todo.pop()) - found:
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended and waiting to be reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "(gone)"


def _survivors(pids: set[int], seconds: float = GONE_WITHIN) -> set[int]:
    """Those of ``pids`` still running after ``seconds`` (fewer seconds if all end first)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = {p for p in pids if _alive(p)}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _kill_all(pids: set[int]) -> None:
    """Processes this test started and that outlived the assertion: not left to the run."""
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _issued(database: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            (count,) = connection.execute("SELECT count(*) FROM bulk_items").fetchone()
    except sqlite3.Error:
        return 0
    return int(count)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_bulk_run_killed_outright_leaves_no_signing_or_writing_process(
    office: BackOffice, tmp_path: Path
) -> None:
    """``certreg issue-bulk --workers 4`` on SQLite: a writing process, two signing
    processes (and multiprocessing's resource tracker). Killed with SIGKILL in the middle of
    the run, none of them is left: they hold the key in clear."""
    setup_scheme(office)
    decider = member(office, "decider").staff_id
    effective = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    roster = tmp_path / "roster.jsonl"
    with roster.open("w", encoding="utf-8") as out:
        for i in range(40_000):
            row = {
                "external_id": f"killed-{i:06d}",
                "given_name": f"Ana{i}",
                "family_name": "Moreau",
                "scheme": "WI",
                "scope": ["VT-STEEL"],
                "effective_date": effective,
                "decided_by": decider,
                **roster_evidence(datetime.now(UTC).date()),
            }
            out.write(json.dumps(row) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env["CERTREG_KEY_PASSPHRASE"] = PASSPHRASE
    env["CERTREG_TOKEN"] = member(office, "decider").token
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from issuer.cli import main; main()",
            "issue-bulk",
            str(roster),
            "--workers",
            "4",
            "--data-dir",
            str(tmp_path),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    started: set[int] = set()
    try:
        # The run is under way: its processes started, its first chunk committed.
        _wait_for(lambda: len(_descendants(run.pid)) >= 4, 60, "the run's processes")
        _wait_for(lambda: _issued(tmp_path / "issuer.sqlite3") > 0, 120, "a first chunk")
        started = _descendants(run.pid)
        assert run.poll() is None, "the run ended before it could be killed"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        left = _survivors(started)
        assert not left, "outlived the run: " + "; ".join(_command(p) for p in sorted(left))
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=30)
        _kill_all(started | _descendants(run.pid))
        assert run.stderr is not None
        run.stderr.close()
    assert 0 < _issued(tmp_path / "issuer.sqlite3") < 40_000


_BUSY_WRITER = """
import sys, time
from datetime import UTC, datetime
from issuer.bulk.writes import ChunkWrite, UnsignedCredentials, WritingProcess, pack
from issuer.credentials.signing import Algorithm, generate_key, load_signer
from issuer.credentials.status import ListClaims

if __name__ == "__main__":
    key = generate_key(Algorithm.ES256, passphrase=b"lifeline")
    signer = load_signer(
        kid=key.kid, alg=key.alg, encrypted_private_key=key.encrypted_private_key,
        passphrase=b"lifeline",
    )
    process = WritingProcess(f"sqlite:///{sys.argv[1]}", signer=signer)
    process.wait_ready()
    unsigned = UnsignedCredentials(
        start=0, kid=key.kid, did="did:web:certs.example.test", header={"typ": "vc+jwt"},
        payloads=[b"{}"] * int(sys.argv[2]),
    )
    chunk = ChunkWrite(
        at=datetime.now(UTC), external_ids=[], certificate_numbers=[], recheck=[],
        lists=ListClaims(lists=(), counts=(), close_at=1), rows=[], outbox=[], audit={},
        unsigned=unsigned,
    )
    process.send(pack(chunk))
    print(process._process.pid, flush=True)
    time.sleep(600)
"""


def test_a_writing_process_in_the_middle_of_a_chunk_ends_with_its_parent(
    tmp_path: Path,
) -> None:
    """The writing process, busy signing the share of a chunk left to it (far longer than
    the seconds it is given), ends at once when the run is killed, rather than finishing
    the chunk for nobody, with the key in memory."""
    script = tmp_path / "busy_writer.py"
    script.write_text(_BUSY_WRITER, encoding="utf-8")
    parent = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "issuer.sqlite3"), "400000"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    writer: set[int] = set()
    try:
        writer = {int(parent.stdout.readline())}
        time.sleep(0.5)  # well into the chunk's signatures
        assert _alive(next(iter(writer)))
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        left = _survivors(writer)
        assert not left, f"the writing process outlived its parent by {GONE_WITHIN} s"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=30)
        _kill_all(writer)
        parent.stdout.close()


BARE = {"app": "bare", "workers": 2}


def test_bench_servers_end_when_their_master_is_killed_outright() -> None:
    """A bench server's master killed with SIGKILL (not by the bench, which closes its
    standard input): its worker processes, which serve the port, end too."""
    server = start_server(BARE, ready_path="/ping")
    workers = set(server.pids)
    try:
        assert len(workers) == 2
        assert all(_alive(p) for p in workers)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=30)
        left = _survivors(workers)
        assert not left, "outlived their master: " + "; ".join(_command(p) for p in left)
    finally:
        _kill_all(workers)
        server.stop()
        assert server.process.stdout is not None
        server.process.stdout.close()


_BENCH = """
import json, sys, time
from issuer.bench.env import start_server
server = start_server(json.loads(sys.argv[1]), ready_path="/ping")
print(json.dumps([server.process.pid, *server.pids]), flush=True)
time.sleep(600)
"""


def test_bench_servers_end_when_the_bench_is_killed_outright() -> None:
    """The bench killed with SIGKILL while a server runs: its master sees its standard input
    close and stops its workers; none is left."""
    bench = subprocess.Popen(
        [sys.executable, "-c", _BENCH, json.dumps(BARE)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert bench.stdout is not None
    started: set[int] = set()
    try:
        started = set(json.loads(bench.stdout.readline()))
        assert len(started) == 3
        bench.send_signal(signal.SIGKILL)
        bench.wait(timeout=30)
        left = _survivors(started)
        assert not left, "outlived the bench: " + "; ".join(_command(p) for p in left)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait(timeout=30)
        _kill_all(started)
        bench.stdout.close()


def test_a_process_not_started_by_multiprocessing_has_no_parent_to_follow() -> None:
    """The test run itself was not started by :mod:`multiprocessing`: nothing to watch, and
    nothing happens."""
    assert lifeline.die_with_parent() is False
