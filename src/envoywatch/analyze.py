"""Annotate a workspace: every post not yet annotated (or stale after a model upgrade)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from envoywatch.analysis.base import ANALYZERS, Analyzer, Context, PostInput
from envoywatch.analysis.embed import MODEL_NAME
from envoywatch.analysis.pipeline import Pipeline, current_version, load_builtins, public
from envoywatch.gcfreeze import long_lived_frozen, request_sized_collections
from envoywatch.store import annotations as store_ann
from envoywatch.store import kept
from envoywatch.store.db import Store

Progress = Callable[[int, int], None]


@dataclass
class AnalyzeResult:
    annotated: int
    reresolved_veiled: int
    version: str
    events: dict[str, int]

    def summary(self) -> dict:
        return {"annotated": self.annotated, "reresolved_veiled": self.reresolved_veiled,
                "version": self.version, "events": self.events}


def _context(store: Store, fast: bool, ids: list[int], priors: dict[str, dict[str, float]]) -> Context:
    ctx = Context(fast=fast, target_priors=priors)
    if not fast:
        for pid, vec in store_ann.load_embeddings(store, ids, MODEL_NAME).items():
            ctx.put_embedding(str(pid), vec)
    return ctx


FULL_BATCH = 256  # posts per encoder call and per transaction
FAST_BATCH = 2048  # without the encoder, larger batches spread each batch's fixed costs thinner (1,024: 4% slower)
CHECKPOINT_EVERY = 2.0  # seconds between WAL checkpoints on SQLite, from a thread of their own (see Store.loading)


def fast_batch(n: int) -> int:
    """Posts per batch in fast mode: up to FAST_BATCH, but at least four commits for a call
    (a Dask task) of 1,024 posts or more, so that a killed worker loses at most a quarter of it."""
    return max(FULL_BATCH, min(FAST_BATCH, n // 4))


# Posts with veiled references kept in hand until the priors are known, when no longer than HELD_CHARS
# (the countries analyzer's memo of their scans has the same bounds): about 3 KB each for the benchmark's
# posts, 25 MB for 8,192 of them.
HELD_VEILED = 8192
HELD_CHARS = 5000


class HeldVeiled:
    """This run's posts with veiled references, kept unwritten until the run's priors are known.

    Their references are resolved again with those priors (see `analyze`) and they are written
    once, not written and then rewritten (fast mode, 10,000 posts: 4.2 instead of 4.5 CPU-seconds).
    Past `limit` posts, and longer ones, are written with the rest and re-resolved from the store.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = HELD_VEILED if limit is None else limit
        self.inputs: list[PostInput] = []
        self.anns: list[dict] = []

    def take(self, inputs: list[PostInput], anns: list[dict]) -> tuple[list[dict], list[int]]:
        """Keep this batch's posts with a veiled reference while there is room: the annotations
        to write now, and the ids kept (their older annotations are to be removed now)."""
        rest, kept_ids = [], []
        for p, a in zip(inputs, anns, strict=True):
            if (len(self.anns) < self.limit and len(p.text or "") <= HELD_CHARS
                    and any(m.get("veiled") for m in a.get("countries") or ())):
                self.inputs.append(p)
                self.anns.append(a)
                kept_ids.append(int(a["id"]))
            else:
                rest.append(a)
        return rest, kept_ids

    def unwritten_targets(self) -> dict[str, dict[str, int]]:
        """The explicit targets of the kept posts, which the stored priors do not count yet."""
        return store_ann.explicit_targets(zip((p.account or "" for p in self.inputs), self.anns, strict=True))


def annotate_ids(store: Store, pipe: Pipeline, ids: list[int], fast: bool = False,
                 progress: Progress | None = None, batch: int | None = None,
                 held: HeldVeiled | None = None, priors: dict[str, dict[str, float]] | None = None) -> int:
    """Annotate these posts in batches; each batch is written in one transaction.

    The accounts' target priors are read once per call, not per batch: re-reading them scans
    every mention in the workspace, which made annotation quadratic in its size. Veiled
    references are re-resolved with fresh priors once all posts are annotated (see analyze);
    with `held`, the posts that have them are kept there instead of written. `priors`, when
    given, replace the stored ones (a Dask task gets the priors its run started with).
    A batch's annotations are freed by reference counting: the young generation is collected
    after 50,000 allocations instead of 700 (fast mode: 4% less CPU).
    """
    done = 0
    batch = batch or (fast_batch(len(ids)) if fast else FULL_BATCH)
    if priors is None:
        priors = store_ann.target_priors(store) if ids else {}
    with long_lived_frozen(), request_sized_collections(), \
            store.loading(CHECKPOINT_EVERY) as conn:  # WAL checkpoints off this thread
        for i in range(0, len(ids), batch):
            chunk = ids[i : i + batch]
            ctx = _context(store, fast, chunk, priors)
            inputs = store_ann.load_inputs(store, chunk)
            anns = pipe.run(inputs, ctx)
            anns, kept_back = held.take(inputs, anns) if held is not None else (anns, [])
            with store.transaction(conn):
                store_ann.delete_annotations(conn, kept_back)  # no stale mention feeds the priors
                store_ann.write_annotations(conn, anns, pipe.version)
                kept.written(conn, [int(a["id"]) for a in anns], anns)  # the story's and actor page's sums
                if not fast:
                    cached = {int(p.id): ctx._cache[p.id] for p in inputs if p.id in ctx._cache}
                    store_ann.save_embeddings(conn, cached, MODEL_NAME)
            done += len(chunk)
            if progress:
                progress(done, len(ids))
    return done


