"""Publication intake: the registry stores only what the issuer's keys verifiably signed.

The issuer keys document must describe the same keys twice over, as a DID document and as a
JWKS, and be signed by one of its own keys; a new one replaces the held one only if a key the
held one lists as usable signed it (:mod:`registry.issuer_keys`). Every
other document is checked against the keys stored from that document, by ``kid``: the DID
URL of a verification method of that DID document (what the issuer writes), or a bare JWK
``kid`` (what it wrote before, still found in older stored documents); a DID URL of another
DID names no key of this issuer. A key the DID document marks ``revoked`` signs nothing new.
A document must also name itself as the URL it will be served at, so a validly signed status
list cannot be stored under another list's id. Each refusal is a typed
:class:`~registry.errors.PublicationRefused`.

Register entries, issued credentials and their JSON Schemas are checked too: what the
registry serves must be what the issuer could have validated, and a register entry's
``directory`` choice decides whether its name is listed in the public directory (7.3.3).
Documents signed before certreg's context version 2 still validate against the version 1
schemas they were made for: a rebuild republishes credentials exactly as signed.

A certification mark's image is stored only if the digest its signed document states is the
digest of its bytes: that digest is what mark credentials carry (``relatedResource``), so
what ``/marks/{id}`` serves is what they name.

The body information (what the body publishes about itself: clauses 4.3, 9.8, 9.9) is
checked against its JSON Schema, under its one key, so ``/body`` serves only what the issuer
could have validated.

A Token Status List token (the status of SD-JWT VCs) is checked as
:mod:`registry.token_status_lists` says, and never replaced by one signed before it.

An audit checkpoint is stored only if it goes further along the issuer's audit log than the
one held (:mod:`registry.audit_checkpoint`): a registry never goes back.
"""

from __future__ import annotations

import binascii
import re
from base64 import b64decode
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry import jws
from registry.audit_checkpoint import (
    check_audit_checkpoint,
    goes_further,
    read_audit_checkpoint,
)
from registry.errors import (
    IdentifierMismatch,
    InvalidPayload,
    InvalidQuery,
    NoIssuerKeys,
    WrongType,
)
from registry.issuer_keys import IssuerKeys, check_new_issuer_keys, read_issuer_keys, verify_by_kid
from registry.names import fold
from registry.store import Document, RegistryStore
from registry.token_status_lists import check_token_status_list, signed_at
from schemas import credential_schemas
from schemas.publication import (
    AUDIT_CHECKPOINT_MEDIA_TYPE,
    BODY_INFORMATION_KEY,
    KEYS_JWT_TYPE,
    MARK_JWT_TYPE,
    MARK_MEDIA_TYPES,
    STATUS_LIST_MEDIA_TYPE,
    DocumentKind,
    Publication,
    digest_sri,
)

__all__ = [
    "DIRECTORY_MAX_QUERY",
    "DIRECTORY_MAX_RESULTS",
    "DIRECTORY_MIN_QUERY",
    "DirectoryAnswer",
    "IssuerKeys",
    "Registry",
    "check_credential",
    "check_mark",
    "check_new_issuer_keys",
    "credential_key",
    "directory_name",
    "mark_image",
    "read_issuer_keys",
]

VC_JWT_TYPE = "vc+jwt"
VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CREDENTIAL_SCHEMAS = {
    "CertificationCredential": (
        credential_schemas.CERTIFICATION_CREDENTIAL_V1,
        credential_schemas.CERTIFICATION_CREDENTIAL_V2,
        credential_schemas.CERTIFICATION_CREDENTIAL_V3,
    ),
    "CertificationMarkCredential": (
        credential_schemas.CERTIFICATION_MARK_CREDENTIAL_V1,
        credential_schemas.CERTIFICATION_MARK_CREDENTIAL_V2,
        credential_schemas.CERTIFICATION_MARK_CREDENTIAL_V3,
    ),
}
"""The schemas a credential of each type may cite (``credentialSchema.id``), oldest first."""
_MARK_FIELDS = frozenset({"id", "mediaType", "digestSRI", "image", "iat"})

DIRECTORY_MIN_QUERY = 3
"""Characters a directory search needs, as sent and after folding: no listing by one or two
letters."""
DIRECTORY_MAX_QUERY = 100
DIRECTORY_MAX_RESULTS = 20
DIRECTORY_NAME_WIDTH = 420
"""At most this many persons per directory answer: a search finds people, it lists no one."""


def _check_vc_shape(payload: Mapping[str, Any], keys: IssuerKeys) -> Mapping[str, Any]:
    context, types = payload.get("@context"), payload.get("type")
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT_V2:
        raise InvalidPayload(f"@context must start with {VC_CONTEXT_V2}")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise InvalidPayload("type must include VerifiableCredential")
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise InvalidPayload("the credential names no issuer")
    if issuer_id != keys.did_document.get("id"):
        raise IdentifierMismatch("the credential's issuer is not the DID of the issuer keys")
    if "iss" in payload and payload["iss"] != issuer_id:
        raise IdentifierMismatch("the JWT iss is not the credential's issuer")
    subject = payload.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise InvalidPayload("credentialSubject must be one JSON object")
    return subject


