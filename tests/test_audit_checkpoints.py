"""Entries cut off the end of the audit log are found: the registry holds a signed checkpoint
of how far the log went, and ``certreg audit verify`` and ``GET /api/v1/audit/verify`` check
the log against it (clause 7.1.2, docs/AUDIT.md "Checkpoints").

Cutting the end of the chain and moving its head back leaves a chain that verifies on its
own; these tests make that cut on both engines and expect it reported, through the command
line and the API, and expect the issuer not to paper it over with a checkpoint further along.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from issuer.cli import app as cli
from issuer.publication import outbox
from issuer.publication.audit_check import EndCheck, verify_audit
from issuer.publication.checkpoints import enqueue_checkpoint
from issuer.publication.outbox import PublisherUnavailable
from issuer.publication.publishers import (
    BackgroundDrain,
    HttpCheckpoints,
    HttpPublisher,
    InProcessPublisher,
)
from issuer.store import Store
from issuer.store.audit_log import AUDIT_CHECKPOINT_KIND
from registry import Registry, RegistryStore, create_registry_app
from schemas.credential_schemas import AUDIT_CHECKPOINT_V1, validate
from schemas.publication import DocumentKind, Publication
from tests.backoffice import BackOffice, grant, member
from tests.conftest import PASSPHRASE, FrozenClock
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

Public = tuple[BackOffice, TestClient]


def _publish(client: TestClient) -> None:
    client.app.state.drain()  # type: ignore[attr-defined]


def _published(registry_store: RegistryStore) -> dict[str, Any]:
    """The payload of the checkpoint the registry holds."""
    document = Registry(registry_store).document(DocumentKind.AUDIT_CHECKPOINT, "issuer")
    assert document is not None
    part = document.body.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


def _head(store: Store) -> int:
    with store.reading() as reader:
        return reader.audit_head().seq


def _cut(store: Store, keep: int) -> None:
    """Delete every entry after ``keep`` and move the head back to it, as someone with write
    access to the database would: the chain that is left is consistent, only shorter."""
    with store.engine.begin() as conn:
        kept = conn.execute(
            text("SELECT entry_hash FROM audit_log WHERE seq = :seq"), {"seq": keep}
        ).scalar_one()
        conn.execute(text("DELETE FROM audit_log WHERE seq > :seq"), {"seq": keep})
        conn.execute(
            text("UPDATE audit_head SET seq = :seq, entry_hash = :hash WHERE id = 1"),
            {"seq": keep, "hash": kept},
        )
    with store.reading() as reader:
        assert reader.verify_audit_chain().intact  # the chain alone shows nothing


def _url(engine: Engine, request: pytest.FixtureRequest) -> str:
    """A URL the command line opens the same database with (the schema of the test, on
    PostgreSQL, as a connection option)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        schema = request.getfixturevalue("postgres_schema").schema
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _audit_verify(
    store: Store, registry_store: RegistryStore, request: pytest.FixtureRequest, tmp_path: Path
) -> Any:
    env = {
        "CERTREG_KEY_PASSPHRASE": PASSPHRASE,
        "CERTREG_ISSUER_DATABASE_URL": _url(store.engine, request),
        "CERTREG_REGISTRY_DATABASE_URL": _url(registry_store.engine, request),
    }
    runner = CliRunner(env=env)
    return runner.invoke(cli, ["audit", "verify", "--data-dir", str(tmp_path / "cli")])


def _api(office: BackOffice) -> dict[str, Any]:
    report: dict[str, Any] = office.ok("GET", "/audit/verify", member(office, "auditor"))
    return report


