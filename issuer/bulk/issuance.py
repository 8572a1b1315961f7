"""Bulk issuance: rosters of people the body already examined and granted, issued in chunks.

A roster row names a person, a scheme, the granted scope, the effective date and the
decision-maker who granted it. Each valid row becomes a *roster grant* (see
:class:`issuer.model.RosterGrant`): the person if new, an application recorded as
certified, a grant decision naming the decision-maker (refused, as in
:mod:`issuer.process.decisions`, if they trained, examined or declared a conflict with the person),
the certification with an unguessable certificate number, and its certificate credential —
built, validated against the JSON Schema, signed, stored with two random never-reused status
slots, and enqueued for publication.

Rows are idempotent by ``external_id``: ``bulk_items`` records what each id issued, in the
same transaction as the issue, so a rerun after a crash issues nothing twice and loses
nothing. Invalid rows are reported with their row number and a stable problem kind and
skipped; they never abort the batch.

Speed (docs/BULK.md): rows are committed a chunk at a time through Core executemany; the
credential JSON is rendered from per-scheme templates made by the same builder single
issuance uses (:func:`issuer.credentials.documents.certificate_credential`), validated in full once
per template and on every row's variable fields against the schema's own sub-schemas;
status slots are drawn in bulk (:class:`issuer.credentials.status.BulkAllocator`); on SQLite a
writing process (:mod:`issuer.bulk.writes`) writes each chunk while this process builds and signs
the next; elsewhere signatures are made in worker processes
(:class:`issuer.credentials.signing.SigningPool`) while the previous chunk is written.
The audit log gets one entry per chunk whose details digest the chunk's items.
"""

from __future__ import annotations

import csv
import enum
import gc
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, cast

from jsonschema import FormatChecker

from issuer.bulk.writes import (
    ChunkConflict,
    ChunkWrite,
    PackedChunk,
    UnsignedCredentials,
    WritingProcess,
    WritingProcessGone,
    apply,
    pack,
    signed,
)
from issuer.credentials import documents
from issuer.credentials.identity import IssuerIdentity, jwt_claims
from issuer.credentials.issuance import VC_JWT_HEADER
from issuer.credentials.keys import KeyRing
from issuer.credentials.signing import (
    LoadedSigner,
    PendingSignatures,
    SigningPool,
    sign_compact_many,
)
from issuer.credentials.status import BulkAllocator, ListClaims
from issuer.errors import Duplicate
from issuer.model import (
    BulkItem,
    Certification,
    CertificationStatus,
    Person,
    PersonConfidential,
    Role,
    RosterGrant,
    SchemeVersion,
    Staff,
    StatusPurpose,
    StatusSlot,
)
from issuer.process.decisions import expiry_for
from issuer.runtime import Clock, Entropy, new_id
from issuer.store import BulkWriter, Store, roster_grant_rows, slot_claim_rows
from schemas.certificate_numbers import RANDOM_BITS, from_random_bytes
from schemas.credential_schemas import (
    CERTIFICATION_CREDENTIAL_V2,
    SchemaViolation,
    schema_document,
    validate,
)
from schemas.publication import DocumentKind

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "WRITING_PROCESS_BATCH_SIZE",
    "BatchReport",
    "ItemResult",
    "NumberedRow",
    "Outcome",
    "count_rows",
    "issue_batch",
    "items_digest",
    "read_rows",
]

DEFAULT_BATCH_SIZE = 5000
"""Rows per transaction where this process writes every chunk: large enough that commits
cost little (a chunk's random keys dirty index pages all over the file, each written once
per commit however many rows it gained), small enough to redo."""

WRITING_PROCESS_BATCH_SIZE = 10_000
"""Rows per transaction with a writing process (:mod:`issuer.bulk.writes`), whose writes
are then the limit of a large run: a chunk's random keys dirty about as many index pages
whatever its size once the store is large, so larger chunks write fewer pages per row. A
million rows into SQLite took 107-129 s in five runs with them, 125 s in one with 5,000;
one process was 2% slower with them at 100,000 rows (6,556-6,559 rows/s against
6,666-6,697). A chunk is then about 32 MB on its way to the writing process."""

DEFAULT_NOTICE = "roster"
"""``public_notice_version`` recorded when a row names none: the roster process's notice."""

_MAX_RETRIES = 5
_CONFIDENTIAL_LIMITS = {"email": 320, "phone": 40, "address": 2000, "identity_document_ref": 200}
_SCOPE_SPLIT = re.compile(r"[;|]")


class Outcome(enum.StrEnum):
    ISSUED = "issued"
    ALREADY_ISSUED = "already-issued"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class NumberedRow:
    """One input row and where it came from (its line in a file, or its index in a request);
    ``unreadable`` says why a row could not even be read (e.g. a line that is not JSON)."""

    number: int
    fields: Mapping[str, Any]
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    row: int
    external_id: str | None
    outcome: Outcome
    certificate_number: str | None = None
    certification_id: str | None = None
    credential_id: str | None = None
    problem: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class BatchReport:
    """What a batch did. ``results`` holds every item only when asked for (the API does);
    ``rejections`` always holds the rejected ones, in input order."""

    batch_id: str
    rows: int = 0
    issued: int = 0
    already_issued: int = 0
    rejected: int = 0
    seconds: float = 0.0
    chunks: int = 0
    signed_in_workers: int = 0
    """Credentials issued whose signatures the signing processes made (the rest were signed
    in this process, before the workers had started or without any)."""
    written_in_process: int = 0
    """Credentials issued whose chunks the writing process wrote (SQLite, ``workers`` of 2
    or more; the rest were written by this process)."""
    signed_in_writing_process: int = 0
    """Credentials issued whose signatures the writing process made: its share of the
    chunks it wrote (:class:`_Balance`)."""
    results: list[ItemResult] = field(default_factory=list)
    rejections: list[ItemResult] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Rows handled per second."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0


