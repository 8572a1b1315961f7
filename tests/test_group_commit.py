"""Units of work written at once: on SQLite they share a commit (issuer.store.group_commit),
on PostgreSQL each has its own; on both, each is atomic, a failing one loses only its own
work, a single-use secret is used once, and a block returns only once its work is durable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from issuer.model import OfferAccessToken, ProofNonce
from issuer.store import Store
from issuer.store.group_commit import BatchLost
from tests.conftest import START


def _nonce(digest: str) -> ProofNonce:
    return ProofNonce(
        digest=digest, created_at=START, expires_at=START + timedelta(hours=1), used_at=None
    )


def _kept(store: Store, *digests: str) -> set[str]:
    """The nonces another unit of work sees: those committed."""
    with store.reading() as reader:
        return {d for d in digests if reader.get_proof_nonce(d) is not None}


def _commits(store: Store) -> list[int]:
    """A list that grows by one at each commit of the store's engine."""
    seen: list[int] = []

    @event.listens_for(store.engine, "commit")
    def _count(_connection: object) -> None:
        seen.append(1)

    return seen


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _queued(store: Store) -> int:
    group = store._group  # how many writers wait, to stage a batch
    return 0 if group is None else group._waiting


def _staged(store: Store, *works: Callable[[], None]) -> list[BaseException | None]:
    """Run the first unit of work of ``works`` until the others have all queued behind it
    (on SQLite; on PostgreSQL until they have started), then all to the end, in order;
    each one's exception, or ``None``."""
    if store._group is not None:  # a slow machine must not end it early
        store._group.MAX_OPEN_SECONDS = 60.0
    entered, release = threading.Event(), threading.Event()
    started = [threading.Event() for _ in works[1:]]

    def first() -> None:
        with store.transaction() as tx:
            entered.set()
            release.wait(10)
            tx.insert_proof_nonce(_nonce("first"))
        works[0]()

    def later(i: int) -> None:
        started[i].set()
        works[i + 1]()

    outcomes: list[BaseException | None] = [None] * len(works)

    def run(i: int) -> None:
        try:
            first() if i == 0 else later(i - 1)
        except BaseException as exc:
            outcomes[i] = exc

    with ThreadPoolExecutor(len(works)) as pool:
        futures = [pool.submit(run, 0)]
        entered.wait(10)
        for i in range(1, len(works)):
            futures.append(pool.submit(run, i))
            started[i - 1].wait(10)
            if store.engine.dialect.name == "sqlite":
                _until(partial(lambda n: _queued(store) >= n, i))
        release.set()
        for future in futures:
            future.result()
    return outcomes


def _write(store: Store, digest: str, fail: bool = False) -> Callable[[], None]:
    def work() -> None:
        with store.transaction() as tx:
            tx.insert_proof_nonce(_nonce(digest))
            if fail:
                raise LookupError(digest)

    return work


def test_writers_queued_behind_one_share_its_commit_and_each_keeps_its_work(
    store: Store,
) -> None:
    commits = _commits(store)
    outcomes = _staged(store, lambda: None, _write(store, "a"), _write(store, "b"))
    committed = len(commits)
    assert outcomes == [None, None, None]
    assert _kept(store, "first", "a", "b") == {"first", "a", "b"}
    assert committed == (1 if store.engine.dialect.name == "sqlite" else 3)


def test_a_failing_unit_of_work_in_a_batch_loses_its_own_work_only(store: Store) -> None:
    outcomes = _staged(
        store, lambda: None, _write(store, "a"), _write(store, "b", fail=True), _write(store, "c")
    )
    assert outcomes[:2] == [None, None]
    assert outcomes[3] is None
    assert isinstance(outcomes[2], LookupError)
    assert _kept(store, "first", "a", "b", "c") == {"first", "a", "c"}


def test_a_block_returns_only_once_its_work_is_committed(store: Store) -> None:
    """The first writer leaves its block while the others are still queued: by the time
    its block returns, its work is visible to another connection (committed), however late
    the batch's last member ends."""
    seen_after_return: list[set[str]] = []
    outcomes = _staged(
        store,
        lambda: seen_after_return.append(_kept(store, "first")),
        _write(store, "a"),
    )
    assert outcomes == [None, None]
    assert seen_after_return == [{"first"}]


def test_a_commit_that_fails_fails_every_unit_of_work_it_held(store: Store) -> None:
    """A deferred foreign key is checked at the commit: on SQLite the batch's commit fails,
    and every writer in it raises, none kept; on PostgreSQL only the offending one."""
    sqlite = store.engine.dialect.name == "sqlite"

    def orphan() -> None:
        with store.transaction() as tx:
            session = tx._s  # a write the store itself would refuse
            if sqlite:
                session.execute(text("PRAGMA defer_foreign_keys=ON"))
            else:
                session.execute(text("SET CONSTRAINTS ALL DEFERRED"))
            tx.insert_offer_access_token(
                OfferAccessToken(
                    id="00000000-0000-4000-8000-000000000000",
                    offer_id="no-such-offer",
                    token_digest="0" * 64,
                    created_at=START,
                    expires_at=START + timedelta(hours=1),
                    used_at=None,
                )
            )

    outcomes = _staged(store, lambda: None, _write(store, "a"), orphan)
    if sqlite:
        assert all(isinstance(o, IntegrityError) for o in outcomes)
        assert _kept(store, "first", "a") == set()
    else:  # its foreign keys are not deferrable: the insert itself is refused
        assert outcomes[:2] == [None, None]
        assert outcomes[2] is not None
        assert _kept(store, "first", "a") == {"first", "a"}


@pytest.mark.parametrize("writers", [16])
def test_a_nonce_used_by_many_writers_at_once_is_used_once(store: Store, writers: int) -> None:
    with store.transaction() as tx:
        tx.insert_proof_nonce(_nonce("shared"))
    barrier = threading.Barrier(writers)

    def use() -> bool:
        barrier.wait(10)
        with store.transaction() as tx:
            return tx.use_proof_nonce("shared", now=START)

    with ThreadPoolExecutor(writers) as pool:
        used = list(pool.map(lambda _: use(), range(writers)))
    assert used.count(True) == 1


def test_a_batch_whose_transaction_the_database_ended_keeps_nothing_and_says_so(
    store: Store,
) -> None:
    """SQLite rolls back the whole transaction on some errors (a full disk, an I/O error):
    a ROLLBACK stands in for one here. Every unit of work of that batch raises, the ones
    that ended before it too (their work is gone), and the next writer begins a batch of
    its own instead of writing outside any transaction."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("batches are SQLite's")

    def ended() -> None:
        with store.transaction() as tx:
            tx.insert_proof_nonce(_nonce("b"))
            tx._s.connection().exec_driver_sql("ROLLBACK")

    outcomes = _staged(store, lambda: None, _write(store, "a"), ended, _write(store, "c"))
    assert isinstance(outcomes[0], BatchLost)
    assert isinstance(outcomes[1], BatchLost)
    assert outcomes[2] is not None  # its own error: its savepoint went with the transaction
    assert outcomes[3] is None
    assert _kept(store, "first", "a", "b", "c") == {"c"}
    _write(store, "d")()
    assert _kept(store, "d") == {"d"}
