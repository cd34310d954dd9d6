"""Veiled references ("a certain country", «одна страна», «бір ел», 某国) and who they mean.

Markers and clues live in data/countries/veiled.yaml. A reference resolves to the country whose
clues ("all its states", "left the European Union", nuclear wastewater in the sea) plus the
account's prior score highest, when that score is high enough and clearly ahead; otherwise the
reference stays unknown (code None) rather than a guess.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import yaml

from envoywatch.analysis.gazetteer import DATA_DIR, normalise
from envoywatch.analysis.patterns import grouped_cues, lower_keep_len, stem_alternation

PRIOR_WEIGHT = 0.8  # a prior share of 1.0 is worth less than one strong clue
RESOLVE_AT = 1.0
MARGIN = 0.5


@dataclass(frozen=True, slots=True)
class Marker:
    start: int
    end: int
    surface: str
    strong: bool


@dataclass(frozen=True, slots=True)
class Clue:
    code: str
    weight: float
    label: str
    rx: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Resolution:
    code: str | None
    confidence: float
    clues: list[str]
    scores: dict[str, float]


# Nouns every marker contains; posts without any of them skip the marker patterns entirely.
_NOUNS = ["country", "countries", "nation", "state", "power", "government", "politician", "media", "outlet", "circles", "forces", "beacon", "champion", "defender", "bastion", "стран", "государств", "держав", "политик", "сил", "сми", "ел", "мемлекет", "саясаткер", "күш", "маяк", "защитник", "оплот", "шамшыра", "үлгі", "国", "政客", "势力", "媒体", "灯塔", "卫士", "捍卫者"]


@lru_cache(maxsize=1)
def _nouns_rx() -> re.Pattern[str]:
    """The marker nouns as one trie-shaped regex: one search instead of 37 substring tests."""
    from envoywatch.analysis.gazetteer import trie_pattern

    return re.compile(trie_pattern(_NOUNS))


@lru_cache(maxsize=1)
def _data() -> tuple[re.Pattern[str], list[Clue], re.Pattern[str], re.Pattern[str]]:
    d = yaml.safe_load((DATA_DIR / "veiled.yaml").read_text("utf-8"))
    markers = re.compile(grouped_cues({"s": d["markers"]["strong"], "k": d["markers"]["weak"]}))
    # Clues run on lower-cased text: five times faster than re.IGNORECASE on the same text.
    clues = [Clue(c["code"], float(c["w"]), c["label"], re.compile(lower_pattern(c["re"]))) for c in d["clues"]]
    strong_clues = re.compile("|".join(f"(?:{c.rx.pattern})" for c in clues if c.weight >= 1.0))
    return markers, clues, re.compile(stem_alternation(_NOUNS)), strong_clues


def lower_pattern(pattern: str) -> str:
    """A regex for lower-cased text: its letters lower-cased, its escapes (\\W, \\S, \\B) kept."""
    return _ESCAPE_OR_TEXT.sub(lambda m: m.group(0) if m.group(0)[0] == "\\" else m.group(0).lower(), pattern)


_ESCAPE_OR_TEXT = re.compile(r"\\.|[^\\]+", re.DOTALL)


def find_markers(text: str, ends: list[int], hostile_sents: Callable[[], set[int]]) -> list[Marker]:
    """Strong markers anywhere; weak ones ("some countries") in hostile sentences or with clues."""
    rx, _, _, strong_clues = _data()
    t = lower_keep_len(normalise(text))
    if not _nouns_rx().search(t):
        return []
    out: list[Marker] = []
    has_clue = hostile = None
    for m in rx.finditer(t):
        g = m.groupdict()
        if not (g.get("s") or g.get("hs")):
            if hostile is None:
                hostile = hostile_sents()
            if bisect.bisect_right(ends, m.start()) not in hostile:
                if has_clue is None:
                    has_clue = strong_clues.search(t) is not None
                if not has_clue:
                    continue
        out.append(Marker(m.start(), m.end(), text[m.start() : m.end()], bool(g.get("s") or g.get("hs"))))
    return sorted(out, key=lambda m: m.start)


def resolve(
    text: str, prior: dict[str, float] | None, exclude: set[str | None]
) -> Resolution:
    """The country a veiled reference means, from clues in the text and the account's prior."""
    t = lower_keep_len(normalise(text))
    scores: dict[str, float] = {}
    found: dict[str, list[str]] = {}
    for c in _data()[1]:
        if c.code in exclude or not c.rx.search(t):
            continue
        scores[c.code] = scores.get(c.code, 0.0) + c.weight
        found.setdefault(c.code, []).append(c.label)
    for code, share in (prior or {}).items():
        if code in exclude or share <= 0:
            continue
        scores[code] = scores.get(code, 0.0) + PRIOR_WEIGHT * min(float(share), 1.0)
        found.setdefault(code, []).append(f"account prior {float(share):.2f}")
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked:
        return Resolution(None, 0.0, [], {})
    top, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    has_clue = any(not s.startswith("account prior") for s in found[top])
    if best < RESOLVE_AT or best - second < MARGIN or not has_clue:
        return Resolution(None, 0.0, sorted({x for v in found.values() for x in v}), scores)
    conf = round(min(0.99, best / (best + second + 0.5)), 3)
    return Resolution(top, conf, found[top], scores)
