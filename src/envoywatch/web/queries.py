"""Read queries the dashboard needs beyond `envoywatch.queries`: subjects, weekly series, countries."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select, text, union
from sqlalchemy.orm import aliased

from envoywatch.events.base import EVENT_TYPES
from envoywatch.queries import account_condition, account_parts, list_events
from envoywatch.store import page_sums, replies
from envoywatch.store.db import Store
from envoywatch.store.schema import (
    accounts,
    actors,
    annotations,
    event_accounts,
    events,
    mentions,
    post_labels,
    posts,
)
from envoywatch.timeutil import as_utc, iso


@dataclass
class Subject:
    """An actor (all its accounts) or a single account: what an actor page is about."""

    kind: str  # "actor" | "account"
    label: str
    slug: str  # what /api/story/{slug} and the page URLs accept
    actor_id: int | None = None
    actor: str | None = None
    role: str | None = None
    sending_country: str | None = None
    host_country: str | None = None
    accounts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def account_ids(self) -> list[int]:
        return [a["id"] for a in self.accounts]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "slug": self.slug, "actor": self.actor,
                "role": self.role, "sending_country": self.sending_country,
                "host_country": self.host_country,
                "accounts": [{k: a[k] for k in ("account", "platform", "handle", "watched")} for a in self.accounts]}


def _account_rows(conn, where) -> list[dict[str, Any]]:
    q = (select(accounts.c.id, accounts.c.platform, accounts.c.handle, accounts.c.watched,
                accounts.c.display_name, accounts.c.actor_id)
         .select_from(accounts.outerjoin(actors, accounts.c.actor_id == actors.c.id)).where(where)
         .order_by(accounts.c.platform, accounts.c.handle))
    return [{"id": r.id, "platform": r.platform, "handle": r.handle, "watched": bool(r.watched),
             "display_name": r.display_name, "actor_id": r.actor_id,
             "account": f"{r.platform}:{r.handle}"} for r in conn.execute(q)]


def resolve_subject(store: Store, who: str) -> Subject | None:
    """Find an actor by id or name, or an account by "platform:handle" or handle."""
    who = (who or "").strip()
    if not who:
        return None
    with store.read() as conn:
        actor = None
        if who.isdigit():
            actor = conn.execute(select(actors).where(actors.c.id == int(who))).first()
        if actor is None:
            actor = conn.execute(select(actors).where(func.lower(actors.c.name) == who.lower())).first()
        if actor is not None:
            accs = _account_rows(conn, accounts.c.actor_id == actor.id)
            return Subject("actor", actor.name, str(actor.id), actor.id, actor.name, actor.role,
                           actor.sending_country, actor.host_country, accs)
        accs = _account_rows(conn, account_condition(who))
        if not accs:
            return None
        acc = accs[0]
        a = conn.execute(select(actors).where(actors.c.id == acc["actor_id"])).first() if acc["actor_id"] else None
    return Subject("account", acc["account"], acc["account"], a.id if a else None, a.name if a else None,
                   a.role if a else None, a.sending_country if a else None, a.host_country if a else None,
                   [acc])


def week_of(dt: datetime | None) -> str | None:
    """ISO date of the Monday starting the UTC week of `dt`."""
    dt = as_utc(dt)
    if dt is None:
        return None
    d = dt.date()
    return (d - timedelta(days=d.weekday())).isoformat()


def watched_actors(store: Store) -> list[dict[str, Any]]:
    """Every actor with watched accounts, its own posts (not its replies, as its page counts them), its
    newest post and its posts per week.

    Counted from the actor page's kept rows (`store.page_sums`) when they are fresh, else in the
    database from the posts' (account, date) index: counting the posts took 3.7 s at a million posts.
    """
    with store.read() as conn:
        rows = conn.execute(
            select(actors.c.id, actors.c.name, actors.c.role, actors.c.sending_country, actors.c.host_country)
            .select_from(actors.join(accounts, accounts.c.actor_id == actors.c.id))
            .where(accounts.c.watched.is_(True))
            .group_by(actors.c.id, actors.c.name, actors.c.role, actors.c.sending_country, actors.c.host_country)
            .order_by(actors.c.name)).all()
        members = dict(conn.execute(select(accounts.c.id, accounts.c.actor_id)
                                    .where(accounts.c.watched.is_(True), accounts.c.actor_id.is_not(None))).all())
        weekly = page_sums.weekly_posts(conn, list(members))
        if weekly is None:
            weekly = conn.execute(_own_weeks(store.dialect, list(members))).all()
        newest = conn.execute(_newest_posts(list(members))).all()
    totals: Counter[int] = Counter()
    weeks: dict[int, Counter[str]] = defaultdict(Counter)
    for acc, w, n in weekly:
        totals[members[acc]] += n
        if w:
            weeks[members[acc]][w] += n
    last: dict[int, Any] = {}
    for acc, at in newest:
        if at is not None and (members[acc] not in last or as_utc(at) > last[members[acc]]):
            last[members[acc]] = as_utc(at)
    return [{"id": r.id, "name": r.name, "role": r.role, "sending_country": r.sending_country,
             "host_country": r.host_country, "posts": totals[r.id], "last_post": iso(last.get(r.id)),
             "weekly": [{"week": w, "posts": n} for w, n in sorted(weeks[r.id].items())]} for r in rows]


def _own_weeks(dialect: str, ids: list[int]):
    """(account, week or '', posts) of these accounts' own posts, counted live (as `page_weeks` keeps them)."""
    week = func.coalesce(week_sql(posts.c.created_at, dialect), "").label("week")
    return (select(posts.c.account_id, week, func.count()).where(posts.c.account_id.in_(ids or [-1]),
                                                                  posts.c.kind != "reply")
            .group_by(posts.c.account_id, week))


