"""Offering a certificate to a wallet (OpenID4VCI 1.0, pre-authorized code flow), over HTTP
on both engines: the metadata, an offer made by a registrar or by the holder on their own
page, the token, nonce and credential endpoints, the holder-bound copy checked by the
registry's verifier (suspension reaches it), and every refusal a wallet can meet — each
with the error code the specifications name, never a 500, and with nothing changed."""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text

from issuer.credentials.holder_binding import holder_did
from issuer.http.app import create_app
from issuer.settings import Settings
from issuer.store import Store
from tests.backoffice import BackOffice, grant, member
from tests.conftest import START, FrozenClock
from tests.test_holders import browser, csrf_of, signed_in, staff_link
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

BASE = "https://certs.example.test"
PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIGURATION = "CertificationCredential_jwt_vc_json"
Wallet = tuple[BackOffice, TestClient, str]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings without the wallet endpoints' rate limit (the clock is frozen, so
    its bucket never refills); :func:`test_the_wallet_endpoints_are_rate_limited` has it."""
    return settings.model_copy(update={"oid4vci_per_minute": 0})


@pytest.fixture
def wallet(public: tuple[BackOffice, TestClient]) -> Wallet:  # noqa: F811
    """The all-in-one app with one granted certification and its status lists published."""
    office, client = public
    decision = grant(office)
    client.app.state.drain()  # type: ignore[attr-defined]
    return office, client, decision["certification"]["certificate_number"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


class Holder:
    """A wallet's key and the proofs it signs."""

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        self.key: Any = (
            ec.generate_private_key(ec.SECP256R1())
            if alg == "ES256"
            else ed25519.Ed25519PrivateKey.generate()
        )
        public_jwk = json.loads(
            jwt.algorithms.get_default_algorithms()[alg].to_jwk(self.key.public_key())
        )
        members = ("kty", "crv", "x", "y") if alg == "ES256" else ("kty", "crv", "x")
        self.jwk = {m: public_jwk[m] for m in members}

    def proof(
        self,
        nonce: str,
        *,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
        key: Any = None,
        now: float | None = None,
    ) -> str:
        payload = {
            "aud": BASE,
            "iat": int(now if now is not None else START.timestamp()),
            "nonce": nonce,
        }
        payload.update(claims or {})
        headers = {"typ": "openid4vci-proof+jwt", "jwk": self.jwk}
        headers.update(header or {})
        return jwt.encode(payload, key or self.key, algorithm=self.alg, headers=headers)


def staff_offer(office: BackOffice, number: str) -> dict[str, Any]:
    made: dict[str, Any] = office.ok(
        "POST", f"/certifications/{number}/credential-offers", member(office, "registrar")
    )
    return made


def offer_path(deep_link: str) -> str:
    query = parse_qs(urlsplit(deep_link).query)
    return urlsplit(query["credential_offer_uri"][0]).path


def code_of(client: TestClient, made: dict[str, Any]) -> str:
    offer = client.get(offer_path(made["deep_link"]))
    assert offer.status_code == 200, offer.text
    code: str = offer.json()["grants"][PRE_AUTH]["pre-authorized_code"]
    return code


