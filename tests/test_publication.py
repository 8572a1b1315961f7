"""The outbox: every public change is enqueued with the change, drained in order with
monotonic versions, and survives an unreachable registry or a crash before it is marked."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

import pytest
from joserfc import jws

from issuer.http.deps import Services
from issuer.publication import outbox
from issuer.publication.outbox import PublisherUnavailable
from issuer.publication.publishers import BackgroundDrain
from schemas.credential_schemas import REGISTER_ENTRY_V3, validate
from schemas.publication import DocumentKind, Publication
from tests.backoffice import BackOffice, grant, member
from tests.conftest import FrozenClock
from tests.test_body_information import INFORMATION as BODY_INFORMATION
from tests.test_credentials import SVG_MARK, method_key


@dataclass
class Recorder:
    """A stand-in registry for these tests: keeps what it is sent, store-if-newer."""

    down: bool = False
    received: list[Publication] = field(default_factory=list)
    held: dict[tuple[str, str], int] = field(default_factory=dict)

    def publish(self, item: Publication) -> bool:
        if self.down:
            raise PublisherUnavailable("connection refused")
        self.received.append(item)
        if self.held.get((item.kind, item.key), 0) >= item.version:
            return False
        self.held[(item.kind, item.key)] = item.version
        return True

    def trusted_kids(self) -> frozenset[str] | None:
        """It verifies nothing: as a registry that holds no keys yet, it takes any."""
        if self.down:
            raise PublisherUnavailable("connection refused")
        return None

    def audit_checkpoint(self) -> str | None:
        """It holds no checkpoint to go further than: as a registry that holds none yet."""
        if self.down:
            raise PublisherUnavailable("connection refused")
        return None


def _services(office: BackOffice) -> Services:
    services: Services = office.client.app.state.services  # type: ignore[attr-defined]
    return services


def _drain(office: BackOffice, recorder: Recorder, clock: FrozenClock) -> int:
    services = _services(office)
    return outbox.drain(
        office.store, recorder, context=services.issuance, ttl_seconds=300, clock=clock
    )


def _payload(body: str) -> dict[str, object]:
    part = body.split(".")[1]
    loaded: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def test_a_grant_publishes_keys_first_then_lists_and_the_register_entry(
    office: BackOffice, clock: FrozenClock
) -> None:
    with office.store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    number = grant(office)["certification"]["certificate_number"]
    recorder = Recorder()
    assert _drain(office, recorder, clock) == 7
    kinds = [p.kind for p in recorder.received]
    assert kinds[0] is DocumentKind.ISSUER_KEYS
    assert kinds[-1] is DocumentKind.AUDIT_CHECKPOINT  # what the public reads goes first
    assert sorted(kinds[1:]) == [
        "audit-checkpoint",
        "credential",
        "register-entry",
        "scheme",
        "status-list",
        "status-list",
    ]
    keys_payload = _payload(recorder.received[0].body)
    keyset = method_key(keys_payload["did_document"])  # type: ignore[arg-type]
    entry = next(p for p in recorder.received if p.kind is DocumentKind.REGISTER_ENTRY)
    assert entry.key == number
    verified = jws.deserialize_compact(entry.body, keyset, algorithms=["ES256"])
    document = json.loads(verified.payload)
    validate(REGISTER_ENTRY_V3, document)
    assert document["credentialSubject"]["status"] == "active"
    assert _drain(office, recorder, clock) == 0  # nothing left


def _header(body: str) -> dict[str, object]:
    part = body.split(".")[0]
    loaded: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def test_every_signed_document_names_its_key_by_the_did_url_of_its_method(
    office: BackOffice, clock: FrozenClock
) -> None:
    """VC-JOSE-COSE §4: the kid of every JWS the issuer signs — credential, status lists,
    register entry, scheme information, body information, and the keys document itself — is
    the DID URL of a verification method of the DID document it publishes, controlled by the
    DID and listed under assertionMethod; each credential's JWT iss repeats its issuer. The
    Token Status List of SD-JWT VCs is found through a JWK Set (SD-JWT VC issuer metadata):
    its kid is the key's thumbprint, the fragment of that same DID URL."""
    with office.store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    certification = grant(office)["certification"]
    scheme_id = certification["scheme_id"]
    holder = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    office.call(
        "POST",
        f"/certifications/{certification['certificate_number']}/sd-jwt-vc",
        member(office, "registrar"),
        {"holder_jwk": holder},
    ).raise_for_status()
    mark = {
        "media_type": "image/svg+xml",
        "image_base64": base64.b64encode(SVG_MARK).decode(),
        "rules": "Use only with your certificate number and while certified.",
    }
    office.ok("PUT", f"/schemes/{scheme_id}/mark", member(office, "manager"), mark)
    office.ok("PUT", "/body-information", member(office, "admin"), BODY_INFORMATION)
    recorder = Recorder()
    _drain(office, recorder, clock)
    did_document = _payload(recorder.received[0].body)["did_document"]
    assert isinstance(did_document, dict)
    did = did_document["id"]
    assert did == "did:web:certs.example.test"
    [method] = did_document["verificationMethod"]
    thumbprint = method["publicKeyJwk"]["kid"]
    assert method["id"] == f"{did}#{thumbprint}"
    assert method["controller"] == did
    assert did_document["assertionMethod"] == [method["id"]]
    kinds = set()
    for item in recorder.received:
        kinds.add(item.kind)
        if item.kind is DocumentKind.TOKEN_STATUS_LIST:
            assert _header(item.body)["kid"] == thumbprint
            assert _payload(item.body)["iss"] == "https://certs.example.test"
            continue
        assert _header(item.body)["kid"] == method["id"], item.kind
        if item.kind is DocumentKind.AUDIT_CHECKPOINT:
            assert _payload(item.body)["iss"] == did
        elif item.kind not in {DocumentKind.ISSUER_KEYS, DocumentKind.MARK}:  # not credentials
            payload = _payload(item.body)
            issuer = payload["issuer"]
            assert payload["iss"] == (issuer["id"] if isinstance(issuer, dict) else issuer) == did
    assert kinds == set(DocumentKind)  # every kind of document the issuer signs


