"""Queries at analyst scale: actor page, /api/posts with filters, search and story over 1M posts + 5M replies.

The workspace comes from `_bigworkspace.py` (cached under /tmp/envoywatch-bench). It is served by the real
`envoywatch serve` (uvicorn, one process) on loopback and loaded open-loop with bench_web's client: each
endpoint first with its URL cached by the dashboard (as a team browsing it sees it), then with every
request on its own URL, so the page cache never answers and each request runs its queries. A static file
served in the same run is the floor. The same operations are also timed in-process, without HTTP.

    nice -n 15 .venv/bin/python benchmarks/bench_queries.py [--scale 1] [--pg URL] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))
import _bigworkspace as big
from _common import command_line
from bench_web import Pool, free_port, phase, start_server

RESULTS = Path(__file__).parent / "results"
GOAL_P95_MS = 200


def subjects(scale: float) -> dict[str, dict]:
    """The busiest actor (its two accounts write ~4% of all posts) and a median one."""
    lay = big.layout(scale)
    top, med = 0, big.N_WATCHED // 2
    out = {}
    for label, acc in (("top", top), ("median", med)):
        plat = lay["acc_platform"][acc]
        out[label] = {"actor_id": int(lay["acc_actor"][acc]), "account": f"{plat}:bench_{plat}_{acc:03d}"}
    return out


def endpoints(scale: float) -> list[tuple[str, str, float]]:
    """(name, path, rate factor): what an analyst opens, and the filters of the posts list and search."""
    s = subjects(scale)
    top, med = s["top"], s["median"]
    return [
        ("actor_page_median", f"/actor/{med['actor_id']}", 1.0),
        ("actor_page_top", f"/actor/{top['actor_id']}", 0.5),
        ("api_actor_median", f"/api/actors/{med['actor_id']}", 1.0),
        ("posts_latest", "/api/posts", 1.0),
        ("posts_page_20", "/api/posts?page=20", 1.0),
        ("posts_account", f"/api/posts?account={quote(med['account'])}", 1.0),
        ("posts_account_top", f"/api/posts?account={quote(top['account'])}", 1.0),
        ("posts_country_common", "/api/posts?target=US", 1.0),
        ("posts_country_rare", "/api/posts?target=PL", 1.0),
        ("posts_language", "/api/posts?lang=ru", 1.0),
        ("posts_date_range", "/api/posts?from=2021-03-01&to=2021-04-01", 1.0),
        ("posts_technique", "/api/posts?technique=whataboutism", 1.0),
        ("posts_kind", "/api/posts?kind=quote", 1.0),
        ("posts_combined", f"/api/posts?account={quote(top['account'])}&lang=en&from=2020-01-01&to=2021-01-01",
         1.0),
        ("search_rare_word", "/api/posts?q=Vilnius", 1.0),
        ("search_two_words", "/api/posts?q=hegemony+sanctions", 1.0),
        ("search_common_word", "/api/posts?q=vaccine", 0.5),
        ("search_page", "/search?q=Vilnius", 1.0),
        ("country_page_common", "/country/US", 1.0),  # who attacks a country: the country most attacked
        ("country_page_rare", "/country/PL", 1.0),
        ("api_actors", "/api/actors", 1.0),  # cached per workspace state: "uncached" is warm, first_request_ms cold
        # the story is cached per URL: "cached" is the warm story, "uncached" (?nocache=N) builds it every time
        ("story_median", f"/api/story/{med['actor_id']}", 0.2),
        ("story_top", f"/api/story/{top['actor_id']}", 0.05),
    ]


async def http_phases(port: int, eps: list, rate: float, seconds: float) -> dict:
    pool = Pool("127.0.0.1", port)
    out: dict[str, dict] = {}
    try:
        for name, path, _ in eps:  # warm-up: the first computation of each, and the statistics
            t0 = time.perf_counter()
            status = await pool.get(path)
            out[name] = {"first_request_ms": round((time.perf_counter() - t0) * 1000, 1), "first_status": status}
        out["static_reference"] = await phase(pool, "/static/app.css", rate, seconds)
        for name, path, factor in eps:
            await pool.get(path)  # warm again: earlier "uncached" phases may have evicted it from the cache
            out[name]["cached"] = await _phase(pool, path, rate * factor, seconds)
            out[name]["uncached"] = await _phase(pool, path, max(0.5, rate * factor / 4), seconds, bust=True)
            print(f"{name}: uncached p95 {out[name]['uncached']['p95_ms']} ms", file=sys.stderr, flush=True)
    finally:
        pool.close()
    return out


async def _phase(pool: Pool, path: str, rate: float, seconds: float, bust: bool = False) -> dict:
    """bench_web's phase; a phase that overruns its time limit is reported, not fatal."""
    own = Pool(pool.host, pool.port)  # fresh connections: a late phase leaves none half-read
    try:
        return await phase(own, path, rate, seconds, bust)
    except TimeoutError:
        return {"url": path, "requests": int(rate * seconds), "errors": int(rate * seconds),
                "error_kinds": ["timeout"], "p50_ms": None, "p95_ms": None, "p99_ms": None}
    finally:
        own.close()


