"""SD-JWT VC verification against official material.

* the Token Status List draft's SD-JWT (§6.2) and its example issuer key: signature and
  claims, and its status — idx 0 in the draft's 1-bit example list is INVALID, served here as
  a Status List Token signed with the draft's example key;
* the draft's own Status List Token (``status_list_token.jwt``) with its key;
* sd-jwt-python's declarative cases (``!sd`` marks what may be disclosed; the holder picks;
  the verified claims are given), each built here as an SD-JWT VC and verified end to end.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs pinned; the loader is typed here

from schemas import sd_jwt
from schemas import token_status_list as tsl
from tests.verifier.sd_jwt_tokens import Salts, kb_jwt
from tests.verifier.tokens import IssuerKey, compact
from verifier import jws
from verifier.errors import ParsingError, Revoked
from verifier.fetch import Fetched
from verifier.keys import StaticKeys, issuer_keys_from_jwks
from verifier.policy import TrustPolicy
from verifier.replay import SeenLists
from verifier.sd_jwt_vc import SdJwtVcVerifier, disclose, issuer_signature, read_sd_jwt
from verifier.token_status import (
    StaticTokenStatusLists,
    StatusReference,
    TokenStatusChecker,
    status_reference,
    verify_status_list_token,
)

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
SD = VECTORS / "sd-jwt"
TSL = VECTORS / "ietf-token-status-list"
CASES = SD / "sd-jwt-python-testcases"
NOT_APPLICABLE = {
    "json_serialization_flattened": "the JSON serialization: certreg reads the compact form only",
    "json_serialization_general": "the JSON serialization: certreg reads the compact form only",
    "header_mod": "an integer kid: refused (RFC 7515 §4.5, a kid is a string); tested below",
}
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _public(jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k != "d"}


def _signer(jwk: dict[str, Any], kid: str) -> IssuerKey:
    """An :class:`IssuerKey` for a published example private JWK."""
    from cryptography.hazmat.primitives.asymmetric import ec

    numbers = ec.EllipticCurvePrivateNumbers(
        int.from_bytes(jws.b64url_decode(jwk["d"]), "big"),
        ec.EllipticCurvePublicNumbers(
            int.from_bytes(jws.b64url_decode(jwk["x"]), "big"),
            int.from_bytes(jws.b64url_decode(jwk["y"]), "big"),
            ec.SECP256R1(),
        ),
    )
    public = _public(jwk) | {"kid": kid, "alg": "ES256"}
    return IssuerKey(private=numbers.private_key(), alg="ES256", jwk=public)


# --- the Token Status List draft's SD-JWT and lists -------------------------------------------


def test_the_drafts_sd_jwt_verifies_with_its_issuer_key_and_gives_its_claims() -> None:
    text = (SD / "tsl_referenced_token_sd_jwt.txt").read_text().strip()
    expected = _json(SD / "tsl_referenced_token_sd_jwt.expected.json")
    policy = TrustPolicy.trusting("https://example.com/issuer")
    parts, parsed = read_sd_jwt(text, policy)
    assert parsed.header == expected["header"]  # typ example+sd-jwt, no kid
    jwks = {"keys": [_public(_json(SD / "sd_jwt_example_issuer_key_jwk.json")) | {"kid": "1"}]}
    keys = issuer_keys_from_jwks("https://example.com/issuer", jwks)
    issuer_signature(parsed, keys)  # no kid: the issuer's only key
    claims, disclosed = disclose(parsed.payload, parts.disclosures)
    assert claims == expected["expected_processed_payload_all_disclosed"]
    assert len(disclosed) == expected["disclosure_count"]
    assert ("address", "locality") in [c.path for c in disclosed]
    only_address = [d for d in parts.disclosures if sd_jwt.decode_disclosure(d).name == "address"]
    claims, _ = disclose(parsed.payload, tuple(only_address))
    assert claims == expected["expected_processed_payload_if_only_address_disclosure_sent"]
    assert status_reference(claims) == StatusReference(0, "https://example.com/statuslists/1")


def test_the_drafts_sd_jwt_is_invalid_in_the_drafts_1_bit_list() -> None:
    small = _json(TSL / "tsl_1bit_small.json")
    signing = _json(TSL / "example_signing_key_jwk.json")
    uri = "https://example.com/statuslists/1"
    token = compact(
        {"alg": "ES256", "kid": signing["kid"], "typ": "statuslist+jwt"},
        {
            "sub": uri,
            "iat": int(NOW.timestamp()) - 60,
            "exp": int(NOW.timestamp()) + 3600,
            "ttl": 43200,
            "status_list": small["status_list_json"],
        },
        _signer(signing, signing["kid"]),
    )
    policy = TrustPolicy.trusting("https://example.com/issuer")
    keys = issuer_keys_from_jwks("https://example.com/issuer", {"keys": [_public(signing)]})
    checker = TokenStatusChecker(
        StaticTokenStatusLists({uri: token}), policy=policy, seen_lists=SeenLists()
    )
    with pytest.raises(Revoked):
        checker.check(StatusReference(0, uri), issuer_keys=keys, now=NOW)
    for idx, value in enumerate(small["expected_statuses_by_index"]):
        if value == tsl.VALID:
            checker.check(StatusReference(idx, uri), issuer_keys=keys, now=NOW)


def test_the_drafts_status_list_token_verifies_with_its_key() -> None:
    token = (TSL / "status_list_token.jwt").read_text().strip()
    signing = _json(TSL / "example_signing_key_jwk.json")
    keys = issuer_keys_from_jwks("https://example.com", {"keys": [_public(signing)]})
    uri = "https://example.com/statuslists/1"
    fetched = Fetched(url=uri, body=token.encode(), media_type="", max_age=None)
    verified = verify_status_list_token(
        fetched, uri=uri, issuer_keys=keys, policy=TrustPolicy.trusting(), now=NOW
    )
    assert verified.ttl_seconds == 43200
    assert verified.bits == 1
    assert verified.issued_at == datetime.fromtimestamp(1686920170, UTC)
    assert verified.expires_at == datetime.fromtimestamp(2291720170, UTC)
    expected = _json(TSL / "tsl_1bit_small.json")["expected_statuses_by_index"]
    assert [verified.value(i) for i in range(len(expected))] == expected


# --- sd-jwt-python's declarative cases ----------------------------------------------------------


class _Sd:
    """A YAML ``!sd`` mark: the value (or key) may be selectively disclosed."""

    def __init__(self, value: Any) -> None:
        self.value = value


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    pass


def _construct_sd(loader: Any, node: Any) -> _Sd:
    if isinstance(node, yaml.MappingNode):
        return _Sd(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return _Sd(loader.construct_sequence(node, deep=True))
    assert isinstance(node, yaml.ScalarNode)
    if node.style:  # quoted: a string
        return _Sd(node.value)
    tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))
    return _Sd(loader.construct_object(yaml.ScalarNode(tag, node.value)))


_Loader.add_constructor("!sd", _construct_sd)


class _Issuer:
    """Turns sd-jwt-python's marked claims into a payload and disclosures (RFC 9901 §4.2)."""

    def __init__(self) -> None:
        self.salts = Salts()
        self.by_digest: dict[str, str] = {}

    def _disclose(self, name: str | None, value: Any) -> str:
        encoded = sd_jwt.encode_disclosure(self.salts(), name, value)
        digest = sd_jwt.digest(encoded)
        self.by_digest[digest] = encoded
        return digest

    def build(self, node: Any) -> Any:
        if isinstance(node, dict):
            result: dict[str, Any] = {}
            digests = []
            for key, value in node.items():
                if isinstance(key, _Sd):
                    digests.append(self._disclose(key.value, self.build(value)))
                else:
                    result[key] = self.build(value)
            if digests:
                result["_sd"] = sorted(digests)
            return result
        if isinstance(node, list):
            return [
                {"...": self._disclose(None, self.build(item.value))}
                if isinstance(item, _Sd)
                else self.build(item)
                for item in node
            ]
        return node


