"""The propaganda model: hashed n-gram and embedding heads, stacked and calibrated, saved as npz."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

MODEL_DIR = Path(__file__).resolve().parents[1] / "models"
MODEL_PATH = MODEL_DIR / "propaganda.npz"
MAX_CHARS = 4000  # longer posts are judged on their opening; keeps 100 KB inputs cheap

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_TAGS = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")


def normalise(text: str | None) -> str:
    """Text as the n-gram heads see it: unescaped, tags, links and handles replaced, lowercased."""
    if not text:
        return ""
    t = html.unescape(text[:MAX_CHARS])
    t = _TAGS.sub(" ", t)
    t = _URL.sub(" httpurl ", t)
    t = _MENTION.sub(" @user ", t)
    return _SPACE.sub(" ", t).strip().lower()


WORD_PATTERN = r"(?u)[#@]?\b\w+\b"
NGRAMS = {"word": ("word", (1, 2)), "char": ("char_wb", (2, 5))}


@dataclass
class NgramSpec:
    """Fitted TF-IDF vocabularies (sublinear tf, IDF) per n-gram block: terms and their IDF.

    Replaced hashed binary n-grams: out of fold on train_en, TF-IDF word 1-2 grams gave F1
    0.624 vs 0.607 hashed (same C), char_wb 2-5 grams 0.634 (see docs/models/propaganda.md).
    """

    terms: dict[str, list[str]] = field(default_factory=dict)
    idf: dict[str, np.ndarray] = field(default_factory=dict)
    _vecs: dict[str, TfidfVectorizer] = field(default_factory=dict, repr=False, compare=False)
    _weights: dict[str, TfidfTransformer] = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def make(block: str, max_features: int | None = None, min_df: int = 2) -> TfidfVectorizer:
        """An unfitted vectorizer for a block, as training fits it."""
        analyzer, ngram = NGRAMS[block]
        return TfidfVectorizer(analyzer=analyzer, ngram_range=ngram, sublinear_tf=True, min_df=min_df,
                               max_features=max_features, lowercase=False, dtype=np.float32,
                               token_pattern=WORD_PATTERN if block == "word" else None)

    def fit(self, block: str, texts: Sequence[str], max_features: int) -> None:
        """Fit one block's vocabulary and IDF on normalised training texts."""
        v = self.make(block, max_features).fit(texts)
        self.terms[block] = v.get_feature_names_out().tolist()
        self.idf[block] = v.idf_.astype(np.float32)
        self._vecs[block] = v

    def vectorizer(self, block: str) -> TfidfVectorizer:
        """The block's vectorizer rebuilt from its terms and IDF (no data needed)."""
        if block not in self._vecs:
            v = self.make(block, min_df=1)
            v.vocabulary = {t: i for i, t in enumerate(self.terms[block])}
            v.fit([" ".join(self.terms[block][:1]) or "x"])  # sets up the fixed vocabulary
            v.idf_ = self.idf[block].astype(np.float64)
            self._vecs[block] = v
        return self._vecs[block]

    def transform(self, block: str, texts: Sequence[str]) -> sparse.csr_matrix:
        """The block's TF-IDF features of normalised texts. Word n-grams are counted here, then
        weighted by the vectorizer's own TF-IDF step: the same matrix as its `transform`, in 60%
        of the time (its counting loop looks every n-gram up through a try/except)."""
        v = self.vectorizer(block)
        if not _plain_words(v):
            return v.transform(texts)
        if block not in self._weights:
            self._weights[block] = TfidfTransformer(norm=v.norm, use_idf=v.use_idf, smooth_idf=v.smooth_idf,
                                                    sublinear_tf=v.sublinear_tf)
            self._weights[block].idf_ = v.idf_
        return self._weights[block].transform(word_counts(v, texts), copy=False)


def _plain_words(v: TfidfVectorizer) -> bool:
    """Whether the vectorizer's n-grams are its token pattern's words as they are (what
    `word_counts` reproduces): no preprocessing, stop words, custom tokenizer or binary counts."""
    return (v.analyzer == "word" and v.input == "content" and v.preprocessor is None and v.tokenizer is None
            and not v.lowercase and v.strip_accents is None and v.stop_words is None and not v.binary
            and v.use_idf)


def word_counts(v: TfidfVectorizer, texts: Sequence[str]) -> sparse.csr_matrix:
    """Counts of the vectorizer's vocabulary n-grams per text, as its CountVectorizer step makes
    them (the same n-grams in the same order, the same dtypes and sorted indices)."""
    tokens, get, (lo, hi) = v.build_tokenizer(), v.vocabulary_.get, v.ngram_range
    join = " ".join
    indptr, indices, values = [0], [], []
    for doc in texts:
        toks = tokens(doc)
        found: dict[int, int] = {}
        for n in range(lo, hi + 1):
            for g in toks if n == 1 else map(join, pairwise(toks) if n == 2 else _runs(toks, n)):
                j = get(g)
                if j is not None:
                    found[j] = found.get(j, 0) + 1
        indices += found
        values += found.values()
        indptr.append(len(indices))
    index = np.int32 if len(indices) <= np.iinfo(np.int32).max else np.int64
    x = sparse.csr_matrix((np.array(values, np.intc), np.array(indices, index), np.array(indptr, index)),
                          shape=(len(indptr) - 1, len(v.vocabulary_)), dtype=v.dtype)
    x.sort_indices()
    return x


