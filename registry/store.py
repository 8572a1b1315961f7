"""The registry's store: the only module that runs SQL against the public documents.

Writes are "store if newer" in one statement (``INSERT … ON CONFLICT … DO UPDATE … WHERE``),
so a replayed or out-of-order publication can never replace a newer document, and two
publishers racing cannot interleave a read and a write. Reads go through SQLAlchemy Core and
leave as frozen :class:`Document` values: the lookups on the public routes are hot, and rows
never leave this module.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registry.tables import documents
from schemas.publication import Publication

__all__ = ["Document", "RegistryStore", "create_registry_engine", "strong_etag"]

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def strong_etag(content: bytes) -> str:
    """A strong ETag: the quoted, unpadded base64url SHA-256 of the bytes served."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
    return f'"{digest.decode("ascii")}"'


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


def create_registry_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the registry store with the per-dialect settings it relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the publisher
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


_COLUMNS = (
    documents.c.kind,
    documents.c.key,
    documents.c.version,
    documents.c.body,
    documents.c.media_type,
    documents.c.etag,
    documents.c.received_at,
)


def _document(row: Any) -> Document:
    return Document(
        kind=row.kind,
        key=row.key,
        version=int(row.version),
        body=row.body,
        media_type=row.media_type,
        etag=row.etag,
        received_at=row.received_at,
    )


class RegistryStore:
    """Owns the engine; stores publications if newer and reads them back."""

    def __init__(self, engine: Engine, *, clock: Clock = _utc_now) -> None:
        self.engine = engine
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = _utc_now) -> RegistryStore:
        return cls(create_registry_engine(url), clock=clock)

    def put(self, publication: Publication, *, media_type: str) -> bool:
        """Store ``publication`` unless a version at least as new is held; ``True`` if stored."""
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        values = insert(documents).values(
            kind=publication.kind.value,
            key=publication.key,
            version=publication.version,
            body=publication.body,
            media_type=media_type,
            etag=strong_etag(publication.body.encode("utf-8")),
            received_at=self._clock(),
        )
        excluded = values.excluded
        statement = values.on_conflict_do_update(
            index_elements=[documents.c.kind, documents.c.key],
            set_={
                "version": excluded.version,
                "body": excluded.body,
                "media_type": excluded.media_type,
                "etag": excluded.etag,
                "received_at": excluded.received_at,
            },
            where=documents.c.version < excluded.version,
        ).returning(documents.c.version)
        with self.engine.begin() as connection:
            # RETURNING, not rowcount: psycopg reports -1 for some upserts.
            return connection.execute(statement).first() is not None

    def get(self, kind: str, key: str) -> Document | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(*_COLUMNS).where(documents.c.kind == kind, documents.c.key == key)
            ).first()
        return None if row is None else _document(row)

    def list(self, kind: str, *, limit: int = 1000) -> list[Document]:
        """Documents of one kind, ordered by key (at most ``limit``)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*_COLUMNS)
                .where(documents.c.kind == kind)
                .order_by(documents.c.key)
                .limit(limit)
            ).all()
        return [_document(row) for row in rows]

    def dispose(self) -> None:
        self.engine.dispose()
