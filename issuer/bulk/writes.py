"""A bulk chunk's one transaction, as plain data, and the process that can write it.

Bulk issuance prepares each chunk (:mod:`issuer.bulk.prepare`: rows checked, documents
built and signed) and then writes it in one transaction: the rechecks that catch a concurrent run
(external ids, certificate numbers, impartiality), the status lists created or locked, the
rows of every table, the slots claimed and counted, the outbox and the audit entry.
:class:`ChunkWrite` is that transaction as plain values (tuples of strings, numbers and
instants), and :func:`apply` runs it in a :class:`~issuer.store.Tx`.

On SQLite the database engine works inside the process that writes, and writing is about
half of a roster row's time: in one process it takes turns with the checking, building
and signing of the next chunk. :class:`WritingProcess` writes chunks in a process of its
own, over its own connection to the same database file, while this process prepares the
next chunk, so the two halves use two cores (docs/BULK.md). Only one chunk is ever being
written: SQLite takes one writer at a time anyway, and a chunk's rechecks must see the
chunk before it. A chunk the writing process refuses (:class:`ChunkConflict`, or
:class:`~issuer.errors.Duplicate` from a key taken meanwhile) comes back as that exception,
and the caller redoes it as it would have redone its own.

Writing a chunk takes the writing process about half the time this process takes to screen,
build and sign the next one (docs/BULK.md), so it also signs a share of each chunk: the
last credentials of a chunk may come unsigned (:class:`UnsignedCredentials`), and it signs
them with the batch's key, handed over when it starts as the signing workers get theirs
(:class:`~issuer.credentials.signing.SignerHandOver`), before its transaction. The caller picks the
share from how busy each process was (:meth:`WritingProcess.result` says how long a chunk
took there). A chunk written in this process instead is signed here first
(:func:`signed`); :func:`apply` refuses one with credentials still unsigned.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
import pickle
import signal
import sys
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Any, cast

from issuer.credentials.signing import LoadedSigner, Signer, SignerHandOver, sign_compact_many
from issuer.credentials.status import ListClaims
from issuer.lifeline import die_with_parent
from issuer.model import RiskActivity
from issuer.process.impartiality import measure_in_force
from issuer.store import Store, TableRows, Tx, with_credential_jws

__all__ = [
    "ChunkConflict",
    "ChunkWrite",
    "PackedChunk",
    "UnsignedCredentials",
    "WritingProcess",
    "WritingProcessGone",
    "apply",
    "pack",
    "signed",
]


class ChunkConflict(Exception):
    """A chunk's transaction met a concurrent change (an external id issued, a certificate
    number or a status list taken, an impartiality relation recorded meanwhile): roll back,
    reload, redo the chunk."""


class WritingProcessGone(RuntimeError):
    """The writing process ended without being told to (killed, out of memory). The chunk
    it had may or may not be committed: the caller redoes it from a fresh view of the store,
    which tells."""


@dataclass(frozen=True, slots=True)
class UnsignedCredentials:
    """The last credentials of a chunk, still to be signed with the key ``kid`` (the one
    the chunk's rows name) as the issuer ``did``: the payloads (JWS payloads of one protected
    ``header``) of the credential rows from the ``start``-th on, whose ``jws`` the rows hold
    empty until :func:`signed` fills it in."""

    start: int
    kid: str
    did: str
    header: dict[str, Any]
    payloads: list[bytes]


@dataclass(frozen=True, slots=True)
class ChunkWrite:
    """Everything one chunk's transaction writes and checks.

    ``recheck`` holds the ``(decision_maker_id, person_id)`` of rows naming existing
    persons: a relation recorded since the chunk was screened refuses the chunk. ``rows``
    are every table's rows in insertion order, the status slots last
    (:func:`issuer.store.roster_grant_rows`, :func:`issuer.store.slot_claim_rows`).
    ``audit`` are the keyword arguments of the chunk's audit entry; ``row_audits`` those
    of an entry per row granted despite a declared conflict, under the impartiality
    measure ``measures`` names for its ``(decision_maker_id, person_id)``. ``unsigned``, if
    any, are the credentials whose signatures are still to be made (:func:`signed`).
    """

    at: datetime
    external_ids: list[str]
    certificate_numbers: list[str]
    recheck: list[tuple[str, str]]
    lists: ListClaims
    rows: list[TableRows]
    outbox: list[tuple[str, str]]
    audit: dict[str, Any]
    unsigned: UnsignedCredentials | None = None
    measures: dict[tuple[str, str], str] = field(default_factory=dict)
    row_audits: list[dict[str, Any]] = field(default_factory=list)


def signed(write: ChunkWrite, signer: Signer) -> ChunkWrite:
    """``write`` with its unsigned credentials signed by ``signer`` (the batch's key)."""
    unsigned = write.unsigned
    if unsigned is None:
        return write
    if signer.kid != unsigned.kid:
        raise ValueError("the chunk was made for another key")
    jws = sign_compact_many(
        header=unsigned.header, payloads=unsigned.payloads, signer=signer, did=unsigned.did
    )
    rows = with_credential_jws(write.rows, unsigned.start, jws)
    return replace(write, rows=rows, unsigned=None)


def apply(tx: Tx, write: ChunkWrite) -> None:
    """Run a chunk's transaction in ``tx``; raises :class:`ChunkConflict` (or
    :class:`~issuer.errors.Duplicate`) on a concurrent change, and the caller rolls back.
    Every credential must be signed (:func:`signed`)."""
    if write.unsigned is not None:
        raise ValueError("a chunk's credentials are not all signed")
    if tx.bulk_items(write.external_ids):
        raise ChunkConflict("an external id was issued meanwhile")
    if tx.certificate_numbers_in_use(write.certificate_numbers):
        raise ChunkConflict("a certificate number was taken meanwhile")
    if write.recheck and _relation_recorded(tx, write):
        raise ChunkConflict("an impartiality relation was recorded meanwhile")
    if not write.lists.open(tx):
        raise ChunkConflict("a status list vanished meanwhile")
    tx.insert_rows(write.rows)
    write.lists.count(tx, at=write.at)
    tx.enqueue_many(write.outbox, write.at)
    tx.append_audit(at=write.at, **write.audit)
    for entry in write.row_audits:
        tx.append_audit(at=write.at, **entry)


def _relation_recorded(tx: Tx, write: ChunkWrite) -> bool:
    """Whether a row's decision-maker is now refused for its person: trained or examined
    them, or declared a conflict that the measure screened for it no longer lifts."""
    wanted = set(write.recheck)
    for staff, person, kind in tx.impartiality_relations({p for _, p in wanted}):
        pair = (staff, person)
        if pair not in wanted:
            continue
        if kind != "declared-conflict" or pair not in write.measures:
            return True
        now_lifted = measure_in_force(
            tx,
            staff_id=staff,
            person_id=person,
            activity=RiskActivity.DECIDE,
            today=write.at.date(),
        )
        if now_lifted != write.measures[pair]:
            return True
    return False


def _serve(connection: Connection, url: str, handover: SignerHandOver | None) -> None:
    """The writing process: open the store, say so, then sign what is left of each chunk
    it is sent, write it and answer with what came of it (and the seconds it took), until
    told to close (or its parent is gone).

    Interrupts are the parent's to handle (a Ctrl-C reaches the whole process group): the
    parent waits for the chunk in flight, then closes this process. A parent that is gone
    without closing it (killed outright) ends it at once, even in the middle of a chunk,
    whose transaction is then rolled back as after any crash
    (:func:`issuer.lifeline.die_with_parent`); a rerun issues that chunk.
    """
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A chunk arrives as some 150,000 tuples: automatic collections would start every few
    # hundred of them as they are unpickled. Nothing in a chunk holds a cycle; the young
    # generations are collected after each one.
    gc.disable()
    try:
        _write_until_closed(connection, url, None if handover is None else handover.load())
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone, or stopped listening: nothing more will come
    finally:
        connection.close()
    # Nothing is left to do: each chunk was committed or rolled back whole and the store is
    # closed. The interpreter's teardown of a process that imported the whole stack took
    # 130-220 ms here, and the parent's close waits for the process to end; so it ends
    # now, without it. (An unexpected error does not come here: it ends the process with
    # its traceback, as any other.)
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # a stream closed or gone with the parent: nothing to say
            if stream is not None:
                stream.flush()
    os._exit(0)


def _write_until_closed(connection: Connection, url: str, signer: LoadedSigner | None) -> None:
    with ExitStack() as stack:
        try:
            store = Store.from_url(url)
            stack.callback(store.dispose)
            writer = stack.enter_context(store.bulk_writer())
        except Exception as exc:
            connection.send(("failed", _sendable(exc)))
            return
        connection.send(("ready", None))
        tidying = 0.0  # the last chunk's clearing away, after its answer: counted with the next
        while True:
            kind, size = connection.recv()
            if kind == "close":
                break
            started = time.perf_counter()
            write = _receive_chunk(connection, kind, size)
            try:
                if write.unsigned is not None:
                    if signer is None:
                        raise ValueError("this writing process holds no key to sign with")
                    write = signed(write, signer)
                with writer.transaction() as tx:
                    apply(tx, write)
            except Exception as exc:
                connection.send(("error", _sendable(exc)))
            else:
                connection.send(("written", time.perf_counter() - started + tidying))
            answered = time.perf_counter()
            del write
            gc.collect(1)
            tidying = time.perf_counter() - answered
    # The bulk connection's settings restored, its log checkpointed, the store closed.
    connection.send(("closed", None))


_IN_MEMORY = hasattr(os, "memfd_create")
"""Whether chunks travel in anonymous memory files (Linux) rather than over the pipe."""


@dataclass(frozen=True, slots=True)
class PackedChunk:
    """A :class:`ChunkWrite` pickled, ready for :meth:`WritingProcess.send`.

    Packing is most of the cost of handing a chunk over (some 15 MB for 5,000 rows), so the
    caller packs a chunk as soon as it is built, while the writing process still writes the
    one before; only the copy into the memory file and the descriptor's passage are left
    for :meth:`WritingProcess.send`, when the process is free.
    """

    data: bytes


def pack(write: ChunkWrite) -> PackedChunk:
    """``write`` pickled for the writing process."""
    return PackedChunk(pickle.dumps(write, protocol=pickle.HIGHEST_PROTOCOL))


def _send_chunk(connection: Connection, packed: PackedChunk) -> None:
    """Pass a packed chunk on. Where the system has anonymous memory files (Linux), the
    bytes go into one and only its descriptor over the pipe: one copy in a single call,
    and the reader reads it when it is ready, instead of this process feeding the pipe
    64 KiB at a time while the reader drains it. The file lives in memory only (a chunk
    holds confidential person data: it never touches a disk) and is gone once both ends
    have closed it."""
    data = packed.data
    if not _IN_MEMORY:
        connection.send(("pipe", len(data)))
        connection.send_bytes(data)
        return
    fd = os.memfd_create("certreg-bulk-chunk", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        connection.send(("memory", len(data)))
        reduction.send_handle(connection, fd, 0)  # the pid is for Windows only
    finally:
        os.close(fd)


def _receive_chunk(connection: Connection, kind: str, size: int) -> ChunkWrite:
    """The chunk :func:`_send_chunk` sent (the parent's own bytes)."""
    if kind == "pipe":
        data = connection.recv_bytes()
        return cast(ChunkWrite, pickle.loads(data))  # noqa: S301  # from our parent only
    fd = reduction.recv_handle(connection)
    try:
        with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as memory:
            return cast(ChunkWrite, pickle.loads(memory))  # noqa: S301  # from our parent only
    finally:
        os.close(fd)


def _sendable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling; otherwise a :class:`RuntimeError` telling it."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301  # the bytes just made here
    except Exception:
        return RuntimeError(f"the writing process failed: {exc!r}")
    return exc


class WritingProcess:
    """Writes bulk chunks in a process of its own (see the module doc).

    The process starts in the background (``spawn``: an interpreter that imports the main
    module, about a second and a half on a slow day here); until :attr:`ready`, callers
    write in their own process rather than wait. It opens the store from ``url`` with the
    same engine settings as any issuer store and one bulk connection (:class:`BulkWriter`)
    for all the chunks it writes; :meth:`close` restores that connection's settings and
    checkpoints its log before the process ends. Given the batch's ``signer``, it signs
    the credentials a chunk leaves unsigned; without, it refuses such a chunk.

    A chunk travels over a pipe, pickled (:func:`pack`) and sent by the thread that calls
    :meth:`send`.
    Not by a helper thread (as a process pool's queue does): a chunk is some 15 MB, the
    pipe takes 64 KiB per write, and a helper thread waited up to the interpreter's switch
    interval for the lock after every write while the caller built the next chunk — most
    of a chunk's time. One chunk at a time: :meth:`send`, then :meth:`result`.
    """

    def __init__(self, url: str, *, signer: LoadedSigner | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        handover = None if signer is None else signer.hand_over()
        self._process = context.Process(
            target=_serve, args=(child, url, handover), name="certreg-bulk-writer", daemon=True
        )
        self._process.start()
        child.close()
        self._state = "starting"
        self._failure: Exception | None = None

    def _receive(self) -> tuple[str, Any]:
        try:
            kind, value = self._connection.recv()
        except (EOFError, ConnectionResetError):
            self._state = "gone"
            raise WritingProcessGone("the writing process ended unexpectedly") from None
        return kind, value

    def _started(self, kind: str, value: Exception | None) -> None:
        self._state = "ready" if kind == "ready" else "failed"
        self._failure = value

    @property
    def running(self) -> bool:
        """Whether the process has opened the store and goes on taking chunks (it may be
        writing one now); never blocks."""
        return self._state == "writing" or self.ready

    @property
    def ready(self) -> bool:
        """Whether the process has opened the store (never blocks). A process that failed
        to start is never ready: its caller goes on writing in its own process."""
        if self._state == "starting" and self._connection.poll():
            try:
                self._started(*self._receive())
            except WritingProcessGone as exc:
                self._state, self._failure = "failed", exc
        return self._state == "ready"

    def wait_ready(self) -> None:
        """Block until the process has opened the store (raising what a failed start
        raised)."""
        if self._state == "starting":
            self._started(*self._receive())
        if self._state != "ready":
            raise self._failure or RuntimeError("the writing process is not running")

    def send(self, packed: PackedChunk) -> None:
        """Start writing a chunk (once :attr:`ready`); :meth:`result` tells how it went."""
        if self._state != "ready":
            raise RuntimeError("the writing process is not ready")
        try:
            _send_chunk(self._connection, packed)
        except (BrokenPipeError, ConnectionResetError):
            self._state = "gone"
            raise WritingProcessGone("the writing process ended unexpectedly") from None
        self._state = "writing"

    def result(self) -> float:
        """Wait for the chunk sent last; raises what :func:`apply` raised there. Returns
        the seconds the process spent on it (taking it in, signing, writing) and on
        clearing away the chunk before."""
        if self._state != "writing":
            raise RuntimeError("no chunk is being written")
        kind, value = self._receive()
        self._state = "ready"
        if kind != "written":
            assert isinstance(value, Exception)
            raise value
        return float(value)

    def close(self) -> None:
        """End the process once it has written what it was given.

        Never raises for the process's sake: each chunk it was sent was committed or rolled
        back whole, and :meth:`result` told which. A chunk still in flight (the caller is
        failing) is waited for, not abandoned half way. A process that never became ready
        has been sent nothing, and is stopped at once rather than waited for.
        """
        handed_over = self._state == "writing" or self.ready
        try:
            if self._state == "writing":
                with suppress(Exception):
                    self.result()
            if self._state == "ready":
                self._connection.send(("close", None))
                with suppress(WritingProcessGone):
                    self._receive()
        finally:
            self._state = "closed"
            self._connection.close()
            if handed_over:
                self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
