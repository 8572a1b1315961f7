"""Verification against what this registry holds: its stored keys and status lists.

A registry already holds, verified on intake, everything a verifier would fetch from it: the
issuer's DID document and the signed status list credentials. Verifying a presented
credential here reads them from the store instead of over HTTP, so the registry's own answer
(``POST /credentials/verify``, the QR page) is as current as its store — a suspension is
seen the moment it is published — and never depends on the registry reaching itself.

The verifier still checks everything as it would for any issuer: the stored status list is
the issuer-signed credential, verified again with the stored keys. Use it as::

    verification = RegistryVerification(registry)
    report = verification.check(token, now=datetime.now(UTC))   # a verifier.Report

or hand :meth:`RegistryVerification.verifier` to :func:`verifier.http.verification_router`.
A revoked credential whose stored register entry names its replacement is answered
*superseded*, with the replacement's id (:class:`RegistrySupersession`); so is, on the page
behind its QR code, a credential whose key the issuer has declared compromised and that it
re-issued under a new key (:meth:`RegistryVerification.replaced_after_key_revocation`).
The trust policy trusts exactly the issuer whose keys this registry holds; a credential of
any other issuer is answered ``untrusted-issuer``; before any keys are published every
credential is answered "cannot confirm" (``key-retrieval-error``).

SD-JWT VCs (:meth:`RegistryVerification.sd_jwt_verifier`) are checked with the same stored
keys: an HTTPS ``iss`` names the body whose did:web it serves, with the same keys (the
registry publishes both). Their Token Status Lists are read through ``token_status``, by
default :class:`RegistryTokenStatusLists`: the tokens this registry stores, so an SD-JWT VC
is answered valid, suspended or revoked as its certification stands now; a list it does not
hold is "cannot confirm" — never "valid".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from registry import jws
from registry.errors import RegistryError
from registry.intake import Registry, read_issuer_keys
from schemas.publication import DocumentKind
from verifier import jws as verifier_jws
from verifier.core import Verifier
from verifier.did_web import did_web_url
from verifier.errors import KeyRetrievalError, StatusRetrievalError, VerificationError
from verifier.fetch import Fetched
from verifier.jwt_vc_issuer import DidWebAliasKeys
from verifier.keys import IssuerKeys, issuer_keys_from_did_document
from verifier.policy import TrustPolicy
from verifier.result import Report
from verifier.sd_jwt_vc import SdJwtVcVerifier
from verifier.supersession import register_lookup, superseded_by_in_entry
from verifier.token_status import STATUS_LIST_JWT_ACCEPT, TokenStatusSource

__all__ = [
    "RegistryKeys",
    "RegistrySdJwtKeys",
    "RegistryStatusLists",
    "RegistrySupersession",
    "RegistryTokenStatusLists",
    "RegistryVerification",
    "system_now",
]

_LIST_KEY = re.compile(r"[A-Za-z0-9._-]{1,64}")
_STATUS_PATH = "/status/"
_TOKEN_STATUS_PATH = "/statuslists/"  # noqa: S105 - a path, not a secret


def system_now() -> datetime:
    """The wall clock, timezone-aware: the default instant of a check."""
    return datetime.now(UTC)


class RegistryKeys:
    """The issuer keys this registry stores, as a :class:`verifier.keys.KeySource`.

    The stored keys document is re-verified (its proof of possession) whenever it changes;
    the prepared keys are kept until the stored document's ETag changes, so a rotation or a
    key marked compromised is seen by the next verification.
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._lock = threading.Lock()
        self._cached: tuple[str, IssuerKeys] | None = None

    def did(self) -> str | None:
        """The DID of the issuer whose keys are stored, or ``None`` before any are."""
        try:
            return self._current().issuer
        except KeyRetrievalError:
            return None

    def issuer_keys(self, issuer: str, *, now: datetime) -> IssuerKeys:
        keys = self._current()
        if keys.issuer != issuer:
            raise KeyRetrievalError(f"this registry holds no keys for issuer {issuer[:80]}")
        return keys

    def refresh(self, issuer: str, *, now: datetime) -> IssuerKeys:
        return self.issuer_keys(issuer, now=now)  # every call already sees the stored keys

    def _current(self) -> IssuerKeys:
        document = self._registry.document(DocumentKind.ISSUER_KEYS, "issuer")
        if document is None:
            raise KeyRetrievalError("this registry holds no issuer keys yet")
        with self._lock:
            cached = self._cached
        if cached is not None and cached[0] == document.etag:
            return cached[1]
        try:
            stored = read_issuer_keys(document.body)
        except RegistryError as exc:
            raise KeyRetrievalError(f"the stored issuer keys do not verify: {exc}") from exc
        did = stored.did_document.get("id")
        if not isinstance(did, str) or not did:
            raise KeyRetrievalError("the stored DID document names no id")
        keys = issuer_keys_from_did_document(did, stored.did_document)
        with self._lock:
            self._cached = (document.etag, keys)
        return keys


