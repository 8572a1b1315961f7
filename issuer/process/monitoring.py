"""The management system's reports: examiner monitoring (6.2.2.3, 7.4.4) and the
management review (clause 10).

Examiner monitoring compares, per scheme over a period, each examiner's examinations with
those of the scheme's other examiners (their peers): pass rate, the mean and the spread
(population standard deviation) of score / max_score, irregularities and identity-check
failures, with flags that call for a look (never a verdict):

- ``pass-rate-unusual``: the examiner's pass rate differs from the peers' by more than 25
  percentage points, both over at least 10 examinations;
- ``repeated-irregularities``: 3 or more examinations with irregularities recorded;
- ``identity-check-failures``: 1 or more examinations without the identity check.

The same tallies per examination day and scheme (a session) carry the last two flags, and
``pass-rate-unusual`` against the scheme's other days.

The management review gathers, for a period, the figures of every input clause 10 asks for
that the store holds. Nothing personal leaves here: staff ids, counts, clauses and
severities, never names nor the texts of records (a complaint's neither).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from issuer.errors import InvalidInput
from issuer.model import ExaminationTally
from issuer.store import Reader

__all__ = [
    "MIN_EXAMINATIONS",
    "ExaminerFigures",
    "examiner_report",
    "management_review",
]

MIN_EXAMINATIONS = 10
"""Examinations each side needs before pass rates are compared."""
UNUSUAL_GAP = 0.25
REPEATED_IRREGULARITIES = 3


@dataclass(frozen=True, slots=True)
class ExaminerFigures:
    """One group's figures (an examiner, or a day, in a scheme) beside its peers'."""

    key: str
    scheme: str
    held: int
    pass_rate: float | None
    peers_held: int
    peers_pass_rate: float | None
    score_mean: float | None
    score_spread: float | None
    irregularities: int
    identity_check_failures: int
    flags: tuple[str, ...]


def _rate(passed: int, held: int) -> float | None:
    return None if held == 0 else passed / held


def _figures(tally: ExaminationTally, totals: dict[str, tuple[int, int]]) -> ExaminerFigures:
    key, scheme = tally.group
    scheme_held, scheme_passed = totals[scheme]
    peers_held = scheme_held - tally.held
    peers_passed = scheme_passed - tally.passed
    rate = _rate(tally.passed, tally.held)
    peers_rate = _rate(peers_passed, peers_held)
    mean = tally.ratio_sum / tally.held
    variance = max(tally.ratio_square_sum / tally.held - mean * mean, 0.0)
    flags: list[str] = []
    if (
        rate is not None
        and peers_rate is not None
        and tally.held >= MIN_EXAMINATIONS
        and peers_held >= MIN_EXAMINATIONS
        and abs(rate - peers_rate) > UNUSUAL_GAP
    ):
        flags.append("pass-rate-unusual")
    if tally.irregularities >= REPEATED_IRREGULARITIES:
        flags.append("repeated-irregularities")
    if tally.identity_failures >= 1:
        flags.append("identity-check-failures")
    return ExaminerFigures(
        key=key,
        scheme=scheme,
        held=tally.held,
        pass_rate=rate,
        peers_held=peers_held,
        peers_pass_rate=peers_rate,
        score_mean=mean,
        score_spread=math.sqrt(variance),
        irregularities=tally.irregularities,
        identity_check_failures=tally.identity_failures,
        flags=tuple(flags),
    )


def _compared(tallies: list[ExaminationTally]) -> list[ExaminerFigures]:
    totals: dict[str, tuple[int, int]] = {}
    for t in tallies:
        held, passed = totals.get(t.group[1], (0, 0))
        totals[t.group[1]] = (held + t.held, passed + t.passed)
    return [_figures(t, totals) for t in tallies]


def _period(first: date, last: date) -> None:
    if last < first:
        raise InvalidInput("the period ends before it starts")


def examiner_report(
    tx: Reader, *, first: date, last: date, scheme_code: str | None = None
) -> tuple[list[ExaminerFigures], list[ExaminerFigures]]:
    """Per examiner and scheme, and per examination day and scheme, over the period."""
    _period(first, last)
    examiners = tx.examination_tallies(
        first=first, last=last, by_day=False, scheme_code=scheme_code
    )
    sessions = tx.examination_tallies(first=first, last=last, by_day=True, scheme_code=scheme_code)
    return _compared(examiners), _compared(sessions)


_CERTIFICATION_KINDS = {
    "grant": "granted",
    "deny": "denied",
    "suspend": "suspended",
    "reinstate": "reinstated",
    "withdraw": "withdrawn",
    "expire": "expired",
    "recertify": "recertified",
    "scope": "scope_changed",
}


def management_review(tx: Reader, *, first: date, last: date, today: date) -> dict[str, Any]:
    """The figures of the management review for the period: the state of what is still
    open (overdue appeals, findings and surveillance; open risks) is as of ``today`` or the
    period's last day, whichever comes first."""
    _period(first, last)
    as_of = min(today, last)
    by_scheme: dict[str, dict[str, int]] = {}
    for (scheme, kind), n in sorted(tx.certification_decisions(first=first, last=last).items()):
        row = by_scheme.setdefault(scheme, dict.fromkeys(_CERTIFICATION_KINDS.values(), 0))
        row[_CERTIFICATION_KINDS.get(kind, kind)] = n
    appeals = tx.appeal_figures(first=first, last=last, today=as_of)
    days = appeals.pop("decision_days")
    appeals["mean_days_to_decision"] = _mean([took for took, _ in days])
    appeals["mean_days_allowed"] = _mean([allowed for _, allowed in days])
    appeals["decided_late"] = sum(1 for took, allowed in days if took > allowed)
    risks_open, risks_overdue = tx.risk_figures(today=as_of)
    examiners, sessions = examiner_report(tx, first=first, last=last)
    return {
        "period": {"from": first.isoformat(), "to": last.isoformat(), "as_of": as_of.isoformat()},
        "certifications": by_scheme,
        "appeals": appeals,
        "complaints": tx.complaint_figures(first=first, last=last, today=as_of),
        "impartiality_risks": {"open_by_state": risks_open, "overdue_for_review": risks_overdue},
        "surveillance": tx.surveillance_figures(first=first, last=last, today=as_of),
        "findings": tx.finding_figures(first=first, last=last, today=as_of),
        "publication": tx.publication_figures(first=first, last=last, today=as_of),
        "examiner_flags": [
            {"examiner_id": f.key, "scheme": f.scheme, "flags": list(f.flags)}
            for f in examiners
            if f.flags
        ],
        "session_flags": [
            {"day": f.key, "scheme": f.scheme, "flags": list(f.flags)} for f in sessions if f.flags
        ],
    }


def _mean(values: list[int]) -> float | None:
    return None if not values else sum(values) / len(values)
