"""The load generators of ``certreg bench``: ``wrk`` when it is installed, else raw HTTP/1.1
keep-alive GETs over asyncio streams; and requests that may each be sent only once.

``wrk`` (Debian's package) is a C program: at tens of thousands of requests per second it
leaves the cores to the servers it measures, where a Python client would itself become the
ceiling. :func:`run_wrk` drives it with a Lua script that walks the paths round robin and
prints its figures as JSON; a short run before the measured one warms the server.

The built-in generator runs as its own process (``python -m issuer.bench.load``, reading
its job as JSON on standard input and answering JSON on standard output), so it never shares
an interpreter lock with the server or the bench. Either generator drives the bare endpoint
and the registry alike, so their ratio compares the servers, not the clients. Each
connection sends one request at a time; the built-in one times it from the first byte
written to the last byte read, and requests completed during the warm-up are not counted.

Some requests work once only: a wallet's credential request spends its access token and its
``c_nonce``. :func:`run_once` sends each of a list of prepared requests (whole HTTP/1.1
messages, bodies and all) exactly once over its connections, each taking the next one as it
is free, and counts all but the first ``warmup``; ``wrk`` would need a Lua script to send a
different body each time, and at a few hundred requests a second a Python client is not
the limit.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LoadResult", "percentile", "run_load", "run_once", "run_wrk", "wrk_path"]


@dataclass(slots=True)
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "requests": self.requests,
            "seconds": self.seconds,
            "rate": self.rate,
            "p50_ms": percentile(ordered, 0.50) * 1000,
            "p99_ms": percentile(ordered, 0.99) * 1000,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def percentile(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = math.ceil(fraction * len(ordered))  # the smallest value with that share at or below
    return ordered[max(0, min(len(ordered), rank) - 1)]


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response with a Content-Length body; returns its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("the load generator reads Content-Length bodies only")
    if length:
        await reader.readexactly(length)
    return status


async def _connection(
    host: str,
    port: int,
    requests: list[bytes],
    offset: int,
    window: tuple[float, float],
    result: LoadResult,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    start, stop = window
    index = offset
    count = len(requests)
    try:
        while True:
            sent = time.perf_counter()
            if sent >= stop:
                return
            writer.write(requests[index % count])
            index += 1
            status = await _read_response(reader)
            done = time.perf_counter()
            if start <= sent and done <= stop:
                result.requests += 1
                result.latencies.append(done - sent)
                result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _run(
    host: str, port: int, paths: list[str], connections: int, duration: float, warmup: float
) -> LoadResult:
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()
        for path in paths
    ]
    result = LoadResult()
    begin = time.perf_counter() + 0.05
    window = (begin + warmup, begin + warmup + duration)
    stride = max(1, len(requests) // connections)
    await asyncio.gather(
        *(_connection(host, port, requests, i * stride, window, result) for i in range(connections))
    )
    result.seconds = duration
    return result


def run_load(
    *,
    host: str,
    port: int,
    paths: list[str],
    connections: int = 64,
    duration: float = 5.0,
    warmup: float = 1.0,
) -> LoadResult:
    """Keep ``connections`` keep-alive connections busy with GETs of ``paths`` (round robin,
    each connection starting at its own place) for ``warmup`` + ``duration`` seconds."""
    if not paths:
        raise ValueError("the load needs at least one path")
    return asyncio.run(_run(host, port, paths, connections, duration, warmup))


async def _run_once(
    host: str, port: int, requests: list[bytes], connections: int, warmup: int
) -> LoadResult:
    result = LoadResult()
    taken = 0
    window = [math.inf, 0.0]  # first counted request sent, last counted answer read

    async def connection() -> None:
        nonlocal taken
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while taken < len(requests):
                index = taken
                taken += 1
                sent = time.perf_counter()
                writer.write(requests[index])
                status = await _read_response(reader)
                done = time.perf_counter()
                if index >= warmup:
                    result.requests += 1
                    result.latencies.append(done - sent)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    window[0], window[1] = min(window[0], sent), max(window[1], done)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    result.seconds = max(0.0, window[1] - window[0])
    return result


def run_once(
    *, host: str, port: int, requests: list[bytes], connections: int, warmup: int
) -> LoadResult:
    """Send each of ``requests`` (whole HTTP/1.1 messages) once, over ``connections``
    keep-alive connections; the first ``warmup`` are not counted, and the rate is over the
    time from the first counted request sent to the last counted answer read."""
    if len(requests) <= warmup:
        raise ValueError("the load needs more requests than its warm-up")
    return asyncio.run(_run_once(host, port, requests, connections, warmup))


def wrk_path() -> str | None:
    """Where ``wrk`` is installed, if it is."""
    return shutil.which("wrk")


_WRK_SCRIPT = """
local paths = {}
for line in io.lines(%(file)s) do table.insert(paths, line) end
local counter = 0
local threads = {}

