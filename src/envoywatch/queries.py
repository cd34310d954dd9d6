"""Read-side queries shared by the CLI, the JSON API and the dashboard."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY

from envoywatch.prefix_terms import match_expression, prefix_terms, tokenizer_of
from envoywatch.store.db import Store
from envoywatch.store.schema import (
    accounts,
    actors,
    annotations,
    events,
    mentions,
    post_labels,
    posts,
)
from envoywatch.timeutil import as_utc, iso, iso_stored

MAX_PER_PAGE = 500
COUNT_CAP = 1_000  # totals above this are reported as COUNT_CAP (counting millions costs seconds)


@dataclass
class PostFilter:
    """Filters that the CLI, the API and the search page share."""

    q: str | None = None
    account: str | None = None  # "platform:handle", "handle", or an actor name
    actor: str | None = None
    platform: str | None = None
    lang: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    target: str | None = None  # ISO code the post is hostile to
    technique: str | None = None
    kind: str | None = None
    watched: bool | None = None
    page: int = 1
    per_page: int = 50


def search_words(q: str) -> list[str]:
    """The words of a query; quotes, stars and operators in the input are never syntax."""
    return re.findall(r"\w+", q, flags=re.UNICODE)[:20]


def fts_query(q: str) -> str:
    """FTS5 prefix terms, so that «Казахстан» also finds «Казахстана» and «Казахстаном»."""
    return " ".join(f'"{w}"*' for w in search_words(q))


def ts_query(q: str, prefix: bool = True) -> str:
    """The same for PostgreSQL's to_tsquery: every word as a prefix, all required.

    A server with the C locale does not fold non-Latin case, so a non-ASCII word also goes in as
    lower-case and capitalised; an ASCII word is folded by the 'simple' dictionary in every locale,
    and each extra prefix variant is another GIN scan (a two-word search at 6M posts: 620 -> 345 ms).
    `prefix=False`: the words whole, which match a subset of the posts the prefixes match.
    """
    star = ":*" if prefix else ""
    terms = []
    for w in search_words(q):
        variants = [w.lower()] if w.isascii() else sorted({w, w.lower(), w.capitalize()})
        terms.append("(" + " | ".join(f"{v}{star}" for v in variants) + ")")
    return " & ".join(terms)


def account_parts(value: str):
    """`account_condition` in two parts: the condition on `accounts`, and the actor name it also accepts."""
    v = value.strip().lstrip("@")
    if ":" in v and v.split(":", 1)[0] in ("x", "facebook", "instagram", "telegram", "bluesky", "mastodon", "web"):
        platform, handle = v.split(":", 1)
        return and_(accounts.c.platform == platform, accounts.c.handle == handle.lower().lstrip("@")), None
    return accounts.c.handle == v.lower(), value.strip()


def account_condition(value: str):
    """Match an account by "platform:handle", a bare handle, or its actor's name."""
    cond, actor_name = account_parts(value)
    return cond if actor_name is None else or_(cond, actors.c.name == actor_name)


def account_label(platform: str, handle: str | None, platform_id: str | None = None) -> str:
    """"platform:handle", or the platform's own id for accounts without a public handle."""
    return f"{platform}:{handle or platform_id or '?'}"


def _count_base(f: PostFilter) -> Select:
    """Post ids, joined only to the tables the filter reads: counting needs no annotation or actor rows."""
    j = posts
    if f.account or f.actor or f.watched is not None:
        j = j.join(accounts, posts.c.account_id == accounts.c.id)
        if f.account or f.actor:
            j = j.outerjoin(actors, accounts.c.actor_id == actors.c.id)
    if f.lang:
        j = j.outerjoin(annotations, annotations.c.post_id == posts.c.id)
    return select(posts.c.id).select_from(j)


# The posts columns `post_dict` shows: not the raw payload, nor the JSON columns no view or export writes
# (mentions, hashtags, edits, unmapped: each one parsed per row cost an export about 4 us a post).
POST_VIEW = tuple(posts.c[name] for name in ("id", "platform", "platform_id", "account_id", "created_at", "text",
                                            "lang", "kind", "in_reply_to", "url", "has_media", "metrics"))