class _Rejected(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


# ── reading rows ─────────────────────────────────────────────────────────────────────────
def read_rows(path: Path, fmt: str) -> Iterator[NumberedRow]:
    """The rows of a CSV (with a header line) or JSON lines file, numbered by the line
    they start on, as a person looking at the file would count."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if fmt == "csv":
            reader = csv.DictReader(handle)
            start = reader.line_num + 2  # the header is line 1
            for record in reader:
                extra = record.pop(None, None)
                if extra:
                    yield NumberedRow(start, {}, "the row has more fields than the header")
                else:
                    yield NumberedRow(start, {k: v for k, v in record.items() if v != ""})
                start = reader.line_num + 1
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                yield NumberedRow(number, {}, "the line is not JSON")
                continue
            if not isinstance(value, dict):
                yield NumberedRow(number, {}, "the line is not a JSON object")
                continue
            yield NumberedRow(number, value)


def count_rows(path: Path, fmt: str) -> int:
    """How many rows :func:`read_rows` will yield (for a progress bar's total)."""
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


# ── checking one row ─────────────────────────────────────────────────────────────────────
@dataclass(slots=True)
class _Row:
    number: int
    external_id: str
    digest: str
    given_name: str
    family_name: str
    scheme: _SchemeInfo
    scope: tuple[str, ...]
    effective: date
    expiry: date
    maker: str
    person_id: str | None
    notice: str
    consent: bool
    confidential: PersonConfidential


@dataclass(frozen=True, slots=True)
class _SchemeInfo:
    scheme_id: str
    code: str
    version: SchemeVersion
    offered: frozenset[str]


def _text(fields: Mapping[str, Any], name: str, *, limit: int, required: bool) -> str | None:
    value = fields.get(name)
    if value.__class__ is str:  # the common case first: one pass of cheap tests
        value = value.strip()
        if value and len(value) <= limit and "\x00" not in value:
            return value
        value = fields[name]
    if value is None:
        if required:
            raise _Rejected("row-invalid", f"{name} is required")
        return None
    if not isinstance(value, str):
        raise _Rejected("row-invalid", f"{name} must be text")
    value = value.strip()
    if not value:
        if required:
            raise _Rejected("row-invalid", f"{name} is required")
        return None
    if len(value) > limit or "\x00" in value:
        raise _Rejected("row-invalid", f"{name} must be 1-{limit} characters without NUL")
    return value


def _date(fields: Mapping[str, Any], name: str, *, required: bool) -> date | None:
    text = _text(fields, name, limit=10, required=required)
    if text is None:
        return None
    day = _iso_date(text)
    if day is None:
        raise _Rejected("row-invalid", f"{name} must be a date as YYYY-MM-DD")
    return day


@lru_cache(maxsize=4096)
def _iso_date(text: str) -> date | None:
    """A roster repeats its dates on thousands of rows: each distinct text is parsed once."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


_valid_from = lru_cache(maxsize=4096)(documents.valid_from)
_valid_until = lru_cache(maxsize=4096)(documents.valid_until)
"""One instant per distinct date, as :func:`_iso_date` makes one date: a chunk's rows
then share them, and pickling the chunk for the writing process writes each once (5,000
instants of their own took 6 of the credentials table's 7.5 ms to pickle, 3 of its 4 to
unpickle)."""


def _scope(fields: Mapping[str, Any]) -> tuple[str, ...]:
    value = fields.get("scope")
    if isinstance(value, str):
        items = [s.strip() for s in _SCOPE_SPLIT.split(value)]
    elif isinstance(value, list) and all(isinstance(s, str) for s in value):
        items = [s.strip() for s in value]
    else:
        raise _Rejected("row-invalid", "scope must be a list of scope item codes")
    items = [s for s in items if s]
    if not items or len(items) > 200:
        raise _Rejected("row-invalid", "scope must name 1-200 scope items")
    if len(set(items)) != len(items):
        raise _Rejected("row-invalid", "name each granted scope item once")
    return tuple(sorted(items))


def _consent(fields: Mapping[str, Any]) -> bool:
    value = fields.get("directory_consent", False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "false", "no", "0"}:
        return value.strip().lower() in {"true", "yes", "1"}
    raise _Rejected("row-invalid", "directory_consent must be true or false")


@lru_cache(maxsize=4096)
def _expiry(effective: date, months: int) -> date:
    return expiry_for(effective, months)


_CANONICAL = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""The row digest's serialization (``json.dumps`` with these options, made once)."""


class _Resolver:
    """Schemes and decision-makers, read once per batch and then looked up per row."""

    def __init__(self, store: Store, *, acting_maker: str | None) -> None:
        self._store = store
        self._schemes: dict[str, _SchemeInfo | None] = {}
        self._makers: dict[str | None, str | _Rejected] = {}
        self.acting_maker = acting_maker
        with store.reading() as tx:
            staff = tx.list_staff()
        self._by_id: dict[str, Staff] = {s.id: s for s in staff}
        self._by_name: dict[str, list[Staff]] = {}
        for member in staff:
            self._by_name.setdefault(member.name.strip().casefold(), []).append(member)

    def scheme(self, code: str) -> _SchemeInfo:
        if code not in self._schemes:
            with self._store.reading() as tx:  # beside the writing process's transaction
                scheme = tx.get_scheme_by_code(code)
            self._schemes[code] = (
                None
                if scheme is None
                else _SchemeInfo(
                    scheme_id=scheme.id,
                    code=scheme.code,
                    version=scheme.current,
                    offered=frozenset(i.code for i in scheme.current.content.scope_items),
                )
            )
        info = self._schemes[code]
        if info is None:
            raise _Rejected("unknown-scheme", f"no scheme with code {code[:40]!r}")
        return info

    def maker(self, decided_by: str | None) -> str:
        """The staff id of the decision-maker a row names (the answer for each distinct
        ``decided_by`` is worked out once per batch: staff were read at its start)."""
        known = self._makers.get(decided_by)
        if known is None:
            try:
                known = self._maker(decided_by)
            except _Rejected as exc:
                known = exc
            self._makers[decided_by] = known
        if isinstance(known, _Rejected):
            raise _Rejected(known.kind, known.detail)
        return known

    def _maker(self, decided_by: str | None) -> str:
        if decided_by is None:
            if self.acting_maker is None:
                raise _Rejected("row-invalid", "decided_by is required")
            return self.acting_maker
        member = self._by_id.get(decided_by)
        if member is None:
            named = self._by_name.get(decided_by.casefold(), [])
            makers = [m for m in named if Role.DECISION_MAKER in m.roles and m.active]
            if len(makers) > 1:
                raise _Rejected(
                    "unknown-decision-maker",
                    "several decision-makers have that name; give the staff id",
                )
            if not makers and not named:
                raise _Rejected("unknown-decision-maker", "decided_by names no staff member")
            member = makers[0] if makers else named[0]
        if self.acting_maker is not None and member.id != self.acting_maker:
            raise _Rejected(
                "not-own-decision", "a decision-maker records only their own roster grants"
            )
        if Role.DECISION_MAKER not in member.roles or not member.active:
            raise _Rejected(
                "missing-role", "the staff member named in decided_by is not an active decider"
            )
        return member.id


def _check(row: NumberedRow, resolver: _Resolver, today: date) -> _Row:
    if row.unreadable is not None:
        raise _Rejected("row-invalid", row.unreadable)
    fields = row.fields
    external_id = _text(fields, "external_id", limit=200, required=True)
    assert external_id is not None
    given = _text(fields, "given_name", limit=200, required=True)
    family = _text(fields, "family_name", limit=200, required=True)
    code = _text(fields, "scheme", limit=40, required=True)
    assert given is not None
    assert family is not None
    assert code is not None
    scheme = resolver.scheme(code)
    scope = _scope(fields)
    if not scheme.offered.issuperset(scope):
        unknown = sorted(set(scope) - scheme.offered)
        raise _Rejected(
            "unknown-scope-item",
            f"scope items not in the scheme's current version: {', '.join(unknown)[:200]}",
        )
    effective = _date(fields, "effective_date", required=True)
    assert effective is not None
    if effective < today or effective > today + timedelta(days=366):
        raise _Rejected(
            "effective-date-out-of-range",
            "a certification takes effect on its decision day or within a year after it",
        )
    maker = resolver.maker(_text(fields, "decided_by", limit=200, required=False))
    person_id = _text(fields, "person_id", limit=36, required=False)
    notice = _text(fields, "public_notice_version", limit=40, required=False) or DEFAULT_NOTICE
    consent = _consent(fields)
    birth = _date(fields, "date_of_birth", required=False)
    if birth is not None and birth >= today:
        raise _Rejected("row-invalid", "a date of birth must be in the past")
    texts = {
        name: _text(fields, name, limit=limit, required=False)
        for name, limit in _CONFIDENTIAL_LIMITS.items()
    }
    confidential = PersonConfidential(date_of_birth=birth, **texts)
    canonical = [
        external_id,
        given,
        family,
        scheme.code,
        list(scope),
        effective.isoformat(),
        maker,
        person_id,
        notice,
        consent,
        None if birth is None else birth.isoformat(),
        *texts.values(),
    ]
    digest = hashlib.sha256(_CANONICAL(canonical).encode()).hexdigest()
    return _Row(
        number=row.number,
        external_id=external_id,
        digest=digest,
        given_name=given,
        family_name=family,
        scheme=scheme,
        scope=scope,
        effective=effective,
        expiry=_expiry(effective, scheme.version.content.recertification_interval_months),
        maker=maker,
        person_id=person_id,
        notice=notice,
        consent=consent,
        confidential=confidential,
    )


# ── credential templates ─────────────────────────────────────────────────────────────────
_MARK = re.compile("\ue000([a-z]+)\ue001")
_EFFECTIVE, _EXPIRY = date(1901, 2, 3), date(1902, 4, 5)


def _mark(name: str) -> str:
    return f"\ue000{name}\ue001"


_LEAVES = {
    "c": ("id",),
    "vf": ("validFrom",),
    "vu": ("validUntil",),
    "g": ("credentialSubject", "givenName"),
    "f": ("credentialSubject", "familyName"),
    "n": ("credentialSubject", "certification", "certificateNumber"),
    "e": ("credentialSubject", "certification", "effectiveDate"),
    "x": ("credentialSubject", "certification", "expiryDate"),
}
"""The variable leaves of a certificate credential and their paths in the document."""

_FORMATS = FormatChecker()
_FIELDS = {"c", "vf", "vu", "g", "f", "n", "e", "x", "rl", "ri", "sl", "si", "t"}


def _subschema(schema: dict[str, Any], path: Sequence[str]) -> dict[str, Any]:
    node = schema
    for key in path:
        node = node["properties"][key]
    return node


def _leaf_check(subschema: Mapping[str, Any]) -> Callable[[Any], bool]:
    """A check of one value against a leaf sub-schema of the credential schema, for the
    keywords such leaves use; any other keyword makes the template fall back to full
    validation of every document (``KeyError``)."""
    supported = {"type", "minLength", "maxLength", "pattern", "format", "minimum"}
    if set(subschema) - supported:
        raise KeyError(sorted(set(subschema) - supported))
    kind = subschema.get("type")
    low = subschema.get("minLength", 0)
    high = subschema.get("maxLength")
    pattern = re.compile(subschema["pattern"]) if "pattern" in subschema else None
    fmt = subschema.get("format")
    minimum = subschema.get("minimum")

    def check(value: Any) -> bool:
        if kind == "integer":
            return (
                isinstance(value, int)
                and not isinstance(value, bool)
                and (minimum is None or value >= minimum)
            )
        if not isinstance(value, str) or len(value) < low:
            return False
        if high is not None and len(value) > high:
            return False
        if pattern is not None and pattern.search(value) is None:
            return False
        return fmt is None or _FORMATS.conforms(value, fmt)

    return check


class _Template:
    """One scheme version and scope's certificate credential as literal JSON text between
    the fields that vary per row, made by
    :func:`issuer.credentials.documents.certificate_credential` itself with marked values, so the
    fast path renders the very document it would build."""

    def __init__(self, identity: IssuerIdentity, row: _Row) -> None:
        version = row.scheme.version
        marks = cast(Any, _mark)
        document = documents.certificate_credential(
            credential_id=_mark("c"),
            identity=identity,
            certification=Certification(
                id="-",
                certificate_number=_mark("n"),
                person_id="-",
                scheme_id=row.scheme.scheme_id,
                scheme_version_id=version.id,
                scheme_version=version.version,
                application_id="-",
                decision_id="-",
                scope=row.scope,
                status=CertificationStatus.ACTIVE,
                effective_date=_EFFECTIVE,
                expiry_date=_EXPIRY,
                created_at=datetime.min,
            ),
            person=Person(
                id="-",
                given_name=_mark("g"),
                family_name=_mark("f"),
                public_notice_version="-",
                notice_given_at=datetime.min,
                directory_consent=False,
                confidential=PersonConfidential(None, None, None, None, None),
                created_at=datetime.min,
            ),
            scheme_code=row.scheme.code,
            version=version,
            revocation=StatusSlot(_mark("rl"), marks("ri")),
            suspension=StatusSlot(_mark("sl"), marks("si")),
        )
        # The claims of :func:`issuer.credentials.identity.jwt_claims`, ``iat`` marked.
        claims = {"iss": identity.did, "iat": _mark("t")}
        text = json.dumps({**document, **claims}, separators=(",", ":"), ensure_ascii=False)
        text = text.replace(f'"{_mark("t")}"', _mark("t"))
        for stamp, name in (
            (documents.valid_from(_EFFECTIVE), "vf"),
            (documents.valid_until(_EXPIRY), "vu"),
        ):
            text = _replace_once(text, stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), _mark(name))
        text = _replace_once(text, _EFFECTIVE.isoformat(), _mark("e"))
        text = _replace_once(text, _EXPIRY.isoformat(), _mark("x"))
        pieces = _MARK.split(text)
        self.literals = pieces[0::2]
        self.names = pieces[1::2]
        if "\ue000" in "".join(self.literals) or set(self.names) != _FIELDS:
            raise ValueError("the scheme's own text holds template marks")
        schema = schema_document(CERTIFICATION_CREDENTIAL_V2)
        self.checks = {name: _leaf_check(_subschema(schema, p)) for name, p in _LEAVES.items()}
        self.checks["name"] = _leaf_check(_subschema(schema, ("credentialSubject", "name")))
        self.checks["t"] = _leaf_check(_subschema(schema, ("iat",)))
        status = schema["properties"]["credentialStatus"]["items"]["properties"]
        self.checks["index"] = _leaf_check(status["statusListIndex"])
        self.checks["list"] = _leaf_check(status["statusListCredential"])
        self.checks["entry"] = _leaf_check(status["id"])
        self.verified = False
        self.valid: set[tuple[str, str]] = set()
        """Values of the leaves a batch repeats (dates, ``iat``, list URLs) found valid."""
        # One %-format string: rendering is then a single C-level operation per document.
        self.format = "%s".join(literal.replace("%", "%%") for literal in self.literals)

    def render(self, values: Mapping[str, str]) -> str:
        return self.format % tuple([values[name] for name in self.names])

    def conforms(self, name: str, value: str) -> bool:
        """``checks[name](value)``, remembered for the leaves whose values repeat."""
        if (name, value) in self.valid:
            return True
        if not self.checks[name](value):
            return False
        if len(self.valid) > 65_536:
            self.valid.clear()
        self.valid.add((name, value))
        return True


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(f'"{old}"') != 1:
        raise ValueError(f"{old} is not a single value of the template")
    return text.replace(f'"{old}"', f'"{new}"')


def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


# ── preparing and writing chunks ─────────────────────────────────────────────────────────
@dataclass(slots=True)
class _Chunk:
    index: int
    rows: list[NumberedRow]
    now: datetime
    generation: int = -1
    grants: list[RosterGrant] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    checked: list[_Row] = field(default_factory=list)
    results: dict[int, ItemResult] = field(default_factory=dict)
    twins: list[tuple[int, _Row]] = field(default_factory=list)
    firsts: dict[str, _Row] = field(default_factory=dict)
    signatures: PendingSignatures | list[str] | None = None
    signed_in_workers: bool = False
    written_in_process: bool = False
    last: bool = False
    """The batch's last chunk: the writing process's share of it would be time this
    process spent waiting, with nothing left to build."""
    deferred: int = 0
    """How many of the last credentials are left for the writing process to sign."""
    writer_seconds: float | None = None
    """How long the writing process took over the chunk, once it has written it."""
    write: ChunkWrite | None = None
    packed: PackedChunk | None = None


@dataclass(slots=True)
class _Balance:
    """How many of a chunk's credentials to leave unsigned for the writing process, so that
    it and this process are equally busy.

    Writing a chunk there took about half as long as screening, building and signing the
    next one here (docs/BULK.md): alone, the writing process waited half of the time. The
    timings of each chunk written there tell where the balance lies: what this process
    would have taken per row had it signed every credential, what the writing process would
    have taken had it signed none, and one signature's cost here; the share then moves
    halfway to the one that evens the two. Until a signature has been timed here, the
    writing process signs nothing.
    """

    fraction: float = 0.5
    signature: float | None = None
    """Seconds per signature in this process (the last chunk signed here)."""

    def share(self, count: int) -> int:
        return 0 if self.signature is None else round(count * self.fraction)

    def signed_here(self, count: int, seconds: float) -> None:
        if count:
            self.signature = seconds / count

    def learn(
        self, here: float, built: tuple[int, int], there: float, written: tuple[int, int]
    ) -> None:
        """``here``: the seconds this process spent on everything but waiting, while the
        writing process took ``there`` over a chunk; ``built`` and ``written`` are
        ``(rows, left unsigned)`` of the chunk built here meanwhile and of that chunk."""
        signature = self.signature
        if signature is None or not built[0] or not written[0]:
            return
        whole = (here + built[1] * signature) / built[0]
        bare = (there - written[1] * signature) / written[0]
        even = (whole - bare) / (2 * signature)
        self.fraction = min(1.0, max(0.0, (self.fraction + even) / 2))


@dataclass(slots=True)
class _Batch:
    store: Store
    writer: BulkWriter
    clock: Clock
    entropy: Entropy
    identity: IssuerIdentity
    signer: LoadedSigner
    pool: SigningPool | None
    process: WritingProcess | None
    allocator: BulkAllocator
    resolver: _Resolver
    report: BatchReport
    actor: str
    keep_results: bool
    generation: int = 0
    templates: dict[tuple[str, tuple[str, ...]], _Template | None] = field(default_factory=dict)
    balance: _Balance = field(default_factory=_Balance)

    @property
    def did(self) -> str:
        """The issuer's DID, which the ``kid`` of every signature names (once per chunk)."""
        return self.identity.did

    def reload(self) -> None:
        with self.store.transaction() as tx:
            self.allocator.load(tx)
        self.generation += 1


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


def _reject(chunk: _Chunk, number: int, external_id: str | None, kind: str, detail: str) -> None:
    chunk.results[number] = ItemResult(
        row=number, external_id=external_id, outcome=Outcome.REJECTED, problem=kind, detail=detail
    )


def _already(chunk: _Chunk, row: _Row, item: BulkItem) -> None:
    if item.row_digest != row.digest:
        _reject(
            chunk,
            row.number,
            row.external_id,
            "external-id-reused",
            "this external id was issued for a row with other content",
        )
        return
    chunk.results[row.number] = ItemResult(
        row=row.number,
        external_id=row.external_id,
        outcome=Outcome.ALREADY_ISSUED,
        certificate_number=item.certificate_number,
        certification_id=item.certification_id,
        credential_id=item.credential_id,
    )


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
    with batch.store.reading() as tx:
        issued = tx.bulk_items(list(first))
        known = tx.existing_person_ids(persons)
        relations = tx.impartiality_relations(known)
    refusals = {(staff, person): kind for staff, person, kind in relations}
    chunk.checked = []
    for item in first.values():
        if item.external_id in issued:
            _already(chunk, item, issued[item.external_id])
        elif item.person_id is not None and item.person_id not in known:
            _reject(chunk, item.number, item.external_id, "not-found", "no such person_id")
        elif item.person_id is not None and (item.maker, item.person_id) in refusals:
            kind = refusals[(item.maker, item.person_id)]
            _reject(chunk, item.number, item.external_id, kind, _IMPARTIALITY[kind])
        else:
            chunk.checked.append(item)


_IMPARTIALITY = {
    "trained-candidate": "the decision-maker trained this person (clause 5.2.3 e)",
    "declared-conflict": "the decision-maker declared a conflict of interest (clause 4.3)",
    "examined-candidate": "the decision-maker examined this person (clause 9.4)",
}


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
            rationale=f"roster grant: examined and granted by the body (batch "
            f"{batch.report.batch_id}, external id {row.external_id})",
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


def _check_leaves(
    template: _Template,
    row: _Row,
    grant: RosterGrant,
    values: Mapping[str, str],
    rev_url: str,
    sus_url: str,
    iat: int,
) -> None:
    """The per-row half of schema validation: every value that varies between the
    documents of one template, against its own sub-schema of the credential schema."""
    checks = template.checks
    conforms = template.conforms
    problems = [name for name in _REPEATING if not conforms(name, values[name])]
    for name, value in (
        ("g", row.given_name),
        ("f", row.family_name),
        ("n", grant.certificate_number),
    ):
        if not checks[name](value):
            problems.append(name)
    if not checks["c"](f"urn:uuid:{grant.credential_id}"):
        problems.append("id")
    if not checks["name"](f"{row.given_name} {row.family_name}"):
        problems.append("name")
    if not checks["t"](iat):
        problems.append("iat")
    for url, index in ((rev_url, values["ri"]), (sus_url, values["si"])):
        # A status entry's id is its list's URL with the index as fragment: whether that is
        # a URI depends on the URL alone once the index is digits, so the URL and the entry
        # form are checked once per list (``#0``), and the index on every document.
        if not (conforms("list", url) and conforms("entry", f"{url}#0") and checks["index"](index)):
            problems.append("credentialStatus")
    if problems:
        raise SchemaViolation(CERTIFICATION_CREDENTIAL_V2, problems)


_REPEATING = ("vf", "vu", "e", "x")
"""Leaves whose values a batch repeats (dates): checked once per distinct value."""


def _validate(document: dict[str, Any]) -> None:
    validate(CERTIFICATION_CREDENTIAL_V2, document)


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


def items_digest(items: Iterable[tuple[str, str, str]]) -> str:
    """The digest a chunk's audit entry carries: SHA-256 over ``external_id certification_id
    credential_id`` lines, sorted by external id (recomputable from ``bulk_items``)."""
    lines = sorted(f"{e} {c} {k}" for e, c, k in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _chunk_write(batch: _Batch, chunk: _Chunk, lists: ListClaims) -> ChunkWrite:
    """The chunk's transaction as plain data (waits for its signatures if the signing
    processes make them)."""
    grants = chunk.grants
    signatures = chunk.signatures
    tokens = signatures.result() if isinstance(signatures, PendingSignatures) else signatures
    assert tokens is not None
    assert len(tokens) + chunk.deferred == len(grants)
    unsigned = None
    if chunk.deferred:
        start = len(tokens)
        unsigned = UnsignedCredentials(
            start, batch.signer.kid, batch.did, VC_JWT_HEADER, chunk.payloads[start:]
        )
        tokens = [*tokens, *[""] * chunk.deferred]  # signed by the writer (bulk_writes.signed)
    now = chunk.now
    kid = batch.signer.kid
    batch_id = batch.report.batch_id
    claims = [
        (slot, g.certification_id, g.credential_id)
        for g in grants
        for slot in (g.revocation, g.suspension)
    ]
    rows = roster_grant_rows(grants, tokens, kid=kid, batch_id=batch_id, chunk=chunk.index, at=now)
    rows.append(slot_claim_rows(claims, now))
    return ChunkWrite(
        at=now,
        external_ids=[g.external_id for g in grants],
        certificate_numbers=[g.certificate_number for g in grants],
        recheck=[(g.decision_maker_id, g.person_id) for g in grants if g.person is None],
        lists=lists,
        rows=rows,
        outbox=[(DocumentKind.REGISTER_ENTRY.value, g.certificate_number) for g in grants]
        + [(DocumentKind.CREDENTIAL.value, g.credential_id) for g in grants]
        + [(DocumentKind.STATUS_LIST.value, i) for i in sorted(i for i, _ in lists.lists)],
        audit={
            "actor": batch.actor,
            "action": "bulk.chunk-issued",
            "subject_type": "issuance-batch",
            "subject_id": batch_id,
            "details": {
                "chunk": chunk.index,
                "issued": len(grants),
                "kid": kid,
                "items_digest": items_digest(
                    (g.external_id, g.certification_id, g.credential_id) for g in grants
                ),
            },
        },
        unsigned=unsigned,
    )


def _lists(batch: _Batch, chunk: _Chunk) -> ListClaims:
    """The chunk's status lists to create, lock and count; taken in this thread, in chunk
    order, since the next chunk's draws change what is new."""
    slots = [slot for g in chunk.grants for slot in (g.revocation, g.suspension)]
    return batch.allocator.claims(slots, now=chunk.now)


def _made(batch: _Batch, chunk: _Chunk) -> ChunkWrite:
    """The chunk's transaction as data, made once per build of the chunk: its status
    lists are taken as it is made (:func:`_lists`)."""
    if chunk.write is None:
        chunk.write = _chunk_write(batch, chunk, _lists(batch, chunk))
    return chunk.write


def _write(batch: _Batch, chunk: _Chunk, lists: ListClaims | None = None) -> None:
    """The chunk's one transaction, in this process (:func:`_send` hands it to the writing
    process); raises :class:`ChunkConflict` (or :class:`Duplicate`) on a concurrent change.
    With ``lists`` (taken in this thread), the transaction is made where this runs: in the
    writer thread, which then waits for the signing processes instead of this thread."""
    if chunk.grants:
        write = _made(batch, chunk) if lists is None else _chunk_write(batch, chunk, lists)
        chunk.write = None  # a redo builds anew
        write = signed(write, batch.signer)  # the writing process's share, if it had one
        with batch.writer.transaction() as tx:
            apply(tx, write)
    _issued(chunk)


def _pack(batch: _Batch, chunk: _Chunk) -> None:
    """Pickle the chunk's transaction for the writing process, ahead of its turn:
    :func:`_run` does it while the writing process still writes the chunk before, so
    only the hand-over is left once that one is done."""
    if chunk.grants and chunk.packed is None:
        chunk.packed = pack(_made(batch, chunk))


def _send(batch: _Batch, chunk: _Chunk, process: WritingProcess) -> Callable[[], None]:
    """Start the chunk's transaction in the writing process; returns what waits for it."""
    if chunk.grants:
        _pack(batch, chunk)
        packed, chunk.write, chunk.packed = chunk.packed, None, None  # a redo builds anew
        assert packed is not None
        process.send(packed)

    def written() -> None:
        if chunk.grants:
            chunk.writer_seconds = process.result()
            chunk.written_in_process = True
        _issued(chunk)

    return written


def _issued(chunk: _Chunk) -> None:
    for row, grant in zip(chunk.checked, chunk.grants, strict=True):
        chunk.results[row.number] = ItemResult(
            row=row.number,
            external_id=grant.external_id,
            outcome=Outcome.ISSUED,
            certificate_number=grant.certificate_number,
            certification_id=grant.certification_id,
            credential_id=grant.credential_id,
        )


def _finish(batch: _Batch, chunk: _Chunk, written: Callable[[], None]) -> None:
    """Wait for a chunk's write (in the writer thread or the writing process); after a
    concurrent change, redo it here, from a fresh view of the store."""
    try:
        written()
    except (ChunkConflict, Duplicate) as exc:
        batch.reload()
        _settle(batch, chunk, first=exc)
        return
    except WritingProcessGone:
        _writing_process_gone(batch)
        _settle(batch, chunk)
        return
    _report(batch, chunk)


def _writing_process_gone(batch: _Batch) -> None:
    """Go on without the writing process: it ended with a chunk that it may or may not
    have committed, so the view of the store is reloaded and the chunk redone here, where
    screening finds the rows it did commit (reported as already issued)."""
    if batch.process is not None:
        batch.process.close()
        batch.process = None
    batch.reload()


def _settle(
    batch: _Batch, chunk: _Chunk, *, first: Exception | None = None, here: bool = False
) -> None:
    """Write a prepared chunk, redoing it (and reloading slots) after a concurrent change;
    in the writing process if it is ready, unless ``here``."""
    last = first
    for _ in range(_MAX_RETRIES):
        if chunk.generation != batch.generation:
            _prepare(batch, chunk)
        process = None if here else _writing_process(batch)
        try:
            if process is not None:
                _send(batch, chunk, process)()
            else:
                _write(batch, chunk)
        except (ChunkConflict, Duplicate) as exc:
            last = exc
            batch.reload()
            continue
        except WritingProcessGone as exc:
            last = exc
            _writing_process_gone(batch)
            continue
        _report(batch, chunk)
        return
    raise RuntimeError("a chunk kept meeting concurrent changes; try again") from last


def _report(batch: _Batch, chunk: _Chunk) -> None:
    by_id = {r.external_id: r for r in chunk.results.values() if r.external_id is not None}
    for number, row in chunk.twins:
        first = by_id.get(row.external_id)
        same = chunk.firsts[row.external_id].digest == row.digest
        if first is not None and first.outcome is not Outcome.REJECTED and same:
            chunk.results[number] = ItemResult(
                row=number,
                external_id=row.external_id,
                outcome=Outcome.ALREADY_ISSUED,
                certificate_number=first.certificate_number,
                certification_id=first.certification_id,
                credential_id=first.credential_id,
            )
        else:
            _reject(
                chunk,
                number,
                row.external_id,
                "external-id-reused",
                "the batch repeats this external id with other content, or after a refusal",
            )
    report = batch.report
    report.chunks += 1
    if chunk.signed_in_workers:
        report.signed_in_workers += len(chunk.grants)
    if chunk.written_in_process:
        report.written_in_process += len(chunk.grants)
        report.signed_in_writing_process += chunk.deferred
    for number in sorted(chunk.results):
        result = chunk.results[number]
        report.rows += 1
        if result.outcome is Outcome.ISSUED:
            report.issued += 1
        elif result.outcome is Outcome.ALREADY_ISSUED:
            report.already_issued += 1
        else:
            report.rejected += 1
            report.rejections.append(result)
        if batch.keep_results:
            report.results.append(result)


def _numbered(rows: Iterable[Mapping[str, Any] | NumberedRow]) -> Iterator[NumberedRow]:
    for number, row in enumerate(rows, start=1):
        yield row if isinstance(row, NumberedRow) else NumberedRow(number, row)


def _run(
    batch: _Batch,
    source: Iterator[NumberedRow],
    *,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Chunk after chunk, one behind the other: each chunk is screened and built (its
    signatures started in the worker processes, if any) before the previous one is written,
    so the workers sign one chunk while the last is written.

    Where the database works in a server process (PostgreSQL), the write runs in a writer
    thread while this thread builds the next chunk: the driver waits on a socket without the
    interpreter lock. On SQLite the database works inside this process, holding and
    releasing the interpreter lock for every row, and a writer thread beside the builder
    made both run at about half speed (docs/BULK.md): there, the writing process
    (:class:`~issuer.bulk.writes.WritingProcess`), once started, writes each chunk over its
    own connection while this thread builds the next, and the writer thread only hands it
    the chunk; without it, everything stays in this thread.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="certreg-bulk-writer") as writer:
        pending: _Chunk | None = None
        resumed = time.perf_counter()  # since pending went to the writing process
        written: Callable[[], None] | None = None  # what waits for pending's write
        starting = batch.process is not None and not batch.process.ready
        chunks = _row_chunks(
            source, batch_size, halve_first=starting, halve_last=lambda: _writing(batch)
        )
        for index, (chunk_rows, last) in enumerate(chunks, start=1):
            chunk = _Chunk(index=index, rows=chunk_rows, now=batch.clock(), last=last)
            if pending is not None and written is None:
                resumed = time.perf_counter()  # this thread's work for the balance starts
                written = _hand_over(batch, pending)
            _screen(batch, chunk)  # a snapshot, or while no write is in flight in this process
            if pending is not None and written is None and batch.writer.server_side:
                if pending.generation != batch.generation:
                    _prepare(batch, pending)
                written = writer.submit(_write, batch, pending, _lists(batch, pending)).result
            _build(batch, chunk)
            if written is not None and _writing(batch):
                # The writing process writes the chunk before: pack this one meanwhile.
                # Not while the chunk before is still to be written here, whose status
                # lists must be taken first, chunk after chunk (_lists); nor the first
                # chunk, which may be the last (written here: see below).
                _pack(batch, chunk)
            if pending is not None:
                if written is not None:
                    busy = time.perf_counter() - resumed
                    _finish(batch, pending, written)
                    resumed = time.perf_counter()
                    if pending.writer_seconds is not None:
                        batch.balance.learn(
                            busy,
                            (len(chunk.grants), chunk.deferred),
                            pending.writer_seconds,
                            (len(pending.grants), pending.deferred),
                        )
                else:
                    _settle(batch, pending)
                    resumed = time.perf_counter()  # what it wrote here is not the balance's
                written = None
                if batch.report.written_in_process:
                    # Hand the chunk just built over at once: the writing process would
                    # otherwise wait while this thread tidies up and reads the next rows.
                    written = _hand_over(batch, chunk)
                if progress is not None:
                    progress(len(pending.rows))
                gc.collect(1)  # the young generations only (see _young_collections_only)
            pending = chunk
        if pending is not None:
            if written is not None:
                _finish(batch, pending, written)
            else:
                # The last chunk has no next one to overlap. A writing process that has
                # written nothing yet (it became ready late in a short run) would write it
                # through a cold page cache and pay for the pickling, where this process's
                # cache holds the pages its own chunks wrote: 0.43-0.60 s against
                # 0.31-0.35 s for 5,000 rows here.
                _settle(batch, pending, here=batch.report.written_in_process == 0)
            if progress is not None:
                progress(len(pending.rows))


_HALVED_FROM = 2_000
"""Rows from which the first and last chunks of a batch go as two halves (:func:`_row_chunks`)."""


def _row_chunks(
    source: Iterator[NumberedRow],
    batch_size: int,
    *,
    halve_first: bool,
    halve_last: Callable[[], bool],
) -> Iterator[tuple[list[NumberedRow], bool]]:
    """The rows chunk by chunk, each with whether it is the last, reading one chunk ahead.

    The writing process does nothing until this process has built the first chunk, and
    this process does nothing while the writing process writes the last: the two ends of
    a run use one core. So the first chunk is halved while the writing process starts
    (``halve_first``: it was ready after about half a second, the time this process took
    to build 5,000 rows), and once it runs (``halve_last()``), so is the last; only chunks
    of :data:`_HALVED_FROM` rows or more.
    """
    rows = list(islice(source, batch_size))
    if halve_first and len(rows) >= _HALVED_FROM:
        half = len(rows) // 2
        yield rows[:half], False
        rows = rows[half:]
    while rows:
        following = list(islice(source, batch_size))
        if not following and len(rows) >= _HALVED_FROM and halve_last():
            half = len(rows) // 2
            yield rows[:half], False
            yield rows[half:], True
            return
        yield rows, not following
        rows = following


def _writing(batch: _Batch) -> bool:
    """Whether the writing process runs (it may be writing a chunk now)."""
    return batch.process is not None and batch.process.running


def _hand_over(batch: _Batch, chunk: _Chunk) -> Callable[[], None] | None:
    """Send a built chunk to the writing process, if it is ready; what waits for the write,
    or None if the chunk is still to be written."""
    process = _writing_process(batch)
    if process is None:
        return None
    if chunk.generation != batch.generation:
        _prepare(batch, chunk)  # built before a redo reloaded the slots
    try:
        return _send(batch, chunk, process)
    except WritingProcessGone:
        _writing_process_gone(batch)  # the chunk is redone here
        return None


def _writing_process(batch: _Batch) -> WritingProcess | None:
    """The writing process, once it is ready to take chunks."""
    process = batch.process
    return process if process is not None and process.ready else None


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """Run a batch with the cyclic garbage collector's automatic runs paused; :func:`_run`
    collects the young generations after each chunk instead.

    A chunk allocates hundreds of thousands of short-lived objects (rows, grants, tuples for
    the driver), so the automatic runs came every few hundred rows and, once the heap had
    grown, kept rescanning every long-lived object of the process: a quarter of a 60,000-row
    roster's time (4,821 rows/s with them, 6,019 without, the same peak memory). Nothing a
    chunk makes holds a reference cycle, reference counting frees it, and the collection
    after each chunk still finds any cycle that does appear. The switch is process-wide:
    in the server, other threads run without automatic collections meanwhile (an API batch
    is at most 1,000 rows, a fraction of a second). The collector's state is restored
    afterwards; if it was already off, it stays off.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def issue_batch(
    store: Store,
    rows: Iterable[Mapping[str, Any] | NumberedRow],
    *,
    clock: Clock,
    entropy: Entropy,
    keyring: KeyRing,
    identity: IssuerIdentity,
    workers: int = 1,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    list_entries: int = 131_072,
    actor: str = "system:bulk",
    acting_decision_maker: str | None = None,
    keep_results: bool = False,
    wait_for_workers: bool = False,
) -> BatchReport:
    """Issue a roster: every valid row once, whatever ran before (see the module doc).

    ``workers`` is the number of processes to use, this one included; 1 does everything
    here. Above 1 on an SQLite file, the second is a writing process
    (:class:`~issuer.bulk.writes.WritingProcess`) that writes each chunk while this one
    screens, builds and signs the next, and any more sign (``workers - 2`` signing
    processes); elsewhere (PostgreSQL, whose server writes; SQLite in memory) this one
    screens, builds and writes while ``workers - 1`` signing processes sign. The other
    processes start in the background: until they have (their start costs about as much as
    signing twenty thousand credentials, so a small roster may never wait for them), this
    process does their part, unless ``wait_for_workers`` asks to wait for them first.
    ``batch_size`` is the rows per transaction: by default
    :data:`WRITING_PROCESS_BATCH_SIZE` with a writing process, :data:`DEFAULT_BATCH_SIZE`
    without. ``progress`` is called with the number of rows each chunk settled.
    ``acting_decision_maker`` (the API's decision-maker tokens) makes every row that
    decision-maker's own grant. Rows without a number are numbered from 1.
    """
    if batch_size is not None and not 1 <= batch_size <= 10_000:
        raise ValueError("batch_size must be 1-10000")
    started = time.perf_counter()
    with store.transaction() as tx:
        signer = keyring.signer(tx)
    report = BatchReport(batch_id=new_id(entropy))
    url = store.shared_file_url() if workers > 1 else None
    process = WritingProcess(url, signer=signer) if url is not None else None
    if batch_size is None:
        batch_size = DEFAULT_BATCH_SIZE if process is None else WRITING_PROCESS_BATCH_SIZE
    signing = workers - 1 - (process is not None)
    pool = SigningPool(signer, workers=signing) if signing > 0 else None
    try:
        if wait_for_workers:
            if pool is not None:
                pool.wait_ready()
            if process is not None:
                process.wait_ready()
        with store.bulk_writer() as bulk_writer:
            batch = _Batch(
                store=store,
                writer=bulk_writer,
                clock=clock,
                entropy=entropy,
                identity=identity,
                signer=signer,
                pool=pool,
                process=process,
                allocator=BulkAllocator(entries=list_entries, entropy=entropy),
                resolver=_Resolver(store, acting_maker=acting_decision_maker),
                report=report,
                actor=actor,
                keep_results=keep_results,
            )
            batch.reload()
            with _young_collections_only():
                _run(batch, _numbered(rows), batch_size=batch_size, progress=progress)
    finally:
        try:
            if pool is not None:
                pool.close()
        finally:
            if process is not None:
                process.close()
    report.seconds = time.perf_counter() - started
    return report
