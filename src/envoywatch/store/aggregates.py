"""What the story counts, kept beside the annotations: per post, per country and per account-week.

An actor's story counts tens of thousands of posts by language, country named or attacked and week.
Reading every post's annotation for that took seconds; `refresh` writes, whenever annotations are
written, one narrow row per own post (`story_posts`), one per country it names or attacks
(`story_countries`) and the sums per account and UTC week (`story_weeks`), so the story adds up a few
hundred week rows instead, on SQLite and PostgreSQL.

A backfill (migration 0006, bulk loads) computes the rows in SQL from the stored annotations. `analyze`
hands `refresh` the annotations it has just written: their per-post rows are built in Python from them
(anything an analyzer would not write falls back to the SQL statements; tests pin both to the same
rows), and the touched weeks are recounted with one read of their posts, sums in Python, one delete
and one insert: SQL per account and week cost more than annotating the posts in fast mode.

A post's `forward` flag marks a possible auto-forwarded copy (the same account posted the same text
up to ten minutes before); the story reads such windows post by post.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, text

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


def refresh(conn: Connection, post_ids: Sequence[int], anns: Sequence[Mapping[str, Any]] | None = None) -> None:
    """Rewrite the story rows of these posts (just annotated) and the week sums they fall in.

    `anns`, the annotations just written for these posts (with their "id"), spares reading them back.
    """
    ids = sorted({int(i) for i in post_ids})
    if not ids:
        return
    given = {int(a["id"]): a for a in anns or ()}
    weeks: set[tuple[int, str]] = set()
    hand: dict[int, list[tuple]] = {}  # the summed rows of the posts whose story rows were built here
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        weeks |= _rewrite_posts(conn, chunk, given, hand)
        flag_forwards(conn, chunk)
    changed = sync_accounts(conn, {a for a, _ in weeks})
    if changed:
        weeks |= _week_keys(conn, "account_id IN :ids", ids=sorted(changed))
    refresh_weeks(conn, weeks, hand)


def _rewrite_posts(conn: Connection, ids: list[int], given: Mapping[int, Mapping[str, Any]],
                   hand: dict[int, list[tuple]] | None = None) -> set[tuple[int, str]]:
    """Replace these posts' story rows; the (account, week) pairs they were and now are in. The rows
    built in Python go into `hand` too, as the week recount would read them back."""
    where, params = _in(conn, "p.id", ids)
    meta = _select(conn, "SELECT p.id, p.account_id, p.created_at, p.kind, p.lang, s.account_id, s.week "
                         f"FROM posts p LEFT JOIN story_posts s ON s.post_id = p.id WHERE {where}", params)
    old = {(int(r[5]), str(r[6])) for r in meta if r[5] is not None}
    if old:  # a fresh analyze has none: writing its annotations removed them (ON DELETE CASCADE)
        _exec(conn, "DELETE FROM story_countries WHERE post_id IN :ids", ids=ids)
        _exec(conn, "DELETE FROM story_posts WHERE post_id IN :ids", ids=ids)
    rows = _story_rows(conn.dialect.name, meta, given) if all(i in given for i in ids) else None
    if rows is None:  # annotations not in hand, or unusual: read back from the stored JSON in SQL
        d = _sql(conn)
        _exec(conn, _posts_sql(d, IDS), ids=ids)
        _exec(conn, _countries_sql(d, IDS), ids=ids)
        return old | _week_keys(conn, "post_id IN :ids", ids=ids)
    post_rows, country_rows = rows
    _insert(conn, "story_posts", POST_COLUMNS, post_rows)
    _insert(conn, "story_countries", COUNTRY_COLUMNS, country_rows)
    if hand is not None:
        hand.update(_summed_rows(post_rows, country_rows))
    return old | {(r[1], r[3]) for r in post_rows}


def _summed_rows(post_rows: list[tuple], country_rows: list[tuple]) -> dict[int, list[tuple]]:
    """Per post, the rows `_posts_in_runs` reads for it, from its story rows as they were inserted."""
    countries: dict[int, list[tuple]] = {}
    for pid, code, _, _, m, t in country_rows:
        countries.setdefault(pid, []).append((code, m, t))
    return {pid: [(acc, week, at, pid, lang, vh, *c) for c in countries.get(pid) or ((None, None, None),)]
            for pid, acc, at, week, lang, _, vh, _ in post_rows}


POST_COLUMNS = ("post_id", "account_id", "created_at", "week", "lang", "veiled", "veiled_hostile", "forward")
COUNTRY_COLUMNS = ("post_id", "code", "account_id", "created_at", "mentioned", "targeted")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _story_rows(dialect: str, meta: list[tuple], given: Mapping[int, Mapping[str, Any]]
                ) -> tuple[list[tuple], list[tuple]] | None:
    """story_posts and story_countries rows of these posts from their annotations, as the SQL computes
    them; None when an annotation or a date is of a shape the two engines' JSON functions read apart."""
    post_rows, country_rows, weeks = [], [], {}
    for pid, acc, at, kind, plang, _, _ in sorted(meta):
        if kind is None or kind == "reply" or at is None:
            continue
        key = at[:10] if isinstance(at, str) else at
        week = weeks[key] if key in weeks else weeks.setdefault(key, _week_of(at, dialect))
        parsed = _parse(given[pid])
        if week is None or parsed is None:
            return None
        lang, countries, targets = parsed
        veiled = veiled_hostile = False
        codes: dict[str, list[bool]] = {}
        for c in countries:
            if _truthy(c.get("veiled")):
                veiled = True
                veiled_hostile = veiled_hostile or c.get("stance") == "hostile"
            code = c.get("code")
            if isinstance(code, str) and code:
                codes[code] = [True, False]
        post_rows.append((pid, acc, at, week, lang or plang or None, veiled, veiled_hostile, False))
        for t in targets:
            if isinstance(t, str):
                codes.setdefault(t, [False, False])[1] = True
        country_rows += [(pid, code, acc, at, m, t) for code, (m, t) in sorted(codes.items())]
    return post_rows, country_rows


