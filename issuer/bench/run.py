"""``certreg bench``: certreg's speed measured against this machine's own limits, in one run.

Absolute rates move from machine to machine, so every figure is printed beside the ceiling
it is bounded by, measured in the same run on the same cores: bulk issuance against the raw
ES256 signature rate, offline verification against the raw verification rate, the public
lookups against a bare FastAPI endpoint served the same way (two uvicorn workers, 64
keep-alive connections from the same load generator, :mod:`issuer.bench.load`). The targets
are those of the performance work (docs/PERFORMANCE.md); a miss is reported, not raised —
this is a measurement, and a shared machine makes single runs noisy.

Everything runs in throwaway stores (:mod:`issuer.bench.env`); nothing touches a
deployment's data.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from rich.console import Console
from rich.table import Table

from issuer.bench import load as bench_load
from issuer.bench import registry as bench_registry
from issuer.bench import resign as bench_resign
from issuer.bench.env import BenchEnv, Office, start_server
from issuer.bench.load import percentile
from issuer.bulk.issuance import issue_batch
from issuer.credentials import keys
from issuer.credentials.signing import SigningPool
from issuer.credentials.status import sign_status_list
from issuer.runtime import system_clock, system_entropy
from verifier import StaticKeys, StaticStatusLists, TrustPolicy, Verifier

__all__ = ["BenchOptions", "BenchResult", "Figure", "render", "run_bench"]

STATUS_LIST_ENTRIES = 1_000_000
"""The status lists of the status-change phase: the size the rebuild target names."""
LIST_ENTRIES = 131_072
"""The status lists of the bulk phases: the default size (CERTREG_STATUS_LIST_ENTRIES)."""


@dataclass(frozen=True, slots=True)
class BenchOptions:
    n: int
    engine: str = "sqlite"
    database_url: str | None = None

    @property
    def quick(self) -> bool:
        return self.n <= 5_000

    @property
    def load_seconds(self) -> float:
        return 2.0 if self.quick else 5.0 if self.n <= 100_000 else 10.0

    @property
    def warmup_seconds(self) -> float:
        return 0.5 if self.quick else 1.0

    @property
    def crypto_seconds(self) -> float:
        return 0.5 if self.quick else 2.0

    @property
    def trials(self) -> int:
        """Status changes timed (each waits for the served list)."""
        return 12 if self.quick else 60


@dataclass(slots=True)
class Figure:
    """One measured figure, and how it compares with its ceiling and its target."""

    key: str
    name: str
    value: float
    unit: str
    ceiling: str | None = None
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""


@dataclass(slots=True)
class BenchResult:
    n: int
    engine: str
    machine: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def value(self, key: str) -> float:
        return next(f.value for f in self.figures if f.key == key)

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "engine": self.engine,
            "machine": self.machine,
            "figures": {f.key: asdict(f) for f in self.figures},
        }


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


# ── the run ──────────────────────────────────────────────────────────────────────────────
def _machine() -> dict[str, Any]:
    """Where the figures come from: they mean little without it."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
        "load_average_start": list(os.getloadavg()),
        "uvicorn": importlib.metadata.version("uvicorn"),
        "uvicorn_http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "uvicorn_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "load_generator": "wrk" if bench_load.wrk_path() else "built-in (asyncio)",
        "started_at": system_clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _ratio(value: float, ceiling: float) -> float:
    return value / ceiling if ceiling > 0 else 0.0


def run_bench(options: BenchOptions, say: Callable[[str], None]) -> BenchResult:
    """Measure everything; ``say`` hears what is being measured as it starts."""
    result = BenchResult(n=options.n, engine=options.engine, machine=_machine())
    env = BenchEnv(engine=options.engine, database_url=options.database_url)
    try:
        if options.engine == "postgresql":
            result.machine["postgresql"] = env.server_version()
        _run(env, options, result, say)
    finally:
        env.close()
    result.machine["load_average_end"] = list(os.getloadavg())
    return result


def _bulk(env: BenchEnv, options: BenchOptions, *, workers: int, name: str) -> tuple[Office, float]:
    """Issue N roster rows into a fresh store; the rows per second ``issue_batch`` reports."""
    store = env.issuer_store(name)
    office = env.office(store, now=system_clock(), entropy=system_entropy)
    report = issue_batch(
        store,
        office.rows(options.n, prefix=name, today=system_clock().date()),
        clock=system_clock,
        entropy=system_entropy,
        keyring=env.keyring,
        identity=env.identity,
        workers=workers,
    )
    if report.issued != options.n:
        raise RuntimeError(f"bulk issuance issued {report.issued} of {options.n} rows")
    return office, report.rate


