"""Superseded, not merely revoked: the issuer's signed register entry names the replacement.

The lookup is made only when the revocation bit is set, over ``httpx.MockTransport`` here;
only an entry the issuer signed, for the same certificate, can turn *revoked* into
*superseded*, and anything else (another key, another number, a registry out of reach)
leaves the answer *revoked* — never valid. An Open Badge certreg exported is found through the
certificate it restates (its id is derived from the certificate's): superseded by the same
credential, its holder's family name tried as each way the whole name it states can end.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from schemas.open_badge_ids import open_badge_id
from tests.verifier.test_openbadges import SUBJECT as BADGE_HOLDER
from tests.verifier.test_openbadges import badge, ob_token
from tests.verifier.tokens import NOW, FakeIssuer, IssuerKey
from verifier import (
    HttpFetcher,
    HttpRegisterEntries,
    Revoked,
    StaticKeys,
    StaticStatusLists,
    Superseded,
    TrustPolicy,
    Verdict,
    Verifier,
)
from verifier.supersession import MAX_FAMILY_NAME_TRIES

NUMBER = "CWI-0042"
OLD = "urn:uuid:0b6c3f5e-8d0e-4a35-9a0b-2f4f1c1d5e77"
NEW = "urn:uuid:5d3c1a0e-1111-4a35-9a0b-2f4f1c1d5e77"
SUBJECT = {
    "type": "CertifiedPerson",
    "name": "Ana Moreau",
    "familyName": "Moreau",
    "certification": {"type": "Certification", "certificateNumber": NUMBER},
}


def entry(
    issuer: FakeIssuer,
    *,
    number: str = NUMBER,
    key: IssuerKey | None = None,
    mark: str = "urn:uuid:9e1d7c40-2222-4a35-9a0b-2f4f1c1d5e77",
) -> str:
    payload: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"https://{issuer.host}/register/{number}",
        "type": ["VerifiableCredential", "RegisterEntryCredential"],
        "issuer": issuer.did,
        "validFrom": "2027-03-01T00:00:00Z",
        "credentialSubject": {
            "type": "RegisterEntry",
            "certificateNumber": number,
            "credentials": [
                {
                    "id": OLD,
                    "type": "CertificationCredential",
                    "status": "superseded",
                    "supersededBy": NEW,
                },
                {
                    "id": NEW,
                    "type": "CertificationCredential",
                    "status": "active",
                    "supersedes": OLD,
                },
                {
                    "id": mark,
                    "type": "CertificationMarkCredential",
                    "status": "superseded",
                    "supersededBy": NEW,
                },
            ],
        },
    }
    return issuer.token(payload, key=key)


def verifier(issuer: FakeIssuer, respond: Any, seen: list[httpx.Request]) -> Verifier:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return respond(request)  # type: ignore[no-any-return]

    policy = TrustPolicy(trusted_issuers=frozenset({issuer.did}))
    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)
    keys = StaticKeys(did_documents={issuer.did: issuer.did_document()})
    return Verifier(
        policy=policy,
        keys=keys,
        status=StaticStatusLists(issuer.lists()),
        supersession=HttpRegisterEntries(policy, HttpFetcher(policy, client=client), keys),
    )


def answering(token: str) -> Any:
    return lambda request: httpx.Response(200, json={"entry": {}, "credential": token})


@pytest.fixture
def issuer() -> FakeIssuer:
    made = FakeIssuer()
    made.set_bit("revocation", 94567)
    return made


def test_a_replaced_credential_is_superseded_with_its_successor(issuer: FakeIssuer) -> None:
    seen: list[httpx.Request] = []
    token = issuer.token(issuer.credential(credentialSubject=SUBJECT))
    with pytest.raises(Superseded) as caught:
        verifier(issuer, answering(entry(issuer)), seen).verify(token, now=NOW)
    assert caught.value.superseded_by == NEW
    assert caught.value.problem()["supersededBy"] == NEW
    assert caught.value.verdict is Verdict.SUPERSEDED
    [request] = seen
    assert str(request.url) == f"https://{issuer.host}/register/{NUMBER}?family_name=Moreau"
    report = verifier(issuer, answering(entry(issuer)), []).check(token, now=NOW)
    assert (report.verdict, report.superseded_by, report.exit_code) == ("superseded", NEW, 1)


@pytest.mark.parametrize(
    "respond",
    [
        lambda issuer: answering(entry(issuer, key=IssuerKey.generate())),  # not its key
        lambda issuer: answering(entry(FakeIssuer(host="other.example"))),  # another issuer
        lambda issuer: answering(entry(issuer, number="CWI-0043")),  # another certificate
        lambda issuer: answering("not a jws"),
        lambda issuer: lambda request: httpx.Response(200, content=b"[1]"),
        lambda issuer: lambda request: httpx.Response(404),
        lambda issuer: lambda request: httpx.Response(200, content=b"\xff"),
    ],
    ids=["foreign-key", "foreign-issuer", "other-number", "not-jws", "not-object", "404", "junk"],
)
def test_without_a_trustworthy_entry_it_stays_revoked(issuer: FakeIssuer, respond: Any) -> None:
    token = issuer.token(issuer.credential(credentialSubject=SUBJECT))
    with pytest.raises(Revoked) as caught:
        verifier(issuer, respond(issuer), []).verify(token, now=NOW)
    assert type(caught.value) is Revoked


def test_no_lookup_unless_the_revocation_bit_is_set() -> None:
    issuer = FakeIssuer()
    seen: list[httpx.Request] = []
    token = issuer.token(issuer.credential(credentialSubject=SUBJECT))
    verifier(issuer, answering(entry(issuer)), seen).verify(token, now=NOW)
    assert seen == []


def test_a_credential_without_a_certificate_number_is_not_looked_up(issuer: FakeIssuer) -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(Revoked) as caught:
        verifier(issuer, answering(entry(issuer)), seen).verify(issuer.token(), now=NOW)
    assert type(caught.value) is Revoked
    assert seen == []


def open_badge(issuer: FakeIssuer, certificate: str, name: str = "Ana Moreau") -> str:
    """A revoked badge as certreg exports it: named after ``certificate``, stating the
    certificate number and the holder's whole name."""
    badge_id = open_badge_id(certificate.removeprefix("urn:uuid:"))
    payload = badge(issuer, id=badge_id, jti=badge_id)
    payload["credentialSubject"] |= {
        "licenseNumber": NUMBER,
        "identifier": [
            {
                "type": "IdentityObject",
                "hashed": False,
                "identityHash": name,
                "identityType": "name",
            }
        ],
    }
    assert payload["credentialSubject"]["id"] == BADGE_HOLDER
    return ob_token(issuer, payload)


