"""What the actor page counts of a subject's own posts, kept per account and UTC week.

The page charts posts, analysed posts and the undiplomatic score per week (`page_weeks`), countries
mentioned with their stance (`page_targets`) and propaganda techniques (`page_labels`). Counting
them from the 44,000 posts of the busiest actor took 0.7 s of CPU on SQLite at a million posts; the
kept rows answer in milliseconds.

The rule that keeps them exact: every post with an id up to the mark (`aggregate_marks`, "page") is
counted in the rows, unless its (account, week) pair is listed in `page_dirty`. `catch_up` lists the
pairs of posts stored since the mark and moves it; writing annotations lists their posts' pairs
(`touch`); `flush` recounts the listed pairs and clears them (at the end of an analysis run, so a
pair is recounted once per run, not once per batch). A subject with a listed pair or a post above
the mark is counted live by the caller, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, func, select, text

from envoywatch.store import marks
from envoywatch.store.db import Store
from envoywatch.store.marks import week_text
from envoywatch.store.schema import accounts, page_targets

MARK = "page"
BATCH = 500


class Authored(NamedTuple):
    week: str | None
    n: int
    ann: int
    und: float | None
    und_n: int


class Target(NamedTuple):
    week: str | None
    code: str
    stance: str | None
    account_id: int
    n: int
    first: object


class Technique(NamedTuple):
    week: str | None
    label: str
    n: int


def _week(conn: Connection) -> str:
    return week_text(conn, "p.created_at")


def _counts(conn: Connection, where: str, source: str = "posts p") -> dict[str, str]:
    """The three recounts of the posts `where` selects from `source` (p: posts), as INSERT ... SELECT,
    by the table each fills.

    On SQLite the joins are CROSS JOINs, which keep the order written: from the listed pairs to
    their posts by index range, then to each post's rows (its planner, knowing nothing of the
    short list, started from every mention instead: 18 s for 782 pairs at a million posts).
    """
    pg = conn.dialect.name == "postgresql"
    w, j = _week(conn), "JOIN" if pg else "CROSS JOIN"
    kind = "l.kind" if pg else "+l.kind"  # SQLite: by post id, not by every technique label (0.43 -> 0.02 s)
    return {
        "page_weeks": (
            "INSERT INTO page_weeks (account_id, week, posts, analysed, und_n, und_sum) "
            f"SELECT p.account_id, {w}, count(*), count(a.post_id), count(a.undiplomatic), "
            f"COALESCE(sum(a.undiplomatic), 0) FROM {source.format(j=j)} LEFT JOIN annotations a ON a.post_id = p.id "
            f"WHERE p.kind != 'reply' AND {where} GROUP BY p.account_id, {w}"),
        "page_targets": (
            "INSERT INTO page_targets (account_id, week, code, stance, n, first_at, veiled, last_at) "
            f"SELECT p.account_id, {w}, m.code, COALESCE(m.stance, ''), count(*), min(p.created_at), "
            "sum(CASE WHEN m.veiled THEN 1 ELSE 0 END), max(p.created_at) "
            f"FROM {source.format(j=j)} {j} mentions m ON m.post_id = p.id WHERE m.code IS NOT NULL AND {where} "
            f"GROUP BY p.account_id, {w}, m.code, COALESCE(m.stance, '')"),
        "page_labels": (
            "INSERT INTO page_labels (account_id, week, label, n) "
            f"SELECT p.account_id, {w}, l.label, count(*) FROM {source.format(j=j)} {j} post_labels l "
            f"ON l.post_id = p.id WHERE {kind} = 'technique' AND {where} GROUP BY p.account_id, {w}, l.label"),
    }


def _listed(conn: Connection) -> list[tuple[str, str]]:
    """(where, source) that select the posts of every listed pair: dated weeks by their index range."""
    if conn.dialect.name == "postgresql":
        lo = "(d.week::date)::timestamp AT TIME ZONE 'UTC'"
        hi = f"{lo} + interval '7 days'"
    else:  # dates are stored as naive UTC text, which compares as the dates do
        lo, hi = "d.week", "date(d.week, '+7 days')"
    dated = (f"{_week(conn)} = d.week", ("page_dirty d {j} posts p ON p.account_id = d.account_id AND d.week <> '' "
             f"AND p.created_at >= {lo} AND p.created_at < {hi}"))
    undated = ("p.created_at IS NULL", "page_dirty d {j} posts p ON p.account_id = d.account_id AND d.week = ''")
    return [dated, undated]


TABLES = ("page_weeks", "page_targets", "page_labels")


def _exec(conn: Connection, sql: str, params: dict) -> None:
    stmt = text(sql)
    for name, value in params.items():
        if isinstance(value, list):
            stmt = stmt.bindparams(bindparam(name, expanding=True))
    conn.execute(stmt, params)


def catch_up(conn: Connection) -> int:
    """List the (account, week) pairs of posts stored since the mark and move it; returns the pairs listed."""
    span = marks.advance(conn, MARK)
    if span is None:
        return 0
    return conn.execute(text(
        f"INSERT INTO page_dirty (account_id, week) SELECT DISTINCT p.account_id, {_week(conn)} FROM posts p "
        "WHERE p.id > :old AND p.id <= :new ON CONFLICT DO NOTHING"), {"old": span[0], "new": span[1]}).rowcount


def touch(conn: Connection, post_ids: Sequence[int]) -> None:
    """List the pairs of these posts, whose annotations were just written, for the next `flush`."""
    ids = sorted({int(i) for i in post_ids})
    for i in range(0, len(ids), BATCH):
        _exec(conn, f"INSERT INTO page_dirty (account_id, week) SELECT DISTINCT p.account_id, {_week(conn)} "
                    "FROM posts p WHERE p.id IN :ids ON CONFLICT DO NOTHING", {"ids": ids[i : i + BATCH]})


def flush(conn: Connection) -> int:
    """Recount every listed pair and clear the list, in one statement per table and kind of week;
    returns the pairs recounted."""
    listed = int(conn.execute(text("SELECT count(*) FROM page_dirty")).scalar())
    if not listed:
        return 0
    for table in TABLES:
        conn.execute(text(f"DELETE FROM {table} WHERE (account_id, week) IN (SELECT account_id, week FROM page_dirty)"))
    for where, source in _listed(conn):
        for sql in _counts(conn, where, source).values():
            conn.execute(text(sql))
    conn.execute(text("DELETE FROM page_dirty"))
    return listed


def backfill(conn: Connection, targets: bool = True) -> None:
    """Count every post of a workspace from scratch (migration 0008, which leaves `page_targets` to 0012:
    the table gained columns there, which the counts below fill)."""
    for table in (*TABLES, "page_dirty"):
        conn.execute(text(f"DELETE FROM {table}"))
    conn.execute(text("DELETE FROM aggregate_marks WHERE name = :m"), {"m": MARK})
    catch_up(conn)
    conn.execute(text("DELETE FROM page_dirty"))
    for table, sql in _counts(conn, "TRUE").items():
        if targets or table != "page_targets":
            conn.execute(text(sql))


def recount_targets(conn: Connection) -> None:
    """Count `page_targets` afresh for every post up to the mark (migration 0012 added columns to it);
    the pairs listed for a recount stay listed, and posts above the mark wait for `catch_up`."""
    conn.execute(text("DELETE FROM page_targets"))
    conn.execute(text(_counts(conn, "p.id <= :upto")["page_targets"]), {"upto": marks.mark(conn, MARK)})


def watched_ids(conn: Connection) -> list[int] | None:
    """The watched accounts' ids when their kept rows count every post they have, else None."""
    return _fresh_ids(conn, conn.execute(select(accounts.c.id).where(accounts.c.watched.is_(True))).scalars().all())


