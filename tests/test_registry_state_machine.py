"""A hypothesis state machine over lifecycle decisions and their publication to the registry.

Every example starts from an empty issuer store (with the test signing key, its keys document
enqueued first, a decision-maker, the demo seed's two granted certifications, one of them with
a mark credential, and a third granted here to the demo's remaining candidate) and an empty
registry store, joined by the in-process publisher. The machine then suspends, reinstates,
withdraws, changes the scope of, recertifies and expires those certifications — legal moves
and refused ones alike — and publishes the outbox: after every decision (in *eager* examples)
or after several, in batches of one entry up to all of them, and sometimes through a publisher
that becomes unavailable after ``k`` documents (either before delivering the next one or after
delivering it with the acknowledgement lost).

After every step, in the registry as served:

* every signed document verifies against the issuer keys the registry holds;
* a revocation bit once served set is served set for ever, and no document's version drops.

After every drain that empties the outbox:

* every status list the issuer holds is served, for its purpose, with exactly the issuer's set
  bits, and each credential's revocation and suspension bits read from the served list are the
  issuer's slot values;
* every superseded credential, and the current certificate of a withdrawn certification, is
  served revoked;
* each certification's served register entry carries its current status, scope and expiry
  date, and lists its credentials with the status the issuer's records give them.

A drain that fails leaves entries pending; the next full drain must still reach the state
above, so nothing a failure interrupted is lost.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from joserfc import jws
from joserfc.jwk import GuestProtocol, Key
from sqlalchemy import select

from issuer import demo
from issuer.credentials import signing
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.issuance import IssuanceContext, current_certificate
from issuer.credentials.keys import KeyRing
from issuer.credentials.status import credential_status
from issuer.errors import IssuerError
from issuer.model import (
    ApplicationState,
    CertificationStatus,
    DecisionOutcome,
    ExaminationResult,
    InvigilationMode,
    RecertificationEvidenceKind,
    Role,
    StatusPurpose,
)
from issuer.process import (
    decisions,
    due,
    examinations,
    lifecycle,
    recertification,
    schemes,
    staff,
)
from issuer.process.auth import Actor
from issuer.publication import outbox
from issuer.publication.outbox import PublisherUnavailable
from issuer.publication.publishers import InProcessPublisher
from issuer.settings import Settings
from issuer.store import Store, Tx
from issuer.store.tables import metadata
from registry import Registry, RegistryStore
from registry import upgrade as registry_upgrade
from registry.intake import read_issuer_keys
from registry.store import Document, create_registry_engine
from schemas import bitstring_status_list as bsl
from schemas.publication import DocumentKind, Publication
from tests.conftest import FrozenClock, PostgresSchema, SeededEntropy, _empty_postgres, _install_key
from tests.test_credentials import method_key

SCOPE_ITEMS = ("VT-PRESSURE", "VT-STEEL")
"""The scope items of the demo scheme (examples/welding-inspector.scheme.json)."""

REFUSAL_KINDS = frozenset(
    {
        "invalid-transition",
        "no-change",
        "evidence-missing",
        "not-suspended",
        "recertification-window",
        "already-recertified",
    }
)
"""The refusals the machine's moves may meet: a move its status does not allow, a scope
change to the scope it already has, an item added that no examination of the person
assessed, a reduction said to resolve a suspension of an active certification, or a
recertification outside its window or a second one in it. Anything else is a failure."""

TTL_SECONDS = 300

ACTIVE = CertificationStatus.ACTIVE
SUSPENDED = CertificationStatus.SUSPENDED
EXPIRED = CertificationStatus.EXPIRED


# ── fresh stores, one pair per example ────────────────────────────────────────────────────
class Environment:
    """Hands every hypothesis example an empty issuer store holding only the active signing
    key, and an empty, migrated registry store, on the test's backend."""

    def __init__(
        self,
        *,
        backend: str,
        directory: Path,
        issuer_template: Path,
        fixture_store: Store,
        key: signing.GeneratedKey,
        issuance: IssuanceContext,
        postgres: PostgresSchema | None,
    ) -> None:
        self.backend = backend
        self.directory = directory
        self.key = key
        self.issuance = issuance
        self.postgres_store = fixture_store  # reused, after truncation, on PostgreSQL
        self.count = 0
        self.stats: Counter[str] = Counter()
        self.issuer_template = directory / "issuer-template.sqlite3"
        self.registry_template = directory / "registry-template.sqlite3"
        self.postgres_registry: RegistryStore | None = None
        if backend == "sqlite":
            shutil.copyfile(issuer_template, self.issuer_template)
            keyed = Store.from_url(f"sqlite:///{self.issuer_template}")
            _install_key(keyed, key)
            keyed.dispose()
            template = RegistryStore.from_url(f"sqlite:///{self.registry_template}")
            registry_upgrade(template.engine)
            template.dispose()
        else:
            assert postgres is not None
            # The issuer and the registry share the test schema, as in the all-in-one mode;
            # the registry's tables are its own: ``documents`` and its version table.
            registry_store = RegistryStore(
                create_registry_engine(
                    postgres.url, connect_args={"options": f"-csearch_path={postgres.schema}"}
                )
            )
            with registry_store.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS documents")
                conn.exec_driver_sql("DROP TABLE IF EXISTS registry_alembic_version")
            registry_upgrade(registry_store.engine)
            self.postgres_registry = registry_store

    def _path(self, name: str) -> Path:
        return self.directory / f"machine-{self.count}-{name}.sqlite3"

    def fresh(self) -> tuple[Store, RegistryStore]:
        self.count += 1
        if self.backend == "sqlite":
            shutil.copyfile(self.issuer_template, self._path("issuer"))
            shutil.copyfile(self.registry_template, self._path("registry"))
            return (
                Store.from_url(f"sqlite:///{self._path('issuer')}"),
                RegistryStore.from_url(f"sqlite:///{self._path('registry')}"),
            )
        assert self.postgres_registry is not None
        _empty_postgres(self.postgres_store)
        _install_key(self.postgres_store, self.key)
        with self.postgres_registry.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM documents")
        return self.postgres_store, self.postgres_registry

    def release(self, store: Store, registry_store: RegistryStore) -> None:
        if self.backend != "sqlite":
            return
        store.dispose()
        registry_store.dispose()
        for name in ("issuer", "registry"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self._path(name)}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        if self.postgres_registry is not None:
            self.postgres_registry.dispose()


