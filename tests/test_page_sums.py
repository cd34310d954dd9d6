"""The actor page's kept counts of own posts equal the live count, on both engines, at every step.

Posts arrive (dated and undated), annotations are written and rewritten (countries by stance,
techniques, undiplomatic scores); the kept rows are used only when nothing of the subject waits
for a recount, and then give the same series as counting every post.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_events import T0, Workspace

from envoywatch.store import annotations as store_ann
from envoywatch.store import page_sums
from envoywatch.web import queries as wq


def _ann(i: int) -> dict:
    stance = ("hostile", "neutral", "friendly")[i % 3]
    return {"lang": "en", "undiplomatic": round(0.1 * (i % 7), 2),
            "countries": [{"code": "US", "stance": stance}, {"code": ("KZ", "RU")[i % 2], "stance": "hostile"}],
            "targets": ["US"] if stance == "hostile" else [],
            "techniques": [{"label": ("whataboutism", "loaded_language")[i % 2], "score": 0.8}]}


def _sorted(rows) -> list[tuple]:
    return sorted((r.week or "", r.label, r.n) for r in rows)


def _targets(rows) -> list[tuple]:
    return sorted((t.week or "", t.code, t.stance or "", t.account_id, t.n) for t in rows)


def _live(store, ids, host="US"):
    with store.read() as conn:
        return ([tuple(r) for r in sorted(wq._authored(conn, ids), key=wq._by_week)],
                _targets(wq._targets(conn, ids, host)), _sorted(wq._techniques(conn, ids)))


def _kept(store, ids, host="US"):
    """The kept rows; with host US, its mentions in every stance beside the hostile ones."""
    with store.read() as conn:
        kept = page_sums.subject_rows(conn, ids, host)
    if kept is None:
        return None
    authored, targets, techs = kept
    return [tuple(r) for r in sorted(authored, key=wq._by_week)], _targets(targets), _sorted(techs)


def _same(store, ids) -> None:
    for host in ("US", "KZ", None):
        _equal(_kept(store, ids, host), _live(store, ids, host))


def _equal(kept, live) -> None:
    """The same rows; undiplomatic sums within float rounding (they add up in another order)."""
    assert kept is not None
    (la, lt, lx), (ka, kt, kx) = live, kept
    assert [a[:3] + (a[4],) for a in ka] == [a[:3] + (a[4],) for a in la]
    assert [a[3] for a in ka] == pytest.approx([a[3] for a in la])
    assert kt == lt
    assert kx == lx


def test_kept_page_counts_match_the_live_count_through_arrivals_and_rewrites(store) -> None:
    ws = Workspace(store)
    actor = ws.actor("Embassy of Pageland")
    x, fb = ws.account("x", "pageland", actor), ws.account("facebook", "pageland.amb", actor)
    public = ws.account("x", "reader", watched=False)
    subjects = [[x, fb], [x], [fb], [public]]
    ids = [ws.post(x if i % 3 else fb, f"post {i}", T0 + timedelta(days=2 * i, hours=i % 24),
                   ann=_ann(i) if i % 4 else None)[0] for i in range(30)]
    ws.post(x, "undated", None, ann=_ann(5))
    ws.post(public, "a reply", T0 + timedelta(days=3), kind="reply", reply_to="nothing", ann=_ann(2))
    assert all(_kept(store, s) is None for s in subjects)  # above the mark: the page counts live
    with store.write() as conn:
        assert page_sums.catch_up(conn) > 0
        assert _kept(store, [x]) is None  # listed for a recount
        page_sums.flush(conn)
    for s in subjects:
        _same(store, s)
    late = ws.post(fb, "late", T0 + timedelta(days=5), ann=_ann(1))[0]
    assert _kept(store, [fb]) is None and _kept(store, [x]) is not None
    with store.write() as conn:
        store_ann.write_annotations(conn, [{"id": str(i), **_ann(i + 1)} for i in ids[::4]], "test")
        page_sums.touch(conn, ids[::4])
    assert _kept(store, [x, fb]) is None
    with store.write() as conn:
        page_sums.catch_up(conn)
        page_sums.flush(conn)
        assert page_sums.catch_up(conn) == 0 and page_sums.flush(conn) == 0
    for s in subjects:
        _same(store, s)
    assert late


def _country_ann(i: int) -> dict:
    """US in every stance, veiled one time in three; KZ hostile, as in `_ann`."""
    ann = _ann(i)
    ann["countries"][0]["veiled"] = i % 3 == 0
    return ann


def _countries(store, live: bool) -> list[dict]:
    if live:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(page_sums, "country_rows", lambda conn, code: None)
            return _countries(store, live=False)
    return [wq.country_profile(store, code) for code in ("US", "KZ", "RU", "PL")]


def test_the_country_page_from_kept_rows_equals_the_live_count(store) -> None:
    """Hostile, veiled, all mentions, since and latest per watched account, through arrivals and rewrites."""
    from sqlalchemy import update

    from envoywatch.store.schema import accounts

    ws = Workspace(store)
    x, y = ws.account("x", "countried", ws.actor("Embassy of Counting")), ws.account("x", "other")
    public = ws.account("x", "reader", watched=False)
    ids = [ws.post((x, y, public)[i % 3], f"post {i}", T0 + timedelta(days=2 * i, hours=i % 24),
                   ann=_country_ann(i) if i % 4 else None)[0] for i in range(30)]
    ws.post(x, "undated", None, ann=_country_ann(6))
    with store.read() as conn:
        assert page_sums.country_rows(conn, "US") is None  # above the mark: counted live
    with store.write() as conn:
        page_sums.catch_up(conn)
        page_sums.flush(conn)
        assert page_sums.country_rows(conn, "US")
    kept = _countries(store, live=False)
    assert kept == _countries(store, live=True)
    us = kept[0]["accounts"]
    assert {a["account"] for a in us} == {"x:countried", "x:other"} and sum(a["veiled"] for a in us) > 0
    with store.write() as conn:
        store_ann.write_annotations(conn, [{"id": str(i), **_country_ann(i + 2)} for i in ids[::3]], "test")
        page_sums.touch(conn, ids[::3])
        assert page_sums.country_rows(conn, "US") is None  # listed for a recount
        page_sums.flush(conn)
        conn.execute(update(accounts).where(accounts.c.id == public).values(watched=True))
    assert _countries(store, live=False) == _countries(store, live=True) != kept


def test_the_backfill_equals_the_kept_counts(store) -> None:
    ws = Workspace(store)
    x = ws.account("x", "backfilled", ws.actor("Embassy of Fill"))
    for i in range(12):
        ws.post(x, f"post {i}", T0 + timedelta(days=i), ann=_ann(i))
    with store.write() as conn:
        page_sums.catch_up(conn)
        page_sums.flush(conn)
    kept = _kept(store, [x])
    with store.write() as conn:
        page_sums.backfill(conn)
    _equal(_kept(store, [x]), kept)
    _same(store, [x])


def test_host_relevance_orders_equal_targets_as_a_reading_meets_them_whatever_the_row_order() -> None:
    import random
    from datetime import datetime

    from envoywatch.store.page_sums import Target

    subj = wq.Subject(kind="actor", label="Embassy", slug="Embassy", sending_country="CN", host_country="KZ")
    at = datetime(2020, 3, 1)
    rows = [Target("2020-03-02", "US", "hostile", 2, 3, at),  # the second account: read after the first
            Target("2020-02-24", "GB", "hostile", 1, 3, at + timedelta(days=9)),
            Target("2020-02-24", "AU", "hostile", 1, 3, at + timedelta(days=9)),  # same time: by code
            Target("2020-02-24", "JP", "hostile", 1, 1, None),  # undated: after the dated ones
            Target("2020-02-24", "KZ", "neutral", 1, 5, at),  # host mentions, not hostile ones
            Target("2020-03-02", "KZ", "hostile", 2, 1, at)]
    expected = ["AU", "GB", "US", "JP", "KZ"]  # 3, 3, 3 by first appearance, then 1 and 1 the same way
    for seed in range(5):
        random.Random(seed).shuffle(rows)
        hr = wq.host_relevance(subj, rows, 20)
        assert [t["country"] for t in hr["targets"]] == expected
        assert (hr["hostile_mentions"], hr["host_mentions"], hr["host_share_of_targets"]) == (11, 6, round(1 / 11, 3))


def test_a_snapshot_reads_the_workspace_as_of_its_first_statement(store) -> None:
    """Kept rows and their marks are read in one snapshot: a commit between two reads is not seen."""
    from sqlalchemy import text

    ws = Workspace(store)
    x = ws.account("x", "snapshot", ws.actor("Embassy of Moments"))
    ws.post(x, "first", T0)
    count = text("SELECT count(*) FROM posts")
    with store.snapshot() as conn:
        before = conn.execute(count).scalar()
        ws.post(x, "second", T0 + timedelta(days=1))  # committed by another connection meanwhile
        assert conn.execute(count).scalar() == before
    with store.read() as conn:
        assert conn.execute(count).scalar() == before + 1
