"""Which roles each group of back office routes admits (clause 5.1.2)."""

from __future__ import annotations

from issuer.model import Role

__all__ = [
    "ADMIN",
    "AUDIT",
    "CASE_READERS",
    "DECIDERS",
    "EXAMINING",
    "MANAGEMENT_KEEPERS",
    "MANAGEMENT_READERS",
    "NOTICE_KEEPERS",
    "REGISTRY_CLERKS",
    "REGULATORS",
    "RISK_APPROVERS",
    "RISK_KEEPERS",
    "RISK_READERS",
    "SCHEME_EDITORS",
    "STAFF",
]

STAFF = frozenset(Role) - {Role.REGULATOR}
ADMIN = frozenset({Role.ADMINISTRATOR})
SCHEME_EDITORS = frozenset({Role.SCHEME_MANAGER, Role.ADMINISTRATOR})
REGISTRY_CLERKS = frozenset({Role.REGISTRAR})
EXAMINING = frozenset({Role.EXAMINER, Role.REGISTRAR})
DECIDERS = frozenset({Role.DECISION_MAKER})
CASE_READERS = frozenset(
    {Role.REGISTRAR, Role.EXAMINER, Role.DECISION_MAKER, Role.AUDITOR, Role.ADMINISTRATOR}
)
AUDIT = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
REGULATORS = frozenset({Role.REGULATOR})
NOTICE_KEEPERS = frozenset({Role.REGISTRAR, Role.ADMINISTRATOR})
"""Who sees and sends the notices owed to persons (a disclosure to a regulator, 7.3.4)."""
RISK_KEEPERS = frozenset({Role.ADMINISTRATOR, Role.SCHEME_MANAGER})
"""Who records and evaluates threats to impartiality and proposes their measures (4.3)."""
RISK_APPROVERS = frozenset({Role.ADMINISTRATOR, Role.IMPARTIALITY_COMMITTEE})
"""Who approves a measure or accepts a risk (never the staff member who proposed it)."""
RISK_READERS = RISK_KEEPERS | RISK_APPROVERS | {Role.AUDITOR}
MANAGEMENT_KEEPERS = frozenset({Role.ADMINISTRATOR, Role.SCHEME_MANAGER})
"""Who raises findings, plans and records their corrective actions and checks them (10)."""
MANAGEMENT_READERS = MANAGEMENT_KEEPERS | {Role.AUDITOR}
"""Who reads findings and the management system's reports; the auditor changes nothing."""
