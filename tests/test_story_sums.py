"""The story from week sums equals the story counted post by post, on both engines, or it is not used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import orjson
import pytest
from sqlalchemy import select, update
from test_events import T0, Workspace

import envoywatch.story as story_mod
from envoywatch.store import aggregates, page_sums
from envoywatch.store import annotations as store_ann
from envoywatch.store.schema import accounts, actors, story_countries, story_posts, story_weeks
from envoywatch.story import build_story
from envoywatch.story.sums import split

LANGS = ("en", "ru", "kk", None, "")


def _ann(i: int) -> dict:
    """Varied annotations: host, sender and third countries, veiled ones (with and without a code), ties."""
    countries, targets = [], []
    if i % 2 == 0:
        countries.append({"code": "KZ", "role": "host", "stance": "friendly" if i % 4 else "hostile"})
    if i % 3 == 0:
        countries.append({"code": "CN", "role": "sender", "stance": "neutral"})
    if i % 5 == 0:
        code = ("US", "GB", "JP", "LT")[i % 4]
        countries.append({"code": code, "role": "third", "stance": "hostile", "veiled": i % 15 == 0,
                          "clues": ["all its states"], "confidence": 0.7})
    if i % 29 == 0:
        countries.append({"code": None, "veiled": True, "stance": "hostile", "evidence": ["a certain country"]})
    targets = sorted({c["code"] for c in countries if c["code"] and c["stance"] == "hostile"})
    return {"lang": LANGS[i % 5], "countries": countries, "targets": targets}


def _build(store) -> dict:
    ws = Workspace(store)
    emb = ws.actor("Embassy of Sumland", sending="cn", host="KZ")
    x, fb = ws.account("x", "sumland"), ws.account("facebook", "sumland_amb")  # the actor is set below
    with store.write() as c:
        c.execute(update(accounts).where(accounts.c.id.in_([x, fb])).values(actor_id=emb))
    ids = []
    for i in range(160):
        at = T0 + timedelta(days=i // 3, hours=(i * 7) % 24, minutes=i % 50)
        acc = x if i % 4 else fb
        ids.append(ws.post(acc, f"Sumland post {i} on cooperation", at, platform="x" if acc == x else "facebook",
                           kind="original" if i % 9 else "quote", ann=_ann(i))[0])
    ws.post(x, "a reply of the embassy itself", T0 + timedelta(days=3), kind="reply", ann={"lang": "en"})
    ws.post(x, "same time one", T0 + timedelta(days=20), ann={"lang": "de"})  # ties in time and count
    ws.post(fb, "same time two", T0 + timedelta(days=20), platform="facebook", ann={"lang": "fr"})
    with store.write() as c:
        aggregates.backfill(c)
        _page_sums(c)  # the whole period's own posts are counted from them
    return {"x": x, "fb": fb, "actor": emb, "ids": ids}


def _page_sums(conn) -> None:
    page_sums.catch_up(conn)
    page_sums.flush(conn)


def _slow(monkeypatch, *args, **kw) -> dict:
    with monkeypatch.context() as m:
        m.setattr(story_mod, "summarize", lambda *a, **k: None)
        return build_story(*args, **kw)


def _same(store, monkeypatch, who, date_from=None, date_to=None, fast=True) -> dict:
    used = []
    real = story_mod.summarize

    def spy(*a, **k):
        out = real(*a, **k)
        used.append(out is not None)
        return out

    monkeypatch.setattr(story_mod, "summarize", spy)
    got = build_story(store, who, date_from, date_to)
    monkeypatch.setattr(story_mod, "summarize", real)
    want = _slow(monkeypatch, store, who, date_from, date_to)
    assert orjson.dumps(got) == orjson.dumps(want)
    assert used == [fast]
    return got


@pytest.fixture
def sums_ws(store):
    return store, _build(store)


WINDOWS = [(None, None), (T0 + timedelta(days=5, hours=13), None), (None, T0 + timedelta(days=30, minutes=7)),
           (T0 + timedelta(days=5, hours=13), T0 + timedelta(days=41, hours=2)),
           (T0 + timedelta(days=6), T0 + timedelta(days=13)),  # 2020-01-07 .. 01-14: Mondays are the 6th and 13th
           (T0 + timedelta(days=8), T0 + timedelta(days=10)), (T0 + timedelta(days=400), None)]


@pytest.mark.parametrize("window", WINDOWS)
def test_sums_tell_the_same_story_as_every_post(sums_ws, monkeypatch, window):
    store, _ = sums_ws
    s = _same(store, monkeypatch, "Embassy of Sumland", *window)
    if window == (None, None):
        assert s["frequency"]["posts"] > 100 and s["targets"]["top_targets"] and s["veiled"]
    _same(store, monkeypatch, "x:sumland", *window)


def test_weeks_split_at_mondays():
    mon = T0 + timedelta(days=5)  # 2020-01-06 is a Monday
    assert split(mon, mon + timedelta(days=14)) == ("2020-01-06", "2020-01-20", [])
    wlo, whi, edges = split(mon + timedelta(hours=1), mon + timedelta(days=14, hours=1))
    assert (wlo, whi) == ("2020-01-13", "2020-01-20") and len(edges) == 2
    assert split(mon + timedelta(hours=1), mon + timedelta(days=2)) == ("", "", [(mon + timedelta(hours=1),
                                                                                  mon + timedelta(days=2))])


def test_unsummed_or_rewritten_posts_send_the_story_back_to_every_post(sums_ws, monkeypatch):
    store, ids = sums_ws
    ws = Workspace(store)
    ws.post(ids["x"], "not analysed yet", T0 + timedelta(days=9))
    _same(store, monkeypatch, "Embassy of Sumland", fast=False)  # the page's kept counts wait for it
    with store.write() as c:
        _page_sums(c)
    _same(store, monkeypatch, "Embassy of Sumland", fast=False)  # they count it: still one post unsummed
    _same(store, monkeypatch, "Embassy of Sumland", None, T0 + timedelta(days=7), fast=True)
    with store.write() as c:  # annotations written without the story rows: their rows go with the old ones
        store_ann.write_annotations(c, [{"id": str(ids["ids"][3]), **_ann(4)}], "test")
    _same(store, monkeypatch, "Embassy of Sumland", None, T0 + timedelta(days=7), fast=False)
    with store.write() as c:
        aggregates.refresh(c, [ids["ids"][3]])
    _same(store, monkeypatch, "Embassy of Sumland", None, T0 + timedelta(days=7), fast=True)


def test_a_forwarded_copy_is_counted_post_by_post(sums_ws, monkeypatch):
    store, ids = sums_ws
    ws = Workspace(store)
    at = T0 + timedelta(days=33, hours=5)
    a = ws.post(ids["x"], "forwarded twice", at, ann={"lang": "en"})[0]
    b = ws.post(ids["x"], "forwarded twice", at + timedelta(minutes=9), ann={"lang": "en"})[0]
    with store.write() as c:
        aggregates.refresh(c, [b, a])
    with store.read() as c:
        assert c.execute(select(story_posts.c.forward).where(story_posts.c.post_id == b)).scalar_one()
    s = _same(store, monkeypatch, "Embassy of Sumland", fast=False)
    assert s["frequency"]["posts"] == _same(store, monkeypatch, "Embassy of Sumland", None, at)["frequency"][
        "posts"] + _slow(monkeypatch, store, "Embassy of Sumland", at)["frequency"]["posts"]


def test_examples_tied_in_time_at_the_cut_are_read_again_and_ordered_as_every_post_orders_them(sums_ws, monkeypatch):
    """Eight posts attacking one country at one instant: the fifth and sixth newest share their time, so
    the sums read every post of that time again and keep the same five examples as the count post by post."""
    store, ids = sums_ws
    ws = Workspace(store)
    at = T0 + timedelta(days=44, hours=3)
    hostile = {"lang": "en", "countries": [{"code": "DE", "role": "third", "stance": "hostile"}], "targets": ["DE"]}
    # ids 996..1003: the newest five by id as text (999 .. 996, 1003) are not the five highest numbers
    new = [ws.post(ids["x"], f"statement {k} on a certain partner", at, ann=hostile, id=996 + k)[0] for k in range(8)]
    with store.write() as c:
        aggregates.refresh(c, new)
        _page_sums(c)
    for window in ((None, None), (T0 + timedelta(days=40), T0 + timedelta(days=50))):
        s = _same(store, monkeypatch, "Embassy of Sumland", *window)
        examples = next(t for t in s["targets"]["top_targets"] if t["code"] == "DE")["examples"]
        assert examples == ["999", "998", "997", "996", "1003"]


def test_refresh_keeps_weeks_equal_to_a_backfill(sums_ws):
    store, ids = sums_ws
    with store.write() as c:
        aggregates.refresh(c, ids["ids"][::7])
    with store.read() as c:
        before = sorted(tuple(r) for r in c.execute(select(story_weeks)))
    with store.write() as c:
        aggregates.backfill(c)
    with store.read() as c:
        assert sorted(tuple(r) for r in c.execute(select(story_weeks))) == before


def test_a_new_host_country_is_counted_again(sums_ws, monkeypatch):
    store, ids = sums_ws
    with store.write() as c:
        c.execute(update(actors).where(actors.c.id == ids["actor"]).values(host_country="US"))
    _same(store, monkeypatch, "Embassy of Sumland", fast=False)
    with store.write() as c:
        aggregates.refresh(c, ids["ids"][:2])  # a post of each account recounts all of that account's weeks
    s = _same(store, monkeypatch, "Embassy of Sumland")
    assert s["targets"]["host"] == "US"


def test_analyze_keeps_the_sums_the_story_reads(db_url, monkeypatch):
    from datetime import UTC, datetime

    from envoywatch.analyze import analyze
    from envoywatch.domain import AccountRef, Location, Parsed, Post
    from envoywatch.store import open_store
    from envoywatch.store.writer import PostWriter

    texts = ["Washington spreads lies about vaccines in Kazakhstan.", ("A certain country keeps spreading lies "
             "while its own people die."), "Посольство поздравляет Казахстан с праздником.", "", "🙂",
             "<script>alert(1)</script> 中美关系"]
    store = open_store(db_url)
    items = [Parsed(Location("gen", i), [Post("x", str(i), AccountRef("x", f"emb{i % 2}"), f"{texts[i % 6]} #{i}",
                                              created_at=datetime(2021, 3, 1 + i % 27, i % 24, tzinfo=UTC))])
             for i in range(60)]
    with store.write() as conn:
        PostWriter(store, "test").write(conn, items)
    analyze(store, fast=True, detect_events=False)
    kept = _rows(store)
    assert all(kept)
    _same(store, monkeypatch, "x:emb0")
    _same(store, monkeypatch, "x:emb1", T0.replace(year=2021, month=3, day=3, hour=5), None)
    with store.write() as c:
        aggregates.backfill(c)
    assert _rows(store) == kept
    store.close()


def _rows(store) -> list[list[tuple]]:
    with store.read() as c:
        return [sorted(tuple(r) for r in c.execute(select(t))) for t in (story_posts, story_countries, story_weeks)]


VEILED = (0, 0.0, 1, -2.5, "", "x", [], [0], {}, {"a": 1}, True, False, None, np.bool_(False))


def _odd_ann(i: int) -> dict:
    """Annotations at the edges of what the SQL reads: every JSON type of `veiled`, codes that are not
    codes, targets that are not strings, empty languages."""
    c = [{"code": ("US", "", None, 7, "KZ")[i % 5], "stance": ("hostile", "neutral", 1, None)[i % 4],
          "veiled": VEILED[i % len(VEILED)]}, {"code": "CN", "role": "sender"}]
    if i % 3 == 0:
        c.append({"veiled": VEILED[(i + 5) % len(VEILED)], "stance": "hostile"})
    ann = {"lang": ("", None, "en", "ru")[i % 4], "countries": c[: 1 + i % 3],
           "targets": [t for t in ("US", "", 5, None, "JP")[: i % 6]]}
    if i % 7 == 0:
        ann.pop("targets")
    if i % 11 == 0:  # NaN is stored as null: not veiled
        c.append({"code": "GB", "stance": "hostile", "veiled": float("nan")})
        ann["countries"] = c
    return ann


UNUSUAL = [{"lang": 5}, {"targets": "US"}, {"targets": ""}, {"targets": {"US": 1}}, {"lang": True},
           {"countries": 0}]


def test_rows_from_annotations_in_hand_are_the_rows_sql_reads(store, monkeypatch):
    """refresh with the annotations given builds the same story rows as from the stored JSON; an unusual
    annotation sends its batch to the SQL. Posts a year apart are recounted as separate runs of weeks."""
    ids = _build(store)
    ws, anns = Workspace(store), {}
    for i in range(60):
        at = T0 + timedelta(days=(i % 20) * 3 + (400 if i % 6 == 5 else 0), hours=i % 24)
        acc = ids["x"] if i % 2 else ids["fb"]
        ann = _odd_ann(i)
        pid = ws.post(acc, f"odd post {i}", at, kind=("original", "quote", "reply")[i % 3] if i % 10 else "retweet",
                      lang=("en", "", None)[i % 3], ann=ann)[0]
        anns[pid] = {"id": str(pid), **ann}
    odd = []
    for i, extra in enumerate(UNUSUAL):
        pid = ws.post(ids["x"], f"unusual {i}", T0 + timedelta(days=2 * i), ann=extra)[0]
        odd.append(pid)
        anns[pid] = {"id": str(pid), **extra}
    with store.write() as c:
        aggregates.refresh(c, list(anns))  # read back in SQL
    want = _rows(store)
    calls = []
    real = aggregates._posts_sql
    monkeypatch.setattr(aggregates, "_posts_sql", lambda *a: calls.append(1) or real(*a))
    normal = [p for p in anns if p not in odd]
    with store.write() as c:
        aggregates.refresh(c, normal, [anns[p] for p in normal])
    assert calls == [] and _rows(store) == want
    with store.write() as c:
        aggregates.refresh(c, list(anns), list(anns.values()))
    assert calls == [1] and _rows(store) == want
    with store.write() as c:
        aggregates.backfill(c)
    assert _rows(store) == want


def test_weeks_of_stored_times_as_the_sql_computes_them():
    assert aggregates._week_of("2021-01-03 23:59:59.000000", "sqlite") == "2020-12-28"  # a Sunday
    assert aggregates._week_of("2021-01-04 00:00:00.000000", "sqlite") == "2021-01-04"
    assert aggregates._week_of("2021-02-30 00:00:00", "sqlite") is None  # SQLite rolls it over: the SQL decides
    assert aggregates._week_of("2021-W01-1", "sqlite") is None
    plus3 = datetime(2021, 1, 4, 1, 0, tzinfo=timezone(timedelta(hours=3)))  # Sunday 22:00 UTC
    assert aggregates._week_of(plus3, "postgresql") == "2020-12-28"
    assert aggregates._week_of(datetime(2021, 1, 4, tzinfo=UTC), "postgresql") == "2021-01-04"
    assert aggregates._week_of(datetime(2021, 1, 4), "postgresql") is None


def test_runs_of_weeks_merge_close_weeks_only():
    weeks = {(1, "2021-01-04"), (1, "2021-01-18"), (1, "2021-02-15"), (1, "2021-06-07"), (2, "2021-01-11")}
    assert aggregates._runs(weeks) == [(1, "2021-01-04", "2021-02-15"), (1, "2021-06-07", "2021-06-07"),
                                       (2, "2021-01-11", "2021-01-11")]


def test_a_new_workspace_leaves_the_story_tables_without_statistics(db_url):
    """PostgreSQL statistics of the empty story tables would say they stay empty: the first analyze then
    checked each story_countries key by scanning story_posts (quadratic). Unset, the planner assumes some rows."""
    from sqlalchemy import text

    from envoywatch.store import open_store

    store = open_store(db_url)
    if store.dialect != "postgresql":
        store.close()
        pytest.skip("PostgreSQL statistics")
    with store.read() as c:
        assert c.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'story_posts'::regclass")).scalar() < 0
    store.close()


@pytest.mark.parametrize("window", [(None, None), (T0 + timedelta(days=5, hours=13), T0 + timedelta(days=41, hours=2))])
def test_a_story_for_its_narrative_reads_only_the_veiled_posts_it_quotes(sums_ws, monkeypatch, window):
    from envoywatch.story.render import VEILED_CITED

    store, _ = sums_ws
    whole = build_story(store, "Embassy of Sumland", *window)
    assert len({v["post"]["id"] for v in whole["veiled"]}) > VEILED_CITED  # more than the narrative quotes
    for brief in (build_story(store, "Embassy of Sumland", *window, veiled_posts=VEILED_CITED),
                  _slow(monkeypatch, store, "Embassy of Sumland", *window, veiled_posts=VEILED_CITED)):
        assert len({v["post"]["id"] for v in brief["veiled"]}) == VEILED_CITED
        assert brief["veiled"] == whole["veiled"][:len(brief["veiled"])]
        assert brief["narrative"] == whole["narrative"]
        assert {k: v for k, v in brief.items() if k != "veiled"} == {k: v for k, v in whole.items() if k != "veiled"}


def test_first_and_last_posts_of_many_accounts_come_in_several_statements(sums_ws):
    """Hundreds of accounts (more selects than SQLite takes in one compound statement) give each
    account's ends as a few do."""
    from envoywatch.story import sums

    store, _ = sums_ws
    with store.read() as conn:
        ids = list(conn.execute(select(story_posts.c.account_id).distinct()).scalars())
        few = sums._ends(conn, ids, None, None)
        many = sums._ends(conn, ids + list(range(10_000, 10_000 + 3 * sums.ENDS_PER_STATEMENT)), None, None)
    assert few and many == few
