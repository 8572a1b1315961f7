"""Offline bundles: a snapshot of issuer keys and signed status lists, for places without network.

A registry exports one (``certreg registry export-bundle``); ``certreg verify --offline``
verifies against it. The status lists inside (Bitstring lists, and the Token Status Lists of
SD-JWT VCs under ``tokenStatusLists``) are the issuer-signed documents themselves,
so the verifier checks them exactly as if fetched; the DID documents are the bundle's trust
anchor, so a bundle must come from a registry you trust, over a channel you trust.

A list is signed for minutes only (its ``validUntil``), far less than a bundle is meant to
serve; so a bundle's lists are judged at the bundle's creation — each must have been within
its validity then, or it answers "cannot confirm" — and the bundle's age is the holder's
rule: ``certreg verify --offline --max-age`` (24 hours by default) turns a valid or suspended
answer from an older bundle into "cannot confirm", never "valid".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from verifier.errors import ParsingError
from verifier.keys import StaticKeys
from verifier.policy import TrustPolicy
from verifier.status import StaticStatusLists
from verifier.timestamps import parse_timestamp
from verifier.token_status import StaticTokenStatusLists

__all__ = ["BUNDLE_TYPE", "Bundle", "read_bundle"]

BUNDLE_TYPE = "certreg-offline-bundle"
BUNDLE_VERSION = 1
MAX_BUNDLE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Bundle:
    """Keys and status lists as a registry held them at ``created_at``."""

    created_at: datetime
    did_documents: Mapping[str, Mapping[str, Any]]
    status_lists: Mapping[str, str]
    token_status_lists: Mapping[str, str] = field(default_factory=dict)
    """The Token Status List tokens of SD-JWT VCs, by the URI they are served at (``sub``)."""

    def keys(self) -> StaticKeys:
        return StaticKeys(did_documents=self.did_documents)

    def status(self) -> StaticStatusLists:
        return StaticStatusLists(self.status_lists, as_of=self.created_at)

    def token_status(self) -> StaticTokenStatusLists:
        return StaticTokenStatusLists(self.token_status_lists, as_of=self.created_at)

    def policy(self, **limits: Any) -> TrustPolicy:
        """A policy trusting the issuers whose keys the bundle carries."""
        return TrustPolicy(trusted_issuers=frozenset(self.did_documents), **limits)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": BUNDLE_TYPE,
            "version": BUNDLE_VERSION,
            "createdAt": self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "issuers": {did: {"didDocument": doc} for did, doc in self.did_documents.items()},
            "statusLists": dict(self.status_lists),
            "tokenStatusLists": dict(self.token_status_lists),
        }


def read_bundle(raw: bytes) -> Bundle:
    """Parse a bundle file; anything unexpected is a :class:`ParsingError`."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise ParsingError("the bundle is too large", reason="too-large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ParsingError("the bundle is not JSON", reason="malformed") from exc
    if not isinstance(data, dict) or data.get("type") != BUNDLE_TYPE:
        raise ParsingError(f"not a {BUNDLE_TYPE}", reason="malformed")
    if data.get("version") != BUNDLE_VERSION:
        raise ParsingError(f"bundle version {data.get('version')!r} is not supported")
    issuers, lists = data.get("issuers"), data.get("statusLists")
    if not isinstance(issuers, dict) or not isinstance(lists, dict):
        raise ParsingError("a bundle has issuers and statusLists objects", reason="malformed")
    documents: dict[str, Mapping[str, Any]] = {}
    for did, entry in issuers.items():
        document = entry.get("didDocument") if isinstance(entry, dict) else None
        if not isinstance(document, dict):
            raise ParsingError(f"issuer {did[:80]} has no didDocument", reason="malformed")
        documents[did] = document
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in lists.items()):
        raise ParsingError("statusLists maps URLs to compact JWS strings", reason="malformed")
    tokens = data.get("tokenStatusLists", {})  # absent from bundles written before
    if not isinstance(tokens, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tokens.items()
    ):
        raise ParsingError("tokenStatusLists maps URIs to compact JWS strings", reason="malformed")
    try:
        created_at = parse_timestamp(data.get("createdAt"))
    except ValueError as exc:
        raise ParsingError("createdAt is not a dateTimeStamp", reason="malformed") from exc
    return Bundle(
        created_at=created_at,
        did_documents=documents,
        status_lists=lists,
        token_status_lists=tokens,
    )
