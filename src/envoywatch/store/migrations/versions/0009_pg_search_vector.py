"""PostgreSQL: search reads a stored tsvector column instead of computing one per post

Revision ID: 0009
Revises: 0008

A search with thousands of matches is answered by walking posts newest first and testing each
(the planner's choice, and the right one for common words); with the expression index every post
walked ran `to_tsvector` again (a two-word search at 6M posts: about 100,000 posts, 1.1 s). The
generated column `fts_vector` stores it once, when a post is written, and the GIN index moves onto
it. SQLite keeps its FTS5 table: nothing changes there. Rewrites the posts table once.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMN = "ALTER TABLE posts ADD COLUMN fts_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED"
RENAME_PENDING = "UPDATE deferred_indexes SET name = '{new}' WHERE name = '{old}'"  # a killed bulk load's record


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_posts_fts")
    op.execute(COLUMN)
    op.execute("CREATE INDEX ix_posts_fts_vector ON posts USING gin (fts_vector)")
    op.execute(RENAME_PENDING.format(new="ix_posts_fts_vector", old="ix_posts_fts"))
    op.execute("ANALYZE posts")  # the column's word statistics, which the planner's estimates read


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_posts_fts_vector")
    op.execute("ALTER TABLE posts DROP COLUMN fts_vector")
    op.execute("CREATE INDEX ix_posts_fts ON posts USING gin (to_tsvector('simple', text))")
    op.execute(RENAME_PENDING.format(new="ix_posts_fts", old="ix_posts_fts_vector"))
