"""Preparing a bulk chunk: everything before its write transaction.

:func:`_screen` checks every row (:func:`issuer.bulk.rosters._check`) and sets aside those
issued before under their ``external_id``, repeated within the chunk, naming no known
person, or refused for impartiality, reading the store once per chunk (a declared conflict
that an approved measure in force lifts for deciding is no refusal, as for a single
decision: the row's grant names the risk). :func:`_build` needs
no database: from one entropy call it gives the rows kept their ids (time-ordered for the
rows' own keys, random for credentials: :func:`_uuid7s`, :func:`_uuid4s`), certificate
numbers, and status slots drawn in bulk; it renders and checks their credentials
(:mod:`issuer.bulk.templates`, or :func:`_built` in full where no template could be made),
then has them signed: by the signing processes once they are ready, else here, leaving the
writing process its share (:class:`issuer.bulk.chunks._Balance`).

The names keep their underscore: they are for the modules beside this one in
:mod:`issuer.bulk`, and for nothing outside it.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from functools import lru_cache

from issuer.bulk.chunks import _already, _Batch, _Chunk, _reject, _writing
from issuer.bulk.rosters import _check, _Rejected, _Row
from issuer.bulk.templates import _check_leaves, _json_text, _Template, _validate
from issuer.credentials import documents
from issuer.credentials.identity import jwt_claims
from issuer.credentials.issuance import VC_JWT_HEADER
from issuer.credentials.signing import sign_compact_many
from issuer.model import (
    Certification,
    CertificationStatus,
    Person,
    RiskActivity,
    RosterGrant,
    StatusPurpose,
)
from issuer.process import notices
from issuer.process.impartiality import measure_in_force
from issuer.store import Reader
from schemas.certificate_numbers import RANDOM_BITS, from_random_bytes

__all__: list[str] = []

_valid_from = lru_cache(maxsize=4096)(documents.valid_from)
_valid_until = lru_cache(maxsize=4096)(documents.valid_until)
"""One instant per distinct date, as :func:`_iso_date` makes one date: a chunk's rows
then share them, and pickling the chunk for the writing process writes each once (5,000
instants of their own took 6 of the credentials table's 7.5 ms to pickle, 3 of its 4 to
unpickle)."""


def _template(batch: _Batch, row: _Row) -> _Template | None:
    key = (row.scheme.version.id, row.scope)
    if key not in batch.templates:
        try:
            batch.templates[key] = _Template(batch.identity, row)
        except (ValueError, KeyError):
            batch.templates[key] = None  # every document of it is built and validated in full
    return batch.templates[key]


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _uuid4s(pool: bytes) -> list[str]:
    """Version 4 UUIDs, one from each 16 bytes of ``pool``, as :func:`~issuer.runtime.new_id`
    makes them: the version nibble set to 4, the two variant bits to ``10``."""
    text = pool.hex()
    return [
        f"{text[i : i + 8]}-{text[i + 8 : i + 12]}-4{text[i + 13 : i + 16]}-"
        f"{_VARIANT[text[i + 16]]}{text[i + 17 : i + 20]}-{text[i + 20 : i + 32]}"
        for i in range(0, len(text), 32)
    ]


def _uuid7s(pool: bytes, at: datetime) -> list[str]:
    """Time-ordered (version 7, RFC 9562) UUIDs, one from each 10 bytes of ``pool``: the
    instant's Unix milliseconds, then 74 random bits.

    For the rows' own keys (person, application, decision, certification): each chunk's
    keys sort after every earlier chunk's, so the primary-key and foreign-key indexes of a
    roster grow at their right edge instead of taking 5,000 random page writes per index per
    chunk, which is what bounds a million-row roster. What they reveal — when the row was
    written — is in the row anyway; 74 random bits keep them unguessable. Credential ids,
    which open the public verification page, stay fully random (:func:`_uuid4s`).
    """
    stamp = f"{int(at.timestamp() * 1000) & 0xFFFF_FFFF_FFFF:012x}"
    prefix = f"{stamp[:8]}-{stamp[8:]}-7"
    text = pool.hex()
    return [
        f"{prefix}{text[i : i + 3]}-{_VARIANT[text[i + 3]]}{text[i + 4 : i + 7]}-"
        f"{text[i + 7 : i + 19]}"
        for i in range(0, len(text), 20)
    ]


def _screen(batch: _Batch, chunk: _Chunk) -> None:
    """Check every row; set aside those already issued, repeated or refused."""
    today = chunk.now.date()
    chunk.results = {}
    chunk.twins = []
    chunk.firsts = first = {}
    for row in chunk.rows:
        try:
            checked = _check(row, batch.resolver, today)
        except _Rejected as exc:
            external = row.fields.get("external_id")
            _reject(
                chunk,
                row.number,
                external[:200] if isinstance(external, str) else None,
                exc.kind,
                exc.detail,
            )
            continue
        if checked.external_id in first:
            chunk.twins.append((checked.number, checked))
            continue
        first[checked.external_id] = checked
    persons = {r.person_id for r in first.values() if r.person_id is not None}
    makers = {r.maker for r in first.values()}
    with batch.store.reading() as tx:
        issued = tx.bulk_items(list(first))
        known = tx.existing_person_ids(persons)
        relations = tx.impartiality_relations(known)
        chunk.measures = _measures(tx, relations, makers, today)
    refusals: dict[tuple[str, str], str] = {}
    for staff, person, kind in sorted(relations, key=lambda r: r[2] == _CONFLICT):
        lifted = kind == _CONFLICT and (staff, person) in chunk.measures
        if not lifted:
            refusals.setdefault((staff, person), kind)  # an absolute refusal comes first
    chunk.checked = []
    for item in first.values():
        if item.external_id in issued:
            _already(chunk, item, issued[item.external_id])
        elif item.person_id is not None and item.person_id not in known:
            _reject(chunk, item.number, item.external_id, "not-found", "no such person_id")
        elif item.evidence.examiner_id == item.maker:
            kind = "examined-candidate"
            _reject(chunk, item.number, item.external_id, kind, _IMPARTIALITY[kind])
        elif item.person_id is not None and (item.maker, item.person_id) in refusals:
            kind = refusals[(item.maker, item.person_id)]
            _reject(chunk, item.number, item.external_id, kind, _IMPARTIALITY[kind])
        else:
            chunk.checked.append(item)


_CONFLICT = "declared-conflict"


def _measures(
    tx: Reader, relations: set[tuple[str, str, str]], makers: set[str], today: date
) -> dict[tuple[str, str], str]:
    """The declared conflicts of the chunk's decision-makers that an approved measure in
    force lifts for deciding, as a single decision allows (:mod:`issuer.process.impartiality`),
    with the risks acted under: the row's grant records them."""
    lifted: dict[tuple[str, str], str] = {}
    for staff, person, kind in relations:
        if kind != _CONFLICT or staff not in makers:
            continue
        risk_id = measure_in_force(
            tx, staff_id=staff, person_id=person, activity=RiskActivity.DECIDE, today=today
        )
        if risk_id is not None:
            lifted[(staff, person)] = risk_id
    return lifted


