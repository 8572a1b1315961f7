"""A tiny SD-JWT VC issuer and wallet for the verifier's tests, built by hand.

Disclosures come from ``schemas.sd_jwt`` (the shared codec); signatures from
:class:`tests.verifier.tokens.IssuerKey` (``cryptography`` directly), so the tokens are
independent of certreg's issuer — hostile ones included. :class:`SdJwtIssuer` also answers
HTTP as the issuer's server would: JWT VC Issuer Metadata, a JWKS and Status List Tokens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from schemas import sd_jwt
from schemas import token_status_list as tsl
from tests.verifier.tokens import NOW, IssuerKey, compact
from verifier.errors import VerificationError
from verifier.fetch import HttpFetcher
from verifier.policy import TrustPolicy
from verifier.sd_jwt_vc import (
    SdJwtVcResult,
    SdJwtVcVerifier,
    http_sd_jwt_verifier,
    verify_sd_jwt_presentation,
    verify_sd_jwt_vc,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Salts:
    """Deterministic 128-bit salts: every disclosure differs, every run is the same."""

    def __init__(self) -> None:
        self._n = 0

    def __call__(self) -> bytes:
        self._n += 1
        return self._n.to_bytes(16, "big")


def disclosable(name: str, value: Any, salt: bytes) -> tuple[str, str]:
    """An object-property disclosure and its digest."""
    encoded = sd_jwt.encode_disclosure(salt, name, value)
    return encoded, sd_jwt.digest(encoded)


def kb_jwt(
    holder: IssuerKey,
    presented: str,
    *,
    nonce: str = "n-0S6_WzA2Mj",
    aud: str = "https://employer.example",
    iat: float | None = None,
    typ: str = "kb+jwt",
    sd_hash: str | None = None,
) -> str:
    """A Key Binding JWT over ``presented`` (``<JWT>~<disclosures>~``)."""
    payload = {
        "iat": int(NOW.timestamp()) if iat is None else iat,
        "aud": aud,
        "nonce": nonce,
        "sd_hash": sd_hash or sd_jwt.digest(presented),
    }
    return compact({"alg": holder.alg, "typ": typ}, payload, holder)


@dataclass
class SdJwtIssuer:
    """An SD-JWT VC issuer at ``https://{host}{path}`` with one holder and a 2-bit list."""

    host: str = "certs.example"
    path: str = ""
    keys: list[IssuerKey] = field(default_factory=lambda: [IssuerKey.generate()])
    holder: IssuerKey = field(default_factory=IssuerKey.generate)
    statuses: bytearray = field(default_factory=lambda: tsl.new_status_list(64, 2))
    salts: Salts = field(default_factory=Salts)
    list_iat: datetime = NOW
    metadata_with_jwks_uri: bool = False

    @property
    def iss(self) -> str:
        return f"https://{self.host}{self.path}"

    @property
    def key(self) -> IssuerKey:
        return self.keys[0]

    @property
    def list_uri(self) -> str:
        return f"https://{self.host}/statuslists/1"

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk for key in self.keys]}

    def metadata(self) -> dict[str, Any]:
        if self.metadata_with_jwks_uri:
            return {"issuer": self.iss, "jwks_uri": f"https://{self.host}/jwks.json"}
        return {"issuer": self.iss, "jwks": self.jwks()}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """The always-visible claims of a certification SD-JWT VC."""
        payload: dict[str, Any] = {
            "iss": self.iss,
            "vct": "https://certs.example/vct/certification",
            "iat": int(NOW.timestamp()) - 86_400,
            "exp": int(NOW.timestamp()) + 365 * 86_400,
            "certification_number": "C-2027-0042",
            "scheme": "Welding inspector",
            "cnf": {"jwk": {k: v for k, v in self.holder.jwk.items() if k != "kid"}},
            "status": {"status_list": {"idx": 7, "uri": self.list_uri}},
        }
        payload.update(overrides)
        return {k: v for k, v in payload.items() if v is not None}

    def issue(
        self,
        clear: dict[str, Any] | None = None,
        disclosed: dict[str, Any] | None = None,
        *,
        key: IssuerKey | None = None,
        extra_disclosures: tuple[str, ...] = (),
        **header: Any,
    ) -> str:
        """An SD-JWT VC: ``clear`` claims signed as they are, each of ``disclosed`` (by
        default given and family name and birthdate) as a top-level disclosure."""
        payload = self.claims() if clear is None else dict(clear)
        if disclosed is None:
            disclosed = {"given_name": "Ana", "family_name": "Moreau", "birthdate": "1990-04-02"}
        disclosures = []
        digests = []
        for name, value in disclosed.items():
            encoded, digest = disclosable(name, value, self.salts())
            disclosures.append(encoded)
            digests.append(digest)
        if digests:
            payload["_sd"] = sorted(digests)
            payload.setdefault("_sd_alg", "sha-256")
        signer = key or self.key
        head = {"alg": signer.alg, "typ": "dc+sd-jwt", "kid": signer.kid, **header}
        jwt = compact({k: v for k, v in head.items() if v is not None}, payload, signer)
        return "~".join([jwt, *disclosures, *extra_disclosures]) + "~"

    def present(
        self, issued: str, names: tuple[str, ...] = ("given_name", "family_name"), **kb: Any
    ) -> str:
        """A presentation disclosing only ``names``, with a KB-JWT (``kb`` → :func:`kb_jwt`)."""
        parts = sd_jwt.split(issued)
        kept = [d for d in parts.disclosures if sd_jwt.decode_disclosure(d).name in names]
        presented = "~".join([parts.issuer_jwt, *kept]) + "~"
        holder = kb.pop("holder", self.holder)
        return presented + kb_jwt(holder, presented, **kb)

    def status_list_token(
        self, *, key: IssuerKey | None = None, typ: str = "statuslist+jwt", **overrides: Any
    ) -> str:
        signer = key or self.key
        payload: dict[str, Any] = {
            "sub": self.list_uri,
            "iss": self.iss,
            "iat": int(self.list_iat.timestamp()),
            "exp": int(self.list_iat.timestamp()) + 86_400,
            "ttl": 300,
            "status_list": tsl.encode_status_list(self.statuses, 2),
        }
        payload.update(overrides)
        payload = {k: v for k, v in payload.items() if v is not None}
        return compact({"alg": signer.alg, "typ": typ, "kid": signer.kid}, payload, signer)

    def site(self, **overrides: Handler) -> tuple[Handler, list[str]]:
        """The issuer's web server; ``overrides`` answer for a path instead."""
        asked: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            asked.append(str(request.url))
            path = request.url.path
            if path in overrides:
                return overrides[path](request)
            if path == "/.well-known/jwt-vc-issuer" + self.path:
                return httpx.Response(200, json=self.metadata())
            if path == "/jwks.json":
                return httpx.Response(200, json=self.jwks())
            if path == "/statuslists/1":
                assert request.headers["accept"] == "application/statuslist+jwt"
                return httpx.Response(
                    200,
                    content=self.status_list_token().encode(),
                    headers={"content-type": "application/statuslist+jwt"},
                )
            return httpx.Response(404)

        return handler, asked


