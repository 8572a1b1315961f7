"""What the issuer publishes to the registry: signed documents, each with a monotonic version.

The issuer's outbox drains to the registry as :class:`Publication` items, in order and
idempotently: the registry stores an item only if its ``version`` is newer than the one it
holds for the same ``(kind, key)`` ("store if newer"), so replays and retries are harmless.
Every body is a JWS compact serialization signed by the issuer; the registry verifies it on
intake with the issuer keys it holds and never signs anything itself.

Kinds, their keys, their bodies' JWS payloads, and where the registry serves them:

- ``issuer-keys`` (key ``"issuer"``): ``{"did_document": …, "jwks": …}`` with header
  ``typ: keys+jwt``, signed by a key it lists → ``/.well-known/did.json`` and
  ``/.well-known/jwks.json``;
- ``status-list`` (key: the list id): a ``BitstringStatusListCredential`` (``vc+jwt``) →
  ``/status/{list_id}``: a ``revocation`` or ``suspension`` list of one-bit entries, or a
  ``message`` list of two-bit ones (``statusSize`` 2), the one status of an Open Badge,
  which the issuer keeps apart (its outbox kind ``message-status-list``) and the registry
  stores and serves like the others;
- ``register-entry`` (key: the certificate number): a ``RegisterEntryCredential``
  (``vc+jwt``) with public fields only → ``/register/{number}``;
- ``scheme`` (key: the scheme id): a ``SchemeInformationCredential`` (``vc+jwt``) with the
  public information of clause 7.2.2 → ``/schemes/{scheme_id}``;
- ``body-information`` (key ``"body"``): a ``BodyInformationCredential`` (``vc+jwt``) with
  what the body makes public about itself — its impartiality commitment (clause 4.3), how
  appeals and complaints are handled (9.8, 9.9), whom to contact, its accreditation →
  ``/body``. Published only once the body has recorded it;
- ``credential`` (key: the credential's UUID, without ``urn:uuid:``): a certificate or mark
  credential (``vc+jwt``) exactly as issued, for the verification page ``/v/{credential_id}``.
  A credential never changes once signed, so it is always published as version 1: the first
  delivery is stored and every later one (a retry, a rebuild) is ignored.
- ``mark`` (key: the mark's id): a certification mark image (clause 9.7), header
  ``typ: mark+jwt``, payload ``{"id": <its URL>, "mediaType": …, "digestSRI": …, "image":
  <base64>}`` → ``/marks/{mark_id}``, the image's bytes, whose digest mark credentials carry
  in ``relatedResource``; the registry stores it only if ``digestSRI`` is the digest of the
  image (:func:`digest_sri`). A mark never changes either (a new image is a new mark).
- ``token-status-list`` (key: the list id): an IETF Token Status List token, header ``typ:
  statuslist+jwt`` and ``kid`` the signing key's JWKS ``kid`` (its thumbprint), payload
  ``{"sub": <its URL>, "iss": <the base URL>, "iat", "exp", "ttl" (seconds), "status_list":
  {"bits": 2, "lst": …}}`` → ``/statuslists/{list_id}``, the status of SD-JWT VCs;
- ``audit-checkpoint`` (key ``"issuer"``): the end of the issuer's audit log, header
  ``typ: audit-checkpoint+jwt``, payload ``{"iss": <the DID>, "iat": …, "seq": <the last
  entry's position>, "entryHash": <its hash>}`` (schema ``audit-checkpoint-v1``), nothing of
  any entry's content → ``/audit/checkpoint``. The registry orders checkpoints by what they
  sign, not by ``version``: it takes one only if it is further along the log than the one it
  holds (or at the same entry, signed later), and refuses one that goes back, so whoever
  later cuts the end off the issuer's log cannot make the registry forget how far it went.
"""

from __future__ import annotations

import base64
import enum
import hashlib

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AUDIT_CHECKPOINT_JWT_TYPE",
    "AUDIT_CHECKPOINT_KEY",
    "AUDIT_CHECKPOINT_MEDIA_TYPE",
    "BODY_INFORMATION_KEY",
    "CREDENTIAL_VERSION",
    "KEYS_JWT_TYPE",
    "MARK_JWT_TYPE",
    "MARK_MEDIA_TYPES",
    "PUBLICATION_MEDIA_TYPE",
    "STATUS_LIST_JWT_TYPE",
    "STATUS_LIST_MEDIA_TYPE",
    "DocumentKind",
    "Publication",
    "digest_sri",
]

KEYS_JWT_TYPE = "keys+jwt"
MARK_JWT_TYPE = "mark+jwt"
STATUS_LIST_JWT_TYPE = "statuslist+jwt"
"""The ``typ`` of a Token Status List token (draft-ietf-oauth-status-list-20 §5.1)."""
STATUS_LIST_MEDIA_TYPE = f"application/{STATUS_LIST_JWT_TYPE}"
AUDIT_CHECKPOINT_JWT_TYPE = "audit-checkpoint+jwt"
AUDIT_CHECKPOINT_MEDIA_TYPE = f"application/{AUDIT_CHECKPOINT_JWT_TYPE}"
AUDIT_CHECKPOINT_KEY = "issuer"
"""The one key an audit checkpoint is published under: a registry holds one issuer's log."""
BODY_INFORMATION_KEY = "body"
"""The one key the body information is published under: a registry holds one body's."""
MARK_MEDIA_TYPES = frozenset({"image/svg+xml", "image/png"})
"""The image types a certification mark may have, on the issuer's side and on intake."""
PUBLICATION_MEDIA_TYPE = "application/json"
CREDENTIAL_VERSION = 1
"""The one version a ``credential`` document is published at: it never changes."""


class DocumentKind(enum.StrEnum):
    ISSUER_KEYS = "issuer-keys"
    STATUS_LIST = "status-list"
    REGISTER_ENTRY = "register-entry"
    SCHEME = "scheme"
    CREDENTIAL = "credential"
    MARK = "mark"
    AUDIT_CHECKPOINT = "audit-checkpoint"
    BODY_INFORMATION = "body-information"
    TOKEN_STATUS_LIST = "token-status-list"  # noqa: S105 - a document kind


def digest_sri(data: bytes) -> str:
    """The Subresource Integrity digest (``sha384-…``) that ``digestSRI`` carries (VCDM 2.0
    §5.3 suggests SHA-384 at least): the issuer writes it, the registry checks it on intake,
    and a verifier recomputes it over the bytes it fetched."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


class Publication(BaseModel):
    """One signed document on its way from the issuer's outbox to the registry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: DocumentKind
    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    version: int = Field(ge=1, le=2**62)
    body: str = Field(min_length=1, max_length=4 * 1024 * 1024)