# ── a publisher that goes away ────────────────────────────────────────────────────────────
@dataclass
class FlakyPublisher:
    """Delivers ``fail_after`` documents, then is unavailable. With ``lost_ack`` the failing
    delivery reaches the registry and only its acknowledgement is lost (the issuer cannot
    tell the two apart)."""

    inner: InProcessPublisher
    fail_after: int
    lost_ack: bool
    delivered: int = 0

    def publish(self, item: Publication) -> bool:
        if self.delivered >= self.fail_after:
            if self.lost_ack:
                self.inner.publish(item)
            raise PublisherUnavailable("the registry went away (simulated)")
        self.delivered += 1
        return self.inner.publish(item)

    def trusted_kids(self) -> frozenset[str] | None:
        if self.delivered >= self.fail_after:
            raise PublisherUnavailable("the registry went away (simulated)")
        return self.inner.trusted_kids()

    def audit_checkpoint(self) -> str | None:
        if self.delivered >= self.fail_after:
            raise PublisherUnavailable("the registry went away (simulated)")
        return self.inner.audit_checkpoint()


# ── reading the registry as a verifier would ─────────────────────────────────────────────
@dataclass(frozen=True)
class ServedList:
    purpose: str
    set_bits: frozenset[int]
    bits: bytes


def set_indices(bits: bytes) -> frozenset[int]:
    """Indices (MSB-first, as the Bitstring Status List numbers them) of the set bits."""
    found: set[int] = set()
    for offset, byte in enumerate(bits):
        if byte:
            found.update(offset * 8 + b for b in range(8) if byte & (0x80 >> b))
    return frozenset(found)