def country_rows(conn: Connection, code: str) -> list | None:
    """(account, stance, mentions, veiled, first, last) of the watched accounts that mention `code`, summed
    over weeks from the kept rows; None while some watched account waits for a recount."""
    ids = watched_ids(conn)
    if ids is None:
        return None
    t = page_targets.c
    return conn.execute(select(t.account_id, t.stance, func.sum(t.n), func.sum(t.veiled), func.min(t.first_at),
                               func.max(t.last_at))
                        .where(t.code == code, t.account_id.in_(ids)).group_by(t.account_id, t.stance)).all()


def catch_up_store(store: Store) -> int:
    with store.write() as conn:
        return catch_up(conn)


def flush_store(store: Store) -> int:
    with store.write() as conn:
        return flush(conn)


def _fresh_ids(conn: Connection, account_ids: Sequence[int]) -> list[int] | None:
    """These accounts' ids when their kept rows count every post they have (none listed, none above the
    mark), else None."""
    ids = sorted({int(i) for i in account_ids}) or [-1]
    # posts above the mark are found from the id range (none after a catch-up), not the accounts' posts; the
    # mark goes in as a value: PostgreSQL, not knowing it when planning, scanned all 6M posts for 500 accounts
    stale = ("SELECT EXISTS (SELECT 1 FROM page_dirty WHERE account_id IN :ids) OR EXISTS ("
             "SELECT 1 FROM posts WHERE +account_id IN :ids AND id > :mark)")
    return None if _rows(conn, stale, ids, mark=marks.mark(conn, MARK))[0][0] else ids