def serve(body: str | bytes | dict[str, Any], status: int = 200) -> Handler:
    """A handler answering always the same."""

    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, dict):
            return httpx.Response(status, content=json.dumps(body).encode())
        return httpx.Response(status, content=body.encode() if isinstance(body, str) else body)

    return handler


# --- verifying over the issuer's server (httpx.MockTransport) ----------------------------

NONCE = "n-0S6_WzA2Mj"
AUDIENCE = "https://employer.example"


def make_verifier(
    issuer: SdJwtIssuer, policy: TrustPolicy | None = None, **overrides: Any
) -> tuple[SdJwtVcVerifier, list[str]]:
    handler, asked = issuer.site(**overrides)
    policy = policy or TrustPolicy.trusting(issuer.iss)
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return http_sd_jwt_verifier(policy, fetcher=HttpFetcher(policy, client=client)), asked


def check(issuer: SdJwtIssuer, token: str, **overrides: Any) -> SdJwtVcResult:
    verifier, _ = make_verifier(issuer, **overrides)
    return verify_sd_jwt_vc(token, verifier=verifier, now=NOW)


def present(issuer: SdJwtIssuer, token: str, **overrides: Any) -> SdJwtVcResult:
    verifier, _ = make_verifier(issuer, **overrides)
    return verify_sd_jwt_presentation(
        token, verifier=verifier, nonce=NONCE, audience=AUDIENCE, now=NOW
    )


def refused(result: SdJwtVcResult, error: type[VerificationError], reason: str = "") -> None:
    assert not result.verified
    assert type(result.error) is error, result.error
    if reason:
        assert result.error.reason == reason, result.error.detail
