"""`analyze` keeps this run's posts with veiled references in hand and writes them once, after the
priors are known: every annotation, mention, label and kept sum equals writing them first and
re-resolving them from the store (the flow before), on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from veiled_runs import fill, stored_rows

from envoywatch import analyze as az
from envoywatch.analysis.pipeline import Pipeline
from envoywatch.store import annotations as store_ann
from envoywatch.store import kept, open_store
from envoywatch.store.schema import annotations


def _fill(store, n: int = 45) -> None:
    fill(store, 0, n)


def _written_then_reresolved(store) -> None:
    """The flow before: every post written, then the veiled ones re-resolved from the store."""
    pipe = Pipeline()
    kept.start(store)
    az.annotate_ids(store, pipe, store_ann.pending_ids(store, pipe.version), fast=True, batch=16)
    az.reresolve_ids(store, pipe, store_ann.veiled_post_ids(store), fast=True)
    kept.finish(store)


def _outdated(store) -> None:
    """Every post annotated by another pipeline version, claiming a hostile mention of Japan."""
    _written_then_reresolved(store)
    with store.write() as conn:
        conn.execute(update(annotations).values(version="old"))
        conn.execute(text("UPDATE mentions SET code = 'JP', stance = 'hostile', veiled = FALSE"))


@pytest.mark.parametrize("limit", [None, 3, "chars"])
@pytest.mark.parametrize("outdated", [False, True])
def test_veiled_posts_written_once_equal_written_then_reresolved(db_url, tmp_path, monkeypatch, limit,
                                                                 outdated) -> None:
    monkeypatch.setattr(az, "FAST_BATCH", 16)  # several batches, posts kept back from each
    if limit == "chars":  # longer posts are written and re-resolved from the store
        monkeypatch.setattr(az, "HELD_CHARS", 75)
    elif limit is not None:  # and so are posts past the limit
        monkeypatch.setattr(az, "HELD_VEILED", limit)
    store, ref = open_store(db_url), open_store(str(tmp_path / "ref.db"))
    for s in (store, ref):
        _fill(s)
        if outdated:
            _outdated(s)
    res = az.analyze(store, fast=True, detect_events=False)
    _written_then_reresolved(ref)
    assert res.annotated == 45 and res.reresolved_veiled == len(store_ann.veiled_post_ids(store)) > 3
    assert stored_rows(store) == stored_rows(ref)
    store.close()
    ref.close()


def test_priors_with_unwritten_targets_equal_priors_once_written(db_url) -> None:
    store = open_store(db_url)
    _fill(store)
    pipe = Pipeline()
    held = az.HeldVeiled()
    az.annotate_ids(store, pipe, store_ann.pending_ids(store, pipe.version), fast=True, batch=16, held=held)
    assert held.anns and store_ann.explicit_targets(zip((p.account for p in held.inputs), held.anns))
    before = store_ann.target_priors(store, held.unwritten_targets())
    with store.write() as conn:
        store_ann.write_annotations(conn, held.anns, pipe.version)
    after = store_ann.target_priors(store)
    assert before == after and after["x:emb1"] == after["x:emb0"]
    with store.read() as conn:
        assert conn.execute(select(annotations.c.post_id)).all()
    store.close()