def in_process(url: str, scale: float, repeat: int = 5) -> dict:
    """The same work without HTTP or cache: median and max of `repeat` runs, in ms."""
    from envoywatch.store import open_store
    from envoywatch.web import views
    from envoywatch.web.queries import watched_actors

    store = open_store(url)
    s = subjects(scale)
    ops = {"subject_page_median": lambda: views.subject_page(store, views.find_subject(store, str(
        s["median"]["actor_id"])), with_story=False),
        # as the HTML page computes it (the story for its narrative), and as /api/actors/{who} (whole story)
        "subject_page_top": lambda: views.subject_page(store, views.find_subject(store, str(s["top"]["actor_id"])),
                                                       as_shown=True),
        "subject_api_top": lambda: views.subject_page(store, views.find_subject(store, str(s["top"]["actor_id"]))),
        "story_median": lambda: views.story_for(store, views.find_subject(store, str(s["median"]["actor_id"])).actor),
        "story_top": lambda: views.story_for(store, views.find_subject(store, str(s["top"]["actor_id"])).actor),
        "watched_actors": lambda: watched_actors(store),
        "search_common_word": lambda: views.posts_page(store, {"q": "vaccine"}),
        "posts_latest": lambda: views.posts_page(store, {}),
        "posts_country_rare": lambda: views.posts_page(store, {"target": "PL"}),
        "search_rare_word": lambda: views.posts_page(store, {"q": "Vilnius"})}
    out = {}
    for name, fn in ops.items():
        times, cpu = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        out[name] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                     "median_cpu_ms": round(statistics.median(cpu), 1), "max_cpu_ms": round(max(cpu), 1)}
    store.close()
    return out


def counts(url: str) -> dict:
    from sqlalchemy import text

    from envoywatch.store import open_store

    store = open_store(url)
    with store.read() as conn:
        q = lambda s: conn.execute(text(s)).scalar_one()
        res = {"posts_and_replies": q("SELECT count(*) FROM posts"),
               "replies": q("SELECT count(*) FROM posts WHERE kind = 'reply'"),
               "accounts": q("SELECT count(*) FROM accounts"), "events": q("SELECT count(*) FROM events"),
               "mentions": q("SELECT count(*) FROM mentions")}
    store.close()
    return res


