"""what the actor page counts of each account's posts, kept per account and week

Revision ID: 0008
Revises: 0007

Counting the busiest actor's 44,000 posts for its page (posts, analysed posts and undiplomatic
scores per week, countries by stance, techniques) took 0.7 s of CPU on SQLite at a million posts.
`page_weeks`, `page_targets` and `page_labels` hold those counts per account and week, `page_dirty`
the pairs waiting for a recount; `store.page_sums` keeps them and fills them here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

def _key() -> list[sa.Column]:
    return [sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("week", sa.String(length=10), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "page_weeks", *_key(),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("analysed", sa.Integer(), nullable=False),
        sa.Column("und_n", sa.Integer(), nullable=False),
        sa.Column("und_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "week", name=op.f("pk_page_weeks")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "page_targets", *_key(),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("stance", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "week", "code", "stance", name=op.f("pk_page_targets")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "page_labels", *_key(),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "week", "label", name=op.f("pk_page_labels")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "page_dirty", *_key(),
        sa.PrimaryKeyConstraint("account_id", "week", name=op.f("pk_page_dirty")),
        sqlite_with_rowid=False,
    )
    from envoywatch.store import page_sums

    page_sums.backfill(op.get_bind(), targets=False)  # 0012 counts page_targets, with its later columns


def downgrade() -> None:
    for table in ("page_dirty", "page_labels", "page_targets", "page_weeks"):
        op.drop_table(table)
