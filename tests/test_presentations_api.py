"""``POST /presentations/verify`` and the employers' page ``/presentations`` on the registry,
with presentations built around credentials the back office issued.

The registry verifies the credentials inside against its own stored keys and status lists,
as it does for ``POST /credentials/verify``; the holder's key is a ``did:jwk``. A
presentation that does not verify is a ``200`` answer saying so; only a request that cannot
be started on is a typed 4xx problem (or, for the page, a page saying what to do).
"""

# ruff: noqa: F811 - the world fixture is imported from test_vc_api and named by the tests
from __future__ import annotations

import json
from typing import Any

import pytest

from tests.backoffice import member
from tests.test_sd_jwt_vc import _issue
from tests.test_sd_jwt_vc_presented import wallet_present
from tests.test_vc_api import World, world  # noqa: F401 - the fixture
from tests.verifier.tokens import Holder, IssuerKey
from verifier.did_jwk import did_jwk_for

NONCE = "7f3c9a1e-employer-request"
AUDIENCE = "https://hr.employer.example"
OPTIONS = {"challenge": NONCE, "domain": AUDIENCE}


def present(world: World, holder: Holder, *tokens: str, **overrides: Any) -> str:
    now = int(world.clock().timestamp())
    claims: dict[str, Any] = {"nonce": NONCE, "aud": AUDIENCE, "iat": now - 30, "exp": now + 600}
    return holder.present(*tokens, **(claims | overrides))


def post(world: World, presentation: object, options: object = OPTIONS) -> Any:
    return world.verify.post(
        "/presentations/verify",
        json={"verifiablePresentation": presentation, "options": options},
    )


def _problem(response: Any, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == f"/problems/{kind}"


def test_a_presentation_of_an_issued_credential_verifies(world: World) -> None:
    number, token = world.issue()
    holder = Holder()
    presentation = present(world, holder, token)
    envelope = {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "EnvelopedVerifiablePresentation",
        "id": f"data:application/vp+jwt,{presentation}",
    }
    for form in (presentation, envelope):
        response = post(world, form)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        result = response.json()
        assert result["verified"] is True
        assert result["verdict"] == "valid"
        assert result["holder"] == holder.did
        assert (result["challenge"], result["domain"]) == (NONCE, AUDIENCE)
        [credential] = result["credentialResults"]
        assert credential["verdict"] == "valid"
        assert credential["holderBinding"] == "unbound"
        subject = credential["credential"]["credentialSubject"]
        assert subject["certification"]["certificateNumber"] == number


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({"nonce": "an-old-nonce"}, "/problems/challenge-mismatch"),
        ({"aud": "https://someone-else.example"}, "/problems/challenge-mismatch"),
        ({"nonce": None}, "/problems/challenge-mismatch"),
        ({"exp": 1}, "/problems/presentation-expired"),
    ],
)
def test_a_presentation_for_another_request_is_refused(
    world: World, overrides: dict[str, Any], kind: str
) -> None:
    _, token = world.issue()
    result = post(world, present(world, Holder(), token, **overrides)).json()
    assert result["verified"] is False
    assert result["verdict"] == "invalid"
    assert [p["type"] for p in result["problemDetails"]] == [kind]
    assert result["credentialResults"] == []


def test_a_suspended_credential_is_answered_suspended(world: World) -> None:
    number, token = world.issue()
    world.office.ok(
        "POST",
        f"/certifications/{number}/suspend",
        member(world.office, "decider"),
        {"reason": "surveillance overdue"},
    )
    world.publish()
    result = post(world, present(world, Holder(), token)).json()
    assert result["verdict"] == "suspended"
    assert result["credentialResults"][0]["problemDetails"][0]["type"] == "/problems/suspended"
    assert "surveillance overdue" not in json.dumps(result)


def test_a_tampered_credential_is_not_valid(world: World) -> None:
    _, token = world.issue()
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-4]}AAAA"
    result = post(world, present(world, Holder(), tampered)).json()
    assert result["verdict"] == "invalid"
    [credential] = result["credentialResults"]
    assert credential["credential"] is None
    assert credential["holderBinding"] == "unknown"


def test_request_problems(world: World) -> None:
    _, token = world.issue()
    good = present(world, Holder(), token)
    send = world.verify.post
    json_type = {"content-type": "application/json"}
    _problem(
        send("/presentations/verify", content=b"{not json", headers=json_type),
        400,
        "malformed-request",
    )
    _problem(
        send("/presentations/verify", content=b"\xff", headers=json_type), 400, "malformed-request"
    )
    _problem(
        send("/presentations/verify", content=b"x", headers={"content-type": "text/plain"}),
        415,
        "unsupported-media-type",
    )
    big = b'{"verifiablePresentation": "' + b"A" * (2 * 1024 * 1024) + b'"}'
    _problem(
        send("/presentations/verify", content=big, headers=json_type), 413, "payload-too-large"
    )
    _problem(post(world, good, options={}), 422, "validation-failed")
    _problem(post(world, good, options={"challenge": NONCE}), 422, "validation-failed")
    _problem(post(world, good, options={"challenge": NONCE, "domain": 7}), 422, "validation-failed")
    _problem(post(world, good, options=None), 422, "validation-failed")
    _problem(send("/presentations/verify", json={"options": OPTIONS}), 422, "validation-failed")
    _problem(send("/presentations/verify", json=[1]), 422, "validation-failed")
    _problem(
        send("/presentations/verify", json={"verifiablePresentation": good, "x": 1}),
        422,
        "validation-failed",
    )
    _problem(post(world, 42), 422, "validation-failed")
    _problem(post(world, "data:application/vp+cose,abc"), 422, "unsupported-presentation-format")
    # An SD-JWT presentation is read (format dc+sd-jwt); a broken one is a result, not a 422.
    sd_jwt = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImRjK3NkLWp3dCJ9.e30.c2ln~WyJzIiwibiIsInYiXQ~eyJ.e30.c2ln"
    for form in (sd_jwt, f"data:application/dc+sd-jwt,{sd_jwt}"):
        broken = post(world, form)
        assert broken.status_code == 200, broken.text
        assert (broken.json()["format"], broken.json()["verdict"]) == ("dc+sd-jwt", "invalid")
    assert world.verify.get("/problems/unsupported-presentation-format").status_code == 200
    assert world.verify.get("/problems/challenge-mismatch").json()["status"] == "200"


