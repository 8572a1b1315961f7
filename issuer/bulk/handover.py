"""Writing a prepared bulk chunk: here, in the writer thread, or in the writing process.

A chunk's one transaction is made as plain data (:func:`_chunk_write`: the rechecks, the
status lists taken in chunk order, the rows of every table, the outbox and the audit entry)
and then written: in this process (:func:`_write`, which first signs any share left for the
writing process), in the writer thread beside the builder where the database is a server,
or handed over to the writing process (:func:`_hand_over`, :func:`_send`;
:mod:`issuer.bulk.writes`), pickled ahead of its turn (:func:`_pack`). A chunk that meets a
concurrent change, or whose writing process is gone, is redone from a fresh view of the
store (:func:`_finish`, :func:`_settle`).

The names keep their underscore: they are for the modules beside this one in
:mod:`issuer.bulk`, and for nothing outside it.
"""

from __future__ import annotations

from collections.abc import Callable

from issuer.bulk.chunks import _Batch, _Chunk, _issued, _report
from issuer.bulk.prepare import _prepare
from issuer.bulk.report import items_digest
from issuer.bulk.writes import (
    ChunkConflict,
    ChunkWrite,
    UnsignedCredentials,
    WritingProcess,
    WritingProcessGone,
    apply,
    pack,
    signed,
)
from issuer.credentials.issuance import VC_JWT_HEADER
from issuer.credentials.signing import PendingSignatures
from issuer.credentials.status import ListClaims
from issuer.errors import Duplicate
from issuer.model import RosterGrant, SurveillanceDue
from issuer.process.surveillance_schedule import due_after
from issuer.store import roster_grant_rows, slot_claim_rows, surveillance_due_rows
from schemas.publication import DocumentKind

__all__: list[str] = []

_MAX_RETRIES = 5


def _chunk_write(batch: _Batch, chunk: _Chunk, lists: ListClaims) -> ChunkWrite:
    """The chunk's transaction as plain data (waits for its signatures if the signing
    processes make them)."""
    grants = chunk.grants
    signatures = chunk.signatures
    tokens = signatures.result() if isinstance(signatures, PendingSignatures) else signatures
    assert tokens is not None
    assert len(tokens) + chunk.deferred == len(grants)
    unsigned = None
    if chunk.deferred:
        start = len(tokens)
        unsigned = UnsignedCredentials(
            start, batch.signer.kid, batch.did, VC_JWT_HEADER, chunk.payloads[start:]
        )
        tokens = [*tokens, *[""] * chunk.deferred]  # signed by the writer (bulk_writes.signed)
    now = chunk.now
    kid = batch.signer.kid
    batch_id = batch.report.batch_id
    claims = [
        (slot, g.certification_id, g.credential_id)
        for g in grants
        for slot in (g.revocation, g.suspension)
    ]
    rows = roster_grant_rows(grants, tokens, kid=kid, batch_id=batch_id, chunk=chunk.index, at=now)
    rows.append(slot_claim_rows(claims, now))
    surveillance = _surveillance(batch, grants)
    if surveillance:
        rows.append(surveillance_due_rows(surveillance))
    return ChunkWrite(
        at=now,
        external_ids=[g.external_id for g in grants],
        certificate_numbers=[g.certificate_number for g in grants],
        recheck=[(g.decision_maker_id, g.person_id) for g in grants if g.person is None],
        measures={
            (g.decision_maker_id, g.person_id): g.risk_id for g in grants if g.risk_id is not None
        },
        row_audits=[
            {
                "actor": batch.actor,
                "action": "bulk.granted-under-measure",
                "subject_type": "certification",
                "subject_id": g.certification_id,
                "details": {
                    "decision_id": g.decision_id,
                    "external_id": g.external_id,
                    "risk_id": g.risk_id,
                },
            }
            for g in grants
            if g.risk_id is not None
        ],
        lists=lists,
        rows=rows,
        outbox=[(DocumentKind.REGISTER_ENTRY.value, g.certificate_number) for g in grants]
        + [(DocumentKind.CREDENTIAL.value, g.credential_id) for g in grants]
        + [(DocumentKind.STATUS_LIST.value, i) for i in sorted(i for i, _ in lists.lists)],
        audit={
            "actor": batch.actor,
            "action": "bulk.chunk-issued",
            "subject_type": "issuance-batch",
            "subject_id": batch_id,
            "details": {
                "chunk": chunk.index,
                "issued": len(grants),
                "notices": len(grants),
                "kid": kid,
                "items_digest": items_digest(
                    (g.external_id, g.certification_id, g.credential_id) for g in grants
                ),
            },
        },
        unsigned=unsigned,
    )


def _surveillance(batch: _Batch, grants: list[RosterGrant]) -> list[SurveillanceDue]:
    """The first surveillance item of each activity of each grant's scheme version
    (:mod:`issuer.process.surveillance_schedule`), for the chunk's one multi-row insert. A
    roster repeats its scheme and effective date on every row: each distinct due date is
    worked out once. The chunk's audit entry covers them: they follow from the grants it
    names and their scheme versions."""
    dates: dict[tuple[str, str, object], SurveillanceDue] = {}
    items = []
    for grant in grants:
        for activity in batch.resolver.surveillance(grant.scheme_version_id):
            key = (grant.scheme_version_id, activity.code, grant.effective_date)
            known = dates.get(key)
            if known is None:
                known = dates[key] = due_after("", activity, grant.effective_date)
            items.append(
                SurveillanceDue(
                    grant.certification_id, known.activity_code, known.due_on, known.late_after
                )
            )
    return items


