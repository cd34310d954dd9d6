"""Cross-posts: the same message by several watched accounts, platforms or languages.

Four passes, none comparing all pairs: exact copies by a hash of the normalised text;
near copies by MinHash LSH on character 5-shingles (queried at 0.3, confirmed with the exact
Jaccard or containment); excerpts and quoted statements through an index of rare word 3-grams,
confirmed by the share of verbatim word runs; translations by language-centred e5 embeddings, mutual best match
with a margin over the runner-up, within a time window, confirmed by what the two texts show alike (numbers,
countries, a question). Each cluster's origin is its earliest post.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

import numpy as np

from envoywatch.events._data import PostRow, watched_accounts, watched_posts
from envoywatch.events.base import Event, detector

_URL = re.compile(r"(?:https?://|www\.)\S*|\b\S+\.(?:com|org|net|ru|kz|cn|gov)/\S*", re.IGNORECASE)
_RT = re.compile(r"^\s*(?:RT|MT|via)\s*@[\w.\-]+:?\s*", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@[\w.\-]+")
_NONWORD = re.compile(r"[\W_]+", re.UNICODE)
MAX_CHARS = 5000  # a copy is recognised from its first few thousand characters


@dataclass
class CrosspostParams:
    """Thresholds of the four passes; see docs/events.md for how each was chosen."""

    min_chars: int = 24  # shorter normalised texts ("Thank you!") are not messages
    window_days: float = 365.0  # exact copies, and near copies with Jaccard >= same_text_jaccard
    near_window_days: float = 14.0  # looser near copies: templated posts weeks apart are not copies
    same_text_jaccard: float = 0.9
    far_jaccard: float = 0.45  # ... and near copies this close (both tests) are reposts, even months later
    far_containment: float = 0.85
    far_min_words: int = 15  # a short post repeated months later is a template ("met the akim of …")
    near_min_chars: int = 60  # short greetings ("Happy New Year to our friends") are alike everywhere
    lsh_threshold: float = 0.3
    num_perm: int = 128
    bucket_fold_at: int = 8  # an LSH bucket this long keeps one post per group (see _BandIndex) ...
    bucket_cap: int = 64  # ... and at most this many groups
    near_max_tests: int = 32  # candidates outside the post's group confirmed per post
    near_jaccard: float = 0.55
    near_containment: float = 0.8
    near_length_ratio: float = 0.4  # an edited repost keeps most of the original, adds little
    copy_min_words: int = 8  # an excerpt or a quoted statement: at least this many words ...
    copy_share: float = 0.7  # ... of which this share lies in verbatim runs of 3+ words of the other post
    copy_stock_posts: int = 60  # a word 3-gram in more posts than this is a stock phrase, not a lead
    translation_window_days: float = 3.0
    translation_margin: float = 0.15
    translation_floor: float = 0.4  # cosine of language-centred vectors
    translation_sure: float = 0.45  # ... from here on the vectors suffice; below, the texts must share a sign
    translation_signs: bool = True  # numbers, countries, questions must agree (False: the vectors alone decide)


@dataclass
class Doc:
    """A post as the matcher sees it."""

    id: int
    account: str
    platform: str
    lang: str | None
    created_at: datetime
    text: str
    norm: str = ""
    sender: str | None = None  # sending country: translations are sought within one country's accounts
    host: str | None = None  # host country: like the sender, named too often to tell two messages apart


@dataclass
class Cluster:
    origin: Doc
    copies: list[tuple[Doc, str]] = field(default_factory=list)  # (doc, exact|near|translated)


def normalise(text: str) -> str:
    """Text with retweet prefixes, links, mentions, hashtag signs, case and punctuation removed."""
    t = unicodedata.normalize("NFKC", html.unescape(text or "")[:MAX_CHARS])
    t = _RT.sub("", t)
    t = _URL.sub(" ", t)
    t = _MENTION.sub(" ", t)
    t = _NONWORD.sub(" ", t.replace("#", " ")).strip().lower()
    return t.rstrip(" …").strip()


def shingles(norm: str, k: int = 5) -> set[str]:
    s = norm.replace(" ", "_")
    return {s[i : i + k] for i in range(max(1, len(s) - k + 1))}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, i: int) -> int:
        while self.p[i] != i:
            self.p[i] = self.p[self.p[i]]
            i = self.p[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def _close(a: Doc, b: Doc, days: float) -> bool:
    return abs((a.created_at - b.created_at).total_seconds()) <= days * 86400


def exact_pass(docs: Sequence[Doc], uf: _UnionFind, p: CrosspostParams) -> None:
    by_hash: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        if len(d.norm) >= p.min_chars:
            by_hash[hashlib.blake2b(d.norm.encode(), digest_size=12).hexdigest()].append(i)
    for members in by_hash.values():
        for j in members[1:]:
            if _close(docs[members[0]], docs[j], p.window_days):
                uf.union(members[0], j)


def _minhashes(shingle_sets: list[set[str]], num_perm: int) -> list:
    """MinHash signatures sharing one set of permutations, with a fast deterministic hash (CRC-32)."""
    from datasketch import MinHash

    return MinHash.bulk([[s.encode() for s in sh] for sh in shingle_sets], num_perm=num_perm, hashfunc=_crc32)


def _crc32(b: bytes) -> int:
    return zlib.crc32(b)


class _BandIndex:
    """MinHash LSH buckets of earlier posts, each kept short by folding it to the newest post of
    each group (union-find component) within the window, at most `cap` groups.

    Templated posts (one frame with other names and numbers) fill buckets with hundreds of posts
    of a few groups; querying them all makes the pass quadratic, and one member per group is
    enough to join it. A bucket is folded when it reaches twice its size after the last fold
    (at least `fold_at`), so each post costs O(1) amortised. Folding drops no group from a bucket
    of fewer than `cap` groups in the window: only the repeated members.
    """

    def __init__(self, docs: Sequence[Doc], uf: _UnionFind, bands: int, rows: int, p: CrosspostParams) -> None:
        self.docs, self.uf, self.p = docs, uf, p
        self.slices = [slice(b * rows, (b + 1) * rows) for b in range(bands)]
        self.buckets: dict[tuple[int, bytes], list[int]] = {}
        self.fold_at: dict[tuple[int, bytes], int] = {}

    def keys(self, hashvalues: np.ndarray) -> list[tuple[int, bytes]]:
        return [(b, hashvalues[s].tobytes()) for b, s in enumerate(self.slices)]

    def candidates(self, keys: list[tuple[int, bytes]]) -> list[int]:
        """Earlier posts sharing a band, the most agreeing first (ties: the newest first)."""
        agree: Counter = Counter()
        for k in keys:
            if (bucket := self.buckets.get(k)) is not None:
                agree.update(bucket)
        return sorted(agree, key=lambda j: (-agree[j], -j))

    def insert(self, i: int, keys: list[tuple[int, bytes]]) -> None:
        for k in keys:
            bucket = self.buckets.setdefault(k, [])
            bucket.append(i)
            if len(bucket) >= self.fold_at.get(k, self.p.bucket_fold_at):
                self.buckets[k] = bucket = self._fold(bucket)
                self.fold_at[k] = max(self.p.bucket_fold_at, 2 * len(bucket))

    def _fold(self, bucket: list[int]) -> list[int]:
        newest, seen, kept = self.docs[bucket[-1]], set(), []
        for j in reversed(bucket):
            root = self.uf.find(j)
            if root not in seen and _close(self.docs[j], newest, self.p.window_days):
                seen.add(root)
                kept.append(j)
        return kept[: self.p.bucket_cap][::-1]


def near_pass(docs: Sequence[Doc], uf: _UnionFind, p: CrosspostParams) -> None:
    """MinHash LSH: each post queries the index of earlier posts, then the exact overlap confirms.

    At most `near_max_tests` candidates outside the post's group are confirmed, the most agreeing first.
    """
    from datasketch import MinHashLSH

    shape = MinHashLSH(threshold=p.lsh_threshold, num_perm=p.num_perm)  # its optimal bands x rows
    index = _BandIndex(docs, uf, shape.b, shape.r, p)
    idx = [i for i, d in enumerate(docs) if len(d.norm) >= p.near_min_chars]
    sh = {i: shingles(docs[i].norm) for i in idx}
    for i, mh in zip(idx, _minhashes([sh[i] for i in idx], p.num_perm), strict=True):
        keys = index.keys(mh.hashvalues)
        tests, root = 0, uf.find(i)
        for j in index.candidates(keys):
            if uf.find(j) == root:
                continue
            if _overlap_ok(sh[i], sh[j], docs[i], docs[j], p):
                uf.union(i, j)
                root = uf.find(i)
            tests += 1
            if tests >= p.near_max_tests:
                break
        index.insert(i, keys)


def copied_share(wa: Sequence[str], wb: Sequence[str], min_run: int = 3) -> float:
    """Share of the shorter text's words that lie in verbatim runs of `min_run`+ words of the other."""
    sm = SequenceMatcher(None, wa, wb, autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks() if b.size >= min_run) / max(1, min(len(wa), len(wb)))


