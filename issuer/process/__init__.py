"""The certification process, in the standard's words (ISO/IEC 17024 clauses 9.1–9.7).

Owns: schemes and their versions, staff and their roles, approvals, competence and conflict
declarations (with the tokens they sign in with, the separation of duties between managing
staff and deciding, and the revocation of tokens and deactivation of staff), persons,
applications, examinations, decisions and the impartiality rules that guard them, the
lifecycle of a certification (suspension, reinstatement, withdrawal, scope changes,
recertification, expiry), surveillance (its schedule, the results recorded, and the
suspensions it proposes), the use of certification marks, the recovery from a compromised
signing key (its announcement and the re-issue of what it signed), and regulators' access
to confidential records.

May import: :mod:`issuer.publication`, :mod:`issuer.credentials`, :mod:`issuer.store` and the
shared vocabulary (``issuer.model``, ``issuer.errors``, ``issuer.runtime``). Never the HTTP
edge, the command line, bulk issuance or the benchmark: a decision means the same whichever
door it came through.
"""

__all__: list[str] = []