def token_request(client: TestClient, code: str, tx_code: str | None) -> Response:
    form = {"grant_type": PRE_AUTH, "pre-authorized_code": code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return client.post("/oid4vci/token", data=form)


def access_token(client: TestClient, made: dict[str, Any]) -> str:
    answer = token_request(client, code_of(client, made), made["tx_code"])
    assert answer.status_code == 200, answer.text
    value: str = answer.json()["access_token"]
    return value


def nonce(client: TestClient) -> str:
    answer = client.post("/oid4vci/nonce")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    value: str = answer.json()["c_nonce"]
    return value


def credential_request(client: TestClient, token: str, proof: Any, **extra: Any) -> Response:
    body = {"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": [proof]}, **extra}
    return client.post(
        "/oid4vci/credential", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def oauth_error(answer: Response, error: str, status: int = 400) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["error"] == error, answer.json()
    assert answer.json()["error_description"]


def snapshot(store: Store) -> list[Any]:
    """The wallet tables and the audit log's length: what a refusal must leave as it was."""
    with store.engine.connect() as conn:
        rows: list[Any] = []
        for table in ("credential_offers", "credential_offer_tokens", "proof_nonces"):
            rows += list(conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")))
        rows.append(conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())
    return rows


def verify(client: TestClient, credential: str) -> dict[str, Any]:
    answer = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


# ── metadata ───────────────────────────────────────────────────────────────────────────
def test_the_metadata_names_the_endpoints_and_the_configurations(wallet: Wallet) -> None:
    _, client, _ = wallet
    issuer = client.get("/.well-known/openid-credential-issuer").json()
    assert issuer["credential_issuer"] == BASE
    assert issuer["credential_endpoint"] == f"{BASE}/oid4vci/credential"
    assert issuer["nonce_endpoint"] == f"{BASE}/oid4vci/nonce"
    assert issuer["display"] == [{"name": "Example Welding Certification Body", "locale": "en"}]
    configurations = issuer["credential_configurations_supported"]
    assert set(configurations) == {CONFIGURATION, "CertificationCredential_dc_sd_jwt"}
    config = configurations[CONFIGURATION]
    assert config["format"] == "jwt_vc_json"
    assert config["credential_definition"]["type"] == [
        "VerifiableCredential",
        "CertificationCredential",
    ]
    assert config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "ES256",
        "EdDSA",
    ]
    # Every member the specification's own jwt_vc_json example has, we have too.
    vector = json.loads((VECTORS / "credential_metadata_jwt_vc_json.json").read_text())
    [example] = vector["credential_configurations_supported"].values()
    assert set(example) <= set(config)
    server = client.get("/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == BASE
    assert server["token_endpoint"] == f"{BASE}/oid4vci/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True
    assert server["grant_types_supported"] == [PRE_AUTH]


# ── the whole flow ─────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_a_registrar_offer_gives_a_wallet_a_bound_certificate_that_follows_its_status(
    wallet: Wallet, alg: str
) -> None:
    office, client, number = wallet
    made = staff_offer(office, number)
    assert made["credential_offer_uri"].startswith(f"{BASE}/oid4vci/offers/")
    assert made["deep_link"] == "openid-credential-offer://?credential_offer_uri=" + quote(
        made["credential_offer_uri"], safe=""
    )
    assert made["qr_svg"].startswith("<?xml")
    assert re.fullmatch(r"[0-9]{6}", made["tx_code"])
    offer = client.get(offer_path(made["deep_link"])).json()
    by_reference = json.loads((VECTORS / "credential_offer_multiple_credentials.json").read_text())
    assert set(offer) == set(by_reference)
    assert offer["credential_configuration_ids"] == [CONFIGURATION]
    assert offer["grants"][PRE_AUTH]["tx_code"]["length"] == 6
    assert offer["grants"][PRE_AUTH]["tx_code"]["input_mode"] == "numeric"

    token = token_request(client, offer["grants"][PRE_AUTH]["pre-authorized_code"], made["tx_code"])
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    assert token.json()["token_type"] == "Bearer"
    assert token.json()["expires_in"] == 300
    holder = Holder(alg)
    answer = credential_request(client, token.json()["access_token"], holder.proof(nonce(client)))
    assert answer.status_code == 200, answer.text
    [issued] = answer.json()["credentials"]
    credential = issued["credential"]
    payload = _part(credential, 1)
    assert _part(credential, 0)["typ"] == "vc+jwt"
    assert payload["credentialSubject"]["id"] == holder_did(holder.jwk)
    decoded = json.loads(base64.urlsafe_b64decode(payload["credentialSubject"]["id"][8:] + "=="))
    assert decoded == holder.jwk
    assert payload["credentialSubject"]["certification"]["certificateNumber"] == number
    assert payload["credentialSchema"]["id"] == f"{BASE}/schemas/certification-credential-v4.json"
    stored = _part(_certificate(office, number), 1)
    assert payload["credentialStatus"] == stored["credentialStatus"]
    assert (payload["validFrom"], payload["validUntil"]) == (
        stored["validFrom"],
        stored["validUntil"],
    )
    result = verify(client, credential)
    assert (result["verified"], result["verdict"]) == (True, "valid"), result

    decider = member(office, "decider")
    office.ok("POST", f"/certifications/{number}/suspend", decider, {"reason": "audit overdue"})
    client.app.state.drain()  # type: ignore[attr-defined]
    assert verify(client, credential)["verdict"] == "suspended"
    with office.store.reading() as tx:
        actions = [e.action for e in tx.audit_entries(limit=100_000)]
    assert {"credential-offer.made", "credential-offer.redeemed", "credential.exported"} <= set(
        actions
    )
    # No secret reaches the store: not the code, the tx_code's digest alone, nor the token.
    everything = "\n".join(map(repr, snapshot(office.store)))
    assert offer["grants"][PRE_AUTH]["pre-authorized_code"].split(".")[1] not in everything
    assert token.json()["access_token"].split(".")[1] not in everything


def _certificate(office: BackOffice, number: str) -> str:
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    [current] = [c for c in detail["credentials"] if c["superseded_by"] is None]
    return office.call("GET", f"/credentials/{current['id']}", member(office, "registrar")).text


def test_a_did_jwk_kid_binds_the_same_key(wallet: Wallet) -> None:
    office, client, number = wallet
    holder = Holder()
    did = "did:jwk:" + _b64(json.dumps(holder.jwk).encode())
    proof = jwt.encode(
        {"aud": BASE, "iat": int(START.timestamp()), "nonce": nonce(client)},
        holder.key,
        algorithm="ES256",
        headers={"typ": "openid4vci-proof+jwt", "kid": f"{did}#0"},
    )
    answer = credential_request(client, access_token(client, staff_offer(office, number)), proof)
    assert answer.status_code == 200, answer.text
    payload = _part(answer.json()["credentials"][0]["credential"], 1)
    assert payload["credentialSubject"]["id"] == holder_did(holder.jwk)


def test_the_holder_offers_their_own_certificate_from_their_page(wallet: Wallet) -> None:
    office, client, number = wallet
    with office.store.reading() as tx:
        certification = tx.get_certification_by_number(number)
    assert certification is not None
    person_id = certification.person_id
    page_client = browser(client)
    signed_in(page_client, staff_link(office, person_id))
    page = page_client.get(f"/holder/certifications/{number}")
    assert "Add to a wallet" in page.text
    refused = page_client.post(f"/holder/certifications/{number}/wallet-offer", data={})
    assert refused.status_code == 403
    shown = page_client.post(
        f"/holder/certifications/{number}/wallet-offer", data={"csrf": csrf_of(page.text)}
    )
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert "<svg" in shown.text
    assert "QR code to add the certificate to a wallet" in shown.text
    [link] = re.findall(r'href="(openid-credential-offer://[^"]+)"', shown.text)
    [tx_code] = re.findall(r"<strong>([0-9]{6})</strong>", shown.text)
    made = {"deep_link": unquote(link.replace("&amp;", "&")), "tx_code": tx_code}
    holder = Holder()
    answer = credential_request(client, access_token(client, made), holder.proof(nonce(client)))
    assert answer.status_code == 200, answer.text
    with office.store.reading() as tx:
        [made_entry] = [
            e for e in tx.audit_entries(limit=100_000) if e.action == "credential-offer.made"
        ]
    assert made_entry.actor == f"person:{person_id}"
    other = page_client.post(
        "/holder/certifications/NO-SUCH-NUMBER/wallet-offer", data={"csrf": csrf_of(page.text)}
    )
    assert other.status_code == 404


# ── refusals at the token endpoint ─────────────────────────────────────────────────────
def test_a_pre_authorized_code_works_once(wallet: Wallet) -> None:
    office, client, number = wallet
    made = staff_offer(office, number)
    code = code_of(client, made)
    assert token_request(client, code, made["tx_code"]).status_code == 200
    before = snapshot(office.store)
    oauth_error(token_request(client, code, made["tx_code"]), "invalid_grant")
    assert client.get(offer_path(made["deep_link"])).status_code == 404
    assert snapshot(office.store) == before


def test_two_token_requests_at_once_redeem_the_code_once(wallet: Wallet) -> None:
    office, client, number = wallet
    made = staff_offer(office, number)
    code = code_of(client, made)
    clients = [TestClient(client.app) for _ in range(2)]
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = token_request(clients[index], code, made["tx_code"])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200, 400], [a.text for a in answers]
    with office.store.reading() as tx:
        redeemed = [
            e for e in tx.audit_entries(limit=100_000) if e.action == "credential-offer.redeemed"
        ]
    assert len(redeemed) == 1


