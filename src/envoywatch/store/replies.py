"""Replies by others to each account's posts, summed per parent account and week of the reply.

The actor page charts the replies a subject's posts drew and the block claims among them, week by
week. Joining every reply to its parent took 5 s of CPU for an actor with 900,000 replies; the page
now adds up `reply_weeks` rows instead.

The rule that keeps the sums exact: a reply is counted once both it and its parent have a post id up
to the mark `upto` (in `aggregate_marks`). `catch_up` links the replies and parents that arrived
since the last mark (a reply may come before its parent) and moves the mark; `refresh` re-reads
the flags of linked replies whose annotations were just written. A reader adds what lies above the
mark live (`subject_rows`), so the figures are exact before a catch-up too, only slower. A reply by
the same account as its parent is never counted; one between two accounts of the same actor is
subtracted when the page is the actor's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, text

from envoywatch.store import marks
from envoywatch.store.db import Store
from envoywatch.store.marks import week_text

MARK = "replies"
BATCH = 500


class WeekRow(NamedTuple):
    """Replies to a subject in one UTC week (None: undated): how many, hostile, block claims."""

    week: str | None
    n: int
    hostile: int
    blocks: int


def _flag(col: str) -> str:
    return f"CASE WHEN {col} THEN 1 ELSE 0 END"


def _pairs(conn: Connection, where: str) -> str:
    """Each reply r with its parent p (by another account) and the reply's flags, where `where` holds."""
    return (
        f"SELECT r.id AS post_id, r.account_id, p.account_id AS parent_account_id, "
        f"{week_text(conn, 'r.created_at')} AS week, COALESCE(a.hostile, FALSE) AS hostile, "
        "COALESCE(a.block_claim, FALSE) AS block_claim "
        "FROM posts r JOIN posts p ON p.platform = r.platform AND p.platform_id = r.in_reply_to "
        "LEFT JOIN annotations a ON a.post_id = r.id "
        f"WHERE r.in_reply_to IS NOT NULL AND r.account_id <> p.account_id AND {where}")


# Pairs that a move of the mark from :old to :new brings in: new replies (to any parent up to :new),
# and older replies whose parent is new. Each is driven by the rows it names (an id range).
NEW_REPLIES = "r.id > :old AND r.id <= :new AND p.id <= :new"
NEW_PARENTS = "p.id > :old AND p.id <= :new AND +r.id <= :old"


def _add_sums(source: str) -> str:
    """Add per (parent account, week) sums of `source` rows to `reply_weeks`."""
    return (
        "INSERT INTO reply_weeks (account_id, week, n, hostile, blocks) "
        f"SELECT parent_account_id, week, count(*), sum({_flag('hostile')}), sum({_flag('block_claim')}) "
        f"FROM ({source}) s WHERE TRUE GROUP BY parent_account_id, week "
        "ON CONFLICT (account_id, week) DO UPDATE SET n = reply_weeks.n + excluded.n, "
        "hostile = reply_weeks.hostile + excluded.hostile, blocks = reply_weeks.blocks + excluded.blocks")


LINK = "INSERT INTO reply_links (post_id, account_id, parent_account_id, week, hostile, block_claim) "


def mark(conn: Connection) -> int:
    """The post id the reply sums have caught up to (0: none yet)."""
    return marks.mark(conn, MARK)


def catch_up(conn: Connection) -> int:
    """Link the replies and parents stored since the last mark and move it; returns the replies linked."""
    span = marks.advance(conn, MARK)
    if span is None:
        return 0
    ids = {"old": span[0], "new": span[1]}
    linked = conn.execute(text(LINK + _pairs(conn, NEW_REPLIES)), ids).rowcount
    conn.execute(text(_add_sums("SELECT * FROM reply_links WHERE post_id > :old")), ids)
    conn.execute(text(_add_sums(_pairs(conn, NEW_PARENTS))), ids)
    return linked + conn.execute(text(LINK + _pairs(conn, NEW_PARENTS)), ids).rowcount


def catch_up_store(store: Store) -> int:
    """`catch_up` in a write transaction of its own (before an analysis run reads the replies)."""
    with store.write() as conn:
        return catch_up(conn)


