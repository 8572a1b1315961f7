"""Publication: the issuer's outbox drained to the registry, in order, without loss.

Every change that the public must see enqueues ``(kind, key)`` in the transaction that makes
the change, so a crash cannot separate the two. :func:`drain` then builds the *current*
signed document for each pending key, hands it to a :class:`Publisher` with the outbox
sequence number as its version, and only afterwards marks the entries published. A crash
between the two republishes the same version, which the registry ignores ("store if
newer"); an unreachable registry leaves the entries pending for the next attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from issuer import keys
from issuer.credentials import VC_CONTEXT
from issuer.identity import CONTEXT_URL, IssuerIdentity, jwt_claims
from issuer.issuance import IssuanceContext
from issuer.model import Certification, CredentialKind, KeyState
from issuer.runtime import Clock
from issuer.signing import Signer, sign_compact
from issuer.status import credential_status, sign_status_list
from issuer.store import Store, Tx
from schemas.credential_schemas import (
    ISSUER_KEYS_V1,
    REGISTER_ENTRY_V1,
    SCHEME_INFORMATION_V1,
    validate,
)
from schemas.publication import CREDENTIAL_VERSION, KEYS_JWT_TYPE, DocumentKind, Publication

__all__ = [
    "Publisher",
    "PublisherUnavailable",
    "drain",
    "drain_with_backoff",
    "enqueue_certification",
    "enqueue_keys",
    "enqueue_status_list",
    "rebuild",
    "register_entry",
    "scheme_information",
]

log = logging.getLogger("certreg.publication")


class PublisherUnavailable(Exception):
    """The registry could not be reached or refused for a reason worth retrying."""


class Publisher(Protocol):
    """Where signed documents go: the registry in-process, or over HTTP."""

    def publish(self, publication: Publication) -> bool:
        """Deliver one document; ``True`` if stored, ``False`` if the registry had newer."""
        ...


def enqueue_certification(tx: Tx, number: str, at: datetime) -> None:
    tx.enqueue(DocumentKind.REGISTER_ENTRY.value, number, at)


def enqueue_status_list(tx: Tx, list_id: str, at: datetime) -> None:
    tx.enqueue(DocumentKind.STATUS_LIST.value, list_id, at)


def enqueue_keys(tx: Tx, at: datetime) -> None:
    tx.enqueue(DocumentKind.ISSUER_KEYS.value, "issuer", at)


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def register_entry(
    tx: Tx, certification: Certification, *, identity: IssuerIdentity, now: datetime
) -> dict[str, Any]:
    """The public register entry of clause 7.2.1: public fields only, validated."""
    person = tx.get_person(certification.person_id)
    version = tx.get_scheme_version(certification.scheme_version_id)
    scheme = tx.get_scheme(certification.scheme_id)
    assert person is not None
    assert version is not None
    assert scheme is not None
    titles = {item.code: item.title for item in version.content.scope_items}
    credentials = []
    for credential in tx.credentials_of(certification.id):
        item: dict[str, str] = {
            "id": f"urn:uuid:{credential.id}",
            "type": "CertificationCredential"
            if credential.kind is CredentialKind.CERTIFICATE
            else "CertificationMarkCredential",
            "status": credential_status(tx, credential),
        }
        if credential.supersedes:
            item["supersedes"] = f"urn:uuid:{credential.supersedes}"
        if credential.superseded_by:
            item["supersededBy"] = f"urn:uuid:{credential.superseded_by}"
        credentials.append(item)
    entry = {
        "@context": [VC_CONTEXT, CONTEXT_URL],
        "id": identity.register_url(certification.certificate_number),
        "type": ["VerifiableCredential", "RegisterEntryCredential"],
        "issuer": identity.did,
        "validFrom": _stamp(now),
        "credentialSubject": {
            "type": "RegisterEntry",
            "certificateNumber": certification.certificate_number,
            "name": f"{person.given_name} {person.family_name}",
            "givenName": person.given_name,
            "familyName": person.family_name,
            "scheme": {
                "id": identity.scheme_url(scheme.id),
                "type": "CertificationScheme",
                "code": scheme.code,
                "name": version.content.title,
                "version": version.version,
            },
            "scope": [
                {"type": "ScopeItem", "code": c, "name": titles[c]} for c in certification.scope
            ],
            "status": certification.status.value,
            "statusSince": _stamp(certification.status_since or certification.created_at),
            "effectiveDate": certification.effective_date.isoformat(),
            "expiryDate": certification.expiry_date.isoformat(),
            "credentials": credentials,
            # The person's choice to appear in the public directory (7.3.3); republished
            # with the entry, so a withdrawn consent takes the name out of the directory.
            "directory": person.directory_consent,
        },
    }
    validate(REGISTER_ENTRY_V1, entry)
    return entry


def scheme_information(
    tx: Tx, scheme_id: str, *, identity: IssuerIdentity, now: datetime
) -> dict[str, Any] | None:
    """What clause 7.2.2 requires to be published about a scheme, from its current version."""
    scheme = tx.get_scheme(scheme_id)
    if scheme is None:
        return None
    content = scheme.current.content
    subject: dict[str, Any] = {
        "id": identity.scheme_url(scheme.id),
        "type": "CertificationScheme",
        "code": scheme.code,
        "name": content.title,
        "version": scheme.current.version,
        "schemeOwner": content.scheme_owner,
        "scopeDescription": content.scope_description,
        "scopeItems": [
            {"type": "ScopeItem", "code": i.code, "name": i.title, "description": i.description}
            for i in content.scope_items
        ],
        "applicationRequirements": content.application_requirements,
        "initialCertificationRequirements": content.initial_certification_criteria,
        "surveillanceRequirements": content.surveillance_methods,
        "recertificationIntervalMonths": content.recertification_interval_months,
        "recertificationRequirements": content.recertification_criteria,
        "processDescription": content.process_description,
    }
    if content.prerequisites:
        subject["prerequisites"] = content.prerequisites
    document = {
        "@context": [VC_CONTEXT, CONTEXT_URL],
        "id": identity.scheme_url(scheme.id),
        "type": ["VerifiableCredential", "SchemeInformationCredential"],
        "issuer": identity.did,
        "validFrom": _stamp(now),
        "credentialSubject": subject,
    }
    validate(SCHEME_INFORMATION_V1, document)
    return document


def _vc_jwt(payload: dict[str, Any], signer: Signer, did: str, now: datetime) -> str:
    return sign_compact(
        header={"typ": "vc+jwt", "cty": "vc"},
        payload={**payload, **jwt_claims(did, now)},
        signer=signer,
        did=did,
    )


def _verifiable_kids(tx: Tx, now: datetime) -> Callable[[], frozenset[str]]:
    """The kids the registry verifies against (published, not compromised), read once."""

    @cache
    def kids() -> frozenset[str]:
        published = keys.published_keys(tx, now=now)
        return frozenset(k.kid for k in published if k.state is not KeyState.COMPROMISED)

    return kids


def _document(
    tx: Tx,
    kind: str,
    key: str,
    *,
    signer: Signer,
    identity: IssuerIdentity,
    ttl_seconds: int,
    now: datetime,
    verifiable_kids: Callable[[], frozenset[str]],
) -> str | None:
    """The current signed body of ``(kind, key)``, or ``None`` if it no longer exists."""
    if kind == DocumentKind.ISSUER_KEYS:
        published = keys.published_keys(tx, now=now)
        payload = {
            "did_document": keys.did_document(identity, published),
            "jwks": keys.jwks(published),
            "iat": int(now.timestamp()),
        }
        validate(ISSUER_KEYS_V1, payload)
        return sign_compact(
            header={"typ": KEYS_JWT_TYPE}, payload=payload, signer=signer, did=identity.did
        )
    if kind == DocumentKind.STATUS_LIST:
        return sign_status_list(
            tx, key, identity=identity, signer=signer, now=now, ttl_seconds=ttl_seconds
        )
    if kind == DocumentKind.REGISTER_ENTRY:
        certification = tx.get_certification_by_number(key)
        if certification is None:
            return None
        entry = register_entry(tx, certification, identity=identity, now=now)
        return _vc_jwt(entry, signer, identity.did, now)
    if kind == DocumentKind.SCHEME:
        information = scheme_information(tx, key, identity=identity, now=now)
        return None if information is None else _vc_jwt(information, signer, identity.did, now)
    if kind == DocumentKind.CREDENTIAL:
        credential = tx.get_credential(key)
        # Signed once, published as signed; not when its key is compromised or no longer
        # published: the registry would refuse it, and no verifier could accept it.
        if credential is None or credential.kid not in verifiable_kids():
            return None
        return credential.jws
    raise ValueError(f"unknown publication kind {kind!r}")


def drain(
    store: Store,
    publisher: Publisher,
    *,
    context: IssuanceContext,
    ttl_seconds: int,
    clock: Clock,
    batch: int = 200,
) -> int:
    """Publish every pending outbox entry, oldest first; returns how many were published.

    Several entries for one document collapse into one delivery at the highest sequence.
    Raises :class:`PublisherUnavailable` (entries stay pending) if the registry is down.
    """
    published = 0
    while True:
        now = clock()
        with store.transaction() as tx:
            pending = tx.pending_publications(batch)
            if not pending:
                return published
            latest: dict[tuple[str, str], int] = {}
            for seq, kind, key in pending:
                latest[(kind, key)] = seq
            signer = context.keyring.signer(tx)  # once per batch, not per document
            verifiable_kids = _verifiable_kids(tx, now)
            documents = [
                (
                    seq,
                    kind,
                    key,
                    _document(
                        tx,
                        kind,
                        key,
                        signer=signer,
                        identity=context.identity,
                        ttl_seconds=ttl_seconds,
                        now=now,
                        verifiable_kids=verifiable_kids,
                    ),
                )
                # The keys first: the registry checks everything else against them.
                for (kind, key), seq in sorted(
                    latest.items(),
                    key=lambda item: (item[0][0] != DocumentKind.ISSUER_KEYS, item[1]),
                )
            ]
        for seq, kind, key, body in documents:
            if body is not None:
                # A credential never changes: one version, stored once, retries ignored.
                version = CREDENTIAL_VERSION if kind == DocumentKind.CREDENTIAL else seq
                publisher.publish(
                    Publication(kind=DocumentKind(kind), key=key, version=version, body=body)
                )
                published += 1
        with store.transaction() as tx:
            tx.mark_published([seq for seq, _, _ in pending], clock())


def drain_with_backoff(
    attempt: Callable[[], int],
    *,
    sleep: Callable[[float], None] = time.sleep,
    tries: int = 8,
    first_delay: float = 0.2,
    max_delay: float = 30.0,
) -> int:
    """Retry ``attempt`` while the registry is unavailable, doubling the delay each time."""
    delay = first_delay
    for remaining in range(tries - 1, -1, -1):
        try:
            return attempt()
        except PublisherUnavailable as exc:
            if remaining == 0:
                raise
            log.warning("registry unavailable (%s); retrying in %.1f s", exc, delay)
            sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")


def rebuild(
    store: Store, publisher: Publisher, *, context: IssuanceContext, ttl_seconds: int, clock: Clock
) -> int:
    """Enqueue every public document again and drain: the registry ends up as if new."""
    with store.transaction() as tx:
        now = clock()
        for kind, key in tx.all_publication_keys():
            tx.enqueue(kind, key, now)
    return drain(store, publisher, context=context, ttl_seconds=ttl_seconds, clock=clock)
