"""index new posts for full-text search in bulk after each write batch, not row by row

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS posts_fts_ai")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
                   "INSERT INTO posts_fts(rowid, text) VALUES (new.id, new.text); END")