def test_versions_grow_and_a_lifecycle_change_is_republished(
    office: BackOffice, clock: FrozenClock
) -> None:
    number = grant(office)["certification"]["certificate_number"]
    recorder = Recorder()
    _drain(office, recorder, clock)
    first = {(p.kind, p.key): p.version for p in recorder.received}
    office.ok(
        "POST", f"/certifications/{number}/suspend", member(office, "decider"), {"reason": "x"}
    )
    recorder.received.clear()
    assert _drain(office, recorder, clock) == 3  # the entry, the suspension list, the audit
    for item in recorder.received:
        assert item.version > first[(item.kind, item.key)]
    entry = next(p for p in recorder.received if p.kind is DocumentKind.REGISTER_ENTRY)
    assert _payload(entry.body)["credentialSubject"]["status"] == "suspended"  # type: ignore[index]


def test_an_unreachable_registry_loses_nothing(office: BackOffice, clock: FrozenClock) -> None:
    grant(office)
    recorder = Recorder(down=True)
    with pytest.raises(PublisherUnavailable):
        _drain(office, recorder, clock)
    with office.store.transaction() as tx:
        pending = {(kind, key) for _, kind, key in tx.pending_publications(1000)}
    assert len(pending) == 6
    delays: list[float] = []
    recorder.down = False
    attempts = iter([True, True, False])

    def attempt() -> int:
        recorder.down = next(attempts)
        return _drain(office, recorder, clock)

    assert outbox.drain_with_backoff(attempt, sleep=delays.append) == 6
    assert delays == [0.2, 0.4]


def test_a_crash_before_marking_republishes_the_same_version_once(
    office: BackOffice, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant(office)
    recorder = Recorder()

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed between publication and commit")

    from issuer.store import Tx

    with monkeypatch.context() as patch:
        patch.setattr(Tx, "mark_published", crash)
        with pytest.raises(SystemExit):
            _drain(office, recorder, clock)
    stored_once = dict(recorder.held)
    assert len(stored_once) == 6
    _drain(office, recorder, clock)  # the restart
    assert recorder.held == stored_once  # same versions: nothing stored twice
    assert len(recorder.received) == 12
    with office.store.transaction() as tx:
        assert tx.pending_publications(100) == []


def test_rebuild_republishes_everything(office: BackOffice, clock: FrozenClock) -> None:
    grant(office)
    recorder = Recorder()
    _drain(office, recorder, clock)
    fresh = Recorder()
    services = _services(office)
    count = outbox.rebuild(
        office.store, fresh, context=services.issuance, ttl_seconds=300, clock=clock
    )
    # keys, the scheme, two lists, one register entry, one credential, the audit checkpoint
    assert count == 7
    assert set(fresh.held) == set(recorder.held) | {("issuer-keys", "issuer")}


def test_the_background_publisher_backs_off_while_the_registry_is_down() -> None:
    outcomes = iter([PublisherUnavailable("down")] * 8 + [3])

    def attempt() -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    worker = BackgroundDrain(attempt, interval=0.2, max_delay=5.0)
    delays = []
    delay = 0.2
    for _ in range(9):
        delay = worker.tick(delay)
        delays.append(delay)
    assert delays == [0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0, 5.0, 0.2]
