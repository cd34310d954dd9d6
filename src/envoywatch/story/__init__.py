"""The story of an actor or account over a period: the findings a careful journalist would write up.

`build_story` gathers the figures (posting frequency, targets and host relevance, veiled posts,
cross-posts, backlash waves, block reports, shifts) with evidence posts for each; `render_text`,
`render_markdown` and `render_html` write it for a terminal, a document or a page.
"""

from __future__ import annotations

import difflib
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from envoywatch.queries import event_dict
from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, actors, events
from envoywatch.story import event_rows as ev
from envoywatch.story.reading import StoryPost, read_posts
from envoywatch.story.render import narrative, render_html, render_markdown, render_text
from envoywatch.story.sums import summarize
from envoywatch.timeutil import iso

PLATFORMS = ("x", "facebook", "instagram", "telegram", "bluesky", "mastodon", "web")


def _accounts_rows(conn, cond):
    q = (select(accounts.c.id, accounts.c.platform, accounts.c.handle, accounts.c.url, accounts.c.watched,
                accounts.c.display_name, actors.c.id.label("actor_id"), actors.c.name, actors.c.role,
                actors.c.sending_country, actors.c.host_country)
         .select_from(accounts.outerjoin(actors, accounts.c.actor_id == actors.c.id)).where(cond))
    return sorted(conn.execute(q).all(), key=lambda r: r.id)  # in Python: ORDER BY made SQLite scan every account


def resolve(store: Store, who: str) -> tuple[dict | None, list]:
    """The actor (if `who` names one) and the accounts the story covers; LookupError when unknown."""
    w = (who or "").strip()
    with store.read() as conn:
        named = select(actors.c.id).where(func.lower(actors.c.name) == w.lower())
        rows = _accounts_rows(conn, accounts.c.actor_id.in_(named))  # by the actor_id index
        if not rows and ":" in w and w.split(":", 1)[0].lower() in PLATFORMS:
            plat, handle = w.split(":", 1)
            rows = _accounts_rows(conn, (accounts.c.platform == plat.lower())
                                  & (accounts.c.handle == handle.strip().lstrip("@").lower()))
        elif not rows and w:
            rows = _accounts_rows(conn, accounts.c.handle == w.lstrip("@").lower())
        if not rows:
            raise LookupError(_unknown(conn, w))
    r = rows[0]
    by_actor = w.lower() == (r.name or "").lower()
    actor = ({"id": r.actor_id, "name": r.name, "role": r.role, "sending_country": r.sending_country,
              "host_country": r.host_country} if r.actor_id else None)
    return ({**actor, "whole_actor": by_actor} if actor else None), rows


def _unknown(conn, who: str) -> str:
    names = [n for (n,) in conn.execute(select(actors.c.name))]
    keys = [f"{p}:{h}" for p, h in conn.execute(select(accounts.c.platform, accounts.c.handle)
                                                .where(accounts.c.watched.is_(True)))]
    close = difflib.get_close_matches(who, names + keys, n=5, cutoff=0.4) or (names + keys)[:5]
    return f"no actor or account named {who!r}; close names: {', '.join(close) or 'none (empty workspace)'}"


def frequency(rows: list[StoryPost], keys: dict[int, str]) -> dict[str, Any]:
    if not rows:
        return {"posts": 0, "per_week": 0.0, "by_account": {}, "busiest_week": None}
    days = max(1.0, (rows[-1].created_at - rows[0].created_at).total_seconds() / 86400)
    weeks: Counter[str] = Counter()
    for day, n in Counter(r.created_at.date() for r in rows).items():  # days in time order, as weeks are
        weeks[f"{day:%G-W%V}"] += n
    week, n = weeks.most_common(1)[0]
    return {"posts": len(rows), "per_week": round(len(rows) / (days / 7), 1),
            "per_day": round(len(rows) / days, 2),
            "by_account": dict(Counter(keys[r.account_id] for r in rows).most_common()),
            "by_language": dict(Counter(r.lang or "und" for r in rows).most_common()),
            "busiest_week": {"week": week, "posts": n}}


