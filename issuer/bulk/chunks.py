"""A bulk run's state, chunk by chunk, and how each chunk's results reach the report.

:class:`_Batch` is what every chunk of a run shares: the store and its bulk writer, the
clock and entropy, the signer and the other processes (the signing pool, the writing
process), the status slot allocator, the resolver of schemes and decision-makers, the
credential templates and the report. :class:`_Chunk` is one transaction's rows on their way
from screening to the report: the rows kept, their grants, documents and signatures, and the
transaction as data. :class:`_Balance` says how many of a chunk's credentials to leave for
the writing process to sign. :func:`_reject`, :func:`_already` and :func:`_issued` record
each row's outcome in its chunk, and :func:`_report` counts a settled chunk into the batch
report.

The names keep their underscore: they are for the modules beside this one in
:mod:`issuer.bulk`, and for nothing outside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from issuer.bulk.report import BatchReport, ItemResult, Outcome
from issuer.bulk.rosters import NumberedRow, _Resolver, _Row
from issuer.bulk.templates import _Template
from issuer.bulk.writes import ChunkWrite, PackedChunk, WritingProcess
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.signing import LoadedSigner, PendingSignatures, SigningPool
from issuer.credentials.status import BulkAllocator
from issuer.model import BulkItem, RosterGrant
from issuer.runtime import Clock, Entropy
from issuer.store import BulkWriter, Store
from issuer.store.audit import AuditActor

__all__: list[str] = []


@dataclass(slots=True)
class _Chunk:
    index: int
    rows: list[NumberedRow]
    now: datetime
    generation: int = -1
    grants: list[RosterGrant] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    checked: list[_Row] = field(default_factory=list)
    results: dict[int, ItemResult] = field(default_factory=dict)
    twins: list[tuple[int, _Row]] = field(default_factory=list)
    firsts: dict[str, _Row] = field(default_factory=dict)
    measures: dict[tuple[str, str], str] = field(default_factory=dict)
    """``(decision-maker, person)`` → the risks whose measure lifts the conflict declared."""
    signatures: PendingSignatures | list[str] | None = None
    signed_in_workers: bool = False
    written_in_process: bool = False
    last: bool = False
    """The batch's last chunk: the writing process's share of it would be time this
    process spent waiting, with nothing left to build."""
    deferred: int = 0
    """How many of the last credentials are left for the writing process to sign."""
    writer_seconds: float | None = None
    """How long the writing process took over the chunk, once it has written it."""
    write: ChunkWrite | None = None
    packed: PackedChunk | None = None


@dataclass(slots=True)
class _Balance:
    """How many of a chunk's credentials to leave unsigned for the writing process, so that
    it and this process are equally busy.

    Writing a chunk there took about half as long as screening, building and signing the
    next one here (docs/BULK.md): alone, the writing process waited half of the time. The
    timings of each chunk written there tell where the balance lies: what this process
    would have taken per row had it signed every credential, what the writing process would
    have taken had it signed none, and one signature's cost here; the share then moves
    halfway to the one that evens the two. Until a signature has been timed here, the
    writing process signs nothing.
    """

    fraction: float = 0.5
    signature: float | None = None
    """Seconds per signature in this process (the last chunk signed here)."""

    def share(self, count: int) -> int:
        return 0 if self.signature is None else round(count * self.fraction)

    def signed_here(self, count: int, seconds: float) -> None:
        if count:
            self.signature = seconds / count

    def learn(
        self, here: float, built: tuple[int, int], there: float, written: tuple[int, int]
    ) -> None:
        """``here``: the seconds this process spent on everything but waiting, while the
        writing process took ``there`` over a chunk; ``built`` and ``written`` are
        ``(rows, left unsigned)`` of the chunk built here meanwhile and of that chunk."""
        signature = self.signature
        if signature is None or not built[0] or not written[0]:
            return
        whole = (here + built[1] * signature) / built[0]
        bare = (there - written[1] * signature) / written[0]
        even = (whole - bare) / (2 * signature)
        self.fraction = min(1.0, max(0.0, (self.fraction + even) / 2))


@dataclass(slots=True)
class _Batch:
    store: Store
    writer: BulkWriter
    clock: Clock
    entropy: Entropy
    identity: IssuerIdentity
    signer: LoadedSigner
    pool: SigningPool | None
    process: WritingProcess | None
    allocator: BulkAllocator
    resolver: _Resolver
    report: BatchReport
    actor: str | AuditActor
    keep_results: bool
    generation: int = 0
    templates: dict[tuple[str, tuple[str, ...]], _Template | None] = field(default_factory=dict)
    balance: _Balance = field(default_factory=_Balance)

    @property
    def did(self) -> str:
        """The issuer's DID, which the ``kid`` of every signature names (once per chunk)."""
        return self.identity.did

    def reload(self) -> None:
        with self.store.transaction() as tx:
            self.allocator.load(tx)
        self.generation += 1


def _writing(batch: _Batch) -> bool:
    """Whether the writing process runs (it may be writing a chunk now)."""
    return batch.process is not None and batch.process.running


def _reject(chunk: _Chunk, number: int, external_id: str | None, kind: str, detail: str) -> None:
    chunk.results[number] = ItemResult(
        row=number, external_id=external_id, outcome=Outcome.REJECTED, problem=kind, detail=detail
    )


def _already(chunk: _Chunk, row: _Row, item: BulkItem) -> None:
    if item.row_digest != row.digest:
        _reject(
            chunk,
            row.number,
            row.external_id,
            "external-id-reused",
            "this external id was issued for a row with other content",
        )
        return
    chunk.results[row.number] = ItemResult(
        row=row.number,
        external_id=row.external_id,
        outcome=Outcome.ALREADY_ISSUED,
        certificate_number=item.certificate_number,
        certification_id=item.certification_id,
        credential_id=item.credential_id,
    )


def _issued(chunk: _Chunk) -> None:
    for row, grant in zip(chunk.checked, chunk.grants, strict=True):
        chunk.results[row.number] = ItemResult(
            row=row.number,
            external_id=grant.external_id,
            outcome=Outcome.ISSUED,
            certificate_number=grant.certificate_number,
            certification_id=grant.certification_id,
            credential_id=grant.credential_id,
        )


def _report(batch: _Batch, chunk: _Chunk) -> None:
    by_id = {r.external_id: r for r in chunk.results.values() if r.external_id is not None}
    for number, row in chunk.twins:
        first = by_id.get(row.external_id)
        same = chunk.firsts[row.external_id].digest == row.digest
        if first is not None and first.outcome is not Outcome.REJECTED and same:
            chunk.results[number] = ItemResult(
                row=number,
                external_id=row.external_id,
                outcome=Outcome.ALREADY_ISSUED,
                certificate_number=first.certificate_number,
                certification_id=first.certification_id,
                credential_id=first.credential_id,
            )
        else:
            _reject(
                chunk,
                number,
                row.external_id,
                "external-id-reused",
                "the batch repeats this external id with other content, or after a refusal",
            )
    report = batch.report
    report.chunks += 1
    if chunk.signed_in_workers:
        report.signed_in_workers += len(chunk.grants)
    if chunk.written_in_process:
        report.written_in_process += len(chunk.grants)
        report.signed_in_writing_process += chunk.deferred
    for number in sorted(chunk.results):
        result = chunk.results[number]
        report.rows += 1
        if result.outcome is Outcome.ISSUED:
            report.issued += 1
        elif result.outcome is Outcome.ALREADY_ISSUED:
            report.already_issued += 1
        else:
            report.rejected += 1
            report.rejections.append(result)
        if batch.keep_results:
            report.results.append(result)