def _offline_verification(env: BenchEnv, office: Office, options: BenchOptions) -> float:
    """Verifications per second of issued credentials, keys and status lists in hand."""
    now = system_clock()
    sample = [f"bulk-all-{i}" for i in range(min(options.n, 5_000))]
    with office.store.transaction() as tx:
        items = tx.bulk_items(sample)
        tokens = []
        for item in items.values():
            credential = tx.get_credential(item.credential_id)
            assert credential is not None
            tokens.append(credential.jws)
        did_document = keys.did_document(env.identity, keys.published_keys(tx, now=now))
        signer = env.keyring.signer(tx)
        lists = {}
        for status_list in tx.list_status_lists():
            signed = sign_status_list(
                tx, status_list.id, identity=env.identity, signer=signer, now=now, ttl_seconds=300
            )
            assert signed is not None
            lists[env.identity.status_list_url(status_list.id)] = signed
    verifier = Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset({env.identity.did})),
        keys=StaticKeys(did_documents={env.identity.did: did_document}),
        status=StaticStatusLists(lists),
    )
    checked = system_clock()
    for token in tokens[:10]:  # a wrong setup must fail here, not look fast
        verifier.verify(token, now=checked)
    position = 0

    def verify_next() -> None:
        nonlocal position
        verifier.verify(tokens[position % len(tokens)], now=checked)
        position += 1

    return _rate(verify_next, options.crypto_seconds * 2)


def _run(
    env: BenchEnv, options: BenchOptions, result: BenchResult, say: Callable[[str], None]
) -> None:
    n = options.n
    say("raw ES256 sign and verify on one core")
    sign, verify = raw_signature_rates(options.crypto_seconds)
    result.add(Figure("raw_sign", "ES256 sign, 1 core (ceiling)", sign, "/s"))
    result.add(Figure("raw_verify", "ES256 verify, 1 core (ceiling)", verify, "/s"))

    say("bare FastAPI JSON endpoint, 2 uvicorn workers, 64 connections")
    server = start_server({"app": "bare", "workers": 2}, ready_path="/ping")
    try:
        bare = load(server.base_url, ["/ping"], options)
    finally:
        server.stop()
    result.add(
        Figure(
            "bare_rps",
            "bare FastAPI endpoint (ceiling)",
            bare["rate"],
            "req/s",
            note=f"p50 {bare['p50_ms']:.1f} ms, p99 {bare['p99_ms']:.1f} ms",
        )
    )

    say(f"bulk issuance of {n:,} rows, single process")
    env.settle()
    one_office, single = _bulk(env, options, workers=1, name="bulk-one")
    env.drop(one_office.store)
    result.add(
        Figure(
            "bulk_single",
            "bulk issuance, single process",
            single,
            "rows/s",
            "raw_sign",
            _ratio(single, sign),
            "≥ 0.15×",
            _ratio(single, sign) >= 0.15,
        )
    )
    cores = bench_registry.cores()
    say(f"bulk issuance of {n:,} rows, all cores ({cores} processes)")
    env.settle()
    all_office, every = _bulk(env, options, workers=cores, name="bulk-all")
    result.add(
        Figure(
            "bulk_all_cores",
            f"bulk issuance, all cores ({cores})",
            every,
            "rows/s",
            "raw_sign",
            _ratio(every, sign),
            "≥ 0.25×",
            _ratio(every, sign) >= 0.25,
            note=f"1,000,000 rows in {1_000_000 / every:.0f} s at this rate",
        )
    )

    say("offline verification with cached keys and status lists")
    offline = _offline_verification(env, all_office, options)
    say("re-signing and publishing every status list (renewal before validUntil)")
    renewal = bench_resign.renew_all_lists(env, all_office, list_entries=LIST_ENTRIES)
    env.drop(all_office.store)
    result.add(
        Figure(
            "offline_verify",
            "offline verification",
            offline,
            "/s",
            "raw_verify",
            _ratio(offline, verify),
            "≥ 0.6×",
            _ratio(offline, verify) >= 0.6,
        )
    )
    _renewal_figures(result, renewal)
    _registry(env, options, result, say)


