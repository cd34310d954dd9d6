"""Measured quality of cross-post clusters (DIPROMATS copies, our translated pairs) and of shifts."""

from __future__ import annotations

import html
import itertools
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from envoywatch.evaluation import REPO_EVALDATA, evaluation, shared_data_dir
from envoywatch.events.crossposts import CrosspostParams, Doc, find_clusters, normalise

DIPROMATS_FILES = ("train_t1_en.json", "train_t1_es.json")
CACHE = Path("/tmp/envoywatch-cache")
GOLD_MIN_WORDS = 8
GOLD_COPY_DAYS = 14
GOLD_COPIED_SHARE = 0.7


def _word_grams(norm: str) -> set[tuple[str, ...]]:
    w = norm.split()
    return {tuple(w[i : i + 3]) for i in range(len(w) - 2)}


def copied_share(wa: list[str], wb: list[str], min_run: int = 3) -> float:
    """Share of the shorter post's words that sit in verbatim runs of `min_run`+ words of the other.

    The gold keeps its own copy of this measure so that a change to the detector cannot move it."""
    sm = SequenceMatcher(None, wa, wb, autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks() if b.size >= min_run) / max(1, min(len(wa), len(wb)))


def _same_message(wa: list[str], wb: list[str], ga: set, gb: set, hours: float) -> bool:
    """The gold's test of one pair; see `gold_copy_pairs`."""
    small, big = sorted((len(ga), len(gb)))
    sa, sb = set(wa), set(wb)
    ws, wl = sorted((len(sa), len(sb)))
    if small >= 4 and small / big >= 0.6 and len(ga & gb) / small >= 0.8:
        return True
    if ws >= 8 and (len(sa & sb) / len(sa | sb) >= 0.7 or (ws / wl >= 0.5 and len(sa & sb) / ws >= 0.85)):
        return True
    return (min(len(wa), len(wb)) >= GOLD_MIN_WORDS and hours <= GOLD_COPY_DAYS * 24
            and copied_share(wa, wb) >= GOLD_COPIED_SHARE)


def gold_copy_pairs(texts: list[str], authors: list[str],
                    times: list[datetime] | None = None) -> set[tuple[int, int]]:
    """Reference pairs, built independently of the detector (words, not characters; every pair that
    shares a word 3-gram, not a sketch): posts by different accounts are the same message when

    - their word 3-grams overlap (shorter contained >= 0.8 in the longer, lengths within 0.6), or
    - their word sets overlap (Jaccard >= 0.7, or the shorter's words 0.85 inside a longer at most
      twice its length; 8+ words): an edited repost, or
    - within 14 days, 70% of the shorter post's words (8+ words) lie in verbatim runs of 3+ words of
      the other: a truncated retweet ("RT @x: ... inter…"), an excerpt, a quoted statement;

    closed transitively. 3-grams shared by more than 60 posts are stock phrases and start no pair."""
    norms = [normalise(html.unescape(t)) for t in texts]
    words = [n.split() for n in norms]
    grams = [_word_grams(n) for n in norms]
    stamps = [t.timestamp() / 3600 for t in times] if times else [0.0] * len(texts)
    inv: dict[tuple, list[int]] = defaultdict(list)
    for i, g in enumerate(grams):
        for x in g:
            inv[x].append(i)
    seen: set[tuple[int, int]] = set()
    pairs = set()
    for ids in inv.values():
        if len(ids) > 60:  # stock phrases shared by many posts
            continue
        for a, b in itertools.combinations(ids, 2):
            if (a, b) in seen or authors[a] == authors[b]:
                continue
            seen.add((a, b))
            if _same_message(words[a], words[b], grams[a], grams[b], abs(stamps[a] - stamps[b])):
                pairs.add((a, b))
    return _close_pairs(pairs, authors)


