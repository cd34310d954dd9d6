"""`analyze` keeps this run's posts with veiled references in hand and writes them once, after the
priors are known: every annotation, mention, label and kept sum equals writing them first and
re-resolving them from the store (the flow before), on both engines."""

from __future__ import annotations

from datetime import date

import orjson
import pytest
from sqlalchemy import select, text, update

from envoywatch import analyze as az
from envoywatch.accounts import AccountEntry, upsert
from envoywatch.analysis.pipeline import Pipeline
from envoywatch.domain import AccountRef, Location, Parsed, Post
from envoywatch.store import annotations as store_ann
from envoywatch.store import kept, open_store
from envoywatch.store.schema import annotations
from envoywatch.store.writer import PostWriter

# emb0 and emb1 are one actor's accounts: emb1's veiled posts lean on what emb0 attacked by name.
TEXTS = [("emb0", "Washington spreads lies about Chinese vaccines in Kazakhstan."),
         ("emb0", "The United States keeps smearing China over Xinjiang."),
         ("emb1", "A certain country keeps spreading lies while its own people die from the virus."),
         ("emb1", "Some politicians in a certain superpower smear others; look at all its states burning."),
         ("emb2", "Japan keeps lying. A certain country spreads lies about our vaccines."),
         ("emb2", "Certain forces keep spreading lies about Kazakhstan and its friends."),
         ("emb3", "A certain country keeps spreading lies while its own people die from the virus."),
         ("emb3", "The United States spreads lies; a certain superpower smears others every day."),
         ("emb1", "Посольство Китая поздравляет Казахстан с праздником.")]
# Sums kept beside the annotations, compared row by row (times of writing and surrogate ids left out).
TABLES = {"annotations": "post_id, version, lang, propaganda, undiplomatic, data",
          "mentions": "post_id, code, role, stance, veiled, confidence",
          "post_labels": "post_id, kind, label, score",
          "story_posts": "post_id, account_id, week, lang, veiled, veiled_hostile, forward",
          "story_countries": "post_id, code, account_id, mentioned, targeted",
          "story_weeks": "account_id, key, week, n, first_id", "page_targets": "account_id, week, code, stance, n",
          "page_weeks": "account_id, week, posts, analysed, und_n, und_sum", "page_labels": "account_id, week, label, n"}


def _fill(store, n: int = 45) -> None:
    with store.write() as conn:
        upsert(conn, [AccountEntry("CN mission", "embassy", "CN", "KZ", "x", "emb0"),
                      AccountEntry("CN mission", "embassy", "CN", "KZ", "x", "emb1"),
                      AccountEntry("RU mission", "embassy", "RU", "KZ", "x", "emb2")])
    items = [Parsed(Location("gen", i), [Post("x", str(i), AccountRef("x", TEXTS[i % len(TEXTS)][0]),
                                              f"{TEXTS[i % len(TEXTS)][1]} #{i}")]) for i in range(n)]
    with store.write() as conn:
        PostWriter(store, "test").write(conn, items)


def _value(v):
    """A column value as both engines agree on it (SQLite: booleans as 0/1, JSON as text)."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str) and v.startswith("{"):
        return orjson.loads(v)
    return str(v) if isinstance(v, date) else v


def _rows(store) -> dict[str, list]:
    with store.read() as conn:
        return {t: sorted(repr([_value(v) for v in r]) for r in conn.execute(text(f"SELECT {cols} FROM {t}")))
                for t, cols in TABLES.items()}


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
    assert _rows(store) == _rows(ref)
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
