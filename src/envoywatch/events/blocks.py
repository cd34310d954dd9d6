"""Block reports: people saying a watched account blocked them, one per person, with evidence.

Each self-report (the `block_claim` annotation) is linked to the account said to have blocked:
the handle the claim names, else the watched account whose post it answers, else a watched
account it mentions, else the watched account that started the conversation (or the post quoted,
or answered by the reply quoted), else the watched account the reporter last replied to. Reports are deduplicated by reporter. Bluesky block
records (`app.bsky.graph.block`) by watched accounts are counted beside them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from envoywatch.events._data import WatchedAccount, watched_accounts
from envoywatch.events.base import Event, detector
from envoywatch.store.schema import accounts, annotations, blocks, posts
from envoywatch.timeutil import as_utc, iso

# "blocked me on Twitter", said in the embassy's Telegram group, points at its X account.
_PLATFORM_WORDS = {
    "x": re.compile(r"twitter|твит+ер|x\.com|推特", re.IGNORECASE),
    "facebook": re.compile(r"facebook|фейсбук|фб\b|\bfb\b|脸书", re.IGNORECASE),
    "telegram": re.compile(r"telegram|телеграм", re.IGNORECASE),
    "instagram": re.compile(r"instagram|инстаграм", re.IGNORECASE),
}
_parent = aliased(posts)
_root = aliased(posts)
_reporter = aliased(accounts)
_quoted = aliased(posts)
_quoted_parent = aliased(posts)


def _claims(store):
    q = (select(posts.c.id, posts.c.account_id, posts.c.platform, posts.c.platform_id, posts.c.url,
                posts.c.created_at, posts.c.text, posts.c.has_media, posts.c.mentions,
                annotations.c.data, _reporter.c.handle.label("reporter"),
                _reporter.c.platform_id.label("reporter_pid"), _reporter.c.display_name.label("reporter_name"),
                _parent.c.account_id.label("parent_account"), _root.c.account_id.label("root_account"),
                _quoted.c.account_id.label("quoted_account"),
                _quoted_parent.c.account_id.label("quoted_parent_account"))
         .select_from(posts.join(annotations, annotations.c.post_id == posts.c.id)
                      .join(_reporter, _reporter.c.id == posts.c.account_id)
                      .outerjoin(_parent, and_(_parent.c.platform == posts.c.platform,
                                               _parent.c.platform_id == posts.c.in_reply_to))
                      .outerjoin(_root, and_(_root.c.platform == posts.c.platform,
                                             _root.c.platform_id == posts.c.conversation_id))
                      .outerjoin(_quoted, and_(_quoted.c.platform == posts.c.platform,
                                               _quoted.c.platform_id == posts.c.quoted_id))
                      .outerjoin(_quoted_parent, and_(_quoted_parent.c.platform == posts.c.platform,
                                                      _quoted_parent.c.platform_id == _quoted.c.in_reply_to)))
         .where(annotations.c.block_claim.is_(True), _reporter.c.watched.is_(False))
         .order_by(posts.c.created_at, posts.c.id))
    with store.read() as conn:
        return conn.execute(q).all()


def _last_replied(store, accs: dict[int, WatchedAccount]) -> dict[int, list[tuple[datetime, int]]]:
    """For each replying account, when it answered which watched account (for context linking)."""
    q = (select(posts.c.account_id, posts.c.created_at, _parent.c.account_id)
         .select_from(posts.join(_parent, and_(_parent.c.platform == posts.c.platform,
                                               _parent.c.platform_id == posts.c.in_reply_to)))
         .where(_parent.c.account_id.in_(list(accs))))
    out: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    with store.read() as conn:
        for reporter, at, acc in conn.execute(q):
            if at is not None and reporter not in accs:
                out[reporter].append((as_utc(at), acc))
    return out


class Linker:
    """Decides which watched account a report says blocked the reporter."""

    def __init__(self, accs: dict[int, WatchedAccount], history: dict[int, list[tuple[datetime, int]]]):
        self.accs = accs
        self.history = history
        self.by_handle: dict[str, list[WatchedAccount]] = defaultdict(list)
        for a in accs.values():
            if a.handle:
                self.by_handle[a.handle.lower()].append(a)

    def by_name(self, name: str | None, platform: str) -> int | None:
        if not name:
            return None
        plat, _, handle = name.rpartition(":") if ":" in name else ("", "", name)
        found = self.by_handle.get(handle.strip().lstrip("@").lower(), [])
        same = [a for a in found if a.platform == (plat or platform)]
        cands = same or found
        return cands[0].id if cands else None

    def link(self, r) -> tuple[int | None, str]:
        acc, how = self._link(r)
        named = [p for p, rx in _PLATFORM_WORDS.items() if rx.search(r.text or "")]
        if acc is not None and len(named) == 1 and named[0] != self.accs[acc].platform:
            sibling = [a.id for a in self.accs.values() if a.platform == named[0]
                       and a.actor_id is not None and a.actor_id == self.accs[acc].actor_id]
            if sibling:
                return sibling[0], f"{how}+platform_named"
        return acc, how

    def _link(self, r) -> tuple[int | None, str]:
        claim = (r.data or {}).get("block_claim") or {}
        named = self.by_name(claim.get("blocked_by") if isinstance(claim, dict) else None, r.platform)
        if named:
            return named, "named"
        if r.parent_account in self.accs:
            return r.parent_account, "reply_parent"
        for m in r.mentions or []:
            if (acc := self.by_name(str(m), r.platform)) is not None:
                return acc, "mention"
        if r.root_account in self.accs:
            return r.root_account, "conversation"
        for quoted in (r.quoted_account, r.quoted_parent_account):  # quoting the post, or one's reply to it
            if quoted in self.accs:
                return quoted, "quote"
        at = as_utc(r.created_at)
        before = [(t, a) for t, a in self.history.get(r.account_id, []) if at is None or t <= at]
        if before:
            return max(before)[1], "earlier_reply"
        return None, "unlinked"


def _report(r, how: str) -> dict:
    claim = (r.data or {}).get("block_claim") or {}
    claim = claim if isinstance(claim, dict) else {}
    return {"post": {"id": r.id, "platform_id": r.platform_id, "url": r.url, "created_at": iso(r.created_at)},
            "reporter": f"{r.platform}:{r.reporter or r.reporter_pid or r.account_id}",
            "reporter_name": r.reporter_name, "text": (r.text or "")[:500],
            "date": iso(r.created_at), "screenshot": bool(r.has_media or claim.get("screenshot")),
            "phrase": claim.get("evidence"), "lang": (r.data or {}).get("lang"), "linked_by": how}


def bluesky_blocks(store, accs: dict[int, WatchedAccount]) -> dict[int, list[dict]]:
    blocked = aliased(accounts)
    q = (select(blocks.c.blocker_id, blocks.c.created_at, blocks.c.uri, blocked.c.handle)
         .join(blocked, blocked.c.id == blocks.c.blocked_id)
         .where(blocks.c.blocker_id.in_(list(accs))).order_by(blocks.c.created_at))
    out: dict[int, list[dict]] = defaultdict(list)
    with store.read() as conn:
        for blocker, at, uri, handle in conn.execute(q):
            out[blocker].append({"blocked": handle, "created_at": iso(at), "uri": uri})
    return out


def account_event(acc: WatchedAccount, reports: list[dict], records: list[dict]) -> Event:
    first: dict[str, dict] = {}
    for rep in reports:  # reports are in time order: a person's first report stands for them
        if rep["reporter"] in first:
            first[rep["reporter"]].setdefault("repeats", []).append(rep["post"])
        else:
            first[rep["reporter"]] = rep
    people = list(first.values())
    series = {(rep["date"] or "")[:10]: n for n, rep in enumerate(people, start=1)}
    dates = [as_utc(r["date"]) for r in people if r["date"]] + [as_utc(b["created_at"]) for b in records
                                                                 if b["created_at"]]
    shots = sum(r["screenshot"] for r in people)
    who = "1 person" if len(people) == 1 else f"{len(people)} people"
    summary = (f"{who} said {acc.key} blocked them ({shots} with a screenshot)"
               + (f"; {len(records)} block records on Bluesky" if records else ""))
    return Event(
        type="block_reports", key=f"blocks:acc{acc.id}", start=min(dates) if dates else None,
        end=max(dates) if dates else None, account_id=acc.id, actor_id=acc.actor_id,
        score=float(len(people)), summary=summary,
        data={"account": acc.key, "reporters": len(people), "reports": len(reports), "with_screenshot": shots,
              "reporters_over_time": series, "people": people, "bluesky_block_records": len(records),
              "bluesky_blocks": records[:500]},
        evidence=[r["post"]["id"] for r in people])


@detector("blocks")
def detect_blocks(store) -> list[Event]:
    """One block-reports event per watched account that people say blocked them."""
    accs = watched_accounts(store)
    linker = Linker(accs, _last_replied(store, accs))
    by_acc: dict[int, list[dict]] = defaultdict(list)
    for r in _claims(store):
        acc, how = linker.link(r)
        if acc is not None:
            by_acc[acc].append(_report(r, how))
    records = bluesky_blocks(store, accs)
    return [account_event(accs[a], by_acc.get(a, []), records.get(a, []))
            for a in sorted(set(by_acc) | set(records))]