def _groups(pairs: set[tuple[int, int]]) -> list[set[int]]:
    """The connected groups of posts that the pairs join."""
    comp: dict[int, set[int]] = {}
    for a, b in pairs:
        merged = comp.get(a, {a}) | comp.get(b, {b})
        for x in merged:
            comp[x] = merged
    return list({id(v): v for v in comp.values()}.values())


def _close_pairs(pairs: set[tuple[int, int]], authors: list[str]) -> set[tuple[int, int]]:
    out = set()
    for members in _groups(pairs):
        for a, b in itertools.combinations(sorted(members), 2):
            if authors[a] != authors[b]:
                out.add((a, b))
    return out


def _pred_pairs(clusters, index: dict[int, int], authors: list[str]) -> set[tuple[int, int]]:
    out = set()
    for c in clusters:
        ids = sorted(index[d.id] for d in [c.origin] + [d for d, _ in c.copies])
        out |= {(a, b) for a, b in itertools.combinations(ids, 2) if authors[a] != authors[b]}
    return out


def _prf(pred: set, gold: set) -> dict:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(gold) if gold else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "gold_pairs": len(gold), "predicted_pairs": len(pred), "true_positives": tp}


def _load_dipromats(path: Path) -> list[dict]:
    rows = json.loads(path.read_text())
    return [r for r in rows if r.get("text") and r.get("tweet_type") != "Reply"]


def evaluate_dipromats(path: Path, params: CrosspostParams | None = None, examples: int = 5) -> dict:
    """Pairs of posts by different accounts: the detector's clusters against `gold_copy_pairs`."""
    rows = _load_dipromats(path)
    texts = [r["text"] for r in rows]
    authors = [r["user_name"] for r in rows]
    docs = [Doc(i, r["user_name"], "x", r.get("language"), datetime.fromisoformat(r["UTC"]), r["text"])
            for i, r in enumerate(rows)]
    clusters = find_clusters(docs, None, params)
    gold = gold_copy_pairs(texts, authors, [d.created_at for d in docs])
    pred = _pred_pairs(clusters, {i: i for i in range(len(rows))}, authors)
    gold_posts = {i for p in gold for i in p}
    found_posts = {i for p in pred & gold for i in p}
    pred_posts = {i for p in pred for i in p}
    return {"file": path.name, "posts": len(rows), "gold_posts_copied": len(gold_posts),
            "gold_messages": _components(gold),
            "gold_texts_by_several_accounts": len({normalise(texts[i])[:60] for i in gold_posts}),
            "post_recall": round(len(found_posts) / max(1, len(gold_posts)), 4),
            "post_precision": round(len(pred_posts & gold_posts) / max(1, len(pred_posts)), 4),
            "clusters": len(clusters), **_prf(pred, gold),
            "false_pairs": _examples(sorted(pred - gold), docs, examples),
            "missed_pairs": _examples(sorted(gold - pred), docs, examples)}


def _components(pairs: set[tuple[int, int]]) -> int:
    return len(_groups(pairs))