@dataclass
class Served:
    """What the registry serves right now, every signature checked with its issuer keys."""

    registry: Registry
    keys: Callable[[GuestProtocol], Key] = field(init=False)
    """The key of a JWS, found from its DID URL kid in the served DID document."""

    def __post_init__(self) -> None:
        document = self.registry.document(DocumentKind.ISSUER_KEYS, "issuer")
        assert document is not None, "the registry serves no issuer keys"
        issuer_keys = read_issuer_keys(document.body)  # proof of possession included
        self.keys = method_key(issuer_keys.did_document)

    def payload(self, document: Document) -> dict[str, Any]:
        assert document.media_type == "application/vc+jwt", document.media_type
        signed = jws.deserialize_compact(document.body, self.keys, algorithms=["ES256"])
        payload: dict[str, Any] = json.loads(signed.payload)
        return payload

    def status_lists(self) -> dict[str, ServedList]:
        lists = {}
        for document in self.registry.documents(DocumentKind.STATUS_LIST):
            subject = self.payload(document)["credentialSubject"]
            bits = bsl.decode_list(subject["encodedList"])
            lists[document.key] = ServedList(subject["statusPurpose"], set_indices(bits), bits)
        return lists

    def register_entry(self, number: str) -> dict[str, Any]:
        document = self.registry.document(DocumentKind.REGISTER_ENTRY, number)
        assert document is not None, f"no register entry is served for {number}"
        subject: dict[str, Any] = self.payload(document)["credentialSubject"]
        return subject


# ── the machine ──────────────────────────────────────────────────────────────────────────
BATCHES = st.sampled_from((1, 2, 3, 200))


