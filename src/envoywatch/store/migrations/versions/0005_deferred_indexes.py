"""record the indexes a bulk load dropped, so a killed load's workspace rebuilds them on the next open

Revision ID: 0005
Revises: 0004

A large ingest into a small workspace drops the secondary indexes of posts (and the full-text
GIN index on PostgreSQL) and builds them once at the end, which costs a fraction of per-row
upkeep. Each dropped index is a row here, written in the same transaction as the DROP, and
deleted in the same transaction as its CREATE.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deferred_indexes",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_deferred_indexes")),
    )


def downgrade() -> None:
    op.drop_table("deferred_indexes")
