"""Bulk issuance: a roster of thousands of certifications granted by a decision-maker, on
the evidence each row carries, issued on every core.

Owns: reading rosters (CSV and JSON lines), planning a batch (which rows are new, which were
issued already, the numbers and status slots they take), the signing workers (separate
processes handed the key through :mod:`issuer.credentials.signing`) and the writing process
that stores each chunk in one transaction.

Its modules, from the run down (each imports only those after it):

- :mod:`issuer.bulk.prepared` — rosters prepared by one person and approved by a
  decision-maker, whose approval runs ``issue_batch`` in their name;
- :mod:`issuer.bulk.issuance` — the run: ``issue_batch`` and the chunk loop;
- :mod:`issuer.bulk.handover` — a prepared chunk written here, in the writer thread or in
  the writing process, and redone after a concurrent change;
- :mod:`issuer.bulk.prepare` — a chunk screened (issued before, repeated, refused) and
  built: ids, certificate numbers, status slots, documents, signatures;
- :mod:`issuer.bulk.chunks` — the run's state, the share of signing left to the writing
  process, and each chunk's results counted into the report;
- :mod:`issuer.bulk.templates` — credentials rendered from templates and checked leaf by
  leaf against the schema;
- :mod:`issuer.bulk.rosters` — roster rows read, numbered and checked;
- :mod:`issuer.bulk.report` — what a batch reports, row by row and in total;
- :mod:`issuer.bulk.writes` — a chunk's transaction as plain data, and the writing process
  that runs it (spawned: it imports nothing else of this package).

May import: :mod:`issuer.process` (a bulk grant is the same decision as a single one),
:mod:`issuer.publication`, :mod:`issuer.credentials`, :mod:`issuer.store` and the shared
vocabulary. Imported by the edge only (``POST /api/v1/issuance/batches``, ``/api/v1/rosters``,
``certreg issue-bulk``, ``certreg rosters``, the benchmark).
"""

__all__: list[str] = []