def _base() -> Select:
    return (select(*POST_VIEW, accounts.c.handle, accounts.c.platform_id.label("account_pid"),
                   accounts.c.watched, actors.c.name.label("actor"),
                   actors.c.id.label("actor_id"), annotations.c.data.label("annotation"))
            .select_from(posts.join(accounts, posts.c.account_id == accounts.c.id)
                         .outerjoin(actors, accounts.c.actor_id == actors.c.id)
                         .outerjoin(annotations, annotations.c.post_id == posts.c.id)))


FTS_IDS = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH :m"
TS_IDS = "SELECT p.id FROM posts AS p WHERE p.fts_vector @@ to_tsquery('simple', :m)"  # stored column (0009)
DENSE = 2_000  # matches above which reading the newest posts and checking each beats sorting every match


def _target_ids(f: PostFilter):
    return select(mentions.c.post_id).where(mentions.c.code == f.target.upper(), mentions.c.stance == "hostile")


def _technique_ids(f: PostFilter):
    return select(post_labels.c.post_id).where(post_labels.c.kind == "technique", post_labels.c.label == f.technique)


def dense_filter(conn, f: PostFilter) -> bool:
    """On SQLite: whether a search, country or technique matches so many posts that walking the newest
    posts and checking each is cheaper than sorting all matches (SQLite's planner cannot tell)."""
    if conn.dialect.name == "postgresql":  # its planner misjudges rare words: it walks dates, parsing every post
        return bool(ts_query(f.q or "")) and any(  # whole words first: a subset, without GIN's prefix bitmaps
            _longer_than(conn, text(TS_IDS).columns(id=Integer).bindparams(m=m), DENSE)
            for m in (ts_query(f.q, prefix=False), ts_query(f.q)))
    if conn.dialect.name != "sqlite":
        return False
    match = fts_query(f.q or "")
    lists = [text(FTS_IDS).columns(rowid=Integer).bindparams(m=match)] if match else []
    lists += [_target_ids(f)] if f.target else []
    lists += [_technique_ids(f)] if f.technique else []
    return any(_longer_than(conn, ids, DENSE) for ids in lists)


def _longer_than(conn, ids, n: int) -> bool:
    capped = select(func.count()).select_from(select(ids.subquery()).limit(n + 1).subquery())
    return conn.execute(capped).scalar_one() > n


def _id_in(ids, newest_first_scan: bool):
    """`posts.id IN ids`; with `newest_first_scan`, as "+posts.id" so SQLite walks the date index instead."""
    if not newest_first_scan:
        return posts.c.id.in_(ids)
    sql = str(ids.compile(compile_kwargs={"literal_binds": True}))
    return text(f"+posts.id IN ({sql})")


def apply_filter(q: Select, f: PostFilter, dialect: str, newest_first_scan: bool = False) -> Select:
    if f.q and f.q.strip():
        if dialect == "sqlite":
            match = fts_query(f.q)
            if match and newest_first_scan:  # "+": SQLite walks the date index and checks each post
                q = q.where(text(f"+posts.id IN ({FTS_IDS})").bindparams(m=match))
            elif match:
                q = q.where(posts.c.id.in_(text(FTS_IDS).bindparams(m=match)))
        elif ts_query(f.q) and newest_first_scan:
            q = q.where(text("posts.fts_vector @@ to_tsquery('simple', :m)")
                        .bindparams(m=ts_query(f.q)))
        elif ts_query(f.q):  # few matches: from the GIN index first ("OFFSET 0" keeps it a separate step)
            q = q.where(posts.c.id.in_(text(TS_IDS + " OFFSET 0").bindparams(m=ts_query(f.q))))
    if f.account:
        q = q.where(account_condition(f.account))
    if f.actor:
        q = q.where(actors.c.name == f.actor)
    for col, val in ((posts.c.platform, f.platform), (posts.c.kind, f.kind)):
        if val:
            q = q.where(col == val)
    if f.lang:
        q = q.where(func.coalesce(annotations.c.lang, posts.c.lang) == f.lang)
    if f.date_from:
        q = q.where(posts.c.created_at >= as_utc(f.date_from))
    if f.date_to:
        q = q.where(posts.c.created_at < as_utc(f.date_to))
    if f.watched is not None:
        q = q.where(accounts.c.watched.is_(f.watched))
    if f.target:  # IN, not EXISTS: the database may start from the (code, stance, post_id) index
        q = q.where(_id_in(_target_ids(f), newest_first_scan and dialect == "sqlite"))
    if f.technique:
        q = q.where(_id_in(_technique_ids(f), newest_first_scan and dialect == "sqlite"))
    return q


