"""Bodies of the management system's routes (:mod:`issuer.http.routes.management`,
clause 10, 6.2.2.3, 7.4.4): a finding raised, its corrective action, the action taken and
its check; the finding as staff read it; the examiner monitoring report; and the management
review as a readable Markdown report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from issuer.http.bodies.common import Day, Id, Short, Text, _In, _Out
from issuer.model import Finding, FindingSeverity, FindingSource, FindingState
from issuer.process.monitoring import ExaminerFigures


class FindingBody(_In):
    source: FindingSource = Field(description="where the finding comes from")
    clause: Short = Field(
        max_length=200,
        description="the clause (of the standard, a scheme or "
        "a procedure) the finding concerns, e.g. `7.4.4`",
    )
    description: Text = Field(description="what was found")
    severity: FindingSeverity
    raised_on: Day = Field(description="the day it was raised; not in the future")


class CorrectiveActionBody(_In):
    root_cause: Text
    action: Text = Field(description="what will be done to remove the cause")
    owner_id: Id = Field(description="the staff member who owns the action")
    due_on: Day = Field(description="the day the action is due; not in the past")


class ActionTakenBody(_In):
    note: Text = Field(description="what was done")


class EffectivenessBody(_In):
    effective: bool = Field(
        description="`true` closes the finding; `false` opens it again for a new action"
    )
    note: Text = Field(description="what the check found")


class FindingStepOut(_Out):
    step: str
    at: datetime
    by: str = Field(description="the staff member who took the step")


class FindingOut(_Out):
    id: str
    source: FindingSource
    clause: str
    description: str
    severity: FindingSeverity
    raised_on: date
    state: FindingState
    root_cause: str | None
    action: str | None
    owner_id: str | None
    due_on: date | None
    action_note: str | None
    effective: bool | None
    check_note: str | None
    times_reopened: int
    overdue: bool = Field(description="its action's due date passed and it is not closed")
    steps: list[FindingStepOut]

    @classmethod
    def of(cls, finding: Finding, today: date) -> FindingOut:
        return cls(
            id=finding.id,
            source=finding.source,
            clause=finding.clause,
            description=finding.description,
            severity=finding.severity,
            raised_on=finding.raised_on,
            state=finding.state,
            root_cause=finding.root_cause,
            action=finding.action,
            owner_id=finding.owner_id,
            due_on=finding.due_on,
            action_note=finding.action_note,
            effective=finding.effective,
            check_note=finding.check_note,
            times_reopened=finding.times_reopened,
            overdue=finding.overdue(today),
            steps=[FindingStepOut(step=s.step, at=s.at, by=s.by) for s in finding.steps],
        )


class FiguresOut(_Out):
    scheme: str = Field(description="the scheme's code")
    held: int = Field(description="examinations held in the period")
    pass_rate: float | None = Field(description="passed / held, from 0 to 1")
    peers_held: int = Field(description="examinations of the scheme's other examiners or days")
    peers_pass_rate: float | None
    score_mean: float | None = Field(description="mean of score / max_score")
    score_spread: float | None = Field(description="standard deviation of score / max_score")
    irregularities: int = Field(description="examinations with irregularities recorded")
    identity_check_failures: int = Field(description="examinations without the identity check")
    flags: list[str] = Field(
        description="`pass-rate-unusual`, `repeated-irregularities`, `identity-check-failures`"
    )

    @staticmethod
    def fields(f: ExaminerFigures) -> dict[str, Any]:
        return {
            "scheme": f.scheme,
            "held": f.held,
            "pass_rate": f.pass_rate,
            "peers_held": f.peers_held,
            "peers_pass_rate": f.peers_pass_rate,
            "score_mean": f.score_mean,
            "score_spread": f.score_spread,
            "irregularities": f.irregularities,
            "identity_check_failures": f.identity_check_failures,
            "flags": list(f.flags),
        }


class ExaminerOut(FiguresOut):
    examiner_id: str


class SessionOut(FiguresOut):
    day: date = Field(description="the examination day")


class ExaminerReportOut(_Out):
    period_from: date
    period_to: date
    examiners: list[ExaminerOut]
    sessions: list[SessionOut]


def _pct(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}"


def review_markdown(review: dict[str, Any]) -> str:
    """The management review as a report people read: the same figures as the JSON."""
    period = review["period"]
    lines = [
        f"# Management review, {period['from']} to {period['to']}",
        "",
        f"Open items are counted as of {period['as_of']}.",
        "",
        "## Certifications by scheme",
        "",
    ]
    kinds = [
        "granted",
        "denied",
        "suspended",
        "reinstated",
        "withdrawn",
        "expired",
        "recertified",
        "scope_changed",
    ]
    if review["certifications"]:
        lines.append("| scheme | " + " | ".join(k.replace("_", " ") for k in kinds) + " |")
        lines.append("|---|" + "---:|" * len(kinds))
        for scheme, row in review["certifications"].items():
            lines.append(f"| {scheme} | " + " | ".join(str(row.get(k, 0)) for k in kinds) + " |")
    else:
        lines.append("No decisions in the period.")
    a = review["appeals"]
    decided = ", ".join(f"{k}: {v}" for k, v in sorted(a["decided"].items())) or "none"
    lines += [
        "",
        "## Appeals",
        "",
        f"- Received: {a['received']}",
        f"- Decided: {decided}",
        f"- Closed: {a['closed']}; withdrawn: {a['withdrawn']}",
        f"- Overdue: {a['overdue']}",
        f"- Mean days to decision: {_pct(a['mean_days_to_decision'])} "
        f"(allowed: {_pct(a['mean_days_allowed'])}); decided late: {a['decided_late']}",
        "",
        "## Complaints",
        "",
    ]
    c = review["complaints"]
    received = ", ".join(f"{k}: {v}" for k, v in c["received"].items()) or "none"
    answered = ", ".join(f"{k}: {v}" for k, v in sorted(c["answered"].items())) or "none"
    lines += [
        f"- Received: {received}; rejected as invalid: {c['rejected_invalid']}",
        f"- Answered: {answered}",
        f"- Closed: {c['closed']}; overdue: {c['overdue']}",
        f"- Mean days to answer: {_pct(c['mean_days_to_answer'])} "
        f"(allowed: {_pct(c['mean_days_allowed'])}); answered late: {c['answered_late']}",
        "",
        "## Impartiality risks",
        "",
    ]
    r = review["impartiality_risks"]
    open_states = ", ".join(f"{k}: {v}" for k, v in sorted(r["open_by_state"].items())) or "none"
    lines += [
        f"- Open: {open_states}",
        f"- Overdue for review: {r['overdue_for_review']}",
        "",
        "## Surveillance",
        "",
    ]
    s = review["surveillance"]
    lines += [
        f"- Due in the period: {s['due']}; done: {s['done']}; late: {s['late']}",
        f"- Suspensions proposed: {s['suspensions_proposed']}",
        "",
        "## Findings and corrective actions",
        "",
    ]
    f = review["findings"]
    raised = ", ".join(f"{k}: {v}" for k, v in sorted(f["raised"].items())) or "none"
    lines += [
        f"- Raised: {raised}",
        f"- Closed: {f['closed']}; overdue: {f['overdue']}",
        "",
        "## Publication to the public register",
        "",
    ]
    u = review["publication"]
    lines += [
        f"- Changes queued: {u['queued']}; published: {u['published']} (within a minute: "
        f"{u['published_within_a_minute']}; within an hour: {u['published_within_an_hour']}; "
        f"later: {u['published_later']})",
        f"- Mean wait: {_pct(u['mean_seconds_to_publish'])} s; longest: "
        f"{_pct(u['longest_seconds_to_publish'])} s",
        f"- Still waiting: {u['waiting']}; the oldest since {u['oldest_waiting_since'] or '–'}",
        "",
        "## Examiner monitoring",
        "",
    ]
    flagged = [
        f"- examiner {e['examiner_id']} ({e['scheme']}): {', '.join(e['flags'])}"
        for e in review["examiner_flags"]
    ] + [
        f"- examination day {e['day']} ({e['scheme']}): {', '.join(e['flags'])}"
        for e in review["session_flags"]
    ]
    lines += flagged or ["Nothing flagged."]
    return "\n".join(lines) + "\n"
