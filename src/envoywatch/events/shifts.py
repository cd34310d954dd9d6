"""Shifts in an actor's line: change points in whom it attacks, what it posts about, and its tone.

Every post of an actor's watched accounts becomes a row of features (targets each of the
actor's main target countries, is about each main topic, undiplomatic score). ruptures PELT
with an L2 cost finds change points in that sequence; the penalty was chosen on synthetic
series with planted shifts (`tune_penalty`). Working on posts rather than weeks keeps the date
exact; weekly shares are reported for reading. A change point is a shift only when some
feature moved by at least `min_change`. Each shift links the events of the days before it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from envoywatch.events import backlash, blocks, crossposts  # noqa: F401  (registered first: shifts link them)
from envoywatch.events._data import PostRow, WatchedAccount, watched_accounts, watched_posts
from envoywatch.events.base import Event, detector
from envoywatch.timeutil import as_utc

COUNTRY_NAMES = {"US": "the US", "GB": "the UK", "RU": "Russia", "CN": "China", "KZ": "Kazakhstan",
                 "UA": "Ukraine", "JP": "Japan", "IN": "India", "DE": "Germany", "FR": "France"}


@dataclass
class ShiftParams:
    penalty: float = 4.0  # chosen on synthetic series, see tune_penalty and docs/events.md
    min_size: int = 8  # posts on each side of a change point
    min_change: float = 0.15
    max_targets: int = 4
    max_topics: int = 5
    lookback_days: int = 14
    min_days: float = 14.0  # a burst of a few days is news, not a change of line
    window_posts: int = 2000  # longer series are searched in half-overlapping windows (see change_points)


def post_targets(p: PostRow) -> set[str]:
    return {str(c).upper() for c in (p.ann.get("targets") or []) if c}


def post_mentions(p: PostRow) -> set[str]:
    return {str(c["code"]).upper() for c in (p.ann.get("countries") or []) if c.get("code")}


def feature_names(rows: list[PostRow], p: ShiftParams, sender: str | None = None) -> list[str]:
    targets = Counter(c for r in rows for c in post_targets(r))
    mentioned = Counter(c for r in rows for c in post_mentions(r) if c != sender)
    topics = Counter(t for r in rows for t in (r.ann.get("topics") or []))
    names = [f"target:{c}" for c, _ in targets.most_common(p.max_targets)]
    names += [f"mention:{c}" for c, _ in mentioned.most_common(p.max_targets)]
    names += [f"topic:{t}" for t, _ in topics.most_common(p.max_topics)]
    return names + ["undiplomatic"]


def feature_matrix(rows: list[PostRow], names: list[str]) -> np.ndarray:
    m = np.zeros((len(rows), len(names)), np.float64)
    for i, r in enumerate(rows):
        tg, tp, mn = post_targets(r), set(r.ann.get("topics") or []), post_mentions(r)
        for j, n in enumerate(names):
            kind, _, v = n.partition(":")
            if kind == "target":
                m[i, j] = v in tg
            elif kind == "mention":
                m[i, j] = v in mn
            elif kind == "topic":
                m[i, j] = v in tp
            else:
                m[i, j] = float(r.ann.get("undiplomatic") or 0.0)
    return m


def change_points(x: np.ndarray, p: ShiftParams) -> list[int]:
    """Indices where a new segment starts (PELT, L2 cost).

    PELT is quadratic on a long series without changes, so a series longer than `window_posts`
    is cut into windows of that many posts, each half overlapping the next, and each window keeps
    the change points of its middle half: linear in the posts, the same result on shorter series.
    """
    n, w = len(x), p.window_posts
    if n <= w:
        return _pelt(x, p)
    step, out = w // 2, []
    for lo in range(0, n - step, step):
        hi = min(n, lo + w)
        keep_lo = lo + step // 2 if lo else 0
        keep_hi = hi - step // 2 if hi < n else n
        out += [lo + c for c in _pelt(x[lo:hi], p) if keep_lo <= lo + c < keep_hi]
    return sorted(set(out))


def _pelt(x: np.ndarray, p: ShiftParams) -> list[int]:
    import ruptures

    if len(x) < 2 * p.min_size:
        return []
    # KernelCPD with a linear kernel is PELT on the L2 cost, in C
    bkps = ruptures.KernelCPD(kernel="linear", min_size=p.min_size).fit(x).predict(pen=p.penalty)
    return [b for b in bkps if b < len(x)]


def describe(x: np.ndarray, names: list[str], lo: int, cut: int, hi: int, p: ShiftParams) -> list[dict]:
    before, after = x[lo:cut].mean(axis=0), x[cut:hi].mean(axis=0)
    out = [{"feature": n, "before": round(float(b), 3), "after": round(float(a), 3),
            "change": round(float(a - b), 3)} for n, b, a in zip(names, before, after, strict=True)
           if abs(a - b) >= p.min_change]
    order = {"target": 0, "mention": 1, "topic": 2}  # whom it attacks first, then what it talks about
    return sorted(out, key=lambda d: (order.get(d["feature"].partition(":")[0], 3), d["change"] > 0,
                                      -abs(d["change"])))


def label(feature: str) -> str:
    kind, _, v = feature.partition(":")
    if kind == "target":
        return f"Attacks on {COUNTRY_NAMES.get(v, v)}"
    if kind == "mention":
        return f"Posts naming {COUNTRY_NAMES.get(v, v)}"
    if kind == "topic":
        return f"Posts about {v.replace('_', ' ')}"
    return "The undiplomatic score"


def find_shifts(rows: list[PostRow], p: ShiftParams, sender: str | None = None) -> list[dict]:
    """Shifts in one actor's post sequence: index, date and what changed."""
    names = feature_names(rows, p, sender)
    x = feature_matrix(rows, names)
    cps = change_points(x, p)
    bounds = [0] + cps + [len(rows)]
    out = []
    for k, cut in enumerate(cps, start=1):
        changes = describe(x, names, bounds[k - 1], cut, bounds[k + 1], p)
        span = min(rows[cut - 1].created_at - rows[bounds[k - 1]].created_at,
                   rows[bounds[k + 1] - 1].created_at - rows[cut].created_at)
        if changes and span >= timedelta(days=p.min_days):
            out.append({"index": cut, "date": rows[cut].created_at, "changes": changes,
                        "before": (bounds[k - 1], cut), "after": (cut, bounds[k + 1])})
    return out


