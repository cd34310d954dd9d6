"""Annotation on a real dask.distributed LocalCluster: same rows as one process, nothing doubled."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from envoywatch.analyze import analyze
from envoywatch.domain import AccountRef, Location, Parsed, Post
from envoywatch.store import open_store
from envoywatch.store.schema import annotations
from envoywatch.store.writer import PostWriter

pytest.importorskip("dask.distributed")

TEXTS = ["The United States owes the UN hundreds of millions.", "Посольство Китая поздравляет Казахстан.",
         "Қытай мен Қазақстан арасындағы ынтымақтастық.", "中哈友谊万古长青", "He blocked me for asking a question."]


def _workspace(path) -> str:
    store = open_store(path)
    items = [Parsed(Location("gen", i), [Post("x", str(i), AccountRef("x", f"u{i % 3}"), TEXTS[i % len(TEXTS)])])
             for i in range(60)]
    with store.write() as conn:
        PostWriter(store, "test").write(conn, items)
    store.close()
    return str(path)


def _annotations(store) -> dict[int, dict]:
    with store.read() as conn:
        return {r.post_id: r.data for r in conn.execute(select(annotations.c.post_id, annotations.c.data))}


@pytest.mark.slow
def test_local_cluster_matches_one_process(tmp_path):
    from envoywatch.distributed import analyze_on_dask

    one = open_store(_workspace(tmp_path / "one.db"))
    analyze(one, fast=True, detect_events=False)
    two = open_store(_workspace(tmp_path / "two.db"))
    summary = analyze_on_dask(two, "local:2", fast=True, detect_events=False)
    assert summary["annotated"] == 60 and summary["workers"] == 2
    assert _annotations(one) == _annotations(two)
    # A second run finds nothing pending and duplicates nothing.
    again = analyze_on_dask(two, "local:2", fast=True, detect_events=False)
    assert again["annotated"] == 0
    with two.read() as conn:
        assert conn.execute(select(func.count()).select_from(annotations)).scalar() == 60
