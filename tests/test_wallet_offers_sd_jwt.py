"""The SD-JWT VC configuration of OpenID4VCI (``dc+sd-jwt``), over HTTP on both engines: its
metadata beside the W3C one, offers for either made by a registrar (an optional body names
the configuration) or by the holder on their page (a choice of wallet), the SD-JWT VC a
wallet receives — bound through ``cnf.jwk`` to the key its proof names, verified by
certreg's verifier with the keys of ``/.well-known/jwt-vc-issuer``, its status following a
suspension — and the access token of one configuration fetching nothing of the other."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import jwt
import pytest
from fastapi.testclient import TestClient

from issuer.settings import Settings
from schemas import sd_jwt
from tests.app_client import through_the_app
from tests.backoffice import member
from tests.conftest import START
from tests.test_holders import browser, csrf_of, signed_in, staff_link
from tests.test_registry_e2e import public
from tests.test_wallet_offers import (
    BASE,
    CONFIGURATION,
    VECTORS,
    Holder,
    Wallet,
    _b64,
    _part,
    access_token,
    nonce,
    oauth_error,
    offer_path,
    snapshot,
    staff_offer,
    wallet,
)
from verifier.errors import Verdict
from verifier.fetch import HttpFetcher
from verifier.policy import TrustPolicy
from verifier.sd_jwt_vc import SdJwtVcResult, http_sd_jwt_verifier

__all__ = ["public", "wallet"]

SD_JWT = "CertificationCredential_dc_sd_jwt"
VCT = f"{BASE}/vct/certification/v1"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As in tests/test_wallet_offers.py: no rate limit on the wallet endpoints."""
    return settings.model_copy(update={"oid4vci_per_minute": 0})


def offer_for(office: Any, number: str, configuration: str) -> dict[str, Any]:
    made: dict[str, Any] = office.ok(
        "POST",
        f"/certifications/{number}/credential-offers",
        member(office, "registrar"),
        {"credential_configuration_id": configuration},
    )
    assert made["credential_configuration_id"] == configuration
    return made


def ask(client: TestClient, token: str, configuration: str, proof: str) -> Any:
    return client.post(
        "/oid4vci/credential",
        json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {token}"},
    )


def verified(client: TestClient, credential: str) -> SdJwtVcResult:
    """certreg's SD-JWT VC verifier, trusting the body, fetching its issuer metadata
    (``/.well-known/jwt-vc-issuer``) and Token Status List from the app itself."""

    policy = TrustPolicy.trusting(BASE)
    with through_the_app(client, BASE) as http:
        verifier = http_sd_jwt_verifier(policy, fetcher=HttpFetcher(policy, client=http))
        return verifier.check(credential, now=START)


# ── metadata ───────────────────────────────────────────────────────────────────────────
def test_the_metadata_describes_the_sd_jwt_vc_as_appendix_a3_does(wallet: Wallet) -> None:
    _, client, _ = wallet
    issuer = client.get("/.well-known/openid-credential-issuer").json()
    table = issuer["credential_configurations_supported"]
    assert set(table) == {CONFIGURATION, SD_JWT}
    config = table[SD_JWT]
    assert config["format"] == "dc+sd-jwt"
    assert config["vct"] == VCT
    assert config["cryptographic_binding_methods_supported"] == ["jwk"]
    assert config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "ES256",
        "EdDSA",
    ]
    assert set(config["credential_signing_alg_values_supported"]) == {"ES256", "EdDSA"}
    # Every member of the specification's own dc+sd-jwt example but key attestations.
    for name in (
        "credential_metadata_sd_jwt_vc.json",
        "credential_issuer_metadata_sd_jwt_long.json",
    ):
        vector = json.loads((VECTORS / name).read_text())
        [example] = vector["credential_configurations_supported"].values()
        assert set(example) <= set(config), name
        assert set(example["credential_metadata"]) <= set(config["credential_metadata"])
    metadata = config["credential_metadata"]
    assert {d["locale"] for d in metadata["display"]} == {"en", "de", "fr", "es"}
    paths = [tuple(c["path"]) for c in metadata["claims"]]
    assert len(paths) == len(set(paths))
    for claim in metadata["claims"]:
        names = {d["locale"]: d["name"] for d in claim["display"]}
        assert set(names) == {"en", "de", "fr", "es"}, claim
        assert all(names.values()), claim
    first_steps = {path[0] for path in paths}
    assert first_steps == {
        "given_name",
        "family_name",
        "certificate_number",
        "scheme",
        "scope",
        "valid_from",
        "valid_until",
        "certification_body",
    }


