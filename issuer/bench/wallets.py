"""The wallets' hot paths in ``certreg bench``: SD-JWT VC verification, and the OpenID4VCI
credential endpoint under load.

Both run over a store of their own (:data:`CERTIFICATIONS` certifications issued in bulk),
dropped once measured:

- **SD-JWT VC verification** (:mod:`issuer.bench.sd_jwt_vc`), beside the raw ES256 verify
  ceiling;
- **the credential endpoint** (``POST /oid4vci/credential``) of the back office, served
  over that store by one uvicorn process, as ``certreg serve`` runs it (:data:`WORKERS`,
  :mod:`issuer.bench.server`). Each request spends its own access token and ``c_nonce``,
  so everything is prepared before the timed part, as wallets would have done it: offers
  made in the store, each redeemed at the token endpoint with its transaction code, a
  ``c_nonce`` fetched from the nonce endpoint for each, and a key proof signed by a holder
  key of its own. Then the credential requests go out at :data:`CONNECTIONS` connections,
  each sent once (:func:`issuer.bench.load.run_once`).
  The wallet endpoints' per-client limit (``CERTREG_OID4VCI_PER_MINUTE`` / ``_BURST``) is
  raised in the server's settings to its highest: every request comes from one address,
  and a limit would measure itself; it is still checked on each request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx

from issuer.bench import registry as bench_registry
from issuer.bench import sd_jwt_vc
from issuer.bench.env import BenchEnv, Office, start_server
from issuer.bench.figures import BenchOptions, BenchResult, Figure
from issuer.bench.holder import HolderKey
from issuer.bench.rates import load_once
from issuer.bulk.issuance import issue_batch
from issuer.credentials.issuance import IssuanceContext
from issuer.http.routes.wallets import offer_rules
from issuer.model import OfferedBy
from issuer.process import wallet_offers
from issuer.process.wallet_configurations import JWT_VC_JSON, configurations
from issuer.runtime import system_clock, system_entropy
from issuer.settings import Settings

__all__ = ["CERTIFICATIONS", "CONNECTIONS", "measure_wallets", "server_settings"]

CERTIFICATIONS = 100
"""Active certifications in the wallet phase's store; offers and SD-JWT VCs go round them."""
CONNECTIONS = 16
"""Concurrent wallets at the credential endpoint (the target's load)."""
WORKERS = 1
"""The back office's server processes: one, as ``certreg serve`` runs it. Two processes
writing one SQLite file wait for each other's write transactions in SQLite's busy handler,
which sleeps up to 100 ms at a time: on this kind of machine a second worker lowered the
credential endpoint's p50 and took its p99 from about 0.5-0.7 s to 1.8-2.1 s
(docs/PERFORMANCE.md)."""
LIMIT = 1_000_000
"""The wallet endpoints' per-client limit in the bench: the highest the settings allow."""


def server_settings(env: BenchEnv, *, list_entries: int) -> dict[str, Any]:
    """The back office's settings (``CERTREG_…``) in the bench: the run's identity and key,
    the wallet endpoints' limit raised to :data:`LIMIT`, and an hour for the offers, tokens,
    nonces and proofs prepared before the load (the defaults give five minutes)."""
    return {
        "base_url": env.identity.base_url,
        "body_name": env.identity.name,
        "data_dir": str(env.directory),
        "key_passphrase": env.key_passphrase,
        "status_list_entries": list_entries,
        "oid4vci_per_minute": LIMIT,
        "oid4vci_burst": LIMIT,
        "oid4vci_offer_minutes": 60,
        "oid4vci_token_seconds": 3600,
        "oid4vci_nonce_seconds": 3600,
        "oid4vci_proof_max_age_seconds": 3600,
    }


def measure_wallets(
    env: BenchEnv,
    options: BenchOptions,
    result: BenchResult,
    say: Callable[[str], None],
    *,
    list_entries: int,
) -> None:
    """Both wallet figures, over a store of their own, dropped afterwards."""
    say(f"wallet store: {CERTIFICATIONS} certifications")
    store = env.issuer_store("wallet")
    office = env.office(store, now=system_clock(), entropy=system_entropy)
    report = issue_batch(
        store,
        office.rows(CERTIFICATIONS, prefix="wallet", today=system_clock().date()),
        clock=system_clock,
        entropy=system_entropy,
        keyring=env.keyring,
        identity=env.identity,
        acting_decision_maker=office.decider.staff(),
        list_entries=list_entries,
        keep_results=True,
    )
    numbers = [number for number, _ in bench_registry.issued(report)]
    if len(numbers) != CERTIFICATIONS:
        raise RuntimeError(f"the wallet store got {len(numbers)} of {CERTIFICATIONS} rows")
    say("SD-JWT VC verification with the issuer's keys and Token Status Lists in hand")
    rates = sd_jwt_vc.verification_rates(env, office, numbers, options, list_entries=list_entries)
    answered = _credential_endpoint(env, office, numbers, options, say, list_entries=list_entries)
    env.drop(store)
    _figures(result, rates, answered)


