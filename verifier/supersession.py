"""Telling a superseded credential from a withdrawn one, from what the issuer signed publicly.

A Bitstring Status List says only "revoked": the issuer set the bit. A certification body
also revokes a certificate when it *replaces* it — a scope change or a recertification — and
the person holding the old one must then hear "replaced by a newer certificate", not
"withdrawn". That fact is public (ISO/IEC 17024 clause 7.2.1): the issuer's signed register
entry of the certification (a ``RegisterEntryCredential``) lists each of its credentials, and
a replaced one with ``supersededBy``, the id of the credential that replaces it. It holds
nothing confidential: names, number, scheme, scope and dates are the register's public
fields, and the reason for a decision is never in it.

An Open Badge (:mod:`verifier.openbadges`) certreg exports restates a certificate and is
named after it (:func:`schemas.open_badge_ids.open_badge_id`); the entry lists certificates,
not badges, so a badge is found there through the certificate it restates: the listed
certificate whose derived badge id is the badge's id. A badge whose certificate was replaced
is then *superseded* by the same credential as the certificate — the one that replaced the
certificate, the holder's current certificate — and not *revoked*, which would tell an
employer the certification was withdrawn.

So once a revocation bit is found set — never before, so a valid credential costs nothing
more — the verifier asks a :class:`SupersessionSource` which credential replaced this one.
The answer can only turn *revoked* into *superseded*; it never makes anything valid, and
whenever it cannot be had (no entry, an entry signed before the replacement, a registry out
of reach, a signature that does not verify) the credential stays *revoked*. Sources:

* :class:`HttpRegisterEntries` fetches the entry from the issuer's registry
  (``{did:web base}/register/{certificateNumber}?family_name=…``) and verifies its signature
  with the issuer's keys, as it would a status list. A badge gives its certificate number
  (``licenseNumber``) and names its holder only whole (an ``IdentityObject`` of type
  ``name``), and given and family names may both hold spaces; so the family name is tried
  as each way the whole name can end, last word first, at most
  :data:`MAX_FAMILY_NAME_TRIES` lookups, and the first entry found answers;
* the registry's own store (``registry.verification.RegistrySupersession``).

Privacy: unlike a status list, which serves every holder alike (herd privacy), the register
lookup names one certificate to the issuer's registry. It is made only for a credential the
issuer has already revoked; a verifier that must not make it passes no source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

from schemas.open_badge_ids import open_badge_id
from verifier import jws
from verifier.did_web import did_web_url
from verifier.errors import VerificationError
from verifier.fetch import HttpFetcher, TtlCache, Unreachable
from verifier.keys import KeySource
from verifier.openbadges import OB_TYPES
from verifier.policy import TrustPolicy
from verifier.structure import issuer_id

__all__ = [
    "MAX_FAMILY_NAME_TRIES",
    "REGISTER_ENTRY_TYPE",
    "HttpRegisterEntries",
    "RegisterLookup",
    "SupersessionSource",
    "register_lookup",
    "superseded_by_in_entry",
]

REGISTER_ENTRY_TYPE = "RegisterEntryCredential"
_VC_JWT_TYPES = frozenset({"vc+jwt", "application/vc+jwt"})
_CERTIFICATE_TYPE = "CertificationCredential"
MAX_FAMILY_NAME_TRIES = 4
"""The most family names tried for a badge, which names its holder only whole: enough for a
family name of four words ("van der Berg" is the third try for "Anna Maria van der Berg").
The lookup is made only for a revoked badge, and each try is one request to the issuer's
registry, which answers a wrong family name as it answers an unknown number (404)."""


class SupersessionSource(Protocol):
    """Where a verifier learns which credential replaced a revoked one."""

    def superseded_by(self, credential: Mapping[str, Any], *, now: datetime) -> str | None:
        """The id of the credential that replaced ``credential`` (whose signature verified
        and whose revocation bit is set), or ``None`` when none is known. Never raises."""
        ...


def _first(value: object) -> Mapping[str, Any]:
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class RegisterLookup:
    """What finds a credential's register entry: the certificate number, and the family
    names to ask with (the registry answers a number only with its holder's family name)."""

    certificate_number: str
    family_names: tuple[str, ...]
    """One, the holder's family name, for certreg's certificate and mark; for an Open Badge,
    which names its holder only whole, each way the whole name can end, shortest first."""


def _badge_holder_name(subject: Mapping[str, Any]) -> str | None:
    """The holder's name an Open Badge states unhashed (an ``IdentityObject`` of type
    ``name``), as certreg's export writes it: "given-name family-name"."""
    identifiers = subject.get("identifier")
    for item in identifiers if isinstance(identifiers, list) else []:
        if (
            isinstance(item, Mapping)
            and item.get("identityType") == "name"
            and item.get("hashed") is False
            and isinstance(item.get("identityHash"), str)
        ):
            name: str = item["identityHash"]
            return name
    return None


def _badge_lookup(credential: Mapping[str, Any]) -> RegisterLookup | None:
    subject = _first(credential.get("credentialSubject"))
    number = subject.get("licenseNumber")
    name = _badge_holder_name(subject)
    if not isinstance(number, str) or not number or name is None:
        return None
    words = name.split()
    tries = [" ".join(words[cut:]) for cut in range(len(words) - 1, 0, -1)]
    if not tries:
        return None  # one word: no given name and family name to tell apart
    return RegisterLookup(number, tuple(tries[:MAX_FAMILY_NAME_TRIES]))


def _is_open_badge(credential: Mapping[str, Any]) -> bool:
    types = credential.get("type")
    return isinstance(types, list) and any(name in types for name in OB_TYPES)


def register_lookup(credential: Mapping[str, Any]) -> RegisterLookup | None:
    """What a register lookup needs, as a certification (or mark) credential carries it —
    ``certificateNumber`` and ``familyName`` — or an Open Badge certreg exported —
    ``licenseNumber`` and the holder's whole name; ``None`` for any other credential."""
    if _is_open_badge(credential):
        return _badge_lookup(credential)
    subject = _first(credential.get("credentialSubject"))
    certification = subject.get("certification") or subject.get("certificationMark")
    number = certification.get("certificateNumber") if isinstance(certification, Mapping) else None
    family_name = subject.get("familyName")
    if isinstance(number, str) and number and isinstance(family_name, str) and family_name:
        return RegisterLookup(number, (family_name,))
    return None


def _bare(urn: str) -> str:
    return urn.removeprefix("urn:uuid:")


def superseded_by_in_entry(entry: Mapping[str, Any], credential_id: str) -> str | None:
    """The ``supersededBy`` a register entry credential gives ``credential_id``, if any.

    ``credential_id`` is a listed credential's id, or the id of an Open Badge exported from
    a listed certificate (:func:`schemas.open_badge_ids.open_badge_id`): a badge is
    superseded by what superseded the certificate it restates.
    """
    listed = _first(entry.get("credentialSubject")).get("credentials")
    items = [item for item in (listed if isinstance(listed, list) else []) if _listed(item)]
    found = next((item for item in items if item["id"] == credential_id), None)
    if found is None and credential_id.startswith("urn:uuid:"):
        found = next(
            (
                item
                for item in items
                if item.get("type") == _CERTIFICATE_TYPE
                and open_badge_id(_bare(item["id"])) == credential_id
            ),
            None,
        )
    replaced = found.get("supersededBy") if found is not None else None
    return replaced if isinstance(replaced, str) and replaced else None


def _listed(item: object) -> bool:
    return isinstance(item, Mapping) and isinstance(item.get("id"), str)


def _register_url(issuer: str, number: str, family_name: str, policy: TrustPolicy) -> str:
    """Where a ``did:web`` issuer's registry answers for ``number`` (beside its DID document)."""
    did_url = did_web_url(issuer)
    base = did_url.removesuffix("/did.json").removesuffix("/.well-known")
    host = urlsplit(base).hostname or ""
    if policy.allows_http(host):
        base = "http://" + base.removeprefix("https://")  # development hosts only
    query = urlencode({"family_name": family_name})
    return f"{base}/register/{quote(number, safe='')}?{query}"


class HttpRegisterEntries:
    """Ask the issuer's registry for its signed register entry, over the verifier's fetcher.

    Only a positive answer is cached: a replacement is final, while "not replaced" may
    change with the next publication.
    """

    def __init__(self, policy: TrustPolicy, fetcher: HttpFetcher, keys: KeySource) -> None:
        self._policy = policy
        self._fetcher = fetcher
        self._keys = keys
        self._known: TtlCache[str] = TtlCache(max_items=1024)

    def superseded_by(self, credential: Mapping[str, Any], *, now: datetime) -> str | None:
        credential_id = credential.get("id")
        lookup = register_lookup(credential)
        if not isinstance(credential_id, str) or lookup is None:
            return None
        known = self._known.get(credential_id, now)
        if known is not None:
            return known
        entry = None
        for family_name in lookup.family_names:
            try:
                entry = self._entry(credential, lookup.certificate_number, family_name, now)
            except Unreachable:
                continue  # not this family name (a 404), or the registry out of reach
            except (VerificationError, ValueError, RecursionError):
                return None
            break
        replaced = superseded_by_in_entry(entry, credential_id) if entry is not None else None
        if replaced is not None:
            self._known.put(
                credential_id, replaced, now=now, seconds=self._policy.max_cache_seconds
            )
        return replaced

    def _entry(
        self, credential: Mapping[str, Any], number: str, family_name: str, now: datetime
    ) -> Mapping[str, Any] | None:
        """The verified entry the registry answers for ``number`` and ``family_name``."""
        issuer = issuer_id(credential)
        url = _register_url(issuer, number, family_name, self._policy)
        fetched = self._fetcher.get(url, accept="application/json")
        answer = json.loads(fetched.body)
        compact = answer.get("credential") if isinstance(answer, dict) else None
        return self._verified_entry(compact, issuer=issuer, number=number, now=now)

    def _verified_entry(
        self, compact: object, *, issuer: str, number: str, now: datetime
    ) -> Mapping[str, Any] | None:
        """The entry's payload if it is the issuer's signed entry for ``number``."""
        if not isinstance(compact, str):
            return None
        parsed = jws.parse_compact(
            compact, max_bytes=self._policy.max_document_bytes, algorithms=self._policy.algorithms
        )
        payload = parsed.payload
        types = payload.get("type")
        subject = _first(payload.get("credentialSubject"))
        typ = parsed.header.get("typ")
        if (
            not isinstance(typ, str)
            or typ not in _VC_JWT_TYPES
            or issuer_id(payload) != issuer
            or not isinstance(types, list)
            or REGISTER_ENTRY_TYPE not in types
            or subject.get("certificateNumber") != number
        ):
            return None
        prepared = self._keys.issuer_keys(issuer, now=now).key_for(parsed.kid)
        jws.verify_with_key(parsed, prepared.key, key_alg=prepared.alg)
        return payload
