"""The story's figures from the week sums `store.aggregates` keeps, the same as counting every post.

Full UTC weeks of the period come from `story_weeks` (a few hundred rows for the busiest actor instead
of 44,000 annotations); the partial weeks at its edges, the veiled posts and the evidence posts are
read post by post. The sums are used only when they are known to be exact: every own post of the
period has its story row, the week sums add up to those rows, the accounts were counted with the
story's sending and host country, and no post of the period may be an auto-forwarded copy. Otherwise
`summarize` returns None and the story counts the posts one by one.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, String, bindparam, func, literal_column, select, text, true

from envoywatch.analysis.relevance import EXAMPLES, post_keys, summarize_counts
from envoywatch.store import page_sums
from envoywatch.store.db import Store
from envoywatch.store.schema import posts, story_accounts, story_countries, story_posts, story_weeks
from envoywatch.story.reading import StoryPost, read_posts
from envoywatch.timeutil import as_utc

UTC_MIDNIGHT = time(0, 0)


def _monday(d: datetime) -> date:
    return (d - timedelta(days=d.weekday())).date()


def _at(day: date) -> datetime:
    return as_utc(datetime.combine(day, UTC_MIDNIGHT))


def split(lo: datetime | None, hi: datetime | None) -> tuple[str | None, str | None, list[tuple]]:
    """The full weeks [wlo, whi) of the period (None: unbounded) and the partial edges read post by post."""
    wlo = None if lo is None else _monday(lo) + timedelta(days=0 if lo == _at(_monday(lo)) else 7)
    whi = None if hi is None else _monday(hi)
    if wlo is not None and whi is not None and wlo >= whi:
        return "", "", [(lo, hi)]  # no full week: all of it post by post
    edges = []
    if lo is not None and lo < _at(wlo):
        edges.append((lo, _at(wlo)))
    if hi is not None and _at(whi) < hi:
        edges.append((_at(whi), hi))
    return (wlo and wlo.isoformat()), (whi and whi.isoformat()), edges


def _day(week: str | None) -> datetime | None:
    return None if week is None else _at(date.fromisoformat(week))


def _between(col, lo, hi) -> list:
    return ([col >= lo] if lo is not None else []) + ([col < hi] if hi is not None else [])


def _weeks_where(ids: list[int], wlo: str | None, whi: str | None) -> list:
    return [story_weeks.c.account_id.in_(ids), *_between(story_weeks.c.week, wlo, whi)]


def _trusted(conn, ids: list[int], pair: tuple, lo, hi, wlo, whi) -> int | None:
    """How many summed posts the full weeks hold, if the sums can answer: every own post of the period
    summed, counted with the story's countries, and no forwarded copy among them; else None."""
    counted = {tuple(r[1:]) for r in conn.execute(
        select(story_accounts).where(story_accounts.c.account_id.in_(ids)))}
    if counted - {pair}:
        return None
    own = page_sums.dated_posts(conn, ids) if (lo, hi) == (None, None) else None  # kept by the actor page
    if own is None:
        own = conn.execute(select(func.count()).select_from(posts).where(
            posts.c.account_id.in_(ids), literal_column("posts.kind != 'reply'"), posts.c.created_at.is_not(None),
            *_between(posts.c.created_at, lo, hi))).scalar_one()
    sp = story_posts.c
    period = _between(sp.created_at, lo, hi)
    fwd = select(sp.post_id).where(sp.account_id.in_(ids), sp.forward == true(), *period).limit(1)
    mine, forwarded = conn.execute(select(  # the count and the look for a forwarded copy in one statement
        select(func.count()).select_from(story_posts).where(sp.account_id.in_(ids), *period).scalar_subquery(),
        fwd.exists())).one()
    if own != mine or forwarded:
        return None
    if (wlo, whi) == ("", ""):
        return 0
    if (_day(wlo), _day(whi)) == (lo, hi):
        return mine
    return conn.execute(select(func.count()).select_from(story_posts).where(
        story_posts.c.account_id.in_(ids), *_between(story_posts.c.created_at, _day(wlo), _day(whi)))).scalar_one()