def test_wrong_transaction_codes_lock_the_offer(wallet: Wallet) -> None:
    office, client, number = wallet
    made = staff_offer(office, number)
    code = code_of(client, made)
    wrong = "000000" if made["tx_code"] != "000000" else "111111"
    for _ in range(5):
        oauth_error(token_request(client, code, wrong), "invalid_grant")
    oauth_error(token_request(client, code, made["tx_code"]), "invalid_grant")
    assert client.get(offer_path(made["deep_link"])).status_code == 404
    with office.store.reading() as tx:
        actions = [e.action for e in tx.audit_entries(limit=100_000)]
    assert actions.count("credential-offer.locked") == 1


def test_an_expired_offer_is_refused(wallet: Wallet, clock: FrozenClock) -> None:
    office, client, number = wallet
    made = staff_offer(office, number)
    code = code_of(client, made)
    clock.advance(minutes=11)
    before = snapshot(office.store)
    oauth_error(token_request(client, code, made["tx_code"]), "invalid_grant")
    assert client.get(offer_path(made["deep_link"])).status_code == 404
    assert snapshot(office.store) == before


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": PRE_AUTH}, "invalid_request"),
        ({"grant_type": PRE_AUTH, "pre-authorized_code": "{code}"}, "invalid_request"),
        ({"grant_type": PRE_AUTH, "pre-authorized_code": "nope", "tx_code": "1"}, "invalid_grant"),
        (
            {"grant_type": PRE_AUTH, "pre-authorized_code": "{code}x", "tx_code": "{tx}"},
            "invalid_grant",
        ),
        (
            {"grant_type": PRE_AUTH, "pre-authorized_code": "{code}", "tx_code": "é" * 30},
            "invalid_grant",
        ),
    ],
)
def test_malformed_token_requests_get_the_oauth_error(
    wallet: Wallet, form: dict[str, str], error: str
) -> None:
    office, client, number = wallet
    made = staff_offer(office, number)
    code = code_of(client, made)
    filled = {
        k: v.replace("{code}", code).replace("{tx}", made["tx_code"]) for k, v in form.items()
    }
    before = snapshot(office.store)
    oauth_error(client.post("/oid4vci/token", data=filled), error)
    if "é" not in filled.get("tx_code", ""):
        assert snapshot(office.store) == before
    oauth_error(
        client.post(
            "/oid4vci/token",
            content=b'{"grant_type": 1}',
            headers={"content-type": "application/json"},
        ),
        "invalid_request",
    )


