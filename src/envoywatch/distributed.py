"""Annotation as partitioned tasks on a dask.distributed cluster, written back idempotently."""

from __future__ import annotations

from collections.abc import Sequence

from envoywatch.store import annotations as store_ann
from envoywatch.store.db import Store, open_store

CHUNK = 512  # posts per task: big enough to amortise model calls, small enough to rebalance
_WORKER_STATE: dict[str, object] = {}


def _pipeline():
    """One pipeline per worker process: models load once, not once per task."""
    from envoywatch.analysis.pipeline import Pipeline

    if "pipe" not in _WORKER_STATE:
        _WORKER_STATE["pipe"] = Pipeline()
    return _WORKER_STATE["pipe"]


def _store(url: str) -> Store:
    key = f"store:{url}"
    if key not in _WORKER_STATE:
        _WORKER_STATE[key] = open_store(url, migrate=False)
    return _WORKER_STATE[key]  # type: ignore[return-value]


def annotate_chunk(url: str, ids: Sequence[int], fast: bool) -> int:
    """Annotate and store one chunk; re-running it (after a lost worker) rewrites the same rows."""
    from envoywatch.analyze import annotate_ids

    return annotate_ids(_store(url), _pipeline(), list(ids), fast=fast)


def client_for(address: str):
    """`local:N` starts a LocalCluster of N single-threaded worker processes on loopback."""
    from dask.distributed import Client, LocalCluster

    if address.startswith("local"):
        n = int(address.split(":", 1)[1]) if ":" in address else 2
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        return Client(cluster), cluster
    return Client(address), None


def analyze_on_dask(store: Store, address: str, fast: bool = False, detect_events: bool = True) -> dict:
    from envoywatch.analysis.pipeline import current_version

    url = store.engine.url.render_as_string(hide_password=False)
    version = current_version()
    ids = store_ann.pending_ids(store, version)
    client, cluster = client_for(address)
    try:
        chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
        futures = client.map(annotate_chunk, [url] * len(chunks), chunks, [fast] * len(chunks),
                             pure=False, retries=2)
        done = sum(client.gather(futures))
        veiled = store_ann.veiled_post_ids(store) if done else []
        if veiled:
            client.gather(client.submit(annotate_chunk, url, veiled, fast, pure=False, retries=2))
        workers = len(client.scheduler_info().get("workers", {}))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    events = {}
    if detect_events:
        from envoywatch.analyze import run_events

        events = run_events(store)
    return {"annotated": done, "reresolved_veiled": len(veiled), "version": version,
            "tasks": len(chunks), "workers": workers, "events": events}
