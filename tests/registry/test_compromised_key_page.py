"""The page behind the QR code of a credential whose signing key was declared compromised.

Its signature no longer counts, so on its own it is "not valid". Once the issuer has
re-issued it under a new key, the register entry it publishes — signed by that key — names
the replacement, and the page says *superseded* with a link to it. An entry signed by the
compromised key (perhaps by whoever stole it) says nothing, and the page shows nothing of
what the old credential states.
"""

from __future__ import annotations

from typing import Any

from issuer.credentials.signing import Algorithm
from registry import Registry
from registry.verification import RegistryVerification
from registry.verification_page import Standing, answer_for
from schemas.publication import CREDENTIAL_VERSION, DocumentKind, Publication
from tests.registry.conftest import (
    CREDENTIAL_ID,
    NUMBER,
    RECEIVED,
    KeyPair,
    TestIssuer,
    certificate_payload,
    register_entry_payload,
)

REPLACEMENT = "urn:uuid:5d2c8a61-0e4f-4b7a-9c13-6a1e2f3b4c5d"


def _entry_replacing(version: int, issuer: TestIssuer, signer: KeyPair) -> Publication:
    payload = register_entry_payload()
    payload["credentialSubject"]["credentials"] = [
        {
            "id": f"urn:uuid:{CREDENTIAL_ID}",
            "type": "CertificationCredential",
            "status": "superseded",
            "supersededBy": REPLACEMENT,
        },
        {
            "id": REPLACEMENT,
            "type": "CertificationCredential",
            "status": "active",
            "supersedes": f"urn:uuid:{CREDENTIAL_ID}",
        },
    ]
    return issuer.publication(
        DocumentKind.REGISTER_ENTRY, NUMBER, payload, version=version, signer=signer
    )


def _answer(registry: Registry) -> dict[str, Any]:
    answer = answer_for(registry, RegistryVerification(registry), CREDENTIAL_ID, RECEIVED)
    assert answer is not None
    return answer.as_json()


def test_a_credential_of_a_compromised_key_reads_superseded_once_the_new_key_says_so(
    registry: Registry,
) -> None:
    old, new = KeyPair(Algorithm.ES256), KeyPair(Algorithm.ES256)
    issuer = TestIssuer(old)
    assert registry.accept(issuer.keys_publication(1))
    credential = issuer.publication(
        DocumentKind.CREDENTIAL, CREDENTIAL_ID, certificate_payload(), CREDENTIAL_VERSION
    )
    assert registry.accept(credential)
    # An entry the old key signed, claiming a replacement: accepted while the key was good.
    assert registry.accept(_entry_replacing(2, issuer, old))

    # The compromise announced: the old key signs the keys that revoke it and name the new.
    issuer.keys, issuer.revoked = [new], [old]
    assert registry.accept(issuer.keys_publication(3, signer=old))
    answer = _answer(registry)
    assert (answer["status"], answer["supersededBy"]) == (Standing.NOT_VALID, None)
    assert answer["holderName"] is None

    # The re-issue published: the new key's entry names the replacement.
    assert registry.accept(_entry_replacing(4, issuer, new))
    answer = _answer(registry)
    assert (answer["status"], answer["supersededBy"]) == (Standing.SUPERSEDED, REPLACEMENT)
    assert answer["verified"] is False
    assert answer["holderName"] is None  # nothing of what the old credential states


def test_an_entry_that_does_not_name_a_replacement_leaves_it_not_valid(
    registry: Registry,
) -> None:
    old, new = KeyPair(Algorithm.ES256), KeyPair(Algorithm.EDDSA)
    issuer = TestIssuer(old)
    assert registry.accept(issuer.keys_publication(1))
    assert registry.accept(
        issuer.publication(
            DocumentKind.CREDENTIAL, CREDENTIAL_ID, certificate_payload(), CREDENTIAL_VERSION
        )
    )
    issuer.keys, issuer.revoked = [new], [old]
    assert registry.accept(issuer.keys_publication(2, signer=old))
    assert registry.accept(
        issuer.publication(
            DocumentKind.REGISTER_ENTRY, NUMBER, register_entry_payload(), version=3, signer=new
        )
    )
    answer = _answer(registry)
    assert (answer["status"], answer["supersededBy"]) == (Standing.NOT_VALID, None)
