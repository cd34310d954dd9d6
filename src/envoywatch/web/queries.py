"""Read queries the dashboard needs beyond `envoywatch.queries`: subjects, weekly series, countries."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from envoywatch.events.base import EVENT_TYPES
from envoywatch.queries import account_condition, list_events
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
from envoywatch.timeutil import as_utc, iso

parent = aliased(posts)


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
    """Every actor with watched accounts, its post count, last post and weekly activity."""
    with store.read() as conn:
        rows = conn.execute(
            select(actors.c.id, actors.c.name, actors.c.role, actors.c.sending_country, actors.c.host_country,
                   func.count(posts.c.id).label("n"), func.max(posts.c.created_at).label("last"))
            .select_from(actors.join(accounts, accounts.c.actor_id == actors.c.id)
                         .outerjoin(posts, posts.c.account_id == accounts.c.id))
            .where(accounts.c.watched.is_(True))
            .group_by(actors.c.id, actors.c.name, actors.c.role, actors.c.sending_country, actors.c.host_country)
            .order_by(actors.c.name)).all()
        stamps = conn.execute(
            select(accounts.c.actor_id, posts.c.created_at)
            .select_from(posts.join(accounts, posts.c.account_id == accounts.c.id))
            .where(accounts.c.watched.is_(True), accounts.c.actor_id.is_not(None))).all()
    weeks: dict[int, Counter] = defaultdict(Counter)
    for actor_id, ts in stamps:
        if ts is not None:
            weeks[actor_id][week_of(ts)] += 1
    return [{"id": r.id, "name": r.name, "role": r.role, "sending_country": r.sending_country,
             "host_country": r.host_country, "posts": r.n, "last_post": iso(r.last),
             "weekly": sorted(({"week": w, "posts": n} for w, n in weeks[r.id].items()), key=lambda x: x["week"])}
            for r in rows]


def _authored(conn, ids: list[int]) -> list[Any]:
    q = (select(posts.c.id, posts.c.created_at, annotations.c.undiplomatic, annotations.c.post_id.label("ann"))
         .select_from(posts.outerjoin(annotations, annotations.c.post_id == posts.c.id))
         .where(posts.c.account_id.in_(ids), posts.c.kind != "reply"))  # its own posts, as the story counts
    return conn.execute(q).all()


def _replies(conn, ids: list[int]) -> list[Any]:
    """Replies by others to the subject's posts: when, hostile, block claim."""
    q = (select(posts.c.created_at, annotations.c.hostile, annotations.c.hostility, annotations.c.block_claim)
         .select_from(posts.join(parent, and_(parent.c.platform == posts.c.platform,
                                              parent.c.platform_id == posts.c.in_reply_to))
                      .outerjoin(annotations, annotations.c.post_id == posts.c.id))
         .where(parent.c.account_id.in_(ids), posts.c.account_id.not_in(ids)))
    return conn.execute(q).all()


def _targets(conn, ids: list[int]) -> list[Any]:
    q = (select(posts.c.created_at, mentions.c.code, mentions.c.role, mentions.c.stance, mentions.c.veiled)
         .select_from(mentions.join(posts, posts.c.id == mentions.c.post_id))
         .where(posts.c.account_id.in_(ids), mentions.c.code.is_not(None)))
    return conn.execute(q).all()


def _techniques(conn, ids: list[int]) -> list[Any]:
    q = (select(posts.c.created_at, post_labels.c.label)
         .select_from(post_labels.join(posts, posts.c.id == post_labels.c.post_id))
         .where(posts.c.account_id.in_(ids), post_labels.c.kind == "technique"))
    return conn.execute(q).all()


def subject_series(store: Store, subj: Subject) -> dict[str, Any]:
    """Weekly series for the actor page charts, plus host relevance and analysis coverage."""
    ids = subj.account_ids or [-1]
    with store.read() as conn:
        authored, replies = _authored(conn, ids), _replies(conn, ids)
        targets, techs = _targets(conn, ids), _techniques(conn, ids)
    per_week, und = Counter(), defaultdict(list)
    for r in authored:
        w = week_of(r.created_at)
        per_week[w] += 1
        if r.undiplomatic is not None:
            und[w].append(r.undiplomatic)
    rep, rep_hostile, blocks = Counter(), Counter(), Counter()
    for r in replies:
        w = week_of(r.created_at)
        rep[w] += 1
        rep_hostile[w] += bool(r.hostile)
        blocks[w] += bool(r.block_claim)
    hostile = [t for t in targets if t.stance == "hostile"]
    tgt = Counter((week_of(t.created_at), t.code) for t in hostile)
    tech = Counter((week_of(t.created_at), t.label) for t in techs)
    return {
        "analysed": sum(1 for r in authored if r.ann is not None), "posts": len(authored),
        "replies": len(replies),
        "posts_per_week": [{"week": w, "posts": n} for w, n in sorted(per_week.items()) if w],
        "targets_per_week": [{"week": w, "country": c, "posts": n} for (w, c), n in sorted(tgt.items()) if w],
        "undiplomatic_per_week": [{"week": w, "undiplomatic": round(sum(v) / len(v), 3), "posts": len(v)}
                                  for w, v in sorted(und.items()) if w],
        "techniques_per_week": [{"week": w, "technique": t, "posts": n} for (w, t), n in sorted(tech.items()) if w],
        "replies_per_week": [{"week": w, "replies": n, "hostile": rep_hostile[w],
                              "hostile_share": round(rep_hostile[w] / n, 3)} for w, n in sorted(rep.items()) if w],
        "block_claims_per_week": [{"week": w, "block_claims": n} for w, n in sorted(blocks.items()) if w and n],
        "host_relevance": host_relevance(subj, targets, len(authored)),
    }


