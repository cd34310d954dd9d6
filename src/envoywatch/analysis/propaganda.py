"""Propaganda analyzer: is a post propaganda, which DIPROMATS techniques, how undiplomatic."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from envoywatch.analysis.base import Analyzer, Context, PostInput, analyzer
from envoywatch.analysis.propaganda_model import MODEL_PATH, PropagandaModel, featurise, normalise

TECHNIQUES: tuple[str, ...] = (
    "flag_waving", "ad_populum", "name_calling", "undiplomatic_assertiveness_whataboutism",
    "doubt", "fear_appeals_destructive", "propaganda_slinging", "demonization", "scapegoating",
    "absurdity_appeal", "loaded_language", "appeal_to_false_authority", "bandwagoning",
)
TONE_WEIGHT = 0.5  # how much loaded language alone can make a post undiplomatic
_WORDLIKE = re.compile(r"\w{2,}")


@lru_cache(maxsize=2)
def load_model(path: str = str(MODEL_PATH)) -> PropagandaModel:
    """The committed model, loaded once per process."""
    from pathlib import Path

    return PropagandaModel.load(Path(path))


def undiplomatic_score(discrediting: np.ndarray, loaded: np.ndarray) -> np.ndarray:
    """1 - (1 - P(discrediting the opponent)) * (1 - 0.5 * P(loaded language)).

    The "discrediting the opponent" group (name calling, whataboutism, doubt, fear appeals,
    propaganda slinging, demonization, scapegoating, absurdity appeal) drives the score; a
    loaded, emotional tone alone lifts it at most to 0.5.
    """
    return 1.0 - (1.0 - discrediting) * (1.0 - TONE_WEIGHT * loaded)


def score_texts(model: PropagandaModel, texts: Sequence[str], emb: np.ndarray | None) -> dict[str, np.ndarray]:
    """Calibrated probability of every head for each text; empty or wordless texts score 0.

    Without embeddings each row depends on its text alone, so a text repeated in the batch is
    featurised and scored once and its row copied."""
    fast = emb is None
    if fast:
        rows = {t: i for i, t in enumerate(dict.fromkeys(texts))}
        if len(rows) < len(texts):
            probs = score_texts(model, list(rows), None)
            where = np.fromiter((rows[t] for t in texts), np.intp, len(texts))
            return {name: p[where] for name, p in probs.items()}
    norm = [normalise(t) for t in texts]
    feats: dict[str, Any] = featurise(norm, model.spec, [b for b in model.blocks(fast) if b != "emb"], True)
    if not fast:
        feats["emb"] = emb
    probs = {name: head.prob(feats, fast) for name, head in model.heads.items()}
    xling = model.meta.get("emb_only")
    if not fast and xling:  # posts in languages the n-grams never saw lean on embeddings alone
        z = xling["w"][0] * model.heads["propaganda"].linears["emb"].logit(emb) + xling["b"]
        probs["propaganda_emb_only"] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    blank = np.array([not _WORDLIKE.search(t) for t in norm], bool)
    for p in probs.values():
        p[blank] = 0.0
    return probs


def as_rows(probs: dict[str, np.ndarray]) -> dict[str, Any]:
    """Float64 probabilities as Python lists, which `decide` reads element by element: a list item
    is read ten times faster than a numpy scalar, and the arithmetic on it is the same IEEE double's."""
    return {k: v.tolist() if v.dtype == np.float64 else v for k, v in probs.items()}


def decide(model: PropagandaModel, probs: dict[str, np.ndarray], i: int, fast: bool,
           lang: str | None = None) -> dict[str, Any]:
    """The annotation fields for post i from the heads' probabilities and their thresholds.

    Technique heads are conditional on propaganda: a post judged propaganda gets its likeliest
    technique plus any other above a cut tuned for micro-F1, scored P(propaganda and it).
    """
    mode = "fast" if fast else "full"
    score = float(probs["propaganda"][i])
    cut = model.meta.get("propaganda_cuts", {}).get(mode, {}).get(lang or "", model.heads["propaganda"].cut(fast))
    if "propaganda_emb_only" in probs and lang not in model.meta.get("ngram_languages", ()):
        xling = model.meta["emb_only"]  # a cut of its own for Russian, else the en/es one
        score, cut = float(probs["propaganda_emb_only"][i]), xling.get("cuts", {}).get(lang, xling["threshold"])
    is_prop = score >= cut
    pre = "ru/" if lang == "ru" and "ru/loaded_language" in probs else ""
    techniques = []
    if is_prop:
        cond = {lab: float(probs[pre + lab][i]) for lab in TECHNIQUES if pre + lab in probs}
        techniques = _techniques(model, cond, score, mode, pre)
        tone = cond.get("loaded_language", 0.0)
    else:  # most posts: of the technique heads, only loaded language counts (toward the tone)
        tone = float(probs[pre + "loaded_language"][i]) if pre + "loaded_language" in probs else 0.0
    disc = score * probs[pre + "discrediting"][i] if pre + "discrediting" in probs else score
    loaded = score * tone
    return {
        "propaganda": bool(is_prop),
        "propaganda_score": round(score, 4),
        "techniques": techniques,
        "undiplomatic": round(float(undiplomatic_score(disc, loaded)), 4),
    }


def _techniques(model: PropagandaModel, cond: dict[str, float], score: float, mode: str, pre: str
                ) -> list[dict[str, Any]]:
    """A propaganda post's likeliest technique and any other above the mode's cut, by score."""
    if not cond:
        return []
    extra = model.meta.get("technique_extra" + ("_ru" if pre else ""), {}).get(mode, 0.5)
    top = max(cond, key=cond.get)
    chosen = [lab for lab, p in cond.items() if p >= extra or lab == top]
    return sorted(({"label": lab, "score": round(score * cond[lab], 3)} for lab in chosen), key=lambda t: -t["score"])


@analyzer
class PropagandaAnalyzer(Analyzer):
    """DIPROMATS 2023 propaganda, techniques and an undiplomatic score for every post."""

    name = "propaganda"
    version = "1"
    requires = ("lang",)
    assigns = ("propaganda", "propaganda_score", "techniques", "undiplomatic")

    def setup(self) -> None:
        self.model = load_model()

    def run(self, posts: Sequence[PostInput], anns: list[dict[str, Any]], ctx: Context) -> None:
        if not posts:
            return
        if not hasattr(self, "model"):
            self.setup()
        emb = ctx.embeddings(posts)
        probs = as_rows(score_texts(self.model, [p.text or "" for p in posts], emb))
        for i, (post, ann) in enumerate(zip(posts, anns)):
            lang = ann.get("lang") or post.lang
            ann.update(decide(self.model, probs, i, emb is None, lang))