def _runs(toks: list[str], n: int):
    """The runs of n consecutive tokens."""
    return zip(*(toks[k:] for k in range(n)))


def featurise(texts: Sequence[str], spec: NgramSpec, blocks: Sequence[str],
              normalised: bool = False) -> dict[str, sparse.csr_matrix]:
    """TF-IDF sparse features per block ('word', 'char') of the (normalised) texts."""
    norm = list(texts) if normalised else [normalise(t) for t in texts]
    return {b: spec.transform(b, norm) for b in blocks}


@dataclass
class Linear:
    """A linear scorer over one feature block (word, char or emb)."""

    w: np.ndarray
    b: float

    def logit(self, x) -> np.ndarray:
        return np.asarray(x @ self.w, dtype=np.float64).ravel() + self.b


@dataclass
class Stack:
    """Logistic stacking of block logits: the calibration step, fitted on out-of-fold logits."""

    blocks: tuple[str, ...]
    w: np.ndarray
    b: float
    threshold: float
    oof: np.ndarray | None = field(default=None, repr=False)  # training only, never saved

    def prob(self, logits: dict[str, np.ndarray]) -> np.ndarray:
        z = sum(wi * logits[k] for k, wi in zip(self.blocks, self.w)) + self.b
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class Head:
    """One calibrated binary decision with a full stack (embeddings) and a fast n-gram stack."""

    linears: dict[str, Linear]
    full: Stack
    fast: Stack

    def prob(self, feats: dict[str, object], fast: bool) -> np.ndarray:
        stack = self.fast if fast else self.full
        logits = {k: self.linears[k].logit(feats[k]) for k in stack.blocks}
        return stack.prob(logits)

    def cut(self, fast: bool) -> float:
        return (self.fast if fast else self.full).threshold


@dataclass
class PropagandaModel:
    """The binary propaganda head, one head per technique, a discrediting head, and metadata."""

    spec: NgramSpec
    heads: dict[str, Head]
    meta: dict = field(default_factory=dict)

    def blocks(self, fast: bool) -> tuple[str, ...]:
        """Feature blocks any head needs in this mode."""
        out: list[str] = []
        for h in self.heads.values():
            out += [b for b in (h.fast if fast else h.full).blocks if b not in out]
        return tuple(out)

    def save(self, path: Path = MODEL_PATH, keep: int = 40000) -> None:
        """Write an npz: the largest `keep` weights per n-gram block as float16, plus a JSON header."""
        arrays: dict[str, np.ndarray] = {}
        header: dict = {"spec": sorted(self.spec.terms), "meta": self.meta, "heads": {}}
        for blk, terms in self.spec.terms.items():
            arrays[f"vocab.{blk}.terms"] = np.frombuffer("\n".join(terms).encode(), dtype=np.uint8)
            arrays[f"vocab.{blk}.idf"] = self.spec.idf[blk].astype(np.float32)
        for name, h in self.heads.items():
            hh = header["heads"][name] = {"bias": {}, "dims": {}}
            for blk, lin in h.linears.items():
                w = lin.w.astype(np.float32)
                idx = np.sort(np.argsort(-np.abs(w))[:keep]).astype(np.int32)
                arrays[f"{name}.{blk}.idx"] = idx
                arrays[f"{name}.{blk}.val"] = w[idx].astype(np.float16)
                hh["bias"][blk], hh["dims"][blk] = float(lin.b), int(w.shape[0])
            for mode in ("full", "fast"):
                st = getattr(h, mode)
                hh[mode] = {"blocks": list(st.blocks), "w": [float(x) for x in st.w],
                            "b": float(st.b), "threshold": float(st.threshold)}
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> PropagandaModel:
        with np.load(path) as z:
            header = json.loads(z["header"].tobytes().decode())
            heads = {}
            for name, hh in header["heads"].items():
                linears = {}
                for blk, dim in hh["dims"].items():
                    w = np.zeros(dim, np.float32)
                    w[z[f"{name}.{blk}.idx"]] = z[f"{name}.{blk}.val"].astype(np.float32)
                    linears[blk] = Linear(w, hh["bias"][blk])
                stacks = {m: Stack(tuple(hh[m]["blocks"]), np.array(hh[m]["w"]), hh[m]["b"],
                                   hh[m]["threshold"]) for m in ("full", "fast")}
                heads[name] = Head(linears, stacks["full"], stacks["fast"])
            spec = NgramSpec({b: z[f"vocab.{b}.terms"].tobytes().decode().split("\n") for b in header["spec"]},
                             {b: z[f"vocab.{b}.idf"] for b in header["spec"]})
        return cls(spec, heads, header.get("meta", {}))
