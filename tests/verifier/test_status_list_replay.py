"""Replayed status lists: a lapsed list, or one older than a list already seen, cannot confirm.

Whoever answers for a registry's address can serve any list the issuer ever signed; these
tests serve an old one (signed before a suspension) and expect "cannot confirm" (exit 2),
never "valid" — and an offline bundle's lists judged at the bundle's creation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.verifier.test_verifier import make_verifier
from tests.verifier.tokens import NOW, FakeIssuer
from verifier import (
    Bundle,
    SeenLists,
    StaticKeys,
    StaticStatusLists,
    StatusVerificationError,
    Suspended,
    TrustPolicy,
    Verdict,
    Verifier,
)

INDEX = 94567


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


def _stamp(offset: timedelta) -> str:
    return (NOW + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def _list(issuer: FakeIssuer, purpose: str, signed: timedelta, valid: timedelta) -> str:
    """``purpose``'s list as it is now, signed at NOW + ``signed`` for ``valid``."""
    return issuer.status_list(purpose, validFrom=_stamp(signed), validUntil=_stamp(signed + valid))


def _serving(verifier: Verifier, lists: dict[str, str]) -> None:
    verifier._status = StaticStatusLists(lists)  # what the address answers from now on


def test_a_list_older_than_one_already_seen_cannot_confirm(issuer: FakeIssuer) -> None:
    url = issuer.list_url("suspension")
    old = _list(issuer, "suspension", -timedelta(minutes=9), timedelta(minutes=20))
    issuer.set_bit("suspension", INDEX)
    new = _list(issuer, "suspension", -timedelta(minutes=1), timedelta(minutes=20))
    verifier = make_verifier(issuer, lists=issuer.lists() | {url: new})
    with pytest.raises(Suspended):
        verifier.verify(issuer.token(), now=NOW)
    # The cached list expires (ttl 300 s); the address now answers with the old list, in
    # which the certificate was not yet suspended. Both are within their validity.
    _serving(verifier, issuer.lists() | {url: old})
    report = verifier.check(issuer.token(), now=NOW + timedelta(seconds=301))
    assert isinstance(report.error, StatusVerificationError)
    assert report.error.reason == "replayed-list"
    assert "older" in report.error.detail
    assert (report.verdict, report.exit_code) == (Verdict.CANNOT_CONFIRM, 2)


def test_a_list_as_new_or_newer_is_accepted(issuer: FakeIssuer) -> None:
    url = issuer.list_url("revocation")
    first = _list(issuer, "revocation", -timedelta(minutes=5), timedelta(minutes=20))
    verifier = make_verifier(issuer, lists=issuer.lists() | {url: first})
    verifier.verify(issuer.token(), now=NOW)
    later = NOW + timedelta(seconds=301)
    _serving(verifier, issuer.lists() | {url: first})  # the same list again: equal validFrom
    verifier.verify(issuer.token(), now=later)
    renewed = _list(issuer, "revocation", timedelta(minutes=5), timedelta(minutes=20))
    _serving(verifier, issuer.lists() | {url: renewed})
    verifier.verify(issuer.token(), now=later + timedelta(minutes=5, seconds=301))


def test_an_undated_list_after_a_dated_one_cannot_confirm(issuer: FakeIssuer) -> None:
    url = issuer.list_url("revocation")
    verifier = make_verifier(issuer)
    verifier.verify(issuer.token(), now=NOW)
    _serving(verifier, issuer.lists() | {url: issuer.status_list("revocation", validFrom=None)})
    report = verifier.check(issuer.token(), now=NOW + timedelta(seconds=301))
    assert isinstance(report.error, StatusVerificationError)
    assert report.exit_code == 2


def test_a_list_without_validity_dates_is_still_read_within_its_ttl(issuer: FakeIssuer) -> None:
    """Lists of other issuers, or signed before validUntil, carry none: the ttl and
    max-age rules apply to them as before, and nothing is remembered for their URL."""
    undated = {
        issuer.list_url(p): issuer.status_list(p, validFrom=None)
        for p in ("revocation", "suspension")
    }
    verifier = make_verifier(issuer, lists=undated)
    verifier.verify(issuer.token(), now=NOW)
    assert verifier.seen_lists.snapshot() == {}