def host_relevance(subj: Subject, targets: list[Any], n_posts: int) -> dict[str, Any]:
    """How much the subject's attacks concern its host country rather than third countries."""
    host = subj.host_country
    hostile = Counter(t.code for t in targets if t.stance == "hostile")
    total = sum(hostile.values())
    mentions_host = sum(1 for t in targets if host and t.code == host)
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


def subject_events(store: Store, subj: Subject) -> list[dict[str, Any]]:
    """Events of the subject's accounts (or its actor), in time order."""
    out, seen = [], set()
    names = [subj.actor] if subj.kind == "actor" and subj.actor else []
    names += [a["account"] for a in subj.accounts]
    for name in names:
        for e in list_events(store, account=name):
            if e["id"] not in seen:
                seen.add(e["id"])
                out.append(e)
    return sorted(out, key=lambda e: (e["start"] or "", e["id"]))


def country_profile(store: Store, code: str) -> dict[str, Any]:
    """Who targets this country, how often, and since when."""
    code = code.upper()[:2]
    q = (select(accounts.c.platform, accounts.c.handle, actors.c.id.label("actor_id"), actors.c.name,
                mentions.c.stance, mentions.c.veiled, func.count().label("n"),
                func.min(posts.c.created_at).label("first"), func.max(posts.c.created_at).label("last"))
         .select_from(mentions.join(posts, posts.c.id == mentions.c.post_id)
                      .join(accounts, accounts.c.id == posts.c.account_id)
                      .outerjoin(actors, actors.c.id == accounts.c.actor_id))
         .where(mentions.c.code == code, accounts.c.watched.is_(True))
         .group_by(accounts.c.platform, accounts.c.handle, actors.c.id, actors.c.name, mentions.c.stance,
                   mentions.c.veiled))
    by: dict[str, dict[str, Any]] = {}
    with store.read() as conn:
        for r in conn.execute(q):
            key = f"{r.platform}:{r.handle}"
            d = by.setdefault(key, {"account": key, "actor": r.name, "actor_id": r.actor_id, "hostile": 0,
                                    "veiled": 0, "mentions": 0, "since": None, "last": None})
            d["mentions"] += r.n
            if r.stance == "hostile":
                d["hostile"] += r.n
                d["veiled"] += r.n if r.veiled else 0
                first, last = iso(r.first), iso(r.last)
                d["since"] = min(filter(None, [d["since"], first]), default=None)
                d["last"] = max(filter(None, [d["last"], last]), default=None)
    rows = sorted(by.values(), key=lambda d: (-d["hostile"], -d["mentions"], d["account"]))
    return {"country": code, "accounts": rows, "hostile_posts": sum(d["hostile"] for d in rows),
            "mentions": sum(d["mentions"] for d in rows)}


def known_countries(store: Store) -> list[dict[str, Any]]:
    q = (select(mentions.c.code, func.count()).where(mentions.c.code.is_not(None), mentions.c.stance == "hostile")
         .group_by(mentions.c.code).order_by(func.count().desc()))
    with store.read() as conn:
        return [{"country": c, "hostile_posts": n} for c, n in conn.execute(q)]


def crosspost_clusters(store: Store, post_id: int) -> list[dict[str, Any]]:
    """Cross-post events whose evidence includes this post."""
    out = []
    for e in list_events(store, type="crosspost"):
        if any(ev.get("id") == post_id for ev in e["evidence"]):
            out.append(e)
    return out


def latest_events(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    with store.read() as conn:
        n = conn.execute(select(func.count()).select_from(events)).scalar_one()
    evs = list_events(store)
    return list(reversed(evs[max(0, n - limit):]))


def filter_options(store: Store) -> dict[str, list[str]]:
    """Values for the search form's drop-downs."""
    with store.read() as conn:
        accs = [f"{p}:{h}" for p, h in conn.execute(
            select(accounts.c.platform, accounts.c.handle).where(accounts.c.watched.is_(True))
            .order_by(accounts.c.platform, accounts.c.handle))]
        platforms = list(conn.execute(select(posts.c.platform).distinct().order_by(posts.c.platform)).scalars())
        langs = [x for x in conn.execute(select(annotations.c.lang).distinct().order_by(annotations.c.lang))
                 .scalars() if x]
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