class RegistryMachine(RuleBasedStateMachine):
    env: ClassVar[Environment]

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock()
        self.entropy = SeededEntropy()
        self.store, self.registry_store = self.env.fresh()
        self.registry = Registry(self.registry_store)
        self.publisher = InProcessPublisher(self.registry)
        self.eager = False
        self.revoked_seen: dict[str, set[int]] = {}  # served revocation bits, by list id
        self.versions: dict[tuple[str, str], int] = {}
        with self.store.transaction() as tx:
            # The keys first, as creating the key would have enqueued them in production.
            outbox.enqueue_keys(tx, self.clock())
            token, _ = staff.enrol(
                tx,
                actor="system:machine",
                now=self.clock(),
                entropy=self.entropy,
                name="Machine Decision-Maker",
                role=Role.DECISION_MAKER,
            )
        self.decider = Actor(token_id=token.id, role=Role.DECISION_MAKER, staff_id=token.staff_id)
        seeded = demo.seed(
            self.store, now=self.clock(), entropy=self.entropy, issuance=self.env.issuance
        )
        assert seeded is not None
        assert len(seeded.certificate_numbers) == 2
        applications = metadata.tables["applications"]
        with self.store.engine.connect() as conn:
            [candidate] = conn.scalars(
                select(applications.c.id).where(
                    applications.c.state == ApplicationState.ACCEPTED.value
                )
            ).all()
        with self.store.transaction() as tx:
            third = self._grant(tx, candidate)
            # Recertification on recorded continuing development, in a year of grace.
            [scheme] = tx.list_schemes()
            schemes.revise_scheme(
                tx,
                actor=self.decider,
                now=self.clock(),
                entropy=self.entropy,
                scheme_id=scheme.id,
                content=dataclasses.replace(
                    scheme.current.content,
                    recertification_evidence=("continuing-development", "examination"),
                    recertification_grace_days=366,
                ),
            )
        # Ana Moreau (both items, with a mark), Jonas Berg and Priya Raman (VT-STEEL each).
        self.numbers = (*seeded.certificate_numbers, third)

    def teardown(self) -> None:
        self.env.release(self.store, self.registry_store)

    # ── helpers ──────────────────────────────────────────────────────────────────────────
    def _grant(self, tx: Tx, application_id: str) -> str:
        """The demo leaves its third person a candidate: examine and certify her too."""
        now, entropy = self.clock(), self.entropy
        token, _ = staff.enrol(
            tx, actor="system:machine", now=now, entropy=entropy, name="Exam", role=Role.EXAMINER
        )
        examiner = Actor(token_id=token.id, role=Role.EXAMINER, staff_id=token.staff_id)
        [scheme] = tx.list_schemes()
        staff.approve_examiner(
            tx,
            actor=self.decider,
            now=now,
            entropy=entropy,
            staff_id=examiner.staff(),
            scheme_id=scheme.id,
            valid_until=None,
        )
        examinations.record_examination(
            tx,
            actor=examiner,
            now=now,
            entropy=entropy,
            data=examinations.ExaminationInput(
                application_id=application_id,
                examiner_id=None,
                held_on=now.date(),
                method="written and practical",
                result=ExaminationResult.PASS,
                score=90.0,
                max_score=100.0,
                nda_accepted=True,
                identity_checked=True,
                invigilation_mode=InvigilationMode.IN_PERSON,
                irregularities=None,
                ai_use=None,
            ),
        )
        _, certification = decisions.decide(
            tx,
            actor=self.decider,
            now=now,
            entropy=entropy,
            data=decisions.DecisionInput(
                application_id=application_id,
                outcome=DecisionOutcome.GRANT,
                rationale="Examinations passed.",
                scope=None,
                effective_date=None,
            ),
            issuance=self.env.issuance,
        )
        assert certification is not None
        return certification.certificate_number

    def _pick(self, data: st.DataObject, allowed: frozenset[CertificationStatus]) -> str:
        """A certification the move is allowed on, most of the time; any one otherwise, so
        that refused moves are tried too."""
        with self.store.transaction() as tx:
            statuses = {n: lifecycle.get_certification(tx, n).status for n in self.numbers}
        fitting = [n for n in self.numbers if statuses[n] in allowed]
        aim = data.draw(st.integers(min_value=0, max_value=3), label="aim") > 0
        return data.draw(st.sampled_from(fitting if aim and fitting else self.numbers))

    def _decide(self, name: str, call: Callable[[Tx], object]) -> None:
        """One decision in its own transaction; a refusal must be a typed, expected one."""
        refusal: IssuerError | None = None
        try:
            with self.store.transaction() as tx:
                call(tx)
        except IssuerError as exc:
            refusal = exc
        if refusal is None:
            self.env.stats[name] += 1
        else:
            kind = refusal.kind
            assert kind in REFUSAL_KINDS, f"{name} refused unexpectedly: {kind}: {refusal}"
            self.env.stats[f"{name} refused"] += 1
        if self.eager:
            self._drain(self.publisher, batch=200)

    def _drain(self, publisher: outbox.Publisher, *, batch: int) -> int:
        return outbox.drain(
            self.store,
            publisher,
            context=self.env.issuance,
            ttl_seconds=TTL_SECONDS,
            clock=self.clock,
            batch=batch,
        )

    def _pending(self) -> int:
        with self.store.transaction() as tx:
            return len(tx.pending_publications(10_000))

    # ── rules: how publication happens ───────────────────────────────────────────────────
    @initialize(eager=st.booleans())
    def publication_mode(self, eager: bool) -> None:
        """Eager examples publish after every decision; the others only when a drain rule
        runs, so several decisions (and several flips of one list) go out together."""
        self.eager = eager
        self.env.stats["eager examples" if eager else "batching examples"] += 1

    @rule(batch=BATCHES)
    def drain(self, batch: int) -> None:
        self._drain(self.publisher, batch=batch)
        assert self._pending() == 0
        self.env.stats["drain"] += 1
        self._registry_agrees_with_issuer()

    @rule(fail_after=st.integers(min_value=0, max_value=6), lost_ack=st.booleans(), batch=BATCHES)
    def drain_while_registry_goes_away(self, fail_after: int, lost_ack: bool, batch: int) -> None:
        """A drain whose registry becomes unavailable after ``fail_after`` documents. With
        nothing pending (always so in eager examples) every document is enqueued again first,
        as :func:`issuer.publication.outbox.rebuild` does, so that there is something to lose."""
        if self._pending() == 0:
            with self.store.transaction() as tx:
                for kind, key in tx.all_publication_keys():
                    tx.enqueue(kind, key, self.clock())
            self.env.stats["republish everything"] += 1
        flaky = FlakyPublisher(self.publisher, fail_after, lost_ack)
        try:
            self._drain(flaky, batch=batch)
        except PublisherUnavailable:
            # The batch being delivered stays pending: nothing is marked published unseen.
            assert self._pending() > 0, "a failed drain left nothing to retry"
            self.env.stats["failed drain"] += 1
            return
        assert self._pending() == 0
        self.env.stats["drain (flaky publisher never failed)"] += 1
        self._registry_agrees_with_issuer()

    # ── rules: lifecycle decisions ───────────────────────────────────────────────────────
    @rule(data=st.data(), resolve_in=st.sampled_from((None, 30, 200)))
    def suspend(self, data: st.DataObject, resolve_in: int | None) -> None:
        number = self._pick(data, frozenset({ACTIVE}))
        now = self.clock()
        resolve_by = None if resolve_in is None else now.date() + timedelta(days=resolve_in)
        self._decide(
            "suspend",
            lambda tx: lifecycle.suspend(
                tx,
                actor=self.decider,
                now=now,
                entropy=self.entropy,
                number=number,
                reason="surveillance evidence missing",
                resolve_by=resolve_by,
            ),
        )

    @rule(data=st.data())
    def reinstate(self, data: st.DataObject) -> None:
        number = self._pick(data, frozenset({SUSPENDED}))
        self._decide(
            "reinstate",
            lambda tx: lifecycle.reinstate(
                tx,
                actor=self.decider,
                now=self.clock(),
                entropy=self.entropy,
                number=number,
                reason=None,
            ),
        )

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        # Terminal: aimed at any certification, so that the others live on for a while.
        number = self._pick(data, frozenset(CertificationStatus))
        self._decide(
            "withdraw",
            lambda tx: lifecycle.withdraw(
                tx,
                actor=self.decider,
                now=self.clock(),
                entropy=self.entropy,
                number=number,
                reason="falsified evidence",
            ),
        )

    @rule(
        data=st.data(),
        scope=st.sets(st.sampled_from(SCOPE_ITEMS), min_size=1),
        resolves=st.booleans(),
    )
    def change_scope(self, data: st.DataObject, scope: set[str], resolves: bool) -> None:
        """Items added rely on the examinations behind the grant (they assessed both items
        for Ana Moreau only); a reduction may say that it resolves a suspension."""
        number = self._pick(data, frozenset({ACTIVE, SUSPENDED}))

        def change(tx: Tx) -> object:
            certification = lifecycle.get_certification(tx, number)
            added = set(scope) - set(certification.scope)
            evidence = tx.list_examinations(certification.application_id) if added else []
            return lifecycle.change_scope(
                tx,
                actor=self.decider,
                now=self.clock(),
                entropy=self.entropy,
                context=self.env.issuance,
                number=number,
                scope=tuple(scope),
                reason="the suspension concerned the item removed" if resolves else None,
                examination_ids=tuple(e.id for e in evidence),
                resolves_suspension=resolves and not added,
            )

        self._decide("change scope", change)

    @rule(data=st.data())
    def recertify(self, data: st.DataObject) -> None:
        """On continuing development recorded in the same transaction: refused (and the
        evidence with it) outside the window, or when the cycle was already renewed."""
        number = self._pick(data, frozenset({ACTIVE, SUSPENDED, EXPIRED}))

        def renew(tx: Tx) -> object:
            now = self.clock()
            evidence = recertification.record_evidence(
                tx,
                actor=self.decider,
                now=now,
                entropy=self.entropy,
                number=number,
                kind=RecertificationEvidenceKind.CONTINUING_DEVELOPMENT,
                summary="courses",
                period_from=date(2020, 1, 1),
                period_to=now.date(),
                hours=40.0,
            )
            return recertification.recertify(
                tx,
                actor=self.decider,
                now=now,
                entropy=self.entropy,
                context=self.env.issuance,
                number=number,
                reason=None,
                evidence_ids=(evidence.id,),
            )

        self._decide("recertify", renew)

    @rule(days=st.integers(min_value=1, max_value=1200))
    def time_passes(self, days: int) -> None:
        """Days go by and the daily job expires what is past its expiry date."""
        self.clock.advance(days=days)
        with self.store.transaction() as tx:
            expired = due.expire_due(tx, now=self.clock(), entropy=self.entropy)
        self.env.stats["expire" if expired else "time passes"] += 1
        if self.eager:
            self._drain(self.publisher, batch=200)

    # ── invariants ───────────────────────────────────────────────────────────────────────
    @invariant()
    def registry_never_takes_anything_back(self) -> None:
        """Even between a failed drain and its retry: a served revocation bit stays set,
        and no document is replaced by an older version."""
        for document in self.registry_store.list(DocumentKind.ISSUER_KEYS.value):
            self._no_older(document)
        if self.registry.document(DocumentKind.ISSUER_KEYS, "issuer") is None:
            assert not self.registry_store.list(DocumentKind.STATUS_LIST.value)
            assert not self.registry_store.list(DocumentKind.REGISTER_ENTRY.value)
            return
        served = Served(self.registry)
        for kind in (DocumentKind.STATUS_LIST, DocumentKind.REGISTER_ENTRY, DocumentKind.SCHEME):
            for document in self.registry.documents(kind):
                self._no_older(document)
                served.payload(document)  # verifies
        for list_id, status_list in served.status_lists().items():
            if status_list.purpose != StatusPurpose.REVOCATION.value:
                continue
            seen = self.revoked_seen.setdefault(list_id, set())
            cleared = seen - status_list.set_bits
            assert not cleared, f"revocation bits {sorted(cleared)} of list {list_id} cleared"
            seen |= status_list.set_bits

    def _no_older(self, document: Document) -> None:
        key = (document.kind, document.key)
        previous = self.versions.get(key, 0)
        assert document.version >= previous, f"{key} went from version {previous} back"
        self.versions[key] = document.version

    def _registry_agrees_with_issuer(self) -> None:
        """With the outbox empty, the registry serves exactly what the issuer's records say."""
        served = Served(self.registry)
        lists = served.status_lists()
        with self.store.transaction() as tx:
            for status_list in tx.list_status_lists():
                assert status_list.id in lists, f"status list {status_list.id} is not served"
                got = lists[status_list.id]
                assert got.purpose == status_list.purpose.value
                want = frozenset(i for i, v in tx.set_slots(status_list.id) if v)
                assert got.set_bits == want, (
                    f"{status_list.purpose.value} list {status_list.id}: served set bits "
                    f"{sorted(got.set_bits)}, issuer's {sorted(want)}"
                )
            certifications = tx.list_certifications(limit=1000)
            assert sorted(c.certificate_number for c in certifications) == sorted(self.numbers)
            for certification in certifications:
                self._certification_agrees(tx, served, lists, certification.certificate_number)

    def _certification_agrees(
        self, tx: Tx, served: Served, lists: dict[str, ServedList], number: str
    ) -> None:
        certification = lifecycle.get_certification(tx, number)
        credentials = tx.credentials_of(certification.id)
        for credential in credentials:
            bits = {}
            for purpose, slot in (
                (StatusPurpose.REVOCATION, credential.revocation),
                (StatusPurpose.SUSPENSION, credential.suspension),
            ):
                served_list = lists[slot.list_id]
                assert served_list.purpose == purpose.value
                served_bit = bsl.get_status(served_list.bits, slot.index)
                assert served_bit == tx.slot_value(slot), (
                    f"{purpose.value} bit of {credential.kind.value} {credential.id}: "
                    f"served {served_bit}, issuer {tx.slot_value(slot)}"
                )
                bits[purpose] = served_bit
            if credential.superseded_by is not None:
                assert bits[StatusPurpose.REVOCATION] == 1, (
                    f"superseded {credential.id} not revoked"
                )
        current = current_certificate(tx, certification.id)
        revoked = bsl.get_status(lists[current.revocation.list_id].bits, current.revocation.index)
        suspended = bsl.get_status(lists[current.suspension.list_id].bits, current.suspension.index)
        status = certification.status
        if status is CertificationStatus.WITHDRAWN:
            assert revoked == 1, f"withdrawn {number}: its current certificate is not revoked"
        elif status is CertificationStatus.SUSPENDED:
            assert (revoked, suspended) == (0, 1), (
                f"suspended {number} served as {revoked, suspended}"
            )
        elif status is CertificationStatus.ACTIVE:
            assert (revoked, suspended) == (0, 0), f"active {number} served as {revoked, suspended}"
        else:
            assert revoked == 0, f"expired {number}: its current certificate is revoked"
        entry = served.register_entry(number)
        assert entry["certificateNumber"] == number
        assert entry["status"] == status.value, f"{number}: served {entry['status']}, is {status}"
        assert [item["code"] for item in entry["scope"]] == list(certification.scope)
        assert entry["expiryDate"] == certification.expiry_date.isoformat()
        listed = {item["id"]: item["status"] for item in entry["credentials"]}
        assert listed == {f"urn:uuid:{c.id}": credential_status(tx, c) for c in credentials}
        for credential in credentials:  # each as signed, for its verification page
            document = served.registry.credential(credential.id)
            assert document is not None, f"credential {credential.id} is not served"
            assert document.body == credential.jws


