"""The management review's figures for regulators (clauses 7.3.4 and 10).

A regulator reads how the body runs its certification — appeals and complaints and how fast
they are closed against their deadlines, certifications granted, suspended, withdrawn and
expired by scheme, corrective actions open and closed, impartiality risks by level — without
learning anything about a person: :func:`aggregated_review` gives counts only, no staff id,
no person, no text, and withholds every count from 1 to 4 (``None``, "fewer than 5"), since
a count that small can single someone out (the one appeal of a small scheme, the two
examinations of one examiner). A mean over fewer than 5 cases is withheld the same way.
Examiner monitoring appears only folded: how many examiners each flag was raised for.

The full report (:func:`full_review`) — the staff's management review with the examiner
monitoring per examiner and per examination day — is personal data about examiners, so it
leaves only on a stated legal basis, audited with the basis's SHA-256 digest exactly as a
disclosure of a confidential field is (:func:`issuer.process.regulators.disclose`), in the
transaction that reads it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime
from typing import Any

from issuer.errors import Forbidden
from issuer.model import Role
from issuer.process import monitoring, regulators
from issuer.process.auth import Actor
from issuer.store import Reader, Tx

__all__ = ["SMALL_CELL", "aggregated_review", "cell", "full_review"]

SMALL_CELL = 5
"""Counts below this (and above 0) are withheld from the aggregated figures."""


def cell(n: int) -> int | None:
    """A count as a regulator may read it: 0, or 5 and more; ``None`` for 1 to 4."""
    return None if 0 < n < SMALL_CELL else n


def _cells(counts: dict[str, int]) -> dict[str, int | None]:
    return {key: cell(n) for key, n in sorted(counts.items())}


def _mean(value: float | None, cases: int) -> float | None:
    return None if value is None or cases < SMALL_CELL else round(value, 1)


def aggregated_review(tx: Reader, *, first: date, last: date, today: date) -> dict[str, Any]:
    """The management review's figures for the period, aggregated and non-personal."""
    review = monitoring.management_review(tx, first=first, last=last, today=today)
    appeals = review["appeals"]
    decided = sum(appeals["decided"].values())
    complaints = review["complaints"]
    answered = sum(complaints["answered"].values())
    findings = review["findings"]
    flagged: dict[str, int] = {}
    for row in review["examiner_flags"]:
        for flag in row["flags"]:
            flagged[flag] = flagged.get(flag, 0) + 1
    return {
        "period": review["period"],
        "withheld_below": SMALL_CELL,
        "certifications": {
            scheme: _cells(kinds) for scheme, kinds in sorted(review["certifications"].items())
        },
        "appeals": {
            "received": cell(appeals["received"]),
            "decided": _cells(appeals["decided"]),
            "closed": cell(appeals["closed"]),
            "withdrawn": cell(appeals["withdrawn"]),
            "overdue": cell(appeals["overdue"]),
            "decided_late": cell(appeals["decided_late"]),
            "mean_days_to_decision": _mean(appeals["mean_days_to_decision"], decided),
            "mean_days_allowed": _mean(appeals["mean_days_allowed"], decided),
        },
        "complaints": {
            "received": _cells(complaints["received"]),
            "rejected_invalid": cell(complaints["rejected_invalid"]),
            "answered": _cells(complaints["answered"]),
            "closed": cell(complaints["closed"]),
            "overdue": cell(complaints["overdue"]),
            "answered_late": cell(complaints["answered_late"]),
            "mean_days_to_answer": _mean(complaints["mean_days_to_answer"], answered),
            "mean_days_allowed": _mean(complaints["mean_days_allowed"], answered),
        },
        "corrective_actions": {
            "raised": _cells(findings["raised"]),
            "closed": cell(findings["closed"]),
            "overdue": cell(findings["overdue"]),
            "by_state_now": _cells(tx.finding_states()),
        },
        "impartiality_risks": {
            "open_by_level": _cells(tx.risk_levels()),
            "overdue_for_review": cell(review["impartiality_risks"]["overdue_for_review"]),
        },
        "surveillance": _cells(review["surveillance"]),
        "examiners_flagged": _cells(flagged),
        "publication": _publication(review["publication"]),
    }


def _publication(figures: dict[str, Any]) -> dict[str, Any]:
    """How soon changes reached the register: the counts as every count here, the waits
    only over 5 documents or more, when the oldest still waiting was queued only when 5 or
    more wait."""
    published, waiting = figures["published"], figures["waiting"]
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if key.endswith("_seconds_to_publish"):
            out[key] = _mean(value, published)
        elif key == "oldest_waiting_since":
            out[key] = value if waiting >= SMALL_CELL else None
        else:
            out[key] = cell(value)
    return out


def full_review(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    first: date,
    last: date,
    legal_basis: str | None,
    reference: str | None,
) -> dict[str, Any]:
    """The full management review, examiner monitoring per examiner included, released to
    a regulator on the legal basis stated (422 ``legal-basis-required`` without one), and
    audited (``management.review-disclosed``: the period, the basis's digest) in ``tx``."""
    if actor.role is not Role.REGULATOR:
        raise Forbidden("only a regulator's token may ask for the full report", kind="wrong-role")
    basis = regulators.check_legal_basis(legal_basis)
    ref = regulators.stated(reference, what="reference", high=regulators.REFERENCE_MAX)
    review = monitoring.management_review(tx, first=first, last=last, today=now.date())
    examiners, sessions = monitoring.examiner_report(tx, first=first, last=last)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="management.review-disclosed",
        subject_type="management-review",
        subject_id=f"{first.isoformat()}/{last.isoformat()}",
        details={
            "from": first.isoformat(),
            "to": last.isoformat(),
            "legal_basis_sha256": hashlib.sha256(basis.encode()).hexdigest(),
            "reference_sha256": None if ref is None else hashlib.sha256(ref.encode()).hexdigest(),
        },
    )
    return {
        **review,
        "legal_basis": basis,
        "reference": ref,
        "examiners": [_figures(f, "examiner_id") for f in examiners],
        "sessions": [_figures(f, "day") for f in sessions],
    }


def _figures(figures: monitoring.ExaminerFigures, key: str) -> dict[str, Any]:
    fields = dataclasses.asdict(figures)
    fields[key] = fields.pop("key")
    fields["flags"] = list(figures.flags)
    return fields
