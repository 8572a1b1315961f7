"""The registry's one table. Only :mod:`registry.store` and the migrations use it.

It holds exactly what was published — kind, key, version, the signed body — plus what serving
it needs (media type, ETag), when it arrived, and, for a register entry whose person chose to
appear in the public directory (clause 7.3.3), the folded name the directory search matches.
Every column is the signed body or derived from it, so the registry has nothing confidential
to leak and can be rebuilt by re-publishing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, Text, TypeDecorator
from sqlalchemy.engine import Dialect

__all__ = ["documents", "metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every engine (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


documents = Table(
    "documents",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("version", BigInteger(), nullable=False),
    Column("body", Text(), nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("etag", String(64), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("directory_name", String(420), nullable=True),
)
