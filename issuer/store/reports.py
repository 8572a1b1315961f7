"""The figures of the management system's reports (clause 10), counted by the database.

Examinations are tallied per examiner and scheme, or per examination day and scheme, over a
period (6.2.2.3, 7.4.4): counts and the sums from which a mean and a spread follow, so the
database returns one row per group whatever the number of examinations. The management
review counts decisions, lifecycle decisions, appeals, impartiality risks, surveillance and
findings over a period, and how soon each change reached the public registry (the
outbox's enqueued and published instants). Only counts, dates and staff ids leave this
module: no name, no text of a record.

A period runs from its first day to its last, both included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, or_, select

from issuer.model import (
    ACCEPTABLE_SCORE,
    AWAITING_DECISION,
    AppealState,
    DecisionOutcome,
    ExaminationResult,
    ExaminationTally,
    FindingState,
    RiskState,
    SurveillanceState,
)
from issuer.store.base import Unit
from issuer.store.tables import (
    AppealRow,
    ApplicationRow,
    CertificationRow,
    DecisionRow,
    ExaminationRow,
    FindingRow,
    ImpartialityRiskRow,
    LifecycleDecisionRow,
    OutboxRow,
    ProposedSuspensionRow,
    SchemeRow,
    SurveillanceDueRow,
)

__all__ = ["ReportReads"]


def _instants(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants a period of days covers: from its first midnight (UTC) to the next day's
    after its last, that one excluded."""
    return (
        datetime.combine(first, time(), tzinfo=UTC),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
    )


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class ReportReads(Unit):
    """The counts behind the examiner monitoring and the management review."""

    def examination_tallies(
        self, *, first: date, last: date, by_day: bool, scheme_code: str | None = None
    ) -> list[ExaminationTally]:
        """Examinations held from ``first`` to ``last``, tallied per examiner and scheme
        (group ``(examiner id, scheme code)``) or, ``by_day``, per examination day and
        scheme (group ``(day, scheme code)``); ordered by group."""
        ratio = case(
            (ExaminationRow.max_score > 0, ExaminationRow.score / ExaminationRow.max_score),
            else_=0.0,
        )
        key = ExaminationRow.held_on if by_day else ExaminationRow.examiner_id
        query = (
            select(
                key,
                SchemeRow.code,
                func.count(),
                _count(ExaminationRow.result == ExaminationResult.PASS.value),
                _count(
                    and_(
                        ExaminationRow.irregularities.is_not(None),
                        func.length(func.trim(ExaminationRow.irregularities)) > 0,
                    )
                ),
                _count(ExaminationRow.identity_checked.is_(False)),
                func.coalesce(func.sum(cast(ratio, Float)), 0.0),
                func.coalesce(func.sum(cast(ratio * ratio, Float)), 0.0),
            )
            .join(ApplicationRow, ApplicationRow.id == ExaminationRow.application_id)
            .join(SchemeRow, SchemeRow.id == ApplicationRow.scheme_id)
            .where(ExaminationRow.held_on >= first, ExaminationRow.held_on <= last)
            .group_by(key, SchemeRow.code)
            .order_by(key, SchemeRow.code)
        )
        if scheme_code is not None:
            query = query.where(SchemeRow.code == scheme_code)
        return [
            ExaminationTally(
                group=(k.isoformat() if isinstance(k, date) else str(k), code),
                held=int(held),
                passed=int(passed),
                irregularities=int(irregular),
                identity_failures=int(unchecked),
                ratio_sum=float(ratios),
                ratio_square_sum=float(squares),
            )
            for k, code, held, passed, irregular, unchecked, ratios, squares in self._s.execute(
                query
            )
        ]

    def certification_decisions(self, *, first: date, last: date) -> dict[tuple[str, str], int]:
        """Decisions taken in the period by (scheme code, kind): ``grant`` and ``deny`` from
        the decisions on applications, then each kind of lifecycle decision (suspend,
        reinstate, withdraw, scope, recertify, expire)."""
        start, end = _instants(first, last)
        counts: dict[tuple[str, str], int] = {}
        granted = (
            select(SchemeRow.code, DecisionRow.outcome, func.count())
            .join(ApplicationRow, ApplicationRow.id == DecisionRow.application_id)
            .join(SchemeRow, SchemeRow.id == ApplicationRow.scheme_id)
            .where(DecisionRow.decided_at >= start, DecisionRow.decided_at < end)
            .group_by(SchemeRow.code, DecisionRow.outcome)
        )
        for code, outcome, n in self._s.execute(granted):
            counts[(code, DecisionOutcome(outcome).value)] = int(n)
        lifecycle = (
            select(SchemeRow.code, LifecycleDecisionRow.kind, func.count())
            .join(CertificationRow, CertificationRow.id == LifecycleDecisionRow.certification_id)
            .join(SchemeRow, SchemeRow.id == CertificationRow.scheme_id)
            .where(LifecycleDecisionRow.decided_at >= start, LifecycleDecisionRow.decided_at < end)
            .group_by(SchemeRow.code, LifecycleDecisionRow.kind)
        )
        for code, kind, n in self._s.execute(lifecycle):
            counts[(code, kind)] = int(n)
        return counts

    def appeal_figures(self, *, first: date, last: date, today: date) -> dict[str, Any]:
        """Appeals received, decided (by outcome), closed in the period; overdue on
        ``today``; and for each decided in the period, the days it took and the days it was
        allowed (``decision_days``: a list of pairs)."""
        start, end = _instants(first, last)
        received = self._s.scalar(
            select(func.count()).where(
                AppealRow.received_on >= first, AppealRow.received_on <= last
            )
        )
        closed = self._s.scalar(
            select(func.count()).where(AppealRow.closed_at >= start, AppealRow.closed_at < end)
        )
        withdrawn = self._s.scalar(
            select(func.count()).where(
                AppealRow.withdrawn_at >= start, AppealRow.withdrawn_at < end
            )
        )
        late_ack = and_(
            AppealRow.state == AppealState.RECEIVED.value, AppealRow.acknowledge_by < today
        )
        late_decision = and_(
            AppealRow.state.in_([s.value for s in AWAITING_DECISION]), AppealRow.decide_by < today
        )
        overdue = self._s.scalar(select(func.count()).where(or_(late_ack, late_decision)))
        decided = self._s.execute(
            select(
                AppealRow.outcome, AppealRow.received_on, AppealRow.decide_by, AppealRow.decided_at
            )
            .where(AppealRow.decided_at >= start, AppealRow.decided_at < end)
            .order_by(AppealRow.decided_at)
        ).all()
        by_outcome: dict[str, int] = {}
        for outcome, *_ in decided:
            by_outcome[str(outcome)] = by_outcome.get(str(outcome), 0) + 1
        return {
            "received": int(received or 0),
            "decided": by_outcome,
            "closed": int(closed or 0),
            "withdrawn": int(withdrawn or 0),
            "overdue": int(overdue or 0),
            "decision_days": [
                ((at.date() - received_on).days, (decide_by - received_on).days)
                for _, received_on, decide_by, at in decided
                if at is not None
            ],
        }

    def risk_figures(self, *, today: date) -> tuple[dict[str, int], int]:
        """The open impartiality risks by state, and how many are past their review date."""
        open_risk = ImpartialityRiskRow.state != RiskState.CLOSED.value
        by_state = {
            state: int(n)
            for state, n in self._s.execute(
                select(ImpartialityRiskRow.state, func.count())
                .where(open_risk)
                .group_by(ImpartialityRiskRow.state)
            )
        }
        overdue = self._s.scalar(
            select(func.count()).where(open_risk, ImpartialityRiskRow.review_by < today)
        )
        return by_state, int(overdue or 0)

    def surveillance_figures(self, *, first: date, last: date, today: date) -> dict[str, int]:
        """Surveillance items due in the period, done in it, late on ``today`` (still open
        past their grace), and suspensions proposed in it."""
        start, end = _instants(first, last)
        due = self._s.scalar(
            select(func.count()).where(
                SurveillanceDueRow.due_on >= first, SurveillanceDueRow.due_on <= last
            )
        )
        done = self._s.scalar(
            select(func.count()).where(
                SurveillanceDueRow.performed_on >= first, SurveillanceDueRow.performed_on <= last
            )
        )
        late = self._s.scalar(
            select(func.count()).where(
                SurveillanceDueRow.state == SurveillanceState.DUE.value,
                SurveillanceDueRow.late_after < today,
            )
        )
        proposed = self._s.scalar(
            select(func.count()).where(
                ProposedSuspensionRow.proposed_at >= start, ProposedSuspensionRow.proposed_at < end
            )
        )
        return {
            "due": int(due or 0),
            "done": int(done or 0),
            "late": int(late or 0),
            "suspensions_proposed": int(proposed or 0),
        }

    def finding_figures(self, *, first: date, last: date, today: date) -> dict[str, Any]:
        """Findings raised in the period (by severity), closed in it, and overdue on
        ``today``."""
        start, end = _instants(first, last)
        raised = {
            severity: int(n)
            for severity, n in self._s.execute(
                select(FindingRow.severity, func.count())
                .where(FindingRow.raised_on >= first, FindingRow.raised_on <= last)
                .group_by(FindingRow.severity)
            )
        }
        closed = self._s.scalar(
            select(func.count()).where(FindingRow.closed_at >= start, FindingRow.closed_at < end)
        )
        overdue = self._s.scalar(
            select(func.count()).where(
                FindingRow.state != FindingState.CLOSED.value, FindingRow.due_on < today
            )
        )
        return {
            "raised": raised,
            "closed": int(closed or 0),
            "overdue": int(overdue or 0),
        }

    def risk_levels(self) -> dict[str, int]:
        """The open impartiality risks by level of their score (likelihood × impact):
        ``not-evaluated``, ``low`` (up to 6, which may be accepted), ``medium`` (7 to 12) and
        ``high`` (13 and over)."""
        score = ImpartialityRiskRow.likelihood * ImpartialityRiskRow.impact
        level = case(
            (
                or_(ImpartialityRiskRow.likelihood.is_(None), ImpartialityRiskRow.impact.is_(None)),
                "not-evaluated",
            ),
            (score <= ACCEPTABLE_SCORE, "low"),
            (score <= 12, "medium"),
            else_="high",
        )
        counts = dict.fromkeys(("not-evaluated", "low", "medium", "high"), 0)
        for name, n in self._s.execute(
            select(level, func.count())
            .where(ImpartialityRiskRow.state != RiskState.CLOSED.value)
            .group_by(level)
        ):
            counts[str(name)] = int(n)
        return counts

    def finding_states(self) -> dict[str, int]:
        """Every finding by its state now: how many corrective actions are open, and where."""
        counts = dict.fromkeys((s.value for s in FindingState), 0)
        for state, n in self._s.execute(
            select(FindingRow.state, func.count()).group_by(FindingRow.state)
        ):
            counts[str(state)] = int(n)
        return counts

    def _seconds(self, start: Any, end: Any) -> Any:
        """``end - start`` in seconds, as each engine computes a difference of instants."""
        if self._s.get_bind().dialect.name == "postgresql":
            return func.extract("epoch", end - start)
        return (func.julianday(end) - func.julianday(start)) * 86_400.0

    def publication_figures(self, *, first: date, last: date, today: date) -> dict[str, Any]:
        """How soon changes reached the public registry: the documents queued for
        publication in the period, those published in it by how long they waited (within a
        minute, an hour, later; the mean and longest wait), and those still waiting at the
        end of ``today``, with when the oldest was queued. A change the register shows late is a
        certificate confirmed that should not be, or the reverse."""
        start, end = _instants(first, last)
        _, as_of_end = _instants(today, today)
        waited = self._seconds(OutboxRow.enqueued_at, OutboxRow.published_at)
        published_in = and_(OutboxRow.published_at >= start, OutboxRow.published_at < end)
        row = self._s.execute(
            select(
                func.count(),
                func.sum(case((waited <= 60, 1), else_=0)),
                func.sum(case((and_(waited > 60, waited <= 3600), 1), else_=0)),
                func.avg(waited),
                func.max(waited),
            ).where(published_in)
        ).one()
        queued = self._s.scalar(
            select(func.count()).where(OutboxRow.enqueued_at >= start, OutboxRow.enqueued_at < end)
        )
        waiting, oldest = self._s.execute(
            select(func.count(), func.min(OutboxRow.enqueued_at)).where(
                OutboxRow.enqueued_at < as_of_end,
                or_(OutboxRow.published_at.is_(None), OutboxRow.published_at >= as_of_end),
            )
        ).one()
        published = int(row[0] or 0)
        within_minute, within_hour = int(row[1] or 0), int(row[2] or 0)
        if oldest is not None and oldest.tzinfo is None:  # SQLite keeps no offset
            oldest = oldest.replace(tzinfo=UTC)
        return {
            "queued": int(queued or 0),
            "published": published,
            "published_within_a_minute": within_minute,
            "published_within_an_hour": within_hour,
            "published_later": published - within_minute - within_hour,
            "mean_seconds_to_publish": None if row[3] is None else round(float(row[3]), 1),
            "longest_seconds_to_publish": None if row[4] is None else round(float(row[4]), 1),
            "waiting": int(waiting or 0),
            "oldest_waiting_since": None if oldest is None else oldest.isoformat(),
        }