# ── the cut is found ─────────────────────────────────────────────────────────────────────
def test_an_intact_log_passes_through_the_published_checkpoint(
    public: Public,  # noqa: F811
    store: Store,
    registry_store: RegistryStore,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    office, client = public
    grant(office)
    _publish(client)
    head = _head(store)
    checkpoint = _published(registry_store)
    assert checkpoint["seq"] == head
    validate(AUDIT_CHECKPOINT_V1, checkpoint)
    report = _api(office)
    assert (report["intact"], report["end"], report["end_reason"]) == (True, "confirmed", None)
    assert report["checkpoint"]["seq"] == head
    result = _audit_verify(store, registry_store, request, tmp_path)
    assert result.exit_code == 0, result.output
    assert "end confirmed: the log passes through the registry's checkpoint of" in result.stdout


def test_entries_cut_off_the_end_are_reported_by_the_command_line_and_the_api(
    public: Public,  # noqa: F811
    store: Store,
    registry_store: RegistryStore,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    office, client = public
    grant(office)
    _publish(client)
    head = _head(store)
    _cut(store, head - 3)
    result = _audit_verify(store, registry_store, request, tmp_path)
    assert result.exit_code == 1, result.output
    assert f"audit log CUT at entry {head - 2}" in result.stdout
    assert f"entries {head - 2}..{head} were cut off its end" in result.stdout
    report = _api(office)
    assert (report["intact"], report["end"]) == (False, "cut")
    assert report["first_broken_seq"] == head - 2
    assert "cut off its end" in report["reason"]


def test_a_log_cut_then_grown_past_its_old_end_publishes_no_checkpoint_over_the_cut(
    public: Public,  # noqa: F811
    store: Store,
    registry_store: RegistryStore,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """The registry cannot tell a checkpoint further along a rewritten log from an honest
    one; the issuer checks its log still passes through the held one before publishing."""
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    _publish(client)
    held = _published(registry_store)
    _cut(store, held["seq"] - 1)
    decider = member(office, "decider")
    for action, status in (("suspend", "suspended"), ("reinstate", "active")):
        office.ok("POST", f"/certifications/{number}/{action}", decider, {"reason": "x"})
        _publish(client)
        assert _published(registry_store) == held  # not moved over the cut
        entry = client.get(f"/register/{number}", params={"family_name": "Moreau"}).json()
        assert entry["entry"]["status"] == status  # and nothing else held up
        with store.reading() as reader:
            assert reader.pending_publications(10) == []
    assert _head(store) > held["seq"]  # the log grew past the end the registry holds
    result = _audit_verify(store, registry_store, request, tmp_path)
    assert result.exit_code == 1, result.output
    assert f"audit log CUT at entry {held['seq']}" in result.stdout
    assert "rewritten" in result.stdout
    report = _api(office)
    assert (report["intact"], report["end"], report["first_broken_seq"]) == (
        False,
        "cut",
        held["seq"],
    )


def test_an_unreachable_registry_leaves_the_end_unconfirmed_with_its_own_exit_status(
    public: Public,  # noqa: F811
    store: Store,
    registry_store: RegistryStore,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    office, client = public
    grant(office)
    _publish(client)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    unreachable = HttpCheckpoints(
        httpx.Client(base_url="http://registry.invalid", transport=httpx.MockTransport(refuse))
    )
    verification = verify_audit(store, unreachable)
    assert verification.intact
    assert verification.end is EndCheck.UNCONFIRMED
    assert "could not be reached" in (verification.reason or "")
    env = {
        "CERTREG_KEY_PASSPHRASE": PASSPHRASE,
        "CERTREG_ISSUER_DATABASE_URL": _url(store.engine, request),
        "CERTREG_REGISTRY_URL": "http://127.0.0.1:9",  # the discard port: nothing listens
    }
    result = CliRunner(env=env).invoke(cli, ["audit", "verify", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "audit chain intact" in result.stdout
    assert "could not be reached" in result.stderr
    # the chain itself is still checked: a break wins over the unreachable registry
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET action = 'x' WHERE seq = 2"))
    broken = CliRunner(env=env).invoke(cli, ["audit", "verify", "--data-dir", str(tmp_path)])
    assert broken.exit_code == 1
    assert "BROKEN at entry 2" in broken.stdout


def test_the_checkpoint_is_read_over_http_as_the_registry_serves_it(
    public: Public,  # noqa: F811
    registry_store: RegistryStore,
    store: Store,
) -> None:
    office, client = public
    grant(office)
    _publish(client)
    with TestClient(create_registry_app(registry_store)) as registry_client:
        # The registry over HTTP, in this process: the test client speaks httpx's API.
        served = HttpCheckpoints(cast(httpx.Client, registry_client)).audit_checkpoint()
    assert served == InProcessPublisher(Registry(registry_store)).audit_checkpoint()
    over_http = HttpCheckpoints(cast(httpx.Client, client))
    assert verify_audit(store, over_http).end is EndCheck.CONFIRMED

    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    down = httpx.Client(base_url="http://r.invalid", transport=httpx.MockTransport(failing))
    with pytest.raises(PublisherUnavailable):
        HttpCheckpoints(down).audit_checkpoint()


# ── what a checkpoint is made of, and when ───────────────────────────────────────────────
class _Abandoned(Exception):
    pass


def test_a_checkpoint_is_made_of_the_committed_head_only(
    public: Public,  # noqa: F811
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
) -> None:
    """A transaction still under way has appended an entry when the drain runs: the
    checkpoint names the last committed entry, and the entry, rolled back, never counts."""
    office, client = public
    grant(office)
    _publish(client)
    committed = _head(store)
    enqueue_checkpoint(store, clock=clock)
    clock.advance(seconds=1)
    drained: list[BaseException] = []

    def drain() -> None:
        try:
            _publish(client)
        except BaseException as exc:
            drained.append(exc)

    worker = threading.Thread(target=drain)

    def under_way() -> None:
        with store.transaction() as tx:
            tx.append_audit(
                at=clock(),
                actor="staff:7d0c",
                action="person.registered",
                subject_type="person",
                subject_id="p-under-way",
                details={},
            )
            worker.start()
            worker.join(timeout=1.0)  # PostgreSQL: done; SQLite: waiting for the write lock
            raise _Abandoned

    with pytest.raises(_Abandoned):
        under_way()
    worker.join(timeout=15)
    assert not worker.is_alive()
    assert drained == []
    checkpoint = _published(registry_store)
    assert checkpoint["seq"] == committed == _head(store)
    assert checkpoint["iat"] == int(clock().timestamp())  # signed again by this drain


def test_one_transaction_enqueues_one_checkpoint_however_many_entries_it_appends(
    store: Store, clock: FrozenClock
) -> None:
    with store.transaction() as tx:
        for i in range(3):
            tx.append_audit(
                at=clock(),
                actor="system:cli",
                action="person.registered",
                subject_type="person",
                subject_id=f"p-{i}",
                details={},
            )
        pending = tx.pending_publications(10)
    assert [(kind, key) for _, kind, key in pending] == [("audit-checkpoint", "issuer")]
    assert DocumentKind.AUDIT_CHECKPOINT.value == AUDIT_CHECKPOINT_KIND


def test_the_checkpoint_holds_nothing_of_any_entry(
    public: Public,  # noqa: F811
    registry_store: RegistryStore,
    store: Store,
) -> None:
    office, client = public
    grant(office)
    _publish(client)
    checkpoint = _published(registry_store)
    assert set(checkpoint) == {"iss", "iat", "seq", "entryHash"}
    with store.reading() as reader:
        entries = reader.audit_entries(limit=1000)
    served = client.get("/audit/checkpoint").text
    for entry in entries:
        for value in (entry.actor, entry.subject_id, entry.token_id, entry.details_digest):
            if value:
                assert value not in served
                assert value not in json.dumps(checkpoint)


def test_serve_signs_the_checkpoint_again_at_its_interval(
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    """An unchanged log is republished as unchanged: a checkpoint at the same entry, signed
    later (``CERTREG_AUDIT_CHECKPOINT_INTERVAL_SECONDS``)."""
    import time

    from issuer.credentials.keys import KeyRing
    from issuer.http.app import create_app
    from issuer.settings import Settings

    settings = Settings(
        data_dir=tmp_path,
        base_url="https://certs.example.test",
        key_passphrase=PASSPHRASE,
        audit_checkpoint_interval_seconds=1,
    )
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
        tx.append_audit(
            at=clock(),
            actor="system:cli",
            action="key.created",
            subject_type="key",
            subject_id="k-1",
            details={},
        )
    app = create_app(
        settings,
        store=store,
        clock=clock,
        keyring=KeyRing(passphrase=PASSPHRASE.encode()),
        registry=Registry(registry_store),
        publish_interval=0.05,
    )
    registry = Registry(registry_store)

    def signed_at() -> int | None:
        held = registry.document(DocumentKind.AUDIT_CHECKPOINT, "issuer")
        return None if held is None else _published(registry_store)["iat"]

    with TestClient(app):
        deadline = time.monotonic() + 10
        while signed_at() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        first = signed_at()
        assert first == int(clock().timestamp())
        clock.advance(hours=1)
        while signed_at() == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert signed_at() == first + 3600
        assert _published(registry_store)["seq"] == _head(store)


def test_the_background_publisher_runs_periodic_calls_at_start_then_every_interval() -> None:
    ticks = [0.0]
    calls: list[str] = []

    def job(name: str) -> Callable[[], int]:
        def run() -> int:
            calls.append(name)
            return 1

        return run

    worker = BackgroundDrain(
        lambda: 0,
        refresh=job("lists"),
        refresh_interval=60.0,
        periodic=[(job("checkpoint"), 3600.0)],
        monotonic=lambda: ticks[0],
    )
    worker.tick(0.2)
    assert calls == ["lists", "checkpoint"]
    ticks[0] = 61.0
    worker.tick(0.2)
    assert calls == ["lists", "checkpoint", "lists"]
    ticks[0] = 3600.0
    worker.tick(0.2)
    assert calls == ["lists", "checkpoint", "lists", "lists", "checkpoint"]
    ticks[0] = 3601.0
    worker.tick(0.2)
    assert calls.count("checkpoint") == 2


# ── several publishers at once ───────────────────────────────────────────────────────────
def test_a_checkpoint_refused_as_going_back_holds_up_nothing(
    public: Public,  # noqa: F811
    registry_store: RegistryStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another drain (a second server, a rebuild) may publish a later checkpoint between
    this drain's check and its delivery: the refusal is taken as "the registry had newer",
    in this process and over HTTP, and logged; any other refusal is still an error."""
    office, client = public
    grant(office)
    _publish(client)
    registry = Registry(registry_store)
    held = registry.document(DocumentKind.AUDIT_CHECKPOINT, "issuer")
    assert held is not None
    behind = _published(registry_store)["seq"] - 1
    stale = _resigned(client, held.body, seq=behind)
    publication = Publication(
        kind=DocumentKind.AUDIT_CHECKPOINT, key="issuer", version=10**9, body=stale
    )
    with caplog.at_level("WARNING", logger="certreg.publication"):
        assert InProcessPublisher(registry).publish(publication) is False
    assert "further along" in caplog.text
    app = create_registry_app(registry, intake_token="intake")
    with TestClient(app) as registry_client:
        over_http = HttpPublisher(client=cast(httpx.Client, registry_client), token="intake")
        assert over_http.publish(publication) is False
        wrong_key = publication.model_copy(update={"key": "another"})
        with pytest.raises(RuntimeError, match="identifier-mismatch"):
            over_http.publish(wrong_key)
    assert registry.document(DocumentKind.AUDIT_CHECKPOINT, "issuer") == held


def _resigned(client: TestClient, compact: str, *, seq: int) -> str:
    """``compact`` signed again by the issuer's active key with another ``seq``."""
    from issuer.credentials.signing import sign_compact

    services = client.app.state.services  # type: ignore[attr-defined]
    header, payload = (_part(compact, i) for i in (0, 1))
    with services.store.transaction() as tx:
        signer = services.issuance.keyring.signer(tx)
    return sign_compact(
        header={"typ": header["typ"]},
        payload={**payload, "seq": seq},
        signer=signer,
        did=payload["iss"],
    )


def _part(compact: str, index: int) -> dict[str, Any]:
    part = compact.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_drain_that_finds_a_later_checkpoint_published_meanwhile_sends_none(
    public: Public,  # noqa: F811
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On PostgreSQL a drain's statements each see what is committed when they run: another
    server may commit a change and publish its checkpoint while this drain builds one from
    the head it read before. It sends none rather than one the registry must refuse.
    (SQLite runs one writing transaction at a time: the race cannot happen there.)"""
    office, client = public
    grant(office)
    _publish(client)
    enqueue_checkpoint(store, clock=clock)
    registry = Registry(registry_store)
    elsewhere = InProcessPublisher(registry)
    sent: list[Publication] = []

    class Racing:
        raced = False

        def publish(self, item: Publication) -> bool:
            sent.append(item)
            return elsewhere.publish(item)

        def trusted_kids(self) -> frozenset[str] | None:
            return elsewhere.trusted_kids()

        def audit_checkpoint(self) -> str | None:
            if not self.raced:  # another server's change and drain, committed meanwhile
                self.raced = True
                with store.transaction() as tx:
                    tx.append_audit(
                        at=clock(),
                        actor="system:cli",
                        action="person.registered",
                        subject_type="person",
                        subject_id="p-elsewhere",
                        details={},
                    )
                _publish(client)
            return elsewhere.audit_checkpoint()

    services = client.app.state.services  # type: ignore[attr-defined]
    with caplog.at_level("WARNING", logger="certreg.publication"):
        outbox.drain(store, Racing(), context=services.issuance, ttl_seconds=300, clock=clock)
    assert [p.kind for p in sent] == []
    assert caplog.text == ""
    assert _published(registry_store)["seq"] == _head(store)
