"""Impartiality checks shared by examinations and decisions (clauses 4.3, 5.2.3 e, 6.2.1, 9.4).

Each refusal has its own stable ``kind`` so that a client can tell the reasons apart. The
lifecycle decisions after a grant (suspension, reinstatement, withdrawal, scope changes,
recertification) are decisions of clause 4.2 too, and meet the same refusals: the kinds are
the grant's, so a client handles both alike.

A declared conflict of interest is the one refusal a measure can lift (clause 4.3: a threat
is eliminated *or minimised*). The staff member may act for the person only if every
conflict they declared with them is linked to a risk of the impartiality register
(:mod:`issuer.process.risks`) in state ``treated``, whose approved measure covers the
activity and whose review date has not passed; the action's audit entry then names the risk
(``risk_id``). Having trained the candidate, or examined them, stays an absolute refusal: no
measure lifts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from issuer.errors import ImpartialityRefused
from issuer.model import Examination, RiskActivity, RiskState
from issuer.store import Reader

__all__ = [
    "measure_in_force",
    "refuse_conflicted",
    "refuse_examiner_of",
    "refuse_examiner_of_evidence",
    "refuse_trainer_of",
]


def refuse_trainer_of(tx: Reader, *, staff_id: str, person_id: str, acting_as: str) -> None:
    if tx.trained(staff_id, person_id):
        raise ImpartialityRefused(
            f"the {acting_as} trained this candidate (clause 5.2.3 e)", kind="trained-candidate"
        )


_DOING = {
    RiskActivity.EXAMINE: "examining",
    RiskActivity.DECIDE: "deciding",
    RiskActivity.RECORD: "surveillance",
}


def _why_not(
    tx: Reader, *, staff_id: str, person_id: str, activity: RiskActivity, today: date
) -> tuple[str | None, str | None]:
    """``(risk ids, None)`` when every conflict declared is lifted for ``activity`` today
    (``None`` ids: no conflict at all), else ``(None, why not)``."""
    conflicts = tx.conflicts_between(staff_id, person_id)
    if not conflicts:
        return None, None
    doing = _DOING[activity]
    how = (
        f"to act for them, link the conflict to a risk of the impartiality register, record "
        f"a measure that covers {doing} and have someone else approve it"
    )
    lifted: set[str] = set()
    for conflict in conflicts:
        risk = None if conflict.risk_id is None else tx.get_risk(conflict.risk_id)
        if risk is None:
            return None, f"no impartiality risk is linked to the conflict: {how}"
        if risk.state is not RiskState.TREATED:
            return None, f"the linked impartiality risk is {risk.state.value}, not treated: {how}"
        if activity not in risk.covers:
            return None, f"the approved measure does not cover {doing}: {how}"
        if not risk.lifts(activity, today):
            return None, (
                f"the approved measure was due for review on {risk.review_by.isoformat()}: "
                f"review it and record a new review date before acting"
            )
        lifted.add(risk.id)
    return ",".join(sorted(lifted)), None


def refuse_conflicted(
    tx: Reader,
    *,
    staff_id: str,
    person_id: str,
    acting_as: str,
    activity: RiskActivity,
    today: date,
) -> str | None:
    """Refuse a staff member who declared a conflict with the person, unless an approved
    measure in force covers ``activity``; returns the ids of the risks acted under (for the
    audit entry), or ``None`` when no conflict was declared."""
    risk_ids, why_not = _why_not(
        tx, staff_id=staff_id, person_id=person_id, activity=activity, today=today
    )
    if why_not is not None:
        raise ImpartialityRefused(
            f"the {acting_as} declared a conflict of interest with this candidate "
            f"(clause 4.3); {why_not}",
            kind="declared-conflict",
        )
    return risk_ids


def measure_in_force(
    tx: Reader, *, staff_id: str, person_id: str, activity: RiskActivity, today: date
) -> str | None:
    """The ids of the risks whose approved measures let the staff member act for the person
    despite a declared conflict, for an audit entry; ``None`` if no measure is acted under."""
    risk_ids, _ = _why_not(
        tx, staff_id=staff_id, person_id=person_id, activity=activity, today=today
    )
    return risk_ids


def refuse_examiner_of(tx: Reader, *, staff_id: str, person_id: str) -> None:
    if tx.examined(staff_id, person_id):
        raise ImpartialityRefused(
            "the decision-maker examined this candidate (clause 9.4)", kind="examined-candidate"
        )


def refuse_examiner_of_evidence(*, staff_id: str, examinations: Iterable[Examination]) -> None:
    """A decision relying on examinations is not taken by who examined in them (9.4): the
    person who measured the competence does not also decide on it."""
    if any(e.examiner_id == staff_id for e in examinations):
        raise ImpartialityRefused(
            "the decision-maker examined this person in an examination this decision relies "
            "on (clause 9.4)",
            kind="examined-candidate",
        )
