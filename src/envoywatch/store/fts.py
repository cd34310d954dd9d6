"""Index upkeep: full-text sync of new posts, and secondary indexes deferred during a bulk load.

On SQLite, new posts are indexed for full-text search in bulk (row triggers cost 4x more): the
one-row table `posts_fts_synced` holds the highest post id indexed (migration 0010). A bulk
load into a small workspace drops the secondary indexes of posts and builds each once at the end
(CREATE INDEX over the loaded table costs a fraction of per-row upkeep); every dropped index is
recorded in `deferred_indexes` in the transaction that drops it, so a killed load is repaired by
the next open or ingest.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, text

from envoywatch.store.schema import deferred_indexes, posts
from envoywatch.timeutil import utcnow

# Raising the mark indexes the posts above it (a trigger of migration 0010): one statement, so other tools
# (benchmarks/_bigworkspace.py) can run it as it is; an unchanged mark is not rewritten (an open writes nothing).
SYNC_SQLITE = text("UPDATE posts_fts_synced SET last_id = (SELECT coalesce(max(id), 0) FROM posts) "
                   "WHERE last_id != (SELECT coalesce(max(id), 0) FROM posts)")
PG_FTS_INDEX = "ix_posts_fts_vector"  # made by migration 0009; its definition is repeated here to rebuild it
PG_FTS_DDL = f"CREATE INDEX IF NOT EXISTS {PG_FTS_INDEX} ON posts USING gin (fts_vector)"


def sync(conn: Connection) -> None:
    """Index posts added since the last sync; PostgreSQL's stored `fts_vector` column needs nothing."""
    if conn.dialect.name == "sqlite":
        conn.execute(SYNC_SQLITE)


def deferrable(dialect: str) -> list[str]:
    """Indexes of posts a bulk load may drop: all but the unique key (look-ups and ON CONFLICT use it)."""
    names = sorted(str(ix.name) for ix in posts.indexes)
    return names + [PG_FTS_INDEX] if dialect == "postgresql" else names


def defer_indexes(conn: Connection) -> list[str]:
    """Drop the deferrable indexes, recording each; the caller commits before loading."""
    names = deferrable(conn.dialect.name)
    now = utcnow()
    for name in names:
        conn.execute(insert(deferred_indexes).values(name=name, dropped_at=now))
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    return names


def rebuild_deferred(conn: Connection) -> list[str]:
    """Create every index a bulk load dropped (finished or killed), then sync full-text search."""
    names = [row.name for row in conn.execute(select(deferred_indexes.c.name))]
    by_name = {str(ix.name): ix for ix in posts.indexes}
    for name in names:
        if name in by_name:
            by_name[name].create(conn, checkfirst=True)
        elif name == PG_FTS_INDEX and conn.dialect.name == "postgresql":
            conn.exec_driver_sql(PG_FTS_DDL)
    if names:
        conn.execute(delete(deferred_indexes))
    sync(conn)
    return names
