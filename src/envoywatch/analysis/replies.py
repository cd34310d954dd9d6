"""Judge each reply: how hostile it is to the post or its author, its stance, and block self-reports.

Two small linear heads per judgment, trained by `envoywatch.training.replies`: one on
character n-grams of normalised text (disguised obscenities such as «х*йня», «пиzдец» or
"f*ck" are undone first) and one on the shared multilingual-e5 embeddings. Their log-odds
are averaged. Chinese replies add a head trained on COLD. Without embeddings (`ctx.fast`)
only the n-gram heads run. Every post, reply or not, is checked for a block self-report.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.utils import murmurhash3_32

from envoywatch.analysis.base import Analyzer, Context, PostInput, analyzer
from envoywatch.analysis.blockclaims import find_block_claim
from envoywatch.analysis.patterns import compile_guarded

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "replies.npz"
N_FEATURES = 2**18
STANCES = ("against", "neutral", "support")
MAX_CHARS = 2_000  # a reply longer than this is judged on its start

# --- normalisation of disguised words -------------------------------------------------
_CYR = re.compile(r"[а-яёәіңғүұқөһ]", re.IGNORECASE)
_LOOKALIKE = str.maketrans(
    {
        "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у",
        "k": "к", "m": "м", "h": "н", "t": "т", "z": "з", "u": "и", "i": "и", "n": "п",
        "3": "з", "6": "б", "0": "о", "9": "я", "@": "а", "$": "с", "ʍ": "м",
    }
)  # fmt: skip
_MASK = re.compile(r"(?<=\w)[*#%!.]+(?=\w)|(?<=\w)\*+")
_SPACED = re.compile(r"\b(?:\w[.\-_* ]){2,}\w\b")
_WORD = re.compile(r"[\w@$*#%!ʍ]+")

_OBSCENE = compile_guarded(
    r"х[уy*]+[йеяию]|х[*]+[йеяию]?н|п[иi*]+зд|пздц|[её]б[аaнуы]|[её]\*+[аaнт]|заеб|уеб|выеб|о\*уе|ох[уy*]е|ах[уy]е|"
    r"бл[яa*]+[дть]?|бля\b|с[уy]к[аи]|муда[кч]|мудак|говн|гавн|дерьм|ж[оo*]п|сран[ьи]|пидо?р|пидар|гандон|"
    r"шлюх|мраз|ублюд|гнид|сволоч|падл|\bчмо\b|хер\b|хрен|нах\b|пошел\s+на|долбо|"
    r"fuck|f[*\u00a0]+c?k|fvck|sh[i1!*]t|bitch|assh|a\$\$|\bstfu\b|\bwtf\b|crap|bullsh|"
    r"傻逼|傻[bB比]|煞笔|\bsb\b|脑残|去死|他妈|特么|\btmd\b|\bcnm\b|尼玛|狗屁|婊|卧槽|妈的|"
    r"ақымақ|малғұн|иттің|шошқа|оңбаған|жексұрын|сасық|есуас|арсыз|бетсіз|қотақ|ананды|шешеңді",
    re.IGNORECASE,
)
_HTML = re.compile(r"<[^>]{0,200}>")
_URL = re.compile(r"https?://\S+")


def _unmask_word(word: str) -> str:
    """Undo Latin, digit and symbol look-alikes inside a word that is mostly Cyrillic."""
    if not _CYR.search(word):
        return word
    return word.translate(_LOOKALIKE)


def normalize(text: str) -> str:
    """Lower-case, drop markup and links, and undo common disguises of obscene words."""
    text = unicodedata.normalize("NFKC", (text or "")[: MAX_CHARS * 2]).lower().replace("ё", "е")
    text = _URL.sub(" url ", _HTML.sub(" ", text))
    text = _SPACED.sub(lambda m: re.sub(r"[.\-_* ]", "", m.group(0)), text)
    if _CYR.search(text):  # only words with Cyrillic letters are unmasked
        text = _WORD.sub(lambda m: _unmask_word(m.group(0)), text)
    return text[:MAX_CHARS]


def ngram_text(text: str) -> str:
    """The string the n-gram heads see: normalised text plus a marker for obscene words."""
    norm = normalize(text)
    masked = "*" in norm and bool(_MASK.search(norm))
    tags = (" ⟦obs⟧" if _OBSCENE.search(norm) else "") + (" ⟦mask⟧" if masked else "")
    return norm + tags


def _word_ngrams(word: str) -> tuple[str, ...]:
    """The 1-4 character n-grams of one space-padded word, exactly as sklearn's char_wb makes them."""
    w = " " + word + " "
    out: list[str] = []
    for n in range(1, 5):
        out += [w[i : i + n] for i in range(max(1, len(w) - n + 1))]
        if len(w) <= n:  # a short word is counted once, as sklearn does
            break
    return tuple(out)