# ── refusals at the credential endpoint ────────────────────────────────────────────────
def _bad_proofs(holder: Holder, good_nonce: str) -> list[tuple[str, Any, str]]:
    other = Holder()
    now = START.timestamp()
    unsigned = _b64(
        json.dumps({"alg": "none", "typ": "openid4vci-proof+jwt", "jwk": holder.jwk}).encode()
    )
    claims = _b64(json.dumps({"aud": BASE, "iat": int(now), "nonce": good_nonce}).encode())
    private_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(holder.key))
    return [
        ("wrong nonce", holder.proof("not-a-nonce-we-gave"), "invalid_nonce"),
        ("no nonce", holder.proof(good_nonce, claims={"nonce": None}), "invalid_nonce"),
        (
            "wrong aud",
            holder.proof(good_nonce, claims={"aud": "https://elsewhere.test"}),
            "invalid_proof",
        ),
        ("wrong typ", holder.proof(good_nonce, header={"typ": "JWT"}), "invalid_proof"),
        ("alg none", f"{unsigned}.{claims}.", "invalid_proof"),
        (
            "HS256",
            jwt.encode(
                {"aud": BASE, "iat": int(now), "nonce": good_nonce},
                "a-shared-secret-of-32-bytes-long!",
                algorithm="HS256",
                headers={"typ": "openid4vci-proof+jwt", "jwk": holder.jwk},
            ),
            "invalid_proof",
        ),
        ("jwk with d", holder.proof(good_nonce, header={"jwk": private_jwk}), "invalid_proof"),
        ("another key", holder.proof(good_nonce, key=other.key), "invalid_proof"),
        (
            "jwk and kid",
            holder.proof(
                good_nonce, header={"kid": "did:jwk:" + _b64(json.dumps(holder.jwk).encode())}
            ),
            "invalid_proof",
        ),
        ("x5c", holder.proof(good_nonce, header={"x5c": ["MIIB"]}), "invalid_proof"),
        (
            "kid not did:jwk",
            jwt.encode(
                {"aud": BASE, "iat": int(now), "nonce": good_nonce},
                holder.key,
                algorithm="ES256",
                headers={"typ": "openid4vci-proof+jwt", "kid": "key-1"},
            ),
            "invalid_proof",
        ),
        ("old iat", holder.proof(good_nonce, now=now - 3600), "invalid_proof"),
        ("future iat", holder.proof(good_nonce, now=now + 3600), "invalid_proof"),
        ("string iat", holder.proof(good_nonce, claims={"iat": "now"}), "invalid_proof"),
        ("huge", holder.proof(good_nonce, claims={"pad": "x" * 20_000}), "invalid_proof"),
        ("malformed", "not.a.jwt", "invalid_proof"),
        ("not a string", {"proof": 1}, "invalid_proof"),
    ]


