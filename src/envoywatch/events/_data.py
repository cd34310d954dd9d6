"""Read what the event detectors need: watched accounts, their posts, and the replies to them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, actors, annotations, posts
from envoywatch.timeutil import as_utc, iso


@dataclass(slots=True)
class WatchedAccount:
    """A watched account with its actor, as detectors and the story refer to it."""

    id: int
    platform: str
    handle: str | None
    actor_id: int | None = None
    actor: str | None = None
    sending: str | None = None
    host: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.handle}"


@dataclass(slots=True)
class PostRow:
    """One post with the fields events use, and its annotation (empty when not analysed)."""

    id: int
    account_id: int
    platform: str
    platform_id: str
    created_at: datetime | None
    text: str
    lang: str | None
    kind: str
    url: str | None = None
    has_media: bool = False
    ann: dict[str, Any] = field(default_factory=dict)

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "platform_id": self.platform_id, "url": self.url,
                "created_at": iso(self.created_at)}


def watched_accounts(store: Store) -> dict[int, WatchedAccount]:
    q = (select(accounts.c.id, accounts.c.platform, accounts.c.handle, accounts.c.actor_id,
                actors.c.name, actors.c.sending_country, actors.c.host_country)
         .select_from(accounts.outerjoin(actors, accounts.c.actor_id == actors.c.id))
         .where(accounts.c.watched.is_(True)))
    with store.read() as conn:
        return {r.id: WatchedAccount(r.id, r.platform, r.handle, r.actor_id, r.name,
                                     r.sending_country, r.host_country) for r in conn.execute(q)}


def _post_row(r) -> PostRow:
    ann = r.data or {}
    return PostRow(r.id, r.account_id, r.platform, r.platform_id, as_utc(r.created_at), r.text or "",
                   ann.get("lang") or r.lang, r.kind, r.url, bool(r.has_media), ann)


_POST_COLS = (posts.c.id, posts.c.account_id, posts.c.platform, posts.c.platform_id, posts.c.created_at,
              posts.c.text, posts.c.lang, posts.c.kind, posts.c.url, posts.c.has_media, annotations.c.data)


_SHARED: ContextVar[dict | None] = ContextVar("envoywatch_events_shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within one detection run, detectors share one read of all watched posts (events are the only
    writes in between): cross-posts, backlash and shifts each read every post otherwise."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def watched_posts(store: Store, account_ids: list[int] | None = None,
                  kinds: tuple[str, ...] = ("original", "repost", "quote")) -> list[PostRow]:
    """Posts of watched accounts (not their replies), oldest first, with annotations."""
    shared = _SHARED.get()
    if shared is None or account_ids is not None:
        return _read_watched_posts(store, account_ids, kinds)
    key = (id(store), kinds)
    if key not in shared:
        shared[key] = _read_watched_posts(store, None, kinds)
    return list(shared[key])


def _read_watched_posts(store: Store, account_ids: list[int] | None,
                        kinds: tuple[str, ...]) -> list[PostRow]:
    q = (select(*_POST_COLS)
         .select_from(posts.join(accounts, posts.c.account_id == accounts.c.id)
                      .outerjoin(annotations, annotations.c.post_id == posts.c.id))
         .where(accounts.c.watched.is_(True), posts.c.kind.in_(kinds), posts.c.created_at.is_not(None))
         .order_by(posts.c.created_at, posts.c.id))
    if account_ids is not None:
        q = q.where(posts.c.account_id.in_(account_ids))
    with store.read() as conn:
        return [_post_row(r) for r in conn.execute(q)]


def posts_by_id(store: Store, ids: list[int]) -> dict[int, PostRow]:
    out: dict[int, PostRow] = {}
    q0 = (select(*_POST_COLS)
          .select_from(posts.outerjoin(annotations, annotations.c.post_id == posts.c.id)))
    with store.read() as conn:
        for i in range(0, len(ids), 500):
            for r in conn.execute(q0.where(posts.c.id.in_(ids[i : i + 500]))):
                out[r.id] = _post_row(r)
    return out


parent = aliased(posts)


def replies_query():
    """Replies by other accounts to watched posts: (reply columns..., parent_id, parent_account_id)."""
    return (select(*_POST_COLS, posts.c.account_id.label("author_id"),
                   annotations.c.hostile, annotations.c.hostility,
                   parent.c.id.label("parent_id"), parent.c.account_id.label("parent_account_id"))
            .select_from(
                posts.join(parent, and_(parent.c.platform == posts.c.platform,
                                        parent.c.platform_id == posts.c.in_reply_to))
                .join(accounts, accounts.c.id == parent.c.account_id)
                .outerjoin(annotations, annotations.c.post_id == posts.c.id))
            .where(accounts.c.watched.is_(True), posts.c.account_id != parent.c.account_id))