def targets(rows: list[StoryPost], sender: str | None, host: str | None) -> dict[str, Any]:
    items = [{"id": r.id, "created_at": r.created_at, "countries": r.countries, "targets": r.targets}
             for r in rows]
    try:
        from envoywatch.analysis.relevance import summarize_targets
    except ImportError:  # the relevance module is optional: count targets here
        summarize_targets = None
    if summarize_targets:
        return summarize_targets(items, sender=sender, host=host)
    n, c = len(items), Counter(t for i in items for t in i["targets"])
    return {"posts": n, "sender": sender, "host": host, "host_relevance": {},
            "top_targets": [{"code": k, "posts": v, "share": round(v / n, 4),
                             "examples": [str(i["id"]) for i in items if k in i["targets"]][:5]}
                            for k, v in c.most_common(10)]}


def veiled(rows: list[StoryPost], posts: int | None = None) -> list[dict[str, Any]]:
    """The veiled country mentions of the posts (of the first `posts` posts that have any), in time order."""
    out, seen = [], 0
    for r in rows:
        found = [c for c in r.countries if c.get("veiled")]
        if not found:
            continue
        if seen == posts:
            break
        seen += 1
        out += [{"post": r.id, "date": iso(r.created_at), "text": r.text[:600], "lang": r.lang,
                 "inferred_target": c.get("code"), "confidence": c.get("confidence"), "stance": c.get("stance"),
                 "clues": c.get("clues") or c.get("evidence") or []} for c in found]
    return out


def _involving(ids: list[int], actor_ids: set[int]):
    """The condition on events of `story.event_rows.involving` (the query benchmark shows its plan)."""
    return events.c.id.in_(ev.involving(ids, actor_ids))


def _mine(e: dict, keys: set[str], actor: dict | None) -> bool:
    """An event of the story's accounts, naming one of them, or (for a whole actor) of its actor."""
    if e.get("account") in keys or bool(keys & set(e.get("accounts") or [])):
        return True
    return bool(actor and actor.get("whole_actor") and e.get("actor") == actor["name"])


def _events_for(store: Store, accs: list, keys: set[str], actor: dict | None, date_from, date_to,
                along: ev.Along | None, posts: list[int]) -> tuple[list[dict], list[dict] | None, dict]:
    """The story's events, its mission's block reports (None without a sending country) and the refs of
    `posts` and of the events' evidence: one statement for the events (with `along`'s), one for the refs."""
    sides = {"near": ev.involving([a.id for a in accs], {a.actor_id for a in accs if a.actor_id})}
    if actor and actor.get("sending_country"):
        sides["mission"] = ev.mission_reports(actor)
    rows = ev.read(store, sides, date_from, date_to, along)
    found = [(r, e) for r in rows["near"] if _mine(e := event_dict(r, {}), keys, actor)]
    extra = [(r, event_dict(r, {})) for r in rows.get("along", [])]
    cite = found + (extra if along is not None and along.refs else [])
    refs = ev.refs_of(store, posts + ev.cited([r for r, _ in cite]))
    ev.cite(cite, refs)
    if along is not None:
        along.found = [e for _, e in extra]
    reports = None
    if "mission" in rows:
        reports = [(r, event_dict(r, {})) for r in rows["mission"]]
        if any(e.get("actor") != r.actor for r, e in reports):  # an event's data names another actor
            names = ev.mission_names(store, actor)
            reports = [(r, e) for r, e in reports if e.get("actor") in names]
        reports = [e for _, e in reports]
    return [e for _, e in found], reports, refs


