"""full-text index without per-post token counts, and a kept mark of the last post it holds

Revision ID: 0010
Revises: 0009

FTS5 kept the token count of every post in `posts_fts_docsize` (columnsize=1), one more B-tree row
per post (about a third of the cost of indexing a post); only ranking reads it, and searches order
by date. Without it the index needs another record of which posts it holds: `posts_fts_synced` has
one row, the highest post id indexed. Raising it indexes the posts between the old and the new
value (a trigger), so the sync stays one statement; deleting the newest post lowers it, since
SQLite may then hand out that id again. Phrase and prefix search read only the index (detail=full
is kept), so results do not change. SQLite only; PostgreSQL keeps its stored tsvector column.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FTS = ("CREATE VIRTUAL TABLE posts_fts USING fts5(text, content='posts', content_rowid='id', "
       "tokenize='unicode61 remove_diacritics 2'{})")
MAX_ID = "(SELECT coalesce(max(id), 0) FROM posts)"
SQLITE_UP = [
    "DROP TABLE IF EXISTS posts_fts",
    FTS.format(", columnsize=0"),
    "INSERT INTO posts_fts(posts_fts) VALUES('rebuild')",
    "CREATE TABLE posts_fts_synced (last_id INTEGER NOT NULL)",
    f"INSERT INTO posts_fts_synced (last_id) VALUES ({MAX_ID})",
    ("CREATE TRIGGER posts_fts_synced_au AFTER UPDATE OF last_id ON posts_fts_synced "
     "WHEN new.last_id > old.last_id BEGIN "
     "INSERT INTO posts_fts(rowid, text) SELECT id, text FROM posts "
     "WHERE id > old.last_id AND id <= new.last_id ORDER BY id; END"),
    ("CREATE TRIGGER posts_fts_synced_ad AFTER DELETE ON posts BEGIN "
     f"UPDATE posts_fts_synced SET last_id = {MAX_ID} WHERE last_id > {MAX_ID}; END"),
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS posts_fts_synced_ad",
    "DROP TRIGGER IF EXISTS posts_fts_synced_au",
    "DROP TABLE IF EXISTS posts_fts_synced",
    "DROP TABLE IF EXISTS posts_fts",
    FTS.format(""),
    "INSERT INTO posts_fts(posts_fts) VALUES('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for sql in SQLITE_UP:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for sql in SQLITE_DOWN:
            op.execute(sql)