def _rows(conn: Connection, sql: str, ids: list[int], **params) -> list:
    """The rows of a statement over the accounts `:ids` (an expanding list)."""
    return conn.execute(text(sql).bindparams(bindparam("ids", expanding=True)), {"ids": ids, **params}).all()


def dated_posts(conn: Connection, account_ids: Sequence[int]) -> int | None:
    """How many dated own posts (not replies) these accounts have, from the kept rows; None when stale."""
    ids = _fresh_ids(conn, account_ids)
    if ids is None:
        return None
    return int(_rows(conn, "SELECT COALESCE(sum(posts), 0) FROM page_weeks WHERE account_id IN :ids AND week != ''",
                     ids)[0][0])


def weekly_posts(conn: Connection, account_ids: Sequence[int]) -> list | None:
    """(account, week or '' when undated, own posts) of these accounts from the kept rows; None when stale."""
    ids = _fresh_ids(conn, account_ids)
    if ids is None:
        return None
    return _rows(conn, "SELECT account_id, week, posts FROM page_weeks WHERE account_id IN :ids AND posts > 0", ids)


def subject_rows(conn: Connection, account_ids: Sequence[int], host: str | None = None) -> tuple[list, list, list] | None:
    """The kept rows of these accounts (authored, targets, techniques; in no set order), or None when some
    are stale. Targets are the mentions the page reads: hostile ones, and the host country's in any stance."""
    ids = _fresh_ids(conn, account_ids)
    if ids is None:
        return None

    def rows(sql: str) -> list:
        return _rows(conn, sql, ids, host=host)

    authored = [Authored(w or None, int(n), int(a), float(s) if u else None, int(u)) for w, n, a, u, s in rows(
        "SELECT week, sum(posts), sum(analysed), sum(und_n), sum(und_sum) FROM page_weeks "
        "WHERE account_id IN :ids GROUP BY week")]
    targets = [Target(w or None, c, st or None, a, n, f) for w, c, st, a, n, f in rows(
        "SELECT week, code, stance, account_id, n, first_at FROM page_targets WHERE account_id IN :ids "
        "AND (stance = 'hostile' OR code = :host)")]
    techs = [Technique(w or None, lab, int(n)) for w, lab, n in rows(
        "SELECT week, label, sum(n) FROM page_labels WHERE account_id IN :ids GROUP BY week, label")]
    return authored, targets, techs
