"""Week sums recounted batch by batch from the rows in hand equal a backfill, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from envoywatch.analysis.pipeline import Pipeline
from envoywatch.analyze import annotate_ids, reresolve_ids
from envoywatch.domain import AccountRef, Location, Parsed, Post
from envoywatch.store import aggregates, open_store
from envoywatch.store import annotations as store_ann
from envoywatch.store.schema import story_countries, story_posts, story_weeks
from envoywatch.store.writer import PostWriter

TEXTS = ["Washington spreads lies about vaccines in Kazakhstan.", "Посольство Китая поздравляет Казахстан.",
         "A certain country keeps spreading lies while its own people die.", "Japan and Russia signed 3 deals.",
         "", "个别国家的政客散布谎言，美国应该先反省自己。", "Thank you, dear friends!"]


def _rows(store) -> list[list[tuple]]:
    with store.read() as c:
        return [sorted(tuple(r) for r in c.execute(select(t))) for t in (story_posts, story_countries, story_weeks)]


@pytest.mark.parametrize("batch", [7, 64])
def test_batches_of_fresh_and_reannotated_posts_sum_like_a_backfill(db_url, batch) -> None:
    store = open_store(db_url)
    start = datetime(2021, 3, 1, tzinfo=UTC)
    items = [Parsed(Location("gen", i), [Post("x", str(i), AccountRef("x", f"emb{i % 3}"), f"{TEXTS[i % 7]} #{i % 5}",
                                              created_at=start + timedelta(days=35 * (i % 4), hours=13 * i))]) for i in range(90)]
    with store.write() as conn:
        PostWriter(store, "test").write(conn, items)
    pipe = Pipeline()
    ids = store_ann.pending_ids(store, pipe.version)
    annotate_ids(store, pipe, ids[::2], fast=True, batch=batch)  # fresh posts, weeks shared across batches
    annotate_ids(store, pipe, ids[1::2], fast=True, batch=batch)  # the other half into the same weeks
    reresolve_ids(store, pipe, ids[::3], batch=batch)  # rewritten posts, read back from the store
    annotate_ids(store, pipe, ids[5:40], fast=True, batch=batch)  # re-annotated: counted before
    kept = _rows(store)
    assert len(kept[2]) > 50
    with store.write() as c:
        aggregates.backfill(c)
    assert _rows(store) == kept
    store.close()


def test_in_hand_posts_beyond_the_limit_are_read_back(monkeypatch, db_url) -> None:
    monkeypatch.setattr(aggregates, "HAND_MAX", 3)
    test_batches_of_fresh_and_reannotated_posts_sum_like_a_backfill(db_url, 64)


def test_runs_of_weeks_recounted_in_small_chunks_take_only_their_own_posts_in_hand(monkeypatch, db_url) -> None:
    monkeypatch.setattr(aggregates, "BATCH", 2)
    test_batches_of_fresh_and_reannotated_posts_sum_like_a_backfill(db_url, 64)
