"""The load generator of ``certreg bench``: raw HTTP/1.1 keep-alive GETs over asyncio streams.

It runs as its own process (``python -m issuer.bench_load``, reading its job as JSON on
standard input and answering JSON on standard output), so it never shares an interpreter
lock with the server or the bench. The same generator drives the bare endpoint and the
registry, so their ratio compares the servers, not the clients. Each connection sends one
request at a time and times it from the first byte written to the last byte read; requests
completed during the warm-up are not counted.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoadResult", "percentile", "run_load"]


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


def main() -> None:
    job = json.load(sys.stdin)
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
