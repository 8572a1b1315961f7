"""A tiny test issuer: keys, DID documents, status lists and signed tokens, built by hand.

It signs with ``cryptography`` directly, so the verifier is tested against tokens produced
independently of certreg's issuer — including the hostile ones (``alg: none``, HS256 keyed
with the public key, wrong ``typ``…) that no issuer of ours would ever produce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from schemas import bitstring_status_list as bsl

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk: dict[str, Any]) -> str:
    members = {k: jwk[k] for k in sorted(jwk) if k in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64(hashlib.sha256(canonical).digest())


@dataclass
class IssuerKey:
    private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    alg: str
    jwk: dict[str, Any]

    @property
    def kid(self) -> str:
        kid: str = self.jwk["kid"]
        return kid

    @classmethod
    def generate(cls, alg: str = "ES256") -> IssuerKey:
        if alg == "EdDSA":
            private: Any = ed25519.Ed25519PrivateKey.generate()
            raw = private.public_key().public_bytes_raw()
            jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
        else:
            private = ec.generate_private_key(ec.SECP256R1())
            numbers = private.public_key().public_numbers()
            jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": b64(numbers.x.to_bytes(32, "big")),
                "y": b64(numbers.y.to_bytes(32, "big")),
            }
        jwk |= {"alg": alg, "kid": thumbprint(jwk)}
        return cls(private=private, alg=alg, jwk=jwk)

    def sign(self, signing_input: bytes) -> bytes:
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            return self.private.sign(signing_input)
        r, s = decode_dss_signature(self.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def compact(header: dict[str, Any], payload: dict[str, Any], key: IssuerKey | None = None) -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload).encode())
    signing_input = f"{head}.{body}".encode("ascii")
    signature = key.sign(signing_input) if key is not None else b""
    return f"{head}.{body}.{b64(signature)}"


def hs256_with_public_key(payload: dict[str, Any], key: IssuerKey) -> str:
    """The classic algorithm-confusion forgery: HMAC keyed with the public key's JSON."""
    header = {"alg": "HS256", "typ": "vc+jwt", "kid": key.kid}
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload).encode())
    secret = json.dumps(key.jwk).encode()
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


@dataclass
class FakeIssuer:
    """An issuer at ``did:web:{host}`` with keys, two status lists and a signing helper."""

    host: str = "issuer.example"
    keys: list[IssuerKey] = field(default_factory=lambda: [IssuerKey.generate()])
    revoked_kids: set[str] = field(default_factory=set)
    entries: int = bsl.MIN_ENTRIES
    bits: dict[str, bytearray] = field(default_factory=dict)

    @property
    def did(self) -> str:
        return f"did:web:{self.host}"

    @property
    def key(self) -> IssuerKey:
        return self.keys[0]

    def list_url(self, purpose: str) -> str:
        return f"https://{self.host}/status/{purpose}"

    def did_document(self) -> dict[str, Any]:
        methods = []
        for key in self.keys:
            method: dict[str, Any] = {
                "id": f"{self.did}#{key.kid}",
                "type": "JsonWebKey",
                "controller": self.did,
                "publicKeyJwk": key.jwk,
            }
            if key.kid in self.revoked_kids:
                method["revoked"] = "2027-01-01T00:00:00Z"
            methods.append(method)
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.did,
            "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods],
        }

    def credential(self, **overrides: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2",
            ],
            "id": "urn:uuid:0b6c3f5e-8d0e-4a35-9a0b-2f4f1c1d5e77",
            "type": ["VerifiableCredential", "CertificationCredential"],
            "issuer": {"id": self.did, "name": "Example Body"},
            "validFrom": "2026-01-01T00:00:00Z",
            "validUntil": "2029-01-01T23:59:59Z",
            "credentialSubject": {"type": "CertifiedPerson", "name": "Ana Moreau"},
            "credentialStatus": [
                self.status_entry("revocation", 94567),
                self.status_entry("suspension", 94567),
            ],
        }
        payload.update(overrides)
        return {k: v for k, v in payload.items() if v is not None}

    def status_entry(self, purpose: str, index: int) -> dict[str, str]:
        url = self.list_url(purpose)
        return {
            "id": f"{url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": url,
        }

    def token(
        self, payload: dict[str, Any] | None = None, *, key: IssuerKey | None = None, **header: Any
    ) -> str:
        signer = key or self.key
        head = {"alg": signer.alg, "typ": "vc+jwt", "cty": "vc", "kid": signer.kid, **header}
        return compact(
            {k: v for k, v in head.items() if v is not None},
            payload if payload is not None else self.credential(),
            signer,
        )

    def set_bit(self, purpose: str, index: int, value: int = 1) -> None:
        bits = self.bits.setdefault(purpose, bsl.new_bitstring(self.entries, min_entries=1))
        bsl.set_status(bits, index, value)

    def status_list(
        self,
        purpose: str,
        *,
        key: IssuerKey | None = None,
        entries: int | None = None,
        **overrides: Any,
    ) -> str:
        count = entries or self.entries
        bits = self.bits.get(purpose) or bsl.new_bitstring(count, min_entries=1)
        if len(bits) * 8 != count:
            bits = bsl.new_bitstring(count, min_entries=1)
        url = self.list_url(purpose)
        payload: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.did,
            "validFrom": "2027-03-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": bsl.encode_list(bits),
                "ttl": 300_000,
            },
        }
        payload.update(overrides)
        return self.token({k: v for k, v in payload.items() if v is not None}, key=key)

    def lists(self) -> dict[str, str]:
        return {self.list_url(p): self.status_list(p) for p in ("revocation", "suspension")}


@dataclass
class Holder:
    """A certified person's wallet: a key of its own, named by its ``did:jwk``, that signs
    ``vp+jwt`` presentations of credentials it holds."""

    key: IssuerKey = field(default_factory=lambda: IssuerKey.generate("EdDSA"))

    @property
    def did(self) -> str:
        members = {k: self.key.jwk[k] for k in ("crv", "kty", "x", "y") if k in self.key.jwk}
        return "did:jwk:" + b64(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())

    def presentation(self, *tokens: str, **overrides: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": self.did,
            "verifiableCredential": [enveloped(t) for t in tokens],
            "nonce": "n-0S6_WzA2Mj",
            "aud": "https://employer.example",
            "iat": int(NOW.timestamp()) - 60,
            "exp": int(NOW.timestamp()) + 600,
        }
        payload.update(overrides)
        return {k: v for k, v in payload.items() if v is not None}

    def sign(self, payload: dict[str, Any], *, key: IssuerKey | None = None, **header: Any) -> str:
        signer = key or self.key
        head = {"alg": signer.alg, "typ": "vp+jwt", "kid": f"{self.did}#0", **header}
        return compact({k: v for k, v in head.items() if v is not None}, payload, signer)

    def present(self, *tokens: str, **overrides: Any) -> str:
        return self.sign(self.presentation(*tokens, **overrides))


def enveloped(token: str) -> dict[str, Any]:
    """A ``vc+jwt`` as a presentation carries it (VC-JOSE-COSE §3.1.2)."""
    return {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }
