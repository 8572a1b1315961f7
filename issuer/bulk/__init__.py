"""Bulk issuance: a roster of thousands of granted certifications, issued on every core.

Owns: reading rosters (CSV and JSON lines), planning a batch (which rows are new, which were
issued already, the numbers and status slots they take), the signing workers (separate
processes handed the key through :mod:`issuer.credentials.signing`) and the writing process
that stores each chunk in one transaction.

May import: :mod:`issuer.process` (a bulk grant is the same decision as a single one),
:mod:`issuer.publication`, :mod:`issuer.credentials`, :mod:`issuer.store` and the shared
vocabulary. Imported by the edge only (``POST /api/v1/issuance/batches``, ``certreg
issue-bulk``, the benchmark).
"""

__all__: list[str] = []