class Sums:
    """Counts per key with the first post (time, id) carrying each; ties in counts keep that order."""

    def __init__(self) -> None:
        self.n: Counter[str] = Counter()
        self.first: dict[str, tuple[datetime, int | None]] = {}

    def add(self, key: str, n: int, first: tuple[datetime, int | None]) -> None:
        self.n[key] += n
        if key not in self.first or _before(first, self.first[key]):
            self.first[key] = first

    def ordered(self, prefix: str, resolve) -> list[tuple[str, int]]:
        """(value, count) of the keys with this prefix, most first, ties by first appearance."""
        keys = [k for k in self.n if k.startswith(prefix)]
        at = Counter((self.n[k], self.first[k][0]) for k in keys)
        for k in keys:  # equal counts and first dates: the first post's id decides
            if self.first[k][1] is None and at[(self.n[k], self.first[k][0])] > 1:
                self.first[k] = (self.first[k][0], resolve(k, self.first[k][0]))
        keys.sort(key=lambda k: (-self.n[k], self.first[k][0], self.first[k][1] or 0, k))
        return [(k[len(prefix):], self.n[k]) for k in keys]


def _before(a: tuple, b: tuple) -> bool:
    """Earlier in time order; a week's first id is looked up only when needed (edges and weeks never share a time)."""
    return (a[0], -1 if a[1] is None else a[1]) < (b[0], -1 if b[1] is None else b[1])


def _week_sums(conn, ids: list[int], wlo, whi, sums: Sums) -> Counter[tuple[int, str]]:
    """Add the full weeks' sums per key; returns posts per (account, week)."""
    w = _weeks_where(ids, wlo, whi)
    # per account and key: the primary key's order, where a sort by key alone took most of the time
    q = (select(story_weeks.c.key, func.sum(story_weeks.c.n), func.min(story_weeks.c.first_at)).where(*w)
         .group_by(story_weeks.c.account_id, story_weeks.c.key))
    for key, n, first in conn.execute(q).all():  # fetched at once: faster than row by row
        sums.add(key, int(n), (as_utc(first), None))
    q = (select(story_weeks.c.account_id, story_weeks.c.week, story_weeks.c.n)
         .where(*w, story_weeks.c.key == "n"))
    return Counter({(a, wk): n for a, wk, n in conn.execute(q).all()})


def _edge_sums(rows: list[StoryPost], pair: tuple, sums: Sums) -> Counter[tuple[int, str]]:
    weeks: Counter[tuple[int, str]] = Counter()
    for r in rows:
        weeks[(r.account_id, _monday(r.created_at).isoformat())] += 1
        for key in post_keys(r.lang, r.countries, r.targets, *pair):
            sums.add(key, 1, (r.created_at, r.id))
    return weeks


def _resolver(conn, ids: list[int], wlo, whi):
    def resolve(key: str, first_at: datetime) -> int:
        q = select(func.min(story_weeks.c.first_id)).where(
            *_weeks_where(ids, wlo, whi), story_weeks.c.key == key, story_weeks.c.first_at == first_at)
        return conn.execute(q).scalar_one()
    return resolve


# Two selects an account: SQLite refuses a compound SELECT of more than 500 (an actor with hundreds of
# accounts, a mission's whole network, made one statement too many).
ENDS_PER_STATEMENT = 200


