"""The collector contract: a polite HTTP client, cursors kept in the workspace, and the paging engine.

Every collector pages an account's timeline from newest to oldest. The engine writes each page,
and the cursor that follows it, in one transaction: a run killed at any point resumes at the
first page it had not committed, so nothing is lost and nothing is stored twice.
"""

from __future__ import annotations

import functools
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx
import orjson
from sqlalchemy import Connection, insert, select, update

from envoywatch import __version__
from envoywatch.domain import Location, Parsed, Reject
from envoywatch.plugins import Registry
from envoywatch.store.db import Store
from envoywatch.store.schema import collect_cursors
from envoywatch.store.writer import Counts, PostWriter
from envoywatch.timeutil import utcnow

log = logging.getLogger("envoywatch.collect")

PROJECT_URL = "https://github.com/envoywatch/envoywatch"
RAW_LIMIT = 2000
SEEN_LIMIT = 500  # posts whose reply counts a cursor remembers


class FetchError(RuntimeError):
    """A request that failed after its retries, or a status the API does not document."""

    def __init__(self, url: str, status: int | None, message: str) -> None:
        super().__init__(f"{message} ({url})")
        self.url, self.status = url, status


class AccountGone(RuntimeError):
    """The watched account no longer exists there (deleted, suspended, renamed)."""


class Malformed(ValueError):
    """A response body that is not what the API documents; kept as a reject with its URL."""

    def __init__(self, url: str, reason: str, raw: str = "") -> None:
        super().__init__(f"{reason} ({url})")
        self.url, self.reason, self.raw = url, reason, raw[:RAW_LIMIT]


class Stopped(Exception):
    """Shutdown was asked for (SIGTERM/SIGINT); the current account stops between pages."""


