"""Query shapes for large workspaces give the same answers as the plain ones, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import literal, select, text

import envoywatch.queries as q
from envoywatch.queries import PostFilter, count_posts, list_posts
from envoywatch.store.schema import posts
from envoywatch.timeutil import iso
from envoywatch.web import queries as wq
from envoywatch.web.sample import build_sample


@pytest.fixture
def sample(store):
    return store, build_sample(store, weeks=20, replies_per_week=8)


FILTERS = [PostFilter(), PostFilter(target="US"), PostFilter(q="cooperation"), PostFilter(lang="ru"),
           PostFilter(kind="reply"), PostFilter(account="x:chinaembkz", q="Washington"),
           PostFilter(technique="whataboutism"), PostFilter(per_page=5, page=3)]


def _ids(store, f, dense: bool) -> list[int]:
    with store.read() as conn:
        base = q.apply_filter(q._base(), f, store.dialect, newest_first_scan=dense)
        rows = conn.execute(base.order_by(posts.c.created_at.desc(), posts.c.id.desc())).all()
    return [r.id for r in rows]


@pytest.mark.parametrize("f", FILTERS, ids=str)
def test_newest_first_scan_finds_the_same_posts(sample, f):
    store, _ = sample
    assert _ids(store, f, dense=True) == _ids(store, f, dense=False)


@pytest.mark.parametrize("f", FILTERS, ids=str)
def test_counts_are_exact_below_the_cap_and_capped_above(sample, f, monkeypatch):
    store, _ = sample
    everything = len(_ids(store, f, dense=False))
    with store.read() as conn:
        assert count_posts(conn, f) == min(everything, q.COUNT_CAP)
        assert count_posts(conn, f, cap=3) == min(everything, 3)
    items, total = list_posts(store, f)
    assert total == min(everything, q.COUNT_CAP) and len(items) <= f.per_page
    monkeypatch.setattr(q, "DENSE", 0)  # every list counts as dense: same page, total still right
    items2, total2 = list_posts(store, f)
    assert [i["id"] for i in items2] == [i["id"] for i in items]
    assert total2 == (q.COUNT_CAP if q._only_one_list(f) and everything > 0 and len(items) == f.per_page
                      else total)


@pytest.mark.parametrize("word", ["washington", "WASHINGTON", "Washington"])
def test_search_ignores_the_case_of_latin_words(sample, word):
    store, _ = sample
    found = _ids(store, PostFilter(q=word), dense=False)
    assert found and found == _ids(store, PostFilter(q="Washington"), dense=False)


def test_postgresql_search_adds_case_variants_only_for_non_ascii_words():
    assert q.ts_query("Vilnius") == "(vilnius:*)"  # 'simple' folds ASCII in every server locale
    assert q.ts_query("Казахстан") == "(Казахстан:* | казахстан:*)"
    assert q.ts_query("Казахстан Vilnius", prefix=False) == "(Казахстан | казахстан) & (vilnius)"


@pytest.mark.parametrize("words", ["cooperation", "Washington cooperation", "embassy the", "Казахстан", "coop"])
def test_dense_check_by_whole_words_first_decides_as_the_prefixes_would(sample, words, monkeypatch):
    """PostgreSQL checks the whole words before the prefixes: they match a subset, so the answer is the same."""
    store, _ = sample
    if store.dialect != "postgresql":
        pytest.skip("the whole-word check is PostgreSQL's")
    with store.read() as conn:
        def ids(m):
            return set(conn.execute(text(q.TS_IDS).bindparams(m=m)).scalars())
        whole, prefixed = ids(q.ts_query(words, prefix=False)), ids(q.ts_query(words))
        assert whole <= prefixed
        for dense in sorted({0, len(whole), len(whole) + 1, len(prefixed) - 1, len(prefixed), len(prefixed) + 1}):
            monkeypatch.setattr(q, "DENSE", max(dense, 0))
            assert q.dense_filter(conn, PostFilter(q=words)) == (len(prefixed) > max(dense, 0)), dense


def test_week_in_sql_is_the_monday_of_the_utc_week(store):
    days = [datetime(2020, 5, 10, 23, 59, 59, 999999, tzinfo=UTC), datetime(2020, 5, 11, tzinfo=UTC),
            datetime(2021, 1, 3, 12, tzinfo=UTC)]
    with store.read() as conn:
        for d in days:
            got = conn.execute(select(wq.week_sql(literal(d, posts.c.created_at.type), store.dialect))).scalar()
            assert got == wq.week_of(d)


def test_subject_series_and_events_match_a_python_count(sample):
    store, _ = sample
    subj = wq.resolve_subject(store, "1")
    series = wq.subject_series(store, subj)
    with store.read() as conn:
        own = conn.execute(select(posts.c.created_at).where(posts.c.account_id.in_(subj.account_ids),
                                                           posts.c.kind != "reply")).scalars().all()
    assert series["posts"] == len(own)
    per_week: dict[str, int] = {}
    for ts in own:
        per_week[wq.week_of(ts)] = per_week.get(wq.week_of(ts), 0) + 1
    assert series["posts_per_week"] == [{"week": w, "posts": n} for w, n in sorted(per_week.items())]
    events = wq.subject_events(store, subj)
    assert [e["id"] for e in events] == sorted({e["id"] for e in events}, key=lambda i: next(
        (x["start"] or "", x["id"]) for x in events if x["id"] == i))


SEARCHES = [(w, per, page) for w in ("cooperation", "embassy", "the", "Washington cooperation", "zzzqqq", "countr", "ПЕРЕВ")
            for per, page in ((3, 1), (3, 4), (50, 1))]


@pytest.mark.parametrize("window", [4, 40])
def test_search_from_the_newest_posts_gives_the_same_page_and_total(sample, monkeypatch, window):
    """A search that first looks in the newest posts (SQLite) returns what searching every match returns.

    A window of 4 is far smaller than the sample: growth and fallback run. One of 40 holds the
    smaller pages, and is searched by the exact terms its texts hold (`window_match`)."""
    store, _ = sample
    windowed, listed = 0, []
    real_match = q.window_match

    def window_match(*a):
        listed.append(real_match(*a))
        return listed[-1]
    for words, per_page, page in SEARCHES:
        f = PostFilter(q=words, per_page=per_page, page=page)
        monkeypatch.setattr(q, "_windowed_page", lambda *a, **k: None)
        expected = list_posts(store, f)
        monkeypatch.undo()
        monkeypatch.setattr(q, "WINDOW", window)
        monkeypatch.setattr(q, "window_match", window_match)
        assert list_posts(store, f) == expected, (words, per_page, page)
        with store.read() as conn:
            found = q._windowed_search(conn, f, per_page * page) if store.dialect == "sqlite" else None
        monkeypatch.undo()
        if found is not None:
            windowed += 1
            assert found[: per_page * page] == _ids(store, f, dense=False)[: per_page * page]
    assert windowed > 0 or store.dialect != "sqlite"
    if window == 40 and store.dialect == "sqlite":  # terms were listed, and some window had none of a word
        assert any(m for m in listed) and "" in listed


@pytest.mark.parametrize("kept", [True, False])
def test_watched_actors_counts_match_a_python_count(sample, kept):
    """Own posts (not replies) per actor and week and the newest one, from the kept rows or counted live."""
    from envoywatch.store import page_sums

    store, _ = sample
    with store.read() as conn:
        ids = conn.execute(select(wq.accounts.c.id).where(wq.accounts.c.watched.is_(True))).scalars().all()
        assert (page_sums.weekly_posts(conn, ids) is not None) is True  # the sample leaves them fresh
    if not kept:
        with store.write() as conn:  # as after an ingest: the pages count live until analyze runs
            conn.execute(text("INSERT INTO page_dirty (account_id, week) VALUES (:a, '2020-01-06')"), {"a": ids[0]})
    got = {a["id"]: a for a in wq.watched_actors(store)}
    with store.read() as conn:
        rows = conn.execute(select(wq.accounts.c.actor_id, posts.c.created_at)
                            .select_from(posts.join(wq.accounts, posts.c.account_id == wq.accounts.c.id))
                            .where(wq.accounts.c.watched.is_(True), posts.c.kind != "reply")).all()
        assert (page_sums.weekly_posts(conn, ids) is not None) is kept
    assert got and sum(a["posts"] for a in got.values()) == len(rows)
    for actor_id, a in got.items():
        stamps = [ts for i, ts in rows if i == actor_id]
        per_week: dict[str, int] = {}
        for ts in stamps:
            per_week[wq.week_of(ts)] = per_week.get(wq.week_of(ts), 0) + 1
        assert a["posts"] == len(stamps)
        assert a["weekly"] == [{"week": w, "posts": n} for w, n in sorted(per_week.items())]
        assert a["last_post"] == iso(max(stamps))


@pytest.mark.parametrize("stored", ["2020-03-18 09:15:00.000000", "2020-03-18 09:15:00.250000",
                                    "2023-12-31 23:59:59.999999", "2020-03-18 09:15:00", "2020-03-18T09:15:00+03:00"])
def test_stored_times_read_as_text_give_the_same_iso_strings_as_parsing_them(stored):
    from envoywatch.timeutil import iso, iso_stored

    assert iso_stored(stored) == iso(datetime.fromisoformat(stored))


def test_evidence_refs_give_the_same_times_as_the_posts(sample):
    store, _ = sample
    with store.read() as conn:
        rows = conn.execute(select(posts.c.id, posts.c.created_at).limit(50)).all()
        refs = q.evidence_refs(conn, [i for i, _ in rows])
    from envoywatch.timeutil import iso

    assert {i: refs[i]["created_at"] for i, _ in rows} == {i: iso(at) for i, at in rows}


@pytest.mark.parametrize("params", [{}, {"type": "backlash"}, {"account": "x:chinaembkz"}, {"from": "2020-02-01"}])
def test_event_pages_read_in_the_database_give_every_event_once_in_order(sample, params):
    from envoywatch.web import views

    store, _ = sample
    every = views.list_events(store, type=params.get("type"), account=params.get("account"),
                              date_from=wq.parse_day(params.get("from")))
    for per in (1, 3, 50):
        first = views.events_page(store, {**params, "per_page": per})
        assert first["total"] == len(every) and first["pages"] == max(1, -(-len(every) // per))
        pages = [views.events_page(store, {**params, "per_page": per, "page": p})["items"]
                 for p in range(1, first["pages"] + 1)]
        assert [e for page in pages for e in page] == every