def _newest_posts(ids: list[int]):
    """(account, time of its newest own post): one seek each in the own-posts index."""
    p = posts.alias("p")
    newest = (select(p.c.created_at)  # the literal lets SQLite use the partial index on own posts
              .where(p.c.account_id == accounts.c.id, literal_column("p.kind != 'reply'"), p.c.created_at.is_not(None))
              .order_by(p.c.created_at.desc()).limit(1).scalar_subquery())
    return select(accounts.c.id, newest).where(accounts.c.id.in_(ids or [-1]))


def week_sql(col, dialect: str):
    """`week_of` in SQL: the Monday starting the UTC week, as YYYY-MM-DD, so weeks are counted in the database."""
    if dialect == "postgresql":
        return func.to_char(func.date_trunc("week", func.timezone("UTC", col)), "YYYY-MM-DD")
    return func.date(func.substr(col, 1, 10), "weekday 0", "-6 days")  # stored as naive UTC text


def _authored(conn, ids: list[int]) -> list[Any]:
    """The subject's own posts per week: how many, how many analysed, undiplomatic sum and count."""
    w = week_sql(posts.c.created_at, conn.dialect.name).label("week")
    q = (select(w, func.count().label("n"), func.count(annotations.c.post_id).label("ann"),
                func.sum(annotations.c.undiplomatic).label("und"), func.count(annotations.c.undiplomatic).label("und_n"))
         .select_from(posts.outerjoin(annotations, annotations.c.post_id == posts.c.id))
         .where(posts.c.account_id.in_(ids), posts.c.kind != "reply")  # its own posts, as the story counts
         .group_by(w))
    return conn.execute(q).all()


def _replies(conn, ids: list[int]) -> list[Any]:
    """Replies by others to the subject's posts, per week: how many, hostile, block claims (kept sums)."""
    return replies.subject_rows(conn, ids)


def _targets(conn, ids: list[int], host: str | None) -> list[Any]:
    """Hostile country mentions in the subject's posts, and the host country's in any stance, per week, code,
    stance and account, with the first post's date (which orders equally targeted countries: see
    `host_relevance`)."""
    w = week_sql(posts.c.created_at, conn.dialect.name).label("week")
    q = (select(w, mentions.c.code, mentions.c.stance, posts.c.account_id, func.count().label("n"),
                func.min(posts.c.created_at).label("first"))
         .select_from(mentions.join(posts, posts.c.id == mentions.c.post_id))
         .where(posts.c.account_id.in_(ids), mentions.c.code.is_not(None),
                or_(mentions.c.stance == "hostile", mentions.c.code == host))
         .group_by(w, mentions.c.code, mentions.c.stance, posts.c.account_id))
    return conn.execute(q).all()