# ── the whole flow ─────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_a_registrar_offer_gives_a_wallet_a_bound_sd_jwt_vc_that_follows_its_status(
    wallet: Wallet, alg: str
) -> None:
    office, client, number = wallet
    made = offer_for(office, number, SD_JWT)
    offer = client.get(offer_path(made["deep_link"])).json()
    assert offer["credential_configuration_ids"] == [SD_JWT]
    holder = Holder(alg)
    answer = ask(client, access_token(client, made), SD_JWT, holder.proof(nonce(client)))
    assert answer.status_code == 200, answer.text
    [issued] = answer.json()["credentials"]
    credential = issued["credential"]
    assert credential.endswith("~")
    header, payload = _part(credential.split("~")[0], 0), _part(credential.split("~")[0], 1)
    assert header["typ"] == "dc+sd-jwt"
    assert payload["cnf"] == {"jwk": holder.jwk}
    assert payload["vct"] == VCT
    client.app.state.drain()  # type: ignore[attr-defined]  # its Token Status List

    result = verified(client, credential)
    assert result.verdict is Verdict.VALID, result.error
    assert result.claims is not None
    assert result.claims["certificate_number"] == number
    assert result.claims["cnf"]["jwk"] == holder.jwk
    # Each claim the metadata describes is one the credential carries.
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    for claim in metadata["credential_configurations_supported"][SD_JWT]["credential_metadata"][
        "claims"
    ]:
        node: Any = result.claims
        for step in claim["path"]:
            node = node[0] if step is None else node[step]
        assert node not in (None, "", []), claim

    with office.store.reading() as tx:
        entries = tx.audit_entries(limit=100_000)
    [audited] = [e for e in entries if e.action == "credential.sd-jwt-vc-issued"]
    assert audited.actor == "system:wallet-issuance"
    assert "credential.exported" not in {e.action for e in entries}

    decider = member(office, "decider")
    office.ok("POST", f"/certifications/{number}/suspend", decider, {"reason": "audit overdue"})
    client.app.state.drain()  # type: ignore[attr-defined]
    assert verified(client, credential).verdict is Verdict.SUSPENDED


def test_a_did_jwk_kid_becomes_the_cnf_jwk(wallet: Wallet) -> None:
    office, client, number = wallet
    holder = Holder()
    did = "did:jwk:" + _b64(json.dumps(holder.jwk).encode())
    proof = jwt.encode(
        {"aud": BASE, "iat": int(START.timestamp()), "nonce": nonce(client)},
        holder.key,
        algorithm="ES256",
        headers={"typ": "openid4vci-proof+jwt", "kid": f"{did}#0"},
    )
    answer = ask(client, access_token(client, offer_for(office, number, SD_JWT)), SD_JWT, proof)
    assert answer.status_code == 200, answer.text
    issuer_jwt = sd_jwt.split(answer.json()["credentials"][0]["credential"]).issuer_jwt
    assert _part(issuer_jwt, 1)["cnf"] == {"jwk": holder.jwk}


@pytest.mark.parametrize(("offered", "asked"), [(SD_JWT, CONFIGURATION), (CONFIGURATION, SD_JWT)])
def test_an_access_token_fetches_only_the_configuration_offered(
    wallet: Wallet, offered: str, asked: str
) -> None:
    office, client, number = wallet
    token = access_token(client, offer_for(office, number, offered))
    holder = Holder()
    good_nonce = nonce(client)
    before = snapshot(office.store)
    oauth_error(ask(client, token, asked, holder.proof(good_nonce)), "invalid_credential_request")
    assert snapshot(office.store) == before
    answer = ask(client, token, offered, holder.proof(good_nonce))
    assert answer.status_code == 200, answer.text
    credential = answer.json()["credentials"][0]["credential"]
    assert ("~" in credential) is (offered == SD_JWT)