def _ends(conn, ids: list[int], lo, hi) -> dict[int, tuple[tuple, tuple]]:
    """Per account, its first and last post of the period as ((time, id), (time, id)): an index seek at
    each end of each account's posts, in one statement per ENDS_PER_STATEMENT accounts (two statements
    an account before)."""
    when = "".join((" AND created_at >= :lo" if lo is not None else "", " AND created_at < :hi" if hi is not None else ""))
    found: dict[int, list] = {a: [None, None] for a in ids}
    for start in range(0, len(ids), ENDS_PER_STATEMENT):
        part = ids[start : start + ENDS_PER_STATEMENT]
        sql = " UNION ALL ".join(
            f"SELECT * FROM (SELECT account_id, {end} AS side, created_at, post_id FROM story_posts "
            f"WHERE account_id = :a{i}{when} ORDER BY {order} LIMIT 1) AS {name}{i}"
            for i in range(len(part)) for end, name, order in ((0, "first", "created_at, post_id"),
                                                               (1, "last", "created_at DESC, post_id DESC")))
        params = {"lo": lo, "hi": hi, **{f"a{i}": a for i, a in enumerate(part)}}
        for a, side, at, pid in _run(conn, sql, params, account_id=Integer, side=Integer, created_at=_AT, post_id=Integer):
            found[a][side] = (as_utc(at), pid)
    return {a: (first, last) for a, (first, last) in found.items() if first is not None}


def _targeting(lo, hi, n: int | str = "") -> str:
    """The condition both example reads share: posts of account :a<n> attacking country :c<n>, in the period."""
    when = "".join((" AND created_at >= :lo" if lo is not None else "", " AND created_at < :hi" if hi is not None else ""))
    return f"account_id = :a{n} AND code = :c{n} AND targeted = :t{when}"


_AT = story_posts.c.created_at.type  # story_countries' times are of the same type


def _run(conn, sql: str, params: dict, **columns) -> list:
    """A text statement over story_countries or story_posts, its times bound with the column's type."""
    times = [bindparam(b, type_=_AT) for b in ("lo", "hi", "at") if f":{b}" in sql]
    return conn.execute(text(sql).bindparams(*times).columns(**columns), params).all()


def _newest(conn, pairs: list[tuple[int, str]], lo, hi) -> list:
    """(account, code, post id, time) of the EXAMPLES + 1 newest posts attacking each (account, country):
    an index seek each, in one statement. Written as text: keying a union of twenty selects in
    SQLAlchemy's statement cache took fifteen times as long as running it."""
    if not pairs:
        return []
    sql = " UNION ALL ".join(
        f"SELECT * FROM (SELECT account_id, code, post_id, created_at FROM story_countries "
        f"WHERE {_targeting(lo, hi, i)} ORDER BY created_at DESC LIMIT :k) AS newest{i}" for i in range(len(pairs)))
    params = {"t": True, "k": EXAMPLES + 1, "lo": lo, "hi": hi}
    for i, (a, c) in enumerate(pairs):
        params[f"a{i}"], params[f"c{i}"] = a, c
    return _run(conn, sql, params, account_id=Integer, code=String, post_id=Integer,
                created_at=story_countries.c.created_at.type)


def _examples(conn, ids: list[int], codes: list[str], lo, hi) -> dict[str, list[str]]:
    """The newest posts attacking each country (ties by id as text, as the per-post count orders them)."""
    found: dict[str, list[tuple[str, str]]] = {c: [] for c in codes}
    cut = []  # (account, code) whose 5th and 6th newest share a time: read all posts of that time too
    got: dict[tuple[int, str], list] = {}
    for a, code, pid, at in _newest(conn, [(a, c) for a in ids for c in codes], lo, hi):
        got.setdefault((a, code), []).append((as_utc(at), pid))
    for (a, code), rows in got.items():
        rows.sort(key=lambda r: r[0], reverse=True)
        if len(rows) > EXAMPLES and rows[EXAMPLES - 1][0] == rows[EXAMPLES][0]:
            cut.append((a, code, rows[EXAMPLES][0]))
        found[code] += [(at.isoformat(), str(pid)) for at, pid in rows[:EXAMPLES]]
    tied = f"SELECT post_id FROM story_countries WHERE {_targeting(lo, hi)} AND created_at = :at"
    for a, code, at in cut:
        params = {"a": a, "c": code, "t": True, "lo": lo, "hi": hi, "at": at}
        found[code] += [(at.isoformat(), str(pid)) for (pid,) in _run(conn, tied, params, post_id=Integer)]
    return {c: [pid for _, pid in sorted(set(v), reverse=True)[:EXAMPLES]] for c, v in found.items()}


