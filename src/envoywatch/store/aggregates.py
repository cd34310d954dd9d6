"""What the story counts, kept beside the annotations: per post, per country and per account-week.

An actor's story counts tens of thousands of posts by language, country named or attacked and week.
Reading every post's annotation for that took seconds; `refresh` writes, whenever annotations are
written, one narrow row per own post (`story_posts`), one per country it names or attacks
(`story_countries`) and the sums per account and UTC week (`story_weeks`), so the story adds up a few
hundred week rows instead. Rows are computed in SQL from the stored annotations (the same statements
backfill a workspace in migration 0006), on SQLite and PostgreSQL.

A post's `forward` flag marks a possible auto-forwarded copy (the same account posted the same text
up to ten minutes before); the story reads such windows post by post.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, DateTime, bindparam, text

from envoywatch.timeutil import as_utc

FORWARD_S = 600  # the story's rule for a forwarded copy: same account and text within ten minutes
BATCH = 500


def _sql(conn: Connection) -> dict[str, str]:
    """Dialect pieces: week of a date, JSON reads, and boolean aggregation."""
    if conn.dialect.name == "postgresql":
        arr = "json_array_elements(CASE WHEN json_typeof(a.data -> '{k}') = 'array' THEN a.data -> '{k}' " \
              "ELSE '[]'::json END)"
        return {
            "week": "to_char(date_trunc('week', timezone('UTC', {col})), 'YYYY-MM-DD')",
            "lang": "a.data ->> 'lang'",
            "countries": arr.format(k="countries") + " AS c",
            "targets": arr.format(k="targets") + " AS t",
            "code": "c ->> 'code'", "code_ok": "json_typeof(c -> 'code') = 'string' AND c ->> 'code' <> ''",
            "target": "t #>> '{}'", "target_ok": "json_typeof(t) = 'string'",
            "veiled": "(CASE json_typeof(c -> 'veiled') WHEN 'boolean' THEN c ->> 'veiled' = 'true' "
                      "WHEN 'number' THEN (c ->> 'veiled')::numeric <> 0 WHEN 'string' THEN c ->> 'veiled' <> '' "
                      "WHEN 'array' THEN json_array_length(c -> 'veiled') > 0 WHEN 'object' THEN TRUE "
                      "ELSE FALSE END)",
            "hostile": "c ->> 'stance' = 'hostile'", "any": "bool_or",
            "near": "q.created_at BETWEEN p.created_at - interval '601 seconds' "
                    "AND p.created_at + interval '601 seconds'",
        }
    return {
        "week": "date(substr({col}, 1, 10), 'weekday 0', '-6 days')",
        "lang": "json_extract(a.data, '$.lang')",
        "countries": "json_each(a.data, '$.countries') AS c",
        "targets": "json_each(a.data, '$.targets') AS t",
        "code": "json_extract(c.value, '$.code')",
        "code_ok": "json_type(c.value, '$.code') = 'text' AND json_extract(c.value, '$.code') <> ''",
        "target": "t.value", "target_ok": "t.type = 'text'",
        "veiled": "(CASE json_type(c.value, '$.veiled') WHEN 'true' THEN 1 "
                  "WHEN 'integer' THEN json_extract(c.value, '$.veiled') <> 0 "
                  "WHEN 'real' THEN json_extract(c.value, '$.veiled') <> 0 "
                  "WHEN 'text' THEN json_extract(c.value, '$.veiled') <> '' "
                  "WHEN 'array' THEN json_array_length(c.value, '$.veiled') > 0 WHEN 'object' THEN 1 ELSE 0 END)",
        "hostile": "json_extract(c.value, '$.stance') = 'hostile'", "any": "max",
        "near": "q.created_at BETWEEN datetime(p.created_at, '-601 seconds') "
                "AND datetime(p.created_at, '+601 seconds')",
    }


def _posts_sql(d: dict[str, str], cond: str) -> str:
    countries = f"SELECT 1 FROM {d['countries']} WHERE {d['veiled']}"
    return (
        "INSERT INTO story_posts (post_id, account_id, created_at, week, lang, veiled, veiled_hostile, forward) "
        f"SELECT p.id, p.account_id, p.created_at, {d['week'].format(col='p.created_at')}, "
        f"COALESCE(NULLIF({d['lang']}, ''), NULLIF(p.lang, '')), EXISTS({countries}), "
        f"EXISTS({countries} AND {d['hostile']}), FALSE "
        "FROM posts p JOIN annotations a ON a.post_id = p.id "
        f"WHERE p.kind != 'reply' AND p.created_at IS NOT NULL{cond.format(col='p.id')}")


def _countries_sql(d: dict[str, str], cond: str) -> str:
    src = "FROM story_posts s JOIN annotations a ON a.post_id = s.post_id"
    c = cond.format(col="s.post_id")
    return (
        "INSERT INTO story_countries (post_id, code, account_id, created_at, mentioned, targeted) "
        f"SELECT post_id, code, account_id, created_at, {d['any']}(m), {d['any']}(t) FROM ("
        f"SELECT s.post_id, {d['code']} AS code, s.account_id, s.created_at, TRUE AS m, FALSE AS t "
        f"{src}, {d['countries']} WHERE {d['code_ok']}{c} "
        f"UNION ALL SELECT s.post_id, {d['target']}, s.account_id, s.created_at, FALSE, TRUE "
        f"{src}, {d['targets']} WHERE {d['target_ok']}{c}"
        ") x GROUP BY post_id, code, account_id, created_at")


def _weeks_sql(cond: str) -> str:
    """Sum per (account, week, key) with the first post of each, from the per-post rows."""
    s = cond.format(col="s.account_id", week="s.week")
    has = "EXISTS (SELECT 1 FROM story_countries c WHERE c.post_id = s.post_id AND ({}))"
    third = "c.targeted AND (h.host IS NULL OR c.code <> h.host) AND (h.sender IS NULL OR c.code <> h.sender)"
    posts_ = "FROM story_posts s WHERE "
    joined = "FROM story_posts s JOIN story_countries c ON c.post_id = s.post_id WHERE "
    acc = "FROM story_posts s JOIN story_accounts h ON h.account_id = s.account_id WHERE "
    parts = [("'n'", posts_ + "1 = 1"), ("'l:' || COALESCE(s.lang, 'und')", posts_ + "1 = 1"),
             ("'vh'", posts_ + "s.veiled_hostile"), ("'m:' || c.code", joined + "c.mentioned"),
             ("'t:' || c.code", joined + "c.targeted"), ("'tg'", posts_ + has.format("c.targeted")),
             ("'h'", acc + has.format("c.code = h.host")),
             ("'hs'", acc + has.format("c.code = h.host OR (c.code = h.sender AND c.mentioned)")),
             ("'x'", acc + has.format(third))]
    keys = " UNION ALL ".join(f"SELECT s.account_id, s.week, {k} AS key, s.created_at, s.post_id {src}{s}"
                              for k, src in parts)
    return (
        "INSERT INTO story_weeks (account_id, week, key, n, first_at, first_id) "
        "SELECT account_id, week, key, n, created_at, post_id FROM ("
        "SELECT account_id, week, key, created_at, post_id, "
        "row_number() OVER (PARTITION BY account_id, week, key ORDER BY created_at, post_id) AS rn, "
        f"count(*) OVER (PARTITION BY account_id, week, key) AS n FROM ({keys}) k) r WHERE rn = 1")


IDS = " AND {col} IN :ids"


def _exec(conn: Connection, sql: str, **params) -> None:
    stmt = text(sql)
    for name, value in params.items():
        if isinstance(value, list | tuple):
            stmt = stmt.bindparams(bindparam(name, expanding=True))
    conn.execute(stmt, params)


def refresh(conn: Connection, post_ids: Sequence[int]) -> None:
    """Rewrite the story rows of these posts (just annotated) and the week sums they fall in."""
    ids = sorted({int(i) for i in post_ids})
    if not ids:
        return
    d = _sql(conn)
    weeks: set[tuple[int, str]] = set()
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        weeks |= _week_keys(conn, "post_id IN :ids", ids=chunk)
        _exec(conn, "DELETE FROM story_countries WHERE post_id IN :ids", ids=chunk)
        _exec(conn, "DELETE FROM story_posts WHERE post_id IN :ids", ids=chunk)
        _exec(conn, _posts_sql(d, IDS), ids=chunk)
        _exec(conn, _countries_sql(d, IDS), ids=chunk)
        flag_forwards(conn, chunk)
        weeks |= _week_keys(conn, "post_id IN :ids", ids=chunk)
    changed = sync_accounts(conn, {a for a, _ in weeks})
    if changed:
        weeks |= _week_keys(conn, "account_id IN :ids", ids=sorted(changed))
    refresh_weeks(conn, weeks)


def _week_keys(conn: Connection, where: str, **params) -> set[tuple[int, str]]:
    stmt = text(f"SELECT DISTINCT account_id, week FROM story_posts WHERE {where}").bindparams(
        bindparam("ids", expanding=True))
    return {(int(a), str(w)) for a, w in conn.execute(stmt, params)}


def sync_accounts(conn: Connection, account_ids: Iterable[int]) -> set[int]:
    """Record each account's actor's sending and host country; the accounts whose pair changed."""
    accs = sorted(set(account_ids))
    if not accs:
        return set()
    cur = text("SELECT ac.id, upper(a.sending_country), upper(a.host_country) FROM accounts ac "
               "LEFT JOIN actors a ON a.id = ac.actor_id WHERE ac.id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    old = text("SELECT account_id, sender, host FROM story_accounts WHERE account_id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    now = {int(i): (s or None, h or None) for i, s, h in conn.execute(cur, {"ids": accs})}
    was = {int(i): (s, h) for i, s, h in conn.execute(old, {"ids": accs})}
    changed = {a for a in now if was.get(a) != now[a]}
    if changed:
        _exec(conn, "DELETE FROM story_accounts WHERE account_id IN :ids", ids=sorted(changed))
        conn.execute(text("INSERT INTO story_accounts (account_id, sender, host) VALUES (:a, :s, :h)"),
                     [{"a": a, "s": now[a][0], "h": now[a][1]} for a in sorted(changed)])
    return {a for a in changed if a in was}


def refresh_weeks(conn: Connection, weeks: Iterable[tuple[int, str]]) -> None:
    """Recount these (account, week) sums from the per-post rows."""
    by_acc: dict[int, list[str]] = {}
    for a, w in weeks:
        by_acc.setdefault(a, []).append(w)
    span = " AND {col} = :a AND s.created_at >= :lo AND s.created_at < :hi AND {week} IN :weeks"
    for a, ws in sorted(by_acc.items()):
        for i in range(0, len(ws), BATCH):
            chunk = sorted(ws)[i : i + BATCH]  # the dates bound the index range; the week list picks from it
            lo, hi = _monday(chunk[0]), _monday(chunk[-1]) + timedelta(days=7)
            _exec(conn, "DELETE FROM story_weeks WHERE account_id = :a AND week IN :weeks", a=a, weeks=chunk)
            stmt = text(_weeks_sql(span)).bindparams(bindparam("weeks", expanding=True),
                                                     bindparam("lo", type_=DateTime(timezone=True)),
                                                     bindparam("hi", type_=DateTime(timezone=True)))
            conn.execute(stmt, {"a": a, "weeks": chunk, "lo": lo, "hi": hi})


def _monday(week: str) -> datetime:
    return datetime.fromisoformat(week).replace(tzinfo=UTC)


def flag_forwards(conn: Connection, post_ids: Sequence[int] | None = None) -> int:
    """Mark posts that repeat a text their account posted up to ten minutes before (both ways in time).

    Without `post_ids`, every post of the workspace (the backfill). Returns how many were marked.
    """
    near = _sql(conn)["near"]
    q = ("SELECT p.id, p.created_at, q.id, q.created_at FROM posts p JOIN posts q ON q.account_id = p.account_id "
         f"AND {near} AND q.id <> p.id AND q.kind != 'reply' AND q.text = p.text "
         "WHERE p.kind != 'reply' AND p.created_at IS NOT NULL")
    params = {}
    if post_ids is not None:
        q += " AND p.id IN :ids"
        params["ids"] = list(post_ids)
    stmt = text(q).bindparams(bindparam("ids", expanding=True)) if params else text(q)
    marked = set()
    for a, at, b, bt in conn.execute(stmt, params):
        ta, tb = as_utc(at), as_utc(bt)
        first, later = ((a, ta), (b, tb)) if (ta, a) < (tb, b) else ((b, tb), (a, ta))
        if later[1] - first[1] <= timedelta(seconds=FORWARD_S):
            marked.add(later[0])
    marked_list = sorted(marked)
    for i in range(0, len(marked_list), BATCH):
        _exec(conn, "UPDATE story_posts SET forward = TRUE WHERE post_id IN :ids", ids=marked_list[i : i + BATCH])
    return len(marked)


def backfill(conn: Connection) -> None:
    """Fill the story rows of a whole workspace from its annotations (migration 0006, bulk loads)."""
    d = _sql(conn)
    for table in ("story_weeks", "story_accounts", "story_countries", "story_posts"):
        conn.execute(text(f"DELETE FROM {table}"))
    conn.execute(text(_posts_sql(d, "")))
    conn.execute(text(_countries_sql(d, "")))
    flag_forwards(conn)
    sync_accounts(conn, [a for (a,) in conn.execute(text("SELECT DISTINCT account_id FROM story_posts"))])
    conn.execute(text(_weeks_sql("")))
    if conn.dialect.name == "postgresql":  # statistics now, not at autovacuum's next pass
        conn.execute(text("ANALYZE story_posts, story_countries, story_weeks, story_accounts"))
