"""Who the issuer is on the wire: its ``did:web`` identifier and the URLs credentials cite.

Every URL a credential carries is built here from the deployment's base URL, so the
registry (which serves them) and the issuer (which writes them) cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

__all__ = [
    "CONTEXT_BODY_V1",
    "CONTEXT_NAME",
    "IssuerIdentity",
    "did_web",
    "jwt_claims",
    "verification_method_id",
]

CONTEXT_NAME = "certreg-v3"
"""The JSON-LD context credentials cite now (``schemas.credential_schemas.CONTEXT_V3``,
spelled out so that the processes which only write — a bulk run's — need not import the
JSON Schema stack; a test holds the two equal)."""
CONTEXT_BODY_V1 = "certreg-body-v1"
"""The context of the body information (``schemas.credential_schemas.CONTEXT_BODY_V1``),
cited after :data:`CONTEXT_NAME`."""


def did_web(base_url: str) -> str:
    """The ``did:web`` DID of a base URL (did:web method: port colon percent-encoded, path
    segments joined with ``:``)."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ValueError(f"no host in {base_url!r}")
    host = parts.hostname
    if parts.port is not None:
        host = f"{host}%3A{parts.port}"
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did", "web", host, *segments])


def verification_method_id(did: str, kid: str) -> str:
    """The DID URL of key ``kid`` in the DID document of ``did``: the ``id`` of its
    verification method and, the same text, the ``kid`` of every JWS it signs.

    VC-JOSE-COSE §4 asks for a ``kid`` that is a DID URL of a verification method in the
    issuer's DID document when the issuer is a DID; one function builds both, so the
    document and the signatures cannot name a key differently.
    """
    if not did.startswith("did:") or "#" in did:
        raise ValueError(f"not a DID without fragment: {did[:100]!r}")
    return f"{did}#{kid}"


def jwt_claims(did: str, now: datetime) -> dict[str, str | int]:
    """The registered JWT claims beside every document certreg signs as ``vc+jwt``.

    ``iat`` (a NumericDate) says when it was signed. ``iss`` repeats the issuer's DID, as
    VC-JOSE-COSE §4.1.2 allows when it equals ``issuer``: JWT libraries that find keys by
    resolving the issuer's DID (did-jwt, for one) read ``iss`` and know nothing of
    ``issuer``.
    """
    return {"iss": did, "iat": int(now.timestamp())}


@dataclass(frozen=True, slots=True)
class IssuerIdentity:
    base_url: str
    name: str

    @property
    def did(self) -> str:
        return did_web(self.base_url)

    def verification_method(self, kid: str) -> str:
        return verification_method_id(self.did, kid)

    def status_list_url(self, list_id: str) -> str:
        return f"{self.base_url}/status/{list_id}"

    def token_status_list_url(self, list_id: str) -> str:
        """Where the registry serves a Token Status List token: its ``sub``, and the ``uri``
        SD-JWT VCs cite."""
        return f"{self.base_url}/statuslists/{list_id}"

    @property
    def certification_vct(self) -> str:
        """The ``vct`` of certreg's SD-JWT VC of a certification (docs/WALLETS.md): one
        stable HTTPS URL per body, its last segment the version of the claim set."""
        return f"{self.base_url}/vct/certification/v1"

    def verification_url(self, credential_id: str) -> str:
        return f"{self.base_url}/v/{credential_id}"

    def scheme_url(self, scheme_id: str) -> str:
        return f"{self.base_url}/schemes/{scheme_id}"

    def mark_image_url(self, mark_id: str) -> str:
        return f"{self.base_url}/marks/{mark_id}"

    def register_url(self, certificate_number: str) -> str:
        return f"{self.base_url}/register/{certificate_number}"

    @property
    def body_url(self) -> str:
        """Where the registry serves what the body publishes about itself."""
        return f"{self.base_url}/body"

    @property
    def body_context_url(self) -> str:
        """The JSON-LD context of the body information (``certreg-body-v1.jsonld``), cited
        after :attr:`context_url`."""
        return f"{self.base_url}/contexts/{CONTEXT_BODY_V1}.jsonld"

    def credential_schema_url(self, name: str) -> str:
        return f"{self.base_url}/schemas/{name}.json"

    @property
    def context_url(self) -> str:
        """certreg's JSON-LD context (``schemas/contexts/certreg-v3.jsonld``) at our own
        registry, which serves it: an address under the body's control, not a redirect
        someone else keeps (docs/CREDENTIALS.md, "Addresses")."""
        return f"{self.base_url}/contexts/{CONTEXT_NAME}.jsonld"