def summarize(store: Store, keys: dict[int, str], actor: dict | None, date_from, date_to,
              veiled_posts: int | None = None) -> dict[str, Any] | None:
    """Frequency, targets, veiled posts (the first `veiled_posts` of them, or all) and period of the story
    from the sums, or None when they cannot answer."""
    ids = sorted(keys)
    sender = ((actor or {}).get("sending_country") or "").upper() or None
    host = ((actor or {}).get("host_country") or "").upper() or None
    lo, hi = as_utc(date_from) if date_from else None, as_utc(date_to) if date_to else None
    wlo, whi, edges = split(lo, hi)
    with store.snapshot() as conn:  # the checks and the sums they vouch for, as of one moment
        in_weeks = _trusted(conn, ids, (sender, host), lo, hi, wlo, whi) if ids else None
        if in_weeks is None:
            return None
        sums = Sums()
        weeks = _week_sums(conn, ids, wlo, whi, sums) if (wlo, whi) != ("", "") else Counter()
        if sums.n["n"] != in_weeks:  # week sums behind their posts (a post deleted since): count every post
            return None
        for a, b in edges:
            weeks.update(_edge_sums(read_posts(store, ids, a, b), (sender, host), sums))
        ends = _ends(conn, ids, lo, hi)
        resolve = _resolver(conn, ids, wlo, whi)
        top = [c for c, _ in sums.ordered("t:", resolve)[:10]]
        examples = _examples(conn, ids, top, lo, hi)
        sp = story_posts.c
        veiled = (select(sp.post_id).where(sp.account_id.in_(ids), sp.veiled == true(), *_between(sp.created_at, lo, hi))
                  .order_by(sp.created_at, sp.post_id).limit(veiled_posts))  # read with their posts, below
        counts = summarize_counts(sums.n, lambda p: sums.ordered(p, resolve), examples, sender, host,
                                  _period(ends))
        freq = _frequency(sums, weeks, ends, keys, resolve)
    veiled_rows = read_posts(store, ids, None, None, post_ids=veiled)
    return {"frequency": freq, "targets": counts, "veiled_rows": veiled_rows,
            "first": _period(ends)[0], "last": _period(ends)[1]}


def _period(ends: dict) -> tuple[datetime | None, datetime | None]:
    if not ends:
        return None, None
    return min(f for f, _ in ends.values())[0], max(la for _, la in ends.values())[0]


def _frequency(sums: Sums, weeks: Counter, ends: dict, keys: dict[int, str], resolve) -> dict[str, Any]:
    n = sums.n["n"]
    if not n:
        return {"posts": 0, "per_week": 0.0, "by_account": {}, "busiest_week": None}
    first, last = _period(ends)
    days = max(1.0, (last - first).total_seconds() / 86400)
    by_week: Counter[str] = Counter()
    named: dict[str, str] = {}  # each week's ISO name once, not once per account
    for (_, wk), k in sorted(weeks.items(), key=lambda x: x[0][1]):
        if wk not in named:
            named[wk] = f"{date.fromisoformat(wk):%G-W%V}"
        by_week[named[wk]] += k
    week, top = by_week.most_common(1)[0]
    per_acc: Counter[int] = Counter()
    for (a, _), k in weeks.items():
        per_acc[a] += k
    accs = sorted(per_acc, key=lambda a: (-per_acc[a], ends[a][0]))
    return {"posts": n, "per_week": round(n / (days / 7), 1), "per_day": round(n / days, 2),
            "by_account": {keys[a]: per_acc[a] for a in accs},
            "by_language": dict(sums.ordered("l:", resolve)),
            "busiest_week": {"week": week, "posts": top}}
