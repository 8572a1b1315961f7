"""Roster rows: read from a file, numbered, and checked one by one.

:func:`read_rows` reads a CSV (with a header line) or JSON lines file into
:class:`NumberedRow` values, numbered as a person looking at the file would count;
:func:`count_rows` counts them for a progress bar. :func:`_check` makes one row a checked
:class:`_Row` — every field within its limits, the scheme and its scope items known, the
effective date in range, the evidence the grant rests on (:func:`_evidence`: an examination
passed, identity checked, NDA accepted), the decision-maker resolved (:class:`_Resolver`,
which reads the staff once per batch and each scheme once) and the digest that makes a row
idempotent by its ``external_id`` — or raises :class:`_Rejected` with a stable problem
kind. This runs on every row: what a roster repeats (dates, expiry dates, decision-makers,
evidence) is worked out once.

The names keep their underscore: they are for the modules beside this one in
:mod:`issuer.bulk`, and for nothing outside it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from issuer.model import (
    PersonConfidential,
    Role,
    RosterEvidence,
    SchemeVersion,
    Staff,
    SurveillanceActivity,
)
from issuer.process.decisions import expiry_for
from issuer.store import Store

__all__ = ["NumberedRow", "count_rows", "read_rows"]

DEFAULT_NOTICE = "roster"
"""``public_notice_version`` recorded when a row names none: the roster process's notice."""

_CONFIDENTIAL_LIMITS = {"email": 320, "phone": 40, "address": 2000, "identity_document_ref": 200}
_SCOPE_SPLIT = re.compile(r"[;|]")


@dataclass(frozen=True, slots=True)
class NumberedRow:
    """One input row and where it came from (its line in a file, or its index in a request);
    ``unreadable`` says why a row could not even be read (e.g. a line that is not JSON)."""

    number: int
    fields: Mapping[str, Any]
    unreadable: str | None = None


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
    evidence: RosterEvidence


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


_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})


def _flag(fields: Mapping[str, Any], name: str, default: bool | None = None) -> bool:
    value = fields.get(name, default)
    if value.__class__ is bool:
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    if value is None:
        raise _Rejected("row-invalid", f"{name} is required")
    raise _Rejected("row-invalid", f"{name} must be true or false")


def _consent(fields: Mapping[str, Any]) -> bool:
    return _flag(fields, "directory_consent", False)


def _evidence(
    fields: Mapping[str, Any], resolver: _Resolver, today: date, effective: date
) -> RosterEvidence:
    """What the row says the grant rests on (clauses 9.3, 7.4.4): malformed or missing is
    ``row-invalid``; a failed result, an unchecked identity or an NDA not accepted is
    ``evidence-insufficient``."""
    provider = _text(fields, "exam_provider", limit=200, required=True)
    examined = _date(fields, "examined_on", required=True)
    assert provider is not None
    assert examined is not None
    if examined > today:
        raise _Rejected("row-invalid", "examined_on must not be in the future")
    if examined > effective:
        raise _Rejected("row-invalid", "examined_on must not be after effective_date")
    result = _text(fields, "exam_result", limit=20, required=True)
    assert result is not None
    result = result.lower()
    if result != "pass":
        if result in _FAILED:
            raise _Rejected("evidence-insufficient", "the examination was not passed")
        raise _Rejected("row-invalid", "exam_result must be pass or fail")
    if not _flag(fields, "identity_checked"):
        raise _Rejected("evidence-insufficient", "the person's identity was not checked")
    if not _flag(fields, "nda_accepted"):
        raise _Rejected("evidence-insufficient", "the person did not accept the NDA")
    examiner = _text(fields, "examiner_id", limit=36, required=False)
    if examiner is not None:
        resolver.examiner(examiner)
    return _evidence_of(provider, examined, examiner)


_FAILED = frozenset({"fail", "failed"})


@lru_cache(maxsize=4096)
def _evidence_of(provider: str, examined: date, examiner: str | None) -> RosterEvidence:
    """A roster repeats its evidence (provider, date, examiner) on thousands of rows: each
    distinct one is made once."""
    return RosterEvidence(
        exam_provider=provider,
        examined_on=examined,
        exam_result="pass",
        identity_checked=True,
        nda_accepted=True,
        examiner_id=examiner,
    )


@lru_cache(maxsize=4096)
def _expiry(effective: date, months: int) -> date:
    return expiry_for(effective, months)


_CANONICAL = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""The row digest's serialization (``json.dumps`` with these options, made once)."""


class _Resolver:
    """Schemes and decision-makers, read once per batch and then looked up per row.

    ``acting_maker`` is the decision-maker who grants every row; ``None`` while a roster is
    prepared, when no one grants yet and a row's ``decided_by`` is only read as text.
    """

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

    def examiner(self, staff_id: str) -> None:
        """Refuse an ``examiner_id`` that names none of the body's examiners."""
        member = self._by_id.get(staff_id)
        if member is None or Role.EXAMINER not in member.roles:
            raise _Rejected("row-invalid", "examiner_id names none of the body's examiners")

    def surveillance(self, version_id: str) -> tuple[SurveillanceActivity, ...]:
        """The surveillance activities of a scheme version a row of the batch was granted
        under (one the batch resolved, so already read)."""
        for info in self._schemes.values():
            if info is not None and info.version.id == version_id:
                return info.version.content.surveillance_activities
        raise KeyError(version_id)

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
        if self.acting_maker is None:
            return ""  # a roster being prepared: its approver grants it
        member = self._by_id.get(decided_by or self.acting_maker)
        if member is None and decided_by is None:
            raise _Rejected("unknown-decision-maker", "the acting decision-maker is not staff")
        if member is None:
            assert decided_by is not None
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
        if member.id != self.acting_maker:
            raise _Rejected(
                "not-own-decision", "a decision-maker records only their own roster grants"
            )
        if Role.DECISION_MAKER not in member.roles or not member.active:
            raise _Rejected("missing-role", "the decision-maker is not an active decision-maker")
        if Role.ADMINISTRATOR in member.roles:
            raise _Rejected(
                "separation-of-duties",
                "the decision-maker is also an administrator, and an administrator does not "
                "decide on certification",
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
    evidence = _evidence(fields, resolver, today, effective)
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
        evidence.exam_provider,
        evidence.examined_on.isoformat(),
        evidence.examiner_id,
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
        evidence=evidence,
    )


def _numbered(rows: Iterable[Mapping[str, Any] | NumberedRow]) -> Iterator[NumberedRow]:
    for number, row in enumerate(rows, start=1):
        yield row if isinstance(row, NumberedRow) else NumberedRow(number, row)