def _parse(ann: Mapping[str, Any]) -> tuple[str | None, list[dict], list] | None:
    """(lang, countries, targets) as stored, or None when not the shapes analyzers write.

    Values of plain JSON types are read as they are; anything else (a numpy flag, NaN) as it comes out
    of the store's JSON serialiser.
    """
    fields = ann.get("lang"), ann.get("countries"), ann.get("targets")
    if not _plain(*fields):
        data = orjson.loads(orjson.dumps(dict(zip(("lang", "countries", "targets"), fields, strict=True)),
                                         default=str, option=orjson.OPT_NON_STR_KEYS))
        fields = data["lang"], data["countries"], data["targets"]
    lang, countries, targets = fields[0], [] if fields[1] is None else fields[1], [] if fields[2] is None else fields[2]
    if not (lang is None or isinstance(lang, str)) or not isinstance(countries, list) \
            or not isinstance(targets, list) or not all(isinstance(c, dict) for c in countries):
        return None  # SQLite's json_each reads a non-array (even "") as one element; PostgreSQL as none
    return lang, countries, targets


_SCALAR = frozenset({str, int, bool, type(None)})
_VALUE = _SCALAR | {list, dict}


def _plain(lang: Any, countries: Any, targets: Any) -> bool:
    """Whether these fields hold only values that go through JSON unchanged (as far as the story reads them)."""
    if type(lang) not in _SCALAR or type(countries) not in (list, type(None)) \
            or type(targets) not in (list, type(None)):
        return False
    for c in countries or ():
        if type(c) is not dict or type(c.get("code")) not in _SCALAR or type(c.get("stance")) not in _SCALAR:
            return False
        v = c.get("veiled")
        if type(v) not in _VALUE and not (type(v) is float and math.isfinite(v)):
            return False
    return all(type(t) in _VALUE for t in targets or ())


def _truthy(value: Any) -> bool:
    """A JSON `veiled` value as the SQL reads it: true, a non-zero number, a non-empty string or array, any object."""
    return isinstance(value, dict) or bool(value)


def _week_of(at: Any, dialect: str) -> str | None:
    """The Monday of a stored time's UTC week, as the SQL computes it (None: leave it to the SQL)."""
    if dialect == "sqlite":
        if not isinstance(at, str) or not _DAY.fullmatch(at[:10]):
            return None
        try:
            day = date.fromisoformat(at[:10])
        except ValueError:  # SQLite's date() rolls 2021-02-30 over; the SQL path keeps that
            return None
    elif dialect == "postgresql" and isinstance(at, datetime) and at.tzinfo is not None:
        day = at.astimezone(UTC).date()
    else:
        return None
    return (day - timedelta(days=day.weekday())).isoformat()


def _in(conn: Connection, col: str, ids: Sequence) -> tuple[str, list]:
    """`col` among these values, for `_select`: an IN list on SQLite, one array on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        return f"{col} = ANY(?)", [list(ids)]
    return f"{col} IN ({', '.join('?' * len(ids))})", list(ids)


def _cursor(conn: Connection):
    """The driver's cursor of this connection (in its transaction): raw values, no per-row processing."""
    if conn.dialect.name == "postgresql":
        return conn.connection.driver_connection.cursor()
    return conn.connection.dbapi_connection.cursor()


