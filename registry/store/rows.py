"""A stored document as the public routes serve it, and how a driver's row becomes one.

The single-document reads run their own statements on their drivers, without SQLAlchemy
(:mod:`~registry.store.local_reads`, :mod:`~registry.store.server_reads`,
:mod:`~registry.store.loop_reads`). They select the same columns and read ``received_at`` with
the column type's own result processor, so every path returns the same :class:`Document`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine

from registry.tables import documents


@dataclass(frozen=True, slots=True)
class Document:
    """One stored publication, as the public routes serve it."""

    kind: str
    key: str
    version: int
    body: str
    media_type: str
    etag: str
    received_at: datetime


def _driver_document(row: Any, received_at: Callable[[Any], Any] | None) -> Document | None:
    """A document from a driver's row of :data:`_GET`'s columns, its ``received_at`` read by
    the column type's own result processor (as SQLAlchemy would read it)."""
    if row is None:
        return None
    received = cast(datetime, row[6] if received_at is None else received_at(row[6]))
    return Document(
        kind=row[0],
        key=row[1],
        version=int(row[2]),
        body=row[3],
        media_type=row[4],
        etag=row[5],
        received_at=received,
    )


def _received_at(engine: Engine) -> Callable[[Any], Any] | None:
    """The ``received_at`` column's own reading of a driver's value, as SQLAlchemy would
    read it (``None``: the driver's value is already the instant)."""
    received = documents.c.received_at.type.dialect_impl(engine.dialect)
    return received.result_processor(engine.dialect, None)


# The columns of :func:`_driver_document`, in its order, for the drivers' own statements.
_SELECT_DOCUMENT = (
    "SELECT kind, key, version, body, media_type, etag, received_at FROM documents WHERE "
)