def _figures(store: Store, keys: dict[int, str], actor: dict | None, date_from, date_to,
             veiled_posts: int | None) -> dict[str, Any]:
    """Frequency, targets, veiled posts and first and last post: from the week sums when they answer
    exactly (see `story.sums`), else by reading every post of the period."""
    fast = summarize(store, keys, actor, date_from, date_to, veiled_posts)
    if fast is not None:
        return fast
    rows = read_posts(store, list(keys), date_from, date_to)
    return {"frequency": frequency(rows, keys), "veiled_rows": rows,
            "targets": targets(rows, actor and actor["sending_country"], actor and actor["host_country"]),
            "first": rows[0].created_at if rows else None, "last": rows[-1].created_at if rows else None}


def build_story(store: Store, who: str, date_from: datetime | None = None,
                date_to: datetime | None = None, veiled_posts: int | None = None,
                along: ev.Along | None = None) -> dict[str, Any]:
    """Everything the story says about `who` (actor name, "platform:handle" or handle) in the period.

    `veiled_posts` keeps the veiled posts of only the first so many posts (the narrative cites five):
    for pages that show the narrative, not the whole list. `along`: events a page lists besides the
    story, read with the story's (see `story.event_rows`).
    """
    actor, accs = resolve(store, who)
    keys = {a.id: f"{a.platform}:{a.handle}" for a in accs}
    figures = _figures(store, keys, actor, date_from, date_to, veiled_posts)
    quoted = veiled(figures["veiled_rows"], veiled_posts)
    evs, reports, refs = _events_for(store, accs, set(keys.values()), actor, date_from, date_to, along,
                                     _figure_posts(figures["targets"], quoted))
    story = {
        "who": who, "actor": actor,
        "accounts": [{"account": keys[a.id], "url": a.url, "display_name": a.display_name,
                      "watched": bool(a.watched)} for a in accs],
        "period": {"from": iso(date_from) or iso(figures["first"]), "to": iso(date_to) or iso(figures["last"])},
        "frequency": figures["frequency"],
        "targets": figures["targets"],
        "veiled": quoted,
        "crossposts": [e for e in evs if e["type"] == "crosspost"],
        "backlash": [e for e in evs if e["type"] == "backlash"],
        "block_reports": [e for e in evs if e["type"] == "block_reports"],
        "shifts": [e for e in evs if e["type"] == "shift"],
        "events": [{"type": e["type"], "start": e["start"], "end": e["end"], "summary": e["summary"],
                    "account": e["account"], "evidence": e["evidence"][:10]} for e in evs],
    }
    story["blocked_people"] = len({p["reporter"] for e in story["block_reports"] for p in e.get("people", [])})
    story["blocked_people_mission"] = _mission_blocked(actor, reports)
    _attach_refs(story, refs)
    story["narrative"] = narrative(story)
    return story


def _mission_blocked(actor: dict | None, reports: list[dict] | None) -> dict | None:
    """People who said any account of the same mission (sending and host country) blocked them."""
    if not actor or not actor.get("sending_country") or reports is None:
        return None
    people = {p["reporter"] for e in reports for p in e.get("people", [])}
    return {"sending_country": actor["sending_country"], "host_country": actor["host_country"],
            "people": len(people), "accounts": sorted({e["account"] for e in reports})}


def _figure_posts(targets: dict, quoted: list[dict]) -> list[int]:
    """The posts the targets' examples and the veiled posts cite (their refs are read with the events')."""
    return [int(i) for t in targets.get("top_targets", []) for i in t.get("examples", [])] + [v["post"] for v in quoted]


def _attach_refs(story: dict, refs: dict[int, dict]) -> None:
    """Replace bare post ids in targets and veiled posts by evidence refs (platform id, url)."""
    for t in story["targets"].get("top_targets", []):
        t["evidence"] = [refs.get(int(i), {"id": int(i)}) for i in t.get("examples", [])]
    for v in story["veiled"]:
        v["post"] = refs.get(v["post"], {"id": v["post"]})


__all__ = ["build_story", "render_html", "render_markdown", "render_text", "resolve"]