_IMPARTIALITY = {
    "trained-candidate": "the decision-maker trained this person (clause 5.2.3 e)",
    "declared-conflict": "the decision-maker declared a conflict of interest (clause 4.3)",
    "examined-candidate": "the decision-maker examined this person (clause 9.4)",
}
"""Why a row is refused for impartiality: the decision-maker trained, examined (as the
row's ``examiner_id``, or in an examination the store holds) or declared a conflict."""


def _prepare(batch: _Batch, chunk: _Chunk) -> None:
    """Everything before the write transaction: checks, ids, slots, documents, signing."""
    _screen(batch, chunk)
    _build(batch, chunk)


def _build(batch: _Batch, chunk: _Chunk) -> None:
    """The part of :func:`_prepare` that needs no database: ids, numbers, slots, documents
    and signatures for the rows :func:`_screen` kept (it may overlap the previous chunk's
    write)."""
    rows = chunk.checked
    count = len(rows)
    chunk.write = chunk.packed = None  # built anew: its transaction is made anew
    # One entropy call per chunk: four time-ordered ids, one random credential id and a
    # certificate number's random bytes per row.
    width = RANDOM_BITS // 8
    ordered_bytes, random_bytes = 10 * 4 * count, 16 * count
    pool = batch.entropy(ordered_bytes + random_bytes + width * count)
    ordered = _uuid7s(pool[:ordered_bytes], chunk.now)
    credential_ids = _uuid4s(pool[ordered_bytes : ordered_bytes + random_bytes])
    start = ordered_bytes + random_bytes
    numbers = [from_random_bytes(pool[i : i + width]) for i in range(start, len(pool), width)]
    notice_ids = _uuid7s(batch.entropy(10 * count), chunk.now)
    revocations = batch.allocator.draw(StatusPurpose.REVOCATION, count)
    suspensions = batch.allocator.draw(StatusPurpose.SUSPENSION, count)
    chunk.generation = batch.generation
    now = chunk.now
    iat = str(int(now.timestamp()))
    identity = batch.identity
    grants: list[RosterGrant] = []
    payloads: list[bytes] = []
    list_urls: dict[str, str] = {}
    for i, row in enumerate(rows):
        person_id, application_id, decision_id, certification_id = ordered[4 * i : 4 * i + 4]
        credential_id = credential_ids[i]
        person = None
        if row.person_id is None:
            person = Person(
                id=person_id,
                given_name=row.given_name,
                family_name=row.family_name,
                public_notice_version=row.notice,
                notice_given_at=now,
                directory_consent=row.consent,
                confidential=row.confidential,
                created_at=now,
            )
        else:
            person_id = row.person_id
        grant = RosterGrant(
            external_id=row.external_id,
            row_digest=row.digest,
            person=person,
            person_id=person_id,
            application_id=application_id,
            decision_id=decision_id,
            decision_maker_id=row.maker,
            rationale=f"roster grant on the examination by {row.evidence.exam_provider} on "
            f"{row.evidence.examined_on.isoformat()} (batch {batch.report.batch_id}, "
            f"external id {row.external_id})",
            certification_id=certification_id,
            certificate_number=numbers[i],
            scheme_id=row.scheme.scheme_id,
            scheme_version_id=row.scheme.version.id,
            scope=row.scope,
            effective_date=row.effective,
            expiry_date=row.expiry,
            credential_id=credential_id,
            valid_from=_valid_from(row.effective),
            valid_until=_valid_until(row.expiry),
            revocation=revocations[i],
            suspension=suspensions[i],
            evidence=row.evidence,
            risk_id=chunk.measures.get((row.maker, person_id)),
            notice=notices.grant_notice(
                notice_id=notice_ids[i],
                now=now,
                person_id=person_id,
                new_person=person,
                certification_id=certification_id,
                number=numbers[i],
                title=row.scheme.version.content.title,
                scope=row.scope,
                effective=row.effective,
                expiry=row.expiry,
            ),
        )
        grants.append(grant)
        template = _template(batch, row)
        if template is None:
            payloads.append(_built(batch, row, grant, now))
            continue
        for slot in (grant.revocation, grant.suspension):
            if slot.list_id not in list_urls:
                list_urls[slot.list_id] = identity.status_list_url(slot.list_id)
        rev_url, sus_url = list_urls[grant.revocation.list_id], list_urls[grant.suspension.list_id]
        values = {
            "c": credential_id,
            "vf": f"{row.effective.isoformat()}T00:00:00Z",
            "vu": f"{row.expiry.isoformat()}T23:59:59Z",
            "g": _json_text(row.given_name),
            "f": _json_text(row.family_name),
            "n": grant.certificate_number,
            "e": row.effective.isoformat(),
            "x": row.expiry.isoformat(),
            "rl": grant.revocation.list_id,
            "ri": str(grant.revocation.index),
            "sl": grant.suspension.list_id,
            "si": str(grant.suspension.index),
            "t": iat,
        }
        _check_leaves(template, row, grant, values, rev_url, sus_url, int(iat))
        text = template.render(values)
        if not template.verified:
            _validate(json.loads(text))
            template.verified = True
        payloads.append(text.encode("utf-8"))
    chunk.grants = grants
    chunk.payloads = payloads
    signers = batch.pool if batch.pool is not None and batch.pool.ready else None
    chunk.signed_in_workers = signers is not None
    chunk.deferred = 0
    if signers is not None:
        chunk.signatures = signers.submit(header=VC_JWT_HEADER, payloads=payloads, did=batch.did)
        return
    if _writing(batch) and not chunk.last:
        chunk.deferred = batch.balance.share(count)
    here = payloads[: count - chunk.deferred]
    started = time.perf_counter()
    chunk.signatures = sign_compact_many(
        header=VC_JWT_HEADER, payloads=here, signer=batch.signer, did=batch.did
    )
    batch.balance.signed_here(len(here), time.perf_counter() - started)


