"""SD-JWT VCs for wallets, end to end: issued over HTTP for an active certification, bound to
the holder's key, verified with an independent JOSE library and the key the registry's
``/.well-known/jwt-vc-issuer`` names, every selective disclosure rebuilt with the shared
codec, and the status read from the registry's ``/statuslists/{id}`` as a wallet's verifier
would, through the real publisher, as the certification is suspended, reinstated, withdrawn
or has its scope changed."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jws
from joserfc.jwk import ECKey, KeySet, OKPKey

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.process.wallet_credentials import AUDIT_ACTION
from issuer.publication import outbox
from issuer.settings import Settings
from issuer.store import Store
from registry import Registry, RegistryStore
from schemas import sd_jwt
from schemas import token_status_list as tsl
from tests.backoffice import BackOffice, enrol_office, grant, member
from tests.conftest import FrozenClock, SeededEntropy

BASE = "https://certs.example.test"
ALWAYS = {"iss", "iat", "nbf", "exp", "vct", "cnf", "status"}
DISCLOSABLE = {
    "given_name",
    "family_name",
    "certificate_number",
    "scheme",
    "valid_from",
    "valid_until",
    "certification_body",
}


@pytest.fixture
def public(
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Iterator[tuple[BackOffice, TestClient]]:
    app = create_app(
        settings,
        store=store,
        clock=clock,
        entropy=entropy,
        keyring=keyring,
        registry=Registry(registry_store),
        publish_interval=None,
    )
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    with TestClient(app) as client:
        office = enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))
        yield office, client


def holder_key() -> dict[str, Any]:
    key = ECKey.generate_key("P-256")
    public: dict[str, Any] = key.as_dict(private=False)
    public.pop("kid", None)
    return public


def _publish(client: TestClient) -> None:
    client.app.state.drain()  # type: ignore[attr-defined]


def _issue(office: BackOffice, number: str, jwk: dict[str, Any] | None = None) -> str:
    response = office.call(
        "POST",
        f"/certifications/{number}/sd-jwt-vc",
        member(office, "registrar"),
        {"holder_jwk": jwk or holder_key()},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/dc+sd-jwt"
    assert response.headers["cache-control"] == "no-store"
    return response.text


def _part(compact: str, index: int) -> dict[str, Any]:
    part = compact.split(".")[index]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def _issuer_keys(client: TestClient) -> KeySet:
    """The keys a wallet finds for ``iss``: SD-JWT VC issuer metadata at the host's
    well-known path, whose ``issuer`` must be the ``iss`` itself."""
    metadata = client.get("/.well-known/jwt-vc-issuer")
    assert metadata.status_code == 200
    assert metadata.headers["access-control-allow-origin"] == "*"
    body = metadata.json()
    assert body["issuer"] == BASE
    assert body["jwks"] == client.get("/.well-known/jwks.json").json()
    return KeySet.import_key_set(body["jwks"])


def _verified(client: TestClient, compact: str) -> dict[str, Any]:
    signed = jws.deserialize_compact(compact, _issuer_keys(client), algorithms=["ES256"])
    payload: dict[str, Any] = json.loads(signed.payload)
    return payload


def _token_status(client: TestClient, payload: dict[str, Any]) -> int:
    """The status a verifier reads for an SD-JWT VC: fetch its list's token, check the
    signature with the issuer metadata key and ``sub``, decode, read ``idx``."""
    reference = payload["status"]["status_list"]
    assert reference["uri"].startswith(f"{BASE}/statuslists/")
    served = client.get(reference["uri"].removeprefix(BASE))
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/statuslist+jwt"
    assert served.headers["cache-control"] == "public, max-age=300"
    assert served.headers["access-control-allow-origin"] == "*"
    assert served.headers["etag"]
    assert _part(served.text, 0)["typ"] == "statuslist+jwt"
    claims = _verified(client, served.text)
    assert claims["sub"] == reference["uri"]
    assert claims["exp"] > claims["iat"]
    assert claims["ttl"] == 300
    bits, lst = tsl.decode_status_list(claims["status_list"])
    assert bits == 2
    assert tsl.entry_count(lst, bits) >= 131_072
    return tsl.get_status(lst, reference["idx"], bits)


def test_an_sd_jwt_vc_verifies_and_discloses_claim_by_claim(
    public: tuple[BackOffice, TestClient], clock: FrozenClock
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    jwk = holder_key()
    issued = _issue(office, number, jwk)
    _publish(client)
    split = sd_jwt.split(issued)
    assert issued.endswith("~")
    assert split.key_binding_jwt is None
    header = _part(split.issuer_jwt, 0)
    kid = _issuer_keys(client).keys[0].kid
    assert header == {"typ": "dc+sd-jwt", "alg": "ES256", "kid": kid}
    payload = _verified(client, split.issuer_jwt)
    certificate = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    assert payload["iss"] == BASE
    assert payload["vct"] == f"{BASE}/vct/certification/v1"
    assert payload["cnf"] == {"jwk": jwk}
    assert payload["iat"] == int(clock().timestamp())
    assert payload["_sd_alg"] == "sha-256"
    assert payload["exp"] > payload["nbf"]
    # Decoys: more digests than disclosable claims, and more scope places than scope items.
    assert len(payload["_sd"]) > len(DISCLOSABLE)
    assert len(payload["scope"]) > 2
    everything = sd_jwt.process(payload, split.disclosures)
    assert set(everything) == ALWAYS | DISCLOSABLE | {"scope"}
    assert (everything["given_name"], everything["family_name"]) == ("Ana", "Moreau")
    assert everything["certificate_number"] == number
    assert everything["certification_body"] == "Example Welding Certification Body"
    assert everything["scheme"]["id"] == f"{BASE}/schemes/{certificate['scheme_id']}"
    assert sorted(s["code"] for s in everything["scope"]) == ["VT-PRESSURE", "VT-STEEL"]
    assert everything["valid_until"] == certificate["expiry_date"]
    assert everything["valid_from"] == certificate["effective_date"]
    # Nothing disclosed: the facts a verifier always needs, the scope's places, no claim.
    nothing = sd_jwt.process(payload, [])
    assert set(nothing) == ALWAYS | {"scope"}
    assert nothing["scope"] == []
    # Each disclosure alone reveals its claim and nothing else.
    for disclosure in split.disclosures:
        decoded = sd_jwt.decode_disclosure(disclosure)
        shown = sd_jwt.process(payload, [disclosure])
        if decoded.name is None:
            assert shown["scope"] == [decoded.value]
            assert set(shown) == ALWAYS | {"scope"}
        else:
            assert set(shown) - ALWAYS - {"scope"} == {decoded.name}
    # Name and one scope item, without the rest.
    named = [d for d in split.disclosures if sd_jwt.decode_disclosure(d).name in DISCLOSABLE]
    items = [d for d in split.disclosures if sd_jwt.decode_disclosure(d).name is None]
    pairs = itertools.product(named, items)
    for claim, item in itertools.islice(pairs, 4):
        shown = sd_jwt.process(payload, [claim, item])
        assert len(shown["scope"]) == 1
        assert len(set(shown) - ALWAYS - {"scope"}) == 1


def test_the_token_status_follows_suspension_reinstatement_and_withdrawal(
    public: tuple[BackOffice, TestClient],
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    _publish(client)
    first = _verified(client, sd_jwt.split(_issue(office, number)).issuer_jwt)
    second = _verified(client, sd_jwt.split(_issue(office, number)).issuer_jwt)
    _publish(client)
    # Every SD-JWT VC of one certificate shares its slot (docs/WALLETS.md).
    assert first["status"] == second["status"]
    assert _token_status(client, first) == tsl.VALID

    def decide(action: str, body: dict[str, Any]) -> None:
        office.ok("POST", f"/certifications/{number}/{action}", member(office, "decider"), body)
        _publish(client)

    decide("suspend", {"reason": "eye test overdue"})
    assert _token_status(client, first) == tsl.SUSPENDED
    decide("reinstate", {"reason": "eye test passed"})
    assert _token_status(client, first) == tsl.VALID
    decide("withdraw", {"reason": "fraud"})
    assert _token_status(client, first) == tsl.INVALID
    refused = office.call(
        "POST",
        f"/certifications/{number}/sd-jwt-vc",
        member(office, "registrar"),
        {"holder_jwk": holder_key()},
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/certification-not-active"


def test_a_superseded_certificate_invalidates_its_sd_jwt_vcs(
    public: tuple[BackOffice, TestClient],
) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    _publish(client)
    old = _verified(client, sd_jwt.split(_issue(office, number)).issuer_jwt)
    office.ok(
        "POST",
        f"/certifications/{number}/scope",
        member(office, "decider"),
        {"scope": ["VT-STEEL"]},
    )
    _publish(client)
    assert _token_status(client, old) == tsl.INVALID
    new_issue = sd_jwt.split(_issue(office, number))
    new = _verified(client, new_issue.issuer_jwt)
    _publish(client)
    assert new["status"] != old["status"]
    assert _token_status(client, new) == tsl.VALID
    scope = sd_jwt.process(new, new_issue.disclosures)["scope"]
    assert [s["code"] for s in scope] == ["VT-STEEL"]


def test_a_suspended_certification_gets_no_sd_jwt_vc(
    public: tuple[BackOffice, TestClient],
) -> None:
    office, _ = public
    number = grant(office)["certification"]["certificate_number"]
    office.ok(
        "POST", f"/certifications/{number}/suspend", member(office, "decider"), {"reason": "x"}
    )
    refused = office.call(
        "POST",
        f"/certifications/{number}/sd-jwt-vc",
        member(office, "registrar"),
        {"holder_jwk": holder_key()},
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/certification-not-active"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_GOOD = holder_key()
_BAD_KEYS: list[tuple[Any, int, str]] = [
    ({**_GOOD, "d": _GOOD["x"]}, 422, "holder-key-private"),
    (ECKey.generate_key("P-256").as_dict(private=True), 422, "holder-key-private"),
    (OKPKey.generate_key("Ed25519").as_dict(private=True), 422, "holder-key-private"),
    ({"kty": "oct", "k": "c2VjcmV0"}, 422, "holder-key-private"),
    (ECKey.generate_key("P-384").as_dict(private=False), 422, "holder-key-unsupported"),
    ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, 422, "holder-key-unsupported"),
    ({"crv": "P-256", "x": _GOOD["x"], "y": _GOOD["y"]}, 422, "holder-key-unsupported"),
    ({**_GOOD, "x": _GOOD["x"][:-2]}, 422, "holder-key-malformed"),
    ({**_GOOD, "x": _GOOD["y"]}, 422, "holder-key-malformed"),  # off the curve
    ({**_GOOD, "y": 7}, 422, "holder-key-malformed"),
    ({**_GOOD, "x": _GOOD["x"][:-1] + "="}, 422, "holder-key-malformed"),
    ({"kty": "OKP", "crv": "Ed25519", "x": _b64(b"\0" * 31)}, 422, "holder-key-malformed"),
    ("not a key", 422, "validation-failed"),
    ({f"m{i}": "v" for i in range(40)}, 422, "validation-failed"),
]


@pytest.mark.parametrize(("jwk", "status", "kind"), _BAD_KEYS)
def test_a_bad_holder_key_is_refused_with_its_kind(
    office: BackOffice, jwk: Any, status: int, kind: str
) -> None:
    number = grant(office)["certification"]["certificate_number"]
    response = office.call(
        "POST",
        f"/certifications/{number}/sd-jwt-vc",
        member(office, "registrar"),
        {"holder_jwk": jwk},
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{kind}"
    with office.store.reading() as reader:
        certification = reader.get_certification_by_number(number)
        assert certification is not None
        assert reader.sd_jwt_vcs_of(certification.id) == []


def test_an_ed25519_holder_key_is_bound_and_the_issuance_audited(office: BackOffice) -> None:
    number = grant(office)["certification"]["certificate_number"]
    jwk = OKPKey.generate_key("Ed25519").as_dict(private=False)
    jwk.pop("kid", None)
    issued = _issue(office, number, {**jwk, "use": "sig"})
    assert _part(sd_jwt.split(issued).issuer_jwt, 1)["cnf"] == {"jwk": jwk}  # public members only
    with office.store.reading() as reader:
        certification = reader.get_certification_by_number(number)
        assert certification is not None
        [record] = reader.sd_jwt_vcs_of(certification.id)
        entries = reader.audit_entries_for([certification.id])
    assert record.holder_thumbprint == OKPKey.import_key(jwk).thumbprint()
    assert [e.action for e in entries].count(AUDIT_ACTION) == 1


def test_only_registrars_issue_and_unknown_numbers_are_not_found(office: BackOffice) -> None:
    number = grant(office)["certification"]["certificate_number"]
    body = {"holder_jwk": holder_key()}
    path = f"/certifications/{number}/sd-jwt-vc"
    assert office.call("POST", path, member(office, "auditor"), body).status_code == 403
    missing = office.call(
        "POST", "/certifications/XX-0000/sd-jwt-vc", member(office, "registrar"), body
    )
    assert missing.status_code == 404
