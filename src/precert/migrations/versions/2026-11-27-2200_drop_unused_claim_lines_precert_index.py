"""drop the unused index of claim lines by pre-certification; room for in-place updates

Nothing reads claim lines by pre-certification (units used are kept on the pre-certification
row itself), and the index cost every recorded line a random B-tree insert.

On PostgreSQL, pre-certification and ledger pages keep room (fillfactor 70) so that adding
units used rewrites the row on its own page without touching the indexes (a HOT update).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("claim_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_lines_precert_id"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE precerts SET (fillfactor = 70)")
        op.execute("ALTER TABLE unit_ledgers SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE precerts RESET (fillfactor)")
        op.execute("ALTER TABLE unit_ledgers RESET (fillfactor)")
    with op.batch_alter_table("claim_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_lines_precert_id"), ["precert_id"], unique=False)