def copy_pass(docs: Sequence[Doc], uf: _UnionFind, p: CrosspostParams) -> None:
    """Excerpts and quoted statements: posts of two accounts sharing two rare word 3-grams, compared
    word by word (an account repeating its own phrase is not a copy, and would chain messages).

    A retweet cut at 140 characters, one sentence lifted from a long statement, or the statement
    quoted inside a longer post share little of their characters but most of the shorter post's words.
    """
    words = [d.norm.split()[:400] for d in docs]
    grams = [{tuple(w[k : k + 3]) for k in range(len(w) - 2)} for w in words]
    df: Counter = Counter(g for gs in grams for g in gs)
    posting: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, gs in enumerate(grams):  # docs are in time order: each post meets the earlier ones
        rare = [g for g in gs if 1 < df[g] <= p.copy_stock_posts]
        shared = Counter(j for g in rare for j in posting[g])
        for j, n in shared.items():
            if n >= 2 and _copied(docs, words, i, j, uf, p):
                uf.union(i, j)
        for g in rare:
            posting[g].append(i)


def _copied(docs: Sequence[Doc], words: list[list[str]], i: int, j: int, uf: _UnionFind,
            p: CrosspostParams) -> bool:
    """Two accounts' posts, not yet joined, close in time, the shorter mostly in verbatim runs of the other."""
    return (docs[i].account != docs[j].account and uf.find(i) != uf.find(j)
            and min(len(words[i]), len(words[j])) >= p.copy_min_words
            and _close(docs[i], docs[j], p.near_window_days)
            and copied_share(words[i], words[j]) >= p.copy_share)