def _sql_for(conn: Connection, sql: str) -> str:
    return sql.replace("?", "%s") if conn.dialect.name == "postgresql" else sql


def _select(conn: Connection, sql: str, params: Sequence = ()) -> list[tuple]:
    """Rows of a query written with `?` placeholders, straight from the driver."""
    cur = _cursor(conn)
    try:
        return cur.execute(_sql_for(conn, sql), params).fetchall()
    finally:
        cur.close()


def _insert(conn: Connection, table: str, cols: Sequence[str], rows: list[tuple]) -> None:
    """Rows into a table in one driver call: executemany on SQLite, COPY on PostgreSQL."""
    if not rows:
        return
    cur = _cursor(conn)
    try:
        if conn.dialect.name == "postgresql":
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    finally:
        cur.close()


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


def refresh_weeks(conn: Connection, weeks: Iterable[tuple[int, str]],
                  hand: Mapping[int, list[tuple]] | None = None) -> None:
    """Recount these (account, week) sums from the per-post rows: one read of every post in them (as runs
    of weeks per account), the sums in Python as `_weeks_sql` counts them, one delete and one insert.

    `hand`: the rows of posts whose story rows were just inserted from Python, per post id (at most
    HAND_MAX): the read leaves them out and they are summed as they are (a batch of fresh posts fills
    most of the weeks it touches, so most of the read was of the rows just written)."""
    runs = _runs(weeks)
    hand = hand if hand and len(hand) <= HAND_MAX else {}
    for i in range(0, len(runs), BATCH):
        chunk = runs[i : i + BATCH]
        rows = _select(conn, *_posts_in_runs(conn, chunk, sorted(hand)))
        rows += _hand_rows_in_runs(hand, chunk)
        where, params = _in(conn, "account_id", sorted({a for a, _, _ in chunk}))
        counted = {a: (s, h) for a, s, h in _select(
            conn, f"SELECT account_id, sender, host FROM story_accounts WHERE {where}", params)}
        cur = _cursor(conn)
        try:
            cur.executemany(_sql_for(conn, "DELETE FROM story_weeks WHERE account_id = ? AND week >= ? AND week <= ?"),
                            chunk)
        finally:
            cur.close()
        _insert(conn, "story_weeks", WEEK_COLUMNS, _week_sums(rows, counted))


WEEK_COLUMNS = ("account_id", "week", "key", "n", "first_at", "first_id")
HAND_MAX = 4096  # posts in hand left out of a recount's read by id (SQLite binds at most 32,766 values)
RUN_GAP = timedelta(days=28)  # touched weeks of an account this close are recounted as one range


