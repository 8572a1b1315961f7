"""The SD-JWT VC certreg issues, checked by software nobody here wrote: @sd-jwt/sd-jwt-vc
(OpenWallet Foundation's TypeScript implementation, ``tests/js/sd_jwt_vc.mjs``) verifies it
with the issuer key from the registry's ``/.well-known/jwt-vc-issuer`` and the Token Status
List the registry serves, makes the holder's presentation of name, scheme and validity, and
verifies that too; certreg's registry and its HTTP verifier — which finds the keys and the
list on its own, over HTTP — read the same presentation and report the same claims."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.backoffice import BackOffice
from tests.conftest import FrozenClock
from tests.node import run_script
from tests.test_sd_jwt_vc import BASE, public
from tests.test_sd_jwt_vc_presented import AUDIENCE, NONCE, SHOWN, wallet_credential
from tests.verifier.tokens import IssuerKey, b64
from verifier.fetch import HttpFetcher
from verifier.policy import TrustPolicy
from verifier.sd_jwt_vc import SdJwtVcResult, http_sd_jwt_verifier

__all__ = ["public"]

MODULE = "@sd-jwt/sd-jwt-vc"
SCRIPT = "sd_jwt_vc.mjs"


def _private_jwk(key: IssuerKey) -> dict[str, Any]:
    private = key.private.private_numbers().private_value  # type: ignore[union-attr]
    public = {k: v for k, v in key.jwk.items() if k not in ("kid", "alg")}
    return public | {"d": b64(private.to_bytes(32, "big"))}


def _part(compact: str, index: int) -> dict[str, Any]:
    part = compact.split("~")[0].split(".")[index]
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def _issuer_key(client: TestClient, compact: str) -> dict[str, Any]:
    """The key a wallet's verifier finds: in the issuer metadata for ``iss``, by ``kid``."""
    metadata = client.get("/.well-known/jwt-vc-issuer").json()
    assert metadata["issuer"] == BASE == _part(compact, 1)["iss"]
    kid = _part(compact, 0)["kid"]
    [key] = [k for k in metadata["jwks"]["keys"] if k["kid"] == kid]
    return dict(key)


def _status_lists(client: TestClient, compact: str) -> dict[str, str]:
    """The Token Status List the credential names, as the registry serves it, by its URI
    (the script never fetches: it is handed what a wallet's verifier would fetch)."""
    uri = _part(compact, 1)["status"]["status_list"]["uri"]
    served = client.get(uri.removeprefix(BASE))
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/statuslist+jwt"
    return {uri: served.text}


def _library(request: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = run_script(MODULE, SCRIPT, request)
    return answer


def _over_http(client: TestClient) -> httpx.Client:
    """An HTTP client that reaches the registry in ``client`` for any https://host URL."""

    def handler(request: httpx.Request) -> httpx.Response:
        answer = client.get(request.url.raw_path.decode("ascii"), headers=dict(request.headers))
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return httpx.Client(transport=httpx.MockTransport(handler))


def _certreg_http_verifier(client: TestClient, text: str, clock: FrozenClock) -> SdJwtVcResult:
    policy = TrustPolicy.trusting(BASE)
    fetcher = HttpFetcher(policy, client=_over_http(client))
    return http_sd_jwt_verifier(policy, fetcher=fetcher).check_presentation(
        text, nonce=NONCE, audience=AUDIENCE, now=clock()
    )


def test_the_npm_library_verifies_what_certreg_issued_and_its_presentation(
    public: tuple[BackOffice, TestClient], clock: FrozenClock
) -> None:
    office, client = public
    _, issued, holder = wallet_credential(office, client)
    now = int(clock().timestamp())
    issuer_key = _issuer_key(client, issued)
    lists = _status_lists(client, issued)

    verified = _library(
        {
            "op": "verify",
            "credential": issued,
            "issuerPublicKey": issuer_key,
            "now": now,
            "statusLists": lists,
        }
    )
    assert verified["ok"], verified
    assert verified["header"]["typ"] == "dc+sd-jwt"
    claims = verified["claims"]
    assert (claims["iss"], claims["given_name"], claims["family_name"]) == (BASE, "Ana", "Moreau")
    assert sorted(s["code"] for s in claims["scope"]) == ["VT-PRESSURE", "VT-STEEL"]

    presented = _library(
        {
            "op": "present",
            "credential": issued,
            "presentationFrame": dict.fromkeys(SHOWN, True),
            "holderKey": _private_jwk(holder),
            "nonce": NONCE,
            "aud": AUDIENCE,
            "iat": now,
        }
    )
    presentation: str = presented["presentation"]
    checked = _library(
        {
            "op": "verify",
            "credential": presentation,
            "issuerPublicKey": issuer_key,
            "now": now,
            "nonce": NONCE,
            "audience": AUDIENCE,
            "statusLists": lists,
        }
    )
    assert checked["ok"], checked
    assert checked["kb"]["payload"]["nonce"] == NONCE
    library_claims = checked["claims"]

    answer = client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": presentation,
            "options": {"challenge": NONCE, "domain": AUDIENCE},
        },
    ).json()
    assert answer["verdict"] == "valid", answer
    [result] = answer["credentialResults"]
    assert {claim["path"][0] for claim in result["disclosedClaims"]} == set(SHOWN)
    # The same claims, read by both: the library's and the registry's, value for value.
    ours = result["credential"]
    assert set(SHOWN) <= set(library_claims)
    for name in SHOWN:
        assert library_claims[name] == ours[name], name
    assert "certificate_number" not in library_claims
    assert "certificate_number" not in ours
    assert library_claims["scope"] == ours["scope"] == []

    # certreg's verifier as any other verifier would run it: keys from the issuer metadata
    # and the list from /statuslists, fetched over HTTP.
    remote = _certreg_http_verifier(client, presentation, clock)
    assert remote.verified, remote.error
    assert {claim.path[0] for claim in remote.disclosed} == set(SHOWN)
    # The library refuses the presentation for another nonce, as certreg does.
    other = _library(
        {
            "op": "verify",
            "credential": presentation,
            "issuerPublicKey": issuer_key,
            "now": now,
            "nonce": "another",
            "audience": AUDIENCE,
            "statusLists": lists,
        }
    )
    assert not other["ok"]