def test_a_lapsed_list_cannot_confirm(issuer: FakeIssuer) -> None:
    url = issuer.list_url("suspension")
    lapsed = _list(issuer, "suspension", -timedelta(minutes=21), timedelta(minutes=20))
    report = make_verifier(issuer, lists=issuer.lists() | {url: lapsed}).check(
        issuer.token(), now=NOW
    )
    assert isinstance(report.error, StatusVerificationError)
    assert report.error.reason == "lapsed-list"
    assert report.exit_code == 2


def test_a_cached_list_is_not_used_past_its_validity(issuer: FakeIssuer) -> None:
    url = issuer.list_url("revocation")
    short = _list(issuer, "revocation", -timedelta(minutes=19), timedelta(minutes=20))
    verifier = make_verifier(issuer, lists=issuer.lists() | {url: short})
    verifier.verify(issuer.token(), now=NOW)
    report = verifier.check(issuer.token(), now=NOW + timedelta(seconds=61))  # ttl not over
    assert isinstance(report.error, StatusVerificationError)


def test_the_memory_is_kept_between_verifiers(issuer: FakeIssuer) -> None:
    url = issuer.list_url("suspension")
    new = _list(issuer, "suspension", -timedelta(minutes=1), timedelta(minutes=20))
    first = make_verifier(issuer, lists=issuer.lists() | {url: new})
    first.verify(issuer.token(), now=NOW)
    snapshot = first.seen_lists.snapshot()
    assert snapshot[url] == NOW - timedelta(minutes=1)
    old = _list(issuer, "suspension", -timedelta(minutes=9), timedelta(minutes=20))
    second = Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset({issuer.did})),
        keys=StaticKeys(did_documents={issuer.did: issuer.did_document()}),
        status=StaticStatusLists(issuer.lists() | {url: old}),
        seen_lists=SeenLists(snapshot),
    )
    assert second.check(issuer.token(), now=NOW).exit_code == 2
    fresh = Verifier(
        policy=second.policy,
        keys=StaticKeys(did_documents={issuer.did: issuer.did_document()}),
        status=StaticStatusLists(issuer.lists() | {url: old}),
    )
    assert fresh.check(issuer.token(), now=NOW).exit_code == 0  # nothing seen: within validity


def test_the_memory_is_bounded() -> None:
    seen = SeenLists(max_lists=4)
    for minute in range(6):
        seen.check(f"https://a.example/status/{minute}", NOW + timedelta(minutes=minute))
    kept = seen.snapshot()
    assert len(kept) <= 4
    assert "https://a.example/status/5" in kept  # the newest stay


def _bundle(issuer: FakeIssuer, lists: dict[str, str], created: timedelta) -> Verifier:
    bundle = Bundle(
        created_at=NOW + created,
        did_documents={issuer.did: issuer.did_document()},
        status_lists=lists,
    )
    return Verifier(policy=bundle.policy(), keys=bundle.keys(), status=bundle.status())


def test_a_bundle_list_is_judged_at_the_bundle_creation(issuer: FakeIssuer) -> None:
    lists = {
        issuer.list_url(p): _list(issuer, p, -timedelta(hours=3, minutes=5), timedelta(minutes=20))
        for p in ("revocation", "suspension")
    }
    # Exported three hours ago while the lists were valid: their validUntil has passed since,
    # and the bundle's age is for --max-age to judge, not the lists' validity.
    assert _bundle(issuer, lists, -timedelta(hours=3)).check(issuer.token(), now=NOW).verified
    # Exported after the lists had lapsed: they vouched for nothing even then.
    lapsed = _bundle(issuer, lists, -timedelta(hours=2))
    assert lapsed.check(issuer.token(), now=NOW).exit_code == 2
    # A creation time in the future is not believed: the lists are judged at now.
    future = _bundle(issuer, lists, timedelta(hours=1))
    assert future.check(issuer.token(), now=NOW).exit_code == 2
