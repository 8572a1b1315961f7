"""A ``message`` status entry of two bits (Bitstring Status List v1.0 ``statusSize`` 2), as an
Open Badge carries it: the value maps through ``statusMessage`` to valid, revoked or
suspended; anything else, a list that disagrees with the entry about what values mean, or
one too short in two-bit entries, cannot confirm.

The list is built here with ``cryptography`` and the test issuer of tests/verifier/tokens.py,
not with certreg's issuer, and its bits are written by :func:`_set` below, from the
Recommendation's text (§3.2: an entry starts at bit ``index × statusSize``, MSB first),
not with the codec under test.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest

from tests.verifier.tokens import NOW, FakeIssuer
from verifier import (
    MalformedValueError,
    Revoked,
    StaticKeys,
    StaticStatusLists,
    StatusListLengthError,
    StatusVerificationError,
    Suspended,
    TrustPolicy,
    Verdict,
    Verifier,
)

INDEX = 70_001
MESSAGES = [
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "revoked"},
    {"status": "0x2", "message": "suspended"},
    {"status": "0x3", "message": "undefined"},
]


def _set(bits: bytearray, index: int, value: int) -> None:
    """Write a two-bit value MSB-first at bit ``2 × index``, one bit at a time."""
    for offset, bit in enumerate(((value >> 1) & 1, value & 1)):
        position = 2 * index + offset
        mask = 0x80 >> (position % 8)
        bits[position // 8] = bits[position // 8] | mask if bit else bits[position // 8] & ~mask


def _encoded(bits: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(bits)).rstrip(b"=").decode("ascii")


def _entry(issuer: FakeIssuer, **overrides: Any) -> dict[str, Any]:
    url = issuer.list_url("message")
    entry = {
        "id": f"{url}#{INDEX}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(INDEX),
        "statusListCredential": url,
        "statusSize": 2,
        "statusMessage": MESSAGES,
    }
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


def _message_list(issuer: FakeIssuer, value: int, *, entries: int = 131_072, **subject: Any) -> str:
    bits = bytearray(entries * 2 // 8)
    _set(bits, INDEX, value)
    url = issuer.list_url("message")
    credential_subject = {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "message",
        "statusSize": 2,
        "statusMessages": MESSAGES,
        "encodedList": _encoded(bytes(bits)),
        "ttl": 300_000,
    }
    credential_subject.update(subject)
    return issuer.token(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer.did,
            "validFrom": "2027-03-01T00:00:00Z",
            "credentialSubject": {k: v for k, v in credential_subject.items() if v is not None},
        }
    )


def _check(issuer: FakeIssuer, listed: str, entry: dict[str, Any] | None = None) -> Any:
    token = issuer.token(issuer.credential(credentialStatus=entry or _entry(issuer)))
    verifier = Verifier(
        policy=TrustPolicy(trusted_issuers=frozenset({issuer.did})),
        keys=StaticKeys(did_documents={issuer.did: issuer.did_document()}),
        status=StaticStatusLists({issuer.list_url("message"): listed}),
    )
    return verifier.check(token, now=NOW)


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.mark.parametrize(
    ("value", "verdict", "error"),
    [(0, Verdict.VALID, None), (1, Verdict.REVOKED, Revoked), (2, Verdict.SUSPENDED, Suspended)],
)
def test_the_value_means_what_its_message_says(
    issuer: FakeIssuer, value: int, verdict: Verdict, error: type | None
) -> None:
    report = _check(issuer, _message_list(issuer, value))
    assert report.verdict is verdict, report
    if error is None:
        assert "credential-status" in report.checks
    else:
        assert type(report.error) is error


def test_the_neighbouring_entries_do_not_count(issuer: FakeIssuer) -> None:
    bits = bytearray(131_072 * 2 // 8)
    for index in (INDEX - 1, INDEX + 1):
        _set(bits, index, 3)
    listed = _message_list(issuer, 0, encodedList=_encoded(bytes(bits)))
    assert _check(issuer, listed).verdict is Verdict.VALID


def test_a_value_without_a_known_message_cannot_confirm(issuer: FakeIssuer) -> None:
    report = _check(issuer, _message_list(issuer, 3))
    assert report.verdict is Verdict.CANNOT_CONFIRM
    assert type(report.error) is StatusVerificationError
    assert report.error.reason == "unknown-status-message"


def test_a_list_that_means_other_things_by_its_values_cannot_confirm(
    issuer: FakeIssuer,
) -> None:
    swapped = [
        {"status": "0x0", "message": "valid"},
        {"status": "0x1", "message": "suspended"},
        {"status": "0x2", "message": "revoked"},
        {"status": "0x3", "message": "undefined"},
    ]
    report = _check(issuer, _message_list(issuer, 2, statusMessages=swapped))
    assert report.verdict is Verdict.CANNOT_CONFIRM
    assert "differ" in str(report.error)


def test_the_singular_spelling_of_the_lists_messages_is_read_too(issuer: FakeIssuer) -> None:
    listed = _message_list(issuer, 2, statusMessages=None, statusMessage=MESSAGES)
    assert _check(issuer, listed).verdict is Verdict.SUSPENDED


@pytest.mark.parametrize(
    "subject",
    [
        {"statusSize": None},
        {"statusSize": 1},
        {"statusSize": True},
        {"statusMessages": None},
        {"statusMessages": MESSAGES[:3]},
    ],
)
def test_a_message_list_must_say_its_size_and_messages(
    issuer: FakeIssuer, subject: dict[str, Any]
) -> None:
    report = _check(issuer, _message_list(issuer, 0, **subject))
    assert report.verdict is Verdict.CANNOT_CONFIRM
    assert type(report.error) is StatusVerificationError


def test_two_bit_entries_need_131072_of_them(issuer: FakeIssuer) -> None:
    """32,767 bytes hold 262,136 one-bit entries, far above the minimum, but only 131,068
    two-bit ones: the minimum counts entries of the entry's size."""
    report = _check(issuer, _message_list(issuer, 0, entries=131_072 - 4))
    assert report.verdict is Verdict.CANNOT_CONFIRM
    assert type(report.error) is StatusListLengthError


@pytest.mark.parametrize(
    "entry",
    [
        {"statusMessage": None},
        {"statusMessage": MESSAGES[:3]},
        {"statusMessage": [*MESSAGES[:3], {"status": "0x1", "message": "again"}]},
        {"statusMessage": [*MESSAGES[:3], {"status": "3", "message": "undefined"}]},
        {"statusMessage": [*MESSAGES[:3], {"status": "0x4", "message": "undefined"}]},
        {"statusMessage": [*MESSAGES[:3], {"status": "0x3", "message": 3}]},
        {"statusMessage": [*MESSAGES[:3], "0x3"]},
    ],
)
def test_a_malformed_status_message_is_refused(issuer: FakeIssuer, entry: dict[str, Any]) -> None:
    report = _check(issuer, _message_list(issuer, 0), _entry(issuer, **entry))
    assert report.verdict is Verdict.INVALID
    assert type(report.error) is MalformedValueError
    assert "statusMessage" in str(report.error)