def test_without_a_body_a_staff_offer_is_for_the_w3c_credential(wallet: Wallet) -> None:
    office, client, number = wallet
    made = staff_offer(office, number)
    assert made["credential_configuration_id"] == CONFIGURATION
    assert client.get(offer_path(made["deep_link"])).json()["credential_configuration_ids"] == [
        CONFIGURATION
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"credential_configuration_id": "NoSuchThing"}, "unknown-credential-configuration"),
        ({"credential_configuration_id": "x" * 101}, "validation-failed"),
        ({"credential_configuration_id": ""}, "validation-failed"),
        ({"credential_configuration_id": 7}, "validation-failed"),
        ({"configuration": SD_JWT}, "validation-failed"),
        ([SD_JWT], "validation-failed"),
    ],
)
def test_a_staff_offer_for_no_such_configuration_is_a_typed_422(
    wallet: Wallet, body: Any, problem: str
) -> None:
    office, _, number = wallet
    before = snapshot(office.store)
    answer = office.call(
        "POST", f"/certifications/{number}/credential-offers", member(office, "registrar"), body
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"] == f"/problems/{problem}"
    assert snapshot(office.store) == before


# ── the holder's choice ────────────────────────────────────────────────────────────────
def _holder_page(wallet: Wallet, lang: str | None = None) -> tuple[TestClient, str, str]:
    office, client, number = wallet
    with office.store.reading() as tx:
        certification = tx.get_certification_by_number(number)
    assert certification is not None
    page_client = browser(client)
    signed_in(page_client, staff_link(office, certification.person_id))
    query = "" if lang is None else f"?lang={lang}"
    page = page_client.get(f"/holder/certifications/{number}{query}")
    assert page.status_code == 200, page.text
    return page_client, page.text, number


@pytest.mark.parametrize(
    ("choice", "words"),
    [
        (SD_JWT, "An EU digital identity wallet, or another wallet for SD-JWT credentials"),
        (CONFIGURATION, "A wallet for W3C verifiable credentials"),
    ],
)
def test_the_holder_chooses_the_kind_of_wallet_and_the_offer_names_it(
    wallet: Wallet, choice: str, words: str
) -> None:
    page_client, page, number = _holder_page(wallet)
    offered = re.findall(r'<input type="radio" name="configuration" value="([^"]+)"', page)
    assert offered == [SD_JWT, CONFIGURATION]
    assert "Which kind of wallet do you use?" in page
    assert f'action="/holder/certifications/{number}/wallet-offer"' in page
    shown = page_client.post(
        f"/holder/certifications/{number}/wallet-offer",
        data={"csrf": csrf_of(page), "configuration": choice},
    )
    assert shown.status_code == 200, shown.text
    assert words in shown.text
    [link] = re.findall(r'href="(openid-credential-offer://[^"]+)"', shown.text)
    made = {"deep_link": unquote(link.replace("&amp;", "&"))}
    offer = page_client.get(offer_path(made["deep_link"])).json()
    assert offer["credential_configuration_ids"] == [choice]


def test_the_choice_is_in_the_holders_language_and_keeps_it(wallet: Wallet) -> None:
    page_client, page, number = _holder_page(wallet, "de")
    assert "Welche Art von Wallet verwenden Sie?" in page
    assert f'action="/holder/certifications/{number}/wallet-offer?lang=de"' in page
    shown = page_client.post(
        f"/holder/certifications/{number}/wallet-offer?lang=de",
        data={"csrf": csrf_of(page), "configuration": SD_JWT},
    )
    assert shown.status_code == 200, shown.text
    assert "Art der Wallet:" in shown.text
    assert "EUDI-Wallet" in shown.text


def test_a_kind_of_wallet_not_offered_is_refused_in_words(wallet: Wallet) -> None:
    office, _, _ = wallet
    page_client, page, number = _holder_page(wallet)
    before = snapshot(office.store)
    refused = page_client.post(
        f"/holder/certifications/{number}/wallet-offer",
        data={"csrf": csrf_of(page), "configuration": "NoSuchThing"},
    )
    assert refused.status_code == 422, refused.text
    assert "Choose a kind of wallet" in refused.text
    assert snapshot(office.store) == before