def weekly(rows: list[PostRow], names: list[str]) -> list[dict]:
    x = feature_matrix(rows, names)
    weeks: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        monday = (r.created_at - timedelta(days=r.created_at.weekday())).date()
        weeks[monday.isoformat()].append(i)
    return [{"week": w, "posts": len(ix), **{n: round(float(x[ix, j].mean()), 3) for j, n in enumerate(names)}}
            for w, ix in sorted(weeks.items())]


def _pct(v: float) -> str:
    return f"{round(100 * v)}%"


def sentence(change: dict, date: datetime, linked: list[dict]) -> str:
    c = change
    verb = "fell" if c["change"] < 0 else "rose"
    if c["feature"] == "undiplomatic":
        what = f"{label(c['feature'])} {verb} from {c['before']:.2f} to {c['after']:.2f}"
    else:
        what = f"{label(c['feature'])} {verb} from {_pct(c['before'])} of posts to {_pct(c['after'])}"
    s = f"{what} from {date:%d %B %Y}"
    e = main_event(linked)
    if e:
        days = (date.date() - as_utc(e["start"]).date()).days
        when = "the same day as" if days == 0 else f"{days} day{'s' if days != 1 else ''} after"
        s += f", {when} the {_EVENT_WORDS.get(e['type'], e['type'])} of {as_utc(e['start']):%d %B}"
    return s + "."