def _validate(schema: str, payload: Mapping[str, Any]) -> None:
    try:
        credential_schemas.validate(schema, payload)
    except credential_schemas.SchemaViolation as exc:
        raise InvalidPayload("; ".join(exc.problems)[:500]) from exc


def _register_entry_schema(payload: Mapping[str, Any]) -> str:
    """The version of the schema the entry's context says: version 1 for an entry citing
    the version 1 context, version 2 for one citing ``…/contexts/certreg-v2.jsonld``, else
    the current version."""
    context = payload.get("@context")
    if isinstance(context, list) and credential_schemas.CONTEXT_V1_URL in context:
        return credential_schemas.REGISTER_ENTRY_V1
    v2 = f"/contexts/{credential_schemas.CONTEXT_V2}.jsonld"
    if isinstance(context, list) and any(isinstance(c, str) and c.endswith(v2) for c in context):
        return credential_schemas.REGISTER_ENTRY_V2
    return credential_schemas.REGISTER_ENTRY_V3


def _check_register_entry(payload: Mapping[str, Any], subject: Mapping[str, Any]) -> None:
    _validate(_register_entry_schema(payload), payload)
    for name in ("familyName", "status"):
        if not isinstance(subject.get(name), str):
            raise InvalidPayload(f"a register entry needs credentialSubject.{name}")


def _check_issued_credential(payload: Mapping[str, Any], key: str) -> bool:
    """A certificate or mark credential valid against its schema, published under its id."""
    types = payload.get("type")
    named = [t for t in types if t in _CREDENTIAL_SCHEMAS] if isinstance(types, list) else []
    if len(named) != 1:
        raise InvalidPayload("a credential is a CertificationCredential or a mark credential")
    allowed, schema = _CREDENTIAL_SCHEMAS[named[0]], _cited_schema(payload)
    if schema not in allowed:
        raise InvalidPayload(f"a {named[0]} cites one of the schemas {', '.join(allowed)}")
    _validate(schema, payload)
    return bool(_UUID.fullmatch(key)) and payload.get("id") == f"urn:uuid:{key}"


def _cited_schema(payload: Mapping[str, Any]) -> str | None:
    """The name of the schema a credential cites (``…/schemas/{name}.json``), if any."""
    cited = payload.get("credentialSchema")
    schema_id = cited.get("id") if isinstance(cited, Mapping) else None
    if not isinstance(schema_id, str) or not schema_id.endswith(".json"):
        return None
    return schema_id.rpartition("/schemas/")[2].removesuffix(".json") or None


def check_mark(key: str, compact: str, keys: IssuerKeys) -> jws.CompactJws:
    """Verify a mark image document published under ``key``; return it parsed.

    Signed by an issuer key like everything else; its ``digestSRI`` must be the digest of
    its image, because mark credentials name the image by that digest.
    """
    parsed = jws.parse_compact(compact)
    if parsed.header.get("typ") != MARK_JWT_TYPE:
        raise WrongType(f"a mark document has typ {MARK_JWT_TYPE}")
    verify_by_kid(parsed, keys)
    payload = parsed.payload
    if not set(payload) <= _MARK_FIELDS:
        raise InvalidPayload(f"a mark document holds only {', '.join(sorted(_MARK_FIELDS))}")
    image = mark_image(parsed)
    if payload.get("mediaType") not in MARK_MEDIA_TYPES:
        raise InvalidPayload(f"a mark image is one of {', '.join(sorted(MARK_MEDIA_TYPES))}")
    if payload.get("digestSRI") != digest_sri(image):
        raise InvalidPayload("the mark's digestSRI is not the digest of its image")
    named = payload.get("id")
    if not (isinstance(named, str) and named.endswith(f"/marks/{key}")):
        raise IdentifierMismatch(f"the signed document does not name mark {key[:64]}")
    return parsed


