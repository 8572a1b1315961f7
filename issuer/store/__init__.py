"""The issuer's store: the only module that runs SQL against the system of record.

Rows stay private here and leave as the frozen dataclasses of :mod:`issuer.model`. Callers
work inside :meth:`Store.transaction`, which commits everything or nothing, so a refused
request never leaves half a record behind. On SQLite every transaction starts with
``BEGIN IMMEDIATE`` (writers queue instead of failing mid-way); on PostgreSQL the audit head
is locked ``FOR UPDATE`` so concurrent writers extend the chain one at a time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    and_,
    any_,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.schema import Table

from issuer.errors import Duplicate
from issuer.model import (
    AiUse,
    ApiToken,
    Application,
    ApplicationState,
    BulkItem,
    Certification,
    CertificationChange,
    CertificationStatus,
    ChangeKind,
    CompetenceRecord,
    ConfidentialField,
    ConflictDeclaration,
    Credential,
    CredentialKind,
    Decision,
    DecisionOutcome,
    Disclosure,
    Examination,
    ExaminationResult,
    ExaminerApproval,
    InvigilationMode,
    KeyState,
    LifecycleDecision,
    LifecycleKind,
    MarkAgreement,
    Person,
    PersonConfidential,
    PersonNotice,
    PublicCertification,
    RegulatorRequest,
    Role,
    RosterGrant,
    Scheme,
    SchemeContent,
    SchemeMark,
    SchemeVersion,
    ScopeItem,
    SigningKey,
    Staff,
    StatusList,
    StatusPurpose,
    StatusSlot,
    TrainerRelation,
)
from issuer.store import audit
from issuer.store.tables import (
    ApplicationRow,
    ApplicationScopeRow,
    AuditHeadRow,
    AuditRow,
    BulkItemRow,
    CertificationRow,
    CertificationScopeRow,
    CompetenceRow,
    ConflictRow,
    CredentialRow,
    DecisionRow,
    DisclosureRow,
    ExaminationRow,
    ExaminerApprovalRow,
    LifecycleDecisionRow,
    MarkAgreementRow,
    OutboxRow,
    PersonConfidentialRow,
    PersonNoticeRow,
    PersonRow,
    RegulatorRequestRow,
    RenderingRow,
    SchemeMarkRow,
    SchemeRow,
    SchemeVersionRow,
    ScopeItemRow,
    SigningKeyRow,
    StaffRoleRow,
    StaffRow,
    StatusListRow,
    StatusListSignatureRow,
    StatusSlotRow,
    TokenRow,
    TrainerRow,
)
from issuer.store.tables import metadata as _metadata

__all__ = [
    "BulkWriter",
    "Store",
    "TableRows",
    "Tx",
    "create_issuer_engine",
    "roster_grant_rows",
    "slot_claim_rows",
    "with_credential_jws",
]

_CONTENT_FIELDS = [f for f in SchemeContent.__slots__ if f != "scope_items"]


_READ_ONLY = "certreg_read_only"
"""Execution option of :meth:`Store.reading`'s connections."""


def create_issuer_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the issuer store with the per-dialect settings the store relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            # Set before the first table exists (later it changes nothing): a signed
            # credential row is ~2.5 KB, so 4 KB pages held one row each and wrote 40% air;
            # 16 KB pages hold six, and a million-row roster writes a third fewer bytes.
            cursor.execute("PRAGMA page_size=16384")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get(_READ_ONLY):
                conn.exec_driver_sql("BEGIN")  # a snapshot; waits for no writer
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Store:
    """Owns the engine; hands out transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=True)
        self._read_sessions = sessionmaker(
            engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(create_issuer_engine(url))

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield Tx(session)

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """A unit of work that only reads. On SQLite it begins as a plain (deferred)
        transaction, not ``BEGIN IMMEDIATE``: it reads a snapshot of the write-ahead log and
        neither waits for a writer (a bulk run's writing process, say) nor holds one up.
        Write only in :meth:`transaction`: a write here would have to turn the snapshot into
        a write transaction, and fails as busy if another writer came first."""
        with self._read_sessions() as session, session.begin():
            yield Tx(session)

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def server_side(self) -> bool:
        """Whether the database does its work in a server process (not SQLite's, inside
        this one)."""
        return self.engine.dialect.name != "sqlite"

    def shared_file_url(self) -> str | None:
        """The URL another process opens this very SQLite database with, or ``None`` if
        there is none (a database in memory) or the store is not SQLite."""
        url = self.engine.url
        if self.server_side or url.database in (None, "", ":memory:"):
            return None
        if "memory" in str(url.query.get("mode", "")):
            return None
        return url.render_as_string(hide_password=False)

    @contextmanager
    def bulk_writer(self) -> Iterator[BulkWriter]:
        """One connection of this engine for a bulk run's write transactions (see
        :class:`BulkWriter`); its usual settings come back when the block ends."""
        with self.engine.connect() as connection:
            writer = BulkWriter(connection)
            try:
                yield writer
            finally:
                writer.restore()


def _scope_items(session: Session, version_id: str) -> tuple[ScopeItem, ...]:
    rows = session.scalars(
        select(ScopeItemRow)
        .where(ScopeItemRow.scheme_version_id == version_id)
        .order_by(ScopeItemRow.position)
    )
    return tuple(ScopeItem(code=r.code, title=r.title, description=r.description) for r in rows)


def _version(session: Session, row: SchemeVersionRow) -> SchemeVersion:
    content = SchemeContent(
        **{f: getattr(row, f) for f in _CONTENT_FIELDS},
        scope_items=_scope_items(session, row.id),
    )
    return SchemeVersion(
        id=row.id,
        scheme_id=row.scheme_id,
        version=row.version,
        content=content,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _staff(session: Session, row: StaffRow) -> Staff:
    roles = session.scalars(select(StaffRoleRow.role).where(StaffRoleRow.staff_id == row.id))
    return Staff(
        id=row.id,
        name=row.name,
        email=row.email,
        roles=frozenset(Role(r) for r in roles),
        active=row.active,
        created_at=row.created_at,
    )


def _application(session: Session, row: ApplicationRow) -> Application:
    codes = session.scalars(
        select(ApplicationScopeRow.code)
        .where(ApplicationScopeRow.application_id == row.id)
        .order_by(ApplicationScopeRow.code)
    )
    return Application(
        id=row.id,
        person_id=row.person_id,
        scheme_id=row.scheme_id,
        scheme_version_id=row.scheme_version_id,
        requested_scope=tuple(codes),
        state=ApplicationState(row.state),
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        reviewed_at=row.reviewed_at,
        reviewed_by=row.reviewed_by,
        review_notes=row.review_notes,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        rejection_reason=row.rejection_reason,
    )


def _examination(row: ExaminationRow) -> Examination:
    ai_use = None
    if row.ai_description is not None:
        assert row.ai_human_reviewer_id is not None
        assert row.ai_acknowledged_at is not None
        ai_use = AiUse(
            description=row.ai_description,
            human_reviewer_id=row.ai_human_reviewer_id,
            acknowledged_by_person_at=row.ai_acknowledged_at,
        )
    return Examination(
        id=row.id,
        application_id=row.application_id,
        examiner_id=row.examiner_id,
        held_on=row.held_on,
        method=row.method,
        result=ExaminationResult(row.result),
        score=row.score,
        max_score=row.max_score,
        nda_accepted=row.nda_accepted,
        identity_checked=row.identity_checked,
        invigilation_mode=InvigilationMode(row.invigilation_mode),
        irregularities=row.irregularities,
        ai_use=ai_use,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


def _certification(session: Session, row: CertificationRow) -> Certification:
    codes = session.scalars(
        select(CertificationScopeRow.code)
        .where(CertificationScopeRow.certification_id == row.id)
        .order_by(CertificationScopeRow.code)
    )
    version = session.scalar(
        select(SchemeVersionRow.version).where(SchemeVersionRow.id == row.scheme_version_id)
    )
    assert version is not None
    return Certification(
        id=row.id,
        certificate_number=row.certificate_number,
        person_id=row.person_id,
        scheme_id=row.scheme_id,
        scheme_version_id=row.scheme_version_id,
        scheme_version=version,
        application_id=row.application_id,
        decision_id=row.decision_id,
        scope=tuple(codes),
        status=CertificationStatus(row.status),
        effective_date=row.effective_date,
        expiry_date=row.expiry_date,
        created_at=row.created_at,
        status_since=row.status_since,
        resolve_by=row.resolve_by,
    )


def _audit_entry(row: AuditRow) -> audit.AuditEntry:
    return audit.AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        details_digest=row.details_digest,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _signing_key(row: SigningKeyRow) -> SigningKey:
    return SigningKey(
        kid=row.kid,
        alg=row.alg,
        public_jwk=json.loads(row.public_jwk),
        state=KeyState(row.state),
        created_at=row.created_at,
        retired_at=row.retired_at,
        compromised_at=row.compromised_at,
    )


def _status_list(row: StatusListRow) -> StatusList:
    return StatusList(
        id=row.id,
        purpose=StatusPurpose(row.purpose),
        entries=row.entries,
        allocated=row.allocated,
        open=row.open,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _credential(row: CredentialRow) -> Credential:
    return Credential(
        id=row.id,
        certification_id=row.certification_id,
        kind=CredentialKind(row.kind),
        depends_on=row.depends_on,
        kid=row.kid,
        jws=row.jws,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revocation=StatusSlot(row.revocation_list_id, row.revocation_index),
        suspension=StatusSlot(row.suspension_list_id, row.suspension_index),
        issued_at=row.issued_at,
        supersedes=row.supersedes,
        superseded_by=row.superseded_by,
    )


def _insert(session: Session) -> Any:
    """The dialect's INSERT that supports ON CONFLICT (PostgreSQL and SQLite both do)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


