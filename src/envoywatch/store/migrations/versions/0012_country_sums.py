"""veiled references and the latest post in the kept country counts, for the country page

Revision ID: 0012
Revises: 0011

A country's page lists the watched accounts that mention it: hostile, of which veiled, all
mentions, since and latest. It joined every mention of the country to its post (1.6 s for the
United States at a million posts and five million replies, 10 s with a cold cache). `page_targets`
already kept the counts per account, week, country and stance with the first date; it now keeps
how many were veiled and the last date too, and is counted afresh here; an index by country holds
every column the page reads.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("page_targets", sa.Column("veiled", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("page_targets", sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
    from envoywatch.store import page_sums

    page_sums.recount_targets(op.get_bind())  # before the index: one sorted build instead of per-row upkeep
    op.create_index("ix_page_targets_country", "page_targets",
                    ["code", "account_id", "stance", "n", "veiled", "first_at", "last_at"])


def downgrade() -> None:
    op.drop_index("ix_page_targets_country", table_name="page_targets")
    with op.batch_alter_table("page_targets") as batch:
        batch.drop_column("last_at")
        batch.drop_column("veiled")
