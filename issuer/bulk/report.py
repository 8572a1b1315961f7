"""What a bulk batch reports: each row's outcome and the batch's totals.

A row is issued, found issued before (by its ``external_id``) or rejected with a stable
problem kind (:class:`Outcome`, :class:`ItemResult`); :class:`BatchReport` counts them, keeps
the rejected ones (and every item when asked, as the API does) and says how much of the work
the other processes did. :func:`items_digest` is the digest each chunk's audit entry carries,
recomputable from ``bulk_items``. Plain values only: the command line, the API and the
benchmark read them without importing the rest of bulk issuance's machinery.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["BatchReport", "ItemResult", "Outcome", "items_digest"]


class Outcome(enum.StrEnum):
    ISSUED = "issued"
    ALREADY_ISSUED = "already-issued"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ItemResult:
    row: int
    external_id: str | None
    outcome: Outcome
    certificate_number: str | None = None
    certification_id: str | None = None
    credential_id: str | None = None
    problem: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class BatchReport:
    """What a batch did. ``results`` holds every item only when asked for (the API does);
    ``rejections`` always holds the rejected ones, in input order."""

    batch_id: str
    rows: int = 0
    issued: int = 0
    already_issued: int = 0
    rejected: int = 0
    seconds: float = 0.0
    chunks: int = 0
    signed_in_workers: int = 0
    """Credentials issued whose signatures the signing processes made (the rest were signed
    in this process, before the workers had started or without any)."""
    written_in_process: int = 0
    """Credentials issued whose chunks the writing process wrote (SQLite, ``workers`` of 2
    or more; the rest were written by this process)."""
    signed_in_writing_process: int = 0
    """Credentials issued whose signatures the writing process made: its share of the
    chunks it wrote (:class:`_Balance`)."""
    results: list[ItemResult] = field(default_factory=list)
    rejections: list[ItemResult] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Rows handled per second."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def items_digest(items: Iterable[tuple[str, str, str]]) -> str:
    """The digest a chunk's audit entry carries: SHA-256 over ``external_id certification_id
    credential_id`` lines, sorted by external id (recomputable from ``bulk_items``)."""
    lines = sorted(f"{e} {c} {k}" for e, c, k in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