def post_dict(r) -> dict[str, Any]:
    m = r._mapping
    ann = m["annotation"] or {}
    out = {
        "id": m["id"], "platform": m["platform"], "platform_id": m["platform_id"],
        "account": account_label(m["platform"], m["handle"], m["account_pid"]), "actor": m["actor"],
        "watched": bool(m["watched"]),
        "created_at": iso(m["created_at"]), "text": m["text"], "kind": m["kind"],
        "in_reply_to": m["in_reply_to"], "url": m["url"], "has_media": bool(m["has_media"]),
        "metrics": m["metrics"] or {}, "lang": ann.get("lang") or m["lang"], "analysed": bool(ann),
    }
    out.update({k: v for k, v in ann.items() if k not in ("id", "lang")})
    return out


def count_posts(conn, f: PostFilter, cap: int = COUNT_CAP, newest_first_scan: bool = False) -> int:
    """How many posts match, counted up to `cap`: a page needs 50 rows, not a count over millions."""
    ids = apply_filter(_count_base(f), f, conn.dialect.name, newest_first_scan).limit(cap)
    return conn.execute(select(func.count()).select_from(ids.subquery())).scalar_one()


def _only_one_list(f: PostFilter) -> bool:
    others = (f.account, f.actor, f.platform, f.lang, f.date_from, f.date_to, f.kind, f.watched is not None)
    return not any(others) and sum(bool(x) for x in (fts_query(f.q or ""), f.target, f.technique)) == 1


WINDOW = 5_000  # newest posts a SQLite search looks in first (grown tenfold once) before searching them all


def _newest_window(conn, k: int) -> tuple[int, str] | None:
    """The lowest id and the oldest date among the `k` newest posts (from the date index), or None
    when the workspace has no more than `k` dated posts (then the window is everything)."""
    row = conn.exec_driver_sql(
        "SELECT min(id), min(created_at), count(*) FROM (SELECT id, created_at FROM posts "
        "WHERE created_at IS NOT NULL ORDER BY created_at DESC LIMIT ?)", (k,)).one()
    return (row[0], row[1]) if row[2] >= k else None


def window_search_query(f: PostFilter, low_id: int, oldest: str, limit: int, match: str | None = None) -> Select:
    """Ids and dates of the newest matches of a SQLite search among posts dated `oldest` or later: the
    date index walked newest first, each post checked against the full-text matches from `low_id` on.

    `match`: the FTS5 query, by default the search's prefixes (`window_match` lists exact terms)."""
    return (apply_filter(_count_base(f).add_columns(posts.c.created_at), replace(f, q=None), "sqlite",
                         newest_first_scan=True)
            .where(text("posts.created_at >= :oldest").bindparams(oldest=oldest))
            .where(text(f"+posts.id IN ({FTS_IDS} AND rowid >= :low_id)")
                   .bindparams(m=match or fts_query(f.q or ""), low_id=low_id))
            .order_by(posts.c.created_at.desc(), posts.c.id.desc()).limit(limit))


