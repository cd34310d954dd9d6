"""On a Dask LocalCluster, a run's posts with veiled references are held by the workers and written
once, after the run's priors are known: every annotation, mention, label and kept sum equals the
one-process `analyze` on the same posts, on both engines, also when a worker holding posts is lost,
past a worker's limit, and when the coordinator dies before they are written."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import text, update
from veiled_runs import fill, stored_rows

from envoywatch import distributed as dist
from envoywatch.analysis.pipeline import current_version
from envoywatch.analyze import analyze
from envoywatch.store import annotations as store_ann
from envoywatch.store import open_store
from envoywatch.store.schema import annotations

pytest.importorskip("dask.distributed")
pytestmark = pytest.mark.slow

POSTS = 90
CHUNK = 16  # posts per task: six tasks, each holding some


def _fill(store, start: int = 0, stop: int = POSTS) -> None:
    fill(store, start, stop)


def _outdate(store) -> None:
    """Every post annotated by another pipeline version, claiming a hostile mention of Japan."""
    analyze(store, fast=True, detect_events=False)
    with store.write() as conn:
        conn.execute(update(annotations).values(version="old"))
        conn.execute(text("UPDATE mentions SET code = 'JP', stance = 'hostile', veiled = FALSE"))


def _count_writes(store) -> None:
    """Log every annotation row inserted, whichever process inserts it (a trigger in the database)."""
    with store.write() as conn:
        conn.execute(text("CREATE TABLE annotation_writes (post_id BIGINT)"))
        if conn.dialect.name == "sqlite":
            conn.execute(text("CREATE TRIGGER log_write AFTER INSERT ON annotations "
                              "BEGIN INSERT INTO annotation_writes VALUES (NEW.post_id); END"))
        else:
            conn.execute(text("CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN INSERT INTO annotation_writes VALUES (NEW.post_id); RETURN NEW; END $$"))
            conn.execute(text("CREATE TRIGGER log_write AFTER INSERT ON annotations "
                              "FOR EACH ROW EXECUTE FUNCTION log_write()"))


def _writes(store) -> Counter:
    with store.read() as conn:
        return Counter(conn.execute(text("SELECT post_id FROM annotation_writes")).scalars())


def _workspaces(db_url, tmp_path, outdated: bool = False):
    """The workspace for Dask (writes counted from now on), and the same posts analyzed in one process."""
    store, ref = open_store(db_url), open_store(str(tmp_path / "ref.db"))
    for s in (store, ref):
        _fill(s)
        if outdated:
            _outdate(s)
    _count_writes(store)
    analyze(ref, fast=True, detect_events=False)
    return store, ref


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client

    cluster = dist.local_cluster(2)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.parametrize("outdated", [False, True])
def test_veiled_posts_written_once_equal_one_process(db_url, tmp_path, client, outdated) -> None:
    store, ref = _workspaces(db_url, tmp_path, outdated)
    res = dist.analyze_on_dask(store, fast=True, detect_events=False, client=client, chunk=CHUNK)
    veiled = store_ann.veiled_post_ids(store)
    assert res["annotated"] == POSTS and res["tasks"] == 6 and res["reresolved_veiled"] == len(veiled) > 20
    assert stored_rows(store) == stored_rows(ref)
    writes = _writes(store)
    assert len(writes) == POSTS and set(writes.values()) == {1}, "a post was written more than once"
    store.close()
    ref.close()


def _holding_at_most(limit: int):
    def task(url, ids, fast, run, priors):
        """annotate_chunk with a worker's limit of held posts lowered to `limit`."""
        from envoywatch import analyze as az

        before, az.HELD_VEILED = az.HELD_VEILED, limit
        try:
            return dist.annotate_chunk(url, ids, fast, run, priors)
        finally:
            az.HELD_VEILED = before

    return task


def test_past_a_workers_limit_veiled_posts_are_written_then_reresolved(db_url, tmp_path, client) -> None:
    store, ref = _workspaces(db_url, tmp_path)
    res = dist.analyze_on_dask(store, fast=True, detect_events=False, client=client, chunk=CHUNK,
                               task=_holding_at_most(3))
    assert res["annotated"] == POSTS
    assert stored_rows(store) == stored_rows(ref)
    writes, veiled = _writes(store), set(store_ann.veiled_post_ids(store))
    assert len(writes) == POSTS and max(writes.values()) == 2  # the two workers held 6 posts, the rest
    assert all(writes[p] == 1 for p in writes if p not in veiled)  # were written, then rewritten
    assert sum(writes[p] == 1 for p in veiled) <= len(veiled) - 20
    store.close()
    ref.close()


