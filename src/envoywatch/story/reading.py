"""Reading the story's posts one by one: what the story counts of each, and auto-forwarded copies dropped.

The week sums in `story.sums` answer most stories; this reads the posts at the edges of a period, the
veiled posts, and whole stories the sums cannot answer exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Select, String, func, select, type_coerce

from envoywatch.queries import in_list
from envoywatch.store.db import Store
from envoywatch.store.schema import annotations, posts
from envoywatch.timeutil import as_utc


@dataclass(slots=True)
class StoryPost:
    """What the story reads of one post: only the annotation fields it writes about, not the whole annotation."""

    id: int
    account_id: int
    created_at: datetime
    text: str
    lang: str | None
    countries: list
    targets: list


def read_posts(store: Store, ids: list[int], date_from, date_to, post_ids: list[int] | Select | None = None
               ) -> list[StoryPost]:
    """The accounts' own posts in time order (or only `post_ids`: a list, or a select of ids), with only
    the annotation fields the story writes about (parsing every whole annotation took seconds for an
    actor with 40,000 posts)."""
    q = (select(posts.c.id, posts.c.account_id, *_story_fields(store.dialect))
         .select_from(posts.outerjoin(annotations, annotations.c.post_id == posts.c.id))
         .order_by(posts.c.created_at, posts.c.id))
    if isinstance(post_ids, Select):
        q = q.where(posts.c.id.in_(post_ids))
    elif post_ids is not None:
        q = q.where(in_list(posts.c.id, post_ids, store.dialect))
    else:
        q = q.where(posts.c.account_id.in_(ids), posts.c.kind != "reply", posts.c.created_at.is_not(None))
    if date_from and post_ids is None:
        q = q.where(posts.c.created_at >= as_utc(date_from))
    if date_to and post_ids is None:
        q = q.where(posts.c.created_at < as_utc(date_to))
    with store.read() as conn:
        if store.dialect == "sqlite":  # dates as stored (naive UTC text), the three fields as one JSON array
            rows = [StoryPost(i, acc, as_utc(ts), txt or "", *_fields(lang, orjson.loads(ann) if ann else None))
                    for i, acc, ts, txt, lang, ann in conn.execute(q).all()]
        else:
            rows = [StoryPost(i, acc, as_utc(ts), txt or "", *_fields(lang, (ann_lang, countries, tg)))
                    for i, acc, ts, txt, lang, ann_lang, countries, tg in conn.execute(q).all()]
    return _without_forwards(rows)


def _story_fields(dialect: str) -> tuple:
    """Date, text, platform language and the annotation's language, countries and targets."""
    data = annotations.c.data
    if dialect == "sqlite":  # one JSON parse per post in SQLite instead of three, one orjson.loads in Python
        return (type_coerce(posts.c.created_at, String), posts.c.text, posts.c.lang,
                type_coerce(func.json_extract(data, "$.lang", "$.countries", "$.targets"), String))
    return (posts.c.created_at, posts.c.text, posts.c.lang, data["lang"].as_string(), data["countries"],
            data["targets"])


def _fields(lang: str | None, ann) -> tuple:
    """(language, countries, targets) as the story reads them: the annotation's language first."""
    ann_lang, countries, targets = ann or (None, None, None)
    return ann_lang or lang, countries or [], targets or []


def _without_forwards(rows: list[StoryPost]) -> list[StoryPost]:
    """Drop a channel's auto-forwarded copy: the same account and text within ten minutes."""
    last: dict[tuple[int, str], datetime] = {}
    out = []
    for r in rows:
        key = (r.account_id, r.text)
        if key in last and (r.created_at - last[key]).total_seconds() <= 600:
            continue
        last[key] = r.created_at
        out.append(r)
    return out
