"""Every address a signed document cites resolves, to what the document says it is.

One of each kind of signed credential is issued through the back office and published; every
URL in them — ``@context`` entries, ``credentialSchema.id``, ``relatedResource`` ids, status
list URLs, scheme and register URLs, the ``did:web`` issuer — that points at the registry
is fetched from the registry app, and must answer 200 with the right media type; a
``relatedResource`` must answer with bytes of the digest it names. Addresses elsewhere
(the W3C contexts) must be ones verifiers pin, and the pinned copies must be the published
ones (their digests are in the specifications). The one exception is the body information's
accreditation scope: a page the accreditation body publishes, which nothing verifies
against, cited for people to read.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from registry import Registry, RegistryStore
from tests.backoffice import BackOffice
from tests.signed_documents import BASE_URL, PINNED_CONTEXTS, Signed, credentials, issue_everything
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

PINNED_SHA256 = {
    # VCDM 2.0 Appendix B.1 and Bitstring Status List v1.0 give these digests.
    "https://www.w3.org/ns/credentials/v2": (
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    ),
    "https://www.w3.org/ns/credentials/status/v1": (
        "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7"
    ),
}
EXPECTED_TYPE = {
    "/contexts/": "application/ld+json",
    "/schemas/": "application/schema+json",
    "/status/": "application/vc+jwt",
    "/schemes/": "application/json",
    "/register/": "application/json",
    "/.well-known/did.json": "application/json",
    "/body": "application/json",
}
"""The media type of each kind of address (a mark's is the one its citation names)."""


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with where it was found."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")


def _did_web_url(did: str) -> str:
    """The URL of a ``did:web`` DID's document (did:web method specification, §3.2)."""
    host, *path = did.removeprefix("did:web:").split(":")
    location = "/".join([unquote(host), *map(unquote, path)])
    return f"https://{location}/did.json" if path else f"https://{location}/.well-known/did.json"


def _addresses(document: Signed) -> set[str]:
    found = set()
    for path, value in _strings(document.payload):
        if path == ".credentialSubject.accreditation.scopeUrl":
            continue  # the accreditation body's own page, for people to read
        if value.startswith(("https://", "http://")):
            found.add(value)
        elif value.startswith("did:web:"):
            found.add(_did_web_url(value.split("#")[0]))
    return found


def _register_query(documents: list[Signed], path: str) -> dict[str, str]:
    """A register entry answers only with the holder's family name (clause 7.2.1's lookup
    is by number and name, so the register cannot be walked): the test asks as a person
    holding the certificate would, with the family name the entry itself states."""
    number = path.removeprefix("/register/")
    [entry] = [
        d
        for d in documents
        if d.payload["credentialSubject"].get("certificateNumber") == number
        and "RegisterEntryCredential" in d.payload["type"]
    ]
    return {"family_name": entry.payload["credentialSubject"]["familyName"]}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_address_a_signed_document_cites_resolves(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
) -> None:
    office, client = public
    documents = credentials(issue_everything(office, client, Registry(registry_store)))
    cited = {url for document in documents for url in _addresses(document)}
    ours = {url for url in cited if url.startswith(f"{BASE_URL}/")}
    elsewhere = cited - ours
    assert elsewhere <= set(PINNED_CONTEXTS), f"cited but neither ours nor pinned: {elsewhere}"
    for url in elsewhere:
        pinned = PINNED_CONTEXTS[url].read_bytes()
        if url in PINNED_SHA256:
            assert hashlib.sha256(pinned).hexdigest() == PINNED_SHA256[url], url

    kinds_seen = set()
    for url in sorted(ours):
        path = url.removeprefix(BASE_URL).split("#")[0]
        params = _register_query(documents, path) if path.startswith("/register/") else None
        response = client.get(path, params=params)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
        kind = next((k for k in EXPECTED_TYPE if path.startswith(k)), None)
        if kind is not None:
            kinds_seen.add(kind)
            media_type = response.headers["content-type"].split(";")[0]
            assert media_type == EXPECTED_TYPE[kind], url
        else:
            assert path.startswith("/marks/"), f"an address of a kind not known here: {url}"
    assert kinds_seen == set(EXPECTED_TYPE)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_related_resource_answers_with_the_bytes_of_its_digest(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
) -> None:
    office, client = public
    documents = credentials(issue_everything(office, client, Registry(registry_store)))
    related = [r for d in documents for r in d.payload.get("relatedResource", [])]
    assert related, "the mark credential cites its image"
    for resource in related:
        assert resource["id"].startswith(f"{BASE_URL}/marks/")
        response = client.get(resource["id"].removeprefix(BASE_URL))
        assert response.status_code == 200
        assert response.headers["content-type"] == resource["mediaType"]
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "digestSRI" in resource or "digestMultibase" in resource
        if "digestSRI" in resource:
            algorithm, _, expected = resource["digestSRI"].partition("-")
            digest = hashlib.new(algorithm, response.content).digest()
            assert base64.b64encode(digest).decode() == expected
        if "digestMultibase" in resource:  # multibase base64url of a multihash (sha2-256)
            prefix, encoded = resource["digestMultibase"][0], resource["digestMultibase"][1:]
            assert prefix == "u"
            multihash = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            assert multihash == b"\x12\x20" + hashlib.sha256(response.content).digest()