function setup(thread)
  thread:set("offset", counter * %(stride)d)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  index = offset
  host = wrk.host .. ":" .. wrk.port
end

function request()
  index = index + 1
  local path = paths[(index %% #paths) + 1]
  return "GET " .. path .. " HTTP/1.1\\r\\nHost: " .. host ..
    "\\r\\nAccept: application/json\\r\\n\\r\\n"
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "WRK-JSON {\\"requests\\": %%d, \\"microseconds\\": %%d, \\"p50_us\\": %%d, " ..
    "\\"p99_us\\": %%d, \\"non_2xx_3xx\\": %%d, \\"socket_errors\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""


def run_wrk(
    *,
    host: str,
    port: int,
    paths: list[str],
    connections: int = 64,
    duration: float = 5.0,
    warmup: float = 1.0,
    threads: int = 2,
) -> dict[str, Any]:
    """The same measure as :func:`run_load`, made by ``wrk``: ``connections`` keep-alive
    connections over ``threads`` threads for ``duration`` seconds, after a ``warmup`` run
    whose figures are dropped. Latency percentiles are wrk's (microsecond resolution)."""
    program = wrk_path()
    if program is None:
        raise RuntimeError("wrk is not installed")
    if not paths:
        raise ValueError("the load needs at least one path")
    if any(not p.isascii() or not p.isprintable() or " " in p for p in paths):
        raise ValueError("paths handed to wrk must be printable ASCII without spaces")
    stride = max(1, len(paths) // max(1, threads))
    with tempfile.TemporaryDirectory(prefix="certreg-wrk-") as directory:
        listing = Path(directory) / "paths.txt"
        listing.write_text("".join(f"{p}\n" for p in paths), encoding="ascii")
        script = Path(directory) / "load.lua"
        script.write_text(
            _WRK_SCRIPT % {"file": json.dumps(str(listing)), "stride": stride}, encoding="ascii"
        )
        figures: dict[str, Any] = {}
        for seconds in (warmup, duration):
            if seconds <= 0:
                continue
            done = subprocess.run(  # noqa: S603 - wrk from PATH, arguments built here
                [
                    program,
                    f"-t{threads}",
                    f"-c{connections}",
                    f"-d{max(1, math.ceil(seconds))}s",
                    "--timeout",
                    "10s",
                    "-s",
                    str(script),
                    f"http://{host}:{port}",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-JSON ")), None)
            if line is None:
                raise RuntimeError(f"wrk printed no figures: {done.stdout[-500:]}{done.stderr}")
            figures = json.loads(line.removeprefix("WRK-JSON "))
    seconds = figures["microseconds"] / 1e6
    requests = int(figures["requests"])
    failed = int(figures["non_2xx_3xx"])
    statuses = {"2xx/3xx": requests - failed}
    if failed:
        statuses["4xx/5xx"] = failed
    if figures["socket_errors"]:
        statuses["socket errors"] = int(figures["socket_errors"])
    return {
        "requests": requests,
        "seconds": seconds,
        "rate": requests / seconds if seconds > 0 else 0.0,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "statuses": statuses,
        "generator": "wrk",
    }


def main() -> None:
    job = json.load(sys.stdin)
    if "requests" in job:
        once = run_once(
            host=job["host"],
            port=int(job["port"]),
            requests=[r.encode("utf-8") for r in job["requests"]],
            connections=int(job["connections"]),
            warmup=int(job["warmup"]),
        )
        json.dump(once.as_json(), sys.stdout)
        return
    result = run_load(
        host=job["host"],
        port=int(job["port"]),
        paths=list(job["paths"]),
        connections=int(job["connections"]),
        duration=float(job["duration"]),
        warmup=float(job["warmup"]),
    )
    json.dump(result.as_json(), sys.stdout)


if __name__ == "__main__":
    main()
