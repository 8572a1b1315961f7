"""Impartiality checks shared by examinations and decisions (clauses 4.3, 5.2.3 e, 6.2.1, 9.4).

Each refusal has its own stable ``kind`` so that a client can tell the reasons apart. The
lifecycle decisions after a grant (suspension, reinstatement, withdrawal, scope changes,
recertification) are decisions of clause 4.2 too, and meet the same refusals: the kinds are
the grant's, so a client handles both alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from issuer.errors import ImpartialityRefused
from issuer.model import Examination
from issuer.store import Tx

__all__ = [
    "refuse_conflicted",
    "refuse_examiner_of",
    "refuse_examiner_of_evidence",
    "refuse_trainer_of",
]


def refuse_trainer_of(tx: Tx, *, staff_id: str, person_id: str, acting_as: str) -> None:
    if tx.trained(staff_id, person_id):
        raise ImpartialityRefused(
            f"the {acting_as} trained this candidate (clause 5.2.3 e)", kind="trained-candidate"
        )


def refuse_conflicted(tx: Tx, *, staff_id: str, person_id: str, acting_as: str) -> None:
    if tx.has_conflict(staff_id, person_id):
        raise ImpartialityRefused(
            f"the {acting_as} declared a conflict of interest with this candidate (clause 4.3)",
            kind="declared-conflict",
        )


def refuse_examiner_of(tx: Tx, *, staff_id: str, person_id: str) -> None:
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