def _select(node: Any, wanted: Any, by_digest: dict[str, str], chosen: list[str]) -> None:
    """sd-jwt-python's holder: which disclosures a ``holder_disclosed_claims`` picks."""
    if isinstance(node, list):
        wanted = [] if wanted is True else wanted
        if not isinstance(wanted, list):
            return
        for position, element in enumerate(node):
            want = wanted[position] if position < len(wanted) else None
            if isinstance(element, dict) and set(element) == {"..."}:
                encoded = by_digest.get(element["..."])
                if encoded is None or want in (None, False):
                    continue
                chosen.append(encoded)
                _select(sd_jwt.decode_disclosure(encoded).value, want, by_digest, chosen)
            else:
                _select(element, want, by_digest, chosen)
    elif isinstance(node, dict):
        wanted = {} if wanted is True else wanted
        if not isinstance(wanted, dict):
            return
        for key, value in node.items():
            if key != "_sd":
                _select(value, wanted.get(key), by_digest, chosen)
                continue
            for digest in value:
                encoded = by_digest[digest]
                disclosure = sd_jwt.decode_disclosure(encoded)
                assert disclosure.name is not None
                if wanted.get(disclosure.name):
                    chosen.append(encoded)
                _select(disclosure.value, wanted.get(disclosure.name), by_digest, chosen)


