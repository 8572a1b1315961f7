"""Many rows at once: the store's fastest way in (``COPY`` on PostgreSQL, the driver's
``executemany`` on SQLite) and :class:`TableRows`, the rows it takes, which may be made
ahead of their transaction (by a bulk run, in another process even)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql.schema import Table

from issuer.errors import Duplicate
from issuer.store.base import Unit
from issuer.store.tables import metadata as _metadata

__all__ = ["Loads", "TableRows"]

_TABLES = _metadata.tables
"""The store's tables by name (for rows made ahead of their transaction, :class:`TableRows`)."""


@dataclass(frozen=True, slots=True)
class TableRows:
    """Rows for one table, as :meth:`Tx.insert_rows` inserts them: column names and a tuple
    of plain Python values per row (each converted by its column's type on insertion);
    ``ordered`` sorts them first, so index pages fill in key order."""

    table: str
    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]
    ordered: bool = True


class Loads(Unit):
    """Inserts of many rows, each table's in one statement."""

    # ── bulk issuance (rosters) ──────────────────────────────────────────────────────────
    # Core executemany, not ORM objects: a roster chunk is hundreds of rows per table, and
    # the unit of work's per-object bookkeeping would cost more than the signature itself.
    def _load(
        self,
        table: Table,
        columns: Sequence[str],
        values: Sequence[tuple[Any, ...]],
        *,
        ordered: bool = True,
    ) -> None:
        """Insert many rows the fastest way the dialect offers: ``COPY`` on PostgreSQL, the
        driver's ``executemany`` on SQLite with each value converted by its column's own bind
        processor (so rows read back exactly as if SQLAlchemy had written them)."""
        if not values:
            return
        conn = self._s.connection()
        dialect = conn.dialect
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        raw: Any = conn.connection.driver_connection
        try:
            if dialect.name == "postgresql":
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy,
                ):
                    for value in values:
                        copy.write_row(value)
                return
            # The dialect's own implementation of each type (for SQLite, a UTC instant
            # becomes the very text the ORM writes, not the driver's default adaptation).
            processors = [
                table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns
            ]
            if any(processors):
                # Column by column: only the columns with a processor are touched, and each
                # distinct value (a chunk repeats its instant on every row) converted once.
                by_column = list(zip(*values, strict=True))
                for i, processor in enumerate(processors):
                    if processor is not None:
                        convert = _cached(processor)
                        by_column[i] = tuple([convert(v) for v in by_column[i]])
                values = list(zip(*by_column, strict=True))
            if ordered:
                values = sorted(values)
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
            raw.executemany(sql, values)  # table and column names come from the metadata
        except dialect.loaded_dbapi.IntegrityError as exc:
            raise Duplicate(f"a row of {table.name} already exists") from exc

    def insert_rows(self, rows: Sequence[TableRows]) -> None:
        """Insert rows made by :func:`roster_grant_rows` and :func:`slot_claim_rows`, in
        their order."""
        tables = _TABLES
        for part in rows:
            self._load(tables[part.table], part.columns, part.values, ordered=part.ordered)


def _cached(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor that converts each distinct value once (a chunk repeats its instant
    and its dates on every row)."""
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if value not in seen:
            seen[value] = processor(value)
        return seen[value]

    return convert
