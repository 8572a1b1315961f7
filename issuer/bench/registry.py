"""The registry half of ``certreg bench``: a registry of N certifications, its public routes
under load, and how fast a status change reaches the served list.

Seeding N register entries through the intake (a signature check and a schema walk per
document) would take longer than the benchmark itself, so the registry is filled the way a
publisher would fill it, minus the per-document round trip: one entry is built by
:func:`issuer.publication.documents.register_entry` from a certification the bench
issued; each of the N entries is that entry with its own certificate number, name and
credential id, validated against ``register-entry-v2`` (every entry while N is small, a sample
after), signed with the issuer's key in worker processes, and inserted in bulk with
:meth:`registry.RegistryStore.put_new`. A sample is then checked again with the intake's own
:func:`registry.intake.check_credential` against the issuer keys the registry received over
its intake, so the registry serves only what it would have accepted.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from issuer.bench.env import FAMILY_NAMES, GIVEN_NAMES, BenchEnv, Office
from issuer.bulk.report import BatchReport, Outcome
from issuer.credentials import certificate_numbers
from issuer.credentials.issuance import VC_JWT_HEADER, IssuanceContext
from issuer.credentials.signing import LoadedSigner, SigningPool, sign_compact_many
from issuer.model import Certification, StatusSlot
from issuer.process import lifecycle
from issuer.publication import documents, outbox
from issuer.publication.publishers import BackgroundDrain, HttpPublisher
from issuer.runtime import new_id, system_clock, system_entropy
from issuer.store import Store
from registry import Registry, RegistryStore
from registry.intake import VC_JWT_TYPE, check_credential, directory_name
from schemas import bitstring_status_list as bsl
from schemas.credential_schemas import REGISTER_ENTRY_V3, validate
from schemas.publication import DocumentKind, Publication

__all__ = [
    "EntryTemplate",
    "Lookup",
    "poll_bit",
    "seed_registry",
    "status_change_latencies",
]

SEED_CHUNK = 5_000
MAX_LOOKUP_PATHS = 50_000
CHECK_EVERY = 100
"""Every hundredth seeded entry is validated against ``register-entry-v2`` (the first
included); the entry the template came from was validated in full by its builder."""


@dataclass
class Lookup:
    """Register lookups a client could make: ``/register/{number}?family_name=…``."""

    paths: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    seen: int = 0

    def offer(self, number: str, family: str, rng: random.Random) -> None:
        """Reservoir sampling: every seeded entry equally likely to be looked up."""
        self.seen += 1
        path = f"/register/{number}?family_name={quote(family)}"
        if len(self.paths) < MAX_LOOKUP_PATHS:
            self.paths.append(path)
            self.keys.append(number)
            return
        slot = rng.randrange(self.seen)
        if slot < MAX_LOOKUP_PATHS:
            self.paths[slot] = path
            self.keys[slot] = number


_MARK = re.compile(r"@@([A-Z0-9]+)@@")


@dataclass(frozen=True, slots=True)
class _Rendered:
    number: str
    payload: bytes
    listed: str | None


class EntryTemplate:
    """A built register entry as JSON text with marked places for what differs per entry,
    so that rendering one is string joining, not building and serializing a document."""

    def __init__(self, entry: dict[str, Any], *, iat: int) -> None:
        if "@@" in json.dumps(entry, ensure_ascii=False):
            raise ValueError("the entry already holds a marker")
        marked = copy.deepcopy(entry)
        self.did: str = entry["issuer"]
        subject = marked["credentialSubject"]
        marked["id"] = marked["id"].rsplit("/", 1)[0] + "/@@NUMBER@@"
        subject["certificateNumber"] = "@@NUMBER@@"
        subject["givenName"] = "@@GIVEN@@"
        subject["familyName"] = "@@FAMILY@@"
        subject["name"] = "@@NAME@@"
        for index, credential in enumerate(subject["credentials"]):
            credential["id"] = f"urn:uuid:@@CREDENTIAL{index}@@"
        self.credentials = len(subject["credentials"])
        self._parts = {}
        for listed in (True, False):
            subject["directory"] = listed
            claims = {
                "iss": self.did,
                "iat": iat,
            }  # as issuer.credentials.identity.jwt_claims makes them
            text = json.dumps({**marked, **claims}, separators=(",", ":"), ensure_ascii=False)
            self._parts[listed] = _MARK.split(text)

    def render(self, values: dict[str, str], *, listed: bool) -> bytes:
        parts = self._parts[listed]
        out = []
        for i, part in enumerate(parts):
            # even parts are JSON text, odd parts the names of marked string contents
            out.append(json.dumps(values[part], ensure_ascii=False)[1:-1] if i % 2 else part)
        return "".join(out).encode("utf-8")


def _entries(template: EntryTemplate, count: int, lookup: Lookup) -> Iterator[_Rendered]:
    """``count`` register entries from ``template``, each its own certification."""
    rng = random.Random(17024)  # noqa: S311 - sampling, not secrets
    numbers: set[str] = set()
    while len(numbers) < count:
        number = certificate_numbers.generate(system_entropy)
        if number in numbers:
            continue
        numbers.add(number)
        i = len(numbers)
        given = f"{GIVEN_NAMES[i % len(GIVEN_NAMES)]}{i}"
        family = f"{FAMILY_NAMES[i % len(FAMILY_NAMES)]}-{i % 7919}"
        values = {"NUMBER": number, "GIVEN": given, "FAMILY": family, "NAME": f"{given} {family}"}
        for index in range(template.credentials):
            values[f"CREDENTIAL{index}"] = new_id(system_entropy)
        listed = i % 2 == 0
        # what the intake derives from the entry's directory choice (7.3.3)
        view = {"credentialSubject": {"directory": listed, "name": values["NAME"]}}
        lookup.offer(number, family, rng)
        yield _Rendered(
            number=number,
            payload=template.render(values, listed=listed),
            listed=directory_name(DocumentKind.REGISTER_ENTRY, view),
        )


def seed_registry(
    store: RegistryStore,
    template: EntryTemplate,
    *,
    count: int,
    signer: LoadedSigner,
    pool: SigningPool | None,
) -> tuple[Lookup, float]:
    """Fill ``store`` with ``count`` signed register entries; returns the lookups to make and
    the seconds it took. With a pool, signing one chunk overlaps inserting the previous."""
    lookup = Lookup()
    started = time.perf_counter()
    source = _entries(template, count, lookup)
    pending: tuple[list[_Rendered], Callable[[], list[str]]] | None = None
    done = 0
    media = f"application/{VC_JWT_TYPE}"
    while True:
        chunk = [entry for _, entry in zip(range(SEED_CHUNK), source, strict=False)]
        for offset, rendered in enumerate(chunk):
            if (done + offset) % CHECK_EVERY == 0:
                validate(REGISTER_ENTRY_V3, json.loads(rendered.payload))
        payloads = [r.payload for r in chunk]
        signed: Callable[[], list[str]]
        if not chunk:
            signed = list
        elif pool is not None:
            signed = pool.submit(header=VC_JWT_HEADER, payloads=payloads, did=template.did).result
        else:
            tokens = sign_compact_many(
                header=VC_JWT_HEADER, payloads=payloads, signer=signer, did=template.did
            )
            signed = tokens.copy
        if pending is not None:
            entries, result = pending
            store.put_new(
                [
                    (
                        Publication(
                            kind=DocumentKind.REGISTER_ENTRY, key=r.number, version=1, body=token
                        ),
                        media,
                        r.listed,
                    )
                    for r, token in zip(entries, result(), strict=True)
                ]
            )
            done += len(entries)
        if not chunk:
            break
        pending = (chunk, signed)
    return lookup, time.perf_counter() - started


def check_sample(store: RegistryStore, keys: list[str], *, sample: int = 50) -> int:
    """Check seeded entries as the intake would; returns how many were checked."""
    registry = Registry(store)
    issuer_keys = registry.keys()
    rng = random.Random(7)  # noqa: S311 - sampling, not secrets
    chosen = rng.sample(keys, min(sample, len(keys)))
    for key in chosen:
        document = registry.document(DocumentKind.REGISTER_ENTRY, key)
        if document is None:
            raise RuntimeError(f"seeded entry {key} is missing")
        check_credential(DocumentKind.REGISTER_ENTRY, key, document.body, issuer_keys)
    return len(chosen)


def poll_bit(
    client: httpx.Client, list_id: str, index: int, *, timeout: float, interval: float = 0.005
) -> float:
    """Poll the served status list until bit ``index`` is set; the time it was seen."""
    deadline = time.perf_counter() + timeout
    etag: str | None = None
    while time.perf_counter() < deadline:
        headers = {"If-None-Match": etag} if etag else {}
        response = client.get(f"/status/{list_id}", headers=headers)
        if response.status_code == 200:
            etag = response.headers.get("etag")
            payload = _payload(response.text)
            bits = bsl.decode_list(payload["credentialSubject"]["encodedList"])
            if bsl.get_status(bits, index):
                return time.perf_counter()
        elif response.status_code != 304:
            raise RuntimeError(f"/status/{list_id} answered {response.status_code}")
        time.sleep(interval)
    raise RuntimeError(f"bit {index} of {list_id} was not served within {timeout} s")


def _payload(compact: str) -> dict[str, Any]:
    part = compact.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def status_change_latencies(
    office: Office,
    numbers: list[str],
    slots: list[StatusSlot],
    *,
    drain: Callable[[], int],
    base_url: str,
    timeout: float = 10.0,
) -> list[float]:
    """Suspend each certification through the lifecycle while a background publisher drains
    the outbox to the registry; time from the decision to the bit served, in seconds."""
    rng = random.Random(9)  # noqa: S311 - timing jitter, not secrets
    worker = BackgroundDrain(drain)
    worker.start()
    latencies = []
    try:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            for number, slot in zip(numbers, slots, strict=True):
                time.sleep(rng.uniform(0.0, 0.25))  # not in step with the drain interval
                started = time.perf_counter()
                with office.store.transaction() as tx:
                    lifecycle.suspend(
                        tx,
                        actor=office.decider,
                        now=system_clock(),
                        entropy=system_entropy,
                        number=number,
                        reason="certreg bench: suspension latency",
                        resolve_by=None,
                    )
                seen = poll_bit(client, slot.list_id, slot.index, timeout=timeout)
                latencies.append(seen - started)
    finally:
        worker.stop()
    return latencies


def set_bits(store: Store, list_id: str, count: int) -> int:
    """Set the status bits of up to ``count`` claimed slots of a list, in one transaction,
    with the store call a lifecycle decision makes (a suspension costs a decision, an
    audit entry and a republication each: far too slow to fill a list for a benchmark)."""
    with store.transaction() as tx:
        now = system_clock()
        claimed = tx.all_slots(list_id)[:count]
        for index in claimed:
            tx.set_slot_value(StatusSlot(list_id, index), 1, now)
    return len(claimed)


def issued(report: BatchReport) -> list[tuple[str, str]]:
    """``(certificate_number, credential_id)`` of every row a batch issued."""
    return [
        (r.certificate_number, r.credential_id)
        for r in report.results
        if r.outcome is Outcome.ISSUED and r.certificate_number and r.credential_id
    ]


def suspension_slots(store: Store, credential_ids: list[str]) -> list[StatusSlot]:
    slots = []
    with store.transaction() as tx:
        for credential_id in credential_ids:
            credential = tx.get_credential(credential_id)
            assert credential is not None
            slots.append(credential.suspension)
    return slots


def template_entry(store: Store, env: BenchEnv, certification_id: str) -> dict[str, Any]:
    """A register entry as the publisher builds it, for one issued certification."""
    with store.transaction() as tx:
        certification: Certification | None = tx.get_certification(certification_id)
        assert certification is not None
        return documents.register_entry(
            tx, certification, identity=env.identity, now=system_clock()
        )


def publisher_drain(
    store: Store, env: BenchEnv, client: httpx.Client, token: str, list_entries: int
) -> Callable[[], int]:
    """A drain of ``store``'s outbox to the registry over HTTP, as ``serve --only issuer``."""
    publisher = HttpPublisher(client=client, token=token)
    context = IssuanceContext(identity=env.identity, keyring=env.keyring, list_entries=list_entries)

    def drain() -> int:
        return outbox.drain(store, publisher, context=context, ttl_seconds=300, clock=system_clock)

    return drain


def cores() -> int:
    return os.cpu_count() or 1