class RegistrySdJwtKeys(DidWebAliasKeys):
    """:class:`RegistryKeys` for SD-JWT VC issuers: an HTTPS ``iss`` is the body at that
    base URL, whose keys are those of its did:web (STANDARDS §11.6: one set of keys, served
    both as a DID document and as JWT VC Issuer Metadata)."""

    def __init__(self, keys: RegistryKeys) -> None:
        super().__init__(keys)


class RegistryTokenStatusLists:
    """The Token Status List tokens this registry stores, as a
    :class:`verifier.token_status.TokenStatusSource`.

    As :class:`RegistryStatusLists` for Bitstring lists: a token is found by the last path
    segment of its URI (``…/statuslists/{list_id}``) and handed over only if the stored token
    names exactly that URI as its ``sub``; a URI this registry does not serve is a
    STATUS_RETRIEVAL_ERROR ("cannot confirm"), as an unreachable list would be. Answers say
    ``max_age=0``: the store is read on every check, so a suspension is seen the moment it
    is published. The verifier still checks the token as if fetched (signed by the
    credential's issuer, ``sub``, ``iat``, ``exp``, ``ttl``).
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def status_list_token(self, uri: str, *, now: datetime) -> Fetched:
        head, found, list_id = uri.rpartition(_TOKEN_STATUS_PATH)
        document = None
        if found and head and _LIST_KEY.fullmatch(list_id):
            document = self._registry.document(DocumentKind.TOKEN_STATUS_LIST, list_id)
        if document is None or _claim(document.body, "sub") != uri:
            raise StatusRetrievalError(f"this registry holds no token status list {uri[:100]}")
        return Fetched(
            url=uri,
            body=document.body.encode("ascii"),
            media_type=STATUS_LIST_JWT_ACCEPT,
            max_age=0,
        )


class RegistryStatusLists:
    """The status list credentials this registry stores, as a
    :class:`verifier.status.StatusSource`.

    A list is found by the last path segment of its URL (``…/status/{list_id}``) and handed
    over only if the stored credential names exactly that URL as its ``id``; a URL this
    registry does not serve is a STATUS_RETRIEVAL_ERROR, as an unreachable list would be.
    Answers say ``max_age=0``: the store is read on every check, never a cached copy.
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def status_list(self, url: str, *, now: datetime) -> Fetched:
        head, found, list_id = url.rpartition(_STATUS_PATH)
        document = None
        if found and head and _LIST_KEY.fullmatch(list_id):
            document = self._registry.document(DocumentKind.STATUS_LIST, list_id)
        if document is None or _claim(document.body, "id") != url:
            raise StatusRetrievalError(f"this registry holds no status list {url[:100]}")
        return Fetched(
            url=url, body=document.body.encode("ascii"), media_type="application/vc+jwt", max_age=0
        )


def _claim(compact: str, name: str) -> str | None:
    """The string claim ``name`` of a stored (verified on intake) compact JWS, if any."""
    try:
        named = jws.parse_compact(compact).payload.get(name)
    except RegistryError:
        return None
    return named if isinstance(named, str) else None


