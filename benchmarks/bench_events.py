"""Cross-post clustering speed: our four passes against all-pairs Jaccard, and how each grows.

Runs on DIPROMATS tweets (train_t1 en + es) when ../shared/data is present, else synthetic posts,
at n, 2n and 4n posts, and writes benchmarks/results/events.json. The baseline is the best
all-pairs method we know: character 5-shingle Jaccard of every pair as one sparse matrix product
(scipy, in C). Growth is the time ratio when the posts double: about 2 is linear, about 4 quadratic.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from scipy import sparse

from envoywatch.evaluation import shared_data_dir
from envoywatch.events.crossposts import Doc, find_clusters, normalise, shingles

OUT = Path(__file__).parent / "results" / "events.json"
FILES = ("train_t1_en.json", "train_t1_es.json")


def texts(n: int) -> list[str]:
    d = shared_data_dir()
    if d and all((d / "dipromats2023" / f).exists() for f in FILES):
        rows = [r for f in FILES for r in json.loads((d / "dipromats2023" / f).read_text())]
        return [r["text"] for r in rows if r.get("text")][:n]
    rng = random.Random(0)
    words = ["china", "kazakhstan", "trade", "friendship", "virus", "masks", "doctors", "border", "visa", "culture"]
    return [" ".join(rng.choice(words) for _ in range(30)) for _ in range(n)]


def docs(ts: list[str]) -> list[Doc]:
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    return [Doc(i, f"x:a{i % 50}", "x", "en", t0 + timedelta(hours=i), t) for i, t in enumerate(ts)]


LAST: dict[str, int] = {}


def all_pairs(ds: list[Doc], threshold: float = 0.55) -> int:
    """The baseline: Jaccard of character 5-shingles for every pair, as a sparse matrix product.

    Its memory grows with the pairs that share any shingle (`LAST["pairs_sharing_a_shingle"]`)."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, d in enumerate(ds):
        for s in shingles(normalise(d.text)):
            rows.append(i)
            cols.append(vocab.setdefault(s, len(vocab)))
    m = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(ds), len(vocab)))
    inter = sparse.triu(m @ m.T, k=1).tocoo()
    sizes = np.asarray(m.sum(axis=1)).ravel()
    jac = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    LAST["pairs_sharing_a_shingle"] = int(inter.nnz)
    return int((jac >= threshold).sum())


def timed(fn, *args) -> tuple[float, float]:
    """Wall and CPU seconds: on a shared machine the CPU time is the fair comparison."""
    t, c = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - t, time.process_time() - c


def main(n: int = 2500) -> dict:
    find_clusters(docs(texts(50)))  # warm-up: imports and MinHash permutations are not the method's cost
    result: dict = {"data": "DIPROMATS train_t1 en+es tweets" if shared_data_dir() else "synthetic posts",
                    "baseline": "all-pairs char 5-shingle Jaccard as one scipy sparse product",
                    "load_average_at_start": round(os.getloadavg()[0], 1), "runs": []}
    for size in (n, 2 * n, 4 * n):
        ds = docs(texts(size))
        (ours_wall, ours), (base_wall, base) = timed(find_clusters, ds), timed(all_pairs, docs(texts(size)))
        result["runs"].append({"posts": len(ds), "ours_cpu_seconds": round(ours, 3),
                               "all_pairs_cpu_seconds": round(base, 3), "ours_wall_seconds": round(ours_wall, 3),
                               "all_pairs_wall_seconds": round(base_wall, 3),
                               "ours_posts_per_cpu_s": round(len(ds) / ours, 1),
                               "all_pairs_pairs_held": LAST["pairs_sharing_a_shingle"],
                               "cpu_ratio_all_pairs_to_ours": round(base / ours, 2)})
    runs = result["runs"]
    result["cpu_growth_when_posts_double"] = {
        k: [round(b[f"{k}_cpu_seconds"] / a[f"{k}_cpu_seconds"], 2) for a, b in itertools.pairwise(runs)]
        for k in ("ours", "all_pairs")}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