def run_engine(url: str, scale: float, rate: float, seconds: float, only: list[str] | None = None) -> dict:
    eps = [e for e in endpoints(scale) if not only or e[0] in only]
    sizes = counts(url)  # also applies pending migrations before the server starts
    load_before = round(os.getloadavg()[0], 2)
    port = free_port()
    proc = start_server(url, port)
    try:
        res = asyncio.run(http_phases(port, eps, rate, seconds))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    static = res.pop("static_reference")
    worst = max(res.values(), key=lambda r: r["uncached"]["p95_ms"] or float("inf"))
    return {"workspace": url.split("@")[-1], **sizes, "rate_per_s_cached": rate,
            "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
            "static_reference": static, "endpoints": {n: {"path": p, **res[n]} for n, p, _ in eps},
            "p95_uncached_ms": {n: res[n]["uncached"]["p95_ms"] for n, _, _ in eps},
            "ratio_p50_vs_static_uncached": {n: round((res[n]["uncached"]["p50_ms"] or float("nan"))
                                                      / (static["p50_ms"] or 1), 1) for n, _, _ in eps},
            "over_goal_uncached": sorted(n for n, _, _ in eps
                                         if (res[n]["uncached"]["p95_ms"] or float("inf")) >= GOAL_P95_MS),
            "worst_uncached_p95_ms": worst["uncached"]["p95_ms"],
            "errors": sum(r["cached"]["errors"] + r["uncached"]["errors"] for r in res.values()),
            "in_process": in_process(url, scale), "plans": explain(url, scale)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.01 if os.environ.get("ENVOYWATCH_BENCH_QUICK") else 1.0)
    ap.add_argument("--pg", help="also on PostgreSQL at this URL (its public schema is replaced)")
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    ap.add_argument("--rate", type=float, default=20, help="requests/s for cached URLs (uncached: a quarter)")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--chunks", type=int, help="SQLite workspace: only the first N chunks of 20,000 posts")
    ap.add_argument("--pg-chunks", type=int, help="the same for PostgreSQL")
    ap.add_argument("--endpoints", help="comma-separated endpoint names to measure alone (e.g. story_top); "
                                        "recorded under '<engine>_subset' beside the full run")
    args = ap.parse_args()
    path = RESULTS / "queries.json"
    out = json.loads(path.read_text()) if path.exists() else {}
    out.update({"benchmark": "queries", "scale": args.scale, "goal": f"p95 < {GOAL_P95_MS} ms on SQLite",
                "server": "envoywatch serve (uvicorn, 1 process), loopback",
                "client": "bench_web open loop, keep-alive; uncached = every request on its own URL",
                "machine": f"{platform.machine()} {os.cpu_count()} cpus (shared)"})
    if not args.endpoints:
        out["command"] = command_line()
    engines = [("sqlite", None)] + ([("postgresql", args.pg)] if args.pg else [])
    for name, pg in engines:
        if args.only and name != args.only:
            continue
        t0 = time.perf_counter()
        url = big.build(args.scale, pg, log=lambda m: print(m, file=sys.stderr, flush=True),
                        chunks=args.pg_chunks if pg else args.chunks)
        print(f"{name} workspace ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        only = args.endpoints.split(",") if args.endpoints else None
        out[f"{name}_subset" if only else name] = {
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "command": command_line(),
            **run_engine(url, args.scale, args.rate, args.seconds, only)}
    RESULTS.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: out[k].get("p95_uncached_ms") if isinstance(out[k], dict) else out[k] for k in out},
                     indent=2))



POST_FILTERS = {  # the /api/posts endpoints above, as the filters their queries run with
    "posts_latest": {}, "posts_page_20": {"page": "20"}, "posts_account": {"account": "med"},
    "posts_country_common": {"target": "US"}, "posts_country_rare": {"target": "PL"}, "posts_language": {"lang": "ru"},
    "posts_date_range": {"from": "2021-03-01", "to": "2021-04-01"}, "posts_technique": {"technique": "whataboutism"},
    "posts_kind": {"kind": "quote"}, "search_rare_word": {"q": "Vilnius"}, "search_common_word": {"q": "vaccine"},
}