@dataclass
class Politeness:
    """How hard envoywatch may knock: spacing per host, timeouts, retries and the longest wait."""

    min_interval: float = 1.0  # seconds between two requests to the same host
    timeout: float = 20.0
    max_retries: int = 4
    backoff: float = 2.0  # first wait after a 5xx without Retry-After; doubles each retry
    max_wait: float = 600.0  # a longer Retry-After gives up on the account for this run
    contact: str | None = None  # an e-mail or URL added to the User-Agent

    @property
    def user_agent(self) -> str:
        contact = f"; contact {self.contact}" if self.contact else ""
        return f"envoywatch/{__version__} (+{PROJECT_URL}; monitors public diplomatic accounts{contact})"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verified TLS context per process (building one costs half a second)."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: Retry-After (seconds or HTTP date), else the rate-limit reset time.

    Bluesky sends `ratelimit-reset` (epoch seconds), Mastodon `x-ratelimit-reset` (ISO 8601).
    """
    headers = response.headers
    value = (headers.get("retry-after") or "").strip()
    try:
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
        if headers.get("ratelimit-reset", "").strip().isdigit():
            return max(0.0, float(headers["ratelimit-reset"]) - utcnow().timestamp())
        if headers.get("x-ratelimit-reset"):
            reset = datetime.fromisoformat(headers["x-ratelimit-reset"].strip().replace("Z", "+00:00"))
            return max(0.0, (reset - utcnow()).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return None


class Http:
    """An httpx client that paces each host, retries 429/5xx/network errors and can be stopped."""

    def __init__(self, politeness: Politeness | None = None, stop: threading.Event | None = None,
                 sleep: Callable[[float], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.p = politeness or Politeness()
        self.stop = stop or threading.Event()
        self._sleep = sleep
        self._clock = clock
        self._last: dict[str, float] = {}
        self.client = httpx.Client(
            headers={"User-Agent": self.p.user_agent}, timeout=httpx.Timeout(self.p.timeout),
            follow_redirects=True, transport=transport, verify=tls_context())
        self.stats = {"requests": 0, "retries": 0, "waited_s": 0.0}

    def close(self) -> None:
        self.client.close()

    def wait(self, seconds: float, interruptible: bool = True) -> None:
        """Sleep; a backoff wakes early (raising Stopped) when shutdown is asked for."""
        if seconds <= 0:
            return
        self.stats["waited_s"] += seconds
        if self._sleep is not None:
            self._sleep(seconds)
        elif not interruptible:
            time.sleep(seconds)
        elif self.stop.wait(seconds):
            raise Stopped()

    def _pace(self, url: httpx.URL) -> None:
        """Space requests to one host; short, so a stop lets the current page finish."""
        host = f"{url.host}:{url.port}"
        last = self._last.get(host)
        if last is not None:
            self.wait(last + self.p.min_interval - self._clock(), interruptible=False)
        self._last[host] = self._clock()

    def get(self, url: str, params: dict | None = None, headers: dict | None = None) -> httpx.Response:
        """GET with retries; returns any non-retryable response (callers judge 4xx themselves)."""
        request_url = httpx.URL(url)
        wanted = {k: v for k, v in (params or {}).items() if v is not None}
        if wanted:  # merged, so a URL's own query (`/?feed=rss2`) is kept
            request_url = request_url.copy_merge_params(wanted)
        attempts = self.p.max_retries + 1
        for attempt in range(attempts):
            self._pace(request_url)
            self.stats["requests"] += 1
            try:
                response = self.client.get(request_url, headers=headers)
            except httpx.TransportError as err:
                if attempt == attempts - 1:
                    raise FetchError(str(request_url), None, f"{type(err).__name__}: {err}") from err
                self._retry(str(request_url), self.p.backoff * 2**attempt, f"{type(err).__name__}")
                continue
            if response.status_code != 429 and response.status_code < 500:
                return response
            if attempt == attempts - 1:
                raise FetchError(str(request_url), response.status_code,
                                 f"HTTP {response.status_code} after {attempts} attempts")
            asked = retry_after(response)
            wait = asked if asked is not None else self.p.backoff * 2**attempt
            if wait > self.p.max_wait:
                raise FetchError(str(request_url), response.status_code,
                                 f"asked to wait {wait:.0f}s, more than the {self.p.max_wait:.0f}s allowed")
            self._retry(str(request_url), wait, f"HTTP {response.status_code}")
        raise AssertionError("unreachable")

    def _retry(self, url: str, wait: float, why: str) -> None:
        self.stats["retries"] += 1
        log.info("%s from %s; retrying in %.1fs", why, url, wait)
        self.wait(wait)


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON of a response, or Malformed with the start of the body."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as err:
        raise Malformed(str(response.url), f"body is not JSON: {err}",
                        response.content[:RAW_LIMIT].decode("utf-8", "replace")) from None


# --- cursors ----------------------------------------------------------------------------------


def load_cursor(conn: Connection, collector: str, account_key: str) -> dict[str, Any]:
    value = conn.execute(select(collect_cursors.c.cursor).where(
        collect_cursors.c.collector == collector, collect_cursors.c.account_key == account_key)).scalar()
    return dict(value) if isinstance(value, dict) else {}


def save_cursor(conn: Connection, collector: str, account_key: str, cursor: dict[str, Any]) -> None:
    where = (collect_cursors.c.collector == collector, collect_cursors.c.account_key == account_key)
    now = utcnow()
    done = conn.execute(update(collect_cursors).where(*where).values(cursor=cursor, updated_at=now))
    if not done.rowcount:
        conn.execute(insert(collect_cursors).values(collector=collector, account_key=account_key,
                                                    cursor=cursor, updated_at=now))


def account_key(account: dict[str, Any]) -> str:
    """The cursor key of a registry account: `platform:handle` (or its platform id)."""
    return f"{account['platform']}:{account.get('handle') or account.get('platform_id')}"


# --- pages and results ------------------------------------------------------------------------


@dataclass
class Bound:
    """Where paging stops: the newest item a finished run saw, or --since (which overrides it)."""

    newest: Any = None
    since: datetime | None = None


@dataclass
class Page:
    """One fetched page: records to write, the cursor of the next (older) page, its newest key."""

    items: list[Parsed | Reject] = field(default_factory=list)
    next: Any = None
    top: Any = None
    reached: bool = False  # the page went past the bound: no need to page further
    threads: int = 0
    deleted: int = 0


@dataclass
class AccountResult:
    platform: str
    account: str
    status: str = "ok"  # ok | gone | error | stopped
    pages: int = 0
    threads: int = 0
    deleted: int = 0
    blocks: int = 0
    resumed: bool = False
    counts: Counts = field(default_factory=Counts)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "account": self.account, "status": self.status,
                "pages": self.pages, "threads": self.threads, "deleted": self.deleted,
                "blocks": self.blocks, "resumed": self.resumed, **self.counts.as_dict(),
                "error": self.error}


@dataclass
class RunContext:
    """What one run shares across collectors: the workspace, the bound, the page budget."""

    store: Store
    since: datetime | None = None
    max_pages: int = 20
    stop: threading.Event = field(default_factory=threading.Event)
    on_page: Callable[[AccountResult], None] | None = None  # called after each committed page
    writers: dict[str, PostWriter] = field(default_factory=dict)

    def writer(self, name: str) -> PostWriter:
        if name not in self.writers:
            self.writers[name] = PostWriter(self.store, importer=f"collect:{name}")
        return self.writers[name]


def reject(url: str, line: int | None, reason: str, raw: Any = "") -> Reject:
    text = raw if isinstance(raw, str) else orjson.dumps(raw, default=str).decode()
    return Reject(Location(url, line), reason[:500], text[:RAW_LIMIT])


def remember_seen(state: dict[str, Any], post_id: str, count: int) -> None:
    """Keep the reply count last fetched for a post, bounded to the most recent SEEN_LIMIT."""
    seen = state.setdefault("replies_seen", {})
    seen.pop(post_id, None)
    seen[post_id] = count
    while len(seen) > SEEN_LIMIT:
        seen.pop(next(iter(seen)))


def wants_thread(state: dict[str, Any], post_id: str, count: int | None) -> bool:
    """A post's replies are fetched when it has some and their count changed since last time."""
    if not count or count <= 0:
        return False
    seen = state.get("replies_seen", {}).get(post_id)
    return seen != -1 and seen != count