def _overlap_ok(a: set[str], b: set[str], da: Doc, db: Doc, p: CrosspostParams) -> bool:
    """The exact test of an LSH candidate: shingle Jaccard or containment, within its time window."""
    inter = len(a & b)
    jac = inter / max(1, len(a | b))
    contained = inter / max(1, min(len(a), len(b)))
    far = jac >= p.same_text_jaccard or (jac >= p.far_jaccard and contained >= p.far_containment
                                         and min(da.norm.count(" "), db.norm.count(" ")) + 1 >= p.far_min_words)
    if not _close(da, db, p.window_days if far else p.near_window_days):
        return False
    small, big = sorted((len(a), len(b)))
    return jac >= p.near_jaccard or (contained >= p.near_containment and small >= 40
                                     and small / big >= p.near_length_ratio)


def centre_by_language(docs: Sequence[Doc], vecs: np.ndarray) -> np.ndarray:
    """Subtract each language's mean vector, then re-normalise: e5 vectors carry a language offset."""
    out = vecs.astype(np.float32).copy()
    langs = np.array([d.lang or "und" for d in docs])
    for lang in set(langs):
        m = langs == lang
        if m.sum() >= 3:
            out[m] -= out[m].mean(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


def _same_sender(a: Doc, b: Doc) -> bool:
    return a.sender is None or b.sender is None or a.sender == b.sender


_NUMBER = re.compile(r"\d+(?:[,.\u00a0\u202f ]\d{3})*")
_QUESTION = re.compile(r"[?？]")


@dataclass(frozen=True)
class Signs:
    """What a translation keeps in any language: its numbers, the countries it names, whether it asks."""

    numbers: frozenset[str]
    countries: frozenset[str]
    asks: bool


def signs(text: str) -> Signs:
    """The signs of a post's text, outside its links, @mentions and hashtags.

    A number is kept as its significant digits ("500,000", "500 тысяч" and "50万" all read "5"),
    because translations write round numbers in words of their own."""
    from envoywatch.analysis.gazetteer import default_gazetteer

    t = _MENTION.sub(" ", _URL.sub(" ", unicodedata.normalize("NFKC", html.unescape(text or "")[:MAX_CHARS])))
    numbers = frozenset(re.sub(r"\D", "", n).strip("0") or "0" for n in _NUMBER.findall(t))
    found = default_gazetteer().find(t)
    countries = frozenset(m.code for m in found if m.kind != "hashtag" and t[m.start - 1 : m.start] != "#")
    return Signs(numbers, countries, bool(_QUESTION.search(t)))


def signs_differ(a: Signs, b: Signs) -> bool:
    """Two texts that cannot be one message: different numbers, each naming a country the other does
    not, or a question against a statement. A translation may drop a sentence, so one text's countries
    may be a part of the other's."""
    return (bool(a.numbers and b.numbers and not a.numbers & b.numbers)
            or bool(a.countries - b.countries and b.countries - a.countries)
            or a.asks != b.asks)


def signs_shared(a: Signs, b: Signs, common: frozenset[str] = frozenset()) -> bool:
    """A sign both texts carry: a number, or a named country other than the `common` ones."""
    return bool(a.numbers & b.numbers or (a.countries & b.countries) - common)


def _confirmed(a: Doc, b: Doc, sim: float, p: CrosspostParams, memo: dict[int, Signs]) -> bool:
    """A translation candidate that the vectors chose: its texts must not contradict each other, and
    below `translation_sure` they must share a number or a country."""
    if not p.translation_signs:
        return sim >= p.translation_floor
    sa = memo.get(a.id) or memo.setdefault(a.id, signs(a.text))
    sb = memo.get(b.id) or memo.setdefault(b.id, signs(b.text))
    if signs_differ(sa, sb):
        return False
    common = frozenset(c for c in (a.sender, a.host, b.sender, b.host) if c)
    return sim >= p.translation_sure or (sim >= p.translation_floor and signs_shared(sa, sb, common))


def translation_pairs(docs: Sequence[Doc], vecs: np.ndarray, p: CrosspostParams,
                      group: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Mutual best matches across languages within the window, each clear of its runner-up.

    `group` gives each post's copy group (exact/near): a copy of the best match is not a runner-up.
    """
    groups = np.asarray(group if group is not None else range(len(docs)))
    lanes = _Lanes(docs, p.translation_window_days * 86400)
    best: dict[tuple[int, str], list[tuple[float, int]]] = {}
    for i, d in enumerate(docs):
        for lang, cand in lanes.around(i).items():
            sims = vecs[cand] @ vecs[i]
            order = np.lexsort((cand, sims))[::-1]  # best first; ties: the later index first
            top = [(float(sims[order[0]]), int(cand[order[0]]))]
            rest = order[1:][groups[cand[order[1:]]] != groups[cand[order[0]]]]
            if rest.size:
                top.append((float(sims[rest[0]]), int(cand[rest[0]])))
            best[(i, lang)] = top
    pairs, memo = [], {}
    for (i, lang), top in best.items():
        s, j = top[0]
        back = best.get((j, docs[i].lang))
        if not back or back[0][1] != i or s < p.translation_floor or i > j:
            continue
        runner = max([t[0] for t in top[1:2]] + [t[0] for t in back[1:2]] + [-1.0])
        if s - runner >= p.translation_margin and _confirmed(docs[i], docs[j], s, p, memo):
            pairs.append((i, j))
    return pairs


class _Lanes:
    """Posts by (sending country, language), each lane sorted by time: a post's candidates in
    another language are a few time-window slices, found by binary search, not a scan of the window."""

    def __init__(self, docs: Sequence[Doc], window_s: float) -> None:
        self.docs, self.win = docs, window_s
        self.times = np.array([d.created_at.timestamp() for d in docs])
        by: dict[tuple[str | None, str], list[int]] = defaultdict(list)
        for i, d in enumerate(docs):
            if d.lang:
                by[(d.sender, d.lang)].append(i)
        self.lanes = {k: (np.array(sorted(v, key=lambda i: self.times[i])),
                          np.sort(self.times[v])) for k, v in by.items()}

    def around(self, i: int) -> dict[str, np.ndarray]:
        """Posts of the same (or an unknown) sender in each other language, within the window of post i."""
        d, t = self.docs[i], self.times[i]
        if not d.lang:
            return {}
        found: dict[str, list[np.ndarray]] = defaultdict(list)
        for (sender, lang), (idx, times) in self.lanes.items():
            if lang == d.lang or not (sender is None or d.sender is None or sender == d.sender):
                continue
            lo, hi = np.searchsorted(times, t - self.win), np.searchsorted(times, t + self.win, "right")
            if hi > lo:
                found[lang].append(idx[lo:hi])
        return {lang: np.concatenate(parts) for lang, parts in found.items()}


def find_clusters(docs: Sequence[Doc], vectors: dict[int, np.ndarray] | None = None,
                  p: CrosspostParams | None = None, min_accounts: int = 2) -> list[Cluster]:
    """Group copies of one message; keep groups spanning at least `min_accounts` accounts."""
    p = p or CrosspostParams()
    docs = sorted(docs, key=lambda d: (d.created_at, d.id))
    for d in docs:
        d.norm = d.norm or normalise(d.text)
    uf = _UnionFind(len(docs))
    exact_pass(docs, uf, p)
    exact_root = [uf.find(i) for i in range(len(docs))]
    near_pass(docs, uf, p)
    copy_pass(docs, uf, p)
    near_root = [uf.find(i) for i in range(len(docs))]
    sub = [i for i, d in enumerate(docs) if vectors and d.id in vectors]
    if sub:
        sdocs = [docs[i] for i in sub]
        cvecs = centre_by_language(sdocs, np.stack([vectors[d.id] for d in sdocs]))
        for i, j in translation_pairs(sdocs, cvecs, p, [near_root[k] for k in sub]):
            uf.union(sub[i], sub[j])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(docs)):
        groups[uf.find(i)].append(i)
    out = []
    for members in groups.values():
        members = _drop_forwards(docs, members)
        if len(members) < 2 or len({docs[i].account for i in members}) < min_accounts:
            continue
        o = members[0]
        kinds = ["exact" if exact_root[i] == exact_root[o] else "near" if near_root[i] == near_root[o]
                 else "translated" for i in members[1:]]
        out.append(Cluster(docs[o], [(docs[i], k) for i, k in zip(members[1:], kinds, strict=True)]))
    return out


def _drop_forwards(docs: Sequence[Doc], members: list[int]) -> list[int]:
    """One account's same text within ten minutes is one post (a channel's auto-forwarded copy).

    Members are in time order, so the last kept post of that account and text is the one to compare."""
    kept: list[int] = []
    last: dict[tuple[str, str], Doc] = {}
    for i in members:
        d = docs[i]
        prev = last.get((d.account, d.norm))
        if prev is None or not _close(prev, d, 10 / 1440):
            kept.append(i)
            last[(d.account, d.norm)] = d
    return kept


def _doc(p: PostRow, acc) -> Doc:
    return Doc(p.id, acc.key, p.platform, p.lang, p.created_at, p.text, sender=acc.sending, host=acc.host)


def _stored_vectors(store, docs: list[Doc]) -> dict[int, np.ndarray]:
    from envoywatch.analysis.embed import MODEL_NAME
    from envoywatch.store.annotations import load_embeddings

    return load_embeddings(store, [d.id for d in docs], MODEL_NAME)


def cluster_event(c: Cluster, accs: dict, rows: dict[int, PostRow]) -> Event:
    o = c.origin
    acc = accs[rows[o.id].account_id]
    copies = [{"post": rows[d.id].ref(), "account": d.account, "platform": d.platform, "lang": d.lang,
               "lag_hours": round((d.created_at - o.created_at).total_seconds() / 3600, 2), "match": kind}
              for d, kind in c.copies]
    accounts = sorted({o.account} | {d.account for d, _ in c.copies})
    matches = sorted({k for _, k in c.copies})
    langs = sorted({x for x in [o.lang] + [d.lang for d, _ in c.copies] if x})
    summary = (f"{o.account}'s post of {o.created_at:%d %b %Y} reappeared on "
               f"{', '.join(a for a in accounts if a != o.account) or o.account} ({', '.join(matches)})")
    return Event(
        type="crosspost", key=f"crossposts:post{o.id}", start=o.created_at, end=max(d.created_at for d, _ in c.copies),
        account_id=acc.id, actor_id=acc.actor_id, score=float(len(c.copies)), summary=summary,
        data={"origin": {"post": rows[o.id].ref(), "account": o.account, "platform": o.platform,
                         "lang": o.lang, "text": o.text[:500]},
              "copies": copies, "accounts": accounts, "languages": langs, "matches": matches,
              "platforms": sorted({o.platform} | {d.platform for d, _ in c.copies})},
        evidence=[o.id] + [d.id for d, _ in c.copies])


@detector("crossposts")
def detect_crossposts(store) -> list[Event]:
    """Cross-post clusters among watched accounts' own posts (not their replies)."""
    accs = watched_accounts(store)
    rows = {p.id: p for p in watched_posts(store)}
    docs = [_doc(p, accs[p.account_id]) for p in rows.values()]
    return [cluster_event(c, accs, rows) for c in find_clusters(docs, _stored_vectors(store, docs))]