def window_match(conn, q: str, low_id: int, oldest: str) -> str | None:
    """The search as the exact terms its words begin in the window's texts (see `prefix_terms`): the
    same posts of the window as its prefixes, without merging each prefix's match list over the whole
    workspace. "" when a word begins no term there (the window has no match); None when the terms
    cannot be listed, and the prefixes are the query."""
    tokenize = tokenizer_of(conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'posts_fts'").scalar())
    if tokenize is None:
        return None
    texts = conn.connection.driver_connection.execute(  # the driver's rows: a third of the time SQLAlchemy's take
        "SELECT text FROM posts WHERE created_at >= ? AND +id >= ?", (oldest, low_id))  # "+": the date index
    groups = prefix_terms(tokenize, search_words(q), (t for (t,) in texts))
    if groups is None:
        return None
    return match_expression(groups) if all(groups) else ""


def _windowed_search(conn, f: PostFilter, need: int) -> list[int] | None:
    """Ids of the newest matches of a SQLite search, up to max(need, COUNT_CAP), from the newest posts only.

    Every post dated on or after the window's oldest date is in the window, so when the window holds
    `need` matches they are exactly the first `need` of the whole search, in the same order. The
    full-text list is restricted to ids from the window's lowest id on, so SQLite sorts thousands of
    matches instead of every match of a common word (ids mostly follow time: posts arrive roughly in
    order). None when the window is too small; the caller then searches everything.
    """
    if not fts_query(f.q or "") or need > 20 * WINDOW:
        return None
    for k in (WINDOW, 10 * WINDOW):
        size = max(k, 4 * need)
        window = _newest_window(conn, size)
        if window is None:
            return None
        # reading a window's texts costs about 2 us a post: cheaper than a common prefix's merge only
        # for the first window (a word that needs the tenfold one is rarer, and so is its merge)
        match = window_match(conn, f.q, *window) if size <= WINDOW else None
        found = [] if match == "" else [
            r[0] for r in conn.execute(window_search_query(f, *window, max(need, COUNT_CAP), match))]
        if len(found) >= need:
            return found
        if 10 * len(found) < max(need, COUNT_CAP):  # too rare for a ten times larger window to settle
            return None  # the page and its count: start from the match list instead
    return None


def _windowed_page(conn, f: PostFilter, per: int, page: int) -> tuple[list, int | None] | None:
    """A search page from `_windowed_search`, and its total when the window alone proves it (COUNT_CAP)."""
    found = _windowed_search(conn, f, page * per)
    if found is None:
        return None
    want = found[(page - 1) * per: page * per]
    by_id = {r.id: r for r in conn.execute(_base().where(posts.c.id.in_(want)))}
    return [by_id[i] for i in want if i in by_id], (COUNT_CAP if len(found) >= COUNT_CAP else None)


def list_posts(store: Store, f: PostFilter) -> tuple[list[dict[str, Any]], int]:
    """One page of posts with their annotations, newest first, and the total (at most COUNT_CAP)."""
    per = max(1, min(f.per_page, MAX_PER_PAGE))
    page = max(1, f.page)
    with store.read() as conn:
        windowed = _windowed_page(conn, f, per, page) if store.dialect == "sqlite" and f.q else None
        if windowed is not None and windowed[1] is not None:
            rows, total = windowed
            return [post_dict(r) for r in rows], max(total, (page - 1) * per + len(rows))
        walk = dense_filter(conn, f)
        if windowed is not None:  # the page came from the newest posts; only the count needs every match
            rows = windowed[0]
        else:
            base = apply_filter(_base(), f, store.dialect, newest_first_scan=walk)
            rows = conn.execute(base.order_by(posts.c.created_at.desc(), posts.c.id.desc())
                                .limit(per).offset((page - 1) * per)).all()
        if page == 1 and len(rows) < per:
            total = len(rows)
        elif walk and _only_one_list(f):  # a dense list alone has more than DENSE > COUNT_CAP matches
            total = COUNT_CAP
        else:
            total = count_posts(conn, f, newest_first_scan=walk)
    return [post_dict(r) for r in rows], max(total, (page - 1) * per + len(rows))


def iter_posts(store: Store, f: PostFilter, chunk: int = 1000):
    """Every post matching the filter in workspace order, streamed by keyset (for exports)."""
    base = apply_filter(_base(), f, store.dialect).order_by(posts.c.id)
    last = 0
    while True:
        with store.read() as conn:
            rows = conn.execute(base.where(posts.c.id > last).limit(chunk)).all()
        if not rows:
            return
        yield from (post_dict(r) for r in rows)
        last = rows[-1].id


def get_post(store: Store, post_id: int) -> dict[str, Any] | None:
    with store.read() as conn:
        r = conn.execute(_base().where(posts.c.id == post_id)).first()
    return post_dict(r) if r else None


def replies_to(store: Store, post_id: int, limit: int = 500) -> list[dict[str, Any]]:
    with store.read() as conn:
        p = conn.execute(select(posts.c.platform, posts.c.platform_id).where(posts.c.id == post_id)).first()
        if not p:
            return []
        rows = conn.execute(_base().where(posts.c.platform == p.platform, posts.c.in_reply_to == p.platform_id)
                            .order_by(posts.c.created_at).limit(limit)).all()
    return [post_dict(r) for r in rows]


def event_dict(r, refs: dict[int, dict]) -> dict[str, Any]:
    m = r._mapping
    return {
        "id": m["id"], "type": m["type"], "key": m["key"],
        "account": f"{m['platform']}:{m['handle']}" if m["handle"] else None,
        "actor": m["actor"], "start": iso(m["start"]), "end": iso(m["end"]), "score": m["score"],
        "summary": m["summary"], **{k: v for k, v in (m["data"] or {}).items() if k not in ("type", "id")},
        "evidence": [refs.get(i, {"id": i}) for i in m["evidence"] or []],
    }


def _events_query(q: Select, type: str | None, account: str | None, date_from: datetime | None,
                  date_to: datetime | None, where) -> Select:
    """`q` over events joined to their account and actor, narrowed by the shared event filters."""
    q = q.select_from(events.outerjoin(accounts, events.c.account_id == accounts.c.id)
                      .outerjoin(actors, events.c.actor_id == actors.c.id))
    if type:
        q = q.where(events.c.type == type)
    if account:
        q = q.where(or_(account_condition(account), actors.c.name == account))
    if date_from:
        q = q.where(events.c.start >= as_utc(date_from))
    if date_to:
        q = q.where(events.c.start < as_utc(date_to))
    return q if where is None else q.where(where)


def list_events(store: Store, type: str | None = None, account: str | None = None,
                date_from: datetime | None = None, date_to: datetime | None = None,
                limit: int | None = None, where=None, refs: bool = True, offset: int = 0) -> list[dict[str, Any]]:
    """Events in time order, each with its evidence posts as {id, platform_id, url, account}
    (only {id} with `refs=False`, for callers that read the events' data alone).

    `where` is an extra SQL condition on `events`, so callers narrow in the database, not in Python;
    `limit` and `offset` page through them there too.
    """
    q = _events_query(select(events, accounts.c.platform, accounts.c.handle, actors.c.name.label("actor")),
                      type, account, date_from, date_to, where).order_by(events.c.start, events.c.id)
    if limit:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    with store.read() as conn:
        rows = conn.execute(q).all()
        cited = evidence_refs(conn, sorted({i for r in rows for i in (r.evidence or [])})) if refs else {}
    return [event_dict(r, cited) for r in rows]


def count_events(store: Store, type: str | None = None, account: str | None = None,
                 date_from: datetime | None = None, date_to: datetime | None = None, where=None) -> int:
    """How many events `list_events` finds with the same filters."""
    with store.read() as conn:
        return conn.execute(_events_query(select(func.count()), type, account, date_from, date_to, where)).scalar_one()


def in_list(column, values: list, dialect: str):
    """`column IN values`; on PostgreSQL `column = ANY(:array)`, one parameter whatever the length: the
    statement's text stays the same, so psycopg converts it once instead of on every page (a statement
    of hundreds of placeholders is too long for its cache: about 10 ms of CPU for 350 ids)."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def evidence_refs(conn, ids: list[int]) -> dict[int, dict]:
    """{id, platform_id, url, account, created_at} of each post, read as plain tuples (stories cite hundreds)."""
    refs: dict[int, dict] = {}
    raw = conn.dialect.name == "sqlite"  # dates as stored, converted once below instead of by the DateTime type
    at = type_coerce(posts.c.created_at, String) if raw else posts.c.created_at
    step = 500 if raw else max(1, len(ids))  # PostgreSQL takes any number of ids as one array parameter
    for i in range(0, len(ids), step):
        q = (select(posts.c.id, posts.c.platform_id, posts.c.url, at, posts.c.platform,
                    accounts.c.handle, accounts.c.platform_id.label("account_pid"))
             .join(accounts, posts.c.account_id == accounts.c.id)
             .where(in_list(posts.c.id, ids[i : i + step], conn.dialect.name)))
        for pid, platform_id, url, created, platform, handle, account_pid in conn.execute(q).all():
            refs[pid] = {"id": pid, "platform_id": platform_id, "url": url,
                         "account": account_label(platform, handle, account_pid),
                         "created_at": iso_stored(created) if raw else iso(created)}
    return refs