def _techniques(conn, ids: list[int]) -> list[Any]:
    w = week_sql(posts.c.created_at, conn.dialect.name).label("week")
    q = (select(w, post_labels.c.label, func.count().label("n"))
         .select_from(post_labels.join(posts, posts.c.id == post_labels.c.post_id))
         .where(posts.c.account_id.in_(ids), post_labels.c.kind == "technique")
         .group_by(w, post_labels.c.label))
    return conn.execute(q).all()


def subject_series(store: Store, subj: Subject) -> dict[str, Any]:
    """Weekly series for the actor page charts, plus host relevance and analysis coverage."""
    ids = subj.account_ids or [-1]
    with store.snapshot() as conn:  # the kept rows with the marks that say they are current
        host = subj.host_country
        kept = page_sums.subject_rows(conn, ids, host)  # None while some of them wait for a recount
        authored, targets, techs = kept or (_authored(conn, ids), _targets(conn, ids, host), _techniques(conn, ids))
        answers = _replies(conn, ids)
    n_posts = sum(r.n for r in authored)
    tally = _tally(targets, subj.host_country)
    tgt = tally[0]
    tech: dict[tuple, int] = {}
    for week, label, n in techs:
        tech[(week, label)] = tech.get((week, label), 0) + n
    authored = sorted(authored, key=_by_week)
    answers = sorted(answers, key=_by_week)
    return {
        "analysed": sum(r.ann for r in authored), "posts": n_posts, "replies": sum(r.n for r in answers),
        "posts_per_week": [{"week": r.week, "posts": r.n} for r in authored if r.week],
        "targets_per_week": [{"week": w, "country": c, "posts": n} for (w, c), n in sorted(tgt.items()) if w],
        "undiplomatic_per_week": [{"week": r.week, "undiplomatic": round(r.und / r.und_n, 3), "posts": r.und_n}
                                  for r in authored if r.week and r.und_n],
        "techniques_per_week": [{"week": w, "technique": t, "posts": n} for (w, t), n in sorted(tech.items()) if w],
        "replies_per_week": [{"week": r.week, "replies": r.n, "hostile": int(r.hostile or 0),
                              "hostile_share": round(int(r.hostile or 0) / r.n, 3)}
                             for r in answers if r.week],
        "block_claims_per_week": [{"week": r.week, "block_claims": int(r.blocks)}
                                  for r in answers if r.week and r.blocks],
        "host_relevance": host_relevance(subj, targets, n_posts, tally),
    }


def _by_week(r) -> str:
    return r.week or ""


def _tally(targets: list[Any], host: str | None) -> tuple[dict, dict, dict, int]:
    """One pass over the target rows (thousands for a busy actor, unpacked rather than read by name):
    hostile mentions per (week, country) and per country, each country's first hostile mention in
    reading order (account, then time), and the host country's mentions in any stance."""
    per_week: dict[tuple, int] = {}
    counts: dict[str, int] = {}
    met: dict[str, tuple] = {}
    mentions_host = 0
    for week, code, stance, account, n, first in targets:
        if host and code == host:
            mentions_host += n
        if stance == "hostile":
            per_week[(week, code)] = per_week.get((week, code), 0) + n
            counts[code] = counts.get(code, 0) + n
            at = (account, first is None, first or "")  # one engine, one type of time per call
            if code not in met or at < met[code]:
                met[code] = at
    return per_week, counts, met, mentions_host


def host_relevance(subj: Subject, targets: list[Any], n_posts: int, tally: tuple | None = None) -> dict[str, Any]:
    """How much the subject's attacks concern its host country rather than third countries.

    `targets` are counts of country mentions per week, code, stance and account, with the first post's
    time, in any order (`tally`: their `_tally`, when already made). Equally targeted countries keep the
    order an account-by-account, oldest-first reading meets them (the story's order).
    """
    host = subj.host_country
    _, counts, met, mentions_host = tally or _tally(targets, host)
    hostile = Counter({c: counts[c] for c in sorted(counts, key=lambda c: (met[c], c))})
    total = sum(hostile.values())
    return {
        "host_country": host, "posts": n_posts, "hostile_mentions": total,
        "host_share_of_targets": round(hostile[host] / total, 3) if host and total else None,
        "host_mentions": mentions_host,
        "third_country_share_of_targets": round(sum(n for c, n in hostile.items()
                                                    if c not in (host, subj.sending_country)) / total, 3)
        if total else None,
        "targets": [{"country": c, "posts": n, "share": round(n / total, 3), "is_host": c == host}
                    for c, n in hostile.most_common()],
    }