def _renewal_figures(result: BenchResult, renewal: bench_resign.ListRenewal) -> None:
    """What renewing the lists costs: per list, and for a registry of 1,000,000."""
    lists = bench_resign.lists_for(bench_resign.CERTIFICATIONS, LIST_ENTRIES)
    result.add(
        Figure(
            "list_renewal_ms",
            "re-sign + publish one status list",
            renewal.per_list_ms,
            "ms",
            note=f"{renewal.lists} lists of {LIST_ENTRIES:,} entries in "
            f"{renewal.seconds * 1000:.0f} ms; median of {bench_resign.ROUNDS}",
        )
    )
    projected = renewal.projected_seconds(LIST_ENTRIES) * 1000
    result.add(
        Figure(
            "list_renewal_1m_ms",
            "re-sign every list, 1,000,000 certifications",
            projected,
            "ms",
            target="< 10 s",
            passed=projected < 10_000,
            note=f"{lists} lists, every {bench_resign.TTL_SECONDS * 2} s at the default ttl",
        )
    )


def _registry(
    env: BenchEnv, options: BenchOptions, result: BenchResult, say: Callable[[str], None]
) -> None:
    n = options.n
    bare = result.value("bare_rps")
    say("issuer store for the status changes (1,000,000-entry lists)")
    status_store = env.issuer_store("status")
    office = env.office(status_store, now=system_clock(), entropy=system_entropy)
    first = issue_batch(
        status_store,
        office.rows(options.trials + 1, prefix="status", today=system_clock().date()),
        clock=system_clock,
        entropy=system_entropy,
        keyring=env.keyring,
        identity=env.identity,
        list_entries=STATUS_LIST_ENTRIES,
        keep_results=True,
    )
    issued = bench_registry.issued(first)
    template = bench_registry.template_entry(
        status_store, env, next(r.certification_id for r in first.results if r.certification_id)
    )

    say(f"seeding the registry with {n:,} signed register entries")
    url, schema = env.location("registry")
    registry_store = env.registry_store(url, schema)
    with status_store.transaction() as tx:
        signer = env.keyring.signer(tx)
    entry = bench_registry.EntryTemplate(template, iat=int(system_clock().timestamp()))
    pool = SigningPool(signer, workers=bench_registry.cores()) if n > 20_000 else None
    try:
        lookup, seconds = bench_registry.seed_registry(
            registry_store, entry, count=n, signer=signer, pool=pool
        )
    finally:
        if pool is not None:
            pool.close()
    result.add(
        Figure("registry_seed", "registry seeding (sign + insert)", n / seconds, "entries/s")
    )

    token = system_entropy(24).hex()
    job = {
        "app": "registry",
        "workers": 2,
        "registry_url": url,
        "search_path": schema,
        "intake_token": token,
    }
    server = start_server(job, ready_path="/.well-known/did.json")
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            say("publishing the status store to the registry over its intake")
            drain = bench_registry.publisher_drain(
                status_store, env, client, token, STATUS_LIST_ENTRIES
            )
            drain()
            bench_registry.check_sample(registry_store, lookup.keys)
            slots = bench_registry.suspension_slots(status_store, [c for _, c in issued])
            list_id = slots[0].list_id
            say("vacuuming the registry and writing back what is dirty, before the loads")
            env.settle(registry_store)

            say("public lookups /register/… at 64 connections")
            register = load(server.base_url, lookup.paths, options)
            say("status lists /status/… at 64 connections")
            served = load(server.base_url, [f"/status/{list_id}"], options)

            say(f"{options.trials} status changes through the background publisher")
            latencies = bench_registry.status_change_latencies(
                office,
                [number for number, _ in issued[1:]],
                slots[1:],
                drain=drain,
                base_url=server.base_url,
            )
        peaks = server.peak_rss_kib()
    finally:
        server.stop()

    ratio = _ratio(register["rate"], bare)
    result.add(
        Figure(
            "lookup_rps",
            "lookup /register/…",
            register["rate"],
            "req/s",
            "bare_rps",
            ratio,
            "≥ 0.35×",
            ratio >= 0.35,
        )
    )
    result.add(Figure("lookup_p50_ms", "lookup /register/… p50", register["p50_ms"], "ms"))
    result.add(
        Figure(
            "lookup_p99_ms",
            "lookup /register/… p99",
            register["p99_ms"],
            "ms",
            target="< 25 ms",
            passed=register["p99_ms"] < 25,
        )
    )
    ratio = _ratio(served["rate"], bare)
    result.add(
        Figure(
            "status_rps",
            "status list /status/…",
            served["rate"],
            "req/s",
            "bare_rps",
            ratio,
            "≥ 0.8×",
            ratio >= 0.8,
            note=f"p50 {served['p50_ms']:.1f} ms, p99 {served['p99_ms']:.1f} ms",
        )
    )
    ordered = sorted(latencies)
    result.add(
        Figure(
            "change_p50_ms",
            "status change → served list p50",
            percentile(ordered, 0.5) * 1000,
            "ms",
        )
    )
    p99 = percentile(ordered, 0.99) * 1000
    result.add(
        Figure(
            "change_p99_ms",
            "status change → served list p99",
            p99,
            "ms",
            target="< 1000 ms",
            passed=p99 < 1000,
            note=f"{len(latencies)} changes",
        )
    )
    rss = sum(peaks.values()) / 1024
    result.add(
        Figure(
            "registry_rss_mb",
            "registry peak RSS (master + 2 workers)",
            rss,
            "MB",
            target="< 300 MB",
            passed=rss < 300,
            note=f"largest process {max(peaks.values()) / 1024:.0f} MB",
        )
    )
    _rebuild(env, options, office, result, list_id, say)