def _examples(pairs: list[tuple[int, int]], docs: list[Doc], n: int) -> list[list[str]]:
    """A few error pairs, spread over the list, as "account date: text" lines for a reader."""
    step = max(1, len(pairs) // max(1, n))
    return [[f"{docs[i].account} {docs[i].created_at:%Y-%m-%d %H:%M}: {' '.join(docs[i].text.split())[:160]}"
             for i in pair] for pair in pairs[::step][:n]]


def _translated_docs(related: bool = False) -> tuple[list[Doc], list[str]]:
    """Our translated posts, each with its message group; with `related`, also the posts written on
    the same subjects in another language that say something else (each its own group)."""
    base = datetime(2020, 3, 1, tzinfo=UTC)
    docs, groups = [], []
    files = [("translated.jsonl", "group")] + ([("related.jsonl", "pair")] if related else [])
    for name, key in files:
        for line in (REPO_EVALDATA / "crossposts" / name).read_text().splitlines():
            r = json.loads(line)
            docs.append(Doc(len(docs), r["account"], r["account"].split(":")[0], r["lang"],
                            base + timedelta(days=r["day"]), r["text"], sender="CN", host="KZ"))
            groups.append(r[key] if key == "group" else f"related:{len(docs)}")
    return docs, groups


def _embed_cached(texts: list[str]) -> np.ndarray:
    import hashlib

    from envoywatch.analysis.embed import embed_passages

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    f = CACHE / f"crossposts-{key}.npy"
    if f.exists():
        return np.load(f)
    vecs = embed_passages(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(f, vecs)
    return vecs


def evaluate_translated(params: CrosspostParams | None = None, related: bool = False) -> dict:
    """Pairs of our translated posts by different accounts that the detector joins, against their groups."""
    docs, groups = _translated_docs(related)
    vecs = _embed_cached([d.text for d in docs])
    clusters = find_clusters(docs, {d.id: vecs[i] for i, d in enumerate(docs)}, params)
    authors = [d.account for d in docs]
    gold = {(a, b) for a, b in itertools.combinations(range(len(docs)), 2)
            if groups[a] == groups[b] and authors[a] != authors[b]}
    pred = _pred_pairs(clusters, {d.id: i for i, d in enumerate(docs)}, authors)
    by_lang = defaultdict(lambda: [0, 0])
    for a, b in gold:
        key = "-".join(sorted((docs[a].lang, docs[b].lang)))
        by_lang[key][0] += 1
        by_lang[key][1] += (a, b) in pred
    related_posts = {i for i, g in enumerate(groups) if g.startswith("related:")}
    data = "evaldata/crossposts/translated.jsonl" + (" + related.jsonl" if related else "")
    return {"data": f"{data} (written by the envoywatch team)",
            "messages": len(set(groups)) - len(related_posts), "posts": len(docs),
            "related_posts": len(related_posts), "languages": ["en", "kk", "ru", "zh"],
            **_prf(pred, gold),
            "pairs_joining_a_related_post": sum(1 for p in pred if related_posts & set(p)),
            "recall_by_language_pair": {k: round(v[1] / v[0], 3) for k, v in sorted(by_lang.items())},
            "false_pairs": _examples(sorted(pred - gold), docs, 5),
            "missed_pairs": _examples(sorted(gold - pred), docs, 5)}


@evaluation("crossposts")
def crossposts_eval(split: str | None = None) -> dict:
    """Exact/near copies on DIPROMATS (pairs of posts by different accounts) and our translations."""
    out: dict = {"method": "exact hash + MinHash LSH (char 5-shingles, queried at 0.3, confirmed by exact Jaccard/containment) + "
                           "rare word 3-gram index confirmed by verbatim word runs (excerpts, quotes) + "
                           "language-centred e5 mutual best match with margin",
                 "gold": "DIPROMATS: gold_copy_pairs (word 3-gram/word-set overlap, or 70% of the shorter post in "
                         "verbatim runs within 14 days; closed transitively), pairs of posts by different accounts; "
                         "translated: groups written by the team; with_related adds 30 posts on the same subjects that "
                         "say something else (no post of theirs is a copy of another)"}
    d = shared_data_dir()
    if d is None:
        out["dipromats"] = "skipped: ../shared/data is absent"
    else:
        out["dipromats"] = [evaluate_dipromats(d / "dipromats2023" / f) for f in DIPROMATS_FILES
                            if (d / "dipromats2023" / f).exists()]
    out["translated"] = evaluate_translated()
    out["translated_with_related"] = evaluate_translated(related=True)
    return out


@evaluation("shifts")
def shifts_eval(split: str | None = None) -> dict:
    """Planted shifts in synthetic post series: detection recall, timing error, false alarms."""
    from envoywatch.events.shifts import evaluate_synthetic

    return evaluate_synthetic(seed=int(split) if split and split.isdigit() else 2026)