def _runs(weeks: Iterable[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(account, first week, last week) ranges covering these weeks; every week inside one is recounted."""
    runs: list[list] = []
    for a, w in sorted(set(weeks)):
        if runs and runs[-1][0] == a and _monday(w) - _monday(runs[-1][2]) <= RUN_GAP:
            runs[-1][2] = w
        else:
            runs.append([a, w, w])
    return [(a, lo, hi) for a, lo, hi in runs]


def _hand_rows_in_runs(hand: Mapping[int, list[tuple]], runs: list[tuple[int, str, str]]) -> list[tuple]:
    """The rows in hand of posts whose account and week fall in one of these runs."""
    spans: dict[int, list[tuple[str, str]]] = {}
    for a, lo, hi in runs:
        spans.setdefault(a, []).append((lo, hi))
    out: list[tuple] = []
    for rows in hand.values():
        a, week = rows[0][0], rows[0][1]
        if any(lo <= week <= hi for lo, hi in spans.get(a, ())):
            out += rows
    return out


def _posts_in_runs(conn: Connection, runs: list[tuple[int, str, str]], leave_out: Sequence[int] = ()
                   ) -> tuple[str, list]:
    """The query of every summed post (with its countries) in these runs of weeks, by the index on
    (account_id, created_at): time bounds from the weeks (on SQLite the stored text's date decides the
    week, so comparing it with the Mondays' dates is exact), and the week itself; not the posts of
    `leave_out` (told by the post id the index holds, before their rows are read)."""
    ends = [(_monday(hi) + timedelta(days=7)) for _, _, hi in runs]
    if conn.dialect.name == "postgresql":
        source = "unnest(?::int[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[]) AS t(a, wlo, whi, lo, hi)"
        params = [[r[0] for r in runs], [r[1] for r in runs], [r[2] for r in runs],
                  [_monday(r[1]) for r in runs], ends]
    else:
        source = "(SELECT column1 AS a, column2 AS wlo, column3 AS whi, column4 AS lo, column5 AS hi FROM (VALUES " \
                 + ", ".join(["(?, ?, ?, ?, ?)"] * len(runs)) + ")) t"
        params = [v for r, end in zip(runs, ends, strict=True) for v in (*r, r[1], end.date().isoformat())]
    skip = ""
    if leave_out and conn.dialect.name == "postgresql":
        skip, params = " AND s.post_id <> ALL(?)", [*params, list(leave_out)]
    elif leave_out:
        skip, params = f" AND s.post_id NOT IN ({', '.join('?' * len(leave_out))})", [*params, *leave_out]
    return ("SELECT s.account_id, s.week, s.created_at, s.post_id, s.lang, s.veiled_hostile, "
            f"c.code, c.mentioned, c.targeted FROM {source} CROSS JOIN story_posts s "
            "LEFT JOIN story_countries c ON c.post_id = s.post_id "
            f"WHERE s.account_id = t.a AND s.created_at >= t.lo AND s.created_at < t.hi{skip} "
            "AND s.week >= t.wlo AND s.week <= t.whi"), params


def _week_keys_of(cs: list[tuple], lang: str | None, vh: Any, acc: tuple | None) -> list[str]:
    """The keys one post counts for (see `_weeks_sql`), from its country rows (code, mentioned, targeted)
    and its account's (sender, host) if counted."""
    keys = ["n", "l:" + (lang if lang is not None else "und")]
    if vh:
        keys.append("vh")
    tg = h = hs = x = False
    sender, host = acc if acc is not None else (None, None)
    for c, m, t in cs:
        if m:
            keys.append("m:" + c)
        if t:
            keys.append("t:" + c)
            tg = True
            x = x or (c != host and c != sender)  # a None host or sender never equals a code
        if c == host:
            h = hs = True
        elif m and c == sender:
            hs = True
    if tg:
        keys.append("tg")
    if acc is not None:
        if h:
            keys.append("h")
        if hs:
            keys.append("hs")
        if x:
            keys.append("x")
    return keys


def _week_sums(rows: list[tuple], counted: Mapping[int, tuple]) -> list[tuple]:
    """story_weeks rows from the posts of whole weeks: per key, how many posts and the first in time."""
    posts: dict[int, tuple] = {}
    for a, w, at, pid, lang, vh, code, m, t in rows:
        p = posts.get(pid)
        if p is None:
            p = posts[pid] = (a, w, at, lang, vh, [])
        if code is not None:
            p[5].append((code, m, t))
    sums: dict[tuple, list] = {}
    for pid, (a, w, at, lang, vh, cs) in posts.items():
        first = (at, pid)
        for key in _week_keys_of(cs, lang, vh, counted.get(a)):
            s = sums.get((a, w, key))
            if s is None:
                sums[(a, w, key)] = [1, first]
            else:
                s[0] += 1
                if first < s[1]:  # noqa: PLR1730 (min() and its call cost more, 40,000 times a run)
                    s[1] = first
    return [(a, w, key, n, at, pid) for (a, w, key), (n, (at, pid)) in sorted(sums.items())]


def _monday(week: str) -> datetime:
    return datetime.fromisoformat(week).replace(tzinfo=UTC)


def flag_forwards(conn: Connection, post_ids: Sequence[int] | None = None) -> int:
    """Mark posts that repeat a text their account posted up to ten minutes before (both ways in time).

    Without `post_ids`, every post of the workspace (the backfill). Returns how many were marked.
    """
    same = f"q.account_id = p.account_id AND {_sql(conn)['near']} AND q.id <> p.id AND q.kind != 'reply' " \
           "AND q.text = p.text"
    if post_ids is not None and conn.dialect.name == "postgresql":
        # Each post's neighbours by the (account, time) index: without statistics (a fresh workspace)
        # PostgreSQL sorted every post of the workspace for each batch; OFFSET 0 keeps the subquery apart.
        q = ("SELECT p.id, p.created_at, q.id, q.created_at FROM posts p CROSS JOIN LATERAL "
             f"(SELECT q.id, q.created_at FROM posts q WHERE {same} OFFSET 0) q")
    else:
        q = f"SELECT p.id, p.created_at, q.id, q.created_at FROM posts p JOIN posts q ON {same}"
    q += " WHERE p.kind != 'reply' AND p.created_at IS NOT NULL"
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
    # Statistics now, not at autovacuum's next pass; but not of empty tables (a new workspace): those
    # would tell the planner the tables stay empty, and the first analyze, filling them, checked each
    # story_countries row's key by scanning story_posts (quadratic: 17.6 s of a 20,000-post run).
    if conn.dialect.name == "postgresql" and conn.execute(text("SELECT EXISTS (SELECT 1 FROM story_posts)")).scalar():
        conn.execute(text("ANALYZE story_posts, story_countries, story_weeks, story_accounts"))
