"""Event detection stays linear: bounded LSH buckets, one read of the posts, windowed shift search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

import envoywatch.events.crossposts as cp
from envoywatch.events import _data, shifts
from envoywatch.events.crossposts import CrosspostParams, Doc, find_clusters

T0 = datetime(2021, 1, 1, tzinfo=UTC)
FRAMES = ["The Embassy of {a} congratulates {b} on its national day. Friendship in {t} keeps growing.",
          "Today {a} and {b} signed {n} new agreements on {t}, a step for both peoples and their partners."]
NAMES = ["China", "Kazakhstan", "Japan", "Brazil", "Egypt"]
TOPICS = ["trade", "culture", "energy", "education", "health"]


def _templated(n: int) -> list[Doc]:
    """Posts of one frame with other names and numbers, by many accounts: the growth benchmark's shape."""
    out = []
    for i in range(n):
        text = FRAMES[i % 2].format(a=NAMES[i % 5], b=NAMES[(i // 5) % 5], t=TOPICS[(i // 3) % 5], n=2 + i % 17)
        out.append(Doc(i, f"x:emb{i % 24}", "x", "en", T0 + timedelta(hours=6 * i), f"{text} #{i % 997}"))
    return out


def _groups(clusters) -> set[frozenset[int]]:
    return {frozenset([c.origin.id] + [d.id for d, _ in c.copies]) for c in clusters}


def test_lsh_buckets_stay_short_on_templated_posts():
    sizes = []
    orig = cp._BandIndex.insert

    def spy(self, i, keys):
        orig(self, i, keys)
        sizes.append(max(len(self.buckets[k]) for k in keys))

    cp._BandIndex.insert = spy
    try:
        find_clusters(_templated(1500))
    finally:
        cp._BandIndex.insert = orig
    p = CrosspostParams()
    assert max(sizes) < max(p.bucket_fold_at, 2 * p.bucket_cap)
    assert np.mean(sizes[-300:]) < p.bucket_fold_at  # folded to a few groups, not hundreds of posts


def test_folding_buckets_keeps_the_clusters_of_unfolded_buckets():
    docs = _templated(400)
    folded = _groups(find_clusters([Doc(**vars(d)) for d in docs]))
    never = _groups(find_clusters([Doc(**vars(d)) for d in docs],
                                  p=CrosspostParams(bucket_fold_at=10**6, near_max_tests=10**6)))
    assert folded == never


def test_auto_forwards_drop_against_the_last_kept_copy():
    docs = [Doc(i, "telegram:ch", "telegram", "ru", T0 + timedelta(minutes=m), "один и тот же текст канала")
            for i, m in enumerate([0, 4, 8, 30, 33])]
    for d in docs:
        d.norm = cp.normalise(d.text)
    assert cp._drop_forwards(docs, list(range(5))) == [0, 3]


def test_long_shift_series_are_searched_in_windows_with_nearly_the_same_result():
    rng = np.random.default_rng(3)
    segments = [rng.random((int(rng.integers(200, 700)), 5)) < rng.uniform(0, 0.6, 5) for _ in range(8)]
    x = np.vstack(segments).astype(float)
    p = shifts.ShiftParams(window_posts=1000)
    assert len(x) > 2 * p.window_posts
    windowed, whole = shifts.change_points(x, p), shifts._pelt(x, p)
    assert len(windowed) == len(whole) == len(segments) - 1
    assert max(abs(int(a) - int(b)) for a, b in zip(windowed, whole, strict=True)) <= 15  # of 3,000 posts
    short = x[:900]
    assert shifts.change_points(short, p) == shifts._pelt(short, p)  # within one window: unchanged


def test_detectors_share_one_read_of_the_watched_posts(store, monkeypatch):
    calls = []
    orig = _data._read_watched_posts
    monkeypatch.setattr(_data, "_read_watched_posts", lambda *a: calls.append(a) or orig(*a))
    with _data.shared_reads():
        first, second = _data.watched_posts(store), _data.watched_posts(store)
        _data.watched_posts(store, account_ids=[1])  # a narrower read is never shared
    _data.watched_posts(store)
    assert first == second and first is not second
    assert len(calls) == 3
