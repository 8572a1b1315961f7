"""Regulators' access to the register (clause 7.3.4).

Regulators read what the public register shows — certificate number, public name, scheme,
scope, status and dates, credential ids — page by page, as a change feed, or as one export.
Nothing confidential is read for those answers: the queries never join the table of
confidential person data. A confidential field leaves only through :func:`disclose`, which
needs a stated legal basis, records who asked for which field on what basis (not the value
released), writes an audit entry of identifiers and digests, and queues a notice to the
person, all in the transaction that reads the value.

Pagination is by keyset: a cursor is the position of the last row a client has seen, so rows
inserted meanwhile never shift a page and every row that exists throughout a walk is seen
exactly once. Cursors are opaque to clients (base64url of a small JSON document) and checked
field by field when they come back; anything else is a typed ``invalid-cursor`` problem.
"""

from __future__ import annotations

import base64
import binascii
import csv
import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from issuer.errors import Forbidden, InvalidCursor, InvalidInput, NotFound, StateConflict
from issuer.model import (
    CertificationChange,
    CertificationStatus,
    ConfidentialField,
    Disclosure,
    NoticeKind,
    PersonNotice,
    PublicCertification,
    RegulatorRequest,
    Role,
)
from issuer.process import notices
from issuer.process.auth import Actor
from issuer.process.lifecycle import get_certification
from issuer.process.persons import get_person
from issuer.runtime import Entropy, new_id
from issuer.store import Store, Tx

__all__ = [
    "CHANGES_SETTLE",
    "CSV_COLUMNS",
    "EXPORT_BATCH",
    "LEGAL_BASIS_MAX",
    "LEGAL_BASIS_MIN",
    "NOTICE_KIND",
    "REFERENCE_MAX",
    "CertificationQuery",
    "NoticeView",
    "certifications_cursor",
    "certifications_page",
    "changes_cursor",
    "changes_page",
    "csv_cell",
    "csv_export",
    "disclose",
    "export",
    "jsonl_export",
    "mark_notice_sent",
    "notices_of",
    "parse_certifications_cursor",
    "parse_changes_cursor",
    "public_record",
    "record_request",
    "resolve_scheme",
]

CHANGES_SETTLE = timedelta(seconds=5)
"""The change feed holds back the most recent seconds, so that a transaction that recorded a
change just before a reader looked has committed before the reader's cursor passes it."""

EXPORT_BATCH = 500
"""Rows read per transaction while streaming an export: memory stays flat however large."""

LEGAL_BASIS_MIN = 10
LEGAL_BASIS_MAX = 2000
REFERENCE_MAX = 200
NOTICE_KIND = NoticeKind.DISCLOSURE.value

_CURSOR_MAX = 512
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


