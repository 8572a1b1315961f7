"""The SD-JWT codec against RFC 9901's own vectors and the Token Status List draft's SD-JWT."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas import sd_jwt
from schemas.sd_jwt import SdJwtError

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "sd-jwt"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text("utf-8"))


def _payload(jwt: str) -> dict[str, Any]:
    segment = jwt.split(".")[1]
    return dict(json.loads(sd_jwt._b64url_decode(segment)))


def test_official_disclosure_digests() -> None:
    for case in _load("disclosure_digest_vectors.json")["cases"]:
        disclosure = sd_jwt.decode_disclosure(case["disclosure"])
        name = [disclosure.name] if disclosure.name else []
        assert [disclosure.salt, *name, disclosure.value] == case["decoded"]
        assert disclosure.digest == case["sha256_digest_b64url"]


def test_official_embedding_examples() -> None:
    vectors = _load("disclosure_digest_vectors.json")
    cases = vectors["cases"]
    examples = vectors["embedding_examples"]
    assert sd_jwt.process(examples["object"], [cases[0]["disclosure"]]) == {
        "given_name": "Alice",
        "family_name": "Möbius",
    }
    assert sd_jwt.process(examples["array"], [cases[1]["disclosure"]]) == {
        "nationalities": ["DE", "FR", "US"]
    }
    assert (
        sd_jwt.process(examples["array"], []) == examples["array_without_disclosure_processes_to"]
    )


def test_status_list_draft_sd_jwt_processes_all_and_some() -> None:
    text = (VECTORS / "tsl_referenced_token_sd_jwt.txt").read_text("utf-8").strip()
    expected = _load("tsl_referenced_token_sd_jwt.expected.json")
    parsed = sd_jwt.split(text)
    assert parsed.key_binding_jwt is None
    assert len(parsed.disclosures) == expected["disclosure_count"]
    assert parsed.serialize() == text
    payload = _payload(parsed.issuer_jwt)
    assert (
        sd_jwt.process(payload, parsed.disclosures)
        == expected["expected_processed_payload_all_disclosed"]
    )
    address = [d for d in parsed.disclosures if sd_jwt.decode_disclosure(d).name == "address"]
    assert (
        sd_jwt.process(payload, address)
        == expected["expected_processed_payload_if_only_address_disclosure_sent"]
    )
    # A disclosure of a nested claim without its parent is named by no digest it can reach.
    street = [d for d in parsed.disclosures if sd_jwt.decode_disclosure(d).name == "street_address"]
    with pytest.raises(SdJwtError) as caught:
        sd_jwt.process(payload, street)
    assert caught.value.reason == "unreferenced-disclosure"


def test_round_trip_and_sd_hash() -> None:
    encoded = sd_jwt.encode_disclosure(b"\x01" * 16, "family_name", "Müller")
    payload = {"_sd": [sd_jwt.digest(encoded)], "_sd_alg": "sha-256", "iss": "x"}
    assert sd_jwt.process(payload, [encoded]) == {"iss": "x", "family_name": "Müller"}
    token = sd_jwt.SdJwt("a.b.c", (encoded,), None)
    assert token.serialize() == f"a.b.c~{encoded}~"
    assert token.sd_hash == sd_jwt.digest(f"a.b.c~{encoded}~")
    with_kb = sd_jwt.split(f"a.b.c~{encoded}~k.b.j")
    assert with_kb.key_binding_jwt == "k.b.j"
    assert with_kb.sd_hash == token.sd_hash


@pytest.mark.parametrize(
    ("payload", "disclosures", "reason"),
    [
        ({"_sd_alg": "sha-512"}, [], "unsupported-hash"),
        ({"_sd": "x"}, [], "malformed-payload"),
        ({"_sd": ["d", "d"]}, [], "duplicate-digest"),
    ],
)
def test_payloads_the_rfc_rejects(
    payload: dict[str, Any], disclosures: list[str], reason: str
) -> None:
    with pytest.raises(SdJwtError) as caught:
        sd_jwt.process(payload, disclosures)
    assert caught.value.reason == reason


def test_disclosures_the_rfc_rejects() -> None:
    name = sd_jwt.encode_disclosure(b"\x02" * 16, "given_name", "Ada")
    element = sd_jwt.encode_disclosure(b"\x03" * 16, None, "FR")
    cases: list[tuple[dict[str, Any], list[str], str]] = [
        ({"_sd": [sd_jwt.digest(name)]}, [name, name], "duplicate-disclosure"),
        ({"given_name": "Eve", "_sd": [sd_jwt.digest(name)]}, [name], "claim-conflict"),
        ({"_sd": [sd_jwt.digest(element)]}, [element], "misplaced-disclosure"),
        ({"a": [{"...": sd_jwt.digest(name)}]}, [name], "misplaced-disclosure"),
        ({}, [name], "unreferenced-disclosure"),
        ({}, ["%%%"], "malformed-disclosure"),
        ({}, [sd_jwt._b64url(b'["s","_sd",1]')], "malformed-disclosure"),
        ({}, [sd_jwt._b64url(b'{"a":1}')], "malformed-disclosure"),
    ]
    for payload, disclosures, reason in cases:
        with pytest.raises(SdJwtError) as caught:
            sd_jwt.process(payload, disclosures)
        assert caught.value.reason == reason, (payload, reason)


@pytest.mark.parametrize("text", ["a.b.c", "a.b~", "a.b.c~~x~", "a.b.c~d~notajwt"])
def test_shapes_that_are_not_sd_jwts(text: str) -> None:
    with pytest.raises(SdJwtError):
        sd_jwt.split(text)


def test_too_many_disclosures_refused_before_decoding() -> None:
    with pytest.raises(SdJwtError) as caught:
        sd_jwt.split("a.b.c~" + "x~" * 3, max_disclosures=2)
    assert caught.value.reason == "too-many-disclosures"


def test_short_salt_refused() -> None:
    with pytest.raises(ValueError, match="128 bits"):
        sd_jwt.encode_disclosure(b"\x00" * 8, "a", 1)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "WyJzI",  # one symbol too many in the last group: 4n + 1 characters are never base64
        "WyJzIiwiYSIsMV0=",  # padding
        "WyJzIiwi+SIsMV0",  # base64's own alphabet, not base64url's
        "WyJzIiwi/SIsMV0",
        "WyJzIiwi YSIsMV0",
        "WyJzIiwiYSIsMV0\n",
        "WyJzIiwiYSIsMVé",
    ],
)
def test_disclosures_that_are_not_base64url(encoded: str) -> None:
    with pytest.raises(SdJwtError) as caught:
        sd_jwt.decode_disclosure(encoded)
    assert caught.value.reason == "malformed-disclosure"
    assert str(caught.value) == "a disclosure is not base64url"


def _nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


def test_max_depth_refuses_claims_nested_past_it_and_keeps_those_at_it() -> None:
    """The claims object is level 1, so a top-level claim of 31 nested arrays reaches 32."""
    at_limit = sd_jwt.encode_disclosure(b"\x04" * 16, "deep", _nested(31))
    past_it = sd_jwt.encode_disclosure(b"\x05" * 16, "deep", _nested(32))
    for encoded, ok in ((at_limit, True), (past_it, False)):
        payload: dict[str, Any] = {"_sd": [sd_jwt.digest(encoded)]}
        assert sd_jwt.process(payload, [encoded]) == {
            "deep": sd_jwt.decode_disclosure(encoded).value
        }
        if ok:
            assert sd_jwt.process(payload, [encoded], max_depth=32)["deep"] == _nested(31)
            continue
        with pytest.raises(SdJwtError) as caught:
            sd_jwt.process(payload, [encoded], max_depth=32)
        assert caught.value.reason == "too-deep"
    # Objects count as arrays do, and an element disclosed in an array as well.
    element = sd_jwt.encode_disclosure(b"\x06" * 16, None, {"a": _nested(29)})
    payload = {"list": [{"...": sd_jwt.digest(element)}]}
    assert sd_jwt.process(payload, [element], max_depth=32)["list"][0] == {"a": _nested(29)}
    with pytest.raises(SdJwtError) as caught:
        sd_jwt.process(payload, [element], max_depth=31)
    assert caught.value.reason == "too-deep"


def test_in_clear_lists_the_members_signed_in_clear_parents_first() -> None:
    name = sd_jwt.encode_disclosure(b"\x07" * 16, "given_name", {"hidden": {"x": 1}})
    payload = {
        "iss": "x",
        "_sd_alg": "sha-256",
        "_sd": [sd_jwt.digest(name)],
        "cnf": {"jwk": {"kty": "EC"}, "_sd_alg": {"not": "shown"}},
        "scopes": [{"code": "A"}],
    }
    in_clear: list[sd_jwt.ClaimPath] = []
    disclosed: list[tuple[sd_jwt.ClaimPath, Any]] = []
    claims = sd_jwt.process(payload, [name], disclosed=disclosed, in_clear=in_clear)
    assert in_clear == [("iss",), ("cnf",), ("cnf", "jwk"), ("cnf", "jwk", "kty"), ("scopes",)]
    assert disclosed == [(("given_name",), {"hidden": {"x": 1}})]
    assert claims["cnf"]["_sd_alg"] == {"not": "shown"}  # only the top-level one is the RFC's
