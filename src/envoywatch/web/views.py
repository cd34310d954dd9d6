"""What each page shows, as plain dicts: the HTML pages and the JSON API share these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from envoywatch.queries import (
    COUNT_CAP,
    MAX_PER_PAGE,
    PostFilter,
    count_events,
    get_post,
    list_events,
    list_posts,
    replies_to,
)
from envoywatch.store.db import Store
from envoywatch.web import charts
from envoywatch.web.queries import (
    Subject,
    country_profile,
    crosspost_clusters,
    in_time_order,
    latest_events,
    parent_of,
    parse_day,
    resolve_subject,
    subject_event_ids,
    subject_event_row,
    subject_events,
    subject_series,
    watched_actors,
)


def post_filter(params: dict[str, Any], per_page: int = 50) -> PostFilter:
    """Build the shared filter from query parameters (the same names as the CLI's options)."""
    def s(k: str) -> str | None:
        v = params.get(k)
        return str(v).strip() or None if v is not None else None

    try:
        page = max(1, int(params.get("page") or 1))
    except ValueError:
        page = 1
    try:
        per = max(1, min(int(params.get("per_page") or per_page), MAX_PER_PAGE))
    except ValueError:
        per = per_page
    return PostFilter(q=s("q"), account=s("account"), actor=s("actor"), platform=s("platform"), lang=s("lang"),
                      date_from=parse_day(s("from")), date_to=parse_day(s("to")), target=s("target"),
                      technique=s("technique"), kind=s("kind"), page=page, per_page=per)


def posts_page(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    f = post_filter(params)
    items, total = list_posts(store, f)
    return {"items": items, "page": f.page, "per_page": f.per_page, "total": total,
            "total_exact": total < COUNT_CAP, "pages": max(1, -(-total // f.per_page))}


def overview(store: Store) -> dict[str, Any]:
    actors = watched_actors(store)
    for a in actors:
        a["sparkline"] = charts.sparkline(a["weekly"]) if a["weekly"] else None
    return {"actors": actors, "events": latest_events(store, 15), "new_targets": new_targets(store)}


def new_targets(store: Store, limit: int = 10) -> list[dict[str, Any]]:
    """The latest first hostile mentions of a country by an account with some history (as the alert rule)."""
    from envoywatch.alerts import Rule, evaluate

    found = evaluate(store, Rule(name="overview", kind="new_target"))
    found.sort(key=lambda a: a.when or "", reverse=True)
    return [{"account": a.data["account"], "country": a.data["country"], "when": a.when, "summary": a.summary}
            for a in found[:limit]]


def story_for(store: Store, who: str, date_from: datetime | None = None,
              date_to: datetime | None = None, veiled_posts: int | None = None, along=None) -> dict[str, Any] | None:
    """The story of an actor or account (`envoywatch.story.build_story`; `veiled_posts` and `along` as there)."""
    from envoywatch import story

    return story.build_story(store, who, date_from, date_to, veiled_posts=veiled_posts, along=along)


def safe_story_html(story: dict[str, Any] | None) -> str | None:
    """The story's HTML, sanitised (no scripts, handlers or javascript: links), or None."""
    if not story or "error" in story:
        return None
    import nh3

    from envoywatch import story as st

    try:
        html = st.render_html(story)
    except Exception:  # noqa: BLE001  (the page shows the story's data instead of failing)
        return None
    return nh3.clean(html, url_schemes={"http", "https"}, link_rel="noopener noreferrer nofollow")


def subject_page(store: Store, subj: Subject, with_story: bool = True, as_shown: bool = False) -> dict[str, Any]:
    """Series, events, charts and story of an actor or account. `as_shown`: only what the HTML page
    shows, the story for its narrative (only the veiled posts it quotes) and each event's evidence as
    post ids; the JSON keeps the whole story and the evidence's links."""
    series = subject_series(store, subj)
    story, evs = None, None
    if with_story:
        from envoywatch.story.event_rows import Along
        from envoywatch.story.render import VEILED_CITED

        # the page's events, read in the story's statement
        along = Along(subject_event_ids(subj, store.dialect), subject_event_row(subj), refs=not as_shown)
        try:
            story = story_for(store, subj.slug if subj.kind == "account" else subj.actor,
                              veiled_posts=VEILED_CITED if as_shown else None, along=along)
        except Exception as e:  # noqa: BLE001  a story that fails shows its failure; the page stays
            story = {"error": f"{type(e).__name__}: {e}"}
        evs = None if along.found is None else in_time_order(along.found)
    if evs is None:  # no story, or one that failed before its events
        evs = subject_events(store, subj, refs=not as_shown)
    return {"subject": subj.as_dict(), "series": series, "events": evs,
            "charts": charts.subject_charts(series, evs), "story": story}


def post_page(store: Store, post_id: int) -> dict[str, Any] | None:
    post = get_post(store, post_id)
    if post is None:
        return None
    replies = replies_to(store, post_id)
    parent = None
    if post.get("in_reply_to"):
        parent = parent_of(store, post_id)
    return {"post": post, "parent": parent, "replies": replies,
            "hostile_replies": sum(1 for r in replies if (r.get("reply") or {}).get("hostile")),
            "block_claims": sum(1 for r in replies if block_claimed(r)),
            "crossposts": crosspost_clusters(store, post_id)}


def block_claimed(p: dict[str, Any]) -> bool:
    return bool(p.get("block_claim") or (p.get("reply") or {}).get("block_claim"))


def events_page(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    """One page of events (the page's evidence looked up, not every event's)."""
    f = post_filter(params)
    which = {"type": params.get("type") or None, "account": params.get("account") or None,
             "date_from": f.date_from, "date_to": f.date_to}
    total = count_events(store, **which)
    items = list_events(store, **which, limit=f.per_page, offset=(f.page - 1) * f.per_page)
    return {"items": items, "page": f.page, "per_page": f.per_page, "total": total,
            "pages": max(1, -(-total // f.per_page))}


def country_page(store: Store, code: str) -> dict[str, Any]:
    return country_profile(store, code)


def find_subject(store: Store, who: str) -> Subject | None:
    return resolve_subject(store, who)