def mark_image(parsed: jws.CompactJws) -> bytes:
    """The image bytes of a mark document (base64 in its payload)."""
    image = parsed.payload.get("image")
    if not isinstance(image, str) or not image:
        raise InvalidPayload("a mark document carries its image in base64")
    try:
        return b64decode(image, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidPayload("the mark's image is not valid base64") from exc


def credential_key(credential_id: str) -> str | None:
    """The registry key of a credential id (``urn:uuid:…`` or bare, any case), or ``None``."""
    if len(credential_id) > 64:
        return None
    bare = credential_id.strip().lower().removeprefix("urn:uuid:")
    return bare if _UUID.fullmatch(bare) else None


def directory_name(kind: DocumentKind, payload: Mapping[str, Any]) -> str | None:
    """The folded name a verified document is listed under in the public directory, if any.

    Only a register entry whose person chose to be listed (``directory: true``) is. The
    folded name is cut to the column's width (folding may lengthen a name).
    """
    if kind is not DocumentKind.REGISTER_ENTRY:
        return None
    subject = payload.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("directory") is not True:
        return None
    name = subject.get("name")
    return fold(name)[:DIRECTORY_NAME_WIDTH] if isinstance(name, str) else None


def check_credential(
    kind: DocumentKind, key: str, compact: str, keys: IssuerKeys
) -> jws.CompactJws:
    """Verify a ``vc+jwt`` document published as ``(kind, key)``; return it parsed."""
    parsed = jws.parse_compact(compact)
    if parsed.header.get("typ") != VC_JWT_TYPE or parsed.header.get("cty") != "vc":
        raise WrongType(f"a {kind.value} document has typ {VC_JWT_TYPE} and cty vc")
    verify_by_kid(parsed, keys)
    payload = parsed.payload
    subject = _check_vc_shape(payload, keys)
    if kind is DocumentKind.STATUS_LIST:
        named = payload.get("id")
        matches = isinstance(named, str) and named.endswith(f"/status/{key}")
    elif kind is DocumentKind.REGISTER_ENTRY:
        _check_register_entry(payload, subject)
        matches = subject.get("certificateNumber") == key
    elif kind is DocumentKind.CREDENTIAL:
        matches = _check_issued_credential(payload, key)
    elif kind is DocumentKind.BODY_INFORMATION:
        _validate(credential_schemas.BODY_INFORMATION_V1, payload)
        named = payload.get("id")
        matches = key == BODY_INFORMATION_KEY and isinstance(named, str) and named.endswith("/body")
    else:
        named = subject.get("id")
        matches = isinstance(named, str) and named.endswith(f"/schemes/{key}")
    if not matches:
        raise IdentifierMismatch(f"the signed document does not name {kind.value} {key[:64]}")
    return parsed


@dataclass(frozen=True, slots=True)
class DirectoryAnswer:
    """What a directory search found, and whether more matched than are shown."""

    entries: list[Document]
    truncated: bool


class Registry:
    """The intake and the reads of the public registry, over one :class:`RegistryStore`."""

    def __init__(self, store: RegistryStore) -> None:
        self.store = store
        self._on_stored: list[Callable[[DocumentKind, str], None]] = []

    def on_stored(self, listener: Callable[[DocumentKind, str], None]) -> None:
        """Call ``listener(kind, key)`` after each publication this object stores: caches in
        this process (the served status lists) drop the old version at once, instead of
        waiting for their next check against the store, which only other processes' writes
        need."""
        self._on_stored.append(listener)

    def accept(self, publication: Publication) -> bool:
        """Verify and store ``publication``; ``False`` if a version as new is already held."""
        listed = None
        if publication.kind is DocumentKind.ISSUER_KEYS:
            if publication.key != "issuer":
                raise IdentifierMismatch('the issuer keys document has the key "issuer"')
            return self._accept_keys(publication)
        if publication.kind is DocumentKind.AUDIT_CHECKPOINT:
            return self._accept_checkpoint(publication)
        if publication.kind is DocumentKind.TOKEN_STATUS_LIST:
            return self._accept_token_status_list(publication)
        if publication.kind is DocumentKind.MARK:
            check_mark(publication.key, publication.body, self.keys())
            media = f"application/{MARK_JWT_TYPE}"
        else:
            kind, key, body = publication.kind, publication.key, publication.body
            parsed = check_credential(kind, key, body, self.keys())
            listed = directory_name(kind, parsed.payload)
            media = f"application/{VC_JWT_TYPE}"
        stored = self.store.put(publication, media_type=media, directory_name=listed)
        if stored:
            self._stored(publication)
        return stored

    def _stored(self, publication: Publication) -> None:
        for listener in self._on_stored:
            listener(publication.kind, publication.key)

    def _accept_token_status_list(self, publication: Publication) -> bool:
        """A Token Status List token (:mod:`registry.token_status_lists`), stored if newer
        than the one held — by version, and not signed before it: an older list is never
        served again."""
        offered = check_token_status_list(publication.key, publication.body, self.keys())
        held = self.store.get(publication.kind.value, publication.key)
        if held is not None and signed_at(held.body) > offered.payload["iat"]:
            return False
        stored = self.store.put(publication, media_type=STATUS_LIST_MEDIA_TYPE)
        if stored:
            self._stored(publication)
        return stored

    def _accept_keys(self, publication: Publication) -> bool:
        """A keys document, stored only if newer than the one held and endorsed by it
        (:func:`registry.issuer_keys.check_new_issuer_keys`); the first one is trusted on
        first use. The check and the store are one step: the document is stored only over
        the very version it was checked against, else checked again against the newer one
        stored meanwhile. A replay of an older document changes nothing, whoever signed it."""
        media = f"application/{KEYS_JWT_TYPE}"
        while True:
            held = self.store.get(DocumentKind.ISSUER_KEYS.value, "issuer")
            if held is not None and held.version >= publication.version:
                read_issuer_keys(publication.body)
                return False
            trusted = None if held is None else read_issuer_keys(held.body)
            check_new_issuer_keys(publication.body, trusted)
            over = None if held is None else held.version
            if self.store.put_over(publication, media_type=media, held_version=over):
                self._stored(publication)
                return True

    def _accept_checkpoint(self, publication: Publication) -> bool:
        """An audit checkpoint, stored only if it goes further along the issuer's log than
        the one held (:func:`registry.audit_checkpoint.goes_further`), whatever its
        ``version``; one that goes back is refused. The comparison and the store are one
        step, as for the keys: stored only over the very checkpoint it was compared with,
        under a version above that one's, so the next comparison finds it."""
        offered = check_audit_checkpoint(publication.key, publication.body, self.keys())
        kind, key = publication.kind.value, publication.key
        while True:
            held = self.store.get(kind, key)
            if held is not None and not goes_further(offered, read_audit_checkpoint(held.body)):
                return False
            over = None if held is None else held.version
            version = publication.version if over is None else max(publication.version, over + 1)
            stored = publication.model_copy(update={"version": version})
            if self.store.put_over(
                stored, media_type=AUDIT_CHECKPOINT_MEDIA_TYPE, held_version=over
            ):
                self._stored(publication)
                return True

    def trusted_kids(self) -> frozenset[str] | None:
        """The kids of the keys a new keys document may be signed by (those the held one
        lists as usable), or ``None`` while no keys document is held."""
        try:
            return frozenset(self.keys().keys)
        except NoIssuerKeys:
            return None

    def keys(self) -> IssuerKeys:
        """The stored issuer keys, verified again (cheap) so a tampered row is noticed."""
        document = self.store.get(DocumentKind.ISSUER_KEYS.value, "issuer")
        if document is None:
            raise NoIssuerKeys("publish the issuer keys before anything they sign")
        return read_issuer_keys(document.body)

    def document(self, kind: DocumentKind, key: str) -> Document | None:
        return self.store.get(kind.value, key)

    async def document_async(self, kind: DocumentKind, key: str) -> Document | None:
        """:meth:`document` for a caller on an event loop (:meth:`RegistryStore.get_async`)."""
        return await self.store.get_async(kind.value, key)

    def documents(self, kind: DocumentKind, *, limit: int = 1000) -> list[Document]:
        """Documents of ``kind``, ordered by key, at most ``limit`` of them."""
        return self.store.list(kind.value, limit=limit)

    def credential(self, credential_id: str) -> Document | None:
        """The issued credential ``credential_id`` (bare UUID or ``urn:uuid:``), as signed."""
        key = credential_key(credential_id)
        return None if key is None else self.document(DocumentKind.CREDENTIAL, key)

    def directory(self, name: str | None) -> DirectoryAnswer:
        """Register entries of persons who chose the public directory, whose name contains
        ``name`` (folded), at most :data:`DIRECTORY_MAX_RESULTS` of them, ordered by name.

        There is no listing: without a name of :data:`DIRECTORY_MIN_QUERY` characters, as sent
        and after folding, the search is refused with :class:`~registry.errors.InvalidQuery`
        (a ligature such as "ﬃ" folds to three letters but is one character: refused, as
        the OpenAPI document, which counts what is sent, says).
        """
        if name is None:
            raise InvalidQuery("a directory search needs a name")
        if len(name) > DIRECTORY_MAX_QUERY:
            raise InvalidQuery(f"a name search has at most {DIRECTORY_MAX_QUERY} characters")
        if len(name) < DIRECTORY_MIN_QUERY:  # as sent, as the OpenAPI document says ("ﬃ": 1)
            raise InvalidQuery(f"a name search needs at least {DIRECTORY_MIN_QUERY} characters")
        query = fold(name)
        if len(query) < DIRECTORY_MIN_QUERY:
            raise InvalidQuery(f"a name search needs at least {DIRECTORY_MIN_QUERY} characters")
        if not query.isprintable():
            raise InvalidQuery("a name search holds letters, not control characters")
        found = self.store.listed(
            DocumentKind.REGISTER_ENTRY.value, query, limit=DIRECTORY_MAX_RESULTS + 1
        )
        return DirectoryAnswer(found[:DIRECTORY_MAX_RESULTS], len(found) > DIRECTORY_MAX_RESULTS)
