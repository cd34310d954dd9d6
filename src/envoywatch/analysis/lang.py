"""The `lang` analyzer: the dominant language of each post as an ISO 639-1 code.

Scripts decide most posts at once (Han -> zh, Kazakh-only Cyrillic letters -> kk); lingua,
limited to a dozen languages to keep memory down, decides the rest. Links, handles and
hashtags are removed first because they say nothing about the language of the post.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from envoywatch.analysis.base import Analyzer, Context, PostInput, analyzer

# Lingua only decides between languages sharing a script (scripts decide the rest), so it
# needs these nine models: ~1/3 of the memory of a broad language set.
LINGUA_LANGS = ("EN", "ES", "FR", "DE", "TR", "RU", "KK", "UK", "MONGOLIAN")
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|<[^>]{0,200}>|&\w+;")
_SCRIPTS = {
    "han": re.compile(r"[\u3400-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af]"),
    "cyr": re.compile(r"[\u0400-\u04ff]"),
    "lat": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "arab": re.compile(r"[\u0600-\u06ff]"),
}
_KK = re.compile(r"[әғқңөұүһӘҒҚҢӨҰҮҺ]")
_UK = re.compile(r"[їєґЇЄҐ]")
# Common Kazakh words written without Kazakh-only letters ("Рахмет!", "мен", "деп").
_KK_WORDS = re.compile(r"(?<!\w)(рахмет|мен|бен|пен|деп|жоқ|емес|осы|бар|жыл|елші|елшілігі)(?!\w)", re.IGNORECASE)
SAMPLE = 2000  # characters looked at; a 100 KB post is judged by its start


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    names = {"EN": "ENGLISH", "RU": "RUSSIAN", "KK": "KAZAKH", "ZH": "CHINESE", "UK": "UKRAINIAN",
             "ES": "SPANISH", "FR": "FRENCH", "DE": "GERMAN", "TR": "TURKISH", "MONGOLIAN": "MONGOLIAN"}
    langs = [getattr(Language, names[c]) for c in LINGUA_LANGS]
    return LanguageDetectorBuilder.from_languages(*langs).build()  # models load lazily, per script


def script_counts(text: str) -> dict[str, int]:
    """Letters per script in a text sample."""
    return {k: len(rx.findall(text)) for k, rx in _SCRIPTS.items()}


def detect(text: str) -> tuple[str, list[str]]:
    """(dominant language, languages present) for one text; 'und' when there are no letters."""
    clean = _NOISE.sub(" ", (text or "")[:SAMPLE])
    counts = script_counts(clean)
    for dense in ("han", "kana", "hangul"):  # one character carries about a word
        counts[dense] *= 3
    total = sum(counts.values())
    if total == 0:
        return "und", []
    present = [s for s, n in counts.items() if n >= max(3, 0.2 * total)] or [max(counts, key=counts.get)]
    langs = [_lang_of_script(s, clean) for s in present]
    weights = {lang: counts[s] for s, lang in zip(present, langs, strict=True)}
    dominant = max(weights, key=weights.get)
    return dominant, list(dict.fromkeys(langs))


def _lang_of_script(script: str, text: str) -> str:
    if script == "han":
        return "ja" if _SCRIPTS["kana"].search(text) else "zh"
    if script == "kana":
        return "ja"
    if script == "hangul":
        return "ko"
    if script == "cyr":
        if _KK.search(text) or _KK_WORDS.search(text):
            return "kk"
        if _UK.search(text):
            return "uk"
        return _lingua(_SCRIPTS["cyr"], text, "ru", {"ru", "kk", "uk", "mn"})
    if script == "arab":
        return "ar"
    return _lingua(_SCRIPTS["lat"], text, "en", {"en", "es", "fr", "de", "tr"})


def _lingua(rx: re.Pattern[str], text: str, default: str, allowed: set[str]) -> str:
    words = [w for w in re.findall(r"\w+", text) if rx.match(w)]
    if len(words) < 2:
        return default
    try:
        lang = _detector().detect_language_of(" ".join(words))
    except (ValueError, RuntimeError, TypeError):  # a bad input must not stop annotation
        return default
    code = lang.iso_code_639_1.name.lower() if lang is not None else default
    return code if code in allowed else default


@analyzer
class LangAnalyzer(Analyzer):
    """ISO 639-1 language of each post; a language given by the caller is trusted."""

    name = "lang"
    version = "1"
    assigns = ("lang",)

    def run(self, posts: Sequence[PostInput], anns: list[dict[str, Any]], ctx: Context) -> None:
        for p, ann in zip(posts, anns, strict=True):
            if p.lang:
                ann["lang"] = p.lang.lower().split("-")[0]
                continue
            ann["lang"], langs = detect(p.text)
            if len(langs) > 1:
                ann["langs"] = langs
