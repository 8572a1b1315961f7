"""Every kind of document certreg signs means, to a JSON-LD processor, all that it says.

JSON-LD drops a property no context in scope defines, silently: a register entry whose
``credentials[].status`` is dropped still verifies, and a JSON-LD consumer simply never
sees it. jsonld.js refuses such a document in "safe mode"; pyld 3.3 (an independent
processor, not ours) has no safe mode, but reports each dropped property to a handler, so
safe mode here is that handler raising, plus the other safe-mode refusals — a ``@type`` or
``@id`` left as a relative IRI. The documents are issued through the back office and read
back from the registry; the only contexts a processor may load are the pinned W3C copies and
certreg's own from the package — no network.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyld import jsonld  # type: ignore[import-untyped]

from issuer.credentials.identity import CONTEXT_NAME, IssuerIdentity
from registry import Registry, RegistryStore
from schemas import credential_schemas
from tests.backoffice import BackOffice
from tests.node import run_script
from tests.signed_documents import BASE_URL, PINNED_CONTEXTS, credentials, issue_everything
from tests.test_registry_e2e import public  # noqa: F401 (fixture)


def _pinned(url: str) -> Any:
    """The only documents a processor may load: pinned copies and certreg's own contexts."""
    if url in PINNED_CONTEXTS:
        return json.loads(PINNED_CONTEXTS[url].read_text("utf-8"))
    if url == credential_schemas.CONTEXT_V1_URL:
        return credential_schemas.context_document(credential_schemas.CONTEXT_V1)
    name = url.removeprefix(f"{BASE_URL}/contexts/").removesuffix(".jsonld")
    if url == f"{BASE_URL}/contexts/{name}.jsonld" and name in credential_schemas.CONTEXT_NAMES:
        return credential_schemas.context_document(name)
    return None


CONTEXT_SHA256 = {
    "certreg-v1": "4ddf08345f65c73297a5832719f749532440e00852b5f06a6565894fd501c300",
    "certreg-v2": "e47045ca4d46635e5f14b529c49d23bf60bc1e52d9c87084c6b6c86abc951d75",
    "certreg-v3": "918afd1a44279a982d01b5ad8e68779f4941656ae4b82962e9633c0584866cc2",
    "certreg-body-v1": "0a5b4f0827e5debefb123e6d03ebbc27e3826ec09b455f85f36eb7cd20f867b1",
}
"""A context, once cited by a signed document, never changes: a change is a new version."""


class Dropped(Exception):
    """The processor would have dropped a term, or kept a relative IRI (safe mode refuses)."""


def _loader(url: str, options: Any = None) -> dict[str, Any]:
    document = _pinned(url)
    if document is None:
        raise jsonld.JsonLdError(f"not pinned: {url}", "jsonld.LoadDocumentError")
    return {"contextUrl": None, "documentUrl": url, "document": document}


