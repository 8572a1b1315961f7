"""A hypothesis state machine over applications and certifications, driven through the store.

Every run sets up one scheme and a fixed cast of staff, then registers persons, submits
applications and moves them through review, acceptance or rejection, examinations and
decisions, and moves the certifications granted through suspension, reinstatement,
withdrawal, expiry and recertification — legally, illegally, by impartial staff and by
conflicted ones. A model predicts the outcome of every action before it is tried; after every
step the store must agree:

* each application's stored state, and each certification's status and expiry, is the model's;
* a certification exists exactly for the applications that are ``certified``;
* every refused action raised the predicted :class:`~issuer.errors.IssuerError` subclass with
  the predicted ``kind`` and left the store as it was (audit head and every table's row count);
* every accepted action appended its audit entries (exactly one, or for a grant at least
  one), and the audit chain verifies with its head where the model expects it;
* certificate numbers are unique and valid, and each grant signed exactly one certificate.

The ``store`` fixture is function-scoped but every hypothesis example needs an empty store:
on SQLite each example gets its own copy of the migrated template, on PostgreSQL the test's
schema is truncated when the machine starts.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Table, func, inspect, select, text

from issuer.credentials import certificate_numbers, signing
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.keys import KeyRing
from issuer.errors import (
    PROBLEM_KINDS,
    Forbidden,
    ImpartialityRefused,
    InvalidInput,
    IssuerError,
    NotFound,
    StateConflict,
)
from issuer.http.bodies.schemes import SchemeContentBody
from issuer.model import (
    ApplicationState,
    Certification,
    CertificationStatus,
    CredentialKind,
    DecisionOutcome,
    ExaminationResult,
    InvigilationMode,
    PersonConfidential,
    Role,
)
from issuer.process import (
    applications,
    decisions,
    due,
    examinations,
    lifecycle,
    persons,
    recertification,
    schemes,
    staff,
)
from issuer.process.auth import Actor
from issuer.settings import Settings
from issuer.store import Store, Tx
from issuer.store.tables import metadata
from tests.backoffice import scheme_body
from tests.conftest import FrozenClock, SeededEntropy, _install_key

T = TypeVar("T")

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UNKNOWN_NUMBER = "0000-0000-0000-0000-0"  # well-formed (valid check symbol), never issued
OPEN = frozenset({ApplicationState.SUBMITTED, ApplicationState.REVIEWED, ApplicationState.ACCEPTED})
# The process as clause 9.2 describes it, written out independently of the product's table.
MOVES_FROM = {
    ApplicationState.REVIEWED: {ApplicationState.SUBMITTED},
    ApplicationState.ACCEPTED: {ApplicationState.REVIEWED},
    ApplicationState.REJECTED: {ApplicationState.REVIEWED},
}

# Which error class each kind the machine can provoke must come as.
KIND_CLASS: dict[str, type[IssuerError]] = {
    "not-found": NotFound,
    "invalid-transition": StateConflict,
    "open-application": StateConflict,
    "not-a-candidate": StateConflict,
    "wrong-role": Forbidden,
    "missing-role": Forbidden,
    "examiner-not-approved": Forbidden,
    "trained-candidate": ImpartialityRefused,
    "declared-conflict": ImpartialityRefused,
    "examined-candidate": ImpartialityRefused,
    "invalid-input": InvalidInput,
    "evidence-missing": InvalidInput,
    "recertification-window": StateConflict,
}

# Staff who may be named as examiner or decision-maker. ``examiner``, ``trainer`` and
# ``conflicted`` hold both roles and are approved for the scheme; ``unapproved`` is an
# examiner without approval; ``decider`` only decides; ``registrar`` only registers.
EXAMINER_KEYS = ("examiner", "trainer", "conflicted", "unapproved", "decider")
MAKER_KEYS = ("decider", "examiner", "trainer", "conflicted")

SCOPES: tuple[tuple[str, ...], ...] = (
    ("VT-STEEL",),
    ("VT-PRESSURE", "VT-STEEL"),
    ("VT-STEEL", "VT-STEEL"),  # a code twice: invalid
    ("NOT-IN-SCHEME",),  # unknown code: invalid
    (),  # nothing requested: invalid
)


# ── fresh stores, one per example ─────────────────────────────────────────────────────────
class Stores:
    """Hands every hypothesis example an empty, migrated store of the test's backend, holding
    only the active signing key (as the ``store`` fixture does)."""

    def __init__(
        self,
        backend: str,
        template: Path,
        directory: Path,
        fixture_store: Store,
        key: signing.GeneratedKey,
        issuance: IssuanceContext,
    ) -> None:
        self.backend = backend
        self.directory = directory
        self.postgres = fixture_store  # used as is (after truncation) on PostgreSQL
        self.key = key
        self.issuance = issuance
        self.count = 0
        self.tables = migrated_tables(fixture_store)
        self.template = directory / "machine-template.sqlite3"
        if backend == "sqlite":
            shutil.copyfile(template, self.template)
            keyed = Store.from_url(f"sqlite:///{self.template}")
            _install_key(keyed, key)
            keyed.dispose()

    def fresh(self) -> Store:
        self.count += 1
        if self.backend == "sqlite":
            path = self.directory / f"machine-{self.count}.sqlite3"
            shutil.copyfile(self.template, path)
            return Store.from_url(f"sqlite:///{path}")
        names = ", ".join(f'"{t.name}"' for t in self.tables)
        with self.postgres.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        _install_key(self.postgres, self.key)
        return self.postgres

    def release(self, store: Store) -> None:
        if self.backend == "sqlite":
            store.dispose()
            path = self.directory / f"machine-{self.count}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


def migrated_tables(store: Store) -> list[Table]:
    """The tables of :mod:`issuer.store.tables` that the migrations have created in ``store``."""
    present = set(inspect(store.engine).get_table_names())
    return [t for t in metadata.sorted_tables if t.name in present]


def snapshot(store: Store, tables: list[Table]) -> tuple[Any, ...]:
    """Every table's row count and the audit head, in one query."""
    head = metadata.tables["audit_head"]
    counts = [select(func.count()).select_from(table).scalar_subquery() for table in tables]
    query = select(
        *counts,
        select(head.c.seq).where(head.c.id == 1).scalar_subquery(),
        select(head.c.entry_hash).where(head.c.id == 1).scalar_subquery(),
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).one()
    return tuple(row)


