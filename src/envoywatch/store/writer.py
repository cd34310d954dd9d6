"""Write mapped records into the workspace: accounts by key, posts idempotently, edits kept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, insert, select, tuple_, update

from envoywatch.domain import AccountRef, Block, Parsed, Post, Reject
from envoywatch.store import fts
from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, blocks, media, posts, rejects
from envoywatch.timeutil import as_utc, utcnow

CHUNK = 500  # ids per IN (...) look-up


@dataclass
class Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    blocks: int = 0  # new public block records (Bluesky), besides posts

    def add(self, other: Counts) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _dumps(value) -> str | None:
    if value is None:
        return None
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def norm_handle(handle: str | None) -> str | None:
    return handle.strip().lstrip("@").lower() or None if handle else None


class AccountIndex:
    """Finds or creates account rows by (platform, handle) or (platform, platform id)."""

    def __init__(self) -> None:
        self._by_handle: dict[tuple[str, str], int] = {}
        self._by_pid: dict[tuple[str, str], int] = {}

    def resolve(self, conn: Connection, refs: Iterable[AccountRef]) -> None:
        want = {}
        for r in refs:
            h = norm_handle(r.handle)
            if (h and (r.platform, h) not in self._by_handle) or (
                not h and r.platform_id and (r.platform, r.platform_id) not in self._by_pid
            ):
                want[(r.platform, h, r.platform_id)] = r
        if not want:
            return
        self._load(conn, list(want.values()))
        now = utcnow()
        for r in want.values():
            if self.get(r) is None:
                h = norm_handle(r.handle)
                row = {"platform": r.platform, "handle": h, "platform_id": r.platform_id,
                       "display_name": r.display_name, "watched": False, "created_at": now}
                new_id = conn.execute(insert(accounts).values(**row).returning(accounts.c.id)).scalar_one()
                self._remember(r.platform, h, r.platform_id, new_id)

    def _load(self, conn: Connection, refs: list[AccountRef]) -> None:
        handles = {(r.platform, norm_handle(r.handle)) for r in refs if r.handle}
        pids = {(r.platform, r.platform_id) for r in refs if r.platform_id}
        cols = (accounts.c.id, accounts.c.platform, accounts.c.handle, accounts.c.platform_id)
        for keys, col in ((handles, accounts.c.handle), (pids, accounts.c.platform_id)):
            keys = list(keys)
            for i in range(0, len(keys), CHUNK):
                q = select(*cols).where(tuple_(accounts.c.platform, col).in_(keys[i : i + CHUNK]))
                for row in conn.execute(q):
                    self._remember(row.platform, row.handle, row.platform_id, row.id)
        # Fill in ids a registry entry did not know yet (registered by handle only).
        for r in refs:
            h = norm_handle(r.handle)
            acc = self._by_handle.get((r.platform, h)) if h else None
            if acc and r.platform_id and (r.platform, r.platform_id) not in self._by_pid:
                conn.execute(update(accounts).where(accounts.c.id == acc, accounts.c.platform_id.is_(None))
                             .values(platform_id=r.platform_id))
                self._by_pid[(r.platform, r.platform_id)] = acc

    def _remember(self, platform: str, handle: str | None, pid: str | None, acc_id: int) -> None:
        if handle:
            self._by_handle[(platform, handle)] = acc_id
        if pid:
            self._by_pid[(platform, pid)] = acc_id

    def get(self, r: AccountRef) -> int | None:
        h = norm_handle(r.handle)
        if h and (r.platform, h) in self._by_handle:
            return self._by_handle[(r.platform, h)]
        if r.platform_id:
            return self._by_pid.get((r.platform, r.platform_id))
        return None


class PostWriter:
    """Writes batches of Parsed records and Rejects in one transaction each, counting outcomes."""

    def __init__(self, store: Store, importer: str) -> None:
        self.store = store
        self.importer = importer
        self.accounts = AccountIndex()

    def write(self, conn: Connection, items: list[Parsed | Reject]) -> Counts:
        c = Counts()
        parsed = [i for i in items if isinstance(i, Parsed)]
        rej = [i for i in items if isinstance(i, Reject)]
        if rej:
            now = utcnow()
            conn.execute(insert(rejects), [
                {"source_file": r.where.source_file, "line": r.where.line, "offset": r.where.offset,
                 "reason": r.reason, "raw": r.raw[:2000], "importer": self.importer, "created_at": now}
                for r in rej])
            c.rejected += len(rej)
        refs = [a for p in parsed for a in p.accounts] + [post.author for p in parsed for post in p.posts]
        refs += [a for p in parsed for b in p.blocks for a in (b.blocker, b.blocked)]
        self.accounts.resolve(conn, refs)
        pairs = [(post, p) for p in parsed for post in p.posts]
        c.read += len(pairs) + len(rej)
        self._write_posts(conn, pairs, c)
        c.blocks += self._write_blocks(conn, [b for p in parsed for b in p.blocks])
        return c

    def _write_posts(self, conn: Connection, pairs: list[tuple[Post, Parsed]], c: Counts) -> None:
        existing = self._existing(conn, {(p.platform, p.platform_id) for p, _ in pairs})
        fresh: dict[tuple[str, str], tuple[Post, Parsed]] = {}
        for post, parsed in pairs:
            key = (post.platform, post.platform_id)
            if key in fresh:  # the same post twice in one batch (includes repeat often)
                c.duplicates += 1
            elif key in existing:
                self._maybe_update(conn, existing[key], post, c)
            else:
                fresh[key] = (post, parsed)
        if not fresh:
            return
        now = utcnow()
        rows = [self._row(post, parsed, now) for post, parsed in fresh.values()]
        conn.execute(insert(posts), rows)  # a plain executemany: RETURNING would go row by row
        fts.sync(conn)
        c.inserted += len(rows)
        with_media = [post for post, _ in fresh.values() if post.media]
        if with_media:
            ids = self._existing(conn, {(p.platform, p.platform_id) for p in with_media})
            conn.execute(insert(media), [
                {"post_id": ids[(p.platform, p.platform_id)].id, "type": m.type, "url": m.url}
                for p in with_media for m in p.media])

    def _existing(self, conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
        found: dict[tuple[str, str], tuple] = {}
        keys_l = list(keys)
        cols = (posts.c.id, posts.c.platform, posts.c.platform_id, posts.c.text, posts.c.edited_at,
                posts.c.edits)
        for i in range(0, len(keys_l), CHUNK):
            q = select(*cols).where(tuple_(posts.c.platform, posts.c.platform_id).in_(keys_l[i : i + CHUNK]))
            for row in conn.execute(q):
                found[(row.platform, row.platform_id)] = row
        return found

    def _maybe_update(self, conn: Connection, row, post: Post, c: Counts) -> None:
        """A changed text is an edit: the newer version wins and the other is kept in `edits`."""
        if post.text == row.text or any(e.get("text") == post.text for e in row.edits or []):
            c.duplicates += 1
            return
        old_at, new_at = as_utc(row.edited_at), as_utc(post.edited_at)
        incoming_is_older = old_at is not None and (new_at is None or new_at < old_at)
        edits = list(row.edits or [])
        seen = utcnow().isoformat()
        if incoming_is_older:
            edits.append({"text": post.text, "edited_at": new_at and new_at.isoformat(), "seen_at": seen})
            values = {"edits": edits}
        else:
            edits.append({"text": row.text, "edited_at": old_at and old_at.isoformat(), "seen_at": seen})
            values = {"edits": edits, "text": post.text, "edited_at": new_at, "raw": _dumps(post.raw)}
        conn.execute(update(posts).where(posts.c.id == row.id).values(**values))
        c.updated += 1

    def _row(self, post: Post, parsed: Parsed, now) -> dict:
        kind = post.kind if post.kind in ("original", "reply", "repost", "quote") else "original"
        return {
            "platform": post.platform, "platform_id": post.platform_id,
            "account_id": self.accounts.get(post.author), "created_at": as_utc(post.created_at),
            "text": post.text, "lang": post.lang, "kind": kind, "in_reply_to": post.in_reply_to,
            "in_reply_to_handle": norm_handle(post.in_reply_to_handle),
            "conversation_id": post.conversation_id, "quoted_id": post.quoted_id,
            "reposted_id": post.reposted_id, "url": post.url, "edited_at": as_utc(post.edited_at),
            "metrics": post.metrics or None, "mentions": post.mentions or None,
            "hashtags": post.hashtags or None, "has_media": bool(post.media), "edits": None,
            "raw": _dumps(post.raw), "unmapped": post.unmapped or None,
            "source_file": parsed.where.source_file, "source_line": parsed.where.line,
            "source_offset": parsed.where.offset, "importer": self.importer, "ingested_at": now,
        }

    def _write_blocks(self, conn: Connection, items: list[Block]) -> int:
        """Store block records not seen before; returns how many were new."""
        new = 0
        if not items:
            return new
        now = utcnow()
        seen: set[tuple[int | None, int | None]] = set()
        for b in items:
            blocker, blocked = self.accounts.get(b.blocker), self.accounts.get(b.blocked)
            if (blocker, blocked) in seen:
                continue
            seen.add((blocker, blocked))
            exists = conn.execute(select(blocks.c.id).where(
                blocks.c.platform == b.platform, blocks.c.blocker_id == blocker,
                blocks.c.blocked_id == blocked)).first()
            if not exists:
                conn.execute(insert(blocks).values(
                    platform=b.platform, blocker_id=blocker, blocked_id=blocked,
                    created_at=as_utc(b.created_at), uri=b.uri, raw=_dumps(b.raw), ingested_at=now))
                new += 1
        return new
