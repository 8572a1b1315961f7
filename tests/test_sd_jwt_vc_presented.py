"""What the issuer signs as an SD-JWT VC verifies with what the verifier checks, end to end over
HTTP: issued by the staff route to a key the holder keeps, presented by the holder showing
only their name, scheme and validity for an employer's nonce and audience, and answered by
the registry's ``POST /presentations/verify`` and ``POST /credentials/verify`` — valid, then
suspended, then revoked as the certification is decided on and published; a presentation
made for another request is refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.publication import outbox
from issuer.settings import Settings
from issuer.store import Store
from registry import Registry, RegistryStore
from registry.disclosed_claims import CERTIFICATION_CLAIMS, CERTIFICATION_VCT_PATH
from registry.verification import RegistryTokenStatusLists
from schemas import sd_jwt
from tests.backoffice import BackOffice, enrol_office, grant, member
from tests.conftest import PASSPHRASE, FrozenClock, SeededEntropy
from tests.test_sd_jwt_vc import _issue, _publish, public
from tests.verifier.sd_jwt_tokens import kb_jwt
from tests.verifier.tokens import IssuerKey
from verifier.did_jwk import did_jwk_for
from verifier.errors import StatusRetrievalError

__all__ = ["public", "wallet_credential", "wallet_present"]

NONCE = "n-0S6_WzA2Mj-employer"
AUDIENCE = "https://employer.example"
SHOWN = ("given_name", "family_name", "scheme", "valid_from", "valid_until")


def wallet_credential(office: BackOffice, client: TestClient) -> tuple[str, str, IssuerKey]:
    """A granted certification's number, its SD-JWT VC issued to a fresh holder key (the
    wallet keeps the private key), and that key; everything published."""
    number = grant(office)["certification"]["certificate_number"]
    _publish(client)
    holder = IssuerKey.generate()
    public_jwk = {k: v for k, v in holder.jwk.items() if k not in ("kid", "alg")}
    issued = _issue(office, number, public_jwk)
    _publish(client)
    return number, issued, holder


def wallet_present(
    issued: str,
    holder: IssuerKey,
    clock: FrozenClock,
    *,
    shown: tuple[str, ...] = SHOWN,
    nonce: str = NONCE,
    audience: str = AUDIENCE,
) -> str:
    """What a wallet sends: the issuer's JWT, the disclosures of ``shown`` only, and a KB-JWT
    over them for ``nonce`` and ``audience``, signed with the holder's key now."""
    parts = sd_jwt.split(issued)
    chosen = [d for d in parts.disclosures if sd_jwt.decode_disclosure(d).name in shown]
    presented = "~".join([parts.issuer_jwt, *chosen]) + "~"
    iat = int(clock().timestamp())
    return presented + kb_jwt(holder, presented, nonce=nonce, aud=audience, iat=iat)


def _verify_presentation(
    client: TestClient, presentation: object, *, nonce: str = NONCE, audience: str = AUDIENCE
) -> dict[str, Any]:
    response = client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": presentation,
            "options": {"challenge": nonce, "domain": audience},
        },
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _verify_credential(client: TestClient, issued: str) -> dict[str, Any]:
    envelope = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/dc+sd-jwt,{issued}",
    }
    response = client.post("/credentials/verify", json={"verifiableCredential": envelope})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _shown(result: dict[str, Any]) -> set[str]:
    return {claim["path"][0] for claim in result["disclosedClaims"]}


def test_a_wallet_presentation_follows_the_certification_on_the_registry(
    public: tuple[BackOffice, TestClient], clock: FrozenClock
) -> None:
    office, client = public
    number, issued, holder = wallet_credential(office, client)
    presentation = wallet_present(issued, holder, clock)

    answer = _verify_presentation(client, presentation)
    assert (answer["verified"], answer["verdict"]) == (True, "valid"), answer["problemDetails"]
    assert answer["format"] == "dc+sd-jwt"
    assert answer["holder"] == did_jwk_for(holder.jwk)
    assert (answer["challenge"], answer["domain"]) == (NONCE, AUDIENCE)
    assert {"key-binding", "challenge", "domain"} <= set(answer["checks"])
    [result] = answer["credentialResults"]
    assert result["verified"] is True
    assert result["holderBinding"] == "bound"
    assert "credential-status" in result["checks"]
    assert _shown(result) == set(SHOWN)
    claims = result["credential"]
    assert (claims["given_name"], claims["family_name"]) == ("Ana", "Moreau")
    assert "certificate_number" not in claims
    assert "certification_body" not in claims
    assert claims["scope"] == []  # every scope item kept back
    # The same presentation in a data: URL inside an envelope, as the VC API sends one.
    envelope = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "EnvelopedVerifiablePresentation",
        "id": f"data:application/dc+sd-jwt,{presentation}",
    }
    assert _verify_presentation(client, envelope)["verdict"] == "valid"
    issued_form = _verify_credential(client, issued)
    assert (issued_form["verified"], issued_form["verdict"]) == (True, "valid")
    # Everything the issuer lets a holder show is what the registry's page names when kept back.
    assert _shown(issued_form) == set(CERTIFICATION_CLAIMS)
    assert issued_form["credential"]["vct"] == issued_form["issuer"] + CERTIFICATION_VCT_PATH

    def decide(action: str, reason: str) -> None:
        office.ok(
            "POST",
            f"/certifications/{number}/{action}",
            member(office, "decider"),
            {"reason": reason},
        )

    decide("suspend", "eye test overdue")
    # Not yet published: the registry holds the list as it stood.
    assert _verify_presentation(client, presentation)["verdict"] == "valid"
    _publish(client)
    suspended = _verify_presentation(client, presentation)
    assert (suspended["verified"], suspended["verdict"]) == (False, "suspended")
    assert suspended["holder"] == did_jwk_for(holder.jwk)
    [result] = suspended["credentialResults"]
    assert result["problemDetails"][0]["type"] == "/problems/suspended"
    assert _shown(result) == set(SHOWN)
    assert _verify_credential(client, issued)["verdict"] == "suspended"

    decide("reinstate", "eye test passed")
    _publish(client)
    assert _verify_presentation(client, presentation)["verdict"] == "valid"

    decide("withdraw", "fraud")
    _publish(client)
    withdrawn = _verify_presentation(client, presentation)
    assert (withdrawn["verified"], withdrawn["verdict"]) == (False, "revoked")
    assert _verify_credential(client, issued)["verdict"] == "revoked"


