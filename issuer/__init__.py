"""The issuer security context: the certification body's system of record.

Schemes, staff, persons, applications, examinations, decisions, certifications and the
hash-chained audit log live here, with the body's personal data. Nothing in the registry or
verifier packages may import from here.
"""

__all__: list[str] = []
