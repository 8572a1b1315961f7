"""The wallets of ``certreg bench``: one P-256 key per holder, and the JWTs a wallet signs.

The wallet phases need what a holder's wallet makes — a key proof for the OpenID4VCI
credential endpoint (``openid4vci-proof+jwt``) and a Key Binding JWT for an SD-JWT VC
presentation (``kb+jwt``) — signed by keys that are nobody's and are thrown away with the
run. Like the raw signature ceilings (:mod:`issuer.bench.rates`), the harness makes these
keys itself with ``cryptography``: they are wallets' keys, not the body's, and never reach
a store.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from issuer.credentials.signing import b64url
from schemas import sd_jwt

__all__ = ["HolderKey"]

_ES256 = ec.ECDSA(hashes.SHA256())


class HolderKey:
    """A wallet's P-256 key: its public JWK, and compact ES256 JWTs signed with it."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        self.jwk: dict[str, str] = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    def sign(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        """``header`` and ``payload`` as a compact JWS, ``alg`` ES256 (JWS's r ‖ s form)."""

        def part(value: dict[str, Any]) -> str:
            return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))

        signing_input = f"{part({'alg': 'ES256', **header})}.{part(payload)}"
        r, s = decode_dss_signature(self._key.sign(signing_input.encode("ascii"), _ES256))
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def proof(self, *, audience: str, nonce: str, iat: int) -> str:
        """A key proof for the credential endpoint (OpenID4VCI 1.0 Appendix F.1)."""
        return self.sign(
            {"typ": "openid4vci-proof+jwt", "jwk": self.jwk},
            {"aud": audience, "iat": iat, "nonce": nonce},
        )

    def present(
        self, issued: str, names: frozenset[str], *, audience: str, nonce: str, iat: int
    ) -> str:
        """A presentation of the SD-JWT VC ``issued`` disclosing the top-level claims
        ``names`` only, bound to this key by a KB-JWT (RFC 9901 §4.3)."""
        parts = sd_jwt.split(issued)
        kept = [d for d in parts.disclosures if sd_jwt.decode_disclosure(d).name in names]
        presented = "~".join([parts.issuer_jwt, *kept]) + "~"
        binding = self.sign(
            {"typ": "kb+jwt"},
            {"iat": iat, "aud": audience, "nonce": nonce, "sd_hash": sd_jwt.digest(presented)},
        )
        return presented + binding
