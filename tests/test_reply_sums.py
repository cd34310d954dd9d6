"""The actor page's reply series from kept sums equals the join of every reply to its parent, on both engines.

Replies arrive before and after their parents, between two accounts of one actor, to themselves and
undated; annotations change after linking. At each step the kept sums (with what lies above the mark
read live) must equal the reference count, before and after a catch-up.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import aliased
from test_events import T0, Workspace

from envoywatch.store import annotations as store_ann
from envoywatch.store import replies
from envoywatch.store.schema import annotations, posts, reply_links
from envoywatch.web.queries import week_sql

parent = aliased(posts)


def _reference(conn, ids: list[int]) -> Counter:
    """The page's former query: every reply by others joined to its parent, per week of the reply."""
    w = week_sql(posts.c.created_at, conn.dialect.name).label("week")

    def flag(col):
        return func.sum(case((col.is_(True), 1), else_=0))

    q = (select(w, func.count(), flag(annotations.c.hostile), flag(annotations.c.block_claim))
         .select_from(posts.join(parent, and_(parent.c.platform == posts.c.platform,
                                              parent.c.platform_id == posts.c.in_reply_to))
                      .outerjoin(annotations, annotations.c.post_id == posts.c.id))
         .where(parent.c.account_id.in_(ids), posts.c.account_id.not_in(ids)).group_by(w))
    return Counter({wk: (n, int(h or 0), int(b or 0)) for wk, n, h, b in conn.execute(q)})


def _kept(conn, ids: list[int]) -> Counter:
    return Counter({r.week: (r.n, r.hostile, r.blocks) for r in replies.subject_rows(conn, ids)})


def _reply_ann(hostile: bool, block: bool = False) -> dict:
    ann = {"lang": "en", "reply": {"hostile": hostile, "hostility": 0.9 if hostile else 0.1}}
    return {**ann, "block_claim": True} if block else ann


class Case:
    """An actor with two accounts, a third watched account, and members of the public."""

    def __init__(self, store) -> None:
        self.store, self.ws = store, Workspace(store)
        actor = self.ws.actor("Embassy of Replyland")
        self.x = self.ws.account("x", "embassy", actor)
        self.fb = self.ws.account("x", "ambassador", actor)
        self.other = self.ws.account("x", "neighbour", self.ws.actor("Embassy of Elsewhere"))
        self.public = [self.ws.account("x", f"citizen{i}", watched=False) for i in range(4)]
        self.subjects = [[self.x, self.fb], [self.x], [self.fb], [self.other], self.public[:1]]

    def post(self, acc: int, day: int, **kw) -> tuple[int, str]:
        return self.ws.post(acc, f"post {day} {kw.get('reply_to')}", T0 + timedelta(days=day, hours=day % 5), **kw)

    def reply(self, acc: int, to: str, day: int | None, hostile=False, block=False, ann=True) -> int:
        at = None if day is None else T0 + timedelta(days=day, hours=3)
        return self.ws.post(acc, f"reply {day} to {to}", at, kind="reply", reply_to=to,
                            ann=_reply_ann(hostile, block) if ann else None)[0]

    def check(self) -> None:
        with self.store.engine.connect() as conn:
            for ids in self.subjects:
                assert _kept(conn, ids) == _reference(conn, ids), ids


def test_kept_reply_sums_match_the_joined_count_through_arrivals_and_edits(store) -> None:
    c = Case(store)
    parents = [c.post(c.x if d % 2 else c.fb, d) for d in range(0, 30, 3)]
    for i, (_, plat) in enumerate(parents):
        for k in range(i % 4):
            c.reply(c.public[k], plat, 3 * i + k, hostile=k == 1, block=k == 2)
    c.reply(c.fb, parents[1][1], 4)  # between two accounts of the actor
    c.reply(c.x, parents[1][1], 4)  # to itself
    c.reply(c.other, parents[2][1], 7, hostile=True)
    c.reply(c.public[0], parents[3][1], None)  # undated
    c.check()  # nothing linked yet: all of it read live
    with store.write() as conn:
        assert replies.catch_up(conn) > 0
    c.check()
    early = c.reply(c.public[1], "p-not-yet", 40, hostile=True)  # a reply stored before its parent
    late = [c.reply(c.public[2], parents[0][1], 41, ann=False), c.reply(c.fb, parents[3][1], 42)]
    c.check()  # above the mark: read live
    with store.write() as conn:
        replies.catch_up(conn)  # links the late replies; the early one waits for its parent
    c.check()
    orphan_parent = c.ws.post(c.x, "the parent", T0 + timedelta(days=39))[0]
    with store.write() as conn:
        conn.execute(update(posts).where(posts.c.id == orphan_parent).values(platform_id="p-not-yet"))
    c.check()  # a parent above the mark, its reply below: read live
    with store.write() as conn:
        assert replies.catch_up(conn) == 1
        assert replies.catch_up(conn) == 0  # nothing new: nothing linked twice
        linked = {r.post_id for r in conn.execute(select(reply_links.c.post_id))}
    assert early in linked and late[0] in linked and late[1] in linked
    c.check()
    flips = [early, late[0], late[1]]
    with store.write() as conn:
        store_ann.write_annotations(conn, [{"id": str(flips[0]), **_reply_ann(False, True)},
                                           {"id": str(flips[1]), **_reply_ann(True)},
                                           {"id": str(flips[2]), **_reply_ann(True, True)}], "test")
        assert replies.refresh(conn, flips + [orphan_parent]) == 3
        assert replies.refresh(conn, flips) == 0  # the flags are what the sums hold
    c.check()


def test_a_fresh_backfill_equals_the_kept_sums(store) -> None:
    c = Case(store)
    parents = [c.post(c.x, d) for d in range(5)]
    with store.write() as conn:
        replies.catch_up(conn)
    for i, (_, plat) in enumerate(parents):
        c.reply(c.public[i % 4], plat, i + 1, hostile=i % 2 == 0)
    with store.write() as conn:
        replies.catch_up(conn)
        kept = {ids[0]: _kept(conn, ids) for ids in c.subjects}
        assert replies.backfill(conn) == 5
        assert {ids[0]: _kept(conn, ids) for ids in c.subjects} == kept


def test_analyze_links_new_replies_and_refreshes_their_flags(store) -> None:
    from envoywatch.analyze import analyze

    c = Case(store)
    plat = c.post(c.x, 1)[1]
    c.ws.post(c.public[0], "You blocked me for asking a question, shame on you", T0 + timedelta(days=2),
              kind="reply", reply_to=plat)
    c.ws.post(c.public[1], "Thank you for the kind words", T0 + timedelta(days=2), kind="reply", reply_to=plat)
    with store.write() as conn:
        replies.catch_up(conn)  # linked before they are annotated: the analysis must refresh their flags
    c.ws.post(c.public[2], "Shame on you, disgraceful lies", T0 + timedelta(days=3), kind="reply", reply_to=plat)
    analyze(store, fast=True, detect_events=False)
    with store.engine.connect() as conn:
        assert replies.mark(conn) == conn.execute(select(func.max(posts.c.id))).scalar()
        n, hostile, blocks = (sum(col) for col in zip(*_kept(conn, [c.x]).values(), strict=True))
        assert n == 3 and hostile + blocks > 0  # the annotations reached the sums
    c.check()
