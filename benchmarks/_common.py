"""Helpers for envoywatch benchmarks: generated workloads, timing, and result files."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import orjson

RESULTS = Path(__file__).parent / "results"
WORK = Path(os.environ.get("ENVOYWATCH_BENCH_WORK", "/tmp/envoywatch-bench"))

WORDS = ("embassy cooperation Kazakhstan China United States Washington trade vaccine masks "
         "friendship Astana Belt Road culture students visa virus lies media freedom").split()


def tweet(i: int, n_users: int = 500) -> dict:
    """One generated X v2 tweet; every fifth is a reply to an earlier tweet."""
    words = " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(18))
    t = {"id": str(10**15 + i), "text": f"{words} #{i % 97}", "author_id": str(i % n_users),
         "created_at": f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00.000Z",
         "conversation_id": str(10**15 + i), "lang": "en",
         "public_metrics": {"retweet_count": i % 11, "reply_count": i % 5, "like_count": i % 37, "quote_count": 0}}
    if i % 5 == 4:
        t["referenced_tweets"] = [{"type": "replied_to", "id": str(10**15 + i - 3)}]
    return t


def write_twarc_pages(path: Path, n: int, per_page: int = 100, n_users: int = 500) -> Path:
    """n tweets as twarc2 pages (one page per line, with includes.users)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for start in range(0, n, per_page):
            data = [tweet(i, n_users) for i in range(start, min(n, start + per_page))]
            users = [{"id": u, "username": f"user{u}", "name": f"User {u}"}
                     for u in sorted({d["author_id"] for d in data})]
            f.write(orjson.dumps({"data": data, "includes": {"users": users},
                                  "meta": {"result_count": len(data)}}) + b"\n")
    return path


@contextmanager
def timer(out: dict, key: str):
    t0 = time.perf_counter()
    yield
    out[key] = time.perf_counter() - t0


def best_of(fn: Callable[[], None], repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def command_line() -> str:
    """How this benchmark was started, with the thread limit and priority it really ran under."""
    import sys

    threads = os.environ.get("OMP_NUM_THREADS")
    prefix = (f"OMP_NUM_THREADS={threads} " if threads else "") + (f"nice -n {os.nice(0)} " if os.nice(0) else "")
    return prefix + ".venv/bin/python " + " ".join(sys.argv)


def save(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": name, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **result}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return path