class RegistrySupersession:
    """The register entries this registry stores, as a
    :class:`verifier.supersession.SupersessionSource`.

    The stored entry is the issuer-signed ``RegisterEntryCredential`` the registry verified
    on intake, looked up by the credential's certificate number; only an entry of the same
    issuer counts. No family name is needed: this is the registry's own store, and the
    answer names only the id of a credential.
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def superseded_by(self, credential: Mapping[str, Any], *, now: datetime) -> str | None:
        lookup = register_lookup(credential)
        credential_id = credential.get("id")
        if lookup is None or not isinstance(credential_id, str):
            return None
        document = self._registry.document(DocumentKind.REGISTER_ENTRY, lookup.certificate_number)
        if document is None:
            return None
        try:
            entry = jws.parse_compact(document.body).payload
        except RegistryError:
            return None
        if _issuer(entry) != _issuer(credential):
            return None
        return superseded_by_in_entry(entry, credential_id)


def _issuer(document: Mapping[str, Any]) -> object:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


class RegistryVerification:
    """A verifier over this registry's stored keys and status lists, trusting its issuer."""

    def __init__(
        self, registry: Registry, *, token_status: TokenStatusSource | None = None
    ) -> None:
        self.keys = RegistryKeys(registry)
        self.status = RegistryStatusLists(registry)
        self.supersession = RegistrySupersession(registry)
        self.token_status = token_status or RegistryTokenStatusLists(registry)
        self._lock = threading.Lock()
        self._verifier: tuple[str | None, Verifier] | None = None
        self._sd_jwt_verifier: tuple[str | None, SdJwtVcVerifier] | None = None

    def verifier(self) -> Verifier:
        """A :class:`~verifier.Verifier` trusting the issuer whose keys are stored now."""
        did = self.keys.did()
        with self._lock:
            if self._verifier is None or self._verifier[0] != did:
                if did is None:
                    # No keys yet: nothing can verify, and the honest answer is "cannot
                    # confirm" (keys unavailable), not "untrusted". Admitting any issuer here
                    # only lets the check reach RegistryKeys, which then names the missing keys
                    # (and, should keys arrive meanwhile, refuses every other issuer's).
                    policy = TrustPolicy(trusted_issuers=frozenset(), unsafe_any_issuer=True)
                else:
                    policy = TrustPolicy(trusted_issuers=frozenset({did}))
                self._verifier = (
                    did,
                    Verifier(
                        policy=policy,
                        keys=self.keys,
                        status=self.status,
                        supersession=self.supersession,
                    ),
                )
            return self._verifier[1]

    def sd_jwt_verifier(self) -> SdJwtVcVerifier:
        """An :class:`~verifier.sd_jwt_vc.SdJwtVcVerifier` over the stored keys, trusting the
        issuer whose keys are stored now (by its DID, or the HTTPS base URL it serves)."""
        verifier = self.verifier()  # the same policy, rebuilt when the stored issuer changes
        did = self.keys.did()
        policy = verifier.policy
        if did is not None and did.startswith("did:web:"):
            # The body on plain HTTP (a deployment without TLS, such as the demo) writes an
            # http:// iss: the same host and keys as its did:web, which did:web cannot say.
            url = "http://" + did_web_url(did).removeprefix("https://")
            url = url.removesuffix("/.well-known/did.json").removesuffix("/did.json")
            policy = replace(policy, trusted_issuers=policy.trusted_issuers | {url})
        with self._lock:
            if self._sd_jwt_verifier is None or self._sd_jwt_verifier[0] != did:
                self._sd_jwt_verifier = (
                    did,
                    SdJwtVcVerifier(
                        policy=policy,
                        keys=RegistrySdJwtKeys(self.keys),
                        status=self.token_status,
                        seen_lists=verifier.seen_lists,
                    ),
                )
            return self._sd_jwt_verifier[1]

    def check(self, token: str, *, now: datetime) -> Report:
        """Verify ``token`` at ``now``; the whole answer as a :class:`verifier.Report`."""
        return self.verifier().check(token, now=now)

    def replaced_after_key_revocation(
        self, registry: Registry, credential: Mapping[str, Any], *, now: datetime
    ) -> str | None:
        """The id of the credential that replaced ``credential`` — the payload of a stored
        credential whose signing key the issuer has since marked revoked — if the issuer's
        register entry says one did; else ``None``.

        The credential's own signature no longer counts, so the claim rests on the register
        entry alone, verified again now with the keys stored now: an entry signed by the
        revoked key (perhaps by whoever stole it) says nothing. An issuer re-issues what a
        compromised key signed under a new key and republishes the entry, signed by that
        key, naming the replacement. The answer never makes anything valid: it only lets
        the page say *replaced* rather than *not valid*, and link the replacement, which is
        verified on its own page.
        """
        lookup = register_lookup(credential)
        credential_id = credential.get("id")
        if lookup is None or not isinstance(credential_id, str):
            return None
        document = registry.document(DocumentKind.REGISTER_ENTRY, lookup.certificate_number)
        if document is None:
            return None
        try:
            parsed = verifier_jws.parse_compact(document.body)
            entry = parsed.payload
            issuer = _issuer(entry)
            if not isinstance(issuer, str) or issuer != _issuer(credential):
                return None
            prepared = self.keys.issuer_keys(issuer, now=now).key_for(parsed.kid)
            verifier_jws.verify_with_key(parsed, prepared.key, key_alg=prepared.alg)
        except VerificationError:
            return None
        return superseded_by_in_entry(entry, credential_id)