@pytest.fixture
def environment(
    backend: str,
    store: Store,
    sqlite_template: Path,
    tmp_path: Path,
    settings: Settings,
    keyring: KeyRing,
    signing_key: signing.GeneratedKey,
    request: pytest.FixtureRequest,
) -> Iterator[Environment]:
    issuance = IssuanceContext(
        identity=IssuerIdentity(base_url=settings.base_url, name=settings.body_name),
        keyring=keyring,
        list_entries=settings.status_list_entries,
    )
    postgres = None if backend == "sqlite" else request.getfixturevalue("postgres_schema")
    env = Environment(
        backend=backend,
        directory=tmp_path,
        issuer_template=sqlite_template,
        fixture_store=store,
        key=signing_key,
        issuance=issuance,
        postgres=postgres,
    )
    yield env
    env.close()


def test_the_registry_serves_what_the_issuer_records(environment: Environment) -> None:
    class Machine(RegistryMachine):
        env = environment

    run_state_machine_as_test(
        Machine,
        settings=hypothesis_settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    stats = environment.stats
    assert environment.count >= 2, "every example must start from its own empty stores"
    assert stats["drain"] + stats["drain (flaky publisher never failed)"] > 0, stats
    assert stats["failed drain"] > 0, stats
    decisions = ("suspend", "reinstate", "withdraw", "change scope", "recertify")
    assert sum(stats[name] for name in decisions) > 0, stats