# Analyzers that read the accounts' target priors: the only ones re-run when priors change.
PRIOR_READERS = ("countries",)


def reresolve_ids(store: Store, pipe: Pipeline | None, ids: list[int], fast: bool = False,
                  batch: int = FAST_BATCH, priors: dict[str, dict[str, float]] | None = None) -> int:
    """Re-run only the prior-reading analyzers on these posts, over their stored annotations.

    Everything else in an annotation (language, tone, topics, replies) does not depend on the
    priors, so it is read back instead of recomputed; a post without a stored annotation of
    this pipeline version gets the whole pipeline. Unchanged annotations are not rewritten.
    With `pipe` None (a Dask coordinator, which has no pipeline) only the prior readers are set
    up: loading every model there took about 5 s, longer than a fast run of 10,000 posts.
    `priors`, when given, replace the stored ones.
    """
    version = pipe.version if pipe is not None else current_version()
    readers = _readers(pipe)
    if priors is None:
        priors = store_ann.target_priors(store) if ids else {}
    ctx = Context(fast=True, target_priors=priors)
    rest: list[int] = []
    for i in range(0, len(ids), batch):
        inputs = store_ann.load_inputs(store, ids[i : i + batch])
        stored = store_ann.load_annotations(store, [int(p.id) for p in inputs], version)
        have = [p for p in inputs if int(p.id) in stored]
        rest += [int(p.id) for p in inputs if int(p.id) not in stored]
        anns = [dict(stored[int(p.id)], id=p.id) for p in have]
        for a in readers:  # none of them embeds: the context stays fast
            a.run(have, anns, ctx)
        # An annotation the new priors leave as it was is not written again.
        changed = [new for new, p in zip(map(public, anns), have, strict=True) if new != stored[int(p.id)]]
        if changed:
            with store.write() as conn:
                store_ann.write_annotations(conn, changed, version)
                kept.written(conn, [int(a["id"]) for a in changed], changed)
    if rest:
        return len(ids) - len(rest) + annotate_ids(store, pipe if pipe is not None else Pipeline(), rest, fast)
    return len(ids)


def write_held(store: Store, pipe: Pipeline, held: HeldVeiled, priors: dict[str, dict[str, float]],
               batch: int = FAST_BATCH) -> None:
    """Resolve the kept posts' veiled references with these priors, then write them, once."""
    ctx = Context(fast=True, target_priors=priors)
    for a in _readers(pipe):  # the other analyzers' results do not read the priors: kept as they are
        a.run(held.inputs, held.anns, ctx)
    for i in range(0, len(held.anns), batch):
        anns = [public(a) for a in held.anns[i : i + batch]]
        with store.write() as conn:
            store_ann.write_annotations(conn, anns, pipe.version)
            kept.written(conn, [int(a["id"]) for a in anns], anns)


def _readers(pipe: Pipeline | None) -> list[Analyzer]:
    """The pipeline's prior-reading analyzers (without a pipeline, set up on their own)."""
    return [a for a in pipe.analyzers if a.name in PRIOR_READERS] if pipe is not None else prior_readers()


@lru_cache(maxsize=1)
def prior_readers() -> list[Analyzer]:
    """The prior-reading analyzers alone, set up once per process."""
    load_builtins()
    readers = [ANALYZERS.get(name)() for name in PRIOR_READERS]
    for a in readers:
        a.setup()
    return readers


def analyze(store: Store, fast: bool = False, progress: Progress | None = None,
            detect_events: bool = True) -> AnalyzeResult:
    pipe = Pipeline()
    ids = store_ann.pending_ids(store, pipe.version)
    kept.start(store)  # the posts stored since the last run, into the kept sums
    held = HeldVeiled()
    with long_lived_frozen(), request_sized_collections():
        # One process needs no four commits per call (that is for Dask tasks): full-size batches.
        n = annotate_ids(store, pipe, ids, fast, progress, batch=FAST_BATCH if fast else None, held=held)
        # Veiled references lean on the account's history of explicit targets, known only now:
        # this run's are in hand, earlier runs' (and any past the hand's limit) in the store.
        veiled = store_ann.veiled_post_ids(store) if n else []
        if veiled or held.anns:
            priors = store_ann.target_priors(store, held.unwritten_targets())
            if veiled:
                reresolve_ids(store, pipe, veiled, fast, priors=priors)
            write_held(store, pipe, held, priors)
    kept.finish(store)  # recount each week the run touched, once
    events = run_events(store) if detect_events else {}
    return AnalyzeResult(n, len(veiled) + len(held.anns), pipe.version, events)


def run_events(store: Store) -> dict[str, int]:
    from envoywatch.events import detect_all

    return detect_all(store)
