"""Demo seeding for ``certreg serve --demo``: a scheme, staff and a few certified persons.

Runs only when the store has no scheme yet, so it never touches real records. The scheme
comes from the example file ``examples/welding-inspector.scheme.json``; the first demo person
also agrees to the mark rules and receives a mark credential.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from issuer.credentials.issuance import IssuanceContext, issue_mark
from issuer.http.bodies.schemes import SchemeContentBody
from issuer.model import (
    DecisionOutcome,
    ExaminationResult,
    InvigilationMode,
    PersonConfidential,
    Role,
)
from issuer.process import applications, decisions, examinations, marks, persons, schemes, staff
from issuer.process.auth import Actor
from issuer.runtime import Entropy
from issuer.store import Store, Tx

__all__ = ["DemoSeed", "load_example_scheme", "seed"]

SCHEME_FILE = "welding-inspector.scheme.json"
_CLI = "system:demo"


@dataclass(frozen=True, slots=True)
class DemoSeed:
    admin_token: str
    decision_maker_token: str
    certificate_numbers: tuple[str, ...]


def load_example_scheme() -> dict[str, Any]:
    """The example scheme, from the installed package or, in a source checkout, examples/."""
    packaged = resources.files("issuer").joinpath("demo", SCHEME_FILE)
    if packaged.is_file():
        text = packaged.read_text(encoding="utf-8")
    else:
        text = (Path(__file__).resolve().parents[1] / "examples" / SCHEME_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _actor(tx: Tx, now: datetime, entropy: Entropy, name: str, role: Role) -> tuple[Actor, str]:
    token, secret = staff.enrol(tx, actor=_CLI, now=now, entropy=entropy, name=name, role=role)
    return Actor(token_id=token.id, role=role, staff_id=token.staff_id), secret


_PEOPLE = (
    ("Ana", "Moreau", date(1986, 3, 14), "ana.moreau@example.org", ("VT-PRESSURE", "VT-STEEL")),
    ("Jonas", "Berg", date(1979, 11, 2), "jonas.berg@example.org", ("VT-STEEL",)),
    ("Priya", "Raman", date(1991, 7, 23), "priya.raman@example.org", ("VT-STEEL",)),
)


DEMO_MARK = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120">
<title>Certified Welding Inspector mark</title>
<circle cx="60" cy="60" r="56" fill="#0b3d91"/>
<path d="M30 62 l20 20 l40 -44" stroke="#fff" stroke-width="12" fill="none"/>
</svg>
"""

DEMO_MARK_RULES = (
    "Use the mark only while your certification is valid, only together with your certificate "
    "number, only for the scope items granted, and stop using it at once if the certification "
    "is suspended or withdrawn."
)


def seed(
    store: Store, *, now: datetime, entropy: Entropy, issuance: IssuanceContext
) -> DemoSeed | None:
    """Seed once; returns ``None`` if the store already holds a scheme."""
    with store.transaction() as tx:
        if tx.list_schemes():
            return None
        _, admin_token = _actor(tx, now, entropy, "Demo Administrator", Role.ADMINISTRATOR)
        manager, _ = _actor(tx, now, entropy, "Demo Scheme Manager", Role.SCHEME_MANAGER)
        registrar, _ = _actor(tx, now, entropy, "Demo Registrar", Role.REGISTRAR)
        examiner, _ = _actor(tx, now, entropy, "Demo Examiner", Role.EXAMINER)
        decider, decider_token = _actor(
            tx, now, entropy, "Demo Decision-Maker", Role.DECISION_MAKER
        )
        _actor(tx, now, entropy, "Demo Auditor", Role.AUDITOR)

        data = load_example_scheme()
        code = data.pop("code")
        content = SchemeContentBody.model_validate(data).to_model()
        scheme = schemes.create_scheme(
            tx, actor=manager, now=now, entropy=entropy, code=code, content=content
        )
        marks.set_scheme_mark(
            tx,
            actor=manager,
            now=now,
            entropy=entropy,
            scheme_id=scheme.id,
            media_type="image/svg+xml",
            image=DEMO_MARK,
            rules=DEMO_MARK_RULES,
        )
        staff.approve_examiner(
            tx,
            actor=manager,
            now=now,
            entropy=entropy,
            staff_id=examiner.staff(),
            scheme_id=scheme.id,
            valid_until=None,
        )
        numbers = []
        for index, (given, family, born, email, scope) in enumerate(_PEOPLE):
            person = persons.register_person(
                tx,
                actor=registrar,
                now=now,
                entropy=entropy,
                given_name=given,
                family_name=family,
                public_notice_version="2026-1",
                directory_consent=index != 2,
                confidential=PersonConfidential(
                    date_of_birth=born,
                    email=email,
                    phone=None,
                    address=None,
                    identity_document_ref=None,
                ),
            )
            app = applications.submit(
                tx,
                actor=registrar,
                now=now,
                entropy=entropy,
                person_id=person.id,
                scheme_id=scheme.id,
                scope=scope,
            )
            applications.review(
                tx, actor=registrar, now=now, application_id=app.id, notes="Evidence complete."
            )
            applications.accept(tx, actor=registrar, now=now, application_id=app.id)
            if index == 2:
                continue  # stays a candidate, to show the process half-way
            examinations.record_examination(
                tx,
                actor=examiner,
                now=now,
                entropy=entropy,
                data=examinations.ExaminationInput(
                    application_id=app.id,
                    examiner_id=None,
                    held_on=now.date() - timedelta(days=7),
                    method="written and practical",
                    result=ExaminationResult.PASS,
                    score=82.0 + index,
                    max_score=100.0,
                    nda_accepted=True,
                    identity_checked=True,
                    invigilation_mode=InvigilationMode.IN_PERSON,
                    irregularities=None,
                    ai_use=None,
                ),
            )
            _, certification = decisions.decide(
                tx,
                actor=decider,
                now=now,
                entropy=entropy,
                data=decisions.DecisionInput(
                    application_id=app.id,
                    outcome=DecisionOutcome.GRANT,
                    rationale="Examinations passed; evidence reviewed.",
                    scope=None,
                    effective_date=None,
                ),
                issuance=issuance,
            )
            assert certification is not None
            numbers.append(certification.certificate_number)
            if index == 0:
                marks.record_agreement(
                    tx, actor=registrar, now=now, entropy=entropy, certification=certification
                )
                issue_mark(
                    tx,
                    certification=certification,
                    context=issuance,
                    actor=registrar.audit_name,
                    now=now,
                    entropy=entropy,
                )
    return DemoSeed(
        admin_token=admin_token,
        decision_maker_token=decider_token,
        certificate_numbers=tuple(numbers),
    )
