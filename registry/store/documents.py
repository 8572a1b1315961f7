"""The registry store itself: the engine, "store if newer" writes, and reads through Core.

:class:`RegistryStore` owns the engine. It writes each publication in one statement that
stores it only if newer, and lists documents through SQLAlchemy Core; a single-document read
goes to the fastest path the database offers: a local file read on SQLite; on PostgreSQL,
connections of its own, and asyncpg on the event loop for a caller awaiting it.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, create_engine, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from registry.store.local_reads import _LocalReads
from registry.store.loop_reads import _LoopReads
from registry.store.rows import Document
from registry.store.server_reads import _ServerReads
from registry.tables import documents
from schemas.publication import Publication

Clock = Callable[[], datetime]


def like_pattern(text: str) -> str:
    """``%text%`` for ``LIKE … ESCAPE '\\'``, with the wildcards in ``text`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def strong_etag(content: bytes) -> str:
    """A strong ETag: the quoted, unpadded base64url SHA-256 of the bytes served."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
    return f'"{digest.decode("ascii")}"'


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
        self._local = _LocalReads(engine) if _LocalReads.usable(engine) else None
        self._server = _ServerReads(engine) if _ServerReads.usable(engine) else None
        self._loop_reads = None if self._server is None else _LoopReads(engine, self._server.get)

    @property
    def reads_are_local(self) -> bool:
        """Whether a single-document read is a local file read of microseconds, cheap
        enough to make inline on an event loop (SQLite). Otherwise it is a round trip to a
        database server, which async callers await (:meth:`get_async`) or hand to a thread."""
        return self._local is not None

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = _utc_now) -> RegistryStore:
        return cls(create_registry_engine(url), clock=clock)

    def put(
        self, publication: Publication, *, media_type: str, directory_name: str | None = None
    ) -> bool:
        """Store ``publication`` unless a version at least as new is held; ``True`` if stored.

        ``directory_name`` is the folded name under which the document is listed in the
        public directory, ``None`` for a document that is not (or no longer) listed.
        """
        values = self._insert(publication, media_type, directory_name)
        return self._store(values, documents.c.version < values.excluded.version)

    def put_over(
        self, publication: Publication, *, media_type: str, held_version: int | None
    ) -> bool:
        """Store ``publication`` only over the version its caller checked it against:
        ``held_version``, still held and older (``None``: none held yet); ``True`` if stored.

        A document whose acceptance depends on the one it replaces (the issuer keys, which
        must be endorsed by the keys they replace) is then never stored over another one
        stored meanwhile; the caller reads that one and checks again.
        """
        values = self._insert(publication, media_type, None)
        if held_version is None:
            statement = values.on_conflict_do_nothing(
                index_elements=[documents.c.kind, documents.c.key]
            ).returning(documents.c.version)
            with self.engine.begin() as connection:
                return connection.execute(statement).first() is not None
        excluded = values.excluded
        return self._store(
            values,
            and_(documents.c.version == held_version, documents.c.version < excluded.version),
        )

    def _insert(self, publication: Publication, media_type: str, directory_name: str | None) -> Any:
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        return insert(documents).values(
            kind=publication.kind.value,
            key=publication.key,
            version=publication.version,
            body=publication.body,
            media_type=media_type,
            etag=strong_etag(publication.body.encode("utf-8")),
            received_at=self._clock(),
            directory_name=directory_name,
        )

    def _store(self, values: Any, replace_when: Any) -> bool:
        """Insert ``values``, or replace the row held under its key when ``replace_when``
        holds of it, in one statement; whether anything was written."""
        excluded = values.excluded
        statement = values.on_conflict_do_update(
            index_elements=[documents.c.kind, documents.c.key],
            set_={
                "version": excluded.version,
                "body": excluded.body,
                "media_type": excluded.media_type,
                "etag": excluded.etag,
                "received_at": excluded.received_at,
                "directory_name": excluded.directory_name,
            },
            where=replace_when,
        ).returning(documents.c.version)
        with self.engine.begin() as connection:
            # RETURNING, not rowcount: psycopg reports -1 for some upserts.
            return connection.execute(statement).first() is not None

    def put_new(self, items: builtins.list[tuple[Publication, str, str | None]]) -> None:
        """Store many publications the store does not hold yet, in one transaction:
        ``(publication, media_type, directory_name)`` each, already verified by the caller.

        For seeding an empty registry (``certreg bench``) at insert speed instead of one
        upsert per document; a key already held breaks the primary key and nothing is stored.
        """
        received = self._clock()
        rows = [
            {
                "kind": p.kind.value,
                "key": p.key,
                "version": p.version,
                "body": p.body,
                "media_type": media_type,
                "etag": strong_etag(p.body.encode("utf-8")),
                "received_at": received,
                "directory_name": listed,
            }
            for p, media_type, listed in items
        ]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(documents.insert(), rows)

    def get(self, kind: str, key: str) -> Document | None:
        if self._local is not None:
            return self._local.get(kind, key)
        if self._server is not None:
            return self._server.get(kind, key)
        with self.engine.connect() as connection:
            row = connection.execute(
                select(*_COLUMNS).where(documents.c.kind == kind, documents.c.key == key)
            ).first()
        return None if row is None else _document(row)

    async def get_async(self, kind: str, key: str) -> Document | None:
        """:meth:`get` for a caller on an event loop: awaited on the loop on PostgreSQL,
        inline where reads are local (SQLite), else in a thread."""
        if self._loop_reads is not None:
            return await self._loop_reads.get(kind, key)
        if self._local is not None:
            return self._local.get(kind, key)
        return await asyncio.to_thread(self.get, kind, key)

    def etag(self, kind: str, key: str) -> str | None:
        """The ETag of the stored document, or ``None``: whether a cached copy is current."""
        if self._local is not None:
            return self._local.etag(kind, key)
        if self._server is not None:
            return self._server.etag(kind, key)
        with self.engine.connect() as connection:
            value = connection.execute(
                select(documents.c.etag).where(documents.c.kind == kind, documents.c.key == key)
            ).scalar()
        return None if value is None else str(value)

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

    def listed(self, kind: str, folded_query: str, *, limit: int) -> builtins.list[Document]:
        """Documents of ``kind`` listed in the directory under a name containing the query.

        ``folded_query`` is already folded (see :func:`registry.names.fold`); LIKE wildcards
        in it match literally. Ordered by name, then key, so answers are stable.
        """
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*_COLUMNS)
                .where(
                    documents.c.kind == kind,
                    documents.c.directory_name.is_not(None),
                    documents.c.directory_name.like(like_pattern(folded_query), escape="\\"),
                )
                .order_by(documents.c.directory_name, documents.c.key)
                .limit(limit)
            ).all()
        return [_document(row) for row in rows]

    def dispose(self) -> None:
        if self._local is not None:
            self._local.close()
        if self._server is not None:
            self._server.close()
        if self._loop_reads is not None:
            self._loop_reads.close()
        self.engine.dispose()
