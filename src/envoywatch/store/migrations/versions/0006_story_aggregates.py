"""what the story counts, kept per post, per country and per account-week, so a story sums week rows

Revision ID: 0006
Revises: 0005

The busiest actor's story read 44,000 annotations (1.9 s of CPU at a million posts). `story_posts`,
`story_countries` and `story_weeks` hold what it counts, kept by `store.aggregates.refresh` when
annotations are written, and filled here from the stored annotations in SQL. The partial index on
posts counts an account's own posts from the index alone, so the story can check that every one
of them is summed before it trusts the sums.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OWN = "kind != 'reply'"


def upgrade() -> None:
    op.create_table(
        "story_posts",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("lang", sa.String(), nullable=True),
        sa.Column("veiled", sa.Boolean(), nullable=False),
        sa.Column("veiled_hostile", sa.Boolean(), nullable=False),
        sa.Column("forward", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["annotations.post_id"], ondelete="CASCADE",
                                name=op.f("fk_story_posts_post_id_annotations")),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_story_posts")),
    )
    op.create_table(
        "story_countries",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mentioned", sa.Boolean(), nullable=False),
        sa.Column("targeted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["story_posts.post_id"], ondelete="CASCADE",
                                name=op.f("fk_story_countries_post_id_story_posts")),
        sa.PrimaryKeyConstraint("post_id", "code", name=op.f("pk_story_countries")),
    )
    op.create_table(
        "story_weeks",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "key", "week", name=op.f("pk_story_weeks")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "story_accounts",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sender", sa.String(length=2), nullable=True),
        sa.Column("host", sa.String(length=2), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_story_accounts")),
    )
    from envoywatch.store import aggregates

    aggregates.backfill(op.get_bind())  # before the indexes: one sorted build each instead of per-row upkeep
    op.create_index("ix_story_posts_account_id_created_at", "story_posts", ["account_id", "created_at"])
    op.create_index("ix_story_posts_account_id_veiled_created_at", "story_posts",
                    ["account_id", "veiled", "created_at"])
    op.create_index("ix_story_posts_account_id_forward_created_at", "story_posts",
                    ["account_id", "forward", "created_at"])
    op.create_index("ix_story_countries_account_id_code_targeted_created_at", "story_countries",
                    ["account_id", "code", "targeted", "created_at"])
    op.create_index("ix_posts_own_account_id_created_at", "posts", ["account_id", "created_at"],
                    sqlite_where=sa.text(OWN), postgresql_where=sa.text(OWN))
    op.create_index("ix_events_actor_id", "events", ["actor_id"])


def downgrade() -> None:
    op.drop_index("ix_events_actor_id", table_name="events")
    op.drop_index("ix_posts_own_account_id_created_at", table_name="posts")
    for table in ("story_weeks", "story_accounts", "story_countries", "story_posts"):
        op.drop_table(table)
