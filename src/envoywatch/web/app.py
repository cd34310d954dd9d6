"""The dashboard and JSON API: `create_app(db)` builds the FastAPI application over one workspace."""

from __future__ import annotations

import importlib
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import Future
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from envoywatch.gcfreeze import long_lived_frozen, request_sized_collections
from envoywatch.store.db import Store, open_store
from envoywatch.store.schema import accounts, annotations, events, posts
from envoywatch.web.security import SecurityHeaders, script_json

HERE = Path(__file__).parent


class PageCache:
    """Small LRU of rendered pages and encoded JSON, invalidated whenever the workspace changes.

    It keeps bytes and strings, not the dicts they were made from: a busy actor's page data is tens of
    thousands of objects, and every full garbage collection walked each cached copy (tail latency that
    grew with the number of pages cached).
    """

    def __init__(self, store: Store, size: int = 256, recheck: float = 2.0) -> None:
        self.store, self.size, self.recheck = store, size, recheck
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[tuple, Future] = {}
        self._print: tuple = ()
        self._checked = 0.0

    def fingerprint(self) -> tuple:
        """What changes when posts, annotations or events change; looked up at most every `recheck` s."""
        now = time.monotonic()
        if now - self._checked < self.recheck:
            return self._print
        with self.store.read() as conn:
            stamp = self._write_stamp(conn)
            if stamp is None:  # no cheap stamp: count what the pages show
                p = conn.execute(select(func.count(), func.max(posts.c.id), func.max(posts.c.ingested_at))).one()
                a = conn.execute(select(func.count(), func.max(annotations.c.annotated_at))).one()
                stamp = tuple(p) + tuple(a)
            # (an event's created_at changes only with a new row, and so with its id: no scan for it)
            e = conn.execute(select(func.count(), func.max(events.c.id))).one()
            r = conn.execute(select(func.max(accounts.c.id))).one()
            m = conn.execute(select(func.max(posts.c.id))).one()
        self._print, self._checked = tuple(stamp) + tuple(e) + tuple(r) + tuple(m), now
        return self._print

    def _write_stamp(self, conn) -> tuple | None:
        """Something that changes with every committed write, in O(1) (counts over millions take seconds).

        SQLite: size and modification time of the database and its write-ahead log; PostgreSQL: the next
        transaction id, which only writes advance.
        """
        if self.store.dialect == "postgresql":
            return (conn.exec_driver_sql("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").scalar(),)
        path = self.store.path
        if path is None or not path.exists():
            return None
        out: tuple = ()
        for f in (path, path.with_name(path.name + "-wal")):
            st = f.stat() if f.exists() else None
            out += (st.st_size, st.st_mtime_ns) if st else (None, None)
        return out

    def get(self, key: tuple, compute):
        """The cached value, or `compute()` once per key and workspace state: concurrent misses of the
        same key wait for the first computation instead of each running it (single flight)."""
        full = (key, self.fingerprint())
        with self._lock:
            if full in self._data:
                self._data.move_to_end(full)
                return self._data[full]
            flight = self._flights.get(full)
            leader = flight is None
            if leader:
                flight = self._flights[full] = Future()
        if not leader:
            return flight.result()
        try:
            value = compute()
        except BaseException as e:
            with self._lock:
                self._flights.pop(full, None)
            flight.set_exception(e)
            raise
        with self._lock:
            self._flights.pop(full, None)
            self._data[full] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        flight.set_result(value)
        return value


def _is_number(x: Any) -> bool:
    """Missing or odd annotation values print as a dash instead of failing the page."""
    return isinstance(x, int | float) and not isinstance(x, bool)


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                             undefined=jinja2.ChainableUndefined)
    env.filters["script_json"] = script_json
    env.filters["short"] = lambda s, n=140: (s[: n - 1] + "…") if s and len(s) > n else (s or "")
    env.filters["day"] = lambda s: (s or "")[:10]
    env.filters["pct"] = lambda x: "–" if not _is_number(x) else f"{100 * x:.0f}%"
    env.filters["num"] = lambda x, d=2: "–" if not _is_number(x) else f"{x:.{d}f}"
    env.globals["qs"] = lambda params, **kw: urlencode({k: v for k, v in {**params, **kw}.items()
                                                        if v not in (None, "")})
    return Jinja2Templates(env=env)


# Modules the pages import on first use, imported at start-up instead (the first story or chart then
# does not wait for them, and they are frozen with the rest below).
WARM_MODULES = ("envoywatch.story", "envoywatch.web.charts", "nh3")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Freeze what a started server holds (modules, templates, about 150,000 objects) out of garbage
    collection: each full collection walked them all, about 70 ms, inside whichever request ran then
    (the busiest actor's page: 4 renders in 15 took 280-293 ms instead of about 205). Young collections
    come per request-sized batch of allocations, not every 700 (`request_sized_collections`)."""
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    with long_lived_frozen(), request_sized_collections():
        yield


def create_app(db: str | None = None, store: Store | None = None, alerts_config: str | None = None) -> FastAPI:
    """The dashboard over the workspace `db` (path or URL; default as for the CLI)."""
    from envoywatch.web import api, pages

    app = FastAPI(title="envoywatch", version="0.1.0", docs_url=None, redoc_url=None,  # their UIs load a CDN
                  lifespan=_lifespan,
                  description="Dashboard and JSON API over an envoywatch workspace. Read-only unless a "
                              "request carries `Authorization: Bearer TOKEN` (envoywatch tokens create).")
    app.state.store = store or open_store(db)
    app.state.cache = PageCache(app.state.store)
    app.state.templates = _templates()
    app.state.alerts_config = alerts_config
    app.state.jobs = {}  # background analysis/collection started through the API
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def render(request: Request, name: str, status_code: int = 200, **ctx) -> Any:
    """Render a template with the request and the current query parameters."""
    ctx.setdefault("params", dict(request.query_params))
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status_code)


def render_cached(request: Request, name: str, compute) -> HTMLResponse:
    """A page rendered once per URL and workspace state (the data and the query fully decide it)."""
    def page() -> str:
        ctx = {"params": dict(request.query_params), **compute()}
        return request.app.state.templates.env.get_template(name).render(ctx)

    key = ("html", request.url.path, request.url.query)
    return HTMLResponse(request.app.state.cache.get(key, page))


def json_bytes(obj: Any) -> bytes:
    """JSON via orjson, skipping FastAPI's generic encoder (several times slower on large lists)."""
    return orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS)


def json_response(obj: Any, status_code: int = 200) -> Response:
    return Response(json_bytes(obj), status_code=status_code,
                    media_type="application/json")


def cached_json(request: Request, key: tuple, compute) -> Response:
    """A JSON body encoded once per key and workspace state (kept as bytes: see `PageCache`)."""
    return Response(request.app.state.cache.get(key, lambda: json_bytes(compute())), media_type="application/json")
