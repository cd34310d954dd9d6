"""Write mapped records into the workspace: accounts by key, posts idempotently in bulk, edits kept."""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from operator import itemgetter

import orjson
from sqlalchemy import Connection, insert, select, tuple_, update

from envoywatch.domain import AccountRef, Block, Location, Media, Parsed, Post, Reject
from envoywatch.store import fts
from envoywatch.store.db import Store
from envoywatch.store.schema import accounts, blocks, media, posts, rejects
from envoywatch.timeutil import as_utc, utcnow

CHUNK = 500  # ids per IN (...) look-up
KINDS = frozenset(("original", "reply", "repost", "quote"))
NULL_JSON = "null"  # how a JSON column stores None (as SQLAlchemy's JSON type did for the first workspaces)
POST_COLUMNS = (
    "platform", "platform_id", "account_id", "created_at", "text", "lang", "kind", "in_reply_to",
    "in_reply_to_handle", "conversation_id", "quoted_id", "reposted_id", "url", "metrics",
    "mentions", "hashtags", "has_media", "raw", "unmapped", "source_line", "source_offset",
    # the columns a batch usually holds one value of last: a batch handed between processes leaves them out
    "edited_at", "edits", "source_file", "importer", "ingested_at",
)
BATCH_CONSTANT = 5  # trailing columns of POST_COLUMNS that may go as one value a batch (Prepared.consts)
_COLS = ", ".join(POST_COLUMNS)
NULLABLE = frozenset(("created_at", "lang", "in_reply_to", "in_reply_to_handle", "conversation_id", "quoted_id",
                      "reposted_id", "url", "edited_at", "raw", "source_file", "source_line", "source_offset",
                      "importer"))
NULLABLE_AT = tuple(i for i, c in enumerate(POST_COLUMNS) if c in NULLABLE)
HAS_MEDIA = POST_COLUMNS.index("has_media")
# pysqlite binds None and bool through its slow adaptation path (1.1 us each against 0.05 for an
# int, measured on Python 3.11), so SQLite rows carry this int for NULL and 0/1 for booleans.
NULL_MARK = -1
_VALUES = ", ".join("NULLIF(?, -1)" if c in NULLABLE else "?" for c in POST_COLUMNS)
INSERT_SQLITE = f"INSERT INTO posts ({_COLS}) VALUES ({_VALUES}) ON CONFLICT (platform, platform_id) DO NOTHING"
_INSERTS: dict[tuple, str] = {}  # INSERT_SQLITE with a batch's constant columns as literals, by their values
PG_LOAD = (f"CREATE TEMP TABLE IF NOT EXISTS posts_load ON COMMIT DELETE ROWS AS "
           f"SELECT {_COLS} FROM posts WITH NO DATA")
PG_MOVE = (f"INSERT INTO posts ({_COLS}) SELECT {_COLS} FROM posts_load "
           "ON CONFLICT (platform, platform_id) DO NOTHING")


NEW_ACCOUNTS = insert(accounts).returning(accounts.c.id, sort_by_parameter_order=True)  # ids in row order


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


def _json(value) -> str:
    """A JSON column's text; an empty or missing value is JSON null."""
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode() if value else NULL_JSON


json_column, raw_json = _json, _dumps  # for importers that build rows themselves


