"""``certreg bench``: certreg's speed measured against this machine's own limits, in one run.

Absolute rates move from machine to machine, so every figure is printed beside the ceiling
it is bounded by, measured in the same run on the same cores: bulk issuance against the raw
ES256 signature rate, offline verification (of the ``vc+jwt`` certificate and of the
wallets' SD-JWT VC, :mod:`issuer.bench.wallets`) against the raw verification rate, the public
lookups against a bare FastAPI endpoint served the same way (two uvicorn workers, 64
keep-alive connections from the same load generator, :mod:`issuer.bench.load`). The targets
are those of the performance work (docs/PERFORMANCE.md); a miss is reported, not raised —
this is a measurement, and a shared machine makes single runs noisy.

Everything runs in throwaway stores (:mod:`issuer.bench.env`); nothing touches a
deployment's data.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import httpx

from issuer.bench import registry as bench_registry
from issuer.bench import resign as bench_resign
from issuer.bench import wallets as bench_wallets
from issuer.bench.env import BenchEnv, Office, start_server
from issuer.bench.figures import BenchOptions, BenchResult, Figure, _machine
from issuer.bench.load import percentile
from issuer.bench.rates import VERIFY_WINDOWS, _best_rate, load, raw_signature_rates
from issuer.bulk.issuance import issue_batch
from issuer.credentials import keys
from issuer.credentials.signing import SigningPool
from issuer.credentials.status import sign_status_list
from issuer.runtime import system_clock, system_entropy
from verifier import StaticKeys, StaticStatusLists, TrustPolicy, Verifier

__all__ = ["run_bench"]

STATUS_LIST_ENTRIES = 1_000_000
"""The status lists of the status-change phase: the size the rebuild target names."""
LIST_ENTRIES = 131_072
"""The status lists of the bulk phases: the default size (CERTREG_STATUS_LIST_ENTRIES)."""


# ── the run ──────────────────────────────────────────────────────────────────────────────


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
        acting_decision_maker=office.decider.staff(),
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

    return _best_rate(verify_next, options.crypto_seconds * 2, windows=VERIFY_WINDOWS)


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
    bench_wallets.measure_wallets(env, options, result, say, list_entries=LIST_ENTRIES)
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
        acting_decision_maker=office.decider.staff(),
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
        acting_decision_maker=office.decider.staff(),
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
