"""replies by others to each account's posts, summed per parent account and week, for the actor page

Revision ID: 0007
Revises: 0006

The busiest actor's page joined its 900,000 replies to their parents on every cold request (5 s of
CPU on SQLite at a million posts, 8 s on PostgreSQL). `reply_links` holds each linked reply with the
flags it was counted with, `reply_weeks` the sums per parent account and week, and `aggregate_marks`
the post id they have caught up to; `store.replies` keeps them and fills them here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_links",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("parent_account_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("hostile", sa.Boolean(), nullable=False),
        sa.Column("block_claim", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE",
                                name=op.f("fk_reply_links_post_id_posts")),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_reply_links")),
    )
    op.create_table(
        "reply_weeks",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("hostile", sa.Integer(), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "week", name=op.f("pk_reply_weeks")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "aggregate_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("upto", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_aggregate_marks")),
    )
    from envoywatch.store import replies

    replies.backfill(op.get_bind())  # before the index: one sorted build instead of per-row upkeep
    op.create_index("ix_reply_links_account_id_parent_account_id", "reply_links",
                    ["account_id", "parent_account_id"])


def downgrade() -> None:
    for table in ("aggregate_marks", "reply_weeks", "reply_links"):
        op.drop_table(table)