# --- collectors -------------------------------------------------------------------------------


class Collector:
    """Base of a live collector: `open` resolves an account, `fetch_page` reads one page.

    Keys returned as `Page.top` order items (bigger is newer); `order` turns them comparable.
    `extra_pages` yields pages that are not part of the timeline (Bluesky's block records).
    """

    name: ClassVar[str]
    platform: ClassVar[str]
    default_base_url: ClassVar[str] = ""

    def __init__(self, http: Http, base_url: str | None = None, options: dict | None = None) -> None:
        self.http = http
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.overridden = base_url is not None
        self.options = options or {}

    def order(self, key: Any) -> Any:
        return key

    def newer(self, a: Any, b: Any) -> Any:
        if a is None:
            return b
        if b is None:
            return a
        return a if self.order(a) >= self.order(b) else b

    def is_old(self, key: Any, created: datetime | None, bound: Bound) -> bool:
        """Is an item at or before the bound (already collected, or older than --since)?"""
        if bound.since is not None:
            return created is not None and created < bound.since
        return bound.newest is not None and key is not None and self.order(key) <= self.order(bound.newest)

    def open(self, account: dict[str, Any]) -> Any:
        raise NotImplementedError

    def fetch_page(self, target: Any, cursor: Any, state: dict[str, Any], bound: Bound) -> Page:
        raise NotImplementedError

    def extra_pages(self, target: Any, state: dict[str, Any]) -> Iterator[Page]:
        return iter(())

    def collect(self, account: dict[str, Any], ctx: RunContext) -> AccountResult:
        """Collect one account: resume an interrupted pass, then page from the top to the bound."""
        key = account_key(account)
        result = AccountResult(self.platform, account.get("handle") or account.get("platform_id") or "")
        with ctx.store.read() as conn:
            state = load_cursor(conn, self.name, key)
        if ctx.since is not None:
            state.pop("pending", None)
        result.resumed = "pending" in state
        try:
            self._pages(account, ctx, key, state, result)
        except Stopped:
            result.status = "stopped"  # every page written so far is committed with its cursor
        return result

    def _pages(self, account: dict, ctx: RunContext, key: str, state: dict, result: AccountResult) -> None:
        target = self.open(account)
        catch_up = result.resumed
        while result.pages < ctx.max_pages:
            if ctx.stop.is_set():
                raise Stopped()
            pending = state.get("pending")
            bound = Bound(None if ctx.since else state.get("newest"), ctx.since)
            try:
                page = self.fetch_page(target, pending and pending["cursor"], state, bound)
            except Malformed as err:
                self._commit(ctx, key, Page(items=[reject(err.url, None, err.reason, err.raw)]), state, result)
                raise
            top = self.newer(pending and pending.get("top"), page.top)
            if page.next is None or page.reached:
                state["newest"] = self.newer(state.get("newest"), top)
                state.pop("pending", None)
            else:
                state["pending"] = {"cursor": page.next, "top": top}
            self._commit(ctx, key, page, state, result)
            if "pending" not in state:
                if not catch_up:
                    break
                catch_up = False  # the interrupted pass is done; now catch up from the top
        for page in self.extra_pages(target, state):
            if ctx.stop.is_set():
                raise Stopped()
            self._commit(ctx, key, page, state, result)
            result.blocks += sum(len(p.blocks) for p in page.items if isinstance(p, Parsed))

    def _commit(self, ctx: RunContext, key: str, page: Page, state: dict, result: AccountResult) -> None:
        """Write a page's records and the cursor after it in one transaction."""
        with ctx.store.write() as conn:
            counts = ctx.writer(self.name).write(conn, page.items)
            save_cursor(conn, self.name, key, state)
        result.counts.add(counts)
        result.pages += 1
        result.threads += page.threads
        result.deleted += page.deleted
        if ctx.on_page:
            ctx.on_page(result)


COLLECTORS: Registry[type[Collector]] = Registry("collector")


def collector(cls: type[Collector]) -> type[Collector]:
    """Class decorator that registers a collector under its `name`."""
    COLLECTORS.add(cls.name, cls)
    return cls
