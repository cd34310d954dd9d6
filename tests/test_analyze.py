"""`analyze`: veiled references re-resolved over stored annotations give what a full re-run gives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from envoywatch.analysis.pipeline import Pipeline
from envoywatch.analyze import analyze, annotate_ids
from envoywatch.domain import AccountRef, Location, Parsed, Post
from envoywatch.store import annotations as store_ann
from envoywatch.store import open_store
from envoywatch.store.schema import annotations, mentions, post_labels
from envoywatch.store.writer import PostWriter

TEXTS = ["Washington spreads lies about Chinese vaccines in Kazakhstan.",
         "The United States keeps smearing China over Xinjiang.",
         "A certain country keeps spreading lies while its own people die from the virus.",
         "Some politicians in a certain superpower smear others; look at all its states burning.",
         "Посольство Китая поздравляет Казахстан с праздником.", "He blocked me for asking a question.",
         "", "🙂🙂", "<script>alert(1)</script> 中美关系"]


def _fill(store, n: int = 40) -> None:
    items = [Parsed(Location("gen", i), [Post("x", str(i), AccountRef("x", f"emb{i % 2}"),
                                              f"{TEXTS[i % len(TEXTS)]} #{i}")]) for i in range(n)]
    with store.write() as conn:
        PostWriter(store, "test").write(conn, items)


def _rows(store) -> dict[str, object]:
    with store.read() as conn:
        anns = {r.post_id: r.data for r in conn.execute(select(annotations.c.post_id, annotations.c.data))}
        ments = sorted(map(tuple, conn.execute(select(mentions.c.post_id, mentions.c.code, mentions.c.role,
                                                      mentions.c.stance, mentions.c.veiled))),
                       key=lambda r: tuple(str(v) for v in r))
        labels = sorted(map(tuple, conn.execute(select(post_labels.c.post_id, post_labels.c.kind,
                                                       post_labels.c.label))))
    return {"annotations": anns, "mentions": ments, "labels": labels}


def test_veiled_rerun_over_stored_annotations_equals_a_full_rerun(db_url, tmp_path) -> None:
    store = open_store(db_url)
    _fill(store)
    res = analyze(store, fast=True, detect_events=False)
    assert res.annotated == 40 and res.reresolved_veiled > 0

    ref = open_store(str(tmp_path / "ref.db"))
    _fill(ref)
    pipe = Pipeline()
    annotate_ids(ref, pipe, store_ann.pending_ids(ref, pipe.version), fast=True)
    annotate_ids(ref, pipe, store_ann.veiled_post_ids(ref), fast=True)  # the whole pipeline again
    assert _rows(store) == _rows(ref)
    store.close()
    ref.close()


def test_post_without_stored_annotation_gets_the_whole_pipeline(tmp_path) -> None:
    from envoywatch.analyze import reresolve_ids

    store = open_store(str(tmp_path / "ws.db"))
    _fill(store, 5)
    pipe = Pipeline()
    assert reresolve_ids(store, pipe, [1, 2, 3], fast=True) == 3
    assert set(_rows(store)["annotations"]) == {1, 2, 3}
    store.close()


def test_reresolve_without_a_pipeline_equals_reresolve_with_one(tmp_path) -> None:
    """A Dask coordinator re-resolves with the prior readers alone; the rows are the same."""
    from envoywatch.analyze import prior_readers, reresolve_ids

    stores = []
    for name in ("with.db", "without.db"):
        store = open_store(str(tmp_path / name))
        _fill(store)
        pipe = Pipeline()
        annotate_ids(store, pipe, store_ann.pending_ids(store, pipe.version), fast=True)
        stores.append(store)
    veiled = store_ann.veiled_post_ids(stores[0])
    assert veiled and veiled == store_ann.veiled_post_ids(stores[1])
    assert reresolve_ids(stores[0], Pipeline(), veiled, fast=True) == len(veiled)
    assert reresolve_ids(stores[1], None, veiled, fast=True) == len(veiled)
    assert _rows(stores[0]) == _rows(stores[1])
    assert [a.name for a in prior_readers()] == ["countries"]
    for store in stores:
        store.close()


@pytest.mark.parametrize("first", ["replies", "propaganda", "countries"])
def test_analyzers_run_in_one_order_whichever_module_was_imported_first(first):
    """The pipeline's order (and so each stored annotation's bytes) does not depend on import order."""
    import subprocess
    import sys

    code = ("from envoywatch.analysis import {}\n"
            "from envoywatch.analysis.base import ANALYZERS\n"
            "from envoywatch.analysis.pipeline import load_builtins, order\n"
            "load_builtins(); print([a.name for a in order(list(ANALYZERS))])")
    runs = [subprocess.run([sys.executable, "-c", code.format(m)], capture_output=True, text=True, check=True).stdout
            for m in ("lang", first)]
    assert runs[0] == runs[1] and "countries" in runs[0]