def audit_seq(store: Store) -> int:
    head = metadata.tables["audit_head"]
    with store.engine.connect() as conn:
        seq = conn.execute(select(head.c.seq).where(head.c.id == 1)).scalar()
    return int(seq or 0)


# ── the model ────────────────────────────────────────────────────────────────────────────
@dataclass
class Member:
    staff_id: str
    token_id: str
    roles: frozenset[Role]
    approved: bool

    def as_(self, role: Role) -> Actor:
        return Actor(token_id=self.token_id, role=role, staff_id=self.staff_id)


@dataclass
class PersonModel:
    trained_by: set[str] = field(default_factory=set)
    conflicted_with: set[str] = field(default_factory=set)
    examined_by: set[str] = field(default_factory=set)


@dataclass
class ApplicationModel:
    person_id: str
    requested: tuple[str, ...]
    state: ApplicationState = ApplicationState.SUBMITTED
    has_evidence: bool = False  # a passed, identity-checked examination under NDA
    certificate_number: str | None = None
    status: CertificationStatus | None = None  # of the certification, once granted
    expiry: date | None = None
    suspension_stands: bool = False  # suspended and not reinstated, expired since or not


class ApplicationMachine(RuleBasedStateMachine):
    stores: ClassVar[Stores]

    persons = Bundle[str]("persons")
    applications = Bundle[str]("applications")

    def __init__(self) -> None:
        super().__init__()
        self.store = self.stores.fresh()
        self.clock = FrozenClock()
        self.entropy = SeededEntropy()
        self.people: dict[str, PersonModel] = {}
        self.apps: dict[str, ApplicationModel] = {}
        self.members: dict[str, Member] = {}
        self.expected_seq = 0
        with self.store.transaction() as tx:
            self._set_up(tx)
        assert audit_seq(self.store) == self.expected_seq

    def teardown(self) -> None:
        self.stores.release(self.store)

    # ── set-up: a scheme and its staff ───────────────────────────────────────────────────
    def _enrol(self, tx: Tx, key: str, roles: tuple[Role, ...], approved: bool = False) -> None:
        token, _ = staff.enrol(
            tx,
            actor="system:machine",
            now=self.clock(),
            entropy=self.entropy,
            name=key.title(),
            role=roles[0],
        )
        assert token.staff_id is not None
        self.expected_seq += 2  # staff.created, token.created
        if len(roles) > 1:
            staff.set_roles(
                tx,
                actor=self.members["admin"].as_(Role.ADMINISTRATOR),
                now=self.clock(),
                staff_id=token.staff_id,
                roles=frozenset(roles),
            )
            self.expected_seq += 1
        self.members[key] = Member(token.staff_id, token.id, frozenset(roles), approved)

    def _set_up(self, tx: Tx) -> None:
        both = (Role.EXAMINER, Role.DECISION_MAKER)
        self._enrol(tx, "admin", (Role.ADMINISTRATOR,))
        self._enrol(tx, "manager", (Role.SCHEME_MANAGER,))
        self._enrol(tx, "registrar", (Role.REGISTRAR,))
        self._enrol(tx, "decider", (Role.DECISION_MAKER,))
        self._enrol(tx, "examiner", both, approved=True)
        self._enrol(tx, "trainer", both, approved=True)
        self._enrol(tx, "conflicted", both, approved=True)
        self._enrol(tx, "unapproved", (Role.EXAMINER,))
        body = scheme_body()
        code = body.pop("code")
        manager = self.members["manager"].as_(Role.SCHEME_MANAGER)
        scheme = schemes.create_scheme(
            tx,
            actor=manager,
            now=self.clock(),
            entropy=self.entropy,
            code=code,
            content=SchemeContentBody.model_validate(body).to_model(),
        )
        self.expected_seq += 1
        self.scheme_id = scheme.id
        self.interval = scheme.current.content.recertification_interval_months
        for key in ("examiner", "trainer", "conflicted"):
            staff.approve_examiner(
                tx,
                actor=manager,
                now=self.clock(),
                entropy=self.entropy,
                staff_id=self.members[key].staff_id,
                scheme_id=scheme.id,
                valid_until=None,
            )
            self.expected_seq += 1

    # ── one attempted action ─────────────────────────────────────────────────────────────
    def attempt(
        self, expected: str | None, entries: int | None, action: Callable[[Tx], T]
    ) -> T | None:
        """Run ``action`` in one transaction; it must fail with ``expected`` (and change
        nothing) or, when ``expected`` is None, succeed and append ``entries`` audit entries
        (``None``: at least one)."""
        before = snapshot(self.store, self.stores.tables)
        refusal: IssuerError | None = None
        try:
            with self.store.transaction() as tx:
                result = action(tx)
        except IssuerError as exc:
            refusal = exc
        if refusal is not None:
            kind, detail = refusal.kind, refusal.detail
            assert expected is not None, f"refused unexpectedly: {kind}: {detail}"
            assert kind == expected, f"expected {expected}, got {kind}: {detail}"
            assert isinstance(refusal, KIND_CLASS[expected]), type(refusal)
            assert kind in PROBLEM_KINDS
            after = snapshot(self.store, self.stores.tables)
            assert after == before, f"the refused action ({kind}) changed the store"
            return None
        assert expected is None, f"expected a refusal {expected!r}, but the action succeeded"
        if entries is None:
            seq = audit_seq(self.store)
            assert seq > self.expected_seq, "an action succeeded without an audit entry"
            self.expected_seq = seq
        else:
            self.expected_seq += entries
        return result

    def today(self) -> date:
        return self.clock().date()

    def actor(self, key: str, role: Role) -> Actor:
        return self.members[key].as_(role)

    # ── rules ────────────────────────────────────────────────────────────────────────────
    @initialize(target=persons)
    def first_persons(self) -> MultipleResults[str]:
        """Three persons to start with, one trained by the trainer, one the conflicted
        staff member's former colleague, so that runs get to the interesting steps sooner."""
        return multiple(
            self._register(trained=False, conflicted=False),
            self._register(trained=True, conflicted=False),
            self._register(trained=False, conflicted=True),
        )

    @rule(target=persons, trained=st.booleans(), conflicted=st.booleans())
    def register_person(self, trained: bool, conflicted: bool) -> str:
        return self._register(trained, conflicted)

    def _register(self, trained: bool, conflicted: bool) -> str:
        registrar = self.actor("registrar", Role.REGISTRAR)
        model = PersonModel()

        def act(tx: Tx) -> str:
            person = persons.register_person(
                tx,
                actor=registrar,
                now=self.clock(),
                entropy=self.entropy,
                given_name="Ana",
                family_name="Moreau",
                public_notice_version="2026-1",
                directory_consent=True,
                confidential=PersonConfidential(
                    date_of_birth=date(1986, 3, 14),
                    email=None,
                    phone=None,
                    address=None,
                    identity_document_ref=None,
                ),
            )
            if trained:
                self._train(tx, person.id)
                model.trained_by.add("trainer")
            if conflicted:
                self._conflict(tx, person.id)
                model.conflicted_with.add("conflicted")
            return person.id

        person_id = self.attempt(None, 1 + trained + conflicted, act)
        assert person_id is not None
        self.people[person_id] = model
        return person_id

    def _train(self, tx: Tx, person_id: str) -> None:
        staff.record_trainer_relation(
            tx,
            actor=self.actor("registrar", Role.REGISTRAR),
            now=self.clock(),
            entropy=self.entropy,
            staff_id=self.members["trainer"].staff_id,
            person_id=person_id,
            description="ran the preparation course",
            started_on=None,
            ended_on=None,
        )

    def _conflict(self, tx: Tx, person_id: str) -> None:
        staff.declare_conflict(
            tx,
            actor=self.actor("conflicted", Role.EXAMINER),
            now=self.clock(),
            entropy=self.entropy,
            staff_id=self.members["conflicted"].staff_id,
            person_id=person_id,
            nature="former colleague",
            measures=None,
        )

    @rule(person_id=persons, relation=st.sampled_from(["trainer", "conflicted"]))
    def relate_later(self, person_id: str, relation: str) -> None:
        """A trainer relation or a conflict that comes to light after registration."""
        self._relate(person_id, relation)

    def _relate(self, person_id: str, relation: str) -> None:
        act = self._train if relation == "trainer" else self._conflict
        self.attempt(None, 1, lambda tx: act(tx, person_id))
        model = self.people[person_id]
        (model.trained_by if relation == "trainer" else model.conflicted_with).add(relation)

    @initialize(target=applications, related_later=st.sampled_from(["", "trainer", "conflicted"]))
    def first_certification(self, related_later: str) -> str:
        """One person certified from the start, so that every run can exercise what happens
        to a certification after the grant; sometimes a training relation or a conflict with
        them comes to light after the grant."""
        person_id = self._register(trained=False, conflicted=False)
        application_id = self._submit(person_id, ("VT-PRESSURE", "VT-STEEL"))
        assert application_id is not None
        for _ in range(4):  # review, accept, examine, grant
            self._advance(application_id, reject_instead=False, grant=True)
        assert self.apps[application_id].state is ApplicationState.CERTIFIED
        if related_later:
            self._relate(person_id, related_later)
        return application_id

    @rule(target=applications, person_id=persons, scope=st.sampled_from(SCOPES))
    def submit(self, person_id: str, scope: tuple[str, ...]) -> MultipleResults[str]:
        application_id = self._submit(person_id, scope)
        return multiple() if application_id is None else multiple(application_id)

    def _submit(self, person_id: str, scope: tuple[str, ...]) -> str | None:
        expected = None
        if "NOT-IN-SCHEME" in scope or not scope or len(set(scope)) != len(scope):
            expected = "invalid-input"
        elif any(a.person_id == person_id and a.state in OPEN for a in self.apps.values()):
            expected = "open-application"
        application = self.attempt(
            expected,
            1,
            lambda tx: applications.submit(
                tx,
                actor=self.actor("registrar", Role.REGISTRAR),
                now=self.clock(),
                entropy=self.entropy,
                person_id=person_id,
                scheme_id=self.scheme_id,
                scope=scope,
            ),
        )
        if application is None:
            return None
        assert application.state is ApplicationState.SUBMITTED
        assert application.requested_scope == tuple(sorted(scope))
        self.apps[application.id] = ApplicationModel(person_id, application.requested_scope)
        return application.id

    def _move(self, application_id: str, to: ApplicationState, blank: bool = False) -> None:
        app = self.apps.get(application_id)
        expected: str | None = None
        if app is None:
            expected = "not-found"
        elif to is ApplicationState.REJECTED and blank:
            expected = "invalid-input"  # the reason is checked before the transition
        elif app.state not in MOVES_FROM[to]:
            expected = "invalid-transition"
        registrar = self.actor("registrar", Role.REGISTRAR)
        now = self.clock()

        def act(tx: Tx) -> ApplicationState:
            if to is ApplicationState.REVIEWED:
                done = applications.review(
                    tx, actor=registrar, now=now, application_id=application_id, notes="complete"
                )
            elif to is ApplicationState.ACCEPTED:
                done = applications.accept(
                    tx, actor=registrar, now=now, application_id=application_id
                )
            else:
                done = applications.reject(
                    tx,
                    actor=registrar,
                    now=now,
                    application_id=application_id,
                    reason="   " if blank else "prerequisites unmet",
                )
            return done.state

        state = self.attempt(expected, 1, act)
        if state is not None:
            assert app is not None
            assert state is to
            app.state = to

    @rule(application_id=applications)
    def review(self, application_id: str) -> None:
        self._move(application_id, ApplicationState.REVIEWED)

    @rule(application_id=applications)
    def accept(self, application_id: str) -> None:
        self._move(application_id, ApplicationState.ACCEPTED)

    @rule(application_id=applications, blank_reason=st.booleans())
    def reject(self, application_id: str, blank_reason: bool) -> None:
        self._move(application_id, ApplicationState.REJECTED, blank_reason)

    @rule(
        application_id=applications,
        examiner=st.sampled_from(EXAMINER_KEYS),
        via=st.sampled_from(["self", "registrar", "registrar-unnamed", "self-naming-other"]),
        result=st.sampled_from(ExaminationResult),
        nda_and_identity=st.sampled_from([(True, True), (False, True), (True, False)]),
        held=st.sampled_from([-10, 0, 1]),  # days from today; 1 is in the future
        bad_score=st.booleans(),
    )
    def examine(
        self,
        application_id: str,
        examiner: str,
        via: str,
        result: ExaminationResult,
        nda_and_identity: tuple[bool, bool],
        held: int,
        bad_score: bool,
    ) -> None:
        self._examine(application_id, examiner, via, result, nda_and_identity, held, bad_score)

    def _examine(
        self,
        application_id: str,
        examiner: str,
        via: str,
        result: ExaminationResult,
        nda_and_identity: tuple[bool, bool],
        held: int,
        bad_score: bool,
    ) -> None:
        app = self.apps.get(application_id)
        member = self.members[examiner]
        if via.startswith("self"):
            actor = self.actor(examiner, Role.EXAMINER)
            other = self.members["registrar"].staff_id  # never the examiner themselves
            named = other if via == "self-naming-other" else None
        else:
            actor = self.actor("registrar", Role.REGISTRAR)
            named = None if via == "registrar-unnamed" else member.staff_id
        person = None if app is None else self.people[app.person_id]
        expected: str | None = None
        if app is None or person is None:
            expected = "not-found"
        elif app.state is not ApplicationState.ACCEPTED:
            expected = "not-a-candidate"
        elif via == "self-naming-other":
            expected = "wrong-role"
        elif via == "registrar-unnamed":
            expected = "invalid-input"
        elif Role.EXAMINER not in member.roles:
            expected = "missing-role"
        elif not member.approved:
            expected = "examiner-not-approved"
        elif examiner in person.trained_by:
            expected = "trained-candidate"
        elif examiner in person.conflicted_with:
            expected = "declared-conflict"
        elif held > 0 or bad_score:
            expected = "invalid-input"
        nda, identity = nda_and_identity
        data = examinations.ExaminationInput(
            application_id=application_id,
            examiner_id=named,
            held_on=self.today() + timedelta(days=held),
            method="written and practical",
            result=result,
            score=120.0 if bad_score else 84.0,
            max_score=100.0,
            nda_accepted=nda,
            identity_checked=identity,
            invigilation_mode=InvigilationMode.IN_PERSON,
            irregularities=None,
            ai_use=None,
        )
        recorded = self.attempt(
            expected,
            1,
            lambda tx: examinations.record_examination(
                tx, actor=actor, now=self.clock(), entropy=self.entropy, data=data
            ),
        )
        if recorded is not None:
            assert app is not None
            assert person is not None
            assert recorded.examiner_id == member.staff_id
            person.examined_by.add(examiner)
            if result is ExaminationResult.PASS and nda and identity:
                app.has_evidence = True

    @rule(
        application_id=applications,
        maker=st.sampled_from(MAKER_KEYS),
        outcome=st.sampled_from(DecisionOutcome),
        blank_rationale=st.booleans(),
        scope=st.sampled_from([None, ("VT-STEEL",), ("VT-PRESSURE",), ()]),
        effective=st.sampled_from([None, 10, -1]),  # days from today
    )
    def decide(
        self,
        application_id: str,
        maker: str,
        outcome: DecisionOutcome,
        blank_rationale: bool,
        scope: tuple[str, ...] | None,
        effective: int | None,
    ) -> None:
        self._decide(application_id, maker, outcome, blank_rationale, scope, effective)

    def _decide(
        self,
        application_id: str,
        maker: str,
        outcome: DecisionOutcome,
        blank_rationale: bool,
        scope: tuple[str, ...] | None,
        effective: int | None,
    ) -> None:
        app = self.apps.get(application_id)
        person = None if app is None else self.people[app.person_id]
        today = self.today()
        effective_date = None if effective is None else today + timedelta(days=effective)
        granted: tuple[str, ...] = ()
        expected: str | None = None
        if app is None or person is None:
            expected = "not-found"
        elif app.state is not ApplicationState.ACCEPTED:
            expected = "invalid-transition"
        elif maker in person.examined_by:
            expected = "examined-candidate"
        elif maker in person.trained_by:
            expected = "trained-candidate"
        elif maker in person.conflicted_with:
            expected = "declared-conflict"
        elif blank_rationale:
            expected = "invalid-input"
        elif outcome is DecisionOutcome.GRANT:
            granted = app.requested if scope is None else tuple(sorted(scope))
            if not app.has_evidence:
                expected = "evidence-missing"
            elif (
                not granted
                or not set(granted) <= set(app.requested)
                or (effective_date is not None and effective_date < today)
            ):
                expected = "invalid-input"
        data = decisions.DecisionInput(
            application_id=application_id,
            outcome=outcome,
            rationale="  " if blank_rationale else "examinations passed; evidence reviewed",
            scope=scope,
            effective_date=effective_date,
        )
        actor = self.actor(maker, Role.DECISION_MAKER)
        grant = outcome is DecisionOutcome.GRANT
        done = self.attempt(
            expected,
            None if grant else 1,  # a grant also signs a credential and may open status lists
            lambda tx: decisions.decide(
                tx,
                actor=actor,
                now=self.clock(),
                entropy=self.entropy,
                data=data,
                issuance=self.stores.issuance,
            ),
        )
        if done is None:
            return
        assert app is not None
        decision, certification = done
        assert decision.outcome is outcome
        assert decision.decision_maker_id == self.members[maker].staff_id
        if not grant:
            assert certification is None
            app.state = ApplicationState.DENIED
            return
        assert certification is not None
        start = effective_date or today
        assert certification.scope == granted
        assert certification.effective_date == start
        assert certification.expiry_date == decisions.expiry_for(start, self.interval)
        assert certification.decision_id == decision.id
        app.state = ApplicationState.CERTIFIED
        app.certificate_number = certification.certificate_number
        app.status = CertificationStatus.ACTIVE
        app.expiry = certification.expiry_date
        self._read_back(application_id, app, granted, start)

    def _read_back(
        self, application_id: str, app: ApplicationModel, scope: tuple[str, ...], start: date
    ) -> None:
        """What the grant stored reads back as granted, with one signed certificate."""
        with self.store.transaction() as tx:
            certification = tx.certification_for_application(application_id)
            assert certification is not None
            assert certification.certificate_number == app.certificate_number
            assert certification.scope == scope
            assert certification.effective_date == start
            assert certification.person_id == app.person_id
            assert certification.scheme_id == self.scheme_id
            by_number = tx.get_certification_by_number(certification.certificate_number)
            assert by_number == certification
            kinds = [c.kind for c in tx.credentials_of(certification.id)]
            assert kinds == [CredentialKind.CERTIFICATE], "one signed certificate per grant"

    def candidates(self) -> list[str]:
        return sorted(k for k, v in self.apps.items() if v.state is ApplicationState.ACCEPTED)

    @precondition(lambda self: bool(self.candidates()))
    @rule(
        data=st.data(),
        examiner=st.sampled_from(EXAMINER_KEYS),
        via=st.sampled_from(["self", "registrar"]),
        result=st.sampled_from(ExaminationResult),
    )
    def examine_a_candidate(
        self, data: st.DataObject, examiner: str, via: str, result: ExaminationResult
    ) -> None:
        """Examinations of candidates only, by anyone: the impartiality checks get exercised."""
        application_id = data.draw(st.sampled_from(self.candidates()))
        self._examine(application_id, examiner, via, result, (True, True), -1, False)

    @precondition(lambda self: bool(self.candidates()))
    @rule(
        data=st.data(), maker=st.sampled_from(MAKER_KEYS), outcome=st.sampled_from(DecisionOutcome)
    )
    def decide_on_a_candidate(
        self, data: st.DataObject, maker: str, outcome: DecisionOutcome
    ) -> None:
        """Decisions on candidates only, by any decision-maker, examiners of them included."""
        application_id = data.draw(st.sampled_from(self.candidates()))
        self._decide(application_id, maker, outcome, False, None, None)

    @rule(application_id=applications, reject_instead=st.booleans(), grant=st.booleans())
    def advance(self, application_id: str, reject_instead: bool, grant: bool) -> None:
        """Take the application one legal step further, by staff who may take it."""
        self._advance(application_id, reject_instead, grant)

    @rule(application_id=applications, grant=st.booleans())
    def advance_as_planned(self, application_id: str, grant: bool) -> None:
        """The same, never rejecting: a second rule so that runs reach decisions often."""
        self._advance(application_id, False, grant)

    def _advance(self, application_id: str, reject_instead: bool, grant: bool) -> None:
        app = self.apps[application_id]
        state = app.state
        if state is ApplicationState.SUBMITTED:
            self._move(application_id, ApplicationState.REVIEWED)
        elif state is ApplicationState.REVIEWED:
            to = ApplicationState.REJECTED if reject_instead else ApplicationState.ACCEPTED
            self._move(application_id, to)
        elif state is ApplicationState.ACCEPTED and not app.has_evidence:
            self._examine(
                application_id, "examiner", "self", ExaminationResult.PASS, (True, True), -1, False
            )
        elif state is ApplicationState.ACCEPTED:
            outcome = DecisionOutcome.GRANT if grant else DecisionOutcome.DENY
            self._decide(application_id, "decider", outcome, False, None, None)

    @rule(
        action=st.sampled_from(
            ["review", "accept", "reject", "examine", "decide", "submit-person", "submit-scheme"]
        )
    )
    def unknown_record_refused(self, action: str) -> None:
        """Every action on an id nobody issued is a typed not-found that changes nothing."""
        if action in {"review", "accept", "reject"}:
            to = {
                "review": ApplicationState.REVIEWED,
                "accept": ApplicationState.ACCEPTED,
                "reject": ApplicationState.REJECTED,
            }[action]
            self._move(UNKNOWN_ID, to)
        elif action == "examine":
            self._examine(
                UNKNOWN_ID, "examiner", "self", ExaminationResult.PASS, (True, True), 0, False
            )
        elif action == "decide":
            self._decide(UNKNOWN_ID, "decider", DecisionOutcome.GRANT, False, None, None)
        else:
            some_person = next(iter(self.people), UNKNOWN_ID)
            person_id = UNKNOWN_ID if action == "submit-person" else some_person
            scheme_id = UNKNOWN_ID if action == "submit-scheme" else self.scheme_id
            self.attempt(
                "not-found",
                1,
                lambda tx: applications.submit(
                    tx,
                    actor=self.actor("registrar", Role.REGISTRAR),
                    now=self.clock(),
                    entropy=self.entropy,
                    person_id=person_id,
                    scheme_id=scheme_id,
                    scope=("VT-STEEL",),
                ),
            )

    # ── the certification's own states (clauses 9.5, 9.6) ───────────────────────────────
    def certified(self) -> list[str]:
        return sorted(k for k, v in self.apps.items() if v.status is not None)

    def _lifecycle(
        self,
        application_id: str | None,
        maker: str,
        allowed: frozenset[CertificationStatus],
        call: Callable[[Tx, Actor, str], Certification],
        extra_refusal: str | None = None,
    ) -> Certification | None:
        """One decision on a certification by ``maker``: refused if its status does not
        allow it or the maker trained or declared a conflict with the person."""
        app = None if application_id is None else self.apps[application_id]
        number = UNKNOWN_NUMBER if app is None else app.certificate_number
        assert number is not None
        expected: str | None = None
        if app is None:
            expected = "not-found"
        elif app.status not in allowed:
            expected = "invalid-transition"
        elif maker in self.people[app.person_id].trained_by:
            expected = "trained-candidate"
        elif maker in self.people[app.person_id].conflicted_with:
            expected = "declared-conflict"
        else:
            expected = extra_refusal
        actor = self.actor(maker, Role.DECISION_MAKER)
        done = self.attempt(expected, None, lambda tx: call(tx, actor, number))
        if done is not None:
            assert app is not None
            assert done.certificate_number == number
        return done

    @precondition(lambda self: bool(self.certified()))
    @rule(
        data=st.data(),
        maker=st.sampled_from(MAKER_KEYS),
        blank_reason=st.booleans(),
        resolve_in=st.sampled_from([None, 30, -1]),  # days from today
    )
    def suspend(
        self, data: st.DataObject, maker: str, blank_reason: bool, resolve_in: int | None
    ) -> None:
        application_id = data.draw(st.sampled_from(self.certified()))
        resolve_by = None if resolve_in is None else self.today() + timedelta(days=resolve_in)
        refusal = "invalid-input" if blank_reason or (resolve_in or 0) < 0 else None
        done = self._lifecycle(
            application_id,
            maker,
            frozenset({CertificationStatus.ACTIVE}),
            lambda tx, actor, number: lifecycle.suspend(
                tx,
                actor=actor,
                now=self.clock(),
                entropy=self.entropy,
                number=number,
                reason="  " if blank_reason else "surveillance evidence missing",
                resolve_by=resolve_by,
            ),
            refusal,
        )
        if done is not None:
            assert done.status is CertificationStatus.SUSPENDED
            assert done.resolve_by == resolve_by
            self.apps[application_id].status = CertificationStatus.SUSPENDED
            self.apps[application_id].suspension_stands = True

    @precondition(lambda self: bool(self.certified()))
    @rule(data=st.data(), maker=st.sampled_from(MAKER_KEYS))
    def reinstate(self, data: st.DataObject, maker: str) -> None:
        application_id = data.draw(st.sampled_from(self.certified()))
        done = self._lifecycle(
            application_id,
            maker,
            frozenset({CertificationStatus.SUSPENDED}),
            lambda tx, actor, number: lifecycle.reinstate(
                tx,
                actor=actor,
                now=self.clock(),
                entropy=self.entropy,
                number=number,
                reason=None,
            ),
        )
        if done is not None:
            assert done.status is CertificationStatus.ACTIVE
            self.apps[application_id].status = CertificationStatus.ACTIVE
            self.apps[application_id].suspension_stands = False

    @precondition(lambda self: bool(self.certified()))
    @rule(data=st.data(), maker=st.sampled_from(MAKER_KEYS), blank_reason=st.booleans())
    def withdraw(self, data: st.DataObject, maker: str, blank_reason: bool) -> None:
        application_id = data.draw(st.sampled_from(self.certified()))
        done = self._lifecycle(
            application_id,
            maker,
            frozenset({CertificationStatus.ACTIVE, CertificationStatus.SUSPENDED}),
            lambda tx, actor, number: lifecycle.withdraw(
                tx,
                actor=actor,
                now=self.clock(),
                entropy=self.entropy,
                number=number,
                reason="  " if blank_reason else "falsified evidence",
            ),
            "invalid-input" if blank_reason else None,
        )
        if done is not None:
            assert done.status is CertificationStatus.WITHDRAWN
            self.apps[application_id].status = CertificationStatus.WITHDRAWN

    @precondition(lambda self: bool(self.certified()))
    @rule(data=st.data(), maker=st.sampled_from(MAKER_KEYS))
    def recertify(self, data: st.DataObject, maker: str) -> None:
        """A recertification naming no evidence: refused outside the window (six months
        before expiry to the expiry date, the scheme's defaults), else for want of evidence;
        tests/test_recertification.py decides recertifications on evidence."""
        application_id = data.draw(st.sampled_from(self.certified()))
        app = self.apps[application_id]
        assert app.expiry is not None
        today = self.today()
        opens = decisions.add_months(app.expiry + timedelta(days=1), -6)
        refusal = "evidence-missing" if opens <= today <= app.expiry else "recertification-window"
        done = self._lifecycle(
            application_id,
            maker,
            frozenset(
                {
                    CertificationStatus.ACTIVE,
                    CertificationStatus.SUSPENDED,
                    CertificationStatus.EXPIRED,
                }
            ),
            lambda tx, actor, number: recertification.recertify(
                tx,
                actor=actor,
                now=self.clock(),
                entropy=self.entropy,
                context=self.stores.issuance,
                number=number,
                reason=None,
            ),
            refusal,
        )
        assert done is None

    @rule(
        action=st.sampled_from(["suspend", "reinstate", "withdraw"]),
        maker=st.sampled_from(MAKER_KEYS),
    )
    def lifecycle_of_an_unknown_certificate(self, action: str, maker: str) -> None:
        call: dict[str, Callable[[Tx, Actor, str], Certification]] = {
            "suspend": lambda tx, actor, number: lifecycle.suspend(
                tx,
                actor=actor,
                now=self.clock(),
                entropy=self.entropy,
                number=number,
                reason="r",
                resolve_by=None,
            ),
            "reinstate": lambda tx, actor, number: lifecycle.reinstate(
                tx, actor=actor, now=self.clock(), entropy=self.entropy, number=number, reason=None
            ),
            "withdraw": lambda tx, actor, number: lifecycle.withdraw(
                tx, actor=actor, now=self.clock(), entropy=self.entropy, number=number, reason="r"
            ),
        }
        self._lifecycle(None, maker, frozenset(CertificationStatus), call[action])

    @rule(days=st.integers(min_value=1, max_value=800))
    def time_passes(self, days: int) -> None:
        """Days go by, and the daily job expires what is past its last valid day."""
        self.clock.advance(days=days)
        today = self.today()
        expected = {
            k
            for k, v in self.apps.items()
            if v.status in {CertificationStatus.ACTIVE, CertificationStatus.SUSPENDED}
            and v.expiry is not None
            and v.expiry < today
        }
        expired = self.attempt(
            None,
            None if expected else 0,
            lambda tx: due.expire_due(tx, now=self.clock(), entropy=self.entropy),
        )
        assert expired is not None
        assert {c.application_id for c in expired} == expected
        for application_id in expected:
            self.apps[application_id].status = CertificationStatus.EXPIRED

    # ── invariants ───────────────────────────────────────────────────────────────────────
    @invariant()
    def store_matches_model(self) -> None:
        apps = metadata.tables["applications"]
        certs = metadata.tables["certifications"]
        decided = metadata.tables["decisions"]
        with self.store.engine.connect() as conn:
            states = {r.id: r.state for r in conn.execute(select(apps.c.id, apps.c.state))}
            rows = conn.execute(
                select(
                    certs.c.application_id,
                    certs.c.certificate_number,
                    certs.c.status,
                    certs.c.expiry_date,
                )
            ).all()
            numbers = {r.application_id: r.certificate_number for r in rows}
            statuses = {r.application_id: (r.status, r.expiry_date) for r in rows}
            decisions_made = conn.execute(select(func.count()).select_from(decided)).scalar()
        assert states == {k: v.state.value for k, v in self.apps.items()}
        certified = {k for k, v in self.apps.items() if v.state is ApplicationState.CERTIFIED}
        assert set(numbers) == certified, "a certification exists iff its application is certified"
        assert numbers == {k: self.apps[k].certificate_number for k in certified}
        assert statuses == {
            k: (v.status.value, v.expiry) for k, v in self.apps.items() if v.status is not None
        }
        closed = {ApplicationState.CERTIFIED, ApplicationState.DENIED}
        assert decisions_made == sum(v.state in closed for v in self.apps.values())
        assert len(set(numbers.values())) == len(numbers), "certificate numbers repeat"
        assert all(certificate_numbers.is_valid(n) for n in numbers.values())

    @invariant()
    def audit_chain_intact_and_complete(self) -> None:
        with self.store.transaction() as tx:
            report = tx.verify_audit_chain()
        assert report.intact, report.break_
        assert report.head_seq == report.entries == self.expected_seq


def test_applications_and_certifications_follow_the_model(
    backend: str,
    store: Store,
    sqlite_template: Path,
    tmp_path: Path,
    settings: Settings,
    keyring: KeyRing,
    signing_key: signing.GeneratedKey,
) -> None:
    issuance = IssuanceContext(
        identity=IssuerIdentity(base_url=settings.base_url, name=settings.body_name),
        keyring=keyring,
        list_entries=settings.status_list_entries,
    )
    fresh_stores = Stores(backend, sqlite_template, tmp_path, store, signing_key, issuance)

    class Machine(ApplicationMachine):
        stores = fresh_stores

    run_state_machine_as_test(
        Machine,
        settings=hypothesis_settings(
            max_examples=25 if backend == "sqlite" else 12,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    assert fresh_stores.count >= 2, "every example must start from its own empty store"