def _built(batch: _Batch, row: _Row, grant: RosterGrant, now: datetime) -> bytes:
    """The slow path for a template that could not be made: build, validate in full, dump."""
    version = row.scheme.version
    document = documents.certificate_credential(
        credential_id=grant.credential_id,
        identity=batch.identity,
        certification=Certification(
            id=grant.certification_id,
            certificate_number=grant.certificate_number,
            person_id=grant.person_id,
            scheme_id=grant.scheme_id,
            scheme_version_id=version.id,
            scheme_version=version.version,
            application_id=grant.application_id,
            decision_id=grant.decision_id,
            scope=row.scope,
            status=CertificationStatus.ACTIVE,
            effective_date=row.effective,
            expiry_date=row.expiry,
            created_at=now,
            original_certification_date=row.effective,
        ),
        person=Person(
            id=grant.person_id,
            given_name=row.given_name,
            family_name=row.family_name,
            public_notice_version=row.notice,
            notice_given_at=now,
            directory_consent=row.consent,
            confidential=row.confidential,
            created_at=now,
        ),
        scheme_code=row.scheme.code,
        version=version,
        revocation=grant.revocation,
        suspension=grant.suspension,
    )
    payload = {**document, **jwt_claims(batch.identity.did, now)}
    _validate(payload)
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