_EVENT_WORDS = {"backlash": "backlash wave", "block_reports": "block reports", "crosspost": "cross-post"}


def main_event(linked: list[dict]) -> dict | None:
    """The event a reader would name: a backlash wave before block reports before a cross-post."""
    rank = {"backlash": 0, "block_reports": 1, "crosspost": 2}
    return min(linked, key=lambda e: (not e["same_actor"], rank.get(e["type"], 3), e["start"]), default=None)


def _groups(accs: dict[int, WatchedAccount], rows: list[PostRow]) -> dict[str, list[PostRow]]:
    out: dict[str, list[PostRow]] = defaultdict(list)
    for r in rows:
        a = accs[r.account_id]
        out[f"actor{a.actor_id}" if a.actor_id is not None else f"acc{a.id}"].append(r)
    return out


def _prior_events(store, accs: dict[int, WatchedAccount], members: set[int], date: datetime,
                  days: int) -> list[dict]:
    """Stored events of these accounts (or their mission) that overlap the days before `date`."""
    from sqlalchemy import select

    from envoywatch.store.schema import events

    missions = {(accs[m].sending, accs[m].host) for m in members if accs[m].sending}
    near = members | {a.id for a in accs.values() if (a.sending, a.host) in missions}
    lo = date - timedelta(days=days)
    q = select(events.c.id, events.c.type, events.c.key, events.c.start, events.c.end, events.c.account_id,
               events.c.summary, events.c.evidence).where(events.c.type != "shift")
    found = []
    with store.read() as conn:
        for r in conn.execute(q):
            start, end = as_utc(r.start), as_utc(r.end) or as_utc(r.start)
            if r.account_id in near and start and start <= date and end >= lo:
                found.append({"id": r.id, "type": r.type, "key": r.key, "start": start.isoformat(),
                              "account_id": r.account_id, "same_actor": r.account_id in members,
                              "summary": r.summary, "evidence": (r.evidence or [])[:5]})
    return sorted(found, key=lambda e: (e["same_actor"], e["start"]))


def shift_event(store, accs, group: list[PostRow], s: dict, names: list[str], p: ShiftParams) -> Event:
    members = {r.account_id for r in group}
    main = Counter(r.account_id for r in group).most_common(1)[0][0]
    linked = _prior_events(store, accs, members, s["date"], p.lookback_days)
    lo, hi = s["before"][0], s["after"][1]
    ev_before = [r.id for r in group[max(lo, s["index"] - 3) : s["index"]]]
    ev_after = [r.id for r in group[s["index"] : min(hi, s["index"] + 3)]]
    text = " ".join(sentence(c, s["date"], linked if i == 0 else []) for i, c in enumerate(s["changes"][:3]))
    acc = accs[main]
    return Event(
        type="shift", key=f"shifts:{'actor' + str(acc.actor_id) if acc.actor_id else 'acc' + str(acc.id)}:"
                          f"{s['date']:%Y-%m-%d}", start=s["date"], end=group[hi - 1].created_at,
        account_id=main, actor_id=acc.actor_id, score=max(abs(c["change"]) for c in s["changes"]),
        summary=text,
        data={"actor": acc.actor, "accounts": sorted(accs[m].key for m in members),
              "date": s["date"].isoformat(), "changes": s["changes"],
              "before": {"from": group[lo].created_at.isoformat(), "posts": s["index"] - lo},
              "after": {"to": group[hi - 1].created_at.isoformat(), "posts": hi - s["index"]},
              "preceding_events": linked, "weekly": weekly(group[lo:hi], names)},
        evidence=ev_before + ev_after + [i for e in linked for i in e["evidence"][:2]])


