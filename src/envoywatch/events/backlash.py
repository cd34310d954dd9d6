"""Backlash waves: replies to an account's posts far above that account's own rolling baseline.

For each watched post, the baseline is the median (and MAD) of replies per post over the
account's previous `window` posts. A post is anomalous when its reply count is in the far
tail of a negative binomial fitted to that baseline (p < `alpha`), it drew at least `ratio`
times the baseline, and its hostile share is significantly above the baseline share
(binomial tail p < `alpha`). Anomalous posts within `gap_days` merge into one wave.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy import case, func

from envoywatch.events._data import (
    PostRow,
    parent,
    posts_by_id,
    replies_query,
    watched_accounts,
    watched_posts,
)
from envoywatch.events.base import Event, detector
from envoywatch.store.schema import annotations, posts


@dataclass
class BacklashParams:
    window: int = 30  # previous posts forming the rolling baseline
    min_history: int = 5  # fewer earlier posts: the account's leave-one-out median stands in
    alpha: float = 1e-3
    ratio: float = 3.0
    min_replies: int = 10
    min_hostile_lift: float = 0.15  # hostile share at least this far above the baseline share
    gap_days: float = 2.0


@dataclass
class PostReplies:
    post: PostRow
    replies: int
    hostile: int


def reply_counts(store) -> dict[int, tuple[int, int]]:
    """Replies and hostile replies per watched post, counted in the database."""
    hostile = func.sum(case((annotations.c.hostile.is_(True), 1), else_=0))
    rq = replies_query().with_only_columns(parent.c.id, func.count(posts.c.id), hostile)
    rq = rq.group_by(parent.c.id)
    with store.read() as conn:
        return {pid: (n, h or 0) for pid, n, h in conn.execute(rq)}


def nb_tail(n: int, mean: float, var: float) -> float:
    """P(X >= n) under a negative binomial with this mean and variance (Poisson when var <= mean)."""
    # imported here, not with the module: it took ~2.7 s, paid by a server's first story page
    from scipy import stats

    mean = max(mean, 0.5)
    if var <= mean * 1.05:
        return float(stats.poisson.sf(n - 1, mean))
    r = mean * mean / (var - mean)
    return float(stats.nbinom.sf(n - 1, r, r / (r + mean)))


def _baseline(counts: np.ndarray, hostile: np.ndarray, i: int, p: BacklashParams):
    lo = max(0, i - p.window)
    if i - lo >= p.min_history:
        c, h = counts[lo:i], hostile[lo:i]
    else:  # too little history: the account's other posts
        c, h = np.delete(counts, i), np.delete(hostile, i)
    if len(c) == 0:
        return 1.0, 1.0, 0.2
    med = float(np.median(c))
    mad = float(np.median(np.abs(c - med))) * 1.4826
    share = (float(h.sum()) + 1) / (float(c.sum()) + 4)  # Beta(1, 3) prior: most replies are not hostile
    return med, max(mad * mad, med), share


def flag_posts(items: list[PostReplies], p: BacklashParams) -> list[dict]:
    """The posts whose replies are far above the rolling baseline in volume and hostility."""
    from scipy import stats  # see nb_tail

    counts = np.array([x.replies for x in items], float)
    hostile = np.array([x.hostile for x in items], float)
    flagged = []
    for i, x in enumerate(items):
        if x.replies < p.min_replies:
            continue
        med, var, share = _baseline(counts, hostile, i, p)
        p_vol = nb_tail(x.replies, med, var)
        hshare = x.hostile / x.replies
        p_host = float(stats.binom.sf(x.hostile - 1, x.replies, share))
        if p_vol < p.alpha and x.replies >= p.ratio * max(med, 1.0) and p_host < p.alpha \
                and hshare >= share + p.min_hostile_lift:
            flagged.append({"item": x, "baseline": med, "baseline_hostile_share": share,
                            "p_volume": p_vol, "p_hostile": p_host})
    return flagged


def merge_waves(flagged: list[dict], gap_days: float) -> list[list[dict]]:
    waves: list[list[dict]] = []
    for f in flagged:
        t = f["item"].post.created_at
        if waves and t - waves[-1][-1]["item"].post.created_at <= timedelta(days=gap_days):
            waves[-1].append(f)
        else:
            waves.append([f])
    return waves


_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_NOISE = re.compile(r"(?:https?://|www\.)\S*|(?<!\w)[@#][\w.\-]+")
_STOP = {"this", "that", "with", "have", "from", "they", "their", "there", "what", "your", "about", "would", "should", "which", "were", "been", "will", "just", "like", "them", "than", "then", "when", "only", "also", "into", "more", "some", "such", "very", "these", "those", "because", "does"} | {"это", "этот", "эта", "как", "что", "так", "для", "его", "она", "они", "вас", "вам", "нам", "все", "всех", "еще", "уже", "только", "если", "когда", "тоже", "даже", "чтобы", "было", "были", "будет", "есть", "нет", "при", "над", "под", "про", "без", "может", "очень", "почему"} | {"және", "бұл", "мен", "сен", "біз", "сіз", "олар", "үшін", "емес", "деп", "бар", "жоқ", "қалай", "неге", "тек"}


def _themes(replies: list[PostRow], limit: int = 5) -> list[dict]:
    """Reply themes: annotated topics when present, else the most shared words, each with examples."""
    by_theme: dict[str, list[PostRow]] = defaultdict(list)
    for r in replies:
        topics = r.ann.get("topics") or []
        text = _NOISE.sub(" ", r.text[:2000])
        keys = topics or sorted({w.lower() for w in _WORD.findall(text)} - _STOP)
        for k in keys:
            by_theme[k].append(r)
    ranked = sorted(by_theme.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    return [{"theme": k, "replies": len(v),
             "examples": [{"post": e.ref(), "text": e.text[:280]} for e in v[:3]]} for k, v in ranked]


def _wave_replies(store, post_ids: list[int]) -> list[PostRow]:
    q = replies_query().where(parent.c.id.in_(post_ids)).with_only_columns(posts.c.id)
    with store.read() as conn:
        ids = list(conn.execute(q).scalars())
    return sorted(posts_by_id(store, ids).values(), key=lambda r: (r.created_at is None, r.created_at))


def wave_event(store, acc, wave: list[dict], unprecedented: bool) -> Event:
    drew = [f["item"] for f in wave]
    replies = _wave_replies(store, [x.post.id for x in drew])
    n = sum(x.replies for x in drew)
    h = sum(x.hostile for x in drew)
    base = sum(max(f["baseline"], 1.0) for f in wave)
    times = [r.created_at for r in replies if r.created_at] or [drew[0].post.created_at]
    start, end = min([drew[0].post.created_at] + times), max(times)
    langs = Counter(r.lang or "und" for r in replies)
    ratio = round(n / base, 1)
    summary = (f"{n} replies to {acc.key} ({ratio}x its usual), {round(100 * h / max(n, 1))}% hostile, "
               f"from {start:%d %b %Y}" + (": the largest wave in its history" if unprecedented else ""))
    hostile_examples = [r for r in replies if r.ann.get("reply", {}).get("hostile")][:5]
    return Event(
        type="backlash", key=f"backlash:acc{acc.id}:{drew[0].post.created_at:%Y-%m-%d}", start=start, end=end,
        account_id=acc.id, actor_id=acc.actor_id, score=float(ratio), summary=summary,
        data={"account": acc.key, "posts": [{"post": x.post.ref(), "text": x.post.text[:500],
                                             "replies": x.replies, "hostile": x.hostile,
                                             "baseline_replies": round(f["baseline"], 2),
                                             "p_volume": f["p_volume"]} for f, x in zip(wave, drew, strict=True)],
              "replies": n, "hostile_replies": h, "hostile_share": round(h / max(n, 1), 3),
              "baseline_replies_per_post": round(base / len(wave), 2),
              "baseline_hostile_share": round(float(np.mean([f["baseline_hostile_share"] for f in wave])), 3),
              "ratio_to_baseline": ratio, "reply_languages": dict(langs.most_common()),
              "replies_per_day": _per_day(replies), "themes": _themes(replies),
              "hostile_examples": [{"post": r.ref(), "text": r.text[:280]} for r in hostile_examples],
              "unprecedented": unprecedented},
        evidence=[x.post.id for x in drew] + [r.id for r in hostile_examples])


def _per_day(replies: list[PostRow]) -> dict[str, int]:
    return dict(sorted(Counter(f"{r.created_at:%Y-%m-%d}" for r in replies if r.created_at).items()))


def account_waves(store, acc, rows: list[PostRow], counts: dict, p: BacklashParams) -> list[Event]:
    items = [PostReplies(r, *counts.get(r.id, (0, 0))) for r in rows]
    waves = merge_waves(flag_posts(items, p), p.gap_days)
    if not waves:
        return []
    sizes = [sum(f["item"].replies for f in w) for w in waves]
    top = int(np.argmax(sizes))
    biggest_other = max((x.replies for x in items if all(x is not f["item"] for f in waves[top])), default=0)
    return [wave_event(store, acc, w, i == top and sizes[top] > biggest_other) for i, w in enumerate(waves)]


@detector("backlash")
def detect_backlash(store, params: BacklashParams | None = None) -> list[Event]:
    """Backlash waves for every watched account."""
    p = params or BacklashParams()
    counts = reply_counts(store)
    by_acc: dict[int, list[PostRow]] = defaultdict(list)
    for r in watched_posts(store):
        by_acc[r.account_id].append(r)
    accs = watched_accounts(store)
    out: list[Event] = []
    for acc_id, rows in by_acc.items():
        out += account_waves(store, accs[acc_id], rows, counts, p)
    return out