# ── cursors ──────────────────────────────────────────────────────────────────────────────
def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def _encode(kind: str, position: list[Any]) -> str:
    document = json.dumps({"k": kind, "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).rstrip(b"=").decode()


def _decode(kind: str, cursor: str, length: int) -> list[Any]:
    """The position list inside a cursor of ``kind``, or :class:`InvalidCursor`."""
    refused = InvalidCursor(f"this is not a {kind} cursor handed out by this API")
    if len(cursor) > _CURSOR_MAX or not _BASE64URL.match(cursor):
        raise refused
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise refused from exc
    if not isinstance(document, dict) or set(document) != {"k", "p"} or document["k"] != kind:
        raise refused
    position = document["p"]
    if not isinstance(position, list) or len(position) != length:
        raise refused
    return position


def _instant(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidCursor("the cursor's instant is malformed")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidCursor("the cursor's instant is malformed") from exc
    if instant.tzinfo is None or not 1900 <= instant.year <= 9000:
        raise InvalidCursor("the cursor's instant is out of range")
    return instant.astimezone(UTC)


def _key(value: Any, *, empty: bool = False) -> str:
    if not isinstance(value, str) or not (_KEY.match(value) or (empty and value == "")):
        raise InvalidCursor("the cursor's key is malformed")
    return value


def _integer(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidCursor("the cursor's sequence number is out of range")
    return value


def certifications_cursor(position: tuple[datetime, str]) -> str:
    return _encode("certifications", [_stamp(position[0]), position[1]])


def parse_certifications_cursor(cursor: str) -> tuple[datetime, str]:
    at, number = _decode("certifications", cursor, 2)
    return _instant(at), _key(number)


def changes_cursor(position: tuple[datetime, int, int, str]) -> str:
    at, rank, seq, key = position
    return _encode("changes", [_stamp(at), rank, seq, key])


def parse_changes_cursor(cursor: str) -> tuple[datetime, int, int, str]:
    at, rank, seq, key = _decode("changes", cursor, 4)
    rank = _integer(rank, 0, 1)
    seq = _integer(seq, 0, 2**63 - 1)
    key = _key(key, empty=rank == 1)
    if (rank == 0 and seq != 0) or (rank == 1 and key != ""):
        raise InvalidCursor("the cursor names neither a grant nor a decision")
    return _instant(at), rank, seq, key


# ── listings ─────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class CertificationQuery:
    """Which certifications a listing or export covers; ``None`` means any."""

    scheme_id: str | None = None
    status: CertificationStatus | None = None
    changed_since: datetime | None = None


def resolve_scheme(tx: Tx, scheme: str | None) -> str | None:
    """The id of the scheme named by id or code; an unknown scheme is a 404, not an empty
    list, so that a mistyped code is not read as "nobody is certified"."""
    if scheme is None:
        return None
    found = tx.get_scheme(scheme) or tx.get_scheme_by_code(scheme)
    if found is None:
        raise NotFound(f"no scheme {scheme[:64]!r}")
    return found.id


def certifications_page(
    tx: Tx, query: CertificationQuery, *, cursor: str | None, limit: int
) -> tuple[list[PublicCertification], str | None]:
    """One page, and the cursor of the next (``None`` after the last page)."""
    after = None if cursor is None else parse_certifications_cursor(cursor)
    rows = tx.public_certifications(
        scheme_id=query.scheme_id,
        status=query.status,
        changed_since=query.changed_since,
        after=after,
        limit=limit + 1,
    )
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, certifications_cursor(page[-1].position)


def changes_page(
    tx: Tx, *, after: str | None, limit: int, now: datetime
) -> tuple[list[tuple[str, CertificationChange]], str | None]:
    """Changes after the cursor ``after``, each with its own cursor, and the cursor to poll
    from next (the last change's, or ``after`` itself when nothing new has settled)."""
    position = None if after is None else parse_changes_cursor(after)
    changes = tx.certification_changes(after=position, until=now - CHANGES_SETTLE, limit=limit)
    page = [(changes_cursor(c.position), c) for c in changes]
    return page, (page[-1][0] if page else after)


def export(store: Store, query: CertificationQuery) -> Iterator[PublicCertification]:
    """Every certification the query covers, read :data:`EXPORT_BATCH` rows per transaction.

    Each batch is its own short transaction, so an export of any size neither holds memory
    nor a long transaction; the keyset walk still yields each row exactly once.
    """
    after: tuple[datetime, str] | None = None
    while True:
        with store.transaction() as tx:
            rows = tx.public_certifications(
                scheme_id=query.scheme_id,
                status=query.status,
                changed_since=query.changed_since,
                after=after,
                limit=EXPORT_BATCH,
            )
        yield from rows
        if len(rows) < EXPORT_BATCH:
            return
        after = rows[-1].position


# ── export formats ───────────────────────────────────────────────────────────────────────
CSV_COLUMNS = (
    "certificate_number",
    "given_name",
    "family_name",
    "scheme_code",
    "scheme_version",
    "scope",
    "status",
    "status_since",
    "effective_date",
    "expiry_date",
    "credential_ids",
)


def public_record(c: PublicCertification) -> dict[str, Any]:
    """The JSON form of a public certification, as every regulator answer spells it."""
    return {
        "certificate_number": c.certificate_number,
        "given_name": c.given_name,
        "family_name": c.family_name,
        "scheme_code": c.scheme_code,
        "scheme_version": c.scheme_version,
        "scope": list(c.scope),
        "status": c.status.value,
        "status_since": c.status_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "effective_date": c.effective_date.isoformat(),
        "expiry_date": c.expiry_date.isoformat(),
        "credential_ids": list(c.credential_ids),
    }


def csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): text that
    starts with ``= + - @``, a tab or a carriage return gets a leading quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_row(values: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(v) for v in values])
    return buffer.getvalue()


def csv_export(rows: Iterable[PublicCertification]) -> Iterator[str]:
    """A header row, then one row per certification; lists are space-separated."""
    yield _csv_row(CSV_COLUMNS)
    for c in rows:
        record = public_record(c)
        yield _csv_row(
            " ".join(v) if isinstance(v := record[name], list) else str(v) for name in CSV_COLUMNS
        )


def jsonl_export(rows: Iterable[PublicCertification]) -> Iterator[str]:
    """One JSON object per line (JSON Lines), each the same as in the paged listing."""
    for c in rows:
        yield json.dumps(public_record(c), ensure_ascii=False, separators=(",", ":")) + "\n"


# ── disclosure of a confidential field ───────────────────────────────────────────────────
def _stated(value: str | None, *, what: str, high: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if _CONTROL.search(value):
        raise InvalidInput(f"the {what} contains control or bidirectional-override characters")
    if len(value) > high:
        raise InvalidInput(f"the {what} is longer than {high} characters")
    return value or None


def _legal_basis(value: str | None) -> str:
    basis = _stated(value, what="legal basis", high=LEGAL_BASIS_MAX)
    if basis is None:
        raise InvalidInput(
            "state the legal basis that requires this disclosure (clause 7.3.4)",
            kind="legal-basis-required",
        )
    if len(basis) < LEGAL_BASIS_MIN:
        raise InvalidInput(
            f"a legal basis names the law or order: at least {LEGAL_BASIS_MIN} characters",
            kind="legal-basis-required",
        )
    return basis


def _text(value: date | str | None) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return value


def disclose(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    number: str,
    field: ConfidentialField,
    legal_basis: str | None,
    reference: str | None,
) -> tuple[Disclosure, str | None, PersonNotice]:
    """Release one confidential field of the person a certification belongs to.

    Returns the disclosure record, the value (``None`` when nothing is on record — which is
    itself disclosed, so it is logged and notified the same way) and the queued notice.
    """
    if actor.role is not Role.REGULATOR:
        raise Forbidden("only a regulator's token may ask for a disclosure", kind="wrong-role")
    basis = _legal_basis(legal_basis)
    ref = _stated(reference, what="reference", high=REFERENCE_MAX)
    certification = get_certification(tx, number)
    person = get_person(tx, certification.person_id)
    value = _text(getattr(person.confidential, field.value))
    disclosure = Disclosure(
        id=new_id(entropy),
        certification_id=certification.id,
        person_id=person.id,
        field=field,
        legal_basis=basis,
        reference=ref,
        token_id=actor.token_id,
        disclosed_at=now,
    )
    tx.insert_disclosure(disclosure)
    notice = notices.queue(
        tx,
        now=now,
        entropy=entropy,
        person_id=person.id,
        kind=NoticeKind.DISCLOSURE,
        subject_id=disclosure.id,
        facts={
            "certificate_number": certification.certificate_number,
            "field": field.value,
            "regulator": (tx.token_name(actor.token_id) or "a regulator")[:200],
            "legal_basis": basis[:500],
            "disclosed_on": now.date().isoformat(),
        },
    )
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="person.confidential-disclosed",
        subject_type="person",
        subject_id=person.id,
        details={
            "disclosure_id": disclosure.id,
            "certification_id": certification.id,
            "field": field.value,
            "notice_id": notice.id,
            "legal_basis_sha256": hashlib.sha256(basis.encode()).hexdigest(),
        },
    )
    return disclosure, value, notice


# ── notices owed to persons ──────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class NoticeView:
    """A notice with what it tells the person: which field went to which regulator, why."""

    notice: PersonNotice
    disclosure: Disclosure | None
    regulator: str | None


def notices_of(tx: Tx, person_id: str) -> list[NoticeView]:
    get_person(tx, person_id)
    views = []
    for notice in tx.person_notices(person_id):
        disclosure = tx.get_disclosure(notice.subject_id)
        regulator = None if disclosure is None else tx.token_name(disclosure.token_id)
        views.append(NoticeView(notice=notice, disclosure=disclosure, regulator=regulator))
    return views


def mark_notice_sent(
    tx: Tx, *, actor: Actor, now: datetime, person_id: str, notice_id: str
) -> PersonNotice:
    """Record that staff sent the notice; a notice is sent once."""
    staff_id = actor.staff()
    notice = tx.lock_person_notice(notice_id)
    if notice is None or notice.person_id != person_id:
        raise NotFound(f"no notice {notice_id[:64]!r} for this person")
    if notice.sent_at is not None:
        raise StateConflict("this notice was already sent")
    tx.mark_notice_sent(notice.id, at=now, by=staff_id)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="person.notice-sent",
        subject_type="person",
        subject_id=person_id,
        details={"notice_id": notice.id, "kind": notice.kind},
    )
    return dataclasses.replace(notice, sent_at=now, sent_by=staff_id)


# ── the request log ──────────────────────────────────────────────────────────────────────
def _loggable(value: str, limit: int) -> str:
    """Client text made storable: control characters (NUL above all, which PostgreSQL
    refuses) replaced, and cut to the column's length."""
    return _CONTROL.sub("\ufffd", value)[:limit]


def record_request(tx: Tx, request: RegulatorRequest) -> None:
    tx.insert_regulator_request(
        RegulatorRequest(
            token_id=request.token_id,
            staff_id=request.staff_id,
            method=_loggable(request.method, 10),
            path=_loggable(request.path, 300),
            query=_loggable(request.query, 1000),
            status=request.status,
            at=request.at,
        )
    )