class Tx:
    """The operations available inside one transaction. Returns model values, never rows."""

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

    # ── schemes ──────────────────────────────────────────────────────────────────────────
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
        scheme = self._s.get(SchemeRow, version.scheme_id, with_for_update=True)
        assert scheme is not None
        scheme.current_version = version.version
        self._flush("scheme version")

    def get_scheme(self, scheme_id: str) -> Scheme | None:
        row = self._s.get(SchemeRow, scheme_id)
        if row is None:
            return None
        current = self.get_scheme_version_by_number(row.id, row.current_version)
        assert current is not None
        return Scheme(id=row.id, code=row.code, created_at=row.created_at, current=current)

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

    # ── staff ────────────────────────────────────────────────────────────────────────────
    def insert_staff(self, staff: Staff) -> None:
        self._s.add(
            StaffRow(
                id=staff.id,
                name=staff.name,
                email=staff.email,
                active=staff.active,
                created_at=staff.created_at,
            )
        )
        self._s.flush()
        self.set_roles(staff.id, staff.roles)

    def set_roles(self, staff_id: str, roles: frozenset[Role]) -> None:
        self._s.execute(delete(StaffRoleRow).where(StaffRoleRow.staff_id == staff_id))
        self._s.add_all(StaffRoleRow(staff_id=staff_id, role=r.value) for r in sorted(roles))
        self._flush("staff role")

    def get_staff(self, staff_id: str) -> Staff | None:
        row = self._s.get(StaffRow, staff_id)
        return None if row is None else _staff(self._s, row)

    def list_staff(self) -> list[Staff]:
        rows = self._s.scalars(select(StaffRow).order_by(StaffRow.name, StaffRow.id)).all()
        return [_staff(self._s, r) for r in rows]

    def insert_approval(self, approval: ExaminerApproval) -> None:
        self._s.add(ExaminerApprovalRow(**_fields(approval)))
        self._flush("an approval of this examiner for this scheme")

    def get_approval(self, staff_id: str, scheme_id: str) -> ExaminerApproval | None:
        row = self._s.scalar(
            select(ExaminerApprovalRow).where(
                ExaminerApprovalRow.staff_id == staff_id,
                ExaminerApprovalRow.scheme_id == scheme_id,
            )
        )
        return None if row is None else ExaminerApproval(**_columns(row))

    def list_approvals(self, staff_id: str) -> list[ExaminerApproval]:
        rows = self._s.scalars(
            select(ExaminerApprovalRow)
            .where(ExaminerApprovalRow.staff_id == staff_id)
            .order_by(ExaminerApprovalRow.approved_at)
        )
        return [ExaminerApproval(**_columns(r)) for r in rows]

    def insert_competence(self, record: CompetenceRecord) -> None:
        self._s.add(CompetenceRow(**_fields(record)))
        self._flush("competence record")

    def list_competence(self, staff_id: str) -> list[CompetenceRecord]:
        rows = self._s.scalars(
            select(CompetenceRow)
            .where(CompetenceRow.staff_id == staff_id)
            .order_by(CompetenceRow.recorded_at)
        )
        return [CompetenceRecord(**_columns(r)) for r in rows]

    def insert_conflict(self, declaration: ConflictDeclaration) -> None:
        self._s.add(ConflictRow(**_fields(declaration)))
        self._flush("conflict declaration")

    def list_conflicts(self, staff_id: str) -> list[ConflictDeclaration]:
        rows = self._s.scalars(
            select(ConflictRow)
            .where(ConflictRow.staff_id == staff_id)
            .order_by(ConflictRow.declared_at)
        )
        return [ConflictDeclaration(**_columns(r)) for r in rows]

    def has_conflict(self, staff_id: str, person_id: str) -> bool:
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        ConflictRow.staff_id == staff_id, ConflictRow.person_id == person_id
                    )
                )
            )
        )

    def insert_trainer_relation(self, relation: TrainerRelation) -> None:
        self._s.add(TrainerRow(**_fields(relation)))
        self._flush("trainer relation")

    def list_trainees(self, staff_id: str) -> list[TrainerRelation]:
        rows = self._s.scalars(
            select(TrainerRow)
            .where(TrainerRow.staff_id == staff_id)
            .order_by(TrainerRow.recorded_at)
        )
        return [TrainerRelation(**_columns(r)) for r in rows]

    def trained(self, staff_id: str, person_id: str) -> bool:
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        TrainerRow.staff_id == staff_id, TrainerRow.person_id == person_id
                    )
                )
            )
        )

    # ── tokens ───────────────────────────────────────────────────────────────────────────
    def insert_token(self, token: ApiToken, *, token_digest: str) -> None:
        self._s.add(
            TokenRow(
                id=token.id,
                name=token.name,
                role=token.role.value,
                staff_id=token.staff_id,
                token_digest=token_digest,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
            )
        )
        self._flush("token")

    def token_by_digest(self, token_digest: str) -> ApiToken | None:
        row = self._s.scalar(select(TokenRow).where(TokenRow.token_digest == token_digest))
        if row is None:
            return None
        return ApiToken(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            staff_id=row.staff_id,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )

    # ── persons ──────────────────────────────────────────────────────────────────────────
    def insert_person(self, person: Person) -> None:
        self._s.add(
            PersonRow(
                id=person.id,
                given_name=person.given_name,
                family_name=person.family_name,
                public_notice_version=person.public_notice_version,
                notice_given_at=person.notice_given_at,
                directory_consent=person.directory_consent,
                created_at=person.created_at,
            )
        )
        self._s.flush()
        self._s.add(PersonConfidentialRow(person_id=person.id, **_fields(person.confidential)))
        self._flush("person")

    def get_person(self, person_id: str) -> Person | None:
        row = self._s.get(PersonRow, person_id)
        if row is None:
            return None
        conf = self._s.get(PersonConfidentialRow, person_id)
        assert conf is not None
        confidential = PersonConfidential(
            **{k: v for k, v in _columns(conf).items() if k != "person_id"}
        )
        return Person(
            id=row.id,
            given_name=row.given_name,
            family_name=row.family_name,
            public_notice_version=row.public_notice_version,
            notice_given_at=row.notice_given_at,
            directory_consent=row.directory_consent,
            confidential=confidential,
            created_at=row.created_at,
        )

    # ── applications ─────────────────────────────────────────────────────────────────────
    def insert_application(self, application: Application) -> None:
        fields = _fields(application)
        codes = fields.pop("requested_scope")
        fields["state"] = application.state.value
        self._s.add(ApplicationRow(**fields))
        self._s.flush()
        self._s.add_all(ApplicationScopeRow(application_id=application.id, code=c) for c in codes)
        self._flush("application")

    def get_application(
        self, application_id: str, *, for_update: bool = False
    ) -> Application | None:
        row = self._s.get(ApplicationRow, application_id, with_for_update=for_update)
        return None if row is None else _application(self._s, row)

    def update_application(self, application: Application) -> None:
        """Write the mutable part of an application (its state and the review/closing facts)."""
        row = self._s.get(ApplicationRow, application.id)
        assert row is not None
        row.state = application.state.value
        row.reviewed_at = application.reviewed_at
        row.reviewed_by = application.reviewed_by
        row.review_notes = application.review_notes
        row.closed_at = application.closed_at
        row.closed_by = application.closed_by
        row.rejection_reason = application.rejection_reason
        self._flush("application")

    def has_open_application(
        self, person_id: str, scheme_id: str, open_states: frozenset[ApplicationState]
    ) -> bool:
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        ApplicationRow.person_id == person_id,
                        ApplicationRow.scheme_id == scheme_id,
                        ApplicationRow.state.in_([s.value for s in open_states]),
                    )
                )
            )
        )

    def count_applications(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(ApplicationRow)) or 0)

    # ── examinations ─────────────────────────────────────────────────────────────────────
    def insert_examination(self, examination: Examination) -> None:
        fields = _fields(examination)
        ai_use = fields.pop("ai_use")
        fields["result"] = examination.result.value
        fields["invigilation_mode"] = examination.invigilation_mode.value
        self._s.add(
            ExaminationRow(
                **fields,
                ai_description=ai_use.description if ai_use else None,
                ai_human_reviewer_id=ai_use.human_reviewer_id if ai_use else None,
                ai_acknowledged_at=ai_use.acknowledged_by_person_at if ai_use else None,
            )
        )
        self._flush("examination")

    def get_examination(self, examination_id: str) -> Examination | None:
        row = self._s.get(ExaminationRow, examination_id)
        return None if row is None else _examination(row)

    def list_examinations(self, application_id: str) -> list[Examination]:
        rows = self._s.scalars(
            select(ExaminationRow)
            .where(ExaminationRow.application_id == application_id)
            .order_by(ExaminationRow.held_on, ExaminationRow.recorded_at)
        )
        return [_examination(r) for r in rows]

    def examined(self, staff_id: str, person_id: str) -> bool:
        """Whether ``staff_id`` examined ``person_id`` in any examination on record."""
        return bool(
            self._s.scalar(
                select(
                    exists()
                    .where(ExaminationRow.examiner_id == staff_id)
                    .where(ExaminationRow.application_id == ApplicationRow.id)
                    .where(ApplicationRow.person_id == person_id)
                )
            )
        )

    # ── decisions and certifications ─────────────────────────────────────────────────────
    def insert_decision(self, decision: Decision) -> None:
        fields = _fields(decision)
        fields["outcome"] = decision.outcome.value
        self._s.add(DecisionRow(**fields))
        self._flush("a decision on this application")

    def get_decision(self, decision_id: str) -> Decision | None:
        row = self._s.get(DecisionRow, decision_id)
        if row is None:
            return None
        fields = _columns(row)
        fields["outcome"] = DecisionOutcome(row.outcome)
        return Decision(**fields)

    def certificate_number_taken(self, number: str) -> bool:
        return bool(
            self._s.scalar(select(exists().where(CertificationRow.certificate_number == number)))
        )

    def insert_certification(self, certification: Certification) -> None:
        fields = _fields(certification)
        codes = fields.pop("scope")
        fields.pop("scheme_version")
        fields["status"] = certification.status.value
        self._s.add(CertificationRow(**fields))
        self._s.flush()
        self._s.add_all(
            CertificationScopeRow(certification_id=certification.id, code=c) for c in codes
        )
        self._flush("certification")

    def get_certification(self, certification_id: str) -> Certification | None:
        row = self._s.get(CertificationRow, certification_id)
        return None if row is None else _certification(self._s, row)

    def get_certification_by_number(self, number: str) -> Certification | None:
        row = self._s.scalar(
            select(CertificationRow).where(CertificationRow.certificate_number == number)
        )
        return None if row is None else _certification(self._s, row)

    def certification_for_application(self, application_id: str) -> Certification | None:
        row = self._s.scalar(
            select(CertificationRow).where(CertificationRow.application_id == application_id)
        )
        return None if row is None else _certification(self._s, row)

    def list_certifications(
        self,
        *,
        scheme_id: str | None = None,
        status: CertificationStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Certification]:
        query = select(CertificationRow).order_by(
            CertificationRow.created_at, CertificationRow.certificate_number
        )
        if scheme_id is not None:
            query = query.where(CertificationRow.scheme_id == scheme_id)
        if status is not None:
            query = query.where(CertificationRow.status == status.value)
        rows = self._s.scalars(query.limit(limit).offset(offset)).all()
        return [_certification(self._s, r) for r in rows]

    # ── audit log ────────────────────────────────────────────────────────────────────────
    def append_audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        details: audit.Details,
    ) -> audit.AuditEntry:
        """Append one link to the chain; the head row is locked until the transaction ends."""
        head = self._s.get(AuditHeadRow, 1, with_for_update=True)
        if head is None:
            # First entry ever: create the head so that racing first writers meet on one row.
            insert = _insert(self._s)
            self._s.execute(
                insert(AuditHeadRow)
                .values(id=1, seq=0, entry_hash=audit.GENESIS_HASH)
                .on_conflict_do_nothing()
            )
            head = self._s.get(AuditHeadRow, 1, with_for_update=True, populate_existing=True)
            assert head is not None
        seq = head.seq + 1
        digest = audit.details_digest(details)
        entry_hash = audit.entry_hash(
            prev_hash=head.entry_hash,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details_digest=digest,
        )
        row = AuditRow(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details_digest=digest,
            prev_hash=head.entry_hash,
            entry_hash=entry_hash,
        )
        self._s.add(row)
        head.seq = seq
        head.entry_hash = entry_hash
        self._flush("audit entry")
        return _audit_entry(row)

    def audit_entries(self, *, after: int = 0, limit: int = 100) -> list[audit.AuditEntry]:
        rows = self._s.scalars(
            select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq).limit(limit)
        )
        return [_audit_entry(r) for r in rows]

    def audit_entries_for(self, subject_ids: list[str]) -> list[audit.AuditEntry]:
        rows = self._s.scalars(
            select(AuditRow).where(AuditRow.subject_id.in_(subject_ids)).order_by(AuditRow.seq)
        )
        return [_audit_entry(r) for r in rows]

    def get_scheme_by_code(self, code: str) -> Scheme | None:
        scheme_id = self._s.scalar(select(SchemeRow.id).where(SchemeRow.code == code))
        return None if scheme_id is None else self.get_scheme(scheme_id)

    def verify_audit_chain(self, *, batch: int = 1000) -> audit.ChainReport:
        head = self._s.get(AuditHeadRow, 1)
        head_seq, head_hash = (
            (0, audit.GENESIS_HASH) if head is None else (head.seq, head.entry_hash)
        )

        result = self._s.execute(
            select(AuditRow).order_by(AuditRow.seq).execution_options(yield_per=batch)
        )
        try:
            entries = (_audit_entry(row) for row in result.scalars())
            return audit.verify_chain(entries, head_seq=head_seq, head_hash=head_hash)
        finally:
            result.close()  # a break found early must not leave a server-side cursor open

    # ── signing keys (public parts and encrypted blobs; only signing.py decrypts) ───────
    def insert_signing_key(
        self,
        *,
        kid: str,
        alg: str,
        public_jwk: dict[str, Any],
        encrypted_private_key: bytes,
        state: KeyState,
        created_at: datetime,
    ) -> None:
        self._s.add(
            SigningKeyRow(
                kid=kid,
                alg=alg,
                public_jwk=json.dumps(public_jwk, sort_keys=True),
                encrypted_private_key=encrypted_private_key,
                state=state.value,
                created_at=created_at,
            )
        )
        self._flush("signing key")

    def get_signing_key(self, kid: str) -> SigningKey | None:
        row = self._s.get(SigningKeyRow, kid)
        return None if row is None else _signing_key(row)

    def active_signing_key(self) -> SigningKey | None:
        row = self._s.scalar(
            select(SigningKeyRow)
            .where(SigningKeyRow.state == KeyState.ACTIVE.value)
            .order_by(SigningKeyRow.created_at.desc())
            .limit(1)
        )
        return None if row is None else _signing_key(row)

    def encrypted_private_key(self, kid: str) -> bytes:
        row = self._s.get(SigningKeyRow, kid)
        assert row is not None
        return row.encrypted_private_key

    def list_signing_keys(self) -> list[SigningKey]:
        rows = self._s.scalars(select(SigningKeyRow).order_by(SigningKeyRow.created_at))
        return [_signing_key(r) for r in rows]

    def set_key_state(self, kid: str, state: KeyState, at: datetime) -> None:
        row = self._s.get(SigningKeyRow, kid, with_for_update=True)
        assert row is not None
        row.state = state.value
        if state is KeyState.RETIRED:
            row.retired_at = at
        elif state is KeyState.COMPROMISED:
            row.compromised_at = at
        self._flush("signing key")

    def last_valid_until_signed_by(self, kid: str) -> datetime | None:
        value: datetime | None = self._s.scalar(
            select(func.max(CredentialRow.valid_until)).where(CredentialRow.kid == kid)
        )
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    # ── status lists and slots ───────────────────────────────────────────────────────────
    def open_status_list(self, purpose: StatusPurpose, entries: int) -> StatusList | None:
        """The oldest open list of ``purpose`` and length, locked until the transaction ends."""
        row = self._s.scalar(
            select(StatusListRow)
            .where(
                StatusListRow.purpose == purpose.value,
                StatusListRow.entries == entries,
                StatusListRow.open.is_(True),
            )
            .order_by(StatusListRow.created_at, StatusListRow.id)
            .limit(1)
            .with_for_update()
        )
        return None if row is None else _status_list(row)

    def insert_status_list(self, status_list: StatusList) -> None:
        self._s.add(
            StatusListRow(
                id=status_list.id,
                purpose=status_list.purpose.value,
                entries=status_list.entries,
                allocated=status_list.allocated,
                open=status_list.open,
                version=status_list.version,
                created_at=status_list.created_at,
                updated_at=status_list.updated_at,
            )
        )
        self._flush("status list")

    def get_status_list(self, list_id: str) -> StatusList | None:
        row = self._s.get(StatusListRow, list_id)
        return None if row is None else _status_list(row)

    def list_status_lists(self) -> list[StatusList]:
        rows = self._s.scalars(select(StatusListRow).order_by(StatusListRow.created_at))
        return [_status_list(r) for r in rows]

    def lapsing_status_lists(self, now: datetime, limit: int) -> list[str]:
        """Ids of the lists to sign again now: never published with a validity, or past the
        time their newest signature set for renewal — unless one is already waiting in the
        outbox (an unreachable registry must not make the outbox grow every round)."""
        signature = StatusListSignatureRow
        waiting = exists().where(
            OutboxRow.published_at.is_(None),
            OutboxRow.kind == "status-list",
            OutboxRow.key == StatusListRow.id,
        )
        rows = self._s.scalars(
            select(StatusListRow.id)
            .outerjoin(signature, signature.list_id == StatusListRow.id)
            .where(or_(signature.list_id.is_(None), signature.refresh_at <= now), ~waiting)
            .order_by(StatusListRow.id)
            .limit(limit)
        )
        return list(rows)

    def record_status_list_signatures(
        self, list_ids: Collection[str], *, valid_from: datetime, valid_until: datetime
    ) -> None:
        """Remember that the lists ``list_ids`` were published signed for ``valid_from`` to
        ``valid_until``, to be signed again halfway (an older signature never overwrites a
        newer one). One row at a time in id order: concurrent publishers take the rows'
        locks in one order."""
        refresh_at = valid_from + (valid_until - valid_from) / 2
        signature = StatusListSignatureRow
        for list_id in sorted(list_ids):
            self._s.execute(
                _insert(self._s)(signature)
                .values(
                    list_id=list_id,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    refresh_at=refresh_at,
                )
                .on_conflict_do_update(
                    index_elements=[signature.list_id],
                    set_={
                        "valid_from": valid_from,
                        "valid_until": valid_until,
                        "refresh_at": refresh_at,
                    },
                    where=signature.valid_from <= valid_from,
                )
            )

    def claim_slot(
        self,
        *,
        list_id: str,
        index: int,
        certification_id: str,
        credential_id: str,
        at: datetime,
    ) -> bool:
        """Take a slot if nobody ever took it; ``False`` if it was taken (never reused)."""
        result = self._s.execute(
            _insert(self._s)(StatusSlotRow)
            .values(
                list_id=list_id,
                idx=index,
                certification_id=certification_id,
                credential_id=credential_id,
                value=0,
                allocated_at=at,
            )
            .on_conflict_do_nothing()
            .returning(StatusSlotRow.idx)
        )
        # RETURNING, not rowcount: through the ORM, psycopg reports rowcount -1 here.
        return result.scalar_one_or_none() is not None

    def count_allocation(self, list_id: str, *, close_at: int) -> None:
        """Count one more taken slot; close the list once ``close_at`` slots are taken."""
        self._s.execute(
            update(StatusListRow)
            .where(StatusListRow.id == list_id)
            .values(allocated=StatusListRow.allocated + 1)
        )
        self._s.execute(
            update(StatusListRow)
            .where(StatusListRow.id == list_id, StatusListRow.allocated >= close_at)
            .values(open=False)
        )

    def close_status_list(self, list_id: str) -> None:
        self._s.execute(update(StatusListRow).where(StatusListRow.id == list_id).values(open=False))

    def set_slot_value(self, slot: StatusSlot, value: int, at: datetime) -> bool:
        """Set a slot's status value; returns whether it changed (and bumps the list version)."""
        changed = self._s.execute(
            update(StatusSlotRow)
            .where(
                StatusSlotRow.list_id == slot.list_id,
                StatusSlotRow.idx == slot.index,
                StatusSlotRow.value != value,
            )
            .values(value=value)
            .returning(StatusSlotRow.idx)
        )
        if changed.scalar_one_or_none() is None:
            return False
        self._s.execute(
            update(StatusListRow)
            .where(StatusListRow.id == slot.list_id)
            .values(version=StatusListRow.version + 1, updated_at=at)
        )
        return True

    def slot_value(self, slot: StatusSlot) -> int | None:
        value: int | None = self._s.scalar(
            select(StatusSlotRow.value).where(
                StatusSlotRow.list_id == slot.list_id, StatusSlotRow.idx == slot.index
            )
        )
        return value

    def set_slots(self, list_id: str) -> list[tuple[int, int]]:
        """``(index, value)`` of every slot of a list whose value is not 0, in index order.

        Read from the partial index of set slots alone (``ix_status_slots_set``): the 0 is
        written into the statement, since a planner can match a partial index's condition
        only against a constant, not a parameter. Through the driver, in this transaction:
        a row object per set bit tripled the read of a list with 10,000 set bits (11 ms
        with the driver's own tuples, 31 ms with SQLAlchemy's rows, here).
        """
        conn = self._s.connection()
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        sql = (
            "SELECT idx, value FROM status_slots "  # noqa: S608 (no value in the text)
            f"WHERE list_id = {mark} AND value != 0 ORDER BY idx"
        )
        raw: Any = conn.connection.driver_connection
        with closing(raw.cursor()) as cursor:
            cursor.execute(sql, (list_id,))
            rows: list[tuple[int, int]] = cursor.fetchall()
        return rows

    def all_slots(self, list_id: str) -> list[int]:
        rows = self._s.scalars(select(StatusSlotRow.idx).where(StatusSlotRow.list_id == list_id))
        return [int(i) for i in rows]

    # ── credentials ──────────────────────────────────────────────────────────────────────
    def insert_credential(self, credential: Credential) -> None:
        self._s.add(
            CredentialRow(
                id=credential.id,
                certification_id=credential.certification_id,
                kind=credential.kind.value,
                depends_on=credential.depends_on,
                kid=credential.kid,
                jws=credential.jws,
                valid_from=credential.valid_from,
                valid_until=credential.valid_until,
                revocation_list_id=credential.revocation.list_id,
                revocation_index=credential.revocation.index,
                suspension_list_id=credential.suspension.list_id,
                suspension_index=credential.suspension.index,
                issued_at=credential.issued_at,
                supersedes=credential.supersedes,
                superseded_by=credential.superseded_by,
            )
        )
        self._flush("credential")

    def link_supersession(self, old_id: str, new_id: str) -> None:
        """Record both ways that ``new_id`` replaces ``old_id``."""
        self._s.execute(
            update(CredentialRow).where(CredentialRow.id == old_id).values(superseded_by=new_id)
        )
        self._s.execute(
            update(CredentialRow).where(CredentialRow.id == new_id).values(supersedes=old_id)
        )

    def update_certification(self, certification: Certification) -> None:
        """Write the mutable part of a certification: status, scope and cycle dates."""
        row = self._s.get(CertificationRow, certification.id)
        assert row is not None
        row.status = certification.status.value
        row.status_since = certification.status_since
        row.resolve_by = certification.resolve_by
        row.effective_date = certification.effective_date
        row.expiry_date = certification.expiry_date
        row.scheme_version_id = certification.scheme_version_id
        self._s.execute(
            delete(CertificationScopeRow).where(
                CertificationScopeRow.certification_id == certification.id
            )
        )
        self._s.add_all(
            CertificationScopeRow(certification_id=certification.id, code=c)
            for c in certification.scope
        )
        self._flush("certification")

    def lock_certification(self, number: str) -> Certification | None:
        """The certification with this number, locked until the transaction ends."""
        row = self._s.scalar(
            select(CertificationRow)
            .where(CertificationRow.certificate_number == number)
            .with_for_update()
        )
        return None if row is None else _certification(self._s, row)

    def insert_lifecycle_decision(self, decision: LifecycleDecision) -> None:
        self._s.add(
            LifecycleDecisionRow(
                id=decision.id,
                certification_id=decision.certification_id,
                kind=decision.kind.value,
                decided_by=decision.decided_by,
                decided_at=decision.decided_at,
                reason=decision.reason,
                resolve_by=decision.resolve_by,
                scope_before=None
                if decision.scope_before is None
                else ",".join(decision.scope_before),
                scope_after=None
                if decision.scope_after is None
                else ",".join(decision.scope_after),
            )
        )
        self._flush("lifecycle decision")

    def lifecycle_decisions(self, certification_id: str) -> list[LifecycleDecision]:
        rows = self._s.scalars(
            select(LifecycleDecisionRow)
            .where(LifecycleDecisionRow.certification_id == certification_id)
            .order_by(LifecycleDecisionRow.seq)
        )
        return [
            LifecycleDecision(
                id=r.id,
                certification_id=r.certification_id,
                kind=LifecycleKind(r.kind),
                decided_by=r.decided_by,
                decided_at=r.decided_at,
                reason=r.reason,
                resolve_by=r.resolve_by,
                scope_before=None if r.scope_before is None else tuple(r.scope_before.split(",")),
                scope_after=None if r.scope_after is None else tuple(r.scope_after.split(",")),
            )
            for r in rows
        ]

    def overdue_suspensions(self, today: date) -> list[Certification]:
        rows = self._s.scalars(
            select(CertificationRow)
            .where(
                CertificationRow.status == CertificationStatus.SUSPENDED.value,
                CertificationRow.resolve_by < today,
            )
            .order_by(CertificationRow.resolve_by, CertificationRow.certificate_number)
        )
        return [_certification(self._s, r) for r in rows]

    def due_for_expiry(self, today: date) -> list[str]:
        """Certificate numbers of active or suspended certifications past their expiry date."""
        return list(
            self._s.scalars(
                select(CertificationRow.certificate_number)
                .where(
                    CertificationRow.status.in_(
                        [CertificationStatus.ACTIVE.value, CertificationStatus.SUSPENDED.value]
                    ),
                    CertificationRow.expiry_date < today,
                )
                .order_by(CertificationRow.expiry_date, CertificationRow.certificate_number)
            )
        )

    def get_credential(self, credential_id: str) -> Credential | None:
        row = self._s.get(CredentialRow, credential_id)
        return None if row is None else _credential(row)

    def credentials_of(self, certification_id: str) -> list[Credential]:
        rows = self._s.scalars(
            select(CredentialRow)
            .where(CredentialRow.certification_id == certification_id)
            .order_by(CredentialRow.issued_at, CredentialRow.id)
        )
        return [_credential(r) for r in rows]

    # ── certification marks ──────────────────────────────────────────────────────────────
    def insert_scheme_mark(self, mark: SchemeMark) -> None:
        self._s.add(SchemeMarkRow(**_fields(mark)))
        self._flush("scheme mark")

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

    def insert_mark_agreement(self, agreement: MarkAgreement) -> None:
        self._s.add(MarkAgreementRow(**_fields(agreement)))
        self._flush("mark agreement")

    def mark_agreement(self, certification_id: str, mark_id: str) -> MarkAgreement | None:
        row = self._s.scalar(
            select(MarkAgreementRow).where(
                MarkAgreementRow.certification_id == certification_id,
                MarkAgreementRow.mark_id == mark_id,
            )
        )
        return None if row is None else MarkAgreement(**_columns(row))

    # ── renderings cache ─────────────────────────────────────────────────────────────────
    def get_rendering(self, credential_id: str, fmt: str) -> bytes | None:
        row = self._s.get(RenderingRow, (credential_id, fmt))
        return None if row is None else row.content

    def put_rendering(self, credential_id: str, fmt: str, content: bytes, at: datetime) -> None:
        self._s.execute(
            _insert(self._s)(RenderingRow)
            .values(credential_id=credential_id, format=fmt, content=content, created_at=at)
            .on_conflict_do_nothing()
        )

    # ── outbox (publication to the registry) ─────────────────────────────────────────────
    def enqueue(self, kind: str, key: str, at: datetime) -> None:
        """Ask for ``(kind, key)`` to be (re)published; committed with the change itself."""
        self._s.add(OutboxRow(kind=kind, key=key, enqueued_at=at, published_at=None))
        self._flush("outbox entry")

    def pending_publications(self, limit: int) -> list[tuple[int, str, str]]:
        """``(seq, kind, key)`` of unpublished entries, oldest first."""
        rows = self._s.execute(
            select(OutboxRow.seq, OutboxRow.kind, OutboxRow.key)
            .where(OutboxRow.published_at.is_(None))
            .order_by(OutboxRow.seq)
            .limit(limit)
        )
        return [(int(seq), str(kind), str(key)) for seq, kind, key in rows]

    def mark_published(self, seqs: list[int], at: datetime) -> None:
        self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.seq.in_(seqs), OutboxRow.published_at.is_(None))
            .values(published_at=at)
        )

    def all_publication_keys(self) -> list[tuple[str, str]]:
        """Every document the registry should hold, for a full rebuild."""
        keys: list[tuple[str, str]] = [("issuer-keys", "issuer")]
        keys += [("scheme", i) for i in self._s.scalars(select(SchemeRow.id))]
        keys += [("status-list", i) for i in self._s.scalars(select(StatusListRow.id))]
        keys += [
            ("register-entry", n)
            for n in self._s.scalars(select(CertificationRow.certificate_number))
        ]
        keys += [("credential", i) for i in self._s.scalars(select(CredentialRow.id))]
        keys += [("mark", i) for i in self._s.scalars(select(SchemeMarkRow.id))]
        return keys

    # ── bulk issuance (rosters) ──────────────────────────────────────────────────────────
    # Core executemany, not ORM objects: a roster chunk is hundreds of rows per table, and
    # the unit of work's per-object bookkeeping would cost more than the signature itself.
    def bulk_items(self, external_ids: Collection[str]) -> dict[str, BulkItem]:
        """What each of ``external_ids`` already issued (those never issued are absent)."""
        if not external_ids:
            return {}
        rows = self._s.execute(
            select(
                BulkItemRow.external_id,
                BulkItemRow.row_digest,
                BulkItemRow.batch_id,
                BulkItemRow.certification_id,
                BulkItemRow.credential_id,
                CertificationRow.certificate_number,
            )
            .join(CertificationRow, CertificationRow.id == BulkItemRow.certification_id)
            .where(self._among(BulkItemRow.external_id, external_ids))
        )
        return {r[0]: BulkItem(*r) for r in rows}

    def batch_items(self, batch_id: str, chunk: int) -> list[BulkItem]:
        """The items one chunk of a batch issued, in external id order (for audit checks)."""
        rows = self._s.execute(
            select(
                BulkItemRow.external_id,
                BulkItemRow.row_digest,
                BulkItemRow.batch_id,
                BulkItemRow.certification_id,
                BulkItemRow.credential_id,
                CertificationRow.certificate_number,
            )
            .join(CertificationRow, CertificationRow.id == BulkItemRow.certification_id)
            .where(BulkItemRow.batch_id == batch_id, BulkItemRow.chunk == chunk)
            .order_by(BulkItemRow.external_id)
        )
        return [BulkItem(*r) for r in rows]

    def certificate_numbers_in_use(self, numbers: Collection[str]) -> set[str]:
        if not numbers:
            return set()
        return set(
            self._s.scalars(
                select(CertificationRow.certificate_number).where(
                    self._among(CertificationRow.certificate_number, numbers)
                )
            )
        )

    def existing_person_ids(self, person_ids: Collection[str]) -> set[str]:
        if not person_ids:
            return set()
        return set(
            self._s.scalars(select(PersonRow.id).where(self._among(PersonRow.id, person_ids)))
        )

    def impartiality_relations(self, person_ids: Collection[str]) -> set[tuple[str, str, str]]:
        """``(staff_id, person_id, relation)`` for every trainer relation, declared conflict
        and examination that ties a staff member to one of ``person_ids``; ``relation`` is
        the problem kind a decision by that staff member would be refused with."""
        if not person_ids:
            return set()
        ids = list(person_ids)
        found: set[tuple[str, str, str]] = set()
        for staff_id, person_id in self._s.execute(
            select(TrainerRow.staff_id, TrainerRow.person_id).where(TrainerRow.person_id.in_(ids))
        ):
            found.add((staff_id, person_id, "trained-candidate"))
        for staff_id, person_id in self._s.execute(
            select(ConflictRow.staff_id, ConflictRow.person_id).where(
                ConflictRow.person_id.in_(ids)
            )
        ):
            found.add((staff_id, person_id, "declared-conflict"))
        for staff_id, person_id in self._s.execute(
            select(ExaminationRow.examiner_id, ApplicationRow.person_id)
            .join(ApplicationRow, ApplicationRow.id == ExaminationRow.application_id)
            .where(ApplicationRow.person_id.in_(ids))
        ):
            found.add((staff_id, person_id, "examined-candidate"))
        return found

    def oldest_open_status_list(self, purpose: StatusPurpose, entries: int) -> StatusList | None:
        """:meth:`open_status_list` without the lock: bulk issuance reads its view of the
        open lists outside its write transactions and locks them only in those (in one
        order), so two runs, or a run and single issuance, never wait on each other in a
        cycle."""
        row = self._s.scalar(
            select(StatusListRow)
            .where(
                StatusListRow.purpose == purpose.value,
                StatusListRow.entries == entries,
                StatusListRow.open.is_(True),
            )
            .order_by(StatusListRow.created_at, StatusListRow.id)
            .limit(1)
        )
        return None if row is None else _status_list(row)

    def lock_status_list(self, list_id: str) -> StatusList | None:
        """A list by id, locked until the transaction ends (bulk slot claims)."""
        row = self._s.scalar(
            select(StatusListRow).where(StatusListRow.id == list_id).with_for_update()
        )
        return None if row is None else _status_list(row)

    def claim_slots(self, claims: Sequence[tuple[StatusSlot, str, str]], at: datetime) -> None:
        """Take many slots at once: ``(slot, certification_id, credential_id)`` each. A slot
        anyone ever took breaks the primary key and raises :class:`Duplicate` (never reused,
        as :meth:`claim_slot`); the caller rolls back and draws again."""
        self.insert_rows([slot_claim_rows(claims, at)])

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

    def count_allocations(self, list_id: str, taken: int, *, close_at: int, at: datetime) -> None:
        """Count ``taken`` more slots of a list; close it once ``close_at`` are taken."""
        self._s.execute(
            update(StatusListRow)
            .where(StatusListRow.id == list_id)
            .values(allocated=StatusListRow.allocated + taken)
        )
        self._s.execute(
            update(StatusListRow)
            .where(StatusListRow.id == list_id, StatusListRow.allocated >= close_at)
            .values(open=False)
        )

    def insert_rows(self, rows: Sequence[TableRows]) -> None:
        """Insert rows made by :func:`roster_grant_rows` and :func:`slot_claim_rows`, in
        their order."""
        tables = _TABLES
        for part in rows:
            self._load(tables[part.table], part.columns, part.values, ordered=part.ordered)

    def enqueue_many(self, keys: Sequence[tuple[str, str]], at: datetime) -> None:
        """Ask for many ``(kind, key)`` documents to be (re)published, in this order."""
        self._load(
            _TABLES[OutboxRow.__tablename__],
            ("kind", "key", "enqueued_at"),
            [(k, key, at) for k, key in keys],
            ordered=False,
        )

    # ── regulators' access (clause 7.3.4) ────────────────────────────────────────────────
    def public_certifications(
        self,
        *,
        scheme_id: str | None,
        status: CertificationStatus | None,
        changed_since: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[PublicCertification]:
        """Public fields of certifications in (created at, number) order, after the keyset
        position ``after``. Names come from ``persons``; ``person_confidential`` is never
        joined. One query for the rows, one for their scopes, one for their credentials."""
        cert = CertificationRow
        since = func.coalesce(cert.status_since, cert.created_at)
        query = (
            select(
                cert.id,
                cert.certificate_number,
                PersonRow.given_name,
                PersonRow.family_name,
                SchemeRow.code,
                SchemeVersionRow.version,
                cert.status,
                since.label("since"),
                cert.effective_date,
                cert.expiry_date,
                cert.created_at,
            )
            .join(PersonRow, PersonRow.id == cert.person_id)
            .join(SchemeRow, SchemeRow.id == cert.scheme_id)
            .join(SchemeVersionRow, SchemeVersionRow.id == cert.scheme_version_id)
            .order_by(cert.created_at, cert.certificate_number)
            .limit(limit)
        )
        if scheme_id is not None:
            query = query.where(cert.scheme_id == scheme_id)
        if status is not None:
            query = query.where(cert.status == status.value)
        if changed_since is not None:
            query = query.where(since >= changed_since)
        if after is not None:
            at, number = after
            query = query.where(
                or_(
                    cert.created_at > at,
                    and_(cert.created_at == at, cert.certificate_number > number),
                )
            )
        rows = self._s.execute(query).all()
        ids = [r.id for r in rows]
        scopes: dict[str, list[str]] = {i: [] for i in ids}
        credentials: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for certification_id, code in self._s.execute(
                select(CertificationScopeRow.certification_id, CertificationScopeRow.code)
                .where(CertificationScopeRow.certification_id.in_(ids))
                .order_by(CertificationScopeRow.code)
            ):
                scopes[certification_id].append(code)
            for certification_id, credential_id in self._s.execute(
                select(CredentialRow.certification_id, CredentialRow.id)
                .where(
                    CredentialRow.certification_id.in_(ids),
                    CredentialRow.superseded_by.is_(None),
                )
                .order_by(CredentialRow.issued_at, CredentialRow.id)
            ):
                credentials[certification_id].append(credential_id)
        return [
            PublicCertification(
                certificate_number=r.certificate_number,
                given_name=r.given_name,
                family_name=r.family_name,
                scheme_code=r.code,
                scheme_version=r.version,
                scope=tuple(scopes[r.id]),
                status=CertificationStatus(r.status),
                status_since=r.since,
                effective_date=r.effective_date,
                expiry_date=r.expiry_date,
                credential_ids=tuple(credentials[r.id]),
                position=(r.created_at, r.certificate_number),
            )
            for r in rows
        ]

    def certification_changes(
        self, *, after: tuple[datetime, int, int, str] | None, until: datetime, limit: int
    ) -> list[CertificationChange]:
        """Grants and lifecycle decisions recorded up to ``until``, after the position
        ``after``, oldest first. Reasons are never read."""
        cert, decision = CertificationRow, LifecycleDecisionRow
        first_valid = (
            select(func.min(CredentialRow.valid_from))
            .where(
                CredentialRow.certification_id == cert.id,
                CredentialRow.kind == CredentialKind.CERTIFICATE.value,
            )
            .correlate(cert)
            .scalar_subquery()
        )
        grants = select(
            cert.id,
            cert.certificate_number,
            cert.created_at,
            func.coalesce(first_valid, cert.created_at).label("effective"),
        ).where(cert.created_at <= until)
        decisions = (
            select(decision.seq, decision.kind, decision.decided_at, cert.certificate_number)
            .join(cert, cert.id == decision.certification_id)
            .where(decision.decided_at <= until)
        )
        if after is not None:
            at, rank, seq, certification_id = after
            if rank == 0:  # after a grant: later grants at that instant, and every decision
                grants = grants.where(
                    or_(
                        cert.created_at > at,
                        and_(cert.created_at == at, cert.id > certification_id),
                    )
                )
                decisions = decisions.where(decision.decided_at >= at)
            else:  # after a decision: later decisions at that instant, and no grant
                grants = grants.where(cert.created_at > at)
                decisions = decisions.where(
                    or_(
                        decision.decided_at > at,
                        and_(decision.decided_at == at, decision.seq > seq),
                    )
                )
        found = [
            CertificationChange(
                certificate_number=number,
                kind=ChangeKind.GRANTED,
                effective_at=effective,
                recorded_at=at,
                position=(at, 0, 0, certification_id),
            )
            for certification_id, number, at, effective in self._s.execute(
                grants.order_by(cert.created_at, cert.id).limit(limit)
            )
        ]
        found += [
            CertificationChange(
                certificate_number=number,
                kind=ChangeKind.of(LifecycleKind(kind)),
                effective_at=at,
                recorded_at=at,
                position=(at, 1, int(seq), ""),
            )
            for seq, kind, at, number in self._s.execute(
                decisions.order_by(decision.decided_at, decision.seq).limit(limit)
            )
        ]
        # A stable sort on (instant, grant first, sequence): grants at one instant keep the
        # database's order of their ids, the order its keyset condition compares in.
        found.sort(key=lambda c: c.position[:3])
        return found[:limit]

    def insert_disclosure(self, disclosure: Disclosure) -> None:
        fields = _fields(disclosure)
        fields["field"] = disclosure.field.value
        self._s.add(DisclosureRow(**fields))
        self._flush("disclosure")

    def get_disclosure(self, disclosure_id: str) -> Disclosure | None:
        row = self._s.get(DisclosureRow, disclosure_id)
        if row is None:
            return None
        fields = _columns(row)
        fields["field"] = ConfidentialField(row.field)
        return Disclosure(**fields)

    def insert_person_notice(self, notice: PersonNotice) -> None:
        self._s.add(PersonNoticeRow(**_fields(notice)))
        self._flush("person notice")

    def person_notices(self, person_id: str) -> list[PersonNotice]:
        rows = self._s.scalars(
            select(PersonNoticeRow)
            .where(PersonNoticeRow.person_id == person_id)
            .order_by(PersonNoticeRow.created_at, PersonNoticeRow.id)
        )
        return [PersonNotice(**_columns(r)) for r in rows]

    def lock_person_notice(self, notice_id: str) -> PersonNotice | None:
        row = self._s.get(PersonNoticeRow, notice_id, with_for_update=True)
        return None if row is None else PersonNotice(**_columns(row))

    def mark_notice_sent(self, notice_id: str, *, at: datetime, by: str) -> None:
        self._s.execute(
            update(PersonNoticeRow)
            .where(PersonNoticeRow.id == notice_id)
            .values(sent_at=at, sent_by=by)
        )

    def token_name(self, token_id: str) -> str | None:
        name: str | None = self._s.scalar(select(TokenRow.name).where(TokenRow.id == token_id))
        return name

    def insert_regulator_request(self, request: RegulatorRequest) -> None:
        self._s.add(RegulatorRequestRow(**_fields(request)))
        self._flush("regulator request")


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


def slot_claim_rows(claims: Sequence[tuple[StatusSlot, str, str]], at: datetime) -> TableRows:
    """Status slots taken, ``(slot, certification_id, credential_id)`` each, as rows (see
    :meth:`Tx.claim_slots`)."""
    return TableRows(
        StatusSlotRow.__tablename__,
        ("list_id", "idx", "certification_id", "credential_id", "value", "allocated_at"),
        [(s.list_id, s.index, c, k, 0, at) for s, c, k in claims],
    )


def roster_grant_rows(
    grants: Sequence[RosterGrant],
    jws: Sequence[str],
    *,
    kid: str,
    batch_id: str,
    chunk: int,
    at: datetime,
) -> list[TableRows]:
    """A chunk of roster grants with their signed credentials as rows, table by table, in
    the order :meth:`Tx.insert_rows` must insert them (parents first).

    Plain tuples of plain values: a bulk run may hand them to a writing process
    (:mod:`issuer.bulk.writes`), and pickling a tuple costs a fraction of a dataclass.
    The caller claims the slots (:func:`slot_claim_rows`, after these) and appends the
    audit entry; a second use of an external id breaks the primary key of ``bulk_items``
    and raises :class:`Duplicate`, so a racing rerun cannot issue a row twice.
    """
    rows: list[TableRows] = []

    def add(row: Any, columns: Sequence[str], values: list[tuple[Any, ...]]) -> None:
        rows.append(TableRows(row.__tablename__, tuple(columns), values))

    certified = ApplicationState.CERTIFIED.value
    new_persons = [g.person for g in grants if g.person is not None]
    add(
        PersonRow,
        (
            "id",
            "given_name",
            "family_name",
            "public_notice_version",
            "notice_given_at",
            "directory_consent",
            "created_at",
        ),
        [
            (
                p.id,
                p.given_name,
                p.family_name,
                p.public_notice_version,
                p.notice_given_at,
                p.directory_consent,
                p.created_at,
            )
            for p in new_persons
        ],
    )
    add(
        PersonConfidentialRow,
        ("person_id", *PersonConfidential.__slots__),
        [
            (p.id, *(getattr(p.confidential, f) for f in PersonConfidential.__slots__))
            for p in new_persons
        ],
    )
    add(
        ApplicationRow,
        (
            "id",
            "person_id",
            "scheme_id",
            "scheme_version_id",
            "state",
            "submitted_at",
            "submitted_by",
            "closed_at",
            "closed_by",
        ),
        [
            (
                g.application_id,
                g.person_id,
                g.scheme_id,
                g.scheme_version_id,
                certified,
                at,
                g.decision_maker_id,
                at,
                g.decision_maker_id,
            )
            for g in grants
        ],
    )
    add(
        ApplicationScopeRow,
        ("application_id", "code"),
        [(g.application_id, c) for g in grants for c in g.scope],
    )
    add(
        DecisionRow,
        ("id", "application_id", "decision_maker_id", "outcome", "rationale", "decided_at"),
        [
            (
                g.decision_id,
                g.application_id,
                g.decision_maker_id,
                DecisionOutcome.GRANT.value,
                g.rationale,
                at,
            )
            for g in grants
        ],
    )
    add(
        CertificationRow,
        (
            "id",
            "certificate_number",
            "person_id",
            "scheme_id",
            "scheme_version_id",
            "application_id",
            "decision_id",
            "status",
            "effective_date",
            "expiry_date",
            "created_at",
        ),
        [
            (
                g.certification_id,
                g.certificate_number,
                g.person_id,
                g.scheme_id,
                g.scheme_version_id,
                g.application_id,
                g.decision_id,
                CertificationStatus.ACTIVE.value,
                g.effective_date,
                g.expiry_date,
                at,
            )
            for g in grants
        ],
    )
    add(
        CertificationScopeRow,
        ("certification_id", "code"),
        [(g.certification_id, c) for g in grants for c in g.scope],
    )
    add(
        CredentialRow,
        (
            "id",
            "certification_id",
            "kind",
            "kid",
            "jws",
            "valid_from",
            "valid_until",
            "revocation_list_id",
            "revocation_index",
            "suspension_list_id",
            "suspension_index",
            "issued_at",
        ),
        [
            (
                g.credential_id,
                g.certification_id,
                CredentialKind.CERTIFICATE.value,
                kid,
                token,
                g.valid_from,
                g.valid_until,
                g.revocation.list_id,
                g.revocation.index,
                g.suspension.list_id,
                g.suspension.index,
                at,
            )
            for g, token in zip(grants, jws, strict=True)
        ],
    )
    add(
        BulkItemRow,
        (
            "external_id",
            "row_digest",
            "batch_id",
            "chunk",
            "certification_id",
            "credential_id",
            "issued_at",
        ),
        [
            (
                g.external_id,
                g.row_digest,
                batch_id,
                chunk,
                g.certification_id,
                g.credential_id,
                at,
            )
            for g in grants
        ],
    )
    return rows


def with_credential_jws(
    rows: Sequence[TableRows], start: int, jws: Sequence[str]
) -> list[TableRows]:
    """``rows`` of :func:`roster_grant_rows` with the credentials from the ``start``-th on
    given their ``jws``: a bulk run may leave the last credentials of a chunk for its
    writing process to sign (:mod:`issuer.bulk.writes`)."""
    done = []
    for table in rows:
        if table.table == CredentialRow.__tablename__:
            column = table.columns.index("jws")
            signed = [
                (*row[:column], token, *row[column + 1 :])
                for row, token in zip(table.values[start:], jws, strict=True)
            ]
            table = replace(table, values=table.values[:start] + signed)
        done.append(table)
    return done


class BulkWriter:
    """The connection a bulk issuance run writes its chunks through, one transaction each.

    A roster's rows carry random keys (ids, certificate numbers, status slots), so each
    chunk touches index pages all over the file. On SQLite this connection keeps a large
    page cache for the whole run (the pages stay valid across its own transactions), and
    the write-ahead log is copied into the database file by a :class:`_Checkpointer` beside
    it, after each commit, rather than by the commit that fills it (which then stalled the
    run for half a second every few chunks). Durability is unchanged: ``synchronous`` is
    left as it is, every commit is as durable as any other. Other engines: a plain
    connection.
    """

    CACHE_KIB = 262_144
    """Page cache of the bulk connection on SQLite (KiB; memory is taken only as used)."""

    CHECKPOINT_KIB = 262_144
    """Write-ahead log size (KiB) at which the bulk connection checkpoints on SQLite itself:
    only if the checkpointer falls behind (a long reader keeps it from finishing)."""

    def __init__(self, connection: Connection) -> None:
        self.server_side = connection.dialect.name != "sqlite"
        """Whether the database does its work in a server process (not SQLite's, inside
        this one): then a thread writing through this connection waits on a socket, free of
        the interpreter lock, and can overlap work in other threads."""
        self._sessions = sessionmaker(connection, expire_on_commit=False, autoflush=True)
        self._restore: list[str] = []
        self._raw: Any = None
        self._checkpointer: _Checkpointer | None = None
        if connection.dialect.name == "sqlite":
            self._raw = connection.connection.driver_connection
            (page_size,) = self._raw.execute("PRAGMA page_size").fetchone()
            for pragma, value in (
                ("cache_size", -self.CACHE_KIB),
                ("wal_autocheckpoint", self.CHECKPOINT_KIB * 1024 // int(page_size)),
            ):
                (before,) = self._raw.execute(f"PRAGMA {pragma}").fetchone()
                self._restore.append(f"PRAGMA {pragma}={int(before)}")
                self._raw.execute(f"PRAGMA {pragma}={int(value)}")
            (mode,) = self._raw.execute("PRAGMA journal_mode").fetchone()
            path = _database_file(self._raw)
            if str(mode).lower() == "wal" and path:
                self._checkpointer = _Checkpointer(path)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One chunk's unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield Tx(session)
        if self._checkpointer is not None:
            self._checkpointer.wake()

    def restore(self) -> None:
        """The connection's usual settings, before it goes back to the pool; the run's log
        is checkpointed here, so the next ordinary commit does not pay for it."""
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._restore:
            self._raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        for statement in self._restore:
            self._raw.execute(statement)
        self._restore = []


def _database_file(raw: Any) -> str:
    """The file of an SQLite connection's main database ('' in memory)."""
    for _seq, name, file in raw.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file or "")
    return ""


class _Checkpointer:
    """Copies a bulk run's committed write-ahead log into the database file in a thread of
    its own, over a connection of its own, after each commit (:meth:`wake`).

    SQLite checkpoints from inside the commit that takes the log past its limit: with the
    bulk connection's 256 MiB, one chunk in eight stopped for the copy of every page the
    log held (0.5-0.8 s), while nothing else was written. A ``PASSIVE`` checkpoint from
    another connection takes no lock a writer needs, and ``sqlite3`` lets go of the
    interpreter lock while it runs, so the copy overlaps the next chunk's work, and once
    it has caught up the next transaction starts the log again from its beginning. It only
    copies what is committed and syncs the database file after: no commit is less durable.
    A checkpoint that fails (the file gone, a disk error) leaves the log to the bulk
    connection's own checkpoints; the next commit reports whatever is wrong.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._wanted = threading.Event()
        self._closing = False
        self._thread = threading.Thread(
            target=self._run, name="certreg-bulk-checkpoint", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """A chunk was committed: copy the log (now, or when the copy under way ends)."""
        self._wanted.set()

    def close(self) -> None:
        """Stop once the copy under way, if any, has ended."""
        self._closing = True
        self._wanted.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error:
            return
        with closing(connection):
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._closing:
                    return
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    return


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


def _fields(value: Any) -> dict[str, Any]:
    """A frozen dataclass's fields as a dict (shallow: nested values stay as they are)."""
    return {name: getattr(value, name) for name in value.__slots__}


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}