def test_a_badge_of_a_replaced_certificate_is_superseded_by_its_successor(
    issuer: FakeIssuer,
) -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(Superseded) as caught:
        verifier(issuer, answering(entry(issuer)), seen).verify(open_badge(issuer, OLD), now=NOW)
    assert caught.value.superseded_by == NEW
    [request] = seen
    assert str(request.url) == f"https://{issuer.host}/register/{NUMBER}?family_name=Moreau"


def test_a_badge_holder_s_family_name_is_tried_from_the_last_word(issuer: FakeIssuer) -> None:
    """Given and family names may both hold spaces; the registry answers only the right one."""
    seen: list[httpx.Request] = []
    found = answering(entry(issuer))

    def respond(request: httpx.Request) -> httpx.Response:
        right = request.url.params["family_name"] == "van der Berg"
        return found(request) if right else httpx.Response(404)

    token = open_badge(issuer, OLD, name="Anna Maria van der Berg")
    with pytest.raises(Superseded) as caught:
        verifier(issuer, respond, seen).verify(token, now=NOW)
    assert caught.value.superseded_by == NEW
    assert [r.url.params["family_name"] for r in seen] == ["Berg", "der Berg", "van der Berg"]
    # Never more than MAX_FAMILY_NAME_TRIES requests, and then still revoked.
    seen.clear()
    long_name = "A B C D E F G"
    with pytest.raises(Revoked) as kept:
        verifier(issuer, lambda request: httpx.Response(404), seen).verify(
            open_badge(issuer, OLD, name=long_name), now=NOW
        )
    assert type(kept.value) is Revoked
    assert len(seen) == MAX_FAMILY_NAME_TRIES


@pytest.mark.parametrize(
    "certificate",
    [NEW, "urn:uuid:9e1d7c40-2222-4a35-9a0b-2f4f1c1d5e77", "urn:uuid:00000000-0000-4000-8000-0"],
    ids=["current-certificate", "a-mark", "unlisted"],
)
def test_a_badge_not_of_a_replaced_certificate_stays_revoked(
    issuer: FakeIssuer, certificate: str
) -> None:
    """A withdrawn certificate's badge, or an id that restates no replaced certificate (a
    mark's derived id counts for nothing: badges restate certificates only)."""
    with pytest.raises(Revoked) as caught:
        verifier(issuer, answering(entry(issuer)), []).verify(
            open_badge(issuer, certificate), now=NOW
        )
    assert type(caught.value) is Revoked


def test_a_one_word_badge_name_is_not_looked_up(issuer: FakeIssuer) -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(Revoked):
        verifier(issuer, answering(entry(issuer)), seen).verify(
            open_badge(issuer, OLD, name="Moreau"), now=NOW
        )
    assert seen == []
