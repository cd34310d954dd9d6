"""Stance toward each country in a post: hostile, friendly or neutral, from cues near its mentions.

Each hostile or friendly cue (multilingual stems in data/countries/stance.yaml) counts for the
nearest country mentioned in the same sentence. The sender is never a candidate (an embassy
does not attack its own country), the host needs stronger evidence than a third country, and a
country named right after a hostile verb ("smear China", «抹黑中国») is its object, not its target.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from envoywatch.analysis.gazetteer import _NORM, DATA_DIR

_HAN = re.compile(r"[\u3400-\u9fff]")
# Sentence ends: . ! ? followed by space (not the dots inside "U.S."), CJK stops, semicolons, lines.
_SENT_END = re.compile(r"(?<![A-Z]\.[A-Z])(?<!\b[A-Z])[.!?…]+(?=\s|$)|[。！？；;\n]+")
_AGAINST = re.compile(r"(?:against|против|对|针对|向)\s*$", re.I)
_LOCATIVE = re.compile(r"(?:\bв|\bво|\bin|\bat|在)\s*$", re.I)
_KK_DATIVE = re.compile(r"(?:ға|ге|қа|ке)$", re.I)
HOST_PENALTY = 3.0  # a hostile cue must be this much closer to the host than to a third country
OBJECT_PENALTY = 4.0  # a country right after a hostile cue is its object
OBJECT_GAP = 14  # "smear China", "interfere in the affairs of Hong Kong"


@dataclass(slots=True)
class Site:
    """A place where a country (or a veiled reference, key '?') is named."""

    key: str
    start: int
    end: int


@dataclass(slots=True)
class Stance:
    hostile: float = 0.0
    friendly: float = 0.0
    cues: list[str] = field(default_factory=list)


def _alternation(patterns: list[str]) -> str:
    return "|".join(p if _HAN.search(p) else r"(?<!\w)(?:" + p + ")" for p in patterns)


@lru_cache(maxsize=1)
def cue_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(hostile, friendly) cue regexes; groups `v`/`w` mark cues whose victim follows/precedes."""
    data = yaml.safe_load((DATA_DIR / "stance.yaml").read_text("utf-8"))
    hostile = [p for lang in data["hostile"].values() for p in lang]
    before = [p[2:] for p in hostile if p.startswith("<@")]
    after = [p[1:] for p in hostile if p.startswith("@")]
    plain = [p for p in hostile if p[0] not in "@<"] + list(data.get("hostile_quotes", []))
    hostile_rx = re.compile(
        f"(?P<v>{_alternation(after)})|(?P<w>{_alternation(before)})|{_alternation(plain)}", re.I
    )
    friendly = [p for lang in data["friendly"].values() for p in lang]
    return hostile_rx, re.compile(_alternation(friendly), re.I)


def sentence_ends(text: str) -> list[int]:
    """Offsets where sentences end, for mapping a position to its sentence."""
    return [m.end() for m in _SENT_END.finditer(text)]


def hostile_sentences(text: str, ends: list[int]) -> set[int]:
    """Indices of sentences that hold at least one hostile cue."""
    hostile_rx, _ = cue_patterns()
    return {bisect.bisect_right(ends, m.start()) for m in hostile_rx.finditer(text)}


def stances(text: str, sites: list[Site], sender: str | None, host: str | None) -> dict[str, Stance]:
    """Hostile and friendly weight per key, each cue given to the nearest fitting site."""
    out = {s.key: Stance() for s in sites}
    cands = [s for s in sites if s.key != sender]
    if not cands or not text:
        return out
    t = text.translate(_NORM)
    ends = sentence_ends(t)
    by_sent: dict[int, list[Site]] = {}
    for s in cands:
        by_sent.setdefault(bisect.bisect_right(ends, s.start), []).append(s)
    hostile_rx, friendly_rx = cue_patterns()
    for rx, hostile in ((hostile_rx, True), (friendly_rx, False)):
        for m in rx.finditer(t):
            pool = by_sent.get(bisect.bisect_right(ends, m.start()))
            if not pool:
                pool = [s for s in cands if s.key != host] if hostile else cands
            site = _nearest(t, m, pool, host, hostile)
            if site is None:
                continue
            st = out[site.key]
            if hostile:
                st.hostile += 1.0
            else:
                st.friendly += 1.0
            st.cues.append(("-" if hostile else "+") + m.group(0).strip()[:40])
    return out


def _nearest(t: str, m: re.Match[str], pool: list[Site], host: str | None, hostile: bool) -> Site | None:
    after = min((s for s in pool if s.start >= m.end()), key=lambda s: s.start, default=None)
    before = max((s for s in pool if s.start < m.end()), key=lambda s: s.end, default=None)
    best, best_d = None, float("inf")
    for s in pool:
        if s.start >= m.end():
            d = float(s.start - m.end())
            victim = hostile and s is after and m.group("v") and d <= OBJECT_GAP
        else:
            d = float(max(0, m.start() - s.end))
            victim = hostile and s is before and m.group("w") and d <= OBJECT_GAP
        if hostile and len(pool) > 1 and (victim or _victim_form(t, s)):
            d = (d + 10) * OBJECT_PENALTY
        elif hostile and len(pool) > 1 and _LOCATIVE.search(t, max(0, s.start - 6), s.start):
            d = (d + 10) * 2
        if hostile and s.key == host:
            d = (d + 10) * HOST_PENALTY
        if d < best_d:
            best, best_d = s, d
    return best


def _victim_form(t: str, s: Site) -> bool:
    """A country in a victim's slot: after "against"/«против»/对, or in the Kazakh dative."""
    if _AGAINST.search(t, max(0, s.start - 12), s.start):
        return True
    return bool(_KK_DATIVE.search(t, s.start, s.end))


def decide(st: Stance, is_host: bool, veiled: bool = False) -> str:
    """hostile / friendly / neutral from the weights; veiled references lean hostile."""
    if veiled:
        return "friendly" if st.friendly > st.hostile + 1 else "hostile"
    if st.hostile >= 1 and (st.hostile > st.friendly if is_host else st.hostile >= st.friendly):
        return "hostile"
    if st.friendly > 0:
        return "friendly"
    return "neutral"
