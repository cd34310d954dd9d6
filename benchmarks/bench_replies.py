"""Speed of the replies stage against the bare multilingual-e5 encoder on the same replies.

Writes benchmarks/results/replies.json. The replies stage embeds through the shared
context (as the pipeline does) and adds its n-gram heads and block-claim rules; the goal
is >= 0.8 of the bare encoder's posts per second. Run: `python benchmarks/bench_replies.py [N]`.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from envoywatch.analysis.base import Context, PostInput  # noqa: E402
from envoywatch.analysis.embed import embed_passages  # noqa: E402
from envoywatch.analysis.replies import RepliesAnalyzer  # noqa: E402
from envoywatch.training.replies import load_replies  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "replies.json"


def replies_sample(n: int) -> list[PostInput]:
    rows = load_replies("train") + load_replies("heldout")
    rows = (rows * (n // max(1, len(rows)) + 1))[:n]
    return [
        PostInput(id=f"r{i}", text=r["text"], lang=r["lang"], in_reply_to="p", parent_account="x:e")
        for i, r in enumerate(rows)
    ]


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(n: int = 400) -> dict:
    posts = replies_sample(n)
    texts = [p.text for p in posts]
    analyzer = RepliesAnalyzer()
    analyzer.setup()
    embed_passages(texts[:16])  # load the encoder before timing

    def stage(fast: bool) -> None:
        anns = [{"id": p.id, "lang": p.lang} for p in posts]
        analyzer.run(posts, anns, Context(fast=fast))

    bare = timed(lambda: embed_passages(texts))
    full = timed(lambda: stage(False))
    fast = timed(lambda: stage(True))
    result = {
        "posts": len(posts),
        "bare_encoder_posts_per_s": round(len(posts) / bare, 1),
        "replies_stage_posts_per_s": round(len(posts) / full, 1),
        "replies_fast_path_posts_per_s": round(len(posts) / fast, 1),
        "ratio_vs_bare_encoder": round(bare / full, 3),
        "goal_ratio": 0.8,
        "note": "best of 3 runs each; replies stage embeds through Context like the pipeline",
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}",
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 400), indent=2))