def refresh(conn: Connection, post_ids: Sequence[int]) -> int:
    """Recount the flags of these posts' reply links after their annotations were written.

    Replies above the mark are not linked yet: `catch_up` reads their flags when it links them.
    Returns how many links changed.
    """
    ids = sorted({int(i) for i in post_ids})
    stmt = text("SELECT l.post_id, l.parent_account_id, l.week, l.hostile, l.block_claim, "
                "COALESCE(a.hostile, FALSE), COALESCE(a.block_claim, FALSE) FROM reply_links l "
                "LEFT JOIN annotations a ON a.post_id = l.post_id WHERE l.post_id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    changed, delta = [], Counter()
    for i in range(0, len(ids), BATCH):
        for pid, acc, week, h0, b0, h1, b1 in conn.execute(stmt, {"ids": ids[i : i + BATCH]}):
            if bool(h0) != bool(h1) or bool(b0) != bool(b1):
                changed.append({"id": pid, "h": bool(h1), "b": bool(b1)})
                delta[(acc, week, "h")] += int(bool(h1)) - int(bool(h0))
                delta[(acc, week, "b")] += int(bool(b1)) - int(bool(b0))
    if changed:
        conn.execute(text("UPDATE reply_links SET hostile = :h, block_claim = :b WHERE post_id = :id"), changed)
        weeks = sorted({(a, w) for a, w, _ in delta})
        conn.execute(text("UPDATE reply_weeks SET hostile = hostile + :h, blocks = blocks + :b "
                          "WHERE account_id = :a AND week = :w"),
                     [{"a": a, "w": w, "h": delta[(a, w, "h")], "b": delta[(a, w, "b")]} for a, w in weeks])
    return len(changed)


def subject_rows(conn: Connection, account_ids: Sequence[int]) -> list[WeekRow]:
    """Replies by others to these accounts' posts, per week of the reply.

    The sums up to the mark, less replies between two of these accounts (they are others to each
    other in the sums), plus the pairs above the mark. The mark is bound as a value, so PostgreSQL
    plans the pairs above it as the few rows they are (as a subquery it guessed a third of all
    posts: a 1.1 s hash join); the statement also reads the mark it saw in its own snapshot, and
    runs again if a catch-up moved it in between.
    """
    ids = sorted({int(i) for i in account_ids}) or [-1]
    live = ("r.account_id NOT IN :ids AND +p.account_id IN :ids AND ({})")
    sql = (
        "SELECT week, sum(n), sum(hostile), sum(blocks) FROM ("
        "SELECT week, n, hostile, blocks FROM reply_weeks WHERE account_id IN :ids "
        f"UNION ALL SELECT week, -1, -{_flag('hostile')}, -{_flag('block_claim')} FROM reply_links "
        "WHERE account_id IN :ids AND parent_account_id IN :ids "
        f"UNION ALL SELECT week, 1, {_flag('hostile')}, {_flag('block_claim')} FROM ("
        f"{_pairs(conn, live.format('r.id > :w'))} UNION ALL "
        f"{_pairs(conn, live.format('p.id > :w AND +r.id <= :w'))}) x "
        f"UNION ALL SELECT '{SEEN}', COALESCE(MAX(upto), 0), 0, 0 FROM aggregate_marks WHERE name = :mark"
        ") s GROUP BY week")
    stmt = text(sql).bindparams(bindparam("ids", expanding=True))
    while True:
        w = mark(conn)
        rows = conn.execute(stmt, {"ids": ids, "mark": MARK, "w": w}).all()
        if next(int(n) for week, n, _, _ in rows if week == SEEN) == w:
            return [WeekRow(week or None, int(n), int(h), int(b)) for week, n, h, b in rows if n and week != SEEN]


SEEN = "#mark"  # the row of a subject's series that carries the mark its statement saw


def backfill(conn: Connection) -> int:
    """Link every reply of a workspace from scratch (migration 0007)."""
    conn.execute(text("DELETE FROM reply_links"))
    conn.execute(text("DELETE FROM reply_weeks"))
    conn.execute(text("DELETE FROM aggregate_marks WHERE name = :m"), {"m": MARK})
    return catch_up(conn)
