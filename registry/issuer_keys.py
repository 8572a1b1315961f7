"""The issuer keys document: what it must hold, who may sign it, and who may replace it.

The issuer publishes its keys twice over, as a ``did:web`` DID document and as a JWKS, in
one document of type ``keys+jwt``; every other document the registry takes is checked
against the keys of the one it holds (:func:`verify_by_kid`). So whoever can replace that
document decides what the registry believes the body signed. The rules:

- **The first keys document** a registry takes proves possession of a key it lists: it is
  signed by one of its own usable keys. Nothing can vouch for it: it is trusted on first
  use (with the intake secret that delivered it).
- **Every later one** must, besides, be *endorsed*: signed by a key that the document the
  registry holds lists as usable (in its JWKS; not marked ``revoked``), checked with the
  key material the held document gives for it. The intake secret alone, stolen, can no
  longer replace the body's keys. The signing key must also be listed by the new document
  — usable, or marked ``revoked`` when the new document announces that key's own
  compromise: a compromised key may still sign the document that takes it out of use and
  names its successor, since whoever stole it could as well sign one that keeps it (see
  docs/REGISTRY.md, "Who may change the keys").
- A key keeps its material: a kid that both documents list names the same key in both.

:func:`read_issuer_keys` reads again a document the registry already holds (on every
intake, and for the verification page): it must be signed by a key it lists, usable or
marked revoked by itself (the announcement of a compromise, endorsed when it was taken in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry import jws
from registry.errors import InvalidKeys, KeyRevoked, KeysNotEndorsed, UnknownKey, WrongType
from schemas.publication import KEYS_JWT_TYPE

__all__ = ["IssuerKeys", "check_new_issuer_keys", "read_issuer_keys", "verify_by_kid"]

_KEY_MATERIAL = ("kty", "crv", "x", "y")


@dataclass(frozen=True, slots=True)
class IssuerKeys:
    """The verified content of an ``issuer-keys`` document."""

    did_document: dict[str, Any]
    jwks: dict[str, Any]
    keys: Mapping[str, Mapping[str, Any]]
    """Public JWKs by ``kid``: the keys that may sign."""
    revoked: frozenset[str]
    method_kids: Mapping[str, str]
    """The ``kid`` of each verification method, by the method's absolute DID URL."""

    def method_jwks(self) -> dict[str, Mapping[str, Any]]:
        """The public JWK of every verification method by its kid, revoked ones included."""
        return {
            _method_kid(method): method["publicKeyJwk"]
            for method in self.did_document["verificationMethod"]
        }


def _method_kid(method: Mapping[str, Any]) -> str:
    jwk = method.get("publicKeyJwk")
    kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
    if isinstance(kid, str) and kid:
        return kid
    method_id = method.get("id")
    if isinstance(method_id, str) and "#" in method_id:
        return method_id.rsplit("#", 1)[1]
    raise InvalidKeys("a verification method names no kid")


def _did_methods(did_document: Mapping[str, Any]) -> tuple[dict[str, Mapping[str, Any]], set[str]]:
    """Verification methods by kid, and the kids the DID document marks revoked."""
    methods, assertion = did_document.get("verificationMethod"), did_document.get("assertionMethod")
    if not isinstance(methods, list) or not isinstance(assertion, list):
        raise InvalidKeys("the DID document needs verificationMethod and assertionMethod lists")
    by_kid: dict[str, Mapping[str, Any]] = {}
    revoked: set[str] = set()
    for method in methods:
        if not isinstance(method, Mapping) or method.get("type") != "JsonWebKey":
            raise InvalidKeys("every verification method is of type JsonWebKey")
        jws.public_key(method.get("publicKeyJwk") or {})  # refuses private members
        kid = _method_kid(method)
        if kid in by_kid:
            raise InvalidKeys("the DID document lists a kid twice")
        by_kid[kid] = method
        if "revoked" in method:
            revoked.add(kid)
        elif method.get("id") not in assertion:
            raise InvalidKeys(f"verification method {kid[:60]} is not an assertionMethod")
    return by_kid, revoked


