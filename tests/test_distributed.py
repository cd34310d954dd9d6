"""Annotation on a real dask.distributed LocalCluster: same rows as one process, nothing lost or doubled."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from envoywatch.analyze import analyze
from envoywatch.domain import AccountRef, Location, Parsed, Post
from envoywatch.store import open_store
from envoywatch.store.schema import annotations, embeddings, mentions, post_labels
from envoywatch.store.writer import PostWriter

pytest.importorskip("dask.distributed")

TEXTS = ["The United States owes the UN hundreds of millions.", "Посольство Китая поздравляет Казахстан.",
         "Қытай мен Қазақстан арасындағы ынтымақтастық.", "中哈友谊万古长青", "He blocked me for asking a question.",
         "Washington spreads lies about Chinese vaccines in Kazakhstan.", "Trade and culture: students from Astana."]
POSTS = 600  # more than one write batch (256) per task, so a worker can die with half its task stored


def _workspace(path) -> str:
    store = open_store(path)
    items = [Parsed(Location("gen", i), [Post("x", str(i), AccountRef("x", f"u{i % 3}"),
                                              f"{TEXTS[i % len(TEXTS)]} #{i % 11}")])
             for i in range(POSTS)]
    with store.write() as conn:
        PostWriter(store, "test").write(conn, items)
    store.close()
    return str(path)


def _rows(store) -> dict[str, object]:
    """Every annotation row, mention and label (without ids or timestamps), and row counts."""
    with store.read() as conn:
        out: dict[str, object] = {
            "annotations": {r.post_id: r.data for r in conn.execute(select(annotations.c.post_id, annotations.c.data))},
            "mentions": sorted(map(tuple, conn.execute(select(
                mentions.c.post_id, mentions.c.code, mentions.c.role, mentions.c.stance, mentions.c.veiled)))),
            "post_labels": sorted(map(tuple, conn.execute(select(
                post_labels.c.post_id, post_labels.c.kind, post_labels.c.label)))),
        }
        for table in (annotations, mentions, post_labels, embeddings):
            out[f"count:{table.name}"] = conn.execute(select(func.count()).select_from(table)).scalar()
    return out


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> dict[str, object]:
    store = open_store(_workspace(tmp_path_factory.mktemp("one") / "one.db"))
    analyze(store, fast=True, detect_events=False)
    rows = _rows(store)
    store.close()
    assert rows["count:annotations"] == POSTS and rows["count:mentions"] > 0
    return rows


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client

    from envoywatch.distributed import local_cluster

    cluster = local_cluster(2)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.slow
def test_local_cluster_matches_one_process(tmp_path, one_process, client):
    from envoywatch.distributed import analyze_on_dask

    two = open_store(_workspace(tmp_path / "two.db"))
    summary = analyze_on_dask(two, fast=True, detect_events=False, client=client)
    assert summary["annotated"] == POSTS and summary["workers"] == 2
    assert _rows(two) == one_process
    # A second run, on a cluster started from its address, finds nothing pending and doubles nothing.
    again = analyze_on_dask(two, "local:1", fast=True, detect_events=False)
    assert again["annotated"] == 0 and again["tasks"] == 0
    assert _rows(two) == one_process


def _dies_once(marker):
    from envoywatch.distributed import annotate_chunk

    def dies_once(url, ids, fast, run, priors):
        """The first task to commit its first batch kills its worker process, with half its posts stored."""
        def progress(done, total):
            if done < total and not marker.exists():
                marker.touch()
                os._exit(1)
        return annotate_chunk(url, ids, fast, run, priors, progress)

    return dies_once


@pytest.mark.slow
def test_worker_killed_mid_task_loses_and_doubles_nothing(tmp_path, one_process, client):
    from envoywatch.distributed import analyze_on_dask

    marker = tmp_path / "killed"
    two = open_store(_workspace(tmp_path / "two.db"))
    summary = analyze_on_dask(two, fast=True, detect_events=False, client=client, task=_dies_once(marker),
                              chunk=512)
    assert marker.exists(), "no worker was killed"
    assert summary["annotated"] == POSTS
    assert _rows(two) == one_process


@pytest.mark.slow
def test_worker_killed_on_postgresql(db_url, tmp_path, one_process, client):
    if "://" not in db_url:
        pytest.skip("the SQLite case is the test above")
    from envoywatch.distributed import analyze_on_dask

    marker = tmp_path / "killed"
    two = open_store(_workspace(db_url))
    summary = analyze_on_dask(two, fast=True, detect_events=False, client=client, task=_dies_once(marker),
                              chunk=512)
    assert marker.exists() and summary["annotated"] == POSTS
    assert _rows(two) == one_process
    two.close()


def test_small_runs_are_cut_into_several_tasks_per_worker():
    from envoywatch.distributed import CHUNK, chunk_size

    assert chunk_size(600, 2) == 75 and chunk_size(10**6, 8) == CHUNK and chunk_size(5, 2) == 16


def test_workers_with_other_analyzer_versions_are_refused():
    from envoywatch.distributed import check_versions

    class Workers:
        def run(self, fn):
            return {"tcp://10.0.0.7:4000": "lang@1+topics@2", "tcp://10.0.0.8:4000": "lang@1+topics@3"}

    check_versions(type("Same", (), {"run": lambda self, fn: {"w": "v1"}})(), "v1")
    with pytest.raises(RuntimeError, match="10.0.0.7"):
        check_versions(Workers(), "lang@1+topics@3")