def _lists(batch: _Batch, chunk: _Chunk) -> ListClaims:
    """The chunk's status lists to create, lock and count; taken in this thread, in chunk
    order, since the next chunk's draws change what is new."""
    slots = [slot for g in chunk.grants for slot in (g.revocation, g.suspension)]
    return batch.allocator.claims(slots, now=chunk.now)


def _made(batch: _Batch, chunk: _Chunk) -> ChunkWrite:
    """The chunk's transaction as data, made once per build of the chunk: its status
    lists are taken as it is made (:func:`_lists`)."""
    if chunk.write is None:
        chunk.write = _chunk_write(batch, chunk, _lists(batch, chunk))
    return chunk.write


def _write(batch: _Batch, chunk: _Chunk, lists: ListClaims | None = None) -> None:
    """The chunk's one transaction, in this process (:func:`_send` hands it to the writing
    process); raises :class:`ChunkConflict` (or :class:`Duplicate`) on a concurrent change.
    With ``lists`` (taken in this thread), the transaction is made where this runs: in the
    writer thread, which then waits for the signing processes instead of this thread."""
    if chunk.grants:
        write = _made(batch, chunk) if lists is None else _chunk_write(batch, chunk, lists)
        chunk.write = None  # a redo builds anew
        write = signed(write, batch.signer)  # the writing process's share, if it had one
        with batch.writer.transaction() as tx:
            apply(tx, write)
    _issued(chunk)


def _pack(batch: _Batch, chunk: _Chunk) -> None:
    """Pickle the chunk's transaction for the writing process, ahead of its turn:
    :func:`_run` does it while the writing process still writes the chunk before, so
    only the hand-over is left once that one is done."""
    if chunk.grants and chunk.packed is None:
        chunk.packed = pack(_made(batch, chunk))


def _send(batch: _Batch, chunk: _Chunk, process: WritingProcess) -> Callable[[], None]:
    """Start the chunk's transaction in the writing process; returns what waits for it."""
    if chunk.grants:
        _pack(batch, chunk)
        packed, chunk.write, chunk.packed = chunk.packed, None, None  # a redo builds anew
        assert packed is not None
        process.send(packed)

    def written() -> None:
        if chunk.grants:
            chunk.writer_seconds = process.result()
            chunk.written_in_process = True
        _issued(chunk)

    return written


def _finish(batch: _Batch, chunk: _Chunk, written: Callable[[], None]) -> None:
    """Wait for a chunk's write (in the writer thread or the writing process); after a
    concurrent change, redo it here, from a fresh view of the store."""
    try:
        written()
    except (ChunkConflict, Duplicate) as exc:
        batch.reload()
        _settle(batch, chunk, first=exc)
        return
    except WritingProcessGone:
        _writing_process_gone(batch)
        _settle(batch, chunk)
        return
    _report(batch, chunk)


def _writing_process_gone(batch: _Batch) -> None:
    """Go on without the writing process: it ended with a chunk that it may or may not
    have committed, so the view of the store is reloaded and the chunk redone here, where
    screening finds the rows it did commit (reported as already issued)."""
    if batch.process is not None:
        batch.process.close()
        batch.process = None
    batch.reload()


def _settle(
    batch: _Batch, chunk: _Chunk, *, first: Exception | None = None, here: bool = False
) -> None:
    """Write a prepared chunk, redoing it (and reloading slots) after a concurrent change;
    in the writing process if it is ready, unless ``here``."""
    last = first
    for _ in range(_MAX_RETRIES):
        if chunk.generation != batch.generation:
            _prepare(batch, chunk)
        process = None if here else _writing_process(batch)
        try:
            if process is not None:
                _send(batch, chunk, process)()
            else:
                _write(batch, chunk)
        except (ChunkConflict, Duplicate) as exc:
            last = exc
            batch.reload()
            continue
        except WritingProcessGone as exc:
            last = exc
            _writing_process_gone(batch)
            continue
        _report(batch, chunk)
        return
    raise RuntimeError("a chunk kept meeting concurrent changes; try again") from last


def _hand_over(batch: _Batch, chunk: _Chunk) -> Callable[[], None] | None:
    """Send a built chunk to the writing process, if it is ready; what waits for the write,
    or None if the chunk is still to be written."""
    process = _writing_process(batch)
    if process is None:
        return None
    if chunk.generation != batch.generation:
        _prepare(batch, chunk)  # built before a redo reloaded the slots
    try:
        return _send(batch, chunk, process)
    except WritingProcessGone:
        _writing_process_gone(batch)  # the chunk is redone here
        return None


def _writing_process(batch: _Batch) -> WritingProcess | None:
    """The writing process, once it is ready to take chunks."""
    process = batch.process
    return process if process is not None and process.ready else None