def test_bad_proofs_are_refused_and_change_nothing(wallet: Wallet) -> None:
    """Each bad proof gets its error; none uses the nonce or the token: the good proof
    afterwards, with the same nonce and token, still receives the credential."""
    office, client, number = wallet
    token = access_token(client, staff_offer(office, number))
    holder = Holder()
    good_nonce = nonce(client)
    before = snapshot(office.store)
    for label, proof, error in _bad_proofs(holder, good_nonce):
        answer = credential_request(client, token, proof)
        assert answer.status_code == 400, (label, answer.text)
        assert answer.json()["error"] == error, (label, answer.json())
        assert snapshot(office.store) == before, label
    good = credential_request(client, token, holder.proof(good_nonce))
    assert good.status_code == 200, good.text
    # The nonce and the token worked once.
    oauth_error(credential_request(client, token, holder.proof(good_nonce)), "invalid_token", 401)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"credential_configuration_id": "NoSuchThing", "proofs": {"jwt": ["{proof}"]}},
            "unknown_credential_configuration",
        ),
        ({"proofs": {"jwt": ["{proof}"]}}, "invalid_credential_request"),
        ({"credential_configuration_id": CONFIGURATION}, "invalid_credential_request"),
        (
            {
                "credential_configuration_id": CONFIGURATION,
                "proof": {"proof_type": "jwt", "jwt": "{proof}"},
            },
            "invalid_credential_request",
        ),
        (
            {
                "credential_configuration_id": CONFIGURATION,
                "proofs": {"jwt": ["{proof}", "{proof}"]},
            },
            "invalid_credential_request",
        ),
        (
            {"credential_configuration_id": CONFIGURATION, "proofs": {"ldp_vp": ["{proof}"]}},
            "invalid_credential_request",
        ),
        (
            {"credential_identifier": "x", "proofs": {"jwt": ["{proof}"]}},
            "invalid_credential_request",
        ),
        ([1, 2], "invalid_credential_request"),
    ],
)
def test_malformed_credential_requests_are_refused(wallet: Wallet, body: Any, error: str) -> None:
    office, client, number = wallet
    token = access_token(client, staff_offer(office, number))
    proof = Holder().proof(nonce(client))
    filled = json.loads(json.dumps(body).replace("{proof}", proof))
    before = snapshot(office.store)
    answer = client.post(
        "/oid4vci/credential", json=filled, headers={"Authorization": f"Bearer {token}"}
    )
    oauth_error(answer, error)
    not_json = client.post(
        "/oid4vci/credential",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    oauth_error(not_json, "invalid_credential_request")
    assert snapshot(office.store) == before


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic abc", "Bearer {token}x"])
def test_a_missing_or_bad_access_token_is_401(wallet: Wallet, authorization: str | None) -> None:
    office, client, number = wallet
    token = access_token(client, staff_offer(office, number))
    headers = (
        {} if authorization is None else {"Authorization": authorization.replace("{token}", token)}
    )
    before = snapshot(office.store)
    answer = client.post(
        "/oid4vci/credential",
        json={"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": ["x"]}},
        headers=headers,
    )
    oauth_error(answer, "invalid_token", 401)
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert snapshot(office.store) == before