@lru_cache(maxsize=1 << 16)
def _word_features(word: str) -> array:
    """Hashed feature columns of a word's n-grams, as sklearn's HashingVectorizer computes them.

    Replies reuse their words, so hashing each word once takes the per-n-gram Python loop (the
    costliest step of the fast path) out of most replies.
    """
    out = array("i")
    for gram in _word_ngrams(word):
        h = int(murmurhash3_32(gram, seed=0))
        out.append((2**31 - N_FEATURES) % N_FEATURES if h == -(2**31) else abs(h) % N_FEATURES)
    return out


def hashed_counts(texts: Sequence[str]) -> sparse.csr_matrix:
    """Counts of hashed char_wb 1-4 grams per text: HashingVectorizer(analyzer="char_wb",
    ngram_range=(1, 4), n_features=2**18, alternate_sign=False, norm=None, lowercase=False)."""
    cols = array("i")
    indptr = [0]
    for text in texts:
        for word in text.split():
            cols.extend(_word_features(word))
        indptr.append(len(cols))
    x = sparse.csr_matrix((np.ones(len(cols)), np.frombuffer(cols, dtype=np.int32), np.array(indptr, dtype=np.int64)),
                          shape=(len(texts), N_FEATURES))
    x.sum_duplicates()
    return x


def ngram_features(texts: Sequence[str], idf: np.ndarray | None = None) -> sparse.csr_matrix:
    """Sub-linear tf (optionally idf-weighted), L2-normalised hashed char n-grams."""
    x = hashed_counts([ngram_text(t) for t in texts]).astype(np.float32)
    x.data = 1.0 + np.log(x.data)
    if idf is not None:
        x = x @ sparse.diags(idf.astype(np.float32))
        x = sparse.csr_matrix(x)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ x)


# --- trained heads ---------------------------------------------------------------------
class LinearHead:
    """A logistic head stored as (possibly sparse) weights: scores = x @ W + b."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray) -> None:
        self.w = np.asarray(weights, dtype=np.float32)
        if self.w.ndim == 1:
            self.w = self.w[:, None]
        self.b = np.asarray(bias, dtype=np.float32).ravel()

    def logits(self, x: Any) -> np.ndarray:
        return np.asarray(x @ self.w) + self.b


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def pack_head(prefix: str, coef: np.ndarray, intercept: np.ndarray) -> dict[str, np.ndarray]:
    """Store a head's weights sparsely (most hashed n-grams never occur in training)."""
    coef = np.asarray(coef, dtype=np.float32).T  # (features, classes)
    rows = np.flatnonzero(np.abs(coef).sum(axis=1) > 1e-6).astype(np.int32)
    return {
        f"{prefix}.rows": rows,
        f"{prefix}.vals": coef[rows].astype(np.float16),
        f"{prefix}.dim": np.array(coef.shape, dtype=np.int64),
        f"{prefix}.b": np.asarray(intercept, dtype=np.float32),
    }


def unpack_head(arrs: Any, prefix: str) -> LinearHead | None:
    if f"{prefix}.rows" not in arrs:
        return None
    dim = tuple(int(v) for v in arrs[f"{prefix}.dim"])
    w = np.zeros(dim, dtype=np.float32)
    w[arrs[f"{prefix}.rows"]] = arrs[f"{prefix}.vals"].astype(np.float32)
    return LinearHead(w, arrs[f"{prefix}.b"])