def _dies_once_holding(marker):
    def task(url, ids, fast, run, priors):
        """The first task to finish kills its worker process, with its posts written or held."""
        import os

        done = dist.annotate_chunk(url, ids, fast, run, priors)
        if not marker.exists():
            marker.touch()
            os._exit(1)
        return done

    return task


def test_worker_killed_holding_posts_loses_and_doubles_nothing(db_url, tmp_path, client) -> None:
    store, ref = _workspaces(db_url, tmp_path)
    marker = tmp_path / "killed"
    res = dist.analyze_on_dask(store, fast=True, detect_events=False, client=client, chunk=CHUNK,
                               task=_dies_once_holding(marker))
    assert marker.exists() and res["annotated"] == POSTS
    assert stored_rows(store) == stored_rows(ref)
    writes, veiled = _writes(store), set(store_ann.veiled_post_ids(store))
    assert all(writes[p] == 1 for p in veiled)  # the task run again held them too
    assert max(writes.values()) == 2  # the killed task's other posts, written again by its second run
    store.close()
    ref.close()


def test_posts_held_by_a_lost_worker_are_annotated_again(db_url, tmp_path, client, monkeypatch) -> None:
    write_held = dist._write_held

    def forget_held() -> int:
        """What a worker restarted between the tasks and the writing of held posts would hold: nothing."""
        from envoywatch.distributed import _WORKER_STATE

        return len(_WORKER_STATE.pop("held", {}))

    def one_worker_lost_first(c, *args):
        assert all(c.run(forget_held, workers=[min(c.scheduler_info()["workers"])]).values())
        return write_held(c, *args)

    monkeypatch.setattr(dist, "_write_held", one_worker_lost_first)
    store, ref = _workspaces(db_url, tmp_path, outdated=True)
    res = dist.analyze_on_dask(store, fast=True, detect_events=False, client=client, chunk=CHUNK)
    assert res["annotated"] == POSTS
    assert stored_rows(store) == stored_rows(ref)
    writes, veiled = _writes(store), set(store_ann.veiled_post_ids(store))
    assert sum(writes[p] == 1 for p in veiled) and sum(writes[p] > 1 for p in veiled)  # held by each worker
    store.close()
    ref.close()


@pytest.mark.parametrize("outdated", [False, True])
def test_coordinator_dying_before_the_held_posts_are_written_loses_nothing(db_url, tmp_path, client, monkeypatch,
                                                                           outdated) -> None:
    def dies(*args):
        raise KeyboardInterrupt

    store, ref = _workspaces(db_url, tmp_path, outdated)
    with monkeypatch.context() as m:
        m.setattr(dist, "_write_held", dies)
        with pytest.raises(KeyboardInterrupt):
            dist.analyze_on_dask(store, fast=True, detect_events=False, client=client, chunk=CHUNK)
    pending = store_ann.pending_ids(store, current_version())
    assert pending and len(pending) < POSTS  # the held posts, and only those, are to be annotated again
    again = dist.analyze_on_dask(store, fast=True, detect_events=False, client=client, chunk=CHUNK)
    assert again["annotated"] == len(pending)
    assert stored_rows(store) == stored_rows(ref)
    store.close()
    ref.close()


def test_veiled_posts_of_earlier_runs_are_resolved_again(db_url, tmp_path, client) -> None:
    store, ref = open_store(db_url), open_store(str(tmp_path / "ref.db"))
    for half in ((0, POSTS // 2), (POSTS // 2, POSTS)):  # the second half's targets move the first's priors
        for s in (store, ref):
            _fill(s, *half)
        analyze(ref, fast=True, detect_events=False)
        dist.analyze_on_dask(store, fast=True, detect_events=False, client=client, chunk=CHUNK)
        assert stored_rows(store) == stored_rows(ref)
    store.close()
    ref.close()
