"""Annotation as partitioned tasks on a dask.distributed cluster, written back idempotently."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from envoywatch.store import annotations as store_ann
from envoywatch.store import kept
from envoywatch.store.db import Store, open_store

CHUNK = 512  # most posts per task: big enough to amortise model calls, small enough to rebalance
TASKS_PER_WORKER = 4  # small runs are cut finer, so no worker idles through a long last chunk
_WORKER_STATE: dict[str, object] = {}

Task = Callable[[str, Sequence[int], bool], int]


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


def annotate_chunk(url: str, ids: Sequence[int], fast: bool, progress=None) -> int:
    """Annotate and store one chunk; re-running it (after a lost worker) rewrites the same rows."""
    from envoywatch.analyze import annotate_ids

    return annotate_ids(_store(url), _pipeline(), list(ids), fast=fast, progress=progress)


WARM_TEXTS = ("The Embassy of China congratulates Kazakhstan on its national day.",
              "Посольство России поздравляет Казахстан с праздником.",
              "Қытай мен Қазақстан арасындағы достық нығаюда.", "中哈友谊万古长青，美国政客散布谎言。",
              "La Embajada de China felicita a España.", "Why did you block me for asking a question?")


def warm_worker(fast: bool) -> None:
    """Load the pipeline, every language's models (and the encoder in full mode) before the first task."""
    from envoywatch.analysis.base import Context, PostInput

    posts = [PostInput(id=f"warm{i}", text=t, sender="CN", host="KZ", account="x:warm") for i, t in enumerate(WARM_TEXTS)]
    posts.append(PostInput(id="warm-reply", text=WARM_TEXTS[-1], in_reply_to="warm0", parent_account="x:warm",
                           watched=False))
    _pipeline().run(posts, Context(fast=fast))
    if not fast:
        _pipeline().run(posts, Context(fast=True))


def warm(client, fast: bool = False) -> int:
    """Warm every worker of this client; returns how many were warmed."""
    return len(client.run(warm_worker, fast))


def _worker_version() -> str:
    from envoywatch.analysis.pipeline import current_version

    return current_version()


def check_versions(client, version: str) -> None:
    """Workers must run the client's analyzers: with another version they would write annotations
    that the next run finds stale again, and re-annotate the same posts for ever."""
    other = {w: v for w, v in client.run(_worker_version).items() if v != version}
    if other:
        raise RuntimeError(f"Dask workers run other analyzer versions than this client ({version}): {other}; "
                           "install the same envoywatch version on every worker")


def local_cluster(n: int):
    """N single-threaded worker processes on loopback, without Dask's statistical profiler.

    The profiler samples every worker's stack every 10 ms: measured here, it costs a worker
    about 1% of a core when idle and more while a task runs, for traces nobody reads in a
    batch job whose tasks are all the same function.
    """
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set({"distributed.worker.profile.enabled": False}):
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=":0")


def client_for(address: str):
    """`local:N` starts a LocalCluster of N single-threaded worker processes on loopback."""
    from dask.distributed import Client

    if address.startswith("local"):
        cluster = local_cluster(int(address.split(":", 1)[1]) if ":" in address else 2)
        return Client(cluster), cluster
    return Client(address), None


def chunk_size(posts: int, workers: int, most: int = CHUNK) -> int:
    """Posts per task: at most `most`, and at least TASKS_PER_WORKER tasks for every worker."""
    return max(16, min(most, -(-posts // max(1, workers * TASKS_PER_WORKER))))


def _run_tasks(client, task: Task, url: str, ids: list[int], fast: bool, chunk: int) -> tuple[int, int]:
    """Map chunks of ids onto the cluster; a chunk lost with its worker is re-run elsewhere."""
    chunks = [ids[i : i + chunk] for i in range(0, len(ids), chunk)]
    futures = client.map(task, [url] * len(chunks), chunks, [fast] * len(chunks), pure=False, retries=2)
    return sum(client.gather(futures)), len(chunks)


def analyze_on_dask(store: Store, address: str | None = None, fast: bool = False, detect_events: bool = True,
                    client=None, chunk: int | None = None, task: Task = annotate_chunk) -> dict:
    """Annotate pending posts on a cluster (an address, or an already connected client)."""
    from envoywatch.analysis.pipeline import current_version

    url = store.engine.url.render_as_string(hide_password=False)
    version = current_version()
    ids = store_ann.pending_ids(store, version)
    own, cluster = (client, None) if client is not None else client_for(address or "local:2")
    try:
        check_versions(own, version)
        workers = len(own.scheduler_info().get("workers", {}))
        chunk = chunk or chunk_size(len(ids), workers)
        kept.start(store)  # the posts stored since the last run; the tasks then keep the sums up
        done, tasks = _run_tasks(own, task, url, ids, fast, chunk)
        veiled = store_ann.veiled_post_ids(store) if done else []
        if veiled:  # cheap (prior readers over stored annotations): done here, not shipped out
            from envoywatch.analyze import reresolve_ids

            reresolve_ids(store, None, veiled, fast)  # sets up the prior readers only, not every model
        kept.finish(store)
    finally:
        if client is None:
            own.close()
            if cluster is not None:
                cluster.close()
    events = {}
    if detect_events:
        from envoywatch.analyze import run_events

        events = run_events(store)
    return {"annotated": done, "reresolved_veiled": len(veiled), "version": version,
            "tasks": tasks, "chunk": chunk, "workers": workers, "events": events}
