"""Status lists carry a short ``validUntil`` and are signed again before it passes.

A list valid for ever could be replayed for ever by whoever answers for the registry's
address; so every list is valid for a few ``ttl`` only, and the publisher renews it halfway
through, even when no bit changed — through the outbox, so an unreachable registry delays
the renewal but loses nothing.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from issuer.http.deps import Services
from issuer.publication import outbox
from issuer.publication.publishers import BackgroundDrain, refresh_interval
from issuer.settings import Settings
from schemas.credential_schemas import STATUS_LIST_CREDENTIAL_V1, validate
from schemas.publication import DocumentKind
from tests.backoffice import BackOffice, grant, member
from tests.conftest import FrozenClock
from tests.test_publication import Recorder

TTL = 300


def _services(office: BackOffice) -> Services:
    services: Services = office.client.app.state.services  # type: ignore[attr-defined]
    return services


def _drain(office: BackOffice, recorder: Recorder, clock: FrozenClock, **kw: Any) -> int:
    return outbox.drain(
        office.store,
        recorder,
        context=_services(office).issuance,
        ttl_seconds=TTL,
        clock=clock,
        **kw,
    )


def _payload(body: str) -> dict[str, Any]:
    part = body.split(".")[1]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def _lists(recorder: Recorder) -> dict[str, dict[str, Any]]:
    """The newest payload received of each status list, by list id."""
    return {
        p.key: _payload(p.body) for p in recorder.received if p.kind is DocumentKind.STATUS_LIST
    }


def _stamp(instant: datetime) -> str:
    return f"{instant:%Y-%m-%dT%H:%M:%S}.{instant.microsecond // 1000:03d}Z"


def test_a_published_list_is_valid_for_four_ttl(office: BackOffice, clock: FrozenClock) -> None:
    grant(office)
    recorder = Recorder()
    _drain(office, recorder, clock)
    lists = _lists(recorder)
    assert len(lists) == 2
    for payload in lists.values():
        validate(STATUS_LIST_CREDENTIAL_V1, payload)
        assert payload["validFrom"] == _stamp(clock())
        assert payload["validUntil"] == _stamp(clock() + timedelta(seconds=4 * TTL))
        assert payload["credentialSubject"]["ttl"] == TTL * 1000


def test_a_validity_setting_overrides_the_default(office: BackOffice, clock: FrozenClock) -> None:
    grant(office)
    recorder = Recorder()
    _drain(office, recorder, clock, validity_seconds=3600)
    for payload in _lists(recorder).values():
        assert payload["validUntil"] == _stamp(clock() + timedelta(hours=1))


def test_lists_are_signed_again_halfway_even_when_no_bit_changed(
    office: BackOffice, clock: FrozenClock
) -> None:
    grant(office)
    recorder = Recorder()
    _drain(office, recorder, clock)
    first = _lists(recorder)

    def refresh() -> int:
        return outbox.enqueue_lapsing_status_lists(office.store, clock=clock)

    assert refresh() == 0  # just signed
    clock.advance(seconds=2 * TTL - 1)
    assert refresh() == 0  # more than half of the validity left
    clock.advance(seconds=1)
    assert refresh() == 2
    assert refresh() == 0  # already waiting in the outbox: not enqueued twice
    recorder.received.clear()
    assert _drain(office, recorder, clock) == 2
    renewed = _lists(recorder)
    assert set(renewed) == set(first)
    for list_id, payload in renewed.items():
        assert payload["validFrom"] == _stamp(clock())
        assert payload["validUntil"] == _stamp(clock() + timedelta(seconds=4 * TTL))
        assert payload["validFrom"] > first[list_id]["validFrom"]
        assert (
            payload["credentialSubject"]["encodedList"]
            == first[list_id]["credentialSubject"]["encodedList"]
        )
    assert refresh() == 0  # the renewal set the next time to sign


def test_an_unreachable_registry_delays_the_renewal_and_loses_nothing(
    office: BackOffice, clock: FrozenClock
) -> None:
    grant(office)
    recorder = Recorder()
    _drain(office, recorder, clock)
    clock.advance(seconds=3 * TTL)
    assert outbox.enqueue_lapsing_status_lists(office.store, clock=clock) == 2
    recorder.down = True
    with pytest.raises(outbox.PublisherUnavailable):
        _drain(office, recorder, clock)
    clock.advance(seconds=TTL)
    # Still pending: not enqueued again, and still due once the registry is back.
    assert outbox.enqueue_lapsing_status_lists(office.store, clock=clock) == 0
    recorder.down = False
    recorder.received.clear()
    assert _drain(office, recorder, clock) == 2
    for payload in _lists(recorder).values():
        assert payload["validFrom"] == _stamp(clock())
    assert outbox.enqueue_lapsing_status_lists(office.store, clock=clock) == 0


def test_a_list_never_published_with_a_validity_is_due_at_once(
    office: BackOffice, clock: FrozenClock
) -> None:
    grant(office)
    with office.store.transaction() as tx:
        # As after the upgrade: lists published before validUntil existed, outbox empty.
        tx.mark_published([seq for seq, _, _ in tx.pending_publications(100)], clock())
    assert outbox.enqueue_lapsing_status_lists(office.store, clock=clock) == 2


def test_the_background_publisher_looks_for_lapsing_lists_on_its_own_schedule() -> None:
    calls: list[str] = []
    ticks = [0.0]

    def refresh() -> int:
        calls.append("refresh")
        return 0

    def drain() -> int:
        calls.append("drain")
        return 0

    worker = BackgroundDrain(
        drain, refresh=refresh, refresh_interval=60.0, monotonic=lambda: ticks[0]
    )
    worker.tick(0.2)
    worker.tick(0.2)
    ticks[0] = 59.0
    worker.tick(0.2)
    ticks[0] = 60.0
    worker.tick(0.2)
    assert calls == ["refresh", "drain", "drain", "drain", "refresh", "drain"]


def test_a_failed_look_is_retried_on_the_next_round() -> None:
    outcomes: list[object] = [RuntimeError("database gone"), 0]
    drained: list[int] = []

    def refresh() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return 0

    def drain() -> int:
        drained.append(1)
        return 0

    worker = BackgroundDrain(drain, refresh=refresh, max_delay=5.0)
    assert worker.tick(0.2) == 5.0
    assert worker.tick(0.2) == 0.2
    assert outcomes == []
    assert drained == [1]


def test_validity_settings() -> None:
    assert Settings().status_list_validity == 4 * 300
    assert Settings(status_list_ttl_seconds=60).status_list_validity == 240
    assert Settings(status_list_validity_seconds=900).status_list_validity == 900
    with pytest.raises(ValidationError, match="3 × status_list_ttl_seconds"):
        Settings(status_list_validity_seconds=899)
    assert refresh_interval(1200) == 60.0
    assert refresh_interval(40) == 5.0
    assert refresh_interval(3) == 1.0


def test_two_versions_signed_within_one_second_are_told_apart(
    office: BackOffice, clock: FrozenClock
) -> None:
    """Two suspensions in a row publish a list twice within a second: a verifier that saw the
    second must refuse the first, so the dates carry milliseconds."""
    from verifier import SeenLists, StatusVerificationError
    from verifier.timestamps import parse_timestamp

    number = grant(office)["certification"]["certificate_number"]
    recorder = Recorder()
    _drain(office, recorder, clock)
    first = _lists(recorder)
    recorder.received.clear()
    clock.advance(seconds=0.25)
    body = {"reason": "surveillance audit overdue"}
    office.ok("POST", f"/certifications/{number}/suspend", member(office, "decider"), body)
    _drain(office, recorder, clock)
    changed = [
        (first[key], then)
        for key, then in _lists(recorder).items()
        if then["credentialSubject"]["encodedList"]
        != first[key]["credentialSubject"]["encodedList"]
    ]
    assert len(changed) == 1  # the suspension list
    before, after = changed[0]
    assert before["validFrom"][:19] == after["validFrom"][:19]  # the same second
    seen = SeenLists()
    seen.check(after["id"], parse_timestamp(after["validFrom"]))
    with pytest.raises(StatusVerificationError, match="older"):
        seen.check(before["id"], parse_timestamp(before["validFrom"]))