def _rebuild(
    env: BenchEnv,
    options: BenchOptions,
    office: Office,
    result: BenchResult,
    list_id: str,
    say: Callable[[str], None],
) -> None:
    """Time rebuilding and signing a 1,000,000-entry list from the store, as the publisher
    does, with up to 1% of its bits set (N ≥ 10,000; fewer below)."""
    extra = min(options.n, STATUS_LIST_ENTRIES // 100)
    say(f"issuing {extra:,} more certifications and setting their status bits")
    issue_batch(
        office.store,
        office.rows(extra, prefix="rebuild", today=system_clock().date()),
        clock=system_clock,
        entropy=system_entropy,
        keyring=env.keyring,
        identity=env.identity,
        workers=bench_registry.cores() if extra > 5_000 else 1,
        list_entries=STATUS_LIST_ENTRIES,
    )
    bench_registry.set_bits(office.store, list_id, extra)
    say("rebuilding and signing the 1,000,000-entry list")
    timings = []
    with office.store.transaction() as tx:
        signer = env.keyring.signer(tx)
        set_bits = len(tx.set_slots(list_id))
        for _ in range(7):
            started = time.perf_counter()
            signed = sign_status_list(
                tx,
                list_id,
                identity=env.identity,
                signer=signer,
                now=system_clock(),
                ttl_seconds=300,
            )
            timings.append(time.perf_counter() - started)
            assert signed is not None
    value = statistics.median(timings) * 1000
    result.add(
        Figure(
            "list_rebuild_ms",
            "rebuild + sign a 1,000,000-entry list",
            value,
            "ms",
            target="< 50 ms",
            passed=value < 50,
            note=f"{set_bits:,} bits set; median of 7",
        )
    )


# ── output ───────────────────────────────────────────────────────────────────────────────
def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def render(result: BenchResult, console: Console) -> None:
    machine = result.machine
    table = Table(
        title=f"certreg bench — N = {result.n:,}, {result.engine}",
        caption=(
            f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
            f"SQLite {machine['sqlite']}, uvicorn {machine['uvicorn']} "
            f"({machine['uvicorn_http']}, {machine['uvicorn_loop']}), "
            f"load by {machine['load_generator']}"
            + (f", PostgreSQL {machine['postgresql']}" if machine.get("postgresql") else "")
            + "; load average "
            + f"{machine['load_average_start'][0]:.2f} → {machine['load_average_end'][0]:.2f}"
        ),
    )
    for column in ("figure", "value", "unit", "ceiling", "ratio", "target", "result", "note"):
        table.add_column(column, justify="right" if column in {"value", "ratio"} else "left")
    names = {f.key: f.name for f in result.figures}
    for figure in result.figures:
        verdict = (
            "" if figure.passed is None else "[green]pass[/]" if figure.passed else "[red]miss[/]"
        )
        table.add_row(
            figure.name,
            _number(figure.value),
            figure.unit,
            names.get(figure.ceiling or "", ""),
            "" if figure.ratio is None else f"{figure.ratio:.2f}×",
            figure.target,
            verdict,
            figure.note,
        )
    console.print(table)