def _subject_names(subj: Subject) -> tuple[list, list[str]] | None:
    """What list_events(account=name) matches for each of the subject's names (its actor's and its
    accounts'): `account_parts` of each, and the actor names they accept; None when it has no name."""
    names = [subj.actor] if subj.kind == "actor" and subj.actor else []
    names += [a["account"] for a in subj.accounts]
    if not names:
        return None
    parts = [account_parts(n) for n in names]
    return parts, names + [a for _, a in parts if a]


def subject_event_ids(subj: Subject, dialect: str):
    """A select of the ids of the subject's events, through the events' indexes; None when it has no name.

    On PostgreSQL a bare handle (a name without a platform) is sought under each platform the accounts
    have, in the (platform, handle) index: it otherwise checked every event's account (8 ms at 8,500
    events; SQLite skips through the index by itself, and took twice as long with the platforms listed).
    """
    found = _subject_names(subj)
    if found is None:
        return None
    parts, names = found
    if dialect != "postgresql":
        by_account = [or_(*(c for c, _ in parts))]
    else:
        handles = [c for c, bare in parts if bare is None]
        bare = [c for c, b in parts if b is not None]
        by_account = ([or_(*handles)] if handles else []) + (
            [and_(accounts.c.platform.in_(ACCOUNT_PLATFORMS), or_(*bare))] if bare else [])
    return union(*(select(events.c.id).where(events.c.account_id.in_(select(accounts.c.id).where(c)))
                   for c in by_account),  # one index each: PostgreSQL read every event for an OR
                 select(events.c.id).where(events.c.actor_id.in_(select(actors.c.id).where(actors.c.name.in_(names)))))


def subject_event_row(subj: Subject):
    """Whether an event is the subject's, on the event's account and actor as `list_events` joins them
    (a flag per row, where `subject_event_ids` in a column would select the events again); None as there."""
    found = _subject_names(subj)
    return None if found is None else or_(*(c for c, _ in found[0]), actors.c.name.in_(found[1]))


