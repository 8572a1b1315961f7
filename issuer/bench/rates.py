"""How the benchmark measures a rate, and the ceilings that every figure is set beside.

:func:`_rate` counts an operation's runs per second over a time, and :func:`_best_rate`
keeps the best of several windows, since a ceiling is what the machine can do;
:func:`raw_signature_rates` are the ES256 ceilings on one core; :func:`load` puts 64
connections on a server (``wrk`` if installed, else :mod:`issuer.bench.load`) and gives its
answers per second and latencies; :func:`load_once` sends requests that work once each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from issuer.bench import load as bench_load
from issuer.bench.figures import BenchOptions
from issuer.runtime import system_entropy

__all__ = ["load", "load_once", "raw_signature_rates"]


# ── ceilings ─────────────────────────────────────────────────────────────────────────────
def _rate(operation: Callable[[], object], seconds: float) -> float:
    """Operations per second of ``operation`` over about ``seconds``, batched by 100."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            operation()
        done += 100
    return done / (time.perf_counter() - started)


VERIFY_WINDOWS = 4
"""Windows the verification rates are the best of (offline verification, SD-JWT VC): their
ceiling, the raw verify rate, is the best of eight, and a ratio whose two sides were read
differently is biased on a shared machine (a neighbour's moment lowers a one-window rate,
never the best of eight). Four windows of the same total time, since a verification runs
a few thousand times a window, not tens of thousands."""


def _best_rate(operation: Callable[[], object], seconds: float, *, windows: int = 8) -> float:
    """The best of ``windows`` rates of ``operation``, each over an equal part of
    ``seconds``: a ceiling is what the machine can do, and a neighbour's moment on the
    shared core must not lower it (one 2-second reading of the signing rate gave 34,600/s
    among readings of 40,000-45,000, and every ratio of that run rose with it)."""
    return max(_rate(operation, seconds / windows) for _ in range(windows))


def raw_signature_rates(seconds: float) -> tuple[float, float]:
    """ES256 sign and verify per second with ``cryptography`` on this core, over a payload
    the size of a certificate credential's signing input: each the best of eight windows
    of ``seconds`` in all (:func:`_best_rate`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    message = system_entropy(1700)
    algorithm = ec.ECDSA(hashes.SHA256())
    signature = key.sign(message, algorithm)
    sign = _best_rate(lambda: key.sign(message, algorithm), seconds)
    verify = _best_rate(lambda: public.verify(signature, message, algorithm), seconds)
    return sign, verify


def load(base_url: str, paths: list[str], options: BenchOptions) -> dict[str, Any]:
    """Load a server with 64 connections: ``wrk`` if installed, else :mod:`issuer.bench.load`
    in its own process. Any answer but 2xx fails the run (a fast error is no figure)."""
    host, port = base_url.removeprefix("http://").split(":")
    if bench_load.wrk_path() is not None:
        result = bench_load.run_wrk(
            host=host,
            port=int(port),
            paths=paths,
            connections=64,
            duration=options.load_seconds,
            warmup=options.warmup_seconds,
        )
        bad = {s: c for s, c in result["statuses"].items() if s != "2xx/3xx"}
    else:
        job = {
            "host": host,
            "port": int(port),
            "paths": paths,
            "connections": 64,
            "duration": options.load_seconds,
            "warmup": options.warmup_seconds,
        }
        done = subprocess.run(
            [sys.executable, "-m", "issuer.bench.load"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout)
        bad = {s: c for s, c in result["statuses"].items() if not s.startswith("2")}
    if bad or not result["requests"]:
        raise RuntimeError(f"the load on {paths[0]} was answered {result['statuses']}")
    return result


def load_once(
    base_url: str, requests: list[str], *, connections: int, warmup: int
) -> dict[str, Any]:
    """Send each of ``requests`` (whole HTTP/1.1 messages) once over ``connections``
    connections, with :func:`issuer.bench.load.run_once` in its own process; the first
    ``warmup`` are not counted. Any answer but 2xx fails the run, as for :func:`load`."""
    host, port = base_url.removeprefix("http://").split(":")
    job = {
        "host": host,
        "port": int(port),
        "requests": requests,
        "connections": connections,
        "warmup": warmup,
    }
    done = subprocess.run(
        [sys.executable, "-m", "issuer.bench.load"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    bad = {s: c for s, c in result["statuses"].items() if not s.startswith("2")}
    if bad or not result["requests"]:
        raise RuntimeError(f"the requests were answered {result['statuses']}")
    return result