def explain(url: str, scale: float) -> dict[str, dict]:
    """The plan of each /api/posts query (page and count): EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL."""
    from sqlalchemy import func, select

    from envoywatch.queries import COUNT_CAP, _base, apply_filter, posts
    from envoywatch.store import open_store
    from envoywatch.web.views import post_filter

    store = open_store(url)
    med = subjects(scale)["median"]["account"]
    out = {}
    with store.read() as conn:
        for name, params in POST_FILTERS.items():
            f = post_filter({k: (med if v == "med" else v) for k, v in params.items()})
            base = apply_filter(_base(), f, store.dialect)
            page = base.order_by(posts.c.created_at.desc(), posts.c.id.desc()).limit(50).offset((f.page - 1) * 50)
            count = select(func.count()).select_from(
                apply_filter(_base().with_only_columns(posts.c.id), f, store.dialect).limit(COUNT_CAP).subquery())
            out[name] = {k: _plan(conn, q) for k, q in (("page", page), ("count", count))}
        if store.dialect == "sqlite":  # what list_posts runs first for a search: the newest posts only
            from envoywatch.queries import WINDOW, _newest_window, window_search_query

            f = post_filter({"q": "vaccine"})
            window = _newest_window(conn, WINDOW)
            if window:
                out["search_common_word_window"] = {
                    "window": [f"{WINDOW} newest posts: ids from {window[0]}, dated from {window[1]}"],
                    "page": _plan(conn, window_search_query(f, *window, COUNT_CAP))}
        out["story_events_top"] = {"events": _plan(conn, _story_events(store, scale))}
    store.close()
    return out


def _story_events(store, scale: float):
    """The busiest actor's story's events: its accounts' (event_accounts) and its actor's, by index."""
    from sqlalchemy import select

    from envoywatch.store.schema import events
    from envoywatch.story import _involving, resolve
    from envoywatch.web.views import find_subject

    actor, accs = resolve(store, find_subject(store, str(subjects(scale)["top"]["actor_id"])).actor)
    return select(events.c.id).where(_involving([a.id for a in accs], {a.actor_id for a in accs if a.actor_id}))


def _plan(conn, q) -> list[str]:
    sql = str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return [f"{'  ' * (r[1] > 0)}{r[3]}" for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    return [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) " + sql)]


def markdown(res: dict) -> str:
    """The percentile table and the plans of one results file, as docs/performance.md shows them."""
    engines = [e for e in ("sqlite", "postgresql") if e in res]
    lines = ["| endpoint | " + " | ".join(f"{e} p50 / p95 / p99 ms (uncached)" for e in engines)
             + " | " + " | ".join(f"{e} p95 cached" for e in engines) + " |",
             "|---" * (1 + 2 * len(engines)) + "|"]
    names = list(res[engines[0]]["endpoints"])
    for n in ["static_reference", *names]:
        cells, cached = [], []
        for e in engines:
            ep = res[e]["static_reference"] if n == "static_reference" else res[e]["endpoints"].get(n)
            u = ep if n == "static_reference" else (ep or {}).get("uncached")
            cells.append(f"{u['p50_ms']} / {u['p95_ms']} / {u['p99_ms']}" if u else "–")
            c = None if n == "static_reference" else (ep or {}).get("cached")
            cached.append(str(c["p95_ms"]) if c else "–")
        path = "`/static/app.css`" if n == "static_reference" else f"`{res[engines[0]]['endpoints'][n]['path']}`"
        lines.append(f"| {n} {path} | " + " | ".join(cells) + " | " + " | ".join(cached) + " |")
    for e in engines:
        lines += ["", f"### Plans on {e}", ""]
        for name, plans in res[e].get("plans", {}).items():
            if "page" not in plans:  # one statement, as the story's event lookup
                lines += [f"`{name}`:", "", "```", *next(iter(plans.values())), "```", ""]
                continue
            second = plans.get("count", plans.get("window", []))
            what = "page then count" if "count" in plans else "the window, then the page"
            first, rest = (plans["page"], second) if "count" in plans else (second, plans["page"])
            lines += [f"`{name}`, {what}:", "", "```", *first, "--", *rest, "```", ""]
    return "\n".join(lines)


if __name__ == "__main__" and "--markdown" in sys.argv:
    print(markdown(json.loads((RESULTS / "queries.json").read_text())))
    sys.exit(0)


if __name__ == "__main__":
    main()
