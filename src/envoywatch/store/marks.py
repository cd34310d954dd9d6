"""What the kept sums share: the post id each has caught up to, and the UTC week of a date in SQL.

A kept sum (`store.replies`, `store.page_sums`) counts every post with an id up to its mark in
`aggregate_marks`; catching up handles the posts above it and moves the mark.
"""

from __future__ import annotations

from sqlalchemy import Connection, text


def mark(conn: Connection, name: str) -> int:
    """The post id the named sums have caught up to (0: none yet)."""
    row = conn.execute(text("SELECT upto FROM aggregate_marks WHERE name = :m"), {"m": name}).first()
    return int(row[0]) if row else 0


def advance(conn: Connection, name: str) -> tuple[int, int] | None:
    """Move the named mark to the newest post; (old, new) for the caller to count, or None if no post is new.

    On PostgreSQL the posts table is share-locked first (until the transaction ends), so no insert
    still in flight can take an id below the new mark unseen.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE posts IN SHARE MODE"))
    old = mark(conn, name)
    new = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM posts")).scalar())
    if new <= old:
        return None
    if old:
        conn.execute(text("UPDATE aggregate_marks SET upto = :new WHERE name = :m"), {"new": new, "m": name})
    else:
        conn.execute(text("INSERT INTO aggregate_marks (name, upto) VALUES (:m, :new)"), {"new": new, "m": name})
    return old, new


def week_text(conn: Connection, col: str) -> str:
    """The Monday of `col`'s UTC week as YYYY-MM-DD, '' for no date (key columns cannot be NULL)."""
    if conn.dialect.name == "postgresql":
        return f"COALESCE(to_char(date_trunc('week', timezone('UTC', {col})), 'YYYY-MM-DD'), '')"
    return f"COALESCE(date(substr({col}, 1, 10), 'weekday 0', '-6 days'), '')"  # stored as naive UTC text
