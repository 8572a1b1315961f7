"""Which roles each group of back office routes admits (clause 5.1.2)."""

from __future__ import annotations

from issuer.model import Role

__all__ = [
    "ADMIN",
    "AUDIT",
    "CASE_READERS",
    "DECIDERS",
    "EXAMINING",
    "NOTICE_KEEPERS",
    "REGISTRY_CLERKS",
    "REGULATORS",
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