def test_a_presentation_made_for_another_request_is_refused(
    public: tuple[BackOffice, TestClient], clock: FrozenClock
) -> None:
    office, client = public
    _, issued, holder = wallet_credential(office, client)
    presentation = wallet_present(issued, holder, clock)
    for nonce, audience, reason in [
        ("another-nonce", AUDIENCE, "nonce-mismatch"),
        (NONCE, "https://elsewhere.example", "audience-mismatch"),
    ]:
        answer = _verify_presentation(client, presentation, nonce=nonce, audience=audience)
        assert (answer["verified"], answer["verdict"]) == (False, "invalid")
        assert answer["holder"] is None
        assert answer["credentialResults"] == []
        [problem] = answer["problemDetails"]
        assert problem["type"] == "/problems/challenge-mismatch", reason
    # Made for this request by someone without the holder's key.
    thief = IssuerKey.generate()
    stolen = wallet_present(issued, thief, clock)
    answer = _verify_presentation(client, stolen)
    assert answer["verdict"] == "invalid"
    assert answer["problemDetails"][0]["type"] == "/problems/holder-mismatch"
    # The issued SD-JWT VC itself, with no key binding, answers no nonce.
    answer = _verify_presentation(client, issued)
    assert answer["verdict"] == "invalid"
    assert answer["problemDetails"][0]["type"] == "/problems/challenge-mismatch"
    # An old presentation: its KB-JWT is older than the verifier accepts.
    clock.advance(minutes=10)
    late = _verify_presentation(client, presentation)
    assert late["verdict"] == "invalid"
    assert late["problemDetails"][0]["type"] == "/problems/presentation-expired"


@pytest.fixture
def plain_http(
    tmp_path: Path,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Iterator[tuple[BackOffice, TestClient]]:
    """A body served over plain HTTP (as the demo is): its SD-JWT VCs say ``http://``."""
    settings = Settings(
        data_dir=tmp_path,
        base_url="http://127.0.0.1:8000",
        body_name="Example Welding Certification Body",
        key_passphrase=PASSPHRASE,
    )
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
        yield (
            enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy)),
            client,
        )


def test_a_body_on_plain_http_is_its_own_issuer_for_wallets(
    plain_http: tuple[BackOffice, TestClient], clock: FrozenClock
) -> None:
    office, client = plain_http
    _, issued, holder = wallet_credential(office, client)
    # SD-JWT VC §4: the metadata's issuer is the iss, scheme and all; did:web says https.
    assert client.get("/.well-known/jwt-vc-issuer").json()["issuer"] == "http://127.0.0.1:8000"
    answer = _verify_presentation(client, wallet_present(issued, holder, clock))
    assert answer["verdict"] == "valid", answer["credentialResults"]
    assert answer["credentialResults"][0]["issuer"] == "http://127.0.0.1:8000"
    assert _verify_credential(client, issued)["verdict"] == "valid"


def test_the_registry_hands_over_only_the_token_lists_it_serves(
    public: tuple[BackOffice, TestClient], registry_store: RegistryStore, clock: FrozenClock
) -> None:
    office, client = public
    _, issued, _ = wallet_credential(office, client)
    uri = _claims(issued)["status"]["status_list"]["uri"]
    lists = RegistryTokenStatusLists(Registry(registry_store))
    fetched = lists.status_list_token(uri, now=clock())
    assert (fetched.url, fetched.max_age) == (uri, 0)  # read from the store on every check
    assert fetched.media_type == "application/statuslist+jwt"
    list_id = uri.rpartition("/")[2]
    for elsewhere in (
        uri.replace("certs.example.test", "elsewhere.example"),  # the list's sub names ours
        f"{uri}/",
        f"{uri.rpartition('/')[0]}/no-such-list",
        uri.replace("/statuslists/", "/status/"),
        list_id,
    ):
        with pytest.raises(StatusRetrievalError):
            lists.status_list_token(elsewhere, now=clock())


def _claims(issued: str) -> dict[str, Any]:
    payload = sd_jwt.split(issued).issuer_jwt.split(".")[1]
    loaded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return loaded
