"""full-text search over post text: FTS5 on SQLite, a tsvector GIN index on PostgreSQL

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE posts_fts USING fts5(text, content='posts', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER posts_fts_ai AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER posts_fts_ad AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, text) VALUES('delete', old.id, old.text); END",
    "CREATE TRIGGER posts_fts_au AFTER UPDATE OF text ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, text) VALUES('delete', old.id, old.text); "
    "INSERT INTO posts_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO posts_fts(posts_fts) VALUES('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS posts_fts_ai",
    "DROP TRIGGER IF EXISTS posts_fts_ad",
    "DROP TRIGGER IF EXISTS posts_fts_au",
    "DROP TABLE IF EXISTS posts_fts",
]
PG_UP = ["CREATE INDEX ix_posts_fts ON posts USING gin (to_tsvector('simple', text))"]
PG_DOWN = ["DROP INDEX IF EXISTS ix_posts_fts"]


def upgrade() -> None:
    name = op.get_bind().dialect.name
    for sql in SQLITE_UP if name == "sqlite" else PG_UP if name == "postgresql" else []:
        op.execute(sql)


def downgrade() -> None:
    name = op.get_bind().dialect.name
    for sql in SQLITE_DOWN if name == "sqlite" else PG_DOWN if name == "postgresql" else []:
        op.execute(sql)
