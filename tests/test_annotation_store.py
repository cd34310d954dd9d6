"""Annotation writes through the driver store exactly what SQLAlchemy's per-row inserts stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select, text

from envoywatch.domain import AccountRef, Location, Parsed, Post
from envoywatch.store import annotations as store_ann
from envoywatch.store.schema import annotations, mentions, post_labels
from envoywatch.store.writer import PostWriter

NOW = datetime(2026, 11, 29, 9, 3, 57, 683390, tzinfo=UTC)
ANNS = [
    {"id": "1", "lang": "en", "propaganda": True, "propaganda_score": 0.91, "undiplomatic": 0.5,
     "techniques": [{"label": "name_calling", "score": 0.8}, {"label": "doubt", "score": None}],
     "topics": ["covid19_health"], "topic_scores": {"covid19_health": 0.75, "trade_investment_bri": 0.0},
     "countries": [{"code": "US", "role": "third", "stance": "hostile", "veiled": False, "confidence": 0.95},
                   {"code": None, "role": "third", "stance": "hostile", "veiled": True, "confidence": 0.0}],
     "targets": ["US"], "block_claim": None},
    {"id": "2", "lang": "ru", "reply": {"hostility": 0.7, "hostile": True, "stance": "against", "offensive": 0.1},
     "block_claim": {"blocked_by": "x:emb", "screenshot": None, "evidence": "меня заблокировали", "lang": "ru"},
     "text_note": "<script>alert('x')</script> «кавычки» 🙂 \u0000 tail", "nested": {"1": [1, 2.5, None]}},
    {"id": "3"},  # an analyzer-less pipeline: nothing but the id
    {"id": "4", "lang": "zh", "countries": [], "topics": [], "techniques": [], "big": "美" * 50_000},
]


def _posts(store, n: int = 4) -> None:
    items = [Parsed(Location("gen", i), [Post("x", str(i), AccountRef("x", "emb"), f"post {i}")]) for i in range(n)]
    with store.write() as conn:
        PostWriter(store, "test").write(conn, items)


def _reference_write(conn, anns, version: str) -> None:
    """The previous implementation: SQLAlchemy inserts of one dict per row."""
    ids = [int(a["id"]) for a in anns]
    for table in (annotations, mentions, post_labels):
        conn.execute(delete(table).where(table.c.post_id.in_(ids)))
    rows, mrows, lrows = [], [], []
    for a in anns:
        pid, reply = int(a["id"]), a.get("reply") or {}
        rows.append({"post_id": pid, "version": version, "lang": a.get("lang"), "propaganda": a.get("propaganda"),
                     "propaganda_score": a.get("propaganda_score"), "undiplomatic": a.get("undiplomatic"),
                     "hostility": reply.get("hostility"), "hostile": reply.get("hostile"),
                     "stance": reply.get("stance"),
                     "block_claim": bool(a.get("block_claim")) if "block_claim" in a else None,
                     "data": a, "annotated_at": NOW})
        mrows += [{"post_id": pid, "code": m.get("code"), "role": m.get("role"), "stance": m.get("stance"),
                   "veiled": bool(m.get("veiled")), "confidence": m.get("confidence")} for m in a.get("countries") or []]
        lrows += [{"post_id": pid, "kind": "technique", "label": t["label"], "score": t.get("score")}
                  for t in a.get("techniques") or []]
        lrows += [{"post_id": pid, "kind": "topic", "label": t, "score": (a.get("topic_scores") or {}).get(t)}
                  for t in a.get("topics") or []]
    for table, r in ((annotations, rows), (mentions, mrows), (post_labels, lrows)):
        if r:
            conn.execute(insert(table), r)


def _typed(store) -> dict[str, list]:
    """Every row as SQLAlchemy reads it back (typed: JSON, booleans, times)."""
    out = {}
    with store.read() as conn:
        for table in (annotations, mentions, post_labels):
            cols = [c for c in table.c if c.name != "id"]
            out[table.name] = sorted((tuple(r) for r in conn.execute(select(*cols))), key=repr)
    return out


def _raw(store) -> dict[str, list]:
    """Every row as stored, with SQLite's storage classes: the bytes other readers see."""
    out = {}
    with store.read() as conn:
        for name, cols in store_ann.TABLE_COLUMNS.items():
            typed = ", ".join(f"{c}, typeof({c})" for c in cols)
            out[name] = sorted(map(tuple, conn.execute(text(f"SELECT {typed} FROM {name}"))), key=repr)
    return out


def test_driver_writes_equal_sqlalchemy_writes(store, monkeypatch) -> None:
    monkeypatch.setattr(store_ann, "utcnow", lambda: NOW)
    _posts(store)
    with store.write() as conn:
        _reference_write(conn, ANNS, "v1")
    expected = _typed(store)
    raw = _raw(store) if store.dialect == "sqlite" else None
    with store.write() as conn:
        for table in (annotations, mentions, post_labels):
            conn.execute(delete(table))
    with store.write() as conn:
        store_ann.write_annotations(conn, ANNS, "v1")
    assert _typed(store) == expected
    if raw is not None:
        assert _raw(store) == raw
    assert store_ann.load_annotations(store, [1, 2, 3, 4], "v1")[2] == ANNS[1]


def test_rewrite_replaces_rows_and_empty_batches_are_fine(store) -> None:
    _posts(store)
    with store.write() as conn:
        store_ann.write_annotations(conn, ANNS, "v1")
        store_ann.write_annotations(conn, [], "v1")
    with store.write() as conn:  # a re-run of post 1 with fewer countries and labels
        store_ann.write_annotations(conn, [{"id": "1", "lang": "en", "countries": [{"code": "CN"}]}], "v2")
    got = _typed(store)
    assert [r[0] for r in got["annotations"]] == [1, 2, 3, 4]
    assert [(r[0], r[1]) for r in got["mentions"]] == [(1, "CN")]
    assert all(r[0] != 1 for r in got["post_labels"])
    assert store_ann.load_annotations(store, [1], "v2") == {1: {"id": "1", "lang": "en", "countries": [{"code": "CN"}]}}


@pytest.mark.parametrize("n", [1, 1201])
def test_many_posts_in_one_write(store, n) -> None:
    _posts(store, n)
    anns = [{"id": str(i + 1), "lang": "en", "topics": ["t"], "topic_scores": {"t": 0.5},
             "countries": [{"code": "KZ", "stance": "neutral"}]} for i in range(n)]
    with store.write() as conn:
        store_ann.write_annotations(conn, anns, "v1")
    with store.write() as conn:
        store_ann.write_annotations(conn, anns, "v1")  # idempotent: the same rows again, no duplicates
    got = _typed(store)
    assert (len(got["annotations"]), len(got["mentions"]), len(got["post_labels"])) == (n, n, n)
