"""Bulk issuance: rosters of people the body examined, granted by a decision-maker in chunks.

A roster row names a person, a scheme, the granted scope, the effective date and the
evidence of the examination it rests on; the decision-maker running the batch grants it.
Each valid row becomes a *roster grant* (see
:class:`issuer.model.RosterGrant`): the person if new, an application recorded as
certified, a grant decision naming the decision-maker (refused, as in
:mod:`issuer.process.decisions`, if they trained, examined or declared a conflict with the person),
the certification with an unguessable certificate number, and its certificate credential —
built, validated against the JSON Schema, signed, stored with two random never-reused status
slots, and enqueued for publication.

Rows are idempotent by ``external_id``: ``bulk_items`` records what each id issued, in the
same transaction as the issue, so a rerun after a crash issues nothing twice and loses
nothing. Invalid rows are reported with their row number and a stable problem kind and
skipped; they never abort the batch.

Speed (docs/BULK.md): rows are committed a chunk at a time through Core executemany; the
credential JSON is rendered from per-scheme templates made by the same builder single
issuance uses (:func:`issuer.credentials.documents.certificate_credential`), validated in full once
per template and on every row's variable fields against the schema's own sub-schemas;
status slots are drawn in bulk (:class:`issuer.credentials.status.BulkAllocator`); on SQLite a
writing process (:mod:`issuer.bulk.writes`) writes each chunk while this process builds and signs
the next; elsewhere signatures are made in worker processes
(:class:`issuer.credentials.signing.SigningPool`) while the previous chunk is written.
The audit log gets one entry per chunk whose details digest the chunk's items.

This module owns the run: :func:`issue_batch` and the chunk loop (:func:`_run`), each chunk
built while the one before it is written. Rows are read and checked in
:mod:`issuer.bulk.rosters`; each chunk is prepared in :mod:`issuer.bulk.prepare` (its
credentials rendered by :mod:`issuer.bulk.templates`) and written through
:mod:`issuer.bulk.handover`; :mod:`issuer.bulk.chunks` holds the run's state, and
:mod:`issuer.bulk.report` what the run reports.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice
from typing import Any

from issuer.bulk.chunks import _Batch, _Chunk, _writing
from issuer.bulk.handover import _finish, _hand_over, _lists, _pack, _settle, _write
from issuer.bulk.prepare import _build, _prepare, _screen
from issuer.bulk.report import BatchReport
from issuer.bulk.rosters import NumberedRow, _numbered, _Resolver
from issuer.bulk.writes import WritingProcess
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.keys import KeyRing
from issuer.credentials.signing import SigningPool
from issuer.credentials.status import BulkAllocator
from issuer.runtime import Clock, Entropy, new_id
from issuer.store import Store
from issuer.store.audit import AuditActor

__all__ = ["DEFAULT_BATCH_SIZE", "WRITING_PROCESS_BATCH_SIZE", "issue_batch"]

DEFAULT_BATCH_SIZE = 5000
"""Rows per transaction where this process writes every chunk: large enough that commits
cost little (a chunk's random keys dirty index pages all over the file, each written once
per commit however many rows it gained), small enough to redo."""

WRITING_PROCESS_BATCH_SIZE = 10_000
"""Rows per transaction with a writing process (:mod:`issuer.bulk.writes`), whose writes
are then the limit of a large run: a chunk's random keys dirty about as many index pages
whatever its size once the store is large, so larger chunks write fewer pages per row. A
million rows into SQLite took 107-129 s in five runs with them, 125 s in one with 5,000;
one process was 2% slower with them at 100,000 rows (6,556-6,559 rows/s against
6,666-6,697). A chunk is then about 32 MB on its way to the writing process."""


def _run(
    batch: _Batch,
    source: Iterator[NumberedRow],
    *,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Chunk after chunk, one behind the other: each chunk is screened and built (its
    signatures started in the worker processes, if any) before the previous one is written,
    so the workers sign one chunk while the last is written.

    Where the database works in a server process (PostgreSQL), the write runs in a writer
    thread while this thread builds the next chunk: the driver waits on a socket without the
    interpreter lock. On SQLite the database works inside this process, holding and
    releasing the interpreter lock for every row, and a writer thread beside the builder
    made both run at about half speed (docs/BULK.md): there, the writing process
    (:class:`~issuer.bulk.writes.WritingProcess`), once started, writes each chunk over its
    own connection while this thread builds the next, and the writer thread only hands it
    the chunk; without it, everything stays in this thread.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="certreg-bulk-writer") as writer:
        pending: _Chunk | None = None
        resumed = time.perf_counter()  # since pending went to the writing process
        written: Callable[[], None] | None = None  # what waits for pending's write
        starting = batch.process is not None and not batch.process.ready
        chunks = _row_chunks(
            source, batch_size, halve_first=starting, halve_last=lambda: _writing(batch)
        )
        for index, (chunk_rows, last) in enumerate(chunks, start=1):
            chunk = _Chunk(index=index, rows=chunk_rows, now=batch.clock(), last=last)
            if pending is not None and written is None:
                resumed = time.perf_counter()  # this thread's work for the balance starts
                written = _hand_over(batch, pending)
            _screen(batch, chunk)  # a snapshot, or while no write is in flight in this process
            if pending is not None and written is None and batch.writer.server_side:
                if pending.generation != batch.generation:
                    _prepare(batch, pending)
                written = writer.submit(_write, batch, pending, _lists(batch, pending)).result
            _build(batch, chunk)
            if written is not None and _writing(batch):
                # The writing process writes the chunk before: pack this one meanwhile.
                # Not while the chunk before is still to be written here, whose status
                # lists must be taken first, chunk after chunk (_lists); nor the first
                # chunk, which may be the last (written here: see below).
                _pack(batch, chunk)
            if pending is not None:
                if written is not None:
                    busy = time.perf_counter() - resumed
                    _finish(batch, pending, written)
                    resumed = time.perf_counter()
                    if pending.writer_seconds is not None:
                        batch.balance.learn(
                            busy,
                            (len(chunk.grants), chunk.deferred),
                            pending.writer_seconds,
                            (len(pending.grants), pending.deferred),
                        )
                else:
                    _settle(batch, pending)
                    resumed = time.perf_counter()  # what it wrote here is not the balance's
                written = None
                if batch.report.written_in_process:
                    # Hand the chunk just built over at once: the writing process would
                    # otherwise wait while this thread tidies up and reads the next rows.
                    written = _hand_over(batch, chunk)
                if progress is not None:
                    progress(len(pending.rows))
                gc.collect(1)  # the young generations only (see _young_collections_only)
            pending = chunk
        if pending is not None:
            if written is not None:
                _finish(batch, pending, written)
            else:
                # The last chunk has no next one to overlap. A writing process that has
                # written nothing yet (it became ready late in a short run) would write it
                # through a cold page cache and pay for the pickling, where this process's
                # cache holds the pages its own chunks wrote: 0.43-0.60 s against
                # 0.31-0.35 s for 5,000 rows here.
                _settle(batch, pending, here=batch.report.written_in_process == 0)
            if progress is not None:
                progress(len(pending.rows))


_HALVED_FROM = 2_000
"""Rows from which the first and last chunks of a batch go as two halves (:func:`_row_chunks`)."""


def _row_chunks(
    source: Iterator[NumberedRow],
    batch_size: int,
    *,
    halve_first: bool,
    halve_last: Callable[[], bool],
) -> Iterator[tuple[list[NumberedRow], bool]]:
    """The rows chunk by chunk, each with whether it is the last, reading one chunk ahead.

    The writing process does nothing until this process has built the first chunk, and
    this process does nothing while the writing process writes the last: the two ends of
    a run use one core. So the first chunk is halved while the writing process starts
    (``halve_first``: it was ready after about half a second, the time this process took
    to build 5,000 rows), and once it runs (``halve_last()``), so is the last; only chunks
    of :data:`_HALVED_FROM` rows or more.
    """
    rows = list(islice(source, batch_size))
    if halve_first and len(rows) >= _HALVED_FROM:
        half = len(rows) // 2
        yield rows[:half], False
        rows = rows[half:]
    while rows:
        following = list(islice(source, batch_size))
        if not following and len(rows) >= _HALVED_FROM and halve_last():
            half = len(rows) // 2
            yield rows[:half], False
            yield rows[half:], True
            return
        yield rows, not following
        rows = following


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """Run a batch with the cyclic garbage collector's automatic runs paused; :func:`_run`
    collects the young generations after each chunk instead.

    A chunk allocates hundreds of thousands of short-lived objects (rows, grants, tuples for
    the driver), so the automatic runs came every few hundred rows and, once the heap had
    grown, kept rescanning every long-lived object of the process: a quarter of a 60,000-row
    roster's time (4,821 rows/s with them, 6,019 without, the same peak memory). Nothing a
    chunk makes holds a reference cycle, reference counting frees it, and the collection
    after each chunk still finds any cycle that does appear. The switch is process-wide:
    in the server, other threads run without automatic collections meanwhile (an API batch
    is at most 1,000 rows, a fraction of a second). The collector's state is restored
    afterwards; if it was already off, it stays off.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def issue_batch(
    store: Store,
    rows: Iterable[Mapping[str, Any] | NumberedRow],
    *,
    clock: Clock,
    entropy: Entropy,
    keyring: KeyRing,
    identity: IssuerIdentity,
    acting_decision_maker: str,
    workers: int = 1,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    list_entries: int = 131_072,
    actor: str | AuditActor = "system:bulk",
    keep_results: bool = False,
    wait_for_workers: bool = False,
) -> BatchReport:
    """Issue a roster: every valid row once, whatever ran before (see the module doc).

    ``workers`` is the number of processes to use, this one included; 1 does everything
    here. Above 1 on an SQLite file, the second is a writing process
    (:class:`~issuer.bulk.writes.WritingProcess`) that writes each chunk while this one
    screens, builds and signs the next, and any more sign (``workers - 2`` signing
    processes); elsewhere (PostgreSQL, whose server writes; SQLite in memory) this one
    screens, builds and writes while ``workers - 1`` signing processes sign. The other
    processes start in the background: until they have (their start costs about as much as
    signing twenty thousand credentials, so a small roster may never wait for them), this
    process does their part, unless ``wait_for_workers`` asks to wait for them first.
    ``batch_size`` is the rows per transaction: by default
    :data:`WRITING_PROCESS_BATCH_SIZE` with a writing process, :data:`DEFAULT_BATCH_SIZE`
    without. ``progress`` is called with the number of rows each chunk settled.
    ``acting_decision_maker`` is the staff id of the decision-maker who grants every row
    (clause 9.4: only a decision-maker grants): each row becomes their own decision, a row
    naming another in ``decided_by`` is refused (``not-own-decision``), and so is every row
    if they are not an active decision-maker. ``actor`` is who the audit entries name.
    Rows without a number are numbered from 1.
    """
    if batch_size is not None and not 1 <= batch_size <= 10_000:
        raise ValueError("batch_size must be 1-10000")
    started = time.perf_counter()
    with store.transaction() as tx:
        signer = keyring.signer(tx)
    report = BatchReport(batch_id=new_id(entropy))
    url = store.shared_file_url() if workers > 1 else None
    process = WritingProcess(url, signer=signer) if url is not None else None
    if batch_size is None:
        batch_size = DEFAULT_BATCH_SIZE if process is None else WRITING_PROCESS_BATCH_SIZE
    signing = workers - 1 - (process is not None)
    pool = SigningPool(signer, workers=signing) if signing > 0 else None
    try:
        if wait_for_workers:
            if pool is not None:
                pool.wait_ready()
            if process is not None:
                process.wait_ready()
        with store.bulk_writer() as bulk_writer:
            batch = _Batch(
                store=store,
                writer=bulk_writer,
                clock=clock,
                entropy=entropy,
                identity=identity,
                signer=signer,
                pool=pool,
                process=process,
                allocator=BulkAllocator(entries=list_entries, entropy=entropy),
                resolver=_Resolver(store, acting_maker=acting_decision_maker),
                report=report,
                actor=actor,
                keep_results=keep_results,
            )
            batch.reload()
            with _young_collections_only():
                _run(batch, _numbered(rows), batch_size=batch_size, progress=progress)
    finally:
        try:
            if pool is not None:
                pool.close()
        finally:
            if process is not None:
                process.close()
    report.seconds = time.perf_counter() - started
    return report
