"""Load test of the dashboard on loopback: actor page and /api/posts at a fixed rate, p50/p95/p99, errors.

Open loop: requests are started on a fixed schedule (RATE per second for SECONDS), whatever the server's
speed, so slow answers show up as latency instead of a lower request rate. Bounded in count and time.
The reference is a static file served by the same server in the same run (the floor for any page).

    .venv/bin/python benchmarks/bench_web.py [--db WORKSPACE] [--rate 50] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results"
CACHE = Path(os.environ.get("ENVOYWATCH_BENCH_WORK", "/tmp/envoywatch-cache")) / "bench-web"


def demo_workspace() -> tuple[Path, str]:
    """The bundled demo, built and analysed once and cached; the synthetic sample if the demo fails."""
    db = CACHE / "envoywatch.db"
    if db.exists():
        return db, "demo (cached)"
    try:
        from envoywatch.demo import build

        return build(CACHE).db, "demo"
    except Exception as e:  # noqa: BLE001  (still measure the server on the sample story)
        print(f"demo build failed ({type(e).__name__}: {e}); using the synthetic sample", file=sys.stderr)
        from envoywatch.store import open_store
        from envoywatch.web.sample import build_sample

        db = CACHE / "sample.db"
        db.unlink(missing_ok=True)
        build_sample(open_store(db), weeks=52, replies_per_week=20)
        return db, "synthetic sample (52 weeks)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("envoywatch")
    proc = subprocess.Popen([str(exe), "--db", str(db), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/static/app.css", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start: " + proc.stderr.read().decode(errors="replace")[-800:])


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))] if s else float("nan")


class Pool:
    """Keep-alive HTTP/1.1 connections over raw asyncio streams: a client light enough not to be the bottleneck."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str) -> int:
        reused = bool(self.idle)
        conn = self.idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
        reader, writer = conn
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: */*\r\n\r\n".encode())
            await writer.drain()
            first = await reader.readline()
        except ConnectionError:
            if not reused:
                raise
            first = b""
        if not first and reused:  # the server closed an idle keep-alive connection: open a fresh one
            writer.close()
            return await self._fresh(path)
        status = int(first.split()[1])
        length = None
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise ValueError("response without Content-Length")
        await reader.readexactly(length)
        self.idle.append(conn)
        return status

    async def _fresh(self, path: str) -> int:
        self.idle.append(await asyncio.open_connection(self.host, self.port))
        return await self.get(path)

    def close(self) -> None:
        for _, w in self.idle:
            w.close()


async def phase(pool: Pool, url: str, rate: float, seconds: float, bust: bool = False) -> dict:
    """Start rate*seconds requests on schedule; latency in ms, errors counted (non-200 or exception).

    With `bust`, every request has its own query string, so the page cache never answers.
    """
    n = int(rate * seconds)
    lat: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
        start = time.perf_counter()
        try:
            status = await pool.get(f"{url}{'&' if '?' in url else '?'}nocache={i}" if bust else url)
            if status != 200:
                errors.append(str(status))
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
            errors.append(type(e).__name__)
        lat.append((time.perf_counter() - start) * 1000)

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), timeout=seconds + 120)
    wall = time.perf_counter() - t0
    return {"url": url, "requests": n, "errors": len(errors), "error_kinds": sorted(set(errors))[:5],
            "achieved_rps": round(n / wall, 1), "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1), "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1) if lat else None}


async def run(port: int, actor_path: str, rate: float, seconds: float) -> dict:
    pool = Pool("127.0.0.1", port)
    try:
        for path in (actor_path, "/api/posts?page=1", "/static/app.css"):
            if await pool.get(path) != 200:  # warm-up: first computation and a connection
                raise SystemExit(f"{path} does not answer 200")
        static = await phase(pool, "/static/app.css", rate, min(seconds, 10))
        actor = await phase(pool, actor_path, rate, seconds)
        api = await phase(pool, "/api/posts?page=1", rate, seconds)
        actor_cold = await phase(pool, actor_path, rate, min(seconds, 10), bust=True)
        api_cold = await phase(pool, "/api/posts?page=1", rate, min(seconds, 10), bust=True)
    finally:
        pool.close()
    return {"static_reference": static, "actor_page": actor, "api_posts": api,
            "actor_page_uncached_html": actor_cold, "api_posts_uncached": api_cold}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    db, what = (args.db, str(args.db)) if args.db else demo_workspace()
    from envoywatch.store import open_store
    from envoywatch.web.queries import watched_actors

    store = open_store(db)
    actors = sorted(watched_actors(store), key=lambda a: -a["posts"])
    from envoywatch.queries import PostFilter, list_posts

    n_posts = list_posts(store, PostFilter(per_page=1))[1]
    store.close()
    load_before = round(os.getloadavg()[0], 2)
    port = free_port()
    proc = start_server(db, port)
    try:
        res = asyncio.run(run(port, f"/actor/{actors[0]['id']}", args.rate, args.seconds))
    finally:
        proc.terminate()
        proc.wait(10)
    ref = res["static_reference"]["p50_ms"] or 1
    out = {"benchmark": "web", "workspace": what, "posts": n_posts, "actor": actors[0]["name"],
           "rate_per_s": args.rate, "seconds": args.seconds, "server": "envoywatch serve (uvicorn, 1 process), loopback", "client": "open loop, keep-alive asyncio streams",
           "machine": f"{platform.machine()} {os.cpu_count()} cpus (shared)",
           "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)], **res,
           "ratios_vs_static_file_p50": {k: round(res[k]["p50_ms"] / ref, 2) for k in res if k != "static_reference"},
           "note": "pages and /api/posts are cached per URL until the workspace changes (rechecked every 2 s); "
                   "the *_uncached phases give every request its own URL",
           "total_errors": sum(res[k]["errors"] for k in res)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