def _parse(compact: str) -> tuple[jws.CompactJws, IssuerKeys]:
    """A keys document parsed and checked for consistency; its signature not yet checked."""
    parsed = jws.parse_compact(compact)
    if parsed.header.get("typ") != KEYS_JWT_TYPE:
        raise WrongType(f"an issuer keys document has typ {KEYS_JWT_TYPE}")
    did_document, jwks = parsed.payload.get("did_document"), parsed.payload.get("jwks")
    if not isinstance(did_document, dict) or not isinstance(jwks, dict):
        raise InvalidKeys("the payload needs did_document and jwks objects")
    listed = jwks.get("keys")
    if not isinstance(listed, list) or not listed:
        raise InvalidKeys("the JWKS lists no keys")
    keys: dict[str, Mapping[str, Any]] = {}
    for jwk in listed:
        jws.public_key(jwk)  # refuses private members and unsupported keys
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid or kid in keys:
            raise InvalidKeys("every JWK needs a unique kid")
        keys[kid] = jwk
    methods, revoked = _did_methods(did_document)
    if set(methods) - revoked != set(keys):
        raise InvalidKeys("the DID document and the JWKS list different keys")
    for kid, jwk in keys.items():
        if _material(methods[kid]["publicKeyJwk"]) != _material(jwk):
            raise InvalidKeys(f"key {kid[:60]} differs between the DID document and the JWKS")
    return parsed, IssuerKeys(
        did_document, jwks, keys, frozenset(revoked), _method_urls(did_document)
    )


def _material(jwk: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(jwk.get(member) for member in _KEY_MATERIAL)


def _method_urls(did_document: Mapping[str, Any]) -> dict[str, str]:
    """Each verification method's absolute DID URL (a relative ``#…`` id completed with the
    document's ``id``) → its kid; the methods were checked by :func:`_did_methods`."""
    did = did_document.get("id")
    urls: dict[str, str] = {}
    for method in did_document["verificationMethod"]:
        method_id = method.get("id")
        if isinstance(method_id, str) and isinstance(did, str):
            url = did + method_id if method_id.startswith("#") else method_id
            urls[url] = _method_kid(method)
    return urls


def _stored_kid(kid: str, keys: IssuerKeys) -> str:
    """The kid ``keys`` holds the signing key by: a DID URL is the id of one of the DID
    document's methods; any other kid is taken as it stands (documents signed before the
    issuer wrote DID URLs)."""
    if not kid.startswith("did:"):
        return kid
    stored = keys.method_kids.get(kid)
    if stored is None:
        did = keys.did_document.get("id")
        if not kid.startswith(f"{did}#"):
            raise UnknownKey(f"kid {kid[:100]} names a key of another DID than the issuer's")
        raise UnknownKey(f"no issuer key {kid[:100]}")
    return stored


def verify_by_kid(parsed: jws.CompactJws, keys: IssuerKeys) -> None:
    """Raise unless ``parsed`` is signed by a key ``keys`` lists as usable."""
    kid = _stored_kid(parsed.kid, keys)
    if kid in keys.revoked:
        raise KeyRevoked(f"key {kid[:60]} is revoked")
    jwk = keys.keys.get(kid)
    if jwk is None:
        raise UnknownKey(f"no issuer key {kid[:60]}")
    jws.verify_signature(parsed, jwk)


def read_issuer_keys(compact: str) -> IssuerKeys:
    """Parse and verify a keys document the registry holds: consistent, and signed by a key
    it lists (usable, or marked revoked by this very document: see the module doc)."""
    parsed, keys = _parse(compact)
    kid = _stored_kid(parsed.kid, keys)
    jwk = keys.method_jwks().get(kid)
    if jwk is None:
        raise UnknownKey(f"no issuer key {kid[:60]}")
    jws.verify_signature(parsed, jwk)
    return keys


def check_new_issuer_keys(compact: str, held: IssuerKeys | None) -> IssuerKeys:
    """Parse and verify a keys document offered to replace ``held`` (``None``: the registry
    holds none yet, and trusts this one on first use). See the module doc for the rules."""
    parsed, keys = _parse(compact)
    if held is None:
        verify_by_kid(parsed, keys)  # proof of possession of a key it lists
        return keys
    kid = _stored_kid(parsed.kid, keys)
    if kid not in keys.keys and kid not in keys.revoked:
        raise UnknownKey(f"no issuer key {kid[:60]} in the new keys document")
    trusted = held.keys.get(kid)
    if trusted is None:
        raise KeysNotEndorsed(
            f"key {kid[:60]} is not one the registry trusts: a new keys document is signed by"
            " a key the keys document it replaces lists as usable"
        )
    old, new = held.method_jwks(), keys.method_jwks()
    for common in sorted(old.keys() & new.keys()):
        if _material(old[common]) != _material(new[common]):
            raise InvalidKeys(f"key {common[:60]} differs from the key the registry holds")
    jws.verify_signature(parsed, trusted)
    return keys