def _figures(result: BenchResult, rates: sd_jwt_vc.SdJwtVcRates, answered: dict[str, Any]) -> None:
    verify = result.value("raw_verify")
    ratio = rates.issued / verify if verify > 0 else 0.0
    low, high = rates.disclosures
    result.add(
        Figure(
            "sd_jwt_verify",
            "SD-JWT VC verification",
            rates.issued,
            "/s",
            "raw_verify",
            ratio,
            "≥ 0.5×",
            ratio >= 0.5,
            note=f"every disclosure ({low}–{high}), Token Status List",
        )
    )
    result.add(
        Figure(
            "sd_jwt_presentation_verify",
            "SD-JWT VC presentation, 3 claims, key-bound",
            rates.presented,
            "/s",
            "raw_verify",
            rates.presented / verify if verify > 0 else 0.0,
            note="two ES256 checks each (issuer, KB-JWT)",
        )
    )
    result.add(
        Figure(
            "oid4vci_rps",
            "OpenID4VCI credential endpoint",
            answered["rate"],
            "req/s",
            note=f"{answered['requests']:,} requests timed, {CONNECTIONS} connections",
        )
    )
    result.add(
        Figure("oid4vci_p50_ms", "OpenID4VCI credential endpoint p50", answered["p50_ms"], "ms")
    )
    result.add(
        Figure(
            "oid4vci_p99_ms",
            "OpenID4VCI credential endpoint p99",
            answered["p99_ms"],
            "ms",
            target="< 50 ms",
            passed=answered["p99_ms"] < 50,
        )
    )


def _offers(
    office: Office, numbers: list[str], settings: Settings, context: IssuanceContext, count: int
) -> list[tuple[str, str]]:
    """``count`` offers made by the office's staff in one transaction: the pre-authorized
    code each offer's URI serves, and its transaction code."""
    rules = offer_rules(settings)
    configuration = configurations(context)[JWT_VC_JSON]
    now = system_clock()
    codes = []
    with office.store.transaction() as tx:
        for i in range(count):
            made = wallet_offers.make_offer(
                tx,
                number=numbers[i % len(numbers)],
                configuration=configuration,
                rules=rules,
                now=now,
                entropy=system_entropy,
                offered_by=OfferedBy.STAFF,
                created_by=office.decider.staff(),
                actor=office.decider.audit_name,
            )
            document = wallet_offers.offer_document(
                tx,
                token=made.token,
                credential_issuer=settings.base_url,
                now=now,
                max_attempts=rules.max_attempts,
            )
            assert document is not None
            grant = document["grants"][wallet_offers.PRE_AUTHORIZED_GRANT]
            codes.append((grant["pre-authorized_code"], made.tx_code))
    return codes


async def _redeem(base_url: str, codes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each code traded for an access token at the token endpoint, and a ``c_nonce`` from
    the nonce endpoint for each, over :data:`CONNECTIONS` connections."""
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def one(code: str, tx_code: str) -> tuple[str, str]:
            form = {
                "grant_type": wallet_offers.PRE_AUTHORIZED_GRANT,
                "pre-authorized_code": code,
                "tx_code": tx_code,
            }
            token = await client.post("/oid4vci/token", data=form)
            nonce = await client.post("/oid4vci/nonce")
            for answer in (token, nonce):
                if answer.status_code != 200:
                    raise RuntimeError(f"{answer.request.url.path}: {answer.status_code}")
            return str(token.json()["access_token"]), str(nonce.json()["c_nonce"])

        return list(await asyncio.gather(*(one(code, tx) for code, tx in codes)))


def _message(host: str, access_token: str, proof: str) -> str:
    """One credential request as a wallet sends it, a whole HTTP/1.1 message."""
    body = json.dumps(
        {"credential_configuration_id": JWT_VC_JSON, "proofs": {"jwt": [proof]}},
        separators=(",", ":"),
    )
    return (
        f"POST /oid4vci/credential HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {access_token}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    )


def _credential_endpoint(
    env: BenchEnv,
    office: Office,
    numbers: list[str],
    options: BenchOptions,
    say: Callable[[str], None],
    *,
    list_entries: int,
) -> dict[str, Any]:
    """Prepare :attr:`BenchOptions.credential_requests` credential requests, then send them
    at :data:`CONNECTIONS` connections; the load generator's figures."""
    kwargs = server_settings(env, list_entries=list_entries)
    settings = Settings(**kwargs)
    context = IssuanceContext(identity=env.identity, keyring=env.keyring, list_entries=list_entries)
    count = options.credential_requests
    say(f"{count:,} wallet offers: made, redeemed at the token endpoint, a c_nonce for each")
    codes = _offers(office, numbers, settings, context, count)
    url, schema = env.where(office.store)
    job = {
        "app": "issuer",
        "workers": WORKERS,
        "issuer_url": url,
        "search_path": schema,
        "settings": kwargs,
    }
    server = start_server(job, ready_path="/.well-known/openid-credential-issuer")
    try:
        granted = asyncio.run(_redeem(server.base_url, codes))
        host = server.base_url.removeprefix("http://")
        iat = int(system_clock().timestamp())
        messages = [
            _message(host, token, HolderKey().proof(audience=settings.base_url, nonce=n, iat=iat))
            for token, n in granted
        ]
        say(f"{count:,} OpenID4VCI credential requests at {CONNECTIONS} connections, once each")
        answered = load_once(
            server.base_url, messages, connections=CONNECTIONS, warmup=options.credential_warmup
        )
    finally:
        server.stop()
    with office.store.transaction() as tx:  # every token spent: each request was served
        for token, _ in granted:
            spent = tx.get_offer_access_token(token.split(".", 1)[0])
            if spent is None or spent.used_at is None:
                raise RuntimeError("a credential request was answered without being served")
    return answered
