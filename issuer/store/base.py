"""What every aggregate of the store stands on: one unit of work's session and its helpers.

:class:`Unit` holds the session of a transaction (or of a unit of work that only reads) and
the two helpers every aggregate's methods use: :meth:`Unit._among` (a chunk of values as one
bound parameter) and :meth:`Unit._flush` (a broken unique key becomes :class:`Duplicate`).
Beside it, the conversions between the frozen dataclasses of :mod:`issuer.model` and rows
that more than one aggregate needs, and the dialect's ``INSERT … ON CONFLICT``. The
aggregates' classes add methods only, no state: a :class:`~issuer.store.Tx` is one object
over one session, whose methods are looked up on its class like any other's.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import Duplicate

__all__ = ["Unit"]


class Unit:
    """One unit of work's session, under the reads and the writes of every aggregate."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def _among(self, column: Any, values: Collection[str]) -> Any:
        """``column IN values`` with the values as *one* bound parameter (a JSON array read
        by ``json_each`` on SQLite, an array on PostgreSQL): a chunk asks about 5,000
        values at a time, and an expanded ``IN`` list costs more to compile than to run."""
        if self._s.connection().dialect.name == "postgresql":
            return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
        return column.in_(
            select(literal_column("value")).select_from(
                func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
            )
        )

    def _flush(self, what: str) -> None:
        try:
            self._s.flush()
        except IntegrityError as exc:
            raise Duplicate(f"{what} already exists") from exc


def _insert(session: Session) -> Any:
    """The dialect's INSERT that supports ON CONFLICT (PostgreSQL and SQLite both do)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _fields(value: Any) -> dict[str, Any]:
    """A frozen dataclass's fields as a dict (shallow: nested values stay as they are)."""
    return {name: getattr(value, name) for name in value.__slots__}


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}
