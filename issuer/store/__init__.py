"""The issuer's store: the only code that runs SQL against the system of record.

Rows stay private to this package and leave as the frozen dataclasses of :mod:`issuer.model`.
Callers work inside :meth:`Store.transaction`, which commits everything or nothing, so a
refused request never leaves half a record behind. On SQLite every transaction starts with
``BEGIN IMMEDIATE`` (writers queue instead of failing mid-way); on PostgreSQL the audit head
is locked ``FOR UPDATE`` so concurrent writers extend the chain one at a time. A unit of work
that only reads takes :meth:`Store.reading` instead, whose :class:`Reader` is the read-only
face: every read of :class:`Tx` and no write (nothing that inserts, updates or locks).

One module per aggregate, each with a class of reads and, if it writes, one of writes, over
one common base (:mod:`~issuer.store.base`): :mod:`~issuer.store.schemes`,
:mod:`~issuer.store.body_information`,
:mod:`~issuer.store.staff`, :mod:`~issuer.store.risks`,
:mod:`~issuer.store.persons`, :mod:`~issuer.store.cases`,
:mod:`~issuer.store.certifications`, :mod:`~issuer.store.surveillance`,
:mod:`~issuer.store.appeals`, :mod:`~issuer.store.complaints`,
:mod:`~issuer.store.management` (findings),
:mod:`~issuer.store.reports` (the figures of the management system's reports),
:mod:`~issuer.store.credentials`,
:mod:`~issuer.store.feeds`, :mod:`~issuer.store.keys`, :mod:`~issuer.store.status`
(the Bitstring lists), :mod:`~issuer.store.token_status` and
:mod:`~issuer.store.message_status` (the two families of 2-bit lists, one mechanism:
:mod:`~issuer.store.two_bit`),
:mod:`~issuer.store.audit_log` (over the hash chain of :mod:`~issuer.store.audit`),
:mod:`~issuer.store.outbox`, :mod:`~issuer.store.bulk` and :mod:`~issuer.store.holders`
(certified persons' own access), with the many-row inserts of
:mod:`~issuer.store.load`. :mod:`~issuer.store.tx` composes them into :class:`Reader` and
:class:`Tx`; :mod:`~issuer.store.engine` holds the engine, :class:`Store` and the bulk
writer. :mod:`~issuer.store.tables` and :mod:`~issuer.store.migrate` (with its Alembic
``migrations``) define and evolve the schema; ``migrate`` is imported by name only
(``from issuer.store import migrate``), so Alembic loads only where migrations run.

May import: :mod:`issuer.model`, :mod:`issuer.errors`, :mod:`issuer.runtime` (and
SQLAlchemy and Alembic, which nothing else of the issuer may). Never the credentials, the
publication, the process, bulk issuance or the edge: the store keeps records, it does not
decide what they mean.
"""

from __future__ import annotations

from issuer.store import audit
from issuer.store.bulk import (
    roster_grant_rows,
    slot_claim_rows,
    surveillance_due_rows,
    with_credential_jws,
)
from issuer.store.engine import BulkWriter, Store, create_issuer_engine
from issuer.store.load import TableRows
from issuer.store.two_bit import TwoBitLists
from issuer.store.tx import Reader, Tx

__all__ = [
    "BulkWriter",
    "Reader",
    "Store",
    "TableRows",
    "TwoBitLists",
    "Tx",
    "audit",
    "create_issuer_engine",
    "migrate",
    "roster_grant_rows",
    "slot_claim_rows",
    "surveillance_due_rows",
    "with_credential_jws",
]
