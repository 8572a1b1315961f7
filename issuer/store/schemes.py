"""Schemes in the store: each scheme, its numbered versions with their scope items and
surveillance activities, and the scheme's certification marks.

A new version is added, never changed; the scheme row points at its current one. As in every
aggregate, the reads (:class:`SchemeReads`) and the writes (:class:`SchemeWrites`) are two
classes, so the read-only face (:class:`~issuer.store.Reader`) has the one and not the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from issuer.errors import Duplicate
from issuer.model import (
    Scheme,
    SchemeContent,
    SchemeMark,
    SchemeTranslation,
    SchemeVersion,
    ScopeItem,
    SurveillanceActivity,
)
from issuer.store.base import Unit, _columns, _fields
from issuer.store.tables import (
    SchemeMarkRow,
    SchemeRow,
    SchemeTranslationRow,
    SchemeVersionRow,
    ScopeItemRow,
    ScopeItemTranslationRow,
    SurveillanceActivityRow,
)

__all__ = ["SchemeReads", "SchemeWrites"]

_CONTENT_FIELDS = [
    f
    for f in SchemeContent.__slots__
    if f
    not in ("scope_items", "surveillance_activities", "recertification_evidence", "translations")
]


class SchemeReads(Unit):
    """Schemes, their versions and their marks, read."""

    def get_scheme(self, scheme_id: str) -> Scheme | None:
        row = self._s.get(SchemeRow, scheme_id)
        if row is None:
            return None
        current = self.get_scheme_version_by_number(row.id, row.current_version)
        assert current is not None
        return Scheme(id=row.id, code=row.code, created_at=row.created_at, current=current)

    def get_scheme_code(self, scheme_id: str) -> str | None:
        """A scheme's code alone: what a credential names it by. One indexed read, where
        :meth:`get_scheme` reads its current version and that version's content too (a
        credential endpoint saved four queries a request by asking for less)."""
        return self._s.scalar(select(SchemeRow.code).where(SchemeRow.id == scheme_id))

    def list_schemes(self) -> list[Scheme]:
        ids = self._s.scalars(select(SchemeRow.id).order_by(SchemeRow.code)).all()
        return [s for s in (self.get_scheme(i) for i in ids) if s is not None]

    def get_scheme_version(self, version_id: str) -> SchemeVersion | None:
        row = self._s.get(SchemeVersionRow, version_id)
        return None if row is None else _version(self._s, row)

    def get_scheme_version_by_number(self, scheme_id: str, number: int) -> SchemeVersion | None:
        row = self._s.scalar(
            select(SchemeVersionRow).where(
                SchemeVersionRow.scheme_id == scheme_id, SchemeVersionRow.version == number
            )
        )
        return None if row is None else _version(self._s, row)

    def get_scheme_by_code(self, code: str) -> Scheme | None:
        scheme_id = self._s.scalar(select(SchemeRow.id).where(SchemeRow.code == code))
        return None if scheme_id is None else self.get_scheme(scheme_id)

    def current_scheme_mark(self, scheme_id: str) -> SchemeMark | None:
        row = self._s.scalar(
            select(SchemeMarkRow)
            .where(SchemeMarkRow.scheme_id == scheme_id)
            .order_by(SchemeMarkRow.created_at.desc(), SchemeMarkRow.id)
            .limit(1)
        )
        return None if row is None else SchemeMark(**_columns(row))

    def get_scheme_mark(self, mark_id: str) -> SchemeMark | None:
        row = self._s.get(SchemeMarkRow, mark_id)
        return None if row is None else SchemeMark(**_columns(row))


class SchemeWrites(Unit):
    """Schemes, their versions and their marks, written."""

    def insert_scheme(self, *, scheme_id: str, code: str, created_at: datetime) -> None:
        if self._s.scalar(select(exists().where(SchemeRow.code == code))):
            raise Duplicate(f"a scheme with code {code!r} already exists")
        self._s.add(SchemeRow(id=scheme_id, code=code, created_at=created_at, current_version=0))
        self._flush("scheme")

    def insert_scheme_version(self, version: SchemeVersion) -> None:
        content = version.content
        self._s.add(
            SchemeVersionRow(
                id=version.id,
                scheme_id=version.scheme_id,
                version=version.version,
                created_at=version.created_at,
                created_by=version.created_by,
                recertification_evidence=",".join(sorted(content.recertification_evidence)),
                **{f: getattr(content, f) for f in _CONTENT_FIELDS},
            )
        )
        self._s.add_all(
            ScopeItemRow(
                scheme_version_id=version.id,
                position=i,
                code=item.code,
                title=item.title,
                description=item.description,
            )
            for i, item in enumerate(content.scope_items)
        )
        self._s.add_all(
            SurveillanceActivityRow(
                scheme_version_id=version.id,
                position=i,
                code=activity.code,
                title=activity.title,
                interval_months=activity.interval_months,
                grace_days=activity.grace_days,
            )
            for i, activity in enumerate(content.surveillance_activities)
        )
        scheme = self._s.get(SchemeRow, version.scheme_id, with_for_update=True)
        assert scheme is not None
        scheme.current_version = version.version
        self._flush("scheme version")
        # After the version's row is written: these rows name it, and carry no ORM relation
        # that would order them after it.
        for translation in content.translations:
            self._s.add(
                SchemeTranslationRow(
                    scheme_version_id=version.id,
                    language=translation.language,
                    title=translation.title,
                    certificate_title=translation.certificate_title,
                )
            )
            self._s.add_all(
                ScopeItemTranslationRow(
                    scheme_version_id=version.id,
                    language=translation.language,
                    code=code,
                    position=i,
                    title=title,
                )
                for i, (code, title) in enumerate(translation.scope_items)
            )
        self._flush("scheme translation")

    def insert_scheme_mark(self, mark: SchemeMark) -> None:
        self._s.add(SchemeMarkRow(**_fields(mark)))
        self._flush("scheme mark")


def _scope_items(session: Session, version_id: str) -> tuple[ScopeItem, ...]:
    table = ScopeItemRow.__table__
    rows = session.connection().execute(
        select(table.c.code, table.c.title, table.c.description)
        .where(table.c.scheme_version_id == version_id)
        .order_by(table.c.position)
    )
    return tuple(ScopeItem(code=r.code, title=r.title, description=r.description) for r in rows)


def _surveillance_activities(session: Session, version_id: str) -> tuple[SurveillanceActivity, ...]:
    table = SurveillanceActivityRow.__table__
    rows = session.connection().execute(
        select(table.c.code, table.c.title, table.c.interval_months, table.c.grace_days)
        .where(table.c.scheme_version_id == version_id)
        .order_by(table.c.position)
    )
    return tuple(
        SurveillanceActivity(
            code=r.code, title=r.title, interval_months=r.interval_months, grace_days=r.grace_days
        )
        for r in rows
    )


def _translations(session: Session, version_id: str) -> tuple[SchemeTranslation, ...]:
    table = SchemeTranslationRow.__table__
    rows = (
        session.connection()
        .execute(
            select(table.c.language, table.c.title, table.c.certificate_title)
            .where(table.c.scheme_version_id == version_id)
            .order_by(table.c.language)
        )
        .all()
    )
    if not rows:
        return ()
    items: dict[str, list[tuple[str, str]]] = {}
    scope = ScopeItemTranslationRow.__table__
    for item in session.connection().execute(
        select(scope.c.language, scope.c.code, scope.c.title)
        .where(scope.c.scheme_version_id == version_id)
        .order_by(scope.c.language, scope.c.position)
    ):
        items.setdefault(item.language, []).append((item.code, item.title))
    return tuple(
        SchemeTranslation(
            language=r.language,
            title=r.title,
            certificate_title=r.certificate_title,
            scope_items=tuple(items.get(r.language, ())),
        )
        for r in rows
    )


def _version(session: Session, row: SchemeVersionRow) -> SchemeVersion:
    content = SchemeContent(
        **{f: getattr(row, f) for f in _CONTENT_FIELDS},
        scope_items=_scope_items(session, row.id),
        surveillance_activities=_surveillance_activities(session, row.id),
        recertification_evidence=tuple(row.recertification_evidence.split(",")),
        translations=_translations(session, row.id),
    )
    return SchemeVersion(
        id=row.id,
        scheme_id=row.scheme_id,
        version=row.version,
        content=content,
        created_at=row.created_at,
        created_by=row.created_by,
    )
