"""The bench's renewal phase: what re-signing every status list of a registry costs.

Status lists are signed for a few ``ttl`` only, so ``serve`` signs every one of them again
halfway through its validity, changed or not (:func:`issuer.publication.outbox.
enqueue_lapsing_status_lists`). The phase runs that renewal for real on the bulk phase's
store of N certifications — the due lists enqueued, then the outbox drained through the
publisher into a registry in the same process, which verifies and stores each list, as the
all-in-one ``serve`` does — several rounds, each a validity later on a moved clock. A list
costs the same whatever N (its set bits are read from an index; the bitstring is always its
full length), so the cost for a registry of 1,000,000 certifications is the per-list figure
times the lists such a registry holds, and is measured outright at N ≥ 1,000,000.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from issuer.bench.env import BenchEnv, Office
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.status import FILL_LIMIT, list_validity_seconds
from issuer.publication import outbox
from issuer.publication.publishers import InProcessPublisher
from issuer.runtime import system_clock
from registry import Registry

__all__ = ["ListRenewal", "lists_for", "renew_all_lists"]

TTL_SECONDS = 300
ROUNDS = 5
CERTIFICATIONS = 1_000_000


@dataclass(frozen=True, slots=True)
class ListRenewal:
    """One renewal round's median over :data:`ROUNDS`, and what it means at 1,000,000."""

    lists: int
    seconds: float

    @property
    def per_list_ms(self) -> float:
        return self.seconds * 1000 / self.lists

    def projected_seconds(self, entries: int) -> float:
        """Seconds to renew every list of a registry of 1,000,000 certifications."""
        return self.per_list_ms * lists_for(CERTIFICATIONS, entries) / 1000


def lists_for(certifications: int, entries: int) -> int:
    """Status lists a store of ``certifications`` holds: one revocation and one suspension
    slot each, in lists of ``entries`` closed when :data:`FILL_LIMIT` of them are taken."""
    return 2 * math.ceil(certifications / int(entries * FILL_LIMIT))


def _clear_outbox(office: Office, now: datetime) -> None:
    """Mark what the bulk phase left in the outbox as published: the phase times the lists'
    renewal, not the first publication of N register entries and credentials."""
    while True:
        with office.store.transaction() as tx:
            pending = tx.pending_publications(50_000)
            if not pending:
                return
            tx.mark_published([seq for seq, _, _ in pending], now)


def renew_all_lists(env: BenchEnv, office: Office, *, list_entries: int) -> ListRenewal:
    """Time renewing every list of ``office``'s store (enqueue the due lists, sign each,
    deliver it to an in-process registry that verifies and stores it), median of rounds."""
    start = system_clock()
    _clear_outbox(office, start)
    with office.store.transaction() as tx:
        outbox.enqueue_keys(tx, start)  # the new registry checks lists against them
        count = len(tx.list_status_lists())
    registry = Registry(env.registry_store(*env.location("renewal")))
    publisher = InProcessPublisher(registry)
    context = IssuanceContext(identity=env.identity, keyring=env.keyring, list_entries=list_entries)
    validity = list_validity_seconds(TTL_SECONDS)
    timings = []
    for round_ in range(ROUNDS):
        instant = start + timedelta(seconds=validity * round_)

        def clock(instant: datetime = instant) -> datetime:
            return instant

        started = time.perf_counter()
        due = outbox.enqueue_lapsing_status_lists(office.store, clock=clock)
        outbox.drain(office.store, publisher, context=context, ttl_seconds=TTL_SECONDS, clock=clock)
        timings.append(time.perf_counter() - started)
        if due != count:
            raise RuntimeError(f"{due} of {count} status lists were due in round {round_}")
    return ListRenewal(lists=count, seconds=statistics.median(timings))
