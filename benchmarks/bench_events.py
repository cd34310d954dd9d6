"""Cross-post clustering speed: exact hash + MinHash LSH against all-pairs Jaccard, and its growth.

Runs on DIPROMATS tweets when ../shared/data is present (else synthetic posts), at n and 2n
posts, and writes benchmarks/results/events.json with posts/s and the ratio to the baseline.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from envoywatch.evaluation import shared_data_dir
from envoywatch.events.crossposts import Doc, find_clusters, normalise, shingles

OUT = Path(__file__).parent / "results" / "events.json"


def texts(n: int) -> list[str]:
    d = shared_data_dir()
    if d and (d / "dipromats2023" / "train_t1_en.json").exists():
        rows = json.loads((d / "dipromats2023" / "train_t1_en.json").read_text())
        return [r["text"] for r in rows][:n]
    rng = random.Random(0)
    words = ["china", "kazakhstan", "trade", "friendship", "virus", "masks", "doctors", "border", "visa", "culture", "students"]
    return [" ".join(rng.choice(words) for _ in range(30)) for _ in range(n)]


def docs(ts: list[str]) -> list[Doc]:
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    return [Doc(i, f"x:a{i % 50}", "x", "en", t0 + timedelta(hours=i), t) for i, t in enumerate(ts)]


def all_pairs(ds: list[Doc], threshold: float = 0.55) -> int:
    """The baseline: exact Jaccard of character 5-shingles for every pair of posts."""
    sh = [shingles(normalise(d.text)) for d in ds]
    return sum(len(a & b) / max(1, len(a | b)) >= threshold for a, b in itertools.combinations(sh, 2))


def timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def main(n: int = 1000) -> dict:
    find_clusters(docs(texts(50)))  # warm-up: imports and MinHash permutations are not the method's cost
    result: dict = {"data": "DIPROMATS train_t1_en tweets" if shared_data_dir() else "synthetic posts", "runs": []}
    for size in (n, 2 * n):
        ds = docs(texts(size))
        ours = timed(find_clusters, ds)
        base = timed(all_pairs, docs(texts(size)))
        result["runs"].append({"posts": len(ds), "lsh_seconds": round(ours, 3), "all_pairs_seconds": round(base, 3),
                               "lsh_posts_per_s": round(len(ds) / ours, 1),
                               "speedup_vs_all_pairs": round(base / ours, 2)})
    a, b = result["runs"]
    result["growth_when_posts_double"] = {"lsh": round(b["lsh_seconds"] / a["lsh_seconds"], 2),
                                          "all_pairs": round(b["all_pairs_seconds"] / a["all_pairs_seconds"], 2)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