def _relative_iris(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += _relative_iris(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@type" and "@value" not in node:
                found += [t for t in value if not jsonld._is_absolute_iri(t)]
            elif key == "@id" and not jsonld._is_absolute_iri(value):
                found.append(value)
            else:
                found += _relative_iris(value)
    return found


def expand_safely(document: dict[str, Any]) -> list[Any]:
    """``jsonld.expand`` that refuses what jsonld.js's safe mode refuses."""

    def dropped(term: str | None) -> None:
        raise Dropped(f"dropped: {term}")

    expanded: list[Any] = jsonld.expand(
        document, {"documentLoader": _loader}, on_property_dropped=dropped
    )
    relative = _relative_iris(expanded)
    if relative:
        raise Dropped(f"relative IRIs: {relative}")
    return expanded


def _keys(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_keys(i) for i in node)) if node else set()
    if isinstance(node, dict):
        return set(node).union(*(_keys(v) for v in node.values()))
    return set()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_signed_document_expands_in_safe_mode(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
) -> None:
    office, client = public
    documents = credentials(issue_everything(office, client, Registry(registry_store)))
    for document in documents:
        expanded = expand_safely(document.payload)
        # Every term is an IRI now: no compact key survived expansion.
        leftover = {k for k in _keys(expanded) if not (k.startswith("@") or ":" in k)}
        assert not leftover, (document.label, leftover)
    subjects = [d.payload.get("credentialSubject") for d in documents]
    assert any(isinstance(s, dict) and s.get("surveillanceActivities") for s in subjects)


def _every_context() -> dict[str, Any]:
    """The pinned contexts and certreg's own, by URL: all a processor may load."""
    contexts: dict[str, Any] = {
        url: json.loads(path.read_text("utf-8")) for url, path in PINNED_CONTEXTS.items()
    }
    contexts[credential_schemas.CONTEXT_V1_URL] = credential_schemas.context_document(
        credential_schemas.CONTEXT_V1
    )
    for name in credential_schemas.CONTEXT_NAMES:
        contexts[f"{BASE_URL}/contexts/{name}.jsonld"] = credential_schemas.context_document(name)
    return contexts


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_jsonld_js_expands_every_signed_document_in_safe_mode(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
) -> None:
    """jsonld.js (npm ``jsonld``, pinned in ``tests/js``), whose safe mode is the one the
    issue of dropped terms is named after, expands every kind of signed document; and
    refuses the register entry under context version 1, so the check can fail."""
    office, client = public
    documents = credentials(issue_everything(office, client, Registry(registry_store)))
    entry = next(d for d in documents if "RegisterEntryCredential" in d.payload["type"])
    under_v1 = {
        **entry.payload,
        "@context": [entry.payload["@context"][0], credential_schemas.CONTEXT_V1_URL],
    }
    request = {
        "contexts": _every_context(),
        "documents": [
            *({"label": d.label, "document": d.payload} for d in documents),
            {"label": "register entry under context v1", "document": under_v1},
        ],
    }
    *results, refused = run_script("jsonld", "expand-safe.mjs", request)
    assert len(results) == len(documents)
    for result in results:
        assert result["ok"], result
        leftover = {k for k in _keys(result["expanded"]) if not (k.startswith("@") or ":" in k)}
        assert not leftover, (result["label"], leftover)
    assert not refused["ok"]
    assert "status" in refused["error"], refused


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_first_context_drops_a_register_entry_s_credential_status(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    registry_store: RegistryStore,
) -> None:
    """Why context version 2 exists, and proof that the check above can fail."""
    office, client = public
    documents = credentials(issue_everything(office, client, Registry(registry_store)))
    entry = next(d for d in documents if "RegisterEntryCredential" in d.payload["type"])
    assert entry.payload["@context"][1] == f"{BASE_URL}/contexts/certreg-v3.jsonld"
    as_before = {
        **entry.payload,
        "@context": [entry.payload["@context"][0], credential_schemas.CONTEXT_V1_URL],
    }
    with pytest.raises(Dropped, match="status"):
        expand_safely(as_before)
    expand_safely(entry.payload)


def test_the_issuer_cites_the_current_context() -> None:
    assert CONTEXT_NAME == credential_schemas.CONTEXT_V3
    identity = IssuerIdentity(base_url=BASE_URL, name="x")
    assert identity.context_url == f"{BASE_URL}/contexts/certreg-v3.jsonld"


def test_the_third_context_keeps_every_term_of_the_second() -> None:
    """A document read with version 3 means what it meant with version 2, and more."""

    def terms(context: Any, path: str = "") -> dict[str, Any]:
        found: dict[str, Any] = {}
        for term, definition in context.items():
            if isinstance(definition, dict) and "@context" in definition:
                scoped = {k: v for k, v in definition.items() if k != "@context"}
                found[f"{path}{term}"] = scoped
                found.update(terms(definition["@context"], f"{path}{term}/"))
            else:
                found[f"{path}{term}"] = definition
        return found

    v2 = terms(credential_schemas.context_document(credential_schemas.CONTEXT_V2)["@context"])
    v3 = terms(credential_schemas.context_document(credential_schemas.CONTEXT_V3)["@context"])
    assert {term: v3.get(term) for term in v2} == v2
    added = set(v3) - set(v2)
    assert added == {
        "Certification/originalCertificationDate",
        "CertificationMark/originalCertificationDate",
        "RegisterEntry/originalCertificationDate",
        "CertificationScheme/recertificationEvidence",
        "CertificationScheme/recertificationWindowMonthsBefore",
        "CertificationScheme/recertificationGraceDays",
        "CertificationScheme/surveillanceActivities",
        "SurveillanceActivity",
        "SurveillanceActivity/@protected",
        "SurveillanceActivity/code",
        "SurveillanceActivity/name",
        "SurveillanceActivity/intervalMonths",
        "SurveillanceActivity/graceDays",
    }


def test_an_unpinned_context_is_never_fetched() -> None:
    document = {"@context": ["https://example.org/elsewhere"], "name": "x"}
    with pytest.raises(jsonld.JsonLdError):
        expand_safely(document)


def test_an_undefined_term_is_refused() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "dateOfBirth": "1986-03-14",
    }
    with pytest.raises(Dropped, match="dateOfBirth"):
        expand_safely(document)


@pytest.mark.parametrize("name", sorted(credential_schemas.CONTEXT_NAMES))
def test_a_published_context_never_changes(name: str) -> None:
    digest = hashlib.sha256(credential_schemas.context_bytes(name)).hexdigest()
    assert digest == CONTEXT_SHA256[name]