def in_time_order(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events by start (undated first), then id: the order the actor page lists them in."""
    return sorted(found, key=lambda e: (e["start"] or "", e["id"]))


def subject_events(store: Store, subj: Subject, refs: bool = True) -> list[dict[str, Any]]:
    """Events of the subject's accounts (or its actor), in time order (evidence as ids only without `refs`)."""
    ids = subject_event_ids(subj, store.dialect)
    if ids is None:
        return []
    return in_time_order(list_events(store, where=events.c.id.in_(ids), refs=refs))


def country_profile(store: Store, code: str) -> dict[str, Any]:
    """Who targets this country, how often, and since when: from the kept rows when they are fresh."""
    code = code.upper()[:2]
    with store.read() as conn:
        counted = page_sums.country_rows(conn, code)
        if counted is None:
            counted = conn.execute(_country_live(code)).all()
        named = {r.id: r for r in conn.execute(
            select(accounts.c.id, accounts.c.platform, accounts.c.handle, actors.c.id.label("actor_id"), actors.c.name)
            .select_from(accounts.outerjoin(actors, actors.c.id == accounts.c.actor_id))
            .where(accounts.c.id.in_({r[0] for r in counted})))}
    by: dict[int, dict[str, Any]] = {}
    for account_id, stance, n, veiled, first, last in counted:
        a = named[account_id]
        d = by.setdefault(account_id, {"account": f"{a.platform}:{a.handle}", "actor": a.name, "actor_id": a.actor_id,
                                       "hostile": 0, "veiled": 0, "mentions": 0, "since": None, "last": None})
        d["mentions"] += int(n)
        if stance == "hostile":
            d["hostile"] += int(n)
            d["veiled"] += int(veiled or 0)
            d["since"] = min(filter(None, [d["since"], iso(first)]), default=None)
            d["last"] = max(filter(None, [d["last"], iso(last)]), default=None)
    rows = sorted(by.values(), key=lambda d: (-d["hostile"], -d["mentions"], d["account"]))
    return {"country": code, "accounts": rows, "hostile_posts": sum(d["hostile"] for d in rows),
            "mentions": sum(d["mentions"] for d in rows)}


def _country_live(code: str):
    """`page_sums.country_rows` counted from every mention of the country (while the kept rows wait)."""
    veiled = func.sum(case((mentions.c.veiled.is_(True), 1), else_=0))
    return (select(posts.c.account_id, mentions.c.stance, func.count(), veiled,
                   func.min(posts.c.created_at), func.max(posts.c.created_at))
            .select_from(mentions.join(posts, posts.c.id == mentions.c.post_id)
                         .join(accounts, accounts.c.id == posts.c.account_id))
            .where(mentions.c.code == code, accounts.c.watched.is_(True))
            .group_by(posts.c.account_id, mentions.c.stance))


def known_countries(store: Store) -> list[dict[str, Any]]:
    q = (select(mentions.c.code, func.count()).where(mentions.c.code.is_not(None), mentions.c.stance == "hostile")
         .group_by(mentions.c.code).order_by(func.count().desc()))
    with store.read() as conn:
        return [{"country": c, "hostile_posts": n} for c, n in conn.execute(q)]


def crosspost_clusters(store: Store, post_id: int) -> list[dict[str, Any]]:
    """Cross-post events whose evidence includes this post (among those naming its account)."""
    out = []
    account = select(posts.c.account_id).where(posts.c.id == post_id).scalar_subquery()
    named = select(event_accounts.c.event_id).where(event_accounts.c.account_id == account)
    for e in list_events(store, type="crosspost", where=events.c.id.in_(named)):
        if any(ev.get("id") == post_id for ev in e["evidence"]):
            out.append(e)
    return out


def latest_events(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The last `limit` events in time order, newest first (only their evidence is looked up)."""
    newest = select(events.c.id).order_by(events.c.start.desc(), events.c.id.desc()).limit(limit)
    return list(reversed(list_events(store, where=events.c.id.in_(newest))))


def distinct_values(table: str, column: str):
    """`SELECT DISTINCT column FROM table` as one index seek per value (a recursive CTE walking the
    column's index) instead of a pass over every row; the column needs an index to be fast."""
    return text(
        f"WITH RECURSIVE v(x) AS (SELECT min({column}) FROM {table} UNION ALL "
        f"SELECT (SELECT min({column}) FROM {table} WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) "
        "SELECT x FROM v WHERE x IS NOT NULL")


DISTINCT_PLATFORMS = distinct_values("posts", "platform")
ACCOUNT_PLATFORMS = distinct_values("accounts", "platform").columns(x=accounts.c.platform.type)  # by the
# (platform, handle) index it leads
DISTINCT_LANGS = distinct_values("annotations", "lang")  # through ix_annotations_lang: analysed posts


def filter_options(store: Store) -> dict[str, list[str]]:
    """Values for the search form's drop-downs."""
    with store.read() as conn:
        accs = [f"{p}:{h}" for p, h in conn.execute(
            select(accounts.c.platform, accounts.c.handle).where(accounts.c.watched.is_(True))
            .order_by(accounts.c.platform, accounts.c.handle))]
        platforms = list(conn.execute(DISTINCT_PLATFORMS).scalars())
        langs = [x for x in conn.execute(DISTINCT_LANGS).scalars() if x]
        techs = list(conn.execute(select(post_labels.c.label).where(post_labels.c.kind == "technique")
                                  .distinct().order_by(post_labels.c.label)).scalars())
        found = conn.execute(select(events.c.type).distinct().order_by(events.c.type)).scalars()
        types = list(EVENT_TYPES) + [t for t in found if t not in EVENT_TYPES]
    return {"accounts": accs, "platforms": platforms, "langs": langs, "techniques": techs, "event_types": types}


def parse_day(value: str | None) -> datetime | None:
    """A YYYY-MM-DD (or ISO) query parameter as aware UTC, or None when empty or malformed."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return as_utc(datetime.combine(date.fromisoformat(value), datetime.min.time()))
        return as_utc(value)
    except ValueError:
        return None


def parent_of(store: Store, post_id: int) -> dict[str, Any] | None:
    """The post this one replies to, when it is in the workspace."""
    from envoywatch.queries import get_post

    child = aliased(posts)
    q = (select(posts.c.id).select_from(child.join(posts, and_(posts.c.platform == child.c.platform,
                                                                posts.c.platform_id == child.c.in_reply_to)))
         .where(child.c.id == post_id))
    with store.read() as conn:
        pid = conn.execute(q).scalar()
    return get_post(store, pid) if pid is not None else None