def test_an_expired_access_token_is_refused(wallet: Wallet, clock: FrozenClock) -> None:
    office, client, number = wallet
    token = access_token(client, staff_offer(office, number))
    clock.advance(seconds=301)
    holder = Holder()
    proof = holder.proof(nonce(client), now=clock().timestamp())
    before = snapshot(office.store)
    oauth_error(credential_request(client, token, proof), "invalid_token", 401)
    assert snapshot(office.store) == before


def test_a_withdrawn_certification_is_offered_no_more(wallet: Wallet) -> None:
    office, client, number = wallet
    made = staff_offer(office, number)
    token = access_token(client, made)
    decider = member(office, "decider")
    office.ok("POST", f"/certifications/{number}/withdraw", decider, {"reason": "misconduct"})
    proof = Holder().proof(nonce(client))
    before = snapshot(office.store)
    oauth_error(credential_request(client, token, proof), "credential_request_denied")
    refused = office.call(
        "POST", f"/certifications/{number}/credential-offers", member(office, "registrar")
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/certification-not-active"
    assert snapshot(office.store) == before


@pytest.mark.parametrize(
    ("who", "path", "status", "problem"),
    [
        ("registrar", "/certifications/NO-SUCH-1/credential-offers", 404, "not-found"),
        ("decider", "/certifications/{number}/credential-offers", 403, "wrong-role"),
        (None, "/certifications/{number}/credential-offers", 401, "unauthenticated"),
    ],
)
def test_the_registrar_route_refuses_as_the_api_does(
    wallet: Wallet, who: str | None, path: str, status: int, problem: str
) -> None:
    office, client, number = wallet
    url = f"/api/v1{path.replace('{number}', number)}"
    headers = {} if who is None else member(office, who).headers
    answer = client.post(url, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["type"] == f"/problems/{problem}"


VECTORS = (
    __import__("pathlib").Path(__file__).resolve().parents[1].parent
    / "shared"
    / "vectors"
    / "oid4vci-1.0"
)


def test_the_wallet_endpoints_are_rate_limited(
    settings: Settings, store: Store, clock: FrozenClock
) -> None:
    limited = settings.model_copy(update={"oid4vci_per_minute": 1, "oid4vci_burst": 2})
    with TestClient(create_app(limited, store=store, clock=clock)) as client:
        assert client.post("/oid4vci/nonce").status_code == 200
        assert client.post("/oid4vci/nonce").status_code == 200
        refused = client.post("/oid4vci/token", data={})
        assert refused.status_code == 429
        assert refused.json()["type"] == "/problems/rate-limited"
