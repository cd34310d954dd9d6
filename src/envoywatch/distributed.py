"""Annotation as partitioned tasks on a dask.distributed cluster, written back idempotently.

As in `analyze`, a run's posts with veiled references are written once, when the run's priors are
known: the workers hold them (fast mode, 10,000 posts on two workers: 7.05-7.55 -> 6.60-7.18
CPU-seconds in all, the coordinator's 1.31-1.43 -> 0.63-0.79, as it no longer reads, scans and
rewrites them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import uuid4

from envoywatch.store import annotations as store_ann
from envoywatch.store import kept
from envoywatch.store.db import Store, open_store

CHUNK = 512  # most posts per task: big enough to amortise model calls, small enough to rebalance
TASKS_PER_WORKER = 4  # small runs are cut finer, so no worker idles through a long last chunk
HELD_RUNS = 2  # runs whose held posts a worker keeps: a coordinator that died leaves its run's behind
_WORKER_STATE: dict[str, object] = {}

Priors = dict[str, dict[str, float]]


@dataclass
class Chunk:
    """What a task reports: posts annotated, and those with veiled references it holds unwritten."""

    annotated: int
    held: list[int] = field(default_factory=list)
    targets: dict[str, dict[str, int]] = field(default_factory=dict)  # the held posts' explicit targets


Task = Callable[[str, Sequence[int], bool, str | None, Priors | None], Chunk]


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


def _held_by_chunk(url: str, run: str) -> dict:
    """This worker's held posts of a run, per chunk (its first id): a chunk run again replaces its own."""
    runs: dict = _WORKER_STATE.setdefault("held", {})  # type: ignore[assignment]
    if (url, run) not in runs:
        while len(runs) >= HELD_RUNS:
            del runs[next(iter(runs))]
        runs[(url, run)] = {}
    return runs[(url, run)]


def annotate_chunk(url: str, ids: Sequence[int], fast: bool, run: str | None = None,
                   priors: Priors | None = None, progress=None) -> Chunk:
    """Annotate and store one chunk; re-running it (after a lost worker) rewrites the same rows.

    With `run`, its posts with veiled references stay unwritten in this worker (up to HELD_VEILED
    per worker) until the coordinator knows the run's priors and calls `write_worker_held`.
    """
    from envoywatch.analyze import HELD_VEILED, HeldVeiled, annotate_ids

    held = None
    if run is not None and ids:
        chunks = _held_by_chunk(url, run)
        chunks.pop(ids[0], None)
        held = chunks[ids[0]] = HeldVeiled(max(0, HELD_VEILED - sum(len(h.anns) for h in chunks.values())))
    n = annotate_ids(_store(url), _pipeline(), list(ids), fast=fast, progress=progress, held=held, priors=priors)
    if held is None:
        return Chunk(n)
    return Chunk(n, [int(a["id"]) for a in held.anns], held.unwritten_targets())


def write_worker_held(url: str, run: str, priors: Priors) -> list[int]:
    """Resolve this worker's held posts of a run with the run's priors and write them, once.

    The countries analyzer that first scanned them remembers their scans: only the resolution runs.
    """
    from envoywatch.analyze import HeldVeiled, write_held

    held = HeldVeiled(0)
    for chunk in _WORKER_STATE.get("held", {}).pop((url, run), {}).values():  # type: ignore[union-attr]
        held.inputs += chunk.inputs
        held.anns += chunk.anns
    write_held(_store(url), _pipeline(), held, priors)
    return [int(a["id"]) for a in held.anns]


async def _write_worker_held_off_loop(url: str, run: str, priors: Priors) -> list[int]:
    """`write_worker_held` in a thread, so that the worker keeps answering the scheduler meanwhile."""
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(None, write_worker_held, url, run, priors)


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


@dataclass
class Run:
    """One `analyze_on_dask` run: where and how its tasks annotate, and the priors it started with."""

    url: str
    fast: bool
    chunk: int
    task: Task
    first: Priors
    key: str = field(default_factory=lambda: uuid4().hex)  # names its held posts on the workers


def _the_priors(priors: Priors) -> Priors:
    """The priors a run started with, as the result of a task."""
    return priors


def _run_tasks(client, run: Run, ids: list[int], hold: bool = True) -> tuple[list[Chunk], int]:
    """Map chunks of ids onto the cluster; a chunk lost with its worker is re-run elsewhere."""
    chunks = [ids[i : i + run.chunk] for i in range(0, len(ids), run.chunk)]
    if not chunks:
        return [], 0
    # Sent once to each worker that needs it, not with every task; unlike scattered data, made again
    # (by a task) if the workers that have it are lost.
    priors = client.submit(_the_priors, run.first, pure=False)
    n, key = len(chunks), run.key if hold else None
    futures = client.map(run.task, [run.url] * n, chunks, [run.fast] * n, [key] * n, [priors] * n,
                         pure=False, retries=2)
    return client.gather(futures), n


def _write_held(client, store: Store, run: Run, reports: list[Chunk], priors: Priors) -> None:
    """Each worker resolves and writes the posts it holds; those a lost worker held are annotated
    again (not held) and re-resolved here with the same priors."""
    from envoywatch.analyze import reresolve_ids

    written: set[int] = set()
    for ids in client.run(_write_worker_held_off_loop, run.url, run.key, priors, on_error="return").values():
        if isinstance(ids, list):
            written.update(ids)
    lost = sorted({i for r in reports for i in r.held} - written)
    if lost:
        _run_tasks(client, run, lost, hold=False)
        reresolve_ids(store, None, lost, run.fast, priors=priors)


def _unwritten_targets(reports: list[Chunk]) -> dict[str, Counter[str]]:
    """The held posts' explicit targets, per account, over every task."""
    out: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for r in reports:
        for account, codes in r.targets.items():
            out[account].update(codes)
    return out


def analyze_on_dask(store: Store, address: str | None = None, fast: bool = False, detect_events: bool = True,
                    client=None, chunk: int | None = None, task: Task = annotate_chunk) -> dict:
    """Annotate pending posts on a cluster (an address, or an already connected client).

    As in `analyze`, every task resolves veiled references with the priors the run started with,
    and the run's posts with veiled references are written once, after the run's priors are
    known: the workers hold them until then (see `annotate_chunk`).
    """
    from envoywatch.analysis.pipeline import current_version

    url = store.engine.url.render_as_string(hide_password=False)
    version = current_version()
    ids = store_ann.pending_ids(store, version)
    own, cluster = (client, None) if client is not None else client_for(address or "local:2")
    try:
        check_versions(own, version)
        workers = len(own.scheduler_info().get("workers", {}))
        kept.start(store)  # the posts stored since the last run; the tasks then keep the sums up
        run = Run(url, fast, chunk or chunk_size(len(ids), workers), task,
                  store_ann.target_priors(store) if ids else {})
        reports, tasks = _run_tasks(own, run, ids)
        done, held = sum(r.annotated for r in reports), sum(len(r.held) for r in reports)
        veiled = store_ann.veiled_post_ids(store) if done else []
        if veiled or held:
            from envoywatch.analyze import reresolve_ids

            priors = store_ann.target_priors(store, _unwritten_targets(reports))
            if veiled:  # cheap (prior readers over stored annotations): done here, not shipped out
                reresolve_ids(store, None, veiled, fast, priors=priors)  # the prior readers only, not every model
            if held:
                _write_held(own, store, run, reports, priors)
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
    return {"annotated": done, "reresolved_veiled": len(veiled) + held, "version": version,
            "tasks": tasks, "chunk": run.chunk, "workers": workers, "events": events}
