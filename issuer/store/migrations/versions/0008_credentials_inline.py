"""On PostgreSQL, signed credentials stay in their table's rows, uncompressed.

A credential's JWS is about 2.4 KB of base64url, past the 2 KB at which PostgreSQL tries to
compress a row's long values: pglz took it to 2.3 KB (4%) at the cost of about a third of
the credentials' share of a bulk write (153 → 104 µs a row here). With the row size at
which that starts raised to 4,080 bytes, a credential row is stored as written; longer rows
are compressed and moved out of line as before. SQLite has no such step.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE credentials SET (toast_tuple_target = 4080)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE credentials RESET (toast_tuple_target)")