@detector("shifts")
def detect_shifts(store, params: ShiftParams | None = None) -> list[Event]:
    """Shifts for every actor (or lone account), linked to the events stored before them."""
    p = params or ShiftParams()
    accs = watched_accounts(store)
    out = []
    for group in _groups(accs, watched_posts(store)).values():
        sender = accs[group[0].account_id].sending
        names = feature_names(group, p, sender)
        for s in find_shifts(group, p, sender):
            out.append(shift_event(store, accs, group, s, names, p))
    return out


# --- synthetic series: how the penalty was chosen and how well shifts are found ------------

def synthetic_series(rng: np.random.Generator, planted: bool, days: int = 120,
                     rate: float = 1.5) -> tuple[list[PostRow], float | None]:
    """Posts of an imagined embassy; with `planted`, its line changes on a random day."""
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    shift_day = float(rng.uniform(30, days - 30)) if planted else None
    n = rng.poisson(rate * days)
    times = np.sort(rng.uniform(0, days, n))
    us0, coop0, und0 = rng.uniform(0.2, 0.4), rng.uniform(0.05, 0.2), rng.uniform(0.35, 0.55)
    us1, coop1, und1 = rng.uniform(0.0, 0.05), rng.uniform(0.35, 0.6), rng.uniform(0.1, 0.25)
    rows = []
    for i, d in enumerate(times):
        after = shift_day is not None and d >= shift_day
        us, coop, und = (us1, coop1, und1) if after else (us0, coop0, und0)
        targets = ["US"] if rng.random() < us else []
        if rng.random() < 0.05:
            targets.append("JP")
        topics = [t for t, q in (("bilateral_cooperation", coop), ("covid-19", 0.3), ("culture", 0.1))
                  if rng.random() < q]
        ann = {"targets": targets, "topics": topics,
               "undiplomatic": float(np.clip(rng.normal(und, 0.15), 0, 1))}
        rows.append(PostRow(i, 1, "x", str(i), t0 + timedelta(days=float(d)), "", "en", "original", ann=ann))
    return rows, shift_day


def _score(rng, p: ShiftParams, runs: int) -> dict:
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    errors, hits, alarms = [], 0, 0
    for _ in range(runs):
        rows, day = synthetic_series(rng, True)
        found = [(s["date"] - t0).total_seconds() / 86400 for s in find_shifts(rows, p)]
        near = [f for f in found if abs(f - day) <= 7]
        if near:
            hits += 1
            errors.append(min(abs(f - day) for f in near))
        alarms += len(found) - len(near[:1])
    null_alarms = sum(len(find_shifts(synthetic_series(rng, False)[0], p)) > 0 for _ in range(runs))
    e = np.array(errors) if errors else np.array([np.nan])
    return {"series_with_shift": runs, "recall": round(hits / runs, 3),
            "timing_error_days_median": round(float(np.nanmedian(e)), 2),
            "timing_error_days_mean": round(float(np.nanmean(e)), 2),
            "within_3_days": round(float(np.mean(e <= 3)) if errors else 0.0, 3),
            "extra_alarms_per_series": round(alarms / runs, 3),
            "series_without_shift": runs, "false_alarm_rate": round(null_alarms / runs, 3)}


def tune_penalty(seed: int = 0, runs: int = 60, grid=(1.0, 2.0, 3.0, 4.0, 6.0, 8.0)) -> dict:
    """Score each penalty on one set of synthetic series; the default was picked from this."""
    return {pen: _score(np.random.default_rng(seed), ShiftParams(penalty=pen), runs) for pen in grid}


def evaluate_synthetic(seed: int = 2026, runs: int = 100, params: ShiftParams | None = None) -> dict:
    """Recall, timing error and false alarms of the default parameters on fresh synthetic series."""
    p = params or ShiftParams()
    return {"data": f"synthetic post series (seed {seed}, 120 days, ~1.5 posts a day; planted shift in "
                    "US-target share, cooperation topic and tone on a random day 30-90)",
            "penalty": p.penalty, "min_size": p.min_size, "min_change": p.min_change,
            **_score(np.random.default_rng(seed), p, runs)}
