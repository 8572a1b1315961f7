"""Publication: the issuer's outbox drained to the registry, in order, without loss.

Every change that the public must see enqueues ``(kind, key)`` in the transaction that makes
the change, so a crash cannot separate the two. :func:`drain` then builds the *current*
signed document for each pending key, hands it to a :class:`Publisher` with the outbox
sequence number as its version, and only afterwards marks the entries published. A crash
between the two republishes the same version, which the registry ignores ("store if
newer"); an unreachable registry leaves the entries pending for the next attempt.

The keys document is signed by a key the registry already trusts, which the publisher asks
it for (:meth:`Publisher.trusted_kids`, :func:`issuer.credentials.keys.endorsing_key`): the
registry takes a new one only so (docs/REGISTRY.md, "Who may change the keys").

Status lists — the Bitstring lists, the message lists of Open Badges (published to the
registry as ``status-list`` documents) and the Token Status Lists of SD-JWT VCs alike — are signed
for a short validity (:func:`issuer.credentials.status.list_validity_seconds`), so they are
also published on a schedule, not only on change: :func:`enqueue_lapsing_status_lists` puts
every list that has used half its validity in the outbox, and the drain signs it afresh and
records when it must be signed again. The same outbox carries it, so an unreachable registry
delays the renewal but loses nothing.

The audit checkpoint (:mod:`issuer.publication.checkpoints`) is signed from the audit head the
drain's own transaction reads, after the pending rows: it is at least as far along as every
change whose row is among them, and never includes a change not yet committed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

from issuer.credentials import keys
from issuer.credentials.identity import IssuerIdentity, jwt_claims
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.keys import KeyRing
from issuer.credentials.message_status import MESSAGE_STATUS_LIST_KIND, sign_message_status_list
from issuer.credentials.signing import LoadedSigner, Signer, sign_compact
from issuer.credentials.status import list_validity_seconds, sign_status_list
from issuer.credentials.token_status import sign_token_status_list
from issuer.model import KeyState
from issuer.publication.checkpoints import CheckpointSource, sign_checkpoint
from issuer.publication.documents import (
    body_information,
    mark_image,
    register_entry,
    scheme_information,
)
from issuer.runtime import Clock
from issuer.store import Store, Tx
from schemas.credential_schemas import (
    ISSUER_KEYS_V1,
    validate,
)
from schemas.publication import (
    CREDENTIAL_VERSION,
    KEYS_JWT_TYPE,
    MARK_JWT_TYPE,
    DocumentKind,
    Publication,
)

__all__ = [
    "Publisher",
    "PublisherUnavailable",
    "drain",
    "drain_with_backoff",
    "enqueue_certification",
    "enqueue_keys",
    "enqueue_lapsing_status_lists",
    "enqueue_mark",
    "enqueue_resigning",
    "enqueue_status_list",
    "rebuild",
]

log = logging.getLogger("certreg.publication")


class PublisherUnavailable(Exception):
    """The registry could not be reached or refused for a reason worth retrying."""


class Publisher(CheckpointSource, Protocol):
    """Where signed documents go: the registry in-process, or over HTTP. It also says which
    audit checkpoint the registry holds (:meth:`audit_checkpoint`): a new one is published
    only over one the audit log still passes through."""

    def publish(self, publication: Publication) -> bool:
        """Deliver one document; ``True`` if stored, ``False`` if the registry had newer."""
        ...

    def trusted_kids(self) -> frozenset[str] | None:
        """The kids of the keys the registry lists as usable in the keys document it holds
        (``None``: it holds none yet): a new keys document must be signed by one of them."""
        ...


def enqueue_certification(tx: Tx, number: str, at: datetime) -> None:
    tx.enqueue(DocumentKind.REGISTER_ENTRY.value, number, at)


def enqueue_status_list(tx: Tx, list_id: str, at: datetime) -> None:
    tx.enqueue(DocumentKind.STATUS_LIST.value, list_id, at)


def enqueue_keys(tx: Tx, at: datetime) -> None:
    tx.enqueue(DocumentKind.ISSUER_KEYS.value, "issuer", at)


def enqueue_mark(tx: Tx, mark_id: str, at: datetime) -> None:
    tx.enqueue(DocumentKind.MARK.value, mark_id, at)


def enqueue_resigning(tx: Tx, at: datetime) -> dict[str, int]:
    """After a key compromise: ask for every document the registry holds that is signed each
    time it is published — status lists, scheme information, register entries, the body
    information — to be signed
    again, by the active key; returns how many of each kind were enqueued.

    Why all of them: the registry keeps what was published while the compromised key
    signed, and once the keys document marks that key revoked, a verifier refuses a status
    list it signed — every credential on that list would read "cannot confirm" until the
    list was next renewed — and a register entry it signed no longer tells a verifier which
    credential replaced which. Queued after the keys document, which the drain sends first.
    """
    documents = tx.resignable_publication_keys()
    tx.enqueue_many(documents, at)
    counts: dict[str, int] = {}
    for kind, _ in documents:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def enqueue_lapsing_status_lists(store: Store, *, clock: Clock, limit: int = 10_000) -> int:
    """Put in the outbox every status list due to be signed again (half its validity gone,
    or never published with one), unless it is already waiting there; returns how many.
    The time-driven half of publication: ``serve`` calls it every little while
    (:class:`issuer.publication.publishers.BackgroundDrain`), and the drain does the signing."""
    now = clock()
    with store.transaction() as tx:
        due = [(DocumentKind.STATUS_LIST.value, i) for i in tx.lapsing_status_lists(now, limit)]
        due += [
            (DocumentKind.TOKEN_STATUS_LIST.value, i)
            for i in tx.lapsing_token_status_lists(now, limit)
        ]
        due += [(MESSAGE_STATUS_LIST_KIND, i) for i in tx.lapsing_message_status_lists(now, limit)]
        if due:
            tx.enqueue_many(due, now)
    if due:
        log.info("%d status lists are due to be signed again", len(due))
    return len(due)


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


def _keys_signer(
    tx: Tx, keyring: KeyRing, publisher: Publisher, active: LoadedSigner
) -> Callable[[], LoadedSigner]:
    """The signer of the keys document (:func:`issuer.credentials.keys.endorsing_key`),
    found once, when a keys document is to be signed: the registry is asked which keys it
    trusts only then."""

    @cache
    def signer() -> LoadedSigner:
        key = keys.endorsing_key(tx, trusted=publisher.trusted_kids())
        return active if key is None or key.kid == active.kid else keyring.signer_for(tx, key)

    return signer


def _document(
    tx: Tx,
    kind: str,
    key: str,
    *,
    signer: Signer,
    identity: IssuerIdentity,
    ttl_seconds: int,
    validity_seconds: int,
    now: datetime,
    verifiable_kids: Callable[[], frozenset[str]],
    keys_signer: Callable[[], Signer],
    held_checkpoint: Callable[[], str | None],
) -> str | None:
    """The current signed body of ``(kind, key)``, or ``None`` if it no longer exists (or,
    for the audit checkpoint, must not be published over ``held_checkpoint()``).
    The keys document is signed by ``keys_signer()``, a key the registry already trusts,
    which it lists; everything else by ``signer``, the active key."""
    if kind == DocumentKind.ISSUER_KEYS:
        endorsing = keys_signer()
        published = keys.published_keys(tx, now=now, keep=endorsing.kid)
        payload = {
            "did_document": keys.did_document(identity, published),
            "jwks": keys.jwks(published),
            "iat": int(now.timestamp()),
        }
        validate(ISSUER_KEYS_V1, payload)
        return sign_compact(
            header={"typ": KEYS_JWT_TYPE}, payload=payload, signer=endorsing, did=identity.did
        )
    if kind == DocumentKind.STATUS_LIST:
        return sign_status_list(
            tx,
            key,
            identity=identity,
            signer=signer,
            now=now,
            ttl_seconds=ttl_seconds,
            validity_seconds=validity_seconds,
        )
    if kind == DocumentKind.TOKEN_STATUS_LIST:
        return sign_token_status_list(
            tx,
            key,
            identity=identity,
            signer=signer,
            now=now,
            ttl_seconds=ttl_seconds,
            validity_seconds=validity_seconds,
        )
    if kind == MESSAGE_STATUS_LIST_KIND:
        return sign_message_status_list(
            tx,
            key,
            identity=identity,
            signer=signer,
            now=now,
            ttl_seconds=ttl_seconds,
            validity_seconds=validity_seconds,
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
    if kind == DocumentKind.BODY_INFORMATION:
        information = body_information(tx, identity=identity, now=now)
        return None if information is None else _vc_jwt(information, signer, identity.did, now)
    if kind == DocumentKind.CREDENTIAL:
        credential = tx.get_credential(key)
        # Signed once, published as signed; not when its key is compromised or no longer
        # published: the registry would refuse it, and no verifier could accept it.
        if credential is None or credential.kid not in verifiable_kids():
            return None
        return credential.jws
    if kind == DocumentKind.MARK:
        image = mark_image(tx, key, identity=identity)
        if image is None:
            return None
        payload = {**image, "iat": int(now.timestamp())}
        return sign_compact(
            header={"typ": MARK_JWT_TYPE}, payload=payload, signer=signer, did=identity.did
        )
    if kind == DocumentKind.AUDIT_CHECKPOINT:
        return sign_checkpoint(tx, signer=signer, identity=identity, now=now, held=held_checkpoint)
    raise ValueError(f"unknown publication kind {kind!r}")


def _publishing_order(item: tuple[tuple[str, str], int]) -> tuple[int, int]:
    (kind, _), seq = item
    return _RANKS.get(kind, 1), seq


_RANKS = {DocumentKind.ISSUER_KEYS.value: 0, DocumentKind.AUDIT_CHECKPOINT.value: 2}
"""Where a kind goes in a batch: the keys first (the registry checks the rest against them),
the audit checkpoint last (what the public reads is not held up by it), the rest in order."""


_PUBLISHED_AS = {MESSAGE_STATUS_LIST_KIND: DocumentKind.STATUS_LIST}
"""Outbox kinds the registry knows by another name. A badge's message list is a
``BitstringStatusListCredential`` like the revocation and suspension lists, stored and
served beside them at ``/status/{list_id}``; only the issuer tells them apart, because it
builds and re-signs them from other tables."""


_IMMUTABLE = frozenset({DocumentKind.CREDENTIAL, DocumentKind.MARK})
"""Kinds whose documents never change once published: always sent as version 1."""


def drain(
    store: Store,
    publisher: Publisher,
    *,
    context: IssuanceContext,
    ttl_seconds: int,
    clock: Clock,
    batch: int = 200,
    validity_seconds: int | None = None,
) -> int:
    """Publish every pending outbox entry, oldest first; returns how many were published.

    Several entries for one document collapse into one delivery at the highest sequence.
    Raises :class:`PublisherUnavailable` (entries stay pending) if the registry is down.
    Status lists are signed valid for ``validity_seconds`` (default: 4 × ``ttl_seconds``),
    and once delivered, recorded with the time to sign them again.
    """
    validity = list_validity_seconds(ttl_seconds, validity_seconds)
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
            keys_signer = _keys_signer(tx, context.keyring, publisher, signer)
            held_checkpoint = cache(publisher.audit_checkpoint)  # asked only if needed
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
                        validity_seconds=validity,
                        now=now,
                        verifiable_kids=verifiable_kids,
                        keys_signer=keys_signer,
                        held_checkpoint=held_checkpoint,
                    ),
                )
                # The keys first: the registry checks everything else against them; the
                # audit checkpoint last: what the public reads goes out before it.
                for (kind, key), seq in sorted(latest.items(), key=_publishing_order)
            ]
        lists: list[str] = []
        token_lists: list[str] = []
        message_lists: list[str] = []
        for seq, kind, key, body in documents:
            if body is not None:
                # A credential or a mark never changes: one version, stored once, retries
                # ignored.
                version = CREDENTIAL_VERSION if kind in _IMMUTABLE else seq
                published_as = _PUBLISHED_AS.get(kind) or DocumentKind(kind)
                publisher.publish(
                    Publication(kind=published_as, key=key, version=version, body=body)
                )
                published += 1
                if kind == DocumentKind.STATUS_LIST:
                    lists.append(key)
                elif kind == DocumentKind.TOKEN_STATUS_LIST:
                    token_lists.append(key)
                elif kind == MESSAGE_STATUS_LIST_KIND:
                    message_lists.append(key)
        with store.transaction() as tx:
            tx.mark_published([seq for seq, _, _ in pending], clock())
            until = now + timedelta(seconds=validity)
            if lists:
                tx.record_status_list_signatures(lists, valid_from=now, valid_until=until)
            if token_lists:
                tx.record_token_status_list_signatures(
                    token_lists, valid_from=now, valid_until=until
                )
            if message_lists:
                tx.record_message_status_list_signatures(
                    message_lists, valid_from=now, valid_until=until
                )


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
    store: Store,
    publisher: Publisher,
    *,
    context: IssuanceContext,
    ttl_seconds: int,
    clock: Clock,
    validity_seconds: int | None = None,
) -> int:
    """Enqueue every public document again and drain: the registry ends up as if new."""
    with store.transaction() as tx:
        now = clock()
        for kind, key in tx.all_publication_keys():
            tx.enqueue(kind, key, now)
    return drain(
        store,
        publisher,
        context=context,
        ttl_seconds=ttl_seconds,
        clock=clock,
        validity_seconds=validity_seconds,
    )