def test_garbage_and_unsecured_presentations_are_results(world: World) -> None:
    for garbage in ("garbage", "a.b.c", ""):
        result = post(world, garbage).json()
        assert result["verified"] is False
        assert result["verdict"] == "invalid"
    unsecured = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "VerifiablePresentation",
    }
    result = post(world, unsecured).json()
    assert result["problemDetails"][0]["type"].endswith("CRYPTOGRAPHIC_SECURITY_ERROR")


def test_too_many_credentials(world: World) -> None:
    _, token = world.issue()
    result = post(world, present(world, Holder(), *[token] * 11)).json()
    assert result["verdict"] == "invalid"
    assert "more than 10" in result["problemDetails"][0]["detail"]


# -- the page for employers ------------------------------------------------------------------


def test_the_page_verifies_a_pasted_presentation(world: World) -> None:
    number, token = world.issue()
    form = world.verify.get("/presentations")
    assert form.status_code == 200
    assert form.headers["content-security-policy"].startswith("default-src 'none'")
    assert 'name="nonce"' in form.text
    assert 'href="/presentations"' in world.verify.get("/").text
    presentation = present(world, Holder(), token)
    fields = {"presentation": presentation, "nonce": NONCE, "audience": AUDIENCE}
    page = world.verify.post("/presentations", data=fields)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert 'data-standing="valid"' in page.text
    assert number in page.text
    wrong = world.verify.post("/presentations", data=fields | {"nonce": "not-mine"})
    assert 'data-standing="not-valid"' in wrong.text
    assert "its nonce is not the one you typed" in wrong.text
    uploaded = world.verify.post(
        "/presentations",
        data={"nonce": NONCE, "audience": AUDIENCE},
        files={"file": ("presentation.jwt", presentation.encode(), "application/octet-stream")},
    )
    assert 'data-standing="valid"' in uploaded.text


def test_the_page_says_what_is_missing(world: World) -> None:
    html = {"accept": "text/html"}
    post = world.verify.post
    page = post("/presentations", data={"nonce": NONCE, "audience": AUDIENCE}, headers=html)
    assert page.status_code == 422
    assert "Paste the presentation" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    page = post("/presentations", data={"presentation": "x", "audience": AUDIENCE}, headers=html)
    assert page.status_code == 422
    assert "Type the nonce" in page.text
    fields = {"presentation": "data:application/vp+cose,abc", "nonce": "n", "audience": "a"}
    page = post("/presentations", data=fields, headers=html)
    assert page.status_code == 422
    assert "This kind of presentation is not accepted here" in page.text
    _problem(post("/presentations", data=fields), 422, "unsupported-presentation-format")
    json_body = {"content-type": "application/json"}
    _problem(
        post("/presentations", content=b"{}", headers=json_body), 415, "unsupported-media-type"
    )
    assert post("/presentations", content=b"{}", headers=json_body | html).status_code == 415
    garbage = post("/presentations", data=fields | {"presentation": "<script>x</script>"})
    assert garbage.status_code == 200
    assert 'data-standing="not-valid"' in garbage.text
    assert "<script>x" not in garbage.text


def test_the_page_shows_what_a_wallet_disclosed_and_what_it_kept_back(world: World) -> None:
    number, _ = world.issue()
    holder = IssuerKey.generate()
    public_jwk = {k: v for k, v in holder.jwk.items() if k not in ("kid", "alg")}
    issued = _issue(world.office, number, public_jwk)
    world.publish()
    presentation = wallet_present(issued, holder, world.clock, nonce=NONCE, audience=AUDIENCE)
    fields = {"presentation": presentation, "nonce": NONCE, "audience": AUDIENCE}
    page = world.verify.post("/presentations", data=fields)
    assert page.status_code == 200, page.text
    assert 'data-standing="valid"' in page.text
    assert "Credential 1: Valid, Ana Moreau" in page.text
    shown = page.text.split('id="shown-1">')[1].split("</dl>")[0]
    for words in ("Given name", "Ana", "Family name", "Moreau", "Scheme", "Valid from"):
        assert words in shown
    assert "Valid until" in shown
    assert number not in page.text  # the certificate number was kept back
    kept = page.text.split('id="kept-back-1">')[1].split("</p>")[0]
    assert "certificate number, certification body, scope." in kept
    order = [shown.index(w) for w in ("Given name", "Family name", "Scheme", "Valid from")]
    assert order == sorted(order)
    assert did_jwk_for(holder.jwk)[:120] in page.text  # presented by the cnf key
    assert "The credentials were issued to that key." in page.text
    wrong = world.verify.post("/presentations", data=fields | {"audience": "https://else.example"})
    assert 'data-standing="not-valid"' in wrong.text
    assert "its audience is not the one you typed" in wrong.text
    world.office.ok(
        "POST",
        f"/certifications/{number}/suspend",
        member(world.office, "decider"),
        {"reason": "x"},
    )
    world.publish()
    suspended = world.verify.post("/presentations", data=fields)
    assert 'data-standing="suspended"' in suspended.text
    assert "Given name" in suspended.text