def _settings() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((CASES / "settings.yml").read_text(), Loader=_Loader)  # noqa: S506
    return loaded


def _case(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((CASES / f"{name}.yml").read_text(), Loader=_Loader)  # noqa: S506
    return loaded


ALL_CASES = sorted(p.stem for p in CASES.glob("*.yml") if p.stem != "settings")
CASE_NAMES = [name for name in ALL_CASES if name not in NOT_APPLICABLE]
ALWAYS_VISIBLE = ("iss", "vct", "iat", "exp", "cnf")


def _sd_jwt_vc(case: dict[str, Any], **header: Any) -> tuple[str, str, _Issuer, IssuerKey]:
    settings = _settings()
    issuer_key = _signer(settings["key_settings"]["issuer_keys"][0], "issuer-key-1")
    holder = _signer(settings["key_settings"]["holder_key"], "holder")
    iss = settings["identifiers"]["issuer"]
    builder = _Issuer()
    payload = builder.build(case["user_claims"])
    payload |= {
        "iss": iss,
        "vct": "https://example.com/vct/test",
        "iat": settings["iat"],
        "exp": settings["exp"],
        "cnf": {"jwk": _public(settings["key_settings"]["holder_key"])},
        "_sd_alg": "sha-256",
    }
    head = {"alg": "ES256", "typ": "dc+sd-jwt", "kid": issuer_key.kid, **header}
    jwt = compact(head, payload, issuer_key)
    chosen: list[str] = []
    _select(payload, case.get("holder_disclosed_claims", {}), builder.by_digest, chosen)
    presented = "~".join([jwt, *chosen]) + "~"
    return presented, iss, builder, holder


def _verifier(iss: str, issuer_key_jwk: dict[str, Any]) -> SdJwtVcVerifier:
    keys = StaticKeys(jwks={iss: {"keys": [_public(issuer_key_jwk) | {"kid": "issuer-key-1"}]}})
    return SdJwtVcVerifier(
        policy=TrustPolicy.trusting(iss), keys=keys, status=StaticTokenStatusLists({})
    )


@pytest.mark.parametrize("name", CASE_NAMES)
def test_sd_jwt_python_cases(name: str) -> None:
    case = _case(name)
    settings = _settings()
    presented, iss, _, holder = _sd_jwt_vc(case)
    verifier = _verifier(iss, settings["key_settings"]["issuer_keys"][0])
    nonce = settings["key_binding_nonce"]
    audience = settings["identifiers"]["verifier"]
    if case.get("key_binding"):
        presented += kb_jwt(holder, presented, nonce=nonce, aud=audience)
    result = verifier.check_presentation(
        presented,
        nonce=nonce,
        audience=audience,
        now=NOW,
        require_key_binding=bool(case.get("key_binding")),
    )
    assert result.verified, result.error
    assert result.key_bound is bool(case.get("key_binding"))
    assert result.claims is not None
    user_claims = {k: v for k, v in result.claims.items() if k not in ALWAYS_VISIBLE}
    assert user_claims == case["expect_verified_user_claims"]


def test_every_case_runs_or_says_why_not() -> None:
    assert set(NOT_APPLICABLE) < set(ALL_CASES)
    assert len(CASE_NAMES) == len(ALL_CASES) - len(NOT_APPLICABLE) >= 14


def test_the_integer_kid_case_is_refused() -> None:
    case = _case("header_mod")
    presented, iss, _, _ = _sd_jwt_vc(case, **case["extra_header_parameters"])
    settings = _settings()
    result = _verifier(iss, settings["key_settings"]["issuer_keys"][0]).check(presented, now=NOW)
    assert type(result.error) is ParsingError