class ReplyModel:
    """The trained heads and the fusion settings, loaded from one .npz artifact."""

    HEADS = ("host_ng", "host_emb", "stance_ng", "stance_emb", "abuse_ng", "abuse_emb", "cold_ng", "cold_emb")

    def __init__(self, path: Path = MODEL_PATH) -> None:
        with np.load(path, allow_pickle=False) as arrs:
            self.heads = {h: unpack_head(arrs, h) for h in self.HEADS}
            self.idf = arrs["idf"] if "idf" in arrs else None
            self.threshold = float(arrs["threshold"]) if "threshold" in arrs else 0.5
            self.threshold_fast = float(arrs["threshold_fast"]) if "threshold_fast" in arrs else 0.5
            self.emb_weight = float(arrs["emb_weight"]) if "emb_weight" in arrs else 0.5

    def _fuse(self, names: tuple[str, str], xng: Any, emb: np.ndarray | None) -> np.ndarray:
        ng, em = (self.heads[n] for n in names)
        z = ng.logits(xng)
        if emb is not None and em is not None:
            z = self.emb_weight * em.logits(emb) + (1 - self.emb_weight) * z
        return z

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None], emb: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per reply: hostility and offensiveness probabilities, stance probabilities (STANCES)."""
        xng = ngram_features(texts, self.idf)
        z_host = self._fuse(("host_ng", "host_emb"), xng, emb)[:, 0]
        z_abuse = self._fuse(("abuse_ng", "abuse_emb"), xng, emb)[:, 0]
        zh = np.array([lang == "zh" for lang in langs], dtype=bool)
        if zh.any() and self.heads["cold_ng"] is not None:
            # Chinese: offensive by COLD's standard, or hostile to the post, makes a reply hostile.
            z_cold = self._fuse(("cold_ng", "cold_emb"), xng[zh], None if emb is None else emb[zh])
            z_abuse[zh] = np.maximum(z_cold[:, 0], z_abuse[zh])
            z_host[zh] = np.maximum(z_cold[:, 0], z_host[zh])
        stance = _softmax(self._fuse(("stance_ng", "stance_emb"), xng, emb))
        return _sigmoid(z_host), _sigmoid(z_abuse), stance


@lru_cache(maxsize=1)
def load_model() -> ReplyModel:
    return ReplyModel(MODEL_PATH)


def judge(
    model: ReplyModel, texts: Sequence[str], langs: Sequence[str | None], emb: np.ndarray | None
) -> list[dict[str, Any]]:
    """Hostility, hostile flag, stance and offensiveness (abuse, insults, obscenity) per reply."""
    if not texts:
        return []
    host, abuse, probs = model.predict(texts, langs, emb)
    cut = model.threshold if emb is not None else model.threshold_fast
    out = []
    for h, a, p in zip(host, abuse, probs, strict=True):
        hostile = bool(h >= cut)
        stance = STANCES[int(np.argmax(p))]
        if hostile and stance != "against":
            stance = "against"
        elif not hostile and stance == "against" and p[0] < 0.5:
            stance = STANCES[1 + int(np.argmax(p[1:]))]
        out.append(
            {"hostility": round(float(h), 4), "hostile": hostile, "stance": stance,
             "offensive": round(float(a), 4)}
        )  # fmt: skip
    return out


@analyzer
class RepliesAnalyzer(Analyzer):
    """Reply hostility and stance toward the post; block self-reports in every post."""

    name = "replies"
    version = "1"
    requires = ("lang",)
    assigns = ("reply", "block_claim")

    def setup(self) -> None:
        self.model = load_model()

    def run(self, posts: Sequence[PostInput], anns: list[dict[str, Any]], ctx: Context) -> None:
        if not hasattr(self, "model"):
            self.setup()
        for p, ann in zip(posts, anns, strict=True):
            lang = ann.get("lang") or p.lang
            claim = find_block_claim(p.text or "", lang, p.parent_account if p.is_reply else None)
            ann["block_claim"] = claim.as_dict() if claim else None
        idx = [i for i, p in enumerate(posts) if p.is_reply]
        if not idx:
            return
        replies = [posts[i] for i in idx]
        emb = ctx.embeddings(replies)
        langs = [anns[i].get("lang") or posts[i].lang for i in idx]
        verdicts = judge(self.model, [p.text or "" for p in replies], langs, emb)
        for i, v in zip(idx, verdicts, strict=True):
            v["block_claim"] = anns[i]["block_claim"] is not None
            anns[i]["reply"] = v