def _sqlite_time(value) -> str | None:
    """UTC time as SQLAlchemy's SQLite DateTime stores it: 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    if value is None:
        return None
    if getattr(value, "tzinfo", None) is not UTC:
        value = as_utc(value)
    return value.isoformat(" ", "microseconds")[:26]


def norm_handle(handle: str | None) -> str | None:
    return handle.strip().lstrip("@").lower() or None if handle else None


class AccountIndex:
    """Finds or creates account rows by (platform, handle) or (platform, platform id)."""

    def __init__(self) -> None:
        self._by_handle: dict[tuple[str, str], int] = {}
        self._by_pid: dict[tuple[str, str], int] = {}
        self._by_ref: dict[tuple[str, str | None, str | None], int] = {}  # refs as they came

    def resolve(self, conn: Connection, refs: Iterable[AccountRef]) -> None:
        want = {}
        for r in refs:
            if (r.platform, r.handle, r.platform_id) in self._by_ref:
                continue
            h = norm_handle(r.handle)
            if (h and (r.platform, h) not in self._by_handle) or (
                not h and r.platform_id and (r.platform, r.platform_id) not in self._by_pid
            ):
                want[(r.platform, h, r.platform_id)] = r
        if not want:
            return
        self._load(conn, list(want.values()))
        rows = self._new_rows(want.values())
        if rows:  # one statement for all new accounts (one each cost 0.2-0.3 ms through SQLAlchemy)
            for row, new_id in zip(rows, conn.execute(NEW_ACCOUNTS, rows).scalars().all(), strict=True):
                self._remember(row["platform"], row["handle"], row["platform_id"], new_id)

    def _new_rows(self, refs: Iterable[AccountRef]) -> list[dict]:
        """Rows of the accounts to create: refs found neither here nor in an earlier row of the list."""
        now, rows = utcnow(), []
        handles: set[tuple[str, str]] = set()
        pids: set[tuple[str, str]] = set()
        for r in refs:
            h = norm_handle(r.handle)
            if self.get(r) is not None or (h and (r.platform, h) in handles) or (
                    r.platform_id and (r.platform, r.platform_id) in pids):
                continue
            if h:
                handles.add((r.platform, h))
            if r.platform_id:
                pids.add((r.platform, r.platform_id))
            rows.append({"platform": r.platform, "handle": h, "platform_id": r.platform_id,
                         "display_name": r.display_name, "watched": False, "created_at": now})
        return rows

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
        key = (r.platform, r.handle, r.platform_id)
        found = self._by_ref.get(key)
        if found is not None:
            return found
        h = norm_handle(r.handle)
        if h and (r.platform, h) in self._by_handle:
            found = self._by_handle[(r.platform, h)]
        elif r.platform_id:
            found = self._by_pid.get((r.platform, r.platform_id))
        if found is not None:
            self._by_ref[key] = found
        return found


@dataclass
class Prepared:
    """A batch turned into posts rows without the database, so a worker process can do it.

    Rows are lists in POST_COLUMNS order whose account_id holds an index into `refs`; the writer
    swaps in the account ids once it has resolved them. On SQLite a missing value is NULL_MARK.
    """

    rejects: list[Reject] = field(default_factory=list)
    refs: list[AccountRef] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    consts: tuple = ()  # values of the last len(consts) columns, the same in every row (then left out of rows)
    media: dict[int, list[Media]] = field(default_factory=dict)  # row index -> its media
    blocks: list[Block] = field(default_factory=list)
    extra_refs: list[AccountRef] = field(default_factory=list)  # accounts seen without a post

    @property
    def empty(self) -> bool:
        """Nothing to write: no rows, rejects, blocks or accounts."""
        return not (self.rows or self.rejects or self.blocks or self.extra_refs)

    def __getstate__(self) -> dict:
        """Pickled state for the hand-off between processes: rows of only str, int and None (SQLite's)
        go through marshal, which dumps them 1.7x and loads them 1.4x faster than pickle (measured)."""
        state = dict(self.__dict__)
        try:
            state["rows"] = marshal.dumps(self.rows, 4)
        except ValueError:  # datetimes (PostgreSQL rows) or other objects: pickled as they are
            pass
        return state

    def __setstate__(self, state: dict) -> None:
        if isinstance(state["rows"], bytes):
            state["rows"] = marshal.loads(state["rows"])
        self.__dict__.update(state)

    def drop_constants(self) -> None:
        """Leave out of every row the trailing columns the batch holds one value of (into `consts`), so the
        writer binds fewer values a row. In place: copies of the rows would share their strings, and
        marshal tracks every object referenced twice (dumping took twice as long)."""
        consts = batch_constants(self.rows) if not self.consts else ()  # none in PostgreSQL rows (datetimes)
        if consts:
            n = len(POST_COLUMNS) - len(consts)
            for row in self.rows:
                del row[n:]
            self.consts = consts

    def full(self, i: int) -> list:
        """Row i with every column, the constant ones put back."""
        return self.rows[i] + list(self.consts) if self.consts else self.rows[i]


def _literal_safe(value) -> bool:
    """Whether a value can be written into SQL as a literal: an int, or text SQLite can read."""
    if type(value) is int:
        return True
    if type(value) is not str or len(value) > 4096 or "\0" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate: binding reports it as it always did
        return False
    return True


def batch_constants(rows: list[list]) -> tuple:
    """The values of the longest run of trailing BATCH_CONSTANT columns that every row shares.

    Binding a value costs the writer about 0.4 us a column a row; a literal in the statement nothing.
    """
    if not rows or any(len(r) != len(POST_COLUMNS) for r in rows):
        return ()
    found: list = []
    for col in range(len(POST_COLUMNS) - 1, len(POST_COLUMNS) - 1 - BATCH_CONSTANT, -1):
        value = rows[0][col]
        if not _literal_safe(value) or list(map(itemgetter(col), rows)).count(value) != len(rows):
            break
        found.append(value)
    return tuple(reversed(found))


class RowBuilder:
    """Builds a Prepared batch record by record (pure: no database needed).

    `add` maps domain records; an importer with a fast path appends rows itself through `slot`,
    `now` and `none`, and `mark`/`rollback` undo a record it could not finish.
    """

    def __init__(self, importer: str, dialect: str) -> None:
        self.importer = importer
        self.sqlite = dialect == "sqlite"
        self.stamp = _sqlite_time if self.sqlite else as_utc
        self.none = NULL_MARK if self.sqlite else None  # how a row holds a missing value
        self.take()

    def take(self) -> Prepared:
        """The batch built so far; the next one starts empty."""
        out = getattr(self, "out", None)
        self.out = Prepared()
        self.slots: dict[tuple[str, str | None, str | None], int] = {}
        self.seen_refs: set[tuple[str, str | None, str | None]] = set()  # extra refs in this batch
        self.now = self.stamp(utcnow())
        return out

    def slot(self, a: AccountRef) -> int:
        """Index of an author in this batch's refs (the writer swaps in its account id)."""
        key = (a.platform, a.handle, a.platform_id)
        found = self.slots.get(key)
        if found is None:
            found = self.slots[key] = len(self.out.refs)
            self.out.refs.append(a)
        return found

    def extra(self, refs: Iterable[AccountRef]) -> None:
        """Accounts seen without a post, each once a batch (the writer resolves them by key)."""
        for a in refs:
            key = (a.platform, a.handle, a.platform_id)
            if key not in self.seen_refs:
                self.seen_refs.add(key)
                self.out.extra_refs.append(a)

    def add(self, item: Parsed | Reject) -> int:
        """Map one record; returns the posts it added (a reject counts one)."""
        out = self.out
        if isinstance(item, Reject):
            out.rejects.append(item)
            return 1
        self.extra(item.accounts)
        out.blocks += item.blocks
        for post in item.posts:
            self.add_post(post, item.where)
        return len(item.posts)

    def add_post(self, post: Post, where: Location) -> None:
        out = self.out
        if post.media:
            out.media[len(out.rows)] = post.media
        row = _row(post, self.slot(post.author), where, self.now, self.stamp, self.importer)
        if self.sqlite:
            for i in NULLABLE_AT:
                if row[i] is None:
                    row[i] = NULL_MARK
            row[HAS_MEDIA] = 1 if post.media else 0
        out.rows.append(row)

    def mark(self) -> tuple[int, int, int, int]:
        out = self.out
        return len(out.rows), len(out.refs), len(out.extra_refs), len(out.blocks)

    def rollback(self, mark: tuple[int, int, int, int]) -> None:
        """Forget what was added since `mark` (a fast path that met something unusual)."""
        out = self.out
        rows, refs, extra, blocks_ = mark
        del out.rows[rows:], out.extra_refs[extra:], out.blocks[blocks_:]
        for a in out.refs[refs:]:
            self.slots.pop((a.platform, a.handle, a.platform_id), None)
        del out.refs[refs:]
        self.seen_refs = {(a.platform, a.handle, a.platform_id) for a in out.extra_refs}
        for i in [i for i in out.media if i >= rows]:
            del out.media[i]


def prepare(items: list[Parsed | Reject], importer: str, dialect: str) -> Prepared:
    """Map a batch of records to rows as `dialect` stores them (pure: no database needed)."""
    builder = RowBuilder(importer, dialect)
    for item in items:
        builder.add(item)
    return builder.take()


def _row(post: Post, account, where: Location, now, stamp, importer: str) -> list:
    """One posts row in POST_COLUMNS order, with values as the database stores them."""
    return [
        post.platform, post.platform_id, account, stamp(post.created_at),
        post.text, post.lang, post.kind if post.kind in KINDS else "original", post.in_reply_to,
        norm_handle(post.in_reply_to_handle), post.conversation_id, post.quoted_id,
        post.reposted_id, post.url, _json(post.metrics), _json(post.mentions), _json(post.hashtags),
        bool(post.media), _dumps(post.raw), _json(post.unmapped), where.line, where.offset,
        stamp(post.edited_at), NULL_JSON, where.source_file, importer, now,
    ]


def unmark(value):
    """A row value as Python sees it (NULL_MARK back to None)."""
    return None if type(value) is int and value == NULL_MARK else value


TEXT, EDITED_AT, RAW = POST_COLUMNS.index("text"), POST_COLUMNS.index("edited_at"), POST_COLUMNS.index("raw")


class PostWriter:
    """Writes batches of Parsed records and Rejects in one transaction each, counting outcomes.

    New posts go in as prepared row tuples in one bulk statement (executemany on SQLite, COPY on
    PostgreSQL). A batch goes in whole first; only one that meets stored posts is looked up, to tell
    duplicates from edits (SQLite: the rows its insert skipped; PostgreSQL: its copy is rolled back,
    and the batches after it are looked up first).
    `fts_deferred` leaves the SQLite full-text index to one sync at the end of a bulk load.
    """

    def __init__(self, store: Store, importer: str, fts_deferred: bool = False) -> None:
        self.store = store
        self.importer = importer
        self.accounts = AccountIndex()
        self.fts_deferred = fts_deferred
        self.copy_first = True  # PostgreSQL: until a batch meets stored posts (see _copy_first)

    def write(self, conn: Connection, items: list[Parsed | Reject]) -> Counts:
        return self.write_prepared(conn, prepare(items, self.importer, conn.dialect.name))

    def write_prepared(self, conn: Connection, batch: Prepared) -> Counts:
        """Write a prepared batch: rejects, accounts, new posts, edits, media and blocks."""
        c = Counts()
        if batch.rejects:
            now = utcnow()
            conn.execute(insert(rejects), [
                {"source_file": r.where.source_file, "line": r.where.line, "offset": r.where.offset,
                 "reason": r.reason, "raw": r.raw[:2000], "importer": self.importer, "created_at": now}
                for r in batch.rejects])
            c.rejected += len(batch.rejects)
        parties = [a for b in batch.blocks for a in (b.blocker, b.blocked)]
        self.accounts.resolve(conn, batch.extra_refs + batch.refs + parties)
        ids = [self.accounts.get(r) for r in batch.refs]
        for row in batch.rows:
            row[2] = ids[row[2]]
        c.read += len(batch.rows) + len(batch.rejects)
        self._write_posts(conn, batch, c)
        c.blocks += self._write_blocks(conn, batch.blocks)
        return c

    def _write_posts(self, conn: Connection, batch: Prepared, c: Counts) -> None:
        picked = _first_rows(batch.rows, c)
        if not picked:
            return
        inserted = c.inserted
        if conn.dialect.name == "sqlite":
            ids = self._insert_first(conn, batch, picked, c)
        else:
            ids = self._copy_first(conn, batch, picked, c) if self.copy_first else None
            if ids is None:
                ids = self._lookup_first(conn, batch, picked, c)
        if c.inserted > inserted and not self.fts_deferred:
            fts.sync(conn)
        self._write_media(conn, batch, ids)

    def _insert_first(self, conn: Connection, batch: Prepared, picked: dict, c: Counts) -> dict[int, int]:
        """SQLite: insert, skipping stored keys; only a batch that met stored posts looks them up.

        SQLite has one writer and gives new rows max(id) + 1 in order, so when every row went in
        their ids are known without a query (a fresh load never looks anything up).
        """
        before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM posts").scalar()
        order = list(picked.values())
        rows = batch.rows if len(order) == len(batch.rows) else [batch.rows[i] for i in order]
        inserted = _insert_sqlite(conn, rows, batch.consts)
        c.inserted += inserted
        if inserted == len(rows):  # only media rows need the ids
            return {i: before + 1 + n for n, i in enumerate(order) if i in batch.media} if batch.media else {}
        ids: dict[int, int] = {}
        changed: list[tuple[int, list]] = []
        seen = 0
        for key, (post_id, text) in _lookup(conn, set(picked)).items():
            i = picked[key]
            if post_id > before:
                ids[i] = post_id
                continue
            seen += 1
            if text == batch.rows[i][TEXT]:
                c.duplicates += 1
            else:
                changed.append((post_id, batch.full(i)))
        c.duplicates += len(rows) - inserted - seen  # stored, then gone or unseen: not ours
        if changed:
            self._apply_edits(conn, changed, c)
        return ids

    def _copy_first(self, conn: Connection, batch: Prepared, picked: dict, c: Counts) -> dict[int, int] | None:
        """PostgreSQL: copy the batch in without looking its keys up, as a new export's batches all go in.

        The first batch that meets a stored post is rolled back (None) and the writer looks keys up
        first from then on, so a file read again costs one failed copy, not one a batch.
        """
        order = list(picked.values())
        if not _copy_new(conn, [batch.rows[i] for i in order]):
            self.copy_first = False
            return None
        c.inserted += len(order)
        return _media_ids(conn, batch, order)

    def _lookup_first(self, conn: Connection, batch: Prepared, picked: dict, c: Counts) -> dict[int, int]:
        """PostgreSQL (many writers): look the keys up, then insert the new ones."""
        found = _lookup(conn, set(picked))
        fresh: list[int] = []
        changed: list[tuple[int, list]] = []
        for key, i in picked.items():
            if key not in found:
                fresh.append(i)
            elif found[key][1] == batch.rows[i][TEXT]:
                c.duplicates += 1
            else:
                changed.append((found[key][0], batch.full(i)))
        if changed:
            self._apply_edits(conn, changed, c)
        if not fresh:
            return {}
        rows = [batch.rows[i] for i in fresh]
        inserted = len(rows) if _copy_new(conn, rows) else _move_new(conn, rows)
        c.inserted += inserted
        c.duplicates += len(fresh) - inserted  # written by another process since the look-up
        return _media_ids(conn, batch, fresh)

    def _write_media(self, conn: Connection, batch: Prepared, ids: dict[int, int]) -> None:
        """Media rows of the posts just inserted (few: SQLAlchemy's executemany on either engine)."""
        rows = [{"post_id": ids[i], "type": m.type, "url": m.url}
                for i, items in batch.media.items() if i in ids for m in items]
        if rows:
            conn.execute(insert(media), rows)

    def _apply_edits(self, conn: Connection, changed: list[tuple[int, list]], c: Counts) -> None:
        ids = sorted({post_id for post_id, _ in changed})
        rows = {}
        for i in range(0, len(ids), CHUNK):
            q = select(posts.c.id, posts.c.text, posts.c.edited_at, posts.c.edits).where(
                posts.c.id.in_(ids[i : i + CHUNK]))
            rows.update({row.id: row for row in conn.execute(q)})
        for post_id, new in changed:
            self._maybe_update(conn, rows[post_id], new, c)

    def _maybe_update(self, conn: Connection, row, new: list, c: Counts) -> None:
        """A changed text is an edit: the newer version wins and the other is kept in `edits`."""
        text = new[TEXT]
        if text == row.text or any(e.get("text") == text for e in row.edits or []):
            c.duplicates += 1
            return
        old_at, new_at = as_utc(row.edited_at), as_utc(unmark(new[EDITED_AT]))
        incoming_is_older = old_at is not None and (new_at is None or new_at < old_at)
        edits = list(row.edits or [])
        seen = utcnow().isoformat()
        if incoming_is_older:
            edits.append({"text": text, "edited_at": new_at and new_at.isoformat(), "seen_at": seen})
            values = {"edits": edits}
        else:
            edits.append({"text": row.text, "edited_at": old_at and old_at.isoformat(), "seen_at": seen})
            values = {"edits": edits, "text": text, "edited_at": new_at, "raw": unmark(new[RAW])}
        conn.execute(update(posts).where(posts.c.id == row.id).values(**values))
        c.updated += 1

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


def _first_rows(rows: list[list], c: Counts) -> dict[tuple[str, str], int]:
    """(platform, platform id) -> the first row of it in the batch; repeats count as duplicates."""
    keys = list(zip(map(itemgetter(0), rows), map(itemgetter(1), rows), strict=True))
    if len(set(keys)) == len(keys):  # the usual batch: built in C
        return dict(zip(keys, range(len(keys)), strict=True))
    picked: dict[tuple[str, str], int] = {}
    for i, key in enumerate(keys):
        if key in picked:  # the same post twice in one batch (includes repeat often)
            c.duplicates += 1
        else:
            picked[key] = i
    return picked


def _lookup(conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(platform, platform id) -> (row id, text) of the posts already stored, in a few queries."""
    by_platform: dict[str, list[str]] = {}
    for platform, pid in keys:
        by_platform.setdefault(platform, []).append(pid)
    found: dict[tuple[str, str], tuple[int, str]] = {}
    sqlite = conn.dialect.name == "sqlite"
    for platform, pids in by_platform.items():
        step = CHUNK if sqlite else len(pids)
        for i in range(0, len(pids), step):
            chunk = pids[i : i + step]
            if sqlite:
                sql = ("SELECT platform_id, id, text FROM posts WHERE platform = ? AND platform_id IN "
                       f"({', '.join('?' * len(chunk))})")
                params: tuple = (platform, *chunk)
            else:
                sql = "SELECT platform_id, id, text FROM posts WHERE platform = %s AND platform_id = ANY(%s)"
                params = (platform, chunk)
            for pid, post_id, text in conn.exec_driver_sql(sql, params):
                found[(platform, pid)] = (post_id, text)
    return found


def _insert_sqlite(conn: Connection, rows: list[list], consts: tuple = ()) -> int:
    """One executemany of prepared rows on the driver's cursor; returns how many rows were new."""
    cur = conn.connection.dbapi_connection.cursor()
    try:
        return cur.executemany(insert_statement(consts) if consts else INSERT_SQLITE, rows).rowcount
    finally:
        cur.close()


def insert_statement(consts: tuple) -> str:
    """INSERT_SQLITE with the last len(consts) columns as literals (each binding saved is ~0.4 us a row)."""
    found = _INSERTS.get(consts)
    if found is None:
        if len(_INSERTS) >= 64:
            _INSERTS.clear()
        n = len(POST_COLUMNS) - len(consts)
        values = [("NULLIF(?, -1)" if c in NULLABLE else "?") for c in POST_COLUMNS[:n]]
        values += [_sql_literal(v, c in NULLABLE) for v, c in zip(consts, POST_COLUMNS[n:], strict=True)]
        found = _INSERTS[consts] = (f"INSERT INTO posts ({_COLS}) VALUES ({', '.join(values)}) "
                                    "ON CONFLICT (platform, platform_id) DO NOTHING")
    return found


def _sql_literal(value: int | str, nullable: bool) -> str:
    """An SQL literal of a value `_literal_safe` accepted (NULL_MARK in a nullable column is NULL)."""
    if type(value) is int:
        return "NULL" if nullable and value == NULL_MARK else str(int(value))
    return "'" + value.replace("'", "''") + "'"


def _media_ids(conn: Connection, batch: Prepared, new: list[int]) -> dict[int, int]:
    """Row index -> stored post id, for the new rows that have media (PostgreSQL: looked up)."""
    with_media = [i for i in new if i in batch.media]
    stored = _lookup(conn, {(batch.rows[i][0], batch.rows[i][1]) for i in with_media}) if with_media else {}
    return {i: stored[(batch.rows[i][0], batch.rows[i][1])][0] for i in with_media
            if (batch.rows[i][0], batch.rows[i][1]) in stored}


def _copy_new(conn: Connection, rows: list[tuple]) -> bool:
    """COPY rows straight into posts inside a savepoint; False, with nothing written, if one is stored.

    Straight in, every row is written once and without ON CONFLICT's check per row
    (benchmarks/bench_ingest.py --pg).
    """
    from psycopg.errors import UniqueViolation

    with conn.connection.driver_connection.cursor() as cur:
        cur.execute("SAVEPOINT posts_copy")
        try:
            _copy_rows(cur, "posts", rows)
        except UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT posts_copy")
            return False
        cur.execute("RELEASE SAVEPOINT posts_copy")
    return True


def _move_new(conn: Connection, rows: list[tuple]) -> int:
    """COPY into a session temp table, then one INSERT ... SELECT that skips rows stored meanwhile."""
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(PG_LOAD)
        _copy_rows(cur, "posts_load", rows)
        cur.execute(PG_MOVE)
        inserted = cur.rowcount
        cur.execute("TRUNCATE posts_load")
    return inserted


def _copy_rows(cur, table: str, rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({_COLS}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
